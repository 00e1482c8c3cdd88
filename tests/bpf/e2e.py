#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""BPF end-to-end tests: load the probes into a private pin dir, make real
traffic on loopback (and in a private netns), read the records back with
leco-dump and check them exactly.

usage: e2e.py --load BUILD/bin/leco-load --dump BUILD/tests/bpf/leco-dump SUITE
SUITE: core | traffic | blocked | lifecycle | cgroup-ret | min-object
(core: the set that also runs in the QEMU guest on Debian 12's kernel, tests/kernel)

Needs root: otherwise SKIP (exit 77), or FAIL under CI=true. Everything it
creates (pin dirs, netns, nft tables live only in that netns) is removed in a
finally block, also on failure.
"""
import argparse
import ctypes
import ctypes.util
import errno
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

SO_COOKIE = 57
ST = {"connecting": 1, "established": 2, "failed": 3, "blocked": 4, "closed": 5, "active": 6}
DIR_OUT, DIR_IN = 0, 1
F_UNCONNECTED, F_SCRIPT, F_RESTARTED, F_ADOPTED, F_LATE, F_AGGREGATE = 1, 2, 4, 8, 16, 32
LAYOUT_VERSION = 3

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class T:
    passed = 0
    failed = 0
    name = ""

    @classmethod
    def check(cls, cond, what, detail=None):
        if cond:
            cls.passed += 1
        else:
            cls.failed += 1
            msg = "%s: check failed: %s" % (cls.name, what)
            if detail is not None:
                msg += "\n    " + str(detail)[:2000]
            print(msg, file=sys.stderr, flush=True)
        return cond


def skip(reason):
    if os.environ.get("CI") == "true":
        print("FAIL: would skip, but CI=true: " + reason)
        sys.exit(1)
    print("SKIP: " + reason)
    sys.exit(77)


def cookie(s):
    return struct.unpack("=Q", s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]


def wait_for(cond, timeout=5.0):
    """poll cond() every 20 ms until true or timeout (bounded)"""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(0.02)


class Probes:
    def __init__(self, args, tag):
        self.load = args.load
        self.dumper = args.dump
        self.burst = args.burst
        self.dir = "/sys/fs/bpf/leco-test-%d-%s" % (os.getpid(), tag)
        self.cleanup = []  # run by unload(), also on failure

    def run_load(self, *extra, check=True):
        r = subprocess.run([self.load, "-p", self.dir, *extra], capture_output=True, text=True,
                           timeout=60)
        self.load_err = r.stderr
        if check and r.returncode != 0:
            raise RuntimeError("leco-load failed: %s" % r.stderr.strip())
        return r

    def unload(self):
        while self.cleanup:
            self.cleanup.pop()()
        if os.path.exists(self.dir):
            subprocess.run([self.load, "--unload", "-p", self.dir], capture_output=True,
                           timeout=60)

    def dump(self, extra=()):
        r = subprocess.run([self.dumper, "-p", self.dir, *extra], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise RuntimeError("leco-dump failed: %s" % r.stderr.strip())
        out = {"info": None, "stats": None, "conns": [], "names": []}
        for line in r.stdout.splitlines():
            o = json.loads(line)
            if "info" in o:
                out["info"] = o["info"]
            elif "stats" in o:
                out["stats"] = o["stats"]
            elif "conn" in o:
                out["conns"].append(o["conn"])
            elif "name" in o:
                out["names"].append(o["name"])
        return out

    def conns(self, **match):
        return [c for c in self.dump()["conns"] if all(c.get(k) == v for k, v in match.items())]

    def one(self, what, timeout=3.0, **match):
        """the single record matching, polled until cond(record) holds"""
        got = wait_for(lambda: self.conns(**match), timeout)
        T.check(len(got) == 1, "%s: one record for %s" % (what, match), got)
        return got[0] if got else {}


def expect(rec, what, **want):
    for k, v in want.items():
        T.check(rec.get(k) == v, "%s: %s == %r" % (what, k, v),
                "got %r; record %s" % (rec.get(k), rec))


# ---------------------------------------------------------------- traffic


def recv_exact(s, n):
    buf = bytearray(1 << 20)
    got = 0
    while got < n:
        k = s.recv_into(buf, min(len(buf), n - got))
        if k == 0:
            raise RuntimeError("peer closed after %d of %d bytes" % (got, n))
        got += k
    return got


def tcp_pair(fam, host):
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(8)
    cli = socket.create_connection(srv.getsockname()[:2], timeout=10)
    acc, _ = srv.accept()
    srv.close()
    return cli, acc


def test_tcp(p):
    pid = os.getpid()
    comm = open("/proc/self/comm").read().strip()
    big = 50 * 1024 * 1024 + 13
    for fam, host, fnum in ((socket.AF_INET, "127.0.0.1", 4), (socket.AF_INET6, "::1", 6)):
        for nout, nin in ((5, 3), (big, big + 1)):
            cli, acc = tcp_pair(fam, host)
            ck_c, ck_a = cookie(cli), cookie(acc)
            lport, rport = cli.getsockname()[1], cli.getpeername()[1]
            # client -> server, then server -> client, receivers in a thread
            t = threading.Thread(target=recv_exact, args=(acc, nout))
            t.start()
            cli.sendall(b"x" * nout)
            t.join(60)
            t = threading.Thread(target=recv_exact, args=(cli, nin))
            t.start()
            acc.sendall(b"y" * nin)
            t.join(60)
            cli.close()
            acc.close()
            what = "tcp v%d %d/%d client" % (fnum, nout, nin)
            # the close completes in the kernel after close() returns: wait for the ring
            c = p.one(what, key_cookie=ck_c, src="closed")
            expect(c, what, proto=6, family=fnum, dir=DIR_OUT, tx=nout, rx=nin, tgid=pid,
                   comm=comm[:15], lport=lport, rport=rport, state=ST["closed"], err=0,
                   owner="connect")
            T.check(c["raddr"] in (host, "::ffff:127.0.0.1"), what + ": raddr", c)
            T.check(c["first_ns"] <= c["last_ns"], what + ": first_ns <= last_ns", c)
            what = "tcp v%d %d/%d accepted" % (fnum, nout, nin)
            a = p.one(what, key_cookie=ck_a, src="closed")
            expect(a, what, proto=6, family=fnum, dir=DIR_IN, rx=nout, tx=nin, tgid=pid,
                   lport=rport, rport=lport, owner="accept", state=ST["closed"])
            T.check(c["src"] == "closed" and a["src"] == "closed",
                    what + ": both in the closed ring", (c["src"], a["src"]))


def test_sendfile_splice(p):
    """bytes that never pass through a user buffer are counted too"""
    n_file, n_pipe = 3 * 1024 * 1024 + 5, 60000 + 3
    with tempfile.TemporaryFile() as f:
        f.write(b"f" * n_file)
        f.flush()
        cli, acc = tcp_pair(socket.AF_INET, "127.0.0.1")
        # blocking: os.sendfile/os.splice on a socket with a timeout (non-blocking underneath)
        # fail with EAGAIN when the receiver is slower than the sender (seen under QEMU TCG)
        cli.setblocking(True)
        t = threading.Thread(target=recv_exact, args=(acc, n_file + n_pipe))
        t.start()
        off = 0
        while off < n_file:
            off += os.sendfile(cli.fileno(), f.fileno(), off, n_file - off)
        r, w = os.pipe()
        left = n_pipe
        while left:
            k = os.write(w, b"s" * min(left, 4096))
            done = 0
            while done < k:
                done += os.splice(r, cli.fileno(), k - done)
            left -= k
        os.close(r)
        os.close(w)
        t.join(30)
        ck_c, ck_a = cookie(cli), cookie(acc)
        cli.close()
        acc.close()
    expect(p.one("sendfile+splice sender", key_cookie=ck_c, src="closed"),
           "sendfile+splice sender", tx=n_file + n_pipe, rx=0)
    expect(p.one("sendfile+splice receiver", key_cookie=ck_a, src="closed"),
           "sendfile+splice receiver", rx=n_file + n_pipe, tx=0)
    test_splice_download(p)


def test_splice_download(p):
    """a download spliced from the socket into a pipe never passes a user buffer: counted
    (sock_recv_length never sees it; the kernel's counters do)"""
    n = 2 * 1024 * 1024 + 7
    cli, acc = tcp_pair(socket.AF_INET, "127.0.0.1")
    cli.setblocking(True)
    t = threading.Thread(target=lambda: (acc.sendall(b"d" * n), acc.close()))
    t.start()
    r, w = os.pipe()
    got = 0
    while True:
        k = os.splice(cli.fileno(), w, 65536)
        if not k:
            break
        got += k
        left = k
        while left:
            left -= len(os.read(r, left))
    t.join(30)
    os.close(r)
    os.close(w)
    ck = cookie(cli)
    cli.close()
    T.check(got == n, "splice download: all bytes arrived", got)
    expect(p.one("splice download", key_cookie=ck, src="closed"), "splice download", rx=n,
           tx=0)


def sendmmsg(fd, msgs):
    """sendmmsg(2) through libc: msgs = [(bytes, sockaddr bytes)]"""

    class iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    class msghdr(ctypes.Structure):
        _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                    ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                    ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                    ("flags", ctypes.c_int)]

    class mmsghdr(ctypes.Structure):
        _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]

    n = len(msgs)
    arr = (mmsghdr * n)()
    keep = []
    for i, (data, sa) in enumerate(msgs):
        b = ctypes.create_string_buffer(data, len(data))
        a = ctypes.create_string_buffer(sa, len(sa))
        io = iovec(ctypes.cast(b, ctypes.c_void_p), len(data))
        keep += [b, a, io]
        arr[i].hdr.name = ctypes.cast(a, ctypes.c_void_p)
        arr[i].hdr.namelen = len(sa)
        arr[i].hdr.iov = ctypes.pointer(io)
        arr[i].hdr.iovlen = 1
    r = libc.sendmmsg(fd, arr, n, 0)
    if r != n:
        raise OSError(ctypes.get_errno(), "sendmmsg sent %d of %d" % (r, n))


