#!/usr/bin/python3
"""Scores one run against the corpus ground truth.

usage: evaluate.py CORPUS trawl HITS.tsv        (FILE LINE INDICATOR, from trawl_logbench)
       evaluate.py CORPUS lines NAME OUTPUT     (rg/grep -n output: PATH:LINE:TEXT)
trawl is scored per (file, line, indicator); rg and grep, which cannot tell
which indicator matched, per line. Prints one JSON object.
"""
import json
import os
import re
import sys


def key(value):
    v = value.strip().lower()
    v = re.sub(r"^[a-z]+://", "", v)
    return v.rstrip("/")


def base(name):
    name = os.path.basename(name)
    return name[:-3] if name.endswith(".gz") else name


def main():
    corpus, mode = sys.argv[1], sys.argv[2]
    truth = set()
    for l in open(os.path.join(corpus, "truth.tsv")):
        f, n, k = l.rstrip("\n").split("\t")
        truth.add((f, int(n), k))
    decoys = set()
    for l in open(os.path.join(corpus, "decoys.tsv")):
        f, n = l.rstrip("\n").split("\t")
        decoys.add((f, int(n)))
    truth_lines = {(f, n) for f, n, _ in truth}
    if mode == "trawl":
        got = set()
        for l in open(sys.argv[3]):
            f, n, v = l.rstrip("\n").split("\t", 2)
            got.add((base(f), int(n), key(v)))
        tp = len(got & truth)
        out = {"tool": "trawl", "hits": len(got), "truth": len(truth), "true_pos": tp,
               "precision": round(tp / len(got), 6) if got else None,
               "recall": round(tp / len(truth), 6) if truth else None,
               "decoy_hits": len({(f, n) for f, n, _ in got} & decoys),
               "false": sorted(got - truth)[:10], "missed": sorted(truth - got)[:10]}
    else:
        name, path = sys.argv[3], sys.argv[4]
        got = set()
        for l in open(path, "rb"):
            parts = l.split(b":", 2)
            if len(parts) < 3:
                continue
            got.add((base(parts[0].decode()), int(parts[1])))
        tp = len(got & truth_lines)
        out = {"tool": name, "lines": len(got), "truth_lines": len(truth_lines), "true_lines": tp,
               "precision": round(tp / len(got), 6) if got else None,
               "recall": round(tp / len(truth_lines), 6) if truth_lines else None,
               "decoy_hits": len(got & decoys), "decoy_lines": len(decoys),
               "other_false": len(got - truth_lines - decoys)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
