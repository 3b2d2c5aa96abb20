#!/usr/bin/env python3
"""The built-in detectors, live, against real attack tools and real servers.

The test builds its own two-host network: namespace "attacker" (TEST-NET-3, 203.0.113.0/24)
and namespace "server" (TEST-NET-2, the victim 198.51.100.10/24), joined by one veth pair with
offloads off (valid checksums), each side with an on-link route to the other /24. Nothing
else is ever addressed. In the server namespace run Dovecot (POP3 110, IMAP 143, private
configuration and passwd-file in the temp dir, plaintext logins without TLS) and a stdlib HTTP
server (port 80: "/" and /item.php?id= answer 200, every other path 404). mamori captures on
the victim's veth with HOME_NET 198.51.100.0/24 and all detector settings at their defaults,
writes EVE to a temp file and is stopped with SIGTERM when the tools are done.

Scenarios, each from its own attacker address so that every alert can be attributed
(exact counts unless said otherwise):
  1. nmap -sS (100 ports), -sU (12 ports), -sF, -sN, -sX (5 ports each) -> T2 portscan: one
     vertical-scan alert (6100:2001) per scanner, scan_type syn/udp/fin/null/xmas. Then
     nmap -sn -PE --disable-arp-ping --send-ip, a ping sweep of the victim and 15 addresses
     that exist nowhere (198.51.100.100-114: the attacker's neighbour table sends their
     frames to the victim's MAC, whose kernel drops them, so the pings leave the attacker as
     they would through a router) -> one host-sweep alert (6100:2005), scan_type ping, 16
     hosts, the victim up. Then nmap -sn on the local segment (198.51.100.0/26: an ARP ping
     from its own address, as nmap does on a directly connected network) -> one ARP-sweep
     alert (6100:2006), the victim the one address that answered. No portscan alert from any
     other source (the flood's spoofed sources, the login tools).
  2. hping3 -S -p 80 -i u200 -c 3000 --rand-source (3000 spoofed SYNs in 0.6 s; the spoofed
     packets exist only on the test's veth) -> one T4 SYN flood alert (6100:4001) on
     victim:80, at least syn-rate (200) SYNs, mostly half-open. Then hping3 -A -p 80 -i u200
     -c 3000 --rand-source (3000 spoofed ACKs in 0.6 s, none of any connection) -> one T4
     ACK flood alert (6100:4007) on the victim. Then hping3 --icmp -i u500 -c 1500 from its
     own address (1500 echo requests in 0.75 s, each answered) -> one T4 ICMP flood alert
     (6100:4006) on the victim naming that address, and none on the attacker for the
     victim's replies.
  3. hydra -l alice -P <30 wrong passwords, then "alice2024"> -t 1 pop3:// -> T5 brute force
     (6100:5001, 20 failures when reported, 30 in its final update), success after it
     (6100:5004, account alice) and T7 weak password (6100:7001, alice, outcome success,
     rule contains_user). No password (alice's, the spray's, the wrong ones) appears in the
     EVE file or on mamori's stderr.
  4. hydra -L <25 users> -p Spring2024! -t 4 imap:// -> T5 password spray (6100:5002, 4
     accounts when reported, 25 in its final update, with as many failures as Dovecot's log
     shows refused logins from the sprayer: auth_verbose is on for that count).
  5. nikto is not packaged in Debian bookworm main, so its traffic is emulated with curl:
     nikto 2.1.6's User-Agent ("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:NNNNNN)") and
     30 of the kind of paths it asks for (/.env, /.git/config, /wp-login.php, ...), all 404
     -> T3 web rules: the Nikto agent once (limit per pair), one probe_path alert for each
     of the 15 probes the rules know (sid per path), http_outcome client_error; and the
     webscan 4xx burst (6100:3001, min-4xx 20 is met). Then sqlmap --batch --technique=B
     --level 1 against /item.php?id=1 -> the sqlmap agent once and at least one sqli alert
     (how many depends on sqlmap's version: 21 with sqlmap 1.7.2). Every web rule alert
     carries mamori.http_outcome.
Also checked: every flow mamori saw has the victim at one end and an attacker address (or a
spoofed flood source) at the other; no bad checksums; no detector hit its memcap. A run
takes about 35 s.

Two server settings differ from Dovecot's defaults, for time only: the per-IP authentication
penalty (anvil-auth-penalty, up to 15 s per failure) is off and auth_failure_delay is 0. With
them, 31 guesses take minutes (measured: 103 s at -t 4); the detectors' windows are minutes
to hours, so the outcome is the same, and hydra -t 1 makes the POP3 counts exact. The server
namespace's ICMP rate limit is off so that every closed UDP port answers the -sU probes.

Every tool run is bounded in count and time (nmap with port lists and --max-rate, hping3 -c,
hydra with small lists, sqlmap --batch with a timeout). Exit 77 (skipped, with a line saying
why) when not root, a tool is missing, namespaces cannot be made or live capture is refused.

usage: test_live_detectors.py --mamori PATH [--data-dir DIR] [--keep DIR]
"""
import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from livelib import StderrReader, netns_setup_or_skip

