#!/usr/bin/env python3
"""FTP oracle: mamori's ftp events against tshark on the same captures.

For every capture (shared data; skipped with exit 77 when absent or tshark is missing) the
ordered lists of (command, argument) pairs and of reply codes per TCP connection must be
equal: mamori's "ftp.command" / "ftp.command_data" (PASS has none: tshark's argument is
dropped for PASS too) and "ftp.completion_code" plus the codes of every reply, against
tshark's ftp.request.command / ftp.request.arg / ftp.response.code.

Captures whose clients reuse ports (ppa_ftp-crack) are left out: tshark merges the reused
connections and marks their data as retransmissions.

Usage: oracle_ftp.py --mamori BUILD/mamori --shared-data DIR
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

CAPTURES = [
    "pcaps/bruteforce/ndpi_ftp_failed.pcap",
    "suricata-verify-sample/tests/ftp/ftp-download-passive/input.pcap",
    "suricata-verify-sample/tests/output-eve-ftp-data/input.pcap",
]


def conn_key(a, ap, b, bp):
    return (a, int(ap), b, int(bp))


def from_tshark(path):
    out = subprocess.run(
        ["tshark", "-r", path, "-Y", "ftp", "-T", "fields", "-E", "separator=\t",
         "-e", "ipv6.src", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ipv6.dst", "-e", "ip.dst",
         "-e", "tcp.dstport", "-e", "ftp.request.command", "-e", "ftp.request.arg",
         "-e", "ftp.response.code"],
        check=True, capture_output=True, text=True).stdout
    cmds = collections.defaultdict(list)
    codes = collections.defaultdict(list)
    for line in out.splitlines():
        f = line.split("\t")
        src = f[0] or f[1]
        dst = f[3] or f[4]
        sport, dport, cmd, arg, code = f[2], f[5], f[6], f[7], f[8]
        if cmd:
            arg = "" if cmd.upper() == "PASS" else arg
            cmds[conn_key(src, sport, dst, dport)].append((cmd.upper(), arg))
        if code:
            # a multi-line reply carries its code on the first and last line: tshark
            # lists each; keep one per reply
            for c in code.split(",")[:1]:
                codes[conn_key(dst, dport, src, sport)].append(c)
    return cmds, codes


def from_mamori(mamori, path):
    d = tempfile.mkdtemp()
    try:
        subprocess.run([mamori, "-r", path], cwd=d, check=True, capture_output=True)
        cmds = collections.defaultdict(list)
        codes = collections.defaultdict(list)
        with open(os.path.join(d, "eve.json")) as f:
            for line in f:
                e = json.loads(line)
                if e.get("event_type") != "ftp":
                    continue
                k = conn_key(e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"])
                ftp = e["ftp"]
                if "command" in ftp:
                    cmds[k].append((ftp["command"], ftp.get("command_data", "")))
                codes[k].extend(ftp.get("completion_code", []))
        return cmds, codes
    finally:
        shutil.rmtree(d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--shared-data", required=True)
    a = ap.parse_args()
    a.mamori = os.path.abspath(a.mamori)
    if not shutil.which("tshark"):
        print("skipped: tshark not found")
        return 77
    paths = [os.path.join(a.shared_data, c) for c in CAPTURES]
    paths = [p for p in paths if os.path.exists(p)]
    if not paths:
        print("skipped: shared data not present")
        return 77
    bad = 0
    n_cmds = n_codes = 0
    for p in paths:
        tc, tr = from_tshark(p)
        mc, mr = from_mamori(a.mamori, p)
        for k in sorted(set(tc) | set(mc)):
            if tc.get(k, []) != mc.get(k, []):
                print("%s %s commands differ:\n  tshark %s\n  mamori %s" % (p, k, tc.get(k), mc.get(k)))
                bad += 1
            n_cmds += len(tc.get(k, []))
        for k in sorted(set(tr) | set(mr)):
            if tr.get(k, []) != mr.get(k, []):
                print("%s %s reply codes differ:\n  tshark %s\n  mamori %s" % (p, k, tr.get(k), mr.get(k)))
                bad += 1
            n_codes += len(tr.get(k, []))
    print("%d captures, %d commands, %d replies compared, %d differences" % (len(paths), n_cmds, n_codes, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
