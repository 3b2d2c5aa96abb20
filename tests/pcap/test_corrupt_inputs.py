#!/usr/bin/env python3
"""mamori on damaged captures: truncated files and random bit flips must never crash or hang it.

For each base capture (demo/demo.pcap, or tests/pcap/eth_ipv4_tcp_udp/input.pcap when the demo
is absent; plus <shared data>/pcaps/email/zeek_smtp.pcap when present) 200 variants are made,
deterministically (random.Random(SEED + base index)):

  * 100 truncations at random byte offsets;
  * 100 variants with 1-16 random bit flips, each flip landing in one of: the file header, a
    record header's caplen/len fields, another record header byte, the first 64 bytes of a
    packet (link/IP/transport headers) or anywhere in a packet.

mamori runs on each (2 at a time, 30 s limit each). Asserted for every variant:
  * no crash and no hang: the exit status is 0 or 3; 1 is accepted only when the 24-byte file
    header was destroyed (cut inside it or a bit flipped in it), and then stderr must name the
    file;
  * exit 3 comes with an error on stderr naming the file and "packet N";
  * eve.json is complete: every line is one JSON object and the last one is the stats event;
    non-flow events (and flows of other protocols than TCP/UDP) validate against
    docs/eve.schema.json (all events do for the small captures);
  * truncations: stats.decoder.pkts equals the number of complete records before the cut
    (counted here by walking the record headers), exit 3 names packet <that number + 1>, and a
    cut exactly between two records is a clean end (exit 0).

Memory errors: with --asan-mamori PATH (or $MM_MAMORI_ASAN) every variant is also run with that
ASan/UBSan build; with --mamori-is-asan the main binary is already one. Otherwise 10 variants
(5 truncations, 5 bit-flip variants of the first base) run under
`valgrind --error-exitcode=99 --leak-check=full`, which must report no error and no leak.

Usage: test_corrupt_inputs.py --mamori BUILD/mamori [--source-dir DIR] [--shared-data DIR]
                              [--jobs 2] [--asan-mamori PATH] [--mamori-is-asan]
                              [--keep-failures DIR] [--variants N]
"""

import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240423
N_TRUNC = 100
N_FLIP = 100
RUN_TIMEOUT_S = 30
VALGRIND_TIMEOUT_S = 120
FULL_SCHEMA_MAX_BYTES = 256 * 1024  # validate every event only for captures up to this size
PCAP_HDR = 24
REC_HDR = 16


