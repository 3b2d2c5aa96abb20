#!/usr/bin/env python3
"""Write the rule-engine conformance cases: tests/pcap/rules_<topic>/ with input.pcap,
test.rules, README.md and expect.yaml (run by tests/pcap/run_case.py with -S test.rules).

usage: tools/gen_rule_pcaps.py [--out tests/pcap] [TOPIC ...]      (default: all topics)

One folder per topic, many rules per folder, every rule with its own sid and an exact
expected alert count (0 for the negative rules). The expected counts come from Suricata's
documented rule semantics, never from mamori's output; each rule's README line says why.

How the captures keep counts unambiguous:
  * payload tests travel in single UDP packets, one destination port per payload, and the
    rules name that port: a rule can only ever see its own packet;
  * a TCP pattern occurs exactly once in its flow and the session is complete (handshake,
    ACKed data, FIN teardown), so stream and packet inspection agree on one alert;
  * app-layer rules match once per transaction (Suricata's per-transaction detection state);
    every HTTP flow carries one transaction, and header values are unique to one flow;
  * flowbits/flowint/xbits use UDP flows, inspected packet by packet in capture order;
  * thresholds use explicit timestamps far from every window edge (1 s apart inside a
    60 s window, the next burst 100 s later).

Deterministic: fixed seed and start time, the same bytes on every run. Addresses come from
the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and
from 10/8, 172.16/12 where a CIDR test needs a private range.
"""

import argparse
import hashlib
import os
import random
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402

T0 = pg.ts_from_iso("2024-03-04T05:06:07Z")
MAC_C = "02:00:00:00:01:01"
MAC_S = "02:00:00:00:01:02"
ETH = pg.eth_framer(MAC_C, MAC_S)

CLIENT = "192.0.2.10"
SERVER = "198.51.100.20"


# ----------------------------------------------------------------------------- case model


class RuleCase:
    """One case folder: a capture, the rules with their expected counts, extra checks."""

    def __init__(self, name, title, proves, seed=1, first_sid=1000):
        self.name, self.title, self.proves = name, title, proves
        self.rng = random.Random(seed)
        self.cap = pg.Capture()
        self.clock = pg.Clock(T0, self.rng)
        self.rules = []      # (sid, text, expected count, why)
        self.checks = []     # (filter, count, why)
        self.log = []        # (first packet, last packet, text)
        self.notes = []
        self.config = None   # mamori.yaml text, passed with -c when set
        self.next_sid = first_sid
        self.next_port = 10000
        self.next_cport = 40000
        self._mark = 1

    # -- rules and checks
    def rule(self, expect, header, opts, why, sid=None):
        """Add `header (msg; opts sid; rev)` expecting `expect` alerts; returns the sid."""
        if sid is None:
            sid = self.next_sid
            self.next_sid += 1
        opts = opts.strip()
        if opts and not opts.endswith(";"):
            opts += ";"
        text = '%s (msg:"%s %d"; %s sid:%d; rev:1;)' % (header, self.name, sid,
                                                        opts + " " if opts else "", sid)
        text = text.replace("; ;", ";").replace(";  sid", "; sid")
        self.rules.append((sid, text, expect, why))
        self.checks.append(({"event_type": "alert", "alert.signature_id": sid}, expect, why))
        return sid

    def raw_rule(self, expect, text, sid, why):
        """A rule written in full (for msg/gid/rev tests); the caller gives its sid."""
        self.rules.append((sid, text, expect, why))
        self.checks.append(({"event_type": "alert", "alert.signature_id": sid}, expect, why))

    def check(self, count, why, **flt):
        f = {}
        for k, v in flt.items():
            f[k.replace("__", ".")] = v
        self.checks.append((f, count, why))

    # -- packet log for the README
    def begin(self):
        self._mark = len(self.cap) + 1

    def end(self, text):
        self.log.append((self._mark, len(self.cap), text))

    # -- traffic
    def port(self):
        self.next_port += 1
        return self.next_port

    def cport(self):
        self.next_cport += 1
        return self.next_cport

    def udp(self, src, dst, sport, dport, payload, ttl=64, gap=0.001):
        """One UDP packet at the current time; the clock then moves on by `gap` seconds."""
        ip = pg.udp_packet(src, dst, sport, dport, payload, ttl=ttl,
                           ident=self.rng.getrandbits(16))
        self.cap.add(self.clock.now, ETH(ip, True))
        self.clock.advance(gap)

    def udp_payload(self, payload, text):
        """A payload in one UDP packet CLIENT -> SERVER on a port of its own; returns the port."""
        p = self.port()
        self.begin()
        self.udp(CLIENT, SERVER, self.cport(), p, payload)
        self.end("UDP %s -> %s:%d %s" % (CLIENT, SERVER, p, text))
        return p

    def ip_raw(self, src, dst, proto, payload, ttl=64, gap=0.001):
        ip = pg.ipv4(src, dst, proto, payload, ttl=ttl, ident=self.rng.getrandbits(16))
        self.cap.add(self.clock.now, ETH(ip, True))
        self.clock.advance(gap)

    def session(self, client, server, **kw):
        return pg.TcpSession(self.cap, self.clock, client, server, framer=ETH, rng=self.rng,
                             **kw)

    def tcp_exchange(self, client, server, steps, text):
        """A complete TCP conversation: handshake, each (from_client, data) step sent and
        ACKed by the peer, FIN teardown. Returns the session."""
        self.begin()
        s = self.session(client, server)
        s.handshake()
        for from_client, data in steps:
            s.send(from_client, data, final_ack=True)
            s.wait(0.001)
        s.close()
        self.clock.advance(0.01)
        self.end(text)
        return s

    def http(self, client, server, request, response, text):
        return self.tcp_exchange(client, server, [(True, request), (False, response)], text)


def http_response(code, reason, body, headers=()):
    h = "HTTP/1.1 %d %s\r\n" % (code, reason)
    for k, v in headers:
        h += "%s: %s\r\n" % (k, v)
    h += "Content-Length: %d\r\n\r\n" % len(body)
    return h.encode() + body


def ssh_ignore_packet(data):
    """An unencrypted SSH binary packet (RFC 4253 section 6) carrying SSH_MSG_IGNORE(data)."""
    payload = b"\x02" + struct.pack("!I", len(data)) + data
    pad = 8 - (5 + len(payload)) % 8
    if pad < 4:
        pad += 8
    return struct.pack("!IB", 1 + len(payload) + pad, pad) + payload + b"\0" * pad


def dns_exchange(case, client, server, qid, name, addr, text):
    case.begin()
    pg.udp_exchange(case.cap, case.clock, ETH, client, server, pg.dns_query(qid, name),
                    pg.dns_response(qid, name, "A", [("A", 300, addr)]))
    case.clock.advance(0.01)
    case.end(text)


# ----------------------------------------------------------------------------- TLS fingerprints


def parse_hello(record):
    """Fields of a ClientHello/ServerHello record written by pcapgen (one handshake message)."""
    assert record[0] == 22
    hs = record[5:]
    htype = hs[0]
    body = hs[4:4 + int.from_bytes(hs[1:4], "big")]
    out = {"type": htype, "version": struct.unpack("!H", body[:2])[0]}
    p = 34
    sid_len = body[p]
    p += 1 + sid_len
    if htype == 1:
        n = struct.unpack("!H", body[p:p + 2])[0]
        out["ciphers"] = [struct.unpack("!H", body[p + 2 + i:p + 4 + i])[0] for i in range(0, n, 2)]
        p += 2 + n
        p += 1 + body[p]  # compression methods
    else:
        out["cipher"] = struct.unpack("!H", body[p:p + 2])[0]
        p += 3
    ext_end = p + 2 + struct.unpack("!H", body[p:p + 2])[0]
    p += 2
    exts = []
    while p < ext_end:
        et, el = struct.unpack("!HH", body[p:p + 4])
        data = body[p + 4:p + 4 + el]
        exts.append((et, data))
        p += 4 + el
    out["exts"] = exts
    return out


def _is_grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def _u16_list(data, skip_len_bytes):
    data = data[skip_len_bytes:]
    return [struct.unpack("!H", data[i:i + 2])[0] for i in range(0, len(data) - 1, 2)]


def ja3_string(h):
    exts = [e for e, _ in h["exts"] if not _is_grease(e)]
    groups, fmts = [], []
    for e, d in h["exts"]:
        if e == 10:
            groups = [g for g in _u16_list(d, 2) if not _is_grease(g)]
        elif e == 11:
            fmts = list(d[1:1 + d[0]])
    return "%d,%s,%s,%s,%s" % (h["version"], "-".join(str(c) for c in h["ciphers"]
                                                       if not _is_grease(c)),
                               "-".join(str(e) for e in exts), "-".join(str(g) for g in groups),
                               "-".join(str(f) for f in fmts))


def ja3s_string(h):
    return "%d,%d,%s" % (h["version"], h["cipher"],
                         "-".join(str(e) for e, _ in h["exts"] if not _is_grease(e)))


