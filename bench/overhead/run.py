#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Probe overhead, measured side by side in one run (root; a benchmark, not a test).

usage: bench/overhead/run.py [--build DIR] [--rounds N] [--secs S] [--cpus A,B]

Runs rounds of three configurations, in an order rotated every round:
  none   no programs attached
  floor  empty programs on the send/recv tracepoints (leco-bench-floor): what
         merely attaching anything there costs (tracepoint dispatch, the
         indirect call into the program), the bound below which no probe can go
  probes the probes, loaded by leco-load into a private pin dir
and measures in each:
  - loopback TCP ping-pong rate (build/bench/leco-bench-pingpong, 1-byte messages)
  - iperf3 throughput on 127.0.0.1 with 1 KiB and 128 KiB writes
The two sides of each workload are pinned to two different CPUs (--cpus; "" to
let the scheduler place them): on a 2-core VM, whether it puts both on one core
changes the ping-pong rate by half, far more than the probes do.
Then, with the probes loaded and kernel.bpf_stats_enabled=1, the cost per run of
each program (run_time_ns / run_cnt) under the same workloads, next to the empty
programs: their cost is what the statistics themselves add, so "net" = probe - floor.
Prints per-round ratios (rate with / without) and CPU-cost ratios (CPU time per
operation of the benchmark's own processes, without / with: less sensitive to
other load on a shared machine), their medians, and the per-hook costs.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


NICE = []  # e.g. ["nice", "-n", "-10"]: the workload ahead of other load on a shared machine
CPUS = []  # [client CPU, server CPU], or empty: not pinned


def sh(*a, **kw):
    return subprocess.run(a, capture_output=True, text=True, check=True, timeout=120, **kw)


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def pingpong(build, secs):
    """(round trips per second, CPU seconds of both processes per million round trips)"""
    c0 = cpu_children()
    rate = float(sh(*NICE, os.path.join(build, "bench", "leco-bench-pingpong"), str(secs), "1",
                    *[str(c) for c in CPUS]).stdout)
    return rate, (cpu_children() - c0) / (rate * secs) * 1e6


def iperf(port, size, secs):
    """(MB/s, CPU seconds of client+server per GB)"""
    pin = ["-A", str(CPUS[0])] if CPUS else []
    r = sh(*NICE, "iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(secs), "-l", size, "-J",
           *pin)
    j = json.loads(r.stdout)["end"]
    mbs = j["sum_received"]["bits_per_second"] / 8e6
    cpu = (j["cpu_utilization_percent"]["host_total"] +
           j["cpu_utilization_percent"]["remote_total"]) / 100 * secs
    return mbs, cpu / (mbs * secs) * 1e3


def workloads(build, port, secs):
    return {"pingpong": pingpong(build, secs), "iperf3_1K": iperf(port, "1K", secs),
            "iperf3_128K": iperf(port, "128K", secs)}


def prog_ids(pin):
    out = {}
    ld = os.path.join(pin, "links")
    for n in sorted(os.listdir(ld)):
        j = json.loads(sh("bpftool", "-j", "link", "show", "pinned", os.path.join(ld, n)).stdout)
        out[n] = j["prog_id"]
    return out


def prog_stats(ids):
    progs = {p["id"]: p for p in json.loads(sh("bpftool", "-j", "prog", "show").stdout)}
    return {n: (progs.get(i, {}).get("run_time_ns", 0), progs.get(i, {}).get("run_cnt", 0))
            for n, i in ids.items()}


