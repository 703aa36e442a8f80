#!/usr/bin/python3
"""Validate ignis example/test configs against config-spec/*.schema.json.

Run with /usr/bin/python3 (needs python3-jsonschema).  Output is TAP.

    tests/schema/check-examples.py [--ignis PATH] [--ignition-validate PATH]
                                   [--schema-dir DIR] [FILE ...]

Without FILE arguments, checks examples/*.json and tests/config/valid/*.json
(if that directory exists).  For every config:

  * the schema is chosen from its ignition.version and must accept it;
  * every data: URL that carries verification.hash must really hash to it;
  * with --ignis, `PATH validate FILE` must exit 0;
  * with --ignition-validate (e.g. Debian's /usr/bin/ignition-validate, which
    knows specs <= 3.3.0), configs of those versions must pass it too.

Self-checks make sure the checker cannot silently pass: a set of deliberately
broken configs embedded below must be rejected by the schemas (and, with
--ignis / --ignition-validate, the ones that are errors in Ignition must be
rejected by those tools too), a set of tricky valid ones must be accepted,
and config-spec/gen-schemas.py --check must report the schemas up to date.
"""

import argparse
import base64
import copy
import glob
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

try:
    import jsonschema
except ImportError:  # pragma: no cover
    print("1..0 # SKIP python3-jsonschema missing (run with /usr/bin/python3)")
    sys.exit(1)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Versions Debian's ignition-validate 2.14 understands.
OLD_VALIDATOR_VERSIONS = {"3.0.0", "3.1.0", "3.2.0", "3.3.0"}
# Versions with a schema; anything else is unsupported by every tool.
KNOWN_VERSIONS = {"3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0",
                  "3.7.0-experimental"}


# --------------------------------------------------------------------------
# TAP helpers
# --------------------------------------------------------------------------

class Tap:
    def __init__(self):
        self.results = []  # (ok, name, [diag lines], skip reason)

    def add(self, ok, name, diag=(), skip=None):
        self.results.append((ok, name, list(diag), skip))

    def emit(self):
        print("1..%d" % len(self.results))
        failed = 0
        for n, (ok, name, diag, skip) in enumerate(self.results, 1):
            line = "%s %d - %s" % ("ok" if ok else "not ok", n, name)
            if skip:
                line += " # SKIP " + skip
            print(line)
            for d in diag:
                for sub in str(d).splitlines() or [""]:
                    print("# " + sub)
            if not ok:
                failed += 1
        if failed:
            print("# %d of %d checks failed" % (failed, len(self.results)))
        return failed


# --------------------------------------------------------------------------
# Schema handling
# --------------------------------------------------------------------------

def schema_name(version):
    return "v" + version.replace(".", "_").replace("-", "_") + ".schema.json"


class Schemas:
    def __init__(self, directory):
        self.dir = directory
        self.cache = {}

    def validator(self, version):
        if not isinstance(version, str):
            raise KeyError("ignition.version missing or not a string")
        path = os.path.join(self.dir, schema_name(version))
        if not os.path.exists(path):
            raise KeyError("no schema for version %r (%s)" % (version, os.path.relpath(path, ROOT)))
        if path not in self.cache:
            with open(path, encoding="utf-8") as fh:
                schema = json.load(fh)
            jsonschema.Draft202012Validator.check_schema(schema)
            self.cache[path] = jsonschema.Draft202012Validator(schema)
        return self.cache[path]

    def errors(self, cfg):
        """Return a list of error strings (empty = valid)."""
        if not isinstance(cfg, dict):
            return ["config is not a JSON object"]
        ign = cfg.get("ignition")
        version = ign.get("version") if isinstance(ign, dict) else None
        try:
            v = self.validator(version)
        except KeyError as e:
            return [str(e.args[0])]
        out = []
        for err in sorted(v.iter_errors(cfg), key=lambda e: list(e.absolute_path)):
            where = "$" + "".join("[%d]" % p if isinstance(p, int) else ".%s" % p
                                  for p in err.absolute_path)
            msg = err.message
            if len(msg) > 300:
                msg = msg[:300] + "..."
            out.append("%s: %s" % (where, msg))
        return out


# --------------------------------------------------------------------------
# data: URL hash verification
# --------------------------------------------------------------------------

def decode_data_url(url):
    head, _, payload = url[5:].partition(",")
    if head.lower().endswith(";base64"):
        return base64.b64decode(urllib.parse.unquote(payload), validate=False)
    return urllib.parse.unquote_to_bytes(payload)


