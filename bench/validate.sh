#!/usr/bin/env bash
# Benchmark: `ignis validate` vs Ignition 2.14 `ignition-validate` on the same
# large generated config (spec 3.3.0).  Run on demand; not part of the tests.
#
# Usage: bench/validate.sh [--ignis PATH] [-n RUNS] [--size-mb N]
#                          [--ignition PATH] [--config FILE] [--seed N]
#
# Exit: 0 = both targets met, 1 = a target missed or the verdicts disagree /
#       are not 0, 2 = usage or setup error (e.g. ignis not built).
# See bench/README.md for how to read the output.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

IGNIS="$ROOT/build/ignis"
IGNITION="/usr/bin/ignition-validate"
RUNS=7
SIZE_MB=5
SEED=20240601
CONFIG=""
# targets
MIN_SPEEDUP=5      # ignition_time / ignis_time >= this
MAX_MEMFRAC=0.25   # ignis_rss / ignition_rss <= this

usage() {
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}
die() { echo "validate.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --ignis)     [ $# -ge 2 ] || die "--ignis needs a path"; IGNIS="$2"; shift 2 ;;
        --ignis=*)   IGNIS="${1#*=}"; shift ;;
        -n|--runs)   [ $# -ge 2 ] || die "-n needs a number"; RUNS="$2"; shift 2 ;;
        -n*)         RUNS="${1#-n}"; shift ;;
        --size-mb)   [ $# -ge 2 ] || die "--size-mb needs a number"; SIZE_MB="$2"; shift 2 ;;
        --size-mb=*) SIZE_MB="${1#*=}"; shift ;;
        --ignition)  [ $# -ge 2 ] || die "--ignition needs a path"; IGNITION="$2"; shift 2 ;;
        --config)    [ $# -ge 2 ] || die "--config needs a file"; CONFIG="$2"; shift 2 ;;
        --seed)      [ $# -ge 2 ] || die "--seed needs a number"; SEED="$2"; shift 2 ;;
        -h|--help)   usage; exit 0 ;;
        *)           usage >&2; die "unknown argument: $1" ;;
    esac
