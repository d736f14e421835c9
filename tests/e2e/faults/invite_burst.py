#!/usr/bin/env python3
"""A burst of INVITEs: COUNT of them spread over SECONDS, each a new call from
FROM_ADDR (its own port), to the gateway at HOST:PORT. Answers are tallied;
a 200 is acknowledged and the call hung up at once (ACK, BYE), so what the
burst leaves behind is whatever the gateway itself still holds.
   invite_burst.py FROM_ADDR HOST PORT COUNT SECONDS
Prints {"sent":N,"answers":{"100":n,"200":n,"503":n,...},"unanswered":n}, where
answers counts each call's first final answer (and provisional ones)."""
import json
import select
import socket
import sys
import time

src, host, port, count, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    float(sys.argv[5])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((src, 0))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
lport = sock.getsockname()[1]
sdp = ("v=0\r\no=burst 1 1 IN IP4 {a}\r\ns=-\r\nc=IN IP4 {a}\r\nt=0 0\r\n"
       "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n").format(a=src)


def invite(i):
    return ("INVITE sip:nova@{h}:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {s}:{l};branch=z9hG4bK-burst-{i}\r\n"
            "From: <sip:burst{i}@{s}>;tag=b{i}\r\nTo: <sip:nova@{h}:{p}>\r\n"
            "Call-ID: burst-{i}@{s}\r\nCSeq: 1 INVITE\r\nContact: <sip:burst@{s}:{l}>\r\n"
            "Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {n}\r\n\r\n{b}"
            ).format(h=host, p=port, s=src, l=lport, i=i, n=len(sdp), b=sdp).encode()


def header(msg, name):
    for line in msg.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""


answers, final, acked = {}, {}, set()


def handle(data):
    msg = data.decode(errors="replace")
    if not msg.startswith("SIP/2.0 "):
        if msg.startswith("BYE ") or msg.startswith("OPTIONS "):   # answer what the gateway asks
            reply = "SIP/2.0 200 OK\r\n" + "".join(
                f"{h}: {header(msg, h)}\r\n" for h in ("Via", "From", "To", "Call-ID", "CSeq")) + \
                "Content-Length: 0\r\n\r\n"
            sock.sendto(reply.encode(), (host, port))
        return
    code = msg.split(" ", 2)[1]
    cid = header(msg, "Call-ID")
    if "INVITE" not in header(msg, "CSeq"):
        return
    if code >= "200" and cid not in final:
        final[cid] = code
        answers[code] = answers.get(code, 0) + 1
    elif code < "200":
        answers[code] = answers.get(code, 0) + 1
    if code >= "300":   # a non-2xx final is acknowledged in its transaction
        i = cid.split("-", 1)[1].split("@")[0]
        ack = ("ACK sip:nova@{h}:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {s}:{l};branch=z9hG4bK-burst-{i}\r\n"
               "From: <sip:burst{i}@{s}>;tag=b{i}\r\nTo: {to}\r\nCall-ID: {cid}\r\nCSeq: 1 ACK\r\n"
               "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").format(
            h=host, p=port, s=src, l=lport, i=i, to=header(msg, "To"), cid=cid)
        sock.sendto(ack.encode(), (host, port))
    if code == "200" and cid not in acked:
        acked.add(cid)
        to = header(msg, "To")
        i = cid.split("-", 1)[1].split("@")[0]
        common = ("Via: SIP/2.0/UDP {s}:{l};branch=z9hG4bK-burst-{i}-{m}\r\nFrom: <sip:burst{i}@{s}>;tag=b{i}\r\n"
                  "To: {to}\r\nCall-ID: {cid}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n")
        for m, cseq in (("ACK", "1 ACK"), ("BYE", "2 BYE")):
            req = ("{m} sip:nova@{h}:{p} SIP/2.0\r\n" + common + "CSeq: {c}\r\n\r\n").format(
                m=m, h=host, p=port, s=src, l=lport, i=i, to=to, cid=cid, c=cseq)
            sock.sendto(req.encode(), (host, port))


t0 = time.monotonic()
for i in range(count):
    due = t0 + secs * i / count
    while True:
        wait = due - time.monotonic()
        r, _, _ = select.select([sock], [], [], max(0, wait))
        if r:
            handle(sock.recv(65535))
        elif wait <= 0:
            break
    sock.sendto(invite(i), (host, port))
# Answers (and retransmissions) for a while after.
end = time.monotonic() + 8
while time.monotonic() < end:
    r, _, _ = select.select([sock], [], [], 0.2)
    if r:
        handle(sock.recv(65535))
print(json.dumps({"sent": count, "answers": answers, "final": len(final),
                  "unanswered": count - len(final), "burst_s": round(time.monotonic() - t0 - 8, 2)}))
