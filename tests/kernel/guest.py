#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Kernel matrix: boot Debian 12's own kernel in QEMU (pure emulation, TCG)
with the built binaries in an initramfs, run test commands in it and check
the one result line the guest prints on its serial console.

usage: guest.py --build BUILD [--run probe|load|core|names ...] [--step CMD ...]
                [--kernel META | --kernel-deb DEB] [--cache DIR] [--shell] [--timeout S]

The kernel is the package Debian 12's linux-image-amd64 (or --kernel META, e.g.
linux-image-6.12-amd64) depends on today (apt-get download; cached in
BUILD/tests/kernel/cache, so reruns do not download again). The initramfs holds busybox, the build's binaries and BPF
objects at the same absolute paths as on the host, the libraries they link,
python3 with a zip of the standard library (tests/bpf/e2e.py runs as on the
host), nft, ip, bpftool, setpriv and the kernel modules the tests use.

The guest runs each step (a shell command) and prints
"LECO-GUEST-RESULT nonce=N passed=P failed=F" with a nonce the host chose
for this run: anything else (no line, another nonce, a kernel panic, the
timeout) is a failure. Exit 0 only when every step passed; 77 = cannot run
here (no qemu, no kernel package reachable), a failure under CI=true.
Pure stdlib python3; needs no root on the host.
"""
import argparse
import fcntl
import glob
import os
import re
import secrets
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
META = "linux-image-amd64"
PYTHON = "/usr/bin/python3"  # Debian's: the guest runs it
# kernel modules loaded in this order (each after its depends=); crc32c_generic first: the
# libcrc32c that nf_tables needs wants a crc32c implementation (a softdep, not a depends=)
MODULES = ["crc32c_generic", "nf_tables", "veth"]
TOOLS = ["nft", "ip", "bpftool", "setpriv"]  # from the host, with their libraries
PY_DENY = {"test", "idlelib", "tkinter", "turtledemo", "lib2to3", "pydoc_data", "distutils",
           "ensurepip", "venv", "site-packages", "dist-packages", "__pycache__", "lib-dynload",
           "sqlite3", "dbm", "curses", "unittest"}
PY_SO_DENY = re.compile(r"^(_ssl|_hashlib|_sqlite3|_tkinter|_dbm|_gdbm|_curses.*|_test.*|_xx.*|"
                        r"xxlimited.*|nis|ossaudiodev|readline|_ctypes_test|audioop|_lsprof)\.")


def skip(reason):
    if os.environ.get("CI") == "true":
        print("FAIL: would skip, but CI=true: " + reason, flush=True)
        sys.exit(1)
    print("SKIP: " + reason, flush=True)
    sys.exit(77)


def say(msg):
    print("kernel-guest: " + msg, flush=True)


# ---------------------------------------------------------------- initramfs (cpio newc)


MERGED = ("/bin", "/sbin", "/lib", "/lib64")  # symlinks into /usr, as on Debian 12


def norm(path):
    """the path under merged /usr: /lib/x.so -> /usr/lib/x.so"""
    for d in MERGED:
        if path.startswith(d + "/"):
            return "/usr" + path
    return path


class Cpio:
    """an initramfs in the kernel's cpio "newc" format, every entry root-owned;
    paths are kept as on the host, /bin, /sbin, /lib and /lib64 merged into /usr"""

    def __init__(self):
        self.entries = {}  # path -> (mode, data bytes or None, mtime)
        for d in MERGED:
            self.entries[d] = (0o120777, ("usr" + d).encode(), 0)

    def _parents(self, path):
        d = os.path.dirname(path)
        while d not in ("", "/") and d not in self.entries:
            self.entries[d] = (0o040755, None, 0)
            d = os.path.dirname(d)

    def dir(self, path, mode=0o755):
        path = norm(path)
        self._parents(path)
        self.entries[path] = (0o040000 | mode, None, 0)

    def data(self, path, data, mode=0o644, mtime=0):
        path = norm(path)
        self._parents(path)
        self.entries[path] = (0o100000 | mode, data, mtime)

    def symlink(self, path, target):
        path = norm(path)
        self._parents(path)
        self.entries[path] = (0o120000 | 0o777, target.encode(), 0)

    def file(self, path, src=None):
        """copy a host file (its symlinks followed) to path, keeping mode and mtime"""
        src = src or path
        st = os.stat(src)
        with open(src, "rb") as f:
            self.data(path, f.read(), st.st_mode & 0o7777, int(st.st_mtime))

    def has(self, path):
        return norm(path) in self.entries

    def write(self, out):
        ino = 1
        for path in sorted(self.entries):  # parents sort before their children
            mode, data, mtime = self.entries[path]
            ino += 1
            self._entry(out, path.lstrip("/"), mode, data or b"", mtime, ino)
        self._entry(out, "TRAILER!!!", 0, b"", 0, 0)

    @staticmethod
    def _entry(out, name, mode, data, mtime, ino):
        nb = name.encode() + b"\0"
        nlink = 2 if mode & 0o040000 else 1
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, 0, 0, len(nb), 0))
        out.write(hdr.encode() + nb + b"\0" * ((-(110 + len(nb))) % 4))
        out.write(data + b"\0" * ((-len(data)) % 4))


def ldd(paths):
    """the shared libraries (and the dynamic loader) that the ELF files in paths load"""
    r = subprocess.run(["ldd", *paths], capture_output=True, text=True)
    libs = set()
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*(/\S+) \(0x", line)
        if m:
            libs.add(m.group(m.lastindex))
    return libs


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def add_with_libs(cpio, paths):
    """copy ELF files and everything they link, at the same paths as on the host"""
    elves = [p for p in paths if is_elf(p)]
    for p in paths:
        cpio.file(p)
    for lib in sorted(ldd(elves)) if elves else []:
        real = os.path.realpath(lib)
        if not cpio.has(real):
            cpio.file(real)
        if lib != real and not cpio.has(lib):
            cpio.symlink(lib, real)


# run by Debian's python3: its standard library as one zip of compiled modules
PY_ZIP = r"""
import os, sys, zipfile
deny = set(sys.argv[2].split(","))
stdlib = os.path.dirname(os.__file__)
with zipfile.PyZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    for n in sorted(os.listdir(stdlib)):
        p = os.path.join(stdlib, n)
        if n in deny or n.startswith("config-"):
            continue
        if n.endswith(".py") or os.path.exists(os.path.join(p, "__init__.py")):
            z.writepy(p)
