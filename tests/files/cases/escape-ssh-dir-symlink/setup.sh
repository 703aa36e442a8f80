mkdir -m 0700 root/.ssh
ln -s /root/.ssh home/existing/.ssh
chown -h 1000:1000 home/existing/.ssh
