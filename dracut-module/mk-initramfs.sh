#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Build a dracut + systemd initramfs with the ignis module straight from this
# source tree, without installing anything under /usr/lib/dracut: dracut is
# pointed at a private dracutbasedir made of symlinks to the system's dracut
# plus dracut-module/30ignis.
#
# Usage: dracut-module/mk-initramfs.sh [options] OUT.img [-- extra dracut args]
#   --ignis PATH     ignis binary (default: $IGNIS_BINARY, else build/src/ignis)
#   --kver VER       kernel version (default: uname -r)
#   --kmoddir DIR    module tree of that kernel, with modules.dep (for a kernel
#                    that is unpacked rather than installed)
#   --modules LIST   dracut modules (-m); default:
#                    "systemd-initrd dracut-systemd qemu rootfs-block fs-lib ignis"
#   --compress       compress (default: uncompressed, fastest under TCG)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kver=$(uname -r)
kmoddir=
modules="systemd-initrd dracut-systemd qemu rootfs-block fs-lib ignis"
compress=--no-compress
ignis=${IGNIS_BINARY:-$top/build/src/ignis}
out=

while [ $# -gt 0 ]; do
        case "$1" in
        --ignis) ignis=$2; shift 2 ;;
        --kver) kver=$2; shift 2 ;;
        --kmoddir) kmoddir=$2; shift 2 ;;
        --modules) modules=$2; shift 2 ;;
        --compress) compress=; shift ;;
        --) shift; break ;;
        -h | --help) sed -n '4,17p' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) out=$1; shift ;;
        esac
done
[ -n "$out" ] || { echo "usage: $0 [options] OUT.img [-- dracut args]" >&2; exit 2; }
[ -x "$ignis" ] || { echo "no ignis binary at $ignis (build it, or pass --ignis)" >&2; exit 1; }

sysbase=/usr/lib/dracut
base=$(mktemp -d /tmp/ignis-dracutbase.XXXXXX)
trap 'rm -rf "$base"' EXIT
for f in "$sysbase"/*; do ln -s "$f" "$base/"; done
rm "$base/modules.d"
mkdir "$base/modules.d"
for m in "$sysbase"/modules.d/*; do
        # this tree's module replaces an installed copy of itself
        case "${m##*/}" in [0-9][0-9]ignis) continue ;; esac
        ln -s "$m" "$base/modules.d/"
done
ln -s "$here/30ignis" "$base/modules.d/30ignis"

args=(--force -q -N --no-hostonly-cmdline --kver "$kver" -m "$modules"
      --no-early-microcode --nofscks --tmpdir "${TMPDIR:-/tmp}")
[ -n "$kmoddir" ] && args+=(--kmoddir "$kmoddir")
[ -n "$compress" ] && args+=("$compress")

IGNIS_BINARY=$(readlink -f "$ignis") dracutbasedir=$base \
        dracut "${args[@]}" "$@" "$out"
echo "initramfs: $out ($(du -h "$out" | cut -f1); modules: $modules)"
