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
#                       libcrypto.so.3 libcryptsetup.so.12 libmount.so.1
#                       libblkid.so.1 libfdisk.so.1": the meson options
#                       libcurl_soname, libcrypto_soname,
#                       libcryptsetup_soname, libmount_soname,
#                       libblkid_soname and libfdisk_soname; libcurl only
#                       in an image with a network)
#   IGNIS_NETWORK=no    leave out networking: systemd-networkd (which
#                       ignis starts only when the config needs the
#                       network), the NIC drivers, libcurl and the CA bundle
#                       (default: networkd when the build host has it)
#   IGNIS_KERNEL_MODULES  kernel modules for the storage ignis creates and
#                       mounts (default below; set it empty to rely on the
#                       distro's own module selection)
#   IGNIS_NIC_DRIVERS   the NIC drivers of an image with networking (default
#                       $ignis_default_nic_drivers below); "all" brings back
#                       dracut's kernel-network-modules (every wired NIC
#                       driver, about 45 MB more)
#   IGNIS_ADD_NIC_DRIVERS  NIC drivers to install on top of IGNIS_NIC_DRIVERS

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

# NIC drivers of an image with networking: the virtual and cloud NICs, and
# the server NICs machines are commonly network-booted with (the list and the
# size of each driver: docs/networking.md).
ignis_default_nic_drivers="virtio_net hv_netvsc mana vmxnet3 ena gve xen-netfront ixgbevf
    e1000 e1000e igb igc ixgbe i40e ice tg3 bnxt_en r8169 mlx5_core"

ignis_network_enabled() {
    case "${IGNIS_NETWORK:-yes}" in
        no | 0 | false) return 1 ;;
    esac
    return 0
}

ignis_all_nic_drivers() {
    [[ ${IGNIS_NIC_DRIVERS-} =~ ^[[:space:]]*all[[:space:]]*$ ]]
}

# A network stack chosen by the distro (dracut's network, network-legacy,
# network-manager or connman modules) brings its own drivers and daemon:
# ignis then only starts the distro's network-online.target.
ignis_distro_network() {
    local t
    for t in network network-legacy network-manager connman; do
        dracut_module_included "$t" && return 0
    done
    return 1
}

