#!/usr/bin/env python3
"""Deterministic generator of large, realistic, VALID Ignition configs.

Used by the benchmarks under bench/ (see bench/README.md).  Standard library
only.  The same parameters (and seed) always produce byte-identical output.

The config contains:
  * storage.directories  -- a tree spread under a few realistic roots
  * storage.files        -- spread over those directories, with mode,
                            overwrite, contents as `data:` URLs (a mix of
                            plain percent-encoded and `;base64`), some with a
                            correct `verification.hash` (sha512), some with
                            user/group by name or by id
  * storage.links        -- symlinks (absolute / relative targets) and hard
                            links to files that are in the config
  * systemd.units        -- [Unit]/[Service]/[Install] contents, some enabled
                            true/false, some masked, some with drop-ins
  * passwd.users/groups  -- a few of each

With --size-mb the average file-content length is calibrated so that the
serialized config lands close to the requested size (within ~1%).

Examples:
  bench/gen-config.py -o bench/out/config.ign            # ~5 MiB, spec 3.3.0
  bench/gen-config.py --files 100 --size-mb 0 -o small.ign
  bench/gen-config.py --seed 7 --size-mb 20 --indent 2 -o big.ign
"""

import argparse
import base64
import hashlib
import json
import random
import sys
import urllib.parse

WORDS = (
    "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega "
    "agent cache daemon engine export filter gateway handler index journal "
    "kernel ledger mirror network object policy queue relay storage tunnel "
    "update vault worker proxy router backup metrics logger monitor scheduler "
    "registry console bridge cluster node pod volume secret config token "
    "server client session stream socket timer signal buffer channel"
).split()

ROOTS = (
    "/etc/bench",
    "/opt/bench",
    "/var/lib/bench",
    "/srv/bench",
    "/usr/local/share/bench",
    "/var/opt/bench",
    "/home/core/.config/bench",
)

FILE_EXTS = (".conf", ".ini", ".yaml", ".json", ".sh", ".txt", ".env", "")
UNIT_KINDS = (".service",) * 8 + (".timer", ".socket")
SHELLS = ("/bin/bash", "/bin/sh", "/usr/sbin/nologin")
MASKABLE = (
    "systemd-resolved.service", "systemd-timesyncd.service", "sshd.socket",
    "zincati.service", "docker.socket", "rpcbind.socket", "avahi-daemon.service",
    "ModemManager.service", "cups.service", "bluetooth.service",
)


