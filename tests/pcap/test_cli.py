#!/usr/bin/env python3
"""mamori's command line: options, exit status, error messages, input forms, determinism.

Each test_* function below is one check; all run, and the script fails if any does.
Exit status (mamori --help, EXIT STATUS): 0 ok, 1 could not run, 2 usage/config error,
3 partial input.

Usage: test_cli.py --mamori BUILD/mamori [--source-dir DIR] [-k NAME]
"""

import argparse
import glob
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 60

MAMORI = None
SRC = None
TMP = None
BASIC = None  # tests/pcap/eth_ipv4_tcp_udp/input.pcap: TCP, DNS and ICMP echo, 16 packets


def run(args, stdin=None, cwd=None):
    """mamori with args; returns CompletedProcess (stdout/stderr as text unless stdin bytes)."""
    return subprocess.run([MAMORI] + args, input=stdin, capture_output=True, timeout=TIMEOUT_S,
                          cwd=cwd)


def text(b):
    return b.decode("utf-8", "replace")


def stderr_lines(res):
    return [l for l in text(res.stderr).splitlines() if l.strip()]


def expect(cond, msg, res=None):
    if not cond:
        if res is not None:
            msg += "\n    exit %d\n    stderr: %s\n    stdout: %.500s" % (
                res.returncode, text(res.stderr).strip(), text(res.stdout).strip())
        raise AssertionError(msg)


def events_of(eve_text):
    evs = []
    for n, line in enumerate(eve_text.splitlines(), 1):
        try:
            evs.append(json.loads(line))
        except ValueError as e:
            raise AssertionError("eve line %d is not JSON (%s): %.200s" % (n, e, line))
    return evs


def run_eve(args, stdin=None):
    """Run with --eve to a fresh file; returns (CompletedProcess, eve.json text)."""
    fd, path = tempfile.mkstemp(prefix="eve-", suffix=".json", dir=TMP)
    os.close(fd)
    os.unlink(path)
    res = run(args + ["--eve", path], stdin=stdin)
    data = ""
    if os.path.exists(path):
        with open(path) as f:
            data = f.read()
    return res, data


def flows_without_iface(evs):
    """Flow events with in_iface removed, sorted: comparable across input forms."""
    out = []
    for e in evs:
        if e.get("event_type") == "flow":
            e = dict(e)
            e.pop("in_iface", None)
            out.append(json.dumps(e, sort_keys=True))
    return sorted(out)


def split_pcap(path, parts):
    """Write the records of a classic pcap into several pcaps; parts = [(out_path, lo, hi)]
    with 0-based record index ranges [lo, hi). Returns the record timestamps (seconds)."""
    with open(path, "rb") as f:
        data = f.read()
    bo = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    recs = []
    off = 24
    while off + 16 <= len(data):
        ts_s, ts_frac, caplen = struct.unpack(bo + "III", data[off:off + 12])
        recs.append((data[off:off + 16 + caplen], ts_s, ts_frac))
        off += 16 + caplen
    for out, lo, hi in parts:
        with open(out, "wb") as f:
            f.write(data[:24])
            for r in recs[lo:hi]:
                f.write(r[0])
    return recs


# --------------------------------------------------------------------------------------------


def test_unknown_flag():
    res = run(["--no-such-flag", "-r", BASIC])
    expect(res.returncode == 2, "unknown flag: expected exit 2", res)
    lines = stderr_lines(res)
    expect(len(lines) == 1 and "--no-such-flag" in lines[0],
           "unknown flag: expected one stderr line naming the flag, got %r" % lines, res)


def test_missing_input():
    path = "/nonexistent/mamori-test.pcap"
    res = run(["-r", path, "--eve", os.path.join(TMP, "missing.json")])
    expect(res.returncode == 1, "-r %s: expected exit 1" % path, res)
    lines = stderr_lines(res)
    expect(len(lines) == 1 and path in lines[0],
           "-r missing file: expected one stderr line naming the file, got %r" % lines, res)


