#!/usr/bin/python3
"""Canonical manifest of a directory tree, and the diff of two manifests.

    manifest.py ROOT                      print the manifest of ROOT
    manifest.py --diff BEFORE AFTER       print the diff of two saved manifests
    manifest.py --sort-lines PATH ...     (normalise that file's line order)

One line per entry, sorted, each starting with its key:

  PATH d MODE UID:GID
  PATH f MODE UID:GID size=N sha256=HEX [nlink=N] [same-as=FIRST]
  PATH l MODE UID:GID -> TARGET
  PATH p|c|b|s MODE UID:GID
  passwd:NAME  the /etc/passwd line of NAME, verbatim
  group:NAME   the /etc/group line
  shadow:NAME  the /etc/shadow line, last-change day normalised (below)
  gshadow:NAME the /etc/gshadow line

PATH is absolute inside ROOT (ROOT itself is "/"); bytes outside printable
ASCII, spaces and backslashes are written \\xNN. MODE is octal with the
setuid/setgid/sticky bits (4 digits). Hard links: every regular file with
more than one link prints nlink=N, and each name after the first (in sorted
order) in the same tree prints same-as=FIRST. A name found twice in passwd
(etc.) gets keys NAME, NAME#2, ...

The diff of two manifests (used as a case's expected.manifest) lists only what
changed, keyed, in manifest order:

  + LINE    entry added (the full new line)
  ~ LINE    entry changed (the full new line)
  - KEY     entry removed

so applying the diff to the before-manifest gives the after-manifest exactly,
while entries nobody touched never appear (a case does not break when the
skeleton grows).

Normalisations -- only what legitimately varies from run to run:

  N1  /etc/shadow (and /etc/shadow-): the last-change field (3rd) of an entry
      that equals today's or yesterday's day number since the epoch (the day
      useradd/usermod ran; "yesterday" covers a run across midnight UTC) is
      written TODAY. The file's size and sha256 are those of the normalised
      text (marked "norm"); other days (e.g. the skeleton's 19000) are kept.
  N2  /etc/.ignition-result.json (and any file of that name: a case may make
      /etc a symlink): the values of provisioningDate (must look
      like an RFC 3339 date) and provisioningBootID (must look like a UUID)
      are replaced by <date> and <boot-id> before size and sha256 are taken
      ("norm"); a value that does not look right is kept, so the diff shows it.
  N3  Not listed at all: shadow-utils' backup and lock files /etc/passwd-,
      /etc/group-, /etc/shadow-, /etc/gshadow-, /etc/subuid-, /etc/subgid-
      and /etc/.pwd.lock: whether they exist and what they hold depends on how
      many useradd/usermod/groupadd calls an implementation makes, not on the
      result.
  N4  Directory sizes and all timestamps are never printed (filesystem-
      and time-dependent).
  N5  --subst PREFIX=NAME (repeatable): paths inside the root and symlink
      targets starting with PREFIX (the scratch directory, which has a random
      name) are printed with NAME instead; runners pass --subst TOP=$TOP (a
      case that makes a symlink to the scratch directory's absolute host path
      checks that ignis resolves it inside the root, creating ROOT/$TOP/...).
  N6  --sort-lines PATH (repeatable): the file's lines are put in canonical
      preset order before size and sha256 are taken: `enable` lines, then
      `disable` lines, then any others, each group sorted by bytes. Only
      ignition-diff.py (for both appliers) and run-cases.py --oracle use it,
      for the preset file, whose line order Ignition takes from a Go map
      (random per run). Not marked "norm": ignis writes exactly this order,
      so its file is the normalised file byte for byte and expectations
      recorded with either applier agree.
"""

import argparse
import hashlib
import os
import re
import stat
import sys
import time

SKIPPED = {  # N3
    "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-",
    "/etc/subuid-", "/etc/subgid-", "/etc/.pwd.lock",
}
RESULT_FILE = "/etc/.ignition-result.json"
RESULT_NAME = b".ignition-result.json"
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def esc(path_bytes):
    out = []
    for b in path_bytes:
        if 0x21 <= b <= 0x7e and b != 0x5c:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def today_days():
    now = int(time.time()) // 86400
    return {str(now), str(now - 1)}


def norm_shadow(data):  # N1
    days = today_days()
    out = []
    for line in data.decode("utf-8", "surrogateescape").split("\n"):
        f = line.split(":")
        if len(f) >= 3 and f[2] in days:
            f[2] = "TODAY"
        out.append(":".join(f))
    return "\n".join(out).encode("utf-8", "surrogateescape")


def norm_result(data):  # N2
    text = data.decode("utf-8", "surrogateescape")

    def sub(key, regex, placeholder, text):
        pat = re.compile(r'("%s"\s*:\s*")([^"]*)(")' % key)
        m = pat.search(text)
        if m and regex.match(m.group(2)):
            text = text[:m.start(2)] + placeholder + text[m.end(2):]
        return text

    text = sub("provisioningDate", DATE_RE, "<date>", text)
    text = sub("provisioningBootID", UUID_RE, "<boot-id>", text)
    return text.encode("utf-8", "surrogateescape")


def norm_sorted(data):  # N6
    lines = data.split(b"\n")
    trailing = lines and lines[-1] == b""
    if trailing:
        lines = lines[:-1]

    def rank(line):
        for i, verb in enumerate((b"enable ", b"disable ")):
            if line.startswith(verb):
                return (i, line)
        return (2, line)
    return b"\n".join(sorted(lines, key=rank)) + (b"\n" if trailing else b"")


