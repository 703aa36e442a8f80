#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""How the validator's cost grows with its input: the worst cases found.

    bench/validate-growth.py [--ignis PATH] [--ignition PATH|--no-ignition]
                             [--steps N] [--scale F] [--repeat N] [CASE...]

Each case generates a config, doubles the size of its large part STEPS
times (default 5) and measures `ignis validate` (or fetch-offline, for the
merge case) per size, the fastest of --repeat runs (default 3): wall time
and peak RSS. Side by side, Debian's
`ignition-validate` (Ignition 2.14) on the same file where it can read it.
The ratio column is CPU time(size) / CPU time(size / 2): ~2 is linear, ~4
quadratic (CPU time, because wall time on a shared machine is noisy).

Cases:
  long-path       one file whose path has N components
  error-array     N files `{}` in storage.files, each an error (no path)
  partitions      N partitions on one disk (the overlap check)
  merge           a base.d config and a user config with N files each,
                  merged by `ignis run --stage=fetch-offline`
  big-config      N files with inline contents (peak memory per input byte)

Exit status: 0 every case's last ratio is below 3 (so not quadratic), 1 one
is not, 2 usage or setup error. Scratch files go to bench/out/growth/.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out", "growth")


def cfg(**sections):
    c = {"ignition": {"version": "3.3.0"}}
    c.update(sections)
    return c


def long_path(n):
    return cfg(storage={"files": [{"path": "/" + "a/" * n + "f"}]})


def error_array(n):
    return cfg(storage={"files": [{} for _ in range(n)]})


def partitions(n):
    return cfg(storage={"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": i + 1, "startMiB": 2 * i + 1, "sizeMiB": 1} for i in range(n)]}]})


def files(prefix, n):
    return [{"path": "/var/lib/%s/%07d" % (prefix, i), "mode": 420,
             "contents": {"source": "data:,x"}} for i in range(n)]


def big_config(n):
    return cfg(storage={"files": [{"path": "/srv/f%07d" % i, "mode": 420, "overwrite": True,
                                   "contents": {"source": "data:;base64,aGVsbG8gd29ybGQK"}}
                                  for i in range(n)]})


CASES = {
    # name: (generator, base size)
    "long-path": (long_path, 100000),
    "error-array": (error_array, 10000),
    "partitions": (partitions, 10000),
    "merge": (None, 2500),
    "big-config": (big_config, 10000),
}


SPAWN_MEASURE = os.path.join(OUT, "spawn-measure")


def build_spawn_measure():
    """Peak RSS needs a small spawner: Linux counts the forking process's
    memory in the child's ru_maxrss (bench/spawn-measure.c says more)."""
    src = os.path.join(HERE, "spawn-measure.c")
    if not os.path.exists(SPAWN_MEASURE) or os.path.getmtime(SPAWN_MEASURE) < os.path.getmtime(src):
        subprocess.run(["cc", "-O2", "-o", SPAWN_MEASURE, src], check=True)


def measure(argv, env=None):
    """(wall seconds, peak RSS KiB, exit status, CPU seconds) of one run."""
    out = subprocess.run([SPAWN_MEASURE, os.path.join(OUT, "last-output")] + argv, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[3]), float(out[2])


def best(args, argv, env=None):
    """The fastest of --repeat runs: the machine's noise only adds time."""
    runs = [measure(argv, env) for _ in range(args.repeat)]
    return min(runs, key=lambda r: r[0])


def run_validate(args, path, with_ignition):
    ig = best(args, [args.ignis, "validate", path])
    ign = measure([args.ignition, path]) if args.ignition and with_ignition else None
    return ig, ign


