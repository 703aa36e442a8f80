mkdir srv
ln -s / srv/escape
