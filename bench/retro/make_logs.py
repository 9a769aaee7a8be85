#!/usr/bin/env python3
"""A synthetic syslog for the contact index: LINES lines naming DISTINCT
hosts, addresses and URLs. Usage: make_logs.py OUT [LINES] [DISTINCT]"""
import random, sys

out = sys.argv[1]
lines = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
distinct = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
rng = random.Random(7)
hosts = ["h%d.svc%d.example.com" % (i, i % 97) for i in range(distinct)]
with open(out, "w") as f:
    for n in range(lines):
        h = hosts[rng.randrange(distinct)]
        ip = "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
        t = "Mar %2d %02d:%02d:%02d" % (1 + n * 28 // lines, n % 24, n % 60, n % 60)
        f.write(f"{t} web01 app[{n % 999}]: GET https://{h}/api/v{n % 3} from {ip} ok\n")
