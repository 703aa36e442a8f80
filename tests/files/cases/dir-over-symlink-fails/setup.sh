ln -s skel etc/skel-alias
