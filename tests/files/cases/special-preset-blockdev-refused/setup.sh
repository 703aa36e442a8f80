# A 1 MiB image with known contents, attached to a loop device of our own;
# its node becomes the preset file. after.sh detaches it and checks the image.
head -c 1048576 /dev/urandom > "$OUTSIDE/disk.img"
sha256sum "$OUTSIDE/disk.img" > "$OUTSIDE/disk.img.sha256"
dev=$(losetup -f --show "$OUTSIDE/disk.img")
echo "$dev" > "$OUTSIDE/loopdev"
mkdir -p etc/systemd/system-preset
mknod etc/systemd/system-preset/20-ignition.preset b $(stat -c '0x%t 0x%T' "$dev")
