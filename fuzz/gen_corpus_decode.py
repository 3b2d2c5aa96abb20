#!/usr/bin/env python3
"""Write seed inputs for fuzz_decode from the project's test captures.

Each seed is: 1 byte link-type selector (index into fuzz_decode.c's table), then records of
| len (2, big-endian) | flags (1) | packet bytes |, up to 64 packets of one capture file.
usage: gen_corpus_decode.py  (run from the repository root; writes fuzz/corpus/decode/)
"""
import glob
import os
import struct

# fuzz_decode.c: linktypes[] = {1, 113, 276, 0, 108, 101, 228, 229, 999}
SELECTOR = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 101: 5, 228: 6, 229: 7}


def pcap_packets(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []  # pcapng seeds come from the pcap files only
    linktype = struct.unpack(e + "I", data[20:24])[0]
    off, pkts = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        pkts.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, pkts


def main():
    out = "fuzz/corpus/decode"
    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob("tests/pcap/*/*.pcap")):
        linktype, pkts = pcap_packets(path)
        if linktype not in SELECTOR or not pkts:
            continue
        seed = bytearray([SELECTOR[linktype]])
        for p in pkts[:64]:
            p = p[:65535]
            seed += struct.pack(">HB", len(p), 2) + p
        name = path.split("/")[2] + "_" + os.path.basename(path).replace(".pcap", "")
        open(os.path.join(out, name), "wb").write(seed)
        print("wrote", name, len(seed), "bytes")


if __name__ == "__main__":
    main()
