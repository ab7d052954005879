#!/usr/bin/env bash
# The previous release against this release's schema (.ci/run runs it). A release migrates
# first (the migration Job) and then replaces the previous release's replicas one by one, so
# for a while both releases serve one database that only this release's migrations have
# touched. Migrations are expand/contract so that this works; this test runs it:
#
#   1. the previous release (the commit in deploy/PREVIOUS_RELEASE) is built: `git archive`
#      into a fixed directory, compiled with the caller's CARGO_TARGET_DIR (see
#      build_previous: only the workspace's own crates compile, and nothing when that commit
#      was built before)
#   2. a scratch database bilten_prev_<random>; `bilten migrate` of THIS release
#   3. a backend and a scanner of each release on it, as replicas of one deployment
#      (APP_ENV=production, the same secrets, one Redis prefix)
#   4. deploy/tools/previous_release.py: an organizer registers and verifies, creates and
#      publishes an event through the previous release, a guest buys and reads the order
#      there; this release reads it the same; a purchase through this release reads the same
#      through the previous one; each release's scanner admits the other's ticket once
#   5. a migration newer than both releases is recorded (as the next release would leave
#      it): a previous-release backend still starts and serves the orders unchanged; how the
#      previous release's own `bilten migrate` takes it is checked and printed (see
#      check_previous_migrate); this release's `bilten migrate` and roles accept it, and
#      refuse a database whose history differs from theirs
#   6. processes, database and scratch files are removed (also on failure); the build is kept
#
# Usage: deploy/previous-release-test.sh
#   BILTEN_BIN            this release's binary [$CARGO_TARGET_DIR/debug/bilten]
#   PG_ADMIN_URL          [postgres://postgres@127.0.0.1:5432/postgres]
#   REDIS_URL             [redis://127.0.0.1:6379]
#   PREVIOUS_RELEASE_DIR  where the previous release is unpacked and kept [/tmp/bilten-previous-release]
# The commit must be in this clone (CI clones with full history); a missing one fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/test-lib.sh
. "$ROOT/deploy/test-lib.sh"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BILTEN_BIN="${BILTEN_BIN:-$TARGET_DIR/debug/bilten}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
PREVIOUS_DIR="${PREVIOUS_RELEASE_DIR:-/tmp/bilten-previous-release}"
started=$SECONDS

fail() { echo "previous-release-test: $*" >&2; exit 1; }
step() { echo "--- $* ($((SECONDS - started)) s in)"; }

[[ -x "$BILTEN_BIN" ]] || fail "$BILTEN_BIN not found (cargo build first)"
previous="$(grep -v '^#' "$ROOT/deploy/PREVIOUS_RELEASE" | tr -d '[:space:]')"
[[ "$previous" =~ ^[0-9a-f]{40}$ ]] || fail "deploy/PREVIOUS_RELEASE must hold one full commit hash, not '$previous'"
if ! git -C "$ROOT" cat-file -e "$previous^{commit}" 2>/dev/null; then
  shallow=""
  [[ "$(git -C "$ROOT" rev-parse --is-shallow-repository 2>/dev/null)" == true ]] \
    && shallow=" This clone is shallow: fetch the full history (git fetch --unshallow)."
  fail "the previous release $previous (deploy/PREVIOUS_RELEASE) is not in this clone.$shallow"
fi