def test_not_a_pcap():
    path = os.path.join(TMP, "notes.txt")
    with open(path, "w") as f:
        f.write("this is not a capture file\n" * 10)
    res = run(["-r", path, "--eve", os.path.join(TMP, "notpcap.json")])
    expect(res.returncode == 1, "non-pcap input: expected exit 1", res)
    err = text(res.stderr)
    expect(path in err and re.search(r"not a pcap", err, re.I),
           "non-pcap input: stderr should name the file and say it is not a pcap", res)


BAD_CONFIGS = [
    # (name, YAML text, line the error must name)
    ("syntax error (tab indentation)", "flow:\n\tmemcap: 64mb\n", 2),
    ("syntax error (unclosed flow sequence)", "flow:\n  memcap: 64mb\ndefrag: [1, 2\n", 4),
    ("wrong value type (sequence for a size)", "flow:\n  memcap: [1, 2]\n", 2),
    ("wrong value type (text for a size)", "flow:\n  memcap: lots\n", 2),
    ("wrong value type (text for a boolean)", "outputs:\n  eve:\n    community-id: maybe\n", 3),
    ("negative memcap", "flow:\n  memcap: -5\n", 2),
    ("unknown detector", "detectors:\n  nosuch:\n    memcap: 1mb\n", 3),
    ("unknown detector setting", "detectors:\n  portscan:\n    bogus: 1\n", 3),
    ("bad detector size", "detectors:\n  portscan:\n    memcap: lots\n", 3),
    ("bad detector boolean", "detectors:\n  flood:\n    enabled: perhaps\n", 3),
    ("bad update interval", "detectors:\n  update-interval: soon\n", 2),
    ("bad enrichment switch", "enrichment:\n  oui-file: \"\"\n  enabled: later\n", 3),
    ("mac-shared-hosts 1", "enrichment:\n  oui-file: \"\"\n  mac-shared-hosts: 1\n", 3),
    ("mac-shared-hosts too large", "enrichment:\n  mac-shared-hosts: 65\n", 2),
    # Billion laughs: 9^9 "lol"s once expanded; must be refused quickly, not expanded.
    ("YAML alias bomb",
     "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" +
     "".join("%s: &%s [%s]\n" % (c, c, ",".join(["*" + p] * 9))
             for p, c in zip("abcdefgh", "bcdefghi")), 2),
]


def test_bad_config():
    fails = []
    for i, (name, yml, line) in enumerate(BAD_CONFIGS):
        path = os.path.join(TMP, "bad%d.yaml" % i)
        with open(path, "w") as f:
            f.write(yml)
        try:
            res = run(["-c", path, "-r", BASIC, "--eve", os.path.join(TMP, "cfg.json")])
        except subprocess.TimeoutExpired:
            fails.append("%s: no exit within %d s" % (name, TIMEOUT_S))
            continue
        err = text(res.stderr)
        # The file and the line: "FILE:LINE:COL: ..." (YAML syntax) or "FILE: line LINE: ...".
        where = re.search(re.escape(path) + r"(?::(\d+)|: line (\d+))", err)
        if res.returncode != 2:
            fails.append("%s: exit %d, expected 2; stderr: %s" % (name, res.returncode,
                                                                 err.strip()))
        elif not where:
            fails.append("%s: stderr does not name %s and a line: %s" % (name, path, err.strip()))
        elif int(where.group(1) or where.group(2)) != line:
            fails.append("%s: error names line %s, expected line %d: %s" % (
                name, where.group(1) or where.group(2), line, err.strip()))
    expect(not fails, "bad configuration files:\n    " + "\n    ".join(fails))


def test_help():
    res = run(["--help"])
    expect(res.returncode == 0, "--help: expected exit 0", res)
    out = text(res.stdout)
    expect("EXIT STATUS" in out and "-r" in out, "--help: no EXIT STATUS section", res)


def test_version():
    res = run(["--version"])
    expect(res.returncode == 0, "--version: expected exit 0", res)
    out = text(res.stdout).strip()
    expect(re.fullmatch(r"mamori \d+\.\d+\.\d+\S*", out) is not None,
           "--version: expected one line 'mamori X.Y.Z', got %r" % out, res)