def ja4(h):
    """JA4 of a ClientHello over TCP (FoxIO's definition)."""
    names = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}
    ver = h["version"]
    alpn = "00"
    sigs = []
    sni = False
    for e, d in h["exts"]:
        if e == 43:
            vs = [v for v in list(struct.unpack("!%dH" % (d[0] // 2), d[1:1 + d[0]]))
                  if not _is_grease(v)]
            ver = max(vs)
        elif e == 16:
            first = d[3:3 + d[2]].decode()
            alpn = first[0] + first[-1] if first else "00"
        elif e == 13:
            sigs = _u16_list(d, 2)
        elif e == 0:
            sni = True
    ciphers = [c for c in h["ciphers"] if not _is_grease(c)]
    exts = [e for e, _ in h["exts"] if not _is_grease(e)]
    a = "t%s%s%02d%02d%s" % (names[ver], "d" if sni else "i", min(len(ciphers), 99),
                              min(len(exts), 99), alpn)
    b = hashlib.sha256(",".join("%04x" % c for c in sorted(ciphers)).encode()).hexdigest()[:12]
    c_txt = ",".join("%04x" % e for e in sorted(exts) if e not in (0, 16))
    if sigs:
        c_txt += "_" + ",".join("%04x" % s for s in sigs)
    c = hashlib.sha256(c_txt.encode()).hexdigest()[:12]
    return "%s_%s_%s" % (a, b, c)


# ----------------------------------------------------------------------------- topics


def case_header():
    """Actions, protocols, addresses, ports, variables from -c, -> and <>."""
    c = RuleCase("rules_header", "Rule header: actions, protocols, addresses, ports, "
                 "variables from the configuration, -> and <>", """
Every part of the rule header on its own. Header tests reuse one UDP packet
10.1.2.3:40010 -> 172.16.5.6:5010 carrying "hdr-a" with many headers: a rule alerts once
when its header admits the packet and never otherwise. The configuration given with -c
(mamori.yaml) sets HOME_NET to 203.0.113.0/24 and HTTP_PORTS to 8081, values the built-in
defaults (RFC 1918, port 80) would not give, so the variable rules prove the file was read.
Actions: drop and reject alert like alert on a passive sensor; a pass rule stops inspection
of its packet, so neither it nor an alert rule on the same packet produces an alert (pass is
first in Suricata's default action order). Protocol keywords: tcp/udp/icmp/ip select by
transport, the application-layer ones (http, dns, tls, smtp, ftp, ssh, pop3, imap) by the
detected protocol of the flow, each with a rule for the wrong protocol that must stay silent.""")
    c.config = ("# HOME_NET and HTTP_PORTS that the built-in defaults would not give\n"
                "vars:\n  address-groups:\n    HOME_NET: \"[203.0.113.0/24]\"\n"
                "    EXTERNAL_NET: \"!$HOME_NET\"\n  port-groups:\n    HTTP_PORTS: \"8081\"\n")

    c.begin()
    c.udp("10.1.2.3", "172.16.5.6", 40010, 5010, b"hdr-a header test packet")
    c.end('UDP 10.1.2.3:40010 -> 172.16.5.6:5010 "hdr-a header test packet" (the header '
          'test packet)')
    A = 'content:"hdr-a";'
    r = c.rule
    sid = r(1, "alert udp any any -> any any", A, "any/any both sides")
    c.check(1, "alert addresses and ports are those of the packet", event_type="alert",
            alert__signature_id=sid, src_ip="10.1.2.3", src_port=40010, dest_ip="172.16.5.6",
            dest_port=5010, proto="UDP", alert__action="allowed")
    r(1, "alert udp 10.1.0.0/16 any -> 172.16.5.0/24 any", A, "CIDR on both sides")
    r(0, "alert udp 10.2.0.0/16 any -> any any", A, "source outside the CIDR")
    r(0, "alert udp any any -> 172.16.5.0/30 any", A, "172.16.5.6 is outside .0-.3")
    r(1, "alert udp 10.1.2.3/32 any -> 172.16.5.6 any", A, "/32 and a bare address")
    r(1, "alert udp [192.0.2.99,10.1.2.3] any -> any any", A, "list holding the source")
    r(0, "alert udp [192.0.2.99,10.1.2.4] any -> any any", A, "list without the source")
    r(0, "alert udp !10.1.2.3 any -> any any", A, "negated source address")
    r(1, "alert udp !10.9.0.0/16 any -> any any", A, "negated other network")
    r(0, "alert udp [10.0.0.0/8,!10.1.2.3] any -> any any", A, "network minus the source")
    r(1, "alert udp [10.0.0.0/8,!10.1.9.0/24] any -> any any", A, "network minus another /24")
    r(1, "alert udp [192.0.2.0/24,[10.1.0.0/16,!10.1.3.0/24]] any -> any any", A,
      "nested list")
    r(1, "alert udp any 40000:40100 -> any 5010", A, "source port range")
    r(0, "alert udp any 40011: -> any any", A, "open range from 40011 up")
    r(1, "alert udp any :40010 -> any any", A, "open range up to 40010 (inclusive)")
    r(0, "alert udp any !40010 -> any any", A, "negated source port")
    r(1, "alert udp any [1:100,40010] -> any any", A, "port list holding 40010")
    r(0, "alert udp any any -> any !5010", A, "negated destination port")
    r(0, "alert udp any any -> any [5000:5009,5011:6000]", A, "ranges around 5010")
    r(0, "alert udp any any -> any [5000:6000,!5010]", A, "range minus 5010")
    r(1, "alert udp any any -> any [5000:6000,!5011]", A, "range minus another port")
    r(0, "alert udp 172.16.5.6 any -> 10.1.2.3 any", A, "-> in the reverse direction")
    r(1, "alert udp 172.16.5.6 any <> 10.1.2.3 any", A, "<> matches the reverse direction")
    r(1, "alert udp 10.1.2.3 40010 <> 172.16.5.6 5010", A, "<> in the forward direction")
    r(0, "alert udp 172.16.5.6 5010 <> 10.1.2.3 5010", A, "<> with a port that fits neither way")
    r(1, "alert ip any any -> any any", A, "ip matches a UDP packet's payload")
    r(0, "alert tcp any any -> any any", A, "tcp does not see a UDP packet")
    r(0, "alert icmp any any -> any any", A, "icmp does not see a UDP packet")
    r(0, "alert udp $HOME_NET any -> any any", A,
      "HOME_NET from -c is 203.0.113.0/24 (the default would match 10.1.2.3)")
    r(1, "alert udp $EXTERNAL_NET any -> any any", A, "EXTERNAL_NET = !HOME_NET")

    c.begin()
    c.udp("2001:db8::10", "2001:db8:1::20", 40011, 5011, b"hdr-v6 packet")
    c.end('UDP [2001:db8::10]:40011 -> [2001:db8:1::20]:5011 "hdr-v6 packet"')
    V6 = 'content:"hdr-v6";'
    r(1, "alert udp 2001:db8::/32 any -> 2001:db8:1::/48 any", V6, "IPv6 CIDRs")
    r(0, "alert udp 2001:db8:2::/48 any -> any any", V6, "other IPv6 network")
    r(0, "alert udp 10.0.0.0/8 any -> any any", V6, "IPv4 network, IPv6 packet")
    r(1, "alert udp [10.0.0.0/8,2001:db8::10] any -> any any", V6, "mixed list")

    c.begin()
    c.udp("203.0.113.7", "192.0.2.50", 40020, 8081, b"hdr-vars packet")
    c.end('UDP 203.0.113.7:40020 -> 192.0.2.50:8081 "hdr-vars packet" (inside HOME_NET of '
          'mamori.yaml, to its HTTP_PORTS)')
    HV = 'content:"hdr-vars";'
    r(1, "alert udp $HOME_NET any -> $EXTERNAL_NET any", HV, "variables from -c")
    r(0, "alert udp $EXTERNAL_NET any -> $HOME_NET any", HV, "variables reversed")
    r(1, "alert udp any any -> any $HTTP_PORTS", HV, "HTTP_PORTS from -c is 8081")
    r(0, "alert udp any any -> any !$HTTP_PORTS", HV, "negated port variable")
    r(1, "alert udp [$HOME_NET,192.0.2.1] any -> any any", HV, "variable inside a list")

    # actions, each in a flow of its own
    acts = {}
    for name in ("alert", "drop", "reject", "pass"):
        acts[name] = c.port()
        c.begin()
        c.udp(CLIENT, SERVER, c.cport(), acts[name], b"act-%s token" % name.encode())
        c.end('UDP %s -> %s:%d "act-%s token"' % (CLIENT, SERVER, acts[name], name))
    sid = r(1, "alert udp any any -> any %d" % acts["alert"], 'content:"act-alert";',
            "alert action")
    c.check(1, "an alert rule is written with action allowed", event_type="alert",
            alert__signature_id=sid, alert__action="allowed")
    r(1, "drop udp any any -> any %d" % acts["drop"], 'content:"act-drop";',
      "drop alerts on a passive sensor")
    r(1, "reject udp any any -> any %d" % acts["reject"], 'content:"act-reject";',
      "reject alerts on a passive sensor")
    r(0, "pass udp any any -> any %d" % acts["pass"], 'content:"act-pass";',
      "pass never alerts")
    r(0, "alert udp any any -> any %d" % acts["pass"], 'content:"act-pass";',
      "the pass rule stops inspection of this packet")

    # transport protocols
    tport = c.port()
    c.tcp_exchange((CLIENT, c.cport()), (SERVER, tport),
                   [(True, b"proto-tcp-token request\r\n"), (False, b"ok\r\n")],
                   "TCP session to port %d: client sends \"proto-tcp-token\" once" % tport)
    r(1, "alert tcp any any -> any %d" % tport, 'content:"proto-tcp-token";', "tcp payload")
    r(0, "alert udp any any -> any any", 'content:"proto-tcp-token";', "udp rule, TCP data")
    c.begin()
    c.ip_raw(CLIENT, "198.51.100.33", pg.IPPROTO_ICMP,
             pg.icmp4_echo(0x1234, 1, b"proto-icmp-token data"))
    c.end('ICMP echo request %s -> 198.51.100.33 with data "proto-icmp-token data" (no '
          'reply)' % CLIENT)
    r(1, "alert icmp any any -> any any", 'content:"proto-icmp-token";', "icmp payload")
    r(0, "alert udp any any -> any any", 'content:"proto-icmp-token";', "udp rule, ICMP data")

    # application-layer protocols in the header
    http_srv = (SERVER, 80)
    c.http((CLIENT, c.cport()), http_srv,
           b"GET /proto-http-token HTTP/1.1\r\nHost: proto.example\r\n\r\n",
           http_response(200, "OK", b"fine\n"), "HTTP GET /proto-http-token")
    r(1, "alert http any any -> any any", 'http.uri; content:"/proto-http-token";', "http")
    r(1, "alert http any any -> any any", 'content:"GET /proto-http-token"; depth:21;',
      "payload content in an http rule: the request packet itself (detected on it)")
    r(0, "alert tls any any -> any any", 'content:"proto-http-token";', "tls rule, HTTP flow")
    r(0, "alert dns any any -> any any", 'content:"proto-http-token";', "dns rule, HTTP flow")
    dns_exchange(c, (CLIENT, c.cport()), ("198.51.100.53", 53), 0x4242, "proto-dns.example",
                 "192.0.2.200", "DNS query proto-dns.example A and its answer")
    r(1, "alert dns any any -> any any", 'dns.query; content:"proto-dns.example";', "dns")
    r(0, "alert http any any -> any any", 'content:"proto-dns";', "http rule, DNS flow")
    ch = pg.tls_client_hello(c.rng, "proto-tls.example", tls13=True)
    c.tcp_exchange((CLIENT, c.cport()), (SERVER, 443),
                   [(True, ch), (False, pg.tls13_server_flight(c.rng, encrypted_len=300))],
                   "TLS 1.3 ClientHello with SNI proto-tls.example, ServerHello flight")
    r(1, "alert tls any any -> any any", 'tls.sni; content:"proto-tls.example";', "tls")
    r(1, "alert tls any any -> any any", 'content:"proto-tls.example";',
      "payload content in a tls rule: the ClientHello packet itself")
    r(0, "alert ssh any any -> any any", 'content:"proto-tls.example";', "ssh rule, TLS flow")
    c.tcp_exchange((CLIENT, c.cport()), (SERVER, 25), [
        (False, b"220 mx.proto.example ESMTP\r\n"), (True, b"EHLO client.proto.example\r\n"),
        (False, b"250-mx.proto.example\r\n250 8BITMIME\r\n"),
        (True, b"MAIL FROM:<proto-smtp-sender@proto.example>\r\n"), (False, b"250 OK\r\n"),
        (True, b"QUIT\r\n"), (False, b"221 bye\r\n")], "SMTP: EHLO, MAIL FROM "
        "<proto-smtp-sender@proto.example>, QUIT")
    r(1, "alert smtp any any -> any any", 'content:"proto-smtp-sender";', "smtp")
    r(0, "alert ftp any any -> any any", 'content:"proto-smtp-sender";', "ftp rule, SMTP flow")
    c.tcp_exchange((CLIENT, c.cport()), (SERVER, 21), [
        (False, b"220 FTP server ready\r\n"), (True, b"USER proto-ftp-user\r\n"),
        (False, b"331 Password required\r\n"), (True, b"QUIT\r\n"), (False, b"221 bye\r\n")],
        "FTP: banner, USER proto-ftp-user, QUIT")
    r(1, "alert ftp any any -> any any", 'content:"proto-ftp-user";', "ftp")
    r(0, "alert pop3 any any -> any any", 'content:"proto-ftp-user";', "pop3 rule, FTP flow")
    c.tcp_exchange((CLIENT, c.cport()), (SERVER, 22), [
        (True, b"SSH-2.0-OpenSSH_9.6\r\n"), (False, b"SSH-2.0-OpenSSH_9.2p1\r\n"),
        (True, ssh_ignore_packet(b"proto-ssh-ignore-token"))],
        "SSH banners, then a client SSH_MSG_IGNORE packet holding proto-ssh-ignore-token")
    r(1, "alert ssh any any -> any any", 'content:"proto-ssh-ignore-token";', "ssh")
    r(0, "alert imap any any -> any any", 'content:"proto-ssh-ignore-token";',
      "imap rule, SSH flow")
    c.tcp_exchange((CLIENT, c.cport()), (SERVER, 110), [
        (False, b"+OK POP3 server ready\r\n"), (True, b"USER proto-pop3-user\r\n"),
        (False, b"+OK\r\n"), (True, b"QUIT\r\n"), (False, b"+OK bye\r\n")],
        "POP3: banner, USER proto-pop3-user, QUIT")
    r(1, "alert pop3 any any -> any any", 'content:"proto-pop3-user";', "pop3")
    r(0, "alert smtp any any -> any any", 'content:"proto-pop3-user";', "smtp rule, POP3 flow")
    c.tcp_exchange((CLIENT, c.cport()), (SERVER, 143), [
        (False, b"* OK IMAP4rev1 server ready\r\n"), (True, b"a1 CAPABILITY\r\n"),
        (False, b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n"),
        (True, b"a2 EXAMINE proto-imap-box\r\n"), (False, b"a2 NO login first\r\n"),
        (True, b"a3 LOGOUT\r\n"), (False, b"* BYE\r\na3 OK\r\n")],
        "IMAP: banner, CAPABILITY, EXAMINE proto-imap-box, LOGOUT")
    r(1, "alert imap any any -> any any", 'content:"proto-imap-box";', "imap")
    r(0, "alert pop3 any any -> any any", 'content:"proto-imap-box";', "pop3 rule, IMAP flow")
    return c


def case_content():
    """content and its modifiers on single UDP payloads."""
    c = RuleCase("rules_content", "content and its modifiers: nocase, depth, offset, "
                 "distance, within, startswith, endswith, fast_pattern (only, chop), negation, "
                 "hex bytes, rawbytes", """
Each payload travels alone in one UDP packet to a port of its own, and each rule names that
port, so a rule alerts once when its content chain holds on that payload and never
otherwise. Positions are given in the README (0-based byte offsets). distance/within are
only combined with distance:0 so that Suricata's and Snort's reading of within agree.
fast_pattern never changes what matches: a chopped fast pattern that is present while the
whole content is not must not alert.""")
    r = c.rule
    p = c.udp_payload(b"Hello World", '"Hello World"')
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"hello world"; nocase;', "nocase")
    r(0, H, 'content:"hello world";', "case differs without nocase")
    r(1, H, 'content:"World";', "plain content")

    p = c.udp_payload(b"0123456789ABCDEFGHIJ", '"0123456789ABCDEFGHIJ" (ABC at 10..12)')
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"ABC"; depth:13;', "depth reaching the end of ABC")
    r(0, H, 'content:"ABC"; depth:12;', "depth one short")
    r(1, H, 'content:"ABC"; offset:10;', "offset at ABC")
    r(0, H, 'content:"ABC"; offset:11;', "offset past ABC")
    r(1, H, 'content:"ABC"; offset:5; depth:8;', "window 5..13")
    r(0, H, 'content:"ABC"; offset:5; depth:7;', "window 5..12")
    r(1, H, 'content:"J"; offset:19; depth:1;', "last byte")

    p = c.udp_payload(b"AAAA-xx-BBBB--CCCC", '"AAAA-xx-BBBB--CCCC" (AAAA 0..3, xx 5..6, '
                      'BBBB 8..11, CCCC 14..17)')
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"AAAA"; content:"BBBB"; distance:4;', "BBBB 4 bytes after AAAA")
    r(0, H, 'content:"AAAA"; content:"BBBB"; distance:5;', "distance one too far")
    r(1, H, 'content:"AAAA"; content:"BBBB"; within:8;', "BBBB ends 8 bytes after AAAA")
    r(0, H, 'content:"AAAA"; content:"BBBB"; within:7;', "within one too short")
    r(1, H, 'content:"BBBB"; content:"CCCC"; distance:0; within:6;', "distance:0 within:6")
    r(0, H, 'content:"BBBB"; content:"AAAA"; distance:0;', "AAAA is before BBBB")
    r(1, H, 'content:"BBBB"; content:"xx"; distance:-7;', "negative distance back to xx")
    r(0, H, 'content:"BBBB"; content:"xx"; distance:-6;', "negative distance past xx")
    r(1, H, 'content:"CCCC"; content:"AAAA";', "unrelated contents in any order")

    p = c.udp_payload(b"START-middle-END", '"START-middle-END"')
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"START"; startswith;', "startswith")
    r(0, H, 'content:"middle"; startswith;', "not at the start")
    r(1, H, 'content:"END"; endswith;', "endswith")
    r(0, H, 'content:"middle"; endswith;', "not at the end")
    r(1, H, 'content:"START-middle-END"; startswith; endswith;', "whole payload")

    p = c.udp_payload(b"fp-alpha fp-beta", '"fp-alpha fp-beta"')
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"fp-alpha"; content:"fp-beta"; fast_pattern;', "explicit fast_pattern")
    r(0, H, 'content:"fp-gamma"; content:"fp-beta"; fast_pattern;',
      "fast pattern present, other content absent")
    r(0, H, 'content:"fp-alpha"; content:"fp-delta"; fast_pattern;', "fast pattern absent")
    r(1, H, 'content:"fp-beta"; fast_pattern:only;', "fast_pattern:only")
    r(0, H, 'content:"fp-omega"; fast_pattern:only;', "fast_pattern:only, absent")
    r(1, H, 'content:"lpha fp-be"; fast_pattern:5,5;', "chopped fast pattern, whole present")
    r(0, H, 'content:"xxfp-betaxx"; fast_pattern:2,7;',
      "chop fp-beta present, whole content absent")

    p_ok = c.udp_payload(b"neg-ok clean", '"neg-ok clean"')
    p_bad = c.udp_payload(b"neg-bad evil", '"neg-bad evil"')
    for p, clean in ((p_ok, True), (p_bad, False)):
        H = "alert udp any any -> any %d" % p
        r(1 if clean else 0, H, 'content:"neg-"; content:!"evil";',
          "negated content, %s" % ("absent" if clean else "present"))
        r(0 if clean else 1, H, 'content:"neg-"; content:!"ok"; distance:0; within:2;',
          "relative negation: ok %s right after neg-" % ("is" if clean else "is not"))
    r(1, "alert udp any any -> any %d" % p_bad, 'content:!"absent-word"; content:"evil";',
      "negation first in the chain")

    p = c.udp_payload(b"\x00\x01binary\xff\xfe\x7f", "00 01 'binary' ff fe 7f")
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"|00 01|binary|ff fe|";', "hex bytes around text")
    r(1, H, 'content:"|FF FE 7F|"; endswith;', "upper-case hex, endswith")
    r(0, H, 'content:"|00 02|binary";', "different hex byte")
    r(1, H, 'content:"|00|"; depth:1; content:"|01|"; distance:0; within:1;', "hex chain")

    p = c.udp_payload(b'semi;colon"quote\\back|pipe', "semi;colon\"quote\\back|pipe")
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"semi\\;colon\\"quote\\\\back";', "escaped ; \" and \\ in content")
    r(1, H, 'content:"semi|3b|colon|22|quote|5c|back|7c|pipe"; startswith; endswith;',
      "the same bytes in hex")
    r(0, H, 'content:"semi\\;colon\\"quote\\\\bak";', "one byte differs")

    p = c.udp_payload(b"raw-bytes-test", '"raw-bytes-test"')
    H = "alert udp any any -> any %d" % p
    r(1, H, 'content:"raw-bytes"; rawbytes;', "rawbytes on a plain payload")
    r(0, H, 'content:"raw-bytes"; rawbytes; offset:1;', "rawbytes with an offset past it")
    return c


def case_pcre():
    """pcre with its flags and HTTP buffer letters."""
    c = RuleCase("rules_pcre", "pcre: flags i s m x R, negation, and the HTTP buffer "
                 "letters U H P M C S V W", """
The payload flags on one UDP payload (own port), the buffer letters on one HTTP POST
transaction whose parts are all distinct: each letter's rule finds its text in its buffer
(1 alert, once per transaction) and not the text of another buffer (0).""")
    r = c.rule
    p = c.udp_payload(b"Line1 abc\nLINE2 XyZ end", r'"Line1 abc\nLINE2 XyZ end"')
    H = "alert udp any any -> any %d" % p
    r(1, H, r'pcre:"/line2 xyz/i";', "i: caseless")
    r(0, H, r'pcre:"/line2 xyz/";', "case differs without i")
    r(1, H, r'pcre:"/abc.LINE2/s";', "s: dot matches the newline")
    r(0, H, r'pcre:"/abc.LINE2/";', "dot does not match a newline without s")
    r(1, H, r'pcre:"/^LINE2/m";', "m: ^ after a newline")
    r(0, H, r'pcre:"/^LINE2/";', "^ is the buffer start without m")
    r(1, H, r'pcre:"/X y Z/x";', "x: pattern blanks ignored")
    r(0, H, r'pcre:"/X y Z/";', "blanks are literal without x")
    r(1, H, r'content:"Line1"; pcre:"/^ abc/R";', "R: anchored after the content")
    r(0, H, r'content:"abc"; pcre:"/^Line1/R";', "R: Line1 is not after abc")
    r(1, H, r'content:"Line1"; pcre:!"/nothere/";', "negated pcre, no match")
    r(0, H, r'content:"Line1"; pcre:!"/XyZ/";', "negated pcre, match")
    r(1, H, r'pcre:"/LINE\d\s+X[a-z]Z/";', "character classes")

    body = b"pcre-body=1&more=2"
    req = (b"POST /pcre/u-path?x=1 HTTP/1.1\r\nHost: pcre-host.example\r\n"
           b"User-Agent: PcreAgent/2.0\r\nCookie: sess=pcre-cookie\r\n"
           b"X-Pcre-Hdr: hval\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    c.http((CLIENT, c.cport()), (SERVER, 80), req,
           http_response(404, "Not Found", b"pcre-resp-body\n"),
           "HTTP POST /pcre/u-path?x=1 (Host pcre-host.example, User-Agent PcreAgent/2.0, "
           "Cookie sess=pcre-cookie, X-Pcre-Hdr: hval, body pcre-body=1&more=2), 404")
    H = "alert http any any -> any any"
    r(1, H, r'pcre:"/^\/pcre\/u-path\?x=1$/U";', "U: normalised URI")
    r(0, H, r'pcre:"/pcre-host/U";', "U: host is not in the URI")
    r(1, H, r'pcre:"/X-Pcre-Hdr: hval/H";', "H: request headers")
    r(0, H, r'pcre:"/^POST/H";', "H: the request line is not a header")
    r(1, H, r'pcre:"/pcre-body=1/P";', "P: request body")
    r(0, H, r'pcre:"/X-Pcre-Hdr/P";', "P: headers are not the body")
    r(1, H, r'pcre:"/^POST$/M";', "M: method")
    r(0, H, r'pcre:"/^GET$/M";', "M: other method")
    r(1, H, r'pcre:"/sess=pcre-cookie/C";', "C: cookie")
    r(0, H, r'pcre:"/PcreAgent/C";', "C: user agent is not the cookie")
    r(1, H, r'pcre:"/^404$/S";', "S: status code")
    r(0, H, r'pcre:"/^200$/S";', "S: other status code")
    r(1, H, r'pcre:"/^PcreAgent\/2\.0$/V";', "V: user agent")
    r(0, H, r'pcre:"/pcre-cookie/V";', "V: cookie is not the user agent")
    r(1, H, r'pcre:"/^pcre-host\.example$/W";', "W: host")
    r(0, H, r'pcre:"/PcreAgent/W";', "W: user agent is not the host")
    r(1, H, r'http.uri; content:"/pcre/"; pcre:"/^u-path/R";', "R inside a sticky buffer")
    return c


BYTE_PAYLOAD = (b"\x03\xe8" + b"HDR" + b"\x05" + b"skip!" + b"MARK" + b"0042" +
                b"\x78\x56\x34\x12" + b"tail")


def case_byte():
    """isdataat, byte_test, byte_jump, byte_extract."""
    c = RuleCase("rules_byte", "isdataat, byte_test, byte_jump and byte_extract", """
All rules inspect one 27-byte UDP payload (own port):

| offset | bytes | meaning |
|---|---|---|
| 0 | 03 e8 | 1000, big endian |
| 2 | "HDR" | |
| 5 | 05 | a length: 5 bytes follow |
| 6 | "skip!" | the 5 bytes |
| 11 | "MARK" | |
| 15 | "0042" | 42 as decimal text |
| 19 | 78 56 34 12 | 0x12345678, little endian |
| 23 | "tail" | last 4 bytes (23..26) |

isdataat:N holds when byte N exists (N < 27); with relative, when at least N bytes follow the
end of the previous match (end + N <= 27), so !1,relative means "nothing follows".
byte_jump moves to (offset + bytes read + value x multiplier [+ post_offset]);
from_beginning measures from the buffer start.""")
    r = c.rule
    p = c.udp_payload(BYTE_PAYLOAD, "the 27-byte table payload")
    H = "alert udp any any -> any %d" % p
    r(1, H, "byte_test:2,=,1000,0;", "2 bytes = 1000")
    r(0, H, "byte_test:2,>,1000,0;", "not > 1000")
    r(1, H, "byte_test:2,<,1001,0;", "< 1001")
    r(1, H, "byte_test:2,>=,1000,0;", ">= 1000")
    r(0, H, "byte_test:2,!=,1000,0;", "negated =")
    r(1, H, "byte_test:4,=,0x12345678,19,little;", "little endian")
    r(0, H, "byte_test:4,=,0x12345678,19;", "big endian reads 0x78563412")
    r(1, H, "byte_test:4,=,42,15,string,dec;", "decimal text")
    r(0, H, "byte_test:4,>,42,15,string,dec;", "decimal text, not > 42")
    r(1, H, 'content:"MARK"; byte_test:4,=,42,0,relative,string,dec;', "relative")
    r(0, H, 'content:"MARK"; byte_test:2,=,42,0,relative,string,dec;', "relative, '00' != 42")
    r(1, H, "byte_test:1,&,0x04,5;", "bitwise and, bit set")
    r(0, H, "byte_test:1,&,0x02,5;", "bitwise and, bit clear")
    r(0, H, "byte_test:2,=,1000,26;", "reading past the end fails")
    r(1, H, 'byte_jump:1,5; content:"MARK"; distance:0; within:4;', "jump over the 5 bytes")
    r(0, H, 'byte_jump:1,5,post_offset 1; content:"MARK"; distance:0; within:4;',
      "post_offset lands after the start of MARK")
    r(1, H, 'content:"HDR"; byte_jump:1,0,relative; content:"MARK"; distance:0; within:4;',
      "relative jump")
    r(1, H, 'byte_jump:1,5,multiplier 2; content:"042"; distance:0; within:3;',
      "multiplier 2: 5 + 1 + 10 = offset 16")
    r(1, H, 'byte_jump:1,5,from_beginning; content:"|05|skip"; distance:0; within:5;',
      "from_beginning: jump to offset 5")
    r(0, H, 'byte_jump:1,0; content:"HDR"; distance:0;', "jump of 3 bytes lands past HDR")
    r(1, H, 'byte_extract:1,5,skiplen; content:"skip!"; offset:6; depth:skiplen;',
      "extracted value as depth")
    r(0, H, 'byte_extract:1,5,skiplen; content:"MARK"; offset:6; depth:skiplen;',
      "extracted depth too short for MARK")
    r(1, H, 'byte_extract:1,5,n; content:"HDR"; content:"MARK"; distance:n;',
      "extracted value as distance: MARK at 11 >= 5 + 5")
    r(0, H, 'byte_extract:1,5,n,multiplier 2; content:"HDR"; content:"MARK"; distance:n;',
      "multiplied distance (10) overshoots MARK")
    r(1, H, 'byte_extract:4,15,v,string,dec; byte_test:2,>,v,0;',
      "extracted decimal text (42) as byte_test value: 1000 > 42")
    r(0, H, 'byte_extract:4,15,v,string,dec; byte_test:2,<,v,0;', "1000 is not < 42")
    r(1, H, 'isdataat:26;', "byte 26 exists")
    r(0, H, 'isdataat:27;', "byte 27 does not")
    r(1, H, 'content:"tail"; isdataat:!1,relative;', "nothing after tail")
    r(0, H, 'content:"MARK"; isdataat:!1,relative;', "data follows MARK")
    r(1, H, 'content:"MARK"; isdataat:12,relative;', "12 bytes (15..26) follow MARK")
    r(0, H, 'content:"MARK"; isdataat:13,relative;', "not 13")
    return c


def case_pkt():
    """dsize, flags, ip_proto, itype, icode, ttl."""
    c = RuleCase("rules_pkt", "Packet keywords: dsize, flags, ip_proto, itype, icode, ttl", """
Keywords on packet fields, counted per packet. Ranges a<>b are exclusive, as Suricata's
integer keywords define them. The TCP session for flags (to port 7001) has exactly these
packets: SYN, SYN-ACK, ACK, client data (PSH-ACK), server ACK, server data (PSH-ACK), client
ACK, client FIN-ACK, server FIN-ACK, client ACK. flags without a modifier must equal the
packet's flags (CWR/ECE only ignored when listed after the comma); + means "at least these",
* "any of these", ! "none of these".""")
    r = c.rule
    p = c.udp_payload(b"dsize-ten!", '"dsize-ten!" (10 bytes)')
    H = "alert udp any any -> any %d" % p
    r(1, H, "dsize:10;", "exact size")
    r(0, H, "dsize:>10;", "not > 10")
    r(1, H, "dsize:<11;", "< 11")
    r(1, H, "dsize:5<>15;", "inside 5<>15")
    r(0, H, "dsize:10<>15;", "exclusive range excludes 10")
    r(1, H, 'dsize:10; content:"ten";', "dsize with content")

    fport = 7001
    c.tcp_exchange((CLIENT, 45001), (SERVER, fport),
                   [(True, b"flags test request"), (False, b"flags test response")],
                   "TCP %s:45001 -> %s:%d: handshake, one request, one response (each ACKed), "
                   "FIN/FIN-ACK/ACK" % (CLIENT, SERVER, fport))
    TS = "alert tcp any any -> any %d" % fport
    TC = "alert tcp any %d -> any any" % fport
    r(1, TS, "flags:S;", "the SYN")
    r(1, TC, "flags:SA;", "the SYN-ACK")
    r(0, TS, "flags:SA;", "no SYN-ACK to the server")
    r(1, TS, "flags:S,CE;", "SYN, CWR/ECE ignored")
    r(1, TS, "flags:S,12;", "SYN, old-style ignore list")
    r(1, TS, "flags:P+;", "PSH and more: the request")
    r(2, TS, "flags:*SF;", "SYN or FIN: SYN and FIN-ACK")
    r(1, TS, "flags:!A;", "no ACK: only the SYN")
    r(1, TS, "flags:FA;", "exactly FIN-ACK")
    r(0, TS, "flags:F;", "FIN alone never occurs")
    r(0, TS, "flags:R+;", "no RST")
    r(3, TS, "flags:A;", "exactly ACK: handshake ACK, ACK of the response, final ACK")

    host = "198.51.100.60"
    c.begin()
    c.ip_raw(CLIENT, host, pg.IPPROTO_ICMP, pg.icmp4_echo(7, 1, b"ipproto"))
    c.udp(CLIENT, host, 45100, 9999, b"ip_proto udp")
    c.ip_raw(CLIENT, host, pg.IPPROTO_TCP, pg.tcp(CLIENT, host, 45101, 9998, seq=1, flags="S"))
    c.end("to %s: one ICMP echo request, one UDP datagram, one TCP SYN (no replies)" % host)
    H = "alert ip any any -> %s any" % host
    r(1, H, "ip_proto:1;", "ICMP")
    r(1, H, "ip_proto:17;", "UDP")
    r(1, H, "ip_proto:6;", "TCP")
    r(1, H, "ip_proto:udp;", "by name")
    r(0, H, "ip_proto:47;", "no GRE")
    r(2, H, "ip_proto:!17;", "everything but UDP")
    r(3, H, "", "all three packets (no option)")

    ih = "198.51.100.61"
    c.begin()
    c.ip_raw(CLIENT, ih, pg.IPPROTO_ICMP, pg.icmp4_echo(8, 1, b"itype test"))
    c.ip_raw(ih, CLIENT, pg.IPPROTO_ICMP, pg.icmp4_echo(8, 1, b"itype test", reply=True))
    probe = pg.udp_packet(CLIENT, ih, 45200, 33434, b"probe")
    c.ip_raw(ih, CLIENT, pg.IPPROTO_ICMP, pg.icmp4_error(3, 3, probe))
    c.end("ICMP with %s: echo request (8/0), echo reply (0/0), port unreachable (3/3) "
          "quoting a UDP probe" % ih)
    r(1, "alert icmp any any -> %s any" % ih, "itype:8;", "echo request")
    r(1, "alert icmp %s any -> any any" % ih, "itype:0;", "echo reply")
    r(1, "alert icmp %s any -> any any" % ih, "itype:3; icode:3;", "port unreachable")
    r(1, "alert icmp %s any -> any any" % ih, "itype:3; icode:>2;", "code > 2")
    r(0, "alert icmp %s any -> any any" % ih, "itype:3; icode:1;", "not host unreachable")
    r(0, "alert icmp %s any -> any any" % ih, "itype:>30;", "no type > 30")
    r(1, "alert icmp any any -> %s any" % ih, "itype:5<>9;", "8 inside 5<>9")
    r(1, "alert icmp %s any -> any any" % ih, "icode:0;",
      "the echo reply has code 0, the unreachable code 3")

    p5, p200 = c.port(), c.port()
    c.begin()
    c.udp(CLIENT, SERVER, 45300, p5, b"ttl five", ttl=5)
    c.udp(CLIENT, SERVER, 45301, p200, b"ttl two hundred", ttl=200)
    c.end("UDP with TTL 5 to port %d and TTL 200 to port %d" % (p5, p200))
    r(1, "alert udp any any -> any %d" % p5, "ttl:5;", "TTL 5")
    r(1, "alert udp any any -> any %d" % p5, "ttl:<10;", "TTL < 10")
    r(0, "alert udp any any -> any %d" % p5, "ttl:>10;", "not > 10")
    r(1, "alert udp any any -> any %d" % p200, "ttl:>199;", "TTL 200 > 199")
    r(0, "alert udp any any -> any %d" % p200, "ttl:64;", "not 64")
    return c


def chunked(data, size=16):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


def gzip_bytes(data):
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    return co.compress(data) + co.flush()


def case_http():
    """HTTP sticky buffers and the legacy content modifiers."""
    c = RuleCase("rules_http", "HTTP sticky buffers and legacy modifiers, urilen, bsize", """
Four HTTP flows to 198.51.100.80:80, one transaction each, with values unique to one flow:
H1 a GET with a percent-encoded URI and many request headers, H2 a POST with a body and a
201 response with its own Content-Type and body, H3 a GET whose response is chunked and
gzip-compressed, H4 a PATCH answered 204. App-layer rules alert once per matching
transaction; a rule matching several transactions counts one alert per transaction.
Semantics from Suricata's HTTP keyword documentation: http.uri is normalised (%41 -> A),
http.uri.raw is as sent; http.host is lower case without the port; http.header holds
"Name: value\\r\\n" lines with trailing blanks removed and without Cookie; http.header.raw is
the header block as sent; http.header_names is "\\r\\n" + each name + "\\r\\n" ... ;
http.start is the request line and headers; http.content_type applies to both directions
(flow:to_server / to_client select one); response bodies are de-chunked and decompressed;
file.data in an HTTP rule is the response body. urilen/bsize count bytes.""")
    r = c.rule
    srv = ("198.51.100.80", 80)
    raw_uri = "/norm/%41%42C/page.php"
    norm_uri = "/norm/ABC/page.php"
    host_raw = "WWW.Example-Host.TEST:8080"
    host = "www.example-host.test"
    ua = "UA-Unique/1.0 (tests)"
    referer = "http://ref.example/from-here"
    h1 = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nCookie: session=cookie-uniq-42\r\n"
          "Referer: %s\r\nX-Custom-Test: hdr-uniq-77\r\nX-Trail: trail-val   \r\n"
          "Accept: */*\r\n\r\n" % (raw_uri, host_raw, ua, referer)).encode()
    c.http(("192.0.2.21", 41001), srv, h1,
           http_response(200, "OK", b"h1 body\n", [("Content-Type", "text/plain")]),
           "H1 GET %s, Host %s, User-Agent %s, Cookie session=cookie-uniq-42, Referer %s, "
           "X-Custom-Test: hdr-uniq-77, 'X-Trail: trail-val' + 3 blanks; 200 text/plain"
           % (raw_uri, host_raw, ua, referer))
    body = b"req-body-token=abc&x=1"
    h2 = (b"POST /upload/form HTTP/1.1\r\nHost: post.example\r\nUser-Agent: PostAgent/3\r\n"
          b"Content-Type: application/x-mm-test\r\nContent-Length: %d\r\n\r\n%s"
          % (len(body), body))
    c.http(("192.0.2.22", 41002), srv, h2,
           http_response(201, "Created", b"resp-body-token <html>\n",
                         [("Content-Type", "text/x-mm-resp")]),
           "H2 POST /upload/form, Content-Type application/x-mm-test, body %s; 201 Created, "
           "Content-Type text/x-mm-resp, body 'resp-body-token <html>'" % body.decode())
    gz = gzip_bytes(b"gz-body-token plain text inside gzip\n")
    h3resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" + chunked(gz))
    c.http(("192.0.2.23", 41003), srv,
           b"GET /gzip-page HTTP/1.1\r\nHost: gzip.example\r\nAccept-Encoding: gzip\r\n\r\n",
           h3resp, "H3 GET /gzip-page; 200, chunked, gzip body 'gz-body-token plain text "
           "inside gzip'")
    c.http(("192.0.2.24", 41004), srv,
           b"PATCH /patch-target HTTP/1.1\r\nHost: patch.example\r\nContent-Length: 0\r\n\r\n",
           b"HTTP/1.1 204 No Content\r\n\r\n", "H4 PATCH /patch-target; 204 No Content")
    H = "alert http any any -> any any"
    # URI
    r(1, H, 'http.uri; content:"%s"; bsize:%d;' % (norm_uri, len(norm_uri)),
      "normalised URI, exact length")
    r(0, H, 'http.uri; content:"%41";', "no percent escape in the normalised URI")
    r(1, H, 'http.uri.raw; content:"%s"; bsize:%d;' % (raw_uri, len(raw_uri)), "raw URI")
    r(0, H, 'http.uri.raw; content:"/norm/ABC";', "raw URI is not decoded")
    r(1, H, 'content:"/norm/ABC/"; http_uri;', "legacy http_uri")
    r(1, H, 'uricontent:"/norm/ABC/";', "legacy uricontent")
    r(1, H, 'content:"%41%42C"; http_raw_uri;', "legacy http_raw_uri")
    r(1, H, 'http.uri; content:"/norm/"; urilen:%d,norm;' % len(norm_uri), "urilen norm")
    r(1, H, 'http.uri; content:"/norm/"; urilen:%d,raw;' % len(raw_uri), "urilen raw")
    r(0, H, 'http.uri; content:"/norm/"; urilen:>30;', "urilen > 30")
    r(1, H, 'http.uri; content:"/norm/"; urilen:15<>20,norm;', "urilen range")
    r(1, H, 'urilen:%d;' % len("/patch-target"), "only /patch-target has 13 bytes")
    r(1, H, 'http.uri; bsize:<11;', "only /gzip-page is shorter than 11")
    r(0, H, 'http.uri; content:"/norm/"; bsize:>%d;' % len(norm_uri), "bsize too large")
    # method
    r(1, H, 'http.method; content:"PATCH"; bsize:5;', "method")
    r(0, H, 'http.method; content:"patch";', "method is case-sensitive")
    r(1, H, 'content:"PATCH"; http_method;', "legacy http_method")
    r(2, H, 'http.method; content:"GET"; bsize:3;', "two GET transactions")
    r(1, H, 'http.method; content:"POST"; startswith;', "POST")
    # host
    r(1, H, 'http.host; content:"%s"; bsize:%d;' % (host, len(host)),
      "host lower-cased, port removed")
    r(0, H, 'http.host; content:"8080";', "no port in http.host")
    r(1, H, 'content:"%s"; http_host;' % host, "legacy http_host")
    r(1, H, 'http.host.raw; content:"%s";' % host_raw, "raw host as sent")
    # user agent, cookie, referer
    r(1, H, 'http.user_agent; content:"%s"; bsize:%d;' % (ua, len(ua)), "user agent value")
    r(0, H, 'http.user_agent; content:"User-Agent";', "no header name in the value")
    r(1, H, 'content:"UA-Unique"; http_user_agent;', "legacy http_user_agent")
    r(1, H, 'http.cookie; content:"session=cookie-uniq-42";', "cookie")
    r(1, H, 'content:"cookie-uniq"; http_cookie;', "legacy http_cookie")
    r(0, H, 'http.header; content:"cookie-uniq-42";', "Cookie is not in http.header")
    r(1, H, 'http.header.raw; content:"Cookie: session=cookie-uniq-42";',
      "Cookie is in http.header.raw")
    r(1, H, 'http.referer; content:"%s"; bsize:%d;' % (referer, len(referer)), "referer")
    r(0, H, 'http.referer; content:"Referer";', "no header name in the value")
    # headers
    r(1, H, 'http.header; content:"X-Custom-Test: hdr-uniq-77|0d 0a|";', "header line")
    r(1, H, 'content:"hdr-uniq-77"; http_header;', "legacy http_header")
    r(1, H, 'http.header; content:"X-Trail: trail-val|0d 0a|";', "trailing blanks removed")
    r(0, H, 'http.header; content:"trail-val   ";', "no trailing blanks in http.header")
    # Known gap (docs/rules.md): mamori rebuilds http.header.raw from the parsed headers,
    # whose values lose their trailing blanks; Suricata's raw buffer keeps them (count 1).
    r(0, H, 'http.header.raw; content:"trail-val   |0d 0a|";',
      "known gap: Suricata keeps the blanks in the raw buffer, mamori does not")
    r(1, H, 'content:"X-Custom-Test: hdr-uniq-77"; http_raw_header;', "legacy http_raw_header")
    r(0, H, 'http.header; content:"GET /norm";', "request line is not a header")
    r(1, H, 'http.header_names; content:"|0d 0a|X-Custom-Test|0d 0a|";', "header names")
    r(0, H, 'http.header_names; content:"hdr-uniq-77";', "no values in header names")
    r(1, H, 'http.start; content:"GET %s HTTP/1.1|0d 0a|"; startswith;' % raw_uri,
      "request line and headers")
    r(0, H, 'http.start; content:"h1 body";', "no body in http.start")
    # content type
    r(1, H, 'flow:to_server; http.content_type; content:"application/x-mm-test";',
      "request Content-Type")
    r(1, H, 'flow:to_client; http.content_type; content:"text/x-mm-resp";',
      "response Content-Type")
    r(0, H, 'flow:to_client; http.content_type; content:"application/x-mm-test";',
      "request Content-Type is not the response's")
    r(1, H, 'http.content_type; content:"text/x-mm-resp";',
      "no direction given: both directions are inspected")
    r(1, H, 'http.header; content:"X-Custom-Test: hdr-uniq-77";',
      "no direction given: the request side matches")
    r(0, H, 'http.content_type; content:"text/x-not-there";',
      "no direction given: neither side has it")
    # bodies
    r(1, H, 'http.request_body; content:"req-body-token=abc";', "request body")
    r(1, H, 'content:"req-body-token"; http_client_body;', "legacy http_client_body")
    r(0, H, 'http.request_body; content:"POST";', "request line is not the body")
    r(1, H, 'http.response_body; content:"resp-body-token";', "response body")
    r(1, H, 'file.data; content:"resp-body-token";', "file.data is the response body")
    r(1, H, 'file_data; content:"resp-body-token";', "legacy file_data")
    r(1, H, 'content:"resp-body-token"; http_server_body;', "legacy http_server_body")
    r(0, H, 'http.response_body; content:"req-body-token";', "request body is not the response's")
    r(1, H, 'http.response_body; content:"gz-body-token plain";', "de-chunked, gunzipped")
    r(1, H, 'file.data; content:"gz-body-token";', "file.data de-chunked, gunzipped")
    r(0, H, 'http.response_body; content:"|1f 8b 08|";', "no gzip header after decoding")
    # several buffers: all in the same transaction
    r(1, H, 'http.method; content:"POST"; http.request_body; content:"x=1";',
      "method and body of H2")
    r(0, H, 'http.method; content:"GET"; http.request_body; content:"x=1";',
      "GET and that body are in different transactions")
    r(1, H, 'http.user_agent; content:"PostAgent"; http.content_type; '
      'content:"x-mm-test";', "two request headers of H2")
    r(0, H, 'http.user_agent; content:"UA-Unique"; http.request_body; content:"x=1";',
      "H1's user agent and H2's body are in different transactions")
    # status
    r(1, H, 'http.stat_code; content:"201"; bsize:3;', "status code")
    r(1, H, 'content:"201"; http_stat_code;', "legacy http_stat_code")
    r(0, H, 'http.stat_code; content:"Created";', "reason is not the code")
    r(1, H, 'http.stat_msg; content:"Created";', "reason phrase")
    r(2, H, 'http.stat_code; content:"200";', "two 200 responses")
    return c


def case_dns_tls():
    """dns.query (dotprefix), tls.sni, certificate fields, JA3/JA3S/JA4."""
    c = RuleCase("rules_dns_tls", "dns.query with dotprefix, tls.sni, tls.cert_subject, "
                 "tls.cert_issuer, tls.cert_serial, tls.certs, ja3.hash, ja3.string, ja3s.hash, ja4.hash",
                 """
One DNS query/answer for sub.dns-test.example (dns.query inspects the request, once per
transaction) and one TLS 1.2 handshake with SNI tls-sni-test.example and a certificate
(subject C=JP, O=Subj Org, CN=cert-subject.example; issuer C=JP, O=Issuer Org, CN=Test
Issuing CA; serial 1A:2B:3C:4D:5E:6F:70:81). The JA3/JA3S strings and hashes and the JA4
value are computed by this generator from the hello bytes (the same code reproduces the
values of the suricata-verify ja4-tls capture); each TLS keyword alerts once per flow.""")
    r = c.rule
    q = "sub.dns-test.example"
    dns_exchange(c, (CLIENT, 41100), ("198.51.100.53", 53), 0x1111, q, "192.0.2.201",
                 "DNS query %s A and its answer" % q)
    H = "alert dns any any -> any any"
    r(1, H, 'dns.query; content:"%s"; bsize:%d;' % (q, len(q)), "query name")
    r(1, H, 'dns_query; content:"dns-test";', "legacy dns_query")
    r(1, H, 'dns.query; dotprefix; content:".dns-test.example"; endswith;', "dotprefix suffix")
    r(1, H, 'dns.query; dotprefix; content:".%s"; startswith;' % q, "dotprefix adds a dot")
    r(0, H, 'dns.query; content:".sub.dns-test";', "no leading dot without dotprefix")
    r(0, H, 'dns.query; content:"other.example";', "other name")
    r(1, "alert udp any any -> any 53", 'dns.query; content:"DNS-TEST"; nocase;',
      "nocase in dns.query, udp header")

    sni = "tls-sni-test.example"
    ch = pg.tls_client_hello(c.rng, sni, tls13=False)
    cert = pg.x509_certificate(c.rng, "cert-subject.example", "Test Issuing CA",
                               org="Subj Org", issuer_org="Issuer Org",
                               serial=0x1A2B3C4D5E6F7081)
    flight = pg.tls12_server_flight(c.rng, [cert])
    c.tcp_exchange((CLIENT, 41101), ("198.51.100.43", 443),
                   [(True, ch), (False, flight), (True, pg.tls12_client_finish(c.rng)),
                    (False, pg.tls12_server_finish(c.rng))],
                   "TLS 1.2: ClientHello (SNI %s), ServerHello + Certificate + "
                   "ServerKeyExchange + ServerHelloDone, client and server finish" % sni)
    hello = parse_hello(ch)
    shello = parse_hello(flight[:5 + struct.unpack("!H", flight[3:5])[0]])
    j3s = ja3_string(hello)
    j3 = hashlib.md5(j3s.encode()).hexdigest()
    j3ss = ja3s_string(shello)
    j3sh = hashlib.md5(j3ss.encode()).hexdigest()
    j4 = ja4(hello)
    c.notes.append("Fingerprints of the handshake: JA3 string `%s`, JA3 `%s`; JA3S string "
                   "`%s`, JA3S `%s`; JA4 `%s`. tshark 4.0 gives the same JA3 and JA3S "
                   "(`tshark -r input.pcap -T fields -e tls.handshake.ja3 -e "
                   "tls.handshake.ja3s`); it has no JA4 field." % (j3s, j3, j3ss, j3sh, j4))
    H = "alert tls any any -> any any"
    r(1, H, 'tls.sni; content:"%s"; bsize:%d;' % (sni, len(sni)), "SNI")
    r(1, H, 'tls_sni; content:"tls-sni-test";', "legacy tls_sni")
    r(0, H, 'tls.sni; content:"cert-subject";', "subject is not the SNI")
    r(1, H, 'tls.cert_subject; content:"CN=cert-subject.example";', "subject")
    r(1, H, 'tls.cert_subject; content:"O=Subj Org";', "subject organisation")
    r(0, H, 'tls.cert_subject; content:"Issuing CA";', "issuer is not the subject")
    r(1, H, 'tls.cert_issuer; content:"CN=Test Issuing CA";', "issuer")
    r(0, H, 'tls.cert_issuer; content:"cert-subject";', "subject is not the issuer")
    r(1, H, 'tls.cert_serial; content:"1A:2B:3C:4D:5E:6F:70:81";', "serial, upper-case hex")
    r(0, H, 'tls.cert_serial; content:"1a:2b";', "serial is upper case")
    r(1, H, 'ja3.hash; content:"%s";' % j3, "JA3 hash")
    r(0, H, 'ja3.hash; content:"%s";' % j3sh, "the JA3S hash is not the JA3 hash")
    r(1, H, 'ja3.string; content:"%s"; bsize:%d;' % (j3s, len(j3s)), "JA3 string")
    r(1, H, 'ja3.string; content:"771,"; startswith;', "JA3 string starts with 771")
    r(1, H, 'ja3s.hash; content:"%s";' % j3sh, "JA3S hash")
    r(0, H, 'ja3s.hash; content:"%s";' % j3, "the JA3 hash is not the JA3S hash")
    r(1, H, 'ja4.hash; content:"%s";' % j4, "JA4")
    r(0, H, 'ja4.hash; content:"t13";', "TLS 1.2 hello: JA4 starts with t12")
    # tls.certs: the DER of each certificate; the subject CN is a UTF8/printable string in it
    r(1, H, 'tls.certs; content:"cert-subject.example";', "certificate DER holds the CN")
    r(1, H, 'flow:to_client; tls.certs; content:"|30 82|"; startswith;',
      "DER starts with a SEQUENCE with a 2-byte length")
    r(1, H, 'tls.certs; content:"|%s|";' % " ".join("%02x" % b for b in cert[-8:]),
      "the last 8 bytes of the DER (the signature's end)")
    r(0, H, 'tls.certs; content:"tls-sni-test.example";', "the SNI is not in the certificate")
    r(0, H, 'tls.certs; content:"not-in-any-certificate";', "absent bytes")
    return c


def case_ssh_smtp():
    """ssh.software, ssh.proto, SMTP envelope and email buffers, file.name, file.data."""
    c = RuleCase("rules_ssh_smtp", "ssh.software, ssh.proto, smtp.helo/mail_from/rcpt_to, "
                 "email.* buffers, file.name and file.data on a mail attachment", """
SSH: the client announces SSH-2.0-PuTTY_Release_0.80, the server SSH-1.99-OpenSSH_9.6p1
Debian; ssh.software is the software version without the comment after the blank, ssh.proto
the protocol version of the side that sent the banner. SMTP: one mail transaction (EHLO
client.smtp-test.example, MAIL FROM sender@smtp-test.example, two RCPT TO) whose message has
From, To, Cc, Subject, Date, Message-ID and X-Mailer headers and one base64 attachment
report-q3.pdf.exe. Each recipient is its own smtp.rcpt_to buffer. Each rule alerts once per
transaction; ssh.software and ssh.proto without flow:to_server/to_client inspect both banners,
so a rule that matches both sides alerts twice, once per direction (as suricata-verify's
ssh-banner-only expects).""")
    r = c.rule
    c.tcp_exchange((CLIENT, 41200), ("198.51.100.22", 22), [
        (True, b"SSH-2.0-PuTTY_Release_0.80\r\n"),
        (False, b"SSH-1.99-OpenSSH_9.6p1 Debian\r\n")],
        "SSH banners: client SSH-2.0-PuTTY_Release_0.80, server SSH-1.99-OpenSSH_9.6p1 "
        "Debian")
    H = "alert ssh any any -> any any"
    r(1, H, 'ssh.software; content:"PuTTY_Release_0.80"; bsize:18;', "client software")
    r(1, H, 'ssh.software; content:"OpenSSH_9.6p1"; bsize:13;',
      "server software without the comment")
    r(0, H, 'ssh.software; content:"Debian";', "the comment is not the software")
    r(1, H, 'ssh.proto; content:"1.99";', "server protocol version")
    r(1, H, 'flow:to_server; ssh.proto; content:"2.0"; bsize:3;', "client protocol version")
    r(0, H, 'flow:to_client; ssh.proto; content:"2.0";', "the server said 1.99")
    r(2, H, 'ssh.software; content:"_";', "no direction: each side's banner once")
    r(2, H, 'ssh.proto; content:".";', "no direction: each side's version once")

    att = b"attachment-data-token: not really an executable\n" * 4
    msg = pg.mime_message([
        ("From", "Alice Sender <sender@smtp-test.example>"),
        ("To", "Bob <bob@smtp-test.example>"),
        ("Cc", "carol@smtp-test.example"),
        ("Subject", "Quarterly report mm-subj"),
        ("Date", "Mon, 04 Mar 2024 05:06:07 +0000"),
        ("Message-ID", "<mm-msgid-1@smtp-test.example>"),
        ("X-Mailer", "MM-Mailer 1.0"),
    ], "Please find the report attached.\n",
        [("report-q3.pdf.exe", "application/octet-stream", att)])
    c.tcp_exchange((CLIENT, 41201), ("198.51.100.25", 25), [
        (False, b"220 mx.smtp-test.example ESMTP\r\n"),
        (True, b"EHLO client.smtp-test.example\r\n"),
        (False, b"250-mx.smtp-test.example\r\n250 8BITMIME\r\n"),
        (True, b"MAIL FROM:<sender@smtp-test.example>\r\n"), (False, b"250 OK\r\n"),
        (True, b"RCPT TO:<bob@smtp-test.example>\r\n"), (False, b"250 OK\r\n"),
        (True, b"RCPT TO:<carol@smtp-test.example>\r\n"), (False, b"250 OK\r\n"),
        (True, b"DATA\r\n"), (False, b"354 go ahead\r\n"),
        (True, pg.smtp_dot_stuff(msg)), (False, b"250 queued\r\n"),
        (True, b"QUIT\r\n"), (False, b"221 bye\r\n")],
        "SMTP: EHLO, MAIL FROM, RCPT TO bob and carol, DATA (message with attachment "
        "report-q3.pdf.exe), QUIT")
    H = "alert smtp any any -> any any"
    r(1, H, 'smtp.helo; content:"client.smtp-test.example";', "HELO/EHLO name")
    r(1, H, 'smtp.mail_from; content:"sender@smtp-test.example";', "MAIL FROM")
    r(1, H, 'smtp.rcpt_to; content:"carol@smtp-test.example";', "second RCPT TO")
    r(0, H, 'smtp.rcpt_to; content:"bob@smtp-test.example>, <carol";',
      "recipients are separate buffers")
    r(1, H, 'email.from; content:"Alice Sender";', "From header")
    r(1, H, 'email.to; content:"bob@smtp-test.example";', "To header")
    r(1, H, 'email.cc; content:"carol@smtp-test.example";', "Cc header")
    r(1, H, 'email.subject; content:"Quarterly report mm-subj"; bsize:24;', "Subject")
    r(0, H, 'email.subject; content:"Alice";', "From is not the Subject")
    r(1, H, 'email.date; content:"04 Mar 2024";', "Date")
    r(1, H, 'email.message_id; content:"mm-msgid-1@smtp-test.example";', "Message-ID")
    r(1, H, 'email.x_mailer; content:"MM-Mailer 1.0";', "X-Mailer")
    r(1, "alert smtp any any -> any any", 'file.name; content:"report-q3.pdf.exe";',
      "attachment name")
    r(1, "alert smtp any any -> any any", 'file.name; content:".exe"; endswith;',
      "attachment name suffix")
    r(0, "alert smtp any any -> any any", 'file.name; content:"report-q4";', "other name")
    r(1, "alert smtp any any -> any any", 'file.data; content:"attachment-data-token";',
      "decoded attachment content")
    r(0, "alert smtp any any -> any any", 'file.data; content:"YXR0YWNobWVudC1kYXRh";',
      "file.data is decoded, not base64")
    return c


def case_flow():
    """flow keyword, flowbits, flowint, xbits."""
    c = RuleCase("rules_flow", "flow (direction and state), flowbits, flowint, xbits", """
flow: one TCP session to port 8001 (request flow-req-token, response flow-resp-token) and
one to 8002 whose client data "split-token" is cut into two segments "split-" and "token",
so only the reassembled stream holds it. UDP flows become established once both sides have
sent. flowbits/flowint/xbits use UDP packets of one flow, inspected in capture order:
flowbits set/toggle/unset on earlier packets decide isset/isnotset on later ones, per flow;
noalert (or flowbits:noalert) silences the setting rule; "a|b" is true when either bit is
set. flowint counts three increments after a set to 0. xbits with track ip_src are shared
by all flows of the source address and expire after `expire` seconds.""")
    r = c.rule
    c.tcp_exchange((CLIENT, 41300), (SERVER, 8001),
                   [(True, b"flow-req-token"), (False, b"flow-resp-token")],
                   "TCP to port 8001: request flow-req-token, response flow-resp-token")
    TS = "alert tcp any any -> any 8001"
    TC = "alert tcp any 8001 -> any any"
    r(1, TS, 'flow:to_server; content:"flow-req-token";', "to_server")
    r(1, TS, 'flow:from_client; content:"flow-req-token";', "from_client")
    r(0, TS, 'flow:to_client; content:"flow-req-token";', "request is not to_client")
    r(1, TC, 'flow:to_client; content:"flow-resp-token";', "to_client")
    r(1, TC, 'flow:from_server; content:"flow-resp-token";', "from_server")
    r(0, "alert tcp any any -> any any", 'flow:to_server; content:"flow-resp-token";',
      "response is not to_server")
    r(1, TS, 'flow:established,to_server; content:"flow-req-token";', "established")
    r(0, TS, 'flow:not_established; content:"flow-req-token";', "data is established")
    r(1, TS, 'flow:not_established; flags:S;', "the SYN is not established")
    r(0, TS, 'flow:established; flags:S;', "the SYN is not established")
    r(1, TS, 'flow:stateless; flags:S;', "stateless matches any state")

    c.begin()
    s = c.session((CLIENT, 41301), (SERVER, 8002))
    s.handshake()
    s.emit(True, "A", b"split-")
    s.wait(0.0005)
    s.emit(True, "PA", b"token and more")
    s.half_rtt()
    s.emit(False, "A")
    s.wait(0.001)
    s.send(False, b"ok", final_ack=True)
    s.close()
    c.clock.advance(0.01)
    c.end('TCP to port 8002: client segments "split-" and "token and more", server ACK, '
          'server "ok", teardown')
    H = "alert tcp any any -> any 8002"
    r(1, H, 'flow:only_stream; content:"split-token";', "only the stream holds split-token")
    r(0, H, 'flow:no_stream; content:"split-token";', "no packet holds split-token")
    r(1, H, 'flow:no_stream; content:"split-";', "the first packet holds split-")
    r(1, H, 'content:"split-token";', "without flow: found in the stream")

    up = c.port()
    c.begin()
    c.udp(CLIENT, SERVER, 41302, up, b"udp-est-req")
    c.udp(SERVER, CLIENT, up, 41302, b"udp-est-resp")
    c.udp(CLIENT, SERVER, 41302, up, b"udp-est-again")
    c.end("UDP flow to port %d: request, response, second request" % up)
    H = "alert udp any any -> any %d" % up
    r(1, H, 'flow:not_established; content:"udp-est-req";', "first packet: not established")
    r(0, H, 'flow:established; content:"udp-est-req";', "first packet: not established")
    r(1, H, 'flow:established,to_server; content:"udp-est-again";',
      "both sides have sent: established")
    r(1, "alert udp any %d -> any any" % up, 'flow:to_client; content:"udp-est-resp";',
      "UDP to_client")

    fp = c.port()
    c.begin()
    for src, dst, sp, dp, text in ((CLIENT, SERVER, 41303, fp, b"fb-step1"),
                                   (SERVER, CLIENT, fp, 41303, b"fb-step2"),
                                   (CLIENT, SERVER, 41303, fp, b"fb-step3"),
                                   (SERVER, CLIENT, fp, 41303, b"fb-step4")):
        c.udp(src, dst, sp, dp, text)
    c.udp("192.0.2.11", SERVER, 41304, fp, b"fb-cross")
    c.end("UDP flow %s:41303 <-> %s:%d: fb-step1 (client), fb-step2 (server), fb-step3 "
          "(client), fb-step4 (server); then another flow from 192.0.2.11 with fb-cross"
          % (CLIENT, SERVER, fp))
    H = "alert udp any any <> any %d" % fp
    r(0, H, 'content:"fb-step1"; flowbits:set,fb.a; flowbits:noalert;', "set, noalert")
    r(0, H, 'content:"fb-step1"; flowbits:toggle,fb.t; noalert;', "toggle sets fb.t")
    r(1, H, 'content:"fb-step2"; flowbits:isset,fb.a;', "isset after set")
    r(0, H, 'content:"fb-step2"; flowbits:isnotset,fb.a;', "isnotset after set")
    r(0, H, 'content:"fb-step2"; flowbits:isset,fb.never;', "isset of a bit never set")
    r(1, H, 'content:"fb-step2"; flowbits:isnotset,fb.never;', "isnotset of a bit never set")
    r(0, H, 'content:"fb-step3"; flowbits:unset,fb.a; noalert;', "unset, noalert")
    r(1, H, 'content:"fb-step3"; flowbits:set,fb.l;', "a setting rule without noalert alerts")
    r(1, H, 'content:"fb-step4"; flowbits:isnotset,fb.a;', "isnotset after unset")
    r(0, H, 'content:"fb-step4"; flowbits:isset,fb.a;', "isset after unset")
    sid_t = r(1, H, 'content:"fb-step4"; flowbits:isset,fb.t;', "toggled bit is set")
    # EVE: the alert lists the flow's set bits (ruleset order: fb.a, fb.t, fb.never, fb.l)
    c.check(1, "metadata.flowbits of the alert: the bits set on the flow at that moment",
            event_type="alert", alert__signature_id=sid_t, metadata__flowbits=["fb.t", "fb.l"])
    r(1, H, 'content:"fb-step4"; flowbits:isset,fb.a|fb.t;', "either of two bits")
    r(0, H, 'content:"fb-step4"; flowbits:isset,fb.a|fb.never;', "neither of two bits")
    r(0, H, 'content:"fb-cross"; flowbits:isset,fb.l;', "bits belong to their flow")

    ip = c.port()
    c.begin()
    for text in (b"fi-init", b"fi-inc", b"fi-inc", b"fi-inc", b"fi-check"):
        c.udp(CLIENT, SERVER, 41305, ip, text)
    c.end("UDP flow to port %d: fi-init, fi-inc x3, fi-check" % ip)
    H = "alert udp any any -> any %d" % ip
    r(0, H, 'content:"fi-init"; flowint:fi.cnt,=,0; noalert;', "set to 0")
    r(0, H, 'content:"fi-inc"; flowint:fi.cnt,+,1; noalert;', "add 1 (three times)")
    sid_i = r(1, H, 'content:"fi-check"; flowint:fi.cnt,==,3;', "equals 3")
    c.check(1, "metadata.flowints of the alert: the flow's counters at that moment",
            event_type="alert", alert__signature_id=sid_i, metadata__flowints={"fi.cnt": 3})
    r(0, H, 'content:"fi-check"; flowint:fi.cnt,>,3;', "not > 3")
    r(1, H, 'content:"fi-check"; flowint:fi.cnt,>=,2;', ">= 2")
    r(1, H, 'content:"fi-check"; flowint:fi.cnt,isset;', "isset")
    r(1, H, 'content:"fi-check"; flowint:fi.none,notset;', "notset")
    r(0, H, 'content:"fi-check"; flowint:fi.none,isset;', "never set")

    xa, xb = c.port(), c.port()
    c.begin()
    c.udp("192.0.2.70", SERVER, 41306, xa, b"xb-set")
    c.udp("192.0.2.70", SERVER, 41307, xb, b"xb-check")
    c.udp("192.0.2.71", SERVER, 41308, xb, b"xb-check")
    c.clock.advance(120)
    c.udp("192.0.2.70", SERVER, 41309, xb, b"xb-late")
    c.end("xbits: 192.0.2.70 sends xb-set to port %d, then xb-check from a new flow to port "
          "%d; 192.0.2.71 sends xb-check too; 120 s later 192.0.2.70 sends xb-late" % (xa, xb))
    r(0, "alert udp any any -> any %d" % xa,
      'content:"xb-set"; xbits:set,xb.host,track ip_src,expire 60; noalert;', "set for the host")
    r(1, "alert udp 192.0.2.70 any -> any %d" % xb,
      'content:"xb-check"; xbits:isset,xb.host,track ip_src;', "set by another flow of the host")
    r(0, "alert udp 192.0.2.70 any -> any %d" % xb,
      'content:"xb-check"; xbits:isnotset,xb.host,track ip_src;', "isnotset while set")
    r(0, "alert udp 192.0.2.71 any -> any %d" % xb,
      'content:"xb-check"; xbits:isset,xb.host,track ip_src;', "another host")
    r(0, "alert udp any any -> any %d" % xb,
      'content:"xb-late"; xbits:isset,xb.host,track ip_src;', "expired after 60 s")
    return c


def case_threshold():
    """threshold (limit/threshold/both x by_src/by_dst/by_rule/by_both) and detection_filter."""
    c = RuleCase("rules_threshold", "threshold types limit, threshold and both, tracked by_src, "
                 "by_dst, by_rule and by_both, and detection_filter, across time windows", """
Every scenario sends one-packet UDP flows carrying its own token, 1 s apart inside a 60 s
window, and where a second window is tested a burst 100 s after the first (well past the
window). Semantics (Suricata's thresholding documentation): limit alerts on the first
`count` matches of each window; threshold alerts on every `count`-th match of a window (the
count starts again with the next window); both alerts once per window, at the `count`-th
match; detection_filter alerts on every match after the first `count` of a window. A window
starts at the first match of its tracker (source, destination, the rule, or the pair).""")
    r = c.rule

    def burst(token, pairs, start, step=1.0):
        """One UDP packet per (src, dst) at start, start+step ... seconds from T0."""
        for i, (src, dst) in enumerate(pairs):
            c.clock.at(T0 + pg.ns(start + i * step))
            c.udp(src, dst, 42000 + i, 7777, token)

    def thr(expect, kind, track, count, why, token):
        return r(expect, "alert udp any any -> any 7777",
                 'content:"%s"; threshold:type %s, track %s, count %d, seconds 60;'
                 % (token, kind, track, count), why)

    A, B = "192.0.2.101", "192.0.2.102"
    X, Y, Z = "198.51.100.101", "198.51.100.102", "198.51.100.103"
    c.begin()
    burst(b"thr-limit-src", [(A, X)] * 5, 0)
    burst(b"thr-limit-src", [(B, X)], 10)
    burst(b"thr-limit-src", [(A, X)] * 2, 100)
    c.end("thr-limit-src: 5 packets from %s at t=0..4 s, 1 from %s at t=10 s, 2 from %s at "
          "t=100,101 s" % (A, B, A))
    sid = thr(5, "limit", "by_src", 2, "limit 2 per source: 2 + 1 + 2 (new window)",
              "thr-limit-src")
    c.check(4, "limit by_src: source A gets 2 per window", event_type="alert",
            alert__signature_id=sid, src_ip=A)
    c.check(1, "limit by_src: source B counts alone", event_type="alert",
            alert__signature_id=sid, src_ip=B)

    c.begin()
    burst(b"thr-thresh-dst", [("192.0.2.%d" % (110 + i), Y) for i in range(7)], 200)
    burst(b"thr-thresh-dst", [(A, Z)] * 3, 210)
    burst(b"thr-thresh-dst", [(A, Y)] * 2, 300)
    c.end("thr-thresh-dst: 7 packets to %s from 7 sources at t=200..206 s, 3 to %s at "
          "t=210..212 s, 2 to %s at t=300,301 s" % (Y, Z, Y))
    sid = thr(3, "threshold", "by_dst", 3, "every 3rd per destination: 2 (Y) + 1 (Z) + 0 "
              "(new window, 2 matches)", "thr-thresh-dst")
    c.check(2, "threshold by_dst: Y alerts at its 3rd and 6th match", event_type="alert",
            alert__signature_id=sid, dest_ip=Y)
    c.check(1, "threshold by_dst: Z alerts at its 3rd match", event_type="alert",
            alert__signature_id=sid, dest_ip=Z)

    c.begin()
    burst(b"thr-both-src", [(A, X)] * 5, 400)
    burst(b"thr-both-src", [(A, X)] * 3, 500)
    c.end("thr-both-src: 5 packets from %s at t=400..404 s, 3 at t=500..502 s" % A)
    thr(2, "both", "by_src", 3, "once per window at the 3rd match: 1 + 1", "thr-both-src")

    c.begin()
    burst(b"thr-thresh-rule", [(A, X), (B, Y), ("192.0.2.120", Z), ("192.0.2.121", X)], 600)
    c.end("thr-thresh-rule: 4 packets from 4 sources to 3 destinations at t=600..603 s")
    thr(2, "threshold", "by_rule", 2, "every 2nd match of the rule, whoever sends",
        "thr-thresh-rule")

    c.begin()
    burst(b"thr-limit-both", [(A, X)] * 3 + [(A, Y)] * 2 + [(B, X)], 700)
    c.end("thr-limit-both: %s->%s x3, %s->%s x2, %s->%s x1 at t=700..705 s" % (A, X, A, Y, B, X))
    sid = thr(3, "limit", "by_both", 1, "1 per address pair: 3 pairs", "thr-limit-both")
    c.check(1, "limit by_both: the pair A->Y has its own counter", event_type="alert",
            alert__signature_id=sid, src_ip=A, dest_ip=Y)

    c.begin()
    burst(b"thr-limit-rule", [(A, X), (B, Y), (A, Z), (B, X)], 800)
    c.end("thr-limit-rule: 4 packets from 2 sources at t=800..803 s")
    thr(2, "limit", "by_rule", 2, "first 2 matches of the rule", "thr-limit-rule")

    c.begin()
    burst(b"thr-both-dst", [(A, X), (B, X), (A, X), (B, X), (A, Y)], 900)
    c.end("thr-both-dst: 4 packets to %s and 1 to %s at t=900..904 s" % (X, Y))
    thr(1, "both", "by_dst", 2, "once at the 2nd match for X; Y matches once", "thr-both-dst")

    c.begin()
    burst(b"thr-thresh-both", [(A, X)] * 4 + [(B, X)], 1000)
    c.end("thr-thresh-both: %s->%s x4, %s->%s x1 at t=1000..1004 s" % (A, X, B, X))
    thr(2, "threshold", "by_both", 2, "every 2nd match of A->X; B->X once", "thr-thresh-both")

    c.begin()
    burst(b"thr-df-src", [(A, X)] * 5, 1100)
    burst(b"thr-df-src", [(A, X)] * 2, 1200)
    c.end("thr-df-src: 5 packets from %s at t=1100..1104 s, 2 at t=1200,1201 s" % A)
    r(3, "alert udp any any -> any 7777",
      'content:"thr-df-src"; detection_filter:track by_src, count 2, seconds 60;',
      "matches 3..5 of the first window; the second window has only 2")

    c.begin()
    burst(b"thr-df-dst", [(A, X), (B, X), (A, Y), (B, X)], 1300)
    c.end("thr-df-dst: to %s, %s, %s, %s at t=1300..1303 s" % (X, X, Y, X))
    r(1, "alert udp any any -> any 7777",
      'content:"thr-df-dst"; detection_filter:track by_dst, count 2, seconds 60;',
      "the 3rd match for X")
    c.check(1, "detection_filter by_dst alert is the one to X", event_type="alert",
            dest_ip=X, alert__signature_id=c.rules[-1][0])
    return c


def case_meta():
    """app-layer-protocol, noalert, target, metadata, classtype/priority, msg/gid/rev."""
    c = RuleCase("rules_meta", "app-layer-protocol, noalert, target, metadata, classtype and "
                 "priority, msg escapes, gid and rev in the alert event", """
app-layer-protocol gates a payload rule on the flow's detected protocol (negation allowed).
The EVE alert carries Suricata's fields: alert.category is the classtype's description from
the standard classification table (empty text without a classtype) and alert.severity its
priority, overridden by priority:N (3 when neither is given); alert.metadata maps each key
to the list of its values in rule order; target:dest_ip|src_ip adds alert.source and
alert.target (ip and port); msg escapes (\\; \\") are resolved; gid and rev are reported.
Standard classes used: trojan-activity "A Network Trojan was detected" (1), misc-activity
"Misc activity" (3), attempted-recon "Attempted Information Leak" (2).""")
    r = c.rule
    c.http((CLIENT, 41400), (SERVER, 80),
           b"GET /alp-token HTTP/1.1\r\nHost: alp.example\r\n\r\n",
           http_response(200, "OK", b"x\n"), "HTTP GET /alp-token")
    H = "alert tcp any any -> any any"
    r(1, H, 'app-layer-protocol:http; content:"GET /alp-token";', "flow is HTTP")
    r(0, H, 'app-layer-protocol:tls; content:"GET /alp-token";', "flow is not TLS")
    r(1, H, 'app-layer-protocol:!tls; content:"GET /alp-token";', "negated protocol")
    dns_exchange(c, (CLIENT, 41401), ("198.51.100.53", 53), 0x2222, "alp-dns.example",
                 "192.0.2.202", "DNS query alp-dns.example and its answer")
    r(1, "alert udp any any -> any any", 'app-layer-protocol:dns; flow:to_server; '
      'content:"alp-dns";', "DNS query packet")
    r(0, "alert udp any any -> any any", 'app-layer-protocol:http; content:"alp-dns";',
      "DNS flow is not HTTP")

    def pkt(token):
        return c.udp_payload(token.encode(), '"%s"' % token)

    p = pkt("meta-noalert")
    r(0, "alert udp any any -> any %d" % p, 'content:"meta-noalert"; noalert;', "noalert")
    p = pkt("meta-target-dst")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-target-dst"; target:dest_ip;',
            "target:dest_ip")
    c.check(1, "target:dest_ip: source is the sender, target the receiver", event_type="alert",
            alert__signature_id=sid, alert__source__ip=CLIENT, alert__target__ip=SERVER,
            alert__target__port=p)
    p = pkt("meta-target-src")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-target-src"; target:src_ip;',
            "target:src_ip")
    c.check(1, "target:src_ip: target is the sender", event_type="alert",
            alert__signature_id=sid, alert__source__ip=SERVER, alert__target__ip=CLIENT)
    p = pkt("meta-metadata")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-metadata"; '
            'metadata:created_at 2024_04_21, tag one, former_category MALWARE, tag two;',
            "metadata")
    c.check(1, "metadata as key -> list of values", event_type="alert", alert__signature_id=sid,
            alert__metadata={"created_at": ["2024_04_21"], "tag": ["one", "two"],
                             "former_category": ["MALWARE"]})
    p = pkt("meta-class-trojan")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-class-trojan"; '
            'classtype:trojan-activity;', "classtype trojan-activity")
    c.check(1, "trojan-activity: category text, severity 1", event_type="alert",
            alert__signature_id=sid, alert__category="A Network Trojan was detected",
            alert__severity=1)
    p = pkt("meta-class-misc")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-class-misc"; '
            'classtype:misc-activity;', "classtype misc-activity")
    c.check(1, "misc-activity: severity 3", event_type="alert", alert__signature_id=sid,
            alert__category="Misc activity", alert__severity=3)
    p = pkt("meta-class-prio")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-class-prio"; '
            'classtype:attempted-recon; priority:4;', "priority overrides the class")
    c.check(1, "priority:4 overrides attempted-recon's 2", event_type="alert",
            alert__signature_id=sid, alert__category="Attempted Information Leak",
            alert__severity=4)
    p = pkt("meta-noclass")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-noclass";', "no classtype")
    c.check(1, "no classtype: empty category, severity 3", event_type="alert",
            alert__signature_id=sid, alert__category="", alert__severity=3)
    p = pkt("meta-prio-only")
    sid = r(1, "alert udp any any -> any %d" % p, 'content:"meta-prio-only"; priority:1;',
            "priority without classtype")
    c.check(1, "priority:1 alone", event_type="alert", alert__signature_id=sid,
            alert__severity=1)
    p = pkt("meta-msg-gid")
    sid = 1999
    c.raw_rule(1, 'alert udp any any -> any %d (msg:"semi\\;colon \\"quoted\\" text"; '
               'content:"meta-msg-gid"; gid:7; sid:%d; rev:42;)' % (p, sid), sid,
               "msg escapes, gid 7, rev 42")
    c.check(1, "msg escapes resolved, gid and rev reported", event_type="alert",
            alert__signature_id=sid, alert__gid=7, alert__rev=42,
            alert__signature='semi;colon "quoted" text')
    return c


