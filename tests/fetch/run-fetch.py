#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`ignis apply` against real servers on 127.0.0.1/::1: every scheme, faults,
messages and secrets (tests/fetch/README.md).

    run-fetch.py --ignis build/src/ignis [CASE...]

Must run as root (the files-stage skeleton and jail of tests/files). Starts
the servers once (servers.py), fills a web root from tests/fetch/www/ (with
the placeholders below substituted), then runs each case of cases/*.json:

    ignis apply --root=TOP/root [args] TOP/config.json

Case keys: description; config (a JSON object, placeholders substituted in
its text); args; env (extra environment); or, instead of `ignis apply`,
stages (run in order with `ignis run --stage=`, stopping at the first that
fails), cmdline (their kernel command line), cache_contains / cache_lacks
(substrings of the cached config); exit (default 0); lines (each an
exact line of the output); contains / not_contains (substrings); files
({path: text, or {"sha512_of": www name}, or null for absent}); nothing_written
(the root's manifest unchanged); secrets (strings that must appear nowhere in
the output); requests (checks on what a server saw: {"server", "path",
"header": "Name: value", "no_header": "Name"}); todo.

Placeholders: {http} {http6} {https} {https_expired} {https_wronghost}
{https_unknown} {https_port} {proxy} {proxy_refuse} {tftp} {s3_endpoint}
{gcs_endpoint}; {sha512:NAME} {sha256:NAME} (of a www file); {data:NAME}
(a www file as a base64 data: URL); {ca} (the test CA as a data: URL);
in `lines` also {config} (the config file's path).
"""

import argparse
import base64
import gzip
import hashlib
import json
import os
import re
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "files"))
import manifest  # noqa: E402
import servers  # noqa: E402
import testroot  # noqa: E402


def fill_www(www, subst):
    # Generated files first: the templates may name their hashes.
    with open(os.path.join(www, "random.bin"), "wb") as f:
        f.write(os.urandom(3 << 20))
    src = os.path.join(HERE, "www")
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name)) as f:
            text = f.read()
        with open(os.path.join(www, name), "w") as f:
            f.write(substitute(text, subst, www))
    with open(os.path.join(www, "hello.txt"), "rb") as f:
        data = f.read()
    with open(os.path.join(www, "hello.txt.gz"), "wb") as f:
        f.write(gzip.compress(data))
    with open(os.path.join(www, "truncated.gz"), "wb") as f:
        f.write(gzip.compress(data * 100)[:40])
    # Objects of the S3 and GCS servers.
    objects = {"bucket/public/hello.txt": b"public object\n", "bucket/secret.txt": b"secret object\n",
               "bucket/dir/with space.txt": b"object with a space\n", "bucket/versioned.txt": b"current\n",
               "bucket/versioned.txt.v-3HL4kqtJlcpXroDTDmJ": b"old version\n",
               "private/other.txt": b"other bucket\n"}
    for name, data in objects.items():
        os.makedirs(os.path.dirname(os.path.join(www, name)), exist_ok=True)
        with open(os.path.join(www, name), "wb") as f:
            f.write(data)


def substitute(text, subst, www):
    def repl(m):
        key = m.group(1)
        if ":" in key:
            kind, name = key.split(":", 1)
            with open(os.path.join(www, name), "rb") as f:
                data = f.read()
            if kind == "sha512":
                return hashlib.sha512(data).hexdigest()
            if kind == "sha256":
                return hashlib.sha256(data).hexdigest()
            if kind == "data":
                return "data:;base64," + base64.b64encode(data).decode()
            return m.group(0)
        return subst.get(key, m.group(0))
    return re.sub(r"\{([a-z0-9_]+(?::[A-Za-z0-9_./-]+)?)\}", repl, text)


def server_requests(url):
    with urllib.request.urlopen(url + "/requests", timeout=10) as r:
        return [json.loads(line) for line in r.read().decode().splitlines()]


def run_stages(a, case, scratch):
    """`ignis run --stage=S` for each stage in order, as the initramfs would,
    with the case's kernel command line; stops at the first that fails.
    Returns (the last status, all output)."""
    cmdline = os.path.join(scratch.top, "cmdline")
    with open(cmdline, "w") as f:
        f.write(case["cmdline"] + "\n")
    for d in ("cache", "console", "sysconfig"):
        os.mkdir(os.path.join(scratch.top, d))
    # No /etc/ignition or /usr/lib/ignition of the host.
    os.environ["IGNIS_SYSTEM_CONFIG_PREFIX"] = os.path.join(scratch.top, "sysconfig")
    status, output = 0, ""
    for stage in case["stages"]:
        argv = [a.ignis, "run", "--stage=" + stage, "--root=" + scratch.root,
                "--config-cache=" + os.path.join(scratch.top, "cache", "config.json"),
                "--cmdline-file=" + cmdline, "--console-dir=" + os.path.join(scratch.top, "console")]
        status, out = testroot.run_jailed(scratch, argv, timeout=case.get("timeout", 180))
        output += out
        if status != 0:
            break
    return status, output


def run_case(path, a, srv, subst, www):
    with open(path) as f:
        case = json.loads(substitute(f.read(), subst, www))
    name = os.path.basename(path)[:-5]
    scratch = testroot.Scratch("fetch-" + name)
    diags = []
    try:
        testroot.build_skeleton(scratch.root)
        with open(scratch.config, "w") as f:
            json.dump(case["config"], f)
        before = manifest.manifest(scratch.root, [(scratch.top, "$TOP")], [])
        env = dict(os.environ)
        env.update(srv.env())
        env.update(case.get("env", {}))
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            if "stages" in case:
                status, output = run_stages(a, case, scratch)
            else:
                argv = [a.ignis, "apply", "--root=" + scratch.root] + case.get("args", []) + [scratch.config]
                status, output = testroot.run_jailed(scratch, argv, timeout=case.get("timeout", 120))
        finally:
            os.environ.clear()
            os.environ.update(old)
        after = manifest.manifest(scratch.root, [(scratch.top, "$TOP")], [])

        want = case.get("exit", 0)
        if status != want:
            diags.append("exit status %d, expected %d" % (status, want))
        lines = output.splitlines()
        for line in case.get("lines", []):
            line = line.replace("{config}", scratch.config)
            if line not in lines:
                diags.append("missing line: %s" % line)
        for s in case.get("contains", []):
            if s not in output:
                diags.append("missing: %s" % s)
        for s in case.get("not_contains", []) + case.get("secrets", []):
            if s in output:
                diags.append("must not appear: %s" % s)
        for p, expect in case.get("files", {}).items():
            full = os.path.join(scratch.root, p.lstrip("/"))
            if expect is None:
                if os.path.lexists(full):
                    diags.append("%s exists, should not" % p)
                continue
            if not os.path.isfile(full):
                diags.append("%s missing" % p)
                continue
            with open(full, "rb") as f:
                data = f.read()
            if isinstance(expect, dict):
                with open(os.path.join(www, expect["sha512_of"]), "rb") as f:
                    ok = hashlib.sha512(f.read()).digest() == hashlib.sha512(data).digest()
            else:
                ok = data == expect.encode()
            if not ok:
                diags.append("%s: wrong contents (%d bytes)" % (p, len(data)))
        cache = os.path.join(scratch.top, "cache", "config.json")
        for text in case.get("cache_contains", []):
            if not os.path.isfile(cache) or text not in open(cache).read():
                diags.append("the cached config lacks: %s" % text)
        for text in case.get("cache_lacks", []):
            if os.path.isfile(cache) and text in open(cache).read():
                diags.append("the cached config holds: %s" % text)
        if case.get("nothing_written") and manifest.diff(before, after):
            diags.append("the root changed:\n" + "\n".join(manifest.diff(before, after)))
        for chk in case.get("requests", []):
            seen = [r for r in server_requests(subst[chk.get("server", "http")]) if r["path"] == chk["path"]]
            if not seen:
                diags.append("server %s never saw %s" % (chk.get("server", "http"), chk["path"]))
            for r in seen:
                hdrs = ["%s: %s" % (k, v) for k, v in r["headers"]]
                if "header" in chk and chk["header"] not in hdrs:
                    diags.append("%s lacked header %s" % (chk["path"], chk["header"]))
                if "no_header" in chk and any(k.lower() == chk["no_header"].lower() for k, _ in r["headers"]):
                    diags.append("%s carried header %s" % (chk["path"], chk["no_header"]))
        if diags:
            diags.append("output:\n" + output)
        return not diags, diags, case
    finally:
        scratch.remove()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignis", required=True)
    ap.add_argument("case", nargs="*")
    a = ap.parse_args()
    testroot.require_root()
    a.ignis, cleanup_bin = testroot.snapshot_binary(a.ignis)

    cases_dir = os.path.join(HERE, "cases")
    names = sorted(n[:-5] for n in os.listdir(cases_dir) if n.endswith(".json"))
    if a.case:
        names = [n for n in names if n in a.case]
    www_parent = testroot.Scratch("fetch-www")
    www = www_parent.root
    srv = servers.Servers(www, want=os.environ.get("FETCH_SERVERS", "http,https,proxy,tftp,s3,gcs").split(","))
    try:
        subst = dict(srv.urls)
        subst["www"] = www
        subst["http_port"] = srv.urls["http"].rsplit(":", 1)[1]
        with open(os.path.join(srv.pki, "ca.pem"), "rb") as f:
            subst["ca"] = "data:;base64," + base64.b64encode(f.read()).decode()
        fill_www(www, subst)
        with open(os.path.join(srv.pki, "ca.pem"), "rb") as f, open(os.path.join(www, "ca.pem"), "wb") as g:
            g.write(f.read())
        failed = 0
        for i, n in enumerate(names, 1):
            try:
                ok, diags, case = run_case(os.path.join(cases_dir, n + ".json"), a, srv, subst, www)
            except Exception as e:  # a broken case fails alone
                ok, diags, case = False, ["the case could not run: %r" % e], {}
            failed += testroot.tap_case(i, n, ok, case.get("description", ""), diags, todo=case.get("todo"))
        print("1..%d" % len(names))
        return testroot.tap_end(failed, len(names))
    finally:
        srv.stop()
        www_parent.remove()
        cleanup_bin()


if __name__ == "__main__":
    sys.exit(main())
