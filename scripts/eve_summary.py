#!/usr/bin/env python3
"""Print what an EVE file holds: events per type, flows per protocol, anomaly names, and the
alerts grouped by threat (T1-T7 of docs/detectors.md) with one line per signature: how many,
attacker -> target of the first one.
usage: eve_summary.py EVE.json"""
import collections
import json
import sys

THREATS = {"T1": "botnet C2", "T2": "port scan", "T3": "web attack", "T4": "flood / service slowdown",
           "T5": "brute force / password spray", "T6": "malicious attachment",
           "T7": "weak password in cleartext"}

by_type = collections.Counter()
by_proto = collections.Counter()
anomalies = collections.Counter()
alerts = collections.OrderedDict()  # (threat, gid, sid) -> [count, first event]
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        e = json.loads(line)
        t = e.get("event_type", "?")
        by_type[t] += 1
        if t == "flow":
            by_proto[e.get("proto", "?")] += 1
        elif t == "anomaly":
            anomalies[e["anomaly"]["event"]] += 1
        elif t == "alert":
            a = e["alert"]
            md = a.get("metadata", {})
            threat = (md.get("mamori_threat") or ["-"])[0]
            # Detectors: one line per signature. Rules of the shipped web rule file: one line
            # per kind (sqli, probe_path ...), else the demo's scanner fills a page.
            if a["gid"] != 6100 and md.get("mamori_variant"):
                key = (threat, "rules", md["mamori_variant"][0])
            else:
                key = (threat, a["gid"], a["signature_id"])
            if key not in alerts:
                alerts[key] = [0, e, set()]
            alerts[key][0] += 1
            alerts[key][2].add(a["signature_id"])
print("events: " + ", ".join(f"{t} {n}" for t, n in by_type.most_common()))
print("flows:  " + ", ".join(f"{p} {n}" for p, n in by_proto.most_common()))
if anomalies:
    print("anomalies: " + ", ".join(f"{a} {n}" for a, n in anomalies.most_common()))
if alerts:
    print("alerts by threat:")
    for threat in sorted({k[0] for k in alerts}):
        print(f"  {threat} {THREATS.get(threat, 'other rules')}")
        for key, (n, ev, sids) in alerts.items():
            if key[0] != threat:
                continue
            a = ev["alert"]
            det = (a.get("metadata", {}).get("mamori_detector") or ["rules"])[0]
            src = ev.get("src_ip", "?")
            dst = ev.get("dest_ip", "?")
            if ev.get("dest_port"):
                dst += f":{ev['dest_port']}"
            if key[1] == "rules":
                what = f"{key[2]}: {len(sids)} signature(s), e.g. {a['signature']}"
            else:
                what = f"{a['signature']} ({a['gid']}:{a['signature_id']})"
            print(f"    {n:5d} x [{det}] {what}; first: {src} -> {dst}")
