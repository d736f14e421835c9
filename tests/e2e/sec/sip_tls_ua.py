#!/usr/bin/env python3
"""A small SIP user agent over TLS for the security e2e tests: one call.

It connects to the gateway's TLS listener (verifying its certificate against
the test CA, TLS 1.2 or newer), sends an INVITE whose offer is RTP/SAVP with
one a=crypto line per requested suite (fresh random keys, like an SBC) or
plain RTP/AVP, and reads the answer. On 200 it ACKs, runs the media peer
(tests/tools/rtp-peer) with our key for the line the gateway chose and the
gateway's key from its answer, then sends BYE. Prints one JSON line.

usage: sip_tls_ua.py --port P --ca CA --rtp-port R --seconds S --peer PATH
                     [--suites A,B,...] [--plain] [--peer-arg ARG ...]
                     [--src ADDR] [--transport tls|udp] [--expect-status N]
"""
import argparse
import base64
import json
import os
import random
import re
import socket
import ssl
import subprocess
import sys
import time

KEY_LEN = {"AES_CM_128_HMAC_SHA1_80": 30, "AES_CM_128_HMAC_SHA1_32": 30,
           "AEAD_AES_128_GCM": 28}


class Conn:
    """SIP messages over one stream (TLS) or datagram (UDP) socket."""

    def __init__(self, sock, stream):
        self.sock, self.stream, self.buf = sock, stream, b""

    def send(self, text):
        self.sock.sendall(text.encode()) if self.stream else self.sock.send(text.encode())

    def recv(self, timeout):
        self.sock.settimeout(timeout)
        if not self.stream:
            return parse(self.sock.recv(65535))
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end >= 0:
                head = self.buf[:head_end].decode(errors="replace")
                m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
                total = head_end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) >= total:
                    msg, self.buf = self.buf[:total], self.buf[total:]
                    return parse(msg)
            chunk = self.sock.recv(65535)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk


