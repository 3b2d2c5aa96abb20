#!/usr/bin/env python3
"""Run mamori on the suricata-verify sample (../shared/data/suricata-verify-sample) and check
the alerts each test expects.

For every test folder with a test.yaml (nested ones such as mime/<name> included):

  skipped, with the reason printed, when
    - `requires:` asks for what mamori lacks: min-version above 8 (mamori follows Suricata 8's
      rule language), another exact version, a feature not in FEATURES, files, env, script,
      lua, config, or a pcap-less `command` test;
    - it has no rules (no `rules:` text and no *.rules file), or several rule files;
    - its suricata.yaml or its `args:` need settings mamori cannot reproduce (HARMLESS_ARGS
      and harmless_setting() list what is accepted; address/port variables are passed on
      with -c);
    - `mamori rules check --json` skips any of its rules (a keyword mamori does not run);
    - none of its checks is a filter on event_type alert;

  otherwise run: `mamori -r PCAP -S RULES -l TMP [-c VARS]` in the test folder (PCAP from
  `pcap:` or the folder's only *.pcap/*.pcapng), then evaluate every `filter` check whose
  match has `event_type: alert`: the number of eve.json events matching all of `match`
  (dotted paths, `name[N]` list indexes, has-key / not-has-key, values compared exactly as
  suricata-verify does) must equal `count` (or be below `lt` / above `gt`). Checks on other
  event types, `shell`, `stats` and file checks are counted as "not evaluated".

A case passes when all its alert checks pass and it had at least one. The table lists every
case; the last line is "suricata-verify: P passed of A attempted (S skipped)".

tests/pcap/suricata_verify_expected.txt names the cases that must pass (one per line, #
comments): the script exits 1 when one of them does not pass (also when it is skipped),
else 0. --list-results prints the names of the passing cases in that file's format.
Exit 77 when the shared data is absent ("skipped: shared data not present").

Usage: test_suricata_verify.py --mamori BIN --shared-data DIR [--expected FILE]
                               [--list-results] [-k SUBSTRING] [-v]
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_case import same  # noqa: E402  (exact, type-keeping comparison of values)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_EXPECTED = os.path.join(HERE, "suricata_verify_expected.txt")
RUN_TIMEOUT_S = 120
MAMORI_MAJOR = 8
# build-info features of Suricata that mamori has (JA3/JA4 fingerprints in TLS).
FEATURES = {"HAVE_JA3", "HAVE_JA4"}
# Command-line arguments of tests that do not change which alerts are written.
HARMLESS_ARGS = [
    r"-k\s+none",
    r"--runmode(=|\s+)(single|autofp|workers)",
    r"--data-dir=\S+",
    r"--set\s+stream\.midstream=true",
    r"--set\s+app-layer\.protocols\.tls\.ja4-fingerprints=(yes|true)",
    r"--set\s+app-layer\.protocols\.tls\.ja3-fingerprints=(yes|true)",
    r"--set\s+stats\.decoder-events=true",
    r"--set\s+packet-alert-max=\d+",
    r"--set\s+stream\.reassembly\.depth=1mb",
]
SHOW_EVENTS = 6


class Skip(Exception):
    pass


# ----------------------------------------------------------------------------- test.yaml


def parse_version(v):
    m = re.match(r"\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(v))
    if not m:
        return None
    return tuple(int(x) if x is not None else None for x in m.groups())


def check_requires(cfg):
    req = cfg.get("requires") or {}
    if not isinstance(req, dict):
        raise Skip("unreadable requires: block")
    for key, val in req.items():
        if key == "min-version":
            v = parse_version(val)
            if v is None or v[0] > MAMORI_MAJOR:
                raise Skip("requires Suricata >= %s" % val)
        elif key == "version":
            v = parse_version(val)
            if v is None or v[0] != MAMORI_MAJOR:
                raise Skip("only for Suricata %s" % val)
        elif key == "features":
            missing = [f for f in (val or []) if f not in FEATURES]
            if missing:
                raise Skip("requires feature %s" % ", ".join(missing))
        elif key == "pcap":
            if val is False or "command" in cfg:
                raise Skip("runs a command, not a capture")
        elif key in ("lt-version", "lt-version-major"):
            v = parse_version(val)
            if v is None or v[0] <= MAMORI_MAJOR:
                raise Skip("only for Suricata < %s" % val)
        else:
            raise Skip("requires %s" % key)
    if "command" in cfg:
        raise Skip("runs a custom command")
    for s in cfg.get("skip") or []:
        if isinstance(s, dict) and s.get("feature") in FEATURES:
            raise Skip("skipped for feature %s" % s["feature"])


def check_args(cfg):
    args = cfg.get("args") or []
    if isinstance(args, str):
        args = [args]
    text = " ".join(str(a) for a in args)
    for pat in HARMLESS_ARGS:
        text = re.sub(pat, " ", text)
    if text.strip():
        raise Skip("argument(s) mamori cannot reproduce: %s" % text.strip())


def _flatten(obj, prefix=""):
    """(dotted key, value) leaves of a YAML tree; list items keep their parent's key."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(v, "%s.%s" % (prefix, k) if prefix else str(k))
    elif isinstance(obj, list):
        for v in obj:
            yield from _flatten(v, prefix)
    else:
        yield prefix, obj


