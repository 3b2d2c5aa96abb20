#!/usr/bin/env python3
"""Compare mamori's DNS decoder (src/app/dns.c) with tshark, packet by packet.

What is compared
    For every UDP packet with port 53 on either side that tshark dissects as DNS, in every
    capture (tests/pcap/*/input*.pcap*, demo/demo.pcap and everything under <shared data>/pcaps
    when present): the question names, and the A, AAAA and CNAME data of the records. tshark
    gives the UDP payload (`udp.payload`, the innermost one for tunnelled packets) and its own
    dissection (`dns.qry.name`, `dns.a`, `dns.aaaa`, `dns.cname`); dns_dump runs app_dns_parse
    over the payload and prints what it found.

How the two forms are matched
    mamori escapes every name byte outside [A-Za-z0-9_-] as \\DDD; those escapes are decoded and
    the labels rejoined with '.', which is what tshark prints for ordinary names. tshark shows
    the root as "<Root>". A name with a '.', a comma or a non-printable byte inside a label
    cannot be compared (tshark prints it unescaped or with its own escapes): such packets are
    listed as "odd name" when they differ.

    tshark's dns.a/dns.aaaa/dns.cname include the additional section; mamori stores the answer
    and authority sections only (at most DNS_MAX_RRS records). So mamori's list must be a prefix
    of tshark's, and equal to it when the message has no additional records and nothing was cut.

Explained differences
    "malformed": mamori reported a truncated message, a bad name or a pointer loop; tshark may
    still show what it could read. "odd name": see above. Everything else fails the test.

Exit status: 0 all matched or explained, 1 a difference, 77 skipped (no tshark or no data).
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

EV_TRUNCATED, EV_BAD_NAME, EV_POINTER_LOOP = 1, 2, 4


def captures(source_dir, shared):
    files = sorted(glob.glob(os.path.join(source_dir, "tests/pcap/*/*.pcap*")))
    demo = os.path.join(source_dir, "demo/demo.pcap")
    if os.path.exists(demo):
        files.append(demo)
    if shared and os.path.isdir(os.path.join(shared, "pcaps")):
        for root, _, names in os.walk(os.path.join(shared, "pcaps")):
            files += sorted(os.path.join(root, n) for n in names
                            if re.search(r"\.(pcap|pcapng|cap)$", n))
    return [f for f in files if os.path.isfile(f)]


def tshark_rows(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "dns && udp", "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f",
           "-e", "frame.number", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.payload",
           "-e", "dns.qry.name", "-e", "dns.a", "-e", "dns.aaaa", "-e", "dns.cname",
           "-e", "dns.count.add_rr"]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    for line in out.splitlines():
        f = line.split("\t")
        f += [""] * (9 - len(f))
        split = lambda s: s.split("\x1f") if s else []
        sports, dports, payloads = split(f[1]), split(f[2]), split(f[3])
        if not payloads or not sports:
            continue
        if "53" not in (sports[-1], dports[-1]):
            continue
        yield {"frame": f[0], "payload": payloads[-1].replace(":", ""),
               "qname": split(f[4]), "a": split(f[5]), "aaaa": split(f[6]),
               "cname": split(f[7]), "arcount": split(f[8])}


def unescape(name):
    """mamori presentation -> (tshark-style text, odd)."""
    if name == ".":
        return "<Root>", False
    labels, odd = [], False
    for lab in name.split("."):
        raw = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1))), lab)
        if any(c in raw for c in ".,") or any(ord(c) < 0x21 or ord(c) > 0x7e for c in raw):
            odd = True
        labels.append(raw)
    return ".".join(labels), odd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--shared-data", default="")
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("SKIP: tshark not installed")
        return 77
    files = captures(args.source_dir, args.shared_data)
    if not files:
        print("SKIP: no captures")
        return 77

    jobs = []
    for path in files:
        for r in tshark_rows(path):
            r["file"] = path
            jobs.append(r)
    if not jobs:
        print("SKIP: no DNS packets in %d captures" % len(files))
        return 77
    feed = "".join("%d %s\n" % (i, r["payload"]) for i, r in enumerate(jobs))
    out = subprocess.run([args.dump], input=feed, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    if len(lines) != len(jobs):
        print("ORACLE ERROR: %d results for %d payloads" % (len(lines), len(jobs)))
        return 1

    matched, failures = 0, []
    explained = {"malformed": [], "odd name": []}
    for r, line in zip(jobs, lines):
        f = line.split("\t")
        f += [""] * (7 - len(f))
        rc, events = int(f[1]), int(f[2], 16)
        ours_q, odd = [], False
        for n in (f[3].split(",") if f[3] else []):
            t, o = unescape(n)
            ours_q.append(t)
            odd |= o
        ours_a = f[4].split(",") if f[4] else []
        ours_aaaa = f[5].split(",") if f[5] else []
        ours_cname = []
        for n in (f[6].split(",") if f[6] else []):
            t, o = unescape(n)
            ours_cname.append(t)
            odd |= o
        complete = (r["arcount"][:1] == ["0"] or not r["arcount"]) and not events & 8
        problems = []
        if rc != 0:
            problems.append("rc %d" % rc)
        if ours_q != r["qname"][:len(ours_q)] or (len(ours_q) < len(r["qname"])
                                                  and not events & 8):
            problems.append("qname %s vs %s" % (ours_q, r["qname"]))
        for what, ours, theirs in (("A", ours_a, r["a"]), ("AAAA", ours_aaaa, r["aaaa"]),
                                   ("CNAME", ours_cname, r["cname"])):
            if ours != theirs[:len(ours)] or (complete and ours != theirs):
                problems.append("%s %s vs %s" % (what, ours, theirs))
        where = "%s frame %s" % (os.path.relpath(r["file"], args.source_dir), r["frame"])
        if not problems:
            matched += 1
        elif events & (EV_TRUNCATED | EV_BAD_NAME | EV_POINTER_LOOP):
            explained["malformed"].append("%s events %x: %s" % (where, events, "; ".join(problems)))
        elif odd:
            explained["odd name"].append("%s: %s" % (where, "; ".join(problems)))
        else:
            failures.append("%s events %x: %s" % (where, events, "; ".join(problems)))

    print("%d captures, %d DNS packets: %d matched, %d explained, %d differ" %
          (len(files), len(jobs), matched, sum(map(len, explained.values())), len(failures)))
    for k, v in explained.items():
        for e in v:
            print("  explained (%s): %s" % (k, e))
    for e in failures:
        print("  DIFF: %s" % e)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