dir="$(mktemp -d /tmp/bilten-prev-test.XXXXXX)"
db="bilten_prev_$(random_hex 6)"
DATABASE_URL="${PG_ADMIN_URL%/*}/$db"
pids=()
restore_uplifted=
cleanup() {
  [[ -z "$restore_uplifted" ]] || put_back_uplifted
  [[ ${#pids[@]} -eq 0 ]] || stop_pids "${pids[@]}"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

# Builds the previous release into $PREVIOUS_DIR/bilten.
#  - Sources go to a fixed path, unpacked again only when the commit changes, with the
#    extraction time as their mtime (tar -m): cargo's fingerprints then stay fresh between
#    runs, and never take another commit's artifacts for this one's.
#  - Same CARGO_TARGET_DIR as the caller, so the dependencies the test build compiled are
#    reused. `cargo test --no-run --workspace --test <one test>` and not `cargo build -p
#    bilten`: the test build resolves features with every crate's dev-dependencies (syn,
#    reqwest, …), and a plain build would resolve other features and recompile nearly every
#    dependency. Asking for one integration test of the workspace resolves them the same way.
#  - CARGO_INCREMENTAL=0 gives the previous release's workspace crates artifacts of their own
#    (the profile is part of an artifact's hash; dependencies are never incremental, so
#    theirs stay shared). Otherwise both releases' crates would share file names, and each
#    build would replace the other's.
#  - Both builds write the same target/debug/bilten: the caller's is put back afterwards
#    (also when this script is interrupted), see put_back_uplifted.
build_previous() {
  local src="$PREVIOUS_DIR/src" test_target uplifted="$TARGET_DIR/debug/bilten" build_started=$SECONDS
  mkdir -p "$PREVIOUS_DIR" "$dir/kept"
  exec 9>"$PREVIOUS_DIR/lock"
  flock 9 # one build of the previous release at a time on this machine
  if [[ "$(cat "$src/.bilten-commit" 2>/dev/null)" != "$previous" ]]; then
    rm -rf "$src" "$PREVIOUS_DIR/bilten"
    mkdir -p "$src"
    git -C "$ROOT" archive "$previous" | tar -x -m -C "$src"
    echo "$previous" >"$src/.bilten-commit"
  fi
  # `cli`: tests/cli.rs in older releases, tests/cli/main.rs (the crate's one test binary) since.
  local tests=("$src"/crates/bilten/tests/*.rs "$src"/crates/bilten/tests/*/main.rs)
  test_target=cli
  if [[ ! -f "$src/crates/bilten/tests/cli.rs" && ! -f "$src/crates/bilten/tests/cli/main.rs" ]]; then
    test_target="${tests[0]#"$src"/crates/bilten/tests/}"
    test_target="${test_target%/main.rs}"
    test_target="${test_target%.rs}"
  fi
  for file in bilten bilten.d; do
    [[ -e "$TARGET_DIR/debug/$file" ]] && cp -p "$TARGET_DIR/debug/$file" "$dir/kept/$file"
  done
  restore_uplifted=1
  local status=0
  (cd "$src" && CARGO_TARGET_DIR="$TARGET_DIR" CARGO_INCREMENTAL=0 \
    cargo test --locked --no-run --workspace --test "$test_target") >"$dir/build.log" 2>&1 || status=$?
  [[ $status -ne 0 ]] || cp --remove-destination "$uplifted" "$PREVIOUS_DIR/bilten"
  put_back_uplifted
  # This run's own copy: a run for another commit may replace the kept one once unlocked.
  [[ $status -ne 0 ]] || cp "$PREVIOUS_DIR/bilten" "$dir/bilten-previous"
  previous_has_schema_status=no
  grep -q 'pub struct SchemaStatus' "$src/crates/bilten-store/src/migrate.rs" && previous_has_schema_status=yes
  flock -u 9
  if [[ $status -ne 0 ]]; then
    tail -n 40 "$dir/build.log" >&2
    fail "the previous release $previous does not build (log above)"
  fi
  local compiled
  compiled="$(grep -c '^ *Compiling ' "$dir/build.log" || true)"
  echo "previous release ${previous:0:12} built in $((SECONDS - build_started)) s ($compiled crates compiled) → $PREVIOUS_DIR/bilten"
}

# target/debug/bilten is now a hard link to the previous release's artifact in deps/: the
# caller's file goes back as a new file (--remove-destination), never written through that
# link, which would replace the previous release's artifact with this release's binary.
put_back_uplifted() {
  for file in bilten bilten.d; do
    if [[ -e "$dir/kept/$file" ]]; then
      cp -p --remove-destination "$dir/kept/$file" "$TARGET_DIR/debug/$file"
    else
      rm -f "$TARGET_DIR/debug/$file"
    fi
  done
  restore_uplifted=
}

step "the previous release: ${previous:0:12} ($(git -C "$ROOT" log -1 --format='%cs %s' "$previous" | cut -c1-90))"
# This release's binary is copied first: it is what the rest of the test runs.
cp -p "$BILTEN_BIN" "$dir/bilten-new"
NEW="$dir/bilten-new"
build_previous
OLD="$dir/bilten-previous"

step "scratch database $db, migrated by this release"
psql "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$db\"" >/dev/null
secret() { random_hex 32; }
# What every replica's ConfigMap and Secrets carry (throwaway secrets).
common=(
  APP_ENV=production BIND_HOST=127.0.0.1 LOG_FORMAT=json RUST_LOG=info
  DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" REDIS_PREFIX="bilten-prev-$(random_hex 6):"
  BILTEN_DATA_DIR="$dir/data"
  JWT_ACCESS_SECRET="$(secret)" JWT_REFRESH_SECRET="$(secret)" TICKET_SIGNING_SECRET="$(secret)"
  PUBLIC_URL=http://127.0.0.1:8080
)
run_bilten() { # BINARY ARGS…: a one-off command with the deployment's settings
  local binary=$1; shift
  env -u DATABASE_READ_URL -u SMTP_HOST "${common[@]}" "$binary" "$@"
}
# said LOG: the last thing a one-off command said (the message of its last JSON log line).
said() {
  python3 -c 'import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
last = lines[-1] if lines else ""
try:
    print(json.loads(last).get("message", last))
except ValueError:
    print(last)' "$1"
}
run_bilten "$NEW" migrate >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; fail "this release's bilten migrate failed"; }
said "$dir/migrate.log"

# start_role NAME BINARY ROLE: starts it on a free port, waits for /ready; URL in $url.
start_role() {
  local name=$1 binary=$2 role=$3 port
  port="$(free_ports 1)"
  env -u DATABASE_READ_URL -u SMTP_HOST "${common[@]}" PORT="$port" "$binary" "$role" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  url="http://127.0.0.1:$port"
  wait_ready "$name" "$url" "$!" "$dir/$name.log"
}

step "a backend and a scanner of each release on it"
start_role old-backend "$OLD" backend; export OLD_API=$url
start_role new-backend "$NEW" backend; export NEW_API=$url
start_role old-scanner "$OLD" scanner; export OLD_SCANNER=$url
start_role new-scanner "$NEW" scanner; export NEW_SCANNER=$url
export OUTBOX="$dir/data/outbox"
echo "previous release: backend $OLD_API, scanner $OLD_SCANNER; this release: backend $NEW_API, scanner $NEW_SCANNER"

show_logs() {
  for log in "$dir"/*.log; do echo "--- $log (last lines)"; tail -n 15 "$log"; done
}

step "a rolling update's traffic: both releases sell, read and scan"
python3 "$ROOT/deploy/tools/previous_release.py" scenario "$dir/state.json" || { show_logs; fail "the releases disagree (above)"; }

# Whether the previous release's `bilten migrate` accepts a database with a newer migration:
# releases with migrate::SchemaStatus leave it alone (exit 0); older ones refuse it ("newer
# than this binary knows") — and so do their `bilten admin create` and their roles outside
# production, which migrate on start. Their roles in production only compare versions, so
# they run. Either way the behaviour must be the one its source promises.
check_previous_migrate() {
  local status=0
  run_bilten "$OLD" migrate >"$dir/old-migrate.log" 2>&1 || status=$?
  if [[ "$previous_has_schema_status" == yes ]]; then
    [[ $status -eq 0 ]] || { cat "$dir/old-migrate.log" >&2; fail "the previous release's bilten migrate refused a newer schema"; }
    echo "previous release: bilten migrate leaves the newer schema alone: $(said "$dir/old-migrate.log")"
  else
    [[ $status -ne 0 ]] || { cat "$dir/old-migrate.log" >&2; fail "the previous release's bilten migrate was expected to refuse (it predates SchemaStatus) but exited 0"; }
    echo "previous release (known, fixed from the next release on): bilten migrate, admin create and non-production roles refuse a newer schema: $(said "$dir/old-migrate.log")"
  fi
}

step "a migration newer than both releases"
newest="$(psql "$DATABASE_URL" -Atc "SELECT max(version) FROM schema_migrations")"
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qc \
  "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($((newest + 1)), 'previous_release_test_expand', 0)"
start_role old-backend-2 "$OLD" backend
echo "previous release: a backend starting now is ready on the newer schema ($url)"
python3 "$ROOT/deploy/tools/previous_release.py" read "$url" "$dir/state.json" || { show_logs; fail "the previous release reads differently on the newer schema"; }
check_previous_migrate
run_bilten "$NEW" migrate >"$dir/new-migrate.log" 2>&1 || { cat "$dir/new-migrate.log" >&2; fail "this release's bilten migrate refused a newer schema"; }
echo "this release: $(said "$dir/new-migrate.log")"
start_role new-backend-2 "$NEW" backend
echo "this release: a backend starting now is ready on the newer schema ($url)"

step "a database whose history differs from this release's"
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qc \
  "UPDATE schema_migrations SET name = name || '_elsewhere' WHERE version = $newest"
if run_bilten "$NEW" migrate >"$dir/diverged.log" 2>&1; then
  cat "$dir/diverged.log" >&2; fail "this release's bilten migrate accepted a migration recorded under another name"
fi
grep -q "migration $newest is recorded as" "$dir/diverged.log" || { cat "$dir/diverged.log" >&2; fail "this release refused it for another reason"; }
echo "this release refuses it: $(said "$dir/diverged.log")"

step "passed in $((SECONDS - started)) s"
