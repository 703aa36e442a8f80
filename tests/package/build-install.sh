#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tests/package/build-install.sh IGNIS_SOURCE_DIR SCRATCH_DIR
#
# The Debian package, end to end:
#   1. dpkg-buildpackage -us -uc -b from a clean copy of the tracked files;
#   2. lintian on the result must report no errors;
#   3. the package is installed with dpkg into a copy of the VM tests' Debian
#      root (debootstrap, cached by tests/vm/mk-root.sh), together with the
#      packages it needs that the root lacks, resolved by the host's apt
#      against the root's dpkg status (and dracut-core, which it recommends);
#   4. inside that root (chroot): `ignis --version` runs and reports the
#      libraries it loads, the man pages and the completion are where man
#      and bash look, and dracut sees the module and builds an initramfs
#      with it (--no-kernel: the root has no kernel).
# TAP output. Needs root (chroot, dpkg in a chroot); skips without it or
# without dpkg-buildpackage, unless IGNIS_VM_REQUIRE=1 (CI), then fails.
set -uo pipefail
SRC=$(cd "${1:?source dir}" && pwd)
SCRATCH=${2:?scratch dir}
CACHE=${IGNIS_VM_CACHE:-$(dirname "$SCRATCH")/vm-cache}   # the VM suite's cache
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"; }
check() { # NAME COMMAND...: ok if the command succeeds, else its output as diagnostics
    local name=$1 out; shift
    if out=$("$@" 2>&1); then ok "$name"; else notok "$name" "$(tail -20 <<<"$out")"; fi
}
echo "TAP version 13"
missing=""
[ "$(id -u)" -eq 0 ] || missing="root"
for t in dpkg-buildpackage lintian apt-get chroot; do command -v $t >/dev/null || missing="$missing $t"; done
if [ -n "$missing" ]; then
    if [ "${IGNIS_VM_REQUIRE:-0}" = 1 ]; then echo "1..1"; echo "not ok 1 - package test needs:$missing"; exit 1; fi
    echo "1..0 # SKIP needs:$missing"; exit 0
fi

rm -rf "$SCRATCH/pkg" "$SCRATCH/root" "$SCRATCH/debs"
mkdir -p "$SCRATCH/pkg/ignis" "$SCRATCH/debs"
# A clean copy: tracked files only (what a source package would hold).
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$SCRATCH/pkg/ignis"

