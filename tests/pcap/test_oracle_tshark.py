#!/usr/bin/env python3
"""Compare mamori's TCP and UDP flows with tshark's conversation table, capture by capture.

What is compared
    For every capture (tests/pcap/*/input*.pcap*, demo/demo.pcap and everything under
    <shared data>/pcaps when present), tshark's `-z conv,tcp -z conv,udp` conversations against
    mamori's flow events. Conversations are matched by the unordered 5-tuple (proto, {ip:port,
    ip:port}); per direction the packet counts must be equal and the byte counts must be equal
    to the captured bytes of the same frames. mamori's community_id must be the one tshark's
    Community ID post-dissector computes for those frames.

Why several mamori flows are summed
    mamori ends a flow on a timeout measured in packet time (a long gap splits one conversation
    into two flows) and on TCP port reuse (a new SYN after FIN/RST). tshark splits on port reuse
    too (one row per tcp.stream) but never on a gap. Both sides are therefore summed per 5-tuple
    (and over VLANs: tshark's conversations do not include the VLAN id) before comparing.

How tshark's numbers are read
    The conversation table gives exact frame counts, but tshark 4.0 prints bytes with SI units
    ("22 kB") once a count reaches 10000, which loses precision. So the conversations are also
    rebuilt from tshark's per-frame field output (frame.len, frame.cap_len, the protocol stack and
    every ip/ipv6/tcp/udp occurrence with its tcp.stream/udp.stream id), following the rules of
    tshark's conversation tap: one conversation per stream id; a transport header quoted inside
    an ICMP error is not counted; a UDP header too broken to get a stream id and a TCP header
    shorter than 20 bytes are not counted. The rebuilt table must agree with the printed one
    exactly (frames; bytes where printed in bytes, and n // 1000 == k for "k kB") or the test
    fails as an ORACLE ERROR: then this script, not mamori, misreads tshark. Endpoint A of a tshark row is the sender of its first
    frame; "->" is A to B, "<-" is B to A.

Bytes
    tshark's Bytes column sums frame.len (the length on the wire); mamori counts the captured
    bytes (frame.cap_len). They differ only for frames cut by the capture's snaplen, so mamori's
    bytes are compared with the sum of frame.cap_len and any difference from tshark's column is
    listed as "snaplen" in the output (an explained, legitimate difference).

Explained differences
    Each class is listed in EXPLAINED below with why it is legitimate and how it is recognised.
    Everything else fails the test, printed with the file, the 5-tuple and both sides' numbers.

Usage: test_oracle_tshark.py --mamori BUILD/mamori [--source-dir DIR] [--shared-data DIR]
                             [--jobs N] [-v] [FILE ...]
"""

import argparse
import collections
import concurrent.futures
import glob
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# The configuration mamori runs with here: every anomaly event is written (no per-second rate
# limit), so that a packet mamori rejected can be matched to its anomaly by pcap_cnt.
MAMORI_CONFIG = "outputs:\n  eve:\n    anomaly-rate: 0\n"

# Anomaly events after which mamori does not count the packet in any TCP/UDP flow, while tshark
# still dissects the transport header and counts the frame. Each is a deliberate decoder decision
# that Suricata makes the same way (the packet is invalid and gets no flow); each was seen on
# tests/pcap/malformed (the packet number is in brackets):
DROPPING_ANOMALIES = {
    # IPv4 total length larger than the captured datagram, and not because of the snaplen [3]:
    # tshark dissects what is there ("IPv4 total length exceeds packet length").
    "decoder.ipv4.trunc_pkt",
    # IPv6 payload length larger than the captured packet, same reasoning [12].
    "decoder.ipv6.trunc_pkt",
    # UDP length field larger than the IP payload [11]: tshark notes "Bad length value" and
    # still counts the frame in the UDP conversation.
    "decoder.udp.hlen_invalid",
    # More stacked 802.1Q tags than mamori decodes (10 nested tags [18]; Suricata also gives up
    # on deep VLAN stacks with vlan.too_many_layers): tshark unwraps every tag.
    "decoder.vlan.too_many_layers",
}

