/* SPDX-License-Identifier: Apache-2.0 */
/* The mount and umount stages: every storage.filesystems entry with a path
 * mounted under the target root with libmount, shallowest first (so /var
 * is there before /var/lib/data), and unmounted in the reverse order.
 *
 * Mount points are resolved inside the root (rootfs.h): a symlink in the
 * target such as /var -> / cannot put a mount on the initramfs' own
 * tree. The mount is made on the resolved directory itself
 * (/proc/self/fd/N, without libmount canonicalizing it again), so what was
 * checked is what gets mounted on. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "ignis/rootfs.h"
#include "ignis/storage.h"
#include "storage-internal.h"

struct mount_entry {
        size_t index;
        const struct ig_filesystem *fs;
        size_t depth;
};

static inline void mnt_free_contextp(struct libmnt_context **c)
{
        if (*c)
                sym_mnt_free_context(*c);
}
#define _cleanup_mnt_context_ _cleanup_(mnt_free_contextp)

static size_t path_depth(const char *p)
{
        size_t d = 0;

        for (; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        d++;
        return d;
}

static int by_depth(const void *a, const void *b)
{
        const struct mount_entry *x = a, *y = b;

        if (x->depth != y->depth)
                return x->depth < y->depth ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;  /* stable: config order */
}

/* The filesystems to mount, shallowest first. */
static struct mount_entry *mount_list(const struct ig_config *c, size_t *ret_n)
{
        const struct ig_storage *s = &c->storage;
        struct mount_entry *v = xcalloc(s->filesystems.n + 1, sizeof(*v));
        size_t n = 0;

        for (size_t i = 0; i < s->filesystems.n; i++) {
                const struct ig_filesystem *fs = &s->filesystems.v[i];
                if (!fs->path || !fs->format || strcmp(fs->format, "swap") == 0 || strcmp(fs->format, "none") == 0)
                        continue;
                v[n++] = (struct mount_entry) { .index = i, .fs = fs, .depth = path_depth(fs->path) };
        }
        qsort(v, n, sizeof(*v), by_depth);
        *ret_n = n;
        return v;
}

static char *join_options(const struct ig_strv *o)
{
        size_t len = 1;
        char *s;

        if (o->n == 0)
                return NULL;
        for (size_t i = 0; i < o->n; i++)
                len += strlen(o->v[i]) + 1;
        s = xmalloc(len);
        s[0] = '\0';
        for (size_t i = 0; i < o->n; i++) {
                if (i)
                        strcat(s, ",");
                strcat(s, o->v[i]);
        }
        return s;
}

/* Opens the mount point inside the root (O_PATH), creating it (0755, and
 * its missing parents) when asked. */
static int open_mount_point(const struct root *r, const char *path, bool create, const char *what)
{
        const char *name;
        _cleanup_close_ int dfd = -1;
        int fd;

        if (strcmp(path, "/") == 0)
        {
                fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 3);
                return fd < 0 ? log_error_errno(errno, "%s: cannot open %s: %m", what, r->path) : fd;
        }
        dfd = root_open_parent(r, path, create, NULL, &name);
        if (dfd < 0)
                return log_error_errno(dfd, "%s: cannot open the parent of %s in %s: %m", what, path, r->path);
        if (create && mkdirat(dfd, name, 0755) == 0)
                log_info("%s: created the mount point %s", what, path);
        else if (create && errno != EEXIST)
                return log_error_errno(errno, "%s: cannot create the mount point %s in %s: %m", what, path, r->path);
        fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "%s: the mount point %s in %s is not a directory: %m", what, path,
                                       r->path);
        return fd;
}

static int context_error(struct libmnt_context *cxt, int rc, const char *op, const char *what, const char *detail)
{
        char buf[BUFSIZ] = "";
        int e = sym_mnt_context_get_syscall_errno(cxt);

        (void) sym_mnt_context_get_excode(cxt, rc, buf, sizeof(buf));
        if (e > 0)
                return log_error_errno(e, "%s: %s %s failed: %m%s%s", what, op, detail, buf[0] ? " (" : "",
                                       buf[0] ? ")" : "");
        return log_error_errno(EIO, "%s: %s %s failed%s%s%s", what, op, detail, buf[0] ? ": " : "",
                               buf, "");
}

