#!/usr/bin/env python3
"""Validate the events test_eve_alert writes against docs/eve.schema.json and Suricata's schema.

Runs the test program with MM_EVE_ALERT_DUMP set, so that every event line it writes (alerts
of every kind, stats with detection counters) is collected, then validates each line against
our schema and, when the file exists, against Suricata's schema with the top-level "mamori"
object removed (as tests/pcap/run_case.py does). Before that it checks that the validators
reject a few broken alerts, so that a schema that accepts anything cannot pass.

Usage: check_eve_alert_schema.py --test BUILD/test_eve_alert --schema docs/eve.schema.json
                                 [--suricata-schema ../shared/data/eve-schema.json]
Exit status: 0 all valid, 1 a line is invalid or a broken alert was accepted, 77 when the
jsonschema module is missing.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("python3 jsonschema not installed: skipped")
    sys.exit(77)


def validator(path):
    with open(path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(val, event, strip_mamori):
    ev = copy.deepcopy(event)
    if strip_mamori:
        ev.pop("mamori", None)
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
            for e in val.iter_errors(ev)]


def broken_variants(alert):
    """Alerts our schema must reject."""
    out = []
    a = copy.deepcopy(alert)
    a["alert"]["action"] = "blocked"
    out.append(("action not allowed", a))
    a = copy.deepcopy(alert)
    del a["alert"]["signature_id"]
    out.append(("no signature_id", a))
    a = copy.deepcopy(alert)
    a["alert"]["metadata"] = {"tag": []}
    out.append(("empty metadata list", a))
    a = copy.deepcopy(alert)
    a["mamori"] = {"rule_action": "alert"}
    out.append(("rule_action alert", a))
    a = copy.deepcopy(alert)
    a["flow"]["end"] = a["flow"]["start"]
    out.append(("flow.end in an alert", a))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--suricata-schema")
    args = ap.parse_args()

    vals = [("docs/eve.schema.json", validator(args.schema), False)]
    if args.suricata_schema and os.path.exists(args.suricata_schema):
        vals.append(("Suricata schema", validator(args.suricata_schema), True))
    else:
        print("Suricata schema not found: validating against ours only")

    with tempfile.TemporaryDirectory(prefix="mm-eve-alert-") as tmp:
        dump = os.path.join(tmp, "events.json")
        env = dict(os.environ, MM_EVE_ALERT_DUMP=dump)
        res = subprocess.run([args.test], env=env, capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            print("test program failed (%d):\n%s%s" % (res.returncode, res.stdout, res.stderr))
            return 1
        with open(dump) as f:
            lines = f.read().splitlines()

    fails = 0
    kinds = {}
    first_alert = None
    for n, line in enumerate(lines, 1):
        ev = json.loads(line)
        kinds[ev["event_type"]] = kinds.get(ev["event_type"], 0) + 1
        if ev["event_type"] == "alert" and "flow" in ev and first_alert is None:
            first_alert = ev
        for name, val, strip in vals:
            for e in errors(val, ev, strip)[:5]:
                fails += 1
                print("line %d (%s) invalid against %s: %s\n  %s" % (
                    n, ev["event_type"], name, e, line[:400]))

    if first_alert is None:
        print("no alert with a flow among the events")
        return 1
    ours = vals[0][1]
    for what, bad in broken_variants(first_alert):
        if not errors(ours, bad, False):
            fails += 1
            print("docs/eve.schema.json accepts a broken alert (%s)" % what)

    print("%d events (%s), %d problems" % (
        len(lines), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
