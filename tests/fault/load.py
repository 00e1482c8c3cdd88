#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bounded loopback load for tests/fault/load.sh.

load.py CONC RATE SECS SAMPLES STATUSFILE
  opens CONC concurrent TCP connections to one listener and keeps them open, then
  makes RATE new short connections per second for SECS seconds (connect, 1 byte,
  close), then SAMPLES connections to their own listeners with exact, distinct
  byte counts. Progress lines go to STATUSFILE ("held N", "churn N" each time the
  churn passes a multiple of 1000, "churn N done", "drained N", "sample done"), the
  samples as JSON on stdout: [{"port": P, "tx": T, "rx": R}, ...]. The samples are
  made only once the server has closed its side of every churned connection, so no
  churned connection changes after them. Everything is bounded in count and time.
"""
import json
import mmap
import os
import signal
import selectors
import socket
import sys
import time

conc, rate, secs, nsamp, statusf = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                    int(sys.argv[4]), sys.argv[5])
sel = None  # created in the server process after the fork
listeners = []  # (socket, sample info or None)
closed = mmap.mmap(-1, 8)  # shared with the server: churned connections it has closed


def status(msg):
    with open(statusf, "a") as f:
        f.write(msg + "\n")


def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    s.setblocking(False)
    listeners.append((s, None))
    return s


def serve():
    global sel
    sel = selectors.DefaultSelector()
    for ls, info in listeners:
        sel.register(ls, selectors.EVENT_READ, ("listen", info))
    parent = os.getppid()
    deadline = time.monotonic() + secs + 600  # bounded even if nobody stops us
    while os.getppid() == parent and time.monotonic() < deadline:
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
                    if info is None:
                        n_closed = int.from_bytes(closed[:8], "little") + 1
                        closed[:8] = n_closed.to_bytes(8, "little")
                elif info is not None:  # sample listener: count, answer when all in
                    info["got"] += len(b)
                    if info["got"] >= info["tx"]:
                        key.fileobj.setblocking(True)
                        key.fileobj.sendall(b"r" * info["rx"])
                        key.fileobj.setblocking(False)


# Listeners first, then fork: the child serves every connection (its own fds),
# the parent holds the client ends, so neither needs more than CONC + a few fds.
main = listener()
port = main.getsockname()[1]
sample_info = []
for i in range(nsamp):
    sample_info.append({"tx": 6000 + 1111 * i, "rx": 7000 + 777 * i, "got": 0})
    sl = socket.socket()
    sl.bind(("127.0.0.1", 0))
    sl.listen(1)
    sl.setblocking(False)
    listeners.append((sl, sample_info[-1]))
    sample_info[-1]["port"] = sl.getsockname()[1]
child = os.fork()
if child == 0:
    try:
        serve()
    finally:
        os._exit(0)
for ls, _ in listeners:
    ls.close()

held = []
for i in range(conc):
    held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
    if i % 1000 == 999:
        status("held %d" % (i + 1))
status("held %d" % len(held))

t0 = time.monotonic()
n = 0
deadline = t0 + secs
while time.monotonic() < deadline:
    due = int((time.monotonic() - t0) * rate)
    while n < due and time.monotonic() < deadline + 1:
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.send(b"c")
        c.close()
        n += 1
        if n % 1000 == 0:  # every multiple, however far one pass of this loop jumps
            status("churn %d" % n)
    time.sleep(0.002)
status("churn %d done" % n)
# the server closes its side of every churned connection (the held ones stay open)
drain_end = time.monotonic() + 120
while int.from_bytes(closed[:8], "little") < n and time.monotonic() < drain_end:
    time.sleep(0.05)
status("drained %d" % int.from_bytes(closed[:8], "little"))

samples = []
for info in sample_info:
    c = socket.create_connection(("127.0.0.1", info["port"]), timeout=10)
    c.sendall(b"s" * info["tx"])
    got = 0
    while got < info["rx"]:
        b = c.recv(65536)
        if not b:
            break
        got += len(b)
    samples.append({"port": info["port"], "tx": info["tx"], "rx": got})
    held.append(c)
status("sample done")
print(json.dumps(samples), flush=True)
# keep everything open until told to finish (stdin closes), bounded
sys.stdin.read()
os.kill(child, signal.SIGTERM)
os.waitpid(child, 0)
