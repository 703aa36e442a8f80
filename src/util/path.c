/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/log.h"
#include "ignis/rootfs.h"
#include "ignis/util.h"

#define MAX_SYMLINKS 40

/* The same walk openat2(RESOLVE_IN_ROOT) does, in user space, for kernels
 * before 5.6 and for valgrind (which does not know openat2): every
 * component is opened with O_NOFOLLOW; a symlink's target is spliced into
 * the rest of the path, absolute targets restart at the root, and ".."
 * never climbs above it. */
int root_resolve_fallback(int rootfd, const char *path, int flags, mode_t mode)
{
        int stack[PATH_MAX / 2];
        unsigned depth = 0, links = 0;
        _cleanup_free_ char *rest = xstrdup(path);
        size_t pos = 0;
        int r;

        if (!*path)
                return -ENOENT;
        stack[0] = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (stack[0] < 0)
                return -errno;

        for (;;) {
                char *comp, *slash;
                bool last;
                struct stat st;

                while (rest[pos] == '/')
                        pos++;
                comp = rest + pos;
                slash = strchr(comp, '/');
                if (slash)
                        *slash = '\0';
                /* Trailing slashes make the last component a directory. */
                last = !slash || slash[1 + strspn(slash + 1, "/")] == '\0';
                pos = slash ? (size_t) (slash + 1 - rest) : strlen(rest);

                if (*comp == '\0' || strcmp(comp, ".") == 0) {
                        if (!last)
                                continue;
                        r = openat(stack[depth], ".", flags & ~(O_CREAT | O_EXCL), mode);
                        r = r < 0 ? -errno : r;
                        goto out;
                }
                if (strcmp(comp, "..") == 0) {
                        if (depth > 0)
                                close(stack[depth--]);
                        if (!last)
                                continue;
                        r = openat(stack[depth], ".", flags & ~(O_CREAT | O_EXCL), mode);
                        r = r < 0 ? -errno : r;
                        goto out;
                }

                if (fstatat(stack[depth], comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT || !last || !(flags & O_CREAT)) {
                                r = -errno;
                                goto out;
                        }
                } else if (S_ISLNK(st.st_mode) && (!last || !(flags & O_NOFOLLOW))) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(stack[depth], comp, target, sizeof(target) - 1);
                        char *joined;

                        if (n < 0) {
                                r = -errno;
                                goto out;
                        }
                        if (++links > MAX_SYMLINKS) {
                                r = -ELOOP;
                                goto out;
                        }
                        target[n] = '\0';
                        if (target[0] == '/')
                                while (depth > 0)
                                        close(stack[depth--]);
                        joined = xasprintf("%s/%s", target, rest + pos);
                        free(rest);
                        rest = joined;
                        pos = 0;
                        continue;
                }

                if (last) {
                        r = openat(stack[depth], comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
                        r = r < 0 ? -errno : r;
                        goto out;
                }
                if (!S_ISDIR(st.st_mode)) {
                        r = -ENOTDIR;
                        goto out;
                }
                if (depth + 1 >= ELEMENTSOF(stack)) {
                        r = -ENAMETOOLONG;
                        goto out;
                }
                r = openat(stack[depth], comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (r < 0) {
                        r = -errno;
                        goto out;
                }
                stack[++depth] = r;
        }
out:
        for (unsigned i = 0; i <= depth; i++)
                close(stack[i]);
        return r;
}

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
        static bool missing;
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC,
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = resolve,
        };
        int fd;

        if (missing)
                return root_resolve_fallback(dirfd, path, flags, mode);
        do
                fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        if (fd < 0 && errno == ENOSYS) {
                missing = true;
                return root_resolve_fallback(dirfd, path, flags, mode);
        }
        return fd < 0 ? -errno : fd;
}

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int syncer_stop(struct root *r);

int root_open(const char *path, struct root *r)
{
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return log_error_errno(errno, "Cannot open target root %s: %m", path);
        *r = (struct root) { .fd = fd, .path = xstrdup(path) };
        return 0;
}

