#!/usr/bin/env python3
"""Write seed inputs for fuzz_detect: traffic that matches the rules built into
fuzz/fuzz_detect.c, one seed per rule or small group of rules, in the input layout that
file's opening comment describes (byte 0 = mode, then the mode's records).

usage: gen_corpus_detect.py           (from the repository root; writes fuzz/corpus/detect/)
       gen_corpus_detect.py --rules   (prints the built-in rules, e.g. for `mamori rules check`)

Deterministic: the same seeds on every run. Run a seed with FUZZ_DETECT_PRINT=1 and the
replay binary (build/tests/fuzz_replay_detect DIR) to see which sids it raises.
"""
import os
import re
import struct
import sys

OUT = "fuzz/corpus/detect"
SRC = "fuzz/fuzz_detect.c"

MODE_PACKET, MODE_PACKETS, MODE_STREAM, MODE_DNS, MODE_HTTP = range(5)
OPT = 0x80  # packet: DLT 12; stream: SYN only; http: direction 1
HTTP = 0x40  # packets and stream chunks: the flow's application protocol is HTTP

CLIENT, SERVER = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


# ---------------- the rules (for --rules) ----------------

def builtin_rules():
    """The C string literal rules_text of fuzz_detect.c, unescaped."""
    src = open(SRC, encoding="utf-8").read()
    m = re.search(r"static const char rules_text\[\] =(.*?);\n", src, re.S)
    text = []
    for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)):
        i = 0
        while i < len(lit):
            c = lit[i]
            if c == "\\":
                nxt = lit[i + 1]
                text.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                i += 2
            else:
                text.append(c)
                i += 1
    return "".join(text)


# ---------------- packets ----------------

def ipv4(proto, payload, src=CLIENT, dst=SERVER, ttl=64):
    """IPv4 header without checksum (the fuzz target does not check them)."""
    total = 20 + len(payload)
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, ttl, proto, 0, src,
                       dst) + payload


def ipv6(nh, payload, src, dst, hlim=64):
    return struct.pack(">IHBB16s16s", 6 << 28, len(payload), nh, hlim, src, dst) + payload


