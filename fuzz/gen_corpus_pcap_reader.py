#!/usr/bin/env python3
"""Write the seed corpus of fuzz_pcap_reader: tiny pcap and pcapng files (< 2 KB each)
covering both byte orders, both pcap precisions, several pcapng interfaces with different
link types and timestamp resolutions, SPB/PB/NRB/ISB/custom blocks and a second section.

With --regress, write instead the hand-made hostile inputs kept in
tests/fuzz-regress/pcap_reader/ (lengths at and past every limit, extreme timestamp
options); the unit tests replay that folder, together with any crasher the fuzzer finds.

Usage: fuzz/gen_corpus_pcap_reader.py [--regress] [outdir]
"""
import os
import struct
import sys


def frame(proto=6, sport=40000, dport=80, payload=b"GET / HTTP/1.0\r\n\r\n", sll=False):
    l4 = (struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 1024, 0, 0)
          if proto == 6 else struct.pack(">HHHH", sport, dport, 8 + len(payload), 0))
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4) + len(payload), 1, 0, 64, proto, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    if sll:
        l2 = struct.pack(">HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x0800)
    else:
        l2 = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return l2 + ip + l4 + payload


def pcap(order, nsec, linktype, pkts):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for i, p in enumerate(pkts):
        out += struct.pack(order + "IIII", 1700000000 + i, 1000 * i, len(p), len(p)) + p
    return out


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def block(order, btype, body):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)


def opt(order, code, value):
    return struct.pack(order + "HH", code, len(value)) + pad4(value)


def shb(order):
    return block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(order, linktype, snaplen=0, tsresol=None, tsoffset=None):
    opts = opt(order, 2, b"eth0")
    if tsresol is not None:
        opts += opt(order, 9, bytes([tsresol]))
    if tsoffset is not None:
        opts += opt(order, 14, struct.pack(order + "q", tsoffset))
    opts += struct.pack(order + "HH", 0, 0)
    return block(order, 1, struct.pack(order + "HHI", linktype, 0, snaplen) + opts)


def epb(order, iface, ts, data, wirelen=None):
    hdr = struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data),
                      len(data) if wirelen is None else wirelen)
    return block(order, 6, hdr + pad4(data) + opt(order, 1, b"hi") + b"\0\0\0\0")


def spb(order, data):
    return block(order, 3, struct.pack(order + "I", len(data)) + data)


def pb(order, iface, ts, data):
    return block(order, 2, struct.pack(order + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF,
                                       len(data), len(data)) + data)


def hostile():
    """Inputs that sit on or past the reader's limits (see docs/internals/capture.md)."""
    tcp = frame()
    le_shb_idb = shb("<") + idb("<", 1)
    return {
        # block lengths claiming up to 16 MiB / 2 GiB in a file of a few bytes
        "epb_len_16mib_truncated.pcapng":
            le_shb_idb + struct.pack("<II", 6, 16 * 1024 * 1024) + b"\0" * 40,
        "epb_len_2gib.pcapng": le_shb_idb + struct.pack("<II", 6, 0x7FFFFFF0) + b"\0" * 40,
        "unknown_block_16mib_truncated.pcapng":
            le_shb_idb + struct.pack("<II", 0x99, 16 * 1024 * 1024) + b"\0" * 100,
        # captured lengths one past the limit and at 2^32-1
        "pcap_caplen_262145.pcap":
            pcap("<", False, 1, [])
            + struct.pack("<IIII", 1, 0, 262145, 262145) + tcp,
        "pcap_caplen_max_u32.pcap":
            pcap(">", True, 1, []) + struct.pack(">IIII", 1, 0, 0xFFFFFFFF, 0xFFFFFFFF) + tcp,
        "epb_caplen_past_block.pcapng":
            le_shb_idb + block("<", 6, struct.pack("<IIIII", 0, 0, 0, 0xFFFFFFF0, 60) + tcp),
        # IDB option length 0xffff running past its block
        "idb_option_overrun.pcapng":
            shb("<") + block("<", 1, struct.pack("<HHIHH", 1, 0, 0, 2, 0xFFFF) + b"eth0"),
        # extreme timestamp options: 2^-63 resolution, INT64_MIN offset, max timestamp
        "tsresol_2pow63_tsoffset_min.pcapng":
            shb(">") + idb(">", 1, 0, 0x80 | 63, -(2 ** 63))
            + epb(">", 0, 2 ** 64 - 1, tcp),
        "tsresol_10pow19.pcapng":
            shb("<") + idb("<", 1, 0, 19, 2 ** 63 - 1) + epb("<", 0, 2 ** 64 - 1, tcp),
        # SPB with original length 2^32-1 and no snaplen
        "spb_wirelen_max_u32.pcapng":
            le_shb_idb + block("<", 3, struct.pack("<I", 0xFFFFFFFF) + tcp),
        # packet on interface 0 of a second section that has no IDB
        "second_section_no_idb.pcapng": le_shb_idb + shb(">") + epb(">", 0, 1, tcp),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    args = sys.argv[1:]
    regress = "--regress" in args
    args = [a for a in args if a != "--regress"]
    if regress:
        default = os.path.join(here, "..", "tests", "fuzz-regress", "pcap_reader")
    else:
        default = os.path.join(here, "corpus", "pcap_reader")
    outdir = args[0] if args else default
    os.makedirs(outdir, exist_ok=True)
    tcp, udp = frame(), frame(17, 5353, 53, b"\x12\x34\x01\x00\x00\x01\0\0\0\0\0\0")
    raw = tcp[14:]
    seeds = hostile() if regress else {
        "pcap_le_usec_eth.pcap": pcap("<", False, 1, [tcp, udp, tcp[:40]]),
        "pcap_be_nsec_raw.pcap": pcap(">", True, 101, [raw, raw[:20]]),
        "pcap_le_sll_truncated.pcap": pcap("<", False, 113, [frame(sll=True)] * 2)[:-7],
        "pcapng_le_two_ifaces.pcapng":
            shb("<") + block("<", 4, b"\x01\x00\x08\x00\x0a\x00\x00\x01a.b\0\0\0\0\0")
            + idb("<", 1, 65535) + idb("<", 113, 0, 9)
            + epb("<", 0, 1700000000123456, tcp) + epb("<", 1, 1700000000123456789,
                                                       frame(17, 1, 53, b"x", sll=True))
            + block("<", 5, b"\0" * 20) + block("<", 0x40000BAD, b"PEN!data"),
        "pcapng_be_spb_pb.pcapng":
            shb(">") + idb(">", 1, 64, 0x80 | 10, -3600) + spb(">", udp) + pb(">", 0, 5, tcp),
        "pcapng_two_sections.pcapng":
            shb("<") + idb("<", 1) + epb("<", 0, 1, udp)
            + shb(">") + idb(">", 101, 0, 6) + idb(">", 229) + epb(">", 0, 2, raw)
            + epb(">", 1, 3, b"\x60" + b"\0" * 39),
    }
    for name, data in seeds.items():
        assert len(data) < 2048 or regress, name
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} files to {os.path.normpath(outdir)}")


if __name__ == "__main__":
    main()