def test_eve_stdout():
    res = run(["-r", BASIC, "--eve", "-"])
    expect(res.returncode == 0, "--eve -: expected exit 0", res)
    evs = events_of(text(res.stdout))
    expect(evs and evs[-1].get("event_type") == "stats",
           "--eve -: stdout should be JSON lines ending with a stats event", res)
    types = [e.get("event_type") for e in evs]
    expect(types.count("flow") == 3, "--eve -: expected 3 flow events, got %r" % types, res)
    # Same events as written to a file.
    res2, data = run_eve(["-r", BASIC])
    expect(flows_without_iface(events_of(data)) == flows_without_iface(evs),
           "--eve - and --eve FILE give different flows")


def test_log_dir():
    # --help: "Write DIR/eve.json (created if needed; appended to)".
    d = os.path.join(TMP, "logdir")
    path = os.path.join(d, "eve.json")
    for n in (1, 2):
        res = run(["-r", BASIC, "-l", d])
        expect(res.returncode == 0, "-l DIR: expected exit 0", res)
        expect(os.path.exists(path), "-l DIR: %s not written (DIR should be created)" % path, res)
        with open(path) as f:
            evs = events_of(f.read())
        expect(sum(1 for e in evs if e.get("event_type") == "flow") == 3 * n,
               "-l DIR, run %d: expected %d flows in eve.json (appended)" % (n, 3 * n))


def test_log_dir_parents_and_empty():
    # Missing parents are created (mkdir -p); an empty name is an error, not a crash.
    d = os.path.join(TMP, "a", "b", "c")
    res = run(["-r", BASIC, "-l", d])
    expect(res.returncode == 0 and os.path.exists(os.path.join(d, "eve.json")),
           "-l a/b/c: parents not created", res)
    res = run(["-r", BASIC, "-l", ""])
    expect(res.returncode == 1 and "log directory name is empty" in text(res.stderr),
           "-l '': expected exit 1 and a message", res)


def test_option_values():
    # A missing value is named as such; numbers refuse signs, spaces and overflow.
    res = run(["-r"])
    expect(res.returncode == 2 and "needs a value" in text(res.stderr),
           "-r without a value: expected exit 2 and 'needs a value'", res)
    for bad in (" -1", "-1", "99999999999999999999999", "12x", ""):
        res = run(["-r", BASIC, "--count", bad])
        expect(res.returncode == 2 and len(stderr_lines(res)) == 1,
               "--count %r: expected exit 2 and one line" % bad, res)
    res = run(["-r", BASIC, "--count", "5", "--eve", "-", "-q"])
    evs = events_of(text(res.stdout))
    stats = [e for e in evs if e.get("event_type") == "stats"][-1]
    expect(res.returncode == 0 and stats["stats"]["decoder"]["pkts"] == 5,
           "--count 5: expected 5 packets decoded", res)


def test_config_duplicate_and_unknown_keys():
    dup = os.path.join(TMP, "dup.yaml")
    with open(dup, "w") as f:
        f.write("flow:\n  memcap: 64mb\n  memcap: 1kb\n")
    res = run(["-c", dup, "-r", BASIC])
    expect(res.returncode == 2 and "line 3" in text(res.stderr) and "duplicate" in text(res.stderr),
           "duplicate key: expected exit 2 naming line 3", res)
    unk = os.path.join(TMP, "unknown.yaml")
    with open(unk, "w") as f:
        f.write("flow:\n  memcapp: 1mb\n")
    res, _ = run_eve(["-c", unk, "-r", BASIC])
    expect(res.returncode == 0 and "unknown setting 'flow.memcapp'" in text(res.stderr),
           "misspelled key: expected a warning naming flow.memcapp", res)


def split_basic():
    """BASIC cut in two: dir/a.pcap = packets 1-8, dir/b.pcap = packets 9-16 (b written first
    so that the directory's creation order is not name order)."""
    d = os.path.join(TMP, "two")
    if not os.path.isdir(d):
        os.makedirs(d)
        recs = split_pcap(BASIC, [(os.path.join(d, "b.pcap"), 8, 16)])
        split_pcap(BASIC, [(os.path.join(d, "a.pcap"), 0, 8)])
    else:
        recs = split_pcap(BASIC, [])
    return d, recs


