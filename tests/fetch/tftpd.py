#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""tftpd-hpa in the foreground on a free UDP port of 127.0.0.1, serving
DIR read-only; prints the port, stops when stdin closes."""

import os
import socket
import subprocess
import sys


def main():
    root = sys.argv[1]
    # A free port: bound and released just before in.tftpd binds it (UDP,
    # so no TIME_WAIT stands in the way).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen(["/usr/sbin/in.tftpd", "-L", "-s", "-a", "127.0.0.1:%d" % port,
                          "--user", "root", root],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    sys.stdin.read()
    p.terminate()
    p.wait()
    os._exit(0)


if __name__ == "__main__":
    main()
