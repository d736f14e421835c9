#!/usr/bin/env python3
"""Loopback HTTP fakes for deploy/check-runtime-layout.

    fake_http.py health STATUS   /healthz answers STATUS
    fake_http.py imds IP         IMDSv2: PUT /latest/api/token, then
                                 /latest/meta-data/public-ipv4 -> IP (401 without token)

Binds 127.0.0.1 on a free port, prints the port on stdout, serves until killed.
"""
import http.server
import sys

MODE, ARG = sys.argv[1], sys.argv[2]
TOKEN = "fake-imds-token-0123456789"


class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if MODE == "health":
            return self._send(int(ARG) if self.path == "/healthz" else 404, b"ok\n")
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self._send(401)
        if self.path == "/latest/meta-data/public-ipv4":
            return self._send(200, ARG.encode())
        return self._send(404)

    def do_PUT(self):
        if (MODE == "imds" and self.path == "/latest/api/token"
                and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")):
            return self._send(200, TOKEN.encode())
        return self._send(403)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
