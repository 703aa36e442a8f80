#!/usr/bin/python3
"""Differential test of `enabled: false`: ignis against the real systemctl.

    disable-diff.py --ignis build/src/ignis [--systemctl PATH] [--cases DIR] [--keep] [CASE...]

For every case (tests/units/cases/NAME/case, format below) the root the case
describes is built twice in a scratch directory under /var/tmp, then

    systemctl --root TOP/a/root disable -- NAMES...
    ignis apply --root=TOP/b/root TOP/config.json

run (each confined by tests/files/jail.py: only TOP is writable), where
config.json lists the NAMES as units with `enabled: false` and nothing else.
The two trees must then be equal (paths, types, modes, owners, link targets,
file contents), except for what only ignis writes: the preset file
/etc/systemd/system-preset/20-ignition.preset, /etc/.ignition-result.json
and the directories made for them. Both must succeed, or both fail.

Each case also says which way ignis must go: `expect native` (the default:
no process may be spawned) or `expect systemctl` (the fallback). A
`systemctl` first in ignis's PATH records whether it was run.

Must run as root (ignis writes files owned by root). Prints TAP; exit
status 1 if any case failed. Without systemctl the whole run is skipped.

The case file, one entry per line ('#' starts a comment line):

    description TEXT
    disable NAME...            the names, shell-quoted; may repeat
    expect native|systemctl
    dir PATH [MODE]
    file PATH [MODE]           contents: the following lines starting with
    | line                     "| " (or a lone "|" for an empty line)
    file PATH =TEXT            contents inline, Python string escapes (\\n, \\r,
                               \\uNNNN), UTF-8 encoded
    file PATH b=TEXT           contents inline, Python bytes escapes (\\xNN)
    unit PATH [KEY=VALUE...]   a small service/timer/... unit whose
                               [Install] section has the KEY=VALUE lines
    link PATH TARGET           a symlink (TARGET verbatim)
    chardev PATH               a character device 1:3 (like /dev/null)
    fifo PATH

Parent directories are created as needed (0755). Entries are created in the
order listed, the same for both roots, so both get the same directory order.
"""

import argparse
import ast
import difflib
import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FILES_TESTS = os.path.join(os.path.dirname(HERE), "files")
sys.path.insert(0, FILES_TESTS)
import testroot  # noqa: E402

CASES_DIR = os.path.join(HERE, "cases")
JAIL = os.path.join(FILES_TESTS, "jail.py")
PYTHON = "/usr/bin/python3"

# What only ignis writes.
IGNIS_ONLY_FILES = {"/etc/systemd/system-preset/20-ignition.preset", "/etc/.ignition-result.json"}
IGNIS_ONLY_DIRS = {"/etc", "/etc/systemd", "/etc/systemd/system-preset"}


class CaseError(Exception):
    pass


