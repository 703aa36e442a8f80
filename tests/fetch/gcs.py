#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A fake Google Cloud Storage JSON API and GCP metadata server on
127.0.0.1, for the fetch tests. Prints its port, ends when stdin closes.

GET /storage/v1/b/BUCKET/o/OBJECT?alt=media (OBJECT fully %-escaped) serves
ROOT/bucket/OBJECT: anonymously for bucket "public-bucket", only with
"Authorization: Bearer <the metadata server's token>" for bucket
"bucket". The metadata server answers
/computeMetadata/v1/instance/service-accounts/default/token (with
Metadata-Flavor: Google only). GET /requests lists what was asked."""

import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

import fakeserve

TOKEN = "GCSACCESSTOKENDONOTPRINT"
ROOT = None
LOCK = threading.Lock()
REQUESTS = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/requests":
            with LOCK:
                return self.reply(200, "".join(json.dumps(r) + "\n" for r in REQUESTS).encode())
        with LOCK:
            REQUESTS.append({"method": self.command, "path": self.path,
                             "headers": [[k, v] for k, v in self.headers.items()]})
        if path == "/computeMetadata/v1/instance/service-accounts/default/token":
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.reply(403)
            return self.reply(200, json.dumps({"access_token": TOKEN, "expires_in": 3599,
                                               "token_type": "Bearer"}).encode(),
                              [("Metadata-Flavor", "Google"), ("Content-Type", "application/json")])
        parts = path.split("/")
        # "", storage, v1, b, BUCKET, o, OBJECT
        if len(parts) != 7 or parts[1:4] != ["storage", "v1", "b"] or parts[5] != "o" or query != "alt=media":
            return self.reply(400)
        bucket, obj = parts[4], urllib.parse.unquote(parts[6])
        if bucket not in ("bucket", "public-bucket"):
            return self.reply(404)
        if bucket == "bucket" and self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.reply(401 if "Authorization" not in self.headers else 403)
        name = os.path.normpath(os.path.join(ROOT, "bucket", obj))
        if not name.startswith(os.path.join(ROOT, "bucket") + "/") or not os.path.isfile(name):
            return self.reply(404)
        with open(name, "rb") as f:
            return self.reply(200, f.read())


def main():
    global ROOT
    ROOT = fakeserve.root_arg()
    fakeserve.run(fakeserve.Server(("127.0.0.1", 0), Handler))


if __name__ == "__main__":
    main()
