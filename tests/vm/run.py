#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""ignis end-to-end tests: boot real VMs (QEMU TCG) and check what ignis did.

    tests/vm/run.py [--build-dir build] [--ignis build/src/ignis] [-j 2]
                    [--keep] [--require] [--list] [SCENARIO...]

Builds (or reuses from the cache, BUILD/vm-cache by default) Debian's kernel
(fetch-kernel.sh), a dracut initramfs with dracut-module/30ignis
(mk-initramfs.sh) and a Debian root disk with systemd and the checker
(mk-root.sh), then boots every scenario under tests/vm/scenarios/ (or the
ones named), at most --jobs VMs at a time with one vCPU each, and prints TAP
plus a timing summary. Work files go to BUILD/vm-tests/NAME/ (disk images
are deleted after a pass unless --keep).

A scenario is a directory:
  config.json  the Ignition config, given as fw_cfg opt/com.coreos/config
               (no file: no fw_cfg entry at all)
  config-from  instead of config.json: a path relative to the repository
  cmdline      extra kernel arguments, one line per boot (a blank line is a
               boot with none); every boot uses the same disk, in order
  checks       bash fragment the guest's checker sources after its standard
               report (helpers check_file, check_cat, check_unit, check_user,
               check_group, check_cmd; see guest/vm-check)
  disks        extra disks, one line each: SIZE (e.g. 64M), blank, or
               SIZE FILE: FILE (in the scenario) is an sfdisk script written
               to it first (an existing partition table)
  metadata/    turns on the (restricted) network: served at 169.254.169.254
  tang/        a Tang server's keys (tangd-keygen): Debian's tangd serves
               them at 169.254.169.253:80 (a guestfwd cmd: rule, like the
               metadata responder); turns on the network too
  setup        a host command (executable) run once before boot 1 in the
               work directory (env WORK, SCENARIO): makes media images
  qemu-args    extra QEMU arguments, one or more per line (shell quoting;
               {work} is the work directory): -smbios, extra drives
  expect       what must hold, one directive per line (shell quoting;
               "@N" = after/of boot N, default the last boot, "@all" = each):
    boots N                      number of boots (default: lines of cmdline)
    timeout SECS                 per boot (default 300)
    initramfs ignis|harness      harness: without the ignis module
    stop-on [@N] TEXT            kill QEMU 2 s after TEXT is on the console
    stop-grace SECS              that delay instead of 2 s (0: at once)
                                 (in boot N only; default every boot): a
                                 power cut at that point
    outcome [@N] checked|poweroff|stopped   how the boot must end; default
                                 "checked": QEMU exited by itself and the
                                 checker printed "VM-CHECK: end"
    log [@N] TEXT / no-log [@N] TEXT        console contains / lacks TEXT
    log-re [@N] RE / no-log-re [@N] RE      the same with a regex (multiline)
    file [@N] PATH exists|absent             on the root disk (debugfs)
    file [@N] PATH contains TEXT | equals TEXT | mode OCTAL | owner U:G |
         type regular|directory|symlink | target TEXT | json KEY VALUE
    no-file [@N] PATH
    unchanged PATH @N            PATH after the last boot = PATH after boot N
                                 (@0: in the image before boot 1); content
                                 and inode type, mode, owner, size; for a
                                 directory its raw entries (any file added or
                                 removed in it is a change)
    fsck [@N]                    e2fsck -fn finds nothing to fix
    disk-part [@N] D NUM START SIZE [LABEL]   extra disk D (1 = the first)
                                 has partition NUM at sectors START+SIZE
                                 (sfdisk -J), named LABEL ("" = none)
    disk-parts [@N] D COUNT      extra disk D has COUNT partitions
    disk-luks [@N] D tokens TYPE COUNT | keyslots COUNT   the LUKS2 header
                                 on extra disk D (cryptsetup luksDump
                                 --dump-json-metadata on the image) has
                                 COUNT tokens of TYPE / COUNT key slots
    disk-unchanged D             extra disk D after the last boot is
                                 byte-identical to what it was before boot 1
    request [@N] RE / no-request [@N] RE   a line of the metadata responder's
                                 requests.log ("METHOD PATH STATUS notes",
                                 see md-responder.py; all boots so far)
                                 matches / no line matches RE (search)
    request-order [@N] RE1 RE2 ...   lines matching RE1, RE2, ... come in
                                 this order in requests.log (each after the
                                 previous match)
    health [@N] count N          the responder accepted N Azure health
                                 reports (all boots so far)
    health [@N] contains TEXT | lacks TEXT   the last accepted health
                                 report's body (XML) contains / lacks TEXT
  In file contains/equals and stop-on, TEXT may use \\n and \\t; log TEXT
  is literal (the checker prints newlines in contents as a literal \\n).
  Regexes are best single-quoted. Names in "owner" are looked up in the image.

