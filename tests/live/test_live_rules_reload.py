#!/usr/bin/env python3
"""Rule reload on SIGHUP during a live capture on loopback.

Starts `mamori -i lo -S rules` with a rule for "alpha-token", sends one UDP datagram with
each token, rewrites the rule file (now "beta-token" only, plus a rule with a syntax error
that must be skipped), sends SIGHUP, waits for "rules: reloaded" on stderr, sends both
tokens again and stops with SIGTERM. Expected: alpha alerts once (before the reload), beta
once (after), the bad rule is reported and skipped. Then the same with a rule file that
cannot be read: the old rules stay in use. Then the threshold file (threshold-file), which
SIGHUP reads again too: three rules loaded, beta suppressed at first; after the reload alpha
is suppressed instead (alpha alerts once, before, and beta once, after), and a threshold line
replaces gamma's own threshold (limit 1: one alert before the reload; limit 2 after it: two of
three more), and the file's limit of one delta alert, in both versions of the file, keeps its
count across the reload (one delta alert in all); and a threshold file that cannot be read on
SIGHUP keeps the old lines. Bounded: a handful of datagrams to 127.0.0.1.
Skips (exit 0, with a line saying why) when live capture is not permitted.

usage: test_live_rules_reload.py --mamori PATH
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from livelib import StderrReader

ALPHA = 'alert udp any any -> any any (msg:"alpha"; content:"alpha-token"; sid:9101; rev:1;)\n'
BETA = 'alert udp any any -> any any (msg:"beta"; content:"beta-token"; sid:9102; rev:1;)\n'
BAD = 'alert udp any any -> any any (msg:"bad"; content:"unterminated; sid:9103;)\n'
GAMMA = ('alert udp any any -> any any (msg:"gamma"; content:"gamma-token"; '
         'threshold: type limit, track by_rule, count 1, seconds 3600; sid:9104; rev:1;)\n')
DELTA = 'alert udp any any -> any any (msg:"delta"; content:"delta-token"; sid:9105; rev:1;)\n'
# The threshold file's limit for delta, the same before and after the reload: its count
# carries over, so delta alerts once in all.
DELTA_LIMIT = "threshold gen_id 1, sig_id 9105, type limit, track by_rule, count 1, seconds 3600\n"


def send(tx, port, payload):
    tx.sendto(payload, ("127.0.0.1", port))
    time.sleep(0.2)


def alerts(eve):
    out = {}
    with open(eve, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["event_type"] == "alert":
                sid = e["alert"]["signature_id"]
                out[sid] = out.get(sid, 0) + 1
    return out


class Run:
    """mamori capturing one UDP port pair on loopback (extra arguments: rules, config), with
    the datagrams sent to it and its stop."""

    def __init__(self, mamori, tmp, eve, extra):
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.bind(("127.0.0.1", 0))
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tx.bind(("127.0.0.1", 0))
        sport, self.dport = self.tx.getsockname()[1], self.rx.getsockname()[1]
        args = [mamori, "-i", "lo", "-F", f"udp and port {sport} and port {self.dport}",
                "--eve", eve, "-v", "--stats-interval", "0", "--duration", "20"] + extra
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env)
        self.err = StderrReader(self.proc)
        if not self.err.wait_for("capturing on", 10):
            self.proc.kill()
            self.proc.wait()
            text = self.err.text()
            if "ermission" in text or "not permitted" in text:
                print("skipped: live capture not permitted here:", text.strip())
                sys.exit(0)
            raise AssertionError(f"mamori did not start capturing: {text}")
        time.sleep(0.5)

    def send(self, payload):
        send(self.tx, self.dport, payload)

    def sighup(self, want):
        """SIGHUP, then whether `want` appeared on stderr."""
        self.proc.send_signal(signal.SIGHUP)
        return self.err.wait_for(want, 10)

    def stop(self):
        """SIGTERM; stderr's text once mamori has exited 0."""
        time.sleep(0.3)
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15)
        self.err.t.join(timeout=5)
        self.tx.close()
        self.rx.close()
        text = self.err.text()
        assert rc == 0, f"exit {rc}: {text}"
        return text


