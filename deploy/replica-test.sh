#!/usr/bin/env bash
# Read-replica test (.ci/run runs it): the local cluster with its own PostgreSQL primary and a
# streaming replica (deploy/local-cluster.sh, CLUSTER_REPLICA=1; backends with
# DATABASE_READ_URL), then deploy/tools/replica_check.py: listings are read from the replica,
# availability, money and writes never are — also while replay on the replica is paused.
# Both PostgreSQL servers run on their own ports with their data under the cluster's
# directory, and are stopped and removed at the end (also on failure).
#
# Usage: deploy/replica-test.sh   (BILTEN_BIN, REDIS_URL as for local-cluster.sh;
#                                  REPLICA_TEST_PORT_BASE [18180])
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BILTEN_BIN="${BILTEN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/bilten}"
export CLUSTER_REPLICA=1 CLUSTER_PORT_BASE="${REPLICA_TEST_PORT_BASE:-18180}"
REDIS_PREFIX="bilten-replica-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n'):"
export REDIS_PREFIX
dir="$(mktemp -d /tmp/bilten-replica.XXXXXX)"
cleanup() {
  "$ROOT/deploy/local-cluster.sh" stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"$ROOT/deploy/local-cluster.sh" start "$dir"
if ! python3 "$ROOT/deploy/tools/replica_check.py" "$dir"; then
  for log in "$dir"/backend-*.log "$dir"/pg/*.log; do
    [[ -f "$log" ]] && { echo "--- $log (last lines)"; tail -n 15 "$log"; }
  done
  exit 1
fi
echo "replica test: passed"
