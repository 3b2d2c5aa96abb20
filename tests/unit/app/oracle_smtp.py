#!/usr/bin/env python3
"""Compare mamori's SMTP parser and MIME attachment hashes (src/app/smtp.c, mime.c) with tshark.

What is compared
    For every capture in <shared data>/pcaps/email/ and demo/demo.pcap:
    - envelope: per TCP connection, the MAIL FROM addresses and the RCPT TO addresses in order,
      from tshark (`-Y smtp.req.command -T fields -e tcp.stream -e smtp.req.command
      -e smtp.req.parameter`, addresses taken out of "FROM:<a> params") against the
      "smtp.mail_from" / "smtp.rcpt_to" of mamori's smtp events for the same connection
      (client address and port, server address and port);
    - attachments: tshark --export-objects imf,DIR writes each message; Python's email module
      gives every part with a file name (Content-Disposition filename or Content-Type name)
      and its decoded payload; the multiset of (file name, SHA-256) must equal that of
      mamori's named fileinfo events with app_proto "smtp".

    The attachments are compared as sets: tshark's IMF export also holds the messages that
    POP3/IMAP fetched (the same attachment twice), mamori's smtp fileinfo events do not.

Explained differences
    "imf export": tshark's IMF export can be garbled when the capture has retransmitted or
    overlapping segments (zeek_smtp.pcap: the message appears twice, interleaved). Then the
    client stream of each SMTP connection is rebuilt with tshark's own reassembly
    (-z follow,tcp,raw), the DATA messages are cut out (dot-unstuffed) and parsed with the
    email module; when mamori matches that, the difference is listed as explained.
    Everything else fails the test. Connections tshark did not dissect as SMTP
    (non-standard ports) are not compared.

Exit status: 0 all matched, 1 a difference, 77 skipped (no tshark or no captures).
"""
import argparse
import collections
import email
import email.policy
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile


def captures(source_dir, shared):
    files = []
    if shared:
        files += sorted(glob.glob(os.path.join(shared, "pcaps", "email", "*.pcap*")))
    demo = os.path.join(source_dir, "demo", "demo.pcap")
    if os.path.exists(demo):
        files.append(demo)
    return [f for f in files if os.path.isfile(f) and not f.endswith(".out")]


def tshark(args):
    res = subprocess.run(["tshark"] + args, capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError("tshark %s: %s" % (" ".join(args), res.stderr.strip()))
    return res.stdout


def addr(param, keyword):
    """'FROM: <a@b> SIZE=1' -> '<a@b>', as mamori's EVE writes it (like Suricata): smtp.c
    keeps the address without <> and without params, the EVE writer puts it back inside
    <>. tshark gives the parameter as sent ("FROM:<a@b>", or a bare "FROM:a@b"), so the
    address is taken out first and bracketed the same way for both forms."""
    p = param.strip()
    if p.upper().startswith(keyword):
        p = p[len(keyword):].lstrip()
    if p.startswith(":"):
        p = p[1:].lstrip()
    if p.startswith("<"):
        end = p.find(">")
        a = p[1:end] if end >= 0 else p[1:]
    else:
        a = p.split()[0] if p.split() else ""
    return "<" + a + ">"


def tshark_envelopes(pcap):
    """{(cip, cport, sip, sport): {'mail': [...], 'rcpt': [...]}}"""
    out = tshark(["-r", pcap, "-Y", "smtp.req.command", "-T", "fields", "-E", "separator=\t",
                  "-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                  "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
                  "-e", "smtp.req.command", "-e", "smtp.req.parameter"])
    conns = collections.OrderedDict()
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 9:
            continue
        _, s4, s6, sp, d4, d6, dp, cmd, par = f[:9]
        key = (s4 or s6, int(sp), d4 or d6, int(dp))
        c = conns.setdefault(key, {"mail": [], "rcpt": [], "stream": int(f[0])})
        cmd = cmd.upper()
        if cmd == "MAIL":
            c["mail"].append(addr(par, "FROM"))
        elif cmd == "RCPT":
            c["rcpt"].append(addr(par, "TO"))
    return conns


def tshark_attachments(pcap, tmp):
    d = os.path.join(tmp, "imf")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    tshark(["-r", pcap, "-q", "--export-objects", "imf," + d])
    found = collections.Counter()
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.compat32)
        for part in msg.walk():
            if part.is_multipart():
                continue
            fn = part.get_filename()
            if not fn:
                continue
            fn = str(email.header.make_header(email.header.decode_header(fn)))
            payload = part.get_payload(decode=True) or b""
            found[(fn, hashlib.sha256(payload).hexdigest())] += 1
    return found


