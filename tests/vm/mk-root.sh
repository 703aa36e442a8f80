#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mk-root.sh CACHEDIR
#
# The real root disk the VM tests boot into: Debian (the host's release)
# with a systemd userspace, from `debootstrap --variant=minbase` into
# CACHEDIR/rootfs-<key>/ (about 30 s, once), plus the harness's checker
# (guest/vm-check, run by vm-check.service after multi-user.target: prints
# "VM-CHECK: ..." lines on the serial console, then powers off). The image is
# made without loop mounts: `mkfs.ext4 -d DIR`, label "root" (kernel command
# line root=LABEL=root rw), raw, sparse, 1 GiB (about 145 MiB used).
#
# The root is left in systemd's first-boot state (/etc/machine-id says
# "uninitialized"), as a freshly installed image is: that is when systemd
# applies the preset file through which Ignition-style "enabled: true" units
# get enabled.
#
# Cached: CACHEDIR/root-<key>.img, <key> = this script + guest/*. Prints the
# image path on the last line of stdout. Env: IGNIS_VM_MIRROR (Debian mirror,
# default: the first deb.debian.org-style URI in the host's apt sources),
# IGNIS_VM_SUITE (default: the host's release codename).
set -euo pipefail
CACHE=${1:?usage: mk-root.sh CACHEDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE"; CACHE=$(cd "$CACHE" && pwd)

SUITE=${IGNIS_VM_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
MIRROR=${IGNIS_VM_MIRROR:-}
if [ -z "$MIRROR" ]; then
    MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -1 | tr -d ' ' || true)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
PKGS=systemd-sysv,udev,tzdata,mdadm
EXCLUDE=apt

bkey=$(echo "$SUITE $PKGS $EXCLUDE v1" | sha256sum | cut -c1-12)
ROOTDIR=$CACHE/rootfs-$bkey
ikey=$( { echo "$bkey"; sha256sum "$0"; (cd "$HERE/guest" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); } |
        sha256sum | cut -c1-16)
IMG=$CACHE/root-$ikey.img
if [ -s "$IMG" ]; then
    echo "mk-root: cached $IMG" >&2
    echo "$IMG"; exit 0
fi

if [ ! -e "$ROOTDIR/.complete" ]; then
    command -v debootstrap >/dev/null || { echo "mk-root: debootstrap is not installed" >&2; exit 1; }
    rm -rf "$ROOTDIR" "$ROOTDIR.tmp"
    start=$(date +%s)
    echo "mk-root: debootstrap $SUITE from $MIRROR (+$PKGS)" >&2
    if ! debootstrap --variant=minbase --include="$PKGS" --exclude="$EXCLUDE" \
            "$SUITE" "$ROOTDIR.tmp" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1; then
        tail -20 "$CACHE/debootstrap.log" >&2
        echo "mk-root: debootstrap failed (log: $CACHE/debootstrap.log)" >&2
        exit 1
    fi
    R=$ROOTDIR.tmp
    # What a test image does not need: package caches and lists, docs.
    rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* \
           "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/info/* \
           "$R"/usr/share/locale/* "$R"/var/log/*.log "$R"/var/cache/debconf/*-old
    mv "$ROOTDIR.tmp" "$ROOTDIR"
    touch "$ROOTDIR/.complete"
    echo "mk-root: debootstrap took $(( $(date +%s) - start ))s" >&2
fi

# Harness files (re-applied on every image build; the rootfs dir is reused).
R=$ROOTDIR
install -D -m 0755 "$HERE/guest/vm-check" "$R/usr/local/sbin/vm-check"
install -D -m 0644 "$HERE/guest/vm-check.service" "$R/etc/systemd/system/vm-check.service"
mkdir -p "$R/etc/systemd/system/multi-user.target.wants" "$R/etc/systemd/system/serial-getty@.service.d"
ln -sfn ../vm-check.service "$R/etc/systemd/system/multi-user.target.wants/vm-check.service"
install -m 0644 "$HERE/guest/serial-getty-interactive.conf" "$R/etc/systemd/system/serial-getty@.service.d/vm-interactive.conf"
# Time savers under TCG, for things no test looks at: e2scrub_reap.service
# (~8 s), the VT gettys (~5 s; the VM has no screen) and getty-static.service.
for u in e2scrub_reap.service getty-static.service; do
    ln -sfn /dev/null "$R/etc/systemd/system/$u"
done
rm -f "$R/etc/systemd/system/getty.target.wants/getty@tty1.service"
# Presets, which systemd applies on the first boot (enable lines only). Like
# Fedora CoreOS (99-default-disable.preset), units are disabled unless a
# preset enables them, so "enabled": true in a config is what enables a unit
# (with Debian's presets alone every unit with an [Install] section would be
# enabled on the first boot, and a test could not tell). systemd-networkd
# (whose start costs ~7 s under TCG) and the VT gettys are off too.
mkdir -p "$R/etc/systemd/system-preset"
printf 'disable %s\n' systemd-networkd.service systemd-network-generator.service getty@.service \
    > "$R/etc/systemd/system-preset/80-ignis-vm.preset"
echo 'disable *' > "$R/etc/systemd/system-preset/99-ignis-vm-default-disable.preset"
echo ignis-vm > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
: > "$R/etc/fstab"
# first boot: systemd applies presets and commits a new machine id
echo uninitialized > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id" "$R/etc/.ignition-result.json"
# root without a password, for "vm.interactive" debugging on the serial console
sed -i 's/^root:[^:]*:/root::/' "$R/etc/shadow"

rm -f "$IMG.tmp"
truncate -s 1G "$IMG.tmp"
mkfs.ext4 -q -F -L root -d "$R" "$IMG.tmp"
mv "$IMG.tmp" "$IMG"
ls -t "$CACHE"/root-*.img 2>/dev/null | tail -n +3 | xargs -r rm -f
echo "mk-root: built $IMG ($(du -h "$IMG" | cut -f1) used)" >&2
echo "$IMG"
