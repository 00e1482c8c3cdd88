#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bounded loopback load for tests/fault/load.sh.

load.py CONC RATE SECS SAMPLES STATUSFILE
  opens CONC concurrent TCP connections to one listener and keeps them open, then
  makes RATE new short connections per second for SECS seconds (connect, 1 byte,
  close), then SAMPLES connections to their own listeners with exact, distinct
  byte counts. Progress lines go to STATUSFILE ("held N", "churn N", "sample ..."),
  the samples as JSON on stdout: [{"port": P, "tx": T, "rx": R}, ...].
  Everything is bounded in count and time; exits when done.
"""
import json
import selectors
import socket
import sys
import threading
import time

conc, rate, secs, nsamp, statusf = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                    int(sys.argv[4]), sys.argv[5])
sel = selectors.DefaultSelector()
stop = threading.Event()


def status(msg):
    with open(statusf, "a") as f:
        f.write(msg + "\n")


def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, ("listen", None))
    return s


def serve():
    while not stop.is_set():
        for key, _ in sel.select(0.1):
            kind, info = key.data
            if kind == "listen":
                while True:
                    try:
                        c, _ = key.fileobj.accept()
                    except BlockingIOError:
                        break
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, ("conn", info))
            else:
                try:
                    b = key.fileobj.recv(65536)
                except (BlockingIOError, ConnectionError):
                    b = None
                if b is None:
                    continue
                if not b:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                elif info is not None:  # sample listener: count, answer when all in
                    info["got"] += len(b)
                    if info["got"] >= info["tx"]:
                        key.fileobj.setblocking(True)
                        key.fileobj.sendall(b"r" * info["rx"])
                        key.fileobj.setblocking(False)


main = listener()
port = main.getsockname()[1]
t = threading.Thread(target=serve, daemon=True)
t.start()

held = []
for i in range(conc):
    held.append(socket.create_connection(("127.0.0.1", port)))
    if i % 1000 == 999:
        status("held %d" % (i + 1))
status("held %d" % len(held))

t0 = time.monotonic()
n = 0
deadline = t0 + secs
while time.monotonic() < deadline:
    due = int((time.monotonic() - t0) * rate)
    while n < due and time.monotonic() < deadline + 1:
        c = socket.create_connection(("127.0.0.1", port))
        c.send(b"c")
        c.close()
        n += 1
    if n % 1000 == 0:
        status("churn %d" % n)
    time.sleep(0.002)
status("churn %d done" % n)

samples = []
for i in range(nsamp):
    info = {"tx": 6000 + 1111 * i, "rx": 7000 + 777 * i, "got": 0}
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ, ("listen", info))
    c = socket.create_connection(ls.getsockname())
    c.sendall(b"s" * info["tx"])
    got = 0
    while got < info["rx"]:
        b = c.recv(65536)
        if not b:
            break
        got += len(b)
    samples.append({"port": ls.getsockname()[1], "tx": info["tx"], "rx": got})
    held.append(c)
status("sample done")
print(json.dumps(samples), flush=True)
# keep everything open until told to finish (stdin closes), bounded
sys.stdin.read()
stop.set()
