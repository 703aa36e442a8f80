ln -s /etc/skel etc/skel-alias