def case_eve():
    """flow.alerted, http object and tx_id in alerts."""
    c = RuleCase("rules_eve", "EVE of alerts: flow.alerted, the http object and tx_id, "
                 "alert addresses by direction", """
One HTTP flow with two transactions (keep-alive, GET /eve-first then GET /eve-second), one
HTTP flow without alerts, one UDP flow with an alert and one without. Every alert on an
HTTP transaction carries app_proto http, the http object of that transaction (hostname,
url, method, status) and its tx_id (0 and 1); an alert on the response side has the server
as src_ip. The flow event says flow.alerted true for the flows with an alert and false for
the others.""")
    r = c.rule
    cli1, cli2, srv = ("192.0.2.31", 41500), ("192.0.2.32", 41501), ("198.51.100.90", 80)
    c.tcp_exchange(cli1, srv, [
        (True, b"GET /eve-first HTTP/1.1\r\nHost: eve.example\r\nUser-Agent: EveTest\r\n\r\n"),
        (False, http_response(200, "OK", b"first\n")),
        (True, b"GET /eve-second HTTP/1.1\r\nHost: eve.example\r\nUser-Agent: EveTest\r\n\r\n"),
        (False, http_response(404, "Not Found", b"second\n"))],
        "HTTP flow %s:%d -> %s:%d: GET /eve-first (200), GET /eve-second (404)"
        % (cli1 + srv))
    c.tcp_exchange(cli2, srv, [
        (True, b"GET /eve-quiet HTTP/1.1\r\nHost: eve.example\r\n\r\n"),
        (False, http_response(200, "OK", b"quiet\n"))],
        "HTTP flow %s:%d -> %s:%d: GET /eve-quiet (no alert)" % (cli2 + srv))
    H = "alert http any any -> any any"
    s1 = r(1, H, 'http.uri; content:"/eve-first";', "first transaction")
    c.check(1, "alert on tx 0 with its http object", event_type="alert", alert__signature_id=s1,
            tx_id=0, app_proto="http", src_ip=cli1[0], src_port=cli1[1], dest_ip=srv[0],
            dest_port=80, http__hostname="eve.example", http__url="/eve-first",
            http__http_method="GET")
    s2 = r(1, H, 'http.uri; content:"/eve-second";', "second transaction")
    c.check(1, "alert on tx 1", event_type="alert", alert__signature_id=s2, tx_id=1,
            http__url="/eve-second")
    s3 = r(1, H, 'flow:to_client; http.stat_code; content:"404";', "response of tx 1")
    c.check(1, "response alert: server is src, tx 1, status 404", event_type="alert",
            alert__signature_id=s3, tx_id=1, src_ip=srv[0], src_port=80, dest_ip=cli1[0],
            http__url="/eve-second", http__status=404)
    c.check(1, "the alerted HTTP flow", event_type="flow", src_ip=cli1[0], src_port=cli1[1],
            flow__alerted=True, app_proto="http")
    c.check(1, "the quiet HTTP flow", event_type="flow", src_ip=cli2[0], src_port=cli2[1],
            flow__alerted=False)
    pa, pq = c.port(), c.port()
    c.begin()
    c.udp(CLIENT, SERVER, 41502, pa, b"eve-udp-alert")
    c.udp(CLIENT, SERVER, 41503, pq, b"eve-udp-quiet")
    c.end("UDP to port %d (eve-udp-alert) and to port %d (eve-udp-quiet)" % (pa, pq))
    s4 = r(1, "alert udp any any -> any %d" % pa, 'content:"eve-udp-alert";', "UDP alert")
    c.check(1, "UDP alert has no tx_id and no app object", event_type="alert",
            alert__signature_id=s4, tx_id=None, http=None, proto="UDP")
    c.check(1, "the alerted UDP flow", event_type="flow", dest_port=pa, flow__alerted=True)
    c.check(1, "the quiet UDP flow", event_type="flow", dest_port=pq, flow__alerted=False)
    return c