class Manifest:
    def __init__(self, root, subst=(), sort_lines=()):
        self.root = os.path.abspath(root)
        self.subst = [(p.encode(), n.encode()) for p, n in subst]
        self.normalisers = {"/etc/shadow": norm_shadow, "/etc/shadow-": norm_shadow,
                            RESULT_FILE: norm_result}
        for p in sort_lines:
            self.normalisers[p] = norm_sorted
        self.entries = {}          # key -> line
        self.inodes = {}           # (dev, ino) -> first path
        self._walk(b"/")
        self._databases()

    def _host(self, rel):
        return os.fsencode(self.root) + (rel if rel != b"/" else b"")

    def _walk(self, rel):
        self._entry(rel)
        host = self._host(rel)
        st = os.lstat(host)
        if not stat.S_ISDIR(st.st_mode):
            return
        for name in sorted(os.listdir(host)):
            child = (rel if rel != b"/" else b"") + b"/" + name
            if os.fsdecode(child) in SKIPPED:
                continue
            self._walk(child)

    def _entry(self, rel):
        host = self._host(rel)
        st = os.lstat(host)
        key = esc(rel)
        for prefix, name in self.subst:  # N5
            if key.encode().startswith(prefix):
                key = (name + key.encode()[len(prefix):]).decode()
        mode = "%04o" % stat.S_IMODE(st.st_mode)
        owner = "%d:%d" % (st.st_uid, st.st_gid)
        fmt = stat.S_IFMT(st.st_mode)
        if fmt == stat.S_IFDIR:
            line = "%s d %s %s" % (key, mode, owner)
        elif fmt == stat.S_IFREG:
            with open(host, "rb") as f:
                data = f.read()
            norm = self.normalisers.get(os.fsdecode(rel))
            if norm is None and rel.endswith(b"/" + RESULT_NAME):
                norm = norm_result  # N2: the result file wherever /etc led it
            extra = ""
            if norm:
                data = norm(data)
                if norm is not norm_sorted:  # N6 is not marked: see there
                    extra = " norm"
            line = "%s f %s %s%s size=%d sha256=%s" % (key, mode, owner, extra, len(data),
                                                     hashlib.sha256(data).hexdigest())
            if st.st_nlink > 1:
                line += " nlink=%d" % st.st_nlink
                first = self.inodes.setdefault((st.st_dev, st.st_ino), key)
                if first != key:
                    line += " same-as=%s" % first
        elif fmt == stat.S_IFLNK:
            target = os.readlink(host)
            for prefix, name in self.subst:  # N5
                if target.startswith(prefix):
                    target = name + target[len(prefix):]
            line = "%s l %s %s -> %s" % (key, mode, owner, esc(target))
        else:
            letter = {stat.S_IFIFO: "p", stat.S_IFCHR: "c", stat.S_IFBLK: "b",
                      stat.S_IFSOCK: "s"}.get(fmt, "?")
            line = "%s %s %s %s" % (key, letter, mode, owner)
        self.entries[key] = line

    def _databases(self):
        for db in DATABASES:
            path = self._host(b"/etc/" + db.encode())
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if db == "shadow":
                data = norm_shadow(data)
            seen = {}
            for line in data.decode("utf-8", "surrogateescape").split("\n"):
                if not line:
                    continue
                name = line.split(":", 1)[0]
                seen[name] = seen.get(name, 0) + 1
                key = "%s:%s" % (db, name) + ("#%d" % seen[name] if seen[name] > 1 else "")
                self.entries[key] = "%s %s" % (key, line)

    def lines(self):
        return [self.entries[k] for k in sorted(self.entries, key=sort_key)]


DATABASES = ["passwd", "group", "shadow", "gshadow"]


def sort_key(key):
    # paths first (byte order), then the databases in a fixed order
    db = key.split(":", 1)[0]
    if ":" in key and db in DATABASES:
        return (1 + DATABASES.index(db), key)
    return (0, key)


def parse(lines):
    """Manifest lines -> {key: line}."""
    out = {}
    for line in lines:
        if line.strip():
            out[line.split(" ", 1)[0]] = line
    return out


def diff(before_lines, after_lines):
    before, after = parse(before_lines), parse(after_lines)
    out = []
    for key in sorted(set(before) | set(after), key=sort_key):
        if key not in after:
            out.append("- " + key)
        elif key not in before:
            out.append("+ " + after[key])
        elif before[key] != after[key]:
            out.append("~ " + after[key])
    return out


def manifest(root, subst=(), sort_lines=()):
    return Manifest(root, subst, sort_lines).lines()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", nargs="?")
    ap.add_argument("--diff", nargs=2, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--subst", action="append", default=[], metavar="PREFIX=NAME")
    ap.add_argument("--sort-lines", action="append", default=[], metavar="PATH")
    a = ap.parse_args()
    if a.diff:
        with open(a.diff[0]) as b, open(a.diff[1]) as c:
            print("\n".join(diff(b.read().splitlines(), c.read().splitlines())))
        return 0
    if not a.root:
        ap.error("ROOT or --diff needed")
    subst = [tuple(s.split("=", 1)) for s in a.subst]
    for line in manifest(a.root, subst, a.sort_lines):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
