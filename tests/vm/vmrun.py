#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""QEMU runner for the ignis VM tests: one throw-away TCG guest per call.

    vmrun.py --kernel VMLINUX --initrd IMG --disk DISK [--disk ...]
             [--config CONFIG.json] [--fw-cfg NAME=FILE ...] [--append ARGS]
             [--log FILE] [--timeout SECS] [--stop-on TEXT ...] [--net DOCROOT]
             [--console] [--interactive]

Also imported by run.py (function boot()). What it does, and why:

* TCG, q35, -cpu max (RDRAND: the guest's crng is ready at once; with the
  default CPU libuuid sleeps about a second per UUID), the uncompressed PVH
  vmlinux, -nodefaults -display none, the serial console into a log file,
  -no-reboot with panic=-1 (a crash or a reboot ends QEMU instead of looping).
* Disks are virtio-blk, raw, cache=unsafe (throw-away copies); the first is
  the root disk (serial "root").
* The Ignition config goes in as fw_cfg opt/com.coreos/config (what the qemu
  platform reads); more blobs with --fw-cfg.
* Networking only on request (--net DOCROOT), and only as slirp with
  restrict=on: the guest reaches nothing but 169.254.169.254:80, where a
  guestfwd "cmd:" rule starts md-responder.py once per connection, serving
  DOCROOT. No host socket is opened.
* A hard wall-clock timeout, and --stop-on: QEMU is killed a moment after
  the console shows TEXT (e.g. a failure summary, when the guest would
  otherwise wait in an emergency shell).

Outcome: "poweroff" (QEMU exited by itself: guest power-off, reboot or
panic), "stopped" (killed after a --stop-on text), "timeout", or "error"
(QEMU could not start; its stderr is appended to the log).
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_APPEND = ("console=ttyS0 panic=-1 mitigations=off quiet loglevel=1 "
               "systemd.show_status=1 systemd.status_unit_format=name "
               "root=LABEL=root rw "
               "rd.shell=0 rd.emergency=poweroff")
# Slirp network for --net: guestfwd addresses must lie inside "net".
SLIRP = ("user,id=n0,restrict=on,net=169.254.0.0/16,host=169.254.0.2,"
         "dhcpstart=169.254.0.15")
# A Tang server for --tang: Debian's tangd answers one connection on its
# standard input and output (the inetd way), so a guestfwd "cmd:" rule runs
# it per connection (tang-responder.sh), on the keys of the directory
# given; no host socket.
TANG_ADDR = "169.254.169.253"
TANGD = "/usr/libexec/tangd"


class Result:
    def __init__(self, outcome, wall, rc, log, text, stderr=""):
        self.outcome, self.wall, self.rc, self.log, self.text = outcome, wall, rc, log, text
        self.stderr = stderr

    def __repr__(self):
        return f"<{self.outcome} {self.wall:.1f}s rc={self.rc} {self.log}>"


def qemu_argv(kernel, initrd, disks, config=None, fw_cfg=(), append="",
              net=None, smp=1, mem=1024, accel="tcg", base_append=BASE_APPEND, extra=(), tang=None):
    a = ["qemu-system-x86_64", "-accel", accel, "-cpu", "max",
         "-m", str(mem), "-smp", str(smp), "-M", "q35",
         "-nodefaults", "-no-user-config", "-display", "none",
         "-serial", "stdio", "-no-reboot",
         "-kernel", kernel, "-initrd", initrd]
    for i, d in enumerate(disks):
        a += ["-drive", f"id=d{i},file={d},if=none,format=raw,cache=unsafe",
              "-device", f"virtio-blk-pci,drive=d{i},serial={'root' if i == 0 else f'disk{i}'}"]
    if config:
        a += ["-fw_cfg", f"name=opt/com.coreos/config,file={config}"]
    for name, path in fw_cfg:
        if not name.startswith("opt/"):
            name = "opt/" + name
        a += ["-fw_cfg", f"name={name},file={path}"]
    if net:
        responder = os.path.join(HERE, "md-responder.py")
        for p in (net, responder, tang or "", os.path.join(HERE, "tang-responder.sh")):
            if any(c in p for c in ", "):
                raise ValueError(f"no commas or spaces allowed in {p!r} (guestfwd cmd:)")
        tangfwd = (f",guestfwd=tcp:{TANG_ADDR}:80-cmd:/bin/sh {os.path.join(HERE, 'tang-responder.sh')} {tang}"
                   if tang else "")
        a += ["-netdev", f"{SLIRP},guestfwd=tcp:169.254.169.254:80-cmd:"
                         f"/usr/bin/python3 {responder} {net}{tangfwd}",
              "-device", "virtio-net-pci,netdev=n0"]
    elif tang:
        raise ValueError("--tang needs --net")
    a += ["-device", "virtio-rng-pci"]
    a += list(extra)
    a += ["-append", f"{base_append} {append}".strip()]
    return a


