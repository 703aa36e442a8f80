# lastlog/faillog full of 0xff records: useradd zeroes the new uid's record
# (lastlog_reset/faillog_reset) unless --no-log-init
head -c 1048576 /dev/zero | tr '\0' '\377' > var/log/lastlog
cp var/log/lastlog var/log/faillog
