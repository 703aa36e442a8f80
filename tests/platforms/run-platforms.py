#!/usr/bin/python3
"""Platform providers against fake media, fake firmware tables and fake
metadata services (tests/platforms/cases/*.json).

    run-platforms.py --ignis build/src/ignis [--keep] [CASE...]

Must run as root (loop devices, mounts in a private mount namespace: every
ignis run goes through tests/files/jail.py). Prints TAP, one line per case.

Each case runs ignis (by default `ignis fetch-config --platform=P`) with
every root and endpoint the providers read pointed at the case's scratch
directory TOP and at an HTTP server on 127.0.0.1 started by this script:

  IGNIS_SYSFS_ROOT=TOP/sys   class/dmi/id/<field> from "dmi"; class/block/<dev>
                             for each medium (nothing else: the host's disks
                             are never probed)
  IGNIS_DEV_ROOT=TOP/dev     <dev> -> the medium's loop device
  IGNIS_FW_CFG_ROOT=TOP/fw_cfg: absent unless "fw_cfg" (true: the directory
                             without the config item; else the item's bytes;
                             "fw_cfg_size" overrides the size file)
  IGNIS_NETIF_LEASES_DIR=TOP/leases ("leases": {"2": "OPTION_245=..."};
                             "{port}" is the server's port)
  IGNIS_SYSTEM_CONFIG_PREFIX=TOP/system (empty: no user.ign or base configs)
  IGNIS_MEDIA_WAIT=0, IGNIS_PROVIDER_TIMEOUT=20 unless the case sets them
  IGNIS_ENDPOINT_<NAME> from "endpoints": ["digitalocean", ...]: the server

Case keys (all optional but "expect"):

  description   one line
  platform      --platform= (default "auto")
  args          the whole argument list instead of fetch-config; "{top}" and
                "{http}" are substituted
  steps         a list of such argument lists, run in order (each but the
                last must succeed; the output is the concatenation): the
                stages of one boot
  cmdline       the kernel command line file (default: empty)
  dmi           {"sys_vendor": "QEMU", ...}
  sysfs         {"relative/to/TOP/sys": text or {"b64": ...}}: other fake sysfs files
  media         [{"fs": "ext4"|"vfat"|"iso9660"|"udf", "label": L,
                  "files": {"path": text or {"b64": ..}|{"gzip": text}}}]:
                ext4 and vfat are made with mkfs.* (vfat filled with mtools),
                iso9660 with genisoimage -R -J, udf with genisoimage -udf;
                attached with losetup. The host kernel may lack iso9660/vfat/
                udf: "needs_fs" lists the types the expected result needs,
                and where the kernel cannot mount one of them the case expects
                instead exit 1 and "Cannot mount the config medium", which
                still checks that the medium was found by label and type.
  endpoints     names for IGNIS_ENDPOINT_<NAME>=http://127.0.0.1:PORT (every
                service address not named here or in "env" is a closed port
                on 127.0.0.1: a case never reaches a real metadata service;
                applehv's vsock address too: IGNIS_APPLEHV_ENDPOINT is
                tcp:127.0.0.1:1 unless "env" sets it, "tcp:127.0.0.1:{port}"
                for the server)
  unix_socket   true: the server also answers on the Unix socket TOP/http.sock
  routes        [{"method": "GET", "path": "/x?y", "headers": {"Name": "value"},
                  "responses": [{"status": 200, "body": text, "encode":
                  ["gzip", "base64"], "headers": {...}, "delay": s,
                  "truncate": n (the Content-Length of the whole body, then
                  only n bytes and the connection closed)}, ...]}]:
                responses are used in order, the last one repeats. A request
                that matches no route, or lacks a required header, gets the
                status the real service gives ("missing_status", default 400)
                and is recorded as wrong.
                "privileged_port": true: a request from a source port
                >= 1024 gets 403 (Scaleway) and is recorded as wrong.
  host_no_vboxguest  true: the case reads this machine's own /dev and relies
                on it having no /dev/vboxguest (not a VirtualBox VM with its
                driver loaded); skipped, said so, on one that has it
  host_not_vmware  true: the case relies on this machine not being a VMware
                VM (the CPU's hypervisor signature, which no fake can
                change); skipped, said so, on one that is
  env           extra environment ("{http}", "{port}" (the server's) and
                "{top}" substituted)
  setup_files   {"relative/to/TOP": text}: files made before the run
  setup_scripts {"relative/to/TOP": text}: the same, executable (a stand-in
                for a tool ignis runs, found first in an "env" PATH)
  netns         true: ignis runs in a new network namespace (nothing
                reachable, not even the case's server); "lo-up": in one
                whose loopback is up (a route to 127.0.0.1, nothing
                listening but the case's server)
  route_later   a line ignis prints: ignis and the case's server run in a
                network namespace made by the test whose loopback is down
                (no route to 127.0.0.1, as before DHCP has finished); once
                stderr shows that line, the loopback is brought up. Nothing
                is timed: the route appears only after ignis said it waits.
  hyperv_kvp    a model of the Hyper-V KVP driver (hv_utils' /dev/vmbus/hv_kvp,
                which only a Hyper-V guest has: a mock, because the real one
                cannot run here) at TOP/hv_kvp, a unix SOCK_SEQPACKET socket
                (one message per read and write, like the device); ignis is
                pointed at it by IGNIS_HYPERV_KVP_DEVICE (always set: without
                this key it names nothing). It behaves as the kernel does:
                takes the registration (a struct hv_kvp_msg of operation
                KVP_OP_REGISTER1) first, answers it, then sends each of
                "messages" ({"pool": 0, "key": K, "value": V}: KVP_OP_SET;
                "op": "delete"/"enumerate"; "error": the answer's status it
                requires, default "ok") and requires the answer before the
                next. Then it closes the connection (the case gets
                IGNIS_HYPERV_KVP_QUIET_MS=60000, so nothing depends on
                timing), or with "quiet": true stays silent until ignis
                closes (the default quiet period ends the exchange; the
                first message goes out with the registration's answer, so
                there is no gap before it). "refuse": true closes after
                reading the registration; "truncate": N sends the first
                message cut to N bytes. What the model got wrong is
                reported as wrong requests; expect "answers": N checks how
                many answers it got.
  expect:
    exit        exit status (default 0)
    json        a JSON subset the stdout must contain (objects: keys
                recursively; lists: same length, elements recursively)
    stdout      exact stdout
    output      substrings of stderr
    output_not  strings that must not appear in stdout+stderr (secrets)
    output_once substrings that must appear exactly once in stderr
    requests    ["GET /path", ...]: the exact sequence of requests served
    bodies      {"POST /path": exact body of the last such request}
    body_contains, body_not  {"POST /path": [substrings]}: in that body / not
    files       {"relative/to/TOP": exact content or null (absent)}
    modes       {"relative/to/TOP": "0600"}
    kvp_pools   {"relative/to/TOP": [[key, value], ...]}: a KVP pool file's
                records (hv_kvp_daemon's format)
    wrong_ok    true: requests to unknown paths are part of the case
"""

