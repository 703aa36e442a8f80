# The image has an enforcing policy; the config turns SELinux off. setfiles
# (not installed where ignis runs here) must be decided on with the config
# the stage writes, not the one the image had when the stage began.
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > etc/selinux/config
