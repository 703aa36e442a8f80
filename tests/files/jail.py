#!/usr/bin/python3
"""Runs a command confined for the files-stage tests. Must be started by
`unshare -m` (a private mount namespace) as root:

    unshare -m /usr/bin/python3 jail.py --top TOP [--ignition] -- CMD [ARGS...]

* the whole mount tree is made private, TOP is bind-mounted onto itself and
  the host's / is remounted read-only: only TOP stays writable, so a write
  that escapes the target root fails with EROFS instead of touching the host;
* /run gets a private tmpfs (Ignition keeps its cache and state there;
  nothing leaks between cases or into the host); the host's /tmp stays
  readable but not writable (a binary under /tmp still runs) and TMPDIR
  points at TOP/tmp;
* --ignition adds what Debian's Ignition 2.14 needs outside an initramfs
  (docs/IGNITION-REFERENCE.md says why):
    - a no-op `setfiles` first in PATH (Debian's build relabels at the end of
      the files stage and policycoreutils is not installed);
    - a fake of systemd's private D-Bus socket /run/systemd/private that
      answers Properties.Get(Manager.Version) = "252", StartUnit (a job, then
      the JobRemoved signal "done" on every connection: how Ignition's disks
      stage waits for `.device` units) and acknowledges every other method
      call (Ignition asks for the version when a preset names an
      instantiated unit, and fails without systemd);
* --record-setfiles FILE puts first in PATH a `setfiles` that writes its
  arguments (one line) and the paths it reads on stdin (NUL-separated, one a
  line) to FILE, and labels nothing: what a confined applier hands setfiles
  can be checked where policycoreutils is not installed;
  CMD may then be the word `ignition-files CONFIG ROOT`, which runs the two
  stages `fetch-offline` and `files` like the initramfs does.

Exit status: the command's (the first failing stage's for ignition-files);
128+N, with a line saying so, when it was killed by signal N.
"""

import argparse
import os
import socket
import struct
import subprocess
import sys
import threading

IGNITION = "/usr/lib/dracut/modules.d/30ignition/ignition"


def sh(*argv):
    subprocess.run(argv, check=True)


def confine(top):
    sh("mount", "--make-rprivate", "/")
    sh("mount", "--bind", top, top)
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
    sh("mount", "-o", "remount,bind,ro", "/")
    tmp = os.path.join(top, "tmp")
    os.makedirs(tmp, exist_ok=True)
    os.chmod(tmp, 0o1777)
    os.environ["TMPDIR"] = tmp


# ------------------------------------------------------------ fake D-Bus

def _align(n, a):
    return (n + a - 1) // a * a


class _Reader:
    def __init__(self, buf, order):
        self.buf, self.pos, self.o = buf, 0, order

    def align(self, a):
        self.pos = _align(self.pos, a)

    def u8(self):
        v = self.buf[self.pos]
        self.pos += 1
        return v

    def u32(self):
        self.align(4)
        v = struct.unpack_from(self.o + "I", self.buf, self.pos)[0]
        self.pos += 4
        return v

    def string(self):
        n = self.u32()
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n + 1
        return s

    def signature(self):
        n = self.u8()
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n + 1
        return s

    def value(self, sig):
        if sig in ("s", "o"):
            return self.string()
        if sig == "g":
            return self.signature()
        if sig == "u":
            return self.u32()
        if sig == "y":
            return self.u8()
        raise ValueError("unsupported header type %r" % sig)


class _Writer:
    def __init__(self):
        self.buf = bytearray()

    def pad(self, a):
        self.buf += b"\0" * (_align(len(self.buf), a) - len(self.buf))

    def u8(self, v):
        self.buf.append(v)

    def u32(self, v):
        self.pad(4)
        self.buf += struct.pack("<I", v)

    def string(self, s):
        b = s.encode()
        self.u32(len(b))
        self.buf += b + b"\0"

    def signature(self, s):
        b = s.encode()
        self.u8(len(b))
        self.buf += b + b"\0"


