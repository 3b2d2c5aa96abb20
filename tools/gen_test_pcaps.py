#!/usr/bin/env python3
"""Write the small captures of the decoder/flow tests: tests/pcap/<case>/input.pcap[ng] plus a
README.md (what the case contains, packet by packet, and what it proves) and an expect.yaml
(EVE `flow` event counts known for sure from the construction).

usage: tools/gen_test_pcaps.py [--out tests/pcap] [CASE ...]      (default: all cases)

Every case is deterministic (fixed seed, fixed start time 2024-01-02T03:04:05Z): running the
script twice gives byte-identical files. Addresses are from the documentation ranges
192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.

Flow semantics assumed in expect.yaml (mamori EVE flow events, Suricata-compatible): one event
per flow; src = sender of the flow's first packet (the receiver if that packet is a SYN-ACK);
pkts_toserver / pkts_toclient count packets; ICMP errors make their own ICMP flow; IP fragments
reach the flow only as the reassembled datagram; tunnels yield only the innermost flow; VLAN
ids are part of the flow key.
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-01-02T03:04:05Z")
MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"
ETH = pg.eth_framer(MAC_C, MAC_S)

HTTP_REQ = (b"GET /%s HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.5.0\r\n"
            b"Accept: */*\r\n\r\n")
HTTP_RESP = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\n"
             b"Content-Length: %d\r\n\r\n%s")


def http_req(path):
    return HTTP_REQ % path.encode()


def http_resp(body):
    return HTTP_RESP % (len(body), body)


class Case:
    """One test case: a Capture, a clock, a running packet log for the README, and checks."""

    def __init__(self, name, title, proves, seed=1):
        self.name, self.title, self.proves = name, title, proves
        self.rng = random.Random(seed)
        self.cap = pg.Capture()
        self.clock = pg.Clock(T0, self.rng)
        self.log = []        # (first packet no, last packet no, text)
        self.checks = []     # (filter dict, count)
        self.inputs = ["input.pcap"]
        self.exit_code = 0
        self.notes = []      # extra README paragraphs
        self._mark = 0

    def begin(self):
        self._mark = len(self.cap) + 1

    def end(self, text):
        """Log the packets added since begin() under text."""
        self.log.append((self._mark, len(self.cap), text))

    def check(self, count, **flt):
        f = {}
        for k, v in flt.items():
            f[k.replace("__", ".")] = v
        self.checks.append((f, count))

    def flow(self, count, proto, src_ip, dest_ip, src_port=None, dest_port=None,
             toserver=None, toclient=None, **extra):
        f = {"event_type": "flow", "proto": proto, "src_ip": src_ip}
        if src_port is not None:
            f["src_port"] = src_port
        f["dest_ip"] = dest_ip
        if dest_port is not None:
            f["dest_port"] = dest_port
        f.update(extra)
        if toserver is not None:
            f["flow.pkts_toserver"] = toserver
        if toclient is not None:
            f["flow.pkts_toclient"] = toclient
        self.checks.append((f, count))

    def assert_time_ordered(self):
        ts = [r[0] for r in self.cap.records]
        assert ts == sorted(ts), "%s: packets not in time order" % self.name


# ----------------------------------------------------------------------------- YAML / README


def _yval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yval(x) for x in v) + "]"
    s = str(v)
    if ":" in s or " " in s or s == "" or s[0] in "[]{}&*!|>'\"%@`#,?-":
        return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
    return s


def _ykey(k):
    return '"%s"' % k if "." in k else k


def write_expect(case, path):
    lines = ["# %s" % case.title]
    if len(case.inputs) == 1:
        lines.append("input: %s" % case.inputs[0])
    else:
        lines.append("input: [%s]   # checked one at a time" % ", ".join(case.inputs))
    lines.append("args: []")
    lines.append("exit_code: %d%s" % (case.exit_code,
                                      "   # 3 = partial input" if case.exit_code == 3 else ""))
    lines.append("checks:")
    for flt, count in case.checks:
        body = ", ".join("%s: %s" % (_ykey(k), _yval(v)) for k, v in flt.items())
        lines.append("  - filter: {%s}" % body)
        lines.append("    count: %d" % count)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_readme(case, path):
    out = ["# %s" % case.name, "", case.title + ".", ""]
    out += ["## What it proves", "", case.proves.strip(), ""]
    out += ["## Files", ""]
    for i in case.inputs:
        out.append("- `%s`" % i)
    out.append("")
    out += ["## Packets", "", "Packet numbers are 1-based frame numbers (as in tshark).", ""]
    out += ["| packets | content |", "|---|---|"]
    for a, b, text in case.log:
        rng = str(a) if a == b else "%d-%d" % (a, b) if b >= a else "-"
        out.append("| %s | %s |" % (rng, text))
    out.append("")
    for n in case.notes:
        out += [n.strip(), ""]
    out += ["## Expected flow events (expect.yaml)", ""]
    if case.checks:
        for flt, count in case.checks:
            out.append("- %d x `%s`" % (count, ", ".join("%s=%s" % kv for kv in flt.items())))
    else:
        out.append("- (none)")
    out += ["", "Generated by `tools/gen_test_pcaps.py` (deterministic); do not edit by hand.", ""]
    with open(path, "w") as f:
        f.write("\n".join(out))


# ----------------------------------------------------------------------------- helpers


def tcp_session(case, client, server, framer=ETH, **kw):
    return pg.TcpSession(case.cap, case.clock, client, server, framer=framer, rng=case.rng, **kw)


def exchange(s, path, body):
    """Request (1 pkt), response (1 pkt), client ACK (1 pkt)."""
    s.client(http_req(path))
    s.send(False, http_resp(body), final_ack=True)
    s.wait(0.0005)


def dns_pair(qid, name, addr, qtype="A"):
    return (pg.dns_query(qid, name, qtype),
            pg.dns_response(qid, name, qtype, [(qtype, 300, addr)]))


# ----------------------------------------------------------------------------- cases


def case_eth_ipv4_tcp_udp():
    """The basic decode path: Ethernet + IPv4 + TCP / UDP / ICMP, one flow each."""
    c = Case("eth_ipv4_tcp_udp", "Ethernet/IPv4: one TCP session, one DNS exchange, one ICMP echo",
             """
