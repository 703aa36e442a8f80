#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# fetch-kernel.sh OUTDIR
#
# Debian's current amd64 kernel for the VM tests, unpacked without installing
# it: `apt-get download` of the package linux-image-amd64 depends on, `dpkg -x`,
# `depmod -b` (the .deb ships no modules.dep; its postinst makes it), and the
# uncompressed ELF vmlinux cut out of the bzImage so QEMU can start it through
# its PVH entry note (no real-mode setup, no in-guest xz decompression).
#
# Result (cached: a second run with the same kernel version does nothing):
#   OUTDIR/kver                      e.g. 6.1.0-41-amd64
#   OUTDIR/vmlinux                   PVH-bootable ELF
#   OUTDIR/root/lib/modules/KVER/    modules (+ modules.dep) for dracut --kmoddir
# When apt cannot name the package (no network, no lists) an existing unpacked
# kernel is reused.
set -euo pipefail
OUT=${1:?usage: fetch-kernel.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

resolve() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}
PKG=$(resolve || true)
if [ -z "$PKG" ] && [ ! -s "$OUT/kver" ]; then
    apt-get update -q >/dev/null 2>&1 || true
    PKG=$(resolve || true)
fi
if [ -z "$PKG" ]; then
    if [ -s "$OUT/kver" ] && [ -s "$OUT/vmlinux" ]; then
        echo "fetch-kernel: apt names no kernel package; reusing $(cat "$OUT/kver")" >&2
        exit 0
    fi
    echo "fetch-kernel: cannot resolve linux-image-amd64's kernel package" >&2
    exit 1
fi
KVER=${PKG#linux-image-}

if [ "$(cat "$OUT/kver" 2>/dev/null)" = "$KVER" ] && [ -s "$OUT/vmlinux" ] &&
   [ -e "$OUT/root/lib/modules/$KVER/modules.dep" ]; then
    echo "fetch-kernel: cached $KVER"
    exit 0
fi

rm -rf "$OUT/dl" "$OUT/root" "$OUT/vmlinux" "$OUT/kver"
mkdir -p "$OUT/dl"
# As root, apt warns that the _apt user cannot write the directory and
# downloads unsandboxed; harmless.
(cd "$OUT/dl" && apt-get download -q "$PKG" 2>&1 | grep -v 'unsandboxed' || true)
deb=$(ls "$OUT"/dl/"$PKG"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "fetch-kernel: apt-get download $PKG failed" >&2; exit 1; }
dpkg -x "$deb" "$OUT/root"
rm -rf "$OUT/dl"
depmod -b "$OUT/root" "$KVER"

# Debian's bzImage carries an xz payload (CONFIG_KERNEL_XZ=y); the kernel's
# scripts/extract-vmlinux does the same search for the xz magic.
python3 - "$OUT/root/boot/vmlinuz-$KVER" "$OUT/vmlinux.tmp" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
i = data.find(b"\xfd7zXZ\x00")
if i < 0:
    sys.exit("fetch-kernel: no xz payload in the bzImage")
elf = lzma.LZMADecompressor().decompress(data[i:])
if elf[:4] != b"\x7fELF":
    sys.exit("fetch-kernel: the xz payload is not an ELF")
open(sys.argv[2], "wb").write(elf)
PY
mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
echo "$KVER" > "$OUT/kver"
echo "fetch-kernel: $KVER unpacked in $OUT"