class Case:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.description = ""
        self.names = []
        self.expect = "native"
        self.entries = []
        self._parse(os.path.join(path, "case"))

    def _parse(self, fn):
        try:
            with open(fn, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except FileNotFoundError:
            raise CaseError("%s: missing" % fn)
        if lines and lines[-1] == "":
            lines.pop()
        i = 0
        while i < len(lines):
            line = lines[i]
            where = "%s:%d" % (fn, i + 1)
            i += 1
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("|"):
                raise CaseError("%s: contents line outside a file entry" % where)
            kw, _, rest = line.partition(" ")
            if kw == "description":
                self.description = rest.strip()
            elif kw == "disable":
                self.names += shlex.split(rest)
            elif kw == "expect":
                if rest.strip() not in ("native", "systemctl"):
                    raise CaseError("%s: expect native|systemctl" % where)
                self.expect = rest.strip()
            elif kw == "dir":
                parts = rest.split()
                self.entries.append(("d", parts[0], int(parts[1], 8) if len(parts) > 1 else 0o755))
            elif kw == "file":
                path, _, tail = rest.partition(" ")
                tail = tail.strip()
                if tail.startswith("="):
                    data = ast.literal_eval('"' + tail[1:].replace('"', '\\"') + '"')
                    self.entries.append(("f", path, 0o644, data.encode()))
                    continue
                if tail.startswith("b="):
                    data = ast.literal_eval('b"' + tail[2:].replace('"', '\\"') + '"')
                    self.entries.append(("f", path, 0o644, data))
                    continue
                mode = int(tail, 8) if tail else 0o644
                body = []
                while i < len(lines) and lines[i].startswith("|"):
                    body.append(lines[i][2:] if lines[i].startswith("| ") else lines[i][1:])
                    i += 1
                data = "".join(l + "\n" for l in body)
                self.entries.append(("f", path, mode, data.encode()))
            elif kw == "unit":
                parts = rest.split()
                path, install = parts[0], parts[1:]
                kind = path.rsplit(".", 1)[-1]
                text = "[Unit]\nDescription=%s\n\n" % os.path.basename(path)
                if kind == "service":
                    text += "[Service]\nExecStart=/bin/true\n\n"
                elif kind == "timer":
                    text += "[Timer]\nOnCalendar=daily\n\n"
                elif kind == "socket":
                    text += "[Socket]\nListenStream=/run/x.sock\n\n"
                text += "[Install]\n" + "".join(l + "\n" for l in install)
                self.entries.append(("f", path, 0o644, text.encode()))
            elif kw == "link":
                path, _, target = rest.partition(" ")
                if not target:
                    raise CaseError("%s: link PATH TARGET" % where)
                self.entries.append(("l", path, target))
            elif kw == "chardev":
                self.entries.append(("c", rest.strip()))
            elif kw == "fifo":
                self.entries.append(("p", rest.strip()))
            else:
                raise CaseError("%s: unknown entry %r" % (where, kw))
        if not self.names:
            raise CaseError("%s: no `disable` line" % fn)

    def build(self, root):
        os.makedirs(root)
        os.chmod(root, 0o755)
        for e in self.entries:
            kind, path = e[0], e[1]
            if not path.startswith("/"):
                raise CaseError("%s: %s: need an absolute path" % (self.name, path))
            dest = root + path
            parent = os.path.dirname(dest)
            if not os.path.lexists(parent):
                os.makedirs(parent, 0o755)
            if kind == "d":
                os.makedirs(dest, exist_ok=True)
                os.chmod(dest, e[2])
            elif kind == "f":
                with open(dest, "wb") as f:
                    f.write(e[3])
                os.chmod(dest, e[2])
            elif kind == "l":
                os.symlink(e[2], dest)
            elif kind == "c":
                os.mknod(dest, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            elif kind == "p":
                os.mkfifo(dest, 0o644)

    def config(self):
        return json.dumps({"ignition": {"version": "3.3.0"},
                           "systemd": {"units": [{"name": n, "enabled": False} for n in self.names]}},
                          indent=2) + "\n"


def tree(root):
    """One line per entry below root: path, type, mode, owner, and the link
    target or the contents' hash."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            rel = "/" + os.path.relpath(p, root)
            st = os.lstat(p)
            m = st.st_mode
            own = "%d:%d" % (st.st_uid, st.st_gid)
            if stat.S_ISLNK(m):
                out[rel] = "l %s -> %s" % (own, os.readlink(p))
            elif stat.S_ISDIR(m):
                out[rel] = "d %04o %s" % (stat.S_IMODE(m), own)
            elif stat.S_ISREG(m):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()[:16]
                out[rel] = "f %04o %s size=%d sha256=%s" % (stat.S_IMODE(m), own, st.st_size, h)
            else:
                out[rel] = "%s %04o %s" % (stat.filemode(m)[0], stat.S_IMODE(m), own)
    return out


def compare(a, b):
    """The diff lines between systemctl's tree (a) and ignis's (b), minus
    what only ignis writes."""
    for p in IGNIS_ONLY_FILES:
        b.pop(p, None)
        a.pop(p, None)
    for p in IGNIS_ONLY_DIRS:
        if p not in a and b.get(p, "").startswith("d "):
            del b[p]
    la = ["%s %s" % (p, a[p]) for p in sorted(a)]
    lb = ["%s %s" % (p, b[p]) for p in sorted(b)]
    return list(difflib.unified_diff(la, lb, "systemctl", "ignis", lineterm="", n=1))


def jailed(top, argv, env=None):
    cmd = ["unshare", "-m", PYTHON, JAIL, "--top", top, "--"] + argv
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def run_case(case, a):
    top = tempfile.mkdtemp(prefix="ignis-units-%s-" % case.name, dir="/var/tmp")
    os.chmod(top, 0o755)
    diags = []
    try:
        root_a = os.path.join(top, "a", "root")
        root_b = os.path.join(top, "b", "root")
        case.build(root_a)
        case.build(root_b)
        config = os.path.join(top, "config.json")
        with open(config, "w") as f:
            f.write(case.config())

        # A systemctl first in ignis's PATH that notes being run.
        bindir = os.path.join(top, "bin")
        marker = os.path.join(top, "systemctl-ran")
        os.mkdir(bindir)
        with open(os.path.join(bindir, "systemctl"), "w") as f:
            f.write("#!/bin/sh\necho \"$*\" >> %s\nexec %s \"$@\"\n" % (shlex.quote(marker), shlex.quote(a.systemctl)))
        os.chmod(os.path.join(bindir, "systemctl"), 0o755)
        env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"))

        st_a, out_a = jailed(top, [a.systemctl, "--root", root_a, "disable", "--"] + case.names)
        st_b, out_b = jailed(top, [a.ignis, "apply", "--root=" + root_b, config], env)
        ran = os.path.exists(marker)

        ok = True
        if (st_a == 0) != (st_b == 0):
            ok = False
            diags.append("exit status: systemctl %d, ignis %d" % (st_a, st_b))
        diff = compare(tree(root_a), tree(root_b))
        if diff:
            ok = False
            diags.append("trees differ (--- systemctl, +++ ignis):")
            diags += diff
        if case.expect == "native" and ran:
            ok = False
            diags.append("ignis ran systemctl, the case expects the native code")
        if case.expect == "systemctl" and not ran:
            ok = False
            diags.append("ignis did not run systemctl, the case expects the fallback")
        if not ok or a.verbose:
            diags.append("systemctl (exit %d):" % st_a)
            diags += ["  " + l for l in out_a.splitlines()]
            diags.append("ignis (exit %d):" % st_b)
            diags += ["  " + l for l in out_b.splitlines()]
        return ok, diags
    finally:
        if a.keep:
            diags.append("kept: " + top)
        else:
            shutil.rmtree(top, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ignis", required=True, help="path of the ignis binary")
    ap.add_argument("--systemctl", default=shutil.which("systemctl") or "/usr/bin/systemctl",
                    help="the reference systemctl (default: %(default)s)")
    ap.add_argument("--cases", default=CASES_DIR, help="cases directory (default: %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument("-v", "--verbose", action="store_true", help="show both tools' output for every case")
    ap.add_argument("case", nargs="*", help="run only these cases")
    a = ap.parse_args()

    if not os.access(a.systemctl, os.X_OK):
        print("1..0 # SKIP no systemctl at %s: nothing to compare with" % a.systemctl)
        return 0
    testroot.require_root()
    a.systemctl = os.path.abspath(a.systemctl)

    names = sorted(n for n in os.listdir(a.cases) if os.path.isdir(os.path.join(a.cases, n)))
    if a.case:
        unknown = set(a.case) - set(names)
        if unknown:
            print("no such case(s): %s" % ", ".join(sorted(unknown)), file=sys.stderr)
            return 2
        names = [n for n in names if n in a.case]

    a.ignis, cleanup = testroot.snapshot_binary(os.path.abspath(a.ignis))
    try:
        version = subprocess.run([a.systemctl, "--version"], stdout=subprocess.PIPE).stdout.decode().split("\n")[0]
        print("1..%d" % len(names))
        print("# reference: %s" % version)
        failed = 0
        for n, name in enumerate(names, 1):
            try:
                case = Case(os.path.join(a.cases, name))
                ok, diags = run_case(case, a)
                desc = case.description
            except CaseError as e:
                ok, diags, desc = False, ["broken case: %s" % e], ""
            except Exception as e:  # one crash must not hide the other cases
                import traceback
                ok, diags, desc = False, ["runner error: %r" % e, traceback.format_exc()], ""
            failed += testroot.tap_case(n, name, ok, desc, diags, show_diags=bool(diags))
        return testroot.tap_end(failed, len(names))
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
