#!/usr/bin/env bash
# Check a Prometheus text scrape of the bilten roles against the metric names
# the alerts and dashboards use.
#
# Usage: deploy/check-metrics.sh SCRAPE_FILE [SCRAPE_FILE...]
#   e.g.  curl -fsS localhost:3001/metrics > /tmp/backend.prom
#         curl -fsS localhost:8080/metrics > /tmp/gateway.prom
#         deploy/check-metrics.sh /tmp/backend.prom /tmp/gateway.prom ...
#
# 1. Every name in deploy/monitoring/metric-names.txt must appear in at least
#    one of the files, as a sample (name, name{...}, or name_bucket/_sum/_count
#    for a histogram) or as a "# TYPE name" line. Pass the scrapes of all roles:
#    gateway-only metrics (bilten_rate_limited_total, bilten_upstream_healthy)
#    only appear in the gateway's.
# 2. `promtool check metrics` must accept each file (format and naming lint).
# Exit status: 0 when both hold, 1 otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAMES="$ROOT/deploy/monitoring/metric-names.txt"

if [[ $# -lt 1 ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
for f in "$@"; do
  [[ -r "$f" ]] || { echo "check-metrics: cannot read $f" >&2; exit 2; }
done

if ! command -v promtool >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "check-metrics: installing promtool (Debian package prometheus)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends prometheus </dev/null >/dev/null
  else
    echo "check-metrics: promtool not found (apt-get install prometheus)" >&2
    exit 1
  fi
fi

# Metric names present: sample names (suffixes of histograms/summaries folded
# onto their base name) and names declared by # TYPE lines.
present="$(mktemp)"
trap 'rm -f "$present"' EXIT
awk '
  /^# TYPE / { print $3; next }
  /^#/ || NF == 0 { next }
  {
    name = $1; sub(/\{.*/, "", name)
    print name
    if (name ~ /_(bucket|sum|count)$/) { base = name; sub(/_(bucket|sum|count)$/, "", base); print base }
  }
' "$@" | sort -u >"$present"

missing=0
while IFS= read -r name || [[ -n "$name" ]]; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  if grep -qxF "$name" "$present"; then
    echo "ok       $name"
  else
    echo "MISSING  $name"
    missing=$((missing + 1))
  fi
done <"$NAMES"

lint=0
for f in "$@"; do
  if ! out="$(promtool check metrics <"$f" 2>&1)"; then
    echo "promtool check metrics $f:"
    printf '%s\n' "$out" | sed 's/^/  /'
    lint=$((lint + 1))
  fi
done

if [[ $missing -gt 0 || $lint -gt 0 ]]; then
  echo "check-metrics: $missing metric name(s) missing, $lint file(s) failed promtool check metrics"
  exit 1
fi
echo "check-metrics: all $(grep -cv '^\s*$' "$NAMES") metric names present; promtool check metrics passed"