def sockaddr_in(host, port):
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + \
        socket.inet_pton(socket.AF_INET, host) + b"\0" * 8


def sockaddr_in6(host, port):
    return struct.pack("=H", socket.AF_INET6) + struct.pack("!H", port) + b"\0" * 4 + \
        socket.inet_pton(socket.AF_INET6, host) + b"\0" * 4


def test_udp(p):
    pid = os.getpid()
    for fam, host, fnum, mk in ((socket.AF_INET, "127.0.0.1", 4, sockaddr_in),
                                (socket.AF_INET6, "::1", 6, sockaddr_in6)):
        rx = [socket.socket(fam, socket.SOCK_DGRAM) for _ in range(4)]
        for r in rx:
            r.bind((host, 0))
            r.settimeout(5)
        ports = [r.getsockname()[1] for r in rx]
        tx = socket.socket(fam, socket.SOCK_DGRAM)
        tx.bind((host, 0))
        txport = tx.getsockname()[1]
        ck = cookie(tx)
        tx.sendto(b"a" * 11, (host, ports[0]))                              # sendto
        tx.sendmsg([b"b" * 7, b"c" * 5], [], 0, (host, ports[1]))            # sendmsg
        sendmmsg(tx.fileno(), [(b"d" * 3, mk(host, ports[2])), (b"e" * 4, mk(host, ports[2])),
                               (b"f" * 9, mk(host, ports[3]))])              # sendmmsg
        got = [rx[0].recvfrom(100), rx[1].recvmsg(100), rx[2].recvfrom(100),
               rx[2].recvfrom(100), rx[3].recvfrom(100)]
        T.check([len(g[0]) for g in got] == [11, 12, 3, 4, 9], "udp v%d: datagrams arrive" % fnum,
                got)
        for i, want in enumerate((11, 12, 7, 9)):
            what = "udp v%d unconnected peer %d" % (fnum, i)
            c = p.one(what, key_cookie=ck, key_rport=ports[i])
            expect(c, what, proto=17, family=fnum, dir=DIR_OUT, tx=want, rx=0, tgid=pid,
                   rport=ports[i], raddr=host, key_raddr=host, lport=txport,
                   state=ST["active"])
            T.check(c.get("flags", 0) & F_UNCONNECTED, what + ": unconnected flag", c)
            what = "udp v%d receiver %d" % (fnum, i)
            r = p.one(what, key_cookie=cookie(rx[i]), key_rport=txport)
            expect(r, what, dir=DIR_IN, rx=want, tx=0, raddr=host, rport=txport, tgid=pid)
        # connected: send() and recv() without addresses
        a = socket.socket(fam, socket.SOCK_DGRAM)
        a.connect((host, ports[0]))
        for _ in range(3):
            a.send(b"g" * 6)
        for _ in range(3):
            rx[0].recv(100)
        what = "udp v%d connected" % fnum
        c = p.one(what, key_cookie=cookie(a))
        expect(c, what, dir=DIR_OUT, tx=18, rport=ports[0], key_rport=ports[0], raddr=host,
               tgid=pid)
        T.check(not c.get("flags", 0) & F_UNCONNECTED, what + ": not flagged unconnected", c)
        for s in rx + [tx, a]:
            s.close()
    # v4 datagram from a dual-stack v6 socket: IPv4-mapped peer
    r4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r4.bind(("127.0.0.1", 0))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s6.sendto(b"m" * 17, ("::ffff:127.0.0.1", r4.getsockname()[1]))
    r4.settimeout(5)
    r4.recvfrom(100)
    c = p.one("udp mapped", key_cookie=cookie(s6))
    expect(c, "udp mapped", family=6, raddr="::ffff:127.0.0.1", rport=r4.getsockname()[1],
           tx=17)
    r4.close()
    s6.close()


def test_burst(p):
    """200 short-lived client processes in under a second, each its own record"""
    # the server reads to each client's close: sent bytes count once acknowledged
    srv, stop, th = echo_server(0)
    port = srv.getsockname()[1]
    try:
        r = subprocess.run([p.burst, str(port), "200"], capture_output=True, text=True,
                           timeout=60)
    finally:
        stop.set()
        th.join(10)
        srv.close()
    T.check(r.returncode == 0, "burst: all clients connected and sent", r.stderr)
    kids = {}
    for line in r.stdout.splitlines():
        a, b = line.split()
        if a == "elapsed_ms":
            print("burst: 200 client processes in %s ms" % b)
        else:
            kids[int(a)] = int(b)
    T.check(len(kids) == 200, "burst: 200 children", len(kids))
    recs = {}
    for c in p.dump()["conns"]:
        if c["proto"] == 6 and c["dir"] == DIR_OUT and c["rport"] == port:
            recs.setdefault(c["tgid"], []).append(c)
    if sum(len(v) for v in recs.values()) < 200:  # a close still in flight: poll once more
        time.sleep(0.2)
        recs = {}
        for c in p.dump()["conns"]:
            if c["proto"] == 6 and c["dir"] == DIR_OUT and c["rport"] == port:
                recs.setdefault(c["tgid"], []).append(c)
    bad = []
    for pid, i in kids.items():
        rr = recs.get(pid, [])
        if len(rr) != 1 or rr[0]["comm"] != "lc%03d" % i or rr[0]["tx"] != i + 1:
            bad.append((pid, i, rr))
    T.check(not bad, "burst: each of 200 processes recorded with its pid, comm, bytes",
            "%d wrong, first: %s" % (len(bad), bad[:3]))


SERVER = r"""
import socket, sys, threading, os
ready = threading.Event(); box = {}
def listen():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4); box["s"] = s; ready.set()
t = threading.Thread(target=listen); t.start(); t.join()
def serve():
    c, _ = box["s"].accept()
    n = 0
    while n < 21:
        d = c.recv(100)
        if not d: break
        n += len(d)
    c.sendall(b"r" * 9)
    print("tid", threading.get_native_id(), flush=True)
    c.recv(1); c.close()
print("port", box["s"].getsockname()[1], flush=True)
t = threading.Thread(target=serve); t.start(); t.join()
"""


def test_inbound_threads(p):
    """a server (multithreaded: listen in one thread, accept in another) owns
    its accepted socket; a client thread's socket belongs to its process"""
    srv = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(srv.stdout.readline().split()[1])
        box = {}

        def client():
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            box["ck"], box["tid"] = cookie(s), threading.get_native_id()
            s.sendall(b"q" * 21)
            box["got"] = recv_exact(s, 9)
            s.close()

        t = threading.Thread(target=client)
        t.start()
        t.join(10)
        tid = int(srv.stdout.readline().split()[1])
        srv.wait(10)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    T.check(tid != srv.pid and box["tid"] != os.getpid(), "inbound: threads are not the leaders")
    a = p.one("inbound accepted", proto=6, dir=DIR_IN, lport=port)
    expect(a, "inbound accepted", tgid=srv.pid, rx=21, tx=9, family=4)
    T.check(a.get("tgid") != os.getpid(), "inbound: not the connecting (softirq current) task")
    c = p.one("outbound from a thread", key_cookie=box["ck"])
    expect(c, "outbound from a thread", tgid=os.getpid(), dir=DIR_OUT, tx=21, rx=9)


def test_failed(p):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = socket.socket()
    ck = cookie(c)
    try:
        c.connect(("127.0.0.1", port))
        T.check(False, "connect to a closed port is refused")
    except ConnectionRefusedError:
        pass
    c.close()
    r = p.one("failed connect", key_cookie=ck)
    expect(r, "failed connect", state=ST["failed"], err=errno.ECONNREFUSED, dir=DIR_OUT,
           rport=port, tgid=os.getpid())