The Ethernet, IPv4, TCP, UDP and ICMP decoders and the flow table on the simplest input:
exactly three flows with exact per-direction packet counts. The TCP session has a 3-way
handshake, two request/response exchanges (each response ACKed by the client) and a
FIN/FIN-ACK/ACK teardown; all checksums are valid.""")
    cli, srv = ("192.0.2.1", 40000), ("192.0.2.2", 80)
    c.begin()
    s = tcp_session(c, cli, srv)
    s.handshake()
    c.end("TCP 192.0.2.1:40000 -> 192.0.2.2:80 handshake: SYN, SYN-ACK, ACK")
    c.begin()
    exchange(s, "index.html", b"hello, world\n")
    c.end("request 1 `GET /index.html` (PSH-ACK), response 200 (PSH-ACK), client ACK")
    c.begin()
    exchange(s, "style.css", b"body { color: black; }\n")
    c.end("request 2 `GET /style.css`, response 200, client ACK")
    c.begin()
    s.close()
    c.end("teardown: client FIN-ACK, server FIN-ACK, client ACK")
    assert s.counts() == {"toserver": 8, "toclient": 4}, s.counts()
    c.notes.append("TCP packets: 8 client->server (SYN, ACK, req1, ACK, req2, ACK, FIN, ACK), "
                   "4 server->client (SYN-ACK, resp1, resp2, FIN); 12 in total.")
    c.clock.advance(0.5)
    c.begin()
    q, r = dns_pair(0x1A2B, "www.example.com", "203.0.113.10")
    pg.udp_exchange(c.cap, c.clock, ETH, ("192.0.2.1", 53000), ("192.0.2.53", 53), q, r)
    c.end("DNS 192.0.2.1:53000 -> 192.0.2.53:53 query A www.example.com, answer 203.0.113.10")
    c.clock.advance(0.5)
    c.begin()
    c.cap.add(c.clock.now, ETH(pg.ipv4("192.0.2.1", "192.0.2.2", pg.IPPROTO_ICMP,
                                       pg.icmp4_echo(0x1234, 1, b"abcdefgh" * 7), ident=7), True))
    c.clock.advance(0.0004)
    c.cap.add(c.clock.now, ETH(pg.ipv4("192.0.2.2", "192.0.2.1", pg.IPPROTO_ICMP,
                                       pg.icmp4_echo(0x1234, 1, b"abcdefgh" * 7, reply=True),
                                       ident=8), False))
    c.end("ICMP echo request 192.0.2.1 -> 192.0.2.2 (id 0x1234, seq 1) and echo reply")
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 40000, 80, 8, 4)
    c.flow(1, "UDP", "192.0.2.1", "192.0.2.53", 53000, 53, 1, 1)
    c.flow(1, "ICMP", "192.0.2.1", "192.0.2.2", toserver=1, toclient=1)
    c.check(3, event_type="flow")
    return c


def case_ipv6_ext():
    """IPv6 extension-header walking: hop-by-hop + destination options before TCP on every
    packet of a session, and a UDP packet behind a type 4 (SRH) routing header."""
    c = Case("ipv6_ext", "IPv6 with extension headers: TCP behind hop-by-hop + destination "
             "options, UDP behind a segment routing header", """
The IPv6 decoder walks the extension-header chain to the upper-layer header: every packet of
the TCP session carries a hop-by-hop options header (PadN only) and a destination options
header (PadN only) before TCP; the UDP query carries a routing header of type 4 (SRH, RFC 8754)
with Segments Left = 0, so the IPv6 destination address is the final destination and the UDP
checksum is computed with it. Flows are keyed on the upper-layer ports, not on the first next
header value.""")
    a, b, r = "2001:db8::1", "2001:db8::2", "2001:db8::99"
    ext = [pg.ext_hbh(), pg.ext_dstopts()]
    c.begin()
    s = tcp_session(c, (a, 40001), (b, 80), ipkw={"ext": ext}, mss=1420)
    s.handshake()
    exchange(s, "v6.html", b"ipv6 with extension headers\n")
    s.close()
    cnt = s.counts()
    c.end("TCP [2001:db8::1]:40001 -> [2001:db8::2]:80, every packet IPv6 + HBH + DSTOPTS + TCP: "
          "handshake, request, response, client ACK, FIN/FIN-ACK/ACK (%d to server, %d to client)"
          % (cnt["toserver"], cnt["toclient"]))
    c.clock.advance(0.5)
    c.begin()
    q, ans = dns_pair(0x0606, "v6.example.com", "2001:db8::80", "AAAA")
    ip = pg.ipv6(a, "2001:db8::3", pg.IPPROTO_UDP, pg.udp(a, "2001:db8::3", 40002, 53, q),
                 ext=[pg.ext_srh(["2001:db8::3", r], segments_left=0)])
    c.cap.add(c.clock.now, ETH(ip, True))
    c.clock.advance(0.001)
    c.cap.add(c.clock.now, ETH(pg.udp_packet("2001:db8::3", a, 53, 40002, ans), False))
    c.end("UDP [2001:db8::1]:40002 -> [2001:db8::3]:53 DNS AAAA query behind a routing header "
          "type 4 (SRH, segments [2001:db8::3, 2001:db8::99], Segments Left 0); "
          "plain IPv6 UDP answer")
    c.flow(1, "TCP", a, b, 40001, 80, cnt["toserver"], cnt["toclient"])
    c.flow(1, "UDP", a, "2001:db8::3", 40002, 53, 1, 1)
    c.check(2, event_type="flow")
    return c


def case_vlan_qinq():
    """The same TCP session once in 802.1Q VLAN 10 and once in QinQ (802.1ad 100 outside,
    802.1Q 20 inside): two flows, because VLAN ids are part of the flow key."""
    c = Case("vlan_qinq", "One TCP session in 802.1Q VLAN 10 and the same 5-tuple in QinQ "
             "(802.1ad 100 / 802.1Q 20)", """
