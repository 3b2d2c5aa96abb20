#!/usr/bin/env python3
"""Compare mamori's HTTP/1.x transactions (src/app/http.c) with tshark, request by request.

What is compared
    For every capture under <shared data>/pcaps/web_attacks, <shared data>/pcaps/bruteforce/*http*,
    demo/demo.pcap and the checked-in tests/pcap/*/*.pcap* that tshark finds HTTP in: per TCP
    connection (client address/port, server address/port), the ordered list of requests as
    (Host header, request URI, method) and the ordered list of response status codes.
    tshark (with tcp.reassemble_out_of_order on): `-Y http.request -e tcp.stream -e http.host -e http.request.uri
    -e http.request.method` and `-Y http.response -e http.response.code`; mamori: the "http"
    events of `mamori -r F --eve -` (the Host header from request_headers, "url",
    "http_method", "status").

Documented differences (printed, allowed)
    interim   tshark lists 1xx interim responses (100 Continue ...); mamori folds them into the
              final response of the same transaction. They are removed from tshark's list.
    port      a connection mamori parsed as HTTP that tshark does not dissect as HTTP (tshark
              goes by port; mamori by content): nothing to compare.
    stopped   mamori stopped parsing the connection (an applayer anomaly such as
              REQUEST_LINE_INVALID, or a stream gap): its list must be a prefix of tshark's.
    tail      tshark shows a request or response that mamori has not emitted because the
              capture ends inside it (mamori emits it incomplete: "incomplete" flag) - the
              lists are still compared field by field over what both have.
Anything else fails.

Exit status: 0 all matched or explained, 1 a difference, 77 skipped (no tshark, no mamori or
no captures).
"""
import argparse
import collections
import glob
import json
import os
import shutil
import subprocess
import tempfile
import sys

STOP_EVENTS = {"REQUEST_LINE_INVALID", "REQUEST_LINE_MISSING_PROTOCOL",
               "RESPONSE_INVALID_PROTOCOL", "TOO_MANY_PENDING_REQUESTS"}


def captures(source_dir, shared):
    files = []
    if shared and os.path.isdir(os.path.join(shared, "pcaps")):
        files += sorted(glob.glob(os.path.join(shared, "pcaps", "web_attacks", "*.pcap*")))
        files += sorted(glob.glob(os.path.join(shared, "pcaps", "bruteforce", "*http*.pcap*")))
    demo = os.path.join(source_dir, "demo", "demo.pcap")
    if os.path.exists(demo):
        files.append(demo)
    files += sorted(glob.glob(os.path.join(source_dir, "tests", "pcap", "*", "*.pcap*")))
    return [f for f in files if os.path.isfile(f) and not f.endswith(".out")]


def tshark(path, display, fields):
    # out-of-order reassembly on: mamori's stream layer reorders segments, and without it
    # tshark misses a message whose first segment came late
    cmd = ["tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", path, "-Y", display, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=l"]
    for f in ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
              "tcp.dstport"] + fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    rows = []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 7 + len(fields):
            continue
        src = f[1] or f[2]
        dst = f[4] or f[5]
        rows.append((f[0], src, f[3], dst, f[6], f[7:]))
    return rows


def tshark_side(path):
    """{(client, cport, server, sport): {"req": [(host, uri, method)], "resp": [code]}}

    HTTP over TCP only: tshark also reads SSDP/UPnP discovery (HTTP-formatted datagrams to
    239.255.255.250:1900) as HTTP, which is not web traffic and mamori does not parse."""
    conns = collections.defaultdict(lambda: {"req": [], "resp": []})
    for _, src, sp, dst, dp, (host, uri, method) in tshark(
            path, "http.request && tcp", ["http.host", "http.request.uri", "http.request.method"]):
        conns[(src, sp, dst, dp)]["req"].append((host, uri, method))
    for _, src, sp, dst, dp, (code,) in tshark(path, "http.response && tcp",
                                               ["http.response.code"]):
        conns[(dst, dp, src, sp)]["resp"].append(int(code) if code.isdigit() else None)
    return conns


