/* SPDX-License-Identifier: Apache-2.0 */
/* The root-confined resolver: the user-space fallback must land exactly where
 * openat2(RESOLVE_IN_ROOT) lands (or fail the same way), and nothing may
 * resolve outside the root. Runs on a real tree of symlinks in /tmp. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/log.h"
#include "ignis/rootfs.h"
#include "tap.h"

static int kernel_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
        struct open_how how = { .flags = (uint64_t) flags | O_CLOEXEC, .mode = (flags & O_CREAT) ? mode : 0,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

static void mk(const char *base, const char *rel, const char *link_target)
{
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", base, rel);
        if (link_target) {
                if (symlink(link_target, p) < 0)
                        perror(p);
        } else if (mkdir(p, 0755) < 0)
                perror(p);
}

static void same(int rootfd, const char *path, int flags)
{
        /* Creating cases: the fallback creates, then the kernel must open
         * that very file. */
        int b = root_resolve_fallback(rootfd, path, flags, 0644);
        int a = kernel_in_root(rootfd, path, flags & ~O_EXCL, 0644);
        bool ok;

        if (a == -ENOSYS) {
                tap_ok(b >= 0 || b < 0, "%s: # SKIP kernel has no openat2", path);
                if (b >= 0)
                        close(b);
                return;
        }
        if (a >= 0 && b >= 0) {
                struct stat x, y;
                fstat(a, &x);
                fstat(b, &y);
                ok = x.st_dev == y.st_dev && x.st_ino == y.st_ino;
        } else
                ok = a == b;
        tap_ok(ok, "\"%s\" (flags %#x): kernel %d, fallback %d", path, flags, a < 0 ? a : 0, b < 0 ? b : 0);
        if (a >= 0)
                close(a);
        if (b >= 0)
                close(b);
}

