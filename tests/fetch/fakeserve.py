# SPDX-License-Identifier: Apache-2.0
"""What the test servers here share: a threaded server on a free port whose
number goes to stdout for the test, living until stdin closes (the test
ended, however it ended)."""

import argparse
import os
import sys
import threading
from http.server import ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True


def root_arg():
    """The --root directory the S3 and GCS fakes serve objects from."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    return os.path.abspath(ap.parse_args().root)


def run(srv):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    sys.stdin.read()
    os._exit(0)
