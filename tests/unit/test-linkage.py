#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""What the ignis executable maps before it does anything (TAP).

Every library it links is mapped, relocated and counted in the peak memory
of every run (bench/README.md): libcurl, libcrypto, libcryptsetup,
libmount, libblkid and libfdisk (with libuuid) are dlopen()ed only when
needed, so none may be linked; GnuTLS,
which Debian's libcurl brings in, must find ignis's hook that skips its
implicit initialisation (src/util/dlopen-libs.c). With libfdisk or
libblkid unloadable (as root: /dev/null over it in a private mount
namespace), ignis plan names the library and the config entry and fails
without touching the disk image.

    test-linkage.py IGNIS
"""

import json
import os
import re
import subprocess
import sys
import tempfile

DLOPENED = ("libcurl", "libcrypto", "libssl", "libcryptsetup", "libmount", "libselinux", "libgnutls",
            "libblkid", "libfdisk", "libuuid")

n = 0
failed = 0


def check(ok, name, detail=""):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    if not ok:
        failed += 1
        for line in detail.splitlines():
            print("#   " + line)


def library_path(soname):
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^\s*%s \(libc6,x86-64\) => (\S+)$" % re.escape(soname), out, re.M) or \
        re.search(r"^\s*%s \(.*\) => (\S+)$" % re.escape(soname), out, re.M)
    return os.path.realpath(m.group(1)) if m else None


def missing_library(ignis):
    """ignis plan with libfdisk, then libblkid, made unloadable: /dev/null
    bind-mounted over the library in a private mount namespace (root only)."""
    cases = (("libfdisk.so.1", {"disks": [{"device": "IMG", "partitions": [{"number": 1, "sizeMiB": 4}]}]},
              "$.storage.disks[0]"),
             ("libblkid.so.1", {"filesystems": [{"device": "IMG", "format": "ext4"}]},
              "$.storage.filesystems[0]"))
    for soname, storage, where in cases:
        name = "a missing %s is named, ignis plan fails at %s and the image is untouched" % (soname, where)
        path = library_path(soname)
        if os.geteuid() != 0 or not path:
            print("ok %d - %s # SKIP needs root (a private mount namespace) and %s" % (n + 1, name, soname))
            globals()["n"] += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            img = os.path.join(tmp, "disk.img")
            with open(img, "wb") as f:
                f.truncate(16 << 20)
            cfg = os.path.join(tmp, "config.json")
            with open(cfg, "w") as f:
                f.write(json.dumps({"ignition": {"version": "3.4.0"}, "storage": storage}).replace("IMG", img))
            r = subprocess.run(["unshare", "-m", "sh", "-c",
                                'mount --make-rprivate / && mount --bind /dev/null "$1" && exec "$2" plan "$3"',
                                "sh", path, ignis, cfg], capture_output=True, text=True)
            with open(img, "rb") as f:
                untouched = f.read().count(0) == 16 << 20
            check(r.returncode == 1 and ("Cannot load %s" % soname) in r.stderr and where in r.stderr and untouched,
                  name, "exit %d\n%s" % (r.returncode, r.stderr))


def main():
    ignis = os.path.abspath(sys.argv[1])
    print("TAP version 13")

    dyn = subprocess.run(["readelf", "-d", ignis], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    check(any(lib.startswith("libc.so") for lib in needed), "readelf lists the executable's NEEDED entries",
          dyn)
    linked = [lib for lib in needed if lib.startswith(DLOPENED)]
    check(not linked, "no library that is dlopen()ed on demand is linked", "linked: %s" % ", ".join(linked))

    syms = subprocess.run(["readelf", "--dyn-syms", "-W", ignis], capture_output=True, text=True,
                          check=True).stdout
    check(re.search(r"\bGLOBAL\s+DEFAULT\s+\d+\s+_gnutls_global_init_skip$", syms, re.M) is not None,
          "the executable exports _gnutls_global_init_skip")

    # --version loads libcurl, libcrypto, libmount, libblkid, libfdisk and
    # libcryptsetup; the
    # loader says which object each lookup of the hook was bound to.
    env = dict(os.environ, LD_DEBUG="bindings,files")
    r = subprocess.run([ignis, "--version"], capture_output=True, text=True, env=env)
    check(r.returncode == 0, "ignis --version exits 0", r.stderr[-2000:])
    for lib in ("libmount", "libblkid", "libfdisk"):
        check(re.search(r"^%s \S+ \(\S+, loaded when needed\)$" % lib, r.stdout, re.M) is not None,
              "ignis --version loads %s on demand" % lib, r.stdout)
    if "libgnutls" not in r.stderr:
        print("ok %d - GnuTLS's implicit initialisation is skipped # SKIP no GnuTLS in libcurl's chain here"
              % (n + 1))
        globals()["n"] += 1
    else:
        bound = re.findall(r"binding file \S*libgnutls\S* \[\d+\] to (\S+) \[\d+\]: normal symbol "
                           r"`_gnutls_global_init_skip'", r.stderr)
        check(bound and all(os.path.realpath(b) == os.path.realpath(ignis) for b in bound),
              "GnuTLS's implicit-initialisation hook binds to ignis's definition",
              "bindings: %s" % (bound or "none"))

    missing_library(ignis)

    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