def pcap_records(data):
    """(byte order, [(record offset, caplen)]) of a classic pcap file's complete records."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        bo = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        bo = ">"
    else:
        raise ValueError("not a classic pcap file")
    recs = []
    off = PCAP_HDR
    while off + REC_HDR <= len(data):
        caplen = struct.unpack(bo + "I", data[off + 8:off + 12])[0]
        if off + REC_HDR + caplen > len(data):
            break
        recs.append((off, caplen))
        off += REC_HDR + caplen
    return bo, recs


def complete_before(recs, cut):
    """Number of records wholly inside data[:cut], and whether cut falls on a record boundary."""
    n = 0
    boundary = cut == PCAP_HDR
    for off, caplen in recs:
        end = off + REC_HDR + caplen
        if end <= cut:
            n += 1
            boundary = end == cut
        else:
            break
    return n, boundary


def make_variants(data, recs, rng):
    """200 (kind, description, bytes, info) tuples."""
    out = []
    for i in range(N_TRUNC):
        cut = rng.randrange(0, len(data))
        n, boundary = complete_before(recs, cut)
        out.append(("trunc", "truncate at offset %d" % cut, data[:cut],
                    {"cut": cut, "complete": n, "boundary": boundary}))
    for i in range(N_FLIP):
        buf = bytearray(data)
        flips = []
        header_hit = False
        for _ in range(rng.randint(1, 16)):
            where = rng.choices(["file_header", "rec_len", "rec_header", "pkt_head", "pkt_any"],
                                weights=[3, 15, 10, 40, 32])[0]
            off, caplen = rng.choice(recs)
            if where == "file_header":
                pos = rng.randrange(0, PCAP_HDR)
            elif where == "rec_len":
                pos = off + 8 + rng.randrange(0, 8)  # incl_len / orig_len
            elif where == "rec_header":
                pos = off + rng.randrange(0, REC_HDR)
            elif where == "pkt_head" and caplen:
                pos = off + REC_HDR + rng.randrange(0, min(64, caplen))
            elif caplen:
                pos = off + REC_HDR + rng.randrange(0, caplen)
            else:
                pos = off + rng.randrange(0, REC_HDR)
            bit = rng.randrange(8)
            buf[pos] ^= 1 << bit
            flips.append("%d.%d(%s)" % (pos, bit, where))
            header_hit = header_hit or pos < PCAP_HDR
        out.append(("flip", "flip bits " + " ".join(flips), bytes(buf),
                    {"header_hit": header_hit}))
    return out


def check_output(path, res, eve_lines, kind, info, validator, full_schema):
    """Problems with one run's exit status, stderr and eve.json (list of strings)."""
    probs = []
    rc = res.returncode
    info.setdefault("exit_codes", []).append(rc)
    err = res.stderr
    if rc < 0:
        return ["killed by signal %d; stderr: %s" % (-rc, err.strip()[-2000:])]
    header_destroyed = (kind == "trunc" and info["cut"] < PCAP_HDR) or \
        (kind == "flip" and info["header_hit"])
    if rc == 1:
        if not header_destroyed:
            probs.append("exit 1 although the file header is intact; stderr: %s" % err.strip())
        elif path not in err:
            probs.append("exit 1 without naming the file on stderr: %s" % err.strip())
        return probs
    if rc not in (0, 3):
        return ["exit %d (expected 0 or 3); stderr: %s" % (rc, err.strip()[-2000:])]
    if rc == 3:
        m = re.search(r"packet (\d+)", err)
        if path not in err or not m:
            probs.append("exit 3 but stderr does not name the file and 'packet N': %s" %
                         err.strip())
    if kind == "trunc":
        if info["boundary"] and rc != 0:
            probs.append("cut between records (a clean end) but exit %d: %s" % (rc, err.strip()))
        if not info["boundary"]:
            if rc != 3:
                probs.append("cut inside record %d but exit %d (expected 3)" % (
                    info["complete"] + 1, rc))
            elif not re.search(r"packet %d\b" % (info["complete"] + 1), err):
                probs.append("stderr should name packet %d: %s" % (info["complete"] + 1,
                                                                 err.strip()))

    events = []
    for n, line in enumerate(eve_lines, 1):
        try:
            ev = json.loads(line)
            if not isinstance(ev, dict):
                raise ValueError("not an object")
            events.append(ev)
        except ValueError as e:
            probs.append("eve.json line %d is not a JSON object (%s): %.200s" % (n, e, line))
            return probs
    if not events or events[-1].get("event_type") != "stats":
        probs.append("eve.json does not end with a stats event (%d lines)" % len(eve_lines))
        return probs
    if kind == "trunc":
        pkts = events[-1].get("stats", {}).get("decoder", {}).get("pkts")
        if pkts != info["complete"]:
            probs.append("stats.decoder.pkts = %s, but %d records are complete before the cut" %
                         (pkts, info["complete"]))
    shown = 0
    for ev in events:
        if not full_schema and ev.get("event_type") == "flow" and \
                ev.get("proto") in ("TCP", "UDP"):
            continue
        for e in validator.iter_errors(ev):
            shown += 1
            if shown <= 3:
                probs.append("event does not validate against docs/eve.schema.json at %s: %s\n"
                             "      %.400s" % ("/".join(map(str, e.absolute_path)), e.message[:200],
                                               json.dumps(ev)))
    return probs


def run_variant(binary, path, kind, info, validator, full_schema, env=None, tag=""):
    with tempfile.TemporaryDirectory(prefix="mm-corrupt-") as tmp:
        eve = os.path.join(tmp, "eve.json")
        cmd = [binary, "-q", "-r", path, "--eve", eve]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                 timeout=RUN_TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            return ["%shang: no exit within %d s" % (tag, RUN_TIMEOUT_S)]
        lines = []
        if os.path.exists(eve):
            with open(eve, errors="replace") as f:
                lines = f.read().splitlines()
    probs = check_output(path, res, lines, kind, info, validator, full_schema)
    if env is not None and ("AddressSanitizer" in res.stderr or "runtime error:" in res.stderr
                            or "LeakSanitizer" in res.stderr):
        probs.append("sanitizer report:\n%s" % res.stderr[-3000:])
    return [tag + p for p in probs]


# Loader reports that are glibc's, not mamori's (see the file).
VALGRIND_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "valgrind",
                             "glibc-ld-so.supp")


def run_valgrind(binary, path):
    with tempfile.TemporaryDirectory(prefix="mm-vg-") as tmp:
        cmd = ["valgrind", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite,indirect,possible",
               "--suppressions=" + VALGRIND_SUPP, binary, "-q", "-r", path,
               "--eve", os.path.join(tmp, "eve.json")]
        try:
            # valgrind cannot follow PCRE2's JIT code (the shipped web rules use pcre).
            env = dict(os.environ, MAMORI_PCRE_JIT="0")
            res = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                 timeout=VALGRIND_TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            return ["valgrind: no exit within %d s" % VALGRIND_TIMEOUT_S]
    probs = []
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", res.stderr)
    if res.returncode == 99 or not summary or summary.group(1) != "0":
        probs.append("valgrind reports errors (exit %d):\n%s" % (res.returncode,
                                                                res.stderr[-4000:]))
    for kind in ("definitely lost", "indirectly lost", "possibly lost"):
        m = re.search(kind + r": ([\d,]+) bytes", res.stderr)
        if m and m.group(1) != "0":
            probs.append("valgrind: %s: %s bytes" % (kind, m.group(1)))
    return probs


