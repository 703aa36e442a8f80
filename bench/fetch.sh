#!/usr/bin/env bash
# Benchmark: one 64 MiB file over loopback HTTP with a sha512, written into a
# root: `ignis apply` vs `curl -o` + `sha512sum` vs Ignition 2.14
# (fetch-offline, fetch when it asks for the network, files), in one run,
# alternating, medians. Run on demand, as root; not part of the tests.
#
# Usage: bench/fetch.sh [--ignis PATH] [-n RUNS] [--ignition PATH] [--size MIB]
#
# Targets: ignis peak RSS <= 8 MiB; ignis wall time <= curl + sha512sum.
# Exit: 0 = both met, 1 = a target missed or a tool failed, 2 = usage/setup.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
IGNIS="$ROOT/build/src/ignis"
IGNITION="/usr/lib/dracut/modules.d/30ignition/ignition"
RUNS=5
SIZE_MIB=64

die() { echo "fetch.sh: $*" >&2; exit 2; }
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --ignis)    IGNIS="$2"; shift 2 ;;
        --ignis=*)  IGNIS="${1#*=}"; shift ;;
        -n)         RUNS="$2"; shift 2 ;;
        --ignition) IGNITION="$2"; shift 2 ;;
        --ignition=*) IGNITION="${1#*=}"; shift ;;
        --size)     SIZE_MIB="$2"; shift 2 ;;
        -h|--help)  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *)          die "unknown argument: $1" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive integer"