print(stdlib, "%d.%d" % sys.version_info[:2])
"""


def add_python(cpio, cache):
    """Debian's python3 (not whatever python3 runs this script) with its standard library
    as one zip of compiled modules, no sources: /usr/lib/pythonXY.zip is on its default path"""
    exe = os.path.realpath(PYTHON)
    if not os.path.isfile(exe) or not is_elf(exe):
        skip("%s not installed (package python3)" % PYTHON)
    st = os.stat(exe)
    zpath = os.path.join(cache, "stdlib-%d-%d.zip" % (st.st_mtime, st.st_size))
    tmp = zpath + ".tmp"
    r = subprocess.run([exe, "-c", PY_ZIP, tmp, ",".join(sorted(PY_DENY))], capture_output=True,
                       text=True, timeout=300, check=True) if not os.path.exists(zpath) else None
    if r:
        os.rename(tmp, zpath)
        with open(zpath + ".info", "w") as f:
            f.write(r.stdout)
    with open(zpath + ".info") as f:
        stdlib, ver = f.read().split()
    cpio.file("/usr/lib/python%s.zip" % ver.replace(".", ""), zpath)
    dyn = os.path.join(stdlib, "lib-dynload")
    sos = [os.path.join(dyn, n) for n in sorted(os.listdir(dyn)) if not PY_SO_DENY.match(n)]
    add_with_libs(cpio, [exe] + sos)
    for name in ("/usr/bin/python3", "/usr/bin/python" + ver):
        if not cpio.has(name):
            cpio.symlink(name, exe)


# ---------------------------------------------------------------- Debian's kernel package


def fetch_deb(cache, meta):
    """the .deb of the kernel the metapackage depends on today, downloaded once; an earlier
    kernel of the same metapackage is removed from the cache when a newer one arrives"""
    r = subprocess.run(["apt-cache", "depends", "--important", meta], capture_output=True,
                       text=True, timeout=120)
    m = re.search(r"Depends: (linux-image-[0-9]\S*)", r.stdout)
    if not m and os.geteuid() == 0:  # no package lists yet (a fresh machine): fetch them
        say("apt-cache knows no %s: apt-get update" % meta)
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600)
        r = subprocess.run(["apt-cache", "depends", "--important", meta], capture_output=True,
                           text=True, timeout=120)
        m = re.search(r"Depends: (linux-image-[0-9]\S*)", r.stdout)
    debs = lambda pkgs: sorted((d for d in glob.glob(os.path.join(cache, "linux-image-*.deb"))
                                if os.path.basename(d).split("_")[0] in pkgs),
                               key=os.path.getmtime)
    if m:
        pkg = m.group(1)
        old = debs(meta_pkgs(cache, meta) - {pkg})
        remember(cache, meta, pkg)
        if not debs({pkg}):
            say("apt-get download %s (%s -> %s)" % (pkg, meta, pkg))
            r = subprocess.run(["apt-get", "download", "-q", pkg], cwd=cache,
                               capture_output=True, text=True, timeout=900)
            if debs({pkg}):
                for d in old:
                    os.unlink(d)
                    shutil.rmtree(d[:-4], ignore_errors=True)
            else:
                say("apt-get download %s failed: %s" % (pkg, r.stderr.strip()[-400:]))
        if debs({pkg}):
            return debs({pkg})[-1]
    else:
        say("apt-cache depends %s: no kernel package found (%s)" %
            (meta, (r.stderr.strip() or r.stdout.strip())[-300:]))
    cached = debs(meta_pkgs(cache, meta))
    if cached:
        say("using the cached %s" % os.path.basename(cached[-1]))
        return cached[-1]
    skip("cannot get the kernel package of %s: run apt-get update, or pass --kernel-deb" % meta)


def meta_pkgs(cache, meta):
    """the kernel packages this metapackage resolved to before (cache/META.pkgs)"""
    try:
        with open(os.path.join(cache, meta + ".pkgs")) as f:
            return set(f.read().split())
    except OSError:
        return set()


def remember(cache, meta, pkg):
    if pkg not in meta_pkgs(cache, meta):
        with open(os.path.join(cache, meta + ".pkgs"), "a") as f:
            f.write(pkg + "\n")


# what is extracted from the package: the kernel and the module directories tests may need
# (--module), not the whole tree (400 MB for 6.1)
EXTRACT = re.compile(r"^\./(boot/|(usr/)?lib/modules/[^/]+/(modules\.builtin$|kernel/(net|lib|"
                     r"crypto|drivers/net|arch/x86/crypto)/))")


def kernel_tree(cache, deb):
    """(vmlinuz, modules dir, release) of the package, extracted once next to it"""
    tree = os.path.join(cache, os.path.basename(deb)[:-4])
    if not os.path.exists(os.path.join(tree, ".extracted")):
        import tarfile
        shutil.rmtree(tree, ignore_errors=True)
        p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
            for m in tar:
                if EXTRACT.match(m.name) and (m.isfile() or m.isdir()):
                    tar.extract(m, tree)
        if p.wait(timeout=600) != 0:
            raise RuntimeError("dpkg-deb --fsys-tarfile %s failed" % deb)
        open(os.path.join(tree, ".extracted"), "w").close()
    found = glob.glob(os.path.join(tree, "boot", "vmlinuz-*"))
    if len(found) != 1:
        raise RuntimeError("%s: expected one boot/vmlinuz-*, found %s" % (deb, found))
    release = os.path.basename(found[0])[len("vmlinuz-"):]
    return found[0], os.path.join(tree, "lib", "modules", release), release


def modinfo_depends(ko):
    """the depends= list of a kernel module's .modinfo section (ELF64 little-endian)"""
    elf = ko_bytes(ko)
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    sec = lambda i: struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize)
    names = sec(shstrndx)[4]
    for i in range(shnum):
        s = sec(i)
        if elf[names + s[0]:elf.index(b"\0", names + s[0])] == b".modinfo":
            for kv in elf[s[4]:s[4] + s[5]].split(b"\0"):
                if kv.startswith(b"depends="):
                    return [d for d in kv[8:].decode().split(",") if d]
    return []


