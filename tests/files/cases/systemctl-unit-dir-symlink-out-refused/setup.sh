# The unit directory systemctl --root would scan lies outside the root and
# holds an enablement link of the unit being disabled.
mkdir -p "$OUTSIDE/system/multi-user.target.wants"
ln -s /usr/lib/systemd/system/hostile.service "$OUTSIDE/system/multi-user.target.wants/hostile.service"
rm -rf etc/systemd/system
ln -s "$OUTSIDE/system" etc/systemd/system
# Also= with a specifier: only systemctl can disable this unit.
printf '[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\nAlso=hostile-%%i.service\n' \
        > usr/lib/systemd/system/hostile.service
