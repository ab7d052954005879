#!/usr/bin/env python3
"""Check a rendered Kustomize overlay against what Bilten's deployment promises.

kubernetes-validate checks each object against the Kubernetes schemas; this
checks the things a schema cannot see: probes on the right paths, the rolling
update budget, autoscaling targets, blue-green and canary wiring, Services that
select real pods on real ports, and that every object belongs to exactly one
phase of deploy/k8s/release.sh.

Usage: k8s_check.py RENDERED.yaml [--hpa-min N --hpa-max N]
"""

from __future__ import annotations

import argparse
import sys

import yaml

# Release phases of deploy/k8s/release.sh, as label selectors (same syntax as kubectl -l).
PHASES = {
    "config": "!bilten.io/track,!bilten.io/color,bilten.io/router!=true,app.kubernetes.io/component!=migration",
    "router": "bilten.io/router=true",
    "migration": "app.kubernetes.io/component=migration",
    "canary": "bilten.io/track=canary",
    "blue": "bilten.io/color=blue",
    "green": "bilten.io/color=green",
    "stable": "bilten.io/track=stable,!bilten.io/color",
}
CLUSTER_SCOPED = {"Namespace"}


def matches(selector: str, labels: dict[str, str]) -> bool:
    for term in selector.split(","):
        term = term.strip()
        if term.startswith("!"):
            if term[1:] in labels:
                return False
        elif "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        else:
            k, v = term.split("=", 1)
            if labels.get(k) != v:
                return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("rendered")
    ap.add_argument("--hpa-min", type=int, default=3)
    ap.add_argument("--hpa-max", type=int, default=10)
    args = ap.parse_args()

    docs = [d for d in yaml.safe_load_all(open(args.rendered)) if d]
    problems: list[str] = []

    def p(msg: str) -> None:
        problems.append(msg)

    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
        name = f"{d['kind']}/{d['metadata']['name']}"
        if d["kind"] not in CLUSTER_SCOPED and d["metadata"].get("namespace") != "bilten":
            p(f"{name}: not in namespace bilten")
        labels = d["metadata"].get("labels", {})
        phases = [ph for ph, sel in PHASES.items() if matches(sel, labels)]
        if len(phases) != 1:
            p(f"{name}: belongs to release phases {phases or 'none'} (must be exactly one)")

    deployments = by_kind.get("Deployment", {})
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in deployments.items()}
    pod_ports = {n: {pt["name"] for c in d["spec"]["template"]["spec"]["containers"] for pt in c.get("ports", [])}
                 for n, d in deployments.items()}

    for n, d in deployments.items():
        spec = d["spec"]
        ru = spec.get("strategy", {}).get("rollingUpdate", {})
        if spec.get("strategy", {}).get("type") != "RollingUpdate" or ru.get("maxSurge") != 1 or ru.get("maxUnavailable") != 0:
            p(f"Deployment/{n}: rolling update must be maxSurge 1, maxUnavailable 0")
        if not set(spec["selector"]["matchLabels"].items()) <= set(pod_labels[n].items()):
            p(f"Deployment/{n}: selector does not match its pod template")
        pod = spec["template"]["spec"]
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            p(f"Deployment/{n}: pod must run as non-root")
        for c in pod["containers"]:
            cn = f"Deployment/{n}/{c['name']}"
            res = c.get("resources", {})
            if not res.get("requests") or not res.get("limits"):
                p(f"{cn}: needs resource requests and limits")
            if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
                p(f"{cn}: readiness probe must be GET /ready")
            if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
                p(f"{cn}: liveness probe must be GET /health")
            image = c.get("image", "")
            if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                p(f"{cn}: image {image!r} must carry an explicit, non-latest tag")
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False or sc.get("capabilities", {}).get("drop") != ["ALL"]:
                p(f"{cn}: must drop all capabilities and forbid privilege escalation")
            role = c.get("args", [None])[0]
            if role not in {"backend", "frontend", "gateway", "scanner"}:
                p(f"{cn}: args must start with a bilten role, got {c.get('args')}")

    for n, h in by_kind.get("HorizontalPodAutoscaler", {}).items():
        s = h["spec"]
        target = s["scaleTargetRef"]["name"]
        if target not in deployments:
            p(f"HPA/{n}: targets missing Deployment {target}")
        elif "replicas" in deployments[target]["spec"]:
            p(f"Deployment/{target}: sets replicas although HPA/{n} owns it")
        if s.get("minReplicas") != args.hpa_min or s.get("maxReplicas") != args.hpa_max:
            p(f"HPA/{n}: min/max must be {args.hpa_min}/{args.hpa_max}")
        targets = {m["resource"]["name"]: m["resource"]["target"].get("averageUtilization") for m in s.get("metrics", [])}
        if targets != {"cpu": 70, "memory": 80}:
            p(f"HPA/{n}: targets must be CPU 70% and memory 80%, got {targets}")
        pdb_ok = any(
            set(pdb["spec"]["selector"]["matchLabels"].items()) <= set(pod_labels.get(target, {}).items())
            for pdb in by_kind.get("PodDisruptionBudget", {}).values()
        )
        if not pdb_ok:
            p(f"Deployment/{target}: autoscaled but no PodDisruptionBudget covers it")

    for n, svc in by_kind.get("Service", {}).items():
        spec = svc["spec"]
        if spec.get("type") == "ExternalName":
            continue
        sel = spec.get("selector", {})
        selected = [dn for dn, lab in pod_labels.items() if set(sel.items()) <= set(lab.items())]
        if not selected:
            p(f"Service/{n}: selector {sel} matches no pod template")
        for port in spec.get("ports", []):
            tp = port.get("targetPort")
            if isinstance(tp, str) and any(tp not in pod_ports[dn] for dn in selected):
                p(f"Service/{n}: targetPort {tp!r} is not a named port of {selected}")

    router = by_kind.get("Service", {}).get("backend", {})
    if router.get("spec", {}).get("selector", {}).get("bilten.io/color") not in {"blue", "green"}:
        p("Service/backend must select a colour (blue-green router)")
    for colour in ("blue", "green"):
        if f"backend-{colour}" not in deployments:
            p(f"Deployment/backend-{colour} is missing")

    ingresses = by_kind.get("Ingress", {})
    canary = [i for i in ingresses.values()
              if i["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/canary") == "true"]
    if len(canary) != 1 or canary[0]["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/canary-weight") != "10":
        p("exactly one canary Ingress with canary: \"true\" and canary-weight: \"10\" is required")
    else:
        hosts = {r["host"] for r in canary[0]["spec"]["rules"]}
        main_hosts = {r["host"] for i in ingresses.values() if i not in canary for r in i["spec"]["rules"]}
        if not hosts <= main_hosts:
            p("the canary Ingress's host has no main Ingress")

    nps = by_kind.get("NetworkPolicy", {})
    dd = nps.get("default-deny", {}).get("spec", {})
    if dd.get("podSelector") != {} or set(dd.get("policyTypes", [])) != {"Ingress", "Egress"}:
        p("NetworkPolicy/default-deny must deny all ingress and egress")
    backend_np = nps.get("backend", {}).get("spec", {})
    froms = [f for rule in backend_np.get("ingress", []) for f in rule.get("from", [])]
    if not any(f.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == "ingress-nginx" for f in froms) \
            or not any(f.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "gateway" for f in froms):
        p("NetworkPolicy/backend must admit the ingress controller and the gateway")

    jobs = by_kind.get("Job", {})
    if not any(c.get("args") == ["migrate"] for j in jobs.values() for c in j["spec"]["template"]["spec"]["containers"]):
        p("a Job running `bilten migrate` is required")
    if "postgres-read" not in by_kind.get("Service", {}):
        p("Service/postgres-read (read replica) is missing")

    for msg in problems:
        print(f"  {msg}")
    print(f"{len(docs)} objects, {len(deployments)} deployments: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
