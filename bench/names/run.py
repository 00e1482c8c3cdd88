#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cost of the names probe per resolver call, with and without it in one run (root; a
benchmark, not a test).

usage: bench/names/run.py [--build DIR] [--rounds N] [--procs P] [--calls C]

Rounds of two configurations, in an order rotated every round:
  none    the names probe not attached
  probe   leco-load into a private pin dir with only the names job (and the required tcp
          states job, which a lookup from /etc/hosts never enters)
In each, build/bench/leco-bench-gai runs in a private mount namespace whose /etc/hosts holds
C names (and nsswitch.conf says hosts: files): P processes each resolve the C names once
(every answer new: the probe writes it into the names ring), then P processes each resolve
one name C times (repeats: the probe finds it in names_seen and writes nothing). Prints the
ns per getaddrinfo() call of each, their medians, and the difference: what the probe costs a
program per call (both uprobe traps and both programs). Then, with kernel.bpf_stats_enabled=1,
the two programs' own run time per call, of the same two workloads.
Target (doc/names.md): <= 5 us per resolver call.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "bpf"))
import names as nt  # noqa: E402  (Hosts: a private /etc/hosts)

ONLY_NAMES = "live=none,owners=none,udp=none,drops=none,exec=none,adopt=none"


def sh(*a, **kw):
    return subprocess.run(a, capture_output=True, text=True, check=True, timeout=300, **kw)


def gai(args, hosts, mode="both"):
    """ns per call: (distinct names, a repeated name), or the one of `mode`"""
    r = subprocess.run([os.path.join(args.build, "bench", "leco-bench-gai"), str(args.procs),
                        str(args.calls), "bench.leco.test", mode], capture_output=True, text=True,
                       timeout=600, preexec_fn=hosts.enter)
    if r.returncode != 0:
        sys.exit("names bench: leco-bench-gai failed: %s" % r.stderr.strip())
    return tuple(int(x) for x in r.stdout.split())


class Probe:
    def __init__(self, args):
        self.load = os.path.join(args.build, "bin", "leco-load")
        self.dir = "/sys/fs/bpf/leco-bench-%d-names" % os.getpid()

    def __enter__(self):
        sh(self.load, "-p", self.dir, "--hooks", ONLY_NAMES)
        return self

    def __exit__(self, *a):
        subprocess.run([self.load, "--unload", "-p", self.dir], capture_output=True, timeout=60)

    def stats(self):
        """(run_time_ns, run_cnt) of leco_gai + leco_gai_ret"""
        ids = [json.loads(sh("bpftool", "-j", "link", "show", "pinned",
                             os.path.join(self.dir, "links", n)).stdout)["prog_id"]
               for n in ("leco_gai", "leco_gai_ret")]
        progs = {p["id"]: p for p in json.loads(sh("bpftool", "-j", "prog", "show").stdout)}
        return (sum(progs[i].get("run_time_ns", 0) for i in ids),
                sum(progs[i].get("run_cnt", 0) for i in ids))


def others():
    """programs named leco_gai* that are not ours: other loaded probes run on every call too"""
    progs = json.loads(sh("bpftool", "-j", "prog", "show").stdout)
    return sum(1 for p in progs if p.get("name", "").startswith("leco_gai"))


def prog_cost(args, hosts):
    """ns of program time (both programs) per call: (distinct names, a repeated name)"""
    old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    out = []
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        with Probe(args) as p:
            for mode in ("distinct", "repeat"):
                t0, n0 = p.stats()
                gai(args, hosts, mode)
                t1, n1 = p.stats()
                out.append((t1 - t0) / max(1, (n1 - n0) / 2))  # two programs per call
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--procs", type=int, default=9)
    ap.add_argument("--calls", type=int, default=500)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("names bench: needs root")
    hosts = nt.Hosts([("127.0.%d.%d" % (1 + i // 250, 1 + i % 250), "n%d.bench.leco.test" % i)
                      for i in range(args.calls)])
    try:
        res = {"none": [], "probe": []}
        stray = others()
        for rnd in range(args.rounds):
            for cfg in (("none", "probe") if rnd % 2 == 0 else ("probe", "none")):
                if cfg == "probe":
                    with Probe(args):
                        res[cfg].append(gai(args, hosts))
                else:
                    res[cfg].append(gai(args, hosts))
            print("round %d: none %s  probe %s (ns/call: distinct, repeated)" %
                  (rnd + 1, res["none"][-1], res["probe"][-1]), flush=True)
        for k, what in ((0, "distinct names (written to the ring)"),
                        (1, "one name repeated (not written again)")):
            a = statistics.median(r[k] for r in res["none"])
            b = statistics.median(r[k] for r in res["probe"])
            print("%-40s none %7.0f ns  probe %7.0f ns  probe costs %+6.0f ns/call (x%.3f)" %
                  (what, a, b, b - a, b / a))
        print("program time (bpf_stats), both programs, per call: distinct %.0f ns, "
              "repeated %.0f ns" % tuple(prog_cost(args, hosts)))
        print("load: %s; leco_gai programs of other loads running too: %d" %
              (" ".join(open("/proc/loadavg").read().split()[:3]), stray))
    finally:
        hosts.remove()


if __name__ == "__main__":
    main()