KO = re.compile(r"^(.*)\.ko(\.xz|\.gz)?$")  # Debian's 6.1 ships .ko, its 6.12 .ko.xz


def ko_bytes(path):
    """a module file as insmod takes it (decompressed here: one way for every kernel)"""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        import lzma
        return lzma.decompress(data)
    if path.endswith(".gz"):
        import gzip
        return gzip.decompress(data)
    return data


def module_order(moddir, names):
    """the module files for names and their dependencies, each after what it needs"""
    index, builtin = {}, set()
    for root, _, files in os.walk(os.path.join(moddir, "kernel")):
        for f in files:
            m = KO.match(f)
            if m:
                index[m.group(1).replace("-", "_")] = os.path.join(root, f)
    with open(os.path.join(moddir, "modules.builtin")) as f:
        builtin = {os.path.basename(l.strip())[:-3].replace("-", "_") for l in f}
    order = []

    def visit(name, depth):
        name = name.replace("-", "_")
        if name in order or name in builtin:
            return
        if name not in index or depth > 20:
            raise RuntimeError("kernel module %s is not in the package's %s (guest.py EXTRACT)"
                               % (name, moddir))
        for dep in modinfo_depends(index[name]):
            visit(dep, depth + 1)
        order.append(name)

    for n in names:
        visit(n, 0)
    return [index[n] for n in order]


