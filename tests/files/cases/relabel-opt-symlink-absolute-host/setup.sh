# The host directory the target's /opt names; a relabel through the
# unresolved path would reach its host-file.
mkdir -p "$OUTSIDE/opt/app"
echo host > "$OUTSIDE/opt/app/host-file"
ln -s "$OUTSIDE/opt" opt
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > etc/selinux/config
mkdir -p etc/selinux/targeted/contexts/files
: > etc/selinux/targeted/contexts/files/file_contexts
