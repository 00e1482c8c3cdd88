#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Names of remote addresses end to end (the names job: a uprobe on the C library's
getaddrinfo, bpf/names.bpf.c; the reader's index, lib/names.c): programs resolve made-up
names that only their private mount namespace's /etc/hosts knows, connect over loopback,
and the records, `leco lines --json`, `leco conns --json`, Lua `conns()`, the remote groups of
`leco top`, the line text and `leco status` are checked.

usage: names.py --load LECO-LOAD --dump LECO-DUMP --leco LECO [--lua-dir BUILD/lua] names

Runs on the host and in the QEMU guest (tests/kernel/guest.py --run names): python3 stdlib
only, no shell. Needs root: otherwise SKIP (77), a failure under CI=true. Everything it
creates (pin dirs, temp files; the mount namespaces die with their processes) is removed in
finally blocks, also on failure.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (T, Probes, wait_for, skip, libc, stage_for_others)
from e2e import T, wait_for  # noqa: E402

CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x20000, 4096, 16384, 1 << 18

# A client in its own mount namespace: resolves names (argv[1], comma-separated, each
# `count` times) and, if port > 0, connects to the first answer of the first name and sends
# `n` bytes; prints its local port (or 0) and its process start.
CLIENT = r"""
import socket, sys
names, port, n, count = sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
first = None
for name in names:
    for _ in range(count):
        try:
            a = socket.getaddrinfo(name, port or 1, type=socket.SOCK_STREAM)
        except socket.gaierror:
            a = None
        first = first or a
lport = 0
if port and first:
    s = socket.socket(first[0][0], socket.SOCK_STREAM)
    s.connect(first[0][4])
    s.sendall(b"x" * n)
    lport = s.getsockname()[1]
    s.close()
# when this process started, as the kernel's CLOCK_MONOTONIC ns (e2e.proc_start_ns)
import os, time
st = open("/proc/self/stat").read()
ticks = int(st[st.rindex(")") + 2:].split()[19])
susp = time.clock_gettime_ns(time.CLOCK_BOOTTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC)
print(lport, ticks * (10**9 // os.sysconf("SC_CLK_TCK")) - susp, flush=True)
"""


class Hosts:
    """an /etc/hosts (and nsswitch.conf: files only, so nothing is asked of a DNS server)
    that only the clients' private mount namespaces see"""

    def __init__(self, lines):
        self.dir = tempfile.mkdtemp(prefix="leco-names-%d-" % os.getpid())
        os.chmod(self.dir, 0o755)
        self.hosts = os.path.join(self.dir, "hosts")
        self.nss = os.path.join(self.dir, "nsswitch.conf")
        with open(self.hosts, "w") as f:
            f.write("127.0.0.1 localhost\n" + "".join(a + " " + n + "\n" for a, n in lines))
        with open(self.nss, "w") as f:
            f.write("passwd: files\ngroup: files\nhosts: files\n")

    def enter(self):
        """preexec_fn: a private mount namespace with our files over /etc's"""
        if e2e.libc.unshare(CLONE_NEWNS) != 0:
            raise OSError("unshare(CLONE_NEWNS) failed")
        if e2e.libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise OSError("mount --make-rprivate / failed")
        for src, dst in ((self.hosts, "/etc/hosts"), (self.nss, "/etc/nsswitch.conf")):
            if not os.path.exists(dst):
                open(dst, "a").close()  # the guest's /etc is a ramfs of our own
            if e2e.libc.mount(src.encode(), dst.encode(), None, MS_BIND, None) != 0:
                raise OSError("bind mount of %s failed" % dst)

    def client(self, names, port=0, n=0, count=1):
        """run a client: (its pid, its local port); self.start: its process start"""
        p = subprocess.Popen([sys.executable, "-c", CLIENT, ",".join(names), str(port), str(n),
                              str(count)], stdout=subprocess.PIPE, text=True,
                             preexec_fn=self.enter)
        out, _ = p.communicate(timeout=120)
        T.check(p.returncode == 0, "client %s ran" % names[:2], out)
        lport, self.start = (int(x) for x in (out.split() + ["0", "0"])[:2])
        return p.pid, lport

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """a TCP listener on (host, any port) that reads every connection to its end"""

    def __init__(self, fam, host):
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.bind((host, 0))
        self.s.listen(16)
        self.port = self.s.getsockname()[1]
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            while c.recv(65536):
                pass
            c.close()

    def close(self):
        self.s.close()


