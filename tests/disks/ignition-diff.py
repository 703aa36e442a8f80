#!/usr/bin/python3
"""Differential test of the disks stage against Debian's Ignition 2.14: every
partition case of tests/disks/cases whose config Ignition 2.14 reads (spec
<= 3.3.0) is applied by both to copies of the same image (cases with a
mounted partition, a missing device or a device link left out; "loop"
cases, 4K sectors included, run both tools on loop devices); the tables must come out the same (start, size, type GUID,
name, the header's usable area; the partition GUIDs wherever they are not
random by design), and a config one refuses the other must refuse too,
both leaving the image byte-identical (but where the case says
"ignition_writes": Ignition 2.14 checks filesystems only after it wrote the
table, so only ignis's image is byte-identical). Cases that name
/dev/disk/by-* links or a partition that never appears ("ignition_skip")
are left out: Ignition would wait for udev or its device timeout.

    ignition-diff.py --ignis build/src/ignis [CASE...]

Ignition runs in tests/files/jail.py (a private mount namespace; its fake of
systemd's private D-Bus answers the StartUnit calls Ignition makes to wait
for the disk's .device unit). Needs root, sgdisk and Ignition 2.14; skips
otherwise. Prints TAP.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "files"))
from testroot import tap_case, tap_end  # noqa: E402

IGNITION = "/usr/lib/dracut/modules.d/30ignition/ignition"
JAIL = os.path.join(HERE, "..", "files", "jail.py")
sys.path.insert(0, HERE)


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def load_runner():
    import importlib.util
    spec = importlib.util.spec_from_file_location("run_cases", os.path.join(HERE, "run-cases.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def table(img, sector_size=512):
    if sector_size != 512:      # sfdisk reads an image file as 512-byte sectors
        loop = run(["losetup", "-r", "-b", str(sector_size), "-f", "--show", img]).stdout.strip()
        try:
            return table(loop)
        finally:
            run(["losetup", "-d", loop])
    r = subprocess.run(["sfdisk", "-J", img], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if r.returncode != 0:
        return None
    t = json.loads(r.stdout)["partitiontable"]
    parts = {}
    for p in t.get("partitions", []):
        parts[int(p["node"][len(t["device"]):].lstrip("p"))] = p
    return t, parts


def comparable(img, keep_uuids, sector_size=512):
    """The table without what is random by design: the disk GUID, and the
    GUIDs of partitions created without one."""
    t = table(img, sector_size)
    if t is None:
        return None
    head, parts = t
    out = {"label": head["label"], "firstlba": head.get("firstlba"), "lastlba": head.get("lastlba"), "parts": {}}
    for n, p in sorted(parts.items()):
        e = {"start": p["start"], "size": p["size"], "type": p["type"].upper(), "name": p.get("name", "")}
        if n in keep_uuids:
            e["uuid"] = p.get("uuid", "").upper()
        out["parts"][n] = e
    return out


def uuids_to_compare(case, img_before, img_ignition, ss=512):
    """Partitions whose GUID is not random: those the config gives a guid,
    and existing ones Ignition kept (or resized) with their GUID."""
    keep = set()
    for p in case.c.get("disk", {}).get("partitions", []):
        if p.get("guid"):
            keep.add(p.get("number", 0))
    before, after = table(img_before, ss), table(img_ignition, ss)
    if before and after:
        for n, p in before[1].items():
            if n in after[1] and after[1][n].get("uuid") == p.get("uuid"):
                keep.add(n)
    return keep


def run_ignition(top, img, case):
    """Ignition needs a block device (it asks the kernel for the disk's
    topology): its copy is attached to a loop device of its own."""
    loop = run(["losetup", "-b", str(case.c.get("sector_size", 512)), "-f", "--show", img]).stdout.strip()
    if not loop.startswith("/dev/loop"):
        raise RuntimeError("losetup failed: " + loop)
    try:
        if table(loop):
            run(["partx", "-a", loop])
        return run_ignition_on(top, loop, case)
    finally:
        run(["partx", "-d", loop])
        run(["losetup", "-d", loop])


def run_ignition_on(top, dev, case):
    cfg = os.path.join(top, "ignition.ign")
    with open(cfg, "w") as f:
        json.dump(case.config(dev), f)
    root = os.path.join(top, "root")
    os.makedirs(root, exist_ok=True)
    script = ("set -e; cd /run/ignition; export IGNITION_CONFIG_FILE=%s; "
              "for s in fetch-offline disks; do echo \"=== ignition -stage $s\"; "
              "%s -platform file -stage $s -root %s -log-to-stdout; done") % (cfg, IGNITION, root)
    return run(["unshare", "-m", sys.executable, JAIL, "--top", top, "--ignition", "--", "sh", "-c", script],
               timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignis", required=True)
    ap.add_argument("--cases", default=os.path.join(HERE, "cases"))
    ap.add_argument("only", nargs="*")
    a = ap.parse_args()
    rc = load_runner()
    cases = []
    for p in sorted(glob.glob(os.path.join(a.cases, "*.json"))):
        c = rc.Case(p, os.path.abspath(a.ignis), False)
        if a.only and c.name not in a.only:
            continue
        if (c.c.get("mount") or "device" in c.c or c.c.get("link") or c.c.get("version", "3.3.0") > "3.3.0"
                or c.c.get("ignition_skip")):
            continue
        cases.append(c)
    print("1..%d" % len(cases))
    if os.geteuid() != 0 or not os.path.exists(IGNITION) or not shutil.which("sgdisk") or not shutil.which("sfdisk"):
        for i, c in enumerate(cases, 1):
            print("ok %d - %s # SKIP needs root, sgdisk, sfdisk and Debian's ignition" % (i, c.name))
        return 0
    failed = 0
    for i, c in enumerate(cases, 1):
        diags = []
        top = tempfile.mkdtemp(prefix="ignis-disks-diff-%s-" % c.name, dir="/var/tmp")
        os.chmod(top, 0o755)
        try:
            base = c.prepare(top)
            ours, theirs = os.path.join(top, "ignis.img"), os.path.join(top, "ignition.img")
            shutil.copyfile(base, ours)
            shutil.copyfile(base, theirs)
            before = rc.sha(base)
            ss = c.c.get("sector_size", 512)
            if c.c.get("loop"):     # ignis on a loop device too (BLKPG, 4K sectors)
                dev = c.attach(ours, top)
                try:
                    r1 = c.ignis_run(top, dev)
                finally:
                    c.detach()
            else:
                r1 = c.ignis_run(top, ours)
            r2 = run_ignition(top, theirs, c)
            diags.append("ignis: exit %d\n%s" % (r1.returncode, r1.stderr))
            diags.append("ignition: exit %d\n%s" % (r2.returncode, r2.stdout[-3000:]))
            ok = (r1.returncode == 0) == (r2.returncode == 0)
            if c.c.get("ignition_accepts"):
                ok = r1.returncode != 0 and r2.returncode == 0 and rc.sha(ours) == before
                if not ok:
                    diags.append("expected: ignis refuses (its image unchanged), Ignition runs the config")
            elif not ok:
                diags.append("one refused, the other did not")
            elif r1.returncode != 0:
                ok = rc.sha(ours) == before
                if not ok:
                    diags.append("ignis's refusal changed its image")
                # Ignition checks a filesystem only after it wrote the table:
                # the case says so, and must be right about it.
                if (rc.sha(theirs) != before) != bool(c.c.get("ignition_writes")):
                    ok = False
                    diags.append("Ignition's image %s, but the case says ignition_writes: %s"
                                 % ("changed" if rc.sha(theirs) != before else "did not change",
                                    bool(c.c.get("ignition_writes"))))
            else:
                keep = uuids_to_compare(c, base, theirs, ss)
                t1, t2 = comparable(ours, keep, ss), comparable(theirs, keep, ss)
                ok = t1 == t2
                diags.append("ignis:    %s\nignition: %s" % (json.dumps(t1), json.dumps(t2)))
            desc = "both refuse" if ok and r1.returncode else ""
            if c.c.get("ignition_accepts"):
                desc = "ignis refuses, Ignition 2.14 accepts (a deliberate difference)"
            failed += tap_case(i, c.name, ok, desc, diags)
        finally:
            shutil.rmtree(top, ignore_errors=True)
    return tap_end(failed, len(cases))


if __name__ == "__main__":
    sys.exit(main())
