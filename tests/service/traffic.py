#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Loopback traffic with known byte counts for the service, fault and history tests. The history
tests copy this file under a short unique name (script names are cut past 16 characters): that
name is the app (cmd) the history records it under.

  pair TX RX               one TCP connection on 127.0.0.1: the client sends TX bytes, the
                           server answers RX bytes, both close. Prints JSON:
                           {"port": server port, "cport": client port, "pid": this pid}
  stream CHUNK N DELAY RX  one TCP connection that lives a while: the client sends N chunks
                           of CHUNK bytes DELAY s apart, then the server answers RX bytes;
                           prints {"tx": client bytes sent, "rx": client bytes received}
  listen                   a server on an ephemeral port (printed, flushed) that reads each
                           connection to its end and answers 10 bytes; runs until killed
  connect PORT TX          one client connection to 127.0.0.1:PORT sending TX bytes
"""
import json
import os
import socket
import sys
import threading
import time


def recv_all(s, n=None):
    got = 0
    while n is None or got < n:
        b = s.recv(65536 if n is None else min(65536, n - got))
        if not b:
            break
        got += len(b)
    return got


def server(tx_expected, answer):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    res = {}

    def serve():
        c, _ = srv.accept()
        res["got"] = recv_all(c, tx_expected)
        c.sendall(b"r" * answer)
        c.shutdown(socket.SHUT_WR)
        recv_all(c)
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    return srv, t, res


def pair(tx, rx):
    srv, t, res = server(tx, rx)
    port = srv.getsockname()[1]
    cl = socket.create_connection(srv.getsockname())
    cport = cl.getsockname()[1]
    cl.sendall(b"t" * tx)
    got = recv_all(cl, rx)
    cl.close()
    t.join(10)
    srv.close()
    if got != rx or res.get("got") != tx:
        sys.exit("traffic: short transfer: client got %d/%d, server got %s/%d"
                 % (got, rx, res.get("got"), tx))
    print(json.dumps({"port": port, "cport": cport, "pid": os.getpid()}))


def stream(chunk, n, delay, rx):
    srv, t, res = server(chunk * n, rx)
    cl = socket.create_connection(srv.getsockname())
    sent = 0
    for _ in range(n):
        cl.sendall(b"s" * chunk)
        sent += chunk
        time.sleep(delay)
    got = recv_all(cl, rx)
    cl.close()
    t.join(10)
    srv.close()
    if got != rx or res.get("got") != sent:
        sys.exit("traffic: short stream")
    print(json.dumps({"tx": sent, "rx": got}))


def listen():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    while True:
        c, _ = srv.accept()
        recv_all(c)
        c.sendall(b"a" * 10)
        c.close()


def connect(port, tx):
    cl = socket.create_connection(("127.0.0.1", port))
    cl.sendall(b"c" * tx)
    cl.shutdown(socket.SHUT_WR)
    recv_all(cl)
    cl.close()


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "pair":
        pair(int(a[1]), int(a[2]))
    elif len(a) == 5 and a[0] == "stream":
        stream(int(a[1]), int(a[2]), float(a[3]), int(a[4]))
    elif a == ["listen"]:
        listen()
    elif len(a) == 3 and a[0] == "connect":
        connect(int(a[1]), int(a[2]))
    else:
        sys.exit(__doc__)
