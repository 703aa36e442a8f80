# Ignition reads /etc/selinux/config through the link too
mv etc/selinux selinux
rm -rf etc
ln -s / etc
