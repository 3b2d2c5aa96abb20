#!/usr/bin/env python3
"""Write the captures of the T1 beaconing detector's pcap cases (docs/detectors/beacon.md):

    tests/pcap/dt_beacon_c2/input.pcap       check-ins of several kinds and a refused-connect
                                              burst (what must be reported)
    tests/pcap/dt_beacon_benign/input.pcap   regular and busy traffic that is benign by design
                                              (what must not be reported)

usage: tools/gen_dt_beacon_pcaps.py [--out tests/pcap] [CASE ...]   (default: both)

Each case folder also gets a README.md written from what the generator recorded (hosts, times,
counts); expect.yaml is kept by hand next to it. Deterministic: fixed seeds and start times, so
two runs write byte-identical files. HOME_NET of the cases is 192.168.10.0/24 and
fd00:10::/64 (their mamori.yaml); outside hosts use the documentation ranges 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.
"""

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

MAC_GW = "00:09:0f:3a:10:01"  # the gateway: the outside end of every external conversation
CONFIG = """# HOME_NET of the case (tools/gen_dt_beacon_pcaps.py)
vars:
  address-groups:
    HOME_NET: "[192.168.10.0/24,fd00:10::/64]"
"""


def internal(ip):
    return ip.startswith("192.168.10.") or ip.startswith("fd00:10::")


def mac_of(ip):
    """A stable locally administered MAC per internal host; the gateway's for outside ones."""
    if not internal(ip):
        return MAC_GW
    return "02:00:5e:10:00:%02x" % (int(ip.rsplit(".", 1)[1]) if "." in ip
                                    else int(ip.rsplit(":", 1)[1], 16))