SCRIPT = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"s" * 4)
s.close()
"""


def run_script(*extra):
    """a Python script that connects here and sends 4 bytes: (its pid, its file's basename)"""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(2)
    srv.settimeout(15)
    with tempfile.NamedTemporaryFile("w", suffix=".py", prefix="leco-t%d-" % os.getpid(),
                                     delete=False) as f:
        f.write(SCRIPT)
    try:
        py = os.path.realpath(shutil.which("python3") or sys.executable)
        child = subprocess.Popen([py, f.name, str(srv.getsockname()[1]), *extra])
        a, _ = srv.accept()
        a.recv(10)
        a.close()
        child.wait(10)
    finally:
        os.unlink(f.name)
        srv.close()
    return child.pid, os.path.basename(f.name)


def test_exec_args(p):
    pid, name = run_script()
    c = [c for c in p.dump()["conns"] if c["tgid"] == pid and c["dir"] == DIR_OUT]
    T.check(len(c) == 1 and c[0]["flags"] & F_SCRIPT and c[0]["tx"] == 4 and
            c[0]["script"] == name, "exec: the record names the script (basename only)", c)


def test_flows(p):
    """with the cgroup hooks attached, UDP/TCP in many forms still gets through"""
    ok = 0
    for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        r = socket.socket(fam, socket.SOCK_DGRAM)
        r.bind((host, 0))
        r.settimeout(5)
        s = socket.socket(fam, socket.SOCK_DGRAM)
        for i in range(50):
            s.sendto(b"k" * (i + 1), r.getsockname()[:2])
        for i in range(50):
            if i % 3 == 0:
                d, _ = r.recvfrom(100)
            elif i % 3 == 1:
                d, _, _, _ = r.recvmsg(100)
            else:
                d = r.recv(100)
            ok += len(d) == i + 1
        s.connect(r.getsockname()[:2])
        s.send(b"c")
        ok += r.recvfrom(10, socket.MSG_PEEK)[0] == b"c"
        ok += r.recv(10) == b"c"
        s.close()
        r.close()
        cli, acc = tcp_pair(fam, host)
        cli.sendall(b"t" * 1000)
        ok += recv_exact(acc, 1000) == 1000
        cli.close()
        acc.close()
    T.check(ok == 2 * 53, "flows: every datagram and stream arrived (%d/106)" % ok)
    # MSG_PEEK does not count twice: connected pair, peek then read
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.connect(a.getsockname())
    a.connect(b.getsockname())
    b.send(b"p" * 8)
    a.recv(8, socket.MSG_PEEK)
    a.recv(8)
    r = p.one("peek", key_cookie=cookie(a))
    expect(r, "peek", rx=8)
    a.close()
    b.close()

# ---------------------------------------------------------------- counters, ring, owners


def test_live_counters(p):
    """a long-lived connection: its counts grow between polls, read live from the kernel"""
    cli, acc = tcp_pair(socket.AF_INET, "127.0.0.1")
    ck = cookie(cli)
    cli.sendall(b"l" * 1000)
    recv_exact(acc, 1000)
    wait_for(lambda: p.conns(key_cookie=ck, src="tcp", tx=1000))
    a = p.one("live 1", key_cookie=ck, src="tcp")
    expect(a, "live 1", tx=1000, rx=0, state=ST["established"])
    cli.sendall(b"l" * 5000)
    recv_exact(acc, 5000)
    acc.sendall(b"m" * 70)
    recv_exact(cli, 70)
    wait_for(lambda: p.conns(key_cookie=ck, src="tcp", tx=6000, rx=70))
    b = p.one("live 2", key_cookie=ck, src="tcp")
    expect(b, "live 2", tx=6000, rx=70, state=ST["established"])
    T.check(b.get("last_ns", 0) > a.get("last_ns", 0), "live: last activity moves", (a, b))
    cli.close()
    acc.close()


def exchange(port, up, down):
    """one short connection: `up` bytes to the server, `down` back; returns its cookie"""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    ck = cookie(c)
    c.sendall(b"u" * up)
    recv_exact(c, down)
    c.close()
    return ck


def echo_server(down):
    """a listener that answers `down` bytes after the first read of each connection, then
    reads to EOF and closes (one connection at a time, every wait bounded)"""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(512)
    stop = threading.Event()

    def one(c):
        c.settimeout(10)
        try:
            first = True
            while True:
                d = c.recv(65536)
                if not d:
                    break
                if first and down:
                    c.sendall(b"d" * down)
                first = False
        except OSError:
            pass
        c.close()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except socket.timeout:
                continue
            one(c)

    th = threading.Thread(target=serve)
    th.start()
    return srv, stop, th


def test_between_polls(p):
    """connections that open and close between two reads are in the ring, with exact
    bytes: one that lived a millisecond, and 2,000 in a row"""
    srv, stop, th = echo_server(33)
    try:
        port = srv.getsockname()[1]
        head0 = max([c["seq"] + 1 for c in p.conns(src="closed")] or [0])
        ck = exchange(port, 777, 33)
        cks = [exchange(port, 1 + i % 500, 33) for i in range(2000)]
    finally:
        stop.set()
        th.join(30)
        srv.close()
    wait_for(lambda: len([c for c in p.conns(src="closed") if c["seq"] >= head0]) >= 4002, 10)
    ring = {c["cookie"]: c for c in p.conns(src="closed") if c["seq"] >= head0}
    expect(ring.get(ck, {}), "short connection in the ring", tx=777, rx=33,
           state=ST["closed"], dir=DIR_OUT, owner="connect")
    bad = [(i, ring.get(c)) for i, c in enumerate(cks)
           if ring.get(c, {}).get("tx") != 1 + i % 500 or ring.get(c, {}).get("rx") != 33]
    T.check(not bad, "2,000 connections between two reads: each in the ring, exact",
            "%d wrong, first %s" % (len(bad), bad[:2]))
    T.check(len(ring) >= 4002, "both ends of each in the ring", len(ring))


def test_half_close(p):
    """shutdown(SHUT_WR) one way, data the other way after it: both counted exactly"""
    cli, acc = tcp_pair(socket.AF_INET6, "::1")
    ck_c, ck_a = cookie(cli), cookie(acc)
    cli.sendall(b"h" * 1000)
    cli.shutdown(socket.SHUT_WR)
    got = 0
    while True:
        d = acc.recv(4096)
        if not d:
            break
        got += len(d)
    # both still open, one way shut (FIN_WAIT2 / CLOSE_WAIT): the iterator says closing, with
    # the FIN left out of the counts
    for ck, what, tx, rx in ((ck_c, "client", 1000, 0), (ck_a, "server", 0, 1000)):
        expect(p.one("half-close %s while open" % what, key_cookie=ck, src="tcp"),
               "half-close %s while open" % what, state=ST["closed"], tx=tx, rx=rx)
    acc.sendall(b"k" * 500)
    acc.close()
    recv_exact(cli, 500)
    cli.close()
    T.check(got == 1000, "half-close: server read to EOF", got)
    expect(p.one("half-close client", key_cookie=ck_c, src="closed"), "half-close client",
           tx=1000, rx=500)
    expect(p.one("half-close server", key_cookie=ck_a, src="closed"), "half-close server",
           tx=500, rx=1000)


def test_rst_unread(p):
    """a server that closes with unread data sends a reset: what reached its socket counts
    as received (delivered, never read), what its peer acknowledged as sent"""
    cli, acc = tcp_pair(socket.AF_INET, "127.0.0.1")
    ck_c, ck_a = cookie(cli), cookie(acc)
    cli.sendall(b"r" * 1000)
    # TIOCOUTQ: the client's unacknowledged bytes; 0 = the server's kernel has them all
    outq = lambda: struct.unpack("i", fcntl_ioctl(cli.fileno(), 0x5411))[0]
    T.check(wait_for(lambda: outq() == 0), "rst: data acknowledged before the reset")
    acc.close()  # 1000 bytes unread: RST
    try:
        cli.settimeout(5)
        cli.recv(10)
    except OSError:
        pass
    cli.close()
    expect(p.one("rst client", key_cookie=ck_c, src="closed"), "rst client", tx=1000, rx=0,
           state=ST["closed"])
    expect(p.one("rst server", key_cookie=ck_a, src="closed"), "rst server", rx=1000, tx=0,
           state=ST["closed"])


def fcntl_ioctl(fd, req):
    import fcntl
    return fcntl.ioctl(fd, req, b"\0\0\0\0")


OWNERS = r"""
import array, ctypes, os, socket, sys
mode = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
def acc4(l):
    fd = libc.accept4(l.fileno(), None, None, 0)   # no address asked
    return socket.socket(fileno=fd)
def serve(c):
    n = 0
    while n < 100:
        d = c.recv(1000)
        if not d: break
        n += len(d)
    c.sendall(b"a" * 55)
    while c.recv(100): pass
    c.close()
def handler(c):
    print("handler", os.getpid(), flush=True); serve(c); os._exit(0)
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8)
print("port", l.getsockname()[1], flush=True)
kids = []
if mode in ("fork-addr", "fork-null"):
    c = l.accept()[0] if mode == "fork-addr" else acc4(l)
    pid = os.fork()
    if pid == 0: handler(c)
    c.close(); kids.append(pid)
elif mode == "prefork":
    for i in range(2):
        pid = os.fork()
        if pid == 0: handler(acc4(l))
        kids.append(pid)
elif mode == "scm":
    c = acc4(l)
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close(); c.close()
        msg, anc, flags, addr = b.recvmsg(1, socket.CMSG_SPACE(4))
        handler(socket.socket(fileno=array.array("i", anc[0][2])[0]))
    b.close()
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [c.fileno()]))])
    c.close(); kids.append(pid)
for k in kids: os.waitpid(k, 0)
"""


def owner_case(p, mode, nconn):
    srv = subprocess.Popen([sys.executable, "-c", OWNERS, mode], stdout=subprocess.PIPE, text=True)
    out = {"handlers": []}
    try:
        port = int(srv.stdout.readline().split()[1])
        cks = []
        for _ in range(nconn):
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            c.sendall(b"o" * 100)
            recv_exact(c, 55)
            cks.append((cookie(c), c.getsockname()[1]))
            c.close()
        for _ in range(nconn):
            out["handlers"].append(int(srv.stdout.readline().split()[1]))
        srv.wait(20)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    recs = []
    for ck, cport in cks:
        got = wait_for(lambda: p.conns(src="closed", proto=6, dir=DIR_IN, rport=cport,
                                       lport=port))
        recs.append(got[0] if got else {})
    return srv.pid, out["handlers"], recs


def test_owners(p):
    """who owns an inbound connection: the acceptor when accept() asks for the address,
    else the last process that closed it; never the connecting client"""
    spid, hs, rr = owner_case(p, "fork-addr", 1)
    expect(rr[0], "fork per connection, accept with address", owner="accept", tgid=spid,
           rx=100, tx=55)
    spid, hs, rr = owner_case(p, "fork-null", 1)
    expect(rr[0], "fork per connection, accept4(fd, NULL, NULL)", owner="close", tgid=hs[0],
           rx=100, tx=55)
    spid, hs, rr = owner_case(p, "prefork", 2)
    T.check(sorted(r.get("tgid") for r in rr) == sorted(hs) and
            all(r.get("owner") == "close" and r.get("rx") == 100 for r in rr),
            "prefork workers sharing a listener: each worker owns its connection",
            (hs, rr))
    spid, hs, rr = owner_case(p, "scm", 1)
    expect(rr[0], "socket passed over SCM_RIGHTS", owner="close", tgid=hs[0], rx=100, tx=55)


def watch_shows(path, lport, tx):
    """a `leco watch --json` output file has a line of the outbound connection from lport
    with tx bytes"""
    with open(path) as f:
        for line in f:
            try:
                o = json.loads(line)
            except ValueError:
                continue  # the line being written
            if o.get("lport") == lport and o.get("dir") == "out" and o.get("tx") == tx:
                return True
    return False


def test_two_readers(p):
    """two libleco readers polling at different rates (one every 0.1 s, one every 1.5 s) both
    see every change of a live connection: the fast one's iterator runs export what changed,
    and the slow one reads those exports from the changes ring, not from its own run"""
    leco = os.path.join(os.path.dirname(os.path.abspath(p.load)), "leco")
    if not T.check(os.access(leco, os.X_OK), "leco built next to leco-load", leco):
        return
    outs, procs = [], []
    cli = acc = None
    try:
        for iv in ("0.1", "1.5"):
            f = tempfile.NamedTemporaryFile(prefix="leco-watch-%d-" % os.getpid(), delete=False)
            outs.append(f.name)
            procs.append(subprocess.Popen([leco, "watch", "-p", p.dir, "--json", "--raw", "-i",
                                           iv], stdout=f, stderr=subprocess.DEVNULL))
            f.close()
        cli, acc = tcp_pair(socket.AF_INET, "127.0.0.1")
        lport = cli.getsockname()[1]
        total = 0
        for n in (1000, 2345):
            cli.sendall(b"w" * n)
            recv_exact(acc, n)
            total += n
            T.check(wait_for(lambda: all(watch_shows(o, lport, total) for o in outs), 15),
                    "two readers: both show tx=%d" % total,
                    [watch_shows(o, lport, total) for o in outs])
    finally:
        for pr in procs:
            pr.terminate()
            pr.wait(10)
        for o in outs:
            os.unlink(o)
        for s in (cli, acc):
            if s:
                s.close()


def proc_start_ns(pid):
    """when process pid started, from /proc/PID/stat (clock ticks since boot, CLOCK_BOOTTIME)
    on the kernel's CLOCK_MONOTONIC (time spent suspended taken off)"""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    ticks = int(s[s.rindex(")") + 2:].split()[19])  # field 22
    suspended = time.clock_gettime_ns(time.CLOCK_BOOTTIME) - time.clock_gettime_ns(
        time.CLOCK_MONOTONIC)
    return ticks * (10**9 // os.sysconf("SC_CLK_TCK")) - suspended


def same_start(rec, pid):
    """the record's start_ns is process pid's start (within the /proc clock tick)"""
    tick = 10**9 // os.sysconf("SC_CLK_TCK")
    return rec.get("start_ns", 0) and abs(rec["start_ns"] - proc_start_ns(pid)) <= tick + 10**6


def test_start_time(p):
    """every owner carries its process's start time (pid + start: one process even after the
    pid is reused): set from a tracing program (connect), a cgroup hook (accept) and UDP io"""
    me = os.getpid()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    child = subprocess.Popen([sys.executable, "-c", "import socket, sys\n"
                              "s = socket.create_connection(('127.0.0.1', %d))\n"
                              "s.sendall(b'h' * 7)\nsys.stdin.read()" % srv.getsockname()[1]],
                             stdin=subprocess.PIPE)
    acc = None
    try:
        acc, _ = srv.accept()  # asks for the address: the accept owner, this process
        recv_exact(acc, 7)
        out = p.one("start: child's connect", tgid=child.pid, dir=DIR_OUT, proto=6)
        T.check(same_start(out, child.pid), "start: connect owner's start is the child's",
                (out.get("start_ns"), proc_start_ns(child.pid)))
        inn = p.one("start: accept", key_cookie=cookie(acc))
        T.check(inn.get("owner") == "accept" and inn.get("tgid") == me and same_start(inn, me),
                "start: accept owner's start is this process's (set in a cgroup hook)",
                (inn, proc_start_ns(me)))
        T.check(out.get("start_ns", 0) > inn.get("start_ns", 0),
                "start: the child started after this process", (out, inn))
    finally:
        child.stdin.close()
        child.wait(10)
        srv.close()
        if acc:
            acc.close()
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"u" * 9, r.getsockname())
    u = p.one("start: udp", key_cookie=cookie(s))
    T.check(u.get("owner") == "io" and same_start(u, me), "start: UDP io owner's start",
            (u, proc_start_ns(me)))
    s.close()
    r.close()


def test_udp_close(p):
    """a closed UDP socket closes its records: by name for its first peers, by a walk of
    the table for a socket that talked to more"""
    rx = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(6)]
    for r in rx:
        r.bind(("127.0.0.1", 0))
    few = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    many = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for r in rx[:2]:
        few.sendto(b"f" * 3, r.getsockname())
    for r in rx:
        many.sendto(b"g" * 4, r.getsockname())
    ck_few, ck_many = cookie(few), cookie(many)
    T.check(len(p.conns(key_cookie=ck_few, state=ST["active"])) == 2, "udp: active while open")
    few.close()
    many.close()
    for r in rx:
        r.close()
    T.check(len(wait_for(lambda: p.conns(key_cookie=ck_few, state=ST["closed"]))) == 2,
            "udp: 2 peers closed with the socket", p.conns(key_cookie=ck_few))
    T.check(len(wait_for(lambda: p.conns(key_cookie=ck_many, state=ST["closed"]))) == 6,
            "udp: 6 peers (more than kept by name) closed", p.conns(key_cookie=ck_many))