done

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive integer (got '$RUNS')"
[[ "$SIZE_MB" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--size-mb must be a number (got '$SIZE_MB')"

# Relative --ignis paths are taken relative to the current directory.
case "$IGNIS" in /*) ;; *) IGNIS="$PWD/$IGNIS" ;; esac
# meson puts the binary in build/src/.
if [ "$IGNIS" = "$ROOT/build/ignis" ] && [ ! -e "$IGNIS" ] && [ -x "$ROOT/build/src/ignis" ]; then
    IGNIS="$ROOT/build/src/ignis"
fi
if [ ! -e "$IGNIS" ]; then
    die "ignis binary not found at $IGNIS -- build it first (it is expected at build/ignis under the repository root) or pass --ignis PATH"
fi
[ -x "$IGNIS" ] || die "ignis binary $IGNIS is not executable"
[ -x "$IGNITION" ] || die "ignition-validate not found at $IGNITION (Debian package 'ignition-validate', or pass --ignition PATH)"
command -v python3 >/dev/null || die "python3 is required"

command -v cc >/dev/null || die "cc is required (builds bench/spawn-measure.c)"
TIMER="CLOCK_MONOTONIC around posix_spawn..wait4 + wait4 ru_maxrss (bench/spawn-measure.c, one spawn per run)"

OUT="$BENCH_DIR/out"
mkdir -p "$OUT"
WORK="$(mktemp -d "$OUT/validate.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- config
if [ -z "$CONFIG" ]; then
    CONFIG="$OUT/validate-${SIZE_MB}mb-seed${SEED}.ign"
    echo "generating config (spec 3.3.0, ${SIZE_MB} MiB, seed $SEED) ..." >&2
    python3 "$BENCH_DIR/gen-config.py" --size-mb "$SIZE_MB" --seed "$SEED" \
        --stats -o "$CONFIG" 2>"$WORK/stats.json" \
        || { cat "$WORK/stats.json" >&2; die "config generation failed"; }
else
    [ -r "$CONFIG" ] || die "cannot read config $CONFIG"
    python3 - "$CONFIG" >"$WORK/stats.json" <<'EOF'
import json, os, sys
c = json.load(open(sys.argv[1]))
st = c.get("storage", {})
print(json.dumps({"bytes": os.path.getsize(sys.argv[1]),
                  "version": c.get("ignition", {}).get("version"),
                  "files": len(st.get("files", [])),
                  "directories": len(st.get("directories", [])),
                  "links": len(st.get("links", [])),
                  "units": len(c.get("systemd", {}).get("units", []))}))
EOF
fi

# ---------------------------------------------------------------- verdicts
# One unmeasured run of each tool: checks the verdicts and warms the caches.
set +e
"$IGNITION" "$CONFIG" >"$WORK/ignition.out" 2>&1; IGNITION_RC=$?
"$IGNIS" validate "$CONFIG" >"$WORK/ignis.out" 2>&1; IGNIS_RC=$?
set -e
IGNITION_ERRS=$(grep -c '^error' "$WORK/ignition.out" || true)
IGNITION_WARNS=$(grep -c '^warning' "$WORK/ignition.out" || true)
IGNIS_LINES=$(grep -c . "$WORK/ignis.out" || true)

# ---------------------------------------------------------------- runs
# The measuring wrapper: a tiny C program (posix_spawn + wait4), built here.
MEASURE="$WORK/spawn-measure"
cc -O2 -o "$MEASURE" "$BENCH_DIR/spawn-measure.c" || die "cannot build bench/spawn-measure.c (cc)"
: >"$WORK/results.tsv"
measure() { # tool-label cmd...
    local label="$1"; shift
    local line
    line=$("$MEASURE" "$WORK/last.out" "$@") \
        || die "measurement of $label failed"
    printf '%s %s\n' "$label" "$line" >>"$WORK/results.tsv"
}
echo "running $RUNS alternating rounds ..." >&2
for i in $(seq 1 "$RUNS"); do
    # Alternate which tool goes first so neither always runs on a warmer CPU.
    if [ $((i % 2)) -eq 1 ]; then
        measure ignition "$IGNITION" "$CONFIG"
        measure ignis "$IGNIS" validate "$CONFIG"
    else
        measure ignis "$IGNIS" validate "$CONFIG"
        measure ignition "$IGNITION" "$CONFIG"
    fi
    measure spawn /bin/true
done

# ---------------------------------------------------------------- report
IGNITION_VER="$("$IGNITION" --version 2>&1 | head -n1 || true)"
set +e
python3 - "$WORK/results.tsv" "$WORK/stats.json" <<EOF
import json, statistics, sys

rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
st = json.load(open(sys.argv[2]))
by = {}
for label, wall, rss, cpu, code, method in rows:
    by.setdefault(label, []).append((float(wall), int(rss), float(cpu), int(code)))

def med(label, k):
    return statistics.median(r[k] for r in by[label])

cfg = "$CONFIG"
print("== ignis validate vs ignition-validate ==")
print(f"config   : {cfg}")
print(f"           {st['bytes']/1048576:.2f} MiB, spec {st.get('version')}, "
      f"{st.get('files')} files, {st.get('directories')} dirs, {st.get('links')} links"
      + (f" ({st['hard_links']} hard)" if 'hard_links' in st else "")
      + f", {st.get('units')} units"
      + (f" ({st['dropins']} drop-ins)" if 'dropins' in st else "")
      + (f", {st['users']} users, {st['groups']} groups" if 'users' in st else ""))
print(f"ignis    : $IGNIS")
print(f"ignition : $IGNITION ($IGNITION_VER)")
print(f"runs     : $RUNS per tool, alternating; $TIMER")
print()
print("verdicts (unmeasured first run):")
print(f"  ignition-validate exit $IGNITION_RC  ($IGNITION_ERRS error lines, $IGNITION_WARNS warning lines)")
print(f"  ignis validate    exit $IGNIS_RC  ($IGNIS_LINES output lines)")
codes = {l: sorted({r[3] for r in by[l]}) for l in ("ignition", "ignis")}
agree = $IGNITION_RC == 0 and $IGNIS_RC == 0 and $IGNITION_ERRS == 0 \
    and codes["ignition"] == [0] and codes["ignis"] == [0]
print(f"  exit codes over measured runs: ignition {codes['ignition']}, ignis {codes['ignis']}"
      f"  -> {'AGREE (both valid)' if agree else 'DISAGREE / NOT VALID'}")
print()
print(f"{'run':>3}  {'ignition ms':>12} {'RSS KiB':>9}   {'ignis ms':>10} {'RSS KiB':>9}")
for i, (a, b) in enumerate(zip(by["ignition"], by["ignis"]), 1):
    print(f"{i:>3}  {a[0]*1e3:>12.1f} {a[1]:>9}   {b[0]*1e3:>10.2f} {b[1]:>9}")
print()
print(f"{'median':<18} {'wall ms':>10} {'peak RSS KiB':>13} {'CPU s':>7}")
for label, name in (("ignition", "ignition-validate"), ("ignis", "ignis validate"),
                    ("spawn", "(spawn overhead)")):
    print(f"{name:<18} {med(label,0)*1e3:>10.2f} {med(label,1):>13.0f} {med(label,2):>7.2f}")
print("  (wall times include the spawn overhead above: /bin/true under the same wrapper)")
print()
tr = med("ignition", 0) / med("ignis", 0)
mr = med("ignis", 1) / med("ignition", 1)
tok = tr >= $MIN_SPEEDUP
mok = mr <= $MAX_MEMFRAC
print(f"time ratio   ignition/ignis = {tr:7.2f}x   target >= ${MIN_SPEEDUP}x    {'PASS' if tok else 'FAIL'}")
print(f"memory ratio ignis/ignition = {mr:7.3f}    target <= $MAX_MEMFRAC    {'PASS' if mok else 'FAIL'}")
print(f"verdicts agree (both exit 0)                          {'PASS' if agree else 'FAIL'}")
ok = tok and mok and agree
print(f"RESULT: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
EOF
RC=$?
set -e
if [ "$IGNITION_RC" -ne 0 ] || [ "$IGNITION_ERRS" -ne 0 ]; then
    echo "--- ignition-validate output (first 20 lines) ---"; head -n 20 "$WORK/ignition.out"
fi
if [ "$IGNIS_RC" -ne 0 ] || [ "$IGNIS_LINES" -ne 0 ]; then
    echo "--- ignis validate output (first 20 lines) ---"; head -n 20 "$WORK/ignis.out"
fi
exit $RC
