#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Filesystems, mounts and LUKS checks of the disks, mount and umount stages
on real loop devices (tests/storage/README.md). Needs root; skips otherwise.

A case is cases/NAME.json:

  {
    "description": "...",
    "requires": ["cryptsetup"],   (optional: tools the case's setup needs; skipped without)
    "devices": {"a": {"mb": 64, "setup": ["mkfs.ext4 -q -L old {dev}"]}},
    "config": { an Ignition config; "{a}" stands for device a's node },
    "steps": [
      {"stage": "disks" | "mount" | "umount" | "fetch-offline",
       "config": {...}            (optional: replaces the case's config from here on),
       "env": {"PATH": "/x"}      (optional: environment for ignis),
       "args": ["--device-timeout=1"]  (optional: more ignis run arguments),
       "exit": 0,                 (default 0)
       "output": ["substring", ...], "not_output": [...],
       "blkid": {"a": {"TYPE": "ext4", "LABEL": "x", "UUID": null}},   (null: absent)
       "unchanged": ["a"],        (byte-identical to before the step)
       "mounted": {"/var/data": {"source": "a", "fstype": "ext4", "options": ["noatime"]}},
       "not_mounted": ["/var/data"]},
      {"plan": "json" | "text",   `ignis plan [--json]` of the config instead of a stage,
       "volumes": [["reuse", "filesystem", "detail substring"], ...],
                                  (--json: the volumes array's action, object and
                                  a substring of the detail, in order),
       "destructive": [false, true, ...], "exit", "output", "unchanged" as above},
      {"sh": "shell command; {root}, {scratch} and {a} are replaced", "exit": 0}
    ]
  }

The runner runs in a private mount namespace (unshare -m): every mount a
case makes is invisible outside and gone when it ends. Every loop device is
created by the runner (losetup -f --show) and detached at the end.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files"))
import testroot  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class CaseError(Exception):
    pass


def sh(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def subst(obj, names):
    if isinstance(obj, str):
        for k, v in names.items():
            obj = obj.replace("{%s}" % k, v)
        return obj
    if isinstance(obj, list):
        return [subst(x, names) for x in obj]
    if isinstance(obj, dict):
        return {subst(k, names): subst(v, names) for k, v in obj.items()}
    return obj


def digest(dev):
    h = hashlib.sha256()
    with open(dev, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def blkid(dev):
    p = sh(["blkid", "-p", "-o", "export", dev])
    vals = {}
    for line in p.stdout.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            vals[k] = v
    return vals


def findmnt(target):
    p = subprocess.run(["findmnt", "-J", "-o", "TARGET,SOURCE,FSTYPE,OPTIONS", "--mountpoint", target],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        return None
    return json.loads(p.stdout)["filesystems"][-1]


class Case:
    def __init__(self, path, ignis):
        self.name = os.path.basename(path)[:-5]
        with open(path) as f:
            self.spec = json.load(f)
        self.ignis = ignis
        self.loops = []
        self.scratch = None

    def setup(self):
        self.scratch = tempfile.mkdtemp(prefix="ignis-storage-%s-" % self.name, dir="/var/tmp")
        self.root = os.path.join(self.scratch, "root")
        self.cache = os.path.join(self.scratch, "run", "config.json")
        os.makedirs(self.root)
        os.makedirs(os.path.dirname(self.cache), mode=0o700)
        with open(os.path.join(self.scratch, "cmdline"), "w") as f:
            f.write("ignition.firstboot ignition.platform.id=metal\n")
        self.names = {"root": self.root, "scratch": self.scratch}
        for key, d in self.spec.get("devices", {}).items():
            img = os.path.join(self.scratch, key + ".img")
            with open(img, "wb") as f:
                f.truncate(d.get("mb", 64) << 20)
            p = sh(["losetup", "-f", "--show", img])
            if p.returncode != 0:
                raise CaseError("losetup: " + p.stdout)
            dev = p.stdout.strip()
            self.loops.append(dev)
            self.names[key] = dev
        for key, d in self.spec.get("devices", {}).items():
            for cmd in d.get("setup", []):
                p = sh(["sh", "-ec", subst(cmd, dict(self.names, dev=self.names[key]))])
                if p.returncode != 0:
                    raise CaseError("device %s setup %r failed:\n%s" % (key, cmd, p.stdout))

    def cleanup(self):
        if self.scratch:
            # Deepest mounts first.
            p = sh(["findmnt", "-rn", "-o", "TARGET"])
            mine = [t for t in p.stdout.splitlines() if t.startswith(self.scratch + "/")]
            for t in sorted(mine, key=len, reverse=True):
                sh(["umount", "-l", t])
        for dev in self.loops:
            sh(["partx", "-d", dev])
            sh(["losetup", "-d", dev])
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def write_cache(self, config):
        with open(self.cache, "w") as f:
            json.dump(subst(config, self.names), f)
        with open(os.path.join(os.path.dirname(self.cache), "state.json"), "w") as f:
            f.write('{"userConfigProvided": true}\n')

    def run_stage(self, stage, config, extra_env=None, args=()):
        argv = [self.ignis, "run", "--stage=" + stage, "--config-cache=" + self.cache,
                "--cmdline-file=" + os.path.join(self.scratch, "cmdline"), "--console-dir=",
                "--root=" + self.root] + list(args)
        env = dict(os.environ, **(extra_env or {}))
        if stage == "fetch-offline":
            # The config comes from the system config directory.
            sysdir = os.path.join(self.scratch, "sysconf")
            os.makedirs(os.path.join(sysdir, "usr/lib/ignition"), exist_ok=True)
            with open(os.path.join(sysdir, "usr/lib/ignition/user.ign"), "w") as f:
                json.dump(subst(config, self.names), f)
            env["IGNIS_SYSTEM_CONFIG_PREFIX"] = sysdir
        else:
            self.write_cache(config)
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                              timeout=300)

    def run_plan(self, config, as_json):
        path = os.path.join(self.scratch, "plan.json")
        with open(path, "w") as f:
            json.dump(subst(config, self.names), f)
        argv = [self.ignis, "plan"] + (["--json"] if as_json else []) + [path]
        # stdout (the plan) first, then what was logged: the JSON parses
        # from the first brace.
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
        p.stdout = p.stdout + p.stderr
        return p

    def run(self):
        diags = []
        config = self.spec.get("config")
        for i, step in enumerate(self.spec["steps"]):
            step = subst(step, self.names)
            where = "step %d (%s)" % (i, step.get("stage") or ("plan" if "plan" in step else "sh"))
            before = {k: digest(self.names[k]) for k in step.get("unchanged", [])}
            if "config" in step:
                config = step["config"]
            if "sh" in step:
                p = sh(["sh", "-ec", step["sh"]])
            elif "plan" in step:
                p = self.run_plan(config, step["plan"] == "json")
            else:
                p = self.run_stage(step["stage"], config, step.get("env"), step.get("args", ()))
            out = p.stdout
            want = step.get("exit", 0)
            if p.returncode != want:
                diags.append("%s: exit %d, wanted %d" % (where, p.returncode, want))
            for s in step.get("output", []):
                if s not in out:
                    diags.append("%s: output lacks %r" % (where, s))
            for s in step.get("not_output", []):
                if s in out:
                    diags.append("%s: output has %r" % (where, s))
            if "volumes" in step:
                try:
                    vols = json.JSONDecoder().raw_decode(out[out.index("{"):])[0]["volumes"]
                except ValueError as e:
                    vols = []
                    diags.append("%s: no JSON plan (%s)" % (where, e))
                have = [[v["action"], v["object"]] for v in vols]
                want = [w[:2] for w in step["volumes"]]
                if have != want:
                    diags.append("%s: plan volumes %s, wanted %s" % (where, have, want))
                else:
                    for v, w in zip(vols, step["volumes"]):
                        if len(w) > 2 and w[2] not in v["detail"]:
                            diags.append("%s: plan detail %r lacks %r" % (where, v["detail"], w[2]))
                if "destructive" in step and [v["destructive"] for v in vols] != step["destructive"]:
                    diags.append("%s: plan destructive %s, wanted %s" % (where, [v["destructive"] for v in vols],
                                                                         step["destructive"]))
            for k, h in before.items():
                if digest(self.names[k]) != h:
                    diags.append("%s: device %s changed" % (where, k))
            for k, want_vals in step.get("blkid", {}).items():
                have = blkid(self.names[k])
                for field, v in want_vals.items():
                    if have.get(field) != v:
                        diags.append("%s: device %s %s=%r, wanted %r" % (where, k, field, have.get(field), v))
            for path, m in step.get("mounted", {}).items():
                have = findmnt(self.root + path)
                if not have:
                    diags.append("%s: nothing mounted on %s" % (where, path))
                    continue
                if "source" in m and have["source"] != self.names[m["source"]]:
                    diags.append("%s: %s is %s, wanted %s" % (where, path, have["source"], self.names[m["source"]]))
                if "fstype" in m and have["fstype"] != m["fstype"]:
                    diags.append("%s: %s is %s, wanted %s" % (where, path, have["fstype"], m["fstype"]))
                for o in m.get("options", []):
                    if o not in have["options"].split(","):
                        diags.append("%s: %s options %s lack %s" % (where, path, have["options"], o))
            for path in step.get("not_mounted", []):
                if findmnt(self.root + path):
                    diags.append("%s: %s is still mounted" % (where, path))
            if diags:
                diags.append("%s output:\n%s" % (where, out))
                break
        return diags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignis", required=True)
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    testroot.require_root()
    if os.environ.get("IGNIS_STORAGE_NS") != "1":
        # Mounts stay in a namespace of our own.
        env = dict(os.environ, IGNIS_STORAGE_NS="1")
        os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", sys.executable,
                               os.path.abspath(__file__)] + sys.argv[1:], env)
    missing = [t for t in ("losetup", "blkid", "findmnt", "mkfs.ext4", "mkfs.xfs", "mkfs.btrfs", "mkfs.fat",
                           "mkswap") if not shutil.which(t)]
    if missing:
        print("1..0 # SKIP missing tools: " + " ".join(missing))
        return 0
    files = sorted(f for f in os.listdir(os.path.join(HERE, "cases")) if f.endswith(".json"))
    if a.cases:
        files = [f for f in files if f[:-5] in a.cases]
    ignis, cleanup = testroot.snapshot_binary(os.path.abspath(a.ignis))
    failed = 0
    print("1..%d" % len(files))
    try:
        for n, f in enumerate(files, 1):
            c = Case(os.path.join(HERE, "cases", f), ignis)
            lacking = [t for t in c.spec.get("requires", []) if not shutil.which(t)]
            if lacking:
                print("ok %d - %s # SKIP %s not installed" % (n, c.name, " ".join(lacking)))
                continue
            try:
                c.setup()
                diags = c.run()
            except (CaseError, OSError, subprocess.TimeoutExpired) as e:
                diags = [str(e)]
            finally:
                c.cleanup()
            failed += testroot.tap_case(n, c.name, not diags, c.spec.get("description", ""), diags)
    finally:
        cleanup()
    return testroot.tap_end(failed, len(files))


if __name__ == "__main__":
    sys.exit(main())
