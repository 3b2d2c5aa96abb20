#!/usr/bin/env python3
"""Live capture between two network namespaces joined by a veth pair.

The test creates its own hosts (TEST-NET-2 addresses 198.51.100.1 and 198.51.100.2 in
namespaces it makes and removes), runs a small TCP server in one, and has mamori capture on
the other end's veth while a client opens BOUNDED_CONNECTIONS connections, each sending a
request and reading the reply, then closing. Unlike loopback, veth with offloads turned off
carries valid checksums, so this also checks that a real exchange shows no checksum errors.

Asserts: one TCP flow per connection, client 198.51.100.1 -> server 198.51.100.2:8080,
state closed with the handshake and FINs seen, packet counts in both directions, no decoder
anomalies and no bad checksums. Skips (exit 0 with a line saying why) where namespaces
cannot be created (not root, no iproute2, restricted sandbox).

usage: test_live_netns.py --mamori PATH
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from livelib import netns_setup_or_skip

NS_CLI, NS_SRV = "mm-test-cli-%d" % os.getpid(), "mm-test-srv-%d" % os.getpid()
VETH_CLI, VETH_SRV = "mmc%d" % (os.getpid() % 100000), "mms%d" % (os.getpid() % 100000)
IP_CLI, IP_SRV, PORT = "198.51.100.1", "198.51.100.2", 8080
BOUNDED_CONNECTIONS = 3

SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8); s.settimeout(20)
for _ in range(int(sys.argv[3])):
    c, _ = s.accept()
    c.recv(1024); c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"); c.close()
"""

CLIENT = r"""
import socket, sys, time
for i in range(int(sys.argv[3])):
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    c.sendall(b"GET /%d HTTP/1.0\r\nHost: test\r\n\r\n" % i)
    while c.recv(1024):
        pass
    c.close(); time.sleep(0.1)
"""


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=check)


def setup():
    sh("ip", "netns", "add", NS_CLI)
    sh("ip", "netns", "add", NS_SRV)
    sh("ip", "link", "add", VETH_CLI, "netns", NS_CLI, "type", "veth", "peer", "name",
       VETH_SRV, "netns", NS_SRV)
    for ns, dev, ip in ((NS_CLI, VETH_CLI, IP_CLI), (NS_SRV, VETH_SRV, IP_SRV)):
        sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev)
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        if shutil.which("ethtool"):  # valid checksums on the wire
            sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "rx", "off",
               check=False)


def teardown():
    for ns in (NS_CLI, NS_SRV):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    a = ap.parse_args()
    why = netns_setup_or_skip(setup, teardown)
    if why:
        print("skipped:", why)
        return 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            eve = os.path.join(tmp, "eve.json")
            srv = subprocess.Popen(["ip", "netns", "exec", NS_SRV, sys.executable, "-c", SERVER,
                                    IP_SRV, str(PORT), str(BOUNDED_CONNECTIONS)])
            mm = subprocess.Popen(["ip", "netns", "exec", NS_CLI, a.mamori, "-i", VETH_CLI,
                                   "--eve", eve, "-q", "--stats-interval", "0"],
                                  stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            if mm.poll() is not None:
                raise AssertionError("mamori exited early: " + mm.stderr.read())
            sh("ip", "netns", "exec", NS_CLI, sys.executable, "-c", CLIENT, IP_SRV, str(PORT),
               str(BOUNDED_CONNECTIONS))
            srv.wait(timeout=20)
            time.sleep(0.5)
            mm.send_signal(signal.SIGTERM)
            rc = mm.wait(timeout=15)
            err = mm.stderr.read()
            assert rc == 0, "mamori exit %d: %s" % (rc, err)
            with open(eve) as f:
                events = [json.loads(l) for l in f]
    finally:
        teardown()

    flows = [e for e in events if e["event_type"] == "flow" and e["proto"] == "TCP"]
    assert len(flows) == BOUNDED_CONNECTIONS, "expected %d TCP flows, got %d: %s" % (
        BOUNDED_CONNECTIONS, len(flows), flows)
    for f in flows:
        assert (f["src_ip"], f["dest_ip"], f["dest_port"]) == (IP_CLI, IP_SRV, PORT), f
        assert f["in_iface"] == VETH_CLI, f
        assert f["flow"]["state"] == "closed" and f["tcp"]["state"] == "closed", f
        assert f["tcp"].get("syn") and f["tcp"].get("fin"), f
        assert f["flow"]["pkts_toserver"] >= 4 and f["flow"]["pkts_toclient"] >= 3, f
        assert f["flow"]["bytes_toclient"] > 0, f
    anomalies = [e for e in events if e["event_type"] == "anomaly"]
    assert not anomalies, "unexpected anomalies: %s" % anomalies[:3]
    stats = [e for e in events if e["event_type"] == "stats"][-1]
    bad = stats["mamori"]["decoder"]["checksum_bad"]
    if shutil.which("ethtool"):
        assert not any(bad.values()), "bad checksums on veth with offloads off: %s" % bad
    print("ok: %d TCP connections between namespaces seen as closed flows%s" % (
        len(flows), "" if shutil.which("ethtool") else " (ethtool absent: checksums not checked)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