def named_parts(raw):
    """{(file name, sha256)} of the named parts of one message (bytes)."""
    found = set()
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        fn = None if part.is_multipart() else part.get_filename()
        if fn:
            fn = str(email.header.make_header(email.header.decode_header(fn)))
            found.add((fn, hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest()))
    return found


def follow_attachments(pcap, streams):
    """Named parts of the DATA messages of the given TCP streams, from tshark's reassembly."""
    found = set()
    for st in streams:
        out = tshark(["-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % st])
        cli = b"".join(bytes.fromhex(l) for l in out.splitlines()
                       if l and not l.startswith("\t") and all(c in "0123456789abcdef" for c in l))
        i = 0
        while True:
            i = cli.find(b"DATA\r\n", i)
            if i < 0:
                break
            j = cli.find(b"\r\n.\r\n", i)
            if j < 0:
                break
            body = (b"\r\n" + cli[i + 6:j + 2]).replace(b"\r\n..", b"\r\n.")[2:]
            found |= named_parts(body)
            i = j
    return found


def mamori_events(mamori, pcap, tmp):
    eve = os.path.join(tmp, "eve.json")
    if os.path.exists(eve):
        os.unlink(eve)
    res = subprocess.run([mamori, "-r", pcap, "--eve", eve], capture_output=True, text=True,
                         timeout=300)
    if res.returncode != 0:
        raise RuntimeError("mamori failed on %s: %s" % (pcap, res.stderr[-500:]))
    conns = collections.OrderedDict()
    files = collections.Counter()
    with open(eve) as fh:
        for line in fh:
            ev = json.loads(line)
            if ev.get("event_type") == "smtp":
                key = (ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"])
                c = conns.setdefault(key, {"mail": [], "rcpt": []})
                s = ev.get("smtp", {})
                if "mail_from" in s:
                    c["mail"].append(s["mail_from"])
                c["rcpt"] += s.get("rcpt_to", [])
            elif ev.get("event_type") == "fileinfo" and ev.get("app_proto") == "smtp":
                fi = ev["fileinfo"]
                if fi.get("filename"):
                    files[(fi["filename"], fi.get("sha256", "<none>"))] += 1
    return conns, files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--shared-data")
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("skipped: tshark not installed")
        return 77
    pcaps = captures(args.source_dir, args.shared_data)
    if not pcaps:
        print("skipped: no captures")
        return 77
    fails = 0
    n_conn = n_mail = n_rcpt = n_att = explained = 0
    with tempfile.TemporaryDirectory() as tmp:
        for pcap in pcaps:
            want = tshark_envelopes(pcap)
            got, got_files = mamori_events(args.mamori, pcap, tmp)
            for key, w in want.items():
                if not w["mail"] and not w["rcpt"]:
                    continue
                g = got.get(key, {"mail": [], "rcpt": []})
                w = {"mail": w["mail"], "rcpt": w["rcpt"]}
                n_conn += 1
                n_mail += len(w["mail"])
                n_rcpt += len(w["rcpt"])
                if g["mail"] != w["mail"] or g["rcpt"] != w["rcpt"]:
                    fails += 1
                    print("DIFF %s %s:\n  tshark %s\n  mamori %s" % (os.path.basename(pcap),
                                                                    key, w, g))
            for key in got:
                if key not in want:
                    fails += 1
                    print("EXTRA %s %s: mamori %s" % (os.path.basename(pcap), key, got[key]))
            want_files = set(tshark_attachments(pcap, tmp))
            got_set = set(got_files)
            n_att += len(want_files)
            if want_files != got_set:
                rebuilt = follow_attachments(pcap, [c["stream"] for c in want.values()])
                if rebuilt == got_set:
                    explained += 1
                    print("explained (imf export) %s: tshark export %s; follow,tcp rebuild "
                          "and mamori %s" % (os.path.basename(pcap), sorted(want_files),
                                             sorted(got_set)))
                else:
                    fails += 1
                    print("ATTACHMENTS %s:\n  tshark+email %s\n  follow,tcp %s\n  mamori %s" % (
                        os.path.basename(pcap), sorted(want_files), sorted(rebuilt),
                        sorted(got_set)))
    print("%d captures, %d connections, %d MAIL FROM, %d RCPT TO, %d distinct attachments "
          "compared; %d explained, %d differences" % (len(pcaps), n_conn, n_mail, n_rcpt, n_att,
                                                     explained, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