case "$IGNIS" in /*) ;; *) IGNIS="$PWD/$IGNIS" ;; esac
[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -x "$IGNIS" ] || die "ignis not found at $IGNIS (build it, or pass --ignis)"
[ -x "$IGNITION" ] || die "Ignition not found at $IGNITION (Debian package 'ignition')"
for t in curl sha512sum python3 cc unshare; do command -v "$t" >/dev/null || die "$t is required"; done

# A private mount namespace with a tmpfs on /run (Ignition's state and
# neednet flag) and one for the work area: RAM on both sides, so the
# figures are the tools', not the disk's.
if [ "${IGNIS_FETCH_BENCH_NS:-}" != 1 ]; then
    exec unshare --mount --propagation private \
        env IGNIS_FETCH_BENCH_NS=1 bash "${BASH_SOURCE[0]}" "${ORIG_ARGS[@]+"${ORIG_ARGS[@]}"}"
fi
mount -t tmpfs -o mode=0755,size=64m ignis-bench-run /run || die "cannot mount a tmpfs on /run"
WORK="$(mktemp -d /tmp/ignis-fetch-bench.XXXXXX)"
mount -t tmpfs -o mode=0755,size=$((SIZE_MIB * 3 + 64))m ignis-bench-work "$WORK" || die "cannot mount a tmpfs"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    umount "$WORK" 2>/dev/null || true
    rmdir "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
[ -n "${KEEP_LOGS:-}" ] && trap "cp $WORK/*.log /tmp/ 2>/dev/null; cleanup" EXIT

MEASURE="$WORK/spawn-measure"
cc -O2 -o "$MEASURE" "$BENCH_DIR/spawn-measure.c" || die "cannot build bench/spawn-measure.c"
mkdir -p "$WORK/shim" "$WORK/www" "$WORK/root/etc" "$WORK/root/var" "$WORK/curl"
cc -O2 -o "$WORK/shim/setfiles" "$BENCH_DIR/noop-setfiles.c" || die "cannot build bench/noop-setfiles.c"
# The floor: the least a program pays for one GET through the same libcurl
# (curl-floor.c), as is and with GnuTLS's implicit init skipped as ignis does.
CURL_CFLAGS="$(pkg-config --cflags libcurl 2>/dev/null || true)"
# shellcheck disable=SC2086
cc -O2 $CURL_CFLAGS -o "$WORK/curl-floor" "$BENCH_DIR/curl-floor.c" -ldl || die "cannot build bench/curl-floor.c"
# shellcheck disable=SC2086
cc -O2 $CURL_CFLAGS -DSKIP_GNUTLS_INIT -Wl,--export-dynamic-symbol=_gnutls_global_init_skip \
    -o "$WORK/curl-floor-skip" "$BENCH_DIR/curl-floor.c" -ldl || die "cannot build bench/curl-floor.c"
export PATH="$WORK/shim:$PATH"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$WORK/root/etc/passwd"
printf 'root:x:0:\n' >"$WORK/root/etc/group"
# Ignition 2.14 relabels whatever the system and needs the policy's config
# (setfiles is the no-op shim); SELinux disabled: ignis does not relabel.
mkdir -p "$WORK/root/etc/selinux/targeted/contexts/files"
printf 'SELINUX=disabled\nSELINUXTYPE=targeted\n' >"$WORK/root/etc/selinux/config"
printf '/.*\tsystem_u:object_r:etc_t:s0\n' >"$WORK/root/etc/selinux/targeted/contexts/files/file_contexts"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$WORK/www/big.bin"
SHA="$(sha512sum "$WORK/www/big.bin" | cut -d' ' -f1)"

# The same server for every tool: tests/fetch/server.py, 1 MiB writes.
coproc SERVER { exec python3 "$ROOT/tests/fetch/server.py" --root "$WORK/www"; }
SERVER_PID=$SERVER_PID
read -r PORT <&"${SERVER[0]}"
URL="http://127.0.0.1:$PORT/files/big.bin"
cat >"$WORK/config.json" <<JSON
{"ignition": {"version": "3.3.0"},
 "storage": {"files": [{"path": "/var/big.bin", "mode": 420,
   "contents": {"source": "$URL", "verification": {"hash": "sha512-$SHA"}}}]}}
JSON

RESULTS="$WORK/results"
: >"$RESULTS"
reset_root() { rm -f "$WORK/root/var/big.bin" "$WORK/curl/big.bin" "$WORK/root/etc/.ignition-result.json"; rm -rf /run/ignition.json /run/ignition; }
check_copy() { cmp -s "$1" "$WORK/www/big.bin" || { echo "fetch.sh: $2 wrote a wrong file" >&2; exit 1; }; }

run_ignis() {
    reset_root
    echo "ignis $1 $("$MEASURE" "$WORK/ignis.log" "$IGNIS" apply -q --root="$WORK/root" "$WORK/config.json")" >>"$RESULTS"
    check_copy "$WORK/root/var/big.bin" ignis
}
run_curl() {
    reset_root
    # One shell, as a user would type it; its own cost is ~1 ms.
    echo "curl $1 $("$MEASURE" "$WORK/curl.log" sh -c "curl -sSf -o '$WORK/curl/big.bin' '$URL' && echo '$SHA  $WORK/curl/big.bin' | sha512sum -c --quiet -")" >>"$RESULTS"
    check_copy "$WORK/curl/big.bin" curl
}
run_floor() {
    echo "floor $1 $("$MEASURE" "$WORK/floor.log" "$WORK/curl-floor" --sha512 "$URL")" >>"$RESULTS"
    echo "floor-skip $1 $("$MEASURE" "$WORK/floor.log" "$WORK/curl-floor-skip" --sha512 "$URL")" >>"$RESULTS"
}
run_ignition() {
    reset_root
    local a b c="0 0 0 0 spawn"
    a=$(IGNITION_CONFIG_FILE="$WORK/config.json" "$MEASURE" "$WORK/ign-fo.log" \
        "$IGNITION" -platform file -stage fetch-offline -root "$WORK/root" -log-to-stdout)
    if [ -e /run/ignition/neednet ]; then
        c=$(IGNITION_CONFIG_FILE="$WORK/config.json" "$MEASURE" "$WORK/ign-fetch.log" \
            "$IGNITION" -platform file -stage fetch -root "$WORK/root" -log-to-stdout)
    fi
    b=$("$MEASURE" "$WORK/ign-files.log" "$IGNITION" -platform file -stage files -root "$WORK/root" -log-to-stdout)
    echo "ignition-fo $1 $a" >>"$RESULTS"
    echo "ignition-fetch $1 $c" >>"$RESULTS"
    echo "ignition-files $1 $b" >>"$RESULTS"
    check_copy "$WORK/root/var/big.bin" Ignition
}

echo "warm-up run of each tool (not counted) ..." >&2
run_ignis 0; run_curl 0; run_ignition 0; run_floor 0
: >"$RESULTS"
for i in $(seq 1 "$RUNS"); do
    # Rotate the order so that no tool always follows the same one.
    case $((i % 3)) in
        0) run_ignis "$i"; run_curl "$i"; run_ignition "$i" ;;
        1) run_curl "$i"; run_ignition "$i"; run_ignis "$i" ;;
        2) run_ignition "$i"; run_ignis "$i"; run_curl "$i" ;;
    esac
    run_floor "$i"
done

python3 - "$RESULTS" "$SIZE_MIB" "$IGNIS" "$IGNITION" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tool, rnd, wall, rss, cpu, code, _ = line.split()
    rows.setdefault(tool, {})[int(rnd)] = (float(wall), int(rss), float(cpu), int(code))
size = int(sys.argv[2])
bad = [t for t, r in rows.items() for v in r.values() if v[3] != 0]
if bad:
    print("a tool failed: %s" % ", ".join(sorted(set(bad))))
    sys.exit(1)
med = statistics.median
ign = {r: sum(rows[s][r][0] for s in ("ignition-fo", "ignition-fetch", "ignition-files")) for r in rows["ignis"]}
ign_rss = {r: max(rows[s][r][1] for s in ("ignition-fo", "ignition-fetch", "ignition-files")) for r in rows["ignis"]}
ign_cpu = {r: sum(rows[s][r][2] for s in ("ignition-fo", "ignition-fetch", "ignition-files")) for r in rows["ignis"]}
c_ignis, c_curl, c_ign = (med(v[2] for v in rows["ignis"].values()), med(v[2] for v in rows["curl"].values()),
                          med(ign_cpu.values()))
t_ignis, m_ignis = med(v[0] for v in rows["ignis"].values()), med(v[1] for v in rows["ignis"].values())
t_curl, m_curl = med(v[0] for v in rows["curl"].values()), med(v[1] for v in rows["curl"].values())
t_ign, m_ign = med(ign.values()), med(ign_rss.values())
print("fetch.sh: %d MiB over loopback HTTP (tests/fetch/server.py), sha512 verified, into a tmpfs root; %d runs, medians"
      % (size, len(rows["ignis"])))
print("ignis    : %s" % sys.argv[3])
print("ignition : %s (fetch-offline + fetch + files)" % sys.argv[4])
print("%-28s %10s %10s %12s %10s" % ("", "wall ms", "CPU ms", "peak RSS KiB", "MB/s"))
for name, t, c, m in (("ignis apply", t_ignis, c_ignis, m_ignis), ("curl -o + sha512sum -c", t_curl, c_curl, m_curl),
                      ("Ignition 2.14", t_ign, c_ign, m_ign)):
    print("%-28s %10.0f %10.0f %12d %10.0f" % (name, t * 1000, c * 1000, m, size * 1.048576 / t))
for name, key in (("floor: libcurl GET + sha512", "floor"), ("floor, GnuTLS init skipped", "floor-skip")):
    t, c, m = (med(v[i] for v in rows[key].values()) for i in (0, 2, 1))
    print("%-28s %10.0f %10.0f %12d %10.0f" % (name, t * 1000, c * 1000, m, size * 1.048576 / t))
m_floor = med(v[1] for v in rows["floor-skip"].values())
print("floor    : ignis peak - floor (GnuTLS init skipped) = %d KiB: what ignis adds to the least any program pays"
      " for this GET with this libcurl (bench/curl-floor.c)" % (m_ignis - m_floor))
print("load     : %s (wall times suffer from a busy machine; CPU times much less)"
      % open("/proc/loadavg").read().split()[0])
print("ratios   : ignis/curl+sha512sum wall %.2f CPU %.2f; ignis/Ignition wall %.2f CPU %.2f RSS %.2f"
      % (t_ignis / t_curl, c_ignis / c_curl, t_ignis / t_ign, c_ignis / c_ign, m_ignis / m_ign))
ok_rss = m_ignis <= 8 * 1024
ok_time = t_ignis <= t_curl
print("target   : peak RSS <= 8 MiB: %s (%.1f MiB); time <= curl + sha512sum: %s"
      % ("met" if ok_rss else "MISSED", m_ignis / 1024, "met" if ok_time else "MISSED"))
sys.exit(0 if ok_rss and ok_time else 1)
PY
