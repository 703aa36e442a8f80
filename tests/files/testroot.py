"""Shared helpers of the files-stage tests: scratch roots, the seeded skeleton,
case loading and the jail the appliers run in.

Used by run-cases.py (ignis against expected manifests) and ignition-diff.py
(ignis against Ignition 2.14). Python 3 standard library only.

A case is a directory under cases/:

  config.json        the Ignition config given to the applier
  description        optional: one line saying what the case checks
  args               optional: extra arguments for `ignis apply`, one per line
  pre.list, pre/     optional: entries added to the skeleton before applying
                     (same format as skeleton.list, contents from pre/)
  setup.sh           optional: run with /bin/sh after pre.list, cwd = the root,
                     env ROOT (the root), TOP (its parent), OUTSIDE (a sentinel
                     directory beside the root that must stay untouched),
                     CONFIG (the config file, which it may rewrite)
  expected.manifest  what the apply changed: manifest.py's diff between the
                     root before and after (see manifest.py)
  expected.setfiles  optional: setfiles is replaced by a recorder (the target
                     needs an SELinux policy for ignis to run it); what it
                     was given must be exactly this: its arguments on the
                     first line, then each path it read (NUL-separated on
                     its stdin), one a line, the scratch path written $TOP;
                     "(not run)" when it must not run
  after.sh           optional: run after the applier (whatever happened),
                     same cwd and env as setup.sh; it undoes what setup.sh
                     set up outside the tree (loop devices) and checks what
                     the manifest cannot see; a non-zero exit fails the case
  expected.fail      for cases that must fail, lines of:
                       exit N            the exit status (1 failure, 2 usage)
                       contains TEXT     a substring of ignis's output (stdout+stderr)
                       nothing-written   the root must be unchanged (no expected.manifest)
"""

import ast
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKELETON_LIST = os.path.join(HERE, "skeleton.list")
SKELETON_DIR = os.path.join(HERE, "skeleton")
CASES_DIR = os.path.join(HERE, "cases")
JAIL = os.path.join(HERE, "jail.py")
PYTHON = "/usr/bin/python3"

# Scratch roots live under /var/tmp: world-searchable, like every ancestor of
# a real sysroot (Ignition writes SSH keys with the user's fsuid).
SCRATCH_PARENT = "/var/tmp"


class CaseError(Exception):
    """A case (or the skeleton) is malformed: a bug in the test data."""


# ---------------------------------------------------------------- lists

def _unescape(text):
    return ast.literal_eval('"' + text.replace('"', '\\"') + '"').encode("utf-8", "surrogateescape")


