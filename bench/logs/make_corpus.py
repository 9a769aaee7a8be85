#!/usr/bin/python3
"""Makes the log-sweep benchmark corpus (>= 1 GB) with ground truth.

Lines of ../shared/data/logs (data lines only, and only those that contain no
indicator text at all, case-insensitively) are mixed at random with planted
contacts and decoys:
  contacts: a C2 domain as is, in random case, as a subdomain, defanged
            ("[.]", "(.)", "[dot]"), percent-encoded in a URL, in Windows DNS
            debug form; the GitHub repository URL and its raw.githubusercontent.com
            form; C2 IPv4 addresses bare, with a port, in tcpdump form; an
            address of a CIDR indicator.
  decoys:   "not" + domain, domain + "unity", domain + ".example.net", "x-" +
            domain, IP text inside a longer number, an address outside the CIDR,
            a look-alike GitHub host: each contains an indicator's text, none is
            a contact.
Indicators: signature-base's c2-iocs.txt plus planted-iocs.txt written here.

Writes into OUT (default bench/corpus/logs):
  plain/mixed-NN.log      the logs
  c2-iocs.txt             a copy of signature-base's list (the loader picks the
                          format by the "c2" in the name)
  planted-iocs.txt        extra indicators (plain list: domain, URL, IP, CIDR)
  patterns.txt            fixed strings for rg/grep (every indicator's text; the
                          CIDR as its /24 prefix "198.51.100.")
  truth.tsv               FILE LINE KEY for every contact (KEY = normalised indicator)
  decoys.tsv              FILE LINE for every decoy line
usage: make_corpus.py [--out DIR] [--mb TOTAL_MB] [--files N] [--seed S]
"""
import argparse
import ipaddress
import os
import random
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
C2 = os.path.join(SHARED, "signature-base", "iocs", "c2-iocs.txt")
LOGS = os.path.join(SHARED, "logs")

PLANTED_DOMAIN = "akamaicontainer.com"
PLANTED_URL = "https://github.com/IconStorages/images"
PLANTED_IP = "203.0.113.77"
PLANTED_CIDR = "198.51.100.0/24"


def key(value):
    """Normalised indicator key, as evaluate.py computes it from trawl's output."""
    v = value.strip().lower()
    v = re.sub(r"^[a-z]+://", "", v)
    return v.rstrip("/")