def run_merge(args, n, d):
    """base.d/ parent and user.ign child, merged by the fetch-offline stage."""
    prefix = os.path.join(d, "sys")
    shutil.rmtree(prefix, ignore_errors=True)
    base = os.path.join(prefix, "usr/lib/ignition/base.d")
    os.makedirs(base)
    with open(os.path.join(base, "50-parent.ign"), "w") as f:
        json.dump(cfg(storage={"files": files("parent", n)}), f)
    with open(os.path.join(prefix, "usr/lib/ignition/user.ign"), "w") as f:
        json.dump(cfg(storage={"files": files("child", n)}), f)
    cmdline = os.path.join(d, "cmdline")
    with open(cmdline, "w") as f:
        f.write("ignition.firstboot ignition.platform.id=metal\n")
    cachedir = os.path.join(d, "cache")
    env = dict(os.environ, IGNIS_SYSTEM_CONFIG_PREFIX=prefix)
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(cachedir, ignore_errors=True)
        runs.append(measure([args.ignis, "run", "--stage=fetch-offline", "--platform=metal",
                             "--cmdline-file=" + cmdline, "--config-cache=" + os.path.join(cachedir, "config.json")],
                            env))
    ig = min(runs, key=lambda r: r[0])
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(prefix) for f in fs)
    return ig, None, size


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ignis", default=os.path.join(REPO, "build", "src", "ignis"))
    ap.add_argument("--ignition", default="/usr/bin/ignition-validate")
    ap.add_argument("--no-ignition", action="store_true")
    ap.add_argument("--ignition-max-seconds", type=float, default=20,
                    help="stop running ignition-validate on a case once one run took longer")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3, help="runs of ignis per size (the fastest counts)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every base size")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    if not os.access(args.ignis, os.X_OK):
        print("validate-growth: no ignis at %s (build it, or pass --ignis)" % args.ignis, file=sys.stderr)
        return 2
    if args.no_ignition or not os.access(args.ignition, os.X_OK):
        args.ignition = None
    names = args.cases or list(CASES)
    for n in names:
        if n not in CASES:
            print("validate-growth: unknown case %s (cases: %s)" % (n, ", ".join(CASES)), file=sys.stderr)
            return 2
    os.makedirs(OUT, exist_ok=True)
    build_spawn_measure()

    worst = 0.0
    for name in names:
        gen, base = CASES[name]
        print("\n%s" % name)
        print("  %9s %11s %9s %9s %6s %10s %7s %s" % ("N", "bytes", "ignis s", "CPU s", "ratio", "peak KiB",
                                                    "KiB/KB", " ignition-validate s, peak KiB" if args.ignition and gen else ""))
        prev = None
        ratio = 0.0
        with_ignition = True
        for step in range(args.steps):
            n = int(base * args.scale) << step
            d = os.path.join(OUT, name)
            os.makedirs(d, exist_ok=True)
            if gen:
                path = os.path.join(d, "config.ign")
                with open(path, "w") as f:
                    json.dump(gen(n), f, indent=1)
                size = os.path.getsize(path)
                ig, ign = run_validate(args, path, with_ignition)
            else:
                ig, ign, size = run_merge(args, n, d)
            secs, rss, status, cpu = ig
            cpu = max(cpu, 0.001)
            ratio = cpu / prev if prev else 0.0
            prev = cpu
            extra = ""
            if ign:
                extra = "  %8.3f %9d (exit %d)" % (ign[0], ign[1], ign[2])
                if ign[0] > args.ignition_max_seconds:
                    with_ignition = False
            elif args.ignition and gen:
                extra = "  (not run: the previous size took over %g s)" % args.ignition_max_seconds
            print("  %9d %11d %9.3f %9.3f %6s %10d %7.2f%s%s" % (
                n, size, secs, cpu, "%.2f" % ratio if ratio else "-", rss, rss / (size / 1024.0), extra,
                "" if status in (0, 1) else "  (ignis exit %d)" % status), flush=True)
        worst = max(worst, ratio)
        if ratio >= 3:
            print("  -> last doubling cost %.1fx: superlinear" % ratio)
    return 1 if worst >= 3 else 0


if __name__ == "__main__":
    sys.exit(main())
