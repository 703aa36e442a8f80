mkdir srv
ln -s "$OUTSIDE" srv/abs
