#!/usr/bin/env python3
"""Check deploy/monitoring/prometheus-kubernetes.yml — with Prometheus' own relabelling.

Debian's promtool (2.42) is built without Kubernetes service discovery and rejects
`kubernetes_sd_configs`, and no newer promtool is packaged on PyPI, npm or Debian. So:

1. every `kubernetes_sd_configs` block is checked against the schema Prometheus documents
   for `<kubernetes_sd_config>` (keys, `role` values, `namespaces`, `selectors`,
   `attach_metadata`, api_server/kubeconfig_file exclusivity), and its namespaces must be
   the ones the discovery Role in deploy/monitoring/kubernetes/ grants;
2. a copy with each `kubernetes_sd_configs` replaced by a `file_sd_configs` goes through
   `promtool check config` — everything else (relabel regexes, alerting, rule files) is
   checked by Prometheus' own loader;
3. the pods of the rendered production overlay are turned into the targets Kubernetes
   discovery would produce (one per container port, with the documented
   `__meta_kubernetes_pod_*` labels; pod IPs on 127.0.1.0/24), and a real `prometheus`
   server is started on that copy (loopback only, no remote targets). Its /api/v1/targets
   shows what relabelling made of them: every `bilten` role pod must be one target with
   job `bilten-<role>` on PROMETHEUS_PORT, the exporters jobs `postgres` and `redis`, the
   migration Job's pod none — the jobs alerts.yml and the Compose configuration use.

Usage: prometheus_k8s_check.py REPO_ROOT   (needs kubectl, promtool, prometheus, PyYAML)
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

# <kubernetes_sd_config> as documented in Prometheus' configuration reference.
SD_ROLES = {"node", "service", "pod", "endpoints", "endpointslice", "ingress"}
SD_KEYS = {"api_server", "role", "kubeconfig_file", "namespaces", "selectors", "attach_metadata",
           # the HTTP client settings every SD accepts
           "basic_auth", "authorization", "oauth2", "follow_redirects", "enable_http2", "tls_config",
           "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"}
NAMESPACES_KEYS = {"own_namespace", "names"}
SELECTOR_KEYS = {"role", "label", "field"}
ATTACH_KEYS = {"node"}
POD_IP_PREFIX = "127.0.1."


def sanitize(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def schema_problems(config: dict) -> list[str]:
    out = []
    for job in config.get("scrape_configs") or []:
        for i, sd in enumerate(job.get("kubernetes_sd_configs") or []):
            where = f"job {job.get('job_name')}: kubernetes_sd_configs[{i}]"
            if not isinstance(sd, dict):
                out.append(f"{where}: not a mapping")
                continue
            for key in set(sd) - SD_KEYS:
                out.append(f"{where}: unknown field {key!r}")
            if sd.get("role") not in SD_ROLES:
                out.append(f"{where}: role must be one of {sorted(SD_ROLES)}, got {sd.get('role')!r}")
            if "api_server" in sd and "kubeconfig_file" in sd:
                out.append(f"{where}: api_server and kubeconfig_file are mutually exclusive")
            ns = sd.get("namespaces") or {}
            for key in set(ns) - NAMESPACES_KEYS:
                out.append(f"{where}.namespaces: unknown field {key!r}")
            if not all(isinstance(n, str) for n in ns.get("names") or []):
                out.append(f"{where}.namespaces.names: must be strings")
            for j, sel in enumerate(sd.get("selectors") or []):
                for key in set(sel) - SELECTOR_KEYS:
                    out.append(f"{where}.selectors[{j}]: unknown field {key!r}")
                if sel.get("role") not in SD_ROLES:
                    out.append(f"{where}.selectors[{j}]: role must be one of {sorted(SD_ROLES)}")
            for key in set(sd.get("attach_metadata") or {}) - ATTACH_KEYS:
                out.append(f"{where}.attach_metadata: unknown field {key!r}")
    return out


def discovered_pods(rendered: list[dict]) -> list[tuple[str, list[dict]]]:
    """(workload, targets) as Kubernetes pod discovery would list one pod of each workload."""
    pods = []
    n = 0
    for doc in rendered:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        n += 1
        template = doc["spec"]["template"]
        name = f"{doc['metadata']['name']}-{n:04x}"
        ip = f"{POD_IP_PREFIX}{n}"
        common = {
            "__meta_kubernetes_namespace": doc["metadata"].get("namespace", "bilten"),
            "__meta_kubernetes_pod_name": name,
            "__meta_kubernetes_pod_ip": ip,
            "__meta_kubernetes_pod_phase": "Succeeded" if doc["kind"] == "Job" else "Running",
            "__meta_kubernetes_pod_ready": "false" if doc["kind"] == "Job" else "true",
        }
        for key, value in (template["metadata"].get("labels") or {}).items():
            common[f"__meta_kubernetes_pod_label_{sanitize(key)}"] = str(value)
            common[f"__meta_kubernetes_pod_labelpresent_{sanitize(key)}"] = "true"
        for key, value in (template["metadata"].get("annotations") or {}).items():
            common[f"__meta_kubernetes_pod_annotation_{sanitize(key)}"] = str(value)
            common[f"__meta_kubernetes_pod_annotationpresent_{sanitize(key)}"] = "true"
        targets = []
        for c in template["spec"]["containers"]:
            ports = c.get("ports") or []
            base = {**common, "__meta_kubernetes_pod_container_name": c["name"],
                    "__meta_kubernetes_pod_container_image": c.get("image", "")}
            if not ports:  # a container without ports: one target on the pod IP alone
                targets.append({**base, "__address__": ip})
            for port in ports:
                targets.append({**base, "__address__": f"{ip}:{port['containerPort']}",
                                "__meta_kubernetes_pod_container_port_name": port.get("name", ""),
                                "__meta_kubernetes_pod_container_port_number": str(port["containerPort"]),
                                "__meta_kubernetes_pod_container_port_protocol": port.get("protocol", "TCP")})
        pods.append((f"{doc['kind']}/{doc['metadata']['name']}", targets))
    return pods


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected_job(doc: dict) -> str | None:
    template = doc["spec"]["template"]
    annotations = template["metadata"].get("annotations") or {}
    if annotations.get("prometheus.io/scrape") != "true" or doc["kind"] == "Job":
        return None
    return annotations.get("prometheus.io/job") or f"bilten-{template['metadata']['labels']['app.kubernetes.io/name']}"


def main(root: Path) -> int:
    problems: list[str] = []
    config_path = root / "deploy/monitoring/prometheus-kubernetes.yml"
    config = yaml.safe_load(config_path.read_text())

    # 1. The Kubernetes SD blocks against the documented schema, and against the RBAC.
    problems += schema_problems(config)
    monitoring = [d for d in yaml.safe_load_all(subprocess.run(
        ["kubectl", "kustomize", str(root / "deploy/monitoring")], capture_output=True, text=True,
        check=True).stdout) if d]
    granted = {r["metadata"]["namespace"] for r in monitoring if r["kind"] == "Role"
               and any("pods" in rule.get("resources", []) and {"list", "watch"} <= set(rule.get("verbs", []))
                       for rule in r.get("rules", []))}
    for job in config.get("scrape_configs") or []:
        for sd in job.get("kubernetes_sd_configs") or []:
            for ns in (sd.get("namespaces") or {}).get("names") or ["(all)"]:
                if ns not in granted:
                    problems.append(f"job {job['job_name']}: discovers pods in namespace {ns}, "
                                    f"but no Role lets Prometheus list/watch pods there")
    if problems:
        for msg in problems:
            print(f"  {msg}")
        print(f"prometheus-kubernetes.yml: {len(problems)} problem(s)")
        return 1
    print("  kubernetes_sd_configs: documented schema OK, namespaces covered by the discovery Role")

    rendered = [d for d in yaml.safe_load_all(subprocess.run(
        ["kubectl", "kustomize", str(root / "deploy/k8s/overlays/production")], capture_output=True,
        text=True, check=True).stdout) if d]
    pods = discovered_pods(rendered)

    with tempfile.TemporaryDirectory(prefix="bilten-prom-") as tmp:
        work = Path(tmp)
        shutil.copy(root / "deploy/monitoring/alerts.yml", work / "alerts.yml")
        sd_jobs = []
        for job in config["scrape_configs"]:
            if "kubernetes_sd_configs" in job:
                job["file_sd_configs"] = [{"files": [str(work / "targets.json")]}]
                del job["kubernetes_sd_configs"]
                sd_jobs.append(job["job_name"])
        (work / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))

        # 2. Everything but the SD block through Prometheus' own loader.
        check = subprocess.run(["promtool", "check", "config", str(work / "prometheus.yml")],
                               capture_output=True, text=True, check=False)
        if check.returncode != 0:
            print(check.stdout + check.stderr)
            print("promtool check config (SD replaced by file_sd): FAILED")
            return 1
        print("  promtool check config (kubernetes_sd_configs replaced by file_sd_configs): SUCCESS")

        # 3. Real relabelling: only the discovered jobs, nothing that reaches off this machine
        #    (no Alertmanager, no static targets), scrapes once an hour.
        config["alerting"] = {"alertmanagers": []}
        config["rule_files"] = []
        config["global"]["scrape_interval"] = "1h"
        config["global"]["scrape_timeout"] = "1s"
        config["scrape_configs"] = [j for j in config["scrape_configs"] if j["job_name"] in sd_jobs]
        (work / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        groups = [{"targets": [t.pop("__address__")], "labels": t} for _, ts in pods for t in ts]
        (work / "targets.json").write_text(json.dumps(groups))
        port = free_port()
        server = subprocess.Popen(
            ["prometheus", f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=open(work / "prometheus.log", "w"), stderr=subprocess.STDOUT)
        try:
            active = dropped = None
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets?state=any", timeout=2) as r:
                        data = json.load(r)["data"]
                    active, dropped = data["activeTargets"], data["droppedTargets"]
                    if len(active) + len(dropped) == len(groups):
                        break
                except OSError:
                    pass
                if server.poll() is not None:
                    break
                time.sleep(0.3)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if active is None or len(active) + len(dropped) != len(groups):
            print((work / "prometheus.log").read_text()[-3000:])
            print(f"prometheus never listed all {len(groups)} discovered targets")
            return 1

    by_pod: dict[str, list[dict]] = {}
    for t in active:
        by_pod.setdefault(t["discoveredLabels"]["__meta_kubernetes_pod_name"], []).append(t)
    jobs_seen = set()
    lines = []
    for (workload, targets), doc in zip(pods, [d for d in rendered if d["kind"] in ("Deployment", "Job")]):
        pod = targets[0]["__meta_kubernetes_pod_name"]
        got = by_pod.get(pod, [])
        want = expected_job(doc)
        if want is None:
            if got:
                problems.append(f"{workload}: scraped as {[t['labels'].get('job') for t in got]}, expected no target")
            continue
        if len(got) != 1:
            problems.append(f"{workload}: {len(got)} targets, expected exactly 1 (the `metrics` port)")
            continue
        labels = got[0]["labels"]
        jobs_seen.add(labels["job"])
        if labels["job"] != want:
            problems.append(f"{workload}: job {labels['job']!r}, expected {want!r}")
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        ip = targets[0]["__meta_kubernetes_pod_ip"]
        if got[0]["scrapeUrl"] != f"http://{ip}:{annotations['prometheus.io/port']}{annotations.get('prometheus.io/path', '/metrics')}":
            problems.append(f"{workload}: scrape URL {got[0]['scrapeUrl']} is not the annotated port/path")
        if labels.get("instance") != pod:
            problems.append(f"{workload}: instance {labels.get('instance')!r}, expected the pod name")
        lines.append(f"  {workload}: job={labels['job']} {got[0]['scrapeUrl'].replace(ip, '<pod-ip>')}")

    # The jobs must be the ones the alerts and the Compose configuration use.
    compose = yaml.safe_load((root / "deploy/monitoring/prometheus.yml").read_text())
    compose_jobs = {j["job_name"] for j in compose["scrape_configs"]} - {"prometheus", "alertmanager"}
    if jobs_seen != compose_jobs:
        problems.append(f"jobs in Kubernetes {sorted(jobs_seen)} differ from Compose's {sorted(compose_jobs)}")
    alerts = (root / "deploy/monitoring/alerts.yml").read_text()
    for job in set(re.findall(r'job="([^"]+)"', alerts)):
        if job not in jobs_seen:
            problems.append(f"alerts.yml matches job {job!r}, which no Kubernetes target has")
    if not any(j.startswith("bilten-") for j in jobs_seen):
        problems.append("no bilten-* job: BiltenInstanceDown (up{job=~\"bilten-.*\"}) would match nothing")

    print("\n".join(lines))
    for msg in problems:
        print(f"  {msg}")
    print(f"relabelled by prometheus: {len(active)} active, {len(dropped)} dropped targets, "
          f"jobs {', '.join(sorted(jobs_seen))}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