VLAN and QinQ decoding (TPID 0x8100 and 0x88a8) and that the VLAN ids are part of the flow key:
the two sessions use the same IPs and ports (192.0.2.1:40002 -> 192.0.2.2:80) and must give two
separate flows. In Suricata's EVE the flow event lists the ids outermost first in `vlan`
([10] and [100, 20]).""")
    cnts = []
    for vlans, text in (([10], "802.1Q VLAN 10"),
                        ([(pg.ETH_P_8021AD, 100), (pg.ETH_P_8021Q, 20)],
                         "QinQ: outer 802.1ad (0x88a8) VLAN 100, inner 802.1Q VLAN 20")):
        c.begin()
        s = tcp_session(c, ("192.0.2.1", 40002), ("192.0.2.2", 80),
                        framer=pg.eth_framer(MAC_C, MAC_S, vlans))
        s.handshake()
        exchange(s, "vlan.html", b"tagged\n")
        s.close()
        cnts.append(s.counts())
        c.end("%s: TCP 192.0.2.1:40002 -> 192.0.2.2:80 handshake, request, response, ACK, "
              "FIN/FIN-ACK/ACK (%d to server, %d to client)"
              % (text, s.pkts_c2s, s.pkts_s2c))
        c.clock.advance(1.0)
    assert cnts[0] == cnts[1]
    ts, tc = cnts[0]["toserver"], cnts[0]["toclient"]
    c.flow(2, "TCP", "192.0.2.1", "192.0.2.2", 40002, 80, ts, tc)
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 40002, 80, ts, tc, vlan=[10])
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 40002, 80, ts, tc, vlan=[100, 20])
    c.check(2, event_type="flow")
    return c


LINK_FLOWS = [  # (client, server, qid, name)
    (("192.0.2.1", 50001), ("192.0.2.2", 53), 0x0101, "eth.example.com"),
    (("192.0.2.3", 50002), ("192.0.2.4", 53), 0x0202, "sll.example.com"),
    (("192.0.2.5", 50003), ("192.0.2.6", 53), 0x0303, "sll2.example.com"),
    (("192.0.2.7", 50004), ("192.0.2.8", 53), 0x0404, "null.example.com"),
    (("2001:db8::7", 50005), ("2001:db8::8", 53), 0x0505, "null6.example.com"),
]


def case_linktypes():
    """Link-layer decoders: Ethernet, Linux SLL, Linux SLL2 and BSD NULL in one pcapng (one IDB
    each, different if_tsresol), and the same exchanges as raw-IP and NULL classic pcaps."""
    c = Case("linktypes", "Five DNS exchanges over the link types Ethernet, Linux SLL, Linux SLL2, "
             "BSD NULL (IPv4 and IPv6), as pcapng and as raw-IP / NULL pcap", """
The capture reader maps each pcapng interface (IDB) to its own link type and timestamp
resolution, and the link-layer decoders for LINKTYPE_ETHERNET (1), LINKTYPE_LINUX_SLL (113),
LINKTYPE_LINUX_SLL2 (276), LINKTYPE_NULL (0, AF_INET = 2 and AF_INET6 = 24, little-endian)
and LINKTYPE_RAW (101, IPv4 and IPv6) all reach the same IP/UDP layer. The three files hold the
same five UDP exchanges, so the same checks hold for each of them.""")
    c.inputs = ["input.pcapng", "input_raw.pcap", "input_null.pcap"]
    ifaces = [
        {"linktype": pg.LINKTYPE_ETHERNET, "tsresol": 6, "name": "eth0"},
        {"linktype": pg.LINKTYPE_LINUX_SLL, "tsresol": 9, "name": "any"},
        {"linktype": pg.LINKTYPE_LINUX_SLL2, "tsresol": 6, "name": "any2"},
        {"linktype": pg.LINKTYPE_NULL, "tsresol": 9, "name": "lo0"},
    ]

    def framer_for(iface):
        if iface == 0:
            return ETH
        if iface == 1:
            return lambda ip, c2s: pg.sll(ip, pkttype=pg.SLL_OUTGOING if c2s else pg.SLL_HOST,
                                          addr=MAC_C if c2s else MAC_S)
        if iface == 2:
            return lambda ip, c2s: pg.sll2(ip, ifindex=2,
                                           pkttype=pg.SLL_OUTGOING if c2s else pg.SLL_HOST,
                                           addr=MAC_C if c2s else MAC_S)
        return lambda ip, c2s: pg.null_hdr(ip)

    raw, null = pg.Capture(), pg.Capture()
    labels = ["Ethernet (interface 0, us)", "Linux SLL (interface 1, ns)",
              "Linux SLL2 (interface 2, us)", "BSD NULL AF_INET (interface 3, ns)",
              "BSD NULL AF_INET6=24 (interface 3, ns)"]
    for i, (cli, srv, qid, name) in enumerate(LINK_FLOWS):
        iface = min(i, 3)
        v6 = ":" in cli[0]
        q, r = dns_pair(qid, name, "2001:db8::53" if v6 else "203.0.113.53", "AAAA" if v6 else "A")
        c.begin()
        t = c.clock.now
        pg.udp_exchange(c.cap, c.clock, framer_for(iface), cli, srv, q, r, iface=iface)
        for capx, fr in ((raw, pg.raw_framer), (null, lambda ip, c2s: pg.null_hdr(ip))):
            clk = pg.Clock(t, random.Random(i))
            pg.udp_exchange(capx, clk, fr, cli, srv, q, r)
        c.end("%s: UDP %s:%d -> %s:%d DNS query %s and answer"
              % (labels[i], cli[0], cli[1], srv[0], srv[1], name))
        c.flow(1, "UDP", cli[0], srv[0], cli[1], srv[1], 1, 1)
        c.clock.advance(0.25)
    c.check(5, event_type="flow")
    c.notes.append("`input_raw.pcap` (LINKTYPE_RAW) and `input_null.pcap` (LINKTYPE_NULL) hold "
                   "the same 10 packets in the same order (timestamps may differ slightly in "
                   "their sub-millisecond part). In the pcapng, interfaces 1 and 3 use "
                   "if_tsresol 9 (ns), interfaces 0 and 2 the default-valued 6 (us).")
    c._ifaces, c._raw, c._null = ifaces, raw, null
    return c


def case_pcap_variants():
    """The classic pcap reader: us/ns magic, little/big-endian, with a known timestamp."""
    c = Case("pcap_variants", "The same 3-packet UDP exchange as pcap us/ns x little/big-endian",
             """
