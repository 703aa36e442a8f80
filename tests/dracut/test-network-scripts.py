#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The dracut module's network scripts outside an initramfs (TAP):
ignis-network-up (ExecStartPre= of ignis-fetch.service) and the rd.neednet=1
handling of ignis-generator, with a fake kernel command line, a fake
systemctl that records its arguments, a fake systemd-network-generator and
scratch directories (the scripts' IGNIS_* test variables).

    test-network-scripts.py MODULE_DIR
"""
import os
import subprocess
import sys
import tempfile

MOD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(os.path.dirname(__file__), "..", "..", "dracut-module", "30ignis"))
n = failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {name}")
    if not cond:
        failed += 1
        for line in str(detail).splitlines():
            print("#   " + line)


def fake(top, name, body):
    p = os.path.join(top, name)
    with open(p, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(p, 0o755)
    return p


def network_up(cmdline, networkd=True, generator_rc=0):
    top = tempfile.mkdtemp(prefix="ignis-netup-")
    units = os.path.join(top, "units")
    os.makedirs(units)
    if networkd:
        open(os.path.join(units, "systemd-networkd.service"), "w").close()
    with open(os.path.join(top, "cmdline"), "w") as f:
        f.write(cmdline + "\n")
    log = os.path.join(top, "calls")
    env = dict(os.environ,
               IGNIS_PROC_CMDLINE=os.path.join(top, "cmdline"),
               IGNIS_NETWORK_DIR=os.path.join(top, "run-network"),
               IGNIS_NETWORK_UNITDIR=units,
               IGNIS_NETWORK_DEFAULT=os.path.join(MOD, "99-ignis-dhcp.network"),
               SYSTEMCTL=fake(top, "systemctl", f'echo "systemctl $*" >> {log}\n'),
               IGNIS_NETWORK_GENERATOR=fake(top, "generator", f'echo generator >> {log}\nexit {generator_rc}\n'))
    p = subprocess.run([os.path.join(MOD, "ignis-network-up")], env=env, capture_output=True, text=True)
    calls = open(log).read().splitlines() if os.path.exists(log) else []
    copied = os.path.exists(os.path.join(top, "run-network", "99-ignis-dhcp.network"))
    subprocess.run(["rm", "-rf", top])
    return p, calls, copied


p, calls, copied = network_up("root=LABEL=root ignition.firstboot ignition.platform.id=metal")
ok(p.returncode == 0 and copied and calls == ["systemctl start --no-block systemd-networkd.service"],
   "no ip=: DHCP on every NIC (default .network copied), networkd started without waiting", (p, calls))
ok("starting systemd-networkd (DHCP on every Ethernet NIC)" in p.stdout, "no ip=: one console line", p.stdout)

p, calls, copied = network_up("ignition.firstboot ip=eth0:dhcp rd.neednet=1")
ok(p.returncode == 0 and not copied and calls == ["generator", "systemctl start --no-block systemd-networkd.service"],
   "ip=: systemd-network-generator, no default .network", (p, calls))
ok("(as ip= says)" in p.stdout, "ip=: says so", p.stdout)

p, calls, copied = network_up("ip=dhcp", generator_rc=1)
ok(p.returncode == 0 and "ip= arguments are ignored" in p.stderr and calls[-1].endswith("systemd-networkd.service"),
   "a failing generator: a warning, networkd still started", (p, calls))

p, calls, copied = network_up("ignition.firstboot", networkd=False)
ok(p.returncode == 0 and calls == ["systemctl start --no-block network-online.target"] and not copied,
   "no systemd-networkd in the initramfs: the distro's network-online.target, not waited for", (p, calls))

# The default .network: DHCP (v4 and v6), no IPv4 link-local (which would give
# a route to 169.254.0.0/16 before DHCP is done).
text = open(os.path.join(MOD, "99-ignis-dhcp.network")).read()
ok("DHCP=yes" in text and "LinkLocalAddressing=ipv6" in text and "Type=ether" in text,
   "99-ignis-dhcp.network: DHCP=yes, Type=ether, LinkLocalAddressing=ipv6", text)


def generator(cmdline, units_present=True):
    top = tempfile.mkdtemp(prefix="ignis-gen-")
    units = os.path.join(top, "units")
    os.makedirs(units)
    if units_present:
        for u in ("systemd-networkd.service", "systemd-network-generator.service"):
            open(os.path.join(units, u), "w").close()
    with open(os.path.join(top, "cmdline"), "w") as f:
        f.write(cmdline + "\n")
    out = os.path.join(top, "gen")
    env = dict(os.environ, IGNIS_PROC_CMDLINE=os.path.join(top, "cmdline"), IGNIS_ENV_FILE=os.path.join(top, "env"),
               IGNIS_GENERATOR_LOG=os.path.join(top, "log"), IGNIS_UNIT_DIR=units)
    p = subprocess.run([os.path.join(MOD, "ignis-generator"), out], env=env, capture_output=True, text=True)
    wants = sorted(os.listdir(os.path.join(out, "initrd.target.wants"))) \
        if os.path.isdir(os.path.join(out, "initrd.target.wants")) else []
    subprocess.run(["rm", "-rf", top])
    return p, wants


p, wants = generator("ignition.firstboot ignition.platform.id=qemu")
ok(p.returncode == 0 and wants == [], "generator without rd.neednet: networkd not wanted", (p, wants))
p, wants = generator("ignition.firstboot ignition.platform.id=qemu rd.neednet=1")
ok(p.returncode == 0 and wants == ["systemd-network-generator.service", "systemd-networkd.service"],
   "generator with rd.neednet=1: networkd and the generator wanted at boot", (p, wants))
p, wants = generator("rd.neednet=1", units_present=False)
ok(p.returncode == 0 and wants == [], "rd.neednet=1 without networkd in the initramfs: nothing linked", (p, wants))
p, wants = generator("rd.neednet=0 ignition.firstboot")
ok(p.returncode == 0 and wants == [], "rd.neednet=0: not wanted", (p, wants))

print(f"1..{n}")
sys.exit(1 if failed else 0)
