#!/usr/bin/env python3
"""Print N loopback ports free for both UDP and TCP (tests run in parallel).

  freeports.py N           N ports
  freeports.py N --pairs   N even ports whose odd neighbour is free too (RTP+RTCP)

Ports come from 10000-19999: below the media pools the tests give gateways
(20000-32399) and below the kernel's ephemeral range (32768-60999), so no
process's client socket is ever handed one between this check and the test's
bind. Parallel tests are kept apart by a lock file per port, created
exclusively in $TMPDIR/nova-test-ports and reclaimed after 10 minutes."""
import os
import random
import socket
import sys
import time

LO, HI = 10000, 20000
LOCK_DIR = os.path.join(os.environ.get("TMPDIR", "/tmp"), "nova-test-ports")
STALE_S = 600


def bindable(port):
    socks = []
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def lock(port):
    path = os.path.join(LOCK_DIR, str(port))
    try:
        if time.time() - os.stat(path).st_mtime > STALE_S:
            os.unlink(path)
    except OSError:
        pass
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        return True
    except FileExistsError:
        return False


def take(pairs):
    while True:
        port = random.randrange(LO, HI - 1)
        if pairs:
            port &= ~1
        group = (port, port + 1) if pairs else (port,)
        if not all(lock(p) for p in group):
            continue   # (a partial lock is left to go stale: harmless)
        if all(bindable(p) for p in group):
            return port


os.makedirs(LOCK_DIR, exist_ok=True)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
pairs = "--pairs" in sys.argv[2:]
print(" ".join(str(take(pairs)) for _ in range(n)))
