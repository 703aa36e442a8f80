ln etc/motd etc/motd.hard