class Gen:
    def __init__(self, args, avg_content):
        self.a = args
        self.avg = max(16, int(avg_content))
        self.rng = random.Random(args.seed)

    # ---------- helpers ----------
    def word(self):
        return self.rng.choice(WORDS)

    def text(self, n, kind):
        """Roughly n bytes of realistic text of the given kind."""
        r = self.rng
        out = []
        size = 0
        if kind == "sh":
            out.append("#!/bin/bash\nset -euo pipefail\n")
        elif kind == "json":
            out.append("{\n")
        while size < n:
            w1, w2, w3 = self.word(), self.word(), self.word()
            num = r.randint(0, 99999)
            if kind == "sh":
                line = f'{w1.upper()}_{w2.upper()}="${{{w3.upper()}:-/var/lib/{w1}/{num}}}"\n' \
                    if r.random() < 0.5 else \
                    f'/usr/bin/{w1}-{w2} --{w3}={num} "$@" || echo "{w1} failed: $?" >&2\n'
            elif kind == "json":
                line = f'  "{w1}_{w2}": {{"{w3}": {num}, "enabled": {str(r.random() < 0.5).lower()}}},\n'
            elif kind == "yaml":
                line = f"{w1}:\n  {w2}: {w3}-{num}\n  weight: {r.random():.4f}\n"
            elif kind == "ini":
                line = (f"[{w1}.{w2}]\n" if r.random() < 0.15 else "") + \
                    f"{w2}_{w3} = {num} # {w1} & {w2}; 100% <tuned>\n"
            else:
                line = f"{w1.capitalize()} {w2} {w3} {num}, {self.word()} {self.word()}.\n"
            out.append(line)
            size += len(line)
        if kind == "json":
            out.append('  "end": null\n}\n')
        return "".join(out)

    def data_url(self, data, b64):
        raw = data.encode()
        if b64:
            media = self.rng.choice(("", "", "text/plain;charset=utf-8",
                                     "application/octet-stream"))
            return f"data:{media};base64," + base64.b64encode(raw).decode()
        return "data:," + urllib.parse.quote(raw, safe="")

    def owner(self, names, ids):
        r = self.rng.random()
        if r < 0.5:
            return {"name": self.rng.choice(names)}
        return {"id": self.rng.choice(ids)}

    # ---------- sections ----------
    def groups(self):
        out = []
        for i in range(self.a.groups):
            g = {"name": f"bench-{WORDS[i % len(WORDS)]}{i}", "gid": 2000 + i}
            if i % 3 == 1:
                g["system"] = True
            out.append(g)
        return out

    def users(self, groups):
        out = []
        gnames = [g["name"] for g in groups]
        for i in range(self.a.users):
            name = f"svc-{WORDS[(i * 7) % len(WORDS)]}{i}"
            u = {
                "name": name,
                "uid": 1001 + i,
                "gecos": f"Bench service account {i}",
                "homeDir": f"/var/home/{name}",
                "shell": SHELLS[i % len(SHELLS)],
                "sshAuthorizedKeys": [
                    "ssh-ed25519 " + base64.b64encode(
                        hashlib.sha256(f"{name}-{k}".encode()).digest()
                        + b"\0" * 19).decode() + f" {name}@bench{k}"
                    for k in range(1 + i % 2)
                ],
            }
            if gnames:
                u["groups"] = sorted(set(self.rng.sample(gnames, min(2, len(gnames)))))
            if i % 2 == 0:
                u["passwordHash"] = "$6$rounds=4096$" + hashlib.sha256(
                    name.encode()).hexdigest()[:16] + "$" + hashlib.sha512(
                    name.encode()).hexdigest()[:86]
            if i % 4 == 3:
                u["system"] = True
                u["noCreateHome"] = True
            out.append(u)
        return out

    def directories(self):
        r = self.rng
        dirs = []
        depth = {}
        used = set()
        for i in range(self.a.dirs):
            if not dirs or r.random() < 0.25:
                parent, d = r.choice(ROOTS), 0
            else:
                parent = r.choice(dirs)
                d = depth[parent]
                if d >= 5:
                    parent, d = r.choice(ROOTS), 0
            name = f"{self.word()}-{i}" if r.random() < 0.7 else f"{self.word()}.d{i}"
            p = f"{parent}/{name}"
            assert p not in used
            used.add(p)
            dirs.append(p)
            depth[p] = d + 1
        return dirs

    def dir_entries(self, paths, names, ids):
        r = self.rng
        out = []
        for p in paths:
            e = {"path": p}
            x = r.random()
            if x < 0.8:
                e["mode"] = r.choice((0o755, 0o755, 0o750, 0o700, 0o775))
            if r.random() < 0.1:
                e["overwrite"] = r.random() < 0.5
            if r.random() < 0.3:
                e["user"] = self.owner(names, ids)
            if r.random() < 0.2:
                e["group"] = self.owner(names, ids)
            out.append(e)
        return out

    def files(self, dirs, unames, uids, gnames, gids):
        r = self.rng
        out = []
        used = set()
        for i in range(self.a.files):
            ext = r.choice(FILE_EXTS)
            d = r.choice(dirs) if dirs else r.choice(ROOTS)
            path = f"{d}/{self.word()}-{i}{ext}"
            assert path not in used
            used.add(path)
            kind = {".sh": "sh", ".json": "json", ".yaml": "yaml",
                    ".conf": "ini", ".ini": "ini", ".env": "sh"}.get(ext, "txt")
            n = max(8, int(self.avg * r.uniform(0.5, 1.5)))
            data = self.text(n, kind)
            b64 = r.random() < 0.5
            f = {"path": path}
            if r.random() < 0.6:
                f["overwrite"] = r.random() < 0.8
            f["contents"] = {"source": self.data_url(data, b64)}
            if r.random() < 0.3:
                f["contents"]["verification"] = {
                    "hash": "sha512-" + hashlib.sha512(data.encode()).hexdigest()}
            if kind == "sh":
                f["mode"] = r.choice((0o755, 0o750, 0o700))
            elif r.random() < 0.85:
                f["mode"] = r.choice((0o644, 0o644, 0o640, 0o600, 0o444))
            if r.random() < 0.25:
                f["user"] = self.owner(unames, uids)
            if r.random() < 0.2:
                f["group"] = self.owner(gnames, gids)
            out.append(f)
        return out

    def links(self, dirs, files, taken):
        r = self.rng
        out = []
        file_paths = [f["path"] for f in files]
        for i in range(self.a.links):
            d = r.choice(dirs) if dirs else r.choice(ROOTS)
            path = f"{d}/link-{self.word()}-{i}"
            assert path not in taken
            taken.add(path)
            link = {"path": path}
            if file_paths and r.random() < self.a.hard_ratio:
                link["target"] = r.choice(file_paths)
                link["hard"] = True
            else:
                x = r.random()
                if x < 0.45 and file_paths:
                    link["target"] = r.choice(file_paths)
                elif x < 0.7 and dirs:
                    link["target"] = r.choice(dirs)
                elif x < 0.85:
                    link["target"] = f"../{self.word()}/{self.word()}-{i}.conf"
                else:
                    link["target"] = f"/usr/lib/{self.word()}/{self.word()}.so.{i % 5}"
                if r.random() < 0.3:
                    link["hard"] = False
            if r.random() < 0.3:
                link["overwrite"] = True
            out.append(link)
        return out

    def unit_text(self, name, kind):
        r = self.rng
        w = self.word
        lines = ["[Unit]", f"Description=Bench {w()} {w()} unit {name}",
                 f"Documentation=https://example.com/docs/{w()}/{r.randint(1, 999)}"]
        if r.random() < 0.7:
            lines.append("After=network-online.target " + w() + "-setup.service")
            lines.append("Wants=network-online.target")
        if r.random() < 0.3:
            lines.append(f"ConditionPathExists=/etc/bench/{w()}.conf")
        lines.append("")
        if kind == ".timer":
            lines += ["[Timer]", f"OnCalendar=*-*-* {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00",
                      "Persistent=true", f"RandomizedDelaySec={r.randint(1, 600)}", "",
                      "[Install]", "WantedBy=timers.target"]
        elif kind == ".socket":
            lines += ["[Socket]", f"ListenStream=/run/bench/{w()}-{r.randint(1, 999)}.sock",
                      "SocketMode=0660", "Accept=no", "", "[Install]", "WantedBy=sockets.target"]
        else:
            lines += ["[Service]",
                      f"Type={r.choice(('simple', 'oneshot', 'notify', 'exec', 'forking'))}"]
            for _ in range(r.randint(1, 4)):
                lines.append(f'Environment="{w().upper()}_{w().upper()}={w()}-{r.randint(0, 9999)}"')
            if r.random() < 0.4:
                lines.append(f"ExecStartPre=/usr/bin/mkdir -p /var/lib/bench/{w()}")
            lines.append(f"ExecStart=/usr/bin/{w()}-{w()} --config /etc/bench/{w()}.conf "
                         f"--port {r.randint(1024, 65535)} --verbose")
            if r.random() < 0.5:
                lines.append("ExecReload=/bin/kill -HUP $MAINPID")
            lines += [f"Restart={r.choice(('on-failure', 'always', 'no'))}",
                      f"RestartSec={r.randint(1, 30)}",
                      f"User={r.choice(('root', 'core', 'nobody'))}",
                      "NoNewPrivileges=yes", "ProtectSystem=strict",
                      f"ReadWritePaths=/var/lib/bench/{w()}", "",
                      "[Install]", f"WantedBy={r.choice(('multi-user.target', 'default.target'))}"]
        return "\n".join(lines) + "\n"

    def units(self):
        r = self.rng
        out = []
        masked = list(MASKABLE)
        for i in range(self.a.units):
            x = r.random()
            if x < 0.05 and masked:
                out.append({"name": masked.pop(0), "mask": True})
                continue
            kind = r.choice(UNIT_KINDS)
            name = f"bench-{self.word()}-{i}{kind}"
            u = {"name": name}
            y = r.random()
            if y < 0.45:
                u["enabled"] = True
            elif y < 0.6:
                u["enabled"] = False
            u["contents"] = self.unit_text(name, kind)
            if r.random() < 0.25:
                u["dropins"] = []
                for k in range(r.randint(1, 3)):
                    if kind == ".service":
                        body = "[Service]\n"
                        body += (f'Environment="BENCH_DROPIN_{k}={self.word()}"\n'
                                 f"LimitNOFILE={r.choice((1024, 4096, 65536))}\n")
                    else:
                        body = "[Unit]\n"
                        body += f"Description=Overridden {self.word()} {k}\n"
                    u["dropins"].append({"name": f"{10 * (k + 1)}-{self.word()}.conf",
                                         "contents": body})
            out.append(u)
        return out

    # ---------- whole config ----------
    def build(self):
        groups = self.groups()
        users = self.users(groups)
        unames = ["core", "root"] + [u["name"] for u in users]
        uids = [0, 1000] + [u["uid"] for u in users]
        gnames = ["core", "root", "wheel"] + [g["name"] for g in groups]
        gids = [0, 10, 1000] + [g["gid"] for g in groups]
        dirs = self.directories()
        dir_entries = self.dir_entries(dirs, unames, uids)
        files = self.files(dirs, unames, uids, gnames, gids)
        taken = set(dirs) | {f["path"] for f in files}
        links = self.links(dirs, files, taken)
        units = self.units()
        cfg = {"ignition": {"version": self.a.version}}
        passwd = {}
        if users:
            passwd["users"] = users
        if groups:
            passwd["groups"] = groups
        if passwd:
            cfg["passwd"] = passwd
        storage = {}
        if dir_entries:
            storage["directories"] = dir_entries
        if files:
            storage["files"] = files
        if links:
            storage["links"] = links
        if storage:
            cfg["storage"] = storage
        if units:
            cfg["systemd"] = {"units": units}
        return cfg


