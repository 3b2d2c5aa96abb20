#!/usr/bin/env python3
"""Write the captures and list files of the T1 intel detector's pcap cases:

  tests/pcap/dt_intel_own/input.pcap     every kind of sighting (below), with the lists
  tests/pcap/dt_intel_own/intel-plain.txt, feodo.csv, abp.txt

usage: tools/gen_dt_intel_pcaps.py [--out tests/pcap]

Deterministic (fixed seed, start 2024-05-01T00:00:00Z): two runs give byte-identical files.
Internal hosts are 10.1.0.0/16 and fd00:1::/64 (internal by mamori's default HOME_NET, RFC 1918
and RFC 4193); outside hosts use the documentation ranges 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24 and 2001:db8::/32, and names under .example.

The conversations, at t seconds after the start (what the detector must do in brackets):
  t=0   10.1.0.11 asks the internal resolver 10.1.0.53 for a.b.evil-c2.example; the resolver
        asks 192.0.2.53 (cache miss) and answers           [sid 1003 for 10.1.0.11, parent
                                                            domain; nothing for the resolver]
  t=10  10.1.0.12 asks for cdn.innocent.example, answered by a CNAME to x.evil-c2.example
                                                           [sid 1003 for 10.1.0.12, answer]
  t=20  10.1.0.11 TLS 1.2 to 203.0.113.80:443, SNI www.evil-c2.example, a listed JA3
                                                           [sid 1007; the SNI is the domain
                                                            already reported for this host]
  t=30  10.1.0.13 to 192.0.2.10:443 then :447; Feodo lists the host with port 447
                                                           [sid 1001 once, for :447]
  t=40  198.51.100.200 (in a listed /26) opens a connection to 10.1.0.80:22
                                                           [sid 1002, src 10.1.0.80]
  t=50  10.1.0.14 GET http://dl.bad-host.example/payload/run.exe (Host listed by an Adblock
        rule, URL listed)                                  [sid 1005 and sid 1006]
  t=60  fd00:1::15 to [2001:db8:bad::25]:443 (listed /48)  [sid 1001]
  t=70  10.1.0.16 asks for notevil-c2.example and www.example.com, browses www.example.org
                                                           [nothing]
  t=80  10.1.0.11 repeats the TLS connection of t=20       [nothing new: same pairs]
"""

import argparse
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-05-01T00:00:00Z")
ETH = pg.eth_framer("02:00:00:00:01:01", "02:00:00:00:01:fe")
RESOLVER, UPSTREAM = "10.1.0.53", "192.0.2.53"
C2_IP = "203.0.113.80"
CIPHERS = [0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8, 0xC02B, 0xC02F, 0x009E, 0x0035, 0x002F]
GROUPS = (0x001D, 0x0017)


def ja3_of(ciphers, groups, sni, alpn):
    """JA3 string and MD5 of pcapgen's TLS 1.2 ClientHello (tls13=False): version 771, the
    ciphers, the extensions in pcapgen's order, the groups, point format 0."""
    exts = ([0] if sni else []) + [23, 65281, 10, 11] + ([16] if alpn else []) + [5, 13]
    s = "771,%s,%s,%s,0" % ("-".join(str(c) for c in ciphers), "-".join(str(e) for e in exts),
                            "-".join(str(g) for g in groups))
    return s, hashlib.md5(s.encode()).hexdigest()


