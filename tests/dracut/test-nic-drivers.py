#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Which NIC drivers and which network pieces the ignis dracut module puts in
an image (TAP).

Real dracut builds real (uncompressed, generic -N) images from a fake kernel
module tree: one tiny ELF object per module name (a .modinfo section, which
is all dracut-install and depmod read), at the paths the real kernel uses,
for every driver of the module's curated list plus drivers outside it. The
image's cpio listing then says what dracut installed:

  * default: exactly the curated list, nothing else from drivers/net; networkd
    and its account and libcurl, but no D-Bus, sysusers or ip(8);
  * IGNIS_NIC_DRIVERS=all: every driver under drivers/net/ethernet (dracut's
    kernel-network-modules);
  * IGNIS_ADD_NIC_DRIVERS: the curated list plus the extra driver;
  * IGNIS_NIC_DRIVERS=LIST: that list only;
  * IGNIS_NETWORK=no: no NIC driver, no networkd, no libcurl or curl;
  * in every image: the virtio socket transport and what it depends on
    (applehv's config server);
  * with dracut's systemd-networkd module added by the distro: that one,
    with its units off, and (through it) every driver.

A host-only image's extra drivers (the build host's own NICs) come from
ignis_nic_driver_list, run with dracut's get_dev_module stubbed over a fake
/sys/class/net. docs/networking.md and ignis-dracut(7) must name every
curated driver.

    test-nic-drivers.py MODULE_DIR IGNIS_BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import end, ok  # noqa: E402

MOD = os.path.abspath(sys.argv[1])
IGNIS = os.path.abspath(sys.argv[2])
REPO = os.path.dirname(os.path.dirname(MOD))
KVER = "6.1.0-ignis-fake"


def skip_all(why):
    print(f"1..0 # SKIP {why}")
    sys.exit(0)


for tool in ("dracut", "cc", "cpio", "depmod"):
    if not shutil.which(tool):
        skip_all(f"{tool} not installed")
if not os.path.isdir("/usr/lib/dracut/modules.d/90kernel-network-modules"):
    skip_all("dracut's kernel-network-modules module (Debian: dracut-network) not installed")
if not os.access(IGNIS, os.X_OK):
    skip_all(f"{IGNIS} not built")


def module_var(expr):
    """A value computed by module-setup.sh itself (sourced in bash)."""
    p = subprocess.run(["bash", "-c", f'. "$1/module-setup.sh"; {expr}', "-", MOD],
                       capture_output=True, text=True, check=True)
    return p.stdout


CURATED = module_var('echo $ignis_default_nic_drivers').split()

# Real paths (Linux 6.1) for the curated drivers that have one here; the others
# go under drivers/net/ethernet/NAME/. Outside the list: a driver in
# drivers/net/ethernet, one in its own directory under drivers/net, and a
# wireless one.
PATHS = {
    "virtio_net": "drivers/net/virtio_net.ko",
    "hv_netvsc": "drivers/net/hyperv/hv_netvsc.ko",
    "vmxnet3": "drivers/net/vmxnet3/vmxnet3.ko",
    "xen-netfront": "drivers/net/xen-netfront.ko",
    "igb": "drivers/net/ethernet/intel/igb/igb.ko",
    "mlx5_core": "drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko",
}
OUTSIDE = {
    "8139too": "drivers/net/ethernet/realtek/8139too.ko",
    "acme_nic": "drivers/net/ethernet/acme/acme_nic.ko",
    "iwlwifi": "drivers/net/wireless/intel/iwlwifi/iwlwifi.ko",
}
# The applehv platform's transport and its dependencies (Linux 6.1 paths).
VSOCK = {
    "vsock": "net/vmw_vsock/vsock.ko",
    "vmw_vsock_virtio_transport_common": "net/vmw_vsock/vmw_vsock_virtio_transport_common.ko",
    "vmw_vsock_virtio_transport": "net/vmw_vsock/vmw_vsock_virtio_transport.ko",
}
ETHERNET = sorted([m for m, p in list(PATHS.items()) + list(OUTSIDE.items()) if "/ethernet/" in p]
                  + [m for m in CURATED if m not in PATHS])


