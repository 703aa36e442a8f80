#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The metadata providers (aws, gcp) against fake metadata services.

    run-providers.py --ignis build/src/ignis [--cases FILE] [--wrapper CMD] [NAME...]

Runs `ignis run --stage=fetch --platform=ID` against tests/vm/md-responder.py
(the responder of the VM tests: IMDSv2 token flow, required headers, status
codes, a log line per request), served here on 127.0.0.1 and ::1: a
listener per address accepts connections and hands each one to a fresh
md-responder.py process as its stdin/stdout, as QEMU's guestfwd does in the
VM tests.

As root, everything runs in a network namespace of its own (unshare -n)
with only the loopback interface up: no packet can leave the machine, and an
address outside 127.0.0.0/8 and ::1 has no route (what the IPv6-fallback
case needs). Without root the run is skipped.

cases.json: a list of cases, each:
  name, description
  platform        aws | gcp
  responder       DOCROOT/.responder.json (see md-responder.py)
  files           {"path under the docroot": TEXT | {"json": VALUE} |
                   {"gzip": TEXT or {"json": VALUE}} | {"bytes_hex": HEX}}
  env             extra environment; $V4 and $V6 become the two servers'
                  base URLs ("http://127.0.0.1:PORT", "http://[::1]:PORT")
  probe           [[METHOD, PATH, {headers}, STATUS], ...]: requests the
                  runner sends itself first, checking the fake service
                  (e.g. a GET without a token gets 401); cleared from the log
  exit            expected exit status (default 0)
  output          substrings of ignis's output; output_not: must not appear
  requests        regexes, each must match a line of the request log;
                  no_requests: none may match; n_requests: the exact count
  provided        userConfigProvided in state.json (when exit is 0)
  config_has      substrings of the cached config.json