class Gen:
    """One capture: a Capture, a seeded rng, a start time, and a log of facts for the README."""

    def __init__(self, start_iso, seed):
        self.t0 = pg.ts_from_iso(start_iso)
        self.rng = random.Random(seed)
        self.cap = pg.Capture()
        self.ports = {}
        self.facts = []

    def clock(self, t_rel):
        return pg.Clock(self.t0 + pg.ns(t_rel), self.rng)

    def eport(self, host):
        p = self.ports.get(host, 40000 + self.rng.randrange(0, 20000))
        p = 40000 if p >= 61000 else p + 1
        self.ports[host] = p
        return p

    def iso(self, t_rel):
        ns = self.t0 + pg.ns(t_rel)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
            ".%03dZ" % (ns // 10**6 % 1000)

    def session(self, t_rel, client, server, port, rtt=0.03):
        return pg.TcpSession(self.cap, self.clock(t_rel), (client, self.eport(client)),
                             (server, port), framer=pg.eth_framer(mac_of(client), mac_of(server)),
                             rng=self.rng, rtt=rtt)

    def tls_checkin(self, t_rel, client, server, port, sni):
        """A short TLS 1.2 check-in: handshake, ClientHello with SNI, server flight, one
        application-data record each way, FIN close."""
        s = self.session(t_rel, client, server, port)
        s.handshake()
        s.client(pg.tls_client_hello(self.rng, sni, tls13=False, alpn=None, session_id=False))
        s.half_rtt()
        cert = pg.x509_certificate(self.rng, sni, sni)
        s.server(pg.tls12_server_flight(self.rng, [cert]))
        s.half_rtt()
        s.client(pg.tls12_client_finish(self.rng))
        s.server(pg.tls12_server_finish(self.rng))
        s.client(pg.tls_appdata(self.rng, self.rng.randrange(200, 400)))
        s.server(pg.tls_appdata(self.rng, self.rng.randrange(100, 300)))
        s.close()

    def plain_tcp(self, t_rel, client, server, port, request=b"", response=b""):
        s = self.session(t_rel, client, server, port, rtt=0.01)
        s.handshake()
        if request:
            s.client(request)
            s.half_rtt()
        if response:
            s.server(response)
        s.close()

    def refused(self, t_rel, client, server, port):
        """A connection attempt the peer refuses: SYN, RST-ACK."""
        s = self.session(t_rel, client, server, port, rtt=0.04)
        s.syn()
        s.half_rtt()
        s.reset(by_client=False, with_ack=True)

    def udp(self, t_rel, client, server, sport, dport, request, response=None):
        framer = pg.eth_framer(mac_of(client), mac_of(server))
        pg.udp_exchange(self.cap, self.clock(t_rel), framer, (client, sport), (server, dport),
                        request, response)

    def http_visit(self, t_rel, client, server, host, pages):
        s = self.session(t_rel, client, server, 80, rtt=0.02)
        s.handshake()
        for i in range(pages):
            body = b"<html><body>page %d</body></html>\n" % i
            s.client(b"GET /p%d.html HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 "
                     b"(Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/125.0\r\n\r\n"
                     % (i, host.encode()))
            s.half_rtt()
            s.server(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
            s.wait(self.rng.uniform(0.5, 3.0), 0.1)
        s.close()

    def write(self, d, title, intro):
        self.cap.write_pcap(os.path.join(d, "input.pcap"))
        with open(os.path.join(d, "mamori.yaml"), "w") as f:
            f.write(CONFIG)
        with open(os.path.join(d, "README.md"), "w") as f:
            f.write("# %s\n\n%s\n\n" % (title, intro))
            f.write("`input.pcap` is written by `tools/gen_dt_beacon_pcaps.py` (deterministic: "
                    "regenerate with that command). %d packets, first packet %s. mamori runs "
                    "with `mamori.yaml` (HOME_NET 192.168.10.0/24 and fd00:10::/64).\n\n"
                    "What the generator wrote:\n\n" % (len(self.cap), self.iso(0)))
            for fact in self.facts:
                f.write("- %s\n" % fact)


def case_c2(d):
    g = Gen("2024-05-07T01:00:00Z", 5101)
    # 1. TLS check-ins with Cobalt-Strike-style jitter: sleep 300 s minus up to 30 %, two
    #    connections per check-in (0.3 s apart: one session).
    t, times = 60.0, []
    for _ in range(24):
        g.tls_checkin(t, "192.168.10.41", "198.51.100.66", 8443, "telemetry-sync.example")
        g.tls_checkin(t + 0.3, "192.168.10.41", "198.51.100.66", 8443, "telemetry-sync.example")
        times.append(t)
        t += 300 * (1 - g.rng.uniform(0, 0.3))
    iv = [b - a for a, b in zip(times, times[1:])]
    g.facts.append("192.168.10.41 -> 198.51.100.66:8443 (TLS, SNI telemetry-sync.example): 24 "
                   "check-ins of 2 connections 0.3 s apart, from %s to %s, intervals %.1f-%.1f s "
                   "(sleep 300 s minus up to 30 %%): one beacon alert, then updates at most every "
                   "10 min" % (g.iso(times[0]), g.iso(times[-1]), min(iv), max(iv)))
    # 2. UDP check-ins every 90 +- 3 s with a reply, each from a new socket (source port).
    t, times = 120.0, []
    for i in range(15):
        g.udp(t, "192.168.10.46", "198.51.100.77", g.eport("192.168.10.46"), 9999,
              b"\x17\x01" + bytes(g.rng.getrandbits(8) for _ in range(46)),
              b"\x17\x02" + bytes(g.rng.getrandbits(8) for _ in range(30)))
        times.append(t)
        t += 90 + g.rng.uniform(-3, 3)
    g.facts.append("192.168.10.46 -> 198.51.100.77:9999 UDP: 15 datagrams with replies, each "
                   "from a new source port, every 90 +- 3 s from %s to %s: one beacon alert at "
                   "the 10th" %
                   (g.iso(times[0]), g.iso(times[-1])))
    # 3. IPv6 check-ins every 60 +- 1 s (plain TCP exchange).
    t, times = 200.0, []
    for i in range(12):
        g.plain_tcp(t, "fd00:10::47", "2001:db8:66::1", 443, b"\x16\x03\x01" + bytes(40),
                    b"\x16\x03\x03" + bytes(60))
        times.append(t)
        t += 60 + g.rng.uniform(-1, 1)
    g.facts.append("fd00:10::47 -> [2001:db8:66::1]:443: 12 connections every 60 +- 1 s from %s "
                   "to %s: one beacon alert at the 10th" % (g.iso(times[0]), g.iso(times[-1])))
    # 4. Refused connects in bursts: 12 in 9 s, again 5 min later, again 15 min after the first.
    for k, start in enumerate((3000.0, 3300.0, 3900.0)):
        ts = [start + i * 9.0 / 11 for i in range(12)]
        for x in ts:
            g.refused(x, "192.168.10.45", "203.0.113.150", 4444)
        g.facts.append("192.168.10.45 -> 203.0.113.150:4444: burst %d, 12 connection attempts "
                       "refused (SYN, RST-ACK) from %s to %s (9.0 s)%s" % (
                           k + 1, g.iso(ts[0]), g.iso(ts[-1]),
                           ": the burst alert" if k == 0 else
                           ": within 10 min of the alert, not reported" if k == 1 else
                           ": an update (10 min after the alert)"))
    g.write(d, "dt_beacon_c2: check-ins and a burst that the beaconing detector reports",
            "Synthetic traffic of four infected machines: a jittered TLS beacon with two "
            "connections per check-in, a UDP beacon, an IPv6 beacon and a C2 client hammering "
            "a dead server. Each must be reported once with the internal host as src, then "
            "updated no more often than the update interval (10 min).")


def case_benign(d):
    g = Gen("2024-05-08T00:00:00Z", 5102)
    # 1. A person browsing one site: lognormal gaps (median 60 s), 40 visits.
    t = 30.0
    for i in range(40):
        g.http_visit(t, "192.168.10.43", "198.51.100.20", "www.example.org", g.rng.randint(1, 3))
        t += g.rng.lognormvariate(4.1, 1.0) + 5
    g.facts.append("192.168.10.43 -> 198.51.100.20:80: 40 browsing visits, gaps lognormal "
                   "(median ~65 s), until %s" % g.iso(t))
    # 2. Mail polling of the internal server every 60 s (internal peer).
    for i in range(40):
        g.plain_tcp(10.0 + i * 60, "192.168.10.42", "192.168.10.25", 110,
                    b"QUIT\r\n", b"+OK Dovecot ready.\r\n")
    g.facts.append("192.168.10.42 -> 192.168.10.25:110 every 60 s, 40 times (internal peer)")
    # 3. DNS and NTP to outside servers, regular by design.
    for i in range(40):
        g.udp(15.0 + i * 60, "192.168.10.42", "192.0.2.53", 30000 + i, 53,
              pg.dns_query(0x1000 + i, "www.example.org"),
              pg.dns_response(0x1000 + i, "www.example.org", "A", [("A", 300, "198.51.100.20")]))
        g.udp(20.0 + i * 64, "192.168.10.42", "192.0.2.123", 123, 123,
              b"\x23" + bytes(47), b"\x24" + bytes(47))
    g.facts.append("192.168.10.42 -> 192.0.2.53:53 every 60 s and -> 192.0.2.123:123 every 64 s, "
                   "40 each (ignored ports)")
    # 4. A shared service: six PCs check in with the same outside server every 120 +- 2 s.
    for pc in range(50, 56):
        t = 40.0 + pc
        for i in range(20):
            g.plain_tcp(t, "192.168.10.%d" % pc, "203.0.113.200", 443, b"\x16\x03\x01" + bytes(30),
                        b"\x16\x03\x03" + bytes(50))
            t += 120 + g.rng.uniform(-2, 2)
    g.facts.append("192.168.10.50-55 -> 203.0.113.200:443: each 20 connections every 120 +- 2 s "
                   "(six internal hosts: a shared service)")
    # 5. Fast polling: every 5 s for 10 minutes.
    for i in range(120):
        g.plain_tcp(600.0 + i * 5, "192.168.10.44", "198.51.100.70", 80,
                    b"GET /status HTTP/1.1\r\nHost: status.example.net\r\n\r\n",
                    b"HTTP/1.1 204 No Content\r\n\r\n")
    g.facts.append("192.168.10.44 -> 198.51.100.70:80 every 5 s for 10 min, 120 connections "
                   "(faster than min-interval, 5 per 20 s: no burst)")
    # 6. An outside monitoring service polling the web server every 60 s.
    for i in range(30):
        g.plain_tcp(25.0 + i * 60, "198.51.100.7", "192.168.10.80", 80,
                    b"HEAD / HTTP/1.1\r\nHost: www.sakura-trading.example\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    g.facts.append("198.51.100.7 -> 192.168.10.80:80 every 60 s, 30 times (outside -> inside)")
    # 7. SSDP multicast every 60 s.
    for i in range(30):
        g.udp(35.0 + i * 60, "192.168.10.43", "239.255.255.250", 1900, 1900,
              b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n")
    g.facts.append("192.168.10.43 -> 239.255.255.250:1900 every 60 s, 30 times (multicast)")
    g.write(d, "dt_beacon_benign: regular and busy traffic that is not beaconing",
            "Traffic that looks periodic or busy but is benign by design: a person browsing, "
            "polling of an internal server, DNS and NTP, a service six PCs use, fast status "
            "polling, outside monitoring of the web server, SSDP multicast. The beaconing "
            "detector must stay silent.")


CASES = {"dt_beacon_c2": case_c2, "dt_beacon_benign": case_benign}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "pcap"))
    ap.add_argument("cases", nargs="*", metavar="CASE", help=", ".join(sorted(CASES)))
    a = ap.parse_args()
    for name in a.cases:
        if name not in CASES:
            ap.error("unknown case %r (known: %s)" % (name, ", ".join(sorted(CASES))))
    for name in a.cases or sorted(CASES):
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        CASES[name](d)
        print("wrote", d)


if __name__ == "__main__":
    main()