def test_directory_in_name_order():
    d, recs = split_basic()
    res_whole, whole = run_eve(["-r", BASIC])
    res, data = run_eve(["-r", d + "/"])
    expect(res.returncode == 0, "-r DIR/: expected exit 0", res)
    evs = events_of(data)
    # One timeline in name order gives exactly the flows of the uncut capture (flow_id, start,
    # counts, states); read the other way round, the TCP flow would start at packet 9.
    expect(flows_without_iface(evs) == flows_without_iface(events_of(whole)),
           "-r DIR/: flows differ from the uncut capture's:\n    %s\n  vs\n    %s" % (
               "\n    ".join(flows_without_iface(evs)),
               "\n    ".join(flows_without_iface(events_of(whole)))))
    stats = evs[-1]
    expect(stats.get("event_type") == "stats" and stats["stats"]["decoder"]["pkts"] == 16,
           "-r DIR/: expected one stats event counting 16 packets")


def test_two_inputs_same_as_directory():
    d, _ = split_basic()
    _, dir_data = run_eve(["-r", d + "/"])
    res, data = run_eve(["-r", os.path.join(d, "a.pcap"), "-r", os.path.join(d, "b.pcap")])
    expect(res.returncode == 0, "two -r: expected exit 0", res)
    expect(flows_without_iface(events_of(data)) == flows_without_iface(events_of(dir_data)),
           "-r a -r b and -r DIR/ give different flows")
    # And the order of -r is honoured: b then a starts the TCP flow at packet 9.
    _, rev = run_eve(["-r", os.path.join(d, "b.pcap"), "-r", os.path.join(d, "a.pcap")])
    tcp = [e for e in events_of(rev) if e.get("event_type") == "flow" and e.get("proto") == "TCP"]
    first = [e for e in events_of(data) if e.get("event_type") == "flow" and
             e.get("proto") == "TCP"]
    expect(tcp and first and tcp[0]["flow"]["start"] != first[0]["flow"]["start"],
           "-r b -r a: expected the TCP flow to start later than with -r a -r b "
           "(inputs read in the order given)")


def test_stdin():
    with open(BASIC, "rb") as f:
        blob = f.read()
    res, data = run_eve(["-r", "-"], stdin=blob)
    expect(res.returncode == 0, "-r -: expected exit 0", res)
    _, whole = run_eve(["-r", BASIC])
    expect(flows_without_iface(events_of(data)) == flows_without_iface(events_of(whole)),
           "-r - (stdin) gives other flows than -r FILE")


def test_bpf_filter():
    res, data = run_eve(["-r", BASIC, "-F", "udp"])
    expect(res.returncode == 0, "-F udp: expected exit 0", res)
    flows = [e for e in events_of(data) if e.get("event_type") == "flow"]
    expect(len(flows) == 1 and flows[0]["proto"] == "UDP",
           "-F udp: expected only the one UDP flow, got %r" % [f.get("proto") for f in flows])
    expect(flows[0]["flow"]["pkts_toserver"] == 1 and flows[0]["flow"]["pkts_toclient"] == 1,
           "-F udp: the DNS flow should keep both packets")
    res = run(["-r", BASIC, "-F", "udp and and port", "--eve", os.path.join(TMP, "bpf.json")])
    expect(res.returncode == 2, "bad BPF expression: expected exit 2", res)
    expect("udp and and port" in text(res.stderr) or "filter" in text(res.stderr),
           "bad BPF expression: stderr should say which filter failed", res)


UPTIME_RE = re.compile(rb'"uptime":\d+')