The pcap file reader handles the four classic variants: magic 0xa1b2c3d4 (microseconds) and
0xa1b23c4d (nanoseconds), each written little-endian and big-endian (the reader must byte-swap
the file header and every record header). The first packet's timestamp is
2024-01-02T03:04:05.123456789Z in the ns files and 2024-01-02T03:04:05.123456Z in the us files,
so a reader that ignores the magic shows a wrong sub-second part.""")
    c.inputs = ["input_le_us.pcap", "input_le_ns.pcap", "input_be_us.pcap", "input_be_ns.pcap"]
    t = [pg.ts_from_iso("2024-01-02T03:04:05.123456789Z"),
         pg.ts_from_iso("2024-01-02T03:04:05.124690123Z"),
         pg.ts_from_iso("2024-01-02T03:04:06.000000999Z")]
    cli, srv = ("192.0.2.1", 40053), ("192.0.2.53", 53)
    q1, r1 = dns_pair(0x7001, "variants.example.com", "203.0.113.7")
    q2 = pg.dns_query(0x7002, "variants.example.com", "AAAA")
    c.begin()
    c.cap.add(t[0], ETH(pg.udp_packet(cli[0], srv[0], cli[1], srv[1], q1, ident=1), True))
    c.cap.add(t[1], ETH(pg.udp_packet(srv[0], cli[0], srv[1], cli[1], r1, ident=2), False))
    c.cap.add(t[2], ETH(pg.udp_packet(cli[0], srv[0], cli[1], srv[1], q2, ident=3), True))
    c.end("UDP 192.0.2.1:40053 -> 192.0.2.53:53: query A, answer, query AAAA (no answer)")
    c.notes.append("Timestamps (ns files / us files): packet 1 03:04:05.123456789 / .123456, "
                   "packet 2 03:04:05.124690123 / .124690, packet 3 03:04:06.000000999 / "
                   ".000000 (UTC, 2024-01-02); epoch seconds of packet 1: 1704164645.")
    c.flow(1, "UDP", cli[0], srv[0], cli[1], srv[1], 2, 1)
    c.check(1, event_type="flow")
    return c


def _udp_datagram_v4(src, dst, sport, dport, ident, size=3000):
    """An unfragmented IPv4 packet holding a UDP datagram of `size` bytes (header included)."""
    data = bytes((i * 7 + sport) & 0xFF for i in range(size - 8))
    return pg.ipv4(src, dst, pg.IPPROTO_UDP, pg.udp(src, dst, sport, dport, data), ident=ident)


def case_ipv4_frag():
    """IPv4 reassembly: in order, out of order, overlapping with conflicting data, and an
    incomplete datagram."""
    c = Case("ipv4_frag", "IPv4 fragments: 3000-byte UDP datagrams in order, out of order, "
             "with a conflicting overlap, and incomplete", """
IPv4 defragmentation: a 3000-byte UDP datagram (UDP length 3000, IP total 3020) is cut into
three fragments of 1000 payload bytes (offsets 0, 1000, 2000). The flow sees only the reassembled
datagram, so a complete datagram counts as one packet whatever the fragment order; a datagram
whose last fragment never arrives produces no UDP flow. The overlapping case carries conflicting
bytes in the overlap: its outcome depends on the reassembly policy (and an overlap anomaly is
expected), so it is not in expect.yaml.""")
    src, dst = "192.0.2.1", "192.0.2.2"
    # D1: in order
    d1 = _udp_datagram_v4(src, dst, 41001, 9000, 0x1001)
    c.begin()
    for f in pg.ipv4_fragment(d1, 1000):
        c.cap.add(c.clock.now, ETH(f, True))
        c.clock.advance(0.0001)
    c.end("datagram 1, IP id 0x1001, UDP 192.0.2.1:41001 -> 192.0.2.2:9000: fragments at "
          "offsets 0, 1000 (MF), 2000 (last), in order")
    c.clock.advance(0.5)
    # D2: out of order 3, 1, 2
    d2 = _udp_datagram_v4(src, dst, 41002, 9000, 0x1002)
    frags = pg.ipv4_fragment(d2, 1000)
    c.begin()
    for f in (frags[2], frags[0], frags[1]):
        c.cap.add(c.clock.now, ETH(f, True))
        c.clock.advance(0.0001)
    c.end("datagram 2, IP id 0x1002, UDP :41002 -> :9000: fragments sent in the order offset "
          "2000 (last), 0, 1000")
    c.clock.advance(0.5)
    # D3: overlap with conflicting data
    d3 = _udp_datagram_v4(src, dst, 41003, 9000, 0x1003)
    payload = d3[20:]
    conflicting = b"XXXXXXXX" + payload[1000:2000]
    c.begin()
    for f in (pg.ipv4_fragment_piece(d3, 0, 1000, True),
              pg.ipv4_fragment_piece(d3, 992, 1008, True, data=conflicting),
              pg.ipv4_fragment_piece(d3, 2000, 1000, False)):
        c.cap.add(c.clock.now, ETH(f, True))
        c.clock.advance(0.0001)
    c.end("datagram 3, IP id 0x1003, UDP :41003 -> :9000: fragments [0,1000), [992,2000), "
          "[2000,3000); bytes 992-999 of the second fragment are 'XXXXXXXX' and differ from "
          "the first fragment's")
    c.notes.append("Datagram 3: the UDP checksum is valid for the original data, i.e. when the "
                   "first fragment's bytes win in the overlap (first-wins policies such as BSD / "
                   "Linux for this layout); with a last-wins policy the checksum does not match.")
    c.clock.advance(0.5)
    # D4: incomplete
    d4 = _udp_datagram_v4(src, dst, 41004, 9000, 0x1004)
    frags = pg.ipv4_fragment(d4, 1000)
    c.begin()
    for f in frags[:2]:
        c.cap.add(c.clock.now, ETH(f, True))
        c.clock.advance(0.0001)
    c.end("datagram 4, IP id 0x1004, UDP :41004 -> :9000: fragments at offsets 0 and 1000 only "
          "(the last fragment is missing)")
    c.flow(1, "UDP", src, dst, 41001, 9000, 1, 0)
    c.flow(1, "UDP", src, dst, 41002, 9000, 1, 0)
    c.flow(0, "UDP", src, dst, 41004, 9000)
    return c


def case_ipv6_frag():
    """IPv6 reassembly via the fragment header, in order and out of order."""
    c = Case("ipv6_frag", "IPv6 fragments: 3000-byte UDP datagrams in order and out of order", """