# Link-layer encapsulations tshark decodes and mamori does not (yet): frames inside them reach no
# flow in mamori (counted in stats as mamori.decoder.other_l3, no anomaly event). A known gap,
# listed so that it stays visible in the output rather than failing every run.
NOT_DECODED_ENCAPS = {
    # none today (PPPoE sessions and MPLS are decoded since the oracle first listed PPPoE here)
}

# The explained classes. Keys are what the report prints; each is recognised in classify().
EXPLAINED = {
    "snaplen": "frames cut by the snaplen: tshark's Bytes column counts frame.len, mamori counts"
               " captured bytes (frame.cap_len); mamori's bytes equal tshark's sum of cap_len",
    "invalid-packet": "frames tshark counts and mamori does not, each carrying a mamori anomaly"
                      " event from DROPPING_ANOMALIES (pcap_cnt = the frame number): invalid to"
                      " mamori (and Suricata), dissected anyway by tshark",
    "not-decoded-encap": "frames inside an encapsulation mamori has no decoder for"
                         " (NOT_DECODED_ENCAPS): known gap, mamori sees no flow",
    "tunnel-outer": "the outer UDP header of a VXLAN packet (dest port 4789, the only UDP tunnel"
                    " mamori decodes): tshark lists the outer UDP conversation as well as the"
                    " inner one; mamori tracks only the innermost packet (src/decode/tunnel.c)",
}


def fail_exit(msg):
    print("ERROR: " + msg)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------
# tshark


def ep_key(ip, port):
    """An endpoint in a canonical, comparable form."""
    a = ipaddress.ip_address(ip)
    return (a.version, a.packed, int(port))


def ep_str(ep):
    ver, packed, port = ep
    a = ipaddress.ip_address(packed)
    return ("[%s]:%d" % (a, port)) if ver == 6 else ("%s:%d" % (a, port))


def conv_key(proto, ep1, ep2):
    """(proto, lo, hi) and whether ep1 is lo: the unordered 5-tuple."""
    if ep1 <= ep2:
        return (proto, ep1, ep2), True
    return (proto, ep2, ep1), False


def key_str(key):
    return "%s %s <-> %s" % (key[0], ep_str(key[1]), ep_str(key[2]))


