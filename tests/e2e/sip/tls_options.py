#!/usr/bin/env python3
"""OPTIONS over SIP/TLS: connect with TLS (trusting the test CA file given),
send OPTIONS, expect 200. usage: tls_options.py HOST PORT CAFILE"""
import socket
import ssl
import sys

host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
with socket.create_connection((host, port), timeout=5) as raw:
    with ctx.wrap_socket(raw) as s:
        lh, lp = s.getsockname()
        msg = ("OPTIONS sip:nova@%s:%d;transport=tls SIP/2.0\r\n"
               "Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK-tls1\r\n"
               "From: <sip:probe@%s>;tag=tls1\r\nTo: <sip:nova@%s>\r\n"
               "Call-ID: tls-options-1@%s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n") % (host, port, lh, lp, lh, host, lh)
        s.sendall(msg.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        print("<-", line, "|", s.version())
        sys.exit(0 if line.startswith("SIP/2.0 200") else 1)