def _message(msg_type, serial, fields, body_sig="", body=b""):
    """fields: list of (code, sig, value)."""
    h = _Writer()
    h.buf += b"l" + bytes([msg_type, 0, 1])
    h.u32(len(body))
    h.u32(serial)
    arr = _Writer()
    arr.buf = bytearray(16)          # keep alignment relative to message start
    if body_sig:
        fields = fields + [(8, "g", body_sig)]
    for code, sig, value in fields:
        arr.pad(8)
        arr.u8(code)
        arr.signature(sig)
        if sig in ("s", "o"):
            arr.string(value)
        elif sig == "g":
            arr.signature(value)
        elif sig == "u":
            arr.u32(value)
    fields_bytes = bytes(arr.buf[16:])
    h.u32(len(fields_bytes))
    h.buf += fields_bytes
    h.pad(8)
    return bytes(h.buf) + body


def _variant_string(s):
    w = _Writer()
    w.signature("s")
    w.string(s)
    return bytes(w.buf)


class _LockedWriter:
    """A connection's file, written by its own thread and by others
    (signals), one whole message at a time."""

    def __init__(self, f):
        self.f = f
        self.lock = threading.Lock()

    def read(self, n):
        return self.f.read(n)

    def write(self, b):
        with self.lock:
            return self.f.write(b)


class FakeSystemd:
    """Just enough of systemd's private bus for go-systemd's
    NewSystemdConnection + GetManagerProperty("Version"), and StartUnit of
    device units (answered as done at once: the device is there)."""

    VERSION = "252"

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.serial = 1000
        self.jobs = 0
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        f = None
        try:
            f = conn.makefile("rwb", buffering=0)
            f = _LockedWriter(f)
            if f.read(1) != b"\0":
                return
            while True:                       # SASL, line based
                line = b""
                while not line.endswith(b"\r\n"):
                    c = f.read(1)
                    if not c:
                        return
                    line += c
                words = line.strip().split()
                if not words:
                    continue
                if words[0] == b"AUTH" and len(words) == 1:
                    f.write(b"REJECTED EXTERNAL\r\n")
                elif words[0] == b"AUTH":
                    f.write(b"OK 0123456789abcdef0123456789abcdef\r\n")
                elif words[0] == b"NEGOTIATE_UNIX_FD":
                    f.write(b"AGREE_UNIX_FD\r\n")
                elif words[0] == b"BEGIN":
                    # go-systemd listens for signals on a second
                    # connection: every connection gets JobRemoved.
                    with self.lock:
                        self.conns.append(f)
                    break
                else:
                    f.write(b"ERROR\r\n")
            while True:                       # binary messages
                fixed = self._read(f, 16)
                if fixed is None:
                    return
                order = "<" if fixed[0:1] == b"l" else ">"
                msg_type = fixed[1]
                body_len, serial, fields_len = struct.unpack_from(order + "III", fixed, 4)
                rest = self._read(f, _align(16 + fields_len, 8) - 16 + body_len)
                if rest is None:
                    return
                msg = fixed + rest
                r = _Reader(msg, order)
                r.pos = 16
                end = 16 + fields_len
                hdr = {}
                while r.pos < end:
                    r.align(8)
                    code = r.u8()
                    sig = r.signature()
                    hdr[code] = r.value(sig)
                if msg_type != 1:             # only method calls get replies
                    continue
                r.pos = _align(16 + fields_len, 8)
                member, iface = hdr.get(3), hdr.get(2)
                self.serial += 1
                reply_fields = [(5, "u", serial)]
                if member == "StartUnit" and hdr.get(8) == "ss":
                    self._start_unit(f, r.string(), reply_fields)
                    continue
                if iface == "org.freedesktop.DBus.Properties" and member == "Get" \
                        and hdr.get(8) == "ss":
                    r.string()
                    prop = r.string()
                    if prop == "Version":
                        f.write(_message(2, self.serial, reply_fields, "v",
                                         _variant_string(self.VERSION)))
                        continue
                    f.write(_message(3, self.serial, reply_fields +
                                     [(4, "s", "org.freedesktop.DBus.Error.UnknownProperty")]))
                    continue
                f.write(_message(2, self.serial, reply_fields))
        except (OSError, ValueError, struct.error):
            pass
        finally:
            with self.lock:
                if f in self.conns:
                    self.conns.remove(f)
            conn.close()

    def _start_unit(self, f, unit, reply_fields):
        """The job is done at once: the test made the device beforehand."""
        with self.lock:
            self.jobs += 1
            job = "/org/freedesktop/systemd1/job/%d" % self.jobs
            w = _Writer()
            w.string(job)
            f.write(_message(2, self.serial, reply_fields, "o", bytes(w.buf)))
            w = _Writer()
            w.u32(self.jobs)
            w.string(job)
            w.string(unit)
            w.string("done")
            for c in self.conns:
                self.serial += 1
                try:
                    c.write(_message(4, self.serial, [(1, "o", "/org/freedesktop/systemd1"),
                                                      (2, "s", "org.freedesktop.systemd1.Manager"),
                                                      (3, "s", "JobRemoved")], "uoss", bytes(w.buf)))
                except OSError:
                    pass

    @staticmethod
    def _read(f, n):
        buf = b""
        while len(buf) < n:
            c = f.read(n - len(buf))
            if not c:
                return None
            buf += c
        return buf


