#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2154 # moddir, initdir, libdirs, ... are set by dracut
#
# dracut module "ignis": the ignis first-boot provisioning agent, run as one
# systemd oneshot unit per stage in the initramfs. The units, targets,
# generator and kernel arguments mirror Ignition's 30ignition module, so a
# distro can swap one module for the other. See README.md.
#
# Settings (environment, or shell variables in a dracut.conf.d file):
#   IGNIS_BINARY        the ignis executable to install as /usr/bin/ignis
#                       (default: $moddir/ignis, then the meson install
#                       layout <prefix>/bin/ignis, then ignis in PATH)
#   IGNIS_DLOPEN_LIBS   libraries ignis dlopen()s (default "libcurl.so.4
#                       libcrypto.so.3 libcryptsetup.so.12": the meson
#                       options libcurl_soname, libcrypto_soname and
#                       libcryptsetup_soname)
#   IGNIS_NETWORK=no    leave out dracut's systemd-networkd module (package
#                       dracut-network), which ignis starts only when the
#                       config needs the network (default: include it when
#                       it is available)
#   IGNIS_KERNEL_MODULES  kernel modules for the storage ignis creates and
#                       mounts (default below; set it empty to rely on the
#                       distro's own module selection)

# Where the ignis executable comes from, in order of preference.
ignis_find_binary() {
    local c real
    real=$(readlink -f "$moddir" 2> /dev/null)
    for c in \
        "${IGNIS_BINARY:-}" \
        "$moddir/ignis" \
        "${real:+$real/../../../../bin/ignis}" \
        "$(command -v ignis 2> /dev/null)" \
        /usr/bin/ignis \
        /usr/local/bin/ignis; do
        [[ -n $c && -f $c && -x $c ]] || continue
        readlink -f "$c"
        return 0
    done
    return 1
}

# Tools ignis cannot work without (passwd section, systemd units).
ignis_required_tools="useradd usermod userdel groupadd groupdel systemctl"

check() {
    # Only when asked for: "dracut --add ignis", "-m '... ignis'", or a
    # distro module that depends on it (as Ignition's module since 2.18).
    if [[ -n ${IGNIS_BINARY:-} && ! -x ${IGNIS_BINARY} ]]; then
        derror "ignis: IGNIS_BINARY=$IGNIS_BINARY is not an executable"
        return 1
    fi
    if ! ignis_find_binary > /dev/null; then
        derror "ignis: the ignis binary was not found (set IGNIS_BINARY, or install it in PATH or as $moddir/ignis)"
        return 1
    fi
    # shellcheck disable=SC2086
    require_binaries $ignis_required_tools || return 1
    return 255
}

depends() {
    # systemd-initrd: initrd.target, initrd-root-fs.target, sysroot.mount
    # wiring; qemu: virtio and qemu_fw_cfg (the qemu platform's config).
    local deps="systemd systemd-initrd qemu"
    # device-mapper (LUKS): dmsetup and its udev rules, without which
    # opening a volume waits forever for udev, and db_persist, without
    # which the booted root's udev forgets the volumes opened here and
    # never reports them ready.
    if command -v dmsetup > /dev/null 2>&1; then
        deps+=" dm"
    fi
    # Networking: dracut's systemd-networkd module (small: DHCPv4 and v6 on
    # every NIC, honours ip=) and, through it, the NIC drivers. ignis starts
    # it only when a config needs the network (ignis-network-up), never on
    # a boot whose config is local.
    case "${IGNIS_NETWORK:-yes}" in
        no | 0 | false) ;;
        *)
            if [[ -d ${dracutbasedir:-/usr/lib/dracut}/modules.d/01systemd-networkd ]]; then
                deps+=" systemd-networkd"
            else
                dwarn "ignis: dracut's systemd-networkd module is missing (install dracut-network):" \
                    "configs that need the network will fail"
            fi
            ;;
    esac
    echo "$deps"
    return 0
}