def iter_resources(cfg):
    """Yield (json-path, resource-dict) for every resource in a config."""
    ign = cfg.get("ignition") or {}
    conf = ign.get("config") or {}
    for i, r in enumerate(conf.get("merge") or []):
        yield "$.ignition.config.merge[%d]" % i, r
    if conf.get("replace"):
        yield "$.ignition.config.replace", conf["replace"]
    tls = ((ign.get("security") or {}).get("tls") or {})
    for i, r in enumerate(tls.get("certificateAuthorities") or []):
        yield "$.ignition.security.tls.certificateAuthorities[%d]" % i, r
    storage = cfg.get("storage") or {}
    for i, f in enumerate(storage.get("files") or []):
        if f.get("contents"):
            yield "$.storage.files[%d].contents" % i, f["contents"]
        for j, r in enumerate(f.get("append") or []):
            yield "$.storage.files[%d].append[%d]" % (i, j), r
    for i, l in enumerate(storage.get("luks") or []):
        if l.get("keyFile"):
            yield "$.storage.luks[%d].keyFile" % i, l["keyFile"]


def hash_problems(cfg):
    """Return (number of data: URLs with a hash, list of problems)."""
    checked, problems = 0, []
    for where, res in iter_resources(cfg):
        if not isinstance(res, dict):
            continue
        src = res.get("source")
        want = (res.get("verification") or {}).get("hash")
        if not (isinstance(src, str) and src[:5].lower() == "data:" and want):
            continue
        checked += 1
        try:
            raw = decode_data_url(src)
            if res.get("compression") == "gzip":
                raw = gzip.decompress(raw)
        except Exception as e:  # noqa: BLE001 - report any decode failure
            problems.append("%s: cannot decode data URL: %s" % (where, e))
            continue
        func, _, hexdigest = want.partition("-")
        if func not in ("sha512", "sha256"):
            problems.append("%s: unknown hash function %r" % (where, func))
            continue
        got = hashlib.new(func, raw).hexdigest()
        if got != hexdigest.lower():
            problems.append("%s: %s mismatch: config says %s, data hashes to %s"
                            % (where, func, hexdigest, got))
    return checked, problems


# --------------------------------------------------------------------------
# Self-check corpus
# --------------------------------------------------------------------------

SHA512_A = hashlib.sha512(b"a").hexdigest()
SHA256_A = hashlib.sha256(b"a").hexdigest()


def cfg(version, **sections):
    c = {"ignition": {"version": version}}
    for k, v in sections.items():
        if k == "ign":
            c["ignition"].update(v)
        else:
            c[k] = v
    return c


def files(*entries):
    return {"files": list(entries)}


def luks(**kw):
    d = {"name": "data", "device": "/dev/vdb"}
    d.update(kw)
    return {"luks": [d]}


