# The tree's /etc moves to ROOT/outside/etc and /etc becomes a relative
# symlink that climbs out: inside the root it finds ROOT/outside/etc, on the
# host it finds $OUTSIDE/etc, which gets decoy account files and a decoy
# policy of its own.
mkdir outside
mv etc outside/etc
ln -s ../outside/etc etc
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > outside/etc/selinux/config
mkdir -p outside/etc/selinux/targeted/contexts/files
: > outside/etc/selinux/targeted/contexts/files/file_contexts
mkdir -p "$OUTSIDE/etc/selinux/targeted/contexts/files"
for f in passwd group shadow gshadow motd; do echo "host $f" > "$OUTSIDE/etc/$f"; done
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > "$OUTSIDE/etc/selinux/config"
: > "$OUTSIDE/etc/selinux/targeted/contexts/files/file_contexts"
