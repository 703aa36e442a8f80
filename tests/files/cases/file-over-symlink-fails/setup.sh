ln -s motd etc/motd-link
