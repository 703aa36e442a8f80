#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Metadata responder for the VM tests' only network path.

QEMU's slirp runs this once per guest TCP connection to 169.254.169.254:80
(guestfwd "cmd:" rule, see vmrun.py), with the connection on stdin/stdout:
no host socket, no port, nothing to start or stop. It answers one HTTP/1.x
request with the file at DOCROOT/<url path> (GET/HEAD; 404 otherwise),
"PUT /latest/api/token" with a fixed token (AWS IMDSv2), and appends
"METHOD PATH STATUS" to DOCROOT/../requests.log.

    md-responder.py DOCROOT
"""
import os
import sys


def main():
    root = os.path.realpath(sys.argv[1])
    rin, rout = sys.stdin.buffer, sys.stdout.buffer
    request = rin.readline(8192).decode("latin-1").split()
    headers = {}
    while True:
        line = rin.readline(8192)
        if line in (b"", b"\r\n", b"\n"):
            break
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    method, path = (request[0], request[1]) if len(request) >= 2 else ("", "/")
    n = int(headers.get("content-length", "0") or 0)
    if n:
        rin.read(min(n, 1 << 20))
    path = path.split("?", 1)[0]
    status, body = "404 Not Found", b"not found\n"
    if method == "PUT" and path == "/latest/api/token":
        status, body = "200 OK", b"ignis-vm-test-token"
    elif method in ("GET", "HEAD"):
        f = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if f.startswith(root + os.sep) and os.path.isfile(f):
            with open(f, "rb") as fh:
                status, body = "200 OK", fh.read()
    head = (f"HTTP/1.0 {status}\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
    rout.write(head.encode("latin-1") + (b"" if method == "HEAD" else body))
    rout.flush()
    try:
        with open(os.path.join(os.path.dirname(root), "requests.log"), "a") as log:
            log.write(f"{method} {path} {status.split()[0]}\n")
    except OSError:
        pass


if __name__ == "__main__":
    main()
