#!/usr/bin/env python3
"""A fresh feed for the retro benchmark: N hash indicators (random, plus a few
planted digests taken from the inventory so retro has something to find) and
M network indicators (random domains, IPv4s, CIDRs, URLs, plus planted
contacts). Usage: make_feed.py INVENTORY.db OUT_DIR [N_HASH] [N_NET]"""
import os, random, sqlite3, sys

db, out = sys.argv[1], sys.argv[2]
n_hash = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
n_net = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
rng = random.Random(16)
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
planted_h = [r[0] for r in con.execute(
    "SELECT sha256 FROM files WHERE sha256 IS NOT NULL ORDER BY path LIMIT 10")]
planted_n = [r[0] for r in con.execute(
    "SELECT value FROM contacts WHERE kind='domain' ORDER BY value LIMIT 10")]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "hash-iocs.txt"), "w") as f:
    for h in planted_h:
        f.write(f"{h};planted\n")
    for i in range(n_hash - len(planted_h)):
        k = (32, 40, 64)[i % 3]
        f.write("%0*x;random\n" % (k, rng.getrandbits(4 * k)))
with open(os.path.join(out, "c2-iocs.txt"), "w") as f:
    for d in planted_n:
        f.write(f"{d}\n")
    for i in range(n_net - len(planted_n)):
        r = i % 4
        if r == 0:
            f.write("%s%d.example-c2.net\n" % ("".join(rng.choice("abcdefghij") for _ in range(8)), i))
        elif r == 1:
            f.write("198.%d.%d.%d\n" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)))
        elif r == 2:
            f.write("100.%d.%d.0/24\n" % (rng.randrange(64, 128), rng.randrange(256)))
        else:
            f.write("https://cdn%d.bad-updates.org/p/%d\n" % (i, i))
print(f"feed: {n_hash} hashes ({len(planted_h)} planted), {n_net} network ({len(planted_n)} planted)")