SIZE_RE = re.compile(r"^(\d+) (bytes|kB|MB|GB)$")
SIZE_MUL = {"bytes": 1, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def parse_size(text):
    """'468 bytes' -> (468, 1); '22 kB' -> (22, 1000): tshark (format_size) truncates, so the
    exact count n satisfies n // unit == value."""
    m = SIZE_RE.match(text.strip())
    if not m:
        raise ValueError("cannot read tshark byte count %r" % text)
    return int(m.group(1)), SIZE_MUL[m.group(2)]


ROW_RE = re.compile(
    r"^(\S+)\s+<->\s+(\S+)\s+(\d+) (\d+ (?:bytes|kB|MB|GB))\s+(\d+) (\d+ (?:bytes|kB|MB|GB))"
    r"\s+(\d+) (\d+ (?:bytes|kB|MB|GB))\s+")


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host, port


def parse_conv_table(lines):
    """Rows of tshark's `-z conv,tcp -z conv,udp` text: list of dicts with proto, a, b and
    frames/bytes per direction ('ab' = A to B, the '->' column; 'ba' = the '<-' column)."""
    rows = []
    proto = None
    for line in lines:
        if line.endswith(" Conversations"):
            proto = line.split()[0]
            continue
        if "<->" not in line:
            continue
        m = ROW_RE.match(line)
        if not m or proto not in ("TCP", "UDP"):
            raise ValueError("cannot read tshark conversation line %r" % line)
        a, b = split_hostport(m.group(1)), split_hostport(m.group(2))
        ba_f, ab_f = int(m.group(3)), int(m.group(5))
        ba_b, ab_b = parse_size(m.group(4)), parse_size(m.group(6))
        rows.append({"proto": proto, "a": ep_key(*a), "b": ep_key(*b), "ab_frames": ab_f,
                     "ba_frames": ba_f, "ab_bytes": ab_b, "ba_bytes": ba_b})
    return rows


FIELDS = ["frame.number", "frame.len", "frame.cap_len", "frame.protocols", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.hdr_len",
          "udp.srcport", "udp.dstport", "udp.stream", "communityid"]


def run_tshark(path):
    """One tshark pass: the per-frame field lines, then the conversation tables.

    Returns (conversation rows, frames, tshark's stderr). Each frame: number, len, cap_len,
    protocol stack, and the transport headers tshark's conversation tap counts, each as
    (proto, stream, src ep, dst ep, has an inner IP after it, protocols after it)."""
    cmd = ["tshark", "-n", "-r", path, "--enable-protocol", "communityid", "-T", "fields",
           "-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=\t",
           "-z", "conv,tcp", "-z", "conv,udp"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    lines = res.stdout.splitlines()
    first_stat = next((i for i, l in enumerate(lines) if l.startswith("=====")), len(lines))
    rows = parse_conv_table(lines[first_stat:])
    frames = []
    for line in lines[:first_stat]:
        cols = line.split("\t")
        d = {k: (v.split(",") if v else []) for k, v in zip(FIELDS, cols)}
        toks = d["frame.protocols"][0].split(":") if d["frame.protocols"] else []
        idx = collections.Counter()
        last_ip = None
        in_icmp = False
        hdrs = []

        def take(field):
            i = idx[field]
            idx[field] += 1
            vals = d[field]
            return vals[i] if i < len(vals) else None

        for pos, t in enumerate(toks):
            if t == "ip":
                s, dd = take("ip.src"), take("ip.dst")
                last_ip = (s, dd) if s and dd else None
            elif t == "ipv6":
                s, dd = take("ipv6.src"), take("ipv6.dst")
                last_ip = (s, dd) if s and dd else None
            elif t in ("icmp", "icmpv6"):
                # Headers after this are quoted from the offending datagram: tshark's
                # conversation tap ignores them (pinfo->flags.in_error_pkt).
                in_icmp = True
            elif t in ("tcp", "udp"):
                sp, dp = take(t + ".srcport"), take(t + ".dstport")
                stream = take(t + ".stream")
                if t == "tcp":
                    # tshark stops at a TCP header length below 20 ("Bogus TCP header length")
                    # before its conversation tap runs, though tcp.stream is already set.
                    hl = take("tcp.hdr_len")
                    if hl is None or int(hl) < 20:
                        continue
                if in_icmp or stream is None or last_ip is None or sp is None or dp is None:
                    continue
                rest = toks[pos + 1:]
                inner = "ip" in rest or "ipv6" in rest
                hdrs.append((t.upper(), int(stream), ep_key(last_ip[0], sp),
                             ep_key(last_ip[1], dp), inner, rest))
        frames.append({"no": int(cols[0]), "len": int(cols[1]), "caplen": int(cols[2]),
                       "protocols": d["frame.protocols"][0] if d["frame.protocols"] else "",
                       "cids": d["communityid"], "hdrs": hdrs})
    return rows, frames, res.stderr


class Side:
    """Packets/bytes of one conversation (or a sum of them) in the lo->hi and hi->lo directions."""

    def __init__(self):
        self.pkts = [0, 0]
        self.bytes = [0, 0]    # wire length (tshark's column)
        self.capbytes = [0, 0]  # captured length
        self.frames = [[], []]  # tshark only: frame numbers per direction
        self.inner = True       # tshark only: every frame carries an inner IP after this header
        self.n = 0              # number of conversations/flows summed
        self.cids = set()       # Community IDs: tshark's of every frame / mamori's of every flow
        self.vxlan = True       # tshark only: every header is UDP to port 4789 followed by VXLAN

    def add(self, d, pkts, nbytes, capbytes, frame=None):
        self.pkts[d] += pkts
        self.bytes[d] += nbytes
        self.capbytes[d] += capbytes
        if frame is not None:
            self.frames[d].append(frame)


def tshark_conversations(frames):
    """Conversations rebuilt from the frames: per stream, then summed per 5-tuple."""
    per_stream = collections.OrderedDict()
    for fr in frames:
        for proto, stream, src, dst, inner, rest in fr["hdrs"]:
            sk = (proto, stream)
            if sk not in per_stream:
                per_stream[sk] = {"a": src, "b": dst, "ab": [0, 0], "ba": [0, 0]}
            s = per_stream[sk]
            col = "ab" if (src, dst) == (s["a"], s["b"]) else "ba"
            s[col][0] += 1
            s[col][1] += fr["len"]
    by5 = collections.OrderedDict()
    for fr in frames:
        for proto, stream, src, dst, inner, rest in fr["hdrs"]:
            key, src_is_lo = conv_key(proto, src, dst)
            side = by5.setdefault(key, Side())
            side.add(0 if src_is_lo else 1, 1, fr["len"], fr["caplen"], fr["no"])
            side.cids.update(fr["cids"])
            side.inner = side.inner and inner
            side.vxlan = side.vxlan and proto == "UDP" and \
                dst[2] == 4789 and rest[:1] == ["vxlan"]
    for sk, s in per_stream.items():
        key, _ = conv_key(sk[0], s["a"], s["b"])
        by5[key].n += 1
    return per_stream, by5


def check_oracle(rows, per_stream):
    """The rebuilt conversations must reproduce tshark's printed table. Returns error strings."""
    errs = []
    printed = collections.Counter()
    rebuilt = collections.Counter()
    for r in rows:
        printed[(r["proto"], r["a"], r["b"], r["ab_frames"], r["ba_frames"])] += 1
    for (proto, _), s in per_stream.items():
        rebuilt[(proto, s["a"], s["b"], s["ab"][0], s["ba"][0])] += 1
    if printed != rebuilt:
        for k in sorted(set(printed) | set(rebuilt)):
            if printed[k] != rebuilt[k]:
                errs.append("%s %s -> %s frames %d/%d: printed %d row(s), rebuilt %d" %
                            (k[0], ep_str(k[1]), ep_str(k[2]), k[3], k[4], printed[k], rebuilt[k]))
        return errs
    # Bytes: match rows to streams on (proto, a, b, frames) and compare the byte counts.
    pool = collections.defaultdict(list)
    for (proto, _), s in per_stream.items():
        pool[(proto, s["a"], s["b"], s["ab"][0], s["ba"][0])].append(s)
    for r in rows:
        cands = pool[(r["proto"], r["a"], r["b"], r["ab_frames"], r["ba_frames"])]

        def fits(s):
            for col, (val, unit) in (("ab", r["ab_bytes"]), ("ba", r["ba_bytes"])):
                if s[col][1] // unit != val:
                    return False
            return True

        hit = next((s for s in cands if fits(s)), None)
        if hit is None:
            errs.append("%s %s <-> %s: printed bytes ->%s <-%s, rebuilt %s" % (
                r["proto"], ep_str(r["a"]), ep_str(r["b"]), r["ab_bytes"], r["ba_bytes"],
                [(s["ab"][1], s["ba"][1]) for s in cands]))
        else:
            cands.remove(hit)
    return errs


# ---------------------------------------------------------------------------------------------
# mamori


def run_mamori(mamori, path, workdir):
    cfg = os.path.join(workdir, "oracle.yaml")
    with open(cfg, "w") as f:
        f.write(MAMORI_CONFIG)
    eve = os.path.join(workdir, "eve.json")
    res = subprocess.run([mamori, "-q", "-c", cfg, "-r", path, "--eve", eve],
                         capture_output=True, text=True, timeout=300)
    events = []
    if os.path.exists(eve):
        with open(eve) as f:
            events = [json.loads(line) for line in f if line.strip()]
    return res.returncode, res.stderr, events


def mamori_conversations(events):
    by5 = collections.OrderedDict()
    anomalies = collections.defaultdict(set)
    for e in events:
        if e.get("event_type") == "anomaly" and "pcap_cnt" in e:
            anomalies[e["pcap_cnt"]].add(e["anomaly"]["event"])
        if e.get("event_type") != "flow" or e.get("proto") not in ("TCP", "UDP"):
            continue
        src = ep_key(e["src_ip"], e["src_port"])
        dst = ep_key(e["dest_ip"], e["dest_port"])
        key, src_is_lo = conv_key(e["proto"], src, dst)
        side = by5.setdefault(key, Side())
        fl = e["flow"]
        ts, tc = (0, 1) if src_is_lo else (1, 0)
        side.add(ts, fl["pkts_toserver"], fl["bytes_toserver"], fl["bytes_toserver"])
        side.add(tc, fl["pkts_toclient"], fl["bytes_toclient"], fl["bytes_toclient"])
        side.n += 1
        if "community_id" in e:
            side.cids.add(e["community_id"])
    return by5, anomalies


# ---------------------------------------------------------------------------------------------
# comparison


def classify(key, t, m, anomalies, protocols, caplens):
    """Compare one 5-tuple. Returns (explained classes, unexplained problem or None)."""
    classes = set()
    tp = t.pkts if t else [0, 0]
    mp = m.pkts if m else [0, 0]
    if t and t.bytes != t.capbytes:
        classes.add("snaplen")

    if t and not m and t.inner and t.vxlan:
        classes.add("tunnel-outer")
        return classes, None

    if tp != mp:
        # Every frame tshark has beyond mamori's count must be one mamori cannot count for an
        # explained reason.
        if not t:
            return classes, "only in mamori"
        for d in (0, 1):
            extra = tp[d] - mp[d]
            why = collections.Counter()
            kept_bytes = 0
            for n in t.frames[d]:
                if anomalies.get(n, set()) & DROPPING_ANOMALIES:
                    why["invalid-packet"] += 1
                elif any(tok in NOT_DECODED_ENCAPS for tok in protocols[n].split(":")):
                    why["not-decoded-encap"] += 1
                else:
                    kept_bytes += caplens[n]
            if extra < 0 or extra != sum(why.values()):
                return classes, "packet counts differ"
            if (m.bytes[d] if m else 0) != kept_bytes:
                return classes, "bytes differ (expected %d captured bytes of the frames mamori" \
                                " counts)" % kept_bytes
            classes.update(c for c in why if why[c])
        return classes, None

    # Same packets: the bytes must be the captured bytes of exactly these frames.
    if m.bytes != t.capbytes:
        return classes, "bytes differ"
    # tshark's Community ID post-dissector (--enable-protocol communityid) hashes the same
    # 5-tuple; a frame in a tunnel carries one ID per layer, so mamori's must be among them.
    if not m.cids or not m.cids <= t.cids:
        return classes, "community_id %s not among tshark's %s" % (sorted(m.cids),
                                                                  sorted(t.cids))
    return classes, None


def fmt_side(s):
    if not s:
        return "absent"
    return "pkts %d/%d bytes %d/%d (%d conv/flows)" % (s.pkts[0], s.pkts[1], s.bytes[0],
                                                       s.bytes[1], s.n)


def check_capture(mamori, path, verbose):
    """Returns (lines to print, number of unexplained differences, explained-class counter)."""
    out = []
    rows, frames, _ = run_tshark(path)
    per_stream, t5 = tshark_conversations(frames)
    protocols = {fr["no"]: fr["protocols"] for fr in frames}
    caplens = {fr["no"]: fr["caplen"] for fr in frames}
    oracle_errs = check_oracle(rows, per_stream)
    if oracle_errs:
        out.append("ORACLE ERROR %s: tshark's field output does not rebuild its conversation "
                   "table:" % path)
        out += ["  " + e for e in oracle_errs[:20]]
        return out, len(oracle_errs), collections.Counter()

    with tempfile.TemporaryDirectory(prefix="mm-oracle-") as wd:
        rc, err, events = run_mamori(mamori, path, wd)
    if rc not in (0, 3):
        out.append("FAIL %s: mamori exit %d: %s" % (path, rc, err.strip()))
        return out, 1, collections.Counter()
    if rc == 3:
        out.append("note %s: mamori exit 3 (partial input): %s" % (path, err.strip()))
    m5, anomalies = mamori_conversations(events)

    bad = 0
    classes_seen = collections.Counter()
    for key in sorted(set(t5) | set(m5)):
        t, m = t5.get(key), m5.get(key)
        classes, problem = classify(key, t, m, anomalies, protocols, caplens)
        for c in classes:
            classes_seen[c] += 1
        if problem:
            bad += 1
            out.append("FAIL %s: %s: %s\n    tshark (lo->hi/hi->lo): %s; captured bytes %d/%d\n"
                       "    mamori (lo->hi/hi->lo): %s" % (
                           path, key_str(key), problem, fmt_side(t),
                           t.capbytes[0] if t else 0, t.capbytes[1] if t else 0, fmt_side(m)))
            if t:
                fr = t.frames[0][:5] + t.frames[1][:5]
                out.append("    tshark frames (first 5 per direction): %s; mamori anomalies on "
                           "them: %s" % (fr, {n: sorted(anomalies[n]) for n in fr if n in anomalies}))
        elif classes and verbose:
            out.append("explained %s: %s: %s\n    tshark: %s\n    mamori: %s" % (
                path, key_str(key), ",".join(sorted(classes)), fmt_side(t), fmt_side(m)))
    summary = "%s %s: %d tshark conversations (%d 5-tuples), %d mamori 5-tuples, %d unexplained" % (
        "ok  " if not bad else "FAIL", path, len(per_stream), len(t5), len(m5), bad)
    if classes_seen:
        summary += ", explained: " + ", ".join("%s x%d" % kv for kv in sorted(classes_seen.items()))
    out.insert(0, summary)
    return out, bad, classes_seen


def find_captures(source_dir, shared_data):
    caps = []
    for p in sorted(glob.glob(os.path.join(source_dir, "tests", "pcap", "*", "input*.pcap*"))):
        caps.append(p)
    demo = os.path.join(source_dir, "demo", "demo.pcap")
    if os.path.exists(demo):
        caps.append(demo)
    if shared_data and os.path.isdir(os.path.join(shared_data, "pcaps")):
        for root, _, files in sorted(os.walk(os.path.join(shared_data, "pcaps"))):
            for f in sorted(files):
                if f.endswith(".pcap") or f.endswith(".pcapng"):
                    caps.append(os.path.join(root, f))
    return caps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--shared-data", default=None,
                    help="the shared data folder (its pcaps/ is read recursively)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true", help="also list explained differences")
    ap.add_argument("files", nargs="*", help="check only these captures")
    args = ap.parse_args()

    if not shutil.which("tshark"):
        print("skipped: tshark not installed")
        return 77
    if not os.access(args.mamori, os.X_OK):
        fail_exit("mamori binary %s not executable" % args.mamori)

    if args.files:
        caps = args.files
    else:
        if not args.shared_data or not os.path.isdir(args.shared_data):
            print("skipped: ../shared/data not present (%s); checking only the repository's "
                  "captures" % args.shared_data)
        caps = find_captures(args.source_dir, args.shared_data)
    if not caps:
        print("skipped: no captures found")
        return 0

    total_bad = 0
    classes = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for lines, bad, seen in ex.map(lambda p: check_capture(args.mamori, p, args.verbose), caps):
            print("\n".join(lines))
            total_bad += bad
            classes.update(seen)
    print()
    print("%d captures, %d unexplained differences" % (len(caps), total_bad))
    for c, n in sorted(classes.items()):
        print("  explained %-15s x%-5d %s" % (c, n, EXPLAINED[c]))
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
