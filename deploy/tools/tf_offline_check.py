#!/usr/bin/env python3
"""Offline checks of a Terraform module that `terraform validate` would do
with provider schemas, as far as they can be done without them.

`terraform validate` needs the provider plugins, which `terraform init`
downloads from the Terraform registry; this machine reaches no such registry.
What this script checks instead, with a real HCL2 parser (python-hcl2):

* every file parses;
* every `var.X`, `local.X`, `data.T.N` and resource reference `T.N` resolves
  to a declaration in the module; every declared variable is used;
* every resource/data type's provider is in `required_providers`;
* no variable whose name says it is a secret has a default, and such
  variables are marked sensitive;
* the module's promises hold: encrypted RDS, Redis with AUTH and TLS, ALB
  health checks, CloudFront caching /static/*.

Usage: tf_offline_check.py MODULE_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import hcl2


def unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def strip_comments(text: str) -> str:
    """Remove # and // line comments and /* */ blocks, leaving strings intact."""
    out, i, n = [], 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main(module: Path) -> int:
    problems: list[str] = []
    files = sorted(module.glob("*.tf"))
    if not files:
        print(f"no .tf files in {module}")
        return 1

    variables: dict[str, dict] = {}
    locals_: set[str] = set()
    resources: dict[tuple[str, str], dict] = {}
    datas: set[tuple[str, str]] = set()
    providers: set[str] = set()
    texts: dict[Path, str] = {}

    for f in files:
        try:
            doc = hcl2.load(f.open())
        except Exception as exc:  # the parser raises several exception types
            problems.append(f"{f.name}: does not parse: {exc}")
            continue
        texts[f] = strip_comments(f.read_text())
        for block in doc.get("variable", []):
            for name, body in block.items():
                variables[unquote(name)] = body
        for block in doc.get("locals", []):
            locals_.update(k for k in block if not k.startswith("__"))
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                for rname, body in named.items():
                    resources[(unquote(rtype), unquote(rname))] = body
        for block in doc.get("data", []):
            for dtype, named in block.items():
                for dname in named:
                    datas.add((unquote(dtype), unquote(dname)))
        for tf in doc.get("terraform", []):
            for rp in tf.get("required_providers", []):
                providers.update(k for k in rp if not k.startswith("__"))

    text = "\n".join(texts.values())
    used_vars = set(re.findall(r"\bvar\.([A-Za-z_][\w-]*)", text))
    for v in sorted(used_vars - variables.keys()):
        problems.append(f"reference to undeclared variable var.{v}")
    for v in sorted(variables.keys() - used_vars):
        problems.append(f"variable {v} is declared but never used")

    for name in sorted(set(re.findall(r"\blocal\.([A-Za-z_]\w*)", text)) - locals_):
        problems.append(f"reference to undeclared local.{name}")

    for dtype, dname in sorted(set(re.findall(r"\bdata\.([a-z0-9_]+)\.([A-Za-z_][\w-]*)", text)) - datas):
        problems.append(f"reference to undeclared data.{dtype}.{dname}")

    prefixes = "|".join(sorted(re.escape(p) for p in providers)) or "aws"
    ref_re = re.compile(rf"(?<![\w.\"])((?:{prefixes})_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
    for rtype, rname in sorted(set(ref_re.findall(text))):
        if (rtype, rname) not in resources:
            problems.append(f"reference to undeclared resource {rtype}.{rname}")

    for rtype, _ in list(resources) + list(datas):
        if rtype.split("_", 1)[0] not in providers:
            problems.append(f"{rtype}: provider {rtype.split('_', 1)[0]} missing from required_providers")

    for name, body in variables.items():
        if re.search(r"(password|secret|token|private_key)", name) and not name.endswith("_arn"):
            if "default" in body:
                problems.append(f"variable {name} looks secret but has a default")
            if body.get("sensitive") is not True:
                problems.append(f"variable {name} looks secret but is not sensitive")

    def attr(rtype: str, rname: str, key: str):
        return resources.get((rtype, rname), {}).get(key)

    promises = [
        (any(t == "aws_db_instance" and b.get("storage_encrypted") is True for (t, _), b in resources.items())
         and all(b.get("storage_encrypted") is True for (t, _), b in resources.items() if t == "aws_db_instance"),
         "every aws_db_instance has storage_encrypted = true"),
        (any(t == "aws_db_instance" and "replicate_source_db" in b for (t, _), b in resources.items()),
         "a read replica (replicate_source_db) exists"),
        (all(b.get("transit_encryption_enabled") is True and "auth_token" in b
             for (t, _), b in resources.items() if t == "aws_elasticache_replication_group")
         and any(t == "aws_elasticache_replication_group" for t, _ in resources),
         "ElastiCache has transit encryption and an auth token"),
        (all(b.get("health_check") for (t, _), b in resources.items() if t == "aws_lb_target_group")
         and any(t == "aws_lb_target_group" for t, _ in resources),
         "every ALB target group has a health_check"),
        ("/static/*" in text and any(t == "aws_cloudfront_distribution" for t, _ in resources),
         "CloudFront distribution with a /static/* cache behaviour"),
        (attr("aws_db_instance", "primary", "multi_az") == "${var.db_multi_az}",
         "RDS multi-AZ is driven by a variable"),
    ]
    for ok, what in promises:
        if not ok:
            problems.append(f"promise not kept: {what}")

    for p in problems:
        print(f"  {p}")
    print(f"{len(files)} files, {len(resources)} resources, {len(datas)} data sources, "
          f"{len(variables)} variables: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
