#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Accuracy of `leco top` against iperf3 on loopback, as root with the real probes in a private
bpffs: TCP at 200 Mbit/s and UDP at 50 Mbit/s (fixed bitrates, so that every second is a
steady one), 8 s each.

- Rates: the iperf3 client process's tx_rate in `leco top --json -i 1` over the steady seconds
  (the windows that lie wholly inside the run, one second from each end) against iperf3's own
  per-second report over its steady seconds (all but the first and last): the two means within
  2%. Each steady window of leco's is also within 10% of that mean: the two count over windows
  of different phase, and a loaded machine can shift a burst of the paced flow across a
  boundary, which a 2% bound per window would take for an error; a rate over the wrong time
  (a poll interval off by one) is off by 50% or more.
- Totals, exact: the data connection carries iperf3's counted bytes plus its 37-byte cookie
  (TCP) or its 4-byte connect datagram each way (UDP); the client process's totals are the sum
  of its data and control connections to the byte; the server's side of each connection
  received exactly what the client's sent, and the other way round.

usage: iperf3.py LECO LECO_LOAD     (SKIP 77 without root or iperf3, FAIL instead under CI=true)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

COOKIE = {'tcp': 37, 'udp': 4}  # iperf3 3.x: cookie on each TCP stream; UDP connect message
RUN_S = 8
fails = []


def check(cond, what, detail=''):
    print('%s %s%s' % ('ok  ' if cond else 'FAIL', what, ' (%s)' % detail if detail else ''))
    if not cond:
        fails.append(what)
    return cond


def skip(reason):
    if os.environ.get('CI') == 'true':
        print('FAIL: would skip, but CI=true: ' + reason)
        sys.exit(1)
    print('SKIP: ' + reason)
    sys.exit(77)


def wait_for(cond, secs):
    """poll cond() every 50 ms until it is true or `secs` have passed (bounded)"""
    end = time.monotonic() + secs
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def frames(path, pid):
    """leco top --json objects of process `pid`, complete lines only"""
    out = []
    with open(path) as f:
        for line in f:
            if not line.endswith('\n'):
                break
            o = json.loads(line)
            if o.get('pid') == pid:
                out.append(o)
    return out


def listening(port):
    with open('/proc/net/tcp') as f:
        return any(l.split()[1].endswith(':%04X' % port) and l.split()[3] == '0A' for l in f)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def marker(path):
    """a connection of this process, seen in the stream: leco top is counting"""
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    t = threading.Thread(target=lambda: srv.accept()[0].recv(1))
    t.start()
    c = socket.create_connection(srv.getsockname())
    c.sendall(b'm')
    t.join()
    c.close()
    srv.close()
    return wait_for(lambda: frames(path, os.getpid()), 15)


def conns(leco, pin, pid):
    r = subprocess.run([leco, 'conns', '-p', pin, '--json', '--pid', str(pid)], check=True,
                       capture_output=True, text=True, timeout=60)
    return [json.loads(l) for l in r.stdout.splitlines()]


def rates(proto, start, end, got, ip):
    """steady-second rates: leco's (per window) and iperf3's mean"""
    steady = [b for a, b in zip(got, got[1:]) if a['t'] >= start + 1 and b['t'] <= end - 1]
    ours = [b['tx_rate'] for b in steady]
    theirs = [i['sum']['bytes'] / i['sum']['seconds'] for i in ip['intervals'][1:-1]]
    if not check(len(ours) >= 3 and theirs, '%s: at least 3 steady windows' % proto,
                 '%d windows' % len(ours)):
        return
    mean_ours, mean_theirs = sum(ours) / len(ours), sum(theirs) / len(theirs)
    dev = abs(mean_ours / mean_theirs - 1)
    worst = max(abs(r / mean_theirs - 1) for r in ours)
    check(dev <= 0.02, '%s: mean rate within 2%% of iperf3\'s' % proto,
          'leco %.0f B/s, iperf3 %.0f B/s: %.2f%%' % (mean_ours, mean_theirs, dev * 100))
    check(worst <= 0.10, '%s: every steady window within 10%%' % proto,
          'worst %.2f%%, windows %s' % (worst * 100, ' '.join('%.0f' % r for r in ours)))


