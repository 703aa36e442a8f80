#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Metadata and config responder for the VM tests' only network path.

QEMU's slirp runs this once per guest TCP connection to 169.254.169.254:80
(guestfwd "cmd:" rule, see vmrun.py), with the connection on stdin/stdout:
no host socket, no port, nothing to start or stop. It answers one HTTP/1.x
request with the file at DOCROOT/<url path> (GET/HEAD; dot files are never
served; 404 otherwise) and appends one line per request to
DOCROOT/../requests.log:

    METHOD PATH STATUS [token=none|valid|invalid] [ttl=N] [flavor=VALUE] [xff]

(no header value that is a secret is logged: the token's value never is).

Behaviour beyond plain files comes from DOCROOT/.responder.json (optional):

  "imds": "optional" (default) | "required" | "refused" | "forbidden"
      AWS IMDS. PUT /latest/api/token needs the header
      X-aws-ec2-metadata-token-ttl-seconds (1..21600, else 400) and returns
      a new token (kept in DOCROOT/../imds-tokens). "required" (IMDSv2
      enforced): a GET under /latest/ or /20*/ without a valid
      X-aws-ec2-metadata-token gets 401. "refused": the token PUT gets 404
      (an IMDS without v2: clients fall back to v1). "forbidden": every
      request gets 403 (IMDS disabled).
  "expire_first_token": true
      the first token handed out is already invalid on its first use (a GET
      with it gets 401; the client must ask for a new one).
  "token_suffix": TEXT
      appended to every token PUT's answer (a service that answers with
      something a client must not put in a header line).
  "require_headers": {"PATH-PREFIX": {"Header": "value"}, ...}
      requests under the prefix without the header get 403 (GCP:
      {"/computeMetadata/": {"Metadata-Flavor": "Google"}}).
  "response_headers": {"PATH-PREFIX": {"Header": "value"}, ...}
      added to every answer under the prefix.
  "azure": {"incarnation": "1", "container_id": "...", "instance_id": "..."}
      Azure's IMDS and wireserver (the guest is pointed at 169.254.169.254
      for both). IMDS: GET /metadata/instance/compute/userData needs the
      header "Metadata: true", api-version= and format=text (else 400, as
      IMDS answers) and serves DOCROOT/metadata/instance/compute/userData
      (base64, as Azure stores it; 404 when absent). Wireserver: GET
      /machine/?comp=goalstate and POST /machine?comp=health need
      x-ms-agent-name and x-ms-version (else 400). The goal state is a
      GoalState XML with those three values. A health report is refused
      (400) unless a goal state was served before it and the report names
      its incarnation, container and instance; an accepted body is kept as
      DOCROOT/../health/N.xml (N = 1, 2, ...) for the host to check. Azure
      lines in requests.log keep the query string and note the headers
      that came: metadata=VALUE, agent=VALUE, x-ms-version=VALUE.

    md-responder.py DOCROOT
"""
import json
import os
import re
import secrets
import sys
import urllib.parse

GOAL_STATE = """<?xml version="1.0" encoding="utf-8"?>
<GoalState xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="goalstate10.xsd">
  <Version>2012-11-30</Version>
  <Incarnation>{incarnation}</Incarnation>
  <Machine>
    <ExpectedState>Started</ExpectedState>
    <StopRolesDeadlineHint>300000</StopRolesDeadlineHint>
    <LBProbePorts><Port>16001</Port></LBProbePorts>
    <ExpectHealthReport>FALSE</ExpectHealthReport>
  </Machine>
  <Container>
    <ContainerId>{container_id}</ContainerId>
    <RoleInstanceList>
      <RoleInstance>
        <InstanceId>{instance_id}</InstanceId>
        <State>Started</State>
        <Configuration>
          <HostingEnvironmentConfig>http://168.63.129.16:80/machine/{container_id}/{instance_id}?comp=config&amp;type=hostingEnvironmentConfig&amp;incarnation={incarnation}</HostingEnvironmentConfig>
        </Configuration>
      </RoleInstance>
    </RoleInstanceList>
  </Container>
