mkdir srv
ln -s ../../outside srv/up
