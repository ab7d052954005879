#!/usr/bin/env python3
"""Best-effort offline check of deploy/azure/main.bicep.

The Bicep compiler (`bicep build`, `az bicep build`) is distributed through
NuGet and GitHub releases, neither of which this machine reaches, so the
template cannot be compiled here. Instead:

* pycep-parser (PyPI), a grammar-based Bicep parser, must parse the file —
  this catches syntax errors (missing braces/colons, bad decorators, broken
  expressions);
* every declared parameter and variable is used;
* every parameter without a default is supplied by the parameter file, every
  parameter in the parameter file is declared, and every @secure() parameter
  is supplied there as a Key Vault reference, never as a literal;
* no output mentions a @secure() parameter;
* every secret-carrying app setting is a Key Vault reference;
* all four roles run, each as its own web app (`Microsoft.Web/sites`) on image
  bilten/<role> with PORT and WEBSITES_PORT equal to the role's container port,
  `healthCheckPath: '/health'`, a system-assigned identity, and a "Key Vault
  Secrets User" role assignment for that identity (else its Key Vault
  references never resolve);
* the gateway app's GATEWAY_UPSTREAMS_BACKEND, _SCANNER and _FRONTEND are each
  the https:// address of the app that runs that role
  (`https://${<app>.properties.defaultHostName}`): App Service reaches an app
  only through its HTTPS front end, routed by host name, and the gateway sends
  an https upstream its own host name.

Usage: bicep_check.py TEMPLATE.bicep PARAMETERS.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pycep import BicepParser

SECRET_SETTINGS = {
    "DATABASE_URL", "DATABASE_READ_URL", "REDIS_PASSWORD", "JWT_ACCESS_SECRET",
    "JWT_REFRESH_SECRET", "SMTP_PASS", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
}

# The container port of each role's image (Dockerfile): App Service must send traffic there.
ROLE_PORTS = {"gateway": "8080", "frontend": "8000", "backend": "3001", "scanner": "3002"}


def resource_blocks(body: str, rtype: str) -> dict[str, str]:
    """symbol -> text of each `resource <symbol> '<rtype>@…' = {…}` (braces balanced)."""
    blocks = {}
    for m in re.finditer(rf"resource\s+(\w+)\s+'{re.escape(rtype)}@[^']+'\s*=\s*(?:if\s*\([^)]*\)\s*)?\{{", body):
        depth, i = 1, m.end()
        while depth and i < len(body):
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        blocks[m.group(1)] = body[m.start():i]
    return blocks


def role_apps(sites: dict[str, str], role: str) -> list[tuple[str, str]]:
    """(symbol, block) of each web app that runs bilten/<role>."""
    return [(sym, b) for sym, b in sites.items()
            if re.search(rf"linuxFxVersion:\s*'DOCKER\|[^']*/bilten/{role}:", b)]


def gateway_upstream_problems(sites: dict[str, str]) -> list[str]:
    gateways = role_apps(sites, "gateway")
    if len(gateways) != 1:
        return []  # role_problems names it
    sym, block = gateways[0]
    out = []
    for role in ("backend", "scanner", "frontend"):
        setting = f"GATEWAY_UPSTREAMS_{role.upper()}"
        apps = role_apps(sites, role)
        m = re.search(rf"name:\s*'{setting}'\s*,\s*value:\s*'([^']*)'", block)
        if not m:
            out.append(f"gateway ({sym}): {setting} is missing")
        elif len(apps) == 1 and m.group(1) != f"https://${{{apps[0][0]}.properties.defaultHostName}}":
            out.append(f"gateway ({sym}): {setting} is '{m.group(1)}', expected the {role} app's "
                       f"address 'https://${{{apps[0][0]}.properties.defaultHostName}}'")
    return out


def role_problems(body: str) -> list[str]:
    out = []
    sites = resource_blocks(body, "Microsoft.Web/sites")
    for role, port in ROLE_PORTS.items():
        apps = role_apps(sites, role)
        if len(apps) != 1:
            out.append(f"role {role}: no web app runs bilten/{role}" if not apps
                       else f"role {role}: {len(apps)} web apps run bilten/{role}")
            continue
        sym, block = apps[0]
        for setting in ("PORT", "WEBSITES_PORT"):
            m = re.search(rf"name:\s*'{setting}'\s*,\s*value:\s*'([^']*)'", block)
            if not m or m.group(1) != port:
                out.append(f"role {role} ({sym}): {setting} is {m.group(1) if m else 'missing'}, "
                           f"expected {port}")
        if "healthCheckPath: '/health'" not in block:
            out.append(f"role {role} ({sym}): healthCheckPath must be '/health'")
        if "type: 'SystemAssigned'" not in block:
            out.append(f"role {role} ({sym}): needs a system-assigned identity")
        if not re.search(rf"principalId:\s*{sym}\.identity\.principalId", body):
            out.append(f"role {role} ({sym}): no role assignment lets its identity read the Key Vault")
    return out + gateway_upstream_problems(sites)


def main(template: Path, params_file: Path) -> int:
    problems: list[str] = []
    try:
        doc = BicepParser().parse(file_path=template)
    except Exception as exc:  # lark raises several exception types
        print(f"  {template}: does not parse:\n{exc}")
        return 1
    text = template.read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))

    params = doc.get("parameters") or {}
    variables = doc.get("variables") or {}
    outputs = doc.get("outputs") or {}
    secure = {n for n, p in params.items() if any(d.get("type") == "secure" for d in p.get("decorators", []))}

    for kind, names in (("parameter", params), ("variable", variables)):
        for n in names:
            if len(re.findall(rf"(?<![\w.'-]){re.escape(n)}\b", body)) < 2:
                problems.append(f"{kind} {n} is declared but never used")

    supplied = json.loads(params_file.read_text()).get("parameters", {})
    for n, p in params.items():
        if p.get("default") is None and n not in supplied:
            problems.append(f"parameter {n} has no default and is missing from {params_file.name}")
    for n, v in supplied.items():
        if n not in params:
            problems.append(f"{params_file.name} sets undeclared parameter {n}")
        elif n in secure and "reference" not in v:
            problems.append(f"secure parameter {n} must come from a Key Vault reference in {params_file.name}")

    for n, o in outputs.items():
        for s in secure:
            if re.search(rf"\b{re.escape(s)}\b", json.dumps(o.get("value"), default=str)):
                problems.append(f"output {n} exposes secure parameter {s}")

    for name, value in re.findall(r"\{\s*name:\s*'([A-Z_]+)'\s*,\s*value:\s*([^}]+?)\s*\}", body):
        if name in SECRET_SETTINGS and not value.startswith("kvRef."):
            problems.append(f"app setting {name} is not a Key Vault reference: {value}")
    settings = set(re.findall(r"name:\s*'([A-Z_]+)'", body))
    for missing in sorted(SECRET_SETTINGS - settings):
        problems.append(f"app setting {missing} is missing")

    problems += role_problems(body)

    for p in problems:
        print(f"  {p}")
    print(f"{len(params)} parameters ({len(secure)} secure), {len(variables)} variables, "
          f"{len(doc.get('resources') or {})} resources, {len(outputs)} outputs: "
          f"{'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