IPv6 defragmentation (fragment extension header): a 3000-byte UDP datagram is carried in three
fragments of 1000 bytes of fragmentable part each (offsets 0, 1000, 2000). Each complete
datagram reaches the flow as one packet, whatever the order of its fragments.""")
    src, dst = "2001:db8::1", "2001:db8::2"
    for sport, ident, order, text in ((42001, 0x2001, None, "in order (offsets 0, 1000, 2000)"),
                                      (42002, 0x2002, [1, 2, 0],
                                       "out of order (offsets 1000, 2000, 0)")):
        data = bytes((i * 5 + sport) & 0xFF for i in range(3000 - 8))
        dgram = pg.udp(src, dst, sport, 9000, data)
        c.begin()
        for f in pg.ipv6_fragment(src, dst, pg.IPPROTO_UDP, dgram, 1000, ident, order=order):
            c.cap.add(c.clock.now, ETH(f, True))
            c.clock.advance(0.0001)
        c.end("UDP [2001:db8::1]:%d -> [2001:db8::2]:9000, fragment id 0x%x, 3 fragments %s"
              % (sport, ident, text))
        c.flow(1, "UDP", src, dst, sport, 9000, 1, 0)
        c.clock.advance(0.5)
    c.check(2, event_type="flow")
    return c


def case_icmp_errors():
    """ICMP errors quoting the packet that caused them (v4 port unreachable, v6 port
    unreachable, v4 TTL exceeded)."""
    c = Case("icmp_errors", "UDP probes answered by ICMPv4 port unreachable, ICMPv6 port "
             "unreachable, and ICMPv4 time exceeded, each quoting the probe", """
The ICMP decoders parse errors that embed the original IP header + 8 bytes (ICMPv4) or the whole
original packet (ICMPv6), and the flow table keeps the error in its own ICMP flow instead of
counting it in the UDP flow it quotes: every UDP flow has exactly one packet to server and none
to client.""")
    # v4 port unreachable
    p1 = pg.udp_packet("192.0.2.1", "192.0.2.2", 43001, 33434, b"\0" * 32, ident=0x4301)
    c.begin()
    c.cap.add(c.clock.now, ETH(p1, True))
    c.clock.advance(0.0003)
    c.cap.add(c.clock.now, ETH(pg.ipv4("192.0.2.2", "192.0.2.1", pg.IPPROTO_ICMP,
                                       pg.icmp4_error(3, 3, p1), ident=0x9001), False))
    c.end("UDP 192.0.2.1:43001 -> 192.0.2.2:33434 (32 bytes of data); ICMPv4 type 3 code 3 "
          "from 192.0.2.2 quoting its IP header + 8 bytes")
    c.clock.advance(0.5)
    # v6 port unreachable
    p3 = pg.udp_packet("2001:db8::1", "2001:db8::2", 43002, 33435, b"\0" * 32)
    c.begin()
    c.cap.add(c.clock.now, ETH(p3, True))
    c.clock.advance(0.0003)
    c.cap.add(c.clock.now, ETH(pg.ipv6("2001:db8::2", "2001:db8::1", pg.IPPROTO_ICMPV6,
                                       pg.icmp6_error("2001:db8::2", "2001:db8::1", 1, 4, p3)),
                               False))
    c.end("UDP [2001:db8::1]:43002 -> [2001:db8::2]:33435; ICMPv6 type 1 code 4 from "
          "2001:db8::2 quoting the whole probe")
    c.clock.advance(0.5)
    # TTL exceeded at a router
    p5 = pg.udp_packet("192.0.2.1", "203.0.113.9", 43003, 33436, b"\0" * 32, ttl=1,
                       ident=0x4303)
    c.begin()
    c.cap.add(c.clock.now, ETH(p5, True))
    c.clock.advance(0.0008)
    c.cap.add(c.clock.now, ETH(pg.ipv4("192.0.2.254", "192.0.2.1", pg.IPPROTO_ICMP,
                                       pg.icmp4_error(11, 0, p5), ident=0x9002, ttl=255), False))
    c.end("UDP 192.0.2.1:43003 -> 203.0.113.9:33436 with TTL 1; ICMPv4 type 11 code 0 "
          "(TTL exceeded in transit) from router 192.0.2.254 quoting it")
    c.flow(1, "UDP", "192.0.2.1", "192.0.2.2", 43001, 33434, 1, 0)
    c.flow(1, "UDP", "2001:db8::1", "2001:db8::2", 43002, 33435, 1, 0)
    c.flow(1, "UDP", "192.0.2.1", "203.0.113.9", 43003, 33436, 1, 0)
    c.flow(1, "ICMP", "192.0.2.2", "192.0.2.1", toserver=1, toclient=0)
    c.flow(1, "IPv6-ICMP", "2001:db8::2", "2001:db8::1", toserver=1, toclient=0)
    c.flow(1, "ICMP", "192.0.2.254", "192.0.2.1", toserver=1, toclient=0)
    c.check(6, event_type="flow")
    return c


def case_tunnels():
    """GRE (IPv4 payload), GRE with transparent Ethernet bridging, and VXLAN: only the inner
    flows are flows."""
    c = Case("tunnels", "IPv4-in-GRE TCP session, Ethernet-over-GRE UDP exchange, VXLAN (VNI 42) "
             "UDP exchange", """
