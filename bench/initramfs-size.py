#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""What networking costs in the initramfs: ignis's image without a network,
with networking (the module's curated NIC drivers), with every NIC driver
(IGNIS_NIC_DRIVERS=all), with virtio_net only (the smallest useful set), and
Debian's Ignition 2.14 image, built side by side
by boot-initramfs.sh (the VM tests' dracut command: generic -N, uncompressed,
same kernel, same dracut, same module list), one run.

    bench/initramfs-size.py [--ignis PATH] [--cache DIR] [--json FILE]

Prints, per image: raw size, gzip -6 size, kernel modules (count, MB, of them
drivers/net), user space; then what networking adds to ignis's image, split
into kernel modules, libcurl's dependency chain (libcurl.so.4 and the
libraries ldd lists for it that the image without a network lacks) and the
rest of user space (networkd, ...); then the size of each curated NIC driver
with its dependencies (modules.dep of the kernel). Exit 1 when ignis's
networking image is not smaller than Ignition's by TARGET_DIFF (58 MB: the
difference before networking), 2 on a setup error. Needs root (dracut).
"""

import argparse
import fcntl
import json
import os
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "vm"))
import run as vmtests  # noqa: E402  (tests/vm/run.py: prepare)

TARGET_DIFF = 58 * 1000 * 1000
MODULE = os.path.join(REPO, "dracut-module", "30ignis")
VARIANTS = (
    ("nonet", "ignis, IGNIS_NETWORK=no", "ignis", {"IGNIS_NETWORK": "no"}),
    ("net", "ignis, networking (curated NICs)", "ignis", {}),
    ("all", "ignis, networking, IGNIS_NIC_DRIVERS=all", "ignis", {"IGNIS_NIC_DRIVERS": "all"}),
    ("virtio", "ignis, networking, IGNIS_NIC_DRIVERS=virtio_net", "ignis", {"IGNIS_NIC_DRIVERS": "virtio_net"}),
    ("ignition", "Ignition 2.14 (30ignition)", "ignition", {}),
)


def cpio_files(path):
    """{name: size} of the regular files in an uncompressed newc cpio."""
    files = {}
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 110 <= len(data):
        h = data[off:off + 110]
        if h[:6] not in (b"070701", b"070702"):
            break
        mode, size, nlen = int(h[14:22], 16), int(h[54:62], 16), int(h[94:102], 16)
        name = data[off + 110:off + 110 + nlen - 1].decode("utf-8", "replace")
        off = (off + 110 + nlen + 3) & ~3
        if name == "TRAILER!!!":
            break
        if (mode & 0o170000) == 0o100000:
            files[name] = size
        off = (off + size + 3) & ~3
    return files


def gzip_size(path):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    n = 0
    with open(path, "rb") as f:
        while b := f.read(1 << 20):
            n += len(c.compress(b))
    return n + len(c.flush())


def curl_chain():
    """Real file names of libcurl.so.4 and what ldd lists for it."""
    p = subprocess.run(["bash", "-c", "ldconfig -p | sed -n 's|.*libcurl.so.4 (libc6,x86-64) => ||p' | head -1"],
                       capture_output=True, text=True)
    lib = p.stdout.strip()
    if not lib:
        return set()
    names = {os.path.basename(os.path.realpath(lib))}
    out = subprocess.run(["ldd", lib], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "=> /" in line:
            names.add(os.path.basename(os.path.realpath(line.split("=> ")[1].split()[0])))
    return names


def mb(n):
    return f"{n / 1e6:.2f} MB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ignis", default=os.path.join(REPO, "build", "src", "ignis"))
    ap.add_argument("--cache", default=os.environ.get("IGNIS_VM_CACHE") or os.path.join(REPO, "build", "vm-cache"))
    ap.add_argument("--json")
    args = ap.parse_args()
    args.cache = os.path.abspath(args.cache)
    if os.geteuid() != 0:
        print("initramfs-size: must run as root (dracut)", file=sys.stderr)
        return 2
    try:
        env, _ = vmtests.prepare(argparse.Namespace(cache=args.cache, ignis=args.ignis, require=True), set())
    except RuntimeError as e:
        print(f"initramfs-size: {e}", file=sys.stderr)
        return 2
    kdir = os.path.join(args.cache, "kernel")
    dver = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "dracut-core"],
                          capture_output=True, text=True).stdout.strip()

    images = {}
    lock = open(os.path.join(args.cache, ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        for tag, _, agent, extra in VARIANTS:
            # One cache directory per variant: boot-initramfs.sh keeps the two
            # newest images of an agent in its cache and drops the others.
            cache = os.path.join(args.cache, "size", tag)
            os.makedirs(cache, exist_ok=True)
            net = f"dracut-network-{dver}"
            if os.path.isdir(os.path.join(args.cache, net)) and not os.path.exists(os.path.join(cache, net)):
                os.symlink(os.path.join(args.cache, net), os.path.join(cache, net))
            e = {k: v for k, v in os.environ.items() if not k.startswith(("IGNIS_NIC", "IGNIS_ADD_NIC"))
                 and k != "IGNIS_NETWORK"}
            e.update(extra)
            p = subprocess.run([os.path.join(HERE, "boot-initramfs.sh"), agent, kdir, cache, args.ignis],
                               env=e, capture_output=True, text=True)
            if p.returncode != 0:
                print(f"initramfs-size: boot-initramfs.sh {agent} ({tag}) failed:\n{p.stderr}", file=sys.stderr)
                return 2
            images[tag] = p.stdout.strip().splitlines()[-1]
    finally:
        lock.close()

    curl = curl_chain()
    res = {}
    for tag, label, _, _ in VARIANTS:
        files = cpio_files(images[tag])
        ko = {n: s for n, s in files.items() if n.endswith((".ko", ".ko.xz", ".ko.zst"))}
        res[tag] = {
            "label": label, "image": images[tag], "files": files,
            "raw": os.path.getsize(images[tag]), "gzip": gzip_size(images[tag]),
            "ko_n": len(ko), "ko": sum(ko.values()),
            "ko_net": sum(s for n, s in ko.items() if "/kernel/drivers/net/" in n),
            "user": sum(s for n, s in files.items() if n not in ko),
        }

    print(f"kernel {env['kver']}, dracut {dver}; images: generic -N, uncompressed (raw), gzip -6 for reference")
    print()
    print(f"| image | raw | gzip -6 | kernel modules | of them drivers/net | user space |")
    print(f"| --- | --- | --- | --- | --- | --- |")
    for tag, label, _, _ in VARIANTS:
        r = res[tag]
        print(f"| {label} | {mb(r['raw'])} | {mb(r['gzip'])} | {r['ko_n']} ({mb(r['ko'])}) | "
              f"{mb(r['ko_net'])} | {mb(r['user'])} |")
    print()
    base = res["nonet"]["files"]
    for tag in ("net", "all", "virtio"):
        r = res[tag]
        added = {n: s for n, s in r["files"].items() if n not in base}
        chain = sum(s for n, s in added.items() if os.path.basename(n) in curl)
        mods = sum(s for n, s in added.items() if n.endswith(".ko"))
        other = sum(added.values()) - chain - mods
        print(f"networking adds ({r['label']}): {mb(r['raw'] - res['nonet']['raw'])} raw: "
              f"kernel modules {mb(mods)}, libcurl chain {mb(chain)}, other user space {mb(other)}")
        big = sorted(((s, n) for n, s in added.items() if not n.endswith(".ko") and os.path.basename(n) not in curl),
                     reverse=True)[:6]
        print("  largest other files: " + ", ".join(f"{os.path.basename(n)} {s / 1e6:.2f}" for s, n in big))
    print()

    # The curated drivers, each with what modules.dep says it needs.
    kver = env["kver"]
    moddir = os.path.join(kdir, "root", "lib", "modules", kver)
    dep = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            path, _, deps = line.partition(":")
            dep[os.path.basename(path).split(".ko")[0].replace("-", "_")] = (path, deps.split())
    curated = subprocess.run(["bash", "-c", '. "$1/module-setup.sh"; echo $ignis_default_nic_drivers', "-", MODULE],
                             capture_output=True, text=True, check=True).stdout.split()
    print("| driver | MB | with its dependencies |")
    print("| --- | --- | --- |")
    drivers = {}
    for m in curated:
        path, deps = dep.get(m.replace("-", "_"), (None, []))
        if not path:
            print(f"| `{m}` | not in this kernel | |")
            continue
        own = os.path.getsize(os.path.join(moddir, path))
        tot = own + sum(os.path.getsize(os.path.join(moddir, d)) for d in deps)
        drivers[m] = {"own": own, "with_deps": tot, "deps": [os.path.basename(d) for d in deps]}
        print(f"| `{m}` | {own / 1e6:.2f} | {tot / 1e6:.2f}"
              + (f" ({', '.join(os.path.basename(d).split('.ko')[0] for d in deps)})" if deps else "") + " |")
    print()

    diff = res["ignition"]["raw"] - res["net"]["raw"]
    met = diff >= TARGET_DIFF
    print(f"Ignition - ignis (networking): {mb(diff)} raw; target >= {mb(TARGET_DIFF)}: {'PASS' if met else 'FAIL'}"
          + ("" if met else f" (short by {mb(TARGET_DIFF - diff)})"))
    print(f"Ignition - ignis (IGNIS_NETWORK=no): {mb(res['ignition']['raw'] - res['nonet']['raw'])} raw")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"kernel": kver, "images": {t: {k: v for k, v in r.items() if k != "files"}
                                                  for t, r in res.items()},
                       "drivers": drivers, "target_met": met}, f, indent=1)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
