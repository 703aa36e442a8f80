mkdir -p etc/systemd/system-preset
mkfifo etc/systemd/system-preset/20-ignition.preset
