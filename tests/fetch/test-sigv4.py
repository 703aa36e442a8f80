#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""sigv4.py (the independent SigV4 implementation the S3 responder uses to
check libcurl's signatures) against AWS's published examples: the
signature-v4 test suite's get-vanilla and get-vanilla-query-order-key-case,
and the GET Object example of the S3 API reference."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigv4  # noqa: E402

SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
S3_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

CASES = [
    ("get-vanilla", SUITE_SECRET, "20150830T123600Z", "us-east-1", "service",
     ("GET", "/", "", {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"},
      ["host", "x-amz-date"], EMPTY),
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-query-order-key-case", SUITE_SECRET, "20150830T123600Z", "us-east-1", "service",
     ("GET", "/", "Param2=value2&Param1=value1",
      {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"}, ["host", "x-amz-date"], EMPTY),
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("s3-get-object", S3_SECRET, "20130524T000000Z", "us-east-1", "s3",
     ("GET", "/test.txt", "",
      {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9", "x-amz-content-sha256": EMPTY,
       "x-amz-date": "20130524T000000Z"}, ["host", "range", "x-amz-content-sha256", "x-amz-date"], EMPTY),
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
]


def main():
    n = failed = 0
    for name, secret, date, region, service, req, want in CASES:
        creq = sigv4.canonical_request(*req)
        got = sigv4.signature(secret, date, region, service, creq)
        n += 1
        ok = got == want
        failed += not ok
        print("%s %d - %s%s" % ("ok" if ok else "not ok", n, name, "" if ok else " (got %s)" % got))
        # The verifier accepts the request as signed, and refuses it altered.
        method, path, query, headers, signed, payload = req
        h = dict(headers)
        h["authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s/%s/%s/aws4_request, SignedHeaders=%s, " \
                             "Signature=%s" % (date[:8], region, service, ";".join(signed), want)
        raw = path + ("?" + query if query else "")
        ok1 = sigv4.verify(method, raw, h, {"AKIDEXAMPLE": secret})[0]
        h["host"] = "evil.example"
        ok2 = not sigv4.verify(method, raw, h, {"AKIDEXAMPLE": secret})[0]
        n += 1
        failed += not (ok1 and ok2)
        print("%s %d - %s: verify() accepts it, and refuses a changed host" % ("ok" if ok1 and ok2 else "not ok",
                                                                               n, name))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
