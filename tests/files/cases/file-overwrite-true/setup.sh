chown 5:5 etc/motd
chmod 0600 etc/motd
