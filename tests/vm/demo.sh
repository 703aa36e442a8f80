#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Main-job demo: a real first boot of a VM (QEMU, no KVM needed) provisioned
# by ignis from examples/qemu-fwcfg.json, given through QEMU's fw_cfg.
#
#   tests/vm/demo.sh [BUILD_DIR]        (default: build)
#
# Installs what is missing (apt-get), builds ignis, then boots Debian's kernel
# with a dracut initramfs holding ignis and dracut-module/30ignis into a
# Debian root disk with systemd. ignis runs its stages in the initramfs;
# the booted machine then prints what it looks like (users, hostname, motd,
# SSH keys, the enabled unit's greeting and state) and powers off. The kernel,
# initramfs and root disk are cached in BUILD_DIR/vm-cache: the first run
# takes about 1.5 minutes more than the next ones (about 40 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
start=$(date +%s)

# the ignis build (tools/install-deps.sh) and the VM tools
[ -x tools/install-deps.sh ] && ./tools/install-deps.sh
./tests/vm/install-deps.sh
[ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" src/ignis >/dev/null

echo "== examples/qemu-fwcfg.json: first boot of a VM provisioned by ignis"
echo "   (QEMU TCG; the lines below are the VM's serial console: what ignis logged"
echo "   in the initramfs, then the booted machine's checks)"
status=0
/usr/bin/python3 tests/vm/run.py --build-dir "$BUILD" --show -j 1 example-qemu-fwcfg |
    sed -u -n 's/^#   //p; s/^# //p; /^ok /p; /^not ok /p' || status=1
echo "== done in $(( $(date +%s) - start ))s"
exit $status
