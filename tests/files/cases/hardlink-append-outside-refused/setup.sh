# The target's /etc/motd and a file beside the root are one inode.
rm etc/motd
echo 'host data' > "$OUTSIDE/host-file"
ln "$OUTSIDE/host-file" etc/motd