def parse_list(list_path, content_dir):
    """Parses a skeleton.list-style file into (kind, path, fields...) tuples."""
    entries = []
    with open(list_path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = "%s:%d" % (list_path, lineno)
            parts = line.split(None, 5)
            kind, path = parts[0], parts[1] if len(parts) > 1 else None
            if path is None or not path.startswith("/"):
                raise CaseError("%s: need an absolute path" % where)
            if kind == "d":
                if len(parts) != 5:
                    raise CaseError("%s: d PATH MODE UID GID" % where)
                entries.append(("d", path, int(parts[2], 8), int(parts[3]), int(parts[4])))
            elif kind == "f":
                if len(parts) not in (5, 6):
                    raise CaseError("%s: f PATH MODE UID GID [=TEXT]" % where)
                if len(parts) == 6:
                    if not parts[5].startswith("="):
                        raise CaseError("%s: inline contents start with '='" % where)
                    data = _unescape(parts[5][1:])
                else:
                    src = os.path.join(content_dir, path.lstrip("/"))
                    if not os.path.isfile(src):
                        raise CaseError("%s: no contents file %s" % (where, src))
                    with open(src, "rb") as c:
                        data = c.read()
                entries.append(("f", path, int(parts[2], 8), int(parts[3]), int(parts[4]), data))
            elif kind == "l":
                if len(parts) not in (3, 5):
                    raise CaseError("%s: l PATH TARGET [UID GID]" % where)
                owner = (int(parts[3]), int(parts[4])) if len(parts) == 5 else (0, 0)
                entries.append(("l", path, parts[2], owner[0], owner[1]))
            elif kind == "h":
                if len(parts) != 3:
                    raise CaseError("%s: h PATH EXISTING" % where)
                entries.append(("h", path, parts[2]))
            else:
                raise CaseError("%s: unknown entry kind %r" % (where, kind))
    return entries


def _listed_files(entries):
    return {e[1] for e in entries if e[0] == "f"}


def check_content_dir(entries, content_dir, list_path):
    """Every file under content_dir must be listed (no silent leftovers)."""
    if not os.path.isdir(content_dir):
        return
    listed = _listed_files(entries)
    for dirpath, _dirs, files in os.walk(content_dir):
        for name in files:
            rel = "/" + os.path.relpath(os.path.join(dirpath, name), content_dir)
            if rel not in listed:
                raise CaseError("%s: %s is not listed in %s" % (content_dir, rel, list_path))


def apply_list(root, entries):
    """Creates the entries under root (as root: owners are applied)."""
    for e in entries:
        kind, path = e[0], e[1]
        dest = os.path.join(root, path.lstrip("/")) if path != "/" else root
        if kind == "d":
            _, _, mode, uid, gid = e
            if not os.path.isdir(dest) or os.path.islink(dest):
                os.mkdir(dest)
            os.chown(dest, uid, gid)
            os.chmod(dest, mode)
        elif kind == "f":
            _, _, mode, uid, gid, data = e
            if os.path.lexists(dest) and not os.path.isfile(dest):
                raise CaseError("%s exists and is not a file" % path)
            with open(dest, "wb") as f:
                f.write(data)
            os.chown(dest, uid, gid)
            os.chmod(dest, mode)
        elif kind == "l":
            _, _, target, uid, gid = e
            if os.path.lexists(dest):
                os.unlink(dest)
            os.symlink(target, dest)
            os.lchown(dest, uid, gid)
        elif kind == "h":
            src = os.path.join(root, e[2].lstrip("/"))
            if os.path.lexists(dest):
                os.unlink(dest)
            os.link(src, dest, follow_symlinks=False)


def build_skeleton(root):
    entries = parse_list(SKELETON_LIST, SKELETON_DIR)
    check_content_dir(entries, SKELETON_DIR, SKELETON_LIST)
    if entries[0][:2] != ("d", "/"):
        raise CaseError("skeleton.list must start with the root directory")
    apply_list(root, entries)


# ---------------------------------------------------------------- scratch

class Scratch:
    """A world-searchable scratch directory: TOP/root (the target),
    TOP/outside (a sentinel that must stay untouched), TOP/config.json,
    TOP/tmp (the applier's TMPDIR, made by jail.py)."""

    def __init__(self, tag):
        self.top = tempfile.mkdtemp(prefix="ignis-files-%s-" % tag, dir=SCRATCH_PARENT)
        os.chmod(self.top, 0o755)
        self.root = os.path.join(self.top, "root")
        self.outside = os.path.join(self.top, "outside")
        self.config = os.path.join(self.top, "config.json")
        os.mkdir(self.root)
        os.mkdir(self.outside)
        os.chmod(self.outside, 0o755)
        with open(os.path.join(self.outside, "canary"), "w") as f:
            f.write("must stay untouched\n")

    def remove(self):
        shutil.rmtree(self.top, ignore_errors=True)

    def outside_state(self):
        """What a confined applier must never change: TOP's own entries and
        the sentinel directory."""
        state = []
        for dirpath, dirs, files in os.walk(self.outside):
            dirs.sort()
            for name in sorted(dirs + files):
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                state.append((os.path.relpath(p, self.top), st.st_mode, st.st_uid, st.st_gid, st.st_size,
                              st.st_nlink, st.st_mtime_ns))
        state.append(tuple(sorted(set(os.listdir(self.top)) - {"tmp"})))
        return state


# ---------------------------------------------------------------- cases

class Case:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path.rstrip("/"))
        cfg = os.path.join(path, "config.json")
        if not os.path.isfile(cfg):
            raise CaseError("%s: no config.json" % path)
        with open(cfg, "rb") as f:
            self.config_bytes = f.read()
        self.description = _read_opt(os.path.join(path, "description"), "").strip()
        self.args = [a for a in _read_opt(os.path.join(path, "args"), "").splitlines() if a.strip()]
        self.expected_manifest_path = os.path.join(path, "expected.manifest")
        self.expected_setfiles = _read_opt(os.path.join(path, "expected.setfiles"), None)
        self.after_script = os.path.join(path, "after.sh")
        self.fail = None
        fail_text = _read_opt(os.path.join(path, "expected.fail"), None)
        if fail_text is not None:
            self.fail = {"exit": None, "contains": [], "nothing_written": False}
            for lineno, line in enumerate(fail_text.splitlines(), 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                key, _, value = line.partition(" ")
                if key == "exit":
                    self.fail["exit"] = int(value)
                elif key == "contains":
                    self.fail["contains"].append(value)
                elif key == "nothing-written":
                    self.fail["nothing_written"] = True
                else:
                    raise CaseError("%s/expected.fail:%d: unknown key %r" % (path, lineno, key))
            if self.fail["exit"] is None:
                raise CaseError("%s/expected.fail: no exit line" % path)
            if self.fail["nothing_written"] and os.path.exists(self.expected_manifest_path):
                raise CaseError("%s: nothing-written and expected.manifest contradict" % path)

    @property
    def spec_version(self):
        """ignition.version of the config, or None if unreadable."""
        import json
        try:
            return json.loads(self.config_bytes)["ignition"]["version"]
        except Exception:
            return None

    def expected_diff(self):
        if self.fail and self.fail["nothing_written"]:
            return []
        text = _read_opt(self.expected_manifest_path, None)
        if text is None:
            return None
        return [l for l in text.splitlines() if l.strip() and not l.startswith("#")]

    def prepare(self, scratch):
        """Skeleton, then pre.list/pre/, then setup.sh, then the config file."""
        build_skeleton(scratch.root)
        pre_list = os.path.join(self.path, "pre.list")
        pre_dir = os.path.join(self.path, "pre")
        if os.path.exists(pre_list):
            entries = parse_list(pre_list, pre_dir)
            check_content_dir(entries, pre_dir, pre_list)
            apply_list(scratch.root, entries)
        # Written first: a setup.sh may replace it (a config too big to keep
        # in the repository is generated there).
        with open(scratch.config, "wb") as f:
            f.write(self.config_bytes)
        setup = os.path.join(self.path, "setup.sh")
        if os.path.exists(setup):
            env = dict(os.environ, ROOT=scratch.root, TOP=scratch.top, OUTSIDE=scratch.outside,
                       CONFIG=scratch.config)
            r = subprocess.run(["/bin/sh", "-eu", setup], cwd=scratch.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                raise CaseError("%s/setup.sh failed (%d): %s" % (self.path, r.returncode,
                                                                r.stdout.decode(errors="replace")))


    def run_after(self, scratch):
        """Runs after.sh if the case has one. Returns (ok, output)."""
        if not os.path.exists(self.after_script):
            return True, ""
        env = dict(os.environ, ROOT=scratch.root, TOP=scratch.top, OUTSIDE=scratch.outside)
        r = subprocess.run(["/bin/sh", "-eu", self.after_script], cwd=scratch.root, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return r.returncode == 0, r.stdout.decode(errors="replace")

    def setfiles_log(self, scratch):
        """Where the setfiles recorder writes, when the case wants one."""
        if self.expected_setfiles is None:
            return None
        return os.path.join(scratch.top, "tmp", "setfiles.log")

    def check_setfiles(self, scratch):
        """Compares what setfiles got with expected.setfiles. Returns diagnostics."""
        import difflib
        log = self.setfiles_log(scratch)
        if log is None:
            return []
        try:
            with open(log, encoding="utf-8", errors="surrogateescape") as f:
                got = f.read().replace(scratch.top, "$TOP").splitlines()
        except FileNotFoundError:
            got = ["(not run)"]
        want = [l for l in self.expected_setfiles.splitlines() if l.strip() and not l.startswith("#")]
        if got == want:
            return []
        return ["setfiles got something else (--- expected, +++ actual):"] + \
            list(difflib.unified_diff(want, got, "expected", "actual", lineterm="", n=2))


def _read_opt(path, default):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return default


def load_cases(cases_dir, only=None):
    names = sorted(n for n in os.listdir(cases_dir) if os.path.isdir(os.path.join(cases_dir, n)))
    if only:
        unknown = set(only) - set(names)
        if unknown:
            raise CaseError("no such case(s): %s" % ", ".join(sorted(unknown)))
        names = [n for n in names if n in only]
    return [Case(os.path.join(cases_dir, n)) for n in names]


# ---------------------------------------------------------------- running

def run_jailed(scratch, argv, timeout=120, ignition=False, jail=True, record_setfiles=None):
    """Runs argv in a private mount namespace where the host's / is read-only
    (only TOP is writable, /run is a private tmpfs), so a path that
    escapes the root fails with EROFS instead of damaging the host.
    ignition=True also installs the setfiles shim and the fake systemd D-Bus
    socket Ignition 2.14 needs; record_setfiles=PATH installs a setfiles
    that records what it is given into PATH (jail.py). Returns (exit status,
    combined output)."""
    if jail:
        cmd = ["unshare", "-m", PYTHON, JAIL, "--top", scratch.top]
        if ignition:
            cmd.append("--ignition")
        if record_setfiles:
            cmd += ["--record-setfiles", record_setfiles]
        cmd += ["--"] + list(argv)
    else:
        cmd = list(argv)
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return 124, (e.stdout or b"").decode("utf-8", "replace") + "\n[timed out after %ds]" % timeout
    return r.returncode, r.stdout.decode("utf-8", "replace")


def snapshot_binary(path):
    """Copies the binary under test once per run, so a concurrent rebuild of
    the tree cannot swap it (or leave it half-written) in the middle of the
    run. Returns (copy, cleanup)."""
    d = tempfile.mkdtemp(prefix="ignis-files-bin-", dir=SCRATCH_PARENT)
    os.chmod(d, 0o755)
    copy = os.path.join(d, os.path.basename(path))
    shutil.copy2(path, copy)
    return copy, lambda: shutil.rmtree(d, ignore_errors=True)


def require_root():
    if os.geteuid() != 0:
        print("1..0 # SKIP must run as root (chown, shadow-utils --root, mount namespaces)")
        sys.exit(0)


def tap_diag(text, limit=200):
    lines = text.splitlines()
    for line in lines[:limit]:
        print("#   " + line)
    if len(lines) > limit:
        print("#   ... (%d more lines)" % (len(lines) - limit))


def tap_case(n, name, ok, desc="", diags=(), todo=None, show_diags=None, limit=200):
    """Prints one case's TAP line (with " - desc" and "# TODO todo" when
    given) and its diagnostics (by default only when it failed). Returns 1
    when it counts as a failure (a TODO does not), else 0."""
    line = "%s %d - %s%s" % ("ok" if ok else "not ok", n, name, (" - " + desc) if desc else "")
    if todo:
        line += " # TODO " + todo
    print(line)
    if diags and (not ok if show_diags is None else show_diags):
        tap_diag("\n".join(diags), limit=limit)
    sys.stdout.flush()
    return int(not ok and not todo)


def tap_end(failed, total):
    """The summary comment and the exit status of a runner."""
    if failed:
        print("# %d of %d cases failed" % (failed, total))
    return 1 if failed else 0
