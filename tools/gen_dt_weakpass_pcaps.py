#!/usr/bin/env python3
"""Write the capture of the T7 weak-password detector's pcap case (docs/detectors/weakpass.md):

    tests/pcap/dt_weakpass_logins/input.pcap   cleartext logins in POP3, IMAP, SMTP AUTH, HTTP
                                                Basic and FTP: weak and strong passwords,
                                                successes, failures, an undecided login and
                                                anonymous FTP

usage: tools/gen_dt_weakpass_pcaps.py [--out tests/pcap] [CASE ...]

The case folder also gets a README.md written from what the generator recorded; expect.yaml is
kept by hand next to it. Deterministic: fixed seed and start time. The README names the users
and which rules each password breaks, never the passwords themselves (they are in this file).
HOME_NET 192.168.10.0/24 (RFC 1918: internal without a config).
"""

import argparse
import base64
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

MAIL, WEB, FTP = "192.168.10.25", "192.168.10.80", "192.168.10.20"
DOMAIN = "sakura-trading.example"
MAC_GW = "00:09:0f:3a:10:01"


def mac_of(ip):
    if not ip.startswith("192.168.10."):
        return MAC_GW
    return "02:00:5e:10:00:%02x" % int(ip.rsplit(".", 1)[1])


class Gen:
    def __init__(self, start_iso, seed):
        self.t0 = pg.ts_from_iso(start_iso)
        self.rng = random.Random(seed)
        self.cap = pg.Capture()
        self.ports = {}
        self.facts = []

    def iso(self, t_rel):
        ns = self.t0 + pg.ns(t_rel)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
            ".%03dZ" % (ns // 10**6 % 1000)

    def eport(self, host):
        p = self.ports.get(host, 40000 + self.rng.randrange(0, 20000))
        p = 40000 if p >= 61000 else p + 1
        self.ports[host] = p
        return p

    def tcp(self, t_rel, client, server, port):
        s = pg.TcpSession(self.cap, pg.Clock(self.t0 + pg.ns(t_rel), self.rng),
                          (client, self.eport(client)), (server, port),
                          framer=pg.eth_framer(mac_of(client), mac_of(server)), rng=self.rng)
        s.handshake()
        return s

    @staticmethod
    def dialog(s, steps):
        """steps: ("C"|"S", bytes)."""
        for who, data in steps:
            s.send(who == "C", data)
            s.half_rtt()

    def finish(self, d, title, proves, config):
        """Write input.pcap and the README naming what the generator wrote."""
        self.cap.write_pcap(os.path.join(d, "input.pcap"))
        with open(os.path.join(d, "README.md"), "w") as fp:
            fp.write("# %s\n\nWhat it proves: %s\n\n"
                     "`input.pcap` is written by `tools/gen_dt_weakpass_pcaps.py` (deterministic). "
                     "%d packets from %s. %s\n\nWhat the generator wrote:\n\n"
                     % (title, proves, len(self.cap), self.iso(0), config))
            for fact in self.facts:
                fp.write("- %s\n" % fact)

    def strong(self):
        """12 random characters, three of each class, no runs: breaks no rule."""
        chars = [self.rng.choice(cls) for cls in ("ABCDEFGHJKLMNPQRSTUVWXYZ",
                                                   "abcdefghijkmnpqrstuvwxyz", "23456789",
                                                   "#%+-=@") for _ in range(3)]
        self.rng.shuffle(chars)
        return "".join(chars)

    def pop3(self, t, client, user, pw, answer):
        """answer: "ok", "fail" or None (the client resets before the server answers PASS)."""
        s = self.tcp(t, client, MAIL, 110)
        self.dialog(s, [("S", b"+OK Dovecot (Ubuntu) ready.\r\n"),
                        ("C", b"USER %s\r\n" % user.encode()), ("S", b"+OK\r\n"),
                        ("C", b"PASS %s\r\n" % pw.encode())])
        if answer is None:
            s.reset(by_client=True)
            return
        if answer == "ok":
            self.dialog(s, [("S", b"+OK Logged in.\r\n"), ("C", b"STAT\r\n"),
                            ("S", b"+OK 0 0\r\n")])
        else:
            self.dialog(s, [("S", b"-ERR [AUTH] Authentication failed.\r\n")])
        self.dialog(s, [("C", b"QUIT\r\n"), ("S", b"+OK Logging out.\r\n")])
        s.close(by_client=False)

    def imap(self, t, client, user, pw):
        s = self.tcp(t, client, MAIL, 143)
        self.dialog(s, [
            ("S", b"* OK [CAPABILITY IMAP4rev1 LOGIN-REFERRALS AUTH=PLAIN] Dovecot ready.\r\n"),
            ("C", b'a001 LOGIN "%s" "%s"\r\n' % (user.encode(), pw.encode())),
            ("S", b"a001 OK [CAPABILITY IMAP4rev1] Logged in\r\n"),
            ("C", b"a002 LOGOUT\r\n"),
            ("S", b"* BYE Logging out\r\na002 OK Logout completed.\r\n")])
        s.close(by_client=False)

    def smtp_auth_plain(self, t, client, user, pw):
        s = self.tcp(t, client, MAIL, 587)
        cred = base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode())
        self.dialog(s, [
            ("S", b"220 mail.%s ESMTP Postfix (Ubuntu)\r\n" % DOMAIN.encode()),
            ("C", b"EHLO pc\r\n"),
            ("S", b"250-mail.%s\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n" % DOMAIN.encode()),
            ("C", b"AUTH PLAIN " + cred + b"\r\n"),
            ("S", b"235 2.7.0 Authentication successful\r\n"),
            ("C", b"QUIT\r\n"), ("S", b"221 2.0.0 Bye\r\n")])
        s.close(by_client=False)

    def http_basic(self, t, client, user, pw):
        s = self.tcp(t, client, WEB, 80)
        auth = base64.b64encode(("%s:%s" % (user, pw)).encode())
        body = b"<html><body>intranet</body></html>\n"
        self.dialog(s, [
            ("C", b"GET /reports/ HTTP/1.1\r\nHost: intranet.%s\r\nAuthorization: Basic %s\r\n"
                  b"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 "
                  b"Firefox/125.0\r\n\r\n" % (DOMAIN.encode(), auth)),
            ("S", b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.58 (Ubuntu)\r\nContent-Type: "
                  b"text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))])
        s.close()

    def ftp(self, t, client, user, pw):
        s = self.tcp(t, client, FTP, 21)
        self.dialog(s, [("S", b"220 (vsFTPd 3.0.5)\r\n"),
                        ("C", b"USER %s\r\n" % user.encode()),
                        ("S", b"331 Please specify the password.\r\n"),
                        ("C", b"PASS %s\r\n" % pw.encode()),
                        ("S", b"230 Login successful.\r\n"),
                        ("C", b"QUIT\r\n"), ("S", b"221 Goodbye.\r\n")])
        s.close(by_client=False)


def case_logins(d):
    g = Gen("2024-05-09T00:00:00Z", 7101)
    f = g.facts
    g.pop3(10, "192.168.10.33", "yamada", "yamada2024", "ok")
    g.pop3(1810, "192.168.10.33", "yamada", "yamada2024", "ok")
    f.append("POP3 %s and %s: yamada from 192.168.10.33, success twice, 30 min apart (contains_user, "
             "few_classes, date, name): an alert, then an update" % (g.iso(10), g.iso(1810)))
    g.imap(60, "192.168.10.38", "kimura", "Sunshine1")
    f.append("IMAP LOGIN %s: kimura from 192.168.10.38, success (common_password, and "
             "dictionary_word with the wamerican word list)" % g.iso(60))
    g.smtp_auth_plain(120, "192.168.10.27", "ito@%s" % DOMAIN, "qwerty12")
    f.append("SMTP AUTH PLAIN on 587 %s: ito@%s from 192.168.10.27, success (few_classes, "
             "sequence, common_password, and dictionary_word with wamerican)" % (g.iso(120), DOMAIN))
    g.http_basic(180, "192.168.10.37", "inoue", "aaaa1111")
    f.append("HTTP Basic %s: inoue from 192.168.10.37 to 192.168.10.80, answered 200 "
             "(few_classes, date: 1111 reads as 11/11, repeat, common_password)" % g.iso(180))
    g.ftp(240, "192.168.10.40", "backup", "backup")
    f.append("FTP %s: backup from 192.168.10.40 to 192.168.10.20, 230 (contains_user, short, "
             "few_classes, common_password, and dictionary_word with wamerican)" % g.iso(240))
    g.ftp(300, "192.168.10.40", "anonymous", "guest@example.com")
    f.append("FTP %s: anonymous from 192.168.10.40, 230: exempt, no alert" % g.iso(300))
    g.pop3(360, "198.51.100.9", "sato", "123456", "fail")
    f.append("POP3 %s: sato from 198.51.100.9, a weak guess that fails: brute force's (T5), "
             "no weak-password alert" % g.iso(360))
    g.pop3(420, "192.168.10.21", "sato", g.strong(), "ok")
    f.append("POP3 %s: sato from 192.168.10.21 with a strong password, success: no alert"
             % g.iso(420))
    g.pop3(480, "192.168.10.36", "matsumoto", "Matsu0115", None)
    f.append("POP3 %s: matsumoto from 192.168.10.36, the client resets before the answer "
             "(outcome unknown; date, name: Matsu is a name of its own): an alert" % g.iso(480))
    g.finish(d, "dt_weakpass_logins: weak and strong passwords in cleartext logins",
             "a successful or undecided login whose password breaks the IPA rules is reported "
             "once per (server, service, user), with the rules broken and never the password; "
             "failures (T5's) and anonymous FTP are not; a strong password is not.",
             "Default configuration (HOME_NET = RFC 1918).")


def case_names(d):
    """Passwords whose one weakness is a Japanese name, in the spellings people use."""
    g = Gen("2024-05-10T00:00:00Z", 7102)
    f = g.facts
    logins = [
        (10, "pop3", "192.168.10.41", "kondo", "Haruto!2580", "a given name (Hepburn) and digits"),
        (70, "imap", "192.168.10.42", "nishi", "Satoh#7391", "a family name, long o written oh"),
        (130, "http", "192.168.10.43", "web", "YamadaTaro-82", "family and given name joined"),
        (190, "smtp", "192.168.10.44", "ogawa@%s" % DOMAIN, "Sinzi@4821",
         "a given name in Kunrei spelling (shinji)"),
        (250, "pop3", "192.168.10.45", "mori", "Hir0shi#88", "a given name, 0 for o"),
        (310, "pop3", "192.168.10.46", "abe", "Qxvbtr#5831z", "letters that are no name"),
    ]
    for t, proto, client, user, pw, why in logins:
        if proto == "pop3":
            g.pop3(t, client, user, pw, "ok")
        elif proto == "imap":
            g.imap(t, client, user, pw)
        elif proto == "http":
            g.http_basic(t, client, user, pw)
        else:
            g.smtp_auth_plain(t, client, user, pw)
        weak = user != "abe"
        f.append("%s %s: %s from %s, success: %s (%s)" %
                 (proto.upper(), g.iso(t), user, client, why,
                  "name: an alert" if weak else "no rule broken: no alert"))
    g.finish(d, "dt_weakpass_names: Japanese names in passwords",
             "a password whose only weakness is a Japanese family or given name (the IPA's \"no "
             "names\") is reported with the rule `name`, in the spellings people use (Hepburn, "
             "\"oh\" for a long o, Kunrei, two names joined, 0 for o), from the names list of "
             "the Debian package mecab-ipadic; letters that are no name are not. "
             "`dt_weakpass_names_off` runs the same capture with `names: \"\"`: no alert.",
             "Default configuration (HOME_NET = RFC 1918; the names list at its default path, "
             "/usr/share/mecab/dic/ipadic/Noun.name.csv).")


CASES = {"dt_weakpass_logins": case_logins, "dt_weakpass_names": case_names}


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
