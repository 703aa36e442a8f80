#!/usr/bin/python3
"""Differential test: ignis validate vs Ignition's ignition-validate.  TAP.

    ignition-diff.py --ignis PATH --cases DIR [--ignition-validate PATH] [FILTER ...]

Debian's ignition-validate is Ignition 2.14: it knows spec 3.0.0-3.3.0 (and
3.4.0-experimental).  For every golden case (the committed ones under DIR and
the ones gen-big-cases.py generates) that such a validator can judge, both
tools run and must reach the same verdict: valid (exit 0) or not (non-zero).
In scope are cases whose ignition.version is 3.0.0-3.3.0, cases that are not
JSON at all (syntax errors), and cases whose version is not one ignis reads
(2.x, 4.0.0, "3.4", missing, ...).  Messages are not compared: the verdict is
what decides whether a machine boots.

Known, intended differences are listed in ONE file, ignition-differences.txt
next to this script: `case-name: reason` per line (case-name as run-cases.py
prints it, e.g. `invalid/compression-s3-gzip`).  A listed case is reported as
`ok N - name # SKIP documented difference: reason`; a listed case on which
the tools agree fails, and so does a listed name that matches no case in
scope, so the list stays true.

Without ignition-validate this prints `1..0 # SKIP ignition-validate not installed`.
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # the sibling scripts are loaded from the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
OLD_VERSIONS = {"3.0.0", "3.1.0", "3.2.0", "3.3.0"}
IGNIS_VERSIONS = {"3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0",
                  "3.7.0-experimental"}
TIMEOUT = 300


def load_sibling(filename, modname):
    spec = importlib.util.spec_from_file_location(modname, os.path.join(HERE, filename))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_differences(path):
    diffs, problems = {}, []
    if not os.path.exists(path):
        return diffs, ["%s does not exist" % path]
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, reason = line.partition(":")
            if not sep or not reason.strip():
                problems.append("%s:%d: expected `case-name: reason`" % (os.path.basename(path), n))
                continue
            if name.strip() in diffs:
                problems.append("%s:%d: %s listed twice" % (os.path.basename(path), n, name.strip()))
            diffs[name.strip()] = reason.strip()
    return diffs, problems


def ci_get(obj, key):
    """Member lookup the way Go's decoder does it: exact key, else ignoring case (last wins)."""
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    found = None
    for k, v in obj.items():
        if k.lower() == key.lower():
            found = v
    return found


def reject_constant(name):
    raise ValueError("not JSON: %s" % name)


def scope(path):
    """Why the case is compared ("version 3.2.0", "not JSON", ...), or None."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "not JSON"
    version = ci_get(ci_get(doc, "ignition"), "version")
    if isinstance(version, str) and version in OLD_VERSIONS:
        return "version " + version
    if isinstance(version, str) and version in IGNIS_VERSIONS:
        return None
    return "unsupported version %s" % json.dumps(version)


def run(argv, cwd):
    try:
        p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % TIMEOUT
    return p.returncode, p.stdout.decode("utf-8", errors="backslashreplace")


def verdict(rc):
    return {None: "timeout", 0: "valid"}.get(rc, "invalid")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ignis", required=True)
    ap.add_argument("--cases", default=HERE)
    ap.add_argument("--ignition-validate", default="/usr/bin/ignition-validate")
    ap.add_argument("--differences", default=os.path.join(HERE, "ignition-differences.txt"))
    ap.add_argument("filters", nargs="*", help="only cases whose name contains one of these")
    a = ap.parse_args()

    if not os.access(a.ignition_validate, os.X_OK):
        print("1..0 # SKIP ignition-validate not installed")
        return 0
    ignis = os.path.abspath(a.ignis)
    runner = load_sibling("run-cases.py", "run_cases")
    diffs, problems = read_differences(a.differences)

    cases, _ = runner.collect(a.cases)
    gen_dir = tempfile.mkdtemp(prefix="ignis-diff-")
    try:
        runner.load_generator().generate(gen_dir)
        gcases, _ = runner.collect(gen_dir, "generated/", generated=True)
        cases += gcases
        if a.filters:
            cases = [c for c in cases if any(f in c.name for f in a.filters)]

        selected = []
        for c in cases:
            why = scope(c.path(".json"))
            if why:
                selected.append((c, why))

        print("1..%d" % (len(selected) + 1))
        print("# %d of %d cases in scope for %s" % (len(selected), len(cases), a.ignition_validate))
        failed = agree = documented = 0
        for i, (c, why) in enumerate(selected, 1):
            irc, iout = run([ignis, "validate"] + c.args() + [c.config], c.directory)
            grc, gout = run([a.ignition_validate, c.config], c.directory)
            same = verdict(irc) == verdict(grc) and irc is not None
            reason = diffs.get(c.name)
            detail = ["%s; ignis %s (exit %s), ignition-validate %s (exit %s)" % (
                why, verdict(irc), irc, verdict(grc), grc)]
            detail += ["ignis: " + l for l in iout.splitlines()[:15]]
            detail += ["ignition-validate: " + l for l in gout.splitlines()[:15]]
            if irc is not None and irc not in (0, 1):
                same = False
                detail.insert(0, "ignis exit status %s is neither 0 nor 1" % irc)
            if same and reason is None:
                agree += 1
                print("ok %d - %s" % (i, c.name))
            elif not same and reason is not None:
                documented += 1
                print("ok %d - %s # SKIP documented difference: %s" % (i, c.name, reason))
            else:
                failed += 1
                print("not ok %d - %s" % (i, c.name))
                if reason is not None:
                    print("# listed in %s (%s) but both tools agree (ignis regressed, or the difference is gone: then remove the line)" % (
                        os.path.basename(a.differences), reason))
                for l in detail:
                    print("# " + l)
            sys.stdout.flush()

        names = {c.name for c, _ in selected}
        if not a.filters:
            for name in sorted(diffs):
                if name not in names:
                    problems.append("%s: listed, but no such case in scope" % name)
        i = len(selected) + 1
        if problems:
            failed += 1
            print("not ok %d - %s is well-formed and current" % (i, os.path.basename(a.differences)))
            for p in problems:
                print("# " + p)
        else:
            print("ok %d - %s is well-formed and current" % (i, os.path.basename(a.differences)))
        print("# %d agree, %d documented differences, %d failed" % (agree, documented, failed))
        return 1 if failed else 0
    finally:
        shutil.rmtree(gen_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