import argparse
import base64
import ctypes
import gzip
import http.server
import json
import os
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "files"))
import testroot  # noqa: E402

CASES = os.path.join(HERE, "cases")


def encode_file(v):
    if isinstance(v, str):
        return v.encode()
    if "b64" in v:
        return base64.b64decode(v["b64"])
    if "gzip" in v:
        return gzip.compress(v["gzip"].encode(), mtime=0)
    if "json" in v:
        return json.dumps(v["json"]).encode()
    raise ValueError("bad file value %r" % v)


def body_bytes(resp):
    data = resp.get("body", "")
    data = json.dumps(data).encode() if not isinstance(data, str) else data.encode()
    for enc in resp.get("encode", []):
        data = gzip.compress(data, mtime=0) if enc == "gzip" else base64.b64encode(data)
    return data


class Server:
    def __init__(self, routes, missing_status):
        self.routes = routes
        self.used = [0] * len(routes)
        self.log = []
        self.bodies = {}
        self.wrong = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                key = "%s %s" % (self.command, self.path)
                outer.log.append(key)
                outer.bodies[key] = body.decode("utf-8", "replace")
                for i, r in enumerate(outer.routes):
                    if r.get("method", "GET") != self.command or r["path"] != self.path:
                        continue
                    if r.get("privileged_port") and self.client_address[1] >= 1024:
                        outer.wrong.append("%s: from source port %d" % (key, self.client_address[1]))
                        return self.answer({"status": 403, "body": "source port not privileged"})
                    for h, v in r.get("headers", {}).items():
                        got = self.headers.get(h)
                        if got != v:
                            outer.wrong.append("%s: header %s is %r, want %r" % (key, h, got, v))
                            return self.answer({"status": missing_status, "body": "missing header"})
                    resps = r["responses"]
                    resp = resps[min(outer.used[i], len(resps) - 1)]
                    outer.used[i] += 1
                    return self.answer(resp)
                outer.wrong.append("%s: no such route" % key)
                self.answer({"status": 404, "body": "not found"})

            def answer(self, resp):
                if resp.get("delay"):
                    time.sleep(resp["delay"])
                data = body_bytes(resp)
                self.send_response(resp.get("status", 200))
                for h, v in resp.get("headers", {}).items():
                    self.send_header(h, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if "truncate" in resp:
                    self.wfile.write(data[:resp["truncate"]])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_PATCH = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.unix = None
        self.handler = Handler

    def serve_unix(self, path):
        """The same routes on a Unix socket (applehv's transport in tests)."""

        class UnixHandler(self.handler):
            def handle_any(self):
                self.client_address = ("unix", 0)
                return super().handle_any()

            do_GET = do_PUT = do_POST = do_PATCH = handle_any

        self.unix = socketserver.ThreadingUnixStreamServer(path, UnixHandler)
        self.unix.daemon_threads = True
        threading.Thread(target=self.unix.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.unix:
            self.unix.shutdown()
            self.unix.server_close()


# sizeof(struct hv_kvp_msg) and its offsets in <linux/hyperv.h> (uapi):
# header {u8 operation, u8 pool, u16 pad} (or int error), then the body
# union; kvp_set.data = {u32 value_type, u32 key_size, u32 value_size,
# u8 key[512], u8 value[2048]}; kvp_delete = {u32 key_size, u8 key[512]}.
KVP_MSG_SIZE = 7432
KVP_OP = {"get": 0, "set": 1, "delete": 2, "enumerate": 3}
KVP_OP_REGISTER1 = 100
HV_STATUS = {"ok": 0, "fail": 0x80004005, "cont": 0x80070103}


def kvp_message(m):
    op = KVP_OP[m.get("op", "set")]
    msg = bytearray(KVP_MSG_SIZE)
    struct.pack_into("<BBH", msg, 0, op, m.get("pool", 0), 0)
    key = m.get("key", "").encode() + b"\0"
    if op == KVP_OP["set"]:
        value = m.get("value", "").encode() + b"\0"
        struct.pack_into("<III", msg, 4, 1, len(key), len(value))
        msg[16:16 + len(key)] = key
        msg[528:528 + len(value)] = value
    elif op == KVP_OP["delete"]:
        struct.pack_into("<I", msg, 4, len(key))
        msg[8:8 + len(key)] = key
    else:
        struct.pack_into("<I", msg, 4, m.get("index", 0))
    return bytes(msg)


def kvp_pool_records(data):
    """hv_kvp_daemon's pool file: [key, value] per 512 + 2048-byte record."""
    if len(data) % 2560:
        return "%d bytes, not whole records" % len(data)
    recs = [data[i:i + 2560] for i in range(0, len(data), 2560)]
    return [[r[:512].split(b"\0")[0].decode(), r[512:].split(b"\0")[0].decode()] for r in recs]


class FakeKvp:
    """The hv_utils KVP driver's side, on a SOCK_SEQPACKET socket."""

    def __init__(self, path, spec):
        self.spec = spec
        self.wrong = []
        self.answers = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(120)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        # One registration per boot: a second connection is refused, as
        # the host never pushes the pairs twice.
        self.sock.close()
        conn.settimeout(120)
        try:
            self.exchange(conn)
        except OSError as e:
            self.wrong.append("KVP: %s" % e)
        finally:
            conn.close()

    def exchange(self, conn):
        reg = conn.recv(KVP_MSG_SIZE + 1)
        if len(reg) != KVP_MSG_SIZE or reg[0] != KVP_OP_REGISTER1:
            self.wrong.append("KVP: the first message (%d bytes, operation %s) is not a registration"
                              % (len(reg), reg[0] if reg else None))
            return
        if self.spec.get("refuse"):
            return
        answer = bytearray(KVP_MSG_SIZE)
        answer[0] = KVP_OP_REGISTER1
        answer[4:4 + 11] = b"3.1.ignis-t"
        specs = self.spec.get("messages", [])
        msgs = [kvp_message(m) for m in specs]
        if "truncate" in self.spec:
            msgs[0] = msgs[0][:self.spec["truncate"]]
        conn.send(bytes(answer))
        for i, (m, raw) in enumerate(zip(specs, msgs)):
            conn.send(raw)
            if len(raw) != KVP_MSG_SIZE:
                return
            got = conn.recv(KVP_MSG_SIZE + 1)
            if len(got) != KVP_MSG_SIZE:
                self.wrong.append("KVP: answer %d is %d bytes, want %d" % (i, len(got), KVP_MSG_SIZE))
                return
            status = struct.unpack_from("<I", got, 0)[0]
            self.answers.append(status)
            want = HV_STATUS[m.get("error", "ok")]
            if status != want:
                self.wrong.append("KVP: answer %d has status %#x, want %#x" % (i, status, want))
        if self.spec.get("quiet") and conn.recv(KVP_MSG_SIZE + 1):
            self.wrong.append("KVP: a message after the last answer")

    def stop(self):
        self.thread.join(timeout=150)
        self.sock.close()


CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)


class NetNS:
    """A network namespace held by a process of its own, with only a
    loopback, down until up()."""

    def __init__(self):
        self.holder = subprocess.Popen(["unshare", "-n", "sh", "-c", "echo ready; exec cat"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.holder.stdout.readline().strip() != "ready":
            raise RuntimeError("unshare -n failed")
        self.path = "/proc/%d/ns/net" % self.holder.pid

    def call(self, fn):
        """fn() with this thread in the namespace: sockets it makes stay there."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(self.path, os.O_RDONLY)
        try:
            if LIBC.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            try:
                return fn()
            finally:
                if LIBC.setns(own, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(own)
            os.close(target)

    def up(self):
        subprocess.run(["nsenter", "--net=" + self.path, "ip", "link", "set", "lo", "up"], check=True)

    def close(self):
        self.holder.stdin.close()
        self.holder.wait()


def run_in_netns(cmd, env, ns, trigger):
    """Runs cmd in ns; brings the loopback up once stderr shows trigger
    (None: it is up from the start)."""
    if trigger is None:
        ns.up()
    p = subprocess.Popen(["nsenter", "--net=" + ns.path] + cmd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()), daemon=True)
    reader.start()
    err = b""
    raised = False
    for line in p.stderr:
        err += line
        if trigger is not None and not raised and trigger.encode() in line:
            ns.up()
            raised = True
    p.wait(timeout=300)
    reader.join()
    return p.returncode, out[0], err


def host_is_vmware():
    p = subprocess.run(["lscpu"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return any(line.split(":", 1)[0].strip() == "Hypervisor vendor" and "VMware" in line
               for line in p.stdout.splitlines())


def kernel_has(fs):
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == fs for line in f if line.strip())


def kernel_can_mount(fs):
    if not kernel_has(fs):
        subprocess.run(["modprobe", "-q", {"iso9660": "isofs"}.get(fs, fs)], stderr=subprocess.DEVNULL)
    return kernel_has(fs)


def make_medium(top, i, m):
    src = os.path.join(top, "medium%d" % i)
    img = os.path.join(top, "medium%d.img" % i)
    os.makedirs(src)
    for path, v in m.get("files", {}).items():
        p = os.path.join(src, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(encode_file(v))
    fs, label = m["fs"], m.get("label", "")
    q = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
    if fs == "ext4":
        subprocess.run(["truncate", "-s", "8M", img], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, "-d", src, img], **q)
    elif fs == "vfat":
        subprocess.run(["mkfs.vfat", "-C", "-n", label, img, "4096"], **q)
        for name in sorted(os.listdir(src)):
            subprocess.run(["mcopy", "-s", "-i", img, os.path.join(src, name), "::"], **q)
    elif fs == "iso9660":
        subprocess.run(["genisoimage", "-quiet", "-R", "-J", "-V", label, "-o", img, src], **q)
    elif fs == "udf":
        subprocess.run(["genisoimage", "-quiet", "-udf", "-R", "-V", label, "-o", img, src], **q)
    else:
        raise ValueError("unknown fs %s" % fs)
    loop = subprocess.run(["losetup", "-f", "--show", "-r", img], check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    name = os.path.basename(loop)
    os.makedirs(os.path.join(top, "sys/class/block", name))
    os.symlink(loop, os.path.join(top, "dev", name))
    return loop


def subset(want, got, path="$"):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return ["%s: want an object, got %r" % (path, got)]
        errs = []
        for k, v in want.items():
            if k not in got:
                errs.append("%s.%s: missing" % (path, k))
            else:
                errs += subset(v, got[k], path + "." + k)
        return errs
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        errs = []
        for i, (w, g) in enumerate(zip(want, got)):
            errs += subset(w, g, "%s[%d]" % (path, i))
        return errs
    return [] if want == got else ["%s: want %r, got %r" % (path, want, got)]


CLOSED_ENDPOINTS = ["IGNIS_ENDPOINT_" + n for n in (
    "OPENSTACK", "AZURE_IMDS", "AZURE_WIRESERVER", "DIGITALOCEAN", "HETZNER", "VULTR",
    "EXOSCALE", "ALIYUN", "UPCLOUD", "ORACLECLOUD", "AKAMAI", "SCALEWAY", "SCALEWAY_V6")] + [
    "IGNIS_AWS_IMDS_URL", "IGNIS_GCP_METADATA_URL", "IGNIS_GCS_URL", "IGNIS_S3_ENDPOINT"]


def subst(s, top, url):
    return s.replace("{top}", top).replace("{http}", url).replace("{port}", url.rsplit(":", 1)[1])


def run_case(ignis, name, case, keep):
    top = tempfile.mkdtemp(prefix="ignis-platforms-%s-" % name, dir="/var/tmp")
    os.chmod(top, 0o755)
    for d in ("sys/class/block", "sys/class/dmi/id", "dev", "leases", "system"):
        os.makedirs(os.path.join(top, d))
    loops, errs = [], []
    ns = NetNS() if case.get("route_later") or case.get("netns") == "lo-up" else None
    mk_server = lambda: Server(case.get("routes", []), case.get("missing_status", 400))  # noqa: E731
    server = ns.call(mk_server) if ns else mk_server()
    expect = dict(case.get("expect", {}))
    kvp = None
    try:
        for field, v in case.get("dmi", {}).items():
            with open(os.path.join(top, "sys/class/dmi/id", field), "w") as f:
                f.write(v + "\n")
        if case.get("fw_cfg") is not None:
            item = os.path.join(top, "fw_cfg/by_name/opt/com.coreos/config")
            os.makedirs(item if case["fw_cfg"] is not True else os.path.join(top, "fw_cfg"))
            if case["fw_cfg"] is not True:
                data = encode_file(case["fw_cfg"])
                with open(item + "/raw", "wb") as f:
                    f.write(data)
                with open(item + "/size", "w") as f:
                    f.write("%d\n" % case.get("fw_cfg_size", len(data)))
        for rel, v in case.get("sysfs", {}).items():
            p = os.path.join(top, "sys", rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(encode_file(v))
        for ifindex, text in case.get("leases", {}).items():
            with open(os.path.join(top, "leases", ifindex), "w") as f:
                f.write(text.replace("{port}", server.url.rsplit(":", 1)[1]))
        for rel, v in case.get("system", {}).items():
            p = os.path.join(top, "system", rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(encode_file(v))
        for rel, text in case.get("setup_files", {}).items():
            p = os.path.join(top, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
        for rel, text in case.get("setup_scripts", {}).items():
            p = os.path.join(top, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
            os.chmod(p, 0o755)
        for i, m in enumerate(case.get("media", [])):
            loops.append(make_medium(top, i, m))
        missing = [fs for fs in case.get("needs_fs", []) if not kernel_can_mount(fs)]
        if missing:
            expect = {"exit": 1, "output": ["Cannot mount the config medium"]}
        with open(os.path.join(top, "cmdline"), "w") as f:
            f.write(case.get("cmdline", "") + "\n")
        if "hyperv_kvp" in case:
            spec = json.loads(subst(json.dumps(case["hyperv_kvp"]), top, server.url))
            kvp = FakeKvp(os.path.join(top, "hv_kvp"), spec)

        env = dict(os.environ)
        for k in list(env):
            if k.startswith("IGNIS_"):
                del env[k]
        env.update({
            "IGNIS_SYSFS_ROOT": top + "/sys", "IGNIS_DEV_ROOT": top + "/dev",
            "IGNIS_FW_CFG_ROOT": top + "/fw_cfg", "IGNIS_NETIF_LEASES_DIR": top + "/leases",
            "IGNIS_SYSTEM_CONFIG_PREFIX": top + "/system",
            "IGNIS_MEDIA_WAIT": "0", "IGNIS_PROVIDER_TIMEOUT": "20",
            "IGNIS_HYPERV_KVP_DEVICE": top + "/hv_kvp",
        })
        if kvp and not case["hyperv_kvp"].get("quiet"):
            env["IGNIS_HYPERV_KVP_QUIET_MS"] = "60000"
        # Every service address ignis knows points at a closed loopback port
        # unless the case names it: a case must never reach a real
        # link-local metadata service (this machine may have one).
        # (CloudStack's is the DHCP server in the case's own lease file.)
        # (A case in its own network namespace reaches nothing anyway, and
        # may test the default addresses.)
        for name in CLOSED_ENDPOINTS if case.get("netns") is not True else []:
            env[name] = "http://127.0.0.1:1"
        # Never the machine's vsock, which may be a real hypervisor channel.
        env["IGNIS_APPLEHV_ENDPOINT"] = "tcp:127.0.0.1:1"
        if case.get("unix_socket"):
            server.serve_unix(os.path.join(top, "http.sock"))
        for e in case.get("endpoints", []):
            env["IGNIS_ENDPOINT_" + e.upper().replace("-", "_")] = server.url
        for k, v in case.get("env", {}).items():
            env[k] = subst(v, top, server.url)
        if "steps" in case:
            steps = [[subst(a, top, server.url) for a in step] for step in case["steps"]]
        elif "args" in case:
            steps = [[subst(a, top, server.url) for a in case["args"]]]
        else:
            steps = [["fetch-config", "--platform=" + case.get("platform", "auto"),
                      "--cmdline-file=" + top + "/cmdline"]]
        t0 = time.monotonic()
        out, err = b"", b""
        for i, args in enumerate(steps):
            cmd = ["unshare", "-m"] + (["-n"] if case.get("netns") is True else []) + [testroot.PYTHON, testroot.JAIL, "--top", top, "--", ignis] + args
            if ns:
                rc, o, e = run_in_netns(cmd, env, ns, case.get("route_later"))
            else:
                p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
                rc, o, e = p.returncode, p.stdout, p.stderr
            out, err = out + o, err + e
            if i + 1 < len(steps) and rc != 0:
                errs.append("step %d (%s) exited with %d" % (i + 1, " ".join(args), rc))
                break
        took = time.monotonic() - t0
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

        # ASan exits 1 like an expected failure: its report must fail the case.
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in err:
                errs.append("sanitizer report: %s" % marker)
        if rc != expect.get("exit", 0):
            errs.append("exit status %d, want %d" % (rc, expect.get("exit", 0)))
        if "json" in expect:
            try:
                errs += subset(expect["json"], json.loads(out))
            except ValueError as e:
                errs.append("stdout is not JSON: %s" % e)
        if "stdout" in expect and out != expect["stdout"]:
            errs.append("stdout is %r" % out)
        for s in expect.get("output", []):
            if subst(s, top, server.url) not in err:
                errs.append("stderr lacks %r" % s)
        for s in expect.get("output_not", []):
            if s in out or s in err:
                errs.append("output shows %r" % s)
        for s in expect.get("output_once", []):
            s = subst(s, top, server.url)
            if err.count(s) != 1:
                errs.append("stderr shows %r %d times, want once" % (s, err.count(s)))
        if "requests" in expect and server.log != expect["requests"]:
            errs.append("requests were %r, want %r" % (server.log, expect["requests"]))
        for key, body in expect.get("bodies", {}).items():
            if server.bodies.get(key) != body:
                errs.append("body of %s was %r, want %r" % (key, server.bodies.get(key), body))
        for key, subs in expect.get("body_contains", {}).items():
            for sub in subs:
                if sub not in server.bodies.get(key, ""):
                    errs.append("body of %s lacks %r: %r" % (key, sub, server.bodies.get(key)))
        for key, subs in expect.get("body_not", {}).items():
            for sub in subs:
                if sub in server.bodies.get(key, ""):
                    errs.append("body of %s shows %r" % (key, sub))
        for rel, want in expect.get("files", {}).items():
            p2 = os.path.join(top, rel)
            got = open(p2).read() if os.path.exists(p2) else None
            if got != want:
                errs.append("%s is %r, want %r" % (rel, got, want))
        for rel, want in expect.get("kvp_pools", {}).items():
            p2 = os.path.join(top, rel)
            got = kvp_pool_records(open(p2, "rb").read()) if os.path.exists(p2) else None
            want = json.loads(subst(json.dumps(want), top, server.url))
            if got != want:
                errs.append("%s holds the records %r, want %r" % (rel, got, want))
        for rel, want in expect.get("modes", {}).items():
            p2 = os.path.join(top, rel)
            got = "%04o" % (os.stat(p2).st_mode & 0o7777) if os.path.exists(p2) else None
            if got != want:
                errs.append("%s has mode %s, want %s" % (rel, got, want))
        if kvp:
            kvp.stop()
            server.wrong += kvp.wrong
            if "answers" in expect and len(kvp.answers) != expect["answers"]:
                errs.append("the KVP model got %d answers, want %d" % (len(kvp.answers), expect["answers"]))
        if server.wrong and not expect.get("wrong_ok"):
            errs += ["wrong request: " + w for w in server.wrong]
        if expect.get("max_seconds") and took > expect["max_seconds"]:
            errs.append("took %.1fs, more than %ss" % (took, expect["max_seconds"]))
        diags = ["$ ignis " + " ".join(args), "--- stdout", out, "--- stderr", err,
                 "--- requests: %r" % server.log] + (["(kernel lacks %s: expecting the mount error)" % missing]
                                                      if missing else [])
        note = "kernel cannot mount %s: checked the mount error instead" % ", ".join(missing) if missing else ""
        return errs, diags, note
    finally:
        if kvp:
            kvp.stop()
        server.stop()
        if ns:
            ns.close()
        for loop in loops:
            subprocess.run(["losetup", "-d", loop])
        if keep:
            print("# kept %s" % top)
        else:
            shutil.rmtree(top, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignis", required=True)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    testroot.require_root()
    for tool in ("losetup", "mkfs.ext4", "mkfs.vfat", "mcopy", "genisoimage", "unshare", "nsenter", "ip"):
        if not shutil.which(tool):
            print("1..0 # SKIP %s is not installed (tools/install-deps.sh)" % tool)
            return 0
    ignis, cleanup = testroot.snapshot_binary(os.path.abspath(a.ignis))
    names = sorted(f[:-5] for f in os.listdir(CASES) if f.endswith(".json"))
    if a.cases:
        names = [n for n in names if n in a.cases]
    failed = 0
    try:
        for n, name in enumerate(names, 1):
            with open(os.path.join(CASES, name + ".json")) as f:
                case = json.load(f)
            if case.get("host_not_vmware") and host_is_vmware():
                print("ok %d - %s # SKIP this machine is a VMware VM; the case needs one that is not" % (n, name))
                continue
            if case.get("host_no_vboxguest") and os.path.exists("/dev/vboxguest"):
                print("ok %d - %s # SKIP this machine has /dev/vboxguest; the case needs one without" % (n, name))
                continue
            errs, diags, note = run_case(ignis, name, case, a.keep)
            desc = case.get("description", "") + (" (%s)" % note if note else "")
            failed += testroot.tap_case(n, name, not errs, desc, errs + diags)
    finally:
        cleanup()
    print("1..%d" % len(names))
    return testroot.tap_end(failed, len(names))


if __name__ == "__main__":
    sys.exit(main())
