#!/usr/bin/env python3
"""Oracle for the TLS parser: mamori's EVE "tls" events against tshark, per TCP flow.

For every capture under the shared data set's pcaps/ and suricata-verify-sample/ (recursively)
and demo/demo.pcap that tshark sees a ClientHello or ServerHello in, compare for each flow
(client address and port, server address and port):
  - SNI (first ClientHello), JA3 hash (tls.handshake.ja3), JA3S hash (tls.handshake.ja3s of
    the last ServerHello, i.e. the one after a HelloRetryRequest),
  - version (supported_versions of the ServerHello, else its version field), in Suricata's
    names,
  - the server's first certificate: SHA-1 fingerprint of the DER tshark extracted, the serial
    as the DER INTEGER content octets, subject and issuer printed by the openssl CLI in
    certificate order ("C=.., O=.., CN=..", emailAddress shown as Email, Suricata's form).
tshark 4.0.17 has no JA4: JA4 is checked by the unit tests only.

Usage: oracle_tls.py --mamori PATH --source-dir DIR [--shared-data DIR]
Exit: 0 all equal, 1 a difference, 77 tshark (or every capture) missing.
"""

import argparse
import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

VERSIONS = {0x0002: "SSLv2", 0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLS 1.1",
            0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}


def tshark(pcap, display_filter, fields):
    cmd = ["tshark", "-r", pcap, "-o", "tcp.desegment_tcp_streams:TRUE", "-Y", display_filter,
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    return [line.split("\t") for line in out.splitlines()]


def der_serial(der):
    """Content octets of the serialNumber INTEGER of a DER certificate, as 'AA:BB'."""
    def tlv(b, i):
        tag = b[i]
        n = b[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[i:i + k], "big")
            i += k
        return tag, i, n

    _, i, _ = tlv(der, 0)        # Certificate SEQUENCE
    _, i, _ = tlv(der, i)        # tbsCertificate SEQUENCE
    tag, j, n = tlv(der, i)
    if tag == 0xA0:              # [0] version
        i = j + n
        tag, j, n = tlv(der, i)
    return ":".join("%02X" % x for x in der[j:j + n])


def openssl_name(der, which):
    r = subprocess.run(["openssl", "x509", "-inform", "der", "-noout", "-" + which,
                        "-nameopt", "sep_comma_plus_space,utf8,sname"],
                       input=der, capture_output=True, timeout=60)
    if r.returncode != 0:
        return None
    s = r.stdout.decode("utf-8", "replace").strip()
    s = s.split("=", 1)[1] if "=" in s else s
    return s.replace("emailAddress=", "Email=")


def flows_from_tshark(pcap):
    """{(cip, cport, sip, sport): {field: value}} from tshark, in stream order."""
    out = collections.OrderedDict()
    ch = tshark(pcap, "tls.handshake.type == 1",
                ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
                 "tcp.dstport", "tls.handshake.extensions_server_name", "tls.handshake.ja3"])
    streams = {}
    for row in ch:
        row += [""] * (9 - len(row))
        stream = row[0]
        if stream in streams:
            continue
        key = (row[1] or row[2], int(row[3].split("|")[0]), row[4] or row[5],
               int(row[6].split("|")[0]))
        streams[stream] = key
        out[key] = {"sni": row[7].split("|")[0] or None,
                    "ja3": row[8].split("|")[0] or None}
    sh = tshark(pcap, "tls.handshake.type == 2",
                ["tcp.stream", "tls.handshake.ja3s", "tls.handshake.version",
                 "tls.handshake.extensions.supported_version", "tls.handshake.random"])
    for row in sh:
        row += [""] * (5 - len(row))
        if row[0] not in streams:
            continue
        f = out[streams[row[0]]]
        f["ja3s"] = row[1].split("|")[-1] or None
        sv = row[3].split("|")[-1]
        v = int(sv, 16) if sv else int(row[2].split("|")[-1], 16)
        f["version"] = VERSIONS.get(v, "0x%04x" % v)
    certs = tshark(pcap, "tls.handshake.type == 11", ["tcp.stream", "tls.handshake.certificate"])
    for row in certs:
        row += [""] * (2 - len(row))
        if row[0] not in streams or not row[1]:
            continue
        f = out[streams[row[0]]]
        if "fingerprint" in f or f.get("version") == "TLS 1.3":
            continue
        der = bytes.fromhex(row[1].split("|")[0].replace(":", ""))
        digest = hashlib.sha1(der).hexdigest()
        f["fingerprint"] = ":".join(digest[i:i + 2] for i in range(0, 40, 2))
        f["serial"] = der_serial(der)
        f["subject"] = openssl_name(der, "subject")
        f["issuerdn"] = openssl_name(der, "issuer")
    return out