# ---------------------------------------------------------------- what goes in the guest

ETC = {
    "passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "group": "root:x:0:\nnogroup:x:65534:\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
    "hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
}


def source_dir(build):
    """the source tree the build dir was configured from (its tests/bpf/e2e.py runs)"""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            m = re.search(r"^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$", f.read(), re.M)
        return m.group(1) if m else SRC
    except OSError:
        return SRC


def build_files(build):
    """the binaries and BPF objects of the build that the tests run"""
    out = [os.path.join(build, "bin", n) for n in ("leco-load", "leco")]
    out += glob.glob(os.path.join(build, "bpf", "*.bpf.o"))
    for d in ("tests/bpf", "tests/kernel"):
        for p in sorted(glob.glob(os.path.join(build, d, "*"))):
            if os.path.isfile(p) and (p.endswith(".bpf.o") or os.access(p, os.X_OK)):
                out.append(p)
    return [p for p in out if os.path.isfile(p)]


def host_tool(name):
    p = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not p:
        skip("%s not installed (scripts/deps.sh test)" % name)
    return p


def add_busybox(cpio, tools):
    """static busybox and its applets, except where a real tool of that name is added"""
    bb = host_tool("busybox")
    if "=>" in subprocess.run(["ldd", bb], capture_output=True, text=True).stdout:
        skip("%s is not static: install busybox-static" % bb)
    cpio.file("/usr/bin/busybox", bb)
    names = {os.path.basename(t) for t in tools}
    r = subprocess.run([bb, "--list-full"], capture_output=True, text=True, check=True)
    for rel in r.stdout.split():
        if os.path.basename(rel) not in names and not cpio.has("/" + rel):
            cpio.symlink("/" + rel, "/usr/bin/busybox")


def initramfs(args, cache, moddir, steps, nonce, out):
    c = Cpio()
    for d in ("/proc", "/sys", "/dev", "/run", "/root", "/var/tmp", "/etc", "/leco"):
        c.dir(d)
    c.dir("/tmp", 0o1777)
    with open(os.path.join(HERE, "init.sh"), "rb") as f:
        c.data("/init", f.read(), 0o755)
    for name, text in ETC.items():
        c.data("/etc/" + name, text.encode())
    add_python(c, cache)
    tools = [host_tool(t) for t in TOOLS]
    add_with_libs(c, tools + build_files(args.build))
    add_busybox(c, tools + ["python3"])
    for p in glob.glob(os.path.join(source_dir(args.build), "tests", "bpf", "*.py")):
        c.file(p)
    guest_ko = []
    for ko in module_order(moddir, MODULES + args.module):
        rel = os.path.relpath(ko, os.path.dirname(moddir))
        guest_ko.append("/lib/modules/" + KO.sub(r"\1.ko", rel))
        c.data(guest_ko[-1], ko_bytes(ko))
    c.data("/leco/modules", "".join(k + "\n" for k in guest_ko).encode())
    c.data("/leco/nonce", (nonce + "\n").encode())
    c.data("/leco/steps", "".join(s + "\n" for s in steps).encode())
    if args.shell:
        c.data("/leco/shell", b"")
    with open(out, "wb") as f:
        c.write(f)
    return os.path.getsize(out)


