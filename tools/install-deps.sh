#!/bin/sh
# Installs the Debian 12 packages ignis needs to build, test and demo —
# only the missing ones, so a prepared machine pays nothing.
set -eu

PKGS="meson ninja-build pkg-config gcc binutils
libjson-c-dev libcurl4-openssl-dev libblkid-dev libmount-dev libcryptsetup-dev libfdisk-dev
zlib1g-dev libssl-dev
python3 python3-jsonschema
ignition
valgrind
clang-14 libclang-rt-14-dev
passwd e2fsprogs dosfstools xfsprogs btrfs-progs util-linux
scdoc bash-completion
dpkg-dev debhelper lintian fakeroot
openssl tftpd-hpa
fdisk gdisk
mtools genisoimage
cryptsetup-bin
clevis clevis-luks libpwquality-tools"

missing=""
for p in $PKGS; do
        # ${p%%:*} keeps any arch qualifier out of the status query.
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
                missing="$missing $p"
        fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