def test_deterministic():
    caps = [BASIC, os.path.join(SRC, "tests", "pcap", "tcp_states", "input.pcap")]
    demo = os.path.join(SRC, "demo", "demo.pcap")
    if os.path.exists(demo):
        caps.append(demo)
    for cap in caps:
        outs = []
        for i in range(2):
            d = os.path.join(TMP, "det-%d-%s" % (i, os.path.basename(os.path.dirname(cap))))
            res = run(["-r", cap, "-l", d])
            expect(res.returncode == 0, "determinism run on %s: expected exit 0" % cap, res)
            with open(os.path.join(d, "eve.json"), "rb") as f:
                # stats.uptime is wall-clock seconds since start: the one field allowed to
                # differ between two runs. Everything else must be byte-identical.
                outs.append(UPTIME_RE.sub(b'"uptime":0', f.read()))
        if outs[0] != outs[1]:
            a, b = outs[0].splitlines(), outs[1].splitlines()
            diff = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            raise AssertionError("two runs on %s differ (%d vs %d lines), first at line %d:\n"
                                 "    %.300s\n    %.300s" % (
                                     cap, len(a), len(b), diff + 1,
                                     a[diff] if diff < len(a) else b"(none)",
                                     b[diff] if diff < len(b) else b"(none)"))


# --------------------------------------------------------------------------- rules (issue 4)

GOOD_RULE_1 = ('alert icmp any any -> any any (msg:"echo request"; itype:8; sid:1; rev:1;)')
GOOD_RULE_2 = ('alert udp any any -> any 53 (msg:"dns query"; dns.query; content:"example"; '
               'sid:7; rev:1;)')
# Malformed rules; those whose sid comes before the damage must report it.
BAD_RULES = [
    # (line text, sid reported, words one of which the reason must contain)
    ('alert tcp any any -> any any (sid:2; msg:"unterminated"; content:"abc; rev:1;)',
     2, ("content", "quote", "unterminated", "terminated", "end")),
    ('alert tcp any any -> any any (sid:3; msg:"unknown"; frobnicate:1; rev:1;)',
     3, ("frobnicate",)),
    ('alert tcp any any -> any any (sid:4; msg:"huge"; content:"a"; depth:99999999999999999999;)',
     4, ("depth", "range", "large", "number", "value")),
    ('alert tcp %s1.2.3.4%s any -> any any (sid:5; msg:"deep"; content:"a";)'
     % ("[" * 200, "]" * 200), None, ("nest", "deep", "depth", "list", "address")),
    ('alert tcp any any -> any any (sid:6; msg:"big"; content:"%s";)' % ("A" * 100 * 1024),
     None, ("long", "large", "size", "byte", "limit", "too")),
]


def write_rules_files():
    """TMP/bad.rules: good, 5 bad, good (lines 1..7 after a comment line and a blank)."""
    path = os.path.join(TMP, "bad.rules")
    lines = ["# rules check test: 2 good rules around 5 malformed ones", ""]
    lines.append(GOOD_RULE_1)
    lines += [b[0] for b in BAD_RULES]
    lines.append(GOOD_RULE_2)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    good = os.path.join(TMP, "good.rules")
    with open(good, "w") as f:
        f.write(GOOD_RULE_1 + "\n")
    return path, good


def test_rules_check_text():
    bad, _ = write_rules_files()
    res = run(["rules", "check", bad])
    out = text(res.stdout) + text(res.stderr)
    expect(res.returncode in (0, 1), "rules check: expected exit 0 or 1, not a crash", res)
    expect(re.search(r"\b2\b", out) and re.search(r"\b5\b", out),
           "rules check: output should give 2 loaded and 5 skipped", res)
    expect(re.search(r"(?i)load", out) and re.search(r"(?i)skip", out),
           "rules check: output should say loaded and skipped", res)
    expect("frobnicate" in out, "rules check: the keyword table should name 'frobnicate'", res)