void root_close(struct root *r)
{
        (void) syncer_stop(r);
        if (r->fd >= 0)
                close(r->fd);
        free(r->path);
        r->fd = -1;
        r->path = NULL;
}

int root_openat(const struct root *r, const char *path, int flags, mode_t mode)
{
        while (*path == '/')
                path++;
        return sys_openat2(r->fd, *path ? path : ".", flags, mode, IN_ROOT);
}

static void strv_push(struct ig_strv *sv, char *s)
{
        sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(char *));
        sv->v[sv->n++] = s;
}

/* Opens dir inside the root, creating what is missing (0755, kernel owner).
 * A dangling symlink on the way (/home -> var/home before /var/home
 * exists) gets its target created, inside the root, as Ignition does. */
static int mkdir_in_root(const struct root *r, const char *dir, struct ig_strv *created, unsigned hops)
{
        size_t n = strlen(dir);
        int fd;

        if (hops > MAX_SYMLINKS)
                return -ELOOP;

        /* Walk down from the root. Every prefix is resolved from the root
         * again: RESOLVE_IN_ROOT treats its dirfd as "/", so resolving from
         * an inner directory would misread absolute symlinks. */
        _cleanup_close_ int prev = root_openat(r, "/", O_PATH | O_DIRECTORY, 0);
        if (prev < 0)
                return prev;
        for (size_t i = 1; i <= n; i++) {
                _cleanup_free_ char *prefix = NULL;
                const char *comp;
                struct stat st;

                if (i < n && dir[i] != '/')
                        continue;
                prefix = xstrndup(dir, i);
                comp = strrchr(prefix, '/') + 1;
                if (!*comp)
                        continue;
                fd = root_openat(r, prefix, O_PATH | O_DIRECTORY, 0);
                if (fd == -ENOENT && fstatat(prev, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t l = readlinkat(prev, comp, target, sizeof(target) - 1);
                        _cleanup_free_ char *where = NULL;
                        int tfd;

                        if (l < 0)
                                return -errno;
                        target[l] = '\0';
                        where = target[0] == '/' ? xstrdup(target)
                                                 : xasprintf("%.*s/%s", (int) (comp - 1 - prefix), prefix, target);
                        tfd = mkdir_in_root(r, where, created, hops + 1);
                        if (tfd < 0)
                                return tfd;
                        close(tfd);
                        fd = root_openat(r, prefix, O_PATH | O_DIRECTORY, 0);
                } else if (fd == -ENOENT) {
                        struct stat pst, nst;

                        if (fstat(prev, &pst) < 0)
                                return -errno;
                        if (mkdirat(prev, comp, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        fd = root_openat(r, prefix, O_RDONLY | O_DIRECTORY, 0);
                        if (fd < 0)
                                return fd;
                        /* 0755 whatever the umask; owner and group are what
                         * the kernel gives, so a setgid parent passes on its
                         * group and its setgid bit (as with Ignition). */
                        mode_t want = 0755 | (pst.st_mode & S_ISGID);
                        if (fstat(fd, &nst) < 0 || ((nst.st_mode & 07777) != want && fchmod(fd, want) < 0)) {
                                int e = -errno;
                                close(fd);
                                return e;
                        }
                        if (created)
                                strv_push(created, TAKE_PTR(prefix));
                }
                if (fd < 0)
                        return fd;
                close(prev);
                prev = fd;
        }
        return TAKE_FD(prev);
}

int root_open_parent(const struct root *r, const char *path, bool create_parents,
                     struct ig_strv *created, const char **name)
{
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/');
        int fd;

        if (!slash || !slash[1])
                return -EINVAL;
        *name = slash + 1;
        dir = xstrndup(path, (size_t) (slash - path));

        fd = root_openat(r, dir, O_PATH | O_DIRECTORY, 0);
        if (fd != -ENOENT || !create_parents)
                return fd;
        return mkdir_in_root(r, dir, created, 0);
}

bool root_mode_exact(mode_t mode)
{
        static mode_t mask = (mode_t) -1;

        if (mask == (mode_t) -1) {
                mask = umask(0);
                umask(mask);
        }
        /* Special bits are set afterwards: chown would clear them, and a
         * half-written setuid file should not exist even for a moment. */
        return !(mode & 07000) && !(mode & mask);
}

/* A hidden name beside the target: same filesystem, so the final rename
 * is atomic. Writer threads may get here at the same time. */
static char *tmp_name(const char *name)
{
        static unsigned counter;
        static pid_t pid;
        pid_t me = __atomic_load_n(&pid, __ATOMIC_RELAXED);

        if (!me) {
                me = getpid();
                __atomic_store_n(&pid, me, __ATOMIC_RELAXED);
        }
        return xasprintf(".%.64s.ignis-%d-%u", name, (int) me, __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
}

int root_tmp_open(int dirfd, const char *name, mode_t mode, struct root_tmp *t)
{
        *t = (struct root_tmp) { .fd = -1, .dirfd = dirfd };
        for (int attempt = 0; attempt < 100; attempt++) {
                char *tmp = tmp_name(name);
                int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
                if (fd >= 0) {
                        t->fd = fd;
                        t->tmpname = tmp;
                        return 0;
                }
                free(tmp);
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

/* After the link (or the unlink): nothing left to clean up. */
static void tmp_forget(struct root_tmp *t)
{
        free(t->tmpname);
        t->tmpname = NULL;
        if (t->fd >= 0)
                close(t->fd);
        t->fd = -1;
}

int root_new_open(int dirfd, const char *name, mode_t mode, struct root_tmp *t)
{
        /* An unnamed file linked in when complete: one directory entry
         * written instead of a temporary one added, renamed and removed. */
        int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode & 0777);

        if (fd >= 0) {
                *t = (struct root_tmp) { .fd = fd, .dirfd = dirfd };
                return 0;
        }
        /* Filesystems without O_TMPFILE (vfat, older network ones). */
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
                return -errno;
        return root_tmp_open(dirfd, name, mode, t);
}

/* Gives an O_TMPFILE file its first name; fails with -EEXIST if taken. */
static int link_unnamed(const struct root_tmp *t, const char *name)
{
        char proc[64];

        if (linkat(t->fd, "", t->dirfd, name, AT_EMPTY_PATH) < 0) {
                /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not. */
                if (errno != ENOENT)
                        return -errno;
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
                if (linkat(AT_FDCWD, proc, t->dirfd, name, AT_SYMLINK_FOLLOW) < 0)
                        return -errno;
        }
        return 0;
}

int root_new_link(struct root_tmp *t, const char *name)
{
        if (!t->tmpname) {
                int r = link_unnamed(t, name);
                if (r < 0)
                        return r;
        } else if (renameat2(t->dirfd, t->tmpname, t->dirfd, name, RENAME_NOREPLACE) < 0) {
                struct stat st;

                if (errno != EINVAL)
                        return -errno;
                /* No RENAME_NOREPLACE on this filesystem: check, then rename. */
                if (fstatat(t->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return -EEXIST;
                if (renameat(t->dirfd, t->tmpname, t->dirfd, name) < 0)
                        return -errno;
        }
        tmp_forget(t);
        return 0;
}

int root_tmp_link(struct root_tmp *t, const char *name)
{
        /* An unnamed file (root_new_open) gets a hidden name only now, for
         * the rename: a crash leaves a temporary name behind only in this
         * instant, not for the whole write. */
        for (int attempt = 0; !t->tmpname && attempt < 100; attempt++) {
                char *tmp = tmp_name(name);
                int r = link_unnamed(t, tmp);
                if (r >= 0) {
                        t->tmpname = tmp;
                        break;
                }
                free(tmp);
                if (r != -EEXIST)
                        return r;
        }
        if (!t->tmpname)
                return -EEXIST;
        /* No fsync per file: the stage syncs the whole filesystem once
         * (syncfs) before it reports success, which is as durable and far
         * cheaper for a thousand small files. */
        if (renameat(t->dirfd, t->tmpname, t->dirfd, name) < 0)
                return -errno;
        tmp_forget(t);
        return 0;
}

void root_tmp_discard(struct root_tmp *t)
{
        if (t->tmpname)
                unlinkat(t->dirfd, t->tmpname, 0);
        tmp_forget(t);
}

int root_write_file(int dirfd, const char *name, const void *data, size_t len,
                    mode_t mode, uid_t uid, gid_t gid)
{
        struct root_tmp t;
        int r;

        bool exact = root_mode_exact(mode);

        r = root_tmp_open(dirfd, name, exact ? mode : 0600, &t);
        if (r < 0)
                return r;
        r = loop_write(t.fd, data, len);
        if (r >= 0 && fchown(t.fd, uid, gid) < 0)
                r = -errno;
        if (r >= 0 && !exact && fchmod(t.fd, mode) < 0)
                r = -errno;
        if (r >= 0)
                r = root_tmp_link(&t, name);
        root_tmp_discard(&t);
        return r;
}

char *fd_host_path(int fd)
{
        char proc[64], buf[PATH_MAX];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf));
        if (n <= 0 || (size_t) n >= sizeof(buf) || buf[0] != '/')
                return NULL;    /* unknown, too long, or not in our view ("pipe:[...]") */
        buf[n] = '\0';
        return xstrdup(buf);
}

char *root_host_path(const struct root *r, const char *root_host, const char *path)
{
        _cleanup_free_ char *dir = NULL, *host = NULL, *copy = NULL;
        _cleanup_close_ int fd = -1;
        const char *slash, *name;
        size_t rl = strlen(root_host), l;
        struct stat a, b;

        path += strspn(path, "/");
        l = strlen(path);
        while (l > 0 && path[l - 1] == '/')
                l--;
        if (l == 0)
                return xstrdup(root_host);
        path = copy = xstrndup(path, l);
        slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return NULL;
        dir = slash ? xstrndup(path, (size_t) (slash - path)) : xstrdup("/");
        fd = root_openat(r, dir, O_PATH | O_DIRECTORY, 0);
        if (fd < 0)
                return NULL;
        host = fd_host_path(fd);
        if (!host)
                return NULL;
        /* RESOLVE_IN_ROOT keeps the walk inside; a directory renamed out of
         * the root since (or a bind mount) does not have the prefix. */
        if (strcmp(root_host, "/") != 0 &&
            (strncmp(host, root_host, rl) != 0 || (host[rl] != '/' && host[rl] != '\0')))
                return NULL;
        /* The tool resolves the host path itself: it must lead to this very
         * directory (not one renamed into its place, not a deleted one). */
        if (fstat(fd, &a) < 0 || stat(host, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return NULL;
        return xasprintf("%s/%s", strcmp(host, "/") == 0 ? "" : host, name);
}

const char *root_file_type(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "a regular file";
        case S_IFDIR:
                return "a directory";
        case S_IFLNK:
                return "a symlink";
        case S_IFIFO:
                return "a FIFO";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        case S_IFSOCK:
                return "a socket";
        default:
                return "a special file";
        }
}

/* The regular file pfd (O_PATH) refers to, opened with flags. The reopen
 * goes through /proc/self/fd: the same inode, whatever happened to its name
 * meanwhile. Without /proc, reopen() opens the name again, and the result
 * must be that same file. */
static int reopen_regular(int pfd, int flags, const struct stat *st, int (*reopen)(const void *, int),
                          const void *arg)
{
        struct stat st2;
        char proc[64];
        int fd;

        if (S_ISLNK(st->st_mode))
                return -ELOOP;
        if (!S_ISREG(st->st_mode))
                return ROOT_ENOTREG;
        flags &= ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW | O_DIRECTORY | O_PATH);
        flags |= O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        fd = open(proc, flags);
        if (fd >= 0 || errno != ENOENT)
                return fd >= 0 ? fd : -errno;
        fd = reopen(arg, flags);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st2) < 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
                close(fd);
                return -ESTALE;
        }
        return fd;
}

struct at_name {
        int dirfd;
        const char *name;
};

static int reopen_at(const void *arg, int flags)
{
        const struct at_name *a = arg;
        int fd = openat(a->dirfd, a->name, flags | O_NOFOLLOW);

        return fd < 0 ? -errno : fd;
}

int root_open_regular_at(int dirfd, const char *name, int flags, struct stat *ret_st)
{
        _cleanup_close_ int pfd = -1;
        struct at_name a = { dirfd, name };
        struct stat st;

        /* O_PATH opens nothing: no FIFO waits for a writer, no device
         * driver sees an open. */
        pfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        if (fstat(pfd, &st) < 0)
                return -errno;
        if (ret_st)
                *ret_st = st;
        return reopen_regular(pfd, flags, &st, reopen_at, &a);
}

struct in_root {
        const struct root *r;
        const char *path;
};

static int reopen_in_root(const void *arg, int flags)
{
        const struct in_root *a = arg;

        return root_openat(a->r, a->path, flags, 0);
}

int root_open_regular(const struct root *r, const char *path, int flags, struct stat *ret_st)
{
        _cleanup_close_ int pfd = -1;
        struct in_root a = { r, path };
        struct stat st;

        pfd = root_openat(r, path, O_PATH, 0);
        if (pfd < 0)
                return pfd;
        if (fstat(pfd, &st) < 0)
                return -errno;
        if (ret_st)
                *ret_st = st;
        return reopen_regular(pfd, flags, &st, reopen_in_root, &a);
}

int root_remove_tree(int dirfd, const char *name)
{
        struct stat st;
        int fd;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;

        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                r = root_remove_tree(fd, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

/* Writeback of a thousand small files takes about as long as writing them
 * (ext4 allocates their blocks then); done by the flusher while we write,
 * the stage's final syncfs only waits for the rest. */
struct root_syncer {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int fd;
        bool kicked, stop;
        int error;      /* the first failed background syncfs, -errno */
};

static void *syncer_main(void *arg)
{
        struct root_syncer *s = arg;

        pthread_mutex_lock(&s->lock);
        for (;;) {
                while (!s->kicked && !s->stop)
                        pthread_cond_wait(&s->cond, &s->lock);
                if (s->stop)
                        break;
                s->kicked = false;
                pthread_mutex_unlock(&s->lock);
                int r = syncfs(s->fd) < 0 ? -errno : 0;
                pthread_mutex_lock(&s->lock);
                if (r < 0 && !s->error)
                        s->error = r;
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

/* Stops the thread; returns the first error a background syncfs saw. */
static int syncer_stop(struct root *r)
{
        struct root_syncer *s = r->syncer;
        int error;

        if (!s)
                return 0;
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        error = s->error;
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        close(s->fd);
        free(s);
        r->syncer = NULL;
        return error;
}

void root_sync_kick(struct root *r)
{
        static int cpus;
        struct root_syncer *s = r->syncer;

        if (!cpus)
                cpus = (int) sysconf(_SC_NPROCESSORS_ONLN);
        /* On one CPU the flusher would only take turns with us. */
        if (cpus < 2)
                return;
        if (!s) {
                int fd = root_openat(r, "/", O_RDONLY | O_DIRECTORY, 0);
                if (fd < 0)
                        return;
                s = xmalloc(sizeof(*s));
                *s = (struct root_syncer) { .fd = fd };
                pthread_mutex_init(&s->lock, NULL);
                pthread_cond_init(&s->cond, NULL);
                if (pthread_create(&s->thread, NULL, syncer_main, s) != 0) {
                        pthread_cond_destroy(&s->cond);
                        pthread_mutex_destroy(&s->lock);
                        close(fd);
                        free(s);
                        return;
                }
                r->syncer = s;
        }
        pthread_mutex_lock(&s->lock);
        s->kicked = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

int root_sync(struct root *r)
{
        /* A background syncfs's error is not reported again to a later
         * syncfs on another file descriptor: keep it. */
        int bg = syncer_stop(r);
        _cleanup_close_ int fd = root_openat(r, "/", O_RDONLY | O_DIRECTORY, 0);

        if (fd < 0)
                return fd;
        if (syncfs(fd) < 0)
                return -errno;
        return bg;
}