installkernel() {
    # qemu platform: the config is in fw_cfg (ignis also modprobes it).
    hostonly='' instmods qemu_fw_cfg
    # Config media: OpenStack config drives and NoCloud seeds (iso9660 or
    # vfat), Azure's provisioning CD (udf), on CD-ROM drives behind the
    # usual controllers (Hyper-V generation 1: ata_piix; q35: ahci).
    hostonly='' instmods isofs udf sr_mod cdrom ahci ata_piix

    # The disks and mount stages create and mount filesystems, RAID and LUKS
    # volumes inside the initramfs whatever the build host uses, so a
    # hostonly initramfs must still carry their drivers.
    # shellcheck disable=SC2086
    hostonly='' instmods ${IGNIS_KERNEL_MODULES-ext4 xfs btrfs vfat \
        nls_cp437 nls_iso8859-1 nls_ascii nls_utf8 crc32c_generic crc32c-intel \
        md_mod raid0 raid1 raid10 raid456 \
        dm_mod dm_crypt xts algif_skcipher}
}

ignis_install_unit() { # UNIT [TARGET]
    inst_simple "$moddir/$1" "$systemdsystemunitdir/$1"
    # Fail the build if the unit is missing rather than boot without it.
    $SYSTEMCTL -q --root="$initdir" add-requires "${2:-ignis-complete.target}" "$1" || exit 1
}

