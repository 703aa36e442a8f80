#!/usr/bin/env python3
"""Deterministic configs for bench/files.sh (the files stage, first boot).

Usage: gen-files-configs.py [-o DIR] [--only NAME[,NAME...]] [--list]
                            [--stream-mib 64] [--stats]

Writes DIR/<name>.ign (spec 3.3.0, compact JSON) for each config:

  one-file    one small inline file
  files-1000  1000 small data: files (half percent-encoded, half base64)
              in 50 directories (the 50 directories are also listed)
  units-200   200 units: 100 enabled, 50 disabled, 10 masked, 40 with no
              enablement; 20 of them with 1-2 drop-ins.  No instantiated
              (foo@.service) units: Ignition would need systemd over D-Bus.
  users-50    5 groups, 50 users, each with a password hash, 2 SSH keys
              and 1-2 supplementary groups
  stream-64m  one 64 MiB file from a gzip-compressed base64 data: URL
              (a few hundred KiB of config), with a sha512 of the
              decompressed content

It also documents what the skeleton root must contain for these configs:
see UNITS_PREENABLED (wants-symlinks that files.sh puts in the skeleton).

Standard library only; the same arguments give byte-identical files.
--stats prints one JSON line per config on stderr.
"""

import argparse
import base64
import gzip
import hashlib
import json
import os
import random
import sys
import urllib.parse

VERSION = "3.3.0"
SEED = 20240601

# units-200: index ranges
N_UNITS = 200
ENABLED = range(0, 100)        # enabled: true
DISABLED = range(100, 150)     # enabled: false
MASKED = range(150, 160)       # mask: true
# 160..199: contents only, no enablement
DROPIN_EVERY = 10              # every 10th unit gets drop-ins (20 units)

# Wants-symlinks files.sh puts into the skeleton root before the run:
# (wants dir, unit index).  Indices in DISABLED are removed by the disable
# (Ignition runs `systemctl --root R disable`), the ones in ENABLED stay.
UNITS_PREENABLED = [("multi-user.target.wants", i) for i in (100, 101, 102, 103, 104)] + \
                   [("multi-user.target.wants", i) for i in (0, 1)] + \
                   [("timers.target.wants", 109)]


def unit_name(i):
    return f"bench-{i:03d}.timer" if i % 10 == 9 else f"bench-{i:03d}.service"


def unit_wanted_by(i):
    return "timers.target" if i % 10 == 9 else "multi-user.target"


def one_file(rng, a):
    return {
        "ignition": {"version": VERSION},
        "storage": {"files": [{
            "path": "/etc/bench-one.conf",
            "mode": 0o644,
            "contents": {"source": "data:,hello%20from%20the%20files%20stage%0A"},
        }]},
    }


def text(rng, n):
    words = ("alpha beta gamma delta kappa sigma omega cache daemon engine "
             "filter gateway index kernel mirror policy queue relay vault").split()
    out = []
    while sum(map(len, out)) < n:
        out.append(f"{rng.choice(words)}_{rng.choice(words)}={rng.randint(0, 99999)}\n")
    return "".join(out)


def files_1000(rng, a):
    dirs = [f"/opt/bench/d{i:02d}" for i in range(50)]
    files = []
    for i in range(1000):
        d = dirs[i % 50]
        data = text(rng, rng.randint(60, 140)).encode()
        if i % 2:
            src = "data:;base64," + base64.b64encode(data).decode()
        else:
            src = "data:," + urllib.parse.quote(data, safe="")
        f = {"path": f"{d}/file-{i:04d}.conf", "contents": {"source": src}}
        if i % 4 == 0:
            f["mode"] = 0o600
        files.append(f)
    return {
        "ignition": {"version": VERSION},
        "storage": {
            "directories": [{"path": d, "mode": 0o755} for d in dirs],
            "files": files,
        },
    }


def unit_text(rng, i):
    name = unit_name(i)
    lines = ["[Unit]", f"Description=Bench unit {name}",
             "After=network-online.target", "Wants=network-online.target", ""]
    if name.endswith(".timer"):
        lines += ["[Timer]", f"OnCalendar=*-*-* {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00",
                  "Persistent=true", ""]
    else:
        lines += ["[Service]", "Type=simple",
                  f'Environment="BENCH_ID={i}" "BENCH_PORT={rng.randint(1024, 65535)}"',
                  f"ExecStart=/usr/bin/bench-daemon --id {i} --config /etc/bench/{i}.conf",
                  "Restart=on-failure", ""]
    lines += ["[Install]", f"WantedBy={unit_wanted_by(i)}"]
    return "\n".join(lines) + "\n"