def test_udp_recv_noaddr(p):
    """recv() on an unconnected socket with no address asked: the real peer where the kernel
    lets a hook see the datagram (fentry skb_consume_udp), else said so by leco-load"""
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.sendto(b"n" * 23, r.getsockname())
    r.settimeout(5)
    T.check(len(r.recv(100)) == 23, "udp recv(): datagram arrives")
    info = p.dump()["info"]
    recs = p.conns(key_cookie=cookie(r))
    if "recv()" not in info["lacks"].get("udp bytes", ""):
        T.check(len(recs) == 1 and recs[0]["rport"] == s.getsockname()[1] and
                recs[0]["raddr"] == "127.0.0.1" and recs[0]["rx"] == 23,
                "udp recv() without address: the sender is the peer, exact", recs)
    else:
        T.check("recv()" in info["lacks"].get("udp bytes", ""),
                "udp recv() without address: the hook in use says it lacks the peer", info)
        T.check(sum(c["rx"] for c in recs) == 23, "udp recv() without address: bytes exact",
                recs)
    r.close()
    s.close()


def test_hooks_reported(p):
    """leco-load recorded which hook serves each job on this kernel"""
    info = p.dump()["info"]
    h = info.get("hooks", {})
    T.check(h.get("tcp states") == "tp_btf inet_sock_set_state" and
            h.get("tcp counters", "").startswith("iter") and h.get("udp bytes") and
            set(h) >= {"tcp states", "tcp counters", "owners", "udp bytes", "drops",
                       "script names", "open at load"}, "hooks reported for every job", info)
    links = info.get("links", "").split()
    T.check(links and all(os.path.exists(os.path.join(p.dir, "tcp" if n == "tcp" else
                                                      "links/" + n)) for n in links),
            "every link the info map names is pinned", links)
    print("hooks on this kernel: %s" % "; ".join("%s: %s" % kv for kv in h.items()))
    # the UDP tiers preferred to the one chosen: each passed over with its reason
    line = [l for l in getattr(p, "load_err", "").splitlines() if "  udp bytes " in l]
    chosen = [t for t, (pre, _) in UDP_TIERS.items() if h.get("udp bytes", "").startswith(pre)]
    T.check(len(line) == 1 and len(chosen) == 1, "leco-load names the UDP tier", (line, chosen))
    for t in list(UDP_TIERS)[:list(UDP_TIERS).index(chosen[0])] if chosen else []:
        T.check(line and re.search(r"passed over: (.*; )?%s: \w" % t, line[0]),
                "leco-load says why the %s tier was passed over" % t, line)


