#!/usr/bin/python3
"""Runs `ignis run --stage=STAGE` scenarios outside a VM (tests/stages/cases/*).

    run-stages.py --ignis build/src/ignis [--cases DIR] [--keep] [CASE...]

Must run as root (the files stage chowns; the stages run in a private mount
namespace, tests/files/jail.py: only the scratch directory is writable, /run
is a private tmpfs). Prints TAP, one line per case; exit status 1 if a case
failed. A case with "todo" is a known bug: reported `# TODO`, not counted.

Every case gets a scratch directory TOP (world-searchable, under /var/tmp):

  TOP/root            the target (--root); the files-stage skeleton
                      (tests/files/skeleton.list) unless "root": false
  TOP/cache/          --config-cache=TOP/cache/config.json (not pre-created:
                      ignis makes it; state.json and the stage stamps go here)
  TOP/cmdline         --cmdline-file
  TOP/console/        --console-dir; holds an empty file "console" (the
                      fallback) and, with "console_ttys": true, one empty file
                      per name in /sys/class/tty/console/active
  TOP/fw_cfg/         IGNIS_FW_CFG_ROOT (by_name/opt/com.coreos/config/{raw,size}
                      when the case has a fw_cfg config; empty otherwise, so the
                      host's /sys is never read and modprobe never runs)
  TOP/sys/            IGNIS_SYSTEM_CONFIG_PREFIX (the case's "system" files)
  TOP/kargs-helper    IGNIS_KARGS_HELPER: records its arguments (one JSON list a
                      line in TOP/kargs-helper.log), prints "stderr", exits "exit"

case.json (all keys optional but "steps"):

  description      one line
  cmdline          the kernel command line (default
                   "ignition.platform.id=qemu ignition.firstboot")
  config_url_data  a config (JSON value) appended to the command line as
                   ignition.config.url=data:,<percent-encoded JSON>
  fw_cfg           the fw_cfg config: a JSON value (serialised) or a string
                   (written verbatim); a file fw_cfg.ign in the case directory
                   is the same, byte for byte; absent/null: no fw_cfg item
  system           {"etc/ignition/user.ign": JSON value or string, ...}:
                   files under the system config prefix; a directory system/
                   in the case directory is copied there too
  env              {"NAME": "value" or null (unset)}, for every step
  netns            true: every step runs in a new network namespace with
                   only a loopback interface, down (no route anywhere: name
                   lookups and connections fail at once, nothing leaves)
  root             false: no skeleton (TOP/root is an empty directory)
  console_ttys     true: see TOP/console above
  kargs_helper     {"exit": N, "stderr": "text"} (default exit 0)
  setup            shell commands (sh -eu, cwd TOP) run before the first step;
                   env TOP ROOT CACHE SYS CONSOLE
  secrets          strings that must never appear in any step's output nor on
                   the fake console
  todo             a known bug: the reason (TAP TODO)
  steps            the stage runs, in order; each:
    stage          the stage (--stage=STAGE plus the standard options above)
    argv           instead of stage: the complete argument list after the
                   binary (e.g. ["run"] for a usage error)
    args           extra arguments (after the standard ones)
    cmdline        a new command line from this step on
    setup          shell commands run before this step (as the case's setup)
    exit           the expected exit status (default 0)
    output         substrings of the step's stdout+stderr
    output_not     strings that must not appear in it
    console        substrings of what the step wrote on the fake console
    console_empty  true: nothing on the fake console (default: true when
                   "exit" is 0, since only a failure writes there)
    console_on_active  true (with "console_ttys"): the summary is in every
                   active console's file and the fallback "console" stays
                   empty (skipped when /sys/class/tty/console/active names none)
    expect         checks after this step (below); "root_unchanged" compares
                   with the root before this step
  expect           checks after the last step; "root_unchanged" compares with
                   the root before the first step

A check block ("expect"):

  root             {"/path": FILE, ...} inside TOP/root
  cache            {"name": FILE, ...} inside TOP/cache; "." is the directory
                   itself; a name with * or ? is a glob: "absent" means no match
  root_unchanged   true: the root's manifest (tests/files/manifest.py) unchanged
  root_diff        the exact manifest diff of the root since before the first
                   step (manifest.py's diff lines, TOP written $TOP)
  kargs_calls      the helper's calls: a list of argument lists ([] = never ran)

  FILE:            {"absent": true} or any of
                   "mode": "0600", "uid": N, "gid": N, "content": exact text,
                   "contains": [substrings], "not_contains": [strings],
                   "json": a JSON object every key of which must be in the
                   file's JSON with an equal value (recursively)

In every string of a case (configs included: mind a "$6$CACHE..." password
hash), $TOP, $ROOT, $CACHE, $SYS and $CONSOLE are replaced by the scratch
paths; root_diff is compared verbatim (manifest.py writes TOP as $TOP).
"""

