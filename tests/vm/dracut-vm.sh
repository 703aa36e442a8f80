# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by tests/vm/mk-initramfs.sh and bench/boot-initramfs.sh: the one
# dracut command both build their VM initramfs images with, so that the VM
# tests and the boot benchmark boot the same kind of image.
#
#   vm_dracut BASEDIR KERNELDIR KVER "MODULES" OUT [extra dracut args...]
#
# BASEDIR is a private dracutbasedir (nothing under /usr/lib/dracut is
# touched); IGNIS_BINARY and PATH are the caller's to set. -N: no host-only
# mode (nothing of this host's hardware or root device). --add-drivers: what
# the harness's root disk needs (virtio-blk, ext4 and the crc32c it requests
# at mount time); qemu_fw_cfg for the config; virtio_net for the metadata
# network (the root image has no kernel modules: what the initramfs loaded is
# all the booted root has). Uncompressed: a TCG guest decompresses slowly,
# loading through fw_cfg DMA is cheap. IGNIS_VM_DRACUT_ARGS (split on
# spaces) is appended for experiments; callers put it into their cache keys.
# The host's /etc/dracut.conf{,.d} are ignored: packages drop settings there
# (Debian's dracut-network adds "ifcfg", which pulls the whole network stack
# into every image) and the images must not depend on what the host has.
vm_dracut() {
    local base=$1 kdir=$2 kver=$3 mods=$4 out=$5
    shift 5
    mkdir -p "$base/no-conf.d"
    # shellcheck disable=SC2086 # IGNIS_VM_DRACUT_ARGS is split on purpose
    dracutbasedir=$base dracut --force -q -N --no-hostonly-cmdline \
        --conf /dev/null --confdir "$base/no-conf.d" \
        --kver "$kver" --kmoddir "$kdir/root/lib/modules/$kver" \
        -m "$mods" \
        --add-drivers "virtio_pci virtio_blk virtio_net virtio_rng qemu_fw_cfg ext4 crc32c_generic" \
        "$@" \
        --no-compress --no-early-microcode --nofscks --tmpdir /tmp \
        ${IGNIS_VM_DRACUT_ARGS:-} "$out" >&2
}