HARMLESS_SETTINGS = [
    r"logging\..*", r"outputs\.fast\..*", r"outputs\.stats\..*", r"stats\..*",
    r"outputs\.eve-log\.(enabled|filename|filetype)",
    r"outputs\.eve-log\.types",
    r"outputs\.eve-log\.types\.alert\.(http|tls|ssh|smtp|dnp3|flow|app-layer)",
    # other event types: their checks are not evaluated
    r"outputs\.eve-log\.types\.(?!alert)[a-z0-9_-]+(\..*)?",
    r"pcap-file\.checksum-checks",
    r"vars\.(address|port)-groups\.[A-Z_]+",
]


def harmless_setting(key, value):
    if re.fullmatch(r"app-layer\.protocols\.[a-z0-9]+\.enabled", key):
        return str(value).lower() in ("yes", "true", "detection-only")
    return any(re.fullmatch(p, key) for p in HARMLESS_SETTINGS)


def read_suricata_yaml(path):
    """(address/port variables to pass with -c) or raise Skip."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"^%YAML.*$", "", text, flags=re.M)
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise Skip("suricata.yaml unreadable: %s" % e)
    if not isinstance(doc, dict):
        raise Skip("suricata.yaml is not a mapping")
    bad = sorted({k for k, v in _flatten(doc) if not harmless_setting(k, v)})
    if bad:
        raise Skip("suricata.yaml settings mamori cannot reproduce: %s" % ", ".join(bad[:4]) +
                   (" ..." if len(bad) > 4 else ""))
    for out in doc.get("outputs") or []:
        if isinstance(out, dict) and "eve-log" in out:
            types = (out["eve-log"] or {}).get("types")
            names = [t if isinstance(t, str) else next(iter(t)) for t in (types or [])
                     if isinstance(t, (str, dict)) and t]
            if types is not None and "alert" not in names:
                raise Skip("its eve-log writes no alert events")
    return (doc.get("vars") or {}) if isinstance(doc.get("vars"), dict) else {}


def find_rules(tdir, cfg, tmp):
    if "rules" in cfg:
        val = str(cfg["rules"])
        cand = os.path.normpath(os.path.join(tdir, val))
        if "\n" not in val and os.path.isfile(cand):
            return cand
        path = os.path.join(tmp, "test.rules")
        with open(path, "w") as f:
            f.write(val + "\n")
        return path
    rules = sorted(glob.glob(os.path.join(tdir, "*.rules")))
    if not rules:
        raise Skip("no rules")
    if len(rules) > 1:
        raise Skip("several rule files")
    return rules[0]


def find_pcap(tdir, cfg):
    if "pcap" in cfg:
        p = os.path.normpath(os.path.join(tdir, str(cfg["pcap"])))
        if not os.path.isfile(p):
            raise Skip("pcap %s not present" % cfg["pcap"])
        return p
    pcaps = sorted(glob.glob(os.path.join(tdir, "*.pcap")) +
                   glob.glob(os.path.join(tdir, "*.pcapng")))
    if len(pcaps) != 1:
        raise Skip("no pcap" if not pcaps else "several pcaps")
    return pcaps[0]


def alert_checks(cfg):
    """(alert filter checks, number of checks not evaluated)."""
    alerts, other = [], 0
    for chk in cfg.get("checks") or []:
        if not isinstance(chk, dict):
            other += 1
            continue
        for kind, body in chk.items():
            if kind == "filter" and isinstance(body, dict) and \
                    isinstance(body.get("match"), dict) and \
                    body["match"].get("event_type") == "alert" and \
                    "filename" not in body:
                alerts.append(body)
            else:
                other += 1
    return alerts, other


# ----------------------------------------------------------------------------- matching

_MISSING = object()


def find_value(event, dotted):
    """Value at a dotted path with optional [N] list indexes; the longest key that exists
    wins at each level, so keys that contain dots are found too."""
    parts = dotted.split(".")
    cur = event
    i = 0
    while i < len(parts):
        if not isinstance(cur, dict):
            return _MISSING
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            m = re.fullmatch(r"(.*)\[(\d+)\]", key)
            name, index = (m.group(1), int(m.group(2))) if m else (key, None)
            if name in cur:
                cur = cur[name]
                if index is not None:
                    if not isinstance(cur, list) or index >= len(cur):
                        return _MISSING
                    cur = cur[index]
                i = j
                break
        else:
            return _MISSING
    return cur


def matches(event, match):
    for key, want in match.items():
        if key == "has-key":
            if find_value(event, str(want)) is _MISSING:
                return False
        elif key == "not-has-key":
            if find_value(event, str(want)) is not _MISSING:
                return False
        else:
            got = find_value(event, str(key))
            if got is _MISSING:
                if want is not None:
                    return False
            elif not same(want, got):
                return False
    return True


def field_diffs(check, events):
    """For -v: the fields of `match` that differ on the events of the same signature."""
    sid = check["match"].get("alert.signature_id")
    near = [e for e in events if e.get("event_type") == "alert" and
            (sid is None or find_value(e, "alert.signature_id") == sid)]
    out = []
    for e in near[:3]:
        diffs = []
        for key, want in check["match"].items():
            if key in ("has-key", "not-has-key"):
                if not matches(e, {key: want}):
                    diffs.append("%s %s" % (key, want))
                continue
            got = find_value(e, str(key))
            if (got is _MISSING and want is not None) or \
                    (got is not _MISSING and not same(want, got)):
                diffs.append("%s: want %s, got %s" % (
                    key, json.dumps(want, default=str)[:120],
                    "(absent)" if got is _MISSING else json.dumps(got, default=str)[:120]))
        out.append("; ".join(diffs) or "(all fields match)")
    return out


def evaluate(check, events):
    """(ok, description)."""
    got = sum(1 for ev in events if matches(ev, check["match"]))
    if "count" in check:
        ok, want = got == check["count"], "%d" % check["count"]
    elif "lt" in check:
        ok, want = got < check["lt"], "< %d" % check["lt"]
    elif "gt" in check:
        ok, want = got > check["gt"], "> %d" % check["gt"]
    else:
        ok, want = got > 0, ">= 1"
    return ok, "expected %s, got %d: %s" % (want, got, json.dumps(check["match"],
                                                                 sort_keys=True, default=str))


# ----------------------------------------------------------------------------- running


def write_vars_config(vars_, path):
    """mamori -c file with the test's address and port variables."""
    lines = ["vars:"]
    for group in ("address-groups", "port-groups"):
        g = vars_.get(group) or {}
        if g:
            lines.append("  %s:" % group)
            for k, v in g.items():
                lines.append("    %s: %s" % (k, json.dumps(str(v))))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def rules_check(mamori, rules):
    res = subprocess.run([mamori, "rules", "check", "--json", rules], capture_output=True,
                         text=True, timeout=RUN_TIMEOUT_S)
    try:
        doc = json.loads(res.stdout)
    except ValueError:
        raise RuntimeError("`mamori rules check --json %s` gave no JSON (exit %d): %s" % (
            os.path.basename(rules), res.returncode, (res.stderr or res.stdout).strip()[:300]))
    return doc