import argparse
import difflib
import fnmatch
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FILES_TESTS = os.path.join(os.path.dirname(HERE), "files")
sys.path.insert(0, FILES_TESTS)
import manifest  # noqa: E402
import testroot  # noqa: E402

CASES_DIR = os.path.join(HERE, "cases")
PYTHON = "/usr/bin/python3"
JAIL = os.path.join(FILES_TESTS, "jail.py")
DEFAULT_CMDLINE = "ignition.platform.id=qemu ignition.firstboot"
FW_CFG_ITEM = "by_name/opt/com.coreos/config"

CASE_KEYS = {"description", "cmdline", "config_url_data", "fw_cfg", "system", "env", "netns", "root", "console_ttys",
             "kargs_helper", "setup", "secrets", "todo", "steps", "expect"}
STEP_KEYS = {"stage", "argv", "args", "cmdline", "setup", "exit", "output", "output_not", "console", "console_empty",
             "console_on_active", "expect"}
EXPECT_KEYS = {"root", "cache", "root_unchanged", "root_diff", "kargs_calls"}
FILE_KEYS = {"absent", "mode", "uid", "gid", "content", "contains", "not_contains", "json"}

HELPER = """#!%s
import json, sys
with open(%r, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
sys.stderr.write(%r)
sys.exit(%d)
"""


class CaseError(Exception):
    """The case itself is malformed."""


def check_keys(what, d, allowed):
    if not isinstance(d, dict):
        raise CaseError("%s: expected an object" % what)
    unknown = set(d) - allowed
    if unknown:
        raise CaseError("%s: unknown key(s) %s" % (what, ", ".join(sorted(unknown))))


class Case:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path.rstrip("/"))
        with open(os.path.join(path, "case.json"), encoding="utf-8") as f:
            try:
                self.spec = json.load(f)
            except ValueError as e:
                raise CaseError("case.json: %s" % e)
        check_keys("case.json", self.spec, CASE_KEYS)
        if not self.spec.get("steps"):
            raise CaseError("case.json: no steps")
        for i, step in enumerate(self.spec["steps"]):
            check_keys("steps[%d]" % i, step, STEP_KEYS)
            if ("stage" in step) == ("argv" in step):
                raise CaseError("steps[%d]: exactly one of stage and argv" % i)
            self._check_expect("steps[%d].expect" % i, step.get("expect", {}))
        self._check_expect("expect", self.spec.get("expect", {}))
        self.description = self.spec.get("description", "")
        self.todo = self.spec.get("todo")

    @staticmethod
    def _check_expect(what, e):
        check_keys(what, e, EXPECT_KEYS)
        for group in ("root", "cache"):
            for name, f in e.get(group, {}).items():
                check_keys("%s.%s[%s]" % (what, group, name), f, FILE_KEYS)


class Scratch:
    def __init__(self, name):
        self.top = tempfile.mkdtemp(prefix="ignis-stages-%s-" % name, dir=testroot.SCRATCH_PARENT)
        os.chmod(self.top, 0o755)
        self.root = os.path.join(self.top, "root")
        self.cache_dir = os.path.join(self.top, "cache")
        self.cache = os.path.join(self.cache_dir, "config.json")
        self.cmdline = os.path.join(self.top, "cmdline")
        self.console = os.path.join(self.top, "console")
        self.fw_cfg = os.path.join(self.top, "fw_cfg")
        self.sys = os.path.join(self.top, "sys")
        self.helper = os.path.join(self.top, "kargs-helper")
        self.helper_log = self.helper + ".log"
        for d in (self.root, self.console, self.fw_cfg, self.sys):
            os.mkdir(d)
            os.chmod(d, 0o755)

    def subst(self, value):
        """$TOP & co. in every string of a JSON value."""
        if isinstance(value, str):
            for k, v in (("$ROOT", self.root), ("$CACHE", self.cache_dir), ("$SYS", self.sys),
                         ("$CONSOLE", self.console), ("$TOP", self.top)):
                value = value.replace(k, v)
            return value
        if isinstance(value, list):
            return [self.subst(v) for v in value]
        if isinstance(value, dict):
            return {k: self.subst(v) for k, v in value.items()}
        return value

    def remove(self):
        shutil.rmtree(self.top, ignore_errors=True)


