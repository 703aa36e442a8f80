mkdir -p srv
mv etc/systemd/system srv/units
ln -s ../../srv/units etc/systemd/system
ln -s /usr/lib/systemd/system/hostile.service srv/units/multi-user.target.wants/hostile.service
printf '[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\nAlso=hostile-%%i.service\n' \
        > usr/lib/systemd/system/hostile.service
