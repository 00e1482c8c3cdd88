#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Loopback traffic with known byte counts for the service/fault tests.

  traffic.py pair TX RX     one TCP connection on 127.0.0.1: the client sends TX bytes,
                            the server answers RX bytes, both close. Prints JSON:
                            {"port": server port, "cport": client port, "pid": this pid}
"""
import json
import os
import socket
import sys
import threading


def recv_exact(s, n):
    got = 0
    while got < n:
        b = s.recv(min(65536, n - got))
        if not b:
            break
        got += len(b)
    return got


def pair(tx, rx):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    res = {}

    def serve():
        c, _ = srv.accept()
        res["srv_got"] = recv_exact(c, tx)
        c.sendall(b"r" * rx)
        c.shutdown(socket.SHUT_WR)
        c.recv(1)
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    cl = socket.create_connection(("127.0.0.1", port))
    cport = cl.getsockname()[1]
    cl.sendall(b"t" * tx)
    got = recv_exact(cl, rx)
    cl.close()
    t.join(10)
    srv.close()
    if got != rx or res.get("srv_got") != tx:
        sys.exit("traffic: short transfer: client got %d/%d, server got %s/%d"
                 % (got, rx, res.get("srv_got"), tx))
    print(json.dumps({"port": port, "cport": cport, "pid": os.getpid()}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "pair":
        pair(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(__doc__)
