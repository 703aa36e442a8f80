dev=$(cat "$OUTSIDE/loopdev")
losetup -d "$dev"
sha256sum --quiet -c "$OUTSIDE/disk.img.sha256"
