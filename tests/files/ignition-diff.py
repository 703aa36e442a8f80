#!/usr/bin/python3
"""Differential test: ignis apply against Debian's Ignition 2.14 on the same cases.

    ignition-diff.py --ignis build/ignis [--cases DIR] [CASE...]

For every case (tests/files/cases/*) whose config is spec <= 3.3.0 (the newest
stable spec Ignition 2.14 accepts) and that ignition-differences.md does not
exclude, two scratch roots are built from the same skeleton and setup; one
gets Ignition (`-platform file -stage fetch-offline`, then `-stage files`,
in a private mount namespace with tmpfs /run, a no-op setfiles and a fake of
systemd's D-Bus socket: jail.py), the other `ignis apply`. The manifests of
both roots (manifest.py, as a diff against the identical starting state) must
be identical, and both must succeed or both fail.

Normalisations and known differences live in one place,
ignition-differences.md: its "Cases not compared" table is read to skip
cases (TAP `# SKIP reason`), its "Known differences" table marks cases whose
difference is intended (TAP `# TODO reason`: reported, not counted as a
failure; an unexpected match is reported too). Skips everything when Ignition
is not installed. Must run as root. Exit status 1 if a case differs.
"""

import argparse
import difflib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manifest  # noqa: E402
import testroot  # noqa: E402

IGNITION = "/usr/lib/dracut/modules.d/30ignition/ignition"
DIFFERENCES = os.path.join(testroot.HERE, "ignition-differences.md")
PRESET = "/etc/systemd/system-preset/20-ignition.preset"
NEWEST_SPEC = (3, 3, 0)


def read_tables(path):
    """{section title: [[cell, ...], ...]} for every markdown table."""
    tables, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                section = line[3:].strip()
            elif line.startswith("|") and section:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if all(re.fullmatch(r":?-+:?", c) for c in cells):
                    continue
                tables.setdefault(section, []).append(cells)
    # drop header rows
    return {k: v[1:] for k, v in tables.items()}


def cases_in(cell):
    return re.findall(r"`([^`]+)`", cell)


def load_differences():
    tables = read_tables(DIFFERENCES)
    skip, todo = {}, {}
    for row in tables.get("Cases not compared", []):
        for name in cases_in(row[0]):
            skip[name] = row[-1]
    for row in tables.get("Known differences", []):
        for name in cases_in(row[0]):
            todo[name] = row[1]
    return skip, todo


def spec_tuple(version):
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(-experimental)?", version or "")
    return tuple(int(x) for x in m.groups()[:3]) if m else None


def apply(case, applier, a):
    scratch = testroot.Scratch("diff-" + applier + "-" + case.name)
    try:
        case.prepare(scratch)
        subst, sort = [(scratch.top, "$TOP")], [PRESET]
        before = manifest.manifest(scratch.root, subst, sort)
        outside = scratch.outside_state()
        if applier == "ignition":
            argv = ["ignition-files", scratch.config, scratch.root]
        else:
            argv = [a.ignis, "apply", "--root=" + scratch.root] + case.args + [scratch.config]
        try:
            # ignis runs setfiles where the target has a policy; this host
            # has none, so it gets the recorder (Ignition gets its no-op).
            status, output = testroot.run_jailed(scratch, argv, ignition=(applier == "ignition"),
                                                 record_setfiles=None if applier == "ignition"
                                                 else case.setfiles_log(scratch))
        finally:
            case.run_after(scratch)     # cleanup (loop devices); its checks are run-cases.py's
        after = manifest.manifest(scratch.root, subst, sort)
        escaped = scratch.outside_state() != outside
        return status, output, manifest.diff(before, after), escaped
    finally:
        scratch.remove()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ignis", required=True, help="path of the ignis binary")
    ap.add_argument("--cases", default=testroot.CASES_DIR)
    ap.add_argument("--verbose", action="store_true", help="print both outputs for every difference")
    ap.add_argument("case", nargs="*")
    a = ap.parse_args()
    a.ignis = os.path.abspath(a.ignis)
    testroot.require_root()
    if not os.access(IGNITION, os.X_OK):
        print("1..0 # SKIP Ignition 2.14 is not installed (%s); apt-get install ignition" % IGNITION)
        return 0

    a.ignis, cleanup = testroot.snapshot_binary(a.ignis)
    try:
        return run_all(a)
    finally:
        cleanup()


def run_all(a):
    skip, todo = load_differences()
    cases = testroot.load_cases(a.cases, a.case)
    unknown = (set(skip) | set(todo)) - {c.name for c in testroot.load_cases(a.cases)}
    print("1..%d" % len(cases))
    if unknown:
        print("# ignition-differences.md names cases that do not exist: %s" % ", ".join(sorted(unknown)))
    failed = compared = 0
    for n, case in enumerate(cases, 1):
        spec = spec_tuple(case.spec_version)
        if case.name in skip:
            print("ok %d - %s # SKIP %s" % (n, case.name, skip[case.name]))
            continue
        if spec is not None and spec > NEWEST_SPEC:
            print("ok %d - %s # SKIP spec %s: Ignition 2.14 accepts 3.0.0-3.3.0 (and 3.4.0-experimental)"
                  % (n, case.name, case.spec_version))
            continue
        compared += 1
        try:
            ig = apply(case, "ignition", a)
            me = apply(case, "ignis", a)
        except testroot.CaseError as e:
            print("not ok %d - %s" % (n, case.name))
            testroot.tap_diag("broken case: %s" % e)
            failed += 1
            continue
        diags = []
        if (ig[0] == 0) != (me[0] == 0):
            diags.append("Ignition exit status %d, ignis %d" % (ig[0], me[0]))
        for who, res in (("Ignition", ig), ("ignis", me)):
            if res[3]:
                diags.append("%s changed the sentinel beside the root (escaped the root)" % who)
        if ig[2] != me[2]:
            diags.append("changes differ (--- Ignition, +++ ignis):")
            diags += list(difflib.unified_diff(ig[2], me[2], "ignition", "ignis", lineterm="", n=1))
        same = not diags
        directive = ""
        if case.name in todo:
            directive = " # TODO known difference: " + todo[case.name]
        print("%s %d - %s%s" % ("ok" if same else "not ok", n, case.name, directive))
        if not same:
            if not directive or a.verbose:
                diags += ["Ignition output:"] + ig[1].splitlines()[-40:]
                diags += ["ignis output:"] + me[1].splitlines()[-40:]
            testroot.tap_diag("\n".join(diags))
            if not directive:
                failed += 1
        elif directive:
            print("# %s: no difference from Ignition although ignition-differences.md lists one: "
                  "if the case's expectation was met, remove the row" % case.name)
        sys.stdout.flush()
    print("# compared %d of %d cases, %d differ unexpectedly" % (compared, len(cases), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