def tcp(sport, dport, flags, payload=b"", seq=1001, ack=5001):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0,
                       0) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4_fragments(proto, l4, first_len):
    """Two fragments of one datagram (first_len: a multiple of 8)."""
    out = []
    for off, part, more in ((0, l4[:first_len], 1), (first_len, l4[first_len:], 0)):
        out.append(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(part), 77,
                               (more << 13) | (off // 8), 64, proto, 0, CLIENT, SERVER) + part)
    return out


def icmp_echo(ident, seq, payload):
    return struct.pack(">BBHHH", 8, 0, 0, ident, seq) + payload


SYN, ACK, PSH, ECE, CWR = 0x02, 0x10, 0x08, 0x40, 0x80


# ---------------- input layouts ----------------

def packet_seed(pkt, dlt12=False):
    return bytes([MODE_PACKET | (OPT if dlt12 else 0)]) + pkt


def packets_seed(pkts, step=1):
    out = bytearray([MODE_PACKETS])
    for p in pkts:
        out += struct.pack(">HB", len(p), step) + p
    return bytes(out)


def stream_seed(chunks, syn_only=False, step=1, http=False):
    """chunks: (direction, bytes) pairs; each advances the clock by `step` seconds."""
    out = bytearray([MODE_STREAM | (OPT if syn_only else 0) | (HTTP if http else 0)])
    for d, b in chunks:
        out += struct.pack(">BH", d | (step << 1), len(b)) + b
    return bytes(out)


def dns_query(names, qid=0x1234):
    q = struct.pack(">HHHHHH", qid, 0x0100, len(names), 0, 0, 0)
    for name in names:
        for label in name.split(b"."):
            q += bytes([len(label)]) + label
        q += b"\x00" + struct.pack(">HH", 1, 1)
    return bytes([MODE_DNS]) + q


def fld(s):
    return b"\xff" if s is None else bytes([len(s)]) + s


def http_seed(req=None, resp=None, status=None, req_headers=(), resp_headers=(),
              req_body=None, resp_body=None, direction=0):
    """An HTTP transaction in fuzz_detect.c's field order (run_http)."""
    req = req or {}
    resp = resp or {}
    out = bytearray([MODE_HTTP | (OPT if direction else 0)])
    for key in ("method", "uri", "uri_norm", "protocol", "hostname", "host", "user_agent",
                "referer", "content_type"):
        out += fld(req.get(key))
    for key in ("protocol", "status_msg", "content_type", "location"):
        out += fld(resp.get(key))
    out += fld(req_body) + fld(resp_body)
    out += struct.pack(">H", 0 if status is None else status + 1)
    out += b"\x00"  # flags
    for hdrs in (req_headers, resp_headers):
        out += bytes([len(hdrs)])
        for name, value in hdrs:
            out += fld(name) + fld(value)
    return bytes(out)


def data_pkt(payload, flags=PSH | ACK, sport=40000, dport=80, ttl=64):
    return ipv4(6, tcp(sport, dport, flags, payload), ttl=ttl)


# ---------------- seeds ----------------

def seeds():
    s = {}
    # stream mode: payload rules on reassembled chunks of the established flow
    s["stream_1001_content_window"] = stream_seed(
        [(0, b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"), (1, b"HTTP/1.1 200 OK\r\n\r\n")])
    s["stream_1002_nocase_negation"] = stream_seed(
        [(0, b"user bob\r\nPASS hunter2\r\n"), (1, b"230 ok\r\n")])
    s["stream_1003_1004_fast_pattern"] = stream_seed(
        [(0, b"\xde\xadxyzzy-magic payload END"), (0, b"FPONLYTOKEN")])
    s["stream_1005_1006_pcre"] = stream_seed(
        [(0, b"CMD DELETE 1234!"), (1, b"banner\nLogin: root\n")])
    s["stream_1007_1008_byte_test"] = stream_seed(
        [(0, b"BT:\x10\x00Ax\x05\x00"), (0, b"BTX\x00\x00\x00\x80\x12\x34\x64")])
    s["stream_1009_byte_test_string"] = stream_seed([(0, b"LEN=0500HEX=beefOCT=777")])
    s["stream_1010_1011_byte_jump"] = stream_seed(
        [(0, b"BJ:\x00\x03-----TGT"),
         (0, b"JMPB\x06" + b"." * 7 + b"LAND\x00zzTAILzzzz")])
    s["stream_1013_byte_jump_string"] = stream_seed([(0, b"SKIP003---BJL\x02\xf0yyHERE")])
    s["stream_1014_1015_byte_extract"] = stream_seed(
        [(0, b"BX:\x0aabDATAxyz"), (0, b"BXO\x0a\x00\x08...." + b"MARK" + b"...")])
    s["stream_1016_1017_byte_extract"] = stream_seed(
        [(0, b"BXI\x05" + b"i" * 12), (0, b"BXS=13\x10")])
    s["stream_1018_1021_flowbits"] = stream_seed(
        [(1, b"LOGIN OK"), (0, b"GETFILE a"), (0, b"CHECK"), (0, b"LOGOUT"), (0, b"CHECK")])
    s["stream_1022_1023_flowint"] = stream_seed([(0, b"FAIL")] * 4)
    s["stream_1024_1025_threshold"] = stream_seed(
        [(0, b"SCAN"), (0, b"PROBE"), (0, b"SCAN"), (0, b"PROBE"), (0, b"SCAN"),
         (0, b"PROBE")])
    s["stream_1026_bidirectional_http"] = stream_seed([(1, b"xBIDIRx"), (0, b"BIDIR")],
                                                      http=True)
    s["stream_1036_pass"] = stream_seed([(0, b"PASSME"), (0, b"FPONLYTOKEN")])
    # a fast pattern split between two chunks (the edge buffer) on an unestablished flow
    s["stream_edge_syn_only"] = stream_seed(
        [(0, b"----FPONLY"), (0, b"TOKENyyyy"), (1, b"\xde\xadxyz"), (1, b"zy-magic END")],
        syn_only=True)
    # packet mode: one raw packet each
    s["pkt_1012_ip_only"] = packet_seed(
        ipv4(17, udp(1234, 4321, b"hello"), src=bytes([192, 0, 2, 5]),
             dst=bytes([198, 51, 100, 7])))
    s["pkt_1027_syn_ecn"] = packet_seed(ipv4(6, tcp(40000, 80, SYN | ECE | CWR, seq=1000,
                                                    ack=0)))
    s["pkt_1028_tcp_dsize"] = packet_seed(data_pkt(b"PKT" + b"p" * 12))
    s["pkt_1029_udp_byte_chain"] = packet_seed(
        ipv4(17, udp(40002, 5001, b"\x01\x02\x02xx\x01\x00zzz")))
    s["pkt_1030_udp_pcre_dlt12"] = packet_seed(ipv4(17, udp(40003, 9999, b"UDP123Xyz")),
                                               dlt12=True)
    s["pkt_1032_gre"] = packet_seed(ipv4(47, struct.pack(">HH", 0, 0x88be) + b"\x00" * 8))
    s["pkts_1033_1031_icmp_ttl_xbits"] = packets_seed(
        [ipv4(1, icmp_echo(7, 1, b"abcdPING")), ipv4(17, udp(40004, 7, b"low TTL"), ttl=2)])
    s["pkt_ipv6_payload_rules"] = packet_seed(
        ipv6(6, tcp(40000, 80, PSH | ACK, b"USER x\r\nPASS y\r\n"),
             b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01",
             b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x02"))
    # packets mode: several packets of one flow, no reassembly (flowbits across packets)
    s["pkts_flowbits_flowint"] = packets_seed(
        [ipv4(6, tcp(40000, 80, SYN, seq=1000, ack=0)),
         ipv4(6, tcp(80, 40000, SYN | ACK, seq=5000, ack=1001), src=SERVER, dst=CLIENT),
         data_pkt(b"LOGIN OK"), data_pkt(b"GETFILE"), data_pkt(b"FAIL"), data_pkt(b"FAIL"),
         data_pkt(b"FAIL"), data_pkt(b"GET /admin HTTP/1.0")])
    # a UDP datagram in two IPv4 fragments: payload rules on the reassembled packet
    s["pkts_1029_fragments"] = packets_seed(
        ipv4_fragments(17, udp(40005, 5002, b"\x01\x02\x02xx\x01\x00zzz UDP"), 16))
    # many near-misses: backtracking over every "CMD " occurrence, bounded by the budget
    s["stream_backtracking"] = stream_seed([(0, b"CMD " * 300 + b"CMD A 1!")])
    # dns and http records: the sticky buffers and their transforms
    s["dns_1034_transforms"] = dns_query([b"www.example", b"x.Malware.evil.example"])
    s["http_1035_1037_1038_1040_request"] = http_seed(
        req={"method": b"POST", "uri": b"/upload", "uri_norm": b"/a/%2e%2e/b",
             "protocol": b"HTTP/1.1", "hostname": b"example.com", "host": b"example.com",
             "user_agent": b"Curl/8.4.0"},
        req_headers=[(b"Host", b"example.com"), (b"Cookie", b"session=abc"),
                     (b"X-Evil ", b" 1"), (b"User-Agent", b"Curl/8.4.0")],
        req_body=b"user=a&password=secret")
    s["http_1039_response"] = http_seed(
        req={"method": b"GET", "uri": b"/", "protocol": b"HTTP/1.1"},
        resp={"protocol": b"HTTP/1.1", "status_msg": b"Internal Server Error"}, status=500,
        resp_headers=[(b"Server", b"nginx/1.25"), (b"Set-Cookie", b"a=b"),
                      (b"Server", b"again")],
        resp_body=b"oops", direction=1)
    return s


def main():
    if sys.argv[1:] == ["--rules"]:
        sys.stdout.write(builtin_rules())
        return
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print("wrote", name, len(data), "bytes")


if __name__ == "__main__":
    main()