Exit status 0 when nothing failed (skips are fine). --require turns missing
tools or a missing dracut module into failures instead of skips (for CI).
"""

import argparse
import concurrent.futures
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import vmrun  # noqa: E402

TOOLS = ["qemu-system-x86_64", "dracut", "debootstrap", "mkfs.ext4", "debugfs",
         "e2fsck", "dpkg", "apt-get", "depmod", "cpio"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[@-Z\\-_]")
_print_lock = threading.Lock()


def out(line=""):
    with _print_lock:
        print(line, flush=True)


def unescape(s):
    return re.sub(r"\\([nt\\])", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m.group(1)], s)


# ---------------------------------------------------------------- host side

class Ext4:
    """Read-only look into an ext4 image with debugfs (no mount, no loop)."""

    def __init__(self, img):
        self.img = img

    def _debugfs(self, req):
        p = subprocess.run(["debugfs", "-R", req, self.img], capture_output=True)
        return p.stdout, p.stderr.decode("utf-8", "replace")

    @staticmethod
    def _q(path):
        return '"' + path.replace('"', '\\"') + '"'

    def stat(self, path):
        o, e = self._debugfs("stat " + self._q(path))
        text = o.decode("utf-8", "replace")
        if "Inode:" not in text:
            return None
        st = {}
        m = re.search(r"Type:\s+(\S+)\s+Mode:\s+(\d+)", text)
        if m:
            st["type"], st["mode"] = m.group(1), int(m.group(2), 8)
        m = re.search(r"User:\s+(\d+)\s+Group:\s+(\d+)", text)
        if m:
            st["uid"], st["gid"] = int(m.group(1)), int(m.group(2))
        m = re.search(r"Size:\s+(\d+)", text)
        if m:
            st["size"] = int(m.group(1))
        m = re.search(r'Fast link dest:\s+"(.*)"', text)
        if m:
            st["target"] = m.group(1)
        elif st.get("type") == "symlink":
            st["target"] = self.cat(path).decode("utf-8", "replace")
        return st

    def cat(self, path):
        """Contents; the last component is not followed (a symlink gives its target)."""
        o, _ = self._debugfs("cat " + self._q(path))
        return o

    def listdir(self, path):
        """Entry names of a directory (debugfs ls -p: /ino/mode/uid/gid/name/size/)."""
        o, _ = self._debugfs("ls -p " + self._q(path))
        names = set()
        for line in o.decode("utf-8", "replace").splitlines():
            f = line.split("/")
            if len(f) >= 7 and f[5] not in (".", ".."):
                names.add(f[5])
        return names

    def snapshot(self, path):
        st = self.stat(path)
        names = self.listdir(path) if st and st.get("type") == "directory" else None
        return (self.cat(path), st, names)

    def names(self, file):
        """name -> id from the image's /etc/passwd or /etc/group."""
        d = {}
        for line in self.cat(file).decode("utf-8", "replace").splitlines():
            f = line.split(":")
            if len(f) > 2 and f[2].isdigit():
                d[f[0]] = int(f[2])
        return d

    def recover(self):
        """Replay the journal if the guest did not unmount cleanly."""
        p = subprocess.run(["dumpe2fs", "-h", self.img], capture_output=True, text=True)
        if "needs_recovery" in p.stdout:
            subprocess.run(["e2fsck", "-y", "-E", "journal_only", self.img], capture_output=True)

    def fsck(self):
        p = subprocess.run(["e2fsck", "-fn", self.img], capture_output=True, text=True)
        return p.returncode, (p.stdout + p.stderr).strip()


# ---------------------------------------------------------------- scenarios

class Directive:
    def __init__(self, lineno, words, boot):
        self.lineno, self.words, self.boot = lineno, words, boot

    def __str__(self):
        return " ".join(shlex.quote(w) for w in self.words)


