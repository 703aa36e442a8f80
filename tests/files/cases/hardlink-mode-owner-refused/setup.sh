ln etc/motd srv-motd-link
echo issue > etc/issue-copy
ln etc/issue-copy issue-link