def active_consoles():
    try:
        with open("/sys/class/tty/console/active") as f:
            return [t for t in f.read().split() if t and "/" not in t and t != "console"]
    except OSError:
        return []


def config_bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


def write_cmdline(scratch, text, case_spec):
    text = scratch.subst(text)
    if "config_url_data" in case_spec:
        data = json.dumps(case_spec["config_url_data"], separators=(",", ":"))
        text += " ignition.config.url=data:," + urllib.parse.quote(data, safe="")
    with open(scratch.cmdline, "w") as f:
        f.write(text + "\n")


def prepare(case, scratch):
    spec = case.spec
    if spec.get("root", True):
        testroot.build_skeleton(scratch.root)
    write_cmdline(scratch, spec.get("cmdline", DEFAULT_CMDLINE), spec)

    fw = None
    if os.path.exists(os.path.join(case.path, "fw_cfg.ign")):
        with open(os.path.join(case.path, "fw_cfg.ign"), "rb") as f:
            fw = f.read()
    elif spec.get("fw_cfg") is not None:
        fw = config_bytes(scratch.subst(spec["fw_cfg"]))
    if fw is not None:
        item = os.path.join(scratch.fw_cfg, FW_CFG_ITEM)
        os.makedirs(item)
        with open(os.path.join(item, "raw"), "wb") as f:
            f.write(fw)
        with open(os.path.join(item, "size"), "w") as f:
            f.write("%d\n" % len(fw))

    sysdir = os.path.join(case.path, "system")
    if os.path.isdir(sysdir):
        shutil.copytree(sysdir, scratch.sys, dirs_exist_ok=True)
    for rel, value in spec.get("system", {}).items():
        dest = os.path.join(scratch.sys, rel.lstrip("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(config_bytes(scratch.subst(value)))

    helper = spec.get("kargs_helper", {})
    with open(scratch.helper, "w") as f:
        f.write(HELPER % (PYTHON, scratch.helper_log, helper.get("stderr", ""), helper.get("exit", 0)))
    os.chmod(scratch.helper, 0o755)

    if "setup" in spec:
        run_setup(scratch, spec["setup"])


def run_setup(scratch, script):
    env = dict(os.environ, TOP=scratch.top, ROOT=scratch.root, CACHE=scratch.cache_dir, SYS=scratch.sys,
               CONSOLE=scratch.console)
    r = subprocess.run(["/bin/sh", "-euc", script], cwd=scratch.top, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise CaseError("setup failed (%d): %s" % (r.returncode, r.stdout.decode(errors="replace")))


def reset_console(case, scratch):
    """Empty console files before each step: what a step wrote is its own."""
    names = {"console"}
    if case.spec.get("console_ttys"):
        names |= set(active_consoles())
    for name in os.listdir(scratch.console):
        os.unlink(os.path.join(scratch.console, name))
    for name in names:
        open(os.path.join(scratch.console, name), "w").close()
    return names


def read_console(scratch):
    out = {}
    for name in sorted(os.listdir(scratch.console)):
        with open(os.path.join(scratch.console, name), "rb") as f:
            out[name] = f.read().decode("utf-8", "replace")
    return out


def run_step(a, case, scratch, step):
    if "argv" in step:
        args = scratch.subst(step["argv"])
    else:
        args = ["run", "--stage=" + step["stage"], "--root=" + scratch.root, "--config-cache=" + scratch.cache,
                "--cmdline-file=" + scratch.cmdline, "--console-dir=" + scratch.console]
    args = args + scratch.subst(step.get("args", []))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGNIS_")}
    env.update(IGNIS_FW_CFG_ROOT=scratch.fw_cfg, IGNIS_SYSTEM_CONFIG_PREFIX=scratch.sys,
               IGNIS_KARGS_HELPER=scratch.helper)
    # Platform auto-detection reads DMI and probes block devices: never the host's.
    env.update(IGNIS_SYSFS_ROOT=os.path.join(scratch.top, "no-sysfs"), IGNIS_DEV_ROOT=os.path.join(scratch.top, "no-dev"))
    for k, v in scratch.subst(case.spec.get("env", {})).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    argv = [a.ignis] + args
    if not a.no_jail:
        argv = ["unshare", "-m"] + (["-n"] if case.spec.get("netns") else []) + \
            [PYTHON, JAIL, "--top", scratch.top, "--"] + argv
    try:
        r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        return r.returncode, r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return 124, (e.stdout or b"").decode("utf-8", "replace") + "\n[timed out]"


def json_subset(want, got):
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and json_subset(v, got[k]) for k, v in want.items())
    return want == got and type(want) == type(got)


def check_file(label, path, want, diags):
    exists = os.path.lexists(path)
    if want.get("absent"):
        if exists:
            diags.append("%s exists, must not" % label)
        return
    if not exists:
        diags.append("%s is missing" % label)
        return
    st = os.lstat(path)
    if "mode" in want and stat.S_IMODE(st.st_mode) != int(want["mode"], 8):
        diags.append("%s has mode %04o, expected %s" % (label, stat.S_IMODE(st.st_mode), want["mode"]))
    if "uid" in want and st.st_uid != want["uid"]:
        diags.append("%s is owned by uid %d, expected %d" % (label, st.st_uid, want["uid"]))
    if "gid" in want and st.st_gid != want["gid"]:
        diags.append("%s has gid %d, expected %d" % (label, st.st_gid, want["gid"]))
    if not (set(want) & {"content", "contains", "not_contains", "json"}):
        return
    if not stat.S_ISREG(st.st_mode):
        diags.append("%s is not a regular file" % label)
        return
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    if "content" in want and text != want["content"]:
        diags.append("%s holds %r, expected %r" % (label, text[:200], want["content"]))
    for s in want.get("contains", []):
        if s not in text:
            diags.append("%s lacks %r" % (label, s))
    for s in want.get("not_contains", []):
        if s in text:
            diags.append("%s contains %r" % (label, s))
    if "json" in want:
        try:
            got = json.loads(text)
        except ValueError as e:
            diags.append("%s is not JSON (%s)" % (label, e))
            return
        if not json_subset(want["json"], got):
            diags.append("%s: JSON %s does not match %s" % (label, json.dumps(got), json.dumps(want["json"])))


def check_expect(scratch, e, base_manifest, first_manifest, diags):
    root_diff = e.get("root_diff")            # manifest.py writes TOP as $TOP itself
    e = scratch.subst(e)
    for p, want in e.get("root", {}).items():
        check_file("root " + p, os.path.join(scratch.root, p.lstrip("/")), want, diags)
    for name, want in e.get("cache", {}).items():
        if any(c in name for c in "*?["):
            matches = fnmatch.filter(os.listdir(scratch.cache_dir), name) if os.path.isdir(scratch.cache_dir) else []
            if want.get("absent") and matches:
                diags.append("cache %s: %s exist(s), must not" % (name, ", ".join(sorted(matches))))
            elif not want.get("absent") and not matches:
                diags.append("cache %s: no match" % name)
            continue
        path = scratch.cache_dir if name == "." else os.path.join(scratch.cache_dir, name)
        check_file("cache " + name, path, want, diags)
    if e.get("root_unchanged") or "root_diff" in e:
        now = root_manifest(scratch)
        if e.get("root_unchanged"):
            d = manifest.diff(base_manifest, now)
            if d:
                diags.append("\n  ".join(["the root changed, must not:"] + d))
        if "root_diff" in e:
            d = manifest.diff(first_manifest, now)
            want = root_diff
            if d != want:
                diags.append("\n  ".join(["root diff differs (--- expected, +++ actual):"] +
                                          list(difflib.unified_diff(want, d, "expected", "actual", lineterm="",
                                                                    n=1))))
    if "kargs_calls" in e:
        calls = []
        if os.path.exists(scratch.helper_log):
            with open(scratch.helper_log) as f:
                calls = [json.loads(l) for l in f if l.strip()]
        if calls != e["kargs_calls"]:
            diags.append("kargs helper calls %s, expected %s" % (json.dumps(calls), json.dumps(e["kargs_calls"])))


def root_manifest(scratch):
    return manifest.manifest(scratch.root, [(scratch.top, "$TOP")])


def run_case(a, case):
    scratch = Scratch(case.name)
    diags = []
    log = []
    try:
        prepare(case, scratch)
        first = root_manifest(scratch)
        secrets = case.spec.get("secrets", [])
        for i, step in enumerate(case.spec["steps"]):
            what = "step %d (%s)" % (i + 1, step.get("stage") or " ".join(step["argv"]))
            if "cmdline" in step:
                write_cmdline(scratch, step["cmdline"], case.spec)
            if "setup" in step:
                try:
                    run_setup(scratch, step["setup"])
                except CaseError as e:
                    diags.append("%s: %s" % (what, e))
                    break
            reset_console(case, scratch)
            before = root_manifest(scratch) if step.get("expect", {}).get("root_unchanged") else None
            status, output = run_step(a, case, scratch, step)
            console = read_console(scratch)
            console_text = "".join(console.values())
            log.append("--- %s: exit %d" % (what, status))
            log.extend(output.splitlines())
            if console_text:
                log.append("--- %s: console %s" % (what, ", ".join(n for n, t in console.items() if t)))
                log.extend(console_text.splitlines())
            sd = []
            want_exit = step.get("exit", 0)
            if status != want_exit:
                sd.append("exit status %d, expected %d" % (status, want_exit))
            for s in scratch.subst(step.get("output", [])):
                if s not in output:
                    sd.append("output lacks %r" % s)
            for s in scratch.subst(step.get("output_not", [])):
                if s in output:
                    sd.append("output contains %r" % s)
            for s in scratch.subst(step.get("console", [])):
                if s not in console_text:
                    sd.append("console lacks %r" % s)
            if step.get("console_on_active"):
                ttys = active_consoles()
                for tty in ttys:
                    if "FAILED" not in console.get(tty, ""):
                        sd.append("the summary is not on the active console %s" % tty)
                if ttys and console.get("console"):
                    sd.append("the summary went to the fallback console although %s is active" % ", ".join(ttys))
                if not ttys:
                    log.append("(no active console in /sys/class/tty/console/active: only the fallback checked)")
            if step.get("console_empty", want_exit == 0) and console_text:
                sd.append("something was written on the console: %r" % console_text[:200])
            for s in secrets:
                if s in output:
                    sd.append("SECRET %r printed in the output" % s)
                if s in console_text:
                    sd.append("SECRET %r written on the console" % s)
            check_expect(scratch, step.get("expect", {}), before, first, sd)
            diags.extend("%s: %s" % (what, d) for d in sd)
            if status in (124,) or status < 0 or status >= 128:
                diags.append("%s: crashed or hung (status %d); later steps skipped" % (what, status))
                break
        fd = []
        check_expect(scratch, case.spec.get("expect", {}), first, first, fd)
        diags.extend("after the last step: " + d for d in fd)
        if diags:
            diags.append("log:")
            diags.extend("  " + l for l in log)
        return not diags, diags
    finally:
        if a.keep:
            diags.append("kept: " + scratch.top)
        else:
            scratch.remove()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ignis", required=True, help="path of the ignis binary")
    ap.add_argument("--cases", default=CASES_DIR, help="cases directory (default: %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument("--no-jail", action="store_true", help="do not confine the stages (debugging only)")
    ap.add_argument("case", nargs="*", help="run only these cases")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("1..0 # SKIP must run as root (chown in the files stage, mount namespaces)")
        return 0
    if not a.no_jail and not shutil.which("unshare"):
        print("1..0 # SKIP unshare(1) is not installed")
        return 0

    names = sorted(n for n in os.listdir(a.cases) if os.path.isdir(os.path.join(a.cases, n)))
    if a.case:
        unknown = set(a.case) - set(names)
        if unknown:
            print("Bail out! no such case(s): %s" % ", ".join(sorted(unknown)))
            return 1
        names = [n for n in names if n in a.case]

    a.ignis, cleanup = testroot.snapshot_binary(os.path.abspath(a.ignis))
    try:
        print("1..%d" % len(names))
        failed = 0
        for n, name in enumerate(names, 1):
            todo = None
            try:
                case = Case(os.path.join(a.cases, name))
                todo = case.todo
                ok, diags = run_case(a, case)
                desc = case.description
            except (CaseError, testroot.CaseError, OSError) as e:
                ok, diags, desc = False, ["broken case: %s" % e], ""
            except Exception as e:  # a runner crash must not hide the other cases
                import traceback
                ok, diags, desc = False, ["runner error: %r" % e, traceback.format_exc()], ""
            failed += testroot.tap_case(n, name, ok, desc, diags, todo=todo, limit=300)
        return testroot.tap_end(failed, len(names))
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