# ----------------------------------------------------------------------------- writing

def case_http_family():
    """The user agent scanned as part of the header block (det_point.hdr_pf) and alone."""
    c = RuleCase("rules_http_family", "http.user_agent found through the header block scan", """
The engine scans a request's header block once for the literals of its http.header rules and
of its http.user_agent rules together, when the User-Agent was sent once (then its value is
part of the block); a User-Agent sent twice is joined with ", " and scanned on its own. Three
GET flows to 198.51.100.81:80: F1 with one User-Agent, a Referer and an X-Other header, F2
with two User-Agent headers, F3 with no User-Agent. User-agent rules fire on the user agent
only (a literal of F1's Referer or X-Other is a candidate of the block scan and is turned
down); the literal spanning F2's two values ("One, FamDup") exists only in the joined user
agent, so its rule fires only if F2's user agent was scanned on its own.""")
    r = c.rule
    srv = ("198.51.100.81", 80)
    c.http(("192.0.2.31", 41101), srv,
           b"GET /fam-one HTTP/1.1\r\nHost: fam.example\r\nUser-Agent: FamUA-Single/2.0\r\n"
           b"Referer: http://fam.example/FamRef-Only\r\nX-Other: FamHdr-Token\r\n\r\n",
           http_response(200, "OK", b"f1\n", [("Content-Type", "text/plain")]),
           "F1 GET /fam-one, User-Agent FamUA-Single/2.0, Referer http://fam.example/FamRef-Only, "
           "X-Other: FamHdr-Token; 200")
    c.http(("192.0.2.32", 41102), srv,
           b"GET /fam-two HTTP/1.1\r\nHost: fam.example\r\nUser-Agent: FamDup-One\r\n"
           b"User-Agent: FamDup-Two\r\n\r\n",
           http_response(200, "OK", b"f2\n", [("Content-Type", "text/plain")]),
           "F2 GET /fam-two, User-Agent FamDup-One and User-Agent FamDup-Two; 200")
    c.http(("192.0.2.33", 41103), srv,
           b"GET /fam-three HTTP/1.1\r\nHost: fam.example\r\nX-Note: FamNoUA\r\n\r\n",
           http_response(200, "OK", b"f3\n", [("Content-Type", "text/plain")]),
           "F3 GET /fam-three, no User-Agent, X-Note: FamNoUA; 200")
    H = "alert http any any -> any any"
    r(1, H, 'http.user_agent; content:"FamUA-Single";', "F1's user agent, found in the block scan")
    r(1, H, 'http.user_agent; content:"famua-single/2.0"; nocase; bsize:16;',
      "the same without case, and the user agent's exact length")
    r(0, H, 'http.user_agent; content:"FamRef-Only";', "in F1's Referer, not its user agent")
    r(0, H, 'http.user_agent; content:"FamHdr-Token";', "in F1's X-Other, not its user agent")
    r(1, H, 'http.header; content:"FamHdr-Token";', "header rules scan the same block")
    r(1, H, 'http.header; content:"User-Agent: FamUA-Single/2.0|0d 0a|";',
      "the user agent's line in the block")
    r(1, H, 'http.user_agent; content:"FamDup-One, FamDup-Two"; bsize:22;',
      "F2's two user agents joined with \", \"")
    r(1, H, 'http.user_agent; content:"One, FamDup";',
      "a literal only the joined user agent has: F2's user agent was scanned alone")
    r(1, H, 'http.header; content:"User-Agent: FamDup-Two";', "F2's block has both lines")
    r(1, H, 'http.header; content:"FamNoUA";', "F3: the block alone")
    r(0, H, 'http.user_agent; content:"FamNoUA";', "F3 has no user agent")
    r(1, H, 'http.user_agent; content:"Fam"; http.header; content:"X-Other";',
      "a rule on both buffers: F1 only")
    c.check(3, "three transactions", event_type="http")
    return c


