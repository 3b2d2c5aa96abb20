#!/usr/bin/env python3
"""Write the captures of the T5 detector's pcap cases (docs/detectors/bruteforce.md):

    tests/pcap/dt_bruteforce_distributed/input.pcap   distributed IMAP spray over hours
    tests/pcap/dt_bruteforce_pattern/input.pcap       SSH and IMAPS login storms (encrypted)
    tests/pcap/dt_bruteforce_legit/input.pcap         busy but legitimate mail/web clients

usage: tools/gen_dt_bruteforce_pcaps.py [--out tests/pcap] [CASE ...]   (default: all three)

Each case folder also gets a README.md written from what the generator recorded (hosts, times,
counts); expect.yaml is kept by hand next to it and states the alerts the detector must give.
Deterministic: fixed seeds and start times, so two runs write byte-identical files. Addresses:
HOME_NET is 192.168.10.0/24 (RFC 1918, internal without a config); outside hosts use the
documentation ranges 198.51.100.0/24 and 203.0.113.0/24.
"""

import argparse
import base64
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

MAIL = "192.168.10.25"
WEB = "192.168.10.80"
MAC_GW = "00:09:0f:3a:10:01"  # the gateway: the outside end of every external conversation
DOMAIN = "sakura-trading.example"
IMAP_CAPS = b"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN"