def totals(proto, port, ip, cli, srv, group):
    """the data connection exact; the process the sum of its connections; both ends agree"""
    sent = ip['end']['sum_sent']['bytes']
    to_port = [c for c in cli if c['rport'] == port]
    data = max((c for c in to_port if c['proto'] == proto), key=lambda c: c['tx'], default=None)
    ctrl = [c for c in to_port if c is not data and c['proto'] == 'tcp']
    if not check(data and len(ctrl) == 1 and len(to_port) == 2,
                 '%s: one data and one control connection' % proto,
                 '%d connections to the port' % len(to_port)):
        return
    d, k = data, ctrl[0]
    extra = COOKIE[proto]
    check(d['tx'] == sent + extra and d['rx'] == (extra if proto == 'udp' else 0),
          '%s: data connection tx = iperf3\'s %d + %d' % (proto, sent, extra),
          'tx %d rx %d' % (d['tx'], d['rx']))
    check(group['tx'] == d['tx'] + k['tx'] and group['rx'] == d['rx'] + k['rx'],
          '%s: process totals = data + control, exact' % proto,
          'tx %d = %d + %d, rx %d = %d + %d' % (group['tx'], d['tx'], k['tx'], group['rx'],
                                                d['rx'], k['rx']))
    for c in (d, k):
        peer = [s for s in srv if s['lport'] == port and s['rport'] == c['lport'] and
                s['proto'] == c['proto']]
        check(len(peer) == 1 and peer[0]['rx'] == c['tx'] and peer[0]['tx'] == c['rx'],
              '%s: the server side of %s:%d got what the client sent' % (proto, c['proto'],
                                                                        c['lport']),
              peer and 'rx %d tx %d' % (peer[0]['rx'], peer[0]['tx']))


def run(leco, pin, work, proto):
    path = os.path.join(work, 'top-%s.json' % proto)
    port = free_port()
    top = subprocess.Popen([leco, 'top', '-p', pin, '--json', '-i', '1'],
                           stdout=open(path, 'w'), stderr=subprocess.DEVNULL)
    procs = [top]
    try:
        if not check(marker(path), '%s: leco top counts (a first connection seen)' % proto):
            return
        srv = subprocess.Popen(['iperf3', '-s', '-1', '-B', '127.0.0.1', '-p', str(port),
                                '--json'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        procs.append(srv)
        if not check(wait_for(lambda: listening(port), 10), '%s: iperf3 server up' % proto):
            return
        args = ['iperf3', '-c', '127.0.0.1', '-p', str(port), '-t', str(RUN_S), '--json']
        args += ['-u', '-b', '50M'] if proto == 'udp' else ['-b', '200M']
        start = time.time()
        cli = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = cli.communicate(timeout=RUN_S + 30)[0]
        end = time.time()
        srv.communicate(timeout=30)
        ip = json.loads(out)
        if not check('error' not in ip and cli.returncode == 0, '%s: iperf3 ran' % proto,
                     ip.get('error')):
            return
        # two more refreshes: the last bytes are in
        wait_for(lambda: (frames(path, cli.pid) or [{'t': 0}])[-1]['t'] > end + 1.5, 10)
        got = frames(path, cli.pid)
        if not check(got, '%s: the iperf3 client process in leco top' % proto):
            return
        rates(proto, start, end, got, ip)
        totals(proto, port, ip, conns(leco, pin, cli.pid), conns(leco, pin, srv.pid), got[-1])
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    leco, load = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        skip('needs root')
    if not shutil.which('iperf3'):
        skip('iperf3 not installed (scripts/deps.sh test)')
    work = tempfile.mkdtemp(prefix='leco-test-%d-iperf3.' % os.getpid())
    bpffs = os.path.join(work, 'bpffs')
    pin = os.path.join(bpffs, 'leco')
    os.mkdir(bpffs)
    try:
        if subprocess.run(['mount', '-t', 'bpf', 'bpf', bpffs]).returncode:
            skip('cannot mount a bpffs')
        subprocess.run([load, '-p', pin], check=True, capture_output=True, timeout=60)
        for proto in ('tcp', 'udp'):
            run(leco, pin, work, proto)
    finally:
        subprocess.run([load, '--unload', '-p', pin], capture_output=True, timeout=60)
        subprocess.run(['umount', bpffs], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print('%d failed' % len(fails))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
