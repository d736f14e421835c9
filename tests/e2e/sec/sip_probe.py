#!/usr/bin/env python3
"""SIP probes for the security e2e tests, each from a chosen source address.

  sip_probe.py options --src A --port P [--transport udp|tcp|tls] [--ca F]
        One OPTIONS; prints the status code, "timeout" (no answer, or the
        connection never opened) or "refused".
        With --count N over TCP/TLS: N OPTIONS on one connection; prints
        the answers counted by status, e.g. {"200": 10, "503": 20}.
  sip_probe.py flood --src A --port P --count N --rate R
        N INVITEs over UDP (each its own Call-ID and branch, with an SDP
        offer) at R per second; prints {"sent": N, "seconds": S, "answers": K}.
  sip_probe.py rtp --src A --port P --count N
        N RTP packets (PCMU, 20 ms apart) to a gateway media port.
  sip_probe.py big --src A --port P --transport udp|tcp --what headers|body|uui
        One INVITE with an oversized part; prints the status or "timeout".
"""
import argparse
import json
import random
import re
import socket
import ssl
import struct
import sys
import time


def options_msg(lh, lp, host, port, transport, extra=""):
    return ("OPTIONS sip:nova@%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-%x;rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=%x\r\nTo: <sip:nova@%s>\r\n"
            "Call-ID: probe-%x@%s\r\nCSeq: 1 OPTIONS\r\n%sContent-Length: 0\r\n\r\n"
            % (host, port, transport.upper(), lh, lp, random.getrandbits(40), lh,
               random.getrandbits(32), host, random.getrandbits(48), lh, extra))


def invite_msg(lh, lp, host, port, transport, i, extra_headers="", body=None, rtp=40000):
    if body is None:
        body = ("v=0\r\no=flood %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (i, lh, lh, rtp))
    return ("INVITE sip:nova@%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-fl%d-%x;rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:flood@%s>;tag=f%d\r\nTo: <sip:nova@%s>\r\n"
            "Call-ID: flood-%d-%x@%s\r\nCSeq: 1 INVITE\r\n"
            "Contact: <sip:flood@%s:%d>\r\n%s"
            "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
            % (host, port, transport.upper(), lh, lp, i, random.getrandbits(32), lh, i, host,
               i, random.getrandbits(32), lh, lh, lp, extra_headers, len(body), body))


def status_of(data):
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = line.split()
    return parts[1] if len(parts) > 1 and parts[0] == "SIP/2.0" else "garbage"


def connect(args):
    """A socket to the gateway from args.src; returns (sock, local addr)."""
    if args.transport == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((args.src, 0))
        s.connect((args.host, args.port))
        return s
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.bind((args.src, 0))
    raw.settimeout(args.timeout)
    raw.connect((args.host, args.port))
    if args.transport == "tls":
        ctx = ssl.create_default_context(cafile=args.ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx.wrap_socket(raw, server_hostname=args.host)
    return raw


def read_answer(s, args):
    """The first final answer (skipping 1xx), or "timeout"."""
    s.settimeout(args.timeout)
    buf = b""
    deadline = time.time() + args.timeout
    try:
        while time.time() < deadline:
            chunk = s.recv(65535)
            if not chunk:
                return "closed"
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, _, rest = buf.partition(b"\r\n\r\n")
                st = status_of(head)
                if not st.startswith("1"):
                    return st
                buf = rest
    except (socket.timeout, TimeoutError):
        pass
    return "timeout"


def cmd_options(args):
    try:
        s = connect(args)
    except (socket.timeout, TimeoutError):
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    lh, lp = s.getsockname()[:2]
    if args.count == 1:
        s.send(options_msg(lh, lp, args.host, args.port, args.transport).encode())
        return read_answer(s, args)
    # A burst on one connection: every answer, counted by status.
    for _ in range(args.count):
        s.send(options_msg(lh, lp, args.host, args.port, args.transport).encode())
    buf, finals = b"", []
    s.settimeout(args.timeout)
    try:
        while len(finals) < args.count:
            chunk = s.recv(65535)
            if not chunk:
                break
            buf += chunk
            finals = [st for st in re.findall(rb"(?:^|\r\n\r\n)SIP/2\.0 (\d{3})", buf)
                      if not st.startswith(b"1")]
    except (socket.timeout, TimeoutError):
        pass
    counts = {}
    for st in finals:
        counts[st.decode()] = counts.get(st.decode(), 0) + 1
    if len(finals) < args.count:
        counts["timeout"] = args.count - len(finals)
    return json.dumps(counts)


def cmd_flood(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.src, 0))
    s.setblocking(False)
    lh, lp = s.getsockname()
    t0 = time.time()
    answers = 0
    for i in range(args.count):
        due = t0 + i / args.rate
        while time.time() < due:
            time.sleep(min(0.001, max(0, due - time.time())))
        s.sendto(invite_msg(lh, lp, args.host, args.port, "udp", i).encode(),
                 (args.host, args.port))
        try:
            while True:
                s.recv(65535)
                answers += 1
        except BlockingIOError:
            pass
    return json.dumps({"sent": args.count, "seconds": round(time.time() - t0, 3),
                       "answers": answers})


def cmd_rtp(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.src, 0))
    for i in range(args.count):
        s.sendto(struct.pack("!BBHII", 0x80, 0, 1000 + i, 160 * i, 0xBAD) + b"\xff" * 160,
                 (args.host, args.port))
        time.sleep(0.02)
    return "sent %d" % args.count


def cmd_big(args):
    """Hostile sizes: a 300 KB header block, a 2 MB body, or a 64 KB UUI."""
    try:
        s = connect(args)
    except (socket.timeout, TimeoutError):
        return "timeout"
    lh, lp = s.getsockname()[:2]
    if args.what == "headers":
        extra = "".join("X-Junk-%d: %s\r\n" % (i, "a" * 1000) for i in range(300))
        msg = invite_msg(lh, lp, args.host, args.port, args.transport, 1, extra)
    elif args.what == "body":
        msg = invite_msg(lh, lp, args.host, args.port, args.transport, 1,
                         body="v=0\r\n" + "a=x:" + "b" * (2 << 20) + "\r\n")
    elif args.what == "uui":
        uui = "User-to-User: %s;encoding=hex\r\n" % ("7b" * 32768)
        msg = invite_msg(lh, lp, args.host, args.port, args.transport, 1, uui)
    else:
        raise SystemExit("unknown --what")
    try:
        if args.transport == "udp":
            s.send(msg.encode()[:65000])
        else:
            s.sendall(msg.encode())
    except (BrokenPipeError, ConnectionResetError):
        return "closed"
    return read_answer(s, args)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["options", "flood", "rtp", "big"])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--src", default="127.0.0.1")
    ap.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
    ap.add_argument("--ca")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--what", default="headers")
    args = ap.parse_args()
    out = {"options": cmd_options, "flood": cmd_flood, "rtp": cmd_rtp, "big": cmd_big}[args.cmd](args)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
