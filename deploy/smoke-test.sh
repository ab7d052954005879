#!/usr/bin/env bash
# The local multi-process topology smoke test (.ci/run runs it): start the cluster stand-in
# (deploy/local-cluster.sh: gateway, 3 backends, scanner, frontend on PostgreSQL + Redis), buy
# and scan a ticket through the gateway (deploy/tools/smoke.py), check the metric names the
# alerts and dashboards use against the live /metrics of every process
# (deploy/check-metrics.sh), and stop everything again.
#
# Usage: deploy/smoke-test.sh   (BILTEN_BIN, PG_ADMIN_URL, REDIS_URL as for local-cluster.sh)
#
# The cluster runs as production does: its own PostgreSQL primary with a streaming read
# replica behind DATABASE_READ_URL (CLUSTER_REPLICA=1; SMOKE_REPLICA=0 uses one database on
# PG_ADMIN_URL instead).
#
# Each run uses a Redis key prefix of its own (REDIS_PREFIX, inherited by every role the
# cluster starts), so its rate-limit windows start empty: re-running within a minute does
# not meet the previous run's counters (429), and a run never touches another deployment's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BILTEN_BIN="${BILTEN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/bilten}"
dir="$(mktemp -d /tmp/bilten-cluster.XXXXXX)"
export CLUSTER_REPLICA="${SMOKE_REPLICA:-1}"
export REDIS_PREFIX="${SMOKE_REDIS_PREFIX:-bilten-smoke-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n'):}"
cleanup() { "$ROOT/deploy/local-cluster.sh" stop "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$ROOT/deploy/local-cluster.sh" start "$dir"
if ! python3 "$ROOT/deploy/tools/smoke.py" "$dir"; then
  for log in "$dir"/*.log; do echo "--- $log (last lines)"; tail -n 20 "$log"; done
  exit 1
fi
bash "$ROOT/deploy/check-metrics.sh" "$dir"/*.prom
echo "smoke test: passed"
