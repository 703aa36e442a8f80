mkdir -p etc/systemd/system-preset
printf 'enable from-image.service\n' > etc/systemd/system-preset/20-ignition.preset
