#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Traffic for tests/cli/account.sh (a short name: the lines show it uncut), loopback only,
python3 stdlib only.
  server PORTFILE N            accept N connections; from each read until EOF, then answer
                               with the byte count it asked for (first 8 bytes, big endian)
  client PORT NSEND NRECV      one connection: send NSEND bytes (the first 8 ask for NRECV),
                               half-close, read NRECV; prints its pid
  burst PORT N                 N short-lived processes, one after the other, each one
                               connection sending 8 bytes (asking for none); prints their pids
  conns FILE PORT PID...       from `leco conns --json` in FILE: the pids of connections to PORT
                               that are missing, or nothing
  group FILE PID               the last `leco top --json` object in FILE of process PID, as JSON
"""
import json, os, socket, struct, sys


def recv_all(c):
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            return n
        n += len(b)


def serve(portfile, n):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen(64)
    s.settimeout(60)
    with open(portfile + '.tmp', 'w') as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + '.tmp', portfile)
    for _ in range(n):
        c, _ = s.accept()
        c.settimeout(60)
        head = b''
        while len(head) < 8:
            b = c.recv(8 - len(head))
            if not b:
                break
            head += b
        recv_all(c)
        if len(head) == 8:
            c.sendall(b'r' * struct.unpack('>Q', head)[0])
        c.close()


def client(port, nsend, nrecv):
    c = socket.create_connection(('127.0.0.1', port), timeout=60)
    c.sendall(struct.pack('>Q', nrecv) + b's' * (nsend - 8))
    c.shutdown(socket.SHUT_WR)
    got = recv_all(c)
    c.close()
    if got != nrecv:
        sys.exit('client: got %d of %d bytes' % (got, nrecv))
    print(os.getpid())


def burst(port, n):
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                c = socket.create_connection(('127.0.0.1', port), timeout=60)
                c.sendall(struct.pack('>Q', 0))
                c.shutdown(socket.SHUT_WR)
                recv_all(c)
                c.close()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        pids.append(pid)
    print(' '.join(map(str, pids)))


def main(a):
    if a[0] == 'server':
        serve(a[1], int(a[2]))
    elif a[0] == 'client':
        client(int(a[1]), int(a[2]), int(a[3]))
    elif a[0] == 'burst':
        burst(int(a[1]), int(a[2]))
    elif a[0] == 'conns':
        port = int(a[2])
        seen = {c['pid'] for c in map(json.loads, open(a[1])) if c['rport'] == port}
        print(' '.join(p for p in a[3:] if int(p) not in seen))
    elif a[0] == 'group':
        last = None
        for line in open(a[1]):
            if not line.endswith('\n'):
                break  # being written
            o = json.loads(line)
            if o.get('by') == 'process' and o.get('pid') == int(a[2]):
                last = o
        print(json.dumps(last))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
