#!/usr/bin/env bash
# The API contract checked from outside (.ci/run runs it): a backend on a fresh database
# (SQLite or PostgreSQL), an organizer logged in, and schemathesis generating requests from
# docs/openapi.json — valid and invalid ones — against every operation. It fails on any
# answer >= 500 and on any answer that does not match the document (status, content type,
# headers, body schema). Bad input must get a 4xx with a catalog code, never a 500.
#
# Usage: deploy/schemathesis-test.sh sqlite|postgres
#   BILTEN_BIN      the binary [$CARGO_TARGET_DIR/debug/bilten, else target/debug/bilten]
#   PG_ADMIN_URL    PostgreSQL to create the throwaway database on (postgres only)
#   FUZZ_SECONDS    schemathesis' time budget [100]
#   FUZZ_EXAMPLES   test cases per operation and phase [15]
#
# Prints one summary line: `schemathesis <db>: <n> operations, <cases> cases, 0 failures`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BILTEN_BIN="${BILTEN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/bilten}"
kind="${1:?usage: deploy/schemathesis-test.sh sqlite|postgres}"
[[ -x "$BILTEN_BIN" ]] || { echo "schemathesis: $BILTEN_BIN not found (cargo build first)" >&2; exit 1; }
command -v st >/dev/null || { echo "schemathesis: the st command is missing (pip install schemathesis)" >&2; exit 1; }

dir="$(mktemp -d /tmp/bilten-fuzz.XXXXXX)"
pid=
db_name=
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n "$db_name" ]]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

case "$kind" in
  sqlite) database_url="sqlite://$dir/bilten.db?mode=rwc" ;;
  postgres)
    : "${PG_ADMIN_URL:?PG_ADMIN_URL names the PostgreSQL to test on}"
    db_name="bilten_fuzz_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    psql "$PG_ADMIN_URL" -qc "CREATE DATABASE \"$db_name\"" >/dev/null
    database_url="${PG_ADMIN_URL%/*}/$db_name"
    ;;
  *) echo "schemathesis: say sqlite or postgres" >&2; exit 2 ;;
esac

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
# Development: the test payment provider (test cards) and mail written to files. The fuzzer
# is one client at one address, so the per-address limits are the gateway's business (not
# running here); the backend's own login throttle answers 429, which the document lists.
common=(
  APP_ENV=development BIND_HOST=127.0.0.1 LOG_FORMAT=json RUST_LOG=warn
  DATABASE_URL="$database_url" BILTEN_DATA_DIR="$dir/data"
  JWT_ACCESS_SECRET="$(secret)" JWT_REFRESH_SECRET="$(secret)" TICKET_SIGNING_SECRET="$(secret)"
  PUBLIC_URL="http://127.0.0.1:$port"
)
mkdir -p "$dir/data"
env "${common[@]}" "$BILTEN_BIN" migrate >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
# A verified account to call the API with: the platform admin made from the command line
# (verified, may create organizations and see every admin route).
email="fuzz-organizer@example.com" password="fuzz-$(secret | cut -c1-16)"
env "${common[@]}" "$BILTEN_BIN" admin create --email "$email" --password "$password" --name "Fuzz Organizer" \
  >"$dir/admin.log" 2>&1 || { cat "$dir/admin.log" >&2; exit 1; }
env "${common[@]}" PORT="$port" "$BILTEN_BIN" backend >"$dir/backend.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 150); do curl -fsS -o /dev/null "$base/ready" 2>/dev/null && break; sleep 0.2; done
curl -fsS -o /dev/null "$base/ready" || { tail -n 30 "$dir/backend.log" >&2; exit 1; }

# The organizer's token, and something to find: an organization with a published event.
token=$(curl -sS --fail-with-body "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\": \"$email\", \"password\": \"$password\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
api() { curl -sS --fail-with-body "$base/api/v1$1" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$2"; }
id_of() { python3 -c "import json, sys; print(json.load(sys.stdin)[\"$1\"][\"id\"])"; }
org=$(api /organizations '{"name": "Fuzz Org"}' | id_of organization)
event=$(api "/organizations/$org/events" '{"title": "Fuzz Night", "description": "Generated requests",
  "starts_at": "2031-06-01T19:00:00Z", "ends_at": "2031-06-01T23:00:00Z", "timezone": "Europe/Berlin",
  "venue_name": "Columbiahalle", "city": "Berlin", "country": "DE", "currency": "EUR", "category": "music"}' | id_of event)
api "/events/$event/ticket-types" '{"name": "Standing", "price": 2500, "capacity": 1000}' >/dev/null
api "/events/$event/publish" '{}' >/dev/null

# Generated requests: the examples of the document, its boundary values (coverage) and
# random ones (fuzzing), valid and invalid. Checks: no 5xx, and every answer as documented.
# Excluded: logout and logout-all (they would end the token the run uses), and the
# password change (it would too).
report="$dir/report"
status=0
timeout "$(( ${FUZZ_SECONDS:-100} + 60 ))" st run "$ROOT/docs/openapi.json" --url "$base" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${FUZZ_EXAMPLES:-15}" --max-time "${FUZZ_SECONDS:-100}" \
  --workers 2 --request-timeout 10 --seed 14 --no-shrink \
  --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/logout-all \
  --exclude-path /api/v1/auth/password \
  --suppress-health-check all --warnings off \
  --report junit --report-dir "$report" >"$dir/schemathesis.log" 2>&1 || status=$?
if [[ "$status" -ne 0 ]]; then
  tail -n 200 "$dir/schemathesis.log"
  echo "--- backend log (last lines)"; tail -n 30 "$dir/backend.log"
  echo "schemathesis $kind: FAILED (exit $status; log $dir/schemathesis.log)" >&2
  trap - EXIT; cleanup; exit 1
fi
# The one line .ci/run shows: operations tested and test cases, from schemathesis' summary.
python3 - "$dir/schemathesis.log" "$kind" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
tested = re.search(r"Tested: (\d+)", text)
cases = re.search(r"(\d+) generated, (\d+) passed", text)
print(f"schemathesis {sys.argv[2]}: {tested.group(1) if tested else '?'} operations, "
      f"{cases.group(1) if cases else '?'} test cases, "
      f"{cases.group(2) if cases else '?'} passed, 0 answers >= 500, 0 schema mismatches")
PY
rm -rf "$dir"