def make_tree(top):
    kdir = os.path.join(top, "lib", "modules", KVER)
    src = os.path.join(top, "m.c")
    for name in CURATED + list(OUTSIDE) + list(VSOCK):
        rel = PATHS.get(name) or OUTSIDE.get(name) or VSOCK.get(name) or f"drivers/net/ethernet/{name}/{name}.ko"
        dst = os.path.join(kdir, "kernel", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(src, "w") as f:
            f.write('__attribute__((section(".modinfo"), used)) static const char mi[] =\n'
                    f'  "license=GPL\\0name={name.replace("-", "_")}\\0vermagic={KVER} SMP mod_unload \\0";\n')
        subprocess.run(["cc", "-c", "-o", dst, src], check=True)
    for f in ("modules.builtin", "modules.order"):
        open(os.path.join(kdir, f), "w").close()
    subprocess.run(["depmod", "-b", top, KVER], check=True, capture_output=True)
    return kdir


def make_base(top):
    """A private dracutbasedir: /usr/lib/dracut plus this 30ignis."""
    base = os.path.join(top, "dracut")
    os.makedirs(os.path.join(base, "modules.d"))
    os.makedirs(os.path.join(base, "no-conf.d"))
    for f in os.listdir("/usr/lib/dracut"):
        if f != "modules.d":
            os.symlink(os.path.join("/usr/lib/dracut", f), os.path.join(base, f))
    for m in os.listdir("/usr/lib/dracut/modules.d"):
        if m != "30ignis":
            os.symlink(os.path.join("/usr/lib/dracut/modules.d", m), os.path.join(base, "modules.d", m))
    os.symlink(MOD, os.path.join(base, "modules.d", "30ignis"))
    return base


def build(top, base, kdir, name, env_extra, modules="ignis"):
    out = os.path.join(top, name + ".img")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("IGNIS_NIC") and k != "IGNIS_NETWORK"}
    env.update(env_extra, IGNIS_BINARY=IGNIS, dracutbasedir=base)
    # The host's dracut.conf.d is ignored, as in tests/vm/dracut-vm.sh.
    p = subprocess.run(["dracut", "--force", "-q", "-N", "--no-hostonly-cmdline", "--conf", "/dev/null",
                        "--confdir", os.path.join(base, "no-conf.d"), "--kver", KVER, "--kmoddir", kdir,
                        "-m", modules, "--no-compress", "--no-early-microcode", "--tmpdir", top, out],
                       env=env, capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr
    listing = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(out, "rb"),
                             capture_output=True, text=True).stdout.splitlines()
    passwd = subprocess.run(["cpio", "-i", "--quiet", "--to-stdout", "etc/passwd"], stdin=open(out, "rb"),
                            capture_output=True, text=True).stdout
    os.unlink(out)
    return (listing, passwd), p.stderr


def net_drivers(listing):
    return sorted(os.path.basename(f)[:-3] for f in listing
                  if "/kernel/drivers/net/" in f and f.endswith(".ko"))


def has(listing, suffix):
    return any(f.endswith(suffix) for f in listing)


