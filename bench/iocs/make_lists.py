#!/usr/bin/env python3
"""Synthetic indicator lists for bench/iocs/run.sh (no real indicators).

  make_lists.py c2 N OUT       N network indicators, one a line, signature-base
                               c2 style: about 60% domains, 25% IPv4 (some
                               IPv6 and CIDR), 15% URLs, a few duplicates.
  make_lists.py hash N OUT     N hash lines "HASH;DESCRIPTION" (MD5, SHA-1,
                               SHA-256 mixed), a few duplicates.
Deterministic (seeded), so every run measures the same lists.
"""
import hashlib
import random
import sys

TLDS = ["com", "net", "org", "info", "io", "ru", "cn", "xyz", "top", "biz", "de", "co.uk"]
SYL = ["ka", "zo", "mi", "tra", "wel", "on", "ex", "up", "dat", "cdn", "sync", "pro",
       "lo", "net", "fi", "ver", "sec", "cor", "ta", "bel", "qu", "ix", "ar", "mon"]


def label(rng):
    return "".join(rng.choice(SYL) for _ in range(rng.randint(2, 5))) + str(rng.randint(0, 999))


def domain(rng):
    parts = [label(rng)]
    if rng.random() < 0.3:
        parts.insert(0, rng.choice(["www", "api", "cdn", "mail", "update", label(rng)]))
    return ".".join(parts) + "." + rng.choice(TLDS)


def network(rng, i):
    r = rng.random()
    if r < 0.60:
        d = domain(rng)
        return d.replace(".", "[.]", 1) if rng.random() < 0.1 else d
    if r < 0.83:
        # Public-looking IPv4 (first octet 11..223, never a catch-all).
        return "%d.%d.%d.%d" % (rng.randint(11, 223), rng.randint(0, 255),
                                rng.randint(0, 255), rng.randint(1, 254))
    if r < 0.84:
        return "2001:db8:%x:%x::%x" % (rng.randint(0, 0xffff), rng.randint(0, 0xffff),
                                       rng.randint(1, 0xffff))
    if r < 0.85:
        return "%d.%d.%d.0/24" % (rng.randint(11, 223), rng.randint(0, 255), rng.randint(0, 255))
    scheme = rng.choice(["http", "https", "hxxp"])
    return "%s://%s/%s/%s.php?id=%d" % (scheme, domain(rng), label(rng), label(rng), i)


def hash_line(rng, i):
    h = hashlib.sha256(b"trawl-bench-%d" % i).hexdigest()
    kind = i % 3
    value = h[:32] if kind == 0 else h[:40] if kind == 1 else h
    return "%s;synthetic sample %d" % (value, i)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("c2", "hash"):
        sys.exit(__doc__)
    what, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(11 * n + (1 if what == "c2" else 2))
    make = network if what == "c2" else hash_line
    with open(out, "w") as f:
        f.write("# synthetic %s indicators for bench/iocs (not real)\n" % what)
        lines = []
        for i in range(n):
            # One in a thousand lines repeats an earlier one (duplicates are counted).
            if lines and rng.random() < 0.001:
                f.write(rng.choice(lines) + "\n")
                continue
            line = make(rng, i)
            if len(lines) < 10000:
                lines.append(line)
            f.write(line + "\n")


if __name__ == "__main__":
    main()