# Install a library found in dracut's library directories, with every
# library it needs: dracut-install only follows the dependencies of files
# with an execute bit, and distributions ship shared libraries 0644 (Debian's
# libcurl.so.4 would come without libnghttp2, libssh2, libldap, ...).
ignis_inst_dlopen_lib() { # SONAME
    local dir path dep
    for dir in $libdirs; do
        path=$dracutsysrootdir$dir/$1
        [[ -e $path ]] || continue
        inst_libdir_file "$1"
        # ldd prints the whole closure, so one level is enough.
        while read -r dep; do
            inst_library "$dep"
        done < <(ldd "$path" 2> /dev/null | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p')
        return 0
    done
    return 1
}

install() {
    local bin lib t f

    bin=$(ignis_find_binary) || {
        dfatal "ignis: the ignis binary was not found"
        exit 1
    }
    inst_binary "$bin" /usr/bin/ignis

    # dlopen()ed at run time, so not seen by dracut's ldd walk of the binary.
    for lib in ${IGNIS_DLOPEN_LIBS-libcurl.so.4 libcrypto.so.3 libcryptsetup.so.12}; do
        ignis_inst_dlopen_lib "$lib" ||
            dwarn "ignis: $lib not found in $libdirs: features that need it will fail at run time"
    done

    # Tools ignis execs. The passwd and systemd ones are required; the rest
    # only matter for the configs that use them.
    # shellcheck disable=SC2086
    inst_multiple $ignis_required_tools mount umount
    # what ignis-generator and ignis-network-up run
    inst_multiple cat mkdir ln mv
    inst_multiple -o \
        groupmod \
        setfiles \
        sgdisk partx udevadm modprobe
    # Storage tools: each only for the configs that use it, so a build
    # host without one still gets an initramfs, and says what it lacks
    # (ignis names the missing tool when a config needs it).
    local missing=()
    for t in mkfs.ext4 mkfs.xfs mkfs.btrfs mkfs.fat mkswap wipefs mdadm \
        clevis clevis-luks-bind clevis-luks-unlock cryptsetup; do
        if find_binary "$t" > /dev/null 2>&1; then
            inst_multiple "$t"
        else
            missing+=("$t")
        fi
    done
    # clevis is a shell script calling its pins, jose and cryptsetup;
    # `clevis luks bind` makes the new slot's passphrase with pwmake and
    # cuts its tools' output with the coreutils below.
    if find_binary clevis > /dev/null 2>&1; then
        inst_multiple -o jose clevis-decrypt clevis-encrypt-sss clevis-decrypt-sss clevis-encrypt-tang \
            clevis-decrypt-tang clevis-encrypt-tpm2 clevis-decrypt-tpm2 clevis-luks-common-functions \
            clevis-luks-list clevis-luks-pass luksmeta curl bash pwmake \
            grep sed awk tr cut tail head sort basename mktemp find rm cat
        # pwmake checks what it generates against a cracklib dictionary,
        # which the initramfs lacks; the passphrase is random anyway.
        mkdir -p "$initdir/etc/security"
        printf '%s\n' "# ignis: clevis luks bind's pwmake, without a dictionary" "dictcheck = 0" \
            > "$initdir/etc/security/pwquality.conf"
    fi
    ((${#missing[@]} == 0)) ||
        dwarn "ignis: not on this build host, left out of the initramfs: ${missing[*]} (configs needing them fail with a message naming the tool)"

    # kargs: the distro's helper if the build host has one, else the default
    # that refuses (see ignis-kargs-helper).
    if [[ -x $dracutsysrootdir/usr/libexec/ignis-kargs-helper ]]; then
        inst_script /usr/libexec/ignis-kargs-helper
    else
        inst_script "$moddir/ignis-kargs-helper" /usr/libexec/ignis-kargs-helper
    fi
    if dracut_module_included systemd-networkd; then
        # In the initramfs's /etc: never seen by the booted system.
        inst_simple "$moddir/99-ignis-dhcp.network" /etc/systemd/network/99-ignis-dhcp.network
        # dracut's module enables networkd for every boot; ignis starts it
        # only when the config needs it (ignis-network.path, which the flag
        # fetch-offline writes triggers), or at boot with rd.neednet=1
        # (ignis-generator).
        $SYSTEMCTL -q --root "$initdir" disable systemd-networkd.service systemd-networkd.socket \
            systemd-networkd-wait-online.service systemd-network-generator.service 2> /dev/null
        inst_simple "$moddir/ignis-network.path" "$systemdsystemunitdir/ignis-network.path"
        # networkd needs its user; dracut's systemd-sysusers module creates
        # the accounts at every boot (a process in sysinit, seconds under
        # emulation). Create them in the image now and skip the service (the
        # drop-in sorts after dracut's, whose empty ConditionNeedsUpdate=
        # resets every condition before it).
        if dracut_module_included systemd-sysusers &&
            systemd-sysusers --root "$initdir" > /dev/null 2>&1 &&
            grep -q '^systemd-network:' "$initdir/etc/passwd"; then
            mkdir -p "$initdir$systemdsystemunitdir/systemd-sysusers.service.d"
            printf '[Unit]\n# ignis: the accounts were created when the image was built\nConditionPathExists=!/etc/passwd\n' \
                > "$initdir$systemdsystemunitdir/systemd-sysusers.service.d/zz-ignis-prebuilt.conf"
        fi
    else
        # Another network module (or none): ignis-fetch starts the distro's
        # network-online.target without waiting for it.
        inst_script "$moddir/ignis-network-up" /usr/libexec/ignis-network-up
        mkdir -p "$initdir$systemdsystemunitdir/ignis-fetch.service.d"
        printf '[Service]\nExecStartPre=/usr/libexec/ignis-network-up\n' \
            > "$initdir$systemdsystemunitdir/ignis-fetch.service.d/network-up.conf"
    fi

    # udev: opened-but-empty LUKS mappings become ready device units; md
    # arrays get their /dev/md/NAME links (mdadm --create waits for them);
    # CD-ROM properties for config-drive style providers.
    inst_simple "$moddir/99-zz-ignis-cryptsetup-ready.rules" \
        "$udevdir/rules.d/99-zz-ignis-cryptsetup-ready.rules"
    if [[ -x $dracutsysrootdir$(command -v mdadm 2> /dev/null) ]]; then
        inst_rules 01-md-raid-creating.rules 63-md-raid-arrays.rules
    fi

    inst_rules 60-cdrom_id.rules

    # With a network stack, https needs the CA bundle libcurl was built with.
    for t in network network-legacy network-manager systemd-networkd; do
        dracut_module_included "$t" || continue
        for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
            [[ -e $dracutsysrootdir$f ]] && inst_simple "$f"
        done
        break
    done

    inst_script "$moddir/ignis-generator" "$systemdutildir/system-generators/ignis-generator"

    for t in complete subsequent diskful diskful-subsequent; do
        inst_simple "$moddir/ignis-$t.target" "$systemdsystemunitdir/ignis-$t.target"
    done

    # Every stage is required by ignis-complete.target, which the generator
    # queues on the first boot only.
    ignis_install_unit ignis-fetch-offline.service
    ignis_install_unit ignis-fetch.service
    ignis_install_unit ignis-kargs.service
    ignis_install_unit ignis-disks.service
    ignis_install_unit ignis-mount.service
    ignis_install_unit ignis-files.service
    ignis_install_unit ignis-report.service
    if dracut_module_included systemd-networkd; then
        $SYSTEMCTL -q --root="$initdir" add-wants ignis-complete.target ignis-network.path || exit 1
    fi
    # Only with a boot disk (not a live image).
    ignis_install_unit ignis-remount-sysroot.service ignis-diskful.target
    # Every other boot with a boot disk: refuse a root whose first boot
    # was interrupted.
    ignis_install_unit ignis-check-interrupted.service ignis-diskful-subsequent.target
}