CASES = {
    "header": case_header,
    "content": case_content,
    "pcre": case_pcre,
    "byte": case_byte,
    "pkt": case_pkt,
    "http": case_http,
    "http_family": case_http_family,
    "dns_tls": case_dns_tls,
    "ssh_smtp": case_ssh_smtp,
    "flow": case_flow,
    "threshold": case_threshold,
    "meta": case_meta,
    "eve": case_eve,
}


def _yaml_value(v):
    # JSON is YAML's flow syntax: strings come out quoted and escaped, dicts and lists inline.
    import json
    return json.dumps(v, ensure_ascii=True)


def write_expect(c, path):
    args = ["-S", "test.rules"]
    if c.config:
        args += ["-c", "mamori.yaml"]
    out = ["# %s" % c.title, "# Generated by tools/gen_rule_pcaps.py; expected counts follow "
           "Suricata's rule semantics (README.md).", "input: input.pcap",
           "args: [%s]" % ", ".join('"%s"' % a for a in args), "exit_code: 0", "checks:"]
    for flt, count, why in c.checks:
        out.append("  # %s" % why)
        out.append("  - filter: {%s}" % ", ".join("%s: %s" % (_yaml_value(k), _yaml_value(v))
                                                  for k, v in flt.items()))
        out.append("    count: %d" % count)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_rules(c, path):
    out = ["# %s" % c.title, "# Generated by tools/gen_rule_pcaps.py: the comment above each "
           "rule gives its expected alert count.", ""]
    for sid, text, expect, why in c.rules:
        out.append("# expect %d: %s" % (expect, why))
        out.append(text)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def _md(text):
    return text.replace("|", "\\|")


