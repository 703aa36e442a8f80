#!/usr/bin/python3
"""Golden cases for `ignis validate`, as data.  Output is TAP.

    run-cases.py --ignis PATH --cases DIR [--update] [--keep-generated DIR] [FILTER ...]

A case is a config plus what ignis must say about it:

  DIR/valid/NAME.json      must exit 0.  NAME.out, if present, is the exact
                           expected stdout (warnings); no NAME.out means no
                           output at all.
  DIR/invalid/NAME.json    must exit 1; NAME.out (required) is the exact
                           expected stdout.
  NAME.args                optional, either kind: one line of extra arguments
                           for `ignis validate` (e.g. `--strict`).

Each case runs as `ignis validate [ARGS] NAME.json` with the case's directory
as the working directory, so diagnostics start with `NAME.json:`.  Besides
exit status and stdout, a case also checks that stderr is empty and that
`--json` reports the same verdict and as many diagnostics as there are text
lines.

Large and deep inputs are not committed: gen-big-cases.py (next to this
script) writes them into a temporary directory at the start of every run and
they run as `generated/valid/NAME` and `generated/invalid/NAME`.

FILTER arguments (substrings of case names) run a subset.  --update rewrites
the .out files of committed cases from the current binary (delete .out for
valid cases without output); review the diff before committing, every line
is a claim about Ignition's semantics.
"""

import argparse
import difflib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # the sibling scripts are loaded from the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = (("valid", 0), ("invalid", 1))
TIMEOUT = 120


class Case:
    def __init__(self, name, directory, stem, expect_rc, generated=False):
        self.name = name                  # "invalid/foo" or "generated/valid/bar"
        self.directory = directory
        self.stem = stem
        self.expect_rc = expect_rc
        self.generated = generated
        self.problems = []                # structural problems found while collecting

    @property
    def config(self):
        return self.stem + ".json"

    def path(self, ext):
        return os.path.join(self.directory, self.stem + ext)

    def args(self):
        p = self.path(".args")
        if not os.path.exists(p):
            return []
        with open(p, encoding="utf-8") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        if len(lines) > 1:
            self.problems.append("%s.args must be one line" % self.stem)
        return shlex.split(lines[0]) if lines else []

    def expected(self):
        p = self.path(".out")
        if not os.path.exists(p):
            return None
        with open(p, "rb") as f:
            return f.read()


def collect(root, prefix="", generated=False):
    cases, stray = [], []
    for kind, rc in KINDS:
        d = os.path.join(root, kind)
        if not os.path.isdir(d):
            continue
        names = sorted(os.listdir(d))
        stems = {n[:-5] for n in names if n.endswith(".json")}
        for n in names:
            stem, ext = os.path.splitext(n)
            if n.endswith(".json"):
                continue
            if ext in (".out", ".args") and stem in stems:
                continue
            stray.append(os.path.join(prefix + kind, n))
        for stem in sorted(stems):
            c = Case(prefix + kind + "/" + stem, d, stem, rc, generated)
            if kind == "invalid" and not os.path.exists(c.path(".out")):
                c.problems.append("invalid case without %s.out (the expected diagnostics)" % stem)
            cases.append(c)
    return cases, stray


