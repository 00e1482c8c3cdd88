#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""HTTP helpers for the leco serve tests (standard library only).

  webcheck.py get URL [--bearer T] [--cookie T] [--host H] [--method M] [--accept A]
      one request; prints {"status", "headers", "body"} as JSON (body as text)
  webcheck.py sse URL --bearer T [--timeout S]
      reads the event stream until the first complete event; prints its data (JSON)
"""
import argparse
import http.client
import json
import sys
import time
import urllib.parse


class Checks:
    """The tests' verdicts: check(name, cond, why) prints "ok NAME" or "FAIL NAME: why";
    done() prints "N passed, N failed" and exits 1 on any failure."""

    def __init__(self, why_max=600):
        self.passed = self.failed = 0
        self.why_max = why_max

    def __call__(self, name, cond, why=""):
        if cond:
            self.passed += 1
            print("ok   " + name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, ": " + str(why)[:self.why_max] if why else ""))

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def request(url, bearer=None, cookie=None, host=None, method="GET", accept=None,
            headers=None, timeout=10):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    c.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
    if host is not None and host != "":
        c.putheader("Host", host)
    if bearer:
        c.putheader("Authorization", "Bearer " + bearer)
    if cookie:
        c.putheader("Cookie", "leco_token=" + cookie)
    if accept:
        c.putheader("Accept", accept)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read().decode("utf-8", "replace")
    out = {"status": r.status, "headers": [[k, v] for k, v in r.getheaders()], "body": body}
    c.close()
    return out


def sse_first(url, bearer, timeout=5.0):
    """The data of the first event of /api/events, as a dict; raises on timeout."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    c.request("GET", u.path, headers={"Authorization": "Bearer " + bearer,
                                      "Accept": "text/event-stream"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError("status %d: %s" % (r.status, r.read(500)))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            line = r.readline()  # http.client undoes the chunked encoding
            if not line:
                break
            if line.startswith(b"data: "):
                return json.loads(line[6:])
    finally:
        c.close()
    raise TimeoutError("no event within %.1f s" % timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["get", "sse"])
    ap.add_argument("url")
    ap.add_argument("--bearer")
    ap.add_argument("--cookie")
    ap.add_argument("--host")
    ap.add_argument("--method", default="GET")
    ap.add_argument("--accept")
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()
    if a.what == "get":
        print(json.dumps(request(a.url, a.bearer, a.cookie, a.host, a.method, a.accept,
                                 timeout=a.timeout)))
    else:
        print(json.dumps(sse_first(a.url, a.bearer, a.timeout)))


if __name__ == "__main__":
    main()