def parse(raw):
    text = raw.decode(errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdrs.setdefault(name.strip().lower(), []).append(value.strip())
    return {"first": lines[0], "headers": hdrs, "body": body}


def hdr(msg, name):
    v = msg["headers"].get(name.lower())
    return v[0] if v else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--transport", default="tls", choices=["tls", "udp"])
    ap.add_argument("--src", default="127.0.0.1")
    ap.add_argument("--ca")
    ap.add_argument("--rtp-port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--peer")
    ap.add_argument("--peer-arg", action="append", default=[])
    ap.add_argument("--peer-out", default=os.devnull)
    ap.add_argument("--suites", default="AEAD_AES_128_GCM")
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--keys-out", help="append every key of the call here (secrets test)")
    ap.add_argument("--header", action="append", default=[],
                    help="an extra header line for the INVITE (e.g. User-to-User: ...)")
    ap.add_argument("--foreign-rtp", metavar="ADDR:COUNT",
                    help="before the media starts, send COUNT RTP packets from ADDR")
    args = ap.parse_args()

    if args.transport == "tls":
        ctx = ssl.create_default_context(cafile=args.ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        raw = socket.create_connection((args.host, args.port), timeout=10,
                                       source_address=(args.src, 0))
        sock = ctx.wrap_socket(raw, server_hostname=args.host)
        conn = Conn(sock, True)
        tls_version = sock.version()
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((args.src, 0))
        sock.connect((args.host, args.port))
        conn = Conn(sock, False)
        tls_version = None
    lh, lp = sock.getsockname()[:2]
    tp = args.transport.upper()

    suites = [s for s in args.suites.split(",") if s]
    keys = {}
    sdp = ("v=0\r\no=caller 1 1 IN IP4 {h}\r\ns=-\r\nc=IN IP4 {h}\r\nt=0 0\r\n"
           "m=audio {p} {proto} 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
           "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
           "a=ptime:20\r\na=sendrecv\r\n").format(
               h=args.src, p=args.rtp_port, proto="RTP/AVP" if args.plain else "RTP/SAVP")
    if not args.plain:
        for tag, suite in enumerate(suites, 1):
            keys[tag] = base64.b64encode(os.urandom(KEY_LEN[suite])).decode()
            sdp += "a=crypto:%d %s inline:%s|2^31\r\n" % (tag, suite, keys[tag])

    call_id = "sec-%d@%s" % (random.randrange(1 << 30), lh)
    ftag = "f%d" % random.randrange(1 << 30)
    ruri = "sip:nova@%s:%d;transport=%s" % (args.host, args.port, args.transport)
    via = "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-%%s;rport\r\n" % (tp, lh, lp)
    contact = "Contact: <sip:caller@%s:%d;transport=%s>\r\n" % (lh, lp, args.transport)
    conn.send("INVITE %s SIP/2.0\r\n" % ruri + via % "inv" + "Max-Forwards: 70\r\n"
              "From: <sip:caller@%s>;tag=%s\r\nTo: <sip:nova@%s>\r\n" % (lh, ftag, args.host) +
              "Call-ID: %s\r\nCSeq: 1 INVITE\r\n" % call_id + contact +
              "".join(h + "\r\n" for h in args.header) +
              "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s" % (len(sdp), sdp))
    result = {"tls_version": tls_version}
    while True:
        msg = conn.recv(10)
        status = int(msg["first"].split()[1]) if msg["first"].startswith("SIP/2.0") else 0
        if status >= 200:
            break
    result["status"] = status
    to = hdr(msg, "to") or hdr(msg, "t")
    if status >= 300:
        # ACK for a non-2xx final response: same branch, hop by hop.
        conn.send("ACK %s SIP/2.0\r\n" % ruri + via % "inv" + "Max-Forwards: 70\r\n"
                  "From: <sip:caller@%s>;tag=%s\r\nTo: %s\r\n" % (lh, ftag, to) +
                  "Call-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n" % call_id)
        print(json.dumps(result))
        return 0

    answer = msg["body"]
    m = re.search(r"(?m)^m=audio (\d+) (\S+)", answer)
    c = re.search(r"(?m)^c=IN IP4 (\S+)", answer)
    cr = re.search(r"(?m)^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", answer)
    result.update({"answer_proto": m.group(2), "answer_port": int(m.group(1)),
                   "crypto_lines": len(re.findall(r"(?m)^a=crypto:", answer))})
    if cr:
        result.update({"tag": int(cr.group(1)), "suite": cr.group(2)})
    target = re.search(r"<([^>]+)>", hdr(msg, "contact") or hdr(msg, "m")).group(1)
    conn.send("ACK %s SIP/2.0\r\n" % target + via % "ack" + "Max-Forwards: 70\r\n"
              "From: <sip:caller@%s>;tag=%s\r\nTo: %s\r\n" % (lh, ftag, to) +
              "Call-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n" % call_id)

    if args.foreign_rtp:
        addr, n = args.foreign_rtp.rsplit(":", 1)
        f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        f.bind((addr, 0))
        for i in range(int(n)):
            f.sendto(bytes([0x80, 0, (i >> 8) & 255, i & 255]) + (160 * i).to_bytes(4, "big") +
                     b"\x00\x00\x0b\xad" + b"\xff" * 160, (c.group(1), int(m.group(1))))
            time.sleep(0.005)
        f.close()
        result["foreign_rtp_sent"] = int(n)
    if args.keys_out:
        with open(args.keys_out, "a") as f:
            for k in list(keys.values()) + ([cr.group(3)] if cr else []):
                f.write(k + "\n")
    if args.peer:
        cmd = [args.peer, "--host", args.src, "--base", str(args.rtp_port), "--count", "1",
               "--seconds", str(args.seconds)] + args.peer_arg
        if cr:
            cmd += ["--srtp", cr.group(2), "--srtp-tx", keys[int(cr.group(1))],
                    "--srtp-rx", cr.group(3)]
        with open(args.peer_out, "w") as out:
            result["peer_rc"] = subprocess.call(cmd, stdout=out)
    else:
        time.sleep(args.seconds)

    conn.send("BYE %s SIP/2.0\r\n" % target + via % "bye" + "Max-Forwards: 70\r\n"
              "From: <sip:caller@%s>;tag=%s\r\nTo: %s\r\n" % (lh, ftag, to) +
              "Call-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n" % call_id)
    deadline = time.time() + 10
    result["bye_status"] = None
    while time.time() < deadline:
        msg = conn.recv(10)
        if msg["first"].startswith("SIP/2.0") and "BYE" in (hdr(msg, "cseq") or ""):
            result["bye_status"] = int(msg["first"].split()[1])
            break
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
