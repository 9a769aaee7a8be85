#!/usr/bin/env python3
"""Builds the EVTX benchmark set from the shared samples.

Every valid chunk of every sample in ../shared/data/evtx (signature and both
CRCs good) is collected; output files are made of those chunks repeated
round-robin behind a fresh file header (chunk count, CRC32 recomputed). EVTX
chunks are self-contained (own string and template tables), so each output is a
valid EVTX file. Usage: make_corpus.py SAMPLES_DIR OUT_DIR [TOTAL_MB] [FILES]
"""
import glob
import os
import struct
import sys
import zlib

CHUNK = 65536
HEADER = 4096


def valid_chunks(path):
    data = open(path, "rb").read()
    out = []
    for off in range(HEADER, len(data) - CHUNK + 1, CHUNK):
        c = data[off:off + CHUNK]
        if c[:8] != b"ElfChnk\0":
            continue
        if struct.unpack_from("<I", c, 124)[0] != zlib.crc32(c[:120] + c[128:512]):
            continue
        free = struct.unpack_from("<I", c, 48)[0]
        if not 512 <= free <= CHUNK:
            continue
        if struct.unpack_from("<I", c, 52)[0] != zlib.crc32(c[512:free]):
            continue
        out.append(c)
    return out


def header(nchunks):
    h = bytearray(HEADER)
    struct.pack_into("<8sQQQIHHHH", h, 0, b"ElfFile\0", 0, nchunks - 1, 1, 128, 1, 3,
                     HEADER, nchunks & 0xffff)
    struct.pack_into("<I", h, 120, 0)
    struct.pack_into("<I", h, 124, zlib.crc32(bytes(h[:120])))
    return bytes(h)


def main():
    samples, out_dir = sys.argv[1], sys.argv[2]
    total_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 520
    files = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    chunks = []
    for p in sorted(glob.glob(os.path.join(samples, "*.evtx"))):
        chunks += valid_chunks(p)
    if not chunks:
        sys.exit("no valid chunks found under " + samples)
    per_file = max(1, (total_mb * 1024 * 1024 // CHUNK) // files)
    os.makedirs(out_dir, exist_ok=True)
    k = 0
    for i in range(files):
        path = os.path.join(out_dir, "set_%02d.evtx" % i)
        with open(path + ".tmp", "wb") as f:
            f.write(header(per_file))
            for _ in range(per_file):
                f.write(chunks[k % len(chunks)])
                k += 1
        os.replace(path + ".tmp", path)
    print("%d files x %d chunks (%d distinct chunks) in %s" % (files, per_file, len(chunks), out_dir))


if __name__ == "__main__":
    main()
