/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Every write into the target root goes through here. Paths are resolved
 * with openat2(RESOLVE_IN_ROOT): symlinks already in the target (/etc -> /,
 * /home/u/.ssh -> /root/.ssh) are followed the way a chroot would follow
 * them, so no write can land outside the root. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct root_syncer;

struct root {
        int fd;         /* O_PATH|O_DIRECTORY on the root */
        char *path;     /* for messages only */
        struct root_syncer *syncer;     /* see root_sync_kick() */
};

int root_open(const char *path, struct root *r);
void root_close(struct root *r);

/* Opens (as O_PATH|O_DIRECTORY) the directory that holds path's last
 * component, following symlinks inside the root. With create_parents,
 * missing directories are created 0755 (plus a setgid parent's bit), owned as
 * the kernel makes them: root, or a setgid parent's group (as Ignition); their
 * paths are added to *created (may be NULL). Returns the directory fd (>= 0)
 * and points *name at the last component inside path, or a negative errno. */
struct ig_strv;
int root_open_parent(const struct root *r, const char *path, bool create_parents,
                     struct ig_strv *created, const char **name);

/* The user-space equivalent of openat2(RESOLVE_IN_ROOT), used where the
 * kernel lacks openat2; exported for its tests. */
int root_resolve_fallback(int rootfd, const char *path, int flags, mode_t mode);

/* openat2(RESOLVE_IN_ROOT) of a path inside the root. */
int root_openat(const struct root *r, const char *path, int flags, mode_t mode);

/* A temporary file under a hidden name next to name in dirfd; root_tmp_link
 * renames it into place atomically (replacing what is there). It takes an
 * unnamed file from root_new_open too, and names it just before the
 * rename. Durability comes from one syncfs() at the end of the stage
 * (root_sync). */
struct root_tmp {
        int fd;
        int dirfd;
        char *tmpname;
};
int root_tmp_open(int dirfd, const char *name, mode_t mode, struct root_tmp *t);

/* Whether a file created with this mode (open's mode argument) gets exactly
 * this mode: no special bits and nothing the process umask removes. When it
 * does, no fchmod is needed afterwards. */
bool root_mode_exact(mode_t mode);
int root_tmp_link(struct root_tmp *t, const char *name);

/* The same for a file that must not replace anything: root_new_link fails
 * with -EEXIST when name exists (of any type), atomically. The file may
 * have no name at all until linked (O_TMPFILE). */
int root_new_open(int dirfd, const char *name, mode_t mode, struct root_tmp *t);
int root_new_link(struct root_tmp *t, const char *name);
void root_tmp_discard(struct root_tmp *t);

/* Writes a whole small file atomically (temp + fsync + rename), then sets
 * mode and owner. */
int root_write_file(int dirfd, const char *name, const void *data, size_t len,
                    mode_t mode, uid_t uid, gid_t gid);

/* Flushes everything written under the root to disk (and stops the
 * background flushing root_sync_kick() started). */
int root_sync(struct root *r);

/* Says that a batch of data was written under the root: on a machine with
 * more than one CPU, a background thread flushes it (syncfs) while the
 * stage goes on writing, so that the final root_sync() has little left to
 * wait for. Best effort: without a thread, root_sync() does it all. */
void root_sync_kick(struct root *r);

/* Opens an existing regular file in place (to append to it, read it, or
 * change its mode): name in dirfd, never following a symlink there and never
 * opening anything else. A FIFO would block the open, a device would take
 * the writes; both are only looked at (O_PATH), never opened. flags are
 * open()'s access flags (O_RDONLY, O_WRONLY|O_APPEND...). Returns the fd,
 * -ELOOP for a symlink, ROOT_ENOTREG for anything else that is not a
 * regular file, or another negative errno; *st (may be NULL) describes what
 * was found whenever something was. */
#define ROOT_ENOTREG (-EMEDIUMTYPE)
struct stat;
int root_open_regular_at(int dirfd, const char *name, int flags, struct stat *st);
/* The same for a path inside the root, for reading: symlinks, the last
 * one included, are followed inside the root (as a chroot would); what
 * they lead to must be a regular file. */
int root_open_regular(const struct root *r, const char *path, int flags, struct stat *st);
/* "a FIFO", "a character device"...: for messages. */
const char *root_file_type(mode_t mode);

/* The path the kernel has for fd (from /proc/self/fd), NULL when it has
 * none. For a root's fd: its host path with every symlink resolved. */
char *fd_host_path(int fd);

/* The host path of path inside the root, for tools that take host paths
 * (setfiles): its directory resolved inside the root (the target's symlinks
 * followed as a chroot would), its last component as it is (not followed).
 * NULL when the directory cannot be opened or no longer lies under root_host
 * (moved away meanwhile). root_host: fd_host_path(r->fd). */
char *root_host_path(const struct root *r, const char *root_host, const char *path);

/* Removes whatever is at name (recursively for directories), like rm -rf,
 * without following symlinks. Missing is not an error. */
int root_remove_tree(int dirfd, const char *name);