def lines(args, pin, *extra):
    r = subprocess.run([args.leco, "lines", "-p", pin, "-n", "100000", *extra],
                       capture_output=True, text=True, timeout=60)
    return r.stdout.splitlines() if r.returncode == 0 else []


def line_of(args, pin, lport, raddr, *extra):
    """the JSON line of the outbound connection from lport to raddr, polled until there"""
    def find():
        for t in lines(args, pin, "--json", *extra):
            o = json.loads(t)
            if o["lport"] == lport and o["raddr"] == raddr and o["dir"] == "out":
                return o
        return None
    return wait_for(find, 10) or {}


def conn_of(args, pin, lport, raddr):
    """`leco conns --json`: the outbound connection from lport to raddr, polled until there"""
    def find():
        r = subprocess.run([args.leco, "conns", "--json", "-p", pin], capture_output=True,
                           text=True, timeout=60)
        for t in r.stdout.splitlines() if r.returncode == 0 else []:
            o = json.loads(t)
            if o["lport"] == lport and o["raddr"] == raddr and o["dir"] == "out":
                return o
        return None
    return wait_for(find, 10) or {}


def remote_group(args, pin, raddr):
    """`leco top --by remote --once --json`: the group of remote address raddr"""
    r = subprocess.run([args.leco, "top", "--by", "remote", "--once", "--json", "-n", "100000",
                        "-p", pin], capture_output=True, text=True, timeout=60)
    for t in r.stdout.splitlines() if r.returncode == 0 else []:
        o = json.loads(t)
        if o.get("by") == "remote" and o.get("key") == raddr:
            return o
    return {}


def status(args, pin):
    r = subprocess.run([args.leco, "status", "--json", "-p", pin], capture_output=True,
                       text=True, timeout=60)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {}


def my_names(p, pid):
    return [n for n in p.dump()["names"] if n["tgid"] == pid]


def addr_tag():
    """a loopback address of our own for this run (127.0.0.2 .. 127.0.0.254)"""
    return "127.0.0.%d" % (2 + os.getpid() % 253)


