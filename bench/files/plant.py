#!/usr/bin/env python3
"""Writes a corpus that triggers signature-base's rules, for the differential check.

Usage: plant.py SIGNATURE_BASE_YARA_DIR OUT_DIR
Two files per rule file: its text strings ("$x = \"...\"", common escapes
undone) one a line behind no magic, and behind the leading magic of a file
class taken in turn (MZ, ELF, #!, <?php, PK, OLE), so that every route is
exercised with strings the rules look for. Synthetic: no real malware.
"""
import os
import re
import sys

HEADS = [("pe", b"MZ\x90\x00"), ("elf", b"\x7fELF\x02\x01"), ("sh", b"#!/bin/bash\n"),
         ("php", b"<?php\n"), ("zip", b"PK\x03\x04"), ("ole", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")]
TEXT = re.compile(rb'\$[A-Za-z0-9_]*\s*=\s*"((?:[^"\\\n]|\\.)*)"')


def main():
    src, out = sys.argv[1], sys.argv[2]
    files = sorted(f for f in os.listdir(src) if f.endswith((".yar", ".yara")))
    os.makedirs(out, exist_ok=True)
    for i, name in enumerate(files):
        text = open(os.path.join(src, name), "rb").read()
        body = b"".join(m.group(1).replace(b'\\"', b'"').replace(b"\\\\", b"\\") + b"\n"
                        for m in TEXT.finditer(text))
        cls, head = HEADS[i % len(HEADS)]
        for sub, data in ((cls, head + body), ("txt", b"\n" + body)):
            os.makedirs(os.path.join(out, sub), exist_ok=True)
            with open(os.path.join(out, sub, f"{i}"), "wb") as f:
                f.write(data)
    print(f"planted: {2 * len(files)} files in {out}")


if __name__ == "__main__":
    main()