class Scenario:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.config = None
        p = os.path.join(path, "config.json")
        if os.path.exists(p):
            self.config = p
        p = os.path.join(path, "config-from")
        if os.path.exists(p):
            self.config = os.path.join(REPO, open(p).read().strip())
        self.cmdlines = [""]
        p = os.path.join(path, "cmdline")
        if os.path.exists(p):
            lines = [l.strip() for l in open(p).read().splitlines() if not l.lstrip().startswith("#")]
            while lines and lines[-1] == "" and len(lines) > 1:
                lines.pop()
            self.cmdlines = lines or [""]
        self.checks = os.path.join(path, "checks") if os.path.exists(os.path.join(path, "checks")) else None
        self.disks = []
        p = os.path.join(path, "disks")
        if os.path.exists(p):
            self.disks = [(l.split() + [None])[:2] for l in open(p) if l.strip() and not l.startswith("#")]
            self.disks = [(size, os.path.join(path, f) if f else None) for size, f in self.disks]
        self.metadata = os.path.join(path, "metadata") if os.path.isdir(os.path.join(path, "metadata")) else None
        self.tang = os.path.join(path, "tang") if os.path.isdir(os.path.join(path, "tang")) else None
        self.setup = os.path.join(path, "setup") if os.path.exists(os.path.join(path, "setup")) else None
        self.qemu_args = []
        p = os.path.join(path, "qemu-args")
        if os.path.exists(p):
            for l in open(p):
                if l.strip() and not l.lstrip().startswith("#"):
                    self.qemu_args += shlex.split(l)
        self.boots = None
        self.timeout = 300.0
        self.initramfs = "ignis"
        self.stop_on = []
        self.stop_grace = 2.0
        self.directives = []
        self.description = ""
        p = os.path.join(path, "expect")
        for n, raw in enumerate(open(p).read().splitlines() if os.path.exists(p) else [], 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                if line.startswith("#") and not self.description and n == 1:
                    self.description = line.lstrip("# ").strip()
                continue
            words = shlex.split(line)
            cmd = words[0]
            if cmd == "boots":
                self.boots = int(words[1])
            elif cmd == "timeout":
                self.timeout = float(words[1])
            elif cmd == "initramfs":
                self.initramfs = words[1]
            elif cmd == "stop-grace":
                self.stop_grace = float(words[1])
            elif cmd == "stop-on":
                boot = None
                if len(words) == 3 and re.fullmatch(r"@\d+", words[1]):
                    boot = int(words.pop(1)[1:])
                self.stop_on.append((boot, unescape(words[1])))
            else:
                boot = None
                rest = [w for w in words[1:]]
                if rest and re.fullmatch(r"@(\d+|all)", rest[0]):
                    boot = rest.pop(0)[1:]
                if cmd == "unchanged":
                    if len(rest) != 2 or not re.fullmatch(r"@\d+", rest[1]):
                        raise ValueError(f"{p}:{n}: unchanged PATH @N")
                self.directives.append(Directive(n, [cmd] + rest, boot))
        if self.boots is None:
            self.boots = len(self.cmdlines)
        while len(self.cmdlines) < self.boots:
            self.cmdlines.append(self.cmdlines[-1])
        for d in self.directives:
            if d.words[0] not in ("outcome", "log", "no-log", "log-re", "no-log-re", "file",
                                  "no-file", "unchanged", "fsck", "disk-part", "disk-parts",
                                  "disk-unchanged", "disk-luks", "request", "no-request", "request-order",
                                  "health"):
                raise ValueError(f"{p}:{d.lineno}: unknown directive {d.words[0]!r}")

    def boots_of(self, d):
        if d.boot == "all":
            return list(range(1, self.boots + 1))
        return [int(d.boot) if d.boot else self.boots]


def file_sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_disk_part(disks, d, failures):
    """disk-part D NUM START SIZE [LABEL] / disk-parts D COUNT, from the
    extra disk's table as sfdisk reads it."""
    i = int(d.words[1])
    p = subprocess.run(["sfdisk", "-J", disks[i]], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f"line {d.lineno}: extra disk {i}: no partition table ({p.stderr.strip()})")
        return
    t = json.loads(p.stdout)["partitiontable"]
    parts = {int(x["node"][len(t["device"]):]): x for x in t.get("partitions", [])}
    if d.words[0] == "disk-parts":
        if len(parts) != int(d.words[2]):
            failures.append(f"line {d.lineno}: extra disk {i} has {len(parts)} partitions, expected {d.words[2]}")
        return
    num, start, size = (int(w) for w in d.words[2:5])
    label = d.words[5] if len(d.words) > 5 else None
    x = parts.get(num)
    got = x and (x["start"], x["size"], x.get("name", ""))
    want = (start, size, label if label is not None else (x or {}).get("name", ""))
    if got != want:
        failures.append(f"line {d.lineno}: extra disk {i} partition {num} is {got}, expected {want}")


def check_disk_luks(disks, d, failures):
    """disk-luks D tokens TYPE COUNT / keyslots COUNT, from the LUKS2
    header on the extra disk's image (read-only: no device mapper)."""
    i = int(d.words[1])
    p = subprocess.run(["cryptsetup", "luksDump", "--dump-json-metadata", disks[i]], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f"line {d.lineno}: extra disk {i}: no LUKS2 header ({p.stderr.strip()})")
        return
    meta = json.loads(p.stdout)
    if d.words[2] == "tokens":
        have = sum(1 for t in meta.get("tokens", {}).values() if t.get("type") == d.words[3])
        want, what = int(d.words[4]), f"{d.words[3]} tokens"
    else:
        have, want, what = len(meta.get("keyslots", {})), int(d.words[3]), "key slots"
    if have != want:
        failures.append(f"line {d.lineno}: extra disk {i} has {have} {what}, expected {want}")


def check_file(img, d, failures, passwd_cache):
    words = d.words
    if words[0] == "no-file":
        words = ["file", words[1], "absent"]
    if len(words) < 3:
        failures.append(f"line {d.lineno}: {d}: incomplete")
        return
    path, what, args = words[1], words[2], words[3:]
    st = img.stat(path)
    where = f"line {d.lineno}: {path}"
    if what == "absent":
        if st is not None:
            failures.append(f"{where}: exists, expected absent")
        return
    if st is None:
        failures.append(f"{where}: does not exist ({d})")
        return
    if what == "exists":
        return
    if what in ("contains", "equals", "json"):
        data = img.cat(path).decode("utf-8", "replace")
        if what == "contains" and unescape(args[0]) not in data:
            failures.append(f"{where}: does not contain {args[0]!r}; it is {data[:300]!r}")
        elif what == "equals" and unescape(args[0]) != data:
            failures.append(f"{where}: is {data[:300]!r}, expected {unescape(args[0])!r}")
        elif what == "json":
            try:
                v = json.loads(data)
                for k in args[0].split("."):
                    v = v[k]
            except (ValueError, KeyError, TypeError) as e:
                failures.append(f"{where}: no JSON value {args[0]} ({e}); it is {data[:300]!r}")
                return
            if json.dumps(v) != args[1] and str(v) != args[1]:
                failures.append(f"{where}: {args[0]} is {json.dumps(v)}, expected {args[1]}")
    elif what == "mode":
        if st.get("mode", -1) & 0o7777 != int(args[0], 8):
            failures.append(f"{where}: mode {st.get('mode', 0) & 0o7777:04o}, expected {args[0]}")
    elif what == "owner":
        u, _, g = args[0].partition(":")
        if "passwd" not in passwd_cache:
            passwd_cache["passwd"] = img.names("/etc/passwd")
            passwd_cache["group"] = img.names("/etc/group")
        uid = int(u) if u.isdigit() else passwd_cache["passwd"].get(u)
        gid = int(g) if g.isdigit() else passwd_cache["group"].get(g)
        if (st.get("uid"), st.get("gid")) != (uid, gid):
            failures.append(f"{where}: owner {st.get('uid')}:{st.get('gid')}, expected {args[0]} ({uid}:{gid})")
    elif what == "type":
        if st.get("type") != args[0]:
            failures.append(f"{where}: type {st.get('type')}, expected {args[0]}")
    elif what == "target":
        if st.get("target") != args[0]:
            failures.append(f"{where}: symlink target {st.get('target')!r}, expected {args[0]!r}")
    else:
        failures.append(f"line {d.lineno}: unknown file check {what!r}")


def describe_change(a, b):
    (ca, sa, na), (cb, sb, nb) = a, b
    if sa != sb and (sa or {}).get("type") != "directory":
        diff = {k: f"{sa.get(k)} -> {sb.get(k)}" for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)}
        if diff:
            return ", ".join(f"{k} {v}" for k, v in diff.items())
    if na is not None and nb is not None:
        added, removed = sorted(nb - na), sorted(na - nb)
        if added or removed:
            return f"entries added {added}, removed {removed}"
        return "directory entries rewritten (same names)"
    la, lb = ca.decode("utf-8", "replace").splitlines(), cb.decode("utf-8", "replace").splitlines()
    for i, (x, y) in enumerate(zip(la + [""] * len(lb), lb + [""] * len(la))):
        if x != y:
            return f"line {i + 1}: {x[:100]!r} -> {y[:100]!r}"
    return "contents differ"


