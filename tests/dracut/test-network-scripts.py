#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The dracut module's network pieces outside an initramfs (TAP):
ignis-generator's network configuration (DHCP .network or ip= through
systemd-network-generator, first boots only; rd.neednet=1; networkd queued
with the boot when the config can only come from the network, as the built
ignis's `boot-network` decides), ignis-network.path
and ignis-fetch.service, and ignis-network-up (the fallback without
systemd-networkd), with a fake kernel command line, a fake systemctl that
records its arguments and scratch directories (the scripts' IGNIS_* test
variables).

    test-network-scripts.py MODULE_DIR IGNIS
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import end, ok  # noqa: E402

MOD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(os.path.dirname(__file__), "..", "..", "dracut-module", "30ignis"))
IGNIS = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else "/nonexistent/ignis"


def fake(top, name, body):
    p = os.path.join(top, name)
    with open(p, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(p, 0o755)
    return p


def network_up():
    top = tempfile.mkdtemp(prefix="ignis-netup-")
    log = os.path.join(top, "calls")
    env = dict(os.environ, SYSTEMCTL=fake(top, "systemctl", f'echo "systemctl $*" >> {log}\n'))
    p = subprocess.run([os.path.join(MOD, "ignis-network-up")], env=env, capture_output=True, text=True)
    calls = open(log).read().splitlines() if os.path.exists(log) else []
    subprocess.run(["rm", "-rf", top])
    return p, calls


p, calls = network_up()
ok(p.returncode == 0 and calls == ["systemctl start --no-block network-online.target"],
   "ignis-network-up (no systemd-networkd): the distro's network-online.target, not waited for", (p, calls))

# ignis-network.path starts networkd when fetch-offline writes the flag.
text = open(os.path.join(MOD, "ignis-network.path")).read()
ok("PathExists=/run/ignis/neednet" in text and "Unit=systemd-networkd.service" in text
   and "Conflicts=initrd-switch-root.target" in text,
   "ignis-network.path: /run/ignis/neednet starts systemd-networkd, stopped at switch-root", text)
text = open(os.path.join(MOD, "ignis-fetch.service")).read()
ok(not any(line.startswith("After=network") or line.startswith("ExecStartPre=") for line in text.splitlines())
   and "ConditionPathExists=/run/ignis/neednet" in text,
   "ignis-fetch.service: only with the flag, not ordered on network(-online).target", text)

# The default .network: DHCP (v4 and v6), no IPv4 link-local (which would give
# a route to 169.254.0.0/16 before DHCP is done).
text = open(os.path.join(MOD, "99-ignis-dhcp.network")).read()
ok("DHCP=yes" in text and "LinkLocalAddressing=ipv6" in text and "Type=ether" in text,
   "99-ignis-dhcp.network: DHCP=yes, Type=ether, LinkLocalAddressing=ipv6", text)


def generator(cmdline, units_present=True, ignis=None, top=None, keep=False):
    top = top or tempfile.mkdtemp(prefix="ignis-gen-")
    units = os.path.join(top, "units")
    os.makedirs(units, exist_ok=True)
    if units_present:
        for u in ("systemd-networkd.service", "systemd-network-generator.service", "ignis-net-coldplug.service"):
            open(os.path.join(units, u), "w").close()
    with open(os.path.join(top, "cmdline"), "w") as f:
        f.write(cmdline + "\n")
    out = os.path.join(top, "gen")
    netdir = os.path.join(top, "etc-network")
    os.makedirs(netdir, exist_ok=True)
    dhcp = os.path.join(netdir, "99-ignis-dhcp.network")
    with open(dhcp, "w") as f:   # as the module installs it
        f.write(open(os.path.join(MOD, "99-ignis-dhcp.network")).read())
    env = dict(os.environ, IGNIS_PROC_CMDLINE=os.path.join(top, "cmdline"), IGNIS_ENV_FILE=os.path.join(top, "env"),
               IGNIS_GENERATOR_LOG=os.path.join(top, "log"), IGNIS_UNIT_DIR=units, IGNIS_NETWORK_DIR=netdir,
               IGNIS_BIN=ignis or IGNIS, IGNIS_MODULES_LOAD_DIR=os.path.join(top, "modules-load.d"))
    p = subprocess.run([os.path.join(MOD, "ignis-generator"), out], env=env, capture_output=True, text=True)
    p.log = open(os.path.join(top, "log")).read() if os.path.exists(os.path.join(top, "log")) else ""
    wants = sorted(os.listdir(os.path.join(out, "initrd.target.wants"))) \
        if os.path.isdir(os.path.join(out, "initrd.target.wants")) else []
    kept = os.path.exists(dhcp)
    if not keep:
        subprocess.run(["rm", "-rf", top])
    return p, wants, kept


# The first-boot rule (Ignition's generator's, and cmdline_is_firstboot()'s in
# test-cmdline.c, the same table): a bare flag or any value but "", 0, no, off.
for cmdline, want in (("ignition.firstboot", True), ("ignition.firstboot=1", True), ("ignition.firstboot=", False),
                      ("ignition.firstboot=0", False), ("ignition.firstboot=no", False),
                      ("ignition.firstboot=off", False), ("ignition.firstboot=false", True),
                      ("ignition.firstboot=NO", True), ("quiet ro", False), ("ignition.firstboot.x", False),
                      ("ignition.firstboot ignition.firstboot=0", False),
                      ("ignition.firstboot=0 ignition.firstboot", True)):
    top = tempfile.mkdtemp(prefix="ignis-gen-")
    p, wants, copied = generator(cmdline + " ignition.platform.id=qemu", top=top, keep=True)
    queued = os.path.lexists(os.path.join(top, "gen", "initrd.target.requires", "ignis-complete.target"))
    subprocess.run(["rm", "-rf", top])
    ok(p.returncode == 0 and queued == want,
       f"[{cmdline}]: {'a first boot' if want else 'not a first boot'}", (p, p.log, queued))

# qemu_fw_cfg through systemd-modules-load on a first boot that may read fw_cfg
for cmdline, want in (("ignition.firstboot ignition.platform.id=qemu", True), ("ignition.firstboot", True),
                      ("ignition.firstboot ignition.platform.id=auto", True),
                      ("ignition.firstboot ignition.platform.id=aws", False),
                      ("ignition.platform.id=qemu", False)):
    top = tempfile.mkdtemp(prefix="ignis-gen-")
    p, wants, copied = generator(cmdline, top=top, keep=True)
    conf = os.path.join(top, "modules-load.d", "ignis.conf")
    got = open(conf).read() if os.path.exists(conf) else None
    subprocess.run(["rm", "-rf", top])
    ok(p.returncode == 0 and got == ("qemu_fw_cfg\n" if want else None),
       f"[{cmdline}]: {'qemu_fw_cfg in modules-load.d' if want else 'no modules-load.d file'}", (p, got))

p, wants, copied = generator("ignition.firstboot ignition.platform.id=metal")
ok(p.returncode == 0 and wants == [] and copied,
   "first boot, no ip=: the DHCP .network stays, nothing started", (p, wants, copied))
p, wants, copied = generator("ignition.firstboot ignition.platform.id=metal ip=eth0:dhcp")
ok(p.returncode == 0 and wants == ["systemd-network-generator.service"] and not copied,
   "first boot, ip=: systemd-network-generator queued, the DHCP default removed", (p, wants, copied))
p, wants, copied = generator("ignition.platform.id=metal")
ok(p.returncode == 0 and wants == [] and copied, "not a first boot: nothing", (p, wants, copied))
p, wants, copied = generator("ignition.firstboot ignition.platform.id=qemu", units_present=False)
ok(p.returncode == 0 and wants == [] and copied, "no systemd-networkd in the initramfs: nothing",
   (p, wants, copied))
p, wants, copied = generator("ignition.firstboot ignition.platform.id=qemu rd.neednet=1")
ok(p.returncode == 0 and wants == ["systemd-network-generator.service", "systemd-networkd.service"],
   "rd.neednet=1: networkd and the generator wanted at boot", (p, wants))
p, wants, copied = generator("rd.neednet=1", units_present=False)
ok(p.returncode == 0 and wants == [], "rd.neednet=1 without networkd in the initramfs: nothing linked", (p, wants))
p, wants, copied = generator("rd.neednet=0")
ok(p.returncode == 0 and wants == [], "rd.neednet=0, not a first boot: nothing", (p, wants))

# Networkd with the boot when the config can only come from the network: the
# decision is the built binary's (the fetch stage's provider table), so this
# runs the real ignis; a local config must never start the network.
ok(os.access(IGNIS, os.X_OK), "the built ignis is given", IGNIS)
# networkd, and udev's coldplug taking the network devices first
NETD = ["ignis-net-coldplug.service", "systemd-networkd.service"]
for cmdline, want, why in [
        ("ignition.firstboot ignition.platform.id=aws", NETD, "platform aws"),
        ("ignition.firstboot=1 ignition.platform.id=gcp", NETD, "platform gcp"),
        ("ignition.firstboot ignition.platform.id=azure", NETD, "platform azure"),
        ("ignition.firstboot ignition.platform.id=openstack", NETD, "platform openstack"),
        ("ignition.firstboot ignition.platform.id=scaleway", NETD, "platform scaleway"),
        ("ignition.firstboot ignition.platform.id=metal ignition.config.url=http://192.0.2.1/c.ign", NETD,
         "ignition.config.url=http://192.0.2.1/c.ign is remote"),
        ("ignition.firstboot ignition.platform.id=metal ignition.config.url=https://u:secret@h/c.ign?sig=s3cr",
         NETD, "ignition.config.url=https://h/c.ign is remote"),
        ("ignition.firstboot ignition.platform.id=metal ignition.config.url=tftp://192.0.2.1/c.ign", NETD, "tftp"),
        ("ignition.firstboot ignition.config.url=s3://bucket/c.ign", NETD, "s3"),
        ("ignition.firstboot ignition.platform.id=qemu", [], None),
        ("ignition.firstboot ignition.platform.id=metal", [], None),
        ("ignition.firstboot ignition.platform.id=metal ignition.config.url=data:,%7B%7D", [], None),
        ("ignition.firstboot ignition.platform.id=aws ignition.config.url=file:///c.ign", [], None),
        ("ignition.firstboot ignition.platform.id=vmware", [], None),
        ("ignition.firstboot ignition.platform.id=nocloud", [], None),
        ("ignition.firstboot ignition.platform.id=auto", [], None),
        ("ignition.firstboot", [], None),
        ("ignition.firstboot ignition.platform.id=nosuchcloud", [], None),
        ("ignition.firstboot=0 ignition.platform.id=aws", [], None),
        ("ignition.platform.id=aws ignition.config.url=https://h/c.ign", [], None)]:
    p, wants, kept = generator(cmdline)
    good = p.returncode == 0 and wants == want and kept and "secret" not in p.log and "s3cr" not in p.log
    if why:
        good = good and why.split(" is ")[0] in p.log and "starting systemd-networkd with the boot" in p.log
    else:
        good = good and "systemd-networkd" not in p.log
    ok(good, f"{cmdline}: {'networkd with the boot' if want else 'no network at boot'}", (p, p.log, wants))
p, wants, kept = generator("ignition.firstboot ignition.platform.id=aws ip=eth0:dhcp")
ok(p.returncode == 0 and wants == ["ignis-net-coldplug.service", "systemd-network-generator.service",
                                   "systemd-networkd.service"] and not kept,
   "aws with ip=: networkd and systemd-network-generator with the boot", (p, wants, kept))
p, wants, kept = generator("ignition.firstboot ignition.platform.id=aws", units_present=False)
ok(p.returncode == 0 and wants == [], "aws without networkd in the initramfs: nothing linked, ignis not asked",
   (p, wants))
p, wants, kept = generator("ignition.firstboot ignition.platform.id=aws", ignis="/nonexistent/ignis")
ok(p.returncode == 0 and wants == [] and kept,
   "ignis missing or failing: the generator still succeeds and leaves it to fetch-offline", (p, wants))
# The daemon-reload's run reuses the boot's answer instead of a second exec
# (an ignis that would fail now must not change it); the generator output
# directory is fresh each run, as PID 1 makes it.
top = tempfile.mkdtemp(prefix="ignis-gen-")
generator("ignition.firstboot ignition.platform.id=aws", top=top, keep=True)
subprocess.run(["rm", "-rf", os.path.join(top, "gen")])
p, wants, kept = generator("ignition.firstboot ignition.platform.id=aws", ignis="/nonexistent/ignis", top=top,
                           keep=True)
ok(p.returncode == 0 and wants == NETD, "the second run (daemon-reload) reuses the first run's answer: networkd",
   (p, wants))
subprocess.run(["rm", "-rf", top])
top = tempfile.mkdtemp(prefix="ignis-gen-")
generator("ignition.firstboot ignition.platform.id=qemu", top=top, keep=True)
subprocess.run(["rm", "-rf", os.path.join(top, "gen")])
p, wants, kept = generator("ignition.firstboot ignition.platform.id=qemu", top=top)
ok(p.returncode == 0 and wants == [], "the second run of a local-config boot: still no network", (p, wants))

end()
