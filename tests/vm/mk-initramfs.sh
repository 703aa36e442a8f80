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
# Uncompressed (a TCG guest decompresses slowly; loading through fw_cfg DMA is
# cheap). Cached in CACHEDIR/initramfs-<key>.img, where <key> hashes the kernel
# version, the ignis binary, every file of MODULE_DIR, this script and the
# dracut version: a rebuild happens only when one of them changes. Prints the
# image path on the last line of stdout.
set -euo pipefail
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
    dpkg-query -W -f '${Version}\n' dracut-core 2>/dev/null || true
    sha256sum "$0"
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
# -N: no host-only mode (nothing of this host's hardware or root device).
# --add-drivers: what the harness's root disk needs (virtio-blk, ext4 and the
# crc32c it requests at mount time); qemu_fw_cfg for the config; virtio_net
# for the metadata network (the root image has no kernel modules: what the
# initramfs loaded is all the booted root has).
start=$(date +%s.%N)
# shellcheck disable=SC2086 # IGNIS_VM_DRACUT_ARGS is split on purpose
dracutbasedir=$BASE dracut --force -q -N --no-hostonly-cmdline \
    --kver "$KVER" --kmoddir "$KDIR/root/lib/modules/$KVER" \
    -m "$MODS" \
    --add-drivers "virtio_pci virtio_blk virtio_net virtio_rng qemu_fw_cfg ext4 crc32c_generic" \
    --no-compress --no-early-microcode --nofscks --tmpdir /tmp \
    ${IGNIS_VM_DRACUT_ARGS:-} "$OUT.tmp" >&2
mv "$OUT.tmp" "$OUT"
# keep only the newest few images of this kind (with or without the module)
pattern='initramfs-[0-9a-f]*.img'
[ "$MODDIR" = - ] && pattern='initramfs-nomodule-*.img'
# shellcheck disable=SC2012 # our own file names
ls -t "$CACHE"/$pattern 2>/dev/null | tail -n +4 | xargs -r rm -f
printf 'mk-initramfs: built %s (%s) in %.1fs, modules: %s\n' "$OUT" \
    "$(du -h "$OUT" | cut -f1)" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$MODS" >&2
echo "$OUT"