def check_request(work, d, n, failures):
    try:
        with open(os.path.join(work, "requests.log")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    arg = d.words[1] if len(d.words) > 1 else ""
    found = any(re.search(arg, line) for line in lines)
    shown = "; ".join(lines[-12:]) or "(no request)"
    if d.words[0] == "no-request" and found:
        failures.append(f"line {d.lineno}: boot {n}: a request matches {arg!r}: {shown}")
    elif d.words[0] == "request" and not found:
        failures.append(f"line {d.lineno}: boot {n}: no request matches {arg!r}: {shown}")


def check_request_order(work, d, n, failures):
    try:
        with open(os.path.join(work, "requests.log")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    i = 0
    for rx in d.words[1:]:
        while i < len(lines) and not re.search(rx, lines[i]):
            i += 1
        if i == len(lines):
            shown = "; ".join(lines[-12:]) or "(no request)"
            failures.append(f"line {d.lineno}: boot {n}: no request matching {rx!r} in order: {shown}")
            return
        i += 1


def check_health(work, d, n, failures):
    """The Azure health reports md-responder.py accepted (health/N.xml)."""
    hdir = os.path.join(work, "health")
    reports = sorted((int(f[:-4]) for f in os.listdir(hdir) if f.endswith(".xml")) if os.path.isdir(hdir) else [])
    what, arg = d.words[1], d.words[2] if len(d.words) > 2 else ""
    if what == "count":
        if len(reports) != int(arg):
            failures.append(f"line {d.lineno}: boot {n}: {len(reports)} health report(s), expected {arg}")
        return
    if not reports:
        failures.append(f"line {d.lineno}: boot {n}: no health report was accepted")
        return
    with open(os.path.join(hdir, f"{reports[-1]}.xml"), encoding="utf-8", errors="replace") as f:
        body = f.read()
    text = unescape(arg)
    if what == "contains" and text not in body:
        failures.append(f"line {d.lineno}: boot {n}: the health report lacks {arg!r}: {body[:600]!r}")
    elif what == "lacks" and text in body:
        failures.append(f"line {d.lineno}: boot {n}: the health report contains {arg!r}: {body[:600]!r}")
    elif what not in ("contains", "lacks"):
        failures.append(f"line {d.lineno}: health count N | contains TEXT | lacks TEXT, not {what!r}")


def check_log(text, d, n, failures):
    cmd, arg = d.words[0], d.words[1] if len(d.words) > 1 else ""
    if cmd in ("log", "no-log"):
        found = arg in text
    else:
        found = re.search(arg, text, re.M) is not None
    if cmd.startswith("no-") and found:
        failures.append(f"line {d.lineno}: boot {n}: console shows {arg!r}, must not")
    elif not cmd.startswith("no-") and not found:
        failures.append(f"line {d.lineno}: boot {n}: console lacks {arg!r}")


SHOW = re.compile(r"ignis|VM-CHECK: |^\*{20,}")
STATUS = re.compile(r"^(\[ *(OK|FAILED|DEPEND) *\]| +(Starting|Stopping|Mounting|Unmounting) )")


ERRORS = re.compile(r"^\[ *(FAILED|DEPEND) *\]|[Ee]rror|[Ff]ailed|emergency|Kernel panic|Call Trace|timed out")


def show_lines(log, errors=False):
    """The interesting console lines: ignis's, the summary, the checker's
    (and with errors=True, systemd's failures and other error lines)."""
    lines = []
    for line in open(log, errors="replace").read().splitlines():
        if errors and ERRORS.search(line) or \
                SHOW.search(line) and not STATUS.match(line) and not line.startswith("VM-CHECK: cmdline"):
            lines.append(re.sub(r"^\[ *\d+\.\d+\] ", "", line))
    return lines


def guest_times(text):
    m = re.search(r"VM-CHECK: times initrd=(\S+) switch-root=(\S+) check=(\S+)", text)
    return {"initrd": float(m.group(1)), "switch": float(m.group(2)), "check": float(m.group(3))} if m else None


def run_scenario(sc, env, args):
    """-> (status 'ok'|'not ok'|'skip', failures, boots info, wall)."""
    start = time.monotonic()
    initrd = env["initramfs"].get(sc.initramfs)
    if initrd is None:
        return "skip", [env["initramfs_why"].get(sc.initramfs, "no initramfs")], [], 0.0
    if sc.tang and (not os.access(vmrun.TANGD, os.X_OK) or not shutil.which("cryptsetup")
                    or not shutil.which("clevis")):
        why = "needs tang, clevis and cryptsetup on the host (tests/vm/install-deps.sh)"
        return ("not ok" if args.require else "skip"), [why], [], 0.0
    work = os.path.join(env["work"], sc.name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    disk0 = os.path.join(work, "root.img")
    subprocess.run(["cp", "--reflink=auto", "--sparse=always", env["root"], disk0], check=True)
    disks = [disk0]
    for i, (size, table) in enumerate(sc.disks, 1):
        p = os.path.join(work, f"disk{i}.img")
        subprocess.run(["truncate", "-s", size, p], check=True)
        if table:
            with open(table) as f:
                subprocess.run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", p], stdin=f,
                               stdout=subprocess.DEVNULL, check=True)
        disks.append(p)
    disk_sums = {i: file_sha256(p) for i, p in enumerate(disks[1:], 1)}
    fw = []
    if sc.checks:
        fw.append(("opt/ignis-test/checks", sc.checks))
    net = tang = None
    if sc.metadata:
        net = os.path.join(work, "metadata")
        shutil.copytree(sc.metadata, net)
    if sc.tang:
        tang = os.path.join(work, "tang")
        shutil.copytree(sc.tang, tang)
        if not net:
            net = os.path.join(work, "metadata")
            os.makedirs(net)
    if sc.setup:
        p = subprocess.run([sc.setup], cwd=work, env=dict(os.environ, WORK=work, SCENARIO=sc.path),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            return "not ok", ["setup failed (exit %d): %s" % (p.returncode, p.stdout[-500:])], [], 0.0
    extra = [a.replace("{work}", work) for a in sc.qemu_args]
    img = Ext4(disk0)
    failures, boots, snapshots, bad_boots = [], [], {}, []
    unchanged_paths = [d.words[1] for d in sc.directives if d.words[0] == "unchanged"]
    for p in unchanged_paths:   # "@0": the root image as built
        snapshots[(p, 0)] = img.snapshot(p)
    for n in range(1, sc.boots + 1):
        log = os.path.join(work, f"console-{n}.log")
        r = vmrun.boot(env["kernel"], initrd, disks, log, config=sc.config, fw_cfg=fw,
                       append=sc.cmdlines[n - 1], timeout=sc.timeout,
                       stop_on=[t for b, t in sc.stop_on if b in (None, n)], stop_grace=sc.stop_grace,
                       net=net, smp=1, accel=args.accel, extra=extra, tang=tang)
        text = ANSI.sub("", r.text)
        with open(log + ".txt", "w") as f:
            f.write(text)
        boots.append({"n": n, "outcome": r.outcome, "wall": r.wall, "log": log + ".txt",
                      "guest": guest_times(text)})
        img.recover()
        want = "checked"
        for d in sc.directives:
            if d.words[0] == "outcome" and n in sc.boots_of(d):
                want = d.words[1]
        got = r.outcome
        before = len(failures)
        if got == "poweroff" and "VM-CHECK: end" in text:
            ok = want in ("checked", "poweroff")
        else:
            ok = want == got
        if not ok:
            extra = "" if "VM-CHECK: end" in text else ", no \"VM-CHECK: end\""
            failures.append(f"boot {n}: ended {got} after {r.wall:.0f}s{extra}, expected {want}")
            failures += [f"boot {n}: qemu: {l}" for l in r.stderr.strip().splitlines()[-5:]]
        keep = len(failures)
        passwd = {}
        for d in sc.directives:
            if n not in sc.boots_of(d):
                continue
            c = d.words[0]
            if c in ("log", "no-log", "log-re", "no-log-re"):
                check_log(text, d, n, failures)
            elif c in ("request", "no-request"):
                check_request(work, d, n, failures)
            elif c == "request-order":
                check_request_order(work, d, n, failures)
            elif c == "health":
                check_health(work, d, n, failures)
            elif c in ("file", "no-file"):
                check_file(img, d, failures, passwd)
            elif c in ("disk-part", "disk-parts"):
                check_disk_part(disks, d, failures)
            elif c == "disk-luks":
                check_disk_luks(disks, d, failures)
            elif c == "fsck":
                rc, msg = img.fsck()
                if rc != 0:
                    failures.append(f"line {d.lineno}: boot {n}: e2fsck -fn rc={rc}: {msg[-300:]}")
        if not ok and len(failures) > keep:
            # the rest mostly follows from the boot going wrong: count it
            k = len(failures) - keep
            del failures[keep:]
            failures.append(f"boot {n}: {k} more expectation(s) not met")
        if len(failures) > before:
            bad_boots.append(n)
        for p in unchanged_paths:
            snapshots[(p, n)] = img.snapshot(p)
    for d in sc.directives:
        if d.words[0] == "disk-unchanged":
            i = int(d.words[1])
            if i not in disk_sums or file_sha256(disks[i]) != disk_sums[i]:
                failures.append(f"line {d.lineno}: extra disk {i} changed")
        if d.words[0] == "unchanged":
            p, ref = d.words[1], int(d.words[2][1:])
            a, b = snapshots.get((p, ref)), snapshots.get((p, sc.boots))
            if a is None or b is None or a[1] is None:
                failures.append(f"line {d.lineno}: {p}: missing " +
                                (f"after boot {ref}" if ref else "in the image"))
            elif a != b:
                failures.append(f"line {d.lineno}: {p} changed between " +
                                (f"boot {ref}" if ref else "the image") +
                                f" and boot {sc.boots}: {describe_change(a, b)}")
    if len(failures) > 15:
        failures[15:] = [f"... and {len(failures) - 15} more"]
    if failures and boots:
        b = boots[(bad_boots or [len(boots)])[0] - 1]
        excerpt = show_lines(b["log"], errors=True)[-40:]
        failures.append(f"console of boot {b['n']} ({os.path.relpath(b['log'], REPO)}), "
                        "ignis's lines, errors and the checker's lines:")
        failures += ["  | " + l for l in excerpt]
    elif not args.keep:
        for p in disks:
            os.unlink(p)
    return ("not ok" if failures else "ok"), failures, boots, time.monotonic() - start


# ---------------------------------------------------------------- build steps

def step(label, argv, timings):
    t = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True)
    timings.append((label, time.monotonic() - t))
    return p


def prepare(args, names_needing):
    env = {"initramfs": {}, "initramfs_why": {}}
    timings = []
    cache = args.cache
    os.makedirs(cache, exist_ok=True)
    lock = open(os.path.join(cache, ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)   # another run.py may be filling the cache
    try:
        kdir = os.path.join(cache, "kernel")
        p = step("kernel", [os.path.join(HERE, "fetch-kernel.sh"), kdir], timings)
        if p.returncode != 0:
            raise RuntimeError("fetch-kernel.sh failed:\n" + p.stdout + p.stderr)
        env["kernel"] = os.path.join(kdir, "vmlinux")
        env["kver"] = open(os.path.join(kdir, "kver")).read().strip()
        p = step("root image", [os.path.join(HERE, "mk-root.sh"), cache], timings)
        if p.returncode != 0:
            raise RuntimeError("mk-root.sh failed:\n" + p.stdout + p.stderr)
        env["root"] = p.stdout.strip().splitlines()[-1]
        if "harness" in names_needing:
            p = step("initramfs (harness)", [os.path.join(HERE, "mk-initramfs.sh"), kdir,
                                             args.ignis, "-", cache], timings)
            if p.returncode != 0:
                raise RuntimeError("mk-initramfs.sh (harness) failed:\n" + p.stderr)
            env["initramfs"]["harness"] = p.stdout.strip().splitlines()[-1]
        if "ignis" in names_needing:
            moddir = os.path.join(REPO, "dracut-module", "30ignis")
            p = step("initramfs (ignis)", [os.path.join(HERE, "mk-initramfs.sh"), kdir,
                                           args.ignis, moddir, cache], timings)
            if p.returncode == 3 and not args.require:
                env["initramfs_why"]["ignis"] = p.stderr.strip().splitlines()[-1]
            elif p.returncode != 0:
                raise RuntimeError("mk-initramfs.sh failed:\n" + p.stdout + p.stderr)
            else:
                env["initramfs"]["ignis"] = p.stdout.strip().splitlines()[-1]
    finally:
        lock.close()
    return env, timings


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the top of this file for the scenario format.")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--ignis", help="the ignis binary (default BUILD/src/ignis)")
    ap.add_argument("--cache", help="cache dir (default $IGNIS_VM_CACHE or BUILD/vm-cache)")
    ap.add_argument("--scenarios", default=os.path.join(HERE, "scenarios"))
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("IGNIS_VM_JOBS", "2")))
    ap.add_argument("--accel", default=os.environ.get("IGNIS_VM_ACCEL", "tcg"))
    ap.add_argument("--keep", action="store_true", help="keep the disk images of passing scenarios")
    ap.add_argument("--require", action="store_true",
                    default=os.environ.get("IGNIS_VM_REQUIRE") == "1",
                    help="fail (not skip) when tools, root or the dracut module are missing")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--show", action="store_true",
                    help="print what ignis logged and the checker's lines of every boot")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.ignis = os.path.abspath(args.ignis or os.path.join(args.build_dir, "src", "ignis"))
    args.cache = os.path.abspath(args.cache or os.environ.get("IGNIS_VM_CACHE")
                                 or os.path.join(args.build_dir, "vm-cache"))
    t0 = time.monotonic()
    # mkfs.ext4, debugfs, depmod live in sbin, which a user's PATH may lack
    path = os.environ.get("PATH", "").split(":")
    os.environ["PATH"] = ":".join(path + [d for d in ("/usr/sbin", "/sbin") if d not in path])

    names = args.names or sorted(d for d in os.listdir(args.scenarios)
                                 if os.path.isdir(os.path.join(args.scenarios, d)))
    scenarios = []
    for n in names:
        p = os.path.join(args.scenarios, n)
        if not os.path.isdir(p):
            print(f"run.py: no scenario {n}", file=sys.stderr)
            return 2
        scenarios.append(Scenario(p))
    if args.list:
        for sc in scenarios:
            print(f"{sc.name:20} {sc.boots} boot(s)  {sc.description}")
        return 0

    print("TAP version 13")
    print(f"1..{len(scenarios)}")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    why = None
    if missing:
        why = "missing tools: " + " ".join(missing) + " (tests/vm/install-deps.sh installs them)"
    elif os.geteuid() != 0:
        why = "needs root (debootstrap, mkfs.ext4 -d of a root-owned tree)"
    if why:
        for i, sc in enumerate(scenarios, 1):
            print(f"{'not ok' if args.require else 'ok'} {i} - {sc.name}" + ("" if args.require else f" # SKIP {why}"))
        if args.require:
            print(f"# {why}")
        print(f"# 0 passed, {len(scenarios) if args.require else 0} failed, "
              f"{0 if args.require else len(scenarios)} skipped")
        return 1 if args.require else 0

    try:
        env, timings = prepare(args, {sc.initramfs for sc in scenarios})
    except RuntimeError as e:
        for line in str(e).splitlines():
            print("# " + line)
        for i, sc in enumerate(scenarios, 1):
            print(f"not ok {i} - {sc.name} # the VM images could not be built")
        print(f"# 0 passed, {len(scenarios)} failed")
        return 1
    env["work"] = os.path.join(args.build_dir, "vm-tests")
    os.makedirs(env["work"], exist_ok=True)
    print(f"# kernel {env['kver']}; cache {os.path.relpath(args.cache)}; "
          + "; ".join(f"{l} {s:.1f}s" for l, s in timings))

    results = [None] * len(scenarios)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        # multi-boot scenarios first: the last VM to finish decides the total
        futs = [None] * len(scenarios)
        for j in sorted(range(len(scenarios)), key=lambda j: -scenarios[j].boots):
            futs[j] = ex.submit(run_scenario, scenarios[j], env, args)
        for i, (sc, fut) in enumerate(zip(scenarios, futs), 1):
            try:
                status, failures, boots, wall = fut.result()
            except Exception as e:  # a harness bug must not hide the other results
                status, failures, boots, wall = "not ok", [f"harness error: {e!r}"], [], 0.0
            results[i - 1] = (sc, status, failures, boots, wall)
            if status == "skip":
                out(f"ok {i} - {sc.name} # SKIP {failures[0]}")
                continue
            out(f"{status} {i} - {sc.name} ({len(boots)} boot{'s' if len(boots) != 1 else ''}, {wall:.1f}s)")
            for f in failures:
                out("#   " + f)
            if args.show:
                for b in boots:
                    out(f"#   --- {sc.name}, boot {b['n']} ({b['outcome']}, {b['wall']:.1f}s):")
                    for line in show_lines(b["log"]):
                        out("#   " + line)

    passed = sum(1 for r in results if r[1] == "ok")
    failed = sum(1 for r in results if r[1] == "not ok")
    skipped = sum(1 for r in results if r[1] == "skip")
    out("#")
    out("# timing (wall per boot; guest clock: initrd start, switch-root, checker)")
    for sc, status, failures, boots, wall in results:
        for b in boots:
            g = b["guest"]
            gs = f"  guest {g['initrd']:5.1f} {g['switch']:5.1f} {g['check']:5.1f}" if g else ""
            out(f"#   {sc.name:22} boot {b['n']}  {b['outcome']:8} {b['wall']:6.1f}s{gs}")
    for label, s in timings:
        out(f"#   build: {label:26} {s:6.1f}s")
    out(f"#   total {time.monotonic() - t0:.1f}s with {args.jobs} VM(s) at a time")
    out(f"# {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
