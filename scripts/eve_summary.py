#!/usr/bin/env python3
"""Print what an EVE file holds: events per type, flows per protocol and anomaly names.
usage: eve_summary.py EVE.json"""
import collections
import json
import sys

by_type = collections.Counter()
by_proto = collections.Counter()
anomalies = collections.Counter()
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        e = json.loads(line)
        t = e.get("event_type", "?")
        by_type[t] += 1
        if t == "flow":
            by_proto[e.get("proto", "?")] += 1
        elif t == "anomaly":
            anomalies[e["anomaly"]["event"]] += 1
print("events: " + ", ".join(f"{t} {n}" for t, n in by_type.most_common()))
print("flows:  " + ", ".join(f"{p} {n}" for p, n in by_proto.most_common()))
if anomalies:
    print("anomalies: " + ", ".join(f"{a} {n}" for a, n in anomalies.most_common()))