def mamori_side(mamori, path):
    # The Host header is compared in full, so the request header list must be in the events
    # (off by default).
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
        cfg.write("outputs:\n  eve:\n    http:\n      dump-all-headers: both\n")
        cfg.flush()
        res = subprocess.run([mamori, "-r", path, "--eve", "-", "-c", cfg.name],
                             capture_output=True, text=True, errors="replace", timeout=600)
    conns = collections.defaultdict(lambda: {"req": [], "resp": [], "stopped": [],
                                             "incomplete": False})
    by_flow = {}
    events = []
    for line in res.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    for e in events:
        if e.get("event_type") != "http":
            continue
        key = (e.get("src_ip"), str(e.get("src_port")), e.get("dest_ip"), str(e.get("dest_port")))
        by_flow[e.get("flow_id")] = key
        h = e["http"]
        host = ", ".join(x["value"] for x in h.get("request_headers", [])
                         if x["name"].lower() == "host")
        c = conns[key]
        if "http_method" in h:
            c["req"].append((host, h.get("url", ""), h.get("http_method", "")))
        if "status" in h:
            c["resp"].append(h["status"])
        m = e.get("mamori", {}).get("http", {})
        if m.get("gap") or m.get("incomplete"):
            c["incomplete"] = True
    for e in events:
        if e.get("event_type") != "anomaly":
            continue
        a = e.get("anomaly", {})
        if a.get("type") != "applayer":
            continue
        key = by_flow.get(e.get("flow_id"))
        if key is None:
            key = (e.get("src_ip"), str(e.get("src_port")), e.get("dest_ip"),
                   str(e.get("dest_port")))
        conns[key]["stopped"].append(a.get("event"))
    return conns


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--shared-data", default="")
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("skipped: tshark not installed")
        return 77
    if not os.path.exists(args.mamori):
        print("skipped: no mamori binary")
        return 77
    files = captures(args.source_dir, args.shared_data)
    if not files:
        print("skipped: no captures")
        return 77
    totals = collections.Counter()
    failures = []
    for path in files:
        ts = tshark_side(path)
        if not ts:
            continue
        mm = mamori_side(args.mamori, path)
        name = os.path.relpath(path, args.source_dir) if path.startswith(args.source_dir) \
            else os.path.basename(path)
        totals["captures"] += 1
        for key in sorted(set(ts) | set(mm), key=str):
            t = ts.get(key, {"req": [], "resp": []})
            m = mm.get(key, {"req": [], "resp": [], "stopped": [], "incomplete": False})
            if not t["req"] and not t["resp"]:
                if m["req"] or m["resp"]:
                    totals["diff_port"] += 1
                    print("  port     %s %s: mamori %d tx, tshark no HTTP" %
                          (name, key, len(m["req"])))
                continue
            tresp = [c for c in t["resp"] if c is None or not (100 <= c < 200) or c == 101]
            if len(tresp) != len(t["resp"]):
                totals["diff_interim"] += len(t["resp"]) - len(tresp)
                print("  interim  %s %s: %d 1xx response(s) folded" %
                      (name, key, len(t["resp"]) - len(tresp)))
            stop = [ev for ev in m["stopped"] if ev in STOP_EVENTS]
            n = min(len(t["req"]), len(m["req"]))
            same_req = t["req"][:n] == m["req"][:n]
            nr = min(len(tresp), len(m["resp"]))
            same_resp = tresp[:nr] == m["resp"][:nr]
            totals["requests_tshark"] += len(t["req"])
            totals["requests_mamori"] += len(m["req"])
            totals["responses_tshark"] += len(tresp)
            totals["responses_mamori"] += len(m["resp"])
            if not same_req or not same_resp:
                failures.append("%s %s: differ\n    tshark req %s resp %s\n    mamori req %s "
                                "resp %s" % (name, key, t["req"], tresp, m["req"], m["resp"]))
                continue
            totals["requests_matched"] += n
            totals["responses_matched"] += nr
            if len(t["req"]) == len(m["req"]) and len(tresp) == len(m["resp"]):
                continue
            if len(m["req"]) > len(t["req"]) or len(m["resp"]) > len(tresp):
                failures.append("%s %s: mamori has more\n    tshark req %s resp %s\n    mamori "
                                "req %s resp %s" % (name, key, t["req"], tresp, m["req"],
                                                    m["resp"]))
                continue
            if stop or m["incomplete"]:
                totals["diff_stopped"] += 1
                print("  stopped  %s %s: mamori %d/%d req, %d/%d resp (%s)" %
                      (name, key, len(m["req"]), len(t["req"]), len(m["resp"]), len(tresp),
                       ",".join(stop) or "gap/incomplete"))
                continue
            failures.append("%s %s: mamori has fewer without a reason\n    tshark req %s resp "
                            "%s\n    mamori req %s resp %s" % (name, key, t["req"], tresp,
                                                              m["req"], m["resp"]))
    print("captures %d; requests: tshark %d, mamori %d, matched %d; responses: tshark %d, "
          "mamori %d, matched %d; explained: port %d, interim %d, stopped %d" % (
              totals["captures"], totals["requests_tshark"], totals["requests_mamori"],
              totals["requests_matched"], totals["responses_tshark"],
              totals["responses_mamori"], totals["responses_matched"], totals["diff_port"],
              totals["diff_interim"], totals["diff_stopped"]))
    if failures:
        print("FAIL: %d connection(s) differ:" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    if totals["captures"] == 0:
        print("skipped: no capture with HTTP")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