# (name, config, is_error_in_ignition)
# is_error_in_ignition=False marks things Ignition only warns about (unknown
# keys); the schema must still reject them, but ignis/ignition-validate are
# expected to exit 0 there, so those tools are not consulted.
INVALID = [
    ("version that is not semver",
     {"ignition": {"version": "3.3"}}, True),
    ("unsupported version 2.3.0",
     {"ignition": {"version": "2.3.0"}}, True),
    ("old experimental version 3.6.0-experimental",
     {"ignition": {"version": "3.6.0-experimental"}}, True),
    ("unknown top-level key",
     dict(cfg("3.3.0"), storrage={}), False),
    ("unknown key in a file entry",
     cfg("3.4.0", storage=files({"path": "/etc/x", "permissions": 420})), False),
    ("mode 99999",
     cfg("3.3.0", storage=files({"path": "/etc/x", "mode": 99999})), True),
    ("negative mode",
     cfg("3.6.0", storage=files({"path": "/etc/x", "mode": -1})), True),
    ("mode as a string",
     cfg("3.3.0", storage=files({"path": "/etc/x", "mode": "0644"})), True),
    ("bad hash (too short)",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {
         "source": "data:,a", "verification": {"hash": "sha512-abcdef"}}})), True),
    ("bad hash function md5",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {
         "source": "data:,a", "verification": {"hash": "md5-0cc175b9c0f1b6a831c399e269772661"}}})), True),
    ("sha256 hash in 3.0.0",
     cfg("3.0.0", storage=files({"path": "/etc/x", "contents": {
         "source": "data:,a", "verification": {"hash": "sha256-" + SHA256_A}}})), True),
    ("verification without source",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {
         "verification": {"hash": "sha512-" + SHA512_A}}})), True),
    ("relative file path",
     cfg("3.3.0", storage=files({"path": "etc/x"})), True),
    ("unclean path",
     cfg("3.3.0", storage=files({"path": "/etc/../x"})), True),
    ("trailing slash in directory path",
     cfg("3.3.0", storage={"directories": [{"path": "/srv/"}]}), True),
    ("overwrite without contents.source",
     cfg("3.3.0", storage=files({"path": "/etc/x", "overwrite": True})), True),
    ("owner with both id and name",
     cfg("3.3.0", storage=files({"path": "/etc/x", "user": {"id": 0, "name": "root"}})), True),
    ("link without target",
     cfg("3.3.0", storage={"links": [{"path": "/etc/x"}]}), True),
    ("link with empty target",
     cfg("3.3.0", storage={"links": [{"path": "/etc/x", "target": ""}]}), True),
    ("unsupported URL scheme ftp",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {"source": "ftp://h/x"}})), True),
    ("gs:// in 3.1.0",
     cfg("3.1.0", storage=files({"path": "/etc/x", "contents": {"source": "gs://b/o"}})), True),
    ("arn: in 3.3.0",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {"source": "arn:aws:s3:::b/k"}})), True),
    ("malformed data URL",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {"source": "data:abc"}})), True),
    ("empty s3 versionId",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {"source": "s3://b/k?versionId="}})), True),
    ("merge entry without source",
     cfg("3.3.0", ign={"config": {"merge": [{"source": ""}]}}), True),
    ("compression xz",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {"source": "data:,a", "compression": "xz"}})), True),
    ("compression on merge in 3.0.0",
     cfg("3.0.0", ign={"config": {"merge": [{"source": "https://h/c", "compression": "gzip"}]}}), False),
    ("httpHeaders on a data: source",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {
         "source": "data:,a", "httpHeaders": [{"name": "A", "value": "b"}]}})), True),
    ("httpHeader with empty value",
     cfg("3.3.0", storage=files({"path": "/etc/x", "contents": {
         "source": "https://h/x", "httpHeaders": [{"name": "A", "value": ""}]}})), True),
    ("proxy in 3.0.0",
     cfg("3.0.0", ign={"proxy": {"httpProxy": "http://p:3128"}}), False),
    ("empty httpProxy",
     cfg("3.3.0", ign={"proxy": {"httpProxy": ""}}), True),
    ("duplicate ssh key",
     cfg("3.3.0", passwd={"users": [{"name": "a", "sshAuthorizedKeys": ["k", "k"]}]}), True),
    ("user shouldExist in 3.1.0",
     cfg("3.1.0", passwd={"users": [{"name": "a", "shouldExist": False}]}), False),
    ("unit without type suffix",
     cfg("3.3.0", systemd={"units": [{"name": "nginx"}]}), True),
    ("unit with unknown suffix",
     cfg("3.3.0", systemd={"units": [{"name": "nginx.conf"}]}), True),
    ("drop-in not ending in .conf",
     cfg("3.3.0", systemd={"units": [{"name": "a.service", "dropins": [{"name": "x.ini"}]}]}), True),
    ("partition label 37 characters",
     cfg("3.3.0", storage={"disks": [{"device": "/dev/vda", "partitions": [{"label": "x" * 37}]}]}), True),
    ("partition label with colon",
     cfg("3.3.0", storage={"disks": [{"device": "/dev/vda", "partitions": [{"label": "a:b"}]}]}), True),
    ("partition without number or label",
     cfg("3.3.0", storage={"disks": [{"device": "/dev/vda", "partitions": [{"sizeMiB": 5}]}]}), True),
    ("bad partition GUID",
     cfg("3.3.0", storage={"disks": [{"device": "/dev/vda", "partitions": [{"number": 1, "guid": "xyz"}]}]}), True),
    ("shouldExist false with size",
     cfg("3.3.0", storage={"disks": [{"device": "/dev/vda", "partitions": [
         {"number": 1, "shouldExist": False, "sizeMiB": 10}]}]}), True),
    ("partition resize in 3.1.0",
     cfg("3.1.0", storage={"disks": [{"device": "/dev/vda", "partitions": [{"number": 1, "resize": True}]}]}), False),
    ("raid without level",
     cfg("3.3.0", storage={"raid": [{"name": "md0", "devices": ["/dev/vda"]}]}), True),
    ("raid level raid7",
     cfg("3.3.0", storage={"raid": [{"name": "md0", "level": "raid7", "devices": ["/dev/vda"]}]}), True),
    ("raid with empty devices",
     cfg("3.3.0", storage={"raid": [{"name": "md0", "level": "raid1", "devices": []}]}), True),
    ("spares on raid0",
     cfg("3.3.0", storage={"raid": [{"name": "md0", "level": "raid0", "devices": ["/dev/a"], "spares": 1}]}), True),
    ("filesystem format none in 3.2.0",
     cfg("3.2.0", storage={"filesystems": [{"device": "/dev/vda", "format": "none"}]}), True),
    ("filesystem format zfs",
     cfg("3.3.0", storage={"filesystems": [{"device": "/dev/vda", "format": "zfs"}]}), True),
    ("filesystem label without format",
     cfg("3.3.0", storage={"filesystems": [{"device": "/dev/vda", "label": "x"}]}), True),
    ("xfs label 13 characters",
     cfg("3.3.0", storage={"filesystems": [{"device": "/dev/vda", "format": "xfs", "label": "x" * 13}]}), True),
    ("mountOptions in 3.0.0",
     cfg("3.0.0", storage={"filesystems": [{"device": "/dev/vda", "format": "ext4", "mountOptions": ["ro"]}]}), False),
    ("virtiofs in 3.6.0",
     cfg("3.6.0", storage={"filesystems": [{"device": "share", "format": "virtiofs"}]}), True),
    ("virtiofs with a label",
     cfg("3.7.0-experimental", storage={"filesystems": [{"device": "share", "format": "virtiofs", "label": "x"}]}), True),
    ("virtiofs tag of 37 characters",
     cfg("3.7.0-experimental", storage={"filesystems": [{"device": "t" * 37, "format": "virtiofs"}]}), True),
    ("non-virtiofs filesystem with a tag as device",
     cfg("3.7.0-experimental", storage={"filesystems": [{"device": "share", "format": "ext4"}]}), True),
    ("luks in 3.1.0",
     cfg("3.1.0", storage=luks()), False),
    ("luks without device",
     cfg("3.3.0", storage={"luks": [{"name": "data"}]}), True),
    ("luks name with slash",
     cfg("3.3.0", storage=luks(name="a/b")), True),
    ("luks label 48 characters",
     cfg("3.3.0", storage=luks(label="l" * 48)), True),
    ("tang without thumbprint",
     cfg("3.3.0", storage=luks(clevis={"tang": [{"url": "http://tang"}]})), True),
    ("tang with ftp url",
     cfg("3.3.0", storage=luks(clevis={"tang": [{"url": "ftp://tang", "thumbprint": "x"}]})), True),
    ("custom clevis with tpm2",
     cfg("3.3.0", storage=luks(clevis={"tpm2": True, "custom": {"pin": "tpm2", "config": "{}"}})), True),
    ("custom clevis needsNetwork without pin",
     cfg("3.3.0", storage=luks(clevis={"custom": {"needsNetwork": True}})), True),
    ("custom clevis pin foo before 3.6.0",
     cfg("3.5.0", storage=luks(clevis={"custom": {"pin": "foo", "config": "{}"}})), True),
    ("luks discard in 3.3.0",
     cfg("3.3.0", storage=luks(discard=True)), False),
    ("cex in 3.4.0",
     cfg("3.4.0", storage=luks(cex={"enabled": True})), False),
    ("cex with tpm2",
     cfg("3.5.0", storage=luks(cex={"enabled": True}, clevis={"tpm2": True})), True),
    ("cex with keyFile",
     cfg("3.5.0", storage=luks(cex={"enabled": True}, keyFile={"source": "data:,k"})), True),
    ("kernelArguments in 3.2.0",
     cfg("3.2.0", kernelArguments={"shouldExist": ["quiet"]}), False),
    ("duplicate kernel argument",
     cfg("3.3.0", kernelArguments={"shouldExist": ["quiet", "quiet"]}), True),
    ("required value given as null",
     cfg("3.3.0", storage=files({"path": None})), True),
    ("config is a list",
     [cfg("3.3.0")], True),
]

