#!/usr/bin/python3
"""deploy/velociraptor/Trawl.Scan.yaml (issue 17): well-formed YAML with the
artifact schema's required keys. There is no Velociraptor binary here, so the
VQL itself is not run; the test checks what can be checked without one: the
keys Velociraptor requires (name, description, sources with a query), the
tool the query fetches is declared under tools, every parameter the query
uses is declared (and every declared one is used), and the rows come from the
JSON Lines trawl writes."""
import re
import sys

import yaml

path = sys.argv[1]
errors = []
with open(path, encoding="utf-8") as f:
    doc = yaml.safe_load(f)

def need(cond, msg):
    if not cond:
        errors.append(msg)

need(isinstance(doc, dict), "top level is not a mapping")
for key, typ in (("name", str), ("description", str), ("tools", list), ("parameters", list),
                 ("sources", list)):
    need(isinstance(doc.get(key), typ), f"{key}: missing or not a {typ.__name__}")
need(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+", doc.get("name", "")) is not None,
     "name is not a dotted artifact name")
need(doc.get("name") + ".yaml" == path.rsplit("/", 1)[-1], "file name is not NAME.yaml")
need(doc.get("type", "CLIENT") in ("CLIENT", "SERVER", "CLIENT_EVENT", "SERVER_EVENT", "NOTEBOOK"),
     "type is not an artifact type")
known = {"name", "description", "author", "type", "required_permissions", "tools", "parameters",
         "precondition", "sources", "reference", "imports", "export", "column_types", "resources",
         "implied_permissions"}
need(not set(doc) - known, f"unknown top-level keys {sorted(set(doc) - known)}")

tools = [t.get("name") for t in doc.get("tools", []) if isinstance(t, dict)]
need(tools and all(isinstance(t, str) and t for t in tools), "every tool needs a name")
params = {}
for p in doc.get("parameters", []):
    need(isinstance(p, dict) and isinstance(p.get("name"), str), f"parameter without a name: {p}")
    if isinstance(p, dict):
        params[p.get("name")] = p
        need(p.get("type", "string") in ("string", "int", "bool", "csv", "json", "json_array",
                                         "timestamp", "regex", "yara", "upload", "choices",
                                         "artifactset", "hidden", "int64", "float"),
             f"parameter {p.get('name')}: unknown type {p.get('type')}")
queries = []
for s in doc.get("sources", []):
    need(isinstance(s, dict) and isinstance(s.get("query"), str) and s["query"].strip(),
         f"source without a query: {s}")
    if isinstance(s, dict) and isinstance(s.get("query"), str):
        queries.append(s["query"])
vql = "\n".join(queries)
for t in re.findall(r'ToolName\s*=\s*"([^"]+)"', vql):
    need(t in tools, f"query fetches tool {t} not declared under tools")
need(re.search(r'ToolName\s*=\s*"', vql) is not None, "query never fetches the trawl tool")
for name in params:
    need(re.search(r"\b" + re.escape(name) + r"\b", vql) is not None, f"parameter {name} unused")
need("parse_jsonl(" in vql, "rows do not come from trawl's JSON Lines")
need("--json" in vql and '"scan"' in vql, "query does not run trawl scan --json")
need("execve(" in vql and "EXECVE" in doc.get("required_permissions", []),
     "execve without the EXECVE permission")
# Brackets and quotes balance in each query (a cheap well-formedness check).
for q in queries:
    stripped = re.sub(r'"[^"\n]*"', '""', q)
    for o, c in ("()", "[]", "{}"):
        need(stripped.count(o) == stripped.count(c), f"unbalanced {o}{c} in a query")

if errors:
    for e in errors:
        print(f"{path}: {e}", file=sys.stderr)
    sys.exit(1)
print(f"{path}: ok ({len(params)} parameters, {len(queries)} source(s), tools {tools})")
