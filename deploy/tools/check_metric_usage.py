#!/usr/bin/env python3
"""Check that alerts and dashboards only use metrics that exist.

* Every metric name in the PromQL of deploy/monitoring/alerts.yml and of the
  Grafana dashboards is either listed in deploy/monitoring/metric-names.txt
  (names the `bilten` binary exports; `_bucket/_sum/_count` of a listed
  histogram count as listed) or one of the exporters' names below.
* Every name in metric-names.txt belongs to the metric contract of the code
  and is used by at least one alert or panel.
* Every alert has a runbook section (a heading with its name) in
  docs/OPERATIONS.md.

Usage: check_metric_usage.py REPO_ROOT
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

# The metric contract of the Rust code (what `bilten` exports).
CONTRACT = {
    "http_requests_total", "http_request_duration_seconds", "bilten_db_pool_connections",
    "bilten_db_pool_max_connections", "bilten_outbox_pending", "bilten_emails_sent_total",
    "bilten_tickets_sold_total", "bilten_orders_total", "bilten_holds_expired_total",
    "bilten_checkins_total", "bilten_rate_limited_total", "bilten_upstream_healthy",
    "bilten_build_info", "bilten_cache_errors_total",
}
# Produced by Prometheus itself and by postgres-exporter / redis-exporter.
EXTERNAL = {"up", "pg_up", "redis_up"}
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
                "group_left", "group_right", "inf", "nan"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def metric_names(expr: str) -> set[str]:
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)          # strings
    e = re.sub(r"\{[^}]*\}", " ", e)                       # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                      # range selectors
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\w+", " ", e)                           # template variables
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", e):
        word = m.group(1)
        if word.lower() in PROMQL_WORDS or re.fullmatch(r"\d+[smhdwy]?", word):
            continue
        names.add(word)
    return names


def base_name(name: str, listed: set[str]) -> str:
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in listed:
            return name[: -len(suffix)]
    return name


def main(root: Path) -> int:
    mon = root / "deploy" / "monitoring"
    problems: list[str] = []
    listed = {l.strip() for l in (mon / "metric-names.txt").read_text().splitlines() if l.strip()}

    exprs: list[tuple[str, str]] = []
    alerts = yaml.safe_load((mon / "alerts.yml").read_text())
    alert_names = []
    for group in alerts["groups"]:
        for rule in group["rules"]:
            exprs.append((f"alert {rule.get('alert', rule.get('record'))}", rule["expr"]))
            if "alert" in rule:
                alert_names.append(rule["alert"])

    for dash_file in sorted((mon / "grafana" / "dashboards").glob("*.json")):
        dash = json.loads(dash_file.read_text())

        def walk(panels):
            for p in panels:
                for t in p.get("targets", []):
                    if "expr" in t:
                        exprs.append((f"{dash_file.name}: {p.get('title')}", t["expr"]))
                walk(p.get("panels", []))

        walk(dash.get("panels", []))
        for var in dash.get("templating", {}).get("list", []):
            q = var.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.search(r"label_values\((\w+)", q or "")
            if m:
                exprs.append((f"{dash_file.name}: variable {var.get('name')}", m.group(1)))

    used: set[str] = set()
    for where, expr in exprs:
        for name in metric_names(expr):
            name = base_name(name, listed)
            if name in EXTERNAL:
                continue
            if name not in listed:
                problems.append(f"{where}: metric {name} is not in metric-names.txt")
            used.add(name)

    for name in sorted(listed - CONTRACT):
        problems.append(f"metric-names.txt: {name} is not exported by the bilten binary")
    for name in sorted(listed - used):
        problems.append(f"metric-names.txt: {name} is used by no alert or panel")

    ops = root / "docs" / "OPERATIONS.md"
    headings = set(re.findall(r"^#+\s+(\S+)", ops.read_text(), re.M)) if ops.exists() else set()
    for a in alert_names:
        if a not in headings:
            problems.append(f"alert {a} has no runbook section in docs/OPERATIONS.md")

    for p in problems:
        print(f"  {p}")
    print(f"{len(exprs)} expressions, {len(used)} bilten metrics, {len(alert_names)} alerts: "
          f"{'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
