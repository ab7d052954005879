#!/usr/bin/env bash
# Release Bilten to Kubernetes in phases. Used by .github/workflows/deploy.yml
# and .gitlab-ci.yml; runnable by hand with a kubeconfig.
#
# Usage: deploy/k8s/release.sh ENVIRONMENT STEP
#   ENVIRONMENT  staging | production (an overlay under deploy/k8s/overlays)
#   STEP         render     render the overlay with images pinned to $TAG
#                bootstrap  first install: everything, including the backend router Service
#                migrate    run the migration Job (bilten migrate) and wait for it
#                canary     apply shared config, then the canary (10% of traffic) on $TAG
#                           (checked from inside with `bilten healthcheck --url …`: the image has no curl)
#                promote    idle colour -> $TAG, switch traffic to it, then gateway/frontend/scanner
#                rollback   switch traffic back to the previous colour, undo the stable roll-out
#                           and put the canary back on the serving image
#                status     show colours, images and rollout state
# Environment: REGISTRY (e.g. ghcr.io/acme; required for render/bootstrap/migrate/canary/promote),
#              TAG (image tag, the commit SHA), NAMESPACE (default bilten), KUBECTL (default kubectl),
#              RENDERED (output of `render`, default $TMPDIR/bilten-ENVIRONMENT.yaml).
#
# Every object of the overlay belongs to exactly one phase, selected by labels
# (deploy/tools/k8s_check.py verifies this):
#   config     no track/colour label (namespace, ConfigMap, Services, Ingress, NetworkPolicies)
#   router     bilten.io/router=true  — the blue-green Service, applied only at bootstrap;
#                                       afterwards only bluegreen-switch.sh changes it
#   migration  app.kubernetes.io/component=migration
#   canary     bilten.io/track=canary
#   blue/green bilten.io/color=<colour>
#   stable     bilten.io/track=stable without a colour (gateway, frontend, scanner)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENVIRONMENT="${1:-}"
STEP="${2:-}"
NAMESPACE="${NAMESPACE:-bilten}"
KUBECTL="${KUBECTL:-kubectl}"
OVERLAY="$HERE/overlays/$ENVIRONMENT"
RENDERED="${RENDERED:-${TMPDIR:-/tmp}/bilten-$ENVIRONMENT.yaml}"
export NAMESPACE KUBECTL

SEL_CONFIG='!bilten.io/track,!bilten.io/color,bilten.io/router!=true,app.kubernetes.io/component!=migration'
SEL_ROUTER='bilten.io/router=true'
SEL_MIGRATION='app.kubernetes.io/component=migration'
SEL_CANARY='bilten.io/track=canary'
SEL_STABLE='bilten.io/track=stable,!bilten.io/color'

die() { echo "release: $*" >&2; exit 1; }
k() { "$KUBECTL" -n "$NAMESPACE" "$@"; }
apply() { echo "+ apply -l $1"; "$KUBECTL" apply -f "$RENDERED" -l "$1"; }

[[ -d "$OVERLAY" ]] || die "unknown environment '$ENVIRONMENT' (no $OVERLAY)"

