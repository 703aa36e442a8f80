ln -s /usr/lib/systemd/system/hostile.service etc/systemd/system/multi-user.target.wants/hostile.service
printf '[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\nAlso=hostile-%%i.service\n' \
        > usr/lib/systemd/system/hostile.service
