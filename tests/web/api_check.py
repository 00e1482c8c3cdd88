#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks of a running `leco serve` (tests/web/serve.sh starts it and makes the traffic).

  api_check.py BASE TOKEN TRAFFIC_JSON CLI_DIR MAX_STREAMS
    BASE          http://127.0.0.1:PORT
    TRAFFIC_JSON  what tests/service/traffic.py printed ({"port","cport","pid"}); that process
                  sent 7000 bytes and received 9000 on one TCP connection, both ends its own
    CLI_DIR       conns.json, top.json, status.json: `leco conns|top|status --json` output;
                  history.json, new.json: `leco report [--new] --json` over range.json's
                  {"since", "until"} of the database the server reads (--db), written by
                  `leco record` while the traffic ran, and no longer written
Prints "ok NAME" / "FAIL NAME: why" and "N passed, N failed"; exit 1 on any failure.
"""
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webcheck import Checks, request, sse_first  # noqa: E402

check = Checks()


def header(r, name):
    for k, v in r["headers"]:
        if k.lower() == name.lower():
            return v
    return None


def wait_for(fn, seconds):
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


def jlines(path):
    with open(path) as f:
        return [json.loads(x) for x in f if x.strip()]


def metrics(base, token, accept=None):
    r = request(base + "/metrics", bearer=token, accept=accept)
    vals = {}
    for line in r["body"].splitlines():
        m = re.match(r'^([a-z_]+)(\{[^}]*\})? (\d+)$', line)
        if m:
            vals[(m.group(1), m.group(2) or "")] = int(m.group(3))
    return r, vals


def total(vals, name, sel):
    return sum(v for (n, labels), v in vals.items() if n == name and sel in labels)


def history(base, token, cli, tr):
    """/api/history and /api/new: the objects of `leco report --json`, on the same database."""
    rng = json.load(open(os.path.join(cli, "range.json")))
    span = "since=@%d&until=@%d" % (rng["since"], rng["until"])

    def get(path):
        r = request(base + path, bearer=token)
        return json.loads(r["body"]) if r["status"] == 200 else r
    cli_hist = jlines(os.path.join(cli, "history.json"))
    rows = get("/api/history?%s&by=app&n=50" % span)
    check("/api/history == leco report --json (the same objects, in the same order)",
          rows == cli_hist, (rows, cli_hist))
    keys = {"by", "key", "rx", "tx", "conns", "failed", "blocked", "first_seen", "last_seen",
            "rname"}
    check("/api/history objects have the keys of leco report --json",
          isinstance(rows, list) and rows and all(set(r) == set(cli_hist[0]) == keys for r in rows),
          rows)
    app = [r for r in rows if r["key"] == "traffic.py"] if isinstance(rows, list) else []
    check("/api/history: traffic.py with exact bytes (16000 each way) and 2 connections",
          app and app[0]["rx"] == 16000 and app[0]["tx"] == 16000 and app[0]["conns"] == 2, app)
    remote = get("/api/history?%s&by=remote" % span)
    check("/api/history?by=remote: 127.0.0.1 with by remote",
          isinstance(remote, list) and any(r["by"] == "remote" and r["key"] == "127.0.0.1"
                                           and r["tx"] >= 16000 for r in remote), remote)
    steps = get("/api/history?%s&by=app&step=1h" % span)
    mine = [r for r in steps if r["key"] == "traffic.py"] if isinstance(steps, list) else []
    check("/api/history?step=1h: the report objects with t, the bucket's start",
          isinstance(steps, list) and steps and all(set(r) == keys | {"t"} for r in steps) and
          all(rng["since"] <= r["t"] < rng["until"] for r in steps), steps)
    check("/api/history?step=1h: the buckets add up to the total (16000 each way)",
          sum(r["rx"] for r in mine) == 16000 and sum(r["tx"] for r in mine) == 16000, mine)
    cli_new = jlines(os.path.join(cli, "new.json"))
    new = get("/api/new?%s" % span)
    check("/api/new == leco report --new --json", new == cli_new, (new, cli_new))
    pkeys = {"app", "exe", "unit", "user", "raddr", "rport", "rname", "proto", "first_seen",
             "last_seen"}
    check("/api/new objects have the keys of leco report --new --json",
          isinstance(new, list) and new and all(set(p) == set(cli_new[0]) == pkeys for p in new),
          new)
    check("/api/new: traffic.py's pair (127.0.0.1, the test's port, tcp)",
          isinstance(new, list) and any(p["app"] == "traffic.py" and p["raddr"] == "127.0.0.1" and
                                        p["rport"] == tr["port"] and p["proto"] == "tcp"
                                        for p in new), new)
    own = get("/api/new?since=@0&app=traffic.py")
    check("/api/new?app=traffic.py: only its pairs, the test's among them",
          isinstance(own, list) and own and all(p["app"] == "traffic.py" for p in own) and
          any(p["rport"] == tr["port"] for p in own), own)
    r = request(base + "/api/history?by=nope", bearer=token)
    check("/api/history?by=nope: 400 naming it", r["status"] == 400 and "bad by 'nope'" in r["body"],
          r["body"])


def main():
    base, token, traffic, cli, max_streams = sys.argv[1:6]
    tr = json.loads(traffic)
    port = base.rsplit(":", 1)[1]

    # --- access ----------------------------------------------------------------------
    r = request(base + "/api/status")
    check("no token: 401", r["status"] == 401, r["status"])
    check("no token: WWW-Authenticate: Bearer", (header(r, "WWW-Authenticate") or "").startswith("Bearer"))
    check("no token: no data", "conns" not in r["body"], r["body"])
    for path in ("/", "/api/conns", "/api/top", "/api/events", "/metrics", "/app.js", "/nope"):
        r = request(base + path)
        check("no token: %s is 401" % path, r["status"] == 401, r["status"])
    r = request(base + "/api/status", bearer="0" * 64)
    check("wrong bearer token: 401", r["status"] == 401, r["status"])
    r = request(base + "/api/status?token=" + "0" * 64)
    check("wrong ?token=: 401 and no cookie", r["status"] == 401 and not header(r, "Set-Cookie"))
    r = request(base + "/api/status", bearer=token[:-1])
    check("token cut short: 401", r["status"] == 401, r["status"])
    r = request(base + "/api/status", bearer=token)
    check("bearer token: 200", r["status"] == 200, r)
    r = request(base + "/?token=" + token)
    ck = header(r, "Set-Cookie") or ""
    check("?token= on the page: 303 to / (the token leaves the address bar)",
          r["status"] == 303 and header(r, "Location") == "/", r)
    check("?token= sets the cookie HttpOnly, SameSite=Strict, Path=/",
          ck.startswith("leco_token=" + token) and "HttpOnly" in ck and "SameSite=Strict" in ck
          and "Path=/" in ck, ck)
    r = request(base + "/", cookie=token)
    check("cookie: the page", r["status"] == 200 and "<html" in r["body"], r["status"])
    check("page: Content-Security-Policy without inline scripts",
          "script-src 'self'" in (header(r, "Content-Security-Policy") or ""))
    r = request(base + "/api/status", host="evil.example:" + port, bearer=token)
    check("wrong Host (DNS rebinding): 403, no data", r["status"] == 403 and "conns" not in r["body"], r)
    r = request(base + "/api/status", host="127.0.0.1:" + str(int(port) + 1), bearer=token)
    check("Host with another port: 403", r["status"] == 403, r["status"])
    r = request(base + "/api/status", host="localhost:" + port, bearer=token)
    check("Host localhost:PORT: 200", r["status"] == 200, r["status"])
    r = request(base + "/api/status", host="", bearer=token)
    check("no Host: refused", r["status"] in (400, 403), r["status"])
    for m in ("POST", "PUT", "DELETE", "OPTIONS"):
        r = request(base + "/api/status", bearer=token, method=m)
        check("%s: 405" % m, r["status"] == 405 and header(r, "Allow") == "GET, HEAD", r["status"])
    r = request(base + "/api/status", bearer=token, headers={"Origin": "http://evil.example"})
    check("no CORS header for another origin",
          not any(k.lower().startswith("access-control") for k, _ in r["headers"]))
    try:
        r = request(base + "/api/status", bearer=token, headers={"X-Big": "x" * 65536})
        check("a 64 KiB header is refused", r["status"] in (413, 431, 400), r["status"])
    except (ConnectionError, OSError) as e:
        check("a 64 KiB header is refused (connection closed: %s)" % type(e).__name__, True)
    r = request(base + "/api/status", bearer=token)
    check("still serving after the big request", r["status"] == 200, r["status"])
    r = request(base + "/nope", bearer=token)
    check("unknown path: 404", r["status"] == 404, r["status"])
    r = request(base + "/api/top?by=nope", bearer=token)
    check("bad by: 400 naming it", r["status"] == 400 and "bad by 'nope'" in r["body"], r["body"])
    r = request(base + "/api/top?since=2h", bearer=token)
    check("parameter the route does not take: 400", r["status"] == 400 and "since" in r["body"], r["body"])

    # --- the JSON API: the CLI's field names ----------------------------------------
    st = json.loads(request(base + "/api/status", bearer=token)["body"])
    cli_st = jlines(os.path.join(cli, "status.json"))[0]
    check("/api/status has the keys of leco status --json", set(st) == set(cli_st),
          set(st) ^ set(cli_st))
    check("/api/status: probes loaded", st.get("loaded") is True, st)

    def conn_seen():
        r = request(base + "/api/conns?pid=%d" % tr["pid"], bearer=token)
        if r["status"] != 200:
            return None
        for c in json.loads(r["body"]):
            if c["rport"] == tr["port"] and c["dir"] == "out":
                return c
        return None
    c = wait_for(conn_seen, 10)
    check("/api/conns: the test's connection with exact bytes (tx 7000, rx 9000)",
          c and c["tx"] == 7000 and c["rx"] == 9000, c)
    check("/api/conns: first_ever from the history (--db): its app never talked there before",
          c and c.get("first_ever") is True, c)
    cli_conns = jlines(os.path.join(cli, "conns.json"))
    if c and cli_conns:
        check("/api/conns objects have the keys of leco conns --json", set(c) == set(cli_conns[0]),
              set(c) ^ set(cli_conns[0]))
    r = request(base + "/api/conns?n=1", bearer=token)
    check("/api/conns?n=1: one", r["status"] == 200 and len(json.loads(r["body"])) == 1, r["body"][:200])
    r = request(base + "/api/conns?state=nope", bearer=token)
    check("/api/conns?state=nope: 400", r["status"] == 400, r["status"])
    r = request(base + "/api/top?by=program&sort=total&n=50", bearer=token)
    groups = json.loads(r["body"]) if r["status"] == 200 else []
    g = [x for x in groups if x["key"] == "traffic.py"]
    check("/api/top?by=program: traffic.py with its bytes", g and g[0]["tx"] >= 16000, groups[:3])
    cli_top = jlines(os.path.join(cli, "top.json"))
    if groups and cli_top:
        want = set(cli_top[0]) - {"pid", "start_time", "comm", "cmd", "uid", "user", "unit", "exe"}
        got = set(groups[0]) - {"pid", "start_time", "comm", "cmd", "uid", "user", "unit", "exe"}
        check("/api/top objects have the keys of leco top --json", want == got, want ^ got)

    history(base, token, cli, tr)

    # --- /metrics: exact counts, and they stay ----------------------------------------
    r, vals = metrics(base, token)
    sel = 'program="traffic.py"'
    sent = total(vals, "leco_sent_bytes_total", sel)
    recv = total(vals, "leco_received_bytes_total", sel)
    check("/metrics: traffic.py sent 16000 bytes (7000 + 9000, both ends)", sent == 16000, sent)
    check("/metrics: traffic.py received 16000 bytes", recv == 16000, recv)
    conns = total(vals, "leco_connections_total", sel)
    check("/metrics: traffic.py made 2 connections (out and in)", conns == 2, conns)
    check("/metrics: Prometheus text type",
          (header(r, "Content-Type") or "").startswith("text/plain; version=0.0.4"))
    # a later poll (the server's poll count moves on), then the same counts
    p0 = total(vals, "leco_polls_total", "")
    v2 = wait_for(lambda: (lambda v: v if total(v, "leco_polls_total", "") >= p0 + 2 else None)(
        metrics(base, token)[1]), 10) or {}
    check("/metrics: counters neither fall nor grow again after the process exited",
          total(v2, "leco_sent_bytes_total", sel) == 16000 and
          total(v2, "leco_connections_total", sel) == 2, (total(v2, "leco_sent_bytes_total", sel)))
    # (the top-N remote endpoints of --metrics-remote may leave the top: only counters in both)
    back = [(k, vals[k], v2[k]) for k in vals if k[0].endswith("_total") and k in v2 and v2[k] < vals[k]]
    check("/metrics: no counter went back between two scrapes", not back, back[:3])
    r, _ = metrics(base, token, accept="application/openmetrics-text; version=1.0.0")
    check("/metrics OpenMetrics: type and # EOF",
          (header(r, "Content-Type") or "").startswith("application/openmetrics-text")
          and r["body"].endswith("# EOF\n"), header(r, "Content-Type"))
    check("/metrics OpenMetrics: counter families without _total in TYPE",
          "# TYPE leco_sent_bytes counter" in r["body"])

    # --- events ----------------------------------------------------------------------
    try:
        ev = sse_first(base + "/api/events", token, 5)
        check("/api/events: an event with status, conns and top within 5 s",
              {"t", "status", "conns", "conns_count", "top"} <= set(ev), list(ev))
    except Exception as e:  # noqa: BLE001
        check("/api/events: an event within 5 s", False, e)
    # at most MAX_STREAMS at once: one more is told to come back later
    u = urllib.parse.urlsplit(base)
    held = []

    def open_stream():
        hc = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        hc.request("GET", "/api/events", headers={"Authorization": "Bearer " + token})
        resp = hc.getresponse()
        if resp.status == 200:
            # the response holds the socket (the server says Connection: close): keep both
            held.append((hc, resp))
            return True
        hc.close()
        return False
    # a stream closed by an earlier check holds its place until the next event finds it gone
    for i in range(int(max_streams)):
        check("event stream %d of %s: 200" % (i + 1, max_streams), wait_for(open_stream, 10))
    # (the status only: a stream let in by mistake would never end)
    hc = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    hc.request("GET", "/api/events", headers={"Authorization": "Bearer " + token})
    st503 = hc.getresponse().status
    hc.close()
    check("event streams beyond --max-streams: 503", st503 == 503, st503)
    for hc, resp in held:
        resp.close()
        hc.close()
    # a closed stream is noticed at the next event: a new one is let in again (bounded wait)
    held.clear()
    check("closed streams free their places", wait_for(open_stream, 10))
    for hc, resp in held:
        resp.close()
        hc.close()
    check.done()


if __name__ == "__main__":
    main()
