chmod 0644 etc/motd
chown 0:0 etc/motd
ln etc/motd motd-link
