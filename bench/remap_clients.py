#!/usr/bin/env python3
"""Rewrite a benchmark capture so that its clients are a small office's few hundred hosts.

gen_bench_pcap.py (../shared/tools) gives nearly every flow a client address of its own
(mixed: 20,454 clients in 20,626 flows), so per-client detector state is new and cold at every
flow. A small company's network has a few hundred clients that come back again and again.
This maps every address in 10.0.0.0/8 (the generator's clients) onto N addresses
10.200.x.y, by a hash of the original address, and fixes the IPv4, TCP and UDP checksums
(RFC 1624 incremental update). Servers, ports, payloads and timing are unchanged. Not a test.

usage: bench/remap_clients.py IN.pcap OUT.pcap [--clients N]   (default 300)
Classic libpcap files with Ethernet links only; other packets are copied as they are.
"""

import argparse
import hashlib
import struct
import sys


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def csum_update(old_csum, old_words, new_words):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over each changed 16-bit word."""
    s = (~old_csum) & 0xFFFF
    for m, n in zip(old_words, new_words):
        s += (~m) & 0xFFFF
        s += n
    return (~fold(s)) & 0xFFFF


def words(b):
    return [b[0] << 8 | b[1], b[2] << 8 | b[3]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--clients", type=int, default=300)
    a = ap.parse_args()
    if not 1 <= a.clients <= 60000:
        sys.exit("--clients must be 1..60000")
    cache = {}

    def remap(addr):
        if addr[0] != 10:
            return addr
        r = cache.get(addr)
        if r is None:
            k = int.from_bytes(hashlib.blake2b(addr, digest_size=4).digest(), "big") % a.clients
            r = bytes((10, 200, k // 254, k % 254 + 1))
            cache[addr] = r
        return r

    with open(a.inp, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit("not a pcap file")
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit("only little-endian classic pcap files are handled")
    if struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit("only Ethernet captures are handled")
    out = bytearray(data)
    off, pkts, changed = 24, 0, 0
    while off + 16 <= len(out):
        incl = struct.unpack_from("<I", out, off + 8)[0]
        p = off + 16
        off = p + incl
        if off > len(out):
            break
        pkts += 1
        if incl < 34 or out[p + 12:p + 14] != b"\x08\x00":
            continue
        ip = p + 14
        ihl = (out[ip] & 0x0F) * 4
        if ihl < 20 or incl < 14 + ihl:
            continue
        src, dst = bytes(out[ip + 12:ip + 16]), bytes(out[ip + 16:ip + 20])
        nsrc, ndst = remap(src), remap(dst)
        if nsrc == src and ndst == dst:
            continue
        changed += 1
        old_w, new_w = words(src) + words(dst), words(nsrc) + words(ndst)
        ipc = struct.unpack_from(">H", out, ip + 10)[0]
        struct.pack_into(">H", out, ip + 10, csum_update(ipc, old_w, new_w))
        out[ip + 12:ip + 16], out[ip + 16:ip + 20] = nsrc, ndst
        frag = struct.unpack_from(">H", out, ip + 6)[0] & 0x1FFF
        proto, l4 = out[ip + 9], ip + ihl
        if frag:
            continue  # no L4 header in a later fragment
        if proto == 6 and l4 + 18 <= off:
            at = l4 + 16
        elif proto == 17 and l4 + 8 <= off:
            at = l4 + 6
            if struct.unpack_from(">H", out, at)[0] == 0:
                continue  # UDP without a checksum
        else:
            continue
        c = struct.unpack_from(">H", out, at)[0]
        c = csum_update(c, old_w, new_w)
        if proto == 17 and c == 0:
            c = 0xFFFF
        struct.pack_into(">H", out, at, c)
    with open(a.out, "wb") as f:
        f.write(out)
    print(f"{pkts} packets, {changed} rewritten, {len(cache)} client addresses -> "
          f"{len(set(cache.values()))}")


if __name__ == "__main__":
    main()