def load_c2():
    domains, ips = [], []
    for line in open(C2, encoding="utf-8", errors="replace"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        v = line.split(";")[0].strip().lower().rstrip(".")
        if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", v):
            ips.append(v)
        elif v:
            domains.append(v)
    return domains, ips


def base_lines(needles):
    pat = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)),
                     re.IGNORECASE)
    lines = []
    for dirpath, _, files in os.walk(LOGS):
        for f in sorted(files):
            if f in ("LICENSE", "COPYING"):
                continue
            for raw in open(os.path.join(dirpath, f), "rb"):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line or line.startswith("#") or pat.search(line):
                    continue
                lines.append(line)
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "corpus", "logs"))
    ap.add_argument("--mb", type=int, default=1100)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rnd = random.Random(args.seed)

    domains, ips = load_c2()
    domain_set = set(domains) | {PLANTED_DOMAIN}
    ip_set = set(ips) | {PLANTED_IP}
    cidr = ipaddress.ip_network(PLANTED_CIDR)
    needles = set(domains) | set(ips) | {PLANTED_DOMAIN, PLANTED_IP, "198.51.100.",
                                         "iconstorages", "github.com/iconstorages"}
    for fixed in ("93.184.216.34", "192.0.2.53"):
        assert fixed not in ip_set
    pool = base_lines(needles)
    print(f"base lines: {len(pool)}; c2 domains {len(domains)}, ips {len(ips)}", file=sys.stderr)

    def domain_hits(host):
        """Every domain indicator a host name matches (itself or a parent)."""
        h = host.lower().rstrip(".")
        labels = h.split(".")
        return {".".join(labels[i:]) for i in range(len(labels)) if ".".join(labels[i:]) in domain_set}

    def ip_hits(ip):
        out = set()
        if ip in ip_set:
            out.add(ip)
        if ipaddress.ip_address(ip) in cidr:
            out.add(key(PLANTED_CIDR))
        return out

    def rcase(s):
        return "".join(c.upper() if rnd.random() < 0.3 else c for c in s)

    ts = [0]

    def stamp():
        ts[0] += rnd.randint(1, 40)
        return 1680170400 + ts[0]  # from 2023-03-30T10:00:00Z

    def fmt(kind, text, ip="93.184.216.34"):
        e = stamp()
        m = (e // 60) % 60
        s = e % 60
        h = 10 + (e - 1680170400) // 3600 % 12
        if kind == "dnsmasq":
            return f"Mar 30 {h:02d}:{m:02d}:{s:02d} gw dnsmasq[811]: query[A] {text} from 192.168.1.{rnd.randint(2, 250)}"
        if kind == "squid":
            return (f"{e}.{rnd.randint(0, 999):03d}    120 192.168.1.{rnd.randint(2, 250)} TCP_MISS/200 "
                    f"1234 GET {text} - HIER_DIRECT/{ip} text/html")
        if kind == "zeek":
            return (f"{e}.{rnd.randint(0, 999999):06d}\tCq3Jd7mA9bQ\t192.168.1.5\t5353\t192.0.2.53\t53\tudp\t"
                    f"{rnd.randint(1, 65535)}\t0.012\t{text}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t"
                    f"{ip}\t60.000000\tF")
        if kind == "apache":
            return (f"192.168.1.{rnd.randint(2, 250)} - - [30/Mar/2023:{h:02d}:{m:02d}:{s:02d} +0000] "
                    f"\"GET {text} HTTP/1.1\" 200 512 \"-\" \"curl/7.88.1\"")
        if kind == "note":
            return f"2023-03-30T{h:02d}:{m:02d}:{s:02d}Z soc-notes: analyst flagged {text} for review"
        if kind == "windns":
            hh = (h - 1) % 12 + 1
            return (f"3/30/2023 {hh}:{m:02d}:{s:02d} {'AM' if h < 12 else 'PM'} 0A2C PACKET  0000020F UDP Rcv "
                    f"192.168.1.5 d1a2   Q [0001   D   NOERROR] A {text}")
        if kind == "conn":
            return (f"{e}.{rnd.randint(0, 999999):06d}\tCx9\t192.168.1.5\t{rnd.randint(1024, 65535)}\t{text}\t443\t"
                    f"tcp\tssl\t1.2\t100\t200\tSF\t-\t-\t0\tShADadFf\t5\t400\t5\t600\t-")
        if kind == "tcpdump":
            return f"{h:02d}:{m:02d}:{s:02d}.123456 IP 192.168.1.5.51234 > {text}: Flags [S], seq 1, length 0"
        raise ValueError(kind)

    def dns_wire(host):
        return "".join(f"({len(l)}){l}" for l in host.split(".")) + "(0)"

    def contact():
        """(line, {keys}) for one planted contact."""
        k = rnd.choice(["domain", "case", "sub", "defang", "pct", "windns", "url", "raw", "ip",
                        "ipport", "tcpdump", "cidr"])
        d = PLANTED_DOMAIN if rnd.random() < 0.2 else rnd.choice(domains)
        ip = PLANTED_IP if rnd.random() < 0.2 else rnd.choice(ips)
        if k == "domain":
            return fmt(rnd.choice(["dnsmasq", "zeek"]), d), domain_hits(d)
        if k == "case":
            return fmt("dnsmasq", rcase(d)), domain_hits(d)
        if k == "sub":
            h = rnd.choice(["cdn", "update", "a1.b2"]) + "." + d
            return fmt(rnd.choice(["dnsmasq", "zeek"]), h), domain_hits(h)
        if k == "defang":
            sep = rnd.choice(["[.]", "(.)", "[dot]"])
            return fmt("note", d.replace(".", sep)), domain_hits(d)
        if k == "pct":
            return fmt("apache", f"/redirect?u=https%3A%2F%2F{d.replace('.', '%2E')}%2Findex"), domain_hits(d)
        if k == "windns":
            return fmt("windns", dns_wire(d)), domain_hits(d)
        if k == "url":
            return fmt("squid", f"https://github.com/IconStorages/images/raw/main/icon{rnd.randint(0, 15)}.ico"), {key(PLANTED_URL)}
        if k == "raw":
            return fmt("squid", f"https://raw.githubusercontent.com/IconStorages/images/main/icon{rnd.randint(0, 15)}.ico"), {key(PLANTED_URL)}
        if k == "ip":
            return fmt("conn", ip), ip_hits(ip)
        if k == "ipport":
            return fmt("squid", f"http://{ip}:8080/gate.php", ip=ip), ip_hits(ip)
        if k == "tcpdump":
            return fmt("tcpdump", f"{ip}.443"), ip_hits(ip)
        a = f"198.51.100.{rnd.randint(0, 255)}"
        return fmt("conn", a), ip_hits(a)

    def decoy():
        while True:
            line = decoy_once()
            if line:
                return line

    def decoy_once():
        """A decoy line, or None when the look-alike happens to be a real match."""
        k = rnd.choice(["not", "unity", "suffix", "dash", "iplong", "ipnum", "cidr", "gh"])
        d = PLANTED_DOMAIN if rnd.random() < 0.3 else rnd.choice(domains)
        ip = PLANTED_IP if rnd.random() < 0.3 else rnd.choice(ips)
        if k == "not":
            h = "not" + d
        elif k == "unity":
            h = d + "unity"
        elif k == "suffix":
            h = d + ".example.net"
        elif k == "dash":
            h = "x-" + d
        elif k == "iplong":
            return fmt("dnsmasq", ip + "1234")  # last part of 5+ digits: no address
        elif k == "ipnum":
            return fmt("note", "build 1234" + ip + " ok")  # first part of 5+ digits
        elif k == "cidr":
            return fmt("tcpdump", f"10.198.51.100.{rnd.randint(1, 250)}")
        else:
            return fmt("squid", "https://notgithub.com/IconStorages/images/x.ico")
        if domain_hits(h):
            return None  # e.g. "not" + "www.x.parent.com" where parent.com is listed
        return fmt(rnd.choice(["dnsmasq", "zeek"]), h)

    out = args.out
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "plain"))
    shutil.copy(C2, os.path.join(out, "c2-iocs.txt"))
    with open(os.path.join(out, "planted-iocs.txt"), "w") as f:
        f.write("\n".join([PLANTED_DOMAIN, PLANTED_URL, PLANTED_IP, PLANTED_CIDR]) + "\n")
    with open(os.path.join(out, "patterns.txt"), "w") as f:
        pats = sorted(set(domains) | set(ips)) + [PLANTED_DOMAIN, "github.com/IconStorages/images",
                                                   PLANTED_IP, "198.51.100."]
        f.write("\n".join(pats) + "\n")

    truth = open(os.path.join(out, "truth.tsv"), "w")
    decoys = open(os.path.join(out, "decoys.tsv"), "w")
    per_file = args.mb * 1000 * 1000 // args.files
    block = 20000
    n_truth = n_decoy = 0
    for i in range(args.files):
        name = f"mixed-{i:02d}.log"
        path = os.path.join(out, "plain", name)
        written = 0
        line_no = 0
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            while written < per_file:
                lines = rnd.choices(pool, k=block)
                inserts = []
                for _ in range(rnd.randint(5, 15)):
                    inserts.append(("c",) + contact())
                for _ in range(rnd.randint(5, 15)):
                    inserts.append(("d", decoy(), None))
                for kind, text, keys in inserts:
                    pos = rnd.randint(0, len(lines))
                    lines.insert(pos, (kind, text, keys))
                out_lines = []
                for l in lines:
                    line_no += 1
                    if isinstance(l, tuple):
                        kind, text, keys = l
                        if kind == "c":
                            for k in sorted(keys):
                                truth.write(f"{name}\t{line_no}\t{k}\n")
                                n_truth += 1
                        else:
                            decoys.write(f"{name}\t{line_no}\n")
                            n_decoy += 1
                        out_lines.append(text)
                    else:
                        out_lines.append(l)
                chunk = "\n".join(out_lines) + "\n"
                f.write(chunk)
                written += len(chunk.encode("utf-8"))
        print(f"{path}: {written} bytes, {line_no} lines", file=sys.stderr)
    truth.close()
    decoys.close()
    print(f"truth: {n_truth} contacts; decoys: {n_decoy} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