class Floor:
    """The empty programs of floor.bpf.o, attached while this is open"""

    def __init__(self, build):
        self.p = subprocess.Popen([os.path.join(build, "bench", "leco-bench-floor"),
                                   os.path.join(build, "bench", "floor.bpf.o")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.p.stdout.readline().strip() != "ready":
            self.close()
            sys.exit("overhead: the floor programs did not load")

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


def median_line(name, v):
    return "  %-12s %.3f   (rounds: %s)" % (name, statistics.median(v),
                                           " ".join("%.3f" % x for x in v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--secs", type=int, default=2)
    ap.add_argument("--nice", type=int, default=-10,
                    help="nice value for the workloads (0: as is); ahead of other load")
    ap.add_argument("--cpus", default="0,1" if (os.cpu_count() or 1) >= 2 else "",
                    help="CPU of the client and of the server side (default 0,1 with two"
                    " or more CPUs; \"\": not pinned)")
    ap.add_argument("--hooks-only", action="store_true", help="only the per-hook cost")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("overhead: needs root (loads the probes, sets kernel.bpf_stats_enabled)")
    build = os.path.abspath(args.build)
    if args.nice:
        NICE[:] = ["nice", "-n", str(args.nice)]
    if args.cpus:
        try:
            CPUS[:] = [int(c) for c in args.cpus.split(",")]
        except ValueError:
            CPUS[:] = []
        if len(CPUS) != 2 or any(c < 0 or c >= os.cpu_count() for c in CPUS):
            sys.exit("overhead: --cpus wants two CPU numbers below %d, got %r"
                     % (os.cpu_count(), args.cpus))
    load = os.path.join(build, "bin", "leco-load")
    pin = "/sys/fs/bpf/leco-bench-%d" % os.getpid()
    port = 15201 + os.getpid() % 1000
    srv = subprocess.Popen([*NICE, "iperf3", "-s", "-B", "127.0.0.1", "-p", str(port),
                            *(["-A", str(CPUS[1])] if CPUS else [])],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stats_before = sh("sysctl", "-n", "kernel.bpf_stats_enabled").stdout.strip()
    kinds = ("pingpong", "iperf3_1K", "iperf3_128K")
    configs = ("none", "floor", "probes")
    ratio = {c: {k: [] for k in kinds} for c in configs[1:]}
    cpu_ratio = {c: {k: [] for k in kinds} for c in configs[1:]}
    try:
        time.sleep(0.3)  # let iperf3 -s bind; the first client retries otherwise
        for r in range(0 if args.hooks_only else args.rounds):
            res = {}
            for c in configs[r % 3:] + configs[:r % 3]:
                floor = Floor(build) if c == "floor" else None
                if c == "probes":
                    sh(load, "-p", pin)
                try:
                    res[c] = workloads(build, port, args.secs)
                finally:
                    if floor:
                        floor.close()
                    if c == "probes":
                        sh(load, "--unload", "-p", pin)
            line = []
            for k in kinds:
                for c in configs[1:]:
                    ratio[c][k].append(res[c][k][0] / res["none"][k][0])
                    cpu_ratio[c][k].append(res["none"][k][1] / res[c][k][1])
                line.append("%s %.0f/%.0f/%.0f=%.3f/%.3f" % (
                    k, res["none"][k][0], res["floor"][k][0], res["probes"][k][0],
                    ratio["floor"][k][-1], ratio["probes"][k][-1]))
            print("round %d (none/floor/probes = floor ratio/probes ratio): %s"
                  % (r + 1, "  ".join(line)), flush=True)
        if not args.hooks_only:
            for c in configs[1:]:
                print()
                print("median ratio %s / none%s" % (c, (
                    " (targets: pingpong >= 0.99, iperf3_1K >= 0.97)" if c == "probes" else
                    " (empty programs: the bound for any probe)")))
                for k in kinds:
                    print(median_line(k, ratio[c][k]))
                print("median CPU-cost ratio %s: CPU time per operation none / %s (1.0 = free;"
                      " insensitive to other load competing for the CPUs)" % (c, c))
                for k in kinds:
                    print(median_line(k, cpu_ratio[c][k]))
        # per-hook cost, next to empty programs on the same tracepoints (the floor: what
        # bpf_stats' own clock reads cost)
        sh(load, "-p", pin)
        floor = Floor(build)
        try:
            sh("sysctl", "-qw", "kernel.bpf_stats_enabled=1")
            ids = prog_ids(pin)
            ids.update({p["name"]: p["id"]
                        for p in json.loads(sh("bpftool", "-j", "prog", "show").stdout)
                        if p.get("name") in ("floor_send", "floor_recv")
                        and p["id"] not in ids.values()})
            s0 = prog_stats(ids)
            workloads(build, port, args.secs)
            s1 = prog_stats(ids)
        finally:
            floor.close()
        print()
        print("per-hook cost under the same workloads (kernel.bpf_stats_enabled=1; target "
              "send/recv <= 150 ns)")
        cost = {}
        for n in ids:
            dt, dc = s1[n][0] - s0[n][0], s1[n][1] - s0[n][1]
            cost[n] = dt / dc if dc else 0
            print("  %-14s %8.1f ns/run  (%d runs)" % (n, cost[n], dc))
        for hook in ("send", "recv"):
            if cost.get("floor_" + hook):
                print("  leco_%s net of the floor (empty program, bpf_stats' own overhead): "
                      "%.1f ns" % (hook, cost["leco_" + hook] - cost["floor_" + hook]))
    finally:
        subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=" + stats_before],
                       capture_output=True)
        subprocess.run([load, "--unload", "-p", pin], capture_output=True)
        srv.terminate()
        srv.wait(10)


if __name__ == "__main__":
    main()
