#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the conky helper costs: conky with examples/conkyrc (leco helper: the lines and the top
panel, update_interval 1) next to the same conkyrc with the lines alone (no `top` table) and
without the helper, all three running at the same time (one Xvfb each),
with N live loopback connections (default 1,000 clients -> 2,000 sockets in the table; a
rotating tenth of them send a few bytes every second). Root; a benchmark, not a test.

usage: bench/conky/run.py [--build DIR] [--secs S] [--conns N] [--shot FILE]

Prints CPU % of one core (utime+stime over the measured window) and RSS for both, and the
difference, against the targets (<= 1 % CPU, <= 8 MiB RSS).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))
import benchlib  # noqa: E402 (bench/benchlib.py: the connection holder, /proc readings)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(SRC, 'build'))
    ap.add_argument('--secs', type=int, default=60)
    ap.add_argument('--conns', type=int, default=1000)
    ap.add_argument('--shot', help='save a screenshot at the end (to see what was drawn)')
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    if os.geteuid() != 0:
        sys.exit('bench/conky: run as root (it loads the probes into a private pin dir)')
    loader = os.path.join(build, 'bin', 'leco-load')
    for need in (loader, shutil.which('conky'), shutil.which('Xvfb')):
        if not need or not os.path.exists(need):
            sys.exit(f'bench/conky: missing {need or "conky/Xvfb"}')
    conky_lua = re.search(rb'liblua(\d\.\d)', subprocess.run(
        ['ldd', shutil.which('conky')], capture_output=True).stdout).group(1).decode()

    work = tempfile.mkdtemp(prefix='leco-bench-conky.')
    pin = f'/sys/fs/bpf/leco-test-{os.getpid()}-bench-conky'
    procs = []
    try:
        subprocess.run([loader, '--pin', pin], check=True, capture_output=True)
        # one X server each, so that neither window hides the other
        displays = {}
        for name in ('without', 'lines', 'with'):
            dfd_r, dfd_w = os.pipe()
            xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(dfd_w), '-screen', '0',
                                     '1000x700x24', '-nolisten', 'tcp'], pass_fds=(dfd_w,),
                                    stderr=subprocess.DEVNULL)
            procs.append(xvfb)
            os.close(dfd_w)
            buf = b''
            while not buf.endswith(b'\n'):  # Xvfb dies if the pipe closes before the newline
                chunk = os.read(dfd_r, 32)
                if not chunk:
                    sys.exit('bench/conky: Xvfb did not start')
                buf += chunk
            os.close(dfd_r)
            displays[name] = ':' + buf.decode().strip()
        env = dict(os.environ, LECO_BUILD_DIR=build, LECO_PIN_DIR=pin)
        env.pop('LECO_CONFIG', None)

        procs.append(benchlib.start_holder(a.conns))

        with_rc = os.path.join(SRC, 'examples', 'conkyrc')
        without_rc = os.path.join(work, 'conkyrc.without')
        lines_rc = os.path.join(work, 'conkyrc.lines')
        with open(with_rc) as f:
            text = f.read()
        with open(without_rc, 'w') as g:
            g.write(re.sub(r'(?m)^\s*lua_(load|startup_hook|draw_hook_post|shutdown_hook).*\n', '',
                           text))
        with open(lines_rc, 'w') as g:  # the `top = { ... },` table of the leco table out,
            lines = re.sub(r'(?ms)^\ttop = \{.*?^\t\},\n', '', text)  # the helper found
            g.write(re.sub(r'(?m)^local here = .*$', f'local here = {os.path.dirname(with_rc)!r}',
                           lines))  # where examples/conkyrc finds it
        logs = {}
        pids = {}
        for name, rc in (('without', without_rc), ('lines', lines_rc), ('with', with_rc)):
            logs[name] = open(os.path.join(work, name + '.err'), 'w+')
            p = subprocess.Popen(['conky', '-c', rc], env=dict(env, DISPLAY=displays[name]),
                                 stdout=subprocess.DEVNULL,
                                 stderr=logs[name])
            procs.append(p)
            pids[name] = p.pid

        # the helper's reader must see the connections before we measure
        mod = os.path.join(build, 'lua', conky_lua)
        probe = ("package.cpath='%s/?.so;'..package.cpath local r=require'leco'.open{pin='%s'} "
                 "r:lines() print(r:status().conns)" % (mod, pin))
        conns = 0
        lua = shutil.which('lua' + conky_lua)
        if lua:
            out = subprocess.run([lua, '-e', probe], capture_output=True, text=True).stdout
            conns = int(out.strip() or 0)
        time.sleep(5)  # warm-up: caches filled, first polls done
        for name, p in procs_items(procs, pids):
            if p.poll() is not None:
                sys.exit(f'bench/conky: conky ({name}) exited early')
        cpu, dt = benchlib.cpu_percent(pids, a.secs)
        rss = {n: benchlib.status_kb(p, 'VmRSS') / 1024 for n, p in pids.items()}
        hwm = {n: benchlib.status_kb(p, 'VmHWM') / 1024 for n, p in pids.items()}
        if a.shot:
            subprocess.run(['import', '-window', 'root', a.shot],
                           env=dict(env, DISPLAY=displays['with']), check=False)
        errs = []
        for name, f in logs.items():
            f.seek(0)
            errs += [l.rstrip() for l in f if 'llua_' in l or 'leco.conky:' in l]

        end_conns = 0
        if lua:
            out = subprocess.run([lua, '-e', probe], capture_output=True, text=True).stdout
            end_conns = int(out.strip() or 0)
        print(f'conky {conky_lua} helper overhead: {a.conns} client connections '
              f'({conns} entries in the connection table at the start, {end_conns} at the end), '
              f'update_interval 1, {dt:.0f} s')
        print(f'{"":18} {"without helper":>15} {"lines":>7} {"lines+top":>10} {"difference":>11} '
              f'{"target":>7}')
        for what, v, target in (('CPU % of one core', cpu, '<= 1'), ('RSS MiB', rss, '<= 8'),
                                ('peak RSS MiB', hwm, '')):
            print(f'{what:18} {v["without"]:15.2f} {v["lines"]:7.2f} {v["with"]:10.2f} '
                  f'{v["with"] - v["without"]:11.2f} {target:>7}')
        if errs:
            print('conky stderr:', *errs, sep='\n  ')
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.run([loader, '--unload', '--pin', pin], capture_output=True)
        shutil.rmtree(pin, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def procs_items(procs, pids):
    by_pid = {p.pid: p for p in procs}
    return [(n, by_pid[pid]) for n, pid in pids.items()]


if __name__ == '__main__':
    main()
