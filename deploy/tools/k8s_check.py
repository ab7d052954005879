#!/usr/bin/env python3
"""Check a rendered Kustomize overlay against what Bilten's deployment promises.

kubernetes-validate checks each object against the Kubernetes schemas; this
checks the things a schema cannot see: probes on the right paths and on ports
the container really has, PORT and PROMETHEUS_PORT agreeing with the container
ports and the scrape annotations, a preStop hook that outlasts endpoint
removal, the rolling update budget, autoscaling targets, blue-green and canary
wiring, Services that select real pods on real ports, NetworkPolicies whose
selectors and ports match something (and that let every `bilten` process reach
DNS, PostgreSQL, Redis and Sentry over 443), and that every object belongs to
exactly one phase of deploy/k8s/release.sh.

deploy/tools/mutation_test.py proves each of these checks by breaking the
manifests one fault at a time.

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
ROLES = {"backend", "frontend", "gateway", "scanner"}
# Namespaces outside the overlay that its NetworkPolicies may name (cluster prerequisites in
# docs/OPERATIONS.md), and the pods there they may select.
EXTERNAL_NAMESPACES = {"kube-system", "ingress-nginx", "monitoring"}
EXTERNAL_PODS = {"kube-system": [{"k8s-app": "kube-dns"}]}
# What every `bilten` process must reach (TCP unless noted): DNS, PostgreSQL, Redis, and
# Sentry over 443 — every role and `bilten migrate` call sentry::init when SENTRY_DSN is set.
REQUIRED_EGRESS = {
    ("UDP", 53): "DNS", ("TCP", 5432): "PostgreSQL", ("TCP", 6379): "Redis",
    ("TCP", 443): "Sentry (HTTPS)",
}
ROLE_EGRESS = {"backend": {("TCP", 587): "SMTP"}}
DRAIN_SECONDS = 20  # in-flight requests get 20 s after SIGTERM (docs/ARCHITECTURE.md, Operations)


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


def selects(selector: dict | None, labels: dict[str, str]) -> bool:
    """A Kubernetes LabelSelector (matchLabels + matchExpressions) against a label set."""
    if selector is None:
        return False
    if not set((selector.get("matchLabels") or {}).items()) <= set(labels.items()):
        return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def is_bilten_image(image: str) -> bool:
    return "bilten/" in image


def env_value(container: dict, name: str, configmaps: dict[str, dict]) -> str | None:
    """The value of an environment variable as the container sees it (env wins over envFrom)."""
    for e in container.get("env") or []:
        if e["name"] == name:
            if "value" in e:
                return str(e["value"])
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
            if ref:
                return configmaps.get(ref["name"], {}).get(ref["key"])
            return None
    value = None
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref and name in configmaps.get(ref["name"], {}):
            value = str(configmaps[ref["name"]][name])
    return value


def port_spec(port: dict) -> tuple[str, int | str | None]:
    return port.get("protocol", "TCP"), port.get("port")


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
    configmaps = {n: cm.get("data") or {} for n, cm in by_kind.get("ConfigMap", {}).items()}
    # Every pod template of the overlay (Deployments and Jobs): what NetworkPolicies act on.
    workloads = {f"{kind}/{n}": d["spec"]["template"]
                 for kind in ("Deployment", "Job") for n, d in by_kind.get(kind, {}).items()}

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
        annotations = spec["template"]["metadata"].get("annotations") or {}
        for c in pod["containers"]:
            cn = f"Deployment/{n}/{c['name']}"
            res = c.get("resources", {})
            if not res.get("requests") or not res.get("limits"):
                p(f"{cn}: needs resource requests and limits")
            image = c.get("image", "")
            if not c.get("readinessProbe") or not c.get("livenessProbe"):
                p(f"{cn}: needs a readiness and a liveness probe")
            if is_bilten_image(image):
                check_role_container(cn, c, pod, annotations, configmaps, p)
            else:
                for msg in probe_port_problems(c):
                    p(f"{cn}: {msg}")
            if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                p(f"{cn}: image {image!r} must carry an explicit, non-latest tag")
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False or sc.get("capabilities", {}).get("drop") != ["ALL"]:
                p(f"{cn}: must drop all capabilities and forbid privilege escalation")
    for n, j in by_kind.get("Job", {}).items():
        for c in j["spec"]["template"]["spec"]["containers"]:
            for msg in probe_port_problems(c):
                p(f"Job/{n}/{c['name']}: {msg}")

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
    namespaces = {"bilten": {"kubernetes.io/metadata.name": "bilten"}}
    for ns in by_kind.get("Namespace", {}).values():
        namespaces[ns["metadata"]["name"]] = {**(ns["metadata"].get("labels") or {}),
                                              "kubernetes.io/metadata.name": ns["metadata"]["name"]}
    for ns in EXTERNAL_NAMESPACES:
        namespaces.setdefault(ns, {"kubernetes.io/metadata.name": ns})
    for n, np in nps.items():
        check_network_policy(n, np["spec"], workloads, namespaces, p)
    check_required_flows(by_kind, workloads, nps, namespaces, configmaps, p)
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


def probe_port_problems(c: dict) -> list[str]:
    """Probes must name a port the container declares (a typo makes every probe fail)."""
    names = {pt.get("name") for pt in c.get("ports", []) if pt.get("name")}
    numbers = {pt["containerPort"] for pt in c.get("ports", [])}
    out = []
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        handler = c.get(probe) or {}
        for kind in ("httpGet", "tcpSocket", "grpc"):
            port = (handler.get(kind) or {}).get("port")
            if port is None:
                continue
            if isinstance(port, str) and not port.isdigit():
                if port not in names:
                    out.append(f"{probe} port {port!r} is not a named port of the container "
                               f"(named ports: {', '.join(sorted(names)) or 'none'})")
            elif int(port) not in numbers:
                out.append(f"{probe} port {port} is not a containerPort ({sorted(numbers)})")
    return out


def check_role_container(cn: str, c: dict, pod: dict, annotations: dict, configmaps: dict, p) -> None:
    role = (c.get("args") or [None])[0]
    if role not in ROLES:
        p(f"{cn}: args must start with a bilten role, got {c.get('args')}")
    if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
        p(f"{cn}: readiness probe must be GET /ready")
    if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
        p(f"{cn}: liveness probe must be GET /health")
    for msg in probe_port_problems(c):
        p(f"{cn}: {msg}")
    ports = {pt.get("name"): pt["containerPort"] for pt in c.get("ports", [])}

    # The role listens on PORT: the container port the Service and probes use must be it.
    port = env_value(c, "PORT", configmaps)
    if "http" not in ports:
        p(f"{cn}: no containerPort named 'http'")
    elif port is None:
        p(f"{cn}: PORT is not set (the role would listen on its default, not containerPort {ports['http']})")
    elif port != str(ports["http"]):
        p(f"{cn}: PORT={port} but containerPort 'http' is {ports['http']}")

    # Metrics: PROMETHEUS_PORT is where /metrics is served; the annotations tell Prometheus.
    metrics = env_value(c, "PROMETHEUS_PORT", configmaps)
    if metrics is None:
        p(f"{cn}: PROMETHEUS_PORT is not set")
    else:
        if annotations.get("prometheus.io/scrape") != "true":
            p(f"{cn}: pod lacks the annotation prometheus.io/scrape: \"true\"")
        if annotations.get("prometheus.io/port") != metrics:
            p(f"{cn}: annotation prometheus.io/port={annotations.get('prometheus.io/port')} "
              f"but PROMETHEUS_PORT={metrics}")
        if ports.get("metrics") != int(metrics):
            p(f"{cn}: containerPort 'metrics' is {ports.get('metrics')} but PROMETHEUS_PORT={metrics}")

    # preStop: keep serving while the endpoint removal reaches every proxy, then drain.
    pre_stop = (c.get("lifecycle") or {}).get("preStop")
    if not pre_stop:
        p(f"{cn}: no preStop hook (requests still routed to a terminating pod would fail)")
    else:
        wait = (pre_stop.get("sleep") or {}).get("seconds")
        if wait is None:
            command = (pre_stop.get("exec") or {}).get("command") or []
            wait = int(command[1]) if len(command) == 2 and command[0] == "sleep" and command[1].isdigit() else None
        if wait is None:
            p(f"{cn}: preStop must wait a fixed time (lifecycle.preStop.sleep.seconds)")
        else:
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if grace < wait + DRAIN_SECONDS:
                p(f"{cn}: terminationGracePeriodSeconds {grace} < preStop {wait}s + {DRAIN_SECONDS}s drain")


def pods_selected(selector: dict, workloads: dict[str, dict]) -> list[str]:
    return [w for w, t in workloads.items() if selects(selector, t["metadata"].get("labels") or {})]


def peer_problems(peer: dict, workloads: dict, namespaces: dict) -> tuple[list[str], list[str] | None]:
    """Problems of one NetworkPolicy peer, and the overlay pods it selects (None: outside)."""
    out = []
    if "ipBlock" in peer:
        return out, None
    ns_sel = peer.get("namespaceSelector")
    pod_sel = peer.get("podSelector")
    if ns_sel is not None:
        matched_ns = [ns for ns, labels in namespaces.items() if selects(ns_sel, labels)]
        if not matched_ns:
            out.append(f"namespaceSelector {ns_sel} matches no namespace "
                       f"(known: {', '.join(sorted(namespaces))})")
            return out, None
        if "bilten" not in matched_ns:
            if pod_sel is not None and pod_sel != {}:
                if not any(selects(pod_sel, labels)
                           for ns in matched_ns for labels in EXTERNAL_PODS.get(ns, [])):
                    out.append(f"podSelector {pod_sel} matches no known pod in {', '.join(matched_ns)}")
            return out, None
    if pod_sel is None:
        return out, list(workloads)
    matched = pods_selected(pod_sel, workloads)
    if not matched:
        out.append(f"podSelector {pod_sel} matches no pod")
    return out, matched


def container_ports(template: dict) -> tuple[set, set]:
    numbers, names = set(), set()
    for c in template["spec"]["containers"]:
        for pt in c.get("ports", []):
            numbers.add((pt.get("protocol", "TCP"), pt["containerPort"]))
            if pt.get("name"):
                names.add((pt.get("protocol", "TCP"), pt["name"]))
    return numbers, names


def port_problems(ports: list[dict], targets: list[str], workloads: dict, what: str) -> list[str]:
    """Every port of a rule must be one that at least one of the target pods listens on."""
    out = []
    for port in ports or []:
        proto, number = port_spec(port)
        if number is None:
            continue
        found = False
        for w in targets:
            numbers, names = container_ports(workloads[w])
            key = (proto, number)
            if key in numbers or key in names:
                found = True
        if not found:
            out.append(f"{what} port {proto}/{number} is not a container port of the pods it "
                       f"reaches ({', '.join(sorted(targets)) or 'none'})")
    return out


def check_network_policy(n: str, spec: dict, workloads: dict, namespaces: dict, p) -> None:
    pod_sel = spec.get("podSelector", {})
    selected = pods_selected(pod_sel, workloads)
    if pod_sel != {} and not selected:
        p(f"NetworkPolicy/{n}: podSelector {pod_sel} matches no pod")
    for rule in spec.get("ingress") or []:
        for peer in rule.get("from") or []:
            for msg in peer_problems(peer, workloads, namespaces)[0]:
                p(f"NetworkPolicy/{n}: ingress from {msg}")
        for msg in port_problems(rule.get("ports"), selected, workloads, "ingress"):
            p(f"NetworkPolicy/{n}: {msg}")
    for rule in spec.get("egress") or []:
        targets: list[str] = []
        in_cluster_only = bool(rule.get("to"))
        for peer in rule.get("to") or []:
            msgs, matched = peer_problems(peer, workloads, namespaces)
            for msg in msgs:
                p(f"NetworkPolicy/{n}: egress to {msg}")
            if matched is None:
                in_cluster_only = False
            else:
                targets += matched
        if in_cluster_only:
            for msg in port_problems(rule.get("ports"), sorted(set(targets)), workloads, "egress"):
                p(f"NetworkPolicy/{n}: {msg}")


def allowed(policies: list[dict], direction: str, proto: str, port: int | str,
            peer_ok=lambda peer: True) -> bool:
    """Whether any rule of the policies (all selecting one pod) allows proto/port."""
    for spec in policies:
        for rule in spec.get(direction) or []:
            ports = rule.get("ports")
            if ports and not any(port_spec(pt) == (proto, port) for pt in ports):
                continue
            peers = rule.get("from" if direction == "ingress" else "to")
            if not peers or any(peer_ok(peer) for peer in peers):
                return True
    return False


def check_required_flows(by_kind: dict, workloads: dict, nps: dict, namespaces: dict,
                         configmaps: dict, p) -> None:
    """Every `bilten` process can reach what it needs; Prometheus can reach every scraped pod."""
    for w, template in workloads.items():
        labels = template["metadata"].get("labels") or {}
        policies = [np["spec"] for np in nps.values() if selects(np["spec"].get("podSelector", {}), labels)]
        egress = [s for s in policies if "Egress" in s.get("policyTypes", ["Ingress"])]
        ingress = [s for s in policies if "Ingress" in s.get("policyTypes", ["Ingress"])]
        containers = template["spec"]["containers"]
        if any(is_bilten_image(c.get("image", "")) for c in containers):
            role = (containers[0].get("args") or [None])[0]
            needs = {**REQUIRED_EGRESS, **ROLE_EGRESS.get(role, {})}
            for (proto, port), what in needs.items():
                if not allowed(egress, "egress", proto, port):
                    p(f"{w}: no NetworkPolicy lets it reach {proto}/{port} ({what})")
        annotations = template["metadata"].get("annotations") or {}
        if annotations.get("prometheus.io/scrape") == "true":
            port = annotations.get("prometheus.io/port", "")
            numbers, _ = container_ports(template)
            if not port.isdigit() or ("TCP", int(port)) not in numbers:
                p(f"{w}: annotation prometheus.io/port={port} is not a container port")
            elif not allowed(ingress, "ingress", "TCP", int(port),
                             lambda peer: selects(peer.get("namespaceSelector"), namespaces["monitoring"])):
                p(f"{w}: no NetworkPolicy admits Prometheus (namespace monitoring) on TCP/{port}")


if __name__ == "__main__":
    sys.exit(main())