Tunnel decapsulation: GRE with protocol 0x0800 (IPv4), GRE with protocol 0x6558 (an Ethernet
frame inside), and VXLAN on UDP port 4789 (an Ethernet frame inside). The flow is the innermost
one; the outer GRE and UDP/4789 packets are not separate flows, so there are exactly three flow
events. The outer VXLAN UDP checksum is 0 (no checksum, as Linux sends it), which is valid for
IPv4.""")
    out_a, out_b = "02:00:00:00:0a:01", "02:00:00:00:0a:02"

    def gre_ip_framer(o_src, o_dst):
        def fr(ip, c2s):
            s, d = (o_src, o_dst) if c2s else (o_dst, o_src)
            return pg.ether(out_b if c2s else out_a, out_a if c2s else out_b,
                            pg.ipv4(s, d, pg.IPPROTO_GRE, pg.gre(pg.ETH_P_IPV4, ip), ttl=64))
        return fr
    c.begin()
    s = tcp_session(c, ("198.51.100.1", 40010), ("198.51.100.2", 80),
                    framer=gre_ip_framer("192.0.2.1", "192.0.2.2"), mss=1436)
    s.handshake()
    exchange(s, "gre.html", b"inside GRE\n")
    s.close()
    gc = s.counts()
    c.end("outer IPv4 192.0.2.1 <-> 192.0.2.2 GRE (0x0800); inner TCP 198.51.100.1:40010 -> "
          "198.51.100.2:80 handshake, request, response, ACK, FIN/FIN-ACK/ACK "
          "(%d to server, %d to client)" % (gc["toserver"], gc["toclient"]))
    c.clock.advance(0.5)

    in_c, in_s = "02:00:00:00:0b:01", "02:00:00:00:0b:02"

    def gre_eth_framer(ip, c2s):
        inner = pg.ether(in_s, in_c, ip) if c2s else pg.ether(in_c, in_s, ip)
        s_, d_ = ("192.0.2.3", "192.0.2.4") if c2s else ("192.0.2.4", "192.0.2.3")
        return pg.ether(out_b if c2s else out_a, out_a if c2s else out_b,
                        pg.ipv4(s_, d_, pg.IPPROTO_GRE, pg.gre(pg.ETH_P_TEB, inner)))
    q, r = dns_pair(0x0B0B, "gre-eth.example.com", "198.51.100.53")
    c.begin()
    pg.udp_exchange(c.cap, c.clock, gre_eth_framer, ("198.51.100.3", 40011),
                    ("198.51.100.4", 53), q, r)
    c.end("outer IPv4 192.0.2.3 <-> 192.0.2.4 GRE (0x6558); inner Ethernet + IPv4 UDP "
          "198.51.100.3:40011 -> 198.51.100.4:53 DNS query and answer")
    c.clock.advance(0.5)

    def vxlan_framer(ip, c2s):
        inner = pg.ether(in_s, in_c, ip) if c2s else pg.ether(in_c, in_s, ip)
        s_, d_, sp = ("192.0.2.5", "192.0.2.6", 49152) if c2s else ("192.0.2.6", "192.0.2.5", 49153)
        outer_udp = pg.udp(s_, d_, sp, pg.VXLAN_PORT, pg.vxlan(42, inner), checksum=0)
        return pg.ether(out_b if c2s else out_a, out_a if c2s else out_b,
                        pg.ipv4(s_, d_, pg.IPPROTO_UDP, outer_udp))
    q, r = dns_pair(0x0C0C, "vxlan.example.com", "203.0.113.53")
    c.begin()
    pg.udp_exchange(c.cap, c.clock, vxlan_framer, ("203.0.113.1", 40012), ("203.0.113.2", 53), q, r)
    c.end("outer IPv4 UDP 192.0.2.5:49152 -> 192.0.2.6:4789 (answer 192.0.2.6:49153 -> "
          "192.0.2.5:4789), VXLAN VNI 42; inner Ethernet + IPv4 UDP 203.0.113.1:40012 -> "
          "203.0.113.2:53 DNS query and answer")
    c.flow(1, "TCP", "198.51.100.1", "198.51.100.2", 40010, 80, gc["toserver"], gc["toclient"])
    c.flow(1, "UDP", "198.51.100.3", "198.51.100.4", 40011, 53, 1, 1)
    c.flow(1, "UDP", "203.0.113.1", "203.0.113.2", 40012, 53, 1, 1)
    c.flow(0, "GRE", "192.0.2.1", "192.0.2.2")
    c.flow(0, "UDP", "192.0.2.5", "192.0.2.6", 49152, 4789)
    c.check(3, event_type="flow")
    return c


def case_malformed():
    """One packet per malformation; the source address 192.0.2.(100+N) names packet N."""
    c = Case("malformed", "One malformed packet per decoder check (18 packets)", """
