mkdir -p srv/a/b "$TOP/tmp"
# The file's contents come from an HTTP server on 127.0.0.1, the concurrent
# process below: it sends the first half of a gzip stream, waits until some
# process has a file open in /srv/a/b (the applier's unfinished file), renames
# /srv/a to /moved, then sends the rest. The applier is held mid-write for as
# long as that takes: no race with how fast this machine writes. after.sh
# stops the server and fails the case when it never saw the unfinished file.
python3 - "$ROOT" "$TOP/tmp" "$CONFIG" >/dev/null 2>&1 </dev/null <<'PY' &
import json, os, socket, sys, time, zlib
root, state, config = sys.argv[1:4]
tag = "/" + os.path.basename(os.path.dirname(root)) + "/root/srv/a/b/"
c = zlib.compressobj(1, zlib.DEFLATED, 31)
first = b"".join(c.compress(bytes(1 << 20)) for _ in range(8)) + c.flush(zlib.Z_SYNC_FLUSH)
rest = b"".join(c.compress(bytes(1 << 20)) for _ in range(8)) + c.flush()

def unfinished_file_open():
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if tag in os.readlink("/proc/%s/fd/%s" % (pid, fd)):
                    return True
            except OSError:
                pass
    return False

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
cfg = {"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/srv/a/b/big", "contents": {
    "source": "http://127.0.0.1:%d/big.gz" % srv.getsockname()[1], "compression": "gzip"}}]}}
with open(config, "w") as f:
    json.dump(cfg, f)
open(os.path.join(state, "server.ready"), "w").close()
conn, _ = srv.accept()
conn.recv(65536)
conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (len(first) + len(rest)))
conn.sendall(first)
deadline = time.time() + 100
while time.time() < deadline:
    if unfinished_file_open():
        os.rename(os.path.join(root, "srv/a"), os.path.join(root, "moved"))
        open(os.path.join(state, "watcher.done"), "w").close()
        break
    time.sleep(0.01)
conn.sendall(rest)
conn.close()
PY
echo $! > "$TOP/tmp/watcher.pid"
i=0
while [ ! -e "$TOP/tmp/server.ready" ]; do
        i=$((i + 1))
        [ $i -lt 600 ] || { echo "the test's HTTP server did not start"; exit 1; }
        sleep 0.05
done
