mkdir srv
ln -s "$OUTSIDE/canary" srv/canary-link