Every decoder length/consistency check on hostile input: the sensor must count an anomaly and
go on, never crash or read past the captured bytes (run it under ASan). Each packet is otherwise
well-formed (valid checksums unless the checksum is the point), and packet N is sent from
192.0.2.(100+N) (the IPv6 packets 12 and 13 from 2001:db8::112 and 2001:db8::113) so events
can be tied to it. Packet 5 has only a bad IPv4 header checksum: its UDP must still be decoded and
make a flow. The lead adds the anomaly-event checks to expect.yaml.""")
    dst = "192.0.2.2"
    d6 = "2001:db8::2"
    mal = []  # (packet no, description, Suricata-style event name(s) that may apply)

    def src(n):
        return "192.0.2.%d" % (100 + n)

    def add(frame, text, ev, orig_len=None):
        n = len(c.cap) + 1
        c.begin()
        c.cap.add(c.clock.now, frame, orig_len=orig_len)
        c.end(text)
        mal.append((n, text, ev))
        c.clock.advance(0.01)

    def dnsq(n):
        return pg.dns_query(0x6000 + n, "malformed%d.example.com" % n)

    def udp4(n, **ipkw):
        s = src(n)
        return pg.ipv4(s, dst, pg.IPPROTO_UDP, pg.udp(s, dst, 40000 + n, 53, dnsq(n)),
                       ident=n, **ipkw)

    def eth(p):
        return pg.ether(MAC_S, MAC_C, p)

    add(eth(b"")[:10], "Ethernet frame of 10 bytes (shorter than the 14-byte header)",
        "decoder.ethernet.pkt_too_small")
    add(eth(udp4(2, ihl=4)), "IPv4 with IHL=4 (16 bytes < 20); a normal 20-byte header and UDP "
        "follow", "decoder.ipv4.hlen_too_small")
    good3 = udp4(3)
    add(eth(udp4(3, total_length=len(good3) + 100)),
        "IPv4 total length = real length + 100 (more than captured); UDP follows",
        "decoder.ipv4.trunc_pkt")
    add(eth(udp4(4, total_length=16)), "IPv4 total length 16 < IHL*4 = 20; UDP follows",
        "decoder.ipv4.iplen_smaller_than_hlen")
    good5 = udp4(5)
    bad_ck = pg.inet_checksum(good5[:10] + b"\0\0" + good5[12:20]) ^ 0x5A5A
    add(eth(udp4(5, checksum=bad_ck)),
        "IPv4 header checksum wrong (0x%04x); otherwise valid UDP 192.0.2.105:40005 -> "
        "192.0.2.2:53 DNS query: must still make a UDP flow" % bad_ck,
        "(none by default; ipv4-csum keyword / stats counter)")
    add(eth(udp4(6, options=b"\x07\x00\x00\x00")),
        "IPv4 option Record Route (7) with length 0 (IHL 6); UDP follows",
        "decoder.ipv4.opt_invalid_len")
    add(eth(udp4(7, options=b"\x07\x0b\x04\x00")),
        "IPv4 option Record Route (7) with length 11 in a 4-byte option area (runs past the "
        "header, IHL 6); UDP follows", "decoder.ipv4.opt_invalid_len")
    s8 = src(8)
    add(eth(pg.ipv4(s8, dst, pg.IPPROTO_TCP,
                    pg.tcp(s8, dst, 40008, 80, seq=1000, flags="S", data_offset=4), ident=8)),
        "TCP SYN with data offset 4 (16 bytes < 20); 20 header bytes present",
        "decoder.tcp.hlen_too_small")
    s9 = src(9)
    add(eth(pg.ipv4(s9, dst, pg.IPPROTO_TCP,
                    pg.tcp(s9, dst, 40009, 80, seq=1000, flags="S", options=b"\x01\x01\x08\x0a"),
                    ident=9)),
        "TCP SYN with data offset 6, options NOP NOP TS(kind 8, length 10): the TS option runs "
        "past the 24-byte header (end of packet)", "decoder.tcp.opt_invalid_len")
    s10 = src(10)
    add(eth(pg.ipv4(s10, dst, pg.IPPROTO_UDP,
                    pg.udp(s10, dst, 40010, 53, dnsq(10), length=4), ident=10)),
        "UDP length field 4 (< 8); 8-byte header and DNS query present",
        "decoder.udp.hlen_too_small")
    s11 = src(11)
    q11 = dnsq(11)
    add(eth(pg.ipv4(s11, dst, pg.IPPROTO_UDP,
                    pg.udp(s11, dst, 40011, 53, q11, length=8 + len(q11) + 100), ident=11)),
        "UDP length field = real + 100 (more than the IP payload)",
        "decoder.udp.hlen_invalid")
    s12 = "2001:db8::112"
    q12 = dnsq(12)
    add(eth(pg.ipv6(s12, d6, pg.IPPROTO_UDP, pg.udp(s12, d6, 40012, 53, q12),
                    payload_length=8 + len(q12) + 100)),
        "IPv6 payload length = real + 100 (more than captured); UDP follows",
        "decoder.ipv6.trunc_pkt")
    s13 = "2001:db8::113"
    hbh_cut = bytes([pg.IPPROTO_UDP, 1, 1, 4, 0, 0, 0, 0])  # says 16 bytes, only 8 present
    add(eth(pg.ipv6(s13, d6, pg.IPPROTO_HOPOPTS, hbh_cut)),
        "IPv6 with a hop-by-hop header whose length field says 16 bytes but only 8 are present "
        "(payload length 8, nothing after it)", "decoder.ipv6.trunc_exthdr")
    s14 = src(14)
    add(eth(pg.ipv4(s14, dst, pg.IPPROTO_ICMP, b"\x08\x00\xf7", ident=14)),
        "ICMPv4 of 3 bytes (type 8, code 0, one checksum byte)",
        "decoder.icmpv4.pkt_too_small")
    add(pg.ether(MAC_S, MAC_C, b"\x00" * 46, ethertype=0x88B5),
        "Ethernet with unknown (local experimental) ethertype 0x88b5 and 46 zero bytes",
        "decoder.ethernet.unknown_ethertype (or only a counter)")
    add(pg.mac_bytes(MAC_S) + pg.mac_bytes(MAC_C) + b"\x81\x00\x00\x0a",
        "Ethernet with TPID 0x8100 followed by only the 2-byte TCI (16-byte frame; the inner "
        "ethertype is missing)", "decoder.vlan.header_too_small")
    s17 = src(17)
    big = pg.ipv4(s17, dst, pg.IPPROTO_TCP,
                  pg.tcp(s17, dst, 40017, 80, seq=5000, ack=7000, flags="PA",
                         payload=b"A" * 380), ident=17)
    f17 = eth(big)
    add(f17[:60], "TCP segment of 400 bytes (IP total 420, frame 434 bytes) captured with "
        "snaplen 60: record caplen 60 < wire length 434",
        "decoder.ipv4.trunc_pkt in Suricata (caplen < IP total length); a sensor may "
        "report snaplen truncation under its own name", orig_len=len(f17))
    add(pg.ether(MAC_S, MAC_C, udp4(18), vlans=list(range(1, 11))),
        "10 nested 802.1Q tags (VLAN 1..10), then a valid IPv4 UDP DNS query",
        "decoder.vlan.too_many_layers")
    c.notes.append("Likely anomaly per packet (Suricata-style names, a guide for the lead; "
                   "not checked in expect.yaml):\n\n| # | likely event |\n|---|---|\n" +
                   "\n".join("| %d | %s |" % (m[0], m[2]) for m in mal))
    c.flow(1, "UDP", src(5), dst, 40005, 53, 1, 0)
    return c


def case_truncated_file():
    """A capture cut in the middle of the 15th record: the reader must report partial input
    and the flows from the 14 good packets must still be logged."""
    c = Case("truncated_file", "A pcap of 20 UDP packets cut in the middle of record 15", """
The pcap reader meets end of file inside a record: it reports the damage (exit code 3, partial
input) after processing the 14 complete packets, and the flow events of those packets are not
lost.""")
    srv = ("192.0.2.53", 53)
    for i in range(5):
        cli = ("192.0.2.1", 44001 + i)
        c.begin()
        for k in range(2):
            q, r = dns_pair(0x5000 + 16 * i + k, "trunc%d-%d.example.com" % (i + 1, k + 1),
                            "203.0.113.%d" % (10 + i))
            pg.udp_exchange(c.cap, c.clock, ETH, cli, srv, q, r)
            c.clock.advance(0.05)
        c.end("UDP 192.0.2.1:%d -> 192.0.2.53:53: query, answer, query, answer" % cli[1])
        c.clock.advance(0.2)
    c.exit_code = 3
    c.notes.append("The file is cut in the middle of the data of record 15 (its 16-byte record "
                   "header is complete, about half of its packet bytes are present). 14 packets "
                   "come before the damage: flows :44001, :44002, :44003 are complete (2 + 2), "
                   "flow :44004 has packets 13 (query) and 14 (answer) only; flow :44005 is "
                   "never seen.")
    for i in range(3):
        c.flow(1, "UDP", "192.0.2.1", "192.0.2.53", 44001 + i, 53, 2, 2)
    c.flow(1, "UDP", "192.0.2.1", "192.0.2.53", 44004, 53, 1, 1)
    c.flow(0, "UDP", "192.0.2.1", "192.0.2.53", 44005, 53)
    c.check(4, event_type="flow")
    return c


def case_tcp_states():
    """TCP sessions ending in every common way, a mid-stream start, a flow starting with a
    SYN-ACK, and a 5-tuple reused by a new SYN after a completed close."""
    c = Case("tcp_states", "TCP sessions: FIN close, server RST, SYN only, SYN/SYN-ACK only, "
             "mid-stream, starts with SYN-ACK, and port reuse after close", """
