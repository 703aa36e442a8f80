ln -s "$OUTSIDE" etc/systemd/system/demo.service.d