def test_exec_secret(p):
    """argv never reaches a pinned map: only the script name an interpreter rule picks"""
    secret = "hunter2-SECRET-%d" % os.getpid()
    subprocess.run(["sh", "-c", "true --password=%s" % secret], timeout=30)
    pid, name = run_script("--token=" + secret)
    raw = ""
    for n in ("info", "conns", "live", "changes", "changes_head", "closed", "closed_head",
              "stats"):
        r = subprocess.run(["bpftool", "map", "dump", "pinned", os.path.join(p.dir, n)],
                           capture_output=True, text=True, timeout=60)
        raw += r.stdout
    raw += subprocess.run([p.dumper, "-p", p.dir], capture_output=True, text=True,
                          timeout=60).stdout
    hexed = " ".join("%02x" % b for b in secret.encode()[:8])
    T.check(secret not in raw and hexed not in raw, "exec: the secret is in no pinned map")
    c = [c for c in p.dump()["conns"] if c["tgid"] == pid]
    T.check(c and c[0]["script"] == name, "exec: script name kept", c)



def run_tests(p, fns):
    for fn in fns:
        T.name = fn.__name__
        f0 = T.failed
        try:
            fn(p)
        except Exception as e:  # a crash is a failure of that test, the rest still run
            T.check(False, "raised %r" % e)
        print("%s %s" % ("ok  " if T.failed == f0 else "FAIL", fn.__name__), flush=True)


def test_adopt(args):
    """connections open before the probes were loaded are adopted at load: owner a process
    holding the fd, direction from the listeners, TCP counts the kernel's totals"""
    T.name = "test_adopt"
    f0 = T.failed
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(2)
    cli = socket.create_connection(srv.getsockname(), timeout=10)
    acc, _ = srv.accept()
    cli.sendall(b"b" * 300)
    recv_exact(acc, 300)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = Probes(args, "adopt")
    try:
        p.run_load()
        c = p.one("adopted client", key_cookie=cookie(cli), src="tcp")
        expect(c, "adopted client", owner="fd", tgid=os.getpid(), dir=DIR_OUT, tx=300, rx=0,
               state=ST["established"])
        T.check(c.get("flags", 0) & F_ADOPTED, "adopted: flagged", c)
        a = p.one("adopted server side", key_cookie=cookie(acc), src="tcp")
        expect(a, "adopted server side", owner="fd", dir=DIR_IN, rx=300, tx=0)
        cli.sendall(b"b" * 50)
        recv_exact(acc, 50)
        u.sendto(b"q" * 9, srv.getsockname())  # to the TCP port: nobody reads it
        ck = cookie(cli)
        cli.close()
        acc.close()
        expect(p.one("adopted, closed", key_cookie=ck, src="closed"), "adopted, closed",
               tx=350, owner="fd")
        expect(p.one("adopted udp", key_cookie=cookie(u)), "adopted udp", owner="fd", tx=9,
               tgid=os.getpid())
        T.check(p.dump()["stats"]["adopted"] >= 3, "adopted: counted")
    except Exception as e:
        T.check(False, "raised %r" % e)
    finally:
        p.unload()
        for s in (srv, cli, acc, u):
            s.close()  # a second close of a closed socket object is a no-op
    print("%s test_adopt" % ("ok  " if T.failed == f0 else "FAIL"), flush=True)


def test_udp_restart(args):
    """a full table keeps inserting (the LRU evicts, the inserts are counted); a UDP record
    that left it and is made again keeps the socket's owner and direction, and says its counts
    restarted"""
    T.name = "test_udp_restart"
    f0 = T.failed
    p = Probes(args, "evict")
    try:
        p.run_load("--conns-max", "64")
        r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        r.bind(("127.0.0.1", 0))
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.sendto(b"1" * 10, r.getsockname())
        first = p.one("udp before eviction", key_cookie=cookie(a))
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for port in range(20000, 21000):
            b.sendto(b"x", ("127.0.0.1", port))  # nobody listens: the send still counts
        d = p.dump()
        n = len([c for c in d["conns"] if c["src"] == "conns"])
        T.check(d["stats"]["conns_new"] >= 1001 and d["stats"]["update_fail"] == 0 and n <= 64,
                "udp: 1,000 new peers into 64 entries: all inserted", (d["stats"], n))
        # which records the kernel's LRU evicts is its own business (per-CPU batches): if it
        # kept a's, take it out as an eviction would
        if p.conns(key_cookie=cookie(a)):
            key = struct.pack("<Q16sHHI", cookie(a), socket.inet_aton("127.0.0.1") + bytes(12),
                              r.getsockname()[1], 0, 0)
            subprocess.run(["bpftool", "map", "delete", "pinned", p.dir + "/conns", "key",
                            "hex", *["%02x" % x for x in key]], check=True, timeout=30)
        T.check(not p.conns(key_cookie=cookie(a)), "udp: the first record is gone")
        a.sendto(b"2" * 7, r.getsockname())
        again = p.one("udp after eviction", key_cookie=cookie(a))
        expect(again, "udp after eviction", tx=7, dir=first.get("dir"), owner="io",
               tgid=os.getpid())
        T.check(again.get("flags", 0) & F_RESTARTED, "udp: flagged restarted", again)
        T.check(p.dump()["stats"]["restarted"] >= 1, "udp: restarts counted")
        for s in (r, a, b):
            s.close()
    except Exception as e:
        T.check(False, "raised %r" % e)
    finally:
        p.unload()
    print("%s test_udp_restart" % ("ok  " if T.failed == f0 else "FAIL"), flush=True)


def run_tests(p, fns):
    for fn in fns:
        T.name = fn.__name__
        f0 = T.failed
        try:
            fn(p)
        except Exception as e:  # a crash is a failure of that test, the rest still run
            T.check(False, "raised %r" % e)
        print("%s %s" % ("ok  " if T.failed == f0 else "FAIL", fn.__name__), flush=True)


def suite_traffic(args):
    test_adopt(args)
    test_udp_restart(args)
    p = Probes(args, "traffic")
    try:
        p.run_load()
        run_tests(p, (test_exec_args, test_flows, test_live_counters, test_between_polls,
                      test_half_close, test_rst_unread, test_owners, test_udp_close,
                      test_exec_secret))  # beyond the core set (suite_core)
        T.name = "dump"
        mine = lambda d: sorted((c["key_cookie"], c["key_raddr"], c["key_rport"], c["rx"], c["tx"])
                                for c in d["conns"]
                                if c["tgid"] == os.getpid() and c["src"] == "conns")
        a, b = mine(p.dump()), mine(p.dump(["-b"]))
        T.check(a and a == b, "batch lookup and get_next_key walk read the same records",
                (len(a), len(b)))
        st = p.dump()["stats"]
        T.name = "stats"
        T.check(st["conns_new"] > 0 and st["events"] > 0 and st["update_fail"] == 0,
                "stats: records created, no update failures", st)
    finally:
        p.unload()


def suite_core(args):
    """The core set: what must hold on every kernel libleco supports. It also runs inside
    the QEMU guest on Debian 12's own kernel (tests/kernel/guest.py --run core), so it
    uses only what that guest has (python3 stdlib, busybox, ip, nft, bpftool, setpriv)."""
    p = Probes(args, "core")
    try:
        p.run_load()
        run_tests(p, (test_hooks_reported, test_tcp, test_sendfile_splice, test_udp,
                      test_udp_recv_noaddr, test_failed, test_inbound_threads, test_burst,
                      test_start_time, test_two_readers, test_group_reader))
    finally:
        p.unload()
    suite_blocked(args)
    other_udp_tiers(args)


