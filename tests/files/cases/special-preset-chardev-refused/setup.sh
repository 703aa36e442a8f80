mkdir -p etc/systemd/system-preset
mknod etc/systemd/system-preset/20-ignition.preset c 1 3
