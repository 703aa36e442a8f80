mkdir -p srv
