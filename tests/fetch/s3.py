#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A small S3 responder and AWS instance metadata service (IMDSv2) on
127.0.0.1, for the fetch tests. Prints its port, ends when stdin closes.

S3 (path-style, region us-west-2): objects are files under ROOT/bucket/
(bucket "bucket") and ROOT/private/ (bucket "private"); an access point
"ap-123456789012" shows ROOT/bucket/ too. Anonymous reads are allowed for
bucket/public/* only; everything else needs a SigV4 signature from the
instance role's credentials, checked with sigv4.py (an implementation
independent of libcurl's), session token included. ?versionId=V serves
KEY.v-V. HEAD /<bucket> answers with x-amz-bucket-region.

IMDSv2: PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds),
then /latest/meta-data/iam/security-credentials/[ROLE] with the token.
GET /requests lists what was asked (method, path, headers)."""

import datetime
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeserve  # noqa: E402
import sigv4  # noqa: E402

REGION = "us-west-2"
ACCESS_KEY = "ASIATESTACCESSKEY"
SECRET_KEY = "S3SECRETKEYVALUEDONOTPRINT"
SESSION_TOKEN = "S3SESSIONTOKENDONOTPRINT"
IMDS_TOKEN = "IMDSTOKENDONOTPRINT"
ROLE = "ignis-test-role"
BUCKETS = {"bucket": "bucket", "private": "private", "ap-123456789012": "bucket"}
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
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, s3code):
        self.reply(code, ("<Error><Code>%s</Code></Error>" % s3code).encode(),
                   [("Content-Type", "application/xml"), ("x-amz-bucket-region", REGION)])

    def handle_any(self):
        with LOCK:
            REQUESTS.append({"method": self.command, "path": self.path,
                             "headers": [[k, v] for k, v in self.headers.items()]})
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        path, _, query = self.path.partition("?")
        if path == "/requests":
            with LOCK:
                return self.reply(200, "".join(json.dumps(r) + "\n" for r in REQUESTS).encode())
        if path.startswith("/latest/"):
            return self.imds(path)
        return self.s3(path, query)

    def imds(self, path):
        if path == "/latest/api/token":
            if self.command != "PUT" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400)
            return self.reply(200, IMDS_TOKEN.encode())
        if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
            return self.reply(401)
        if path == "/latest/meta-data/iam/security-credentials/":
            return self.reply(200, ROLE.encode())
        if path == "/latest/meta-data/iam/security-credentials/" + ROLE:
            return self.reply(200, json.dumps({"Code": "Success", "AccessKeyId": ACCESS_KEY,
                                               "SecretAccessKey": SECRET_KEY, "Token": SESSION_TOKEN}).encode())
        return self.reply(404)

    def s3(self, path, query):
        parts = path.lstrip("/").split("/", 1)
        bucket = parts[0]
        if bucket not in BUCKETS:
            return self.error(404, "NoSuchBucket")
        headers = {k.lower(): v for k, v in self.headers.items()}
        signed = "authorization" in headers
        if signed:
            ok, region, why = sigv4.verify(self.command, self.path, headers, {ACCESS_KEY: SECRET_KEY})
            if ok and region != REGION:
                ok, why = False, "signed for region %s" % region
            if ok and headers.get("x-amz-security-token") != SESSION_TOKEN:
                ok, why = False, "bad session token"
            if ok:
                age = abs((datetime.datetime.utcnow() -
                           datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")).total_seconds())
                if age > 900:
                    ok, why = False, "request time too skewed"
            if not ok:
                sys.stderr.write("s3.py: signature refused: %s\n" % why)
                return self.error(403, "SignatureDoesNotMatch")
        if len(parts) == 1 or not parts[1]:
            # HEAD/GET on the bucket: its region, whoever asks.
            return self.reply(200 if signed else 403, b"", [("x-amz-bucket-region", REGION)])
        key = urllib.parse.unquote(parts[1])
        public = bucket == "bucket" and key.startswith("public/")
        if not signed and not public:
            return self.error(403, "AccessDenied")
        q = urllib.parse.parse_qs(query)
        if "versionId" in q:
            key += ".v-" + q["versionId"][0]
        name = os.path.normpath(os.path.join(ROOT, BUCKETS[bucket], key))
        if not name.startswith(os.path.join(ROOT, BUCKETS[bucket]) + "/") or not os.path.isfile(name):
            return self.error(404, "NoSuchKey")
        with open(name, "rb") as f:
            return self.reply(200, f.read(), [("Content-Type", "application/octet-stream")])

    do_GET = do_HEAD = do_PUT = do_POST = handle_any


def main():
    global ROOT
    ROOT = fakeserve.root_arg()
    fakeserve.run(fakeserve.Server(("127.0.0.1", 0), Handler))


if __name__ == "__main__":
    main()
