mkdir -p usr/share/base
mv etc/group usr/share/base/group
ln -s ../usr/share/base/group etc/group