render() {
  [[ -n "${REGISTRY:-}" && -n "${TAG:-}" ]] || die "REGISTRY and TAG must be set"
  [[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "TAG '$TAG' is not a valid image tag"
  "$KUBECTL" kustomize "$OVERLAY" \
    | sed -E "s#^([[:space:]]*image:[[:space:]]*)[^[:space:]]*/?bilten/(backend|frontend|gateway|scanner)(:[^[:space:]]+)?[[:space:]]*\$#\\1${REGISTRY}/bilten/\\2:${TAG}#" \
    > "$RENDERED"
  echo "rendered $OVERLAY -> $RENDERED"
  grep -E '^[[:space:]]*image:' "$RENDERED" | sort | uniq -c
}

rollout() {
  local d
  for d in "$@"; do k rollout status "deployment/$d" --timeout=10m; done
}

migrate() {
  render
  k delete job bilten-migrate --ignore-not-found --wait=true
  apply "$SEL_MIGRATION"
  local i succeeded failed
  for i in $(seq 1 180); do
    succeeded="$(k get job bilten-migrate -o 'jsonpath={.status.succeeded}')"
    failed="$(k get job bilten-migrate -o 'jsonpath={.status.failed}')"
    if [[ "${succeeded:-0}" -ge 1 ]]; then
      k logs job/bilten-migrate --tail=50 || true
      echo "migrations applied"
      return 0
    fi
    if [[ "${failed:-0}" -ge 2 ]]; then break; fi
    [[ $((i % 6)) -eq 0 ]] && echo "waiting for bilten-migrate ($((i * 5))s)"
    sleep 5
  done
  k logs job/bilten-migrate --tail=200 || true
  die "migration job did not complete; nothing else was changed"
}

# Put the canary back on the image the serving colour runs.
restore_canary() {
  local active image
  active="$(k get service backend -o 'jsonpath={.spec.selector.bilten\.io/color}')"
  image="$(k get deployment "backend-$active" -o 'jsonpath={.spec.template.spec.containers[0].image}')"
  k set image deployment/backend-canary "backend=$image"
  k set image deployment/gateway-canary "gateway=${image/\/bilten\/backend:/\/bilten\/gateway:}"
  rollout backend-canary gateway-canary
}

canary() {
  render
  apply "$SEL_CONFIG"
  apply "$SEL_CANARY"
  if ! rollout backend-canary gateway-canary \
    || ! k exec deployment/gateway-canary -- /usr/local/bin/bilten healthcheck --url http://127.0.0.1:8080/ready \
    || ! k exec deployment/gateway-canary -- /usr/local/bin/bilten healthcheck \
      --url "http://backend-canary.$NAMESPACE.svc.cluster.local:3001/ready"; then
    echo "canary of $TAG is not healthy: putting the canary back on the serving release" >&2
    restore_canary
    die "canary failed"
  fi
  echo "canary on $TAG receives 10% of traffic; watch the dashboard (Running versions, 5xx by role) before promoting"
}

promote() {
  render
  local idle active
  idle="$("$HERE/bluegreen-switch.sh" idle)"
  [[ "$idle" == blue || "$idle" == green ]] || die "cannot determine the idle colour"
  active="$([[ "$idle" == blue ]] && echo green || echo blue)"
  echo "serving colour: $active, promoting $TAG on: $idle"
  apply "bilten.io/color=$idle"
  rollout "backend-$idle" || die "backend-$idle did not become ready; traffic still on $active"
  "$HERE/bluegreen-switch.sh" "$idle"
  if ! { apply "$SEL_STABLE" && rollout gateway frontend scanner; }; then
    echo "roll-out of gateway/frontend/scanner failed: switching the backend back to $active" >&2
    "$HERE/bluegreen-switch.sh" "$active"
    local d
    for d in gateway frontend scanner; do k rollout undo "deployment/$d" || true; done
    die "promotion of $TAG failed and was rolled back"
  fi
  echo "promoted $TAG; backend-$active is idle on the previous release (rollback: $0 $ENVIRONMENT rollback)"
}

rollback() {
  "$HERE/bluegreen-switch.sh" rollback
  local d
  for d in gateway frontend scanner; do k rollout undo "deployment/$d" || true; done
  rollout gateway frontend scanner
  restore_canary
}

bootstrap() {
  render
  apply "$SEL_CONFIG"
  apply "$SEL_ROUTER"
  migrate
  apply "$SEL_CANARY"
  apply "bilten.io/color=blue"
  apply "bilten.io/color=green"
  apply "$SEL_STABLE"
  rollout backend-blue backend-green backend-canary gateway-canary gateway frontend scanner
}

status() {
  "$HERE/bluegreen-switch.sh" status
  k get deployments -o 'custom-columns=NAME:.metadata.name,READY:.status.readyReplicas,WANT:.spec.replicas,IMAGE:.spec.template.spec.containers[0].image'
}

case "$STEP" in
  render | bootstrap | migrate | canary | promote | rollback | status) "$STEP" ;;
  *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