# The NIC driver names installkernel() passes to instmods: the curated (or
# configured) list plus IGNIS_ADD_NIC_DRIVERS and, in a host-only image, the
# drivers of the build host's own NICs (instmods keeps only loaded modules
# there, so a host NIC outside the list would otherwise be left out).
ignis_nic_driver_list() {
    local nic list=${IGNIS_NIC_DRIVERS-$ignis_default_nic_drivers}
    ignis_all_nic_drivers && list=$ignis_default_nic_drivers
    # shellcheck disable=SC2086 # lists are split on white space on purpose
    printf '%s\n' $list ${IGNIS_ADD_NIC_DRIVERS-}
    if [[ $hostonly ]]; then
        for nic in "${IGNIS_SYSFS:-/sys}"/class/net/*; do
            [[ -e $nic/device ]] || continue
            get_dev_module "$nic"
        done
    fi
}

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
    # Networking: systemd-networkd, installed by this module (DHCPv4 and v6
    # on every NIC, honours ip=) with a curated set of NIC drivers, not
    # through dracut's systemd-networkd module, which drags in every wired
    # NIC driver (kernel-network-modules), D-Bus and sysusers. ignis starts
    # networkd only when a config needs the network (ignis-network.path).
    if ignis_network_enabled && ignis_all_nic_drivers; then
        if [[ -d ${dracutbasedir:-/usr/lib/dracut}/modules.d/90kernel-network-modules ]]; then
            deps+=" kernel-network-modules"
        else
            dwarn "ignis: IGNIS_NIC_DRIVERS=all needs dracut's kernel-network-modules module" \
                "(Debian: dracut-network): installing the default NIC drivers"
        fi
    fi
    echo "$deps"
    return 0
}

installkernel() {
    # qemu platform: the config is in fw_cfg (ignis also modprobes it).
    hostonly='' instmods qemu_fw_cfg
    # virtualbox platform: the guest property service is reached through
    # the vboxguest driver's device (udev loads it, ignis too).
    hostonly='' instmods vboxguest
    # Config media: OpenStack config drives and NoCloud seeds (iso9660 or
    # vfat), Azure's provisioning CD (udf), on CD-ROM drives behind the
    # usual controllers (Hyper-V generation 1: ata_piix; q35: ahci).
    hostonly='' instmods isofs udf sr_mod cdrom ahci ata_piix
    # applehv platform: the config server is on a virtio socket to the host
    # (ignis modprobes the transport; named with what it needs, for a kernel
    # tree without depmod data).
    hostonly='' instmods vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport
    # hyperv platform: the KVP device (/dev/vmbus/hv_kvp) is hv_utils'.
    hostonly='' instmods hv_utils

    # NIC drivers; with "all", or when the distro adds it, dracut's
    # kernel-network-modules installs every one.
    if ignis_network_enabled && ! ignis_distro_network &&
        ! dracut_module_included kernel-network-modules; then
        local -a nics
        mapfile -t nics < <(ignis_nic_driver_list | sort -u)
        ((${#nics[@]} == 0)) || instmods "${nics[@]}"
    fi

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

# systemd-networkd and what ignis uses of it, without dracut's module: no
# D-Bus (networkd runs without a bus; nothing here talks to it), no sysusers
# service (the account goes into the image now), no ip(8).
ignis_install_networkd() {
    [[ -x $dracutsysrootdir$systemdutildir/systemd-networkd ]] || return 1
    inst_multiple \
        "$systemdutildir"/systemd-networkd \
        "$systemdsystemunitdir"/systemd-networkd.service \
        "$systemdsystemunitdir"/systemd-networkd.socket || return 1
    # ip= (systemd-network-generator), the udev .link defaults, networkd's
    # settings, and networkctl for a look at the links from a shell (its
    # unit's ExecReload= too).
    inst_multiple -o \
        "$systemdutildir"/systemd-network-generator \
        "$systemdsystemunitdir"/systemd-network-generator.service \
        "$systemdutildir"/networkd.conf \
        "$systemdutildir/networkd.conf.d/*.conf" \
        "$systemdnetwork"/99-default.link \
        networkctl
    # networkd.service runs as systemd-network: dracut's systemd module
    # copies the build host's account when it has one.
    if ! grep -q '^systemd-network:' "$initdir/etc/passwd" 2> /dev/null; then
        systemd-sysusers --root "$initdir" "$dracutsysrootdir$sysusers/systemd-network.conf" > /dev/null 2>&1
        grep -q '^systemd-network:' "$initdir/etc/passwd" 2> /dev/null || {
            derror "ignis: could not create the systemd-network account in the image"
            return 1
        }
    fi
    return 0
}

install() {
    local bin lib t f curl='' networkd=''

    # The network stack: dracut's systemd-networkd module if the distro adds
    # it (also as the backend of dracut's network module), else the distro's
    # own network module, else networkd installed here.
    if ignis_network_enabled; then
        if dracut_module_included systemd-networkd; then
            networkd=dracut
        elif ignis_distro_network; then
            :
        elif ignis_install_networkd; then
            networkd=ignis
        else
            dwarn "ignis: systemd-networkd is not on this build host: configs that need the network will fail"
        fi
    fi
    # libcurl and its dependencies (11 MB on Debian 12) only serve
    # remote resources: not in an image without a network.
    if ignis_network_enabled && { [[ $networkd ]] || ignis_distro_network; }; then
        curl=libcurl.so.4
    fi

    bin=$(ignis_find_binary) || {
        dfatal "ignis: the ignis binary was not found"
        exit 1
    }
    inst_binary "$bin" /usr/bin/ignis

    # dlopen()ed at run time, so not seen by dracut's ldd walk of the binary.
    for lib in ${IGNIS_DLOPEN_LIBS-$curl libcrypto.so.3 libcryptsetup.so.12 libmount.so.1 libblkid.so.1 libfdisk.so.1}; do
        ignis_inst_dlopen_lib "$lib" ||
            dwarn "ignis: $lib not found in $libdirs: features that need it will fail at run time"
    done

    # Tools ignis execs. The passwd and systemd ones are required; the rest
    # only matter for the configs that use them.
    # shellcheck disable=SC2086
    inst_multiple $ignis_required_tools mount umount
    # what ignis-generator and ignis-network-up run
    inst_multiple cat mkdir ln mv
    # (No sgdisk: ignis partitions with libfdisk, and sgdisk alone pulled
    # libstdc++, 2.4 MB.)
    inst_multiple -o \
        groupmod \
        setfiles \
        partx udevadm modprobe
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
    # clevis is a shell script calling its pins, jose and cryptsetup (the
    # tang pin talks to its server with curl, so curl only with a network);
    # `clevis luks bind` makes the new slot's passphrase with pwmake and
    # cuts its tools' output with the coreutils below.
    if find_binary clevis > /dev/null 2>&1; then
        inst_multiple -o jose clevis-decrypt clevis-encrypt-sss clevis-decrypt-sss clevis-encrypt-tang \
            clevis-decrypt-tang clevis-encrypt-tpm2 clevis-decrypt-tpm2 clevis-luks-common-functions \
            clevis-luks-list clevis-luks-pass luksmeta ${curl:+curl} bash pwmake \
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
    if [[ $networkd ]]; then
        # In the initramfs's /etc: never seen by the booted system.
        inst_simple "$moddir/99-ignis-dhcp.network" /etc/systemd/network/99-ignis-dhcp.network
        # Off at boot: ignis starts networkd only when the config needs it
        # (ignis-network.path, which the flag fetch-offline writes
        # triggers), or at boot with rd.neednet=1 (ignis-generator).
        # dracut's own module, when a distro adds it, enables them.
        $SYSTEMCTL -q --root "$initdir" disable systemd-networkd.service systemd-networkd.socket \
            systemd-networkd-wait-online.service systemd-network-generator.service 2> /dev/null
        inst_simple "$moddir/ignis-network.path" "$systemdsystemunitdir/ignis-network.path"
        # Wanted by the generator with networkd at boot.
        inst_simple "$moddir/ignis-net-coldplug.service" "$systemdsystemunitdir/ignis-net-coldplug.service"
    fi
    if [[ $networkd == dracut ]]; then
        # dracut's systemd-sysusers module creates networkd's accounts at
        # every boot (a process in sysinit, seconds under emulation).
        # Create them in the image now and skip the service (the drop-in
        # sorts after dracut's, whose empty ConditionNeedsUpdate= resets
        # every condition before it).
        if dracut_module_included systemd-sysusers &&
            systemd-sysusers --root "$initdir" > /dev/null 2>&1 &&
            grep -q '^systemd-network:' "$initdir/etc/passwd"; then
            mkdir -p "$initdir$systemdsystemunitdir/systemd-sysusers.service.d"
            printf '[Unit]\n# ignis: the accounts were created when the image was built\nConditionPathExists=!/etc/passwd\n' \
                > "$initdir$systemdsystemunitdir/systemd-sysusers.service.d/zz-ignis-prebuilt.conf"
        fi
    elif [[ -z $networkd ]] && ignis_network_enabled; then
        # The distro's network module (or none): ignis-fetch starts the
        # distro's network-online.target without waiting for it.
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
    if [[ $curl ]]; then
        for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
            [[ -e $dracutsysrootdir$f ]] && inst_simple "$f"
        done
    fi

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
    ignis_install_unit ignis-delete-config.service
    if [[ $networkd ]]; then
        $SYSTEMCTL -q --root="$initdir" add-wants ignis-complete.target ignis-network.path || exit 1
    fi
    # Only with a boot disk (not a live image).
    ignis_install_unit ignis-remount-sysroot.service ignis-diskful.target
    # Every other boot with a boot disk: refuse a root whose first boot
    # was interrupted.
    ignis_install_unit ignis-check-interrupted.service ignis-diskful-subsequent.target
}