def test_rules_check_json():
    bad, good = write_rules_files()
    res = run(["rules", "check", "--json", bad])
    expect(res.returncode in (0, 1), "rules check --json: expected exit 0 or 1", res)
    try:
        doc = json.loads(text(res.stdout))
    except ValueError as e:
        raise AssertionError("rules check --json: stdout is not one JSON object (%s): %.300s"
                             % (e, text(res.stdout)))
    expect(doc.get("total") == 7 and doc.get("loaded") == 2,
           "rules check --json: expected total 7, loaded 2, got %r/%r"
           % (doc.get("total"), doc.get("loaded")), res)
    skipped = doc.get("skipped")
    expect(isinstance(skipped, list) and len(skipped) == 5,
           "rules check --json: expected 5 skipped entries, got %r" % (skipped,), res)
    by_line = {}
    for s in skipped:
        expect(isinstance(s, dict) and set(s) >= {"file", "line", "sid", "reason"},
               "rules check --json: skipped entry without file/line/sid/reason: %r" % (s,))
        expect(os.path.basename(str(s["file"])) == "bad.rules",
               "rules check --json: skipped entry names file %r" % s["file"])
        by_line[s["line"]] = s
    expect(sorted(by_line) == [4, 5, 6, 7, 8],
           "rules check --json: skipped lines should be 4..8, got %r" % sorted(by_line))
    for n, (_, sid, words) in enumerate(BAD_RULES, 4):
        s = by_line[n]
        if sid is not None:
            expect(s["sid"] == sid, "line %d: expected sid %d, got %r" % (n, sid, s["sid"]))
        reason = str(s["reason"]).lower()
        expect(any(w in reason for w in words),
               "line %d: reason %r should mention one of %r" % (n, s["reason"], words))
        expect(len(str(s["reason"])) < 1000, "line %d: reason too long" % n)
    res = run(["rules", "check", "--json", good])
    doc = json.loads(text(res.stdout))
    expect(res.returncode == 0 and doc.get("total") == 1 and doc.get("loaded") == 1 and
           doc.get("skipped") == [], "rules check --json on a good file: %r" % doc, res)


def alerts_by_sid(evs):
    out = {}
    for e in evs:
        if e.get("event_type") == "alert":
            sid = e.get("alert", {}).get("signature_id")
            out[sid] = out.get(sid, 0) + 1
    return out


def test_bad_rules_warn_skip_continue():
    bad, _ = write_rules_files()
    res, data = run_eve(["-S", bad, "-r", BASIC])
    expect(res.returncode == 0, "-S bad.rules: expected exit 0 (bad rules are skipped)", res)
    err = text(res.stderr)
    expect("bad.rules" in err and re.search(r"(?i)skip", err),
           "-S bad.rules: stderr should warn naming bad.rules and say rules are skipped", res)
    evs = events_of(data)
    expect(sum(1 for e in evs if e.get("event_type") == "flow") == 3,
           "-S bad.rules: the capture should still give its 3 flows")
    got = alerts_by_sid(evs)
    # sid 1: the ICMP echo request; sid 7 (after the bad lines): the query www.example.com.
    expect(got == {1: 1, 7: 1},
           "-S bad.rules: expected one alert each of sid 1 and sid 7, got %r" % got)
    # Repeatable -S: two files load together.
    _, good = write_rules_files()
    res, data = run_eve(["-S", good, "-S", bad, "-r", BASIC])
    expect(res.returncode == 0, "-S good -S bad: expected exit 0", res)
    expect(alerts_by_sid(events_of(data)).get(1) == 1,
           "-S good -S bad: sid 1 is in both files; the duplicate is skipped, 1 alert")


def test_rule_files_in_config():
    bad, good = write_rules_files()
    cfg = os.path.join(TMP, "rules.yaml")
    with open(cfg, "w") as f:
        f.write("default-rule-path: %s\nrule-files:\n  - good.rules\n" % TMP)
    res, data = run_eve(["-c", cfg, "-r", BASIC])
    expect(res.returncode == 0, "rule-files in the config: expected exit 0", res)
    expect(alerts_by_sid(events_of(data)) == {1: 1},
           "rule-files + default-rule-path: expected one alert of sid 1, got %r"
           % alerts_by_sid(events_of(data)))
    res, data = run_eve(["-r", BASIC])
    expect(alerts_by_sid(events_of(data)) == {},
           "without rules: expected no alert events")