"""

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RESPONDER = os.path.join(REPO, "tests", "vm", "md-responder.py")
sys.path.insert(0, os.path.join(REPO, "tests", "files"))
import testroot  # noqa: E402


class Server:
    """Accepts on (family, address) and runs md-responder.py per connection."""

    def __init__(self, family, addr, docroot):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.docroot = docroot
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                subprocess.run(["/usr/bin/python3", RESPONDER, self.docroot], stdin=conn.fileno(),
                               stdout=conn.fileno(), timeout=30)

    def close(self):
        """Stops accepting and waits for the connection being answered: the
        responder logs a request after it answered it."""
        self.stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(30)


def write_files(docroot, files):
    for path, spec in files.items():
        p = os.path.join(docroot, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(spec, str):
            data = spec.encode()
        elif "json" in spec:
            data = json.dumps(spec["json"]).encode()
        elif "gzip" in spec:
            inner = spec["gzip"]
            inner = json.dumps(inner["json"]) if isinstance(inner, dict) else inner
            data = gzip.compress(inner.encode(), mtime=0)
            if spec.get("truncate"):
                data = data[:spec["truncate"]]
        elif "bytes_hex" in spec:
            data = bytes.fromhex(spec["bytes_hex"])
        else:
            raise ValueError(f"bad file spec for {path}")
        with open(p, "wb") as f:
            f.write(data)


def probe(base, method, path, headers, want):
    req = urllib.request.Request(base + path, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status == want, f"probe {method} {path}: {status}, expected {want}"


def run_case(a, case):
    diags = []
    top = tempfile.mkdtemp(prefix="ignis-providers-")
    servers = []
    try:
        docroot = os.path.join(top, "md", "root")
        os.makedirs(docroot)
        if "responder" in case:
            with open(os.path.join(docroot, ".responder.json"), "w") as f:
                json.dump(case["responder"], f)
        write_files(docroot, case.get("files", {}))
        v4 = Server(socket.AF_INET, "127.0.0.1", docroot)
        v6 = Server(socket.AF_INET6, "::1", docroot)
        servers = [v4, v6]
        bases = {"$V4": f"http://127.0.0.1:{v4.port}", "$V6": f"http://[::1]:{v6.port}"}
        log = os.path.join(top, "md", "requests.log")
        probes = case.get("probe", [])
        for method, path, headers, want in probes:
            ok, msg = probe(bases["$V4"], method, path, headers, want)
            if not ok:
                diags.append(msg)
        for _ in range(100):   # the responder logs after it answered
            if not probes or (os.path.exists(log) and len(open(log).read().splitlines()) >= len(probes)):
                break
            time.sleep(0.05)
        if os.path.exists(log):
            os.unlink(log)
        for d in ("root", "cache", "console", "sys", "fw_cfg"):
            os.makedirs(os.path.join(top, d))
        with open(os.path.join(top, "cmdline"), "w") as f:
            f.write(f"ignition.firstboot ignition.platform.id={case['platform']}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("IGNIS_")}
        env.update(IGNIS_SYSTEM_CONFIG_PREFIX=os.path.join(top, "sys"),
                   IGNIS_FW_CFG_ROOT=os.path.join(top, "fw_cfg"),
                   IGNIS_AWS_IMDS_URL=bases["$V4"], IGNIS_AWS_IMDS_URL_V6=bases["$V6"],
                   IGNIS_GCP_METADATA_URL=bases["$V4"], IGNIS_PROVIDER_TIMEOUT="5")
        for k, v in case.get("env", {}).items():
            for b, u in bases.items():
                v = v.replace(b, u)
            env[k] = v
        argv = a.wrapper.split() + [a.ignis, "run", "--stage=fetch", f"--platform={case['platform']}", "--root=" + top + "/root",
                "--config-cache=" + top + "/cache/config.json", "--cmdline-file=" + top + "/cmdline",
                "--console-dir=" + top + "/console"]
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        for srv in servers:
            srv.close()
        try:
            with open(log) as f:
                reqs = f.read().splitlines()
        except FileNotFoundError:
            reqs = []
        want_exit = case.get("exit", 0)
        if p.returncode != want_exit:
            diags.append(f"exit {p.returncode}, expected {want_exit}")
        if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", out):
            diags.append("sanitizer report in the output")
        for s in case.get("output", []):
            if s not in out:
                diags.append(f"output lacks {s!r}")
        for s in case.get("output_not", []):
            if s in out:
                diags.append(f"output has {s!r}")
        for r in case.get("requests", []):
            if not any(re.search(r, line) for line in reqs):
                diags.append(f"no request matches {r!r}")
        for r in case.get("no_requests", []):
            if any(re.search(r, line) for line in reqs):
                diags.append(f"a request matches {r!r}")
        if "n_requests" in case and len(reqs) != case["n_requests"]:
            diags.append(f"{len(reqs)} requests, expected {case['n_requests']}")
        if want_exit == 0 and p.returncode == 0:
            try:
                with open(os.path.join(top, "cache", "state.json")) as f:
                    provided = json.load(f).get("userConfigProvided")
                if "provided" in case and provided != case["provided"]:
                    diags.append(f"userConfigProvided {provided}, expected {case['provided']}")
                with open(os.path.join(top, "cache", "config.json")) as f:
                    cached = f.read()
                for s in case.get("config_has", []):
                    if s not in cached:
                        diags.append(f"cached config lacks {s!r}")
            except (OSError, ValueError) as e:
                diags.append(f"cache: {e}")
        if diags:
            diags += ["requests:"] + ["  " + r for r in reqs] + ["output:"] + ["  " + l for l in out.splitlines()]
        return not diags, diags
    finally:
        for s in servers:
            s.close()
        shutil.rmtree(top, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignis", required=True)
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.json"))
    ap.add_argument("--wrapper", default="", help="a command ignis runs under, e.g. \"valgrind -q --error-exitcode=99\"")
    ap.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    a.ignis = os.path.abspath(a.ignis)
    if not a.in_netns:
        if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
            print("1..0 # SKIP needs root, unshare(1) and ip(8) (a private network namespace)")
            return 0
        return subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__), "--in-netns"]
                              + sys.argv[1:]).returncode
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with open(a.cases) as f:
        cases = json.load(f)
    if a.names:
        cases = [c for c in cases if c["name"] in a.names]
    print(f"1..{len(cases)}")
    failed = 0
    for n, case in enumerate(cases, 1):
        try:
            ok, diags = run_case(a, case)
        except Exception as e:  # a harness error must not hide the other cases
            ok, diags = False, [f"harness error: {e!r}"]
        failed += testroot.tap_case(n, case["name"], ok, case.get("description", ""), diags)
    return testroot.tap_end(failed, len(cases))


if __name__ == "__main__":
    sys.exit(main())
