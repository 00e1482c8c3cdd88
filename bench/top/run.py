#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What `leco top` costs refreshing every second with N live loopback connections (default
1,000 clients -> 2,000 sockets in the table; a rotating tenth of them send a few bytes every
second): the full-screen view (in a tmux pane, 120x40), `leco top --json` piped, and, for
reference, `leco watch` (the lines alone), all three at once. Root; a benchmark, not a test.

usage: bench/top/run.py [--build DIR] [--secs S] [--conns N]

Prints CPU % of one core (utime+stime over the measured window), RSS and peak RSS of each,
against the targets for leco top (<= 1 % CPU, <= 10 MB RSS).
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))
import benchlib  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(SRC, 'build'))
    ap.add_argument('--secs', type=int, default=60)
    ap.add_argument('--conns', type=int, default=1000)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    if os.geteuid() != 0:
        sys.exit('bench/top: run as root (it loads the probes into a private pin dir)')
    leco, loader = os.path.join(build, 'bin', 'leco'), os.path.join(build, 'bin', 'leco-load')
    for need in (leco, loader, shutil.which('tmux')):
        if not need or not os.path.exists(need):
            sys.exit(f'bench/top: missing {need or "tmux"}')
    pin = f'/sys/fs/bpf/leco-test-{os.getpid()}-bench-top'
    sock = f'leco-bench-{os.getpid()}'
    procs = []
    try:
        subprocess.run([loader, '--pin', pin], check=True, capture_output=True)
        procs.append(benchlib.start_holder(a.conns))
        pids = {}
        subprocess.run(['tmux', '-L', sock, '-f', '/dev/null', 'new-session', '-d', '-x', '120',
                        '-y', '40', f'{leco} top -p {pin} -i 1'], check=True)
        # the view's process (not tmux's, whose command line ends the same way)
        view = ['pgrep', '-f', f'^{leco} top -p {pin} -i 1$']
        if not benchlib.wait_for(lambda: subprocess.run(view, capture_output=True).stdout, 10):
            sys.exit('bench/top: the view did not start')
        pids['top (view)'] = int(subprocess.run(view, capture_output=True).stdout.split()[0])
        for name, args in (('top --json', ['top', '--json']), ('watch (lines)', ['watch'])):
            p = subprocess.Popen([leco, *args, '-p', pin, '-i', '1'], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            procs.append(p)
            pids[name] = p.pid
        st = subprocess.run([leco, 'status', '-p', pin, '--json'], capture_output=True,
                            text=True).stdout
        time.sleep(5)  # warm-up: caches filled, accounting started, first refreshes done
        for n, p in pids.items():
            if not os.path.exists(f'/proc/{p}'):
                sys.exit(f'bench/top: {n} exited early')
        cpu, dt = benchlib.cpu_percent(pids, a.secs)
        rss = {n: benchlib.status_kb(p, 'VmRSS') / 1024 for n, p in pids.items()}
        hwm = {n: benchlib.status_kb(p, 'VmHWM') / 1024 for n, p in pids.items()}
        st2 = subprocess.run([leco, 'status', '-p', pin, '--json'], capture_output=True,
                             text=True).stdout

        def conns(s):
            return s.split('"conns":')[1].split(',')[0] if '"conns":' in s else '?'
        print(f'leco top cost: {a.conns} client connections ({conns(st)} entries in the '
              f'connection table at the start, {conns(st2)} at the end), refresh every 1 s, '
              f'{dt:.0f} s')
        print(f'{"":16} {"CPU % of a core":>16} {"RSS MiB":>8} {"peak RSS MiB":>13}')
        for n in pids:
            print(f'{n:16} {cpu[n]:16.2f} {rss[n]:8.1f} {hwm[n]:13.1f}')
        print(f'{"target (top)":16} {"<= 1":>16} {"<= 10":>8}')
    finally:
        subprocess.run(['tmux', '-L', sock, 'kill-server'], capture_output=True)
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.run([loader, '--unload', '--pin', pin], capture_output=True)
        shutil.rmtree(pin, ignore_errors=True)


if __name__ == '__main__':
    main()
