#!/usr/bin/env python3
"""Seed inputs for fuzz_detectors (see fuzz/fuzz_detectors.c for the input format).

Each seed drives one detector towards its alert: a port scan, a SYN flood, web scanning,
TLS and a download matching threat-intel lists,
a download of a disguised executable, a password guessing run ending in a weak success,
an encrypted ZIP by mail, a DNS answer naming a listed address, and time going backwards.
Deterministic; writes fuzz/corpus/detectors/*.bin.

usage: fuzz/gen_corpus_detectors.py [OUT_DIR]
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import pcapgen  # noqa: E402

# Indexes into the target's tables.
A_10_0_0_1, A_10_0_0_2, A_192_168_1_10, A_192_168_1_20, A_203_0_113_5, A_198_51_100_7 = range(6)
P = {80: 0, 443: 1, 22: 2, 25: 3, 110: 4, 143: 5, 993: 6, 995: 7, 465: 8, 53: 9, 8080: 10,
     3389: 11, 4444: 12, 0: 13, 123: 14, 40000: 15}
SYN, RST, ACK, PSH = 0x02, 0x04, 0x10, 0x08


def addrs(src, dst, v6=False):
    return bytes([src | dst << 3 | (0x40 if v6 else 0)])


def ports(sport, dport):
    return bytes([P[sport] | P[dport] << 4])


def tcp(src, dst, sport, dport, flags, payload=b"", v6=False):
    return b"\x00" + addrs(src, dst, v6) + ports(sport, dport) + bytes([flags, len(payload)]) + payload


def udp(src, dst, sport, dport, payload=b""):
    return b"\x01" + addrs(src, dst) + ports(sport, dport) + b"\x00" + bytes([len(payload)]) + payload


def step_ms(ms):
    return b"\x03" + struct.pack(">H", ms & 0x3FFF)


def step_s(s):
    return b"\x03" + struct.pack(">H", 0x4000 | (s & 0x3FFF))


def back_s(s):
    return b"\x03" + struct.pack(">H", 0x8000 | 0x4000 | (s & 0x3FFF))


def s8(b):
    return bytes([len(b)]) + b


def http(src, dst, dport, status, method, uri, ua=b"curl/8.0", host=b"example.test",
         ctype=b"text/html", disp=b"", body=b"", flags=0):
    return (b"\x04" + addrs(src, dst) + ports(40000, dport) + struct.pack(">H", status + 1)
            + bytes([flags]) + s8(method) + s8(uri) + s8(ua) + s8(host) + s8(ctype) + s8(disp)
            + struct.pack(">H", len(body)) + body)


def login(src, dst, dport, proto, outcome, user, pw):
    return (b"\x05" + addrs(src, dst) + ports(40000, dport) + bytes([proto, outcome])
            + s8(user) + s8(pw))


def file_rec(src, dst, dport, proto, name, ctype, head):
    return (b"\x06" + addrs(src, dst) + ports(40000, dport) + bytes([proto]) + s8(name)
            + s8(ctype) + struct.pack(">H", len(head)) + head)


def mail_fields(frm, to, cc, subject, text):
    return s8(frm) + s8(to) + s8(cc) + s8(subject) + struct.pack(">H", len(text)) + text


def message_end(src, dst, dport, proto, frm, to, subject, text):
    """op 14: a mail message ended (proto 0 SMTP, 1 POP3, 2 IMAP)."""
    return (b"\x0e" + addrs(src, dst) + ports(40000, dport) + bytes([proto])
            + mail_fields(frm, to, b"", subject, text))


def tls(src, dst, dport, flags, sni, ja3_choice, ja4=b"", fp=b"\x00" * 20, subject=b"CN=x",
        issuer=b"CN=y"):
    return (b"\x08" + addrs(src, dst) + ports(40000, dport) + bytes([flags]) + s8(sni)
            + bytes([ja3_choice]) + s8(ja4) + fp + s8(subject) + s8(issuer))


def dns_answer(name, addr4):
    """A standard response: one question, one A answer."""
    q = b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\x00"
    hdr = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0)
    ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(addr4)
    return hdr + q + struct.pack(">HH", 1, 1) + ans


def dns(src, dst, msg):
    return b"\x07" + addrs(src, dst) + ports(53, 40000) + struct.pack(">H", len(msg)) + msg


def seeds():
    out = {}
    # T2: one source, many ports, refused.
    s = b""
    for i, port in enumerate([22, 25, 110, 143, 993, 995, 465, 3389, 4444, 8080, 123, 443]):
        s += tcp(A_203_0_113_5, A_192_168_1_10, 40000, port, SYN) + step_ms(2)
        s += tcp(A_192_168_1_10, A_203_0_113_5, port, 40000, RST | ACK) + step_ms(3)
    out["portscan"] = s + step_s(5)
    # T4: a SYN burst to one service, few answers.
    s = b""
    for i in range(300):
        s += tcp(i % 6, A_192_168_1_20, 40000, 80, SYN) + step_ms(1)
    out["synflood"] = s
    # T3: many 404s and distinct URIs from one client.
    s = b""
    for i in range(60):
        s += http(A_198_51_100_7, A_192_168_1_10, 80, 404, b"GET", b"/admin%d.php" % i,
                  ua=b"Nikto/2.5") + step_ms(50)
    out["webscan"] = s
    # T6: a disguised executable downloaded, and an encrypted ZIP by mail.
    out["download"] = http(A_10_0_0_1, A_203_0_113_5, 80, 200, b"GET", b"/invoice.pdf.exe",
                           ctype=b"application/octet-stream",
                           disp=b'attachment; filename="invoice.pdf.exe"',
                           body=b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00")
    zip_head = (b"PK\x03\x04\x14\x00\x01\x00\x08\x00" + b"\x00" * 16
                + struct.pack("<HH", 7, 0) + b"a.exe.x")
    out["zipmail"] = file_rec(A_203_0_113_5, A_10_0_0_2, 25, 0, b"statement.zip",
                              b"application/zip", zip_head)
    # T6: an encrypted ZIP whose password comes in the sender's next message (PPAP).
    z = pcapgen.zip_archive([("order.pdf.exe", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00")],
                            password="Ha7-wq3T", rng=random.Random(7))
    frm, to = b"Keiri <keiri@partner.example>", b"sato@office.example"
    body = b"The password follows.\n"
    out["ppap"] = (file_rec(A_203_0_113_5, A_10_0_0_2, 25, 0x80, b"order.zip", b"application/zip",
                            z) + mail_fields(frm, to, b"", b"Order", body)
                   + message_end(A_203_0_113_5, A_10_0_0_2, 25, 0, frm, to, b"Order", body)
                   + step_s(30)
                   + message_end(A_203_0_113_5, A_10_0_0_2, 25, 0, frm, to, b"PW",
                                 b"Password: Ha7-wq3T\n"))
    # T5 and T7: guesses, then a success with a weak password.
    s = b""
    for i in range(30):
        s += login(A_203_0_113_5, A_192_168_1_10, 110, 1, 2, b"user%d" % (i % 5), b"x") + step_ms(200)
    s += login(A_203_0_113_5, A_192_168_1_10, 110, 1, 1, b"alice", b"alice1234")
    out["logins"] = s
    # T1: a DNS answer naming a listed address, then a connection to it.
    out["intel"] = (dns(A_192_168_1_10, A_10_0_0_1, dns_answer(b"bad.example", [203, 0, 113, 5]))
                    + tcp(A_10_0_0_1, A_203_0_113_5, 40000, 443, SYN))
    # T1: a TLS session naming a listed domain, with a listed JA3 and certificate; a download
    # of a listed URL.
    out["tls"] = (tls(A_10_0_0_2, A_198_51_100_7, 443, 1 | 2 | 4 | 8 | 16 | 32, b"www.bad.example", 1,
                      ja4=b"t13d1516h2_8daaf6152771_e5627efa2ab1")
                  + step_s(1)
                  + http(A_10_0_0_1, A_203_0_113_5, 80, 200, b"GET", b"/payload.exe",
                         host=b"203.0.113.5", ctype=b"application/octet-stream", body=b"MZ"))
    # T1: a connection every minute from an internal host to one external peer.
    s = b""
    for i in range(12):
        s += tcp(A_10_0_0_1, A_198_51_100_7, 40000, 4444, SYN) + step_ms(20)
        s += tcp(A_198_51_100_7, A_10_0_0_1, 4444, 40000, SYN | ACK) + step_s(60)
    out["beacon"] = s
    # T4: handshakes of 1 ms to a service, then slow ones of 0.4 s (the sources differ).
    s = b""
    client_ports = [p for p in P if p not in (25, 0)]
    for i in range(40):
        rtt = 1 if i < 30 else 400
        c = (A_10_0_0_1, A_10_0_0_2, A_203_0_113_5, A_198_51_100_7)[i % 4]
        cp = client_ports[i // 4]
        s += tcp(c, A_192_168_1_10, cp, 25, SYN) + step_ms(rtt)
        s += tcp(A_192_168_1_10, c, 25, cp, SYN | ACK) + step_ms(1)
        s += tcp(c, A_192_168_1_10, cp, 25, ACK) + step_ms(5)
        s += tcp(A_192_168_1_10, c, 25, cp, ACK | PSH, b"220 mail ESMTP\r\n")
        s += tcp(c, A_192_168_1_10, cp, 25, RST) + step_s(2)
    out["latency"] = s
    # T2: an ARP sweep of 192.168.1.0/24 by 192.168.1.10 (a few answer).
    s = b""
    for last in range(1, 60):
        s += b"\x0a\x00" + addrs(A_192_168_1_10, A_192_168_1_20) + bytes([last]) + step_ms(5)
        if last % 10 == 0:
            s += b"\x0a\x01" + addrs(A_192_168_1_10, A_192_168_1_20) + bytes([last])
    out["arpsweep"] = s + step_s(5)
    # Time going backwards and far forwards, over IPv6 and ICMP.
    out["time"] = (tcp(0, 3, 40000, 22, SYN, v6=True) + back_s(3600) + step_s(16000)
                   + b"\x02" + addrs(A_10_0_0_1, A_192_168_1_10) + b"\x00\x08\x00"
                   + b"\x02" + addrs(A_192_168_1_10, A_10_0_0_1) + b"\x00\x00\x00"
                   + udp(A_10_0_0_1, A_192_168_1_10, 40000, 123, b"\x17" * 48))
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "detectors")
    os.makedirs(out_dir, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
