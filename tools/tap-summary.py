#!/usr/bin/python3
"""Counts TAP results over meson test logs: every `ok`/`not ok` line of every
test program is one test, so the summary counts golden cases, not programs.

Before the count it lists every failure (the log, the test program, the
TAP line and the first lines of its diagnostics) and the skips per program:
the end of a CI log is often all that is kept, and must say what failed."""
import json
import os
import re
import sys

DIAG_LINES = 12

passed = failed = skipped = 0
failures = []           # (log, test, line, diagnostics)
skips = {}              # (log, test) -> count
for path in sys.argv[1:]:
    label = os.path.basename(path).replace("ignis-testlog-", "").replace(".json", "")
    with open(path) as f:
        for line in f:
            try:
                t = json.loads(line)
            except ValueError:
                continue
            name = t.get("name", "?")
            out = t.get("stdout") or ""
            lines = out.splitlines()
            n = test_failed = 0
            for i, l in enumerate(lines):
                m = re.match(r"^(not ok|ok)\b", l)
                if not m:
                    continue
                n += 1
                # SKIP, and TODO (a documented, expected difference), are
                # neither passes nor failures.
                if re.search(r"#\s*(SKIP|TODO)", l, re.I):
                    skipped += 1
                    skips[(label, name)] = skips.get((label, name), 0) + 1
                elif m.group(1) == "ok":
                    passed += 1
                else:
                    failed += 1
                    test_failed += 1
                    diag = []
                    for d in lines[i + 1:]:
                        if re.match(r"^(not ok|ok)\b", d) or len(diag) == DIAG_LINES:
                            break
                        diag.append(d)
                    failures.append((label, name, l, diag))
            result = t.get("result")
            # A program that failed without TAP lines (crash, timeout) still counts.
            if n == 0:
                if result == "OK":
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                    skips[(label, name)] = skips.get((label, name), 0) + 1
                else:
                    failed += 1
                    failures.append((label, name, "%s (exit %s)" % (result, t.get("returncode")),
                                     (out + (t.get("stderr") or "")).splitlines()[-DIAG_LINES:]))
            elif result not in ("OK", "SKIP", "EXPECTEDFAIL") and test_failed == 0:
                failed += 1
                failures.append((label, name, "%s (exit %s) after all its TAP lines passed"
                                 % (result, t.get("returncode")),
                                 (t.get("stderr") or "").splitlines()[-DIAG_LINES:]))

if skips:
    print("skipped (SKIP or TODO), per test program:")
    for (label, name), k in sorted(skips.items()):
        print("  %-9s %-40s %d" % (label, name, k))
if failures:
    print("FAILED:")
    for label, name, l, diag in failures:
        print("  [%s] %s: %s" % (label, name, l))
        for d in diag:
            print("      " + d)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