def flows_from_mamori(mamori, pcap, workdir):
    r = subprocess.run([mamori, "-r", pcap, "--eve", "-"], capture_output=True, text=True,
                       cwd=workdir, timeout=300)
    out = collections.defaultdict(list)
    for line in r.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event_type") != "tls":
            continue
        t = ev["tls"]
        key = (ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"])
        out[key].append({
            "sni": t.get("sni"), "ja3": t.get("ja3", {}).get("hash"),
            "ja3s": t.get("ja3s", {}).get("hash"), "version": t.get("version"),
            "fingerprint": t.get("fingerprint"), "serial": t.get("serial"),
            "subject": t.get("subject"), "issuerdn": t.get("issuerdn")})
    return out


def captures(source_dir, shared):
    found = []
    demo = os.path.join(source_dir, "demo", "demo.pcap")
    if os.path.exists(demo):
        found.append(demo)
    for sub in ("pcaps", "suricata-verify-sample"):
        root = os.path.join(shared, sub) if shared else None
        if not root or not os.path.isdir(root):
            continue
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if name.endswith((".pcap", ".pcapng")):
                    found.append(os.path.join(dirpath, name))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--shared-data", default="")
    a = ap.parse_args()
    a.mamori = os.path.abspath(a.mamori)
    a.source_dir = os.path.abspath(a.source_dir)
    a.shared_data = os.path.abspath(a.shared_data) if a.shared_data else ""
    if not shutil.which("tshark") or not shutil.which("openssl"):
        print("SKIP: tshark or openssl not installed")
        return 77
    pcaps = captures(a.source_dir, a.shared_data)
    if not pcaps:
        print("SKIP: no captures")
        return 77
    total = collections.Counter()
    failures = []
    with tempfile.TemporaryDirectory() as work:
        for pcap in pcaps:
            want = flows_from_tshark(pcap)
            if not want:
                continue
            got = flows_from_mamori(a.mamori, pcap, work)
            name = os.path.relpath(pcap, a.shared_data) if a.shared_data and \
                pcap.startswith(a.shared_data) else os.path.relpath(pcap, a.source_dir)
            n_flows = 0
            for key, w in want.items():
                n_flows += 1
                total["flows"] += 1
                g = got.get(key)
                if not g:
                    failures.append("%s %s: no tls event" % (name, key))
                    continue
                g = g[0]
                for field, wv in w.items():
                    if wv is None:
                        continue
                    total[field] += 1
                    if g.get(field) != wv:
                        failures.append("%s %s: %s mamori %r tshark %r" %
                                        (name, key, field, g.get(field), wv))
                    else:
                        total[field + "_ok"] += 1
            print("%-70s %3d TLS flows" % (name, n_flows))
    fields = ["sni", "ja3", "ja3s", "version", "fingerprint", "serial", "subject", "issuerdn"]
    print("flows: %d; " % total["flows"] +
          ", ".join("%s %d/%d" % (f, total[f + "_ok"], total[f]) for f in fields))
    for f in failures[:50]:
        print("DIFF", f)
    if failures:
        print("%d differences" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