def run_case(mamori, tdir, cfg, verbose):
    """Returns (status, detail, alert checks passed, alert checks, not evaluated)."""
    with tempfile.TemporaryDirectory(prefix="mm-sv-") as tmp:
        check_requires(cfg)
        check_args(cfg)
        vars_ = {}
        if os.path.exists(os.path.join(tdir, "suricata.yaml")):
            vars_ = read_suricata_yaml(os.path.join(tdir, "suricata.yaml"))
        rules = find_rules(tdir, cfg, tmp)
        pcap = find_pcap(tdir, cfg)
        checks, other = alert_checks(cfg)
        if not checks:
            raise Skip("no alert checks (%d other checks not evaluated)" % other)
        doc = rules_check(mamori, rules)
        skipped = doc.get("skipped") or []
        if skipped:
            s = skipped[0]
            raise Skip("rules check skips %d of %s rules (sid %s: %s)" % (
                len(skipped), doc.get("total"), s.get("sid"), s.get("reason")))
        cmd = [mamori, "-r", pcap, "-S", rules, "-l", tmp]
        if vars_:
            cpath = os.path.join(tmp, "vars.yaml")
            write_vars_config(vars_, cpath)
            cmd += ["-c", cpath]
        res = subprocess.run(cmd, cwd=tdir, capture_output=True, text=True,
                             timeout=RUN_TIMEOUT_S)
        events = []
        eve = os.path.join(tmp, "eve.json")
        if os.path.exists(eve):
            with open(eve) as f:
                for line in f:
                    try:
                        events.append(json.loads(line))
                    except ValueError:
                        pass
        if res.returncode != 0:
            return ("FAIL", "mamori exit %d: %s" % (res.returncode, res.stderr.strip()[:300]),
                    0, len(checks), other)
        fails = []
        for chk in checks:
            ok, desc = evaluate(chk, events)
            if not ok:
                if verbose:
                    for d in field_diffs(chk, events):
                        desc += "\n        differs: " + d
                fails.append(desc)
        passed = len(checks) - len(fails)
        if fails:
            detail = "; ".join(fails[:3]) + (" ..." if len(fails) > 3 else "")
            if verbose:
                alerts = [e for e in events if e.get("event_type") == "alert"]
                detail += "\n      %d alert event(s):" % len(alerts)
                for e in alerts[:SHOW_EVENTS]:
                    a = e.get("alert", {})
                    detail += "\n        sid %s %s:%s -> %s:%s tx_id=%s" % (
                        a.get("signature_id"), e.get("src_ip"), e.get("src_port"),
                        e.get("dest_ip"), e.get("dest_port"), e.get("tx_id"))
            return "FAIL", detail, passed, len(checks), other
        return "PASS", "", passed, len(checks), other


