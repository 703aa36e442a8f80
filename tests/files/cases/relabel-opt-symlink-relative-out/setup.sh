# On the host ROOT/opt is $OUTSIDE/opt; inside the root ".." stops at the
# root, so the file lands in ROOT/outside/opt.
mkdir -p "$OUTSIDE/opt/app"
echo host > "$OUTSIDE/opt/app/app.conf"
ln -s ../outside/opt opt
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > etc/selinux/config
mkdir -p etc/selinux/targeted/contexts/files
: > etc/selinux/targeted/contexts/files/file_contexts