SKIP = 77
PID = os.getpid()
NS_ATT, NS_SRV = "mm-live-att-%d" % PID, "mm-live-srv-%d" % PID
VETH_ATT, VETH_SRV = "mla%d" % (PID % 100000), "mls%d" % (PID % 100000)
VICTIM, ATT_NET, SRV_NET = "198.51.100.10", "203.0.113.0/24", "198.51.100.0/24"
# One attacker address per scenario (all on the attacker's veth).
SRC_SYN, SRC_UDP, SRC_FIN, SRC_NULL, SRC_XMAS = ("203.0.113.61", "203.0.113.62",
                                                  "203.0.113.63", "203.0.113.64",
                                                  "203.0.113.65")
SRC_BRUTE, SRC_SPRAY, SRC_NIKTO, SRC_SQLMAP = ("203.0.113.50", "203.0.113.51",
                                               "203.0.113.80", "203.0.113.81")
SRC_PING, SRC_SWEEP, SRC_ARP = "203.0.113.70", "203.0.113.71", "203.0.113.72"
ATT_ADDRS = [SRC_BRUTE, SRC_SPRAY, SRC_SYN, SRC_UDP, SRC_FIN, SRC_NULL, SRC_XMAS, SRC_NIKTO,
             SRC_SQLMAP, SRC_PING, SRC_SWEEP, SRC_ARP]
ARP_SWEEP_NET = "198.51.100.0/26"   # 64 addresses of the victim's segment, only it answers
# Swept addresses that no host has (in the victim's /24, on the test's veth only).
SWEEP_ABSENT = ["198.51.100.%d" % i for i in range(100, 115)]
TOOLS = ["ip", "ethtool", "ss", "nmap", "hping3", "hydra", "sqlmap", "curl", "dovecot"]

SYN_PORTS = "1-100"                                        # 100 ports, 80 open
UDP_PORTS = "7,9,53,67,69,111,123,137,161,500,514,520"     # 12 closed ports
STEALTH_PORTS = "21,22,23,25,80"                           # 4 closed answer RST, 80 silent
FLOOD_COUNT = 3000
PING_COUNT = 1500
WRONG_PASSWORDS = ["Guess%02d-Winter!x" % i for i in range(30)]   # strong, all wrong
ALICE_PASSWORD = "alice2024"          # weak: contains the user id
BOB_PASSWORD = "kV7#qT9!mR2$wL4e"
SPRAY_PASSWORD = "Spring2024!"
SPRAY_USERS = ["alice", "bob"] + ["user%02d" % i for i in range(23)]   # 25 accounts

NIKTO_UA = "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:%06d)"
# Probe paths of the kind nikto asks for, each with the mamori-web.rules sid it must raise
# (None: an ordinary missing page that only counts towards the 4xx burst).
NIKTO_PROBES = [
    ("/.env", 8102001), ("/.git/config", 8102002), ("/.htpasswd", 8102004),
    ("/.aws/credentials", 8102005), ("/wp-login.php", 8102006), ("/xmlrpc.php", 8102007),
    ("/phpmyadmin/", 8102009), ("/manager/html", 8102011), ("/actuator/env", 8102015),
    ("/server-status", 8102016), ("/cgi-bin/test-cgi", 8102017),
    ("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 8102033),
    ("/backup.zip", 8102025), ("/phpinfo.php", 8102018), ("/.DS_Store", 8102027),
    ("/admin/", None), ("/backup/", None), ("/test/", None), ("/old/", None),
    ("/login.php", None), ("/install/", None), ("/temp/", None), ("/images/", None),
    ("/includes/", None), ("/logs/", None), ("/db/", None), ("/uploads/", None),
    ("/webdav/", None), ("/README", None), ("/CHANGELOG.txt", None),
]

GID = 6100
SID_VERTICAL, SID_SWEEP, SID_ARP_SWEEP = 2001, 2005, 2006
SID_SYN_FLOOD, SID_ICMP_FLOOD, SID_ACK_FLOOD = 4001, 4006, 4007
SID_BRUTE, SID_SPRAY, SID_SUCCESS, SID_WEAKPASS, SID_4XX = 5001, 5002, 5004, 7001, 3001
SID_UA_NIKTO, SID_UA_SQLMAP = 8101001, 8101002
NEEDED_SIDS = [SID_VERTICAL, SID_SWEEP, SID_ARP_SWEEP, SID_SYN_FLOOD, SID_ICMP_FLOOD, SID_ACK_FLOOD, SID_BRUTE,
               SID_SPRAY, SID_SUCCESS, SID_WEAKPASS, SID_4XX]

HTTP_SERVER = r"""
import html, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def answer(self, code, body):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b)
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/":
            self.answer(200, "<html><body><a href='/item.php?id=1'>item 1</a></body></html>")
        elif u.path == "/item.php":
            q = urllib.parse.parse_qs(u.query).get("id", [""])[0]
            self.answer(200, "<html><body>item %s</body></html>" % html.escape(q))
        else:
            self.answer(404, "<html><body>not found</body></html>")
    do_HEAD = do_GET

ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"""


class Skip(Exception):
    """The environment cannot run this test (said why); exit 77."""


def sh(*args, check=True, timeout=30):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                          check=check)


