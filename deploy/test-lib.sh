# shellcheck shell=bash
# Helpers shared by the deploy/*-test.sh drills; sourced, never run:
#   . "$ROOT/deploy/test-lib.sh"

# random_hex BYTES: lower-case hex from /dev/urandom, for names of scratch databases and
# Redis prefixes that no other run uses (6 bytes), and throwaway secrets (32).
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# free_ports N: N TCP ports on 127.0.0.1 that were free a moment ago, space-separated.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# wait_ready NAME URL PID LOG: waits up to 30 s for URL/ready to answer 2xx. Gives up early
# when process PID has exited; either way a failure prints the last lines of LOG.
wait_ready() {
  local name=$1 url=$2 pid=$3 log=$4
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$url/ready" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "$name ($url) never became ready; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# stop_pids PID…: SIGTERM, a moment to drain, then SIGKILL for what is left; waits for each.
stop_pids() {
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
