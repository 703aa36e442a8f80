mkdir -p srv/a/b "$TOP/tmp"
# The config: 256 MiB of zeros, gzip-compressed, as a data: URL (generated:
# too big to keep in the repository).
python3 - "$CONFIG" <<'PY'
import base64, json, sys, zlib
c = zlib.compressobj(1, zlib.DEFLATED, 31)
z = b"".join(c.compress(bytes(1 << 20)) for _ in range(256)) + c.flush()
cfg = {"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/srv/a/b/big", "contents": {
    "source": "data:;base64," + base64.b64encode(z).decode(), "compression": "gzip"}}]}}
with open(sys.argv[1], "w") as f:
    json.dump(cfg, f)
PY
# The concurrent process: as soon as some process has a file open in
# /srv/a/b (the applier's unfinished file), it renames /srv/a to /moved.
# after.sh stops it and fails the case when it never saw the write.
python3 - "$ROOT" "$TOP/tmp" >/dev/null 2>&1 </dev/null <<'PY' &
import os, sys, time
root, state = sys.argv[1], sys.argv[2]
tag = "/" + os.path.basename(os.path.dirname(root)) + "/root/srv/a/b/"
deadline = time.time() + 300
while time.time() < deadline:
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            except OSError:
                continue
            if tag in link:
                os.rename(os.path.join(root, "srv/a"), os.path.join(root, "moved"))
                open(os.path.join(state, "watcher.done"), "w").close()
                sys.exit(0)
    time.sleep(0.002)
PY
echo $! > "$TOP/tmp/watcher.pid"