def find_tests(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if "test.yaml" in filenames:
            out.append(os.path.relpath(dirpath, root))
    return sorted(out)


def load_expected(path):
    names = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    names.append(line)
    return names


def main():
    ap = argparse.ArgumentParser(description="suricata-verify alert checks against mamori")
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--shared-data", required=True)
    ap.add_argument("--expected", default=DEFAULT_EXPECTED,
                    help="cases that must pass (default %(default)s)")
    ap.add_argument("--list-results", action="store_true",
                    help="also print the passing cases, one per line (expectation format)")
    ap.add_argument("-k", help="only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="show alerts of failing cases")
    a = ap.parse_args()

    # Cases run in their own folders: every path given must survive the change of directory.
    root = os.path.join(os.path.abspath(a.shared_data), "suricata-verify-sample", "tests")
    if not os.path.isdir(root):
        print("skipped: shared data not present")
        return 77
    mamori = os.path.abspath(a.mamori)
    if not os.access(mamori, os.X_OK):
        print("ERROR: mamori binary %s is not executable" % mamori)
        return 2

    results = {}
    width = max([len(n) for n in find_tests(root)] + [10])
    for name in find_tests(root):
        if a.k and a.k not in name:
            continue
        tdir = os.path.join(root, name)
        try:
            with open(os.path.join(tdir, "test.yaml")) as f:
                cfg = yaml.safe_load(f) or {}
            if not isinstance(cfg, dict):
                raise Skip("test.yaml is not a mapping")
            status, detail, ok, n, other = run_case(mamori, tdir, cfg, a.v)
            detail = ("alert checks %d/%d, %d not evaluated" % (ok, n, other) +
                      ("; " + detail if detail else ""))
        except Skip as e:
            status, detail = "SKIP", str(e)
        except (OSError, RuntimeError, subprocess.TimeoutExpired, yaml.YAMLError) as e:
            status, detail = "FAIL", "error: %s" % e
        results[name] = status
        print("%-4s  %-*s  %s" % (status, width, name, detail))

    attempted = sum(1 for s in results.values() if s != "SKIP")
    passed = sum(1 for s in results.values() if s == "PASS")
    skipped = sum(1 for s in results.values() if s == "SKIP")
    print("suricata-verify: %d passed of %d attempted (%d skipped)" % (passed, attempted,
                                                                      skipped))
    if a.list_results:
        print("# passing cases (suricata_verify_expected.txt format):")
        for name, s in sorted(results.items()):
            if s == "PASS":
                print(name)

    missing = [n for n in load_expected(a.expected)
               if (not a.k or a.k in n) and results.get(n) != "PASS"]
    for n in missing:
        print("EXPECTED TO PASS: %s (%s)" % (n, results.get(n, "not found")))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
