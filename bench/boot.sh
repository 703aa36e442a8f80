#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark: first boot to switch-root, ignis's dracut module vs Debian's
# Ignition 2.14 module (30ignition), same VM, kernel, root image and config.
# Run on demand, as root; not part of the tests.
#
# Usage: bench/boot.sh [-n RUNS] [--ignis PATH] [--cache DIR] [--timeout SECS]
#                      [--keep] [--out DIR] [--accel tcg] [--smp N]
#                      [--selinux MODE] [--path qemu|aws]
#
#   -n RUNS   boots per agent (default 3), alternating which goes first
#   --ignis   the ignis binary (default build/src/ignis)
#   --cache   kernel/root/initramfs cache (default $IGNIS_VM_CACHE or build/vm-cache)
#   --keep    keep the disk images
#   --out     work directory: logs, results.json (default bench/out/boot/)
#   --smp     vCPUs per VM (default 1, as the VM tests)
#   --selinux SELINUX= of the root's /etc/selinux/config: permissive (default;
#             both agents run setfiles) or disabled (only Ignition does)
#   --path    qemu (default: the config in fw_cfg) or aws (the same config as
#             IMDSv2 user data, ignition.platform.id=aws ip=dhcp)
# Exit: 0 = every target met, 1 = a target missed or a boot did not
#       provision the config, 2 = usage or setup error.
# See bench/README.md ("boot.sh") for what is measured and how.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for a in "$@"; do
    case $a in -h|--help) sed -n '3,/^# See/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
done
if [ "$(id -u)" -ne 0 ]; then
    echo "boot.sh: must run as root (debootstrap, mkfs.ext4 -d, dracut)" >&2
    exit 2
fi
exec /usr/bin/python3 "$BENCH_DIR/boot.py" "$@"