check "dpkg-buildpackage -us -uc -b" sh -c "cd '$SCRATCH/pkg/ignis' && dpkg-buildpackage -us -uc -b"
deb=$(ls "$SCRATCH"/pkg/ignis_*_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then notok "the package was built"; echo "1..$n"; exit 1; fi
check "lintian reports no errors" lintian --fail-on error \
    "$SCRATCH"/pkg/ignis_*_*.changes
check "the package holds the binary, the dracut module, the man pages, the completion" sh -c "
    c=\$(dpkg-deb -c '$deb')
    for f in ./usr/bin/ignis ./usr/lib/dracut/modules.d/30ignis/module-setup.sh \
             ./usr/share/man/man8/ignis.8.gz ./usr/share/man/man7/ignis-dracut.7.gz \
             ./usr/share/bash-completion/completions/ignis; do
        echo \"\$c\" | grep -q \" \$f\$\" || { echo \"missing \$f\"; exit 1; }
    done"

# The root: a copy of the VM tests' debootstrap tree.
img=$("$SRC/tests/vm/mk-root.sh" "$CACHE" 2>"$SCRATCH/mk-root.log" | tail -1)
rootfs=$(ls -d "$CACHE"/rootfs-*/ 2>/dev/null | head -1)
if [ -z "$img" ] || [ ! -e "$rootfs/.complete" ]; then
    notok "a Debian root to install into" "$(tail -5 "$SCRATCH/mk-root.log")"; echo "1..$n"; exit 1
fi
R=$SCRATCH/root
cp -a "$rootfs" "$R"

# What the root lacks, resolved by the host's apt against the root's dpkg
# status, downloaded (apt-get download: the same mirror install-deps uses).
apt_root=(-o "Dir::State::status=$R/var/lib/dpkg/status" -o Debug::NoLocking=1)
need=$(apt-get "${apt_root[@]}" -s install --no-install-recommends "$deb" dracut-core 2>&1 |
    sed -n 's/^Inst \([^ ]*\) .*/\1/p' | grep -vx ignis)
if [ -n "$need" ]; then
    # shellcheck disable=SC2086
    check "dependencies downloaded ($(echo $need | wc -w) packages)" sh -c "cd '$SCRATCH/debs' && apt-get download $(echo $need)"
fi
cp "$deb" "$R/tmp/"
mount_proc() { mount -t proc proc "$R/proc"; }
mount_proc && trap 'umount "$R/proc" 2>/dev/null; rm -rf "$R"' EXIT
cp "$SCRATCH"/debs/*.deb "$R/tmp/" 2>/dev/null
check "dpkg -i installs ignis cleanly (with what it depends on)" chroot "$R" sh -c \
    'cd /tmp && dpkg -i ./*.deb && dpkg -s ignis | grep -q "^Status: install ok installed"'
check "dpkg --audit finds nothing broken" sh -c "out=\$(chroot '$R' dpkg --audit); [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
version=$(chroot "$R" ignis --version 2>&1)
# dlopen()ed storage libraries: present only because the package Depends on them.
for lib in libblkid libfdisk libmount; do
    if grep -q "^$lib [0-9].*loaded when needed" <<<"$version"; then
        ok "ignis --version loads $lib in the installed root"
    else
        notok "ignis --version loads $lib in the installed root" "$version"
    fi
done
if grep -q '^ignis ' <<<"$version" && grep -q '^libcurl [0-9]' <<<"$version" &&
        grep -q '^libcrypto OpenSSL' <<<"$version"; then
    ok "ignis --version runs in the installed root and loads libcurl and libcrypto"
else
    notok "ignis --version runs in the installed root and loads libcurl and libcrypto" "$version"
fi
check "ignis validate works in the installed root" chroot "$R" sh -c \
    'echo "{\"ignition\":{\"version\":\"3.4.0\"}}" | ignis validate -'
check "the man pages are installed where man looks" \
    test -s "$R/usr/share/man/man8/ignis.8.gz" -a -s "$R/usr/share/man/man7/ignis-dracut.7.gz"
check "the bash completion defines _ignis" chroot "$R" bash -c \
    'source /usr/share/bash-completion/completions/ignis 2>/dev/null; complete -p ignis | grep -q _ignis'
check "dracut lists the ignis module" sh -c "chroot '$R' dracut --no-kernel --list-modules 2>&1 | grep -x ignis || { chroot '$R' dracut --no-kernel --list-modules 2>&1 | tail -5; exit 1; }"
check "dracut builds an initramfs with the ignis module" chroot "$R" sh -c '
    dracut --no-kernel --force --no-compress -m "systemd systemd-initrd ignis" /tmp/initrd.img >/tmp/dracut.log 2>&1 ||
        { tail -20 /tmp/dracut.log; exit 1; }
    lsinitrd /tmp/initrd.img | grep -q "usr/bin/ignis" || { echo "no usr/bin/ignis in the image"; exit 1; }
    lsinitrd /tmp/initrd.img | grep -q "ignis-files.service" || { echo "no ignis-files.service in the image"; exit 1; }
    # dlopen()ed, so only the module'"'"'s list puts them there (no ldd walk).
    for lib in libblkid.so.1 libfdisk.so.1 libmount.so.1; do
        lsinitrd /tmp/initrd.img | grep -q "/$lib" || { echo "no $lib in the image"; exit 1; }
    done'
echo "1..$n"
[ $failed -eq 0 ]
