#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Traffic for tests/cli/e2e.sh, loopback only.
  server PORTFILE NREAD NSEND   accept one TCP connection, read NREAD bytes, send NSEND, close
  client PORT NSEND NREAD [COMM] connect to 127.0.0.1:PORT, send NSEND, read NREAD, close
  refused PORT                   connect to a closed port (expects ECONNREFUSED)
  udp PORT NSEND                 one datagram; prints the errno of a refused send (EPERM)
  freeport                       print a free TCP port
  check FILE PYEXPR...           each JSON line of FILE parses; some line satisfies all exprs
"""
import ctypes, errno, json, socket, sys, time


def set_comm(name):
    ctypes.CDLL(None).prctl(15, name.encode('utf-8', 'surrogateescape'), 0, 0, 0)


def recv_exact(s, n):
    got = 0
    while got < n:
        d = s.recv(min(65536, n - got))
        if not d:
            break
        got += len(d)
    return got


def main(a):
    if a[0] == 'server':
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        s.settimeout(20)
        open(a[1] + '.tmp', 'w').write(str(s.getsockname()[1]))
        import os; os.rename(a[1] + '.tmp', a[1])
        c, _ = s.accept()
        c.settimeout(20)
        recv_exact(c, int(a[2]))
        c.sendall(b's' * int(a[3]))
        c.recv(1)  # wait for the client to close
        c.close()
    elif a[0] == 'client':
        if len(a) > 4:
            set_comm(a[4])
        c = socket.create_connection(('127.0.0.1', int(a[1])), timeout=20)
        c.sendall(b'c' * int(a[2]))
        recv_exact(c, int(a[3]))
        c.close()
    elif a[0] == 'refused':
        try:
            socket.create_connection(('127.0.0.1', int(a[1])), timeout=5)
        except ConnectionRefusedError:
            return 0
        return 1
    elif a[0] == 'udp':
        u = socket.socket(type=socket.SOCK_DGRAM)
        try:
            u.sendto(b'u' * int(a[2]), ('127.0.0.1', int(a[1])))
            print(0)
        except OSError as e:
            print(errno.errorcode.get(e.errno, e.errno))
    elif a[0] == 'freeport':
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        print(s.getsockname()[1])
    elif a[0] == 'check':
        lines = [json.loads(l) for l in open(a[1]) if l.strip()]
        for l in lines:
            if all(eval(e, {}, dict(l=l)) for e in a[2:]):
                return 0
        sys.stderr.write('no line with %s in %d lines\n' % (' and '.join(a[2:]), len(lines)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