def steps_for(args):
    b = lambda rel: shlex.quote(os.path.join(args.build, rel))
    e2e = "python3 %s --load %s --dump %s --burst %s --obj %s" % (
        shlex.quote(os.path.join(source_dir(args.build), "tests/bpf/e2e.py")), b("bin/leco-load"),
        b("tests/bpf/leco-dump"), b("tests/bpf/leco-burst"), b("bpf/leco.bpf.o"))
    names = "python3 %s --load %s --dump %s --leco %s names" % (
        shlex.quote(os.path.join(source_dir(args.build), "tests/bpf/names.py")),
        b("bin/leco-load"), b("tests/bpf/leco-dump"), b("bin/leco"))
    pins = "/sys/fs/bpf/leco-guest"
    sets = {
        "probe": ["%s --strict %s" % (b("tests/kernel/leco-probe"), b("tests/kernel/probe.bpf.o"))],
        "load": ["%s -p %s && %s --unload -p %s" % (b("bin/leco-load"), pins, b("bin/leco-load"),
                                                    pins)],
        # the UDP tiers both Debian kernels have (doc/kernel.md): each must load and count
        "core": [e2e + " --need-tier fentry --need-tier kprobe --need-tier cgroup_skb core"],
        "names": [names],
    }
    steps = []
    for r in args.run:
        steps += sets[r]
    return steps + args.step


# ---------------------------------------------------------------- boot and watch

RESULT = re.compile(r"^LECO-GUEST-RESULT nonce=(\S+) passed=(\d+) failed=(\d+)$")
PANIC = re.compile(r"Kernel panic - not syncing")  # an Oops kills the step: its test fails
# emulation runs slower than the kernel's watchdogs expect on a busy host: no lockup noise
QUIET = "nosoftlockup rcupdate.rcu_cpu_stall_suppress=1"


def die_with_parent():
    """in the qemu child: SIGKILL when this script dies, whatever kills it"""
    import ctypes
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def qemu_cmd(args, vmlinuz, initrd):
    return [args.qemu, "-accel", "tcg", "-m", str(args.mem), "-smp", str(args.smp),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", vmlinuz, "-initrd", initrd,
            "-append", "console=ttyS0 panic=-1 quiet loglevel=4 %s %s" % (QUIET, args.append),
            "-serial", "mon:stdio" if args.shell else "stdio"]


class Watch:
    """the guest's console, line by line, until the result line, a panic or the deadline"""

    def __init__(self, proc, log, deadline):
        self.proc, self.log, self.deadline = proc, log, deadline
        self.buf = b""
        self.result = None
        self.problem = None
        self.booted = None

    def line(self, text, t0):
        print(text, flush=True)
        self.log.write(text + "\n")
        if text.startswith("LECO-GUEST-BOOTED") and self.booted is None:
            self.booted = time.monotonic() - t0
        m = RESULT.match(text)
        if m and self.result is None:
            self.result = (m.group(1), int(m.group(2)), int(m.group(3)))
        elif text.startswith("LECO-GUEST-RESULT"):
            self.problem = "malformed or second result line: %r" % text
        if PANIC.search(text) and not self.problem:
            self.problem = "guest kernel: " + text.strip()

    def run(self, t0):
        import select
        fd = self.proc.stdout.fileno()
        while self.problem is None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.problem = "timeout: no result after %d s" % (time.monotonic() - t0)
                break
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break  # qemu exited
            self.buf += chunk
            while b"\n" in self.buf:
                raw, self.buf = self.buf.split(b"\n", 1)
                self.line(raw.decode("utf-8", "replace").rstrip("\r"), t0)
        if self.buf:
            self.line(self.buf.decode("utf-8", "replace").rstrip("\r"), t0)


