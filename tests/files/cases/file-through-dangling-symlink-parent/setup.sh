ln -s var/opt opt