# leco-load's UDP tiers in its order of preference: --hooks name: (how the hook text begins,
# the UDP tests that hold under it; kprobe has no socket storage: no closing by socket)
UDP_TIERS = {
    "fentry": ("fexit", (test_udp, test_udp_recv_noaddr, test_udp_close)),
    "kprobe": ("kprobe", (test_udp, test_udp_recv_noaddr)),
    "tp_btf": ("tp_btf", (test_udp, test_udp_recv_noaddr, test_udp_close)),
    "cgroup_skb": ("cgroup_skb", (test_udp, test_udp_recv_noaddr, test_udp_close)),
}


def other_udp_tiers(args):
    """every UDP tier this kernel has, forced with --hooks, through the UDP tests: each tier
    works where it loads, not only the first one. A tier in --need-tier must load."""
    status = os.path.join(os.path.dirname(args.load), "leco")
    for tier, (prefix, tests) in UDP_TIERS.items():
        q = Probes(args, "tier")
        T.name = "tier " + tier
        t0 = time.monotonic()
        try:
            r = q.run_load("--hooks", "udp=" + tier, check=False)
            if r.returncode != 0:
                T.check(tier not in args.need_tier, "tier %s loads on this kernel" % tier,
                        r.stderr[-2000:])
                T.check(re.search(r"--hooks udp=%s: %s: \w" % (tier, tier), r.stderr),
                        "tier %s refused with its reason" % tier, r.stderr)
                print("tier %s: not on this kernel (%s)" % (tier, r.stderr.strip()[-160:]))
                continue
            hook = q.dump()["info"]["hooks"].get("udp bytes", "")
            T.check(hook.startswith(prefix), "--hooks udp=%s: that tier serves" % tier, hook)
            T.check(re.search(r"  udp bytes +%s" % re.escape(hook), r.stderr),
                    "leco-load names the %s tier" % tier, r.stderr)
            st = subprocess.run([status, "status", "-p", q.dir], capture_output=True, text=True,
                                timeout=60)
            T.check(st.returncode == 0 and re.search(r"  udp bytes +%s" % re.escape(hook),
                                                     st.stdout),
                    "leco status names the %s tier" % tier, st.stdout + st.stderr)
            check_cgroup_links(q.dir)
            print("tier %s: %s" % (tier, hook))
            run_tests(q, tests)
        finally:
            q.unload()
            print("tier %s: %.1f s" % (tier, time.monotonic() - t0))


# ---------------------------------------------------------------- blocked (netns + nft)

BLOCKED = r"""
import socket, struct, sys
ck = lambda s: struct.unpack("=Q", s.getsockopt(socket.SOL_SOCKET, 57, 8))[0]
t = socket.socket(); t.settimeout(1.0); c1 = ck(t)
try:
    t.connect(("127.0.0.1", 9)); r1 = "connected"
except OSError as e:
    r1 = type(e).__name__
t.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c2 = ck(u)
try:
    u.sendto(b"x" * 5, ("127.0.0.1", 9)); r2 = "sent"
except OSError as e:
    r2 = "errno%d" % e.errno
# allowed traffic in the same netns still flows
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0)); r.settimeout(3)
u.sendto(b"y" * 6, r.getsockname()); ok = len(r.recv(10))
print(c1, r1, c2, r2, r.getsockname()[1], ok, flush=True)
"""


def suite_blocked(args):
    p = Probes(args, "blocked")
    ns = "leco-t%db" % os.getpid()
    f0 = T.failed
    try:
        p.run_load()
        T.name = "blocked"
        subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
        sh = lambda *c: subprocess.run(["ip", "netns", "exec", ns, *c], check=True,
                                      capture_output=True, text=True, timeout=30)
        sh("ip", "link", "set", "lo", "up")
        sh("sysctl", "-qw", "net.ipv4.tcp_syn_retries=1")
        sh("nft", "add table inet leco_t; "
           "add chain inet leco_t out { type filter hook output priority 0 ; } ; "
           "add rule inet leco_t out tcp dport 9 drop ; "
           "add rule inet leco_t out udp dport 9 drop")
        r = sh(sys.executable, "-c", BLOCKED)
        c1, r1, c2, r2, rport, ok = r.stdout.split()
        T.check(r1 in ("timeout", "TimeoutError"), "blocked: tcp connect timed out", r1)
        T.check(r2 == "errno%d" % errno.EPERM, "blocked: udp send failed with EPERM", r2)
        T.check(ok == "6", "blocked: allowed datagram in the netns still flows", ok)
        t = p.one("blocked tcp", key_cookie=int(c1))
        expect(t, "blocked tcp", state=ST["blocked"], err=errno.EPERM, proto=6, dir=DIR_OUT,
               rport=9, raddr="127.0.0.1", tx=0)
        u = p.one("blocked udp", key_cookie=int(c2), key_rport=9)
        expect(u, "blocked udp", state=ST["blocked"], err=errno.EPERM, proto=17, raddr="127.0.0.1",
               tx=0)
        a = p.one("allowed udp", key_cookie=int(c2), key_rport=int(rport))
        # the script exited: its socket's records are closed (UDP lines fade like TCP)
        expect(a, "allowed udp", state=ST["closed"], tx=6)
        T.check(p.dump()["stats"]["blocked"] >= 2, "blocked: stats count drops")
        blocked_inbound(p, sh)
        print("%s blocked" % ("ok  " if T.failed == f0 else "FAIL"))
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        p.unload()


INBOUND = r"""
import os, socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 7001)); l.listen(4)   # someone listens there
t = socket.socket(); t.settimeout(1.0)
try:
    t.connect(("127.0.0.1", 7001)); r = "connected"
except OSError as e:
    r = type(e).__name__
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    u.sendto(b"x" * 5, ("127.0.0.1", 7002))
# a scan: one SYN to each of 1,000 ports, dropped on input
ss = []
for port in range(20000, 21000):
    s = socket.socket(); s.setblocking(False); s.connect_ex(("127.0.0.1", port)); ss.append(s)
print(os.getpid(), r, os.stat("/proc/self/ns/net").st_ino, flush=True)
"""


def blocked_inbound(p, sh):
    """what the firewall drops on input has no socket: recorded from its headers, bounded"""
    sh("nft", "add chain inet leco_t in { type filter hook input priority 0 ; } ; "
       "add rule inet leco_t in tcp dport 7001 drop ; "
       "add rule inet leco_t in udp dport 7002 drop ; "
       "add rule inet leco_t in tcp dport 20000-20999 drop")
    pid, r, netns = sh(sys.executable, "-c", INBOUND).stdout.split()
    T.check(r in ("timeout", "TimeoutError"), "inbound: the SYN dropped on input", r)
    recs = wait_for(lambda: [c for c in p.conns(src="conns", dir=DIR_IN, state=ST["blocked"])
                             if c["key_netns"] == int(netns)])
    by = {(c["proto"], c["lport"]): c for c in recs}
    t, u = by.get((6, 7001), {}), by.get((17, 7002), {})
    expect(t, "inbound blocked tcp", raddr="127.0.0.1", laddr="127.0.0.1", err=errno.EPERM,
           owner="listener", tgid=int(pid))
    T.check(t.get("count", 0) >= 1, "inbound tcp: SYNs counted", t)
    expect(u, "inbound blocked udp", raddr="127.0.0.1", count=3, owner="")
    scan = [c for c in recs if c["proto"] == 6 and (20000 <= c["lport"] < 21000 or
                                                     c["lport"] == 0)]
    agg = [c for c in scan if c["flags"] & F_AGGREGATE]
    T.check(len(recs) <= 6 and len(agg) == 1 and agg[0]["lport"] == 0 and
            sum(c["count"] for c in scan) >= 1000,
            "1,000-port scan: a handful of records, one aggregate counting the rest",
            [(c["lport"], c["count"], c["flags"]) for c in recs])
    st = p.dump()["stats"]
    T.check(st["blocked_in"] >= 1004 and st["scan_merged"] >= 990,
            "inbound: counted in stats", st)


# ---------------------------------------------------------------- lifecycle


def bpftool_json(*a):
    r = subprocess.run(["bpftool", "-j", *a], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout or "null")


def pinned_links(d):
    out = {}
    ld = os.path.join(d, "links")
    for n in sorted(os.listdir(ld)):
        j = bpftool_json("link", "show", "pinned", os.path.join(ld, n))
        out[n] = (j["id"], j["prog_id"])
    return out


def stage_for_others(*paths):
    """copies of paths that another user can run: the checkout may sit in a directory they
    cannot enter (a 0700 home directory). The same job as tests/stage.sh, in python, because
    the QEMU guest has no bash. Returns (dir to remove, staged paths)."""
    d = tempfile.mkdtemp(prefix="leco-stage-%d-" % os.getpid())
    os.chmod(d, 0o755)
    out = []
    for x in paths:
        dst = os.path.join(d, os.path.basename(x))
        shutil.copy2(x, dst)
        os.chmod(dst, 0o755)
        out.append(dst)
    return d, out