def in_ns(ns, *args):
    return ["ip", "netns", "exec", ns] + list(args)


def run_tool(name, ns, args, timeout, env=None, ok_codes=(0,)):
    """Runs one bounded attack tool in a namespace; returns (seconds, output)."""
    t0 = time.time()
    p = subprocess.run(in_ns(ns, *args), capture_output=True, text=True, timeout=timeout,
                       env=env)
    took = time.time() - t0
    out = p.stdout + p.stderr
    if p.returncode not in ok_codes:
        raise AssertionError("%s exited %d after %.1f s:\n%s" % (name, p.returncode, took,
                                                                 out[-3000:]))
    print("  %-8s %5.1f s" % (name, took), flush=True)
    return took, out


# --- the network ------------------------------------------------------------------------

def net_setup():
    sh("ip", "netns", "add", NS_ATT)
    sh("ip", "netns", "add", NS_SRV)
    sh("ip", "link", "add", VETH_ATT, "netns", NS_ATT, "type", "veth", "peer", "name",
       VETH_SRV, "netns", NS_SRV)
    for a in ATT_ADDRS:   # the first one added is the primary (source of unbound sockets)
        sh("ip", "-n", NS_ATT, "addr", "add", a + "/24", "dev", VETH_ATT)
    sh("ip", "-n", NS_SRV, "addr", "add", VICTIM + "/24", "dev", VETH_SRV)
    for ns, dev, peer_net in ((NS_ATT, VETH_ATT, SRV_NET), (NS_SRV, VETH_SRV, ATT_NET)):
        # IPv4 only: no IPv6 link-local chatter (router solicitations, MLD) on the wire.
        sh(*in_ns(ns, "sysctl", "-q", "-w", "net.ipv6.conf.%s.disable_ipv6=1" % dev))
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "route", "add", peer_net, "dev", dev)
        sh(*in_ns(ns, "ethtool", "-K", dev, "tx", "off", "rx", "off"), check=False)
    # Every closed UDP port answers the -sU probes (the limit is per namespace).
    sh(*in_ns(NS_SRV, "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0"))


def use_source(addr):
    """Source address of the attacker's next connections (tools that cannot bind one)."""
    sh("ip", "-n", NS_ATT, "route", "replace", SRV_NET, "dev", VETH_ATT, "src", addr)


def ns_pids(ns):
    p = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=10)
    return [int(x) for x in p.stdout.split() if x.isdigit()]


def net_teardown():
    # Only processes inside the two namespaces this test made (its servers and tools).
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = ns_pids(NS_ATT) + ns_pids(NS_SRV)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if pids and sig == signal.SIGTERM:
            time.sleep(1)
    for ns in (NS_ATT, NS_SRV):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


# --- the servers -------------------------------------------------------------------------

