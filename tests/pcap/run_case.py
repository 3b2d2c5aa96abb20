#!/usr/bin/env python3
"""Run mamori on one pcap test case and check its EVE output against the case's expect.yaml.

A case is a folder tests/pcap/<case>/ with the capture(s), a README.md and expect.yaml:

    # one line saying what the case checks
    input: input.pcap            # or a list: each file is run and checked on its own;
                                 # "shared:pcaps/x.pcap" names a file of ../shared/data
                                 # (the case is skipped, exit 77, when that is absent)
    # inputs_together: [a.pcap, b.pcap]   instead of input: one run with several -r
    args: []                     # extra mamori arguments (run in the case folder)
    exit_code: 0
    stderr_contains: []          # substrings that must appear on stderr
    checks:
      - filter: {event_type: flow, proto: TCP, "flow.pkts_toserver": 6}
        count: 1

A filter key is a dotted path into the event ("flow.pkts_toserver"; a key that itself contains
dots, such as "decoder.snaplen_truncated", is found too). Values compare exactly and by type
(1 does not match true); a list matches a list field exactly; null matches a field that is
absent. `count` is the exact number of events matching every key of the filter.

Every event is also validated against docs/eve.schema.json, and against Suricata's schema
(--suricata-schema, or $MM_SURICATA_SCHEMA) with the top-level "mamori" key removed, when that
file exists. Every line of eve.json must be one JSON object.

Usage: run_case.py --mamori BUILD/mamori --case DIR [--suricata-schema PATH] [--schema PATH]
Exit status: 0 when everything holds, 1 when a check fails, 2 when the case itself is broken.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")


class SkipCase(Exception):
    """The case needs ../shared/data, which is not present."""
DEFAULT_SCHEMA = os.path.join(os.path.dirname(os.path.dirname(HERE)), "docs", "eve.schema.json")
TOP_KEYS = {"input", "inputs_together", "args", "exit_code", "stderr_contains", "checks"}
RUN_TIMEOUT_S = 120
SHOW_EVENTS = 25      # events printed per failed check
SHOW_CHARS = 600      # characters printed per event
SHOW_SCHEMA_ERRORS = 10


class CaseError(Exception):
    """The case folder or its expect.yaml is unusable (not a mamori failure)."""


def load_case(case_dir):
    path = os.path.join(case_dir, "expect.yaml")
    try:
        with open(path) as f:
            spec = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise CaseError("%s: %s" % (path, e))
    if not isinstance(spec, dict):
        raise CaseError("%s: expected a mapping at the top level" % path)
    unknown = set(spec) - TOP_KEYS
    if unknown:
        raise CaseError("%s: unknown key(s) %s (known: %s)" % (path, sorted(unknown),
                                                              sorted(TOP_KEYS)))
    if ("input" in spec) == ("inputs_together" in spec):
        raise CaseError("%s: give exactly one of input and inputs_together" % path)
    if "input" in spec:
        inp = spec["input"]
        runs = [[inp]] if isinstance(inp, str) else [[i] for i in inp]
    else:
        runs = [list(spec["inputs_together"])]
    for n, run in enumerate(runs):
        for k, i in enumerate(run):
            if isinstance(i, str) and i.startswith("shared:"):
                i = run[k] = os.path.join(SHARED_DATA, i[len("shared:"):])
                if not os.path.exists(i):
                    raise SkipCase("skipped: shared data not present (%s)" % i)
            if not isinstance(i, str) or not os.path.exists(os.path.join(case_dir, i)):
                raise CaseError("%s: input %r does not exist" % (path, i))
    args = spec.get("args") or []
    if not isinstance(args, list) or not all(isinstance(a, (str, int)) for a in args):
        raise CaseError("%s: args must be a list of strings" % path)
    checks = spec.get("checks") or []
    for n, c in enumerate(checks, 1):
        if not isinstance(c, dict) or set(c) != {"filter", "count"} or \
                not isinstance(c["filter"], dict) or not isinstance(c["count"], int):
            raise CaseError("%s: check %d must be {filter: {...}, count: N}, got %r" % (path, n, c))
    stderr_contains = spec.get("stderr_contains") or []
    if isinstance(stderr_contains, str):
        stderr_contains = [stderr_contains]
    return {
        "runs": runs,
        "args": [str(a) for a in args],
        "exit_code": int(spec.get("exit_code", 0)),
        "stderr_contains": [str(s) for s in stderr_contains],
        "checks": checks,
    }


_MISSING = object()


def lookup(event, dotted):
    """Value at a dotted path, or _MISSING. At each level the longest key that matches wins, so
    keys containing dots are reachable."""
    parts = dotted.split(".")
    cur = event
    i = 0
    while i < len(parts):
        if not isinstance(cur, dict):
            return _MISSING
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in cur:
                cur = cur[key]
                i = j
                break
        else:
            return _MISSING
    return cur


def same(expected, actual):
    """Exact comparison that keeps bools, numbers and strings apart."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and expected == actual
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and \
            all(same(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(expected) == set(actual) and \
            all(same(expected[k], actual[k]) for k in expected)
    return type(expected) is type(actual) and expected == actual


def matches(event, flt):
    for k, want in flt.items():
        got = lookup(event, str(k))
        if want is None:
            if got is not _MISSING and got is not None:
                return False
        elif got is _MISSING or not same(want, got):
            return False
    return True


def make_validators(schema_path, suricata_path):
    vals = []
    with open(schema_path) as f:
        ours = json.load(f)
    cls = jsonschema.validators.validator_for(ours)
    cls.check_schema(ours)
    vals.append(("docs/eve.schema.json", cls(ours, format_checker=cls.FORMAT_CHECKER), False))
    if suricata_path and os.path.exists(suricata_path):
        with open(suricata_path) as f:
            suri = json.load(f)
        scls = jsonschema.validators.validator_for(suri)
        vals.append(("Suricata schema " + suricata_path, scls(suri), True))
    return vals


def short(obj):
    text = json.dumps(obj, separators=(",", ":")) if not isinstance(obj, str) else obj
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS] + "...(truncated)"


def run_one(mamori, case_dir, inputs, case, validators):
    """One mamori run; returns (failure messages, number of events)."""
    fails = []
    label = "+".join(inputs)
    with tempfile.TemporaryDirectory(prefix="mm-case-") as tmp:
        cmd = [mamori]
        for i in inputs:
            cmd += ["-r", os.path.join(os.path.abspath(case_dir), i)]
        cmd += ["-l", tmp] + case["args"]
        try:
            res = subprocess.run(cmd, cwd=case_dir, capture_output=True, text=True,
                                 timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return ["%s: mamori did not finish in %d s: %s" % (label, RUN_TIMEOUT_S,
                                                               " ".join(cmd))], 0
        eve_path = os.path.join(tmp, "eve.json")
        lines = []
        if os.path.exists(eve_path):
            with open(eve_path) as f:
                lines = f.read().splitlines()

    if res.returncode != case["exit_code"]:
        fails.append("%s: exit code %d, expected %d; stderr:\n%s" % (
            label, res.returncode, case["exit_code"], res.stderr.rstrip()))
    for s in case["stderr_contains"]:
        if s not in res.stderr:
            fails.append("%s: stderr does not contain %r; stderr:\n%s" % (label, s,
                                                                          res.stderr.rstrip()))

    events = []
    for n, line in enumerate(lines, 1):
        try:
            ev = json.loads(line)
        except ValueError as e:
            fails.append("%s: eve.json line %d is not JSON (%s): %s" % (label, n, e, short(line)))
            continue
        if not isinstance(ev, dict):
            fails.append("%s: eve.json line %d is not a JSON object: %s" % (label, n, short(line)))
            continue
        events.append(ev)

    # Schema validation of every event; report the first few distinct problems.
    for name, validator, strip_mamori in validators:
        shown = set()
        bad = 0
        for ev in events:
            doc = ev
            if strip_mamori and "mamori" in ev:
                doc = copy.copy(ev)
                del doc["mamori"]
            for err in validator.iter_errors(doc):
                bad += 1
                where = "/".join(str(p) for p in err.absolute_path) or "(top)"
                key = (ev.get("event_type"), where, err.message[:120])
                if key in shown or len(shown) >= SHOW_SCHEMA_ERRORS:
                    continue
                shown.add(key)
                fails.append("%s: %s event does not validate against %s at %s: %s\n    event: %s" %
                             (label, ev.get("event_type"), name, where, err.message[:300],
                              short(ev)))
        if bad > len(shown):
            fails.append("%s: %d schema error(s) against %s in all (%d shown)" % (
                label, bad, name, len(shown)))

    for n, c in enumerate(case["checks"], 1):
        got = sum(1 for ev in events if matches(ev, c["filter"]))
        if got != c["count"]:
            msg = "%s: check %d failed: filter %s expected count %d, actual %d" % (
                label, n, json.dumps(c["filter"]), c["count"], got)
            et = c["filter"].get("event_type")
            same_type = [ev for ev in events if et is None or ev.get("event_type") == et]
            msg += "\n    %d event(s) with event_type %s:" % (len(same_type), et or "(any)")
            for ev in same_type[:SHOW_EVENTS]:
                msg += "\n    " + short(ev)
            if len(same_type) > SHOW_EVENTS:
                msg += "\n    ... %d more" % (len(same_type) - SHOW_EVENTS)
            fails.append(msg)
    return fails, len(events)


def main():
    ap = argparse.ArgumentParser(description="Run one pcap test case (tests/pcap/<case>/).")
    ap.add_argument("--mamori", required=True, help="the mamori binary")
    ap.add_argument("--case", required=True, help="the case folder holding expect.yaml")
    ap.add_argument("--shared-data", help="../shared/data (for inputs named shared:...)")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA, help="mamori's schema (%(default)s)")
    ap.add_argument("--suricata-schema", default=os.environ.get("MM_SURICATA_SCHEMA"),
                    help="Suricata's etc/schema.json; skipped when the file does not exist")
    args = ap.parse_args()

    case_dir = os.path.abspath(args.case)
    global SHARED_DATA
    if args.shared_data:
        SHARED_DATA = args.shared_data
    try:
        case = load_case(case_dir)
    except SkipCase as e:
        print(e)
        return 77
    try:
        case = load_case(case_dir)
        validators = make_validators(args.schema, args.suricata_schema)
    except (CaseError, OSError, ValueError, jsonschema.SchemaError) as e:
        print("ERROR: %s" % e)
        return 2
    if not os.access(args.mamori, os.X_OK):
        print("ERROR: mamori binary %s is not executable" % args.mamori)
        return 2
    if len(validators) == 1:
        print("note: Suricata schema not checked (%s not present)" % args.suricata_schema)

    name = os.path.basename(case_dir)
    total_fails = 0
    for inputs in case["runs"]:
        fails, nev = run_one(args.mamori, case_dir, inputs, case, validators)
        label = "+".join(inputs)
        if fails:
            print("FAIL %s/%s (%d events, %d checks)" % (name, label, nev, len(case["checks"])))
            for f in fails:
                print("  " + f.replace("\n", "\n  "))
        else:
            print("ok   %s/%s (%d events, %d checks, schema%s)" % (
                name, label, nev, len(case["checks"]),
                "s: mamori + Suricata" if len(validators) > 1 else ": mamori"))
        total_fails += len(fails)
    return 1 if total_fails else 0


if __name__ == "__main__":
    sys.exit(main())