VALID = [
    ("null for every optional value",
     {"ignition": {"version": "3.3.0", "config": None, "timeouts": {"httpTotal": None},
                   "security": None, "proxy": None},
      "storage": {"files": [{"path": "/a", "mode": None, "contents": None, "user": None,
                             "group": {"id": None, "name": None}, "append": None}],
                  "luks": None},
      "systemd": None, "passwd": None, "kernelArguments": None}),
    ("Go-style empty objects (replace without source)",
     {"ignition": {"version": "3.4.0", "config": {"replace": {"verification": {}}},
                   "proxy": {}, "security": {"tls": {}}, "timeouts": {}},
      "storage": {"files": [{"path": "/a", "contents": {"verification": {}},
                             "user": {}, "group": {}}],
                  "luks": [{"name": "x", "device": "/dev/vdb", "clevis": {"custom": {}},
                            "keyFile": {"verification": {}}}]}}),
    ("empty cex object in 3.5.0",
     cfg("3.5.0", storage=luks(cex={}, clevis={"custom": {}, "tang": []}))),
    ("empty source means empty file, overwrite allowed",
     cfg("3.3.0", storage=files({"path": "/etc/x", "overwrite": True, "contents": {"source": ""}}))),
    ("mode 4095 (special bits) in 3.3.0 is only a warning",
     cfg("3.3.0", storage=files({"path": "/etc/x", "mode": 4095}))),
    ("custom clevis pin foo in 3.6.0",
     cfg("3.6.0", storage=luks(clevis={"custom": {"pin": "foo", "config": "{}"}}))),
    ("upper-case scheme, gzip and a value-less header on an https merge",
     cfg("3.1.0", ign={"config": {"merge": [{"source": "HTTPS://h/c", "compression": "gzip",
                                             "httpHeaders": [{"name": "A"}]}]}})),
    ("arn access point and versioned s3",
     cfg("3.4.0", storage=files(
         {"path": "/a", "contents": {"source": "arn:aws:s3:us-east-1:1:accesspoint/ap/object/k"}},
         {"path": "/b", "contents": {"source": "s3://bucket/key?versionId=abc"}}))),
    ("format none with label in 3.3.0",
     cfg("3.3.0", storage={"filesystems": [{"device": "/dev/vda", "format": "none", "label": "whatever-long-label"}]})),
    ("partition by label only, number 0",
     cfg("3.0.0", storage={"disks": [{"device": "/dev/vda", "partitions": [{"number": 0, "label": "x"}]}]})),
    ("virtiofs with path and mountOptions",
     cfg("3.7.0-experimental", storage={"filesystems": [{"device": "tag", "format": "virtiofs",
                                                         "path": "/mnt", "mountOptions": ["ro"]}]})),
    ("root directory path",
     cfg("3.0.0", storage={"directories": [{"path": "/"}]})),
]


