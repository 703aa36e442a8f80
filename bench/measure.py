#!/usr/bin/env python3
"""Measure ONE run of a command: wall time, peak RSS, CPU time, exit code.

Usage: measure.py [--output FILE] [--no-gnu-time] -- CMD [ARGS...]

Prints one line on stdout:
    <wall_s> <maxrss_kib> <cpu_s> <exit_code> <method>

Run one measure.py process per measured run so that every measurement is
isolated (nothing is accumulated across runs).

How it measures:
  * wall time: time.perf_counter() around spawn..reap (sub-ms resolution;
    GNU time's %e only has 10 ms resolution, so it is not used for wall time).
  * peak RSS: GNU time (/usr/bin/time) %M, with GNU time as the direct parent
    of the measured command.  Reason: Linux reports a child's ru_maxrss as at
    least the RSS its *parent* had when it forked/exec'd (the pre-exec mm's
    high-water mark is folded in at exec), so a child spawned straight from
    Python can never report less than Python's own ~14 MiB.  GNU time is a
    tiny C program, so its floor is ~1 MiB.  The wall time therefore also
    includes GNU time's own exec+fork (~1 ms; printed by validate.sh as the
    "spawn overhead" baseline, identical for both tools).
  * fallback when /usr/bin/time is missing (or --no-gnu-time): os.wait4() on
    the direct child (ru_maxrss of exactly that child), with the Python floor
    described above; method is then reported as "wait4".
The command's stdout+stderr go to --output (default /dev/null).
"""

import os
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"


def main():
    argv = sys.argv[1:]
    out = os.devnull
    use_gnu = os.access(GNU_TIME, os.X_OK)
    while argv and argv[0] != "--":
        a = argv.pop(0)
        if a == "--output":
            out = argv.pop(0)
        elif a == "--no-gnu-time":
            use_gnu = False
        else:
            sys.exit(f"measure.py: unknown option {a}")
    if not argv or argv[0] != "--" or len(argv) < 2:
        sys.exit("usage: measure.py [--output FILE] [--no-gnu-time] -- CMD [ARGS...]")
    cmd = argv[1:]

    with open(out, "wb") as fh:
        if use_gnu:
            fd, tfile = tempfile.mkstemp(prefix="measure.", suffix=".time")
            os.close(fd)
            try:
                full = [GNU_TIME, "-f", "%M %U %S", "-o", tfile, "--"] + cmd
                t0 = time.perf_counter()
                p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=fh,
                                     stderr=subprocess.STDOUT)
                _, status, _ = os.wait4(p.pid, 0)
                wall = time.perf_counter() - t0
                p.returncode = 0  # reaped by us; keep Popen from waiting again
                with open(tfile) as tf:
                    lines = [l for l in tf.read().splitlines() if l.strip()]
            finally:
                os.unlink(tfile)
            # GNU time prints "Command exited with non-zero status N" or
            # "Command terminated by signal N" before the format line.
            rss, utime, stime = lines[-1].split()
            rss_kib = int(rss)
            cpu = float(utime) + float(stime)
            code = os.waitstatus_to_exitcode(status)
            method = "gnu-time"
        else:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fh,
                                 stderr=subprocess.STDOUT)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = 0
            rss_kib = ru.ru_maxrss
            cpu = ru.ru_utime + ru.ru_stime
            code = os.waitstatus_to_exitcode(status)
            method = "wait4"
    print(f"{wall:.6f} {rss_kib} {cpu:.3f} {code} {method}")


if __name__ == "__main__":
    main()