def main():
    ap = argparse.ArgumentParser(description="mamori on truncated and bit-flipped captures")
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--shared-data", default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--asan-mamori", default=os.environ.get("MM_MAMORI_ASAN") or None,
                    help="an ASan/UBSan build of mamori to run on every variant as well")
    ap.add_argument("--mamori-is-asan", action="store_true",
                    help="--mamori is itself an ASan build (valgrind is then skipped)")
    ap.add_argument("--keep-failures", default=None, help="copy failing variants here")
    ap.add_argument("--variants", type=int, default=None,
                    help="only the first N variants of each kind (for a quick run)")
    args = ap.parse_args()

    src = args.source_dir
    bases = []
    demo = os.path.join(src, "demo", "demo.pcap")
    bases.append(demo if os.path.exists(demo) else
                 os.path.join(src, "tests", "pcap", "eth_ipv4_tcp_udp", "input.pcap"))
    if args.shared_data and os.path.isdir(args.shared_data):
        bases.append(os.path.join(args.shared_data, "pcaps", "email", "zeek_smtp.pcap"))
    else:
        print("note: %s not present: zeek_smtp.pcap not used" % args.shared_data)
    with open(os.path.join(src, "docs", "eve.schema.json")) as f:
        schema = json.load(f)
    vcls = jsonschema.validators.validator_for(schema)
    validator = vcls(schema, format_checker=vcls.FORMAT_CHECKER)

    asan_env = None
    if args.asan_mamori:
        if not os.access(args.asan_mamori, os.X_OK):
            print("ERROR: ASan binary %s is not executable" % args.asan_mamori)
            return 2
        asan_env = dict(os.environ,
                        ASAN_OPTIONS="exitcode=98:detect_leaks=1:abort_on_error=0",
                        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=98")

    failures = 0
    vg_targets = []
    with tempfile.TemporaryDirectory(prefix="mm-variants-") as vdir:
        jobs = []
        for bi, base in enumerate(bases):
            with open(base, "rb") as f:
                data = f.read()
            _, recs = pcap_records(data)
            rng = random.Random(SEED + bi)
            variants = make_variants(data, recs, rng)
            if args.variants:
                variants = variants[:args.variants] + variants[N_TRUNC:N_TRUNC + args.variants]
            full = len(data) <= FULL_SCHEMA_MAX_BYTES
            name = os.path.splitext(os.path.basename(base))[0]
            print("%s: %d bytes, %d records, %d variants (seed %d)" % (
                base, len(data), len(recs), len(variants), SEED + bi))
            for vi, (kind, desc, blob, info) in enumerate(variants):
                path = os.path.join(vdir, "%s-%03d-%s.pcap" % (name, vi, kind))
                with open(path, "wb") as f:
                    f.write(blob)
                jobs.append((base, vi, kind, desc, path, info, full))
                if bi == 0 and not args.asan_mamori and not args.mamori_is_asan and \
                        sum(1 for j in vg_targets if j[2] == kind) < 5:
                    vg_targets.append((base, vi, kind, desc, path))

        def work(job):
            base, vi, kind, desc, path, info, full = job
            probs = run_variant(args.mamori, path, kind, info, validator, full)
            if asan_env is not None:
                probs += run_variant(args.asan_mamori, path, kind, info, validator, full,
                                     env=asan_env, tag="[asan] ")
            return job, probs

        by_kind = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            for (base, vi, kind, desc, path, info, full), probs in ex.map(work, jobs):
                tally = by_kind.setdefault((base, kind), [0, 0, {}])
                tally[0] += 1
                for rc in info.get("exit_codes", [])[:1]:
                    tally[2][rc] = tally[2].get(rc, 0) + 1
                if probs:
                    tally[1] += 1
                    failures += 1
                    print("FAIL %s variant %d: %s" % (base, vi, desc))
                    for p in probs:
                        print("    " + p.replace("\n", "\n    "))
                    if args.keep_failures:
                        os.makedirs(args.keep_failures, exist_ok=True)
                        shutil.copy(path, args.keep_failures)
        for (base, kind), (n, bad, codes) in sorted(by_kind.items()):
            print("%s %s: %d variants, %d failed; exit status: %s" % (
                base, kind, n, bad, ", ".join("%s x%d" % kv for kv in sorted(codes.items()))))

        if args.asan_mamori or args.mamori_is_asan:
            print("memory checks: every variant ran under ASan/UBSan")
        elif not shutil.which("valgrind"):
            print("FAIL valgrind not installed and no ASan build given")
            failures += 1
        else:
            def vg(job):
                return job, run_valgrind(args.mamori, job[4])
            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
                for (base, vi, kind, desc, path), probs in ex.map(vg, vg_targets):
                    if probs:
                        failures += 1
                        print("FAIL valgrind %s variant %d: %s" % (base, vi, desc))
                        for p in probs:
                            print("    " + p.replace("\n", "\n    "))
            print("valgrind: %d variants checked" % len(vg_targets))

    print("%d failing variant runs" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
