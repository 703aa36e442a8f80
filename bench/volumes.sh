#!/usr/bin/env bash
# Benchmark: the disks stage making ext4, xfs, btrfs and swap on four loop
# devices, ignis vs Debian's Ignition 2.14, side by side (alternating) in
# the same run; plus the same four mkfs run one after the other (what a
# stage that does not run them in parallel costs), and a run where all four
# are reused (no mkfs: the agent's own time and memory). Run on demand, as
# root; not part of the tests.
#
# Usage: bench/volumes.sh [--ignis PATH] [-n RUNS] [--size MIB] [--keep]
#
# Ignition runs in tests/files/jail.py (private mount namespace, tmpfs /run,
# a fake of systemd's D-Bus answering the device waits of its disks stage).
# Wall time and peak RSS come from bench/spawn-measure.c (ru_maxrss: the
# largest process of the tree; for "create" that is a mkfs, the same for
# both; "reuse" runs no mkfs, so it is the agent's own).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
IGNIS="$ROOT/build/src/ignis"
IGNITION="/usr/lib/dracut/modules.d/30ignition/ignition"
RUNS=5
SIZE=1024
KEEP=0

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "volumes.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --ignis) IGNIS="$2"; shift 2 ;;
        --ignis=*) IGNIS="${1#*=}"; shift ;;
        -n) RUNS="$2"; shift 2 ;;
        --size) SIZE="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
if ! [[ "$SIZE" =~ ^[0-9]+$ ]] || [ "$SIZE" -lt 300 ]; then
    die "--size must be at least 300 (MiB): mkfs.xfs refuses less"
fi
[ "$(id -u)" = 0 ] || die "must run as root (loop devices)"
[ -x "$IGNIS" ] || die "no ignis binary at $IGNIS (build first or pass --ignis)"
[ -x "$IGNITION" ] || die "Ignition 2.14 not found at $IGNITION (apt-get install ignition)"
case "$IGNIS" in /*) ;; *) IGNIS="$PWD/$IGNIS" ;; esac
for t in losetup mkfs.ext4 mkfs.xfs mkfs.btrfs mkswap wipefs python3 unshare cc bc; do
    command -v "$t" > /dev/null || die "$t is not installed"
done

S=$(mktemp -d /var/tmp/ignis-bench-volumes-XXXXXX)
chmod 755 "$S"
LOOPS=()
cleanup() {
    for d in "${LOOPS[@]}"; do partx -d "$d" 2> /dev/null || true; losetup -d "$d" || true; done
    [ "$KEEP" = 1 ] || rm -rf "$S"
}
trap cleanup EXIT
for n in e x b s; do
    truncate -s "${SIZE}M" "$S/$n.img"
    LOOPS+=("$(losetup -f --show "$S/$n.img")")
done
E=${LOOPS[0]} X=${LOOPS[1]} B=${LOOPS[2]} W=${LOOPS[3]}
mkdir -p "$S/root" "$S/run" "$S/res"
MEASURE="$S/spawn-measure"
cc -O2 -o "$MEASURE" "$BENCH_DIR/spawn-measure.c" || die "cannot build bench/spawn-measure.c"
# "wall peakKiB" to $S/res/NAME; fails when the command did.
measure() { # NAME LOG CMD...
    local name=$1 log=$2 m; shift 2
    m=$("$MEASURE" "$log" "$@") || return 1
    # shellcheck disable=SC2086 # split "wall rss cpu exit" on purpose
    set -- $m
    [ "$4" = 0 ] || return 1
    echo "$1 $2" >> "$S/res/$name"
}
echo "ignition.firstboot ignition.platform.id=metal" > "$S/cmdline"

config() { # WIPE
    cat << EOF2
{"ignition": {"version": "3.3.0"}, "storage": {"filesystems": [
  {"device": "$E", "format": "ext4", "label": "e", "wipeFilesystem": $1},
  {"device": "$X", "format": "xfs", "label": "x", "wipeFilesystem": $1},
  {"device": "$B", "format": "btrfs", "label": "b", "wipeFilesystem": $1},
  {"device": "$W", "format": "swap", "label": "s", "wipeFilesystem": $1}]}}
EOF2
}
config true > "$S/create.ign"
config false > "$S/reuse.ign"

# One timed ignis disks stage: "seconds peakKiB" appended to $S/res/NAME.
run_ignis() { # CONFIG NAME
    cp "$1" "$S/run/config.json"
    echo '{"userConfigProvided": true}' > "$S/run/state.json"
    measure "$2" "$S/ignis.log" "$IGNIS" run --stage=disks --config-cache="$S/run/config.json" \
        --cmdline-file="$S/cmdline" --console-dir= --root="$S/root" ||
        { cat "$S/ignis.log" >&2; die "ignis failed"; }
}
run_ignition() { # CONFIG NAME
    cat > "$S/ignition.sh" << EOF2
set -e
cd /run/ignition
IGNITION_CONFIG_FILE=$1 $IGNITION -platform file -stage fetch-offline -root $S/root -log-to-stdout > /dev/null
$(declare -f measure)
S=$S MEASURE=$MEASURE
measure $2 $S/ignition-disks.log $IGNITION -platform file -stage disks -root $S/root -log-to-stdout
EOF2
    unshare -m python3 "$ROOT/tests/files/jail.py" --top "$S" --ignition -- bash "$S/ignition.sh" > "$S/ignition.log" 2>&1 ||
        { tail -20 "$S/ignition.log" "$S/ignition-disks.log" >&2; die "Ignition failed"; }
}
run_sequential() {
    measure sequential "$S/sequential.log" bash -c "
        wipefs -qa $E && mkfs.ext4 -q -F -L e $E &&
        wipefs -qa $X && mkfs.xfs -q -f -L x $X &&
        wipefs -qa $B && mkfs.btrfs -q --force -L b $B > /dev/null &&
        wipefs -qa $W && mkswap -q -f -L s $W" || die "sequential mkfs failed"
}

echo "volumes.sh: 4 x ${SIZE} MiB loop devices (${LOOPS[*]}), $RUNS runs each, alternating"
for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then
        run_ignis "$S/create.ign" ignis-create; run_ignition "$S/create.ign" ignition-create
    else
        run_ignition "$S/create.ign" ignition-create; run_ignis "$S/create.ign" ignis-create
    fi
    run_sequential
    run_ignis "$S/reuse.ign" ignis-reuse
    run_ignition "$S/reuse.ign" ignition-reuse
done
grep -q "reusing the btrfs" "$S/ignis.log" || die "ignis did not reuse the filesystems"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { cut -d' ' -f"$2" "$S/res/$1" | median; }
printf '\n%-18s %10s %12s\n' "run (median)" "wall s" "peak MiB"
for r in ignis-create ignition-create sequential ignis-reuse ignition-reuse; do
    printf '%-18s %10.4f %12.1f\n' "$r" "$(col "$r" 1)" "$(echo "$(col "$r" 2) / 1024" | bc -l)"
done
ratio() { echo "$(col "$1" "$3") / $(col "$2" "$3")" | bc -l; }
printf '\ncreate: Ignition/ignis wall %.2fx, peak RSS ignis/Ignition %.2f\n' \
    "$(ratio ignition-create ignis-create 1)" "$(ratio ignis-create ignition-create 2)"
printf 'reuse:  Ignition/ignis wall %.2fx, peak RSS ignis/Ignition %.2f\n' \
    "$(ratio ignition-reuse ignis-reuse 1)" "$(ratio ignis-reuse ignition-reuse 2)"
printf 'mkfs in parallel (ignis) vs one after the other: %.2fx\n' "$(ratio sequential ignis-create 1)"