def test_group_reader(p):
    """--group: the pins become 0640 root:group; a reader with no capabilities in the group
    reads them, one outside it is refused with EACCES. Returns the setpriv prefix of the group
    member and the staged leco-load it may run."""
    import grp
    g = grp.getgrnam("nogroup")
    p.run_load("--group", "nogroup")
    st = os.stat(p.dir + "/conns")
    T.check(st.st_gid == g.gr_gid and st.st_mode & 0o777 == 0o640, "group: 0640 root:group")
    T.check(os.stat(p.dir).st_mode & 0o777 == 0o750, "group: dir 0750")
    stage, (dumper, loader) = stage_for_others(p.dumper, p.load)
    p.cleanup.append(lambda: shutil.rmtree(stage, ignore_errors=True))
    setpriv = ["setpriv", "--reuid=65534", "--regid=%d" % g.gr_gid, "--clear-groups"]
    r = subprocess.run(setpriv + [dumper, "-p", p.dir], capture_output=True, text=True,
                       timeout=30)
    T.check(r.returncode == 0 and '"info"' in r.stdout, "group: unprivileged reader reads",
            r.stderr)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=%d" % (g.gr_gid - 1),
                        "--clear-groups", dumper, "-p", p.dir], capture_output=True, text=True,
                       timeout=30)
    T.check(r.returncode != 0 and "Permission denied" in r.stderr,
            "group: a user outside the group cannot read (permission denied)", r.stderr)
    return setpriv, loader


def cgroup2_with_space(p):
    """a cgroup2 mount whose path has a space (/proc/mounts writes it as \\040): in a private
    mount namespace where that is the only cgroup2 mount, the cgroup hooks attach there"""
    if not shutil.which("unshare"):
        T.check(False, "unshare (util-linux) installed")
        return
    d = tempfile.mkdtemp(prefix="leco-t%d cg " % os.getpid())
    q = p.dir + "sp"
    script = ("for m in $(awk '$3 == \"cgroup2\" {print $2}' /proc/self/mounts); do "
              "umount -l \"$(printf '%b' \"$m\")\"; done; "
              "mount -t cgroup2 none \"$1\" && grep -q '\\\\040' /proc/self/mounts && "
              "\"$2\" -p \"$3\"")
    try:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                            d, p.load, q], capture_output=True, text=True, timeout=60)
        T.check(r.returncode == 0 and "loaded probes" in r.stderr,
                "a cgroup2 mount path with a space: leco-load works", r.stderr[-2000:])
        T.check(os.path.exists(os.path.join(q, "links", "leco_accept4")),
                "the cgroup hooks attached through it")
    finally:
        subprocess.run([p.load, "--unload", "-p", q], capture_output=True, timeout=60)
        os.rmdir(d)