def test_rule_database_cache():
    """Compiled databases are written to detect.cache-dir on the first start and read back on
    the next; a damaged cache file costs a compile, never a wrong result or a failure."""
    good = os.path.join(TMP, "cache.rules")
    with open(good, "w") as f:  # BASIC has "GET /index.html" and a DNS query for example.com
        f.write('alert http any any -> any any (msg:"uri"; http.uri; content:"/index.html"; '
                'sid:11; rev:1;)\n'
                'alert dns any any -> any any (msg:"dns"; dns.query; content:"example"; '
                'sid:12; rev:1;)\n'
                'alert tcp any any -> any 80 (msg:"raw"; content:"GET /style"; sid:13; rev:1;)\n')
    cache = os.path.join(TMP, "hscache")
    cfg = os.path.join(TMP, "cache.yaml")
    with open(cfg, "w") as f:
        f.write("detect:\n  cache-dir: %s\n" % cache)

    def load_line(res):
        for l in stderr_lines(res):
            m = re.search(r"rules: \d+ of \d+ loaded .* (\d+) databases, .* \((\d+) from the cache\)", l)
            if m:
                return int(m.group(1)), int(m.group(2))
        raise AssertionError("no rule-load line in: %s" % text(res.stderr))

    results = []
    for _ in range(2):
        res, data = run_eve(["-v", "-c", cfg, "-S", good, "-r", BASIC])
        expect(res.returncode == 0, "cache run: expected exit 0", res)
        results.append((load_line(res), alerts_by_sid(events_of(data))))
    (dbs, hits0), alerts0 = results[0]
    (dbs1, hits1), alerts1 = results[1]
    files = glob.glob(os.path.join(cache, "*.hsdb"))
    # Identical databases (the same literals at two inspection points) share one cache file,
    # so the first start may already read some of what it wrote; it must compile the rest.
    expect(dbs >= 1 and hits0 < dbs, "first start: expected compiles, got %d of %d from the "
           "cache" % (hits0, dbs))
    expect(len(files) >= 1, "first start: no database written to %s" % cache)
    expect(hits1 == dbs1, "second start: expected all %d databases from the cache, got %d"
           % (dbs1, hits1))
    expect(alerts0 == {11: 1, 12: 1, 13: 1}, "expected one alert per rule, got %r" % alerts0)
    expect(alerts0 == alerts1, "cache changed the alerts: %r vs %r" % (alerts0, alerts1))
    for p in files:
        with open(p, "wb") as f:
            f.write(b"not a database")
    res, data = run_eve(["-v", "-c", cfg, "-S", good, "-r", BASIC])
    expect(res.returncode == 0, "damaged cache: expected exit 0", res)
    expect(load_line(res)[1] < dbs, "damaged cache files must not be used")
    expect(alerts_by_sid(events_of(data)) == alerts0, "damaged cache changed the alerts")


def test_rule_cases_load_every_rule():
    # The rules_* pcap cases expect count 0 for their negative rules; that only proves
    # something when every rule of the case loads.
    files = sorted(glob.glob(os.path.join(SRC, "tests", "pcap", "rules_*", "test.rules")))
    expect(files, "no tests/pcap/rules_*/test.rules found under %s" % SRC)
    for path in files:
        res = run(["rules", "check", "--json", path])
        doc = json.loads(text(res.stdout))
        expect(doc.get("skipped") == [] and doc.get("loaded") == doc.get("total"),
               "%s: every rule must load, skipped: %r" % (os.path.relpath(path, SRC),
                                                         doc.get("skipped")), res)


def test_detectors_list_and_switches():
    res = run(["detectors"])
    out = text(res.stdout)
    expect(res.returncode == 0, "mamori detectors failed", res)
    names = set(re.findall(r"mamori_detector (\w+)", out))
    want = {"intel", "beacon", "portscan", "webscan", "flood", "latency", "bruteforce",
            "attachment", "weakpass"}
    expect(names == want, "detectors listed: %s, expected %s" % (sorted(names), sorted(want)))
    sigs = re.findall(r"gid:(\d+); sid:(\d+);", out)
    expect(sigs and all(g == "6100" for g, _ in sigs), "every signature has gid 6100", res)
    expect(len({s for _, s in sigs}) == len(sigs), "signature ids are unique", res)
    # The signatures are real rules: the rule checker loads every one of them.
    path = os.path.join(TMP, "detectors.rules")
    with open(path, "w") as f:
        f.write(out)
    chk = run(["rules", "check", "--json", path])
    doc = json.loads(text(chk.stdout))
    expect(doc["loaded"] == len(sigs) and not doc["skipped"], "signatures load as rules", chk)
    # A list that cannot be read stops the start with its name; nothing is written.
    res, data = run_eve(["-r", BASIC, "--intel", os.path.join(TMP, "no-such-list.txt")])
    expect(res.returncode == 2 and "no-such-list.txt" in text(res.stderr) and not data,
           "--intel with a missing file: exit 2 naming it, no output", res)
    # --no-detectors: the demo has every threat, yet no detector alert and no web rules.
    demo = os.path.join(SRC, "demo", "demo.pcap")
    res, data = run_eve(["-r", demo, "--no-detectors"])
    evs = events_of(data)
    expect(res.returncode == 0 and not [e for e in evs if e["event_type"] == "alert"],
           "--no-detectors writes no alert", res)
    stats = [e for e in evs if e["event_type"] == "stats"][-1]
    expect("detectors" not in stats["mamori"], "--no-detectors: no detector stats", res)


