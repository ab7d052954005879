#!/usr/bin/env python3
"""Mutation test of the deployment checkers: each check must catch the fault it exists for.

For every mutation below: copy deploy/ to a temporary directory, apply exactly that one
fault (a literal text replacement that must match exactly once), run the checker that
targets it, and require that it fails *and* names the fault (a substring of its output).
The unmutated tree must pass every checker first, or a mutation would "fail" for a reason
that has nothing to do with it.

Prints one line per mutation ("caught"/"MISSED") and a closing "N passed, M failed" line;
exits non-zero if the unmutated tree fails or any mutation is missed.

Usage: mutation_test.py [REPO_ROOT]   (needs kubectl (kustomize), python with PyYAML and
       pycep-parser on PATH — deploy/validate.sh's venv — and, for the monitoring
       mutations, promtool and prometheus)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BASE = "k8s/base"
NP = f"{BASE}/networkpolicies.yaml"
BACKEND = f"{BASE}/backend/app/deployment.yaml"
GATEWAY = f"{BASE}/gateway/app/deployment.yaml"
SCANNER = f"{BASE}/scanner/deployment.yaml"
FRONTEND = f"{BASE}/frontend/deployment.yaml"


@dataclass
class Mutation:
    name: str        # what the fault is
    checker: str     # which checker must catch it (a key of CHECKERS)
    file: str        # relative to deploy/
    old: str
    new: str
    expect: str      # the checker's output must contain this


MUTATIONS = [
    Mutation("HTTPS egress (Sentry) removed from every role", "k8s", NP,
             "  egress:\n    - ports:\n        - protocol: TCP\n          port: 443\n",
             "  egress:\n    - ports:\n        - protocol: TCP\n          port: 8443\n",
             "no NetworkPolicy lets it reach TCP/443 (Sentry"),
    Mutation("readiness probe names a port that does not exist (typo)", "k8s", SCANNER,
             "          readinessProbe:\n            httpGet:\n              path: /ready\n              port: http\n",
             "          readinessProbe:\n            httpGet:\n              path: /ready\n              port: htpp\n",
             "readinessProbe port 'htpp' is not a named port"),
    Mutation("PORT env differs from containerPort", "k8s", BACKEND,
             '            - name: PORT\n              value: "3001"\n',
             '            - name: PORT\n              value: "3011"\n',
             "PORT=3011 but containerPort 'http' is 3001"),
    Mutation("NetworkPolicy ingress port typo", "k8s", NP,
             "              kubernetes.io/metadata.name: ingress-nginx\n      ports:\n        - protocol: TCP\n          port: 8080\n",
             "              kubernetes.io/metadata.name: ingress-nginx\n      ports:\n        - protocol: TCP\n          port: 8008\n",
             "ingress port TCP/8008 is not a container port"),
    Mutation("NetworkPolicy egress podSelector typo", "k8s", NP,
             "  name: frontend\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: frontend\n"
             "  policyTypes: [\"Ingress\", \"Egress\"]\n  ingress:\n    - from:\n        - podSelector:\n"
             "            matchLabels:\n              app.kubernetes.io/name: gateway\n      ports:\n"
             "        - protocol: TCP\n          port: 8000\n  egress:\n    - to:\n        - podSelector:\n"
             "            matchLabels:\n              app.kubernetes.io/name: backend\n",
             "  name: frontend\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: frontend\n"
             "  policyTypes: [\"Ingress\", \"Egress\"]\n  ingress:\n    - from:\n        - podSelector:\n"
             "            matchLabels:\n              app.kubernetes.io/name: gateway\n      ports:\n"
             "        - protocol: TCP\n          port: 8000\n  egress:\n    - to:\n        - podSelector:\n"
             "            matchLabels:\n              app.kubernetes.io/name: backnd\n",
             "egress to podSelector {'matchLabels': {'app.kubernetes.io/name': 'backnd'}} matches no pod"),
    Mutation("NetworkPolicy namespaceSelector typo", "k8s", NP,
             "  name: allow-metrics-scrape\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/part-of: bilten\n"
             "  policyTypes: [\"Ingress\"]\n  ingress:\n    - from:\n        - namespaceSelector:\n"
             "            matchLabels:\n              kubernetes.io/metadata.name: monitoring\n",
             "  name: allow-metrics-scrape\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/part-of: bilten\n"
             "  policyTypes: [\"Ingress\"]\n  ingress:\n    - from:\n        - namespaceSelector:\n"
             "            matchLabels:\n              kubernetes.io/metadata.name: monitorng\n",
             "namespaceSelector {'matchLabels': {'kubernetes.io/metadata.name': 'monitorng'}} matches no namespace"),
    Mutation("NetworkPolicy podSelector (the policy's own) typo", "k8s", NP,
             "  name: scanner\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: scanner\n",
             "  name: scanner\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: scaner\n",
             "NetworkPolicy/scanner: podSelector {'matchLabels': {'app.kubernetes.io/name': 'scaner'}} matches no pod"),
    Mutation("metrics annotation differs from PROMETHEUS_PORT", "k8s", GATEWAY,
             '        prometheus.io/port: "9464"\n',
             '        prometheus.io/port: "9465"\n',
             "annotation prometheus.io/port=9465 but PROMETHEUS_PORT=9464"),
    Mutation("preStop hook removed", "k8s", FRONTEND,
             "            preStop:\n              sleep:\n                seconds: 5\n",
             "            postStart:\n              sleep:\n                seconds: 5\n",
             "Deployment/frontend/frontend: no preStop hook"),
    Mutation("Azure: the gateway app removed", "bicep", "azure/main.bicep",
             "linuxFxVersion: 'DOCKER|${containerRegistry}/bilten/gateway:${imageTag}'",
             "linuxFxVersion: 'DOCKER|${containerRegistry}/bilten/frontend:${imageTag}'",
             "role gateway: no web app runs bilten/gateway"),
    Mutation("Azure: the gateway sends backend requests to the frontend app", "bicep", "azure/main.bicep",
             "{ name: 'GATEWAY_UPSTREAMS_BACKEND', value: 'https://${backendApp.properties.defaultHostName}' }",
             "{ name: 'GATEWAY_UPSTREAMS_BACKEND', value: 'https://${frontendApp.properties.defaultHostName}' }",
             "GATEWAY_UPSTREAMS_BACKEND is 'https://${frontendApp.properties.defaultHostName}'"),
    Mutation("Azure: a gateway upstream over plain http", "bicep", "azure/main.bicep",
             "{ name: 'GATEWAY_UPSTREAMS_SCANNER', value: 'https://${scannerApp.properties.defaultHostName}' }",
             "{ name: 'GATEWAY_UPSTREAMS_SCANNER', value: 'http://${scannerApp.properties.defaultHostName}' }",
             "GATEWAY_UPSTREAMS_SCANNER is 'http://${scannerApp.properties.defaultHostName}'"),
    Mutation("Prometheus (Kubernetes): job not derived from the pod's app label", "prometheus",
             "monitoring/prometheus-kubernetes.yml",
             "        replacement: bilten-$1\n        target_label: job\n",
             "        replacement: $1\n        target_label: job\n",
             "job 'backend'"),
]


def run(cmd: list[str], cwd: Path) -> tuple[int, str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def check_k8s(deploy: Path) -> tuple[int, str]:
    """Render both overlays and run k8s_check.py on each (as deploy/validate.sh does)."""
    output = []
    for env, lo, hi in (("staging", 1, 3), ("production", 3, 10)):
        code, rendered = run(["kubectl", "kustomize", str(deploy / "k8s/overlays" / env)], deploy)
        if code != 0:
            return code, rendered
        out = deploy / f"rendered-{env}.yaml"
        out.write_text(rendered)
        code, text = run([sys.executable, str(deploy / "tools/k8s_check.py"), str(out),
                          "--hpa-min", str(lo), "--hpa-max", str(hi)], deploy)
        output.append(text)
        if code != 0:
            return code, "".join(output)
    return 0, "".join(output)


def check_bicep(deploy: Path) -> tuple[int, str]:
    return run([sys.executable, str(deploy / "tools/bicep_check.py"), str(deploy / "azure/main.bicep"),
                str(deploy / "azure/main.parameters.example.json")], deploy)


def check_prometheus(deploy: Path) -> tuple[int, str]:
    return run([sys.executable, str(deploy / "tools/prometheus_k8s_check.py"), str(deploy.parent)], deploy)


CHECKERS = {"k8s": check_k8s, "bicep": check_bicep, "prometheus": check_prometheus}


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="bilten-mutation-") as tmp:
        # A copy of the repository's deploy/ and docs/ (checkers read both), never the tree itself.
        clean = Path(tmp) / "clean"
        shutil.copytree(root / "deploy", clean / "deploy", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(root / "docs", clean / "docs")
        for name, checker in CHECKERS.items():
            code, text = checker(clean / "deploy")
            if code != 0:
                print(f"FAIL  unmutated tree: the {name} checker fails already:\n{text}")
                return 1
        print(f"ok    unmutated tree passes: {', '.join(CHECKERS)}")
        for i, m in enumerate(MUTATIONS, start=1):
            work = Path(tmp) / f"m{i}"
            shutil.copytree(clean, work)
            target = work / "deploy" / m.file
            text = target.read_text()
            if text.count(m.old) != 1:
                print(f"MISSED {m.name}: the fault's anchor occurs {text.count(m.old)} times in {m.file} "
                      f"(the manifests changed: update the mutation)")
                failed += 1
                continue
            target.write_text(text.replace(m.old, m.new))
            code, out = CHECKERS[m.checker](work / "deploy")
            if code != 0 and m.expect in out:
                print(f"caught  {m.name}: {m.checker} check fails with “{m.expect}”")
                passed += 1
            else:
                verdict = "passes" if code == 0 else "fails without naming the fault"
                print(f"MISSED  {m.name}: {m.checker} check {verdict}")
                print("\n".join("        " + line for line in out.strip().splitlines()[-15:]))
                failed += 1
            shutil.rmtree(work)
    print(f"mutations: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
