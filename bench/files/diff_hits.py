#!/usr/bin/env python3
"""Differential check of YARA hits, file for file and rule for rule.

Usage: diff_hits.py RULES_LIST ROUTED.jsonl EXACT.jsonl YARA.txt
  RULES_LIST   the rule files, one a line, in the order given to yara (ns0, ns1, ...)
  ROUTED.jsonl trawl scan --json (routing on), EXACT.jsonl the same with --yara-exact
  YARA.txt     `yara -e -r ...` output ("nsI:rule path" lines)
Prints two verdicts:
  routed == exact (all rules): routing must never change a hit;
  exact == yara -r, leaving out rules whose condition uses a per-file
  external (filename, filepath, extension, filetype, owner): trawl sets them
  per file as LOKI does, `yara -r` can only give one value for all files.
Exit 0 when both hold, 1 otherwise.
"""
import json
import re
import sys


def trawl_hits(path):
    hits = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") != "finding" or rec.get("module") != "file":
                continue
            for r in rec.get("reasons", []):
                if r.get("kind") == "yara":
                    hits.add((rec["path"], r["source"], r["indicator"]))
    return hits


def rules_with_externals(files):
    """(rule file, rule) pairs whose condition names a per-file external."""
    out = set()
    ext = re.compile(r"(?<![\w.$#@!])(filename|filepath|extension|filetype|owner)\b")
    rule = re.compile(r"^\s*(?:(?:private|global)\s+)*rule\s+(\w+)", re.M)
    for path in files:
        text = open(path, encoding="utf-8", errors="replace").read()
        starts = [(m.start(), m.group(1)) for m in rule.finditer(text)]
        for i, (pos, name) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
            body = text[pos:end]
            cond = body.find("condition:")
            if cond >= 0 and ext.search(body[cond:]):
                out.add((path, name))
    return out


def main():
    files = [l.strip() for l in open(sys.argv[1]) if l.strip()]
    routed = trawl_hits(sys.argv[2])
    exact = trawl_hits(sys.argv[3])
    yara = set()
    with open(sys.argv[4], encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"ns(\d+):(\S+) (.*)$", line)
            if m:
                yara.add((m.group(3), files[int(m.group(1))], m.group(2)))
    skip = rules_with_externals(files)
    ok1 = routed == exact
    e2 = {h for h in exact if (h[1], h[2]) not in skip}
    y2 = {h for h in yara if (h[1], h[2]) not in skip}
    ok2 = e2 == y2
    print(f"hits: routed {len(routed)}, exact {len(exact)}, yara -r {len(yara)}")
    print(f"hits equal, trawl routed vs trawl --yara-exact (all rules): {'yes' if ok1 else 'no'}")
    print(f"hits equal, trawl vs yara -r ({len(skip)} rules with per-file externals left out, "
          f"{len(e2)} hits compared): {'yes' if ok2 else 'no'}")
    for name, a, b in (("routed-only", routed, exact), ("exact-only", exact, routed),
                       ("trawl-only", e2, y2), ("yara-only", y2, e2)):
        for h in sorted(a - b)[:10]:
            print(f"  {name}: {h[0]} {h[1]}:{h[2]}")
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