def mac_of(ip):
    """A stable locally administered MAC per internal host; the gateway's for outside ones."""
    if not ip.startswith("192.168.10."):
        return MAC_GW
    return "02:00:5e:10:00:%02x" % int(ip.rsplit(".", 1)[1])


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

    def tcp(self, t_rel, client, server, port, rtt=0.002):
        s = pg.TcpSession(self.cap, self.clock(t_rel), (client, self.eport(client)),
                          (server, port), framer=pg.eth_framer(mac_of(client), mac_of(server)),
                          rng=self.rng, rtt=rtt)
        s.handshake()
        return s

    @staticmethod
    def dialog(s, steps):
        """steps: ("C"|"S", bytes[, think seconds before sending])."""
        for st in steps:
            who, data = st[0], st[1]
            if len(st) > 2:
                s.wait(st[2], 0.1)
            s.send(who == "C", data)
            s.half_rtt()

    def iso(self, t_rel):
        ns = self.t0 + pg.ns(t_rel)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
            ".%03dZ" % (ns // 10**6 % 1000)

    # ---------------------------------------------------------------- cleartext mail logins
    def imap(self, t, client, logins, think=0.0):
        """One IMAP connection; logins: list of (user, ok). Failures are answered after 1.5-2.5 s
        (Dovecot's authentication penalty)."""
        s = self.tcp(t, client, MAIL, 143)
        steps = [("S", b"* OK [CAPABILITY " + IMAP_CAPS + b"] Dovecot (Ubuntu) ready.\r\n", 0.005)]
        tag = 1
        for user, ok in logins:
            steps.append(("C", b'a%03d LOGIN "%s" "%s"\r\n' % (
                tag, user.encode(), self.password(ok).encode()), think))
            if ok:
                steps.append(("S", b"a%03d OK [CAPABILITY " % tag + IMAP_CAPS + b"] Logged in\r\n",
                              0.01))
            else:
                steps.append(("S", b"a%03d NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"
                              % tag, self.rng.uniform(1.5, 2.5)))
            tag += 1
        if any(ok for _, ok in logins):
            steps += [("C", b"a%03d SELECT INBOX\r\n" % tag),
                      ("S", b"* 0 EXISTS\r\n* 0 RECENT\r\na%03d OK [READ-WRITE] Select completed."
                            b"\r\n" % tag)]
            tag += 1
        steps += [("C", b"a%03d LOGOUT\r\n" % tag),
                  ("S", b"* BYE Logging out\r\na%03d OK Logout completed.\r\n" % tag)]
        self.dialog(s, steps)
        s.close(by_client=False)

    def pop3(self, t, client, user, ok):
        s = self.tcp(t, client, MAIL, 110)
        steps = [("S", b"+OK Dovecot (Ubuntu) ready.\r\n", 0.005),
                 ("C", b"USER %s\r\n" % user.encode()), ("S", b"+OK\r\n"),
                 ("C", b"PASS %s\r\n" % self.password(ok).encode())]
        if ok:
            steps += [("S", b"+OK Logged in.\r\n", 0.008), ("C", b"STAT\r\n"), ("S", b"+OK 0 0\r\n")]
        else:
            steps += [("S", b"-ERR [AUTH] Authentication failed.\r\n", self.rng.uniform(1.5, 2.5))]
        steps += [("C", b"QUIT\r\n"), ("S", b"+OK Logging out.\r\n")]
        self.dialog(s, steps)
        s.close(by_client=False)

    def smtp_submit(self, t, client, user):
        """Mail submission on 587 with AUTH PLAIN (success) and one short message."""
        s = self.tcp(t, client, MAIL, 587)
        cred = base64.b64encode(b"\0" + user.encode() + b"\0" + self.password(True).encode())
        msg = (b"From: %s\r\nTo: partner@example.com\r\nSubject: order %d\r\n"
               b"Date: Tue, 07 May 2024 10:00:00 +0900\r\nMessage-ID: <%d@%s>\r\n\r\n"
               b"Please find the order below.\r\n" % (user.encode(), self.rng.randrange(1000, 9999),
                                                      self.rng.getrandbits(40), DOMAIN.encode()))
        steps = [("S", b"220 mail.%s ESMTP Postfix (Ubuntu)\r\n" % DOMAIN.encode(), 0.03),
                 ("C", b"EHLO pc\r\n"),
                 ("S", b"250-mail.%s\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
                       % DOMAIN.encode()),
                 ("C", b"AUTH PLAIN " + cred + b"\r\n"),
                 ("S", b"235 2.7.0 Authentication successful\r\n", 0.01),
                 ("C", b"MAIL FROM:<%s>\r\n" % user.encode()), ("S", b"250 2.1.0 Ok\r\n"),
                 ("C", b"RCPT TO:<partner@example.com>\r\n"), ("S", b"250 2.1.5 Ok\r\n"),
                 ("C", b"DATA\r\n"), ("S", b"354 End data with <CR><LF>.<CR><LF>\r\n"),
                 ("C", msg + b".\r\n"), ("S", b"250 2.0.0 Ok: queued as 4VZ1X2\r\n"),
                 ("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")]
        self.dialog(s, steps)
        s.close(by_client=False)

    def http_basic(self, t, client, user, n_requests):
        """One keep-alive connection to the intranet site with Basic credentials on every
        request, all answered 200."""
        s = self.tcp(t, client, WEB, 80)
        auth = base64.b64encode(("%s:%s" % (user, self.password(True))).encode())
        for i in range(n_requests):
            body = b"<html><body>report %d</body></html>\n" % i
            self.dialog(s, [
                ("C", b"GET /reports/%d.html HTTP/1.1\r\nHost: intranet.%s\r\n"
                      b"Authorization: Basic %s\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; "
                      b"Win64; x64) Gecko/20100101 Firefox/125.0\r\n\r\n"
                      % (i, DOMAIN.encode(), auth), 0.5),
                ("S", b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.58 (Ubuntu)\r\nContent-Type: "
                      b"text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body), 0.003)])
        s.close()

    def password(self, ok):
        # Never printed by mamori; 12 random characters for the right one, a common guess for
        # the wrong one.
        if ok:  # three of each class, shuffled: strong by the IPA rules (no T7 alert)
            chars = [self.rng.choice(cls) for cls in ("ABCDEFGHJKLMNPQRSTUVWXYZ",
                                                       "abcdefghijkmnpqrstuvwxyz", "23456789",
                                                       "#%+-=@") for _ in range(3)]
            self.rng.shuffle(chars)
            return "".join(chars)
        return self.rng.choice(["Summer2024!", "Spring2024!", "Welcome1", "Password1"])

    # ---------------------------------------------------------------- encrypted logins
    @staticmethod
    def ssh_packet(payload, rng):
        pad = 8 - (len(payload) + 5) % 8
        if pad < 4:
            pad += 8
        return struct.pack("!IB", len(payload) + pad + 1, pad) + payload + \
            bytes(rng.getrandbits(8) for _ in range(pad))

    def ssh_kexinit(self, server):
        lists = [b"curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256" +
                 (b",kex-strict-s-v00@openssh.com" if server else b",ext-info-c"),
                 b"rsa-sha2-512,rsa-sha2-256,ssh-ed25519",
                 b"aes128-ctr,aes256-ctr,aes128-gcm@openssh.com",
                 b"aes128-ctr,aes256-ctr,aes128-gcm@openssh.com",
                 b"hmac-sha2-256,hmac-sha1", b"hmac-sha2-256,hmac-sha1",
                 b"none,zlib@openssh.com", b"none,zlib@openssh.com", b"", b""]
        p = b"\x14" + bytes(self.rng.getrandbits(8) for _ in range(16))
        for n in lists:
            p += struct.pack("!I", len(n)) + n
        p += b"\0" + b"\0\0\0\0"
        return self.ssh_packet(p, self.rng)

    def ssh_attempt(self, t, client, server, guesses, client_banner):
        """Banner, KEXINIT both ways, ECDH, NEWKEYS, then encrypted password attempts each
        answered after sshd's failure delay, then the server closes."""
        s = self.tcp(t, client, server, 22, rtt=0.03)
        enc = lambda n: bytes(self.rng.getrandbits(8) for _ in range(n))  # noqa: E731
        steps = [("S", b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", 0.01),
                 ("C", client_banner + b"\r\n"),
                 ("C", self.ssh_kexinit(False)), ("S", self.ssh_kexinit(True)),
                 ("C", self.ssh_packet(b"\x1e" + struct.pack("!I", 32) + enc(32), self.rng)),
                 ("S", self.ssh_packet(b"\x1f" + enc(400), self.rng) +
                  self.ssh_packet(b"\x15", self.rng)),
                 ("C", self.ssh_packet(b"\x15", self.rng) + enc(52)),   # NEWKEYS, service req
                 ("S", enc(52))]
        for _ in range(guesses):
            steps += [("C", enc(100), 0.05), ("S", enc(36), self.rng.uniform(1.8, 2.4))]
        self.dialog(s, steps)
        s.close(by_client=False)

    def tls_session(self, t, client, server, port, sni, exchanges, tail=0.0):
        """TLS 1.3 handshake, then `exchanges` (client bytes, server bytes, delay) of opaque
        records, then a close by the client `tail` seconds later."""
        s = self.tcp(t, client, server, port, rtt=0.02)
        steps = [("C", pg.tls_client_hello(self.rng, sni, alpn=None)),
                 ("S", pg.tls13_server_flight(self.rng, encrypted_len=1800), 0.002),
                 ("C", pg.tls_record(20, b"\x01") + pg.tls_appdata(self.rng, 74))]
        for cb, sb, delay in exchanges:
            if cb:
                steps.append(("C", pg.tls_appdata(self.rng, cb)))
            if sb:
                steps.append(("S", pg.tls_appdata(self.rng, sb), delay))
        self.dialog(s, steps)
        s.wait(tail, 0.1)
        s.close()

    def bulk_ssh(self, t, client, server, minutes, kbytes):
        """A long interactive SSH session with kbytes of output spread over `minutes`."""
        s = self.tcp(t, client, server, 22, rtt=0.001)
        enc = lambda n: bytes(self.rng.getrandbits(8) for _ in range(n))  # noqa: E731
        self.dialog(s, [("S", b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", 0.01),
                        ("C", b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"),
                        ("C", self.ssh_kexinit(False)), ("S", self.ssh_kexinit(True))])
        chunks = 30
        for _ in range(chunks):
            self.dialog(s, [("C", enc(64), minutes * 60.0 / chunks),
                            ("S", enc(kbytes * 1024 // chunks))])
        s.close()


# -------------------------------------------------------------------------------- cases

ACCOUNTS = ["admin", "info", "sales", "support", "soumu", "keiri", "jinji", "eigyo", "somu",
            "webmaster", "postmaster", "test", "guest", "user", "office", "contact", "staff",
            "manager", "service", "backup"]
LEGIT = {"192.168.10.21": "sato", "192.168.10.22": "suzuki", "192.168.10.23": "takahashi",
         "192.168.10.24": "tanaka"}


def case_distributed(out):
    g = Gen("2024-05-07T01:00:00Z", 505)
    attackers = []
    for k in range(14):
        src = ("203.0.113.%d" if k % 2 else "198.51.100.%d") % (101 + k)
        t = 600.0 + 1200.0 * k
        accts = [ACCOUNTS[k % 20]] + ([ACCOUNTS[(k + 10) % 20]] if k % 2 else [])
        g.imap(t, src, [(a, False) for a in accts], think=0.3)
        attackers.append((t, src, accts))
    polls = 0
    for i in range(10):
        for j, (pc, user) in enumerate(sorted(LEGIT.items())):
            t = 300.0 + 1800.0 * i + 7.0 * j
            if pc == "192.168.10.22" and i == 1:
                g.imap(t, pc, [(user, False), (user, True)], think=4.0)  # a typo, then right
            else:
                g.imap(t, pc, [(user, True)])
            polls += 1
    roam = "198.51.100.200"
    g.imap(5000.0, roam, [("yamada", False)])
    g.imap(5030.0, roam, [("yamada", True)])
    n = g.cap.write_pcap(os.path.join(out, "input.pcap"))
    fails = sum(len(a) for _, _, a in attackers)
    lines = [
        "# dt_bruteforce_distributed — a distributed IMAP password spray over hours",
        "",
        "Written by `tools/gen_dt_bruteforce_pcaps.py dt_bruteforce_distributed` (seed 505); "
        "%d packets, first packet %s." % (n, g.iso(0)),
        "",
        "Proves that many sources that each try only one or two accounts, far below the "
        "per-source brute-force and spray thresholds, are reported together as one distributed "
        "spray against the service (sid 5003), and that users who mistype and then log in do "
        "not count as attacking sources.",
        "",
        "- Service: IMAP %s:143 (Dovecot-style answers; failures answered after 1.5-2.5 s)." % MAIL,
        "- %d attacking sources, one connection each, one every 20 minutes from %s to %s; even "
        "ones try one account, odd ones two (in one connection); %d failed LOGINs on %d "
        "accounts, no success:" % (len(attackers), g.iso(attackers[0][0]),
                                   g.iso(attackers[-1][0]), fails,
                                   len({a for _, _, x in attackers for a in x})),
    ]
    for t, src, accts in attackers:
        lines.append("  - %s %s: %s" % (g.iso(t), src, ", ".join(accts)))
    lines += [
        "- Legitimate: %d IMAP polls with a correct LOGIN by 192.168.10.21-24 every 30 minutes; "
        "192.168.10.22 (`suzuki`) mistypes once at %s and logs in 4 s later on the same "
        "connection; roaming user 198.51.100.200 (`yamada`) fails at %s and logs in 30 s "
        "later." % (polls, g.iso(300.0 + 1800.0 + 7.0), g.iso(5000.0)),
        "",
        "Expected (default settings: 10 failure-only sources and 10 accounts within 24 h; "
        "updates at most every 10 minutes): the first alert at the first LOGIN of the 10th "
        "attacking source (%s, %s), an update at each later attacking source (20 minutes "
        "apart), and a closing update at the end of input because the last source's second "
        "LOGIN came after the last update." % (attackers[9][1], g.iso(attackers[9][0])),
    ]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def case_pattern(out):
    g = Gen("2024-05-08T02:00:00Z", 506)
    ssh_src, imaps_src = "203.0.113.70", "203.0.113.72"
    n_ssh, n_imaps = 25, 22
    for i in range(n_ssh):
        g.ssh_attempt(60.0 + 12.0 * i, ssh_src, WEB, 1, b"SSH-2.0-libssh_0.9.6")
    for i in range(n_imaps):
        # TLS, IMAP greeting, LOGIN, NO after the penalty, LOGOUT, close
        g.tls_session(600.0 + 15.0 * i, imaps_src, MAIL, 993, None,
                      [(0, 120, 0.005), (90, 0, 0.0), (0, 80, g.rng.uniform(1.5, 2.5)),
                       (40, 60, 0.001)])
    # legitimate: an administrator's long SSH session, a phone polling IMAPS every 5 minutes,
    # a PC opening many short TLS sessions to an outside site, visitors of the web server's
    # HTTPS site
    g.bulk_ssh(30.0, "192.168.10.21", WEB, 15, 60)
    for i in range(13):
        g.tls_session(5.0 + 300.0 * i, "198.51.100.30", MAIL, 993, "mail.%s" % DOMAIN,
                      [(0, 120, 0.005), (90, 0, 0.0), (0, 80, 0.02), (60, 900, 0.01),
                       (40, 60, 0.001)])
    for i in range(30):
        g.tls_session(900.0 + 10.0 * i, "192.168.10.23", "203.0.113.40", 443,
                      "portal.example.com", [(400, 900, 0.05)])
    for i in range(30):
        g.tls_session(1000.0 + 10.0 * i, "198.51.100.44", WEB, 443, "www.%s" % DOMAIN,
                      [(500, 2000, 0.04)])
    n = g.cap.write_pcap(os.path.join(out, "input.pcap"))
    lines = [
        "# dt_bruteforce_pattern — password guessing where the login is encrypted",
        "",
        "Written by `tools/gen_dt_bruteforce_pcaps.py dt_bruteforce_pattern` (seed 506); "
        "%d packets, first packet %s." % (n, g.iso(0)),
        "",
        "Proves the connection-pattern variants: many short sessions from one source to an "
        "SSH service (sid 5006) and to an IMAPS service (sid 5005) are reported, while long "
        "sessions, a client polling every 5 minutes, short sessions to an outside server and "
        "a handful of HTTPS visits are not.",
        "",
        "- SSH: %s -> %s:22, %d connections every 12 s from %s: banners (server OpenSSH 9.6, "
        "client libssh), KEXINIT both ways, ECDH, NEWKEYS, one encrypted password attempt "
        "answered after about 2 s, server closes; each lasts about 2.5 s with 1-2 KB each way."
        % (ssh_src, WEB, n_ssh, g.iso(60.0)),
        "- IMAPS: %s -> %s:993, %d connections every 15 s from %s: TLS 1.3 handshake, greeting, "
        "LOGIN, failure after 1.5-2.5 s, LOGOUT, close (all opaque records)." % (
            imaps_src, MAIL, n_imaps, g.iso(600.0)),
        "- Legitimate: 192.168.10.21 -> %s:22, one 15-minute SSH session with 60 KB of output; "
        "198.51.100.30 -> %s:993 polls every 5 minutes (13 short sessions in an hour); "
        "192.168.10.23 -> 203.0.113.40:443, 30 short sessions in 5 minutes (outbound); "
        "198.51.100.44 -> %s:443, 30 short sessions in 5 minutes (below the HTTPS threshold of "
        "100)." % (WEB, MAIL, WEB),
        "",
        "Expected (defaults: 20 short sessions within 10 minutes, 100 for port 443; HOME_NET "
        "servers only): one SSH alert at the 20th SSH session and one IMAPS alert at the 20th "
        "IMAPS session, each followed by a closing update with the final count (25 and 22) when "
        "the activity ends.",
    ]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def case_legit(out):
    g = Gen("2024-05-09T00:00:00Z", 507)
    n_pop = n_imap = n_smtp = n_http = 0
    for i in range(60):        # a shared mailbox polled every 2 minutes for 2 hours
        g.pop3(30.0 + 120.0 * i, "192.168.10.31", "info", True)
        n_pop += 1
    for i in range(24):        # a client opening two connections per poll, every 5 minutes
        for j in range(2):
            g.imap(45.0 + 300.0 * i + 0.2 * j, "192.168.10.32", [("yoshida", True)])
            n_imap += 1
    for i in range(30):        # a sales PC sending 30 mails through submission in an hour
        g.smtp_submit(100.0 + 120.0 * i, "192.168.10.33", "eigyo@%s" % DOMAIN)
        n_smtp += 1
    for i in range(10):        # intranet reports behind HTTP Basic authentication
        g.http_basic(200.0 + 600.0 * i, "192.168.10.34", "kimura", 10)
        n_http += 10
    g.imap(1500.0, "192.168.10.35", [("sasaki", False), ("sasaki", False), ("sasaki", True)],
           think=3.0)           # two typos, then the right password
    for i in range(12):        # a phone keeps an old password for an hour, then it is fixed
        g.pop3(2000.0 + 300.0 * i, "192.168.10.36", "yamada", False)
    g.pop3(2000.0 + 300.0 * 12, "192.168.10.36", "yamada", True)
    n = g.cap.write_pcap(os.path.join(out, "input.pcap"))
    lines = [
        "# dt_bruteforce_legit — busy but legitimate clients",
        "",
        "Written by `tools/gen_dt_bruteforce_pcaps.py dt_bruteforce_legit` (seed 507); "
        "%d packets, first packet %s." % (n, g.iso(0)),
        "",
        "Proves that many successful logins, a user's typos followed by a login, and a device "
        "retrying an old password every 5 minutes until it is fixed give no T5 alert.",
        "",
        "- 192.168.10.31: %d POP3 logins (`info`) every 2 minutes for 2 hours, all successful."
        % n_pop,
        "- 192.168.10.32: %d IMAP logins (`yoshida`), two connections every 5 minutes." % n_imap,
        "- 192.168.10.33: %d SMTP AUTH PLAIN logins on port 587 (`eigyo@%s`), one mail each, "
        "every 2 minutes." % (n_smtp, DOMAIN),
        "- 192.168.10.34: %d HTTP requests with Basic credentials (`kimura`) to %s:80, 10 per "
        "keep-alive connection every 10 minutes, all answered 200." % (n_http, WEB),
        "- 192.168.10.35: IMAP `sasaki` fails twice, then logs in (one connection).",
        "- 192.168.10.36: POP3 `yamada` fails 12 times, every 5 minutes from %s, then logs in "
        "at %s." % (g.iso(2000.0), g.iso(2000.0 + 3600.0)),
        "",
        "Expected: no alert of the bruteforce detector (14 failures in total, never 20 on one "
        "account within 10 minutes, never 4 accounts from one source, and the successes come "
        "after no reported attack).",
    ]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


CASES = {"dt_bruteforce_distributed": case_distributed, "dt_bruteforce_pattern": case_pattern,
         "dt_bruteforce_legit": case_legit}


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