def write_readme(c, path):
    out = ["# %s" % c.name, "", c.title + ".", "", "## What it proves", "", c.proves.strip(),
           ""]
    out += ["## Files", "", "- `input.pcap`: the capture (packets below)",
            "- `test.rules`: %d rules, each preceded by its expected alert count" % len(c.rules)]
    if c.config:
        out.append("- `mamori.yaml`: configuration given with `-c` (rule variables)")
    out += ["- `expect.yaml`: one check per rule (exact alert count by sid) and field checks",
            "", "## Packets", "", "Frame numbers are 1-based, as in tshark.", "",
            "| frames | content |", "|---|---|"]
    for a, b, text in c.log:
        rng = str(a) if a == b else "%d-%d" % (a, b)
        out.append("| %s | %s |" % (rng, _md(text)))
    out += ["", "## Rules and expected alerts", "", "| sid | expect | why | rule options |",
            "|---|---|---|---|"]
    for sid, text, expect, why in c.rules:
        opts = text[text.index("(") + 1:-1] if "(" in text else text
        hdr = text[:text.index("(")].strip()
        out.append("| %d | %d | %s | `%s` `%s` |" % (sid, expect, _md(why), _md(hdr), _md(opts)))
    extra = [(f, n, w) for f, n, w in c.checks
             if set(f) != {"event_type", "alert.signature_id"}]
    if extra:
        out += ["", "## Field checks", ""]
        for f, n, w in extra:
            out.append("- %d x `%s`: %s" % (n, ", ".join("%s=%s" % (k, _yaml_value(v))
                                                         for k, v in f.items()), w))
    for n in c.notes:
        out += ["", n.strip()]
    out += ["", "Generated by `tools/gen_rule_pcaps.py` (deterministic); do not edit by hand.",
            ""]
    with open(path, "w") as f:
        f.write("\n".join(out))


def write_case(c, outdir):
    d = os.path.join(outdir, c.name)
    os.makedirs(d, exist_ok=True)
    sids = [s for s, _, _, _ in c.rules]
    assert len(sids) == len(set(sids)), "%s: duplicate sid" % c.name
    c.cap.write_pcap(os.path.join(d, "input.pcap"))
    write_rules(c, os.path.join(d, "test.rules"))
    if c.config:
        with open(os.path.join(d, "mamori.yaml"), "w") as f:
            f.write(c.config)
    write_expect(c, os.path.join(d, "expect.yaml"))
    write_readme(c, os.path.join(d, "README.md"))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "pcap"))
    ap.add_argument("topics", nargs="*", help="topics (default: all): " + ", ".join(CASES))
    a = ap.parse_args()
    for name in a.topics or CASES:
        if name not in CASES:
            sys.exit("unknown topic %r (known: %s)" % (name, ", ".join(CASES)))
        c = CASES[name]()
        d = write_case(c, a.out)
        print("wrote %s (%d packets, %d rules, %d checks)" % (os.path.relpath(d), len(c.cap),
                                                              len(c.rules), len(c.checks)))


if __name__ == "__main__":
    main()
