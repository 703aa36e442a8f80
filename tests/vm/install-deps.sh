#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Debian packages the VM tests need on the host (only the missing ones
# are installed): QEMU, dracut (+ systemd and udev, whose files dracut's
# systemd-initrd module copies), dracut-network (its systemd-networkd
# module, which the ignis module pulls in for configs that need the
# network), debootstrap for the root image, e2fsprogs
# for mkfs.ext4 -d / debugfs / e2fsck, and apt/dpkg/kmod for the kernel;
# clevis, clevis-luks and libpwquality-tools go into the initramfs (LUKS
# bound to Clevis pins), tang serves a Tang server to a VM, cryptsetup-bin
# reads a LUKS header on the host.
# The ignis build dependencies are tools/install-deps.sh's business.
set -eu
PKGS="qemu-system-x86 dracut-core dracut-network systemd udev debootstrap e2fsprogs cpio kmod fdisk
passwd python3 apt dpkg debian-archive-keyring gpgv
mdadm dmsetup dosfstools xfsprogs btrfs-progs
clevis clevis-luks libpwquality-tools tang jose luksmeta cryptsetup-bin"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "tests/vm: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $missing >/dev/null
