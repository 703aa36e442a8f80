#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# boot-initramfs.sh AGENT KERNELDIR CACHEDIR [IGNIS_BINARY]
#
# One of the two initramfs images bench/boot.sh compares, AGENT = ignis or
# ignition. Both are built by this one script with the dracut command of the
# VM tests (tests/vm/dracut-vm.sh: same flags, --add-drivers, uncompressed) and
# the same module list, "systemd-initrd dracut-systemd qemu rootfs-block
# fs-lib" plus the agent's module:
#   ignis     dracut-module/30ignis of this repository, with IGNIS_BINARY
#             (default build/src/ignis)
#   ignition  Debian's /usr/lib/dracut/modules.d/30ignition (package
#             "ignition", 2.14); it depends on "network url-lib", which live
#             in the dracut-network package: that package is not installed,
#             its .deb (the version of the installed dracut-core) is
#             downloaded once and unpacked into CACHEDIR.
# Both images are built from one private dracutbasedir (symlinks to
# /usr/lib/dracut + dracut-network's modules + 30ignis), so /usr/lib/dracut
# is untouched, and both get the same no-op /usr/sbin/setfiles (dracut
# --include): Debian's Ignition always relabels at the end of its files stage
# and fails without one; ignis runs it too when the root has an active
# SELinux policy (see bench/boot.sh for the root image).
#
# Cached as CACHEDIR/bench-initramfs-AGENT-<key>.img (key: kernel version,
# dracut versions, this script, the agent's binary and module files). Prints
# the image path on the last line of stdout. Exit 3: the agent is missing.
set -euo pipefail
# shellcheck source=tests/vm/dracut-vm.sh
. "$(dirname "$0")/../tests/vm/dracut-vm.sh"
AGENT=${1:?usage: boot-initramfs.sh ignis|ignition KERNELDIR CACHEDIR [IGNIS_BINARY]}
KDIR=$(cd "${2:?}" && pwd)
CACHE=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
IGNIS=${4:-$REPO/build/src/ignis}
KVER=$(cat "$KDIR/kver")
mkdir -p "$CACHE"; CACHE=$(cd "$CACHE" && pwd)

case $AGENT in
    ignis)
        MODDIR=$REPO/dracut-module/30ignis
        [ -x "$IGNIS" ] || { echo "boot-initramfs: $IGNIS is not an executable (build ignis first)" >&2; exit 3; }
        IGNIS=$(realpath "$IGNIS"); BIN=$IGNIS ;;
    ignition)
        MODDIR=/usr/lib/dracut/modules.d/30ignition
        BIN=$MODDIR/ignition
        [ -x "$BIN" ] || { echo "boot-initramfs: $BIN missing (apt-get install ignition)" >&2; exit 3; } ;;
    *) echo "boot-initramfs: AGENT must be ignis or ignition" >&2; exit 2 ;;
esac
[ -f "$MODDIR/module-setup.sh" ] || { echo "boot-initramfs: no $MODDIR/module-setup.sh" >&2; exit 3; }

# dracut-network's modules, same version as dracut-core, unpacked once.
DVER=$(dpkg-query -W -f '${Version}' dracut-core)
NET=$CACHE/dracut-network-$DVER
if [ ! -d "$NET/usr/lib/dracut/modules.d/40network" ]; then
    tmp=$(mktemp -d /tmp/ignis-bench-dn.XXXXXX)
    chmod 755 "$tmp"   # apt's _apt user writes the download here
    if ! (cd "$tmp" && apt-get download -q "dracut-network=$DVER" >/dev/null 2>"$tmp/err"); then
        cat "$tmp/err" >&2; rm -rf "$tmp"
        echo "boot-initramfs: apt-get download dracut-network=$DVER failed" >&2; exit 1
    fi
    rm -rf "$NET.tmp"
    dpkg -x "$tmp"/dracut-network_*.deb "$NET.tmp"
    rm -rf "$tmp"
    mv "$NET.tmp" "$NET"
    echo "boot-initramfs: unpacked dracut-network $DVER into $NET" >&2
fi

key=$( {
    echo "$AGENT kver $KVER dracut $DVER"
    sha256sum < "$0"
    sha256sum < "$REPO/tests/vm/dracut-vm.sh"
    echo "extra ${IGNIS_VM_DRACUT_ARGS:-}"
    # the module's settings (bench/initramfs-size.sh builds each variant)
    echo "ignis-env ${IGNIS_NETWORK-} ${IGNIS_NIC_DRIVERS-} ${IGNIS_ADD_NIC_DRIVERS-}"
    sha256sum < "$BIN"
    (cd "$MODDIR" && find . -type f ! -name ignition -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    (cd "$MODDIR" && find . -printf '%p %m\n' | LC_ALL=C sort)
} | sha256sum | cut -c1-16)
OUT=$CACHE/bench-initramfs-$AGENT-$key.img
if [ -s "$OUT" ]; then
    echo "boot-initramfs: cached $OUT" >&2
    echo "$OUT"; exit 0
fi

BASE=$(mktemp -d /tmp/ignis-bench-dracutbase.XXXXXX)
trap 'rm -rf "$BASE" "$OUT.tmp"' EXIT
for f in /usr/lib/dracut/*; do ln -s "$f" "$BASE/"; done
rm "$BASE/modules.d"; mkdir "$BASE/modules.d"
for m in /usr/lib/dracut/modules.d/* "$NET"/usr/lib/dracut/modules.d/*; do
    [ -e "$BASE/modules.d/${m##*/}" ] || ln -s "$m" "$BASE/modules.d/"
done
[ -e "$BASE/modules.d/30ignis" ] || ln -s "$REPO/dracut-module/30ignis" "$BASE/modules.d/30ignis"
printf '#!/bin/sh\n# bench/boot.sh: no-op setfiles (no SELinux policy in the image)\ncat >/dev/null\n' > "$BASE/setfiles"
chmod 755 "$BASE/setfiles"

MODS="systemd-initrd dracut-systemd qemu rootfs-block fs-lib $AGENT"
export IGNIS_BINARY=$IGNIS
PATH=$(dirname "$IGNIS"):$PATH
start=$(date +%s.%N)
# The VM tests' dracut command, plus the setfiles shim.
vm_dracut "$BASE" "$KDIR" "$KVER" "$MODS" "$OUT.tmp" --include "$BASE/setfiles" /usr/sbin/setfiles
mv "$OUT.tmp" "$OUT"
# shellcheck disable=SC2012 # our own file names
ls -t "$CACHE"/bench-initramfs-"$AGENT"-*.img 2>/dev/null | tail -n +3 | xargs -r rm -f
printf 'boot-initramfs: built %s (%s) in %.1fs, modules: %s\n' "$OUT" \
    "$(du -h "$OUT" | cut -f1)" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$MODS" >&2
echo "$OUT"