def history_name(args, p, h, v4, tag):
    """a real `leco record` stores the name with the endpoint: `leco report --by remote
    --json` and `--new --json` give it"""
    db = os.path.join(h.dir, "history.db")
    rec = subprocess.Popen([args.leco, "record", "-p", p.dir, "--db", db, "-i", "1",
                            "--status-file", os.path.join(h.dir, "record.status")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def report(*extra):
        r = subprocess.run([args.leco, "report", "--db", db, "--since", "1h", "--json"]
                           + list(extra), capture_output=True, text=True, timeout=10)
        rows = [json.loads(x) for x in r.stdout.splitlines()] if r.returncode == 0 else []
        return [x for x in rows if x.get("key", x.get("raddr")) == v4]

    try:
        g = wait_for(lambda: [x for x in report("--by", "remote") if x.get("rname")], 15)
    finally:
        rec.terminate()
        err = rec.communicate(timeout=10)[1]
    T.check(g and g[0]["rname"] == tag and g[0]["rx"] + g[0]["tx"] >= 1000,
            "leco record + leco report --by remote --json: the address's rname", (g, err))
    new = report("--new")
    T.check(new and all(x["rname"] == tag for x in new),
            "leco report --new --json: the pair's endpoint carries the rname", new)


def test_self_and_borrowed(args, p):
    """a process that resolved the name gets it ("self"), one that connects to the same
    address without resolving borrows it ("other"); the text shows it only when asked"""
    tag, v4 = "made-up-%d.leco.test" % os.getpid(), addr_tag()
    tag6 = "made-up6-%d.leco.test" % os.getpid()
    h = Hosts([(v4, tag), ("::1", tag6)])
    srv, srv6 = Server(socket.AF_INET, v4), Server(socket.AF_INET6, "::1")
    p.cleanup += [h.remove, srv.close, srv6.close]
    pid, lport = h.client([tag], srv.port, 1000)
    rec = wait_for(lambda: my_names(p, pid), 5)
    T.check(len(rec) == 1 and rec[0]["name"] == tag and rec[0]["addrs"] == [v4],
            "one names record: the name asked for, the address answered", rec)
    tick = 10**9 // os.sysconf("SC_CLK_TCK")
    T.check(rec and abs(rec[0]["start_ns"] - h.start) <= tick + 10**6,
            "the record carries the process start", (rec, h.start))
    o = line_of(args, p.dir, lport, v4)
    T.check(o.get("rname") == tag and o.get("rname_src") == "self",
            "the resolving process's connection: rname, self", o)
    T.check(v4 + " %d" % srv.port in o.get("text", "") and tag not in o.get("text", ""),
            "remote-names off (the default): the text keeps the address", o.get("text"))
    c = conn_of(args, p.dir, lport, v4)
    T.check(c.get("rname") == tag and c.get("rname_src") == "self",
            "leco conns --json: rname, self", c)
    out = lua_conn(args, p.dir, lport)
    T.check(out is None or out.strip() == tag + " self", "Lua conns(): rname, self", out)
    g = remote_group(args, p.dir, v4)
    T.check(g.get("rname") == tag, "leco top --by remote --json: the group's rname", g)
    history_name(args, p, h, v4, tag)
    # a second process, same address, no lookup of its own: the name is borrowed
    b = socket.create_connection((v4, srv.port))
    b.sendall(b"y" * 10)
    blport = b.getsockname()[1]
    b.close()
    o = line_of(args, p.dir, blport, v4)
    T.check(o.get("rname") == tag and o.get("rname_src") == "other",
            "another process's connection to that address: the name, borrowed", o)
    c = conn_of(args, p.dir, blport, v4)
    T.check(c.get("rname") == tag and c.get("rname_src") == "other",
            "leco conns --json: the borrowed name", c)
    # the text shows it with [format] remote-names, and rules match it
    cfg = os.path.join(h.dir, "leco.ini")
    with open(cfg, "w") as f:
        f.write("[format]\nremote-names = yes\n[rx-proc]\n(made-up-\\d+)\\.leco\\.test = $1.ruled\n")
    o = line_of(args, p.dir, lport, v4, "-c", cfg)
    want = "made-up-%d.ruled %d" % (os.getpid(), srv.port)
    T.check(want in o.get("text", ""), "remote-names = yes: the name in the text, and a rule "
            "on the name rewrote it", o.get("text"))
    T.check(tag + " %d" % srv.port in o.get("raw", ""), "raw: the name before the rules",
            o.get("raw"))
    # IPv6
    pid6, lport6 = h.client([tag6], srv6.port, 100)
    o = line_of(args, p.dir, lport6, "::1")
    T.check(o.get("rname") == tag6 and o.get("rname_src") == "self", "IPv6: rname, self", o)


def test_not_recorded(args, p):
    """address literals and failed lookups make no record; repeats within a minute make one"""
    tag = "again-%d.leco.test" % os.getpid()
    h = Hosts([(addr_tag(), tag)])
    p.cleanup.append(h.remove)
    before = p.dump()["stats"]
    pid, _ = h.client(["127.0.0.9", "::1", "no-such-%d.leco.test" % os.getpid()])
    T.check(my_names(p, pid) == [], "literals and a failed lookup: no record",
            my_names(p, pid))
    pid, _ = h.client([tag], count=5)
    rec = wait_for(lambda: my_names(p, pid), 5)
    T.check(len(rec) == 1 and rec[0]["name"] == tag, "five lookups, one record", rec)
    after = p.dump()["stats"]
    T.check(after["names_dup"] - before["names_dup"] >= 4 and
            after["names_calls"] - before["names_calls"] >= 5,
            "the repeats counted (names_calls, names_dup)", (before, after))


def test_status(args, p):
    """leco status names the hook and shows the names counters"""
    st = status(args, p.dir)
    T.check(st.get("hooks", {}).get("names", "").startswith("uprobe getaddrinfo in /"),
            "status JSON: the names hook and the C library", st.get("hooks"))
    T.check(st.get("names_max") == 4096 and st.get("names_total", 0) >= 1,
            "status JSON: the names ring", st)
    r = subprocess.run([args.leco, "status", "-p", p.dir], capture_output=True, text=True,
                       timeout=60)
    T.check("names:" in r.stdout and "resolved since load" in r.stdout,
            "status text: the names line", r.stdout)
    lua_status(args, p.dir, "uprobe getaddrinfo in ", "")


def lua_run(args, code):
    """run Lua code with the leco module (where Lua runs: the host): stdout, or None"""
    for v in ("5.4", "5.3"):
        so = os.path.join(args.lua_dir or "", v, "leco.so")
        lua = shutil.which("lua" + v)
        if not args.lua_dir or not os.path.exists(so) or not lua:
            continue
        r = subprocess.run([lua, "-e", code], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, LUA_CPATH=os.path.join(args.lua_dir, v, "?.so")))
        return r.stdout + r.stderr
    return None


def lua_conn(args, pin, lport):
    """Lua reader:conns(): rname and rname_src of the connection from lport (checked where Lua
    runs)"""
    out = lua_run(args, "for _, c in ipairs(require('leco').open{pin_dir = %r}:conns()) do "
                  "if c.lport == %d then print(c.rname .. ' ' .. c.rname_src) end end" %
                  (pin, lport))
    return out


def lua_status(args, pin, hook, lacks):
    """the Lua status table names the hook and what is missing (where Lua runs: the host)"""
    out = lua_run(args, "local s = require('leco').open{pin_dir = %r}:status() "
                  "print(s.hooks.names) print(s.lacks.names or '') print(s.names_max)" % pin)
    if out is None:
        return
    got = out.split("\n")
    T.check(len(got) >= 3 and got[0].startswith(hook) and lacks in got[1] and
            got[2].isdigit(), "Lua status: hooks.names, lacks.names", out)


def test_group(args, p):
    """names are data like any other: 0640 root:group, read by a group member only"""
    import grp
    g = grp.getgrnam("nogroup")
    p.run_load("--group", "nogroup")
    for pin in ("names", "names_head"):
        st = os.stat(os.path.join(p.dir, pin))
        T.check(st.st_gid == g.gr_gid and st.st_mode & 0o777 == 0o640,
                "%s: 0640 root:nogroup" % pin, oct(st.st_mode))
    stage, (dumper,) = e2e.stage_for_others(p.dumper)
    p.cleanup.append(lambda: shutil.rmtree(stage, ignore_errors=True))
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=%d" % g.gr_gid, "--clear-groups",
                        dumper, "-p", p.dir], capture_output=True, text=True, timeout=30)
    T.check(r.returncode == 0 and '"name": {' in r.stdout,
            "a group member reads the names", r.stderr)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=%d" % (g.gr_gid - 1),
                        "--clear-groups", dumper, "-p", p.dir], capture_output=True, text=True,
                       timeout=30)
    T.check(r.returncode != 0 and "Permission denied" in r.stderr,
            "a user outside the group cannot", r.stderr)