</GoalState>
"""


def xml_text(body, tag):
    m = re.search(rf"<{tag}>([^<]*)</{tag}>", body)
    return m.group(1) if m else None


def azure(method, path, query, headers, body, opts, state, notes):
    """Azure IMDS and wireserver: (status, body, content type) or None when
    the path is neither."""
    q = urllib.parse.parse_qs(query)
    if path == "/metadata/instance/compute/userData":
        notes.append("metadata=" + headers.get("metadata", "none"))
        if headers.get("metadata") != "true":
            return "400 Bad Request", b"Bad request. Required metadata header not specified\n", "text/plain"
        if not q.get("api-version") or q.get("format") != ["text"]:
            return "400 Bad Request", b"Bad request. api-version and format=text required\n", "text/plain"
        return None
    if path not in ("/machine", "/machine/"):
        return None
    notes.append("agent=" + headers.get("x-ms-agent-name", "none"))
    notes.append("x-ms-version=" + headers.get("x-ms-version", "none"))
    if "x-ms-agent-name" not in headers or "x-ms-version" not in headers:
        return "400 Bad Request", b"x-ms-agent-name and x-ms-version required\n", "text/plain"
    served = os.path.join(state, "azure-goalstate-served")
    if method == "GET" and q.get("comp") == ["goalstate"]:
        open(served, "a").close()
        return "200 OK", GOAL_STATE.format(**opts).encode(), "text/xml; charset=utf-8"
    if method == "POST" and q.get("comp") == ["health"]:
        text = body.decode("utf-8", "replace")
        if not os.path.exists(served):
            return "400 Bad Request", b"no goal state was fetched\n", "text/plain"
        if (xml_text(text, "GoalStateIncarnation") != opts["incarnation"]
                or xml_text(text, "ContainerId") != opts["container_id"]
                or xml_text(text, "InstanceId") != opts["instance_id"]):
            return "400 Bad Request", b"stale or foreign goal state\n", "text/plain"
        d = os.path.join(state, "health")
        os.makedirs(d, exist_ok=True)
        n = len(os.listdir(d)) + 1
        with open(os.path.join(d, f"{n}.xml"), "wb") as f:
            f.write(body)
        return "200 OK", b"", "text/plain"
    return "400 Bad Request", b"unknown wireserver request\n", "text/plain"


def load_options(root):
    try:
        with open(os.path.join(root, ".responder.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def main():
    root = os.path.realpath(sys.argv[1])
    state = os.path.dirname(root)
    opts = load_options(root)
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
    posted = rin.read(min(n, 1 << 20)) if n else b""
    path, _, query = path.partition("?")
    notes = []
    extra = {}
    status, body = "404 Not Found", b"not found\n"
    ctype = "application/octet-stream"
    logged = path
    answer = None
    if "azure" in opts:
        answer = azure(method, path, query, headers, posted, opts["azure"], state, notes)
        if path.startswith("/metadata/") or path.startswith("/machine"):
            logged = path + ("?" + query if query else "")

    tokens_file = os.path.join(state, "imds-tokens")
    try:
        with open(tokens_file) as f:
            tokens = f.read().split()
    except FileNotFoundError:
        tokens = []
    imds = opts.get("imds", "optional")
    is_imds = path.startswith("/latest/") or path.startswith("/20")
    token = headers.get("x-aws-ec2-metadata-token")
    if is_imds and method != "PUT":
        if token is None:
            notes.append("token=none")
        elif token in tokens and not (opts.get("expire_first_token") and token == tokens[0]):
            notes.append("token=valid")
        else:
            notes.append("token=invalid")
    ttl = headers.get("x-aws-ec2-metadata-token-ttl-seconds")
    if ttl is not None:
        notes.append("ttl=" + ttl)
    if "metadata-flavor" in headers:
        notes.append("flavor=" + headers["metadata-flavor"])
    if "x-forwarded-for" in headers:
        notes.append("xff")

    denied = None
    for prefix, need in opts.get("require_headers", {}).items():
        if path.startswith(prefix):
            for k, v in need.items():
                if headers.get(k.lower()) != v:
                    denied = f"missing header {k}: {v}\n"
    if answer:
        status, body, ctype = answer
    elif is_imds and imds == "forbidden":
        status, body = "403 Forbidden", b"IMDS disabled\n"
    elif denied:
        status, body = "403 Forbidden", denied.encode()
    elif method == "PUT" and path == "/latest/api/token":
        if imds == "refused":
            status, body = "404 Not Found", b"not found\n"
        elif ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            status, body = "400 Bad Request", b"missing or invalid TTL header\n"
        else:
            t = "tok-" + secrets.token_hex(16)
            with open(tokens_file, "a") as f:
                f.write(t + "\n")
            status, body = "200 OK", (t + opts.get("token_suffix", "")).encode()
            extra["X-aws-ec2-metadata-token-ttl-seconds"] = ttl
    elif is_imds and imds == "required" and "token=valid" not in notes:
        status, body = "401 Unauthorized", b""
    elif method in ("GET", "HEAD"):
        f = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if (f.startswith(root + os.sep) and os.path.isfile(f)
                and not any(p.startswith(".") for p in os.path.relpath(f, root).split(os.sep))):
            with open(f, "rb") as fh:
                status, body = "200 OK", fh.read()
    for prefix, hs in opts.get("response_headers", {}).items():
        if path.startswith(prefix):
            extra.update(hs)
    head = (f"HTTP/1.0 {status}\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: {ctype}\r\nConnection: close\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in extra.items()) + "\r\n")
    rout.write(head.encode("latin-1") + (b"" if method == "HEAD" else body))
    rout.flush()
    try:
        with open(os.path.join(state, "requests.log"), "a") as log:
            log.write(" ".join([method, logged, status.split()[0]] + notes) + "\n")
    except OSError:
        pass


if __name__ == "__main__":
    main()