class Gen:
    def __init__(self):
        self.rng = random.Random(20240501)
        self.cap = pg.Capture()
        self.port = 49152

    def clock(self, t):
        return pg.Clock(T0 + pg.ns(t))

    def eport(self):
        self.port += 1
        return self.port

    def udp(self, clock, src, dst, sport, dport, payload):
        ip = pg.udp_packet(src, dst, sport, dport, payload, ident=self.rng.getrandbits(16))
        self.cap.add(clock.now, ETH(ip, True))

    def dns(self, t, client, name, answers, forward=False):
        """client asks the resolver; with forward, the resolver asks upstream first."""
        c = self.clock(t)
        qid, cport = self.rng.getrandbits(16), self.eport()
        self.udp(c, client, RESOLVER, cport, 53, pg.dns_query(qid, name))
        if forward:
            c.advance(0.0002)
            uq, up = self.rng.getrandbits(16), self.eport()
            self.udp(c, RESOLVER, UPSTREAM, up, 53, pg.dns_query(uq, name))
            c.advance(0.012)
            self.udp(c, UPSTREAM, RESOLVER, 53, up, pg.dns_response(uq, name, "A", answers))
        c.advance(0.0003)
        self.udp(c, RESOLVER, client, 53, cport, pg.dns_response(qid, name, "A", answers))

    def tcp(self, t, client, server):
        c = self.clock(t)
        s = pg.TcpSession(self.cap, c, client, server, framer=ETH, rng=self.rng, rtt=0.03)
        s.handshake()
        return s

    def tls(self, t, client, sni):
        s = self.tcp(t, (client, self.eport()), (C2_IP, 443))
        s.client(pg.tls_client_hello(self.rng, sni, tls13=False, ciphers=CIPHERS, alpn=None,
                                     session_id=False, groups=GROUPS))
        cert = pg.x509_certificate(self.rng, "www.evil-c2.example", "www.evil-c2.example",
                                   san=["www.evil-c2.example"], key_bits=1024)
        s.server(pg.tls12_server_flight(self.rng, [cert]))
        s.client(pg.tls12_client_finish(self.rng))
        s.server(pg.tls12_server_finish(self.rng))
        s.close()

    def http(self, t, client, server, host, path):
        s = self.tcp(t, (client, self.eport()), (server, 80))
        s.client(b"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n"
                 % (path.encode(), host.encode()))
        body = b"MZ" + bytes(62)
        s.server(b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream"
                 b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        s.close()

    def build(self):
        self.dns(0, "10.1.0.11", "a.b.evil-c2.example", [("A", 300, C2_IP)], forward=True)
        self.dns(10, "10.1.0.12", "cdn.innocent.example",
                 [("CNAME", 300, "x.evil-c2.example"), ("A", 300, "198.51.100.9")],
                 forward=True)
        self.tls(20, "10.1.0.11", "www.evil-c2.example")
        s = self.tcp(30, ("10.1.0.13", self.eport()), ("192.0.2.10", 443))
        s.close()
        s = self.tcp(31, ("10.1.0.13", self.eport()), ("192.0.2.10", 447))
        s.client(b"\x17\x03\x03\x00\x10" + bytes(16))
        s.close()
        s = self.tcp(40, ("198.51.100.200", 51515), ("10.1.0.80", 22))
        s.server(b"SSH-2.0-OpenSSH_9.6\r\n")
        s.close()
        self.http(50, "10.1.0.14", "203.0.113.90", "dl.bad-host.example", "/payload/run.exe")
        s = self.tcp(60, ("fd00:1::15", self.eport()), ("2001:db8:bad::25", 443))
        s.close()
        self.dns(70, "10.1.0.16", "notevil-c2.example", [("A", 300, "198.51.100.10")],
                 forward=True)
        self.dns(71, "10.1.0.16", "www.example.com", [("A", 300, "198.51.100.11")])
        self.http(72, "10.1.0.16", "198.51.100.12", "www.example.org", "/index.html")
        self.tls(80, "10.1.0.11", "www.evil-c2.example")


LISTS = {
    "intel-plain.txt": """# dt_intel_own: a plain list (see README.md)
evil-c2.example ; test C2 domain
198.51.100.192/26 ; SBL999
2001:db8:bad::/48 ; test IPv6 network
http://dl.bad-host.example/payload/run.exe ; test dropper URL
%(ja3)s ; test malware JA3
""",
    "feodo.csv": """################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
################################################################
#
"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2024-04-01 00:00:00","192.0.2.10","447","online","2024-04-30","QakBot"
# END 1 entries
""",
    "abp.txt": """[Adblock Plus]
! Title: dt_intel_own test blocklist
||bad-host.example^
@@||www.example.org^
""",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "pcap"))
    a = ap.parse_args()
    d = os.path.join(a.out, "dt_intel_own")
    os.makedirs(d, exist_ok=True)
    g = Gen()
    g.build()
    g.cap.write_pcap(os.path.join(d, "input.pcap"))
    _, ja3 = ja3_of(CIPHERS, GROUPS, True, False)
    for name, text in LISTS.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text % {"ja3": ja3} if "%(ja3)s" in text else text)
    print("wrote %s (%d packets), JA3 %s" % (os.path.join(d, "input.pcap"), len(g.cap), ja3))


if __name__ == "__main__":
    main()
