#!/usr/bin/env bash
# Local stand-in for the production cluster: the Kubernetes topology as separate processes on
# this machine — 1 gateway, 3 backends, 1 scanner, 1 frontend — over one PostgreSQL database
# and Redis, each role started exactly as its container would start it (`bilten <role>`,
# APP_ENV=production, configuration from the environment).
#
# Usage:
#   deploy/local-cluster.sh start DIR   start everything, wait until every role is ready,
#                                       write DIR/cluster.env (URLs, database) and DIR/pids
#   deploy/local-cluster.sh stop DIR    stop the processes and drop the cluster's database
#
# Environment (defaults in brackets):
#   BILTEN_BIN        the binary [$CARGO_TARGET_DIR/debug/bilten, else target/debug/bilten]
#   PG_ADMIN_URL      a PostgreSQL URL allowed to CREATE DATABASE [postgres://postgres@127.0.0.1:5432/postgres]
#   REDIS_URL         [redis://127.0.0.1:6379]
#   CLUSTER_PORT_BASE first of the seven consecutive ports used [18080]
#                     (gateway, backend ×3, scanner, frontend, spare)
#
# deploy/smoke-test.sh runs against a started cluster; .ci/run does both.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command="${1:-}"
dir="${2:-}"
if [[ -z "$command" || -z "$dir" ]]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
base="${CLUSTER_PORT_BASE:-18080}"
if [[ -z "${BILTEN_BIN:-}" ]]; then
  BILTEN_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/bilten"
fi

stop_cluster() {
  if [[ -f "$dir/pids" ]]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
    sleep 1
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$dir/pids"
    rm -f "$dir/pids"
  fi
  if [[ -f "$dir/cluster.env" ]]; then
    # shellcheck disable=SC1091
    db_name="$(. "$dir/cluster.env"; echo "$CLUSTER_DB_NAME")"
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null
  fi
}

wait_ready() {
  local name=$1 url=$2
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$url/ready" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "local-cluster: $name ($url) never became ready; last log lines:" >&2
  tail -n 30 "$dir/$name.log" >&2 || true
  return 1
}

start_role() {
  local name=$1 role=$2 port=$3
  shift 3
  env "$@" PORT="$port" "$BILTEN_BIN" "$role" >"$dir/$name.log" 2>&1 &
  echo $! >>"$dir/pids"
}

case "$command" in
  stop)
    stop_cluster
    echo "local-cluster: stopped"
    ;;
  start)
    [[ -x "$BILTEN_BIN" ]] || { echo "local-cluster: $BILTEN_BIN not found (cargo build first)" >&2; exit 1; }
    mkdir -p "$dir/data"
    : >"$dir/pids"
    db_name="bilten_cluster_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    psql "$PG_ADMIN_URL" -qc "CREATE DATABASE \"$db_name\"" >/dev/null
    database_url="${PG_ADMIN_URL%/*}/$db_name"
    gateway=$base backend1=$((base + 1)) backend2=$((base + 2)) backend3=$((base + 3))
    scanner=$((base + 4)) frontend=$((base + 5))
    cat >"$dir/cluster.env" <<EOF
CLUSTER_DB_NAME=$db_name
DATABASE_URL=$database_url
GATEWAY_URL=http://127.0.0.1:$gateway
BACKEND_URLS="http://127.0.0.1:$backend1 http://127.0.0.1:$backend2 http://127.0.0.1:$backend3"
SCANNER_URL=http://127.0.0.1:$scanner
FRONTEND_URL=http://127.0.0.1:$frontend
EOF
    trap 'stop_cluster' ERR
    # What every role's ConfigMap and Secrets would carry. Throwaway secrets: this cluster
    # lives for one test run.
    secret() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
    common=(
      APP_ENV=production BIND_HOST=127.0.0.1 LOG_FORMAT=json RUST_LOG=info
      DATABASE_URL="$database_url" REDIS_URL="$REDIS_URL"
      BILTEN_DATA_DIR="$dir/data"
      JWT_ACCESS_SECRET="$(secret)" JWT_REFRESH_SECRET="$(secret)"
      TICKET_SIGNING_SECRET="$(secret)"
      PUBLIC_URL="http://127.0.0.1:$gateway"
    )
    # Without SMTP_HOST the backends write each email as an .eml file under the data dir,
    # where the smoke test reads the confirmation.
    if [[ -n "${SMTP_HOST:-}" ]]; then common+=(SMTP_HOST="$SMTP_HOST" SMTP_PORT="${SMTP_PORT:-25}"); fi
    # The migration Job runs before any rollout.
    env "${common[@]}" "$BILTEN_BIN" migrate >"$dir/migrate.log" 2>&1 \
      || { cat "$dir/migrate.log" >&2; exit 1; }
    start_role backend-1 backend "$backend1" "${common[@]}"
    start_role backend-2 backend "$backend2" "${common[@]}"
    start_role backend-3 backend "$backend3" "${common[@]}"
    start_role scanner scanner "$scanner" "${common[@]}"
    start_role frontend frontend "$frontend" "${common[@]}" BACKEND_URL="http://127.0.0.1:$backend1"
    start_role gateway gateway "$gateway" "${common[@]}" \
      GATEWAY_UPSTREAMS_BACKEND="http://127.0.0.1:$backend1,http://127.0.0.1:$backend2,http://127.0.0.1:$backend3" \
      GATEWAY_UPSTREAMS_SCANNER="http://127.0.0.1:$scanner" \
      GATEWAY_UPSTREAMS_FRONTEND="http://127.0.0.1:$frontend" \
      GATEWAY_HEALTH_INTERVAL=500ms
    wait_ready backend-1 "http://127.0.0.1:$backend1"
    wait_ready backend-2 "http://127.0.0.1:$backend2"
    wait_ready backend-3 "http://127.0.0.1:$backend3"
    wait_ready scanner "http://127.0.0.1:$scanner"
    wait_ready frontend "http://127.0.0.1:$frontend"
    wait_ready gateway "http://127.0.0.1:$gateway"
    echo "local-cluster: ready — gateway http://127.0.0.1:$gateway, backends :$backend1 :$backend2 :$backend3, scanner :$scanner, frontend :$frontend (logs in $dir)"
    ;;
  *)
    echo "local-cluster: unknown command $command (start|stop)" >&2
    exit 2
    ;;
esac