# --------------------------------------------------------------------------
# External tools
# --------------------------------------------------------------------------

def run_tool(argv):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def write_temp(config):
    fd, path = tempfile.mkstemp(prefix="ignis-schema-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(config, fh)
    return path


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def default_files():
    out = sorted(glob.glob(os.path.join(ROOT, "examples", "*.json")))
    valid_dir = os.path.join(ROOT, "tests", "config", "valid")
    if os.path.isdir(valid_dir):
        # The schemas describe configs ignis takes without a warning; valid
        # cases that expect warnings (a sibling .out) are warning tests.
        out += sorted(p for p in glob.glob(os.path.join(valid_dir, "*.json"))
                      if not os.path.exists(p[:-len(".json")] + ".out"))
    return out


def display(path):
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return path if rel.startswith("..") else rel


def main():
    ap = argparse.ArgumentParser(description="Validate configs against the ignis schemas (TAP).")
    ap.add_argument("files", nargs="*", help="configs to check (default: examples/*.json, "
                    "tests/config/valid/*.json)")
    ap.add_argument("--ignis", metavar="PATH", help="also require `PATH validate FILE` to exit 0")
    ap.add_argument("--ignition-validate", metavar="PATH",
                    help="also check configs of spec <= 3.3.0 with this ignition-validate")
    ap.add_argument("--schema-dir", default=os.path.join(ROOT, "config-spec"))
    ap.add_argument("--no-self-check", action="store_true",
                    help="skip the embedded positive/negative self-checks")
    args = ap.parse_args()

    tap = Tap()
    schemas = Schemas(args.schema_dir)
    paths = args.files or default_files()
    if not paths:
        tap.add(False, "found configs to check", ["no examples/*.json found"])

    # ---- the configs ---------------------------------------------------
    for path in paths:
        name = display(path)
        try:
            with open(path, encoding="utf-8") as fh:
                config = json.load(fh)
        except (OSError, ValueError) as e:
            tap.add(False, "schema: %s" % name, ["cannot load: %s" % e])
            continue
        errs = schemas.errors(config)
        tap.add(not errs, "schema: %s" % name, errs[:10])

        if isinstance(config, dict):
            checked, problems = hash_problems(config)
            if checked:
                tap.add(not problems, "data-url hashes: %s (%d)" % (name, checked), problems)

        version = (config.get("ignition") or {}).get("version") if isinstance(config, dict) else None
        if args.ignis:
            rc, out = run_tool([args.ignis, "validate", path])
            tap.add(rc == 0, "ignis validate: %s" % name,
                    ([] if rc == 0 else ["exit status %s" % rc]) + ([out] if rc != 0 and out else []))
        if args.ignition_validate and version in OLD_VALIDATOR_VERSIONS:
            rc, out = run_tool([args.ignition_validate, path])
            tap.add(rc == 0, "ignition-validate: %s" % name,
                    ([] if rc == 0 else ["exit status %s" % rc]) + ([out] if out else []))

    # ---- self-checks ---------------------------------------------------
    if not args.no_self_check:
        for label, config, is_error in INVALID:
            errs = schemas.errors(config)
            tap.add(bool(errs), "schema rejects: %s" % label,
                    [] if errs else ["schema accepted a config it must reject:",
                                     json.dumps(config)])
            tools = []
            if args.ignis and is_error:
                tools.append(("ignis", [args.ignis, "validate"]))
            version = (config.get("ignition") or {}).get("version") if isinstance(config, dict) else None
            if args.ignition_validate and is_error and (
                    version in OLD_VALIDATOR_VERSIONS or version not in KNOWN_VERSIONS):
                tools.append(("ignition-validate", [args.ignition_validate]))
            for tool, argv in tools:
                tmp = write_temp(config)
                try:
                    rc, out = run_tool(argv + [tmp])
                finally:
                    os.unlink(tmp)
                tap.add(rc not in (0, None), "%s rejects: %s" % (tool, label),
                        [] if rc not in (0, None) else
                        ["exit status %s for a config that must be an error" % rc, json.dumps(config)])
        for label, config in VALID:
            errs = schemas.errors(config)
            tap.add(not errs, "schema accepts: %s" % label, errs[:10])
            version = config["ignition"]["version"]
            tools = []
            if args.ignis:
                tools.append(("ignis", [args.ignis, "validate"]))
            if args.ignition_validate and version in OLD_VALIDATOR_VERSIONS:
                tools.append(("ignition-validate", [args.ignition_validate]))
            for tool, argv in tools:
                tmp = write_temp(config)
                try:
                    rc, out = run_tool(argv + [tmp])
                finally:
                    os.unlink(tmp)
                tap.add(rc == 0, "%s accepts: %s" % (tool, label),
                        [] if rc == 0 else ["exit status %s" % rc, out])

        # every schema pins its own version: it accepts a minimal config of
        # that version and rejects the same config labelled with another one
        names = sorted(glob.glob(os.path.join(args.schema_dir, "v*.schema.json")))
        if not names:
            tap.add(False, "schemas found", ["no v*.schema.json in %s" % args.schema_dir])
        versions = []
        for n in names:
            with open(n, encoding="utf-8") as fh:
                const = json.load(fh)["properties"]["ignition"]["properties"]["version"].get("const")
            versions.append((n, const))
        for i, (n, const) in enumerate(versions):
            v = jsonschema.Draft202012Validator(json.load(open(n, encoding="utf-8")))
            ok_own = isinstance(const, str) and v.is_valid({"ignition": {"version": const}})
            tap.add(ok_own, "%s accepts a minimal %s config" % (os.path.basename(n), const))
            other = versions[i - 1][1] if i else versions[-1][1]
            rejects = not v.is_valid({"ignition": {"version": other}})
            tap.add(rejects and other != const,
                    "%s rejects version %s" % (os.path.basename(n), other))

        gen = os.path.join(args.schema_dir, "gen-schemas.py")
        if os.path.exists(gen):
            rc, out = run_tool([sys.executable, gen, "--check", "--outdir", args.schema_dir])
            tap.add(rc == 0, "config-spec generated files are up to date",
                    [] if rc == 0 else [out, "run: config-spec/gen-schemas.py"])

    return 1 if tap.emit() else 0


if __name__ == "__main__":
    sys.exit(main())
