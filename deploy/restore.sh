#!/usr/bin/env bash
# Restore a deploy/backup.sh archive into a new, empty PostgreSQL database.
#
# Usage: deploy/restore.sh DUMP_FILE TARGET_DATABASE_URL
#   RESTORE_CREATE=1   create the target database first (through the same server's
#                      `postgres` database) — it must not exist yet
#   RESTORE_JOBS=N     restore with N parallel jobs (default: one transaction, all or nothing)
#
# Refuses a target that already has tables: restore into a new database (or instance), then
# point the application at it — never over the live one. Afterwards run `bilten migrate`
# against it (applies nothing when the dump is current, the newer migrations when it is
# older) before any role starts; see docs/OPERATIONS.md, "PostgreSQL backup and restore".
set -euo pipefail

dump="${1:-}"
target="${2:-}"
if [[ -z "$dump" || -z "$target" ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
[[ -r "$dump" ]] || { echo "restore: cannot read $dump" >&2; exit 1; }
pg_restore --list "$dump" >/dev/null || { echo "restore: $dump is not a pg_dump archive" >&2; exit 1; }

db_name="${target##*/}"
db_name="${db_name%%\?*}"
if [[ "${RESTORE_CREATE:-0}" == 1 ]]; then
  admin="${target%/*}/postgres"
  [[ "$target" == *\?* ]] && admin="$admin?${target#*\?}"
  psql "$admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$db_name\"" >/dev/null
fi

tables=$(psql "$target" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
if [[ "$tables" != 0 ]]; then
  echo "restore: $db_name already has $tables tables; restore into a new database" >&2
  exit 1
fi

if [[ -n "${RESTORE_JOBS:-}" ]]; then
  pg_restore --no-owner --no-privileges --exit-on-error --jobs="$RESTORE_JOBS" --dbname="$target" "$dump"
else
  pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$target" "$dump"
fi
psql "$target" -qc "ANALYZE" >/dev/null
echo "restore: $dump -> $db_name ($(psql "$target" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") tables); now run \`bilten migrate\` against it"
