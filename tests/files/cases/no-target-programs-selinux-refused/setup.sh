printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > etc/selinux/config
mkdir -p etc/selinux/targeted/contexts/files
: > etc/selinux/targeted/contexts/files/file_contexts
