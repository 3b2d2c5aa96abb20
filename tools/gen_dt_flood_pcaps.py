#!/usr/bin/env python3
"""Write the captures of the T4 detector cases (flood and latency):

  tests/pcap/dt_flood_udp/input.pcap       a UDP flood, a UDP amplification flood and a fast
                                           single-source stream (not a flood)
  tests/pcap/dt_flood_conn/input.pcap      a connection flood on SMTP from two sources, and a
                                           password-guessing run on FTP (not a flood)
  tests/pcap/dt_latency_spike/input.pcap   a clean POP3 and HTTP baseline, then a slow POP3
                                           greeting during a burst of connection attempts and
                                           three slow HTTP answers
  tests/pcap/dt_flood_icmp/input.pcap      a ping flood on the web server from three hosts,
                                           its replies, and a monitoring host's pings (neither
                                           a flood)
  tests/pcap/dt_flood_ack/input.pcap       a capture starting amid 300 running HTTPS
                                           connections (no flood), then a spoofed ACK flood on
                                           the web server

usage: tools/gen_dt_flood_pcaps.py [--out tests/pcap] [CASE ...]   (default: all)

Deterministic (fixed seeds, start 2024-04-23T00:00:00Z): two runs give byte-identical files.
Addresses: HOME_NET 192.168.10.0/24 inside, 198.51.100.0/24 and 203.0.113.0/24 outside. Each
case's README.md explains the numbers; this script prints them as it writes.
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-04-23T00:00:00Z")
GW_MAC = "00:09:0f:3a:10:01"
MAIL = "192.168.10.25"
WEB = "192.168.10.80"
DNS = "192.168.10.53"


def mac_of(ip):
    """A stable MAC for an inside host; outside hosts are behind the gateway."""
    if ip.startswith("192.168.10."):
        n = int(ip.rsplit(".", 1)[1])
        return "02:00:00:10:00:%02x" % n
    return GW_MAC


def framer(client, server):
    return pg.eth_framer(mac_of(client), mac_of(server))


def udp_frame(src, sport, dst, dport, payload):
    ip = pg.udp_packet(src, dst, sport, dport, payload)
    return pg.ether(pg.mac_bytes(mac_of(dst)), pg.mac_bytes(mac_of(src)), ip)


def tcp_frame(src, sport, dst, dport, flags, seq, ack=0, payload=b""):
    seg = pg.tcp(src, dst, sport, dport, seq=seq, ack=ack, flags=flags, payload=payload,
                 window=29200)
    ip = pg.ip_packet(src, dst, pg.IPPROTO_TCP, seg)
    return pg.ether(pg.mac_bytes(mac_of(dst)), pg.mac_bytes(mac_of(src)), ip)


# ----------------------------------------------------------------------------- dt_flood_udp

def case_udp(out):
    """Three parts, 20 s apart (the detector's config lowers udp-rate to 300/s, so that the
    capture stays small; the unit tests hold the defaults):
      t+0 s   UDP flood on the DNS server 192.168.10.53:53: 400 datagrams a second for 2 s from
              40 sources (203.0.113.1-40), random source ports           -> udp-flood (4003)
      t+20 s  NTP amplification on 192.168.10.30: 400 datagrams a second for 2 s from 60
              reflectors (198.51.100.101-160) with source port 123        -> udp-amplification
      t+40 s  one outside host streaming 400 datagrams a second for 2 s to 192.168.10.21
              (a QUIC download): one source is no flood                   -> nothing
    """
    rng = random.Random(4003)
    cap = pg.Capture()
    counts = {}
    # flood
    t = T0
    for i in range(800):
        src = "203.0.113.%d" % (1 + i % 40)
        ts = t + pg.ns(i * 2.0 / 800)
        q = pg.dns_query(rng.getrandbits(16), "x%d.example" % rng.getrandbits(20))
        cap.add(ts, udp_frame(src, rng.randint(1024, 65535), DNS, 53, q))
    counts["flood"] = 800
    # amplification: NTP mode 7 "monlist"-like answers (cut to 72 bytes to keep the file small)
    t = T0 + pg.ns(20)
    victim = "192.168.10.30"
    for i in range(800):
        src = "198.51.100.%d" % (101 + i % 60)
        ts = t + pg.ns(i * 2.0 / 800)
        cap.add(ts, udp_frame(src, 123, victim, 41000 + (i % 7), b"\x97\x00\x03\x2a" + bytes(68)))
    counts["amplification"] = 800
    # one fast stream
    t = T0 + pg.ns(40)
    for i in range(800):
        ts = t + pg.ns(i * 2.0 / 800)
        cap.add(ts, udp_frame("198.51.100.41", 443, "192.168.10.21", 52000,
                              bytes([0x40]) + bytes(rng.getrandbits(8) for _ in range(39))))
    counts["stream"] = 800
    path = os.path.join(out, "dt_flood_udp", "input.pcap")
    cap.write_pcap(path)
    return path, len(cap), counts


# ----------------------------------------------------------------------------- dt_flood_icmp

def icmp_frame(src, dst, ident, seq, reply=False):
    msg = pg.icmp4_echo(ident, seq, bytes(range(56)), reply=reply)
    ip = pg.ip_packet(src, dst, 1, msg)
    return pg.ether(pg.mac_bytes(mac_of(dst)), pg.mac_bytes(mac_of(src)), ip)


def case_icmp(out):
    """Two parts, with the default icmp-rate (500 a second):
      t+0 s   ping flood on the web server 192.168.10.80 for 2 s: 800 echo requests a second
              from 203.0.113.7, every one answered (800 replies a second back to it, answers
              to its own requests), and 100 a second each from 203.0.113.8 and .9, unanswered
                                                                          -> icmp-flood (4006)
      t+0 s   the monitoring host 192.168.10.5 pings the mail server 192.168.10.25 once a
      ..30 s  second for 30 s, answered                                   -> nothing
    """
    cap = pg.Capture()
    counts = {"flood": 0, "replies": 0, "monitoring": 0}
    for i in range(2000):
        n = i % 10  # eight of ten from .7, one each from .8 and .9
        src = "203.0.113.%d" % (7 if n < 8 else n)
        ts = T0 + pg.ns(i * 2.0 / 2000)
        ident = 0x4d00 + (7 if n < 8 else n)
        cap.add(ts, icmp_frame(src, WEB, ident, i))
        counts["flood"] += 1
        if n < 8:
            cap.add(ts + pg.ns(0.0002), icmp_frame(WEB, src, ident, i, reply=True))
            counts["replies"] += 1
    for i in range(30):
        ts = T0 + pg.ns(i + 0.25)
        cap.add(ts, icmp_frame("192.168.10.5", MAIL, 0x0101, i))
        cap.add(ts + pg.ns(0.0004), icmp_frame(MAIL, "192.168.10.5", 0x0101, i, reply=True))
        counts["monitoring"] += 2
    path = os.path.join(out, "dt_flood_icmp", "input.pcap")
    cap.write_pcap(path)
    return path, len(cap), counts


# ----------------------------------------------------------------------------- dt_flood_ack

def case_ack(out):
    """Two parts, with the default ack-rate (1000 a second):
      t+0 s   the capture starts amid 300 running HTTPS downloads from 192.168.10.100-.199
              (three each, from 198.51.100.20:443): each shows up as the client's ACK, with
              no handshake before it, so the server gets 300 ACKs that begin a flow within
              0.1 s; the downloads go on for 1 s                        -> nothing
      t+10 s  ACK flood on the web server 192.168.10.80:80, 1,500 ACKs a second for 2 s from
              forged sources (203.0.113.0/24 and 198.51.100.0/24) and random ports
                                                                       -> ack-flood (4007)
    """
    rng = random.Random(4007)
    cap = pg.Capture()
    counts = {"midstream": 0, "flood": 0}
    server = "198.51.100.20"
    conns = [("192.168.10.%d" % (100 + i // 3), 40000 + i) for i in range(300)]
    for step in range(5):
        t = T0 + pg.ns(step * 0.2)
        for j, (client, port) in enumerate(conns):
            ts = t + pg.ns(j * 0.0003)
            cap.add(ts, tcp_frame(client, port, server, 443, "A", 7000,
                                  ack=5000 + step * 64))
            cap.add(ts + pg.ns(0.0001), tcp_frame(server, 443, client, port, "PA",
                                                   5000 + step * 64, ack=7000,
                                                   payload=bytes(64)))
            counts["midstream"] += 2
    t = T0 + pg.ns(10)
    for i in range(3000):
        src = ("203.0.113.%d" if i % 2 else "198.51.100.%d") % (1 + rng.randrange(254))
        ts = t + pg.ns(i * 2.0 / 3000)
        cap.add(ts, tcp_frame(src, rng.randint(1024, 65535), WEB, 80, "A",
                              rng.getrandbits(32), ack=rng.getrandbits(32)))
        counts["flood"] += 1
    path = os.path.join(out, "dt_flood_ack", "input.pcap")
    cap.write_pcap(path)
    return path, len(cap), counts


# ----------------------------------------------------------------------------- dt_flood_conn

SMTP_BANNER = b"220 mail.sakura-trading.example ESMTP Postfix (Ubuntu)\r\n"
FTP_BANNER = b"220 (vsFTPd 3.0.5)\r\n"


def short_conn(cap, rng, client, cport, server, sport, t, banner, command, answer):
    """A short connection: handshake, banner, one command and answer, client closes."""
    clock = pg.Clock(t, rng)
    s = pg.TcpSession(cap, clock, (client, cport), (server, sport), framer=framer(client, server),
                      rng=rng, rtt=0.004, use_ts=False)
    s.handshake()
    s.wait(0.002)
    s.server(banner)
    s.client(command)
    s.wait(0.001)
    s.server(answer)
    s.close()
    return clock.now


def case_conn(out):
    """Two parts (default settings):
      t+0 s   connection flood on SMTP 192.168.10.25:25 from 203.0.113.52 and 203.0.113.53:
              120 completed connections a second between them for 1.5 s (banner, QUIT, 221,
              close)                                             -> connection-flood (4005)
      t+30 s  password guessing on FTP 192.168.10.25:21 from 203.0.113.60: 40 connections a
              second for 1.5 s (USER/PASS, 530), as fast as ppa_ftp-crack.pcap's busiest
              second: a T5 matter, no flood                      -> nothing
    """
    rng = random.Random(4005)
    cap = pg.Capture()
    for i in range(180):
        src = "203.0.113.52" if i % 2 == 0 else "203.0.113.53"
        short_conn(cap, rng, src, 30000 + i, MAIL, 25, T0 + pg.ns(i / 120.0), SMTP_BANNER,
                   b"QUIT\r\n", b"221 2.0.0 Bye\r\n")
    for i in range(60):
        short_conn(cap, rng, "203.0.113.60", 40000 + i, MAIL, 21, T0 + pg.ns(30 + i / 40.0),
                   FTP_BANNER, b"USER admin\r\nPASS guess%d\r\n" % i,
                   b"331 Please specify the password.\r\n530 Login incorrect.\r\n")
    path = os.path.join(out, "dt_flood_conn", "input.pcap")
    cap.write_pcap(path)
    return path, len(cap), {"smtp_flood_connections": 180, "ftp_guesses": 60}


# ----------------------------------------------------------------------------- dt_latency_spike

POP3_GREETING = b"+OK Dovecot (Ubuntu) ready.\r\n"


def pop3_poll(cap, rng, client, cport, t, greet_s):
    """A POP3 poll: handshake, the greeting greet_s after the client's ACK, CAPA, QUIT."""
    clock = pg.Clock(t, rng)
    s = pg.TcpSession(cap, clock, (client, cport), (MAIL, 110), framer=framer(client, MAIL),
                      rng=rng, rtt=0.0004, use_ts=False)
    s.syn()
    clock.advance(0.0002)
    s.syn_ack()
    clock.advance(0.0002)
    s.emit(True, "A")
    clock.advance(greet_s)
    s.server(POP3_GREETING)
    s.client(b"CAPA\r\n")
    s.server(b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nUSER\r\n.\r\n")
    s.client(b"QUIT\r\n")
    s.server(b"+OK Logging out.\r\n")
    s.close()


def http_visit(cap, rng, client, cport, t, thinks):
    """A keep-alive HTTP connection: one GET per think time (server's time to first byte)."""
    clock = pg.Clock(t, rng)
    s = pg.TcpSession(cap, clock, (client, cport), (WEB, 80), framer=framer(client, WEB),
                      rng=rng, rtt=0.0004, use_ts=False)
    s.handshake()
    for k, think in enumerate(thinks):
        s.client(b"GET /page%d HTTP/1.1\r\nHost: www.sakura-trading.example\r\n\r\n" % k)
        clock.advance(think)
        body = b"x" * 900
        s.server(b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.58\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(body), body))
        clock.advance(1.0)
    s.close()