static int mount_one(const struct root *r, const struct mount_entry *m)
{
        const struct ig_filesystem *fs = m->fs;
        _cleanup_free_ char *what = storage_entry("filesystems", m->index, fs->device);
        _cleanup_free_ char *opts = join_options(&fs->mount_options), *target = NULL, *detail = NULL;
        _cleanup_mnt_context_ struct libmnt_context *cxt = NULL;
        _cleanup_close_ int fd = -1;
        int rc;

        fd = open_mount_point(r, fs->path, true, what);
        if (fd < 0)
                return fd;
        target = xasprintf("/proc/self/fd/%d", fd);
        detail = xasprintf("of %s on %s%s (%s%s%s)", fs->device, r->path,
                           strcmp(fs->path, "/") == 0 ? "" : fs->path, fs->format, opts ? ", " : "", opts ? opts : "");
        cxt = sym_mnt_new_context();
        if (!cxt)
                return log_error_errno(ENOMEM, "%s: out of memory", what);
        sym_mnt_context_disable_canonicalize(cxt, 1);
        sym_mnt_context_disable_mtab(cxt, 1);
        /* No /sbin/mount.* helpers: the kernel's filesystems only. */
        sym_mnt_context_disable_helpers(cxt, 1);
        if (sym_mnt_context_set_source(cxt, fs->device) < 0 ||
            sym_mnt_context_set_target(cxt, target) < 0 ||
            sym_mnt_context_set_fstype(cxt, strcmp(fs->format, "virtiofs") == 0 ? "virtiofs" : fs->format) < 0 ||
            (opts && sym_mnt_context_set_options(cxt, opts) < 0))
                return log_error_errno(ENOMEM, "%s: cannot set up the mount", what);
        rc = sym_mnt_context_mount(cxt);
        if (rc != 0)
                return context_error(cxt, rc, "mount", what, detail);
        log_info("%s: mounted %s", what, detail + 3);
        return 0;
}

int storage_mount_all(const struct ig_config *c, const char *root)
{
        _cleanup_free_ struct mount_entry *list = NULL;
        struct root r;
        size_t n;
        int e = 0;

        list = mount_list(c, &n);
        if (n == 0) {
                log_info("no filesystem to mount");
                return 0;
        }
        e = dlopen_mount();
        if (e < 0)
                return e;
        e = root_open(root, &r);
        if (e < 0)
                return log_error_errno(e, "Cannot open the target root %s: %m", root);
        for (size_t i = 0; i < n && e >= 0; i++)
                e = mount_one(&r, &list[i]);
        root_close(&r);
        return e;
}

static int umount_one(const struct root *r, const struct mount_entry *m)
{
        const struct ig_filesystem *fs = m->fs;
        _cleanup_free_ char *what = storage_entry("filesystems", m->index, fs->device), *target = NULL;
        _cleanup_free_ char *real = NULL;
        _cleanup_mnt_context_ struct libmnt_context *cxt = NULL;
        _cleanup_close_ int fd = -1;
        int rc;

        fd = root_openat(r, fs->path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd == -ENOENT || fd == -ENOTDIR) {
                log_warning("%s: %s does not exist in %s; nothing to unmount", what, fs->path, r->path);
                return 0;
        }
        if (fd < 0)
                return log_error_errno(fd, "%s: cannot open %s in %s: %m", what, fs->path, r->path);
        /* umount needs the path the mount table knows it by. */
        target = xasprintf("/proc/self/fd/%d", fd);
        real = realpath(target, NULL);
        if (!real)
                return log_error_errno(errno, "%s: cannot resolve %s: %m", what, fs->path);
        close(TAKE_FD(fd));
        cxt = sym_mnt_new_context();
        if (!cxt)
                return log_error_errno(ENOMEM, "%s: out of memory", what);
        sym_mnt_context_disable_mtab(cxt, 1);
        sym_mnt_context_disable_helpers(cxt, 1);
        if (sym_mnt_context_set_target(cxt, real) < 0)
                return log_error_errno(ENOMEM, "%s: cannot set up the umount", what);
        rc = sym_mnt_context_umount(cxt);
        if (rc != 0) {
                if (sym_mnt_context_get_syscall_errno(cxt) == EINVAL || rc == -EINVAL) {
                        log_warning("%s: %s is not mounted; nothing to unmount", what, real);
                        return 0;
                }
                return context_error(cxt, rc, "umount", what, real);
        }
        log_info("%s: unmounted %s", what, real);
        return 0;
}

int storage_umount_all(const struct ig_config *c, const char *root)
{
        _cleanup_free_ struct mount_entry *list = NULL;
        struct root r;
        size_t n;
        int e, ret = 0;

        list = mount_list(c, &n);
        if (n == 0)
                return 0;
        e = dlopen_mount();
        if (e < 0)
                return e;
        e = root_open(root, &r);
        if (e < 0)
                return log_error_errno(e, "Cannot open the target root %s: %m", root);
        /* Deepest first; go on after a failure so that as much as possible
         * is released before switch-root. */
        for (size_t i = n; i-- > 0;) {
                e = umount_one(&r, &list[i]);
                if (e < 0 && ret == 0)
                        ret = e;
        }
        root_close(&r);
        return ret;
}