def run(mamori, tmp, unreadable):
    rules = os.path.join(tmp, "reload.rules")
    eve = os.path.join(tmp, "eve-%d.json" % unreadable)
    with open(rules, "w") as f:
        f.write(ALPHA)
    r = Run(mamori, tmp, eve, ["-S", rules])
    r.send(b"alpha-token 1")
    r.send(b"beta-token 1")
    if unreadable:
        os.rename(rules, rules + ".gone")
    else:
        with open(rules, "w") as f:
            f.write(BETA + BAD)
    want = "reload failed" if unreadable else "rules: reloaded"
    ok = r.sighup(want)
    r.send(b"alpha-token 2")
    r.send(b"beta-token 2")
    text = r.stop()
    assert ok, f"no '{want}' after SIGHUP: {text}"
    got = alerts(eve)
    if unreadable:
        assert got == {9101: 2}, f"old rules should stay in use: {got}"
        print("ok: an unreadable rule file on SIGHUP keeps the old rules")
    else:
        assert "sid 9103" in text, f"the bad rule was not reported: {text}"
        assert got == {9101: 1, 9102: 1}, f"expected alpha before and beta after: {got}"
        print("ok: SIGHUP reloads the rules (bad rule skipped)")


def run_suppress(mamori, tmp, unreadable):
    rules = os.path.join(tmp, "both.rules")
    thr = os.path.join(tmp, "threshold.config")
    conf = os.path.join(tmp, "mamori.yaml")
    eve = os.path.join(tmp, "eve-suppress-%d.json" % unreadable)
    with open(rules, "w") as f:
        f.write(ALPHA + BETA + GAMMA + DELTA)
    with open(thr, "w") as f:
        f.write("suppress gen_id 1, sig_id 9102\n" + DELTA_LIMIT)
    with open(conf, "w") as f:
        f.write("threshold-file: %s\n" % thr)
    r = Run(mamori, tmp, eve, ["-c", conf, "-S", rules, "--no-detectors"])
    r.send(b"alpha-token 1")
    r.send(b"beta-token 1")
    r.send(b"gamma-token 1")
    r.send(b"delta-token 1")
    if unreadable:
        os.rename(thr, thr + ".gone")
        want = "threshold file: reload failed"
    else:
        with open(thr, "w") as f:
            f.write("suppress gen_id 1, sig_id 9101\n"
                    "threshold gen_id 1, sig_id 9104, type limit, track by_rule, count 2, "
                    "seconds 3600\n" + DELTA_LIMIT)
        want = "1 suppress, 2 threshold and 0 rate_filter lines in use"
    ok = r.sighup(want)
    r.send(b"alpha-token 2")
    r.send(b"beta-token 2")
    for i in range(3):
        r.send(b"gamma-token %d" % (i + 2))
    r.send(b"delta-token 2")
    text = r.stop()
    assert ok, f"no '{want}' after SIGHUP: {text}"
    got = alerts(eve)
    if unreadable:
        assert got == {9101: 2, 9104: 1, 9105: 1}, f"the old lines should stay in use: {got}"
        print("ok: an unreadable threshold file on SIGHUP keeps the old lines")
    else:
        assert got == {9101: 1, 9102: 1, 9104: 3, 9105: 1}, \
            f"expected alpha before, beta after, gamma 1 + 2, delta once: {got}"
        print("ok: SIGHUP reloads the threshold file (suppress and threshold lines; counts kept)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(a.mamori, tmp, unreadable=False)
        run(a.mamori, tmp, unreadable=True)
        run_suppress(a.mamori, tmp, unreadable=False)
        run_suppress(a.mamori, tmp, unreadable=True)


if __name__ == "__main__":
    main()
