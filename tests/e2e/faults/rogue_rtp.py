#!/usr/bin/env python3
"""A second RTP source: PCMU packets of a 300 Hz tone, 50 a second, sent from
one socket to every even port of the gateway's media pool for SECONDS.
   rogue_rtp.py HOST PORT_BASE PORT_COUNT SECONDS"""
import math
import socket
import struct
import sys
import time

host, base, count, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


def ulaw(x):
    s = 0x80 if x >= 0 else 0
    x = min(abs(x), 32635) + 0x84
    e = 7
    while e > 0 and not x & (0x4000 >> (7 - e)):
        e -= 1
    return ~(s | e << 4 | (x >> (e + 3)) & 0x0F) & 0xFF


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
seq, ts, sent, t0 = 0, 0, 0, time.monotonic()
while time.monotonic() - t0 < secs:
    payload = bytes(ulaw(int(12000 * math.sin(2 * math.pi * 300 * (ts + i) / 8000))) for i in range(160))
    pkt = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, 0xBAD5EED) + payload
    for port in range(base, base + count, 2):
        try:
            sock.sendto(pkt, (host, port))
            sent += 1
        except OSError:
            pass
    seq += 1
    ts += 160
    time.sleep(0.02)
print(f"sent {sent} packets to {count // 2} ports")
