# SPDX-License-Identifier: Apache-2.0
"""The TAP output of the dracut module's script tests: ok() per check, then
end() prints the plan and gives the exit status."""

import sys

n = failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {name}")
    if not cond:
        failed += 1
        for line in str(detail).splitlines():
            print("#   " + line)


def end():
    print(f"1..{n}")
    sys.exit(1 if failed else 0)