def boot(kernel, initrd, disks, log, config=None, fw_cfg=(), append="",
         timeout=300, stop_on=(), stop_grace=2.0, net=None, smp=1, mem=1024,
         accel="tcg", console=False, extra=(), tang=None):
    """Boot once; return a Result. The serial console goes to LOG."""
    argv = qemu_argv(kernel, initrd, disks, config, fw_cfg, append, net, smp, mem, accel, extra=extra,
                     tang=tang)
    errlog = log + ".qemu-stderr"
    start = time.monotonic()
    with open(log, "wb") as out, open(errlog, "wb") as err:
        out.write(("# " + " ".join(argv) + "\n").encode())
        out.flush()
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=err, start_new_session=True)
        except OSError as e:
            return Result("error", 0.0, None, log, str(e))
        seen = {"stop_at": None}
        buf = bytearray()

        def reader():
            pending = b""
            while True:
                chunk = p.stdout.read1(65536)
                if not chunk:
                    break
                out.write(chunk)
                out.flush()
                buf.extend(chunk)
                if console:
                    sys.stdout.buffer.write(chunk)
                    sys.stdout.buffer.flush()
                if stop_on and seen["stop_at"] is None:
                    pending = (pending + chunk)[-8192:]
                    text = pending.decode("utf-8", "replace")
                    if any(s in text for s in stop_on):
                        seen["stop_at"] = time.monotonic()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        outcome = None
        while True:
            try:
                p.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if seen["stop_at"] is not None and now - seen["stop_at"] >= stop_grace:
                outcome = "stopped"
            elif now - start >= timeout:
                outcome = "timeout"
            if outcome:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                break
        t.join(5)
        wall = time.monotonic() - start
    rc = p.returncode
    if outcome is None:
        outcome = "poweroff" if rc == 0 else "error"
    text = bytes(buf).decode("utf-8", "replace").replace("\r", "")
    with open(errlog, "rb") as e:
        stderr = e.read()
    if stderr:
        with open(log, "ab") as out:
            out.write(b"\n# qemu stderr:\n" + stderr)
    os.unlink(errlog)
    return Result(outcome, wall, rc, log, text, stderr.decode("utf-8", "replace"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--disk", action="append", default=[], required=True)
    ap.add_argument("--config")
    ap.add_argument("--fw-cfg", action="append", default=[], metavar="NAME=FILE")
    ap.add_argument("--append", default="")
    ap.add_argument("--log", default="vm-console.log")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--stop-on", action="append", default=[])
    ap.add_argument("--net", metavar="DOCROOT")
    ap.add_argument("--tang", metavar="KEYDIR", help="a Tang server at %s:80 (with --net)" % TANG_ADDR)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--mem", type=int, default=1024)
    ap.add_argument("--accel", default=os.environ.get("IGNIS_VM_ACCEL", "tcg"))
    ap.add_argument("--console", action="store_true", help="also copy the console to stdout")
    ap.add_argument("--interactive", action="store_true",
                    help="serial console on this terminal (Ctrl-A X quits); adds vm.interactive")
    a = ap.parse_args()
    fw = [tuple(x.split("=", 1)) for x in a.fw_cfg]
    if a.interactive:
        argv = qemu_argv(a.kernel, a.initrd, a.disk, a.config, fw, a.append + " vm.interactive",
                         os.path.abspath(a.net) if a.net else None, a.smp, a.mem, a.accel)
        argv[argv.index("-serial"):argv.index("-serial") + 2] = ["-serial", "mon:stdio"]
        os.execvp(argv[0], argv)
    r = boot(a.kernel, a.initrd, a.disk, a.log, a.config, fw, a.append, a.timeout,
             a.stop_on, net=os.path.abspath(a.net) if a.net else None, smp=a.smp,
             mem=a.mem, accel=a.accel, console=a.console, tang=os.path.abspath(a.tang) if a.tang else None)
    print(f"vmrun: {r.outcome} after {r.wall:.1f}s (qemu rc={r.rc}), console: {r.log}",
          file=sys.stderr)
    if r.stderr:
        sys.stderr.write(r.stderr)
    return {"poweroff": 0, "stopped": 0, "timeout": 124}.get(r.outcome, 1)


if __name__ == "__main__":
    sys.exit(main())