def dovecot_config(tmp):
    uid, gid = int(sh("id", "-u", "dovecot").stdout), int(sh("id", "-g", "dovecot").stdout)
    for d in ("run", "state"):
        os.makedirs(os.path.join(tmp, "dovecot", d))
    mail = os.path.join(tmp, "dovecot", "mail")
    os.makedirs(mail)
    os.chown(mail, uid, gid)
    users = os.path.join(tmp, "dovecot", "users")
    with open(users, "w") as f:
        for u, pw in (("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD)):
            f.write("%s:{PLAIN}%s:%d:%d::%s/%s\n" % (u, pw, uid, gid, mail, u))
    os.chown(users, 0, gid)
    os.chmod(users, 0o640)
    conf = os.path.join(tmp, "dovecot", "dovecot.conf")
    with open(conf, "w") as f:
        f.write("""# private instance of test_live_detectors.py
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
listen = {victim}
protocols = imap pop3
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Time only (see the test's docstring): no per-IP penalty, no delay after a failure.
auth_failure_delay = 0
# One log line per failed login (user and source): the server's count of the spray's attempts,
# against which mamori's is checked.
auth_verbose = yes
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
mail_location = maildir:{mail}/%u
""".format(d=os.path.join(tmp, "dovecot"), victim=VICTIM, uid=uid, users=users, mail=mail))
    return conf


def wait_listening(ports, timeout):
    end = time.time() + timeout
    while time.time() < end:
        out = sh(*in_ns(NS_SRV, "ss", "-Hltn")).stdout
        if all(("%s:%d " % (VICTIM, p)) in out for p in ports):
            return True
        time.sleep(0.1)
    return False


# --- the scenarios -----------------------------------------------------------------------

def nmap(src, scan, ports):
    args = ["nmap", scan, "-n", "-Pn", "-e", VETH_ATT, "-S", src, "-p", ports,
            "--max-rate", "500", "--max-retries", "1", "--host-timeout", "30s", VICTIM]
    return run_tool("nmap " + scan, NS_ATT, args, timeout=60)


def scenario_scans():
    print("scenario 1: nmap", flush=True)
    nmap(SRC_SYN, "-sS", SYN_PORTS)
    nmap(SRC_UDP, "-sU", UDP_PORTS)
    for src, scan in ((SRC_FIN, "-sF"), (SRC_NULL, "-sN"), (SRC_XMAS, "-sX")):
        nmap(src, scan, STEALTH_PORTS)
    # The absent addresses' frames go to the victim's MAC (no ARP for them): the pings are
    # on the wire as a sweep through a router would put them.
    mac = sh("ip", "-n", NS_SRV, "-o", "link", "show", VETH_SRV).stdout.split("link/ether ")[1]
    mac = mac.split()[0]
    for addr in SWEEP_ABSENT:
        sh("ip", "-n", NS_ATT, "neigh", "replace", addr, "lladdr", mac, "dev", VETH_ATT,
           "nud", "permanent")
    run_tool("nmap -sn", NS_ATT, ["nmap", "-sn", "-PE", "-n", "--disable-arp-ping",
                                  "--send-ip", "-e", VETH_ATT, "-S", SRC_SWEEP,
                                  "--max-retries", "1", "--host-timeout", "20s", VICTIM,
                                  "198.51.100.100-114"], timeout=60)
    # On the directly connected segment nmap pings by ARP.
    run_tool("nmap -sn (ARP)", NS_ATT, ["nmap", "-sn", "-n", "-e", VETH_ATT, "-S", SRC_ARP,
                                        "--host-timeout", "20s", ARP_SWEEP_NET], timeout=60)


def scenario_flood():
    print("scenario 2: hping3", flush=True)
    run_tool("hping3", NS_ATT, ["hping3", "-q", "-S", "-p", "80", "-i", "u200", "-c",
                                str(FLOOD_COUNT), "--rand-source", VICTIM], timeout=30,
             ok_codes=(0, 1))   # 1: no replies, as expected for spoofed sources
    run_tool("hping3 -A", NS_ATT, ["hping3", "-q", "-A", "-p", "80", "-i", "u200", "-c",
                                   str(FLOOD_COUNT), "--rand-source", VICTIM], timeout=30,
             ok_codes=(0, 1))
    # A ping flood from a real address: 2000 a second for 0.75 s, every request answered.
    run_tool("hping3 --icmp", NS_ATT, ["hping3", "-q", "--icmp", "-i", "u500", "-c",
                                       str(PING_COUNT), "-a", SRC_PING, VICTIM], timeout=30,
             ok_codes=(0, 1))


def hydra(src, args, tmp):
    use_source(src)
    # -I: no restore file from an earlier run; the restore file goes to the cwd.
    p = subprocess.Popen(in_ns(NS_ATT, "hydra", "-I", *args), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, cwd=tmp)
    t0 = time.time()
    try:
        out, _ = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError("hydra did not finish within 60 s: %s" % args)
    print("  %-8s %5.1f s" % ("hydra", time.time() - t0), flush=True)
    return out


def scenario_logins(tmp):
    print("scenarios 3-4: hydra", flush=True)
    pw = os.path.join(tmp, "passwords.txt")
    with open(pw, "w") as f:
        f.write("\n".join(WRONG_PASSWORDS + [ALICE_PASSWORD]) + "\n")
    out = hydra(SRC_BRUTE, ["-l", "alice", "-P", pw, "-t", "1",
                            "pop3://%s" % VICTIM], tmp)
    if "1 valid password found" not in out:
        raise AssertionError("hydra did not find alice's password over POP3:\n" + out)
    users = os.path.join(tmp, "users.txt")
    with open(users, "w") as f:
        f.write("\n".join(SPRAY_USERS) + "\n")
    out = hydra(SRC_SPRAY, ["-L", users, "-p", SPRAY_PASSWORD, "-t", "4",
                            "imap://%s" % VICTIM], tmp)
    if "0 valid password" not in out:
        raise AssertionError("the IMAP spray was expected to find nothing:\n" + out)


def scenario_web(tmp):
    print("scenario 5: curl (nikto's traffic) and sqlmap", flush=True)
    t0 = time.time()
    for i, (path, _sid) in enumerate(NIKTO_PROBES):
        p = subprocess.run(in_ns(NS_ATT, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                 "--max-time", "5", "--interface", SRC_NIKTO,
                                 "-A", NIKTO_UA % (i + 1), "http://%s%s" % (VICTIM, path)),
                           capture_output=True, text=True, timeout=10)
        if p.stdout != "404":
            raise AssertionError("probe %s: expected 404, got %r %s" % (path, p.stdout,
                                                                       p.stderr))
    print("  %-8s %5.1f s" % ("curl", time.time() - t0), flush=True)
    use_source(SRC_SQLMAP)
    env = dict(os.environ, HOME=tmp)
    run_tool("sqlmap", NS_ATT, [
        "sqlmap", "-u", "http://%s/item.php?id=1" % VICTIM, "--batch", "--level", "1",
        "--risk", "1", "--technique", "B", "--timeout", "5", "--retries", "0",
        "--flush-session", "--disable-coloring", "--output-dir", os.path.join(tmp, "sqlmap")],
        timeout=60, env=env)


# --- checks ------------------------------------------------------------------------------

def mm(a):
    return a.get("mamori", {})


def ev(a):
    return mm(a).get("evidence", {})


def sid(a):
    return a["alert"]["signature_id"]


def variant(a):
    """mamori_variant of the alert's metadata (rule alerts and detector alerts alike)."""
    return a["alert"].get("metadata", {}).get("mamori_variant", ["?"])[0]


def first_alerts(alerts, s, src=None):
    """The alerts of sid s (from src) that open an activity (not its updates)."""
    return [a for a in alerts if sid(a) == s and (src is None or a["src_ip"] == src)
            and not mm(a).get("update")]


def expect_one(alerts, s, src, dst, dport=None, what=""):
    got = first_alerts(alerts, s, src)
    assert len(got) == 1, "%s: expected 1 alert sid %d from %s, got %d: %s" % (
        what, s, src, len(got), [json.dumps(a)[:800] for a in got])
    a = got[0]
    assert a["dest_ip"] == dst, "%s: dest %s, expected %s" % (what, a["dest_ip"], dst)
    if dport is not None:
        assert a.get("dest_port") == dport, "%s: dest_port %s, expected %d" % (
            what, a.get("dest_port"), dport)
    return a


def final_of(alerts, s, src):
    """The last alert (first or update) of sid s from src: the activity's final figures."""
    got = [a for a in alerts if sid(a) == s and a["src_ip"] == src]
    return got[-1] if got else None


def server_failed_logins(tmp, src):
    """The accounts whose login from src Dovecot refused, one per attempt, from its log
    (auth_verbose): what the attack tool really sent, whatever it printed."""
    users = []
    with open(os.path.join(tmp, "dovecot", "dovecot.log"), errors="replace") as f:
        for line in f:
            # auth: passwd-file(user00,203.0.113.51,<...>): unknown user
            i = line.find("passwd-file(")
            if i < 0 or ("unknown user" not in line and "mismatch" not in line):
                continue
            user, _, rest = line[i + len("passwd-file("):].partition(",")
            if rest.split(",", 1)[0].split(")", 1)[0] == src:
                users.append(user)
    return users


def capture_figures(events):
    """What the last stats event says about packets mamori may not have seen or parsed."""
    st = [e for e in events if e["event_type"] == "stats"]
    if not st:
        return "no stats event"
    cap = st[-1].get("stats", {}).get("capture", {})
    m = st[-1]["mamori"]
    return ("kernel_packets %s kernel_drops %s; stream %s; login records %s; imap gaps %s "
            "parse_errors %s" % (cap.get("kernel_packets"), cap.get("kernel_drops"),
                                 m.get("stream"), m["app"]["records"].get("login"),
                                 m["app"]["gaps"].get("imap"),
                                 m["app"]["parse_errors"].get("imap")))


def check(events, stderr, tmp):
    alerts = [e for e in events if e["event_type"] == "alert"]
    counts = collections.Counter((sid(a), a["src_ip"], bool(mm(a).get("update")))
                                 for a in alerts)
    print("alerts by sid, source (update):")
    for (s, src, upd), n in sorted(counts.items()):
        print("  %7d  %-15s %s %d" % (s, src, "update" if upd else "first ", n))
    dets = [a for a in alerts if a["alert"].get("gid") == GID]
    results = []

    # 1. port scans: one vertical scan per scanner, with its type.
    for src, kind, nports in ((SRC_SYN, "syn", 100), (SRC_UDP, "udp", 12),
                              (SRC_FIN, "fin", 5), (SRC_NULL, "null", 5),
                              (SRC_XMAS, "xmas", 5)):
        a = expect_one(dets, SID_VERTICAL, src, VICTIM, what="nmap %s scan" % kind)
        e = ev(a)
        assert e.get("scan_type") == kind, "%s scan reported as %s: %s" % (
            kind, e.get("scan_type"), e)
        fin = ev(final_of(dets, SID_VERTICAL, src))
        results.append("T2 %s scan from %s: ports %s (final %s), probes %s, open %s" % (
            kind, src, e.get("ports"), fin.get("ports"), fin.get("probes"), fin.get("open")))
    # 1b. the ping sweep: one host-sweep alert, every address counted, the victim up.
    sweeps = first_alerts(dets, SID_SWEEP)
    assert len(sweeps) == 1 and sweeps[0]["src_ip"] == SRC_SWEEP, (
        "expected 1 host sweep alert from %s: %s" % (SRC_SWEEP, [json.dumps(a)[:800]
                                                               for a in sweeps]))
    # The silent pings fail when their flows time out (30 s), one by one; the report goes out
    # once the walk has marked the pinger (five failures after the victim's answer) and the
    # report delay has passed, so it may not count them all.
    e = ev(final_of(dets, SID_SWEEP, SRC_SWEEP))
    assert e.get("scan_type") == "ping" and e.get("hosts") == 16 and e.get("open") == 1 and (
        e.get("unanswered", 0) >= 5) and sweeps[0]["dest_ip"] in SWEEP_ABSENT + [VICTIM], e
    assert e.get("open_services") == [{"host": VICTIM, "proto": "icmp"}], e
    results.append("T2 ping sweep from %s: hosts %s, probes %s, up %s, unanswered %s" % (
        SRC_SWEEP, e.get("hosts"), e.get("probes"), e.get("open"), e.get("unanswered")))
    # 1c. the ARP sweep: one alert for the attacker's address, only the victim answered.
    arps = first_alerts(dets, SID_ARP_SWEEP)
    assert len(arps) == 1 and arps[0]["src_ip"] == SRC_ARP, (
        "expected 1 ARP sweep alert from %s: %s" % (SRC_ARP, [json.dumps(a)[:800]
                                                            for a in arps]))
    e = ev(final_of(dets, SID_ARP_SWEEP, SRC_ARP))
    assert e.get("answered") == 1 and e.get("answered_first") == [VICTIM] and (
        e.get("hosts", 0) >= 60 and e.get("requests", 0) >= 63), e
    results.append("T2 ARP sweep from %s (%s): hosts %s, requests %s, answered %s" % (
        SRC_ARP, e.get("scanner_mac"), e.get("hosts"), e.get("requests"), e.get("answered")))
    scanners = {SRC_SYN, SRC_UDP, SRC_FIN, SRC_NULL, SRC_XMAS, SRC_SWEEP, SRC_ARP}
    stray = [a for a in dets if a["alert"]["signature_id"] // 1000 == 2
             and a["src_ip"] not in scanners]
    assert not stray, "port scan alerts from non-scanners (flood or logins?): %s" % [
        json.dumps(a)[:600] for a in stray]

    # 2. the SYN flood, one alert for victim:80 whatever spoofed source is named.
    floods = first_alerts(dets, SID_SYN_FLOOD)
    assert len(floods) == 1, "expected 1 SYN flood alert, got %d: %s" % (
        len(floods), [json.dumps(a)[:800] for a in floods])
    a = floods[0]
    assert (a["dest_ip"], a.get("dest_port")) == (VICTIM, 80), a
    e = ev(a)
    # Reported when one second's bucket reaches syn-rate (200) with most SYNs half-open (the
    # victim has no route back to the spoofed sources, so none completes).
    assert e.get("syn", 0) >= 200 and e.get("half_open_share", 0) >= 0.5, e
    results.append("T4 SYN flood on %s:80 (%d sent): syn %s, half_open_share %s, "
                   "sources_distinct %s, named source %s" % (
                       VICTIM, FLOOD_COUNT, e.get("syn"), e.get("half_open_share"),
                       e.get("sources_distinct"), a["src_ip"]))

    # 2b. the ACK flood: one alert on the victim, whatever spoofed source is named.
    acks = first_alerts(dets, SID_ACK_FLOOD)
    assert len(acks) == 1 and acks[0]["dest_ip"] == VICTIM, (
        "expected 1 ACK flood alert on %s, got: %s" % (VICTIM, [json.dumps(x)[:600]
                                                               for x in acks]))
    e = ev(acks[0])
    assert e.get("packets_window", 0) >= 1000 and e.get("dest_ports_sample") == [80], e
    results.append("T4 ACK flood on %s (%d sent): packets_window %s, sources_distinct %s, "
                   "spoofed_likely %s" % (VICTIM, FLOOD_COUNT, e.get("packets_window"),
                                          e.get("sources_distinct"), e.get("spoofed_likely")))

    # 2c. the ping flood: one alert on the victim naming the pinger; the victim's replies (as
    # many, back to the pinger) answer its own requests and are no flood of it.
    a = expect_one(dets, SID_ICMP_FLOOD, SRC_PING, VICTIM, what="hping3 --icmp flood")
    e = ev(a)
    assert a.get("proto") == "ICMP" and e.get("echo_requests", 0) >= 500, (a.get("proto"), e)
    stray = [x for x in first_alerts(dets, SID_ICMP_FLOOD) if x is not a]
    assert not stray, "ICMP flood alerts besides the ping flood: %s" % [
        json.dumps(x)[:600] for x in stray]
    results.append("T4 ICMP flood on %s (%d sent from %s): echo_requests %s, peak_pps %s" % (
        VICTIM, PING_COUNT, SRC_PING, e.get("echo_requests"), e.get("peak_pps")))

    # 3. POP3 brute force on alice, success after it, weak password.
    a = expect_one(dets, SID_BRUTE, SRC_BRUTE, VICTIM, 110, "POP3 brute force")
    e = ev(a)
    assert e.get("top_account") == "alice", e
    assert e.get("failures") == 20, "the first report comes at the threshold (20): %s" % e
    fin = ev(final_of(dets, SID_BRUTE, SRC_BRUTE))
    assert fin.get("failures") == len(WRONG_PASSWORDS), (
        "hydra -t 1 made exactly %d failed guesses: %s" % (len(WRONG_PASSWORDS), fin))
    results.append("T5 brute force %s -> %s:110 alice: failures %d at the alert, %d final" % (
        SRC_BRUTE, VICTIM, e["failures"], fin["failures"]))
    a = expect_one(dets, SID_SUCCESS, SRC_BRUTE, VICTIM, 110, "success after brute force")
    assert ev(a).get("successful_account") == "alice", ev(a)
    a = expect_one(dets, SID_WEAKPASS, SRC_BRUTE, VICTIM, 110, "weak password")
    e = ev(a)
    assert e.get("username") == "alice" and e.get("outcome") == "success", e
    assert "contains_user" in e.get("rules", []), e
    results.append("T7 weak password alice@%s:110 rules %s" % (VICTIM, e.get("rules")))
    others = [x for x in first_alerts(dets, SID_WEAKPASS) if x is not a]
    assert not others, "weak-password alerts besides alice's: %s" % others

    # 4. IMAP spray.
    a = expect_one(dets, SID_SPRAY, SRC_SPRAY, VICTIM, 143, "IMAP spray")
    e = ev(a)
    assert e.get("accounts") == 4, "the first report comes at the threshold (4): %s" % e
    fin = ev(final_of(dets, SID_SPRAY, SRC_SPRAY))
    refused = server_failed_logins(tmp, SRC_SPRAY)
    never = sorted(set(SPRAY_USERS) - set(refused)) or "none"
    assert fin.get("accounts") == len(SPRAY_USERS) and fin.get("failures") == len(refused), (
        "spray final: accounts %s (users %d), failures %s; Dovecot refused %d logins (users "
        "never refused: %s); %s; %s" % (fin.get("accounts"), len(SPRAY_USERS), fin.get("failures"),
                                        len(refused), never, capture_figures(events), fin))
    results.append("T5 spray %s -> %s:143: accounts %d at the alert, %d final, failures %s" % (
        SRC_SPRAY, VICTIM, e["accounts"], fin["accounts"], fin.get("failures")))

    # 5. web: nikto's agent and probes, the 4xx burst, sqlmap.
    web = [a for a in alerts if 8100000 < sid(a) < 8200000]
    for a in web:
        assert mm(a).get("http_outcome"), "web rule alert without http_outcome: %s" % a
        assert a["dest_ip"] == VICTIM and a["src_ip"] in (SRC_NIKTO, SRC_SQLMAP), a
    ua = [a for a in web if a["src_ip"] == SRC_NIKTO and sid(a) == SID_UA_NIKTO]
    assert len(ua) == 1, "nikto user agent: expected 1 alert (limit per pair), got %d" % len(ua)
    probes = [a for a in web if a["src_ip"] == SRC_NIKTO and variant(a) == "probe_path"]
    want = sorted((p, s) for p, s in NIKTO_PROBES if s)
    got = sorted((a.get("http", {}).get("url"), sid(a)) for a in probes)
    assert got == want, "probe_path alerts differ:\n  expected %s\n  got      %s" % (want, got)
    for a in probes:
        assert mm(a)["http_outcome"] == "client_error", a
    a = expect_one(dets, SID_4XX, SRC_NIKTO, VICTIM, 80, "webscan 4xx burst")
    fin = ev(final_of(dets, SID_4XX, SRC_NIKTO))
    results.append("T3 nikto-like %s: scanner_ua 1, probe_path %d, 4xx burst (4xx %s of %s "
                   "requests final)" % (SRC_NIKTO, len(probes),
                                        fin.get("responses", {}).get("4xx"),
                                        fin.get("requests")))
    ua = [a for a in web if a["src_ip"] == SRC_SQLMAP and sid(a) == SID_UA_SQLMAP]
    assert len(ua) == 1, "sqlmap user agent: expected 1 alert, got %d" % len(ua)
    by_variant = collections.Counter(variant(a) for a in web if a["src_ip"] == SRC_SQLMAP)
    # sqlmap's payloads depend on its version and on the answers; at least one is SQLi.
    assert by_variant.get("sqli", 0) >= 1, "no sqli alert from sqlmap: %s" % by_variant
    results.append("T3 sqlmap %s: %s" % (SRC_SQLMAP, dict(sorted(by_variant.items()))))

    # The victim attacked nobody; nothing names it as a detector alert's source.
    bad = [a for a in dets if a["src_ip"] == VICTIM]
    assert not bad, "detector alerts with the victim as source: %s" % [
        json.dumps(a)[:600] for a in bad]

    # The network rule, checked on what mamori saw: every flow has the victim at one end and
    # every other end is an attacker address, or a spoofed source of the SYN or ACK flood
    # (port 80); or it is a ping of the sweep to an absent address.
    for f in (e for e in events if e["event_type"] == "flow"):
        ends = {f["src_ip"], f["dest_ip"]}
        if f["src_ip"] == SRC_SWEEP and f["dest_ip"] in SWEEP_ABSENT and f["proto"] == "ICMP":
            continue
        assert VICTIM in ends, "flow without the victim: %s" % f
        other = (ends - {VICTIM} or {VICTIM}).pop()
        assert other.startswith("203.0.113.") or (
            f["proto"] == "TCP" and f.get("dest_port") == 80 and f["dest_ip"] == VICTIM), (
            "flow with an unexpected peer: %s" % f)

    stats = [e for e in events if e["event_type"] == "stats"][-1]["mamori"]
    bad_sums = stats["decoder"]["checksum_bad"]
    assert not any(bad_sums.values()), "bad checksums on veth with offloads off: %s" % bad_sums
    for name, d in stats["detectors"].items():
        assert d.get("evicted", 0) == 0 and d.get("memcap_hits", 0) == 0, (
            "detector %s hit its memcap in a small test: %s" % (name, d))

    # No password in any output.
    with open(os.path.join(tmp, "eve.json"), encoding="utf-8", errors="replace") as f:
        eve_text = f.read()
    for secret in (ALICE_PASSWORD, SPRAY_PASSWORD, WRONG_PASSWORDS[0], WRONG_PASSWORDS[-1]):
        assert secret not in eve_text, "password %r written to EVE" % secret
        assert secret not in stderr, "password %r written to stderr" % secret
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--data-dir", help="mamori --data-dir (default: mamori's own)")
    ap.add_argument("--keep", help="copy eve.json, mamori's stderr and dovecot.log here")
    a = ap.parse_args()

    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces, raw sockets, live capture)")
        return SKIP
    missing = [t for t in TOOLS if not shutil.which(t)]
    missing += ["user " + u for u in ("dovecot", "dovenull")
                if subprocess.run(["id", u], capture_output=True).returncode != 0]
    if missing:
        print("skipped: tools not installed: %s (scripts/install-deps.sh installs them)" %
              " ".join(missing))
        return SKIP
    listed = sh(a.mamori, "detectors").stdout
    absent = [s for s in NEEDED_SIDS if "sid:%d;" % s not in listed]
    assert not absent, "detector sids not registered in `mamori detectors`: %s" % absent

    started = time.time()
    why = netns_setup_or_skip(net_setup, net_teardown)
    if why:
        print("skipped:", why)
        return SKIP
    tmp = tempfile.mkdtemp(prefix="mm-live-det-")
    os.chmod(tmp, 0o755)   # dovecot's unprivileged processes reach their dirs below it
    procs = []
    try:
        conf = dovecot_config(tmp)
        dov = subprocess.Popen(in_ns(NS_SRV, "dovecot", "-F", "-c", conf),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(dov)
        web = subprocess.Popen(in_ns(NS_SRV, sys.executable, "-c", HTTP_SERVER, VICTIM, "80"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(web)
        if not wait_listening((80, 110, 143), 15):
            log = os.path.join(tmp, "dovecot", "dovecot.log")
            raise AssertionError("servers not listening: dovecot %s, http %s\n%s" % (
                dov.poll(), web.poll(), open(log).read() if os.path.exists(log) else ""))

        mmconf = os.path.join(tmp, "mamori.yaml")
        with open(mmconf, "w") as f:
            f.write('vars:\n  address-groups:\n    HOME_NET: "[%s]"\n' % SRV_NET)
        eve = os.path.join(tmp, "eve.json")
        args = [a.mamori, "-i", VETH_SRV, "-c", mmconf, "--eve", eve, "-v",
                "--stats-interval", "0", "--duration", "180", "--no-progress"]
        if a.data_dir:
            args += ["--data-dir", a.data_dir]
        os.makedirs(os.path.join(tmp, "cache"))
        mmp = subprocess.Popen(in_ns(NS_SRV, *args), stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache")))
        procs.append(mmp)
        err = StderrReader(mmp)
        if not err.wait_for("capturing on", 20):
            mmp.kill()
            mmp.wait()
            text = err.text()
            if "ermission" in text or "not permitted" in text:
                print("skipped: live capture not permitted here:", text.strip())
                return SKIP
            raise AssertionError("mamori did not start capturing: " + text)
        time.sleep(0.5)

        scenario_scans()
        scenario_flood()
        scenario_logins(tmp)
        scenario_web(tmp)

        time.sleep(1)
        mmp.send_signal(signal.SIGTERM)
        rc = mmp.wait(timeout=30)
        err.t.join(timeout=5)
        stderr = err.text()
        assert rc == 0, "mamori exit %d: %s" % (rc, stderr[-3000:])
        with open(eve, encoding="utf-8") as f:
            events = [json.loads(l) for l in f]
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            shutil.copy(eve, a.keep)
            with open(os.path.join(a.keep, "mamori.stderr"), "w") as f:
                f.write(stderr)
            shutil.copy(os.path.join(tmp, "dovecot", "dovecot.log"), a.keep)
        results = check(events, stderr, tmp)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        net_teardown()
        shutil.rmtree(tmp, ignore_errors=True)
    for r in results:
        print("ok:", r)
    print("ok: all detector scenarios in %.0f s" % (time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
