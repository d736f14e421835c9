#!/usr/bin/env python3
"""CANCEL before answer, made deterministic: the INVITE and its CANCEL go to
the gateway in ONE TCP segment, so the stack reads the CANCEL before the
application's answer can be sent. Expects 100 (optional), 200 for the CANCEL
and 487 for the INVITE, then ACKs the 487. Exit 0 on success.

usage: cancel.py HOST PORT"""
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=5)
lhost, lport = s.getsockname()
tag = "c%d" % int(time.time() * 1000)
cid = "cancel-%s@%s" % (tag, lhost)
branch = "z9hG4bK-%s" % tag
sdp = ("v=0\r\no=t 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
       "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n") % (lhost, lhost)

def req(method, cseq_method, body="", ctype=None, to_tag=""):
    lines = [
        "%s sip:nova@%s:%d;transport=tcp SIP/2.0" % (method, host, port),
        "Via: SIP/2.0/TCP %s:%d;branch=%s" % (lhost, lport, branch),
        "From: <sip:caller@%s>;tag=%s" % (lhost, tag),
        "To: <sip:nova@%s:%d>%s" % (host, port, to_tag),
        "Call-ID: %s" % cid,
        "CSeq: 1 %s" % cseq_method,
        "Contact: <sip:caller@%s:%d;transport=tcp>" % (lhost, lport),
        "Max-Forwards: 70",
    ]
    if ctype:
        lines.append("Content-Type: %s" % ctype)
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

s.sendall(req("INVITE", "INVITE", sdp, "application/sdp") + req("CANCEL", "CANCEL"))

buf = b""
got = {}
deadline = time.time() + 5
while time.time() < deadline and not ("CANCEL" in got and "INVITE" in got):
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    buf += chunk
    while b"\r\n\r\n" in buf:
        head, rest = buf.split(b"\r\n\r\n", 1)
        text = head.decode(errors="replace")
        clen = 0
        for line in text.split("\r\n"):
            if line.lower().startswith(("content-length:", "l:")):
                clen = int(line.split(":", 1)[1])
        if len(rest) < clen:
            break
        buf = rest[clen:]
        status = int(text.split()[1])
        cseq = [l for l in text.split("\r\n") if l.lower().startswith("cseq:")][0]
        meth = cseq.split()[-1]
        print("<- %d %s" % (status, meth))
        if status >= 200:
            got[meth] = (status, text)

if got.get("CANCEL", (0,))[0] != 200 or got.get("INVITE", (0,))[0] != 487:
    print("FAIL: wanted 200 for CANCEL and 487 for INVITE, got %r" %
          {k: v[0] for k, v in got.items()})
    sys.exit(1)
to = [l for l in got["INVITE"][1].split("\r\n") if l.lower().startswith("to:")][0]
to_tag = ";tag=" + to.split(";tag=")[1]
s.sendall(req("ACK", "ACK", to_tag=to_tag))
time.sleep(0.2)
s.close()
print("OK: CANCEL 200, INVITE 487")