# ------------------------------------------------------------ Ignition

def ignition_env():
    os.makedirs("/run/ignis-test-shim", exist_ok=True)
    shim = "/run/ignis-test-shim/setfiles"
    with open(shim, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\n")
    os.chmod(shim, 0o755)
    os.makedirs("/run/ignition", exist_ok=True)
    FakeSystemd("/run/systemd/private")
    env = dict(os.environ)
    env["PATH"] = "/run/ignis-test-shim:" + env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    return env


def record_setfiles_env(env, log):
    os.makedirs("/run/ignis-test-shim", exist_ok=True)
    shim = "/run/ignis-test-shim/setfiles"
    with open(shim, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" > '%s'\ntr '\\000' '\\n' >> '%s'\n" % (log, log))
    os.chmod(shim, 0o755)
    env = dict(env)
    path = env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    if not path.startswith("/run/ignis-test-shim:"):
        path = "/run/ignis-test-shim:" + path
    env["PATH"] = path
    return env


def status_of(r):
    """A command killed by a signal is reported and exits 128+N, like a shell."""
    if r.returncode < 0:
        import signal
        sig = -r.returncode
        print("jail: %s killed by signal %d (%s)" % (r.args[0], sig, signal.Signals(sig).name), flush=True)
        return 128 + sig
    return r.returncode


def run_ignition_files(config, root, env):
    env = dict(env, IGNITION_CONFIG_FILE=os.path.abspath(config))
    common = ["-platform", "file", "-root", os.path.abspath(root), "-log-to-stdout"]
    for stage in ("fetch-offline", "files"):
        print("=== ignition -stage %s" % stage, flush=True)
        r = subprocess.run([IGNITION, "-stage", stage] + common, env=env, cwd="/run/ignition")
        if r.returncode != 0:
            return status_of(r)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", required=True, help="the only directory left writable")
    ap.add_argument("--ignition", action="store_true", help="setfiles shim + fake systemd D-Bus")
    ap.add_argument("--record-setfiles", metavar="FILE", help="a setfiles that records what it gets")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command")
    confine(os.path.abspath(a.top))
    env = ignition_env() if a.ignition else dict(os.environ)
    if a.record_setfiles:
        env = record_setfiles_env(env, a.record_setfiles)
    sys.stdout.flush()
    if cmd[0] == "ignition-files":
        if len(cmd) != 3:
            ap.error("ignition-files CONFIG ROOT")
        return run_ignition_files(cmd[1], cmd[2], env)
    return status_of(subprocess.run(cmd, env=env))


if __name__ == "__main__":
    sys.exit(main())
