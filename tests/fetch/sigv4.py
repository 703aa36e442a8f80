# SPDX-License-Identifier: Apache-2.0
"""AWS Signature Version 4, written from AWS's description (canonical
request, string to sign, derived key), to check independently what libcurl
signs. test-sigv4.py checks it against AWS's published examples."""

import hashlib
import hmac
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def canonical_query(query):
    """Pairs URI-encoded (RFC 3986 unreserved kept), sorted by name then value."""
    pairs = []
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        k = urllib.parse.quote(urllib.parse.unquote(k), safe="-_.~")
        v = urllib.parse.quote(urllib.parse.unquote(v), safe="-_.~")
        pairs.append((k, v))
    return "&".join("%s=%s" % kv for kv in sorted(pairs))


def canonical_request(method, path, query, headers, signed, payload_hash):
    """headers: {lower-case name: value}; signed: the names, in order."""
    lines = [method, path or "/", canonical_query(query)]
    lines += ["%s:%s" % (n, " ".join(headers[n].strip().split())) for n in signed]
    return "\n".join(lines) + "\n\n" + ";".join(signed) + "\n" + payload_hash


def string_to_sign(amz_date, scope, creq):
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])


def signature(secret, amz_date, region, service, creq):
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    sts = string_to_sign(amz_date, scope, creq)
    return hmac.new(signing_key(secret, amz_date[:8], region, service), sts.encode(), hashlib.sha256).hexdigest()


def parse_authorization(value):
    """-> (access key, date, region, service, signed headers, signature) or None."""
    if not value.startswith(ALGORITHM + " "):
        return None
    fields = {}
    for item in value[len(ALGORITHM) + 1:].split(","):
        k, _, v = item.strip().partition("=")
        fields[k] = v
    try:
        ak, date, region, service, term = fields["Credential"].split("/")
        if term != "aws4_request":
            return None
        return ak, date, region, service, fields["SignedHeaders"].split(";"), fields["Signature"]
    except (KeyError, ValueError):
        return None


def verify(method, raw_path, headers, secrets, body=b""):
    """Checks a received request. headers: {lower-case name: value};
    secrets: {access key: secret}. Returns (ok, region, reason)."""
    auth = parse_authorization(headers.get("authorization", ""))
    if not auth:
        return False, None, "no SigV4 Authorization header"
    ak, date, region, service, signed, sig = auth
    if ak not in secrets:
        return False, region, "unknown access key"
    amz_date = headers.get("x-amz-date", "")
    if amz_date[:8] != date:
        return False, region, "x-amz-date does not match the credential scope"
    if signed != sorted(signed) or len(set(signed)) != len(signed):
        return False, region, "SignedHeaders is not sorted"
    if "host" not in signed:
        return False, region, "host is not signed"
    if any(n not in headers for n in signed):
        return False, region, "a signed header is missing"
    path, _, query = raw_path.partition("?")
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    creq = canonical_request(method, path, query, headers, signed, payload)
    want = signature(secrets[ak], amz_date, region, service, creq)
    if not hmac.compare_digest(want, sig):
        return False, region, "signature mismatch"
    return True, region, ""
