#!/usr/bin/env bash
# Benchmark: the whole disks stage on one disk: wipeTable, 4 GPT partitions
# and ext4, xfs, btrfs and swap made on them, ignis vs Ignition 2.14, side
# by side in the same run, each on a fresh loop device over a fresh copy of
# the same blank 1 GiB image.  Run on demand, as root; not part of the tests.
#
# Usage: bench/disks.sh [--ignis PATH] [-n RUNS] [--ignition PATH] [--no-mkfs] [--keep]
#
# Ignition runs in tests/files/jail.py (a private mount namespace with a fake
# of systemd's private D-Bus, which its disks stage needs to wait for the
# disk); its fetch-offline stage runs first, unmeasured.  Measured: one
# process each (ignis run --stage=disks; ignition -stage disks), wall time
# and peak RSS (the largest of the process and the tools it waited for:
# sgdisk, partx, udevadm, the mkfs tools) through bench/spawn-measure.c.
# --no-mkfs (partitions only) shows the agents' own peak, as no mkfs tool
# is the largest process then.
# Exit: 0 = both targets met (>= 2x faster, peak RSS <= 1/5), 1 = a target
#       missed or a run failed, 2 = usage or setup error.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
IGNIS="$ROOT/build/src/ignis"
IGNITION="/usr/lib/dracut/modules.d/30ignition/ignition"
RUNS=5
KEEP=0
MKFS=1

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "disks.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --ignis)     [ $# -ge 2 ] || die "--ignis needs a path"; IGNIS="$2"; shift 2 ;;
        --ignis=*)   IGNIS="${1#*=}"; shift ;;
        -n|--runs)   [ $# -ge 2 ] || die "-n needs a number"; RUNS="$2"; shift 2 ;;
        --ignition)  [ $# -ge 2 ] || die "--ignition needs a path"; IGNITION="$2"; shift 2 ;;
        --ignition=*) IGNITION="${1#*=}"; shift ;;
        --keep)      KEEP=1; shift ;;
        --no-mkfs)   MKFS=0; shift ;;
        -h|--help)   usage; exit 0 ;;
        *)           usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive integer (got '$RUNS')"
case "$IGNIS" in /*) ;; *) IGNIS="$PWD/$IGNIS" ;; esac
[ "$(id -u)" -eq 0 ] || die "must run as root (loop devices)"
[ -x "$IGNIS" ] || die "ignis binary not found at $IGNIS (build it, or pass --ignis PATH)"
[ -x "$IGNITION" ] || die "Ignition not found at $IGNITION (Debian package 'ignition')"
for t in python3 unshare losetup partx sgdisk sfdisk blkid mkfs.ext4 mkfs.xfs mkfs.btrfs mkswap cc; do
    command -v "$t" >/dev/null || die "$t is required"
done

WORK=$(mktemp -d /var/tmp/ignis-bench-disks.XXXXXX)
chmod 755 "$WORK"
LOOPS=()
cleanup() {
    for l in "${LOOPS[@]}"; do partx -d "$l" 2>/dev/null || true; losetup -d "$l" 2>/dev/null || true; done
    [ "$KEEP" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

MEASURE="$WORK/spawn-measure"
cc -O2 -o "$MEASURE" "$BENCH_DIR/spawn-measure.c" || die "cannot build bench/spawn-measure.c"
truncate -s 1G "$WORK/blank.img"

config() {   # config DEVICE [all|parts|fs]: 4 partitions, ext4 xfs btrfs swap on them
    local fs="" disks
    [ "$MKFS" = 1 ] && [ "${2:-all}" != parts ] && fs=',"filesystems":[
 {"device":"'"$1"'p1","format":"ext4","label":"boot","wipeFilesystem":true},
 {"device":"'"$1"'p2","format":"xfs","label":"root","wipeFilesystem":true},
 {"device":"'"$1"'p3","format":"btrfs","label":"var","wipeFilesystem":true},
 {"device":"'"$1"'p4","format":"swap","label":"swap","wipeFilesystem":true}]'
    disks='"disks":[{"device":"'"$1"'","wipeTable":true,"partitions":[
 {"number":1,"label":"boot","sizeMiB":128},
 {"number":2,"label":"root","sizeMiB":400},
 {"number":3,"label":"var","sizeMiB":300},
 {"number":4,"label":"swap","sizeMiB":0,"typeGuid":"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"}]}]'
    if [ "${2:-all}" = fs ]; then disks='"disks":[]'; fi
    cat <<EOF
{"ignition":{"version":"3.3.0"},"storage":{$disks$fs}}
EOF
}

fstypes() {   # fstypes DEVICE: what blkid finds on the 4 partitions
    for n in 1 2 3 4; do blkid -p -o value -s TYPE "${1}p$n" || echo none; done | tr '\n' ' '
}

attach() {   # attach IMAGE -> prints the loop device
    local l
    cp --sparse=always "$WORK/blank.img" "$1"
    l=$(losetup -f --show "$1")
    LOOPS+=("$l")
    echo "$l"
}

detach() {
    partx -d "$1" 2>/dev/null || true
    losetup -d "$1"
}

run_ignis() {   # run_ignis N -> "wall rss cpu code"
    local d="$WORK/ignis-$1" l out
    mkdir -p "$d/cache"
    l=$(attach "$d/disk.img")
    config "$l" >"$d/cache/config.json"
    echo "ignition.firstboot" >"$d/cmdline"
    out=$("$MEASURE" "$d/log" "$IGNIS" run --stage=disks --config-cache="$d/cache/config.json" \
          --cmdline-file="$d/cmdline" --console-dir= --device-timeout=5)
    fstypes "$l" >"$d/fs"
    sfdisk -d "$d/disk.img" | grep -v -e '^label-id' -e '^device' | sed -e 's/, uuid=[0-9A-F-]*//' -e 's/^[^ ]*img//' >"$d/table" || true
    detach "$l"
    echo "$out"
}

