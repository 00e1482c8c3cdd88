#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real Prometheus against leco serve (tests/web/prometheus.sh runs both).

  prom_check.py PROM_BASE RATEGEN_LOG WINDOW
Waits until Prometheus has scraped past the end of the paced traffic, then compares
rate(leco_sent_bytes_total{program="rategen.py",direction="out"}[WINDOW]) at the end of the
traffic with what rategen.py logged it sent in that window. Within 5%.
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webcheck import Checks  # noqa: E402

check = Checks()


def query(base, q, t=None):
    args = {"query": q}
    if t is not None:
        args["time"] = "%.3f" % t
    with urllib.request.urlopen(base + "/api/v1/query?" + urllib.parse.urlencode(args),
                                timeout=10) as r:
        d = json.load(r)
    if d.get("status") != "success":
        raise RuntimeError(d)
    return d["data"]["result"]


def main():
    base, log, window = sys.argv[1], sys.argv[2], int(sys.argv[3])
    steps = [tuple(map(float, x.split())) for x in open(log) if x.strip()]
    t_end = steps[-1][0] - 1.0  # inside the steady part: before the connection closes
    t_start = t_end - window
    in_window = [b for t, b in steps if t_start <= t <= t_end]
    sent = max(in_window) - min(in_window)
    span = [t for t, _ in steps if t_start <= t <= t_end]
    actual = sent / (span[-1] - span[0])
    up = query(base, 'up{job="leco"}')
    check("Prometheus scrapes leco serve with the token (up == 1)",
          up and up[0]["value"][1] == "1", up)
    # scraped past t_end: the newest sample's time
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = query(base, 'timestamp(leco_up{job="leco"})')
        if r and float(r[0]["value"][1]) > t_end + 2:
            break
        time.sleep(0.5)
    q = 'sum(rate(leco_sent_bytes_total{program="rategen.py",direction="out"}[%ds]))' % window
    r = query(base, q, t_end)
    prom = float(r[0]["value"][1]) if r else 0.0
    err = abs(prom - actual) / actual if actual else 1
    check("PromQL %s at the end of the traffic = %.0f B/s; rategen.py sent %.0f B/s in that "
          "window: %.2f%% apart (at most 5%%)" % (q, prom, actual, err * 100), err <= 0.05)
    check.done()


if __name__ == "__main__":
    main()