def test_enrichment_switch():
    # enrichment.enabled: no keeps HOME_NET membership only; GeoIP databases given with it are
    # a contradiction that stops the start, naming the setting, before anything is written.
    path = os.path.join(TMP, "enrich-off.yaml")
    with open(path, "w") as f:
        f.write("enrichment:\n  enabled: no\n")
    demo = os.path.join(SRC, "demo", "demo.pcap")
    res, data = run_eve(["-c", path, "-r", demo, "--geoip", os.path.join(TMP, "any.mmdb")])
    expect(res.returncode == 2 and "enrichment.enabled" in text(res.stderr) and not data,
           "enrichment.enabled: no with --geoip: exit 2 naming the setting, no output", res)
    res, data = run_eve(["-c", path, "-r", demo])
    evs = events_of(data)
    alerts = [e for e in evs if e["event_type"] == "alert"]
    expect(res.returncode == 0 and alerts, "enrichment.enabled: no still alerts", res)
    hosts = [e["mamori"][k] for e in alerts for k in ("src_host", "dest_host")
             if k in e["mamori"]]
    expect(hosts and all(set(h) <= {"ip", "internal"} for h in hosts),
           "enrichment.enabled: no: host objects carry only ip and internal", res)
    stats = [e for e in evs if e["event_type"] == "stats"][-1]["mamori"]["enrichment"]
    expect(stats["memcap"] == 0 and stats["oui_entries"] == 0,
           "enrichment.enabled: no: no tables, no registry (%s)" % stats, res)


def test_sample_config_matches_detectors():
    # etc/mamori.yaml ends with the detectors section `mamori detectors --config` prints: the
    # documented defaults are the code's, and the sample loads.
    res = run(["detectors", "--config"])
    with open(os.path.join(SRC, "etc", "mamori.yaml")) as f:
        sample = f.read()
    expect(res.returncode == 0 and sample.endswith(text(res.stdout)),
           "etc/mamori.yaml's detectors section differs from `mamori detectors --config` "
           "(regenerate it)", res)
    res, data = run_eve(["-c", os.path.join(SRC, "etc", "mamori.yaml"), "-r", BASIC])
    expect(res.returncode == 0 and data, "etc/mamori.yaml loads", res)


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]


def main():
    global MAMORI, SRC, TMP, BASIC
    ap = argparse.ArgumentParser(description="mamori command-line tests")
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("-k", default=None, help="run only tests whose name contains this")
    args = ap.parse_args()
    MAMORI = os.path.abspath(args.mamori)
    SRC = os.path.abspath(args.source_dir)
    BASIC = os.path.join(SRC, "tests", "pcap", "eth_ipv4_tcp_udp", "input.pcap")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="mm-cli-") as tmp:
        TMP = tmp
        for t in TESTS:
            if args.k and args.k not in t.__name__:
                continue
            try:
                t()
                print("ok   %s" % t.__name__)
            except AssertionError as e:
                failed += 1
                print("FAIL %s: %s" % (t.__name__, e))
            except Exception:  # a bug in the test or a hang: report, keep going
                failed += 1
                print("FAIL %s: %s" % (t.__name__, traceback.format_exc()))
    print("%d test(s) failed" % failed if failed else "all passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
