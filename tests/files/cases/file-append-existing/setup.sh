chown 5:5 etc/motd
chmod 0640 etc/motd
