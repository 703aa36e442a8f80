/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"

/* sysfs says 4096 and procfs 0 for files of any length: their st_size
 * must not decide anything. */
static bool size_is_fake(int fd)
{
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0)
                return true;
        return sf.f_type == SYSFS_MAGIC || sf.f_type == PROC_SUPER_MAGIC;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;

        if (strcmp(path, "-") == 0)
                fd = dup(STDIN_FILENO);
        else
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, max, ret, ret_len);
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, alloc = 0;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (S_ISREG(st.st_mode) && !size_is_fake(fd)) {
                if ((size_t) st.st_size > max)
                        return -EFBIG;
                /* One spare byte for the NUL and one so that the read which
                 * sees EOF does not force a doubling of a large buffer. */
                alloc = (size_t) st.st_size + 2;
        }
        if (alloc < 4096)
                alloc = 4096;
        buf = xmalloc(alloc);

        for (;;) {
                ssize_t n;

                if (len + 1 >= alloc) {
                        if (alloc > max + 1)
                                return -EFBIG;
                        alloc *= 2;
                        buf = xrealloc(buf, alloc);
                }
                n = read(fd, buf + len, alloc - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int loop_write(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
