#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mk-initramfs.sh KERNELDIR IGNIS_BINARY MODULE_DIR CACHEDIR
#
# A dracut + systemd initramfs for the kernel fetch-kernel.sh unpacked, with
# the project's dracut module (MODULE_DIR, e.g. dracut-module/30ignis; dracut
# name "ignis") taken from a private dracutbasedir, so nothing under
# /usr/lib/dracut is touched. Pass MODULE_DIR "-" for an initramfs without
# it (the harness's own smoke test of kernel + root image).
#
# The dracut command is dracut-vm.sh's (shared with bench/boot-initramfs.sh).
# Cached in CACHEDIR/initramfs-<key>.img, where <key> hashes the kernel
# version, the ignis binary, every file of MODULE_DIR, this script,
# dracut-vm.sh and the dracut version: a rebuild happens only when one of
# them changes. Prints the image path on the last line of stdout.
set -euo pipefail
# shellcheck source=tests/vm/dracut-vm.sh
. "$(dirname "$0")/dracut-vm.sh"
KDIR=$(cd "${1:?usage: mk-initramfs.sh KERNELDIR IGNIS MODULE_DIR CACHEDIR}" && pwd)
IGNIS=${2:?}; MODDIR=${3:?}; CACHE=${4:?}
KVER=$(cat "$KDIR/kver")
mkdir -p "$CACHE"; CACHE=$(cd "$CACHE" && pwd)

if [ "$MODDIR" != - ]; then
    MODDIR=$(cd "$MODDIR" && pwd)
    [ -f "$MODDIR/module-setup.sh" ] ||
        { echo "mk-initramfs: $MODDIR/module-setup.sh does not exist (yet)" >&2; exit 3; }
    [ -x "$IGNIS" ] || { echo "mk-initramfs: $IGNIS is not an executable" >&2; exit 3; }
    IGNIS=$(realpath "$IGNIS")
fi

key=$( {
    echo "kver $KVER"
    # dracut-network: whether the image gets the systemd-networkd module
    dpkg-query -W -f '${Package} ${Version}\n' dracut-core dracut-network 2>/dev/null || true
    sha256sum "$0" "$(dirname "$0")/dracut-vm.sh"
    echo "extra ${IGNIS_VM_DRACUT_ARGS:-}"
    if [ "$MODDIR" != - ]; then
        sha256sum "$IGNIS" | cut -d' ' -f1
        (cd "$MODDIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        (cd "$MODDIR" && find . -printf '%p %m\n' | LC_ALL=C sort)
    else
        echo no-module
    fi
} | sha256sum | cut -c1-16)
name=initramfs-$key.img
[ "$MODDIR" = - ] && name=initramfs-nomodule-$key.img
OUT=$CACHE/$name
if [ -s "$OUT" ]; then
    echo "mk-initramfs: cached $OUT" >&2
    echo "$OUT"; exit 0
fi

BASE=$(mktemp -d /tmp/ignis-dracutbase.XXXXXX)
trap 'rm -rf "$BASE" "$OUT.tmp"' EXIT
for f in /usr/lib/dracut/*; do ln -s "$f" "$BASE/"; done
rm "$BASE/modules.d"; mkdir "$BASE/modules.d"
for m in /usr/lib/dracut/modules.d/*; do ln -s "$m" "$BASE/modules.d/"; done
MODS="systemd-initrd dracut-systemd qemu rootfs-block fs-lib"
if [ "$MODDIR" != - ]; then
    ln -s "$MODDIR" "$BASE/modules.d/$(basename "$MODDIR")"
    n=$(basename "$MODDIR"); MODS="$MODS ${n#[0-9][0-9]}"
fi

# The module should take the binary the tests built, not an installed one:
# it is first on PATH and named in IGNIS_BINARY for module-setup.sh.
export IGNIS_BINARY=$IGNIS
PATH=$(dirname "$IGNIS"):$PATH
start=$(date +%s.%N)
vm_dracut "$BASE" "$KDIR" "$KVER" "$MODS" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
# keep only the newest few images of this kind (with or without the module)
pattern='initramfs-[0-9a-f]*.img'
[ "$MODDIR" = - ] && pattern='initramfs-nomodule-*.img'
# shellcheck disable=SC2012 # our own file names
ls -t "$CACHE"/$pattern 2>/dev/null | tail -n +4 | xargs -r rm -f
printf 'mk-initramfs: built %s (%s) in %.1fs, modules: %s\n' "$OUT" \
    "$(du -h "$OUT" | cut -f1)" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$MODS" >&2
echo "$OUT"
