#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Seeds for fuzz-net (tests/fuzz/fuzz-net.c) from the test cases: what the
# platform, provider and fetch suites serve (XML documents, base64 and
# gzip'd user data, response headers, DHCP leases, URLs) and the configs'
# noProxy lists, each behind the byte that selects its target.
#
#   net-seeds.py SRC OUTDIR

import base64
import glob
import hashlib
import json
import os
import re
import sys

XML, B64, GZIP, NOPROXY, URL, HEADERS, LEASE, VMWARE, VIRTUALBOX = range(9)
XML_NAMES = ["CustomData", "Incarnation", "ContainerId", "InstanceId", "UserData", "a"]

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
seeds = set()


def seed(target, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogateescape")
    if len(payload) < 60000:
        seeds.add(bytes([target]) + payload)


def walk(v, key=None):
    if isinstance(v, dict):
        if "status" in v and isinstance(v.get("headers"), dict):
            head = "HTTP/1.1 %s Reason\r\n" % v["status"]
            head += "".join("%s: %s\r\n" % (k, x) for k, x in v["headers"].items())
            seed(HEADERS, head + "\r\n")
        if key == "leases":
            for text in v.values():
                if isinstance(text, str):
                    seed(LEASE, b"\0" + text.encode())
                    seed(LEASE, b"\1" + text.encode())
        for k, x in v.items():
            walk(x, k)
    elif isinstance(v, list):
        if key == "noProxy":
            for host in ("example.net", "10.1.2.3", "a.svc", "[::1]"):
                seed(NOPROXY, "%s\n8080\n%s" % (host, "\n".join(str(e) for e in v)))
        for x in v:
            walk(x, key)
    elif isinstance(v, str):
        text = v.strip()
        if text.startswith("<"):
            names = [i for i, n in enumerate(XML_NAMES) if n in text] or [0]
            for i in names:
                seed(XML, bytes([i]) + v.encode())
        if re.fullmatch(r"[A-Za-z0-9+/=\s]{8,}", text):
            seed(B64, v)
            try:
                raw = base64.b64decode(text, validate=False)
                if raw[:2] == b"\x1f\x8b":
                    seed(GZIP, raw)
            except ValueError:
                pass
        if re.match(r"[a-z0-9]+://", text):
            seed(URL, v)
        if key in ("body", "contents") or text.startswith("{"):
            seed(GZIP, v)
            seed(B64, base64.b64encode(v.encode()))


files = (glob.glob(src + "/tests/platforms/cases/*.json") + glob.glob(src + "/tests/fetch/cases/*.json") +
         glob.glob(src + "/tests/providers/*.json") + glob.glob(src + "/tests/config/valid/*.json"))
for path in sorted(files):
    try:
        with open(path, encoding="utf-8") as f:
            walk(json.load(f))
    except (ValueError, OSError):
        continue

# URLs with every part a message must drop.
seed(URL, b"https\0user:pa@ss\0example.com:8443\0dir/file.ign\0X-Amz-Signature=abc\0frag")
seed(URL, "s3://bucket/key?versionId=1")
seed(HEADERS, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nMetadata-Flavor: Google\r\n"
              "x-amz-bucket-region:\teu-west-1\r\n\r\n")

# VMware guestinfo: fault byte, reply-cut / seed byte, which keys are set
# (1 ovfEnv, 2 data, 4 encoding), then the values NUL-separated.
CONFIG = '{"ignition":{"version":"3.4.0"}}'
OVF = ('<?xml version="1.0"?><Environment xmlns:oe="http://schemas.dmtf.org/ovf/environment/1">'
       '<PropertySection><Property oe:key="guestinfo.ignition.config.data" oe:value="%s"/>'
       '<Property oe:key="guestinfo.ignition.config.data.encoding" oe:value="base64"/>'
       '</PropertySection></Environment>' % base64.b64encode(CONFIG.encode()).decode())
for faults in (0, 0x01, 0x0a, 0x40, 0x80):
    seed(VMWARE, bytes([faults, 9, 2]) + b"\0" + CONFIG.encode())
    seed(VMWARE, bytes([faults, 9, 6]) + b"\0" + base64.b64encode(CONFIG.encode()) + b"\0base64")
    seed(VMWARE, bytes([faults, 9, 1]) + OVF.encode())
    seed(VMWARE, bytes([faults, 9, 7]) + OVF.encode() + b"\0" + CONFIG.encode() + b"\0")

# VirtualBox: fault byte, ioctl byte, then the host's GET_PROP answers: an
# op (0 not found, 1 overflow, 2 success, 3 another status), the size it
# claims (2 bytes), the reply bytes on success.
def vbox_answer(op, claim, reply=b""):
    return bytes([op, claim & 0xff, claim >> 8 & 0xff]) + reply


body = CONFIG.encode() + b"\0\0"
for faults in (0, 0x01, 0x02, 0x04):
    seed(VIRTUALBOX, bytes([faults, 0x0f]) + vbox_answer(0, 0) + vbox_answer(2, len(body), body))
    seed(VIRTUALBOX, bytes([faults, 0x0f]) + vbox_answer(0, 0) + vbox_answer(1, len(body)) +
         vbox_answer(2, len(body), body))
    seed(VIRTUALBOX, bytes([faults, 0x0f]) + vbox_answer(2, 8, b"base64\0\0"))

for s in seeds:
    with open(os.path.join(out, hashlib.sha1(s).hexdigest()), "wb") as f:
        f.write(s)
print("net-seeds.py: %d seeds" % len(seeds), file=sys.stderr)
