kill "$(cat "$TOP/tmp/watcher.pid")" 2>/dev/null || true
if [ ! -e "$TOP/tmp/watcher.done" ]; then
        echo "the directory was not moved while the file was written: this run tested nothing"
        exit 1
fi
