#!/usr/bin/python3
"""Counts TAP results over a meson test log: every `ok`/`not ok` line of every
test program is one test, so the summary counts golden cases, not programs."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            try:
                t = json.loads(line)
            except ValueError:
                continue
            out = t.get("stdout") or ""
            n = 0
            for l in out.splitlines():
                m = re.match(r"^(not ok|ok)\b", l)
                if not m:
                    continue
                n += 1
                # SKIP, and TODO (a documented, expected difference), are
                # neither passes nor failures.
                if re.search(r"#\s*(SKIP|TODO)", l, re.I):
                    skipped += 1
                elif m.group(1) == "ok":
                    passed += 1
                else:
                    failed += 1
            # A program that failed without TAP lines (crash, timeout) still counts.
            if n == 0:
                if t.get("result") in ("OK",):
                    passed += 1
                elif t.get("result") == "SKIP":
                    skipped += 1
                else:
                    failed += 1
            elif t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and failed == 0:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