# This host kernel has no partition-table parsers: Ignition, which leaves
# it to the kernel to re-read the table, never sees /dev/loopNpM appear
# (ignis tells the kernel with BLKPG). With filesystems, Ignition's stage
# therefore runs twice: the partitions, then (after an unmeasured
# `partx -a`) the filesystems; wall times are summed, the peak is the larger.
run_ignition() {
    local d="$WORK/ignition-$1" l out
    mkdir -p "$d/root"
    l=$(attach "$d/disk.img")
    if [ "$MKFS" = 1 ]; then
        config "$l" parts >"$d/config.ign"
        config "$l" fs >"$d/config-fs.ign"
    else
        config "$l" >"$d/config.ign"
    fi
    out=$(unshare -m python3 "$ROOT/tests/files/jail.py" --top "$d" --ignition -- sh -c "
        cd /run/ignition && export IGNITION_CONFIG_FILE=$d/config.ign &&
        $IGNITION -platform file -stage fetch-offline -root $d/root -log-to-stdout >$d/fetch.log 2>&1 &&
        $MEASURE $d/log $IGNITION -platform file -stage disks -root $d/root -log-to-stdout &&
        if [ $MKFS = 1 ]; then
            partx -a $l && export IGNITION_CONFIG_FILE=$d/config-fs.ign &&
            $IGNITION -platform file -stage fetch-offline -root $d/root -log-to-stdout >$d/fetch-fs.log 2>&1 &&
            $MEASURE $d/log-fs $IGNITION -platform file -stage disks -root $d/root -log-to-stdout
        fi" | tail -2 | awk '{ w += $1; if ($2 > r) r = $2; c += $3; if ($4 != 0) e = $4 } END { printf "%.6f %d %.3f %d spawn\n", w, r, c, e }')
    fstypes "$l" >"$d/fs"
    sfdisk -d "$d/disk.img" | grep -v -e '^label-id' -e '^device' | sed -e 's/, uuid=[0-9A-F-]*//' -e 's/^[^ ]*img//' >"$d/table" || true
    detach "$l"
    echo "$out"
}

RESULTS="$WORK/results"
: >"$RESULTS"
echo "warm-up (unmeasured) ..." >&2
run_ignis w >/dev/null
run_ignition w >/dev/null
for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) -eq 1 ]; then
        echo "ignis $(run_ignis "$i")" >>"$RESULTS"
        echo "ignition $(run_ignition "$i")" >>"$RESULTS"
    else
        echo "ignition $(run_ignition "$i")" >>"$RESULTS"
        echo "ignis $(run_ignis "$i")" >>"$RESULTS"
    fi
    cmp -s "$WORK/ignis-$i/table" "$WORK/ignition-$i/table" ||
        { echo "run $i: the tables differ:" >&2; diff "$WORK/ignis-$i/table" "$WORK/ignition-$i/table" >&2 || true; }
    [ "$MKFS" = 0 ] || cmp -s "$WORK/ignis-$i/fs" "$WORK/ignition-$i/fs" ||
        echo "run $i: the filesystems differ: ignis $(cat "$WORK/ignis-$i/fs"), Ignition $(cat "$WORK/ignition-$i/fs")" >&2
done

python3 - "$RESULTS" "$RUNS" "$MKFS" <<'EOF'
import statistics, sys
rows = {"ignis": [], "ignition": []}
for line in open(sys.argv[1]):
    w = line.split()
    rows[w[0]].append((float(w[1]), int(w[2]), int(w[4])))
bad = [t for t, r in rows.items() for x in r if x[2] != 0]
med = lambda t, k: statistics.median(x[k] for x in rows[t])
what = "4 GPT partitions + ext4, xfs, btrfs, swap" if sys.argv[3] == "1" else "4 GPT partitions (no mkfs)"
print(f"disks stage, 1 GiB loop device, wipeTable + {what}; {sys.argv[2]} measured runs each (medians)")
for t in ("ignition", "ignis"):
    print(f"  {t:<8}  {med(t, 0) * 1000:8.1f} ms   peak RSS {med(t, 1) / 1024:6.1f} MiB   "
          f"(runs: {', '.join('%.1f' % (x[0] * 1000) for x in rows[t])} ms)")
tr = med("ignition", 0) / med("ignis", 0)
mr = med("ignis", 1) / med("ignition", 1)
print(f"  time ratio   ignition/ignis = {tr:6.2f}x   target >= 2     {'ok' if tr >= 2 else 'MISSED'}")
print(f"  memory ratio ignis/ignition = {mr:6.3f}    target <= 0.2   {'ok' if mr <= 0.2 else 'MISSED'}")
if bad:
    print("  failed runs: " + ", ".join(bad))
sys.exit(0 if tr >= 2 and mr <= 0.2 and not bad else 1)
EOF
