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
#   CLUSTER_REPLICA   1: PostgreSQL as in production, a primary and a streaming read replica,
#                     both started by this script on ports CLUSTER_PORT_BASE+10/+11 with
#                     their data under DIR/pg (PG_ADMIN_URL is then not used): the replica
#                     is a `pg_basebackup -R` of the primary, and the backends get
#                     DATABASE_READ_URL pointing at it [0: one database on PG_ADMIN_URL]
#
# deploy/smoke-test.sh runs against a started cluster (with the replica); .ci/run does both,
# and deploy/replica-test.sh tests what is read from the replica.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command="${1:-}"
dir="${2:-}"
if [[ -z "$command" || -z "$dir" ]]; then
  sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
base="${CLUSTER_PORT_BASE:-18080}"
if [[ -z "${BILTEN_BIN:-}" ]]; then
  BILTEN_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/bilten"
fi

# PostgreSQL's server programs refuse to run as root: as root they run as `postgres`.
pg_bin() {
  local newest="" candidate
  for candidate in /usr/lib/postgresql/*/bin; do [[ -x "$candidate/initdb" ]] && newest="$candidate"; done
  echo "$newest"
}
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A primary on $1 and its streaming replica on $2, data and sockets under $dir/pg.
start_postgres_pair() {
  local primary_port=$1 replica_port=$2 bin
  bin="$(pg_bin)"
  [[ -n "$bin" ]] || { echo "local-cluster: PostgreSQL's server programs (initdb, pg_ctl) are missing" >&2; return 1; }
  mkdir -p "$dir/pg"
  if [[ "$(id -u)" == 0 ]]; then
    chmod o+x "$dir" # mktemp's 0700 would keep the postgres user out
    chown postgres: "$dir/pg"
  fi
  as_pg "$bin/initdb" -D "$dir/pg/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/pg/initdb.log" 2>&1 \
    || { cat "$dir/pg/initdb.log" >&2; return 1; }
  # wal_level=replica and WAL senders for the replica; no fsync: this cluster lives for a test.
  cat >>"$dir/pg/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $primary_port
unix_socket_directories = '$dir/pg'
wal_level = replica
max_wal_senders = 4
max_connections = 200
fsync = off
full_page_writes = off
EOF
  as_pg "$bin/pg_ctl" -D "$dir/pg/primary" -l "$dir/pg/primary.log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/pg/primary.log" >&2; return 1; }
  # The replica: a base backup of the running primary; -R writes standby.signal and
  # primary_conninfo, so it starts as a hot standby streaming from the primary.
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/pg/replica" -R -X stream -c fast \
    >"$dir/pg/basebackup.log" 2>&1 || { cat "$dir/pg/basebackup.log" >&2; return 1; }
  as_pg sed -i "s/^port = $primary_port\$/port = $replica_port/" "$dir/pg/replica/postgresql.conf"
  as_pg "$bin/pg_ctl" -D "$dir/pg/replica" -l "$dir/pg/replica.log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/pg/replica.log" >&2; return 1; }
  for _ in $(seq 1 100); do
    [[ "$(psql -h 127.0.0.1 -p "$primary_port" -U postgres -d postgres -Atc \
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null)" == 1 ]] && return 0
    sleep 0.1
  done
  echo "local-cluster: the replica on :$replica_port never started streaming" >&2
  tail -n 20 "$dir/pg/replica.log" >&2
  return 1
}

stop_postgres_pair() {
  local bin node
  bin="$(pg_bin)"
  for node in replica primary; do
    if [[ -f "$dir/pg/$node/postmaster.pid" ]]; then
      as_pg "$bin/pg_ctl" -D "$dir/pg/$node" -m fast -w -t 30 stop >/dev/null 2>&1 \
        || as_pg "$bin/pg_ctl" -D "$dir/pg/$node" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$dir/pg"
}

stop_cluster() {
  if [[ -f "$dir/pids" ]]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
    sleep 1
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$dir/pids"
    rm -f "$dir/pids"
  fi
  if [[ -d "$dir/pg" ]]; then
    stop_postgres_pair
  elif [[ -f "$dir/cluster.env" ]]; then
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
    read_env=()
    if [[ "${CLUSTER_REPLICA:-0}" == 1 ]]; then
      trap 'stop_cluster' ERR
      pg_primary=$((base + 10)) pg_replica=$((base + 11))
      start_postgres_pair "$pg_primary" "$pg_replica"
      admin_url="postgres://postgres@127.0.0.1:$pg_primary/postgres"
      psql "$admin_url" -qc "CREATE DATABASE \"$db_name\"" >/dev/null
      database_url="postgres://postgres@127.0.0.1:$pg_primary/$db_name"
      database_read_url="postgres://postgres@127.0.0.1:$pg_replica/$db_name"
      read_env=(DATABASE_READ_URL="$database_read_url")
    else
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE \"$db_name\"" >/dev/null
      database_url="${PG_ADMIN_URL%/*}/$db_name"
      database_read_url=
    fi
    gateway=$base backend1=$((base + 1)) backend2=$((base + 2)) backend3=$((base + 3))
    scanner=$((base + 4)) frontend=$((base + 5))
    cat >"$dir/cluster.env" <<EOF
CLUSTER_DB_NAME=$db_name
DATABASE_URL=$database_url
DATABASE_READ_URL=$database_read_url
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
    # The backends read listings from the replica when there is one (as DATABASE_READ_URL
    # does in every deployment's Secret); availability and money stay on the primary.
    start_role backend-1 backend "$backend1" "${common[@]}" "${read_env[@]}"
    start_role backend-2 backend "$backend2" "${common[@]}" "${read_env[@]}"
    start_role backend-3 backend "$backend3" "${common[@]}" "${read_env[@]}"
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
    echo "local-cluster: ready — gateway http://127.0.0.1:$gateway, backends :$backend1 :$backend2 :$backend3, scanner :$scanner, frontend :$frontend${database_read_url:+, PostgreSQL primary :$pg_primary + streaming replica :$pg_replica (DATABASE_READ_URL)} (logs in $dir)"
    ;;
  *)
    echo "local-cluster: unknown command $command (start|stop)" >&2
    exit 2
    ;;
esac
