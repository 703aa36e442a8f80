ln etc/motd motd-link
