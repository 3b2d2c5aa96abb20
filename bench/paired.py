#!/usr/bin/env python3
"""Paired CPU-time comparison of two mamori configurations on one capture (not a test).

bench/run's throughput figures are the best of a few runs of each configuration taken one
after the other. On a shared or virtual machine the speed drifts by several per cent from
minute to minute, so the ratio of two such figures moves by points between sets of runs.
This compares the configurations in rounds instead: each round runs both, in alternating
order, and the difference is taken within the round, so the drift cancels. Time is the CPU
time of the child (getrusage: user + system). Each configuration's start-up (the median of
five runs on an empty capture: rule loading, the vendor registry) is subtracted, because
the throughput figures leave start-up out too.

usage: bench/paired.py --mamori BIN --pcap FILE --base CONF --test CONF [--rounds N] [--pin CPU]
prints the median net CPU time of each, the mean paired difference with its standard error,
and the cost 1 - base/test (by medians, and by the mean difference).
"""

import argparse
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile


def cpu_ms(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1e3 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--base", required=True, help="configuration file of the baseline")
    ap.add_argument("--test", required=True, help="configuration file compared with it")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--pin", help="run every child on this CPU (taskset)")
    a = ap.parse_args()
    if a.rounds < 2:
        ap.error("--rounds must be at least 2")

    tmp = tempfile.mkdtemp(prefix="mamori-paired-")
    try:
        empty = os.path.join(tmp, "empty.pcap")
        with open(empty, "wb") as f:  # a pcap header (Ethernet) and no packet
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        pin = ["taskset", "-c", a.pin] if a.pin else []

        def run(conf, pcap):
            cmd = pin + [a.mamori, "-r", pcap, "-l", out, "--no-progress", "-q", "-c", conf]
            ms = cpu_ms(cmd)
            eve = os.path.join(out, "eve.json")
            if os.path.exists(eve):
                os.remove(eve)  # -l appends: every run starts from an empty file
            return ms

        confs = {"base": a.base, "test": a.test}
        start = {k: statistics.median(run(c, empty) for _ in range(5)) for k, c in confs.items()}
        net = {"base": [], "test": []}
        for r in range(a.rounds):
            order = ["base", "test"] if r % 2 == 0 else ["test", "base"]
            for k in order:
                net[k].append(run(confs[k], a.pcap) - start[k])
        diff = [t - b for t, b in zip(net["test"], net["base"])]
        mb, mt = statistics.median(net["base"]), statistics.median(net["test"])
        md = statistics.mean(diff)
        sem = statistics.stdev(diff) / len(diff) ** 0.5
        print("paired CPU time, %d rounds, start-up subtracted (base %.1f ms, test %.1f ms):"
              % (a.rounds, start["base"], start["test"]))
        print("  base %.1f ms, test %.1f ms (medians); test - base %+.1f +- %.1f ms (mean, "
              "standard error)" % (mb, mt, md, sem))
        print("  cost: test runs %.1f %% slower by medians, %.1f %% by the mean difference "
              "(%.1f-%.1f %% within one standard error)"
              % (100 * (1 - mb / mt), 100 * md / (mb + md), 100 * (md - sem) / (mb + md - sem),
                 100 * (md + sem) / (mb + md + sem)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
