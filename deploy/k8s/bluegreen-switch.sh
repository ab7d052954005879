#!/usr/bin/env bash
# Blue-green switch for the Bilten backend.
#
# The `backend` Service selects pods by the label bilten.io/color. This script
# points it at the other colour once that colour is fully rolled out and ready,
# records the previous colour on the Service, and can switch back.
#
# Usage:
#   deploy/k8s/bluegreen-switch.sh status            # active colour + images
#   deploy/k8s/bluegreen-switch.sh idle              # print the idle colour
#   deploy/k8s/bluegreen-switch.sh green|blue        # switch traffic to that colour
#   deploy/k8s/bluegreen-switch.sh rollback          # switch back to the previous colour
#
# Options (environment): NAMESPACE (default bilten), KUBECTL (default kubectl),
# KUBE_CONTEXT (kubectl --context), ROLLOUT_TIMEOUT (default 300s),
# DRY_RUN=1 (print the patch instead of applying it).
set -euo pipefail

NAMESPACE="${NAMESPACE:-bilten}"
KUBECTL="${KUBECTL:-kubectl}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-300s}"
SERVICE=backend
LABEL=bilten.io/color

die() { echo "bluegreen-switch: $*" >&2; exit 1; }

k() {
  local args=(-n "$NAMESPACE")
  if [[ -n "${KUBE_CONTEXT:-}" ]]; then args+=(--context "$KUBE_CONTEXT"); fi
  "$KUBECTL" "${args[@]}" "$@"
}

active_color() {
  k get service "$SERVICE" -o "jsonpath={.spec.selector.bilten\.io/color}"
}

other() { if [[ "$1" == blue ]]; then echo green; else echo blue; fi; }

image_of() {
  k get deployment "backend-$1" -o "jsonpath={.spec.template.spec.containers[0].image}" 2>/dev/null || echo "(missing)"
}

status() {
  local active
  active="$(active_color)"
  echo "active: ${active:-unknown}"
  for c in blue green; do
    local ready desired
    ready="$(k get deployment "backend-$c" -o 'jsonpath={.status.readyReplicas}' 2>/dev/null || true)"
    desired="$(k get deployment "backend-$c" -o 'jsonpath={.spec.replicas}' 2>/dev/null || true)"
    printf '%-6s %s ready=%s/%s%s\n' "$c" "$(image_of "$c")" "${ready:-0}" "${desired:-0}" \
      "$([[ "$c" == "$active" ]] && echo '  <- serving')"
  done
}

switch_to() {
  local target="$1" current
  [[ "$target" == blue || "$target" == green ]] || die "colour must be blue or green, got '$target'"
  current="$(active_color)" || die "cannot read Service $SERVICE in namespace $NAMESPACE"
  if [[ "$current" == "$target" ]]; then
    echo "backend already serves from $target; nothing to do"
    return 0
  fi

  echo "checking deployment backend-$target ($(image_of "$target")) ..."
  k rollout status "deployment/backend-$target" --timeout="$ROLLOUT_TIMEOUT" \
    || die "backend-$target is not rolled out; not switching"
  local desired ready
  desired="$(k get deployment "backend-$target" -o 'jsonpath={.spec.replicas}')"
  ready="$(k get deployment "backend-$target" -o 'jsonpath={.status.readyReplicas}')"
  [[ "${ready:-0}" -ge 1 && "${ready:-0}" -ge "${desired:-1}" ]] \
    || die "backend-$target has ${ready:-0}/${desired:-?} ready pods; not switching"

  local patch
  patch="$(printf '{"metadata":{"annotations":{"bilten.io/previous-color":"%s","bilten.io/switched-at":"%s"}},"spec":{"selector":{"%s":"%s"}}}' \
    "$current" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$LABEL" "$target")"
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    echo "DRY_RUN: kubectl -n $NAMESPACE patch service $SERVICE --type merge -p '$patch'"
    return 0
  fi
  k patch service "$SERVICE" --type merge -p "$patch" >/dev/null

  # The Service must have ready endpoints again before we declare success.
  local _ endpoints=""
  for _ in $(seq 1 30); do
    endpoints="$(k get endpointslices -l "kubernetes.io/service-name=$SERVICE" \
      -o 'jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].addresses[0]}' 2>/dev/null || true)"
    [[ -n "$endpoints" ]] && break
    sleep 1
  done
  if [[ -z "$endpoints" ]]; then
    echo "no ready endpoints after the switch; rolling back to $current" >&2
    k patch service "$SERVICE" --type merge -p "{\"spec\":{\"selector\":{\"$LABEL\":\"$current\"}}}" >/dev/null
    exit 1
  fi
  echo "backend now serves from $target (was $current)."
  echo "roll back with: $0 rollback   (or: $0 $current)"
}

case "${1:-}" in
  status) status ;;
  idle) other "$(active_color)" ;;
  blue | green) switch_to "$1" ;;
  rollback)
    prev="$(k get service "$SERVICE" -o "jsonpath={.metadata.annotations.bilten\.io/previous-color}")"
    [[ -n "$prev" ]] || prev="$(other "$(active_color)")"
    switch_to "$prev"
    ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
