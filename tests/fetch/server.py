#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A fault-injecting HTTP/HTTPS server (and forward proxy) for the fetch tests.

Listens on 127.0.0.1 (or ::1) on a free port, prints the port on stdout and
serves until stdin is closed, so it never outlives the test that started it.

Routes:
  /hello                      "hello\n"
  /files/NAME                 the file NAME under --root, streamed
  /status/CODE                an empty answer with that status
  /flaky/KEY/N                500 for the first N requests of KEY, then "ok\n"
  /stall-headers              never answers
  /stall-body                 headers (Content-Length 1000), 10 bytes, then nothing
  /truncate                   Content-Length 1000, 100 bytes, then the connection closes
  /short-length               Content-Length 5 for a 10-byte body
  /redirect/N                 302 to /redirect/N-1; /redirect/0 is "redirected\n"
  /loop                       302 to itself
  /redirect-to?u=URL          302 to URL
  /echo-headers               the request's headers as JSON
  /require-header?name=&value= 200 "granted\n" if the header has that value, else 403
  /echo-body                  a PUT/POST body back; X-Method says which method
  /big/N                      N bytes of a repeating pattern
  /set-cookie-secret          200 with a response header X-Secret (for header capture)
  /sigv4-check                200 if the request carries a valid AWS SigV4 signature
                              by AKIDEXAMPLE (the test suite's key; any date), else 403
  /chain/N                    a config that merges /chain/N+1 (for depth limits)
  /requests                   the requests seen so far, one JSON object a line
With --proxy=forward it also answers absolute-URI requests ("GET http://host/...")
from the same routes and tunnels CONNECT to 127.0.0.1:PORT whatever the host;
with --proxy=refuse it answers every proxy request 403.
"""

import argparse
import gzip
import json
import os
import select
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeserve  # noqa: E402
import sigv4  # noqa: E402

SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

LOCK = threading.Lock()
COUNTS = {}
REQUESTS = []
ARGS = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self):
        with LOCK:
            REQUESTS.append({"method": self.command, "path": self.path,
                             "headers": [[k, v] for k, v in self.headers.items()],
                             "tls": isinstance(self.connection, ssl.SSLSocket)})

    def send_body(self, code, body, ctype="application/octet-stream", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        self.record()
        u = urllib.parse.urlsplit(self.path)
        path, q = u.path, urllib.parse.parse_qs(u.query)
        if u.scheme:
            if ARGS.proxy == "refuse":
                return self.send_body(403, b"proxy says no\n")
            if ARGS.proxy != "forward":
                return self.send_body(400, b"not a proxy\n")
        body = self.read_body() if self.command in ("PUT", "POST") else b""
        parts = path.strip("/").split("/")
        extra = [("Via", "1.1 test-proxy")] if u.scheme else []

        if path == "/hello":
            return self.send_body(200, b"hello\n", "text/plain", extra)
        if parts[0] == "files" and len(parts) >= 2 and ARGS.root:
            name = os.path.join(ARGS.root, *parts[1:])
            try:
                f = open(name, "rb")
            except OSError:
                return self.send_body(404, b"")
            with f:
                size = os.fstat(f.fileno()).st_size
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    while True:
                        chunk = f.read(1 << 20)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
            return
        if parts[0] == "status":
            return self.send_body(int(parts[1]), b"")
        if parts[0] == "flaky":
            with LOCK:
                COUNTS[parts[1]] = COUNTS.get(parts[1], 0) + 1
                n = COUNTS[parts[1]]
            if n <= int(parts[2]):
                return self.send_body(500, b"try again\n")
            return self.send_body(200, b"ok\n")
        if path == "/stall-headers":
            time.sleep(3600)
            return
        if path == "/stall-body":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            time.sleep(3600)
            return
        if path == "/truncate":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"y" * 100)
            self.wfile.flush()
            self.close_connection = True
            return
        if path == "/short-length":
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
            return
        if parts[0] == "redirect":
            n = int(parts[1])
            if n == 0:
                return self.send_body(200, b"redirected\n")
            return self.send_body(302, b"", extra=[("Location", "/redirect/%d" % (n - 1))])
        if path == "/loop":
            return self.send_body(302, b"", extra=[("Location", "/loop")])
        if path == "/redirect-to":
            return self.send_body(302, b"", extra=[("Location", q["u"][0])])
        if path == "/echo-headers":
            return self.send_body(200, json.dumps(dict(self.headers.items())).encode(), "application/json")
        if path == "/require-header":
            if self.headers.get(q["name"][0]) == q["value"][0]:
                return self.send_body(200, b"granted\n")
            return self.send_body(403, b"")
        if path == "/echo-body":
            return self.send_body(200, body, extra=[("X-Method", self.command)])
        if parts[0] == "big":
            n = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = bytes(range(256)) * 256
            while n > 0 and self.command != "HEAD":
                k = min(n, len(block))
                self.wfile.write(block[:k])
                n -= k
            return
        if path == "/gzip-hello":
            return self.send_body(200, gzip.compress(b"hello gzip\n"))
        if path == "/set-cookie-secret":
            return self.send_body(200, b"x", extra=[("X-Secret", "s3cr3t")])
        if path == "/sigv4-check":
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok, _, why = sigv4.verify(self.command, self.path, headers, {"AKIDEXAMPLE": SUITE_SECRET}, body)
            return self.send_body(200 if ok else 403, (why or "verified").encode() + b"\n")
        if parts[0] == "chain":
            nxt = "http://%s/chain/%d" % (self.headers["Host"], int(parts[1]) + 1)
            cfg = {"ignition": {"version": "3.4.0", "config": {"merge": [{"source": nxt}]}}}
            return self.send_body(200, json.dumps(cfg).encode(), "application/json")
        if path == "/requests":
            with LOCK:
                text = "".join(json.dumps(r) + "\n" for r in REQUESTS)
            return self.send_body(200, text.encode())
        return self.send_body(404, b"")

    do_GET = do_HEAD = do_PUT = do_POST = route

    def do_CONNECT(self):
        self.record()
        if ARGS.proxy != "forward":
            return self.send_body(403, b"")
        port = int(self.path.rsplit(":", 1)[1])
        try:
            upstream = socket.create_connection(("127.0.0.1", port))
        except OSError:
            return self.send_body(502, b"")
        self.send_response(200, "Connection established")
        self.end_headers()
        conns = [self.connection, upstream]
        try:
            while True:
                ready, _, _ = select.select(conns, [], [], 60)
                if not ready:
                    break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        raise EOFError
                    (upstream if s is self.connection else self.connection).sendall(data)
        except (EOFError, OSError):
            pass
        upstream.close()
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--root")
    p.add_argument("--proxy", choices=["forward", "refuse"])
    ARGS = p.parse_args()

    Server.address_family = socket.AF_INET6 if ":" in ARGS.bind else socket.AF_INET
    srv = Server((ARGS.bind, 0), Handler)
    if ARGS.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*ARGS.tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    fakeserve.run(srv)


if __name__ == "__main__":
    main()
