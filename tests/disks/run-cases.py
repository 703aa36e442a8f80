#!/usr/bin/python3
"""Runs the partition cases (tests/disks/cases/*.json) against real disk
images and loop devices.

    run-cases.py --ignis build/src/ignis [--cases DIR] [--keep] [CASE...]

Needs root (loop devices, BLKPG) and sfdisk; prints TAP, one line per case.

A case is one JSON file:

  description   one line
  size_mib      the image's size (default 100)
  table         an sfdisk script applied to the image first (the existing
                table); absent: a blank image
  sgdisk        instead of/after table: arguments for one sgdisk run on the
                image (layouts sfdisk will not make, e.g. unaligned starts)
  version       the config's spec version (default 3.3.0)
  disk          storage.disks[0] without "device" (filled in by the runner)
  loop          true: the disk is a loop device (losetup), its existing
                partitions made known to the kernel with partx first, and
                after the run the kernel's view (/sys/class/block) must match
                the expected table
  sector_size   (loop only) the loop device's logical sector size (4096);
                the tables are then read from the loop device
  mount         (loop only) a partition number: ext4 is made on it and it is
                mounted during the run
  plan          the actions `ignis plan --json` must list, in order:
                [["keep", 1], ["create", 2], ...]
  expect        the table afterwards: {"partitions": [{"n", "start", "size",
                "type", "name", "uuid"}...], "firstlba": N}; "type" defaults
                to Linux filesystem, "name" to none, "uuid" is only checked
                when given; {"table": null}: no partition table at all
  unchanged     true: the image must be byte-identical after the run
  error         substrings the failing run must print (then the image must be
                byte-identical, and `ignis plan` must fail the same way)
  rerun         false: skip the check that a second run changes nothing
  device        the config names this device instead of the image (a disk
                that never appears); device_timeout: --device-timeout
  link          the config names TOP/by-id/disk, a symlink to the disk (as
                /dev/disk/by-id/... would be); appear_after: the link is
                made only that many seconds after the stage started; the
                stage must have pinned the disk under the cache directory's
                dev-aliases/ (a link to the disk itself)
  plan_text     substrings of `ignis plan` without --json
  output        substrings the (successful) stage must print
  mkfs          filesystems made on the image before the run:
                [{"part": N, "format": "ext4", "args": ["-L", "old"]}...];
                part 0 is the whole image (made before the table), N the
                partition N of the table (through a loop device limited to
                its bytes)
  filesystems   storage.filesystems, each "device" with {disk} standing for
                the disk (the image or the loop device): "{disk}p1" is
                partition 1 (the loop device's node; for an image a name the
                stage reads as its partition 1)
  luks          storage.luks, "device" as in filesystems
  volumes       the filesystem steps `ignis plan --json` must list, in
                order: [["reuse", "$.storage.filesystems[0]"], ...]
  blkid         (loop only) what `blkid -p` must find afterwards, by
                partition: {"1": {"TYPE": "ext4", "LABEL": "old"}} ("0": the disk)
  ignition_writes  (ignition-diff.py) Ignition 2.14 refuses this config only
                after it has written the table: its image is not compared
  ignition_accepts (ignition-diff.py) a deliberate difference: ignis refuses,
                Ignition 2.14 runs the config (and destroys what it made)
  ignition_skip (ignition-diff.py) not run with Ignition (it would wait for
                a /dev/disk/by-* link or a partition node its jail lacks)
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files"))
from testroot import tap_case, tap_end  # noqa: E402

LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"


class Fail(Exception):
    pass


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def table_of(img):
    r = run(["sfdisk", "-J", img])
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)["partitiontable"]


def check_table(img, expect, diags):
    t = table_of(img)
    if "table" in expect and expect["table"] is None:
        if t is not None:
            raise Fail("expected no partition table, found %s" % json.dumps(t))
        return
    if t is None or t.get("label") != "gpt":
        raise Fail("expected a GPT, found %s" % json.dumps(t))
    if "firstlba" in expect and t.get("firstlba") != expect["firstlba"]:
        raise Fail("firstlba %s, expected %s" % (t.get("firstlba"), expect["firstlba"]))
    got = {}
    for p in t.get("partitions", []):
        n = int(p["node"][len(t["device"]):].lstrip("p"))
        got[n] = p
    want = {p["n"]: p for p in expect.get("partitions", [])}
    if sorted(got) != sorted(want):
        raise Fail("partition numbers %s, expected %s\n%s" % (sorted(got), sorted(want), json.dumps(t, indent=1)))
    for n, w in want.items():
        g = got[n]
        exp = {"start": w["start"], "size": w["size"], "type": w.get("type", LINUX).upper(), "name": w.get("name", "")}
        have = {"start": g["start"], "size": g["size"], "type": g["type"].upper(), "name": g.get("name", "")}
        if "uuid" in w:
            exp["uuid"] = w["uuid"].upper()
            have["uuid"] = g.get("uuid", "").upper()
        if exp != have:
            raise Fail("partition %d is %s, expected %s" % (n, have, exp))
    diags.append("table ok: %s" % sorted(got))
    return got


def check_kernel(loop, expect, sector_size=512):
    name = os.path.basename(loop)
    have = {}
    for d in glob.glob("/sys/class/block/%s/%sp*" % (name, name)):
        with open(os.path.join(d, "partition")) as f:
            n = int(f.read())
        with open(os.path.join(d, "start")) as f:
            start = int(f.read())
        with open(os.path.join(d, "size")) as f:
            size = int(f.read())
        have[n] = (start, size)
    f = sector_size // 512
    want = {p["n"]: (p["start"] * f, p["size"] * f) for p in expect.get("partitions", [])}
    if have != want:
        raise Fail("the kernel sees %s, expected %s" % (have, want))


class Case:
    def __init__(self, path, ignis, keep):
        self.path, self.ignis, self.keep = path, ignis, keep
        with open(path) as f:
            self.c = json.load(f)
        self.name = os.path.basename(path)[:-5]
        self.loop = None
        self.mounted = None

    def config(self, dev):
        if self.c.get("link"):
            dev = self.link
        disk = dict(self.c.get("disk", {}), device=self.c.get("device", dev))
        storage = {"disks": [disk]}
        for kind in ("luks", "filesystems"):
            if kind in self.c:
                storage[kind] = [dict(f, device=f["device"].replace("{disk}", dev)) for f in self.c[kind]]
        return {"ignition": {"version": self.c.get("version", "3.3.0")}, "storage": storage}

    def ignis_run(self, top, dev):
        cache = os.path.join(top, "cache", "config.json")
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache, "w") as f:
            json.dump(self.config(dev), f)
        with open(os.path.join(top, "cmdline"), "w") as f:
            f.write("ignition.firstboot\n")
        env = dict(os.environ, IGNIS_DISK_IMAGES="1")
        if self.c.get("appear_after") and not os.path.lexists(self.link):
            import threading
            import time

            def later():
                time.sleep(self.c["appear_after"])
                os.symlink(self.target, self.link)
            t = threading.Thread(target=later)
            t.start()
            try:
                return run([self.ignis, "run", "--stage=disks", "--config-cache=" + cache,
                            "--device-timeout=%d" % self.c.get("device_timeout", 0),
                            "--cmdline-file=" + os.path.join(top, "cmdline"), "--console-dir="], env=env)
            finally:
                t.join()
        return run([self.ignis, "run", "--stage=disks", "--config-cache=" + cache,
                    "--device-timeout=%d" % self.c.get("device_timeout", 0),
                    "--cmdline-file=" + os.path.join(top, "cmdline"), "--console-dir="], env=env)

    def ignis_plan(self, top, dev):
        cfg = os.path.join(top, "plan.json")
        with open(cfg, "w") as f:
            json.dump(self.config(dev), f)
        return run([self.ignis, "plan", "--json", cfg])

    def mkfs(self, img, part, fmt, args):
        """mkfs on partition part of img (0: all of it), through a loop
        device that covers only its bytes."""
        lo = ["losetup", "-f", "--show"]
        if part:
            t = table_of(img)
            p = [p for p in t["partitions"] if p["node"] == "%s%d" % (img, part)][0]
            lo += ["-o", str(p["start"] * 512), "--sizelimit", str(p["size"] * 512)]
        r = run(lo + [img])
        if r.returncode != 0:
            raise Fail("losetup: " + r.stderr)
        loop = r.stdout.strip()
        try:
            tool = "mkswap" if fmt == "swap" else "mkfs." + fmt
            flags = {"ext4": ["-q", "-F"], "xfs": ["-q", "-f"], "btrfs": ["-q", "-f"], "swap": ["-f"]}.get(fmt, [])
            r = run([tool] + flags + args + [loop])
            if r.returncode != 0:
                raise Fail("%s: %s" % (tool, r.stderr))
        finally:
            run(["losetup", "-d", loop])

    def prepare(self, top):
        img = os.path.join(top, "disk.img")
        with open(img, "wb") as f:
            f.truncate(self.c.get("size_mib", 100) << 20)
        for m in self.c.get("mkfs", []):
            if m["part"] == 0:
                self.mkfs(img, 0, m["format"], m.get("args", []))
        if "table" in self.c:
            r = run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", img], input=self.c["table"])
            if r.returncode != 0:
                raise Fail("sfdisk: " + r.stderr)
        if "sgdisk" in self.c:
            r = run(["sgdisk"] + self.c["sgdisk"] + [img])
            if r.returncode != 0:
                raise Fail("sgdisk: " + r.stdout + r.stderr)
        for m in self.c.get("mkfs", []):
            if m["part"] != 0:
                self.mkfs(img, m["part"], m["format"], m.get("args", []))
        return img

    def attach(self, img, top):
        r = run(["losetup", "-b", str(self.c.get("sector_size", 512)), "-f", "--show", img])
        if r.returncode != 0:
            raise Fail("losetup: " + r.stderr)
        self.loop = r.stdout.strip()
        if table_of(self.loop):
            run(["partx", "-a", self.loop])
        if "mount" in self.c:
            part = "%sp%d" % (self.loop, self.c["mount"])
            r = run(["mkfs.ext4", "-q", "-F", part])
            if r.returncode != 0:
                raise Fail("mkfs.ext4: " + r.stderr)
            mnt = os.path.join(top, "mnt")
            os.makedirs(mnt)
            r = run(["mount", part, mnt])
            if r.returncode != 0:
                raise Fail("mount: " + r.stderr)
            self.mounted = mnt
        return self.loop

    def detach(self):
        if self.mounted:
            run(["umount", self.mounted])
            self.mounted = None
        if self.loop:
            run(["partx", "-d", self.loop])
            run(["losetup", "-d", self.loop])
            self.loop = None

    def check_plan(self, top, dev, diags):
        if self.c.get("appear_after"):
            return
        r = self.ignis_plan(top, dev)
        if "error" in self.c:
            if r.returncode != 1:
                raise Fail("ignis plan exited %d, expected 1\n%s%s" % (r.returncode, r.stdout, r.stderr))
            return
        if r.returncode != 0:
            raise Fail("ignis plan failed:\n" + r.stderr)
        plan = json.loads(r.stdout)
        actions = []
        for p in plan["disks"][0]["partitions"]:
            part = p.get("result") or p.get("existing") or {}
            actions.append([p["action"], part.get("number")])
        if "plan" in self.c and actions != self.c["plan"]:
            raise Fail("plan %s, expected %s" % (actions, self.c["plan"]))
        vols = [[v["action"], v["config"]] for v in plan["volumes"] if v["object"] == "filesystem"]
        want = [[a, w.replace("{disk}", dev)] for a, w in self.c.get("volumes", [])]
        if "volumes" in self.c and vols != want:
            raise Fail("plan's filesystem steps %s, expected %s" % (vols, want))
        if "plan_text" in self.c:
            r = run([self.ignis, "plan", os.path.join(top, "plan.json")])
            for s in self.c["plan_text"]:
                if s not in r.stdout:
                    raise Fail("ignis plan's text lacks %r:\n%s" % (s, r.stdout))
        diags.append("plan: %s" % actions)

    def run(self):
        diags = []
        top = tempfile.mkdtemp(prefix="ignis-disks-%s-" % self.name, dir="/var/tmp")
        try:
            img = self.prepare(top)
            dev = self.attach(img, top) if self.c.get("loop") else img
            self.target = dev
            self.link = os.path.join(top, "by-id", "disk")
            if self.c.get("link"):
                os.makedirs(os.path.dirname(self.link))
                if not self.c.get("appear_after"):
                    os.symlink(dev, self.link)
            before = sha(img)
            self.check_plan(top, dev, diags)
            if sha(img) != before:
                raise Fail("ignis plan changed the image")
            r = self.ignis_run(top, dev)
            diags.append("stage: exit %d\n%s" % (r.returncode, r.stderr))
            if "error" in self.c:
                if r.returncode != 1:
                    raise Fail("the stage exited %d, expected 1" % r.returncode)
                for s in self.c["error"]:
                    if s not in r.stderr:
                        raise Fail("the output lacks %r" % s)
                if sha(img) != before:
                    raise Fail("the failing run changed the image")
                return True, diags
            if r.returncode != 0:
                raise Fail("the stage failed")
            for s in self.c.get("output", []):
                if s not in r.stderr:
                    raise Fail("the output lacks %r" % s)
            if self.c.get("link"):
                alias = os.path.join(top, "cache", "dev-aliases") + self.link
                if not os.path.islink(alias) or os.readlink(alias) != os.path.realpath(dev):
                    raise Fail("%s is not a link to %s" % (alias, os.path.realpath(dev)))
                diags.append("pinned: %s -> %s" % (alias, os.readlink(alias)))
            if self.c.get("unchanged") and sha(img) != before:
                raise Fail("the image changed")
            check_table(self.loop if self.c.get("sector_size") else img, self.c["expect"], diags)
            if self.loop:
                check_kernel(self.loop, self.c["expect"], self.c.get("sector_size", 512))
                diags.append("kernel view ok")
                for n, want in self.c.get("blkid", {}).items():
                    node = self.loop if n == "0" else "%sp%s" % (self.loop, n)
                    r = run(["blkid", "-p", "-o", "export", node])
                    have = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
                    for k, v in want.items():
                        if have.get(k) != v:
                            raise Fail("partition %s: blkid finds %s=%r, expected %r" % (n, k, have.get(k), v))
            if self.c.get("rerun", True):
                after = sha(img)
                r = self.ignis_run(top, dev)
                if r.returncode != 0 or sha(img) != after:
                    raise Fail("a second run changed the disk (exit %d)\n%s" % (r.returncode, r.stderr))
            return True, diags
        except Fail as e:
            diags.append(str(e))
            return False, diags
        finally:
            self.detach()
            if not self.keep:
                shutil.rmtree(top, ignore_errors=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignis", required=True)
    ap.add_argument("--cases", default=os.path.join(here, "cases"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("only", nargs="*")
    a = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(a.cases, "*.json")))
    if a.only:
        paths = [p for p in paths if os.path.basename(p)[:-5] in a.only]
    print("1..%d" % len(paths))
    if os.geteuid() != 0 or not shutil.which("sfdisk"):
        for i, p in enumerate(paths, 1):
            print("ok %d - %s # SKIP needs root and sfdisk" % (i, os.path.basename(p)[:-5]))
        return 0
    failed = 0
    for i, p in enumerate(paths, 1):
        case = Case(p, os.path.abspath(a.ignis), a.keep)
        ok, diags = case.run()
        failed += tap_case(i, case.name, ok, case.c.get("description", ""), diags)
    return tap_end(failed, len(paths))


if __name__ == "__main__":
    sys.exit(main())
