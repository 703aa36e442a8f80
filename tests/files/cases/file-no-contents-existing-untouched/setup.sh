chown 5:6 etc/motd
chmod 0640 etc/motd
