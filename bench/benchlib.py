# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the benchmarks that measure a running process share (bench/conky, bench/top): live
loopback connections to measure against, and a process's CPU time and memory from /proc."""
import os
import subprocess
import sys
import time

# N client connections to one listener (2N sockets in the connection table); every second a
# rotating tenth of them send 64 bytes and get 256 back. Prints the port, then runs until killed.
HOLDER = r'''
import resource, selectors, socket, sys, time
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (4 * n + 64, 4 * n + 64))
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1024)
port = srv.getsockname()[1]
clients, servers = [], []
for i in range(n):
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = srv.accept()
    clients.append(c); servers.append(s)
print(port, flush=True)
k = 0
while True:  # killed by the benchmark
    step = max(1, n // 10)
    for j in range(step):
        i = (k + j) % n
        clients[i].send(b"q" * 64)
        servers[i].recv(4096)
        servers[i].send(b"r" * 256)
        clients[i].recv(4096)
    k = (k + step) % n
    time.sleep(1)
'''


def start_holder(conns):
    """the holder process, once its connections are up (exits the benchmark if it fails)"""
    py = '/usr/bin/python3'
    holder = subprocess.Popen([py, '-c', HOLDER, str(conns)], stdout=subprocess.PIPE, text=True)
    if not holder.stdout.readline().strip():
        sys.exit('bench: the connection holder failed')
    return holder


def ticks(pid):
    """utime + stime of `pid`, in clock ticks"""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])


def status_kb(pid, key):
    """a VmRSS-style field of /proc/PID/status, KiB"""
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def cpu_percent(pids, secs):
    """CPU % of one core of each pid over the next `secs` seconds"""
    t0 = {n: ticks(p) for n, p in pids.items()}
    m0 = time.monotonic()
    time.sleep(secs)
    dt = time.monotonic() - m0
    hz = os.sysconf('SC_CLK_TCK')
    return {n: 100.0 * (ticks(p) - t0[n]) / hz / dt for n, p in pids.items()}, dt


def wait_for(cond, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False