def boot(args, vmlinuz, initrd, logpath):
    """run the guest; (result or None, problem or None, boot seconds)"""
    cmd = qemu_cmd(args, vmlinuz, initrd)
    if args.shell:
        return subprocess.run(cmd).returncode, None, None
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    try:
        with open(logpath, "w") as log:
            w = Watch(proc, log, t0 + args.timeout)
            w.run(t0)
        try:  # the guest powers off after the result line
            proc.wait(timeout=30 if w.problem is None else 0.1)
        except subprocess.TimeoutExpired:
            pass
        return w.result, w.problem, w.booted
    finally:
        if proc.poll() is None:
            proc.kill()  # by its pid, only the qemu this run started
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="cmake build dir whose binaries run")
    ap.add_argument("--run", action="append", choices=("probe", "load", "core", "names"),
                    default=[],
                    help="a named test set (repeatable; default: probe)")
    ap.add_argument("--step", action="append", default=[], help="a shell command to run")
    ap.add_argument("--kernel", default=META,
                    help="the kernel metapackage to follow (default %(default)s: Debian 12's 6.1;"
                         " linux-image-6.12-amd64 is Debian 12's newer option)")
    ap.add_argument("--kernel-deb", help="a linux-image .deb instead of the metapackage's")
    ap.add_argument("--cache", help="download cache (default BUILD/tests/kernel/cache)")
    ap.add_argument("--module", action="append", default=[], help="another kernel module")
    ap.add_argument("--shell", action="store_true", help="interactive shell after the steps")
    ap.add_argument("--timeout", type=float, default=600, help="seconds for the whole guest")
    ap.add_argument("--mem", type=int, default=2048, help="guest MiB")
    ap.add_argument("--smp", type=int, default=2, help="guest CPUs")
    ap.add_argument("--append", default="", help="more kernel command line")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    if not args.run and not args.step:
        args.run = ["probe"]
    if not shutil.which(args.qemu):
        skip("%s not installed (package qemu-system-x86, scripts/deps.sh test)" % args.qemu)
    for tool in ("apt-cache", "apt-get", "dpkg-deb", "ldd"):
        if not shutil.which(tool):
            skip("%s not found: the guest is built from Debian packages" % tool)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))  # run the finally blocks
    cache = os.path.abspath(args.cache or os.path.join(args.build, "tests", "kernel", "cache"))
    os.makedirs(cache, exist_ok=True)
    t0 = time.monotonic()
    steps = steps_for(args)
    nonce = secrets.token_hex(8)
    work = os.path.join(args.build, "tests", "kernel")
    initrd = os.path.join(work, "guest-%d.cpio" % os.getpid())
    try:
        with open(os.path.join(cache, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one download/extract at a time per cache
            deb = args.kernel_deb and os.path.abspath(args.kernel_deb)
            vmlinuz, moddir, release = kernel_tree(cache, deb or fetch_deb(cache, args.kernel))
            size = initramfs(args, cache, moddir, steps, nonce, initrd)
        say("kernel %s, initramfs %.1f MB, %d step(s), ready in %.1f s" %
            (release, size / 1e6, len(steps), time.monotonic() - t0))
        log = os.path.join(work, "guest-%s-%s.log" % (release, "+".join(args.run) or "steps"))
        result, problem, booted = boot(args, vmlinuz, initrd, log)
    finally:
        if os.path.exists(initrd):
            os.unlink(initrd)
    if args.shell:
        return 0
    return verdict(result, problem, booted, nonce, len(steps), release, time.monotonic() - t0)


def verdict(result, problem, booted, nonce, nsteps, release, elapsed):
    ok = False
    if problem:
        say("FAIL: " + problem)
    elif result is None:
        say("FAIL: the guest printed no result line (see the console above)")
    elif result[0] != nonce:
        say("FAIL: result line with nonce %s, this run's is %s" % (result[0], nonce))
    elif result[1] + result[2] != nsteps:
        say("FAIL: %d steps ran, %d were given" % (result[1] + result[2], nsteps))
    else:
        ok = result[2] == 0
    p, f = (result[1], result[2]) if result and result[0] == nonce else (0, nsteps)
    say("kernel %s: %d passed, %d failed (booted in %s s, %.0f s in all)" %
        (release, p, f, "%.1f" % booted if booted else "?", elapsed))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