def load_generator():
    path = os.path.join(HERE, "gen-big-cases.py")
    spec = importlib.util.spec_from_file_location("gen_big_cases", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(ignis, case, extra):
    argv = [ignis, "validate"] + extra + case.args() + [case.config]
    try:
        p = subprocess.run(argv, cwd=case.directory, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, b"", b"timed out after %d s" % TIMEOUT
    return p.returncode, p.stdout, p.stderr


def text(b):
    return b.decode("utf-8", errors="backslashreplace")


def check(ignis, case):
    """Returns a list of diagnostic lines; empty means the case passed."""
    diag = list(case.problems)
    rc, out, err = run(ignis, case, [])
    if rc is None:
        return diag + [text(err)]
    want = case.expected()
    if want is None:
        want = b""
    if rc != case.expect_rc:
        diag.append("exit status %s, expected %d" % (rc, case.expect_rc))
    if out != want:
        diag.append("stdout differs from %s.out:" % case.stem)
        diag += [l.rstrip("\n") for l in difflib.unified_diff(
            text(want).splitlines(True), text(out).splitlines(True),
            "expected", "actual", n=2)]
        if want and not want.endswith(b"\n"):
            diag.append("(note: %s.out does not end with a newline)" % case.stem)
    if err:
        diag.append("stderr is not empty:")
        diag += text(err).splitlines()

    # --json: same verdict, one diagnostic per text line.
    jrc, jout, jerr = run(ignis, case, ["--json"])
    if jrc is None:
        return diag + ["--json: " + text(jerr)]
    if jrc != rc:
        diag.append("--json exit status %s, text mode %s" % (jrc, rc))
    try:
        report = json.loads(jout)
        files = report if isinstance(report, list) else [report]
        n = sum(len(f.get("diagnostics", [])) for f in files)
        lines = len(out.splitlines())
        if n != lines:
            diag.append("--json has %d diagnostics, text mode printed %d lines" % (n, lines))
        valid = all(f.get("valid") for f in files)
        if valid != (rc == 0):
            diag.append("--json says valid=%s, exit status %s" % (valid, rc))
        sev = [d.get("severity") for f in files for d in f.get("diagnostics", [])]
        tsev = ["error" if ": error: " in l else "warning" for l in text(out).splitlines()]
        if sorted(sev) != sorted(tsev):
            diag.append("--json severities %s differ from text mode %s" % (sev, tsev))
    except (ValueError, AttributeError, TypeError) as e:
        diag.append("--json output is not a usable JSON report (%s):" % e)
        diag += text(jout).splitlines()[:20]
    return diag


def update(ignis, case):
    rc, out, _ = run(ignis, case, [])
    outp = case.path(".out")
    note = "" if rc == case.expect_rc else " (exit status %s, expected %d!)" % (rc, case.expect_rc)
    if case.expect_rc == 0 and not out:
        if os.path.exists(outp):
            os.unlink(outp)
            return "removed %s%s" % (outp, note)
        return None if not note else "%s%s" % (case.name, note)
    old = case.expected()
    if old == out:
        return None if not note else "%s%s" % (case.name, note)
    with open(outp, "wb") as f:
        f.write(out)
    return "wrote %s%s" % (outp, note)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ignis", required=True, help="the ignis binary")
    ap.add_argument("--cases", default=HERE, help="directory holding valid/ and invalid/")
    ap.add_argument("--update", action="store_true",
                    help="rewrite .out files of committed cases from the current binary")
    ap.add_argument("--keep-generated", metavar="DIR",
                    help="write the generated cases here and keep them (default: a temp dir)")
    ap.add_argument("filters", nargs="*", help="only cases whose name contains one of these")
    a = ap.parse_args()

    ignis = os.path.abspath(a.ignis)
    if not os.access(ignis, os.X_OK):
        print("Bail out! %s is not executable" % ignis)
        return 1

    cases, stray = collect(a.cases)
    gen_dir = None
    if not a.update:
        if a.keep_generated:
            gen_dir = os.path.abspath(a.keep_generated)
            os.makedirs(gen_dir, exist_ok=True)
        else:
            gen_dir = tempfile.mkdtemp(prefix="ignis-cases-")
        load_generator().generate(gen_dir)
        gcases, gstray = collect(gen_dir, "generated/", generated=True)
        cases += gcases
        stray += gstray
    if a.filters:
        cases = [c for c in cases if any(f in c.name for f in a.filters)]

    try:
        if a.update:
            for c in cases:
                msg = update(ignis, c)
                if msg:
                    print(msg)
            return 0

        n_valid = sum(1 for c in cases if c.expect_rc == 0)
        print("1..%d" % (len(cases) + 1))
        print("# %d cases: %d valid, %d invalid (%d generated)" % (
            len(cases), n_valid, len(cases) - n_valid, sum(1 for c in cases if c.generated)))
        failed = 0
        for i, c in enumerate(cases, 1):
            diag = check(ignis, c)
            if diag:
                failed += 1
                print("not ok %d - %s" % (i, c.name))
                for l in diag:
                    print("# " + l)
            else:
                print("ok %d - %s" % (i, c.name))
            sys.stdout.flush()
        i = len(cases) + 1
        if stray and not a.filters:
            failed += 1
            print("not ok %d - case directories hold only NAME.json/.out/.args" % i)
            for s in stray:
                print("# stray file: %s" % s)
        else:
            print("ok %d - case directories hold only NAME.json/.out/.args" % i)
        if failed:
            print("# %d of %d failed" % (failed, len(cases) + 1))
        return 1 if failed else 0
    finally:
        if gen_dir and not a.keep_generated:
            shutil.rmtree(gen_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
