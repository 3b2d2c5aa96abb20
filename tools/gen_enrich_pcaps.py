#!/usr/bin/env python3
"""Write the captures of the enrichment pcap cases: tests/pcap/enrich_<case>/input.pcap (the
README.md and expect.yaml beside them are written by hand and say what each case proves).

usage: tools/gen_enrich_pcaps.py [--out tests/pcap] [CASE ...]    (default: all cases)

Cases
  shared_mac    a monitored office LAN (192.168.10.0/24, each host its own MAC) and a second
                VLAN (192.168.20.0/24) that reaches it through the firewall, so every packet
                from there carries the firewall's MAC. Twelve VLAN hosts use the file server,
                then one of them (the first seen) scans a LAN server, and a LAN PC scans
                another. The firewall's MAC must not be reported for the VLAN scanner; the
                PC's own MAC is.

Deterministic: fixed seed and start time 2024-06-03T09:00:00Z; two runs give byte-identical
files. Addresses are RFC 1918; every checksum is valid.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-06-03T09:00:00Z")
MAC_FW = "00:09:0f:3a:10:01"    # the firewall: routes VLAN 20 onto the monitored LAN
MAC_PC = "f4:8e:38:10:57:e1"    # the LAN PC that scans


def mac_of(ip):
    if ip.startswith("192.168.20."):
        return MAC_FW
    if ip == "192.168.10.23":
        return MAC_PC
    return "02:00:00:10:00:%02x" % int(ip.rsplit(".", 1)[1])


class Writer:
    def __init__(self, seed):
        self.cap = pg.Capture()
        self.rng = random.Random(seed)

    def frame(self, src, dst, ip_pkt):
        return pg.ether(pg.mac_bytes(mac_of(dst)), pg.mac_bytes(mac_of(src)), ip_pkt)

    def tcp(self, t, src, dst, sport, dport, flags, *, seq=1000, ack=0):
        seg = pg.tcp(src, dst, sport, dport, seq=seq, ack=ack, flags=flags,
                     window=1024 if flags == "S" else 64240)
        self.cap.add(t, self.frame(src, dst, pg.ip_packet(src, dst, pg.IPPROTO_TCP, seg)))

    def probe(self, t, scanner, target, sport, port, is_open):
        """A SYN probe, answered SYN-ACK (then reset by the scanner) or RST."""
        isn = self.rng.randrange(1 << 32)
        self.tcp(t, scanner, target, sport, port, "S", seq=isn)
        if is_open:
            self.tcp(t + pg.ns(0.0004), target, scanner, port, sport, "SA",
                     seq=self.rng.randrange(1 << 32), ack=isn + 1)
            self.tcp(t + pg.ns(0.0008), scanner, target, sport, port, "R", seq=isn + 1)
        else:
            self.tcp(t + pg.ns(0.0004), target, scanner, port, sport, "RA", seq=0, ack=isn + 1)

    def session(self, t, client, server, sport, dport, request, response):
        clock = pg.Clock(t, self.rng)
        s = pg.TcpSession(self.cap, clock, (client, sport), (server, dport),
                          framer=lambda ip, fc, c=client, v=server:
                          self.frame(c, v, ip) if fc else self.frame(v, c, ip),
                          rng=self.rng, rtt=0.002)
        s.handshake()
        s.client(request)
        s.server(response)
        s.close()


def case_shared_mac(out):
    w = Writer(20)
    vlan = ["192.168.20.66"] + ["192.168.20.%d" % i for i in range(101, 112)]
    for i, host in enumerate(vlan):
        w.session(T0 + pg.ns(i), host, "192.168.10.10", 50000 + i, 80,
                  b"GET /share/ HTTP/1.1\r\nHost: files.lan\r\n\r\n",
                  b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    t = T0 + pg.ns(20)
    for k, port in enumerate(range(1, 41)):
        w.probe(t + pg.ns(k * 0.02), "192.168.20.66", "192.168.10.80", 41000, port,
                port in (22, 25))
    t = T0 + pg.ns(40)
    for k, port in enumerate(range(1, 41)):
        w.probe(t + pg.ns(k * 0.02), "192.168.10.23", "192.168.10.81", 42000, port,
                port in (22, 80))
    return w


CASES = {"shared_mac": case_shared_mac}


if __name__ == "__main__":
    pg.run_cases(__doc__, CASES, "enrich_")