int main(void)
{
        char base[] = "/tmp/ignis-rootfs-XXXXXX";
        char root[1024];
        int rootfd;

        if (!mkdtemp(base))
                return 1;
        /* A "host" directory beside the root: nothing may ever reach it. */
        mk(base, "host", NULL);
        snprintf(root, sizeof(root), "%s/root", base);
        mk(base, "root", NULL);
        mk(root, "a", NULL);
        mk(root, "a/b", NULL);
        mk(root, "etc", "/");
        mk(root, "abs", "/a/b");
        mk(root, "rel", "../../..");
        mk(root, "updots", "a/../../../host");
        mk(root, "loop1", "loop2");
        mk(root, "loop2", "loop1");
        mk(root, "dangling", "/nonexistent/x");
        mk(root, "a/b/up", "../../../../../host");
        mk(root, "a/b/chain", "../../abs");
        {
                char p[4096];
                snprintf(p, sizeof(p), "%s/file", root);
                close(open(p, O_CREAT | O_WRONLY, 0644));
        }
        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

        const char *paths[] = { "a/b", "etc/a/b", "etc/etc/etc/a", "abs", "abs/..", "rel", "rel/a/b", "updots",
                                "a/b/up", "a/b/chain/up", "loop1", "file", "file/x", "missing/x", "dangling",
                                "etc/../../..", "a/./b/../b", "", "." };
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                same(rootfd, paths[i], O_PATH);
                same(rootfd, paths[i], O_PATH | O_DIRECTORY);
        }
        same(rootfd, "abs", O_PATH | O_NOFOLLOW);
        same(rootfd, "etc/a/new-file", O_WRONLY | O_CREAT);
        same(rootfd, "rel/a/b/new2", O_WRONLY | O_CREAT | O_EXCL);

        /* Whatever resolved, nothing was created in the host directory. */
        {
                char p[4096];
                struct stat st;
                snprintf(p, sizeof(p), "%s/host/new-file", base);
                tap_ok(stat(p, &st) < 0, "nothing created outside the root");
        }

        /* root_open_parent creates missing parents inside the root, through
         * an absolute symlink, with 0755 and records them. */
        {
                struct root r;
                struct ig_strv created = {};
                const char *name;
                int fd;
                char p[4096];
                struct stat st;

                root_open(root, &r);
                fd = root_open_parent(&r, "/etc/x/y/z", true, &created, &name);
                snprintf(p, sizeof(p), "%s/x/y", root);
                tap_ok(fd >= 0 && strcmp(name, "z") == 0 && stat(p, &st) == 0 && (st.st_mode & 07777) == 0755,
                       "parents created through /etc -> / land inside the root, 0755");
                tap_ok(created.n == 2 && strcmp(created.v[0], "/etc/x") == 0, "created parents recorded (%zu)",
                       created.n);
                for (size_t i = 0; i < created.n; i++)
                        free(created.v[i]);
                free(created.v);
                if (fd >= 0)
                        close(fd);
                fd = root_open_parent(&r, "/file/sub/x", true, NULL, &name);
                tap_ok(fd == -ENOTDIR, "a file in the way of a parent: ENOTDIR (%d)", fd);
                root_close(&r);
        }

        /* root_new_open/root_new_link: a complete file appears at once or
         * not at all, and never replaces anything -- with O_TMPFILE and with
         * the named temporary file used where O_TMPFILE is missing. */
        {
                static const char *const taken[] = { "regular", "dir", "dangling" };
                char p[4096];
                struct stat st;
                int dfd, n = 0;
                DIR *d;
                struct dirent *de;

                snprintf(p, sizeof(p), "%s/new", root);
                mkdir(p, 0755);
                dfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                close(openat(dfd, "regular", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
                mkdirat(dfd, "dir", 0755);
                symlinkat("/nowhere", dfd, "dangling");
                for (int named = 0; named < 2; named++) {
                        const char *how = named ? "named temporary" : "O_TMPFILE";
                        char fresh[32];
                        struct root_tmp t;
                        int r;

                        snprintf(fresh, sizeof(fresh), "fresh%d", named);
                        r = named ? root_tmp_open(dfd, fresh, 0640, &t) : root_new_open(dfd, fresh, 0640, &t);
                        tap_ok(r == 0 && write(t.fd, "data\n", 5) == 5, "%s: created", how);
                        tap_ok(fstatat(dfd, fresh, &st, AT_SYMLINK_NOFOLLOW) < 0,
                               "%s: nothing under the final name before the link", how);
                        r = root_new_link(&t, fresh);
                        root_tmp_discard(&t);
                        tap_ok(r == 0 && fstatat(dfd, fresh, &st, 0) == 0 && st.st_size == 5 &&
                               (st.st_mode & 07777) == 0640, "%s: linked in complete, with its mode (%d)", how, r);
                        for (size_t i = 0; i < ELEMENTSOF(taken); i++) {
                                r = named ? root_tmp_open(dfd, taken[i], 0644, &t)
                                          : root_new_open(dfd, taken[i], 0644, &t);
                                if (r == 0)
                                        r = root_new_link(&t, taken[i]);
                                root_tmp_discard(&t);
                                tap_ok(r == -EEXIST && fstatat(dfd, taken[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                       (i == 0   ? S_ISREG(st.st_mode) && st.st_size == 0
                                        : i == 1 ? S_ISDIR(st.st_mode)
                                                 : S_ISLNK(st.st_mode)),
                                       "%s: an existing %s is not replaced (%d)", how, taken[i], r);
                        }
                }
                /* No temporary file is left behind: the five names only. */
                d = opendir(p);
                while (d && (de = readdir(d)))
                        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                                n++;
                if (d)
                        closedir(d);
                tap_ok(n == 5, "nothing but the five names in the directory (%d)", n);
                close(dfd);
        }

        /* root_open_regular: only a regular file is opened; a FIFO (which
         * would block the open), a device, a directory or a symlink never
         * are. */
        {
                struct root r;
                struct stat st;
                char p[4096];
                int fd;

                root_open(root, &r);
                snprintf(p, sizeof(p), "%s/special", root);
                mkdir(p, 0755);
                snprintf(p, sizeof(p), "%s/special/fifo", root);
                mkfifo(p, 0644);
                snprintf(p, sizeof(p), "%s/special/null", root);
                bool have_dev = mknod(p, S_IFCHR | 0644, makedev(1, 3)) == 0;
                snprintf(p, sizeof(p), "%s/special/link", root);
                symlink("/file", p);

                fd = root_open_regular(&r, "/file", O_WRONLY | O_APPEND, &st);
                tap_ok(fd >= 0 && S_ISREG(st.st_mode) && write(fd, "x", 1) == 1, "a regular file is opened (%d)", fd);
                if (fd >= 0)
                        close(fd);
                fd = root_open_regular(&r, "/special/fifo", O_RDONLY, &st);
                tap_ok(fd == ROOT_ENOTREG && S_ISFIFO(st.st_mode), "a FIFO is refused, not waited on (%d)", fd);
                fd = root_open_regular(&r, "/special/fifo", O_WRONLY, &st);
                tap_ok(fd == ROOT_ENOTREG, "a FIFO is refused for writing too (%d)", fd);
                if (have_dev) {
                        fd = root_open_regular(&r, "/special/null", O_WRONLY, &st);
                        tap_ok(fd == ROOT_ENOTREG && S_ISCHR(st.st_mode), "a device node is refused (%d)", fd);
                } else
                        tap_ok(true, "a device node is refused # SKIP mknod: %s", strerror(errno));
                fd = root_open_regular(&r, "/special/link", O_RDONLY, &st);
                tap_ok(fd >= 0 && S_ISREG(st.st_mode), "for reading, a symlink is followed inside the root (%d)", fd);
                if (fd >= 0)
                        close(fd);
                snprintf(p, sizeof(p), "%s/special/tofifo", root);
                symlink("fifo", p);
                fd = root_open_regular(&r, "/special/tofifo", O_RDONLY, &st);
                tap_ok(fd == ROOT_ENOTREG && S_ISFIFO(st.st_mode), "a symlink to a FIFO is refused (%d)", fd);
                {
                        snprintf(p, sizeof(p), "%s/special", root);
                        _cleanup_close_ int dfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        fd = root_open_regular_at(dfd, "link", O_WRONLY | O_APPEND, &st);
                        tap_ok(fd == -ELOOP && S_ISLNK(st.st_mode), "in place (_at): a symlink is not followed (%d)",
                               fd);
                        fd = root_open_regular_at(dfd, "fifo", O_WRONLY | O_APPEND, &st);
                        tap_ok(fd == ROOT_ENOTREG, "in place (_at): a FIFO is refused (%d)", fd);
                        fd = root_open_regular_at(dfd, "../file", O_RDONLY, &st);
                        tap_ok(fd >= 0, "in place (_at): a regular file opens (%d)", fd);
                        if (fd >= 0)
                                close(fd);
                }
                fd = root_open_regular(&r, "/special", O_RDONLY, &st);
                tap_ok(fd == ROOT_ENOTREG && S_ISDIR(st.st_mode), "a directory is refused (%d)", fd);
                fd = root_open_regular(&r, "/special/missing", O_RDONLY, &st);
                tap_ok(fd == -ENOENT, "a missing file: ENOENT (%d)", fd);
                fd = root_open_regular(&r, "/etc/file", O_RDONLY, &st);
                tap_ok(fd >= 0, "its directories are resolved inside the root (/etc -> /) (%d)", fd);
                if (fd >= 0)
                        close(fd);

                /* root_host_path: the host path of what a path inside the
                 * root leads to, never a host directory a symlink names. */
                char *host = fd_host_path(r.fd), *got;
                got = host ? root_host_path(&r, host, "/etc/a/b/x") : NULL;
                snprintf(p, sizeof(p), "%s/a/b/x", host ? host : "");
                tap_ok(got && strcmp(got, p) == 0, "root_host_path through /etc -> /: %s", got ? got : "(null)");
                free(got);
                got = host ? root_host_path(&r, host, "/a/b/up/new-file") : NULL;
                snprintf(p, sizeof(p), "%s/host/new-file", host ? host : "");
                tap_ok(!got, "root_host_path: a directory that is missing inside the root gives nothing (%s)",
                       got ? got : "(null)");
                free(got);
                got = host ? root_host_path(&r, host, "/updots/x") : NULL;
                snprintf(p, sizeof(p), "%s/host/x", host ? host : "");
                tap_ok(!got || strncmp(got, host, strlen(host)) == 0,
                       "root_host_path: a relative symlink that climbs out stays inside (%s)", got ? got : "(null)");
                free(got);
                got = host ? root_host_path(&r, host, "/") : NULL;
                tap_ok(got && strcmp(got, host) == 0, "root_host_path of / is the root");
                free(got);
                free(host);
                root_close(&r);
        }

        /* root_tmp_link replaces a file (overwrite: true) with an unnamed
         * one from root_new_open too: the old contents stay until the
         * rename, and no temporary name is left. */
        {
                char p[4096], buf[16] = "";
                struct root_tmp t;
                struct stat st;
                int dfd, fd, r, n = 0;
                DIR *d;
                struct dirent *de;

                snprintf(p, sizeof(p), "%s/replace", root);
                mkdir(p, 0755);
                dfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                fd = openat(dfd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                tap_ok(fd >= 0 && write(fd, "old\n", 4) == 4, "replace: the old file");
                close(fd);
                r = root_new_open(dfd, "file", 0600, &t);
                tap_ok(r == 0 && write(t.fd, "new contents\n", 13) == 13, "replace: the new file written (%d)", r);
                fd = openat(dfd, "file", O_RDONLY | O_CLOEXEC);
                tap_ok(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 4 && strcmp(buf, "old\n") == 0,
                       "replace: the old contents until the link");
                close(fd);
                r = root_tmp_link(&t, "file");
                root_tmp_discard(&t);
                tap_ok(r == 0 && fstatat(dfd, "file", &st, 0) == 0 && st.st_size == 13 &&
                               (st.st_mode & 07777) == 0600,
                       "replace: renamed over the old file, complete, with its mode (%d)", r);
                d = opendir(p);
                while (d && (de = readdir(d)))
                        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                                n++;
                if (d)
                        closedir(d);
                tap_ok(n == 1, "replace: no temporary name left (%d names)", n);
                close(dfd);
        }

        close(rootfd);
        {
                char cmd[4200];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
                if (system(cmd) != 0)
                        return 1;
        }
        return tap_done();
}