TCP state tracking and flow direction: every session gets a flow with the right client/server
orientation and packet counts, whether it ends with FIN, RST, or not at all, whether it starts
with SYN, with a SYN-ACK (the SYN-ACK's receiver is the client) or mid-stream with data. A new
SYN on the same 5-tuple after a completed FIN close (new ISN) starts a new flow: two flow events
for 192.0.2.1:45006 -> 192.0.2.2:80.""")
    srv = ("192.0.2.2", 80)

    def cl(n):
        return ("192.0.2.1", 45000 + n)

    # S1 normal FIN
    c.begin()
    s = tcp_session(c, cl(1), srv)
    s.handshake()
    exchange(s, "s1", b"one\n")
    s.close()
    c.end("S1 :45001 normal: handshake, request, response, ACK, FIN/FIN-ACK/ACK (6 to server, "
          "3 to client)")
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 45001, 80, 6, 3)
    c.clock.advance(1)
    # S2 RST from server
    c.begin()
    s = tcp_session(c, cl(2), srv)
    s.handshake()
    s.client(http_req("s2"))
    s.reset(by_client=False)
    c.end("S2 :45002 handshake, request, then RST-ACK from the server (3 to server, 2 to client)")
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 45002, 80, 3, 2)
    c.clock.advance(1)
    # S3 SYN only
    c.begin()
    s = tcp_session(c, cl(3), srv)
    s.syn()
    c.end("S3 :45003 a single SYN, never answered (1 to server)")
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 45003, 80, 1, 0)
    c.clock.advance(1)
    # S4 SYN + SYN-ACK
    c.begin()
    s = tcp_session(c, cl(4), srv)
    s.syn()
    s.half_rtt()
    s.syn_ack()
    c.end("S4 :45004 SYN and SYN-ACK, no third packet (1 to server, 1 to client)")
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 45004, 80, 1, 1)
    c.clock.advance(1)
    # S5 mid-stream
    c.begin()
    s = tcp_session(c, cl(5), srv)
    exchange(s, "s5a", b"five a\n")
    exchange(s, "s5b", b"five b\n")
    c.end("S5 :45005 mid-stream, no handshake: request, response, ACK, request, response, ACK "
          "(4 to server, 2 to client), no teardown")
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 45005, 80, 4, 2)
    c.clock.advance(1)
    # S6 port reuse
    c.begin()
    s = tcp_session(c, cl(6), srv)
    s.handshake()
    exchange(s, "s6a", b"six a\n")
    s.close()
    c.end("S6a :45006 first connection: handshake, request, response, ACK, FIN/FIN-ACK/ACK "
          "(6 to server, 3 to client)")
    c.clock.advance(2)
    c.begin()
    s = tcp_session(c, cl(6), srv)  # fresh ISNs from the rng
    s.handshake()
    exchange(s, "s6b", b"six b\n")
    s.close()
    c.end("S6b :45006 two seconds later, same 5-tuple, new SYN with a new ISN: the same "
          "sequence again (6 to server, 3 to client)")
    c.flow(2, "TCP", "192.0.2.1", "192.0.2.2", 45006, 80, 6, 3)
    c.clock.advance(1)
    # S7 starts with SYN-ACK
    c.begin()
    s = tcp_session(c, cl(7), srv)
    s.c_seq = (s.c_seq + 1) & 0xFFFFFFFF  # the SYN was sent before the capture started
    s.s_ack = s.c_seq
    s.syn_ack()
    s.half_rtt()
    s.ack(True)
    s.wait(0.0002)
    exchange(s, "s7", b"seven\n")
    s.close()
    c.end("S7 :45007 capture starts at the server's SYN-ACK: SYN-ACK, ACK, request, response, "
          "ACK, FIN/FIN-ACK/ACK (5 to server, 3 to client; client = SYN-ACK receiver)")
    c.flow(1, "TCP", "192.0.2.1", "192.0.2.2", 45007, 80, 5, 3)
    c.check(8, event_type="flow")
    return c


CASES = {
    "eth_ipv4_tcp_udp": case_eth_ipv4_tcp_udp,
    "ipv6_ext": case_ipv6_ext,
    "vlan_qinq": case_vlan_qinq,
    "linktypes": case_linktypes,
    "pcap_variants": case_pcap_variants,
    "ipv4_frag": case_ipv4_frag,
    "ipv6_frag": case_ipv6_frag,
    "icmp_errors": case_icmp_errors,
    "tunnels": case_tunnels,
    "malformed": case_malformed,
    "truncated_file": case_truncated_file,
    "tcp_states": case_tcp_states,
}


def write_case(c, outdir):
    d = os.path.join(outdir, c.name)
    os.makedirs(d, exist_ok=True)
    c.assert_time_ordered()
    if c.name == "linktypes":
        c.cap.write_pcapng(os.path.join(d, "input.pcapng"), c._ifaces)
        c._raw.write_pcap(os.path.join(d, "input_raw.pcap"), linktype=pg.LINKTYPE_RAW)
        c._null.write_pcap(os.path.join(d, "input_null.pcap"), linktype=pg.LINKTYPE_NULL)
    elif c.name == "pcap_variants":
        for fname in c.inputs:
            c.cap.write_pcap(os.path.join(d, fname), nanosecond=fname.endswith("_ns.pcap"),
                             big_endian="_be_" in fname)
    elif c.name == "truncated_file":
        path = os.path.join(d, "input.pcap")
        c.cap.write_pcap(path)
        data = open(path, "rb").read()
        off = 24
        for _ in range(14):
            caplen = int.from_bytes(data[off + 8:off + 12], "little")
            off += 16 + caplen
        caplen15 = int.from_bytes(data[off + 8:off + 12], "little")
        with open(path, "wb") as f:
            f.write(data[:off + 16 + caplen15 // 2])
    else:
        c.cap.write_pcap(os.path.join(d, "input.pcap"))
    write_expect(c, os.path.join(d, "expect.yaml"))
    write_readme(c, os.path.join(d, "README.md"))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "pcap"))
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    a = ap.parse_args()
    for name in a.cases or CASES:
        if name not in CASES:
            sys.exit("unknown case %r (known: %s)" % (name, ", ".join(CASES)))
        d = write_case(CASES[name](), a.out)
        print("wrote", os.path.relpath(d))


if __name__ == "__main__":
    main()