top = tempfile.mkdtemp(prefix="ignis-nicdrv-")
try:
    kdir = make_tree(top)
    base = make_base(top)

    img, err = build(top, base, kdir, "default", {})
    ok(img is not None, "default image built", err)
    if img:
        listing, passwd = img
        ok(net_drivers(listing) == sorted(CURATED),
           f"default: exactly the {len(CURATED)} curated NIC drivers, none of drivers/net besides",
           f"got {net_drivers(listing)}\nwant {sorted(CURATED)}")
        ok(has(listing, "/systemd-networkd") and has(listing, "/systemd-networkd.service")
           and has(listing, "/systemd-network-generator") and has(listing, "etc/systemd/network/99-ignis-dhcp.network")
           and has(listing, "/ignis-network.path"),
           "default: networkd, network-generator, the DHCP .network and ignis-network.path",
           "\n".join(f for f in listing if "network" in f))
        ok(not has(listing, "/dbus-daemon") and not has(listing, "/dbus-broker")
           and not has(listing, "/systemd-sysusers") and not has(listing, "/usr/bin/ip")
           and not has(listing, "/sbin/ip") and not has(listing, "/systemd-networkd-wait-online"),
           "default: no D-Bus, no sysusers, no ip(8), no wait-online",
           "\n".join(f for f in listing if "dbus" in f or "sysusers" in f or f.endswith("/ip")))
        ok(all(has(listing, "/" + os.path.basename(p)) for p in VSOCK.values()),
           "default: vmw_vsock_virtio_transport and its dependencies (applehv)",
           "\n".join(f for f in listing if "vsock" in f))
        ok(has(listing, "/libcurl.so.4"), "default: libcurl (dlopen()ed) is in the image",
           "\n".join(f for f in listing if "curl" in f))
        ok(any(line.startswith("systemd-network:") for line in passwd.splitlines()),
           "default: networkd's account systemd-network is in the image's /etc/passwd", passwd)
        ok(not any("wants/systemd-networkd" in f for f in listing),
           "default: networkd not enabled (ignis-network.path starts it)",
           "\n".join(f for f in listing if "wants/systemd-network" in f))

    img, err = build(top, base, kdir, "all", {"IGNIS_NIC_DRIVERS": "all"})
    if img:
        got = net_drivers(img[0])
        ok(all(m in got for m in ETHERNET) and "virtio_net" in got and "iwlwifi" not in got,
           "IGNIS_NIC_DRIVERS=all: every drivers/net/ethernet driver (dracut's kernel-network-modules), no wireless",
           f"got {got}\nwant at least {ETHERNET}")
    else:
        ok(False, "IGNIS_NIC_DRIVERS=all: image built", err)

    img, err = build(top, base, kdir, "add", {"IGNIS_ADD_NIC_DRIVERS": "acme_nic"})
    ok(img is not None and net_drivers(img[0]) == sorted(CURATED + ["acme_nic"]),
       "IGNIS_ADD_NIC_DRIVERS=acme_nic: the curated list plus acme_nic", img and net_drivers(img[0]) or err)

    img, err = build(top, base, kdir, "list", {"IGNIS_NIC_DRIVERS": "virtio_net 8139too"})
    ok(img is not None and net_drivers(img[0]) == ["8139too", "virtio_net"],
       "IGNIS_NIC_DRIVERS='virtio_net 8139too': those two only", img and net_drivers(img[0]) or err)

    img, err = build(top, base, kdir, "nonet", {"IGNIS_NETWORK": "no"})
    ok(img is not None and net_drivers(img[0]) == [] and not has(img[0], "/systemd-networkd")
       and not has(img[0], "/ignis-network.path") and not has(img[0], "/libcurl.so.4")
       and not has(img[0], "bin/curl")
       and has(img[0], "/vmw_vsock_virtio_transport.ko"),
       "IGNIS_NETWORK=no: no NIC driver, no networkd, no libcurl or curl (the vsock transport still)",
       "\n".join(f for f in img[0] if "net" in f or "curl" in f) if img else err)

    # A distro that adds dracut's systemd-networkd module: ignis uses it
    # (its units disabled, started by ignis-network.path), and its
    # kernel-network-modules brings every driver.
    img, err = build(top, base, kdir, "dracut-networkd", {}, modules="ignis systemd-networkd")
    if img:
        got = net_drivers(img[0])
        ok(all(m in got for m in ETHERNET) and has(img[0], "/ignis-network.path")
           and not has(img[0], "/ignis-network-up")
           and not any("wants/systemd-networkd" in f for f in img[0]),
           "with dracut's systemd-networkd module: used (units off, ignis-network.path), every NIC driver",
           "\n".join(f for f in img[0] if "network" in f) + f"\ndrivers {got}")
    else:
        ok(False, "with dracut's systemd-networkd module: image built", err)

    # Host-only: the build host's NICs (those with a device) join the list.
    sysfs = os.path.join(top, "sys")
    for nic, dev in (("enp1s0", True), ("lo", False), ("eth7", True)):
        os.makedirs(os.path.join(sysfs, "class", "net", nic))
        if dev:
            os.makedirs(os.path.join(sysfs, "class", "net", nic, "device"))
    script = ('. "$1/module-setup.sh"; get_dev_module() { echo "drv_${1##*/}"; }; '
              'hostonly=yes IGNIS_SYSFS="$2" ignis_nic_driver_list; echo ---; '
              'hostonly="" IGNIS_SYSFS="$2" IGNIS_NIC_DRIVERS=virtio_net ignis_nic_driver_list')
    p = subprocess.run(["bash", "-c", script, "-", MOD, sysfs], capture_output=True, text=True)
    host, generic = (p.stdout.split("---\n") + [""])[:2]
    host = host.split()
    ok(p.returncode == 0 and set(CURATED) <= set(host) and "drv_enp1s0" in host and "drv_eth7" in host
       and "drv_lo" not in host,
       "host-only: the curated list plus the drivers of the host's NICs (not lo)", p)
    ok(generic.split() == ["virtio_net"], "generic: no host NIC added", p)
finally:
    subprocess.run(["rm", "-rf", top])

# The docs name every curated driver.
for doc in ("docs/networking.md", "man/ignis-dracut.7.scd"):
    text = open(os.path.join(REPO, doc)).read()
    missing = [m for m in CURATED if f"`{m}`" not in text and f"*{m}*" not in text]
    ok(not missing, f"{doc} names every curated NIC driver", f"missing: {missing}")

end()
