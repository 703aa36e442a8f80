# A shared directory owned by group 4242 with the setgid bit: new files and
# directories in it inherit the group (and directories the bit) unless told.
mkdir -p srv/shared
chown 0:4242 srv/shared
chmod 2775 srv/shared