def test_bounded(args):
    """1,000 distinct names into a 256-slot ring: it stays 256, the rest counted overwritten"""
    p = e2e.Probes(args, "names-max")
    h = Hosts([("127.0.%d.%d" % (1 + i // 250, 1 + i % 250), "n%d-%d.leco.test" % (i, os.getpid()))
               for i in range(1000)])
    try:
        p.run_load("--names-max", "256")
        pid, _ = h.client(["n%d-%d.leco.test" % (i, os.getpid()) for i in range(1000)])
        d = p.dump()
        mine = [n for n in d["names"] if n["tgid"] == pid]
        st = status(args, p.dir)
        total = st.get("names_total", 0)
        T.check(st.get("names_max") == 256 and total >= 1000, "ring of 256, 1,000 recorded", st)
        T.check(st.get("names_overwritten") == total - 256,
                "overwritten = recorded - 256 (evictions counted)", st)
        T.check(len(d["names"]) <= 256 and 256 - (total - 1000) <= len(mine) <= 256,
                "the ring holds 256, the newest of ours among them", (len(d["names"]), len(mine)))
        T.check(mine and mine[-1]["name"] == "n999-%d.leco.test" % os.getpid(),
                "the last name resolved is the newest record", mine[-1:])
        T.check(st.get("names_known", 1 << 30) <= 256 * 8, "the reader's index holds what the "
                "ring held", st.get("names_known"))
    finally:
        p.unload()
        h.remove()


def works_without(args, p, what):
    """the rest works: a TCP connection's line with its exact bytes"""
    srv = Server(socket.AF_INET, "127.0.0.1")
    try:
        c = socket.create_connection(("127.0.0.1", srv.port))
        c.sendall(b"z" * 777)
        lp = c.getsockname()[1]
        c.close()
        o = line_of(args, p.dir, lp, "127.0.0.1")
        T.check(o.get("tx") == 777 and o.get("rname") == "",
                "%s: connections still read, with no name" % what, o)
    finally:
        srv.close()


def test_missing(args):
    """the names job off, or its C library missing or not one: leco-load and leco status say
    so, everything else works"""
    cases = (("--hooks names=off", ["--hooks", "names=off"], "turned off"),
             ("--libc missing", ["--libc", "/nonexistent/libc.so.6"],
              "uprobe on /nonexistent/libc.so.6: No such file or directory"),
             ("--libc not a library", ["--libc", "/proc/self/status"],
              "uprobe on /proc/self/status: BPF object format invalid"))
    for i, (what, opts, why) in enumerate(cases):
        p = e2e.Probes(args, "names-off%d" % i)
        try:
            r = p.run_load(*opts)
            T.check("names" in r.stderr and "none (" + why in r.stderr,
                    "%s: leco-load says names none, and why" % what, r.stderr)
            st = status(args, p.dir)
            T.check(st.get("loaded") is True and st.get("hooks", {}).get("names") == "" and
                    why in st.get("lacks", {}).get("names", "") and st.get("names_max") == 0,
                    "%s: status JSON: no names hook, lacks says why" % what, st)
            t = subprocess.run([args.leco, "status", "-p", p.dir], capture_output=True,
                               text=True, timeout=60).stdout
            T.check("names         none: no names of remote addresses (" in t and
                    "not recorded" in t, "%s: status text says so" % what, t)
            T.check(not os.path.exists(os.path.join(p.dir, "links", "leco_gai")),
                    "%s: no uprobe link pinned" % what)
            works_without(args, p, what)
            if i == 0:
                lua_status(args, p.dir, "", "turned off")
        finally:
            p.unload()


def suite_names(args):
    p = e2e.Probes(args, "names")
    try:
        p.run_load()
        for fn in (test_self_and_borrowed, test_not_recorded, test_status, test_group):
            T.name = fn.__name__
            f0 = T.failed
            try:
                fn(args, p)
            except Exception as e:  # a crash fails that test; the rest still run
                T.check(False, "raised %r" % e)
            print("%s %s" % ("ok  " if T.failed == f0 else "FAIL", fn.__name__), flush=True)
    finally:
        p.unload()
    for fn in (test_bounded, test_missing):
        T.name = fn.__name__
        f0 = T.failed
        try:
            fn(args)
        except Exception as e:
            T.check(False, "raised %r" % e)
        print("%s %s" % ("ok  " if T.failed == f0 else "FAIL", fn.__name__), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--load", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--leco", required=True)
    ap.add_argument("--lua-dir")
    ap.add_argument("--burst")
    ap.add_argument("suite", choices=("names",))
    args = ap.parse_args()
    if os.geteuid() != 0:
        e2e.skip("needs root (loads eBPF probes, mount namespaces)")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        e2e.skip("kernel has no BTF")
    if not shutil.which("setpriv"):
        e2e.skip("setpriv not installed")
    e2e.signal.signal(e2e.signal.SIGTERM, lambda *a: sys.exit(1))  # run the finally blocks
    suite_names(args)
    print("%d passed, %d failed" % (T.passed, T.failed))
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
