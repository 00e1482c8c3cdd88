#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Paced TCP traffic on loopback, with a log of what was sent when.

  rategen.py RATE SECONDS LOG   send RATE bytes/s for SECONDS (in 20 ms steps, on an absolute
                                schedule) over one connection to a sink of its own; LOG gets
                                one line per step: "unix_time total_bytes_sent"
"""
import socket
import sys
import threading
import time


def main():
    rate, secs, log = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def sink():
        c, _ = srv.accept()
        while c.recv(1 << 20):
            pass
        c.close()
    t = threading.Thread(target=sink)
    t.start()
    cl = socket.create_connection(srv.getsockname())
    step = 0.02
    chunk = b"r" * int(rate * step)
    sent = 0
    t0 = time.monotonic()
    with open(log, "w") as f:
        k = 0
        while True:
            due = t0 + k * step
            if due - t0 >= secs:
                break
            d = due - time.monotonic()
            if d > 0:
                time.sleep(d)
            cl.sendall(chunk)
            sent += len(chunk)
            f.write("%.3f %d\n" % (time.time(), sent))
            k += 1
    cl.close()
    t.join(10)
    srv.close()


if __name__ == "__main__":
    main()
