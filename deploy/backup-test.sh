#!/usr/bin/env bash
# Backup/restore drill (.ci/run runs it): real data in, backup, drop, restore, migrate, the
# same orders and tickets out.
#
#   1. a scratch database bilten_backup_<random>; `bilten migrate`
#   2. `bilten serve` on it (free ports): an organizer, an event, a ticket type, five paid
#      purchases and one pending hold, all through the HTTP API (deploy/tools/backup_data.py)
#   3. the server stops; orders, tickets, payments, counters and users are read with psql
#   4. deploy/backup.sh; DROP DATABASE; deploy/restore.sh into a new database of that name;
#      `bilten migrate` again
#   5. the same rows (ids, statuses, codes, counters) must be there, and through a restarted
#      `bilten serve` the organizer signs in and every ticket reads back with its order key
#   6. the scratch database and files are removed (also on failure)
#
# Usage: deploy/backup-test.sh   (BILTEN_BIN and PG_ADMIN_URL as for deploy/local-cluster.sh)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/test-lib.sh
. "$ROOT/deploy/test-lib.sh"
export BILTEN_BIN="${BILTEN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/bilten}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
[[ -x "$BILTEN_BIN" ]] || { echo "backup-test: $BILTEN_BIN not found (cargo build first)" >&2; exit 1; }

dir="$(mktemp -d /tmp/bilten-backup.XXXXXX)"
db="bilten_backup_$(random_hex 6)"
export DATABASE_URL="${PG_ADMIN_URL%/*}/$db"
export BILTEN_DATA_DIR="$dir/data" APP_ENV=development LOG_FORMAT=json RUST_LOG=warn
unset REDIS_URL DATABASE_READ_URL
server=

stop_server() {
  if [[ -n "$server" ]]; then
    stop_pids "$server"
    server=
  fi
}
cleanup() {
  stop_server
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

start_server() { # LOG
  local ports
  read -r -a ports <<<"$(free_ports 4)"
  "$BILTEN_BIN" serve --no-demo --backend-port "${ports[0]}" --frontend-port "${ports[1]}" \
    --scanner-port "${ports[2]}" --gateway-port "${ports[3]}" >"$dir/$1" 2>&1 &
  server=$!
  api="http://127.0.0.1:${ports[0]}"
  wait_ready "backup-test: bilten serve" "$api" "$server" "$dir/$1"
}

step() { echo "--- $*"; }

step "scratch database $db, bilten migrate"
psql "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$db\"" >/dev/null
"$BILTEN_BIN" migrate >"$dir/migrate-1.log" 2>&1 || { cat "$dir/migrate-1.log" >&2; exit 1; }

step "real data through the API of bilten serve"
start_server serve-1.log
python3 "$ROOT/deploy/tools/backup_data.py" seed "$api" "$dir/seed.json"
stop_server
python3 "$ROOT/deploy/tools/backup_data.py" snapshot "$dir/before.json"

step "backup, drop, restore, migrate"
dump="$(BACKUP_DIR="$dir" bash "$ROOT/deploy/backup.sh" | tail -n 1)"
psql "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -qc "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
echo "dropped $db"
RESTORE_CREATE=1 bash "$ROOT/deploy/restore.sh" "$dump" "$DATABASE_URL"
"$BILTEN_BIN" migrate >"$dir/migrate-2.log" 2>&1 || { cat "$dir/migrate-2.log" >&2; exit 1; }
echo "bilten migrate on the restored database: ok"

step "the same orders and tickets"
python3 "$ROOT/deploy/tools/backup_data.py" snapshot "$dir/after.json"
python3 "$ROOT/deploy/tools/backup_data.py" compare "$dir/before.json" "$dir/after.json"
start_server serve-2.log
python3 "$ROOT/deploy/tools/backup_data.py" verify "$api" "$dir/seed.json"
stop_server
echo "backup-test: passed"