def units_200(rng, a):
    units = []
    for i in range(N_UNITS):
        u = {"name": unit_name(i)}
        if i in MASKED:
            u["mask"] = True
        else:
            u["contents"] = unit_text(rng, i)
        if i in ENABLED:
            u["enabled"] = True
        elif i in DISABLED:
            u["enabled"] = False
        if i % DROPIN_EVERY == 5:
            u["dropins"] = [{"name": f"{10 * (k + 1)}-bench.conf",
                             "contents": ("[Service]\n" if u["name"].endswith(".service") else "[Unit]\n")
                             + (f'Environment="DROPIN_{k}=yes"\n' if u["name"].endswith(".service")
                                else f"Description=Overridden {k}\n")}
                            for k in range(1 + (i // DROPIN_EVERY) % 2)]
        units.append(u)
    return {"ignition": {"version": VERSION}, "systemd": {"units": units}}


def users_50(rng, a):
    groups = [{"name": f"bench-g{i}"} for i in range(5)]
    users = []
    for i in range(50):
        name = f"user{i:02d}"
        salt = hashlib.sha256(name.encode()).hexdigest()[:16]
        # a syntactically valid SHA-512 crypt string (86 chars of [./0-9A-Za-z])
        alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        h = "".join(alphabet[b % 64] for b in hashlib.sha512(name.encode()).digest() * 2)[:86]
        keys = ["ssh-ed25519 " + base64.b64encode(
                    b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
                    + hashlib.sha256(f"{name}-{k}".encode()).digest()).decode()
                + f" {name}@bench{k}" for k in range(2)]
        users.append({
            "name": name,
            "passwordHash": f"$6${salt}${h}",
            "sshAuthorizedKeys": keys,
            "groups": sorted({groups[i % 5]["name"], groups[(i * 3 + 1) % 5]["name"]}),
        })
    return {"ignition": {"version": VERSION}, "passwd": {"users": users, "groups": groups}}


def stream_content(mib):
    """Highly but not trivially compressible: a 4 KiB pseudo-random text
    block repeated with a changing line counter every 4 KiB."""
    rng = random.Random(SEED)
    block = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(4096 - 16))
    total = mib * 1024 * 1024
    n = 0
    while n < total:
        chunk = (f"{n // 4096:015d}\n" + block).encode()
        chunk = chunk[: total - n]
        n += len(chunk)
        yield chunk


def stream_64m(rng, a):
    h = hashlib.sha512()
    # mtime=0 and no file name: byte-identical output.
    import io
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        for chunk in stream_content(a.stream_mib):
            h.update(chunk)
            gz.write(chunk)
    src = "data:;base64," + base64.b64encode(buf.getvalue()).decode()
    return {
        "ignition": {"version": VERSION},
        "storage": {"files": [{
            "path": "/var/lib/bench/big.bin",
            "mode": 0o644,
            "contents": {"source": src, "compression": "gzip",
                         "verification": {"hash": "sha512-" + h.hexdigest()}},
        }]},
    }


CONFIGS = {
    "one-file": one_file,
    "files-1000": files_1000,
    "units-200": units_200,
    "users-50": users_50,
    "stream-64m": stream_64m,
}


def stats(name, cfg, size):
    st = cfg.get("storage", {})
    units = cfg.get("systemd", {}).get("units", [])
    pw = cfg.get("passwd", {})
    return {"name": name, "bytes": size, "version": cfg["ignition"]["version"],
            "files": len(st.get("files", [])), "directories": len(st.get("directories", [])),
            "units": len(units),
            "units_enabled": sum(u.get("enabled") is True for u in units),
            "units_disabled": sum(u.get("enabled") is False for u in units),
            "units_masked": sum(bool(u.get("mask")) for u in units),
            "dropins": sum(len(u.get("dropins", [])) for u in units),
            "users": len(pw.get("users", [])), "groups": len(pw.get("groups", [])),
            "ssh_keys": sum(len(u.get("sshAuthorizedKeys", [])) for u in pw.get("users", []))}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--outdir", default=".")
    p.add_argument("--only", default="", help="comma-separated config names")
    p.add_argument("--list", action="store_true", help="print the config names and exit")
    p.add_argument("--stream-mib", type=int, default=64)
    p.add_argument("--stats", action="store_true")
    p.add_argument("--preenabled", action="store_true",
                   help="print the skeleton wants-symlinks for units-200 "
                        "(WANTSDIR UNIT per line) and exit")
    a = p.parse_args()
    if a.list:
        print("\n".join(CONFIGS))
        return
    if a.preenabled:
        for d, i in UNITS_PREENABLED:
            print(d, unit_name(i))
        return
    names = [n for n in a.only.split(",") if n] or list(CONFIGS)
    for n in names:
        if n not in CONFIGS:
            sys.exit(f"gen-files-configs: unknown config {n!r} (have: {', '.join(CONFIGS)})")
    os.makedirs(a.outdir, exist_ok=True)
    for n in names:
        rng = random.Random(f"{SEED}-{n}")
        cfg = CONFIGS[n](rng, a)
        data = (json.dumps(cfg, separators=(",", ":")) + "\n").encode()
        path = os.path.join(a.outdir, f"{n}.ign")
        # Only rewrite when the content changed (keeps mtimes stable).
        try:
            with open(path, "rb") as fh:
                same = fh.read() == data
        except OSError:
            same = False
        if not same:
            tmp = path + ".tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        if a.stats:
            print(json.dumps(stats(n, cfg, len(data))), file=sys.stderr)


if __name__ == "__main__":
    main()
