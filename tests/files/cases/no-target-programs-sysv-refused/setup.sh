mkdir -p etc/init.d
printf "#!/bin/sh\nexit 0\n" > etc/init.d/legacy
chmod 0755 etc/init.d/legacy
