mv home var/home
ln -s var/home home
