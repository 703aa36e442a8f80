#!/usr/bin/python3
"""Runs the files-stage cases (tests/files/cases/*) against `ignis apply`.

    run-cases.py --ignis build/ignis [--cases DIR] [CASE...]
    run-cases.py --ignis build/ignis --update [CASE...]    rewrite expected.manifest
    run-cases.py --oracle [CASE...]                        apply with Ignition 2.14 instead

Must run as root. Every case gets a fresh scratch directory under /var/tmp
(world-searchable): the skeleton (skeleton.list) is built in TOP/root, the
case's pre.list/setup.sh add their state, the manifest is taken, then

    ignis apply --root=TOP/root [ARGS from the case's `args`] TOP/config.json

runs in a private mount namespace where only TOP is writable (jail.py), the
manifest is taken again and the diff of the two (manifest.py) must equal
expected.manifest exactly. Cases with expected.fail must exit with the given
status, print every `contains` substring, and with `nothing-written` leave the
root unchanged. Cases with expected.setfiles run with a recording setfiles
and must hand it exactly those arguments and paths; after.sh runs after the
applier. Every case also checks that TOP/outside (a sentinel beside the
root) was not touched. Prints TAP; exit status 1 if any case failed.

--update writes expected.manifest from what the binary did (only for cases
whose exit status matched); review the diff before committing it.
--oracle applies with Ignition 2.14 (fetch-offline + files, as in
ignition-diff.py) to see where Ignition meets the expectations; message
substrings are not checked then (Ignition words its errors differently), and
the preset file's lines are sorted before hashing (Ignition's order is
random). --oracle --update bootstraps expectations from Ignition: review
them against ignition-differences.md before committing.
"""

import argparse
import difflib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manifest  # noqa: E402
import testroot  # noqa: E402

PRESET = "/etc/systemd/system-preset/20-ignition.preset"


def run_case(case, a):
    """Returns (ok, diagnostics, actual_diff, status_ok)."""
    scratch = testroot.Scratch(case.name)
    diags = []
    try:
        case.prepare(scratch)
        subst = [(scratch.top, "$TOP")]
        # Ignition writes preset lines in random order, ignis sorted (N6)
        sort = [PRESET] if a.oracle else []
        before = manifest.manifest(scratch.root, subst, sort)
        outside_before = scratch.outside_state()
        if a.oracle:
            argv = ["ignition-files", scratch.config, scratch.root]
        else:
            argv = [a.ignis, "apply", "--root=" + scratch.root] + case.args + [scratch.config]
        try:
            status, output = testroot.run_jailed(scratch, argv, ignition=a.oracle, jail=not a.no_jail,
                                                 record_setfiles=None if a.oracle else case.setfiles_log(scratch))
        finally:
            after_ok, after_output = case.run_after(scratch)
        after = manifest.manifest(scratch.root, subst, sort)
        actual = manifest.diff(before, after)

        ok = True
        want_status = case.fail["exit"] if case.fail else 0
        status_ok = status == want_status
        if not status_ok:
            ok = False
            diags.append("exit status %d, expected %d" % (status, want_status))
        if case.fail and not a.oracle:
            for text in case.fail["contains"]:
                if text not in output:
                    ok = False
                    diags.append("output lacks %r" % text)
        expected = case.expected_diff()
        nothing_written = bool(case.fail and case.fail["nothing_written"])
        if a.update and status_ok and not nothing_written:
            pass                                   # main() rewrites expected.manifest
        elif expected is None:
            if not a.update:
                ok = False
                diags.append("no expected.manifest (run with --update to create it)")
        elif expected != actual:
            ok = False
            if nothing_written:
                diags.append("the root changed but nothing may be written:")
            else:
                diags.append("manifest diff differs (--- expected, +++ actual):")
            diags += list(difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=1))
        if not after_ok:
            ok = False
            diags.append("after.sh failed:")
            diags += after_output.splitlines()
        if not a.oracle:
            setfiles_diags = case.check_setfiles(scratch)
            if setfiles_diags:
                ok = False
                diags += setfiles_diags
        if scratch.outside_state() != outside_before:
            ok = False
            diags.append("the sentinel directory beside the root (TOP/outside) or TOP itself changed")
        if not ok:
            diags.append("ignis output:" if not a.oracle else "Ignition output:")
            diags += output.splitlines()
        return ok, diags, actual, status_ok
    finally:
        if a.keep:
            diags.append("kept: " + scratch.top)
        else:
            scratch.remove()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ignis", help="path of the ignis binary")
    ap.add_argument("--cases", default=testroot.CASES_DIR, help="cases directory (default: %(default)s)")
    ap.add_argument("--update", action="store_true", help="write expected.manifest from this run")
    ap.add_argument("--oracle", action="store_true", help="apply with Ignition 2.14 instead of ignis")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument("--no-jail", action="store_true", help="do not confine the applier (debugging only)")
    ap.add_argument("case", nargs="*", help="run only these cases")
    a = ap.parse_args()
    if not a.oracle and not a.ignis:
        ap.error("--ignis PATH is needed (or --oracle)")
    if a.ignis:
        a.ignis = os.path.abspath(a.ignis)
    testroot.require_root()
    if a.oracle and not os.path.exists("/usr/lib/dracut/modules.d/30ignition/ignition"):
        print("1..0 # SKIP Ignition 2.14 is not installed")
        return 0

    cases = testroot.load_cases(a.cases, a.case)
    cleanup = lambda: None  # noqa: E731
    if a.ignis:
        a.ignis, cleanup = testroot.snapshot_binary(a.ignis)
    try:
        return run_all(cases, a)
    finally:
        cleanup()


def run_all(cases, a):
    print("1..%d" % len(cases))
    failed = 0
    for n, case in enumerate(cases, 1):
        try:
            ok, diags, actual, status_ok = run_case(case, a)
        except testroot.CaseError as e:
            ok, diags, actual, status_ok = False, ["broken case: %s" % e], None, False
        except Exception as e:  # a crash in the runner must not hide the other cases
            import traceback
            ok, diags, actual, status_ok = False, ["runner error: %r" % e, traceback.format_exc()], None, False
        if a.update and actual is not None and status_ok and not (case.fail and case.fail["nothing_written"]):
            old = case.expected_diff()
            if old != actual:
                with open(case.expected_manifest_path, "w") as f:
                    f.write("".join(l + "\n" for l in actual))
                diags.insert(0, "expected.manifest updated")
        failed += testroot.tap_case(n, case.name, ok, case.description, diags,
                                    show_diags=not ok or bool(a.update and diags))
    return testroot.tap_end(failed, len(cases))


if __name__ == "__main__":
    sys.exit(main())