def case_latency(out):
    """Default settings:
      t+0..660 s  12 POP3 polls of 192.168.10.25:110, one a minute from 192.168.10.21-32,
                  greetings 4-7 ms after the handshake (the baseline)
      t+700 s     connection attempts to 192.168.10.25:110 for 2 s: 60 SYNs from 60 spoofed
                  sources (203.0.113.101-160) and 40 from 198.51.100.66 (30 SYNs a second in
                  all: far below a SYN flood); during them 192.168.10.27 polls and the
                  greeting takes 2.5 s                    -> greeting (4102), src 198.51.100.66
      t+0..120 s  192.168.10.21 browses 192.168.10.80:80 on one connection: 12 requests, first
                  byte after 10-21 ms (the baseline)
      t+800 s     the same client: three requests on one connection answered after 2.0, 2.5 and
                  3.0 s                                   -> first-byte (4103), src 192.168.10.21
    """
    rng = random.Random(4101)
    cap = pg.Capture()
    for i in range(12):
        pop3_poll(cap, rng, "192.168.10.%d" % (21 + i), 50000 + i, T0 + pg.ns(60 * i),
                  (4 + (i * 7) % 4) / 1000.0)
    t = T0 + pg.ns(700)
    seq = rng.getrandbits(32)
    for i in range(60):
        cap.add(t + pg.ns(i * 2.0 / 60),
                tcp_frame("203.0.113.%d" % (101 + i), rng.randint(1024, 65535), MAIL, 110, "S",
                          seq + i))
    for i in range(40):
        cap.add(t + pg.ns(0.01 + i * 2.0 / 40),
                tcp_frame("198.51.100.66", 20000 + i, MAIL, 110, "S", seq + 1000 + i))
    pop3_poll(cap, rng, "192.168.10.27", 50100, t + pg.ns(0.5), 2.5)
    http_visit(cap, rng, "192.168.10.21", 51000, T0, [(10 + k) / 1000.0 for k in range(12)])
    http_visit(cap, rng, "192.168.10.21", 51001, T0 + pg.ns(800), [2.0, 2.5, 3.0])
    path = os.path.join(out, "dt_latency_spike", "input.pcap")
    cap.write_pcap(path)
    return path, len(cap), {"pop3_polls": 13, "syns": 100, "http_requests": 15}


CASES = {"dt_flood_udp": case_udp, "dt_flood_conn": case_conn, "dt_latency_spike": case_latency,
         "dt_flood_icmp": case_icmp, "dt_flood_ack": case_ack}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "pcap"))
    ap.add_argument("cases", nargs="*", help="any of %s (default: all)" % ", ".join(sorted(CASES)))
    args = ap.parse_args()
    for name in args.cases:
        if name not in CASES:
            ap.error("no case %r (known: %s)" % (name, ", ".join(sorted(CASES))))
    for name in args.cases or sorted(CASES):
        os.makedirs(os.path.join(args.out, name), exist_ok=True)
        path, n, counts = CASES[name](args.out)
        print("%s: %d packets, %d bytes %s" % (os.path.relpath(path), n, os.path.getsize(path),
                                              counts))


if __name__ == "__main__":
    main()
