#!/usr/bin/env python3
"""Write the own captures of the T2 port-scan detector's pcap cases:
tests/pcap/dt_portscan_<case>/input.pcap (the README.md and expect.yaml beside them are written
by hand and say what each case proves).

usage: tools/gen_dt_portscan_pcaps.py [--out tests/pcap] [CASE ...]    (default: all cases)

Cases
  horizontal    one source, port 445 across 40 hosts (25 answer RST or SYN-ACK, 15 are down),
                next to a PC browsing a few web servers
  distributed   12 sources, 4 ports each, against one mail server (48 distinct ports, all
                closed), next to ordinary POP3 / SMTP clients of that server
  block         one source, 12 ports on each of 12 hosts, hosts interleaved
  ipv6          one source scanning 20 TCP ports of one host (RST) and 12 UDP ports of another
                (ICMPv6 port unreachable) over IPv6
  sweep         a PC pinging 30 addresses of another network through its router (8 answer,
                the router reports 11 unreachable, 11 stay silent), next to a monitoring
                server that pings 12 hosts every 20 s, all answering
  monitor       a monitoring server pinging 30 hosts of its network every minute and another
                checking their port 3389, ten rounds with every host up, then fifteen with 20
                of them switched off for the night; during the night a PC pings 40 addresses
                of another network (4 answer, 36 stay silent)
  arpsweep      a PC asking ARP for every address of its /24 (6 answer), next to the gateway
                asking for 12 busy hosts, a DHCP client's address probes and announcement, and
                PCs asking for the gateway
  arpbroadcast  what a switch port that sees only broadcasts shows (no reply is in sight): 30
                PCs and the gateway asking ARP for the gateway or a PC, then a backup server
                asking for the 30 PCs and 4 addresses of switched-off ones, then a PC asking for
                every address of the /24
  benign        no scan: a busy client (120 connections to 30 servers, one first contact in
                five refused), a DNS resolver asking 40 upstream servers, and a SYN flood of
                1,000 SYNs from 200 spoofed sources to one port (a flood, not a scan)

Deterministic: fixed seeds and start time 2024-05-01T09:00:00Z; two runs give byte-identical
files. Addresses come from the documentation ranges and RFC 1918; every checksum is valid.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-05-01T09:00:00Z")
MAC_IN = "02:00:5e:10:00:01"   # the office side of every packet
MAC_GW = "00:09:0f:3a:10:01"   # the gateway (outside hosts appear behind it)


def frame(ip_pkt, inside_sender):
    """Ethernet between an inside host and the gateway."""
    if inside_sender:
        return pg.ether(pg.mac_bytes(MAC_GW), pg.mac_bytes(MAC_IN), ip_pkt)
    return pg.ether(pg.mac_bytes(MAC_IN), pg.mac_bytes(MAC_GW), ip_pkt)


def is_inside(addr):
    return addr.startswith("192.168.") or addr.startswith("10.") or addr.startswith("fd")


class Writer:
    def __init__(self, seed):
        self.cap = pg.Capture()
        self.rng = random.Random(seed)

    def tcp(self, t, src, dst, sport, dport, flags, *, seq=1000, ack=0, payload=b"",
            options=b""):
        seg = pg.tcp(src, dst, sport, dport, seq=seq, ack=ack, flags=flags, payload=payload,
                     window=1024 if flags == "S" else 64240, options=options)
        self.cap.add(t, frame(pg.ip_packet(src, dst, pg.IPPROTO_TCP, seg), is_inside(src)))

    def udp(self, t, src, dst, sport, dport, payload=b""):
        self.cap.add(t, frame(pg.udp_packet(src, dst, sport, dport, payload), is_inside(src)))

    def raw(self, t, ip_pkt, sender):
        self.cap.add(t, frame(ip_pkt, is_inside(sender)))

    def probe(self, t, scanner, target, sport, port, answer, rtt=0.0004):
        """SYN probe; answer 'R' closed (RST-ACK), 'O' open (SYN-ACK, scanner RST), '-' none."""
        isn = self.rng.randrange(1 << 32)
        self.tcp(t, scanner, target, sport, port, "S", seq=isn,
                 options=pg.tcp_options(pg.opt_mss(1460)))
        if answer == "R":
            self.tcp(t + pg.ns(rtt), target, scanner, port, sport, "RA", seq=0, ack=isn + 1)
        elif answer == "O":
            sisn = self.rng.randrange(1 << 32)
            self.tcp(t + pg.ns(rtt), target, scanner, port, sport, "SA", seq=sisn, ack=isn + 1,
                     options=pg.tcp_options(pg.opt_mss(1460)))
            self.tcp(t + pg.ns(2 * rtt), scanner, target, sport, port, "R", seq=isn + 1)

    def session(self, t, client, server, sport, dport, request, response, rtt=0.002):
        """A complete TCP conversation: handshake, request, response, FIN close."""
        clock = pg.Clock(t, self.rng)
        s = pg.TcpSession(self.cap, clock, (client, sport), (server, dport),
                          framer=lambda ip, fc, c=client: frame(ip, is_inside(c) == fc),
                          rng=self.rng, rtt=rtt)
        s.handshake()
        if request:
            s.client(request)
        if response:
            s.server(response)
        s.close()


def browse(w, t, client, servers, per_server=1):
    """A PC fetching a page from each server (HTTP on 80)."""
    sport = 50000
    for i, srv in enumerate(servers):
        for k in range(per_server):
            sport += 1
            w.session(t + pg.ns(i * 0.7 + k * 0.1), client, srv, sport, 80,
                      b"GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
                      b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def case_horizontal(out):
    w = Writer(445)
    browse(w, T0, "192.168.20.50", ["203.0.113.10", "198.51.100.20", "203.0.113.30"])
    t = T0 + pg.ns(5)
    for host in range(1, 41):
        answer = "-" if host > 25 else ("O" if host % 7 == 0 else "R")
        w.probe(t + pg.ns(host * 0.05), "203.0.113.200", "192.168.20.%d" % host, 61234, 445,
                answer)
    return w


def case_distributed(out):
    w = Writer(25)
    t = T0
    # Ordinary mail clients of the server before and during the scan.
    for i in range(6):
        w.session(t + pg.ns(i * 4.0), "192.168.10.%d" % (21 + i), "192.168.10.25", 40000 + i,
                  110, b"USER x\r\n", b"+OK Dovecot ready.\r\n")
    port = 1000
    for s in range(12):
        src = "198.51.100.%d" % (10 + s)
        for k in range(4):
            port += 7
            w.probe(t + pg.ns(2 + s * 1.5 + k * 0.2), src, "192.168.10.25", 50000 + s, port,
                    "R")
    return w


def case_block(out):
    w = Writer(3)
    t = T0
    n = 0
    for port in [21, 22, 23, 25, 80, 110, 139, 143, 443, 445, 3306, 3389]:
        for host in range(1, 13):
            n += 1
            answer = "O" if (port, host) in ((22, 3), (80, 5), (445, 9)) else "R"
            w.probe(t + pg.ns(n * 0.004), "172.16.9.9", "172.16.5.%d" % host, 61000, port,
                    answer)
    return w


def case_ipv6(out):
    w = Writer(6)
    t = T0
    scanner, target = "2001:db8:77::7", "fd00:10::80"
    for i, port in enumerate(range(20, 40)):
        w.probe(t + pg.ns(i * 0.02), scanner, target, 45678, port, "O" if port == 22 else "R")
    t += pg.ns(3)
    resolver = "fd00:10::53"
    for i, port in enumerate([7, 9, 17, 19, 49, 67, 68, 69, 111, 123, 137, 161]):
        ts = t + pg.ns(i * 0.1)
        probe = pg.udp_packet(scanner, resolver, 45682, port, b"")
        w.raw(ts, probe, scanner)
        err = pg.icmp6_error(resolver, scanner, 1, 4, probe)
        w.raw(ts + pg.ns(0.0005), pg.ipv6(resolver, scanner, pg.IPPROTO_ICMPV6, err), resolver)
    return w


def case_sweep(out):
    w = Writer(30)
    t = T0
    pc, router = "192.168.1.66", "192.168.1.1"
    # The monitoring server's rounds, before, during and after the sweep.
    for rnd in range(4):
        for i in range(12):
            host, ident = "192.168.1.%d" % (20 + i), 0x4000 + rnd * 16 + i
            ts = t + pg.ns(rnd * 20 + i * 0.05)
            w.raw(ts, pg.ip_packet("192.168.1.10", host, pg.IPPROTO_ICMP,
                                   pg.icmp4_echo(ident, 1, b"monitor")), "192.168.1.10")
            w.raw(ts + pg.ns(0.0003), pg.ip_packet(host, "192.168.1.10", pg.IPPROTO_ICMP,
                                                   pg.icmp4_echo(ident, 1, b"monitor",
                                                                 reply=True)), host)
    t += pg.ns(25)
    for i in range(1, 31):
        target, ident = "10.20.0.%d" % i, 0x0100 + i
        ts = t + pg.ns(i * 0.03)
        echo = pg.ip_packet(pc, target, pg.IPPROTO_ICMP, pg.icmp4_echo(ident, 1, b"abcdefgh"))
        w.raw(ts, echo, pc)
        if i <= 8:
            w.raw(ts + pg.ns(0.002), pg.ip_packet(target, pc, pg.IPPROTO_ICMP,
                                                  pg.icmp4_echo(ident, 1, b"abcdefgh",
                                                                reply=True)), target)
        elif i >= 20:
            err = pg.icmp4_error(3, 1, echo)
            w.raw(ts + pg.ns(0.003), pg.ip_packet(router, pc, pg.IPPROTO_ICMP, err), router)
    return w


def case_monitor(out):
    w = Writer(53)
    t = T0
    pinger, checker, pc = "192.168.1.10", "192.168.1.11", "192.168.1.66"
    for rnd in range(25):
        for i in range(30):
            host = "192.168.1.%d" % (101 + i)
            up = rnd < 10 or i % 3 == 2
            ts = t + pg.ns(rnd * 60 + i * 0.02)
            ident = 0x2000 + rnd * 32 + i
            w.raw(ts, pg.ip_packet(pinger, host, pg.IPPROTO_ICMP,
                                   pg.icmp4_echo(ident, 1, b"monitor")), pinger)
            if up:
                w.raw(ts + pg.ns(0.0003), pg.ip_packet(host, pinger, pg.IPPROTO_ICMP,
                                                       pg.icmp4_echo(ident, 1, b"monitor",
                                                                     reply=True)), host)
            sport = 20000 + rnd * 32 + i
            if up:
                w.session(ts + pg.ns(0.005), checker, host, sport, 3389, b"", b"")
            else:
                w.probe(ts + pg.ns(0.005), checker, host, sport, 3389, "-")
    # The PC's sweep, between two night rounds.
    t2 = t + pg.ns(18 * 60 + 20)
    for i in range(1, 41):
        target, ident = "10.30.0.%d" % i, 0x0300 + i
        ts = t2 + pg.ns(i * 0.03)
        w.raw(ts, pg.ip_packet(pc, target, pg.IPPROTO_ICMP, pg.icmp4_echo(ident, 1, b"sweep")),
              pc)
        if i % 10 == 0:
            w.raw(ts + pg.ns(0.002), pg.ip_packet(target, pc, pg.IPPROTO_ICMP,
                                                  pg.icmp4_echo(ident, 1, b"sweep", reply=True)),
                  target)
    return w


class ArpSegment:
    """ARP on one /24: machine .N has the MAC <prefix>:N."""

    def __init__(self, w, mac_prefix):
        self.w, self.prefix = w, mac_prefix

    def mac(self, addr):
        return "%s:%02x" % (self.prefix, int(addr.split(".")[-1]))

    def who_has(self, ts, sender, target, probe=False):
        """A broadcast request; a probe (RFC 5227) has the sender address 0.0.0.0."""
        spa = "0.0.0.0" if probe else sender
        self.w.cap.add(ts, pg.ether(pg.mac_bytes("ff:ff:ff:ff:ff:ff"),
                                    pg.mac_bytes(self.mac(sender)),
                                    pg.arp(1, self.mac(sender), spa, "00:00:00:00:00:00",
                                           target), pg.ETH_P_ARP))


def case_arpsweep(out):
    w = Writer(66)
    t = T0
    seg = ArpSegment(w, "02:00:5e:10:01")
    mac, who_has = seg.mac, seg.who_has

    def is_at(ts, sender, target):
        w.cap.add(ts, pg.ether(pg.mac_bytes(mac(target)), pg.mac_bytes(mac(sender)),
                               pg.arp(2, mac(sender), sender, mac(target), target),
                               pg.ETH_P_ARP))

    live = {1, 10, 20, 25, 30, 50}
    # Ordinary machines asking for the gateway; the gateway asking for 12 busy hosts.
    for i, pc in enumerate([20, 25, 30, 50]):
        who_has(t + pg.ns(i * 0.5), "192.168.1.%d" % pc, "192.168.1.1")
        is_at(t + pg.ns(i * 0.5 + 0.001), "192.168.1.1", "192.168.1.%d" % pc)
    for i in range(12):
        host = "192.168.1.%d" % (100 + i)
        who_has(t + pg.ns(3 + i * 0.2), "192.168.1.1", host)
        is_at(t + pg.ns(3 + i * 0.2 + 0.001), host, "192.168.1.1")
    # A DHCP client checking its new address (RFC 5227 probes), then announcing it.
    for i in range(3):
        who_has(t + pg.ns(6 + i), "192.168.1.77", "192.168.1.77", probe=True)
    who_has(t + pg.ns(9), "192.168.1.77", "192.168.1.77")
    # The sweep: every address of the /24, 5 ms apart.
    t += pg.ns(12)
    for i in range(1, 255):
        if i == 66:
            continue
        target = "192.168.1.%d" % i
        who_has(t + pg.ns(i * 0.005), "192.168.1.66", target)
        if i in live:
            is_at(t + pg.ns(i * 0.005 + 0.0005), target, "192.168.1.66")
    return w


def case_arpbroadcast(out):
    w = Writer(67)
    t = T0
    who_has = ArpSegment(w, "02:00:5e:10:02").who_has

    # The morning: each PC asks for the gateway as it starts, the gateway for one PC.
    for i in range(30):
        who_has(t + pg.ns(i * 2.0), "192.168.1.%d" % (101 + i), "192.168.1.1")
    who_has(t + pg.ns(61), "192.168.1.1", "192.168.1.101")
    who_has(t + pg.ns(62), "192.168.1.5", "192.168.1.1")
    # The backup server, ten minutes later: the 30 PCs and 4 that are switched off.
    t1 = t + pg.ns(600)
    for i in range(34):
        who_has(t1 + pg.ns(i * 0.5), "192.168.1.5", "192.168.1.%d" % (101 + i))
    # A PC sweeping the /24, five minutes later.
    t2 = t + pg.ns(900)
    for i in range(1, 255):
        if i != 66:
            who_has(t2 + pg.ns(i * 0.005), "192.168.1.66", "192.168.1.%d" % i)
    return w


def case_benign(out):
    w = Writer(7)
    t = T0
    # A busy client: 30 servers, 4 connections each on ports 8000-8003; one first contact in
    # five refused.
    n = 0
    for host in range(1, 31):
        srv = "10.1.0.%d" % host
        for k in range(4):
            n += 1
            ts = t + pg.ns(n * 0.15)
            if n % 5 == 0:
                w.probe(ts, "192.168.1.50", srv, 30000 + n, 8000 + k, "R")
            else:
                w.session(ts, "192.168.1.50", srv, 30000 + n, 8000 + k, b"ping\n", b"pong\n")
    # A resolver asking 40 upstream servers (answers come back).
    t2 = t + pg.ns(30)
    for i in range(40):
        up = "192.0.2.%d" % (10 + i)
        q = pg.dns_query(0x1000 + i, "host%d.example.com" % i)
        r = pg.dns_response(0x1000 + i, "host%d.example.com" % i, "A",
                            [("A", 300, "203.0.113.5")])
        ts = t2 + pg.ns(i * 0.05)
        w.udp(ts, "192.168.1.53", up, 40000 + i, 53, q)
        w.udp(ts + pg.ns(0.01), up, "192.168.1.53", 53, 40000 + i, r)
    # A SYN flood on one port from 200 spoofed sources; the server answers every fifth.
    t3 = t + pg.ns(40)
    for i in range(1000):
        s = i % 200
        src = "%s.%d" % ("203.0.113" if s < 100 else "198.51.100", 10 + s % 100)
        sport = 1024 + (i * 7919) % 60000
        ts = t3 + pg.ns(i * 0.003)
        isn = w.rng.randrange(1 << 32)
        w.tcp(ts, src, "192.168.1.25", sport, 110, "S", seq=isn)
        if i % 5 == 0:
            w.tcp(ts + pg.ns(0.0003), "192.168.1.25", src, 110, sport, "SA",
                  seq=w.rng.randrange(1 << 32), ack=isn + 1)
    return w


CASES = {
    "horizontal": case_horizontal,
    "distributed": case_distributed,
    "block": case_block,
    "ipv6": case_ipv6,
    "sweep": case_sweep,
    "monitor": case_monitor,
    "arpsweep": case_arpsweep,
    "arpbroadcast": case_arpbroadcast,
    "benign": case_benign,
}


if __name__ == "__main__":
    pg.run_cases(__doc__, CASES, "dt_portscan_")