def render(args, avg):
    cfg = Gen(args, avg).build()
    if args.indent:
        s = json.dumps(cfg, indent=args.indent, ensure_ascii=False)
    else:
        s = json.dumps(cfg, separators=(",", ":"), ensure_ascii=False)
    return cfg, (s + "\n").encode()


def main():
    p = argparse.ArgumentParser(
        description="Generate a large, deterministic, valid Ignition config.")
    p.add_argument("-o", "--output", default="-", help="output file ('-' = stdout)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--version", default="3.3.0", help="ignition.version (default 3.3.0)")
    p.add_argument("--files", type=int, default=4000)
    p.add_argument("--dirs", type=int, default=600)
    p.add_argument("--links", type=int, default=500)
    p.add_argument("--hard-ratio", type=float, default=0.3,
                   help="fraction of links that are hard links to config files")
    p.add_argument("--units", type=int, default=300)
    p.add_argument("--users", type=int, default=6)
    p.add_argument("--groups", type=int, default=4)
    p.add_argument("--size-mb", type=float, default=5.0,
                   help="target size in MiB (calibrates file-content length); 0 = off")
    p.add_argument("--content-bytes", type=int, default=400,
                   help="average raw file-content length when --size-mb is 0")
    p.add_argument("--indent", type=int, default=0, help="pretty-print with N spaces")
    p.add_argument("--stats", action="store_true", help="print stats to stderr")
    a = p.parse_args()

    avg = a.content_bytes
    if a.size_mb > 0 and a.files > 0:
        target = a.size_mb * 1024 * 1024
        # size(avg) is close to linear: fit on two points, then refine.
        x0, x1 = 64, 1024
        s0 = len(render(a, x0)[1])
        s1 = len(render(a, x1)[1])
        avg = x0 + (target - s0) * (x1 - x0) / max(1, s1 - s0)
        for _ in range(4):
            avg = max(16, avg)
            s = len(render(a, avg)[1])
            if abs(s - target) / target < 0.005:
                break
            slope = (s1 - s0) / (x1 - x0)
            avg += (target - s) / slope
        if avg <= 16:
            print(f"gen-config: warning: cannot reach {a.size_mb} MiB with these counts "
                  "(contents already minimal)", file=sys.stderr)
    cfg, data = render(a, avg)

    if a.output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(a.output, "wb") as fh:
            fh.write(data)

    if a.stats:
        st = cfg.get("storage", {})
        files = st.get("files", [])
        links = st.get("links", [])
        units = cfg.get("systemd", {}).get("units", [])
        src = [f["contents"]["source"] for f in files]
        print(json.dumps({
            "bytes": len(data),
            "mib": round(len(data) / 1048576, 3),
            "version": a.version,
            "seed": a.seed,
            "avg_content_bytes": int(max(16, avg)),
            "files": len(files),
            "files_base64": sum(";base64," in s for s in src),
            "files_percent": sum(s.startswith("data:,") for s in src),
            "files_hash": sum("verification" in f["contents"] for f in files),
            "files_user": sum("user" in f for f in files),
            "files_group": sum("group" in f for f in files),
            "directories": len(st.get("directories", [])),
            "links": len(links),
            "hard_links": sum(bool(l.get("hard")) for l in links),
            "units": len(units),
            "units_enabled": sum(u.get("enabled") is True for u in units),
            "units_disabled": sum(u.get("enabled") is False for u in units),
            "units_masked": sum(bool(u.get("mask")) for u in units),
            "units_with_dropins": sum(bool(u.get("dropins")) for u in units),
            "dropins": sum(len(u.get("dropins", [])) for u in units),
            "users": len(cfg.get("passwd", {}).get("users", [])),
            "groups": len(cfg.get("passwd", {}).get("groups", [])),
        }), file=sys.stderr)


if __name__ == "__main__":
    main()