def suite_lifecycle(args):
    p = Probes(args, "life")
    tmp = tempfile.mkdtemp(prefix="leco-test-%d-" % os.getpid())
    try:
        T.name = "lifecycle"
        r = p.run_load()
        T.check(os.path.isdir(p.dir), "load: pin dir exists")
        for n in ("info", "conns", "live", "changes", "changes_head", "closed", "closed_head",
                  "stats", "tcp", "links"):
            T.check(os.path.exists(os.path.join(p.dir, n)), "load: %s pinned" % n)
        links = pinned_links(p.dir)
        T.check(len(links) >= 5, "load: >= 5 links pinned", links)
        for n in ("conns", "tcp", "closed", "changes"):
            T.check(oct(os.stat(p.dir + "/" + n).st_mode & 0o777) == "0o600",
                    "load: default mode of %s 0600" % n)
        T.check(oct(os.stat(p.dir + "/links").st_mode & 0o777) == "0o700",
                "load: links/ 0700 without a group")
        T.check("tcp states:" not in r.stderr and "tcp states" in r.stderr and
                "udp bytes" in r.stderr, "load: names the hook of each job", r.stderr)
        info = p.dump()["info"]
        T.check(info["layout_version"] == LAYOUT_VERSION and info["conns_max"] >= 16384,
                "load: info written", info)
        j = bpftool_json("map", "show", "pinned", p.dir + "/info") or {}
        T.check(j.get("frozen"), "load: info map frozen", j)
        r = p.run_load()
        T.check("already loaded" in r.stderr, "load twice: no-op", r.stderr)
        T.check(pinned_links(p.dir) == links, "load twice: same links")
        # a pin dir whose programs were detached (a link unpinned) is not "loaded"
        os.unlink(os.path.join(p.dir, "links", "leco_state"))
        r = p.run_load(check=False)
        T.check(r.returncode == 0 and "replacing" in r.stderr and "leco_state" in r.stderr,
                "missing link: replaced", r.stderr)
        links = pinned_links(p.dir)
        T.check("leco_state" in links, "missing link: attached again", links)
        setpriv, loader = test_group_reader(p)
        T.check(oct(os.stat(p.dir + "/links").st_mode & 0o777) == "0o750",
                "group: links/ 0750 (a reader can tell whether the probes are attached)")
        # a reload without --group keeps the pins' group, and says so
        import grp
        gid = grp.getgrnam("nogroup").gr_gid
        os.unlink(os.path.join(p.dir, "links", "leco_state"))
        r = p.run_load(check=False)
        st = os.stat(p.dir + "/conns")
        T.check(r.returncode == 0 and "keeping group nogroup" in r.stderr and
                st.st_gid == gid and st.st_mode & 0o777 == 0o640,
                "reload without --group: keeps group nogroup", (r.stderr, oct(st.st_mode)))
        r = p.run_load(check=False)
        T.check(r.returncode == 0 and "already loaded" in r.stderr and
                os.stat(p.dir + "/conns").st_gid == gid, "rerun without --group: group kept",
                r.stderr)
        r = subprocess.run(setpriv + [loader, "-p", p.dir + "x"], capture_output=True, text=True,
                           timeout=30)
        T.check(r.returncode == 1 and "root" in r.stderr, "not root: clear error", r.stderr)
        r = p.run_load("--group", "no-such-group-leco", check=False)
        T.check(r.returncode == 1 and "unknown group" in r.stderr, "unknown group", r.stderr)
        cgroup2_with_space(p)
        # unload: pins gone, programs detached
        r = subprocess.run([p.load, "--unload", "-p", p.dir], capture_output=True, text=True,
                           timeout=30)
        T.check(r.returncode == 0 and not os.path.exists(p.dir), "unload: pins gone", r.stderr)
        # links and programs are freed after an RCU grace period: poll
        gone = lambda kind, idx: not any(
            v[idx] in {o["id"] for o in bpftool_json(kind, "show") or []} for v in links.values())
        T.check(wait_for(lambda: gone("link", 0), 10), "unload: links detached")
        T.check(wait_for(lambda: gone("prog", 1), 10), "unload: programs gone")
        r = subprocess.run([p.load, "--unload", "-p", p.dir], capture_output=True, text=True,
                           timeout=30)
        T.check(r.returncode == 0, "unload twice: ok")
        r = p.run_load()
        T.check(r.returncode == 0 and "loaded" in r.stderr and os.path.isdir(p.dir), "reload")
        p.unload()
        # --unload removes what leco-load pinned, and only that
        p.run_load()
        subprocess.run(["bpftool", "map", "create", p.dir + "/foreign", "type", "array", "key",
                        "4", "value", "4", "entries", "1", "name", "foreign"], check=True,
                       timeout=30)
        r = subprocess.run([p.load, "--unload", "-p", p.dir], capture_output=True, text=True,
                           timeout=30)
        left = sorted(os.listdir(p.dir)) if os.path.isdir(p.dir) else []
        T.check(r.returncode == 1 and "did not create" in r.stderr and left == ["foreign"],
                "unload: a foreign pin stays, ours go", (r.returncode, r.stderr, left))
        if os.path.exists(p.dir + "/foreign"):
            os.unlink(p.dir + "/foreign")
            os.rmdir(p.dir)
        # a temporary dir left by a leco-load that died mid-way (its pid is gone) is removed
        p.unload()
        stale = p.dir + "-new-99999999"
        os.mkdir(stale)
        subprocess.run(["bpftool", "map", "create", stale + "/info", "type", "array", "key", "4",
                        "value", "72", "entries", "1", "name", "info"], check=True, timeout=30)
        r = p.run_load()
        T.check(not os.path.exists(stale) and "interrupted" in r.stderr,
                "stale temporary dir removed", r.stderr)
        p.unload()
        # three loaders at once: all succeed, one set of pins, no leftovers
        procs = [subprocess.Popen([p.load, "-p", p.dir], stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
        errs = [q.communicate(timeout=60)[1] for q in procs]
        T.check(all(q.returncode == 0 for q in procs), "concurrent loads: all exit 0", errs)
        T.check(len(pinned_links(p.dir)) >= 7, "concurrent loads: one complete pin set")
        parent = os.path.dirname(p.dir)
        left = [n for n in os.listdir(parent) if n.startswith(os.path.basename(p.dir) + "-new-")]
        T.check(not left, "concurrent loads: no temporary dirs left", left)
        p.unload()
        # stale dirs: an info map of layout version 0, of another size, or none at all
        for kind in ("zero", "size", "noinfo"):
            os.mkdir(p.dir)
            if kind != "noinfo":
                vs = 72 if kind == "zero" else 8
                subprocess.run(["bpftool", "map", "create", p.dir + "/info", "type", "array",
                                "key", "4", "value", str(vs), "entries", "1", "name", "info"],
                               check=True, timeout=30)
            subprocess.run(["bpftool", "map", "create", p.dir + "/conns", "type", "hash", "key",
                            "4", "value", "4", "entries", "4", "name", "conns"], check=True,
                           timeout=30)
            r = p.run_load(check=False)
            T.check(r.returncode == 0 and "replacing" in r.stderr, "stale %s: replaced" % kind,
                    r.stderr)
            info = p.dump()["info"] if r.returncode == 0 else {}
            T.check(info.get("layout_version") == LAYOUT_VERSION, "stale %s: new info" % kind)
            p.unload()
        print("%s lifecycle" % ("ok  " if T.failed == 0 else "FAIL"))
    finally:
        p.unload()
        if os.path.isdir(p.dir):
            shutil.rmtree(p.dir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- cgroup programs return 1

INSN = re.compile(r"^\s*(\d+):\s+\(([0-9a-f]{2})\)\s+(.*)$")


def returns_one(listing):
    """Check a `bpftool prog dump xlated` listing: every exit of the program's own
    function is reached only by falling through an immediately preceding `r0 = 1`
    (no jump lands on an exit). A bpf-to-bpf call returns into that function, so
    its callee's exits do not end the program: a call is allowed only when the
    listing names the functions (BTF), so that the callee's code is told apart.
    Returns a list of problems (empty = proven)."""
    insns = {}
    funcs = 0
    for line in listing.splitlines():
        if re.match(r"^\S.*\(.*\):$", line):  # "int name(args):" starts a function
            funcs += 1
            if funcs > 1:
                break  # a callback (bpf_for_each_map_elem): its value goes to the helper
            continue
        m = INSN.match(line)
        if m:
            insns[int(m.group(1))] = (m.group(2), m.group(3).strip())
    problems = []
    if not insns:
        return ["no instructions"]
    order = sorted(insns)
    targets = set()
    for i in order:
        op, text = insns[i]
        m = re.search(r"goto pc([+-]\d+)", text)
        if m:
            targets.add(i + 1 + int(m.group(1)))
        if re.match(r"call pc[+-]", text) and not funcs:
            problems.append("%d: bpf-to-bpf call in a listing without function names" % i)
    exits = [i for i in order if insns[i][0] == "95"]
    if not exits:
        problems.append("no exit")
    for i in exits:
        prev = [j for j in order if j < i]
        if not prev or insns[prev[-1]] not in (("b7", "r0 = 1"), ("b4", "w0 = 1")):
            problems.append("%d: exit not preceded by r0 = 1" % i)
        if i in targets:
            problems.append("%d: a jump lands on exit" % i)
    return problems


CGROUP_PROGS = r"leco_((send|recv)msg[46]|accept[46]|release|udp_create|skb_(out|in|create))$"


def check_cgroup_links(pin_dir):
    """every cgroup program pinned in pin_dir returns 1 on every path of its verified
    instructions; how many were checked"""
    links = pinned_links(pin_dir)
    cg = [n for n in links if re.match(CGROUP_PROGS, n)]
    for n in cg:
        r = subprocess.run(["bpftool", "prog", "dump", "xlated", "id", str(links[n][1])],
                           capture_output=True, text=True, timeout=30)
        probs = returns_one(r.stdout)
        T.check(r.returncode == 0 and not probs, "%s returns 1 on every path" % n,
                "%s\n%s" % (probs, r.stdout))
        print("%s %s: %d exits, all r0 = 1" % ("ok  " if not probs else "FAIL", n,
                                                r.stdout.count("exit")))
    return len(cg)


def suite_cgroup_ret(args):
    T.name = "cgroup-ret"
    # the checker itself: it must reject a program that can return 0
    good = "0: (b7) r0 = 1\n1: (95) exit\n"
    bad0 = "0: (b7) r0 = 0\n1: (95) exit\n"
    badj = "0: (55) if r1 != 0x11 goto pc+2\n1: (b7) r0 = 1\n2: (95) exit\n" \
           "3: (b7) r0 = 0\n4: (95) exit\n"
    badt = "0: (b7) r0 = 0\n1: (15) if r1 == 0x0 goto pc+1\n2: (b7) r0 = 1\n3: (95) exit\n"
    T.check(returns_one(good) == [], "checker accepts r0 = 1; exit")
    T.check(returns_one(bad0) != [], "checker rejects r0 = 0")
    T.check(returns_one(badj) != [], "checker rejects a second exit with r0 = 0")
    T.check(returns_one(badt) != [], "checker rejects a jump straight to exit")
    # a subprogram's exit returns to its caller: allowed when the functions are named
    sub = "0: (85) call pc+2\n1: (b7) r0 = 1\n2: (95) exit\n3: (b7) r0 = 0\n4: (95) exit\n"
    named = "int leco_x(struct __sk_buff * skb):\n" + sub.replace("3:", "void f(void):\n3:")
    T.check(returns_one(named) == [], "checker accepts a call into a named subprogram")
    T.check(returns_one(sub) != [], "checker rejects a call without function names")
    p = Probes(args, "cgret")
    try:
        p.run_load()
        T.check(check_cgroup_links(p.dir) >= 3, "the cgroup programs attached")
        # and the object as built (before the verifier rewrote anything)
        objdump = shutil.which("llvm-objdump")
        T.check(objdump, "llvm-objdump installed (package llvm)")
        if args.obj and objdump:
            r = subprocess.run([objdump, "-d", "--no-show-raw-insn", args.obj],
                               capture_output=True, text=True, timeout=30)
            secs = re.split(r"\nDisassembly of section ", r.stdout)
            n = 0
            for s in secs:
                if not re.match(r"(cgroup/((send|recv|getpeer)(msg|name)[46]|sock_release|"
                                r"sock_create)|cgroup_skb/(egress|ingress)):", s):
                    continue
                n += 1
                body = [l for l in s.splitlines()[1:] if re.match(r"^\s*\d+:", l)]
                for k, l in enumerate(body):
                    if l.split(":", 1)[1].strip() == "exit":
                        T.check(k > 0 and re.search(r"[rw]0 = 1$", body[k - 1].strip()),
                                "object: exit after r0 = 1 in %s" % s.split(":")[0], body)
            T.check(n == 10, "object: ten cgroup sections", n)
    finally:
        p.unload()


def suite_min_object(args):
    """the object built with the committed minimal header (bpf/vmlinux-min.h) goes through
    the same loader (leco-load --object): every program the kernel can run verifies, every
    CO-RE relocation resolves, and the same hooks are chosen as with the built-in object"""
    T.name = "min-object"
    if not args.obj or not os.path.exists(args.obj):
        T.check(False, "object built with bpf/vmlinux-min.h exists", args.obj)
        return
    p = Probes(args, "min")
    q = Probes(args, "minref")
    try:
        r = p.run_load("--object", args.obj, check=False)
        T.check(r.returncode == 0, "minimal-header object loads", r.stderr[-3000:])
        q.run_load()
        hooks = lambda pr: pr.dump()["info"]["hooks"] if os.path.isdir(pr.dir) else None
        T.check(hooks(p) == hooks(q), "the same hooks as the built-in object",
                (hooks(p), hooks(q)))
        names = sorted(pinned_links(p.dir)) if os.path.isdir(p.dir) else []
        T.check(len(names) >= 5 and "leco_state" in names, "its programs verified", names)
        print("%s min-object: %s" % ("ok  " if T.failed == 0 else "FAIL", " ".join(names)))
    finally:
        p.unload()
        q.unload()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--load", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--burst")
    ap.add_argument("--obj")
    ap.add_argument("--need-tier", action="append", default=[],
                    help="a UDP tier (--hooks udp=TIER) that must load here (the QEMU guest)")
    ap.add_argument("suite", choices=("core", "traffic", "blocked", "lifecycle", "cgroup-ret",
                                      "min-object"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        skip("needs root (loads eBPF probes)")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("kernel has no BTF")
    for tool in ("bpftool", "ip", "nft", "setpriv"):
        if not shutil.which(tool):
            skip("%s not installed" % tool)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))  # run the finally blocks
    {"core": suite_core, "traffic": suite_traffic, "blocked": suite_blocked,
     "lifecycle": suite_lifecycle,
     "cgroup-ret": suite_cgroup_ret, "min-object": suite_min_object}[args.suite](args)
    print("%d passed, %d failed" % (T.passed, T.failed))
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
