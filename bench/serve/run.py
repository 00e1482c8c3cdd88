#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What leco serve costs. Root; a benchmark, not a test.

usage: bench/serve/run.py [--build DIR] [--secs S] [--conns N] [--requests R]

One run, side by side, against the targets of doc/serve.md:
  - server CPU (% of one core, utime+stime) idle (no HTTP client) and with one browser tab
    (headless chromium on the page, updated every second): <= 0.2 % and <= 1 %;
  - /metrics time (client side, keep-alive, loopback), without and with N live loopback
    connections in the table (default 500 pairs = 1,000 connections, a rotating tenth of them
    sending every second, as bench/conky): <= 10 ms at 1,000;
  - /api/conns and /api/top time at the same sizes, for reference.
Other programs on the machine also make connections that the probes see: the table size of
each phase is printed with it.
"""
import argparse
import http.client
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
# the same connection holder as bench/conky
_spec = importlib.util.spec_from_file_location("bench_conky", os.path.join(SRC, "bench/conky/run.py"))
_conky = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conky)
HOLDER, ticks = _conky.HOLDER, _conky.ticks


def cpu_pct(pid, secs):
    hz = os.sysconf("SC_CLK_TCK")
    t0, w0 = ticks(pid), time.monotonic()
    time.sleep(secs)
    return 100.0 * (ticks(pid) - t0) / hz / (time.monotonic() - w0)


def timed(base, token, path, n):
    u = base.split("//")[1]
    host, port = u.split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    ms, size = [], 0
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", path, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        body = r.read()
        ms.append((time.perf_counter() - t) * 1000)
        if r.status != 200:
            sys.exit("bench: %s: HTTP %d" % (path, r.status))
        size = len(body)
        if r.getheader("Connection", "").lower() == "close":
            c.close()
            c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.close()
    ms.sort()
    return statistics.median(ms), ms[int(len(ms) * 0.95) - 1], size


def table_size(base, token):
    c = http.client.HTTPConnection(*base.split("//")[1].split(":"), timeout=10)
    c.request("GET", "/api/status", headers={"Authorization": "Bearer " + token})
    m = re.search(r'"conns":(\d+)', c.getresponse().read().decode())
    return int(m.group(1)) if m else -1


def browser(base, token):
    """A headless chromium on the page; returns (driver, pids of its processes)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
              "--window-size=1400,1000", "--user-data-dir=" + tempfile.mkdtemp(prefix="leco-b-")):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.get(base + "/?token=" + token)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--secs", type=int, default=30)
    ap.add_argument("--conns", type=int, default=500, help="loopback pairs (2 connections each)")
    ap.add_argument("--requests", type=int, default=100)
    a = ap.parse_args()
    if os.geteuid():
        sys.exit("bench: needs root (loads the probes)")
    bin_ = os.path.join(a.build, "bin")
    tmp = tempfile.mkdtemp(prefix="leco-bench-serve-")
    pin = "/sys/fs/bpf/leco-bench-%d-serve" % os.getpid()
    subprocess.run([bin_ + "/leco-load", "-p", pin], check=True, stdout=subprocess.DEVNULL)
    procs = []
    try:
        srv = subprocess.Popen([bin_ + "/leco", "serve", "-p", pin, "--listen", "127.0.0.1:0",
                                "--token-file", tmp + "/token"], stderr=subprocess.PIPE, text=True)
        procs.append(srv)
        line = srv.stderr.readline()
        m = re.match(r"leco: serving on (http://[^/]+)/\?token=([0-9a-f]+)", line)
        if not m:
            sys.exit("bench: leco serve did not start: " + line)
        base, token = m.groups()
        load = os.getloadavg()[0]
        print("leco serve bench (load average %.2f at start; polls every 1 s while watched, "
              "every 5 s after a minute without requests)" % load, flush=True)
        rows = []

        def timings(table):
            for path in ("/metrics", "/api/conns", "/api/top?by=process"):
                med, p95, size = timed(base, token, path, a.requests)
                rows.append(("%s ms (median, p95), table %d, %d B" % (path, table, size),
                             "%.2f, %.2f" % (med, p95), "<= 10" if path == "/metrics" else ""))
        end = time.monotonic() + 10
        while table_size(base, token) <= 0 and time.monotonic() < end:
            time.sleep(0.2)  # the first poll
        timings(table_size(base, token))
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(a.conns)],
                                  stdout=subprocess.PIPE, text=True)
        procs.append(holder)
        holder.stdout.readline()
        # nobody looks for a minute: the server polls every --idle-interval
        time.sleep(61)
        idle = cpu_pct(srv.pid, a.secs)
        t1 = table_size(base, token)
        rows.append(("idle CPU %% (nobody looked for a minute), table %d" % t1, "%.3f" % idle,
                     "<= 0.2"))
        timings(t1)
        rows.append(("idle CPU %% (looked at in the last minute), table %d" % t1,
                     "%.3f" % cpu_pct(srv.pid, a.secs), ""))
        d = browser(base, token)
        time.sleep(3)
        rows.append(("one browser tab: server CPU %%, table %d" % table_size(base, token),
                     "%.3f" % cpu_pct(srv.pid, a.secs), "<= 1"))
        d.quit()
        w = max(len(r[0]) for r in rows)
        print("%-*s  %-14s %s" % (w, "measure", "value", "target"))
        for r in rows:
            print("%-*s  %-14s %s" % (w, r[0], r[1], r[2]))
        print("RSS of leco serve at the end: %s" % _conky.status_kb(srv.pid, "VmRSS"))
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        subprocess.run([bin_ + "/leco-load", "--unload", "-p", pin], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", tmp, pin])


if __name__ == "__main__":
    main()
