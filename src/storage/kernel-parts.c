/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/blkpg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "kernel-parts.h"

static int read_u64(const char *dir, const char *name, uint64_t *ret)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name), *text = NULL;
        size_t len;
        char *end;
        int r;

        r = read_full_file(path, 64, &text, &len);
        if (r < 0)
                return r;
        errno = 0;
        *ret = strtoull(text, &end, 10);
        if (errno || end == text)
                return -EINVAL;
        return 0;
}

void kdisk_free(struct kdisk *k)
{
        free(k->v);
        k->v = NULL;
        k->n = 0;
}

int kdisk_read(const char *path, struct kdisk *ret)
{
        _cleanup_(kdisk_free) struct kdisk k = {};
        DIR *d;
        struct dirent *de;
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISBLK(st.st_mode))
                return -ENOTBLK;
        snprintf(k.sysfs, sizeof(k.sysfs), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
        d = opendir(k.sysfs);
        if (!d)
                return log_error_errno(errno, "Cannot read %s: %m", k.sysfs);
        while ((de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;
                uint64_t number;
                struct kpart p = {};

                if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(p.name))
                        continue;
                sub = xasprintf("%s/%s", k.sysfs, de->d_name);
                if (read_u64(sub, "partition", &number) < 0)
                        continue;
                if (read_u64(sub, "start", &p.start) < 0 || read_u64(sub, "size", &p.size) < 0)
                        continue;
                p.number = (uint32_t) number;
                memcpy(p.name, de->d_name, strlen(de->d_name) + 1);
                k.v = xrealloc(k.v, (k.n + 1) * sizeof(*k.v));
                k.v[k.n++] = p;
        }
        closedir(d);
        *ret = k;
        k = (struct kdisk) {};
        return 0;
}

static const struct kpart *kdisk_find(const struct kdisk *k, uint32_t number)
{
        for (size_t i = 0; i < k->n; i++)
                if (k->v[i].number == number)
                        return &k->v[i];
        return NULL;
}

static bool dir_empty(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;
        bool empty = true;

        if (!d)
                return true;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        empty = false;
        closedir(d);
        return empty;
}

/* An exclusive open fails exactly when something has claimed the device:
 * a mounted filesystem, an active swap area, md or device mapper. */
static bool busy(const char *node)
{
        int fd = open(node, O_RDONLY | O_EXCL | O_CLOEXEC);

        if (fd >= 0) {
                close(fd);
                return false;
        }
        return errno == EBUSY;
}

bool kdisk_part_in_use(const struct kdisk *k, uint32_t number)
{
        const struct kpart *p = kdisk_find(k, number);
        _cleanup_free_ char *holders = NULL, *node = NULL;

        if (!p)
                return false;
        holders = xasprintf("%s/%s/holders", k->sysfs, p->name);
        if (!dir_empty(holders))
                return true;
        node = xasprintf("/dev/%s", p->name);
        return busy(node);
}

bool kdisk_whole_in_use(const char *path)
{
        return busy(path);
}

static int blkpg(int fd, int op, uint32_t number, uint64_t start, uint64_t size)
{
        struct blkpg_partition part = {
                .start = (long long) (start * 512),
                .length = (long long) (size * 512),
                .pno = (int) number,
        };
        struct blkpg_ioctl_arg arg = {
                .op = op,
                .datalen = sizeof(part),
                .data = &part,
        };

        return ioctl(fd, BLKPG, &arg) < 0 ? -errno : 0;
}

int kdisk_sync(int fd, const char *path, const char *where, const struct pt_table *table, uint64_t sector_size)
{
        _cleanup_(kdisk_free) struct kdisk k = {};
        uint64_t f = sector_size / 512;
        int r;

        r = kdisk_read(path, &k);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read the kernel's partitions of %s: %m", where, path);

        for (size_t i = 0; i < k.n; i++) {
                const struct kpart *kp = &k.v[i];
                const struct pt_part *want = NULL;

                for (size_t j = 0; j < table->n; j++)
                        if (table->v[j].number == kp->number)
                                want = &table->v[j];
                if (want && want->start * f == kp->start && want->size * f == kp->size)
                        continue;
                r = blkpg(fd, BLKPG_DEL_PARTITION, kp->number, 0, 0);
                if (r < 0)
                        return log_error_errno(r, "%s: the kernel refused to drop its old partition %u (%s): %m "
                                               "(the new table is written; a reboot makes the kernel read it)",
                                               where, kp->number, kp->name);
                log_info("%s: kernel partition %s removed", where, kp->name);
        }
        for (size_t j = 0; j < table->n; j++) {
                const struct pt_part *want = &table->v[j];
                const struct kpart *kp = kdisk_find(&k, want->number);

                if (kp && want->start * f == kp->start && want->size * f == kp->size)
                        continue;
                r = blkpg(fd, BLKPG_ADD_PARTITION, want->number, want->start * f, want->size * f);
                if (r < 0)
                        return log_error_errno(r, "%s: the kernel refused to add partition %u (sectors %" PRIu64
                                               "+%" PRIu64 "): %m", where, want->number, want->start, want->size);
        }

        /* What the kernel now says is what later steps will open. */
        kdisk_free(&k);
        r = kdisk_read(path, &k);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read the kernel's partitions of %s: %m", where, path);
        if (k.n != table->n)
                return log_error_errno(EIO, "%s: the kernel knows %zu partitions of %s, the table has %zu", where,
                                       k.n, path, table->n);
        for (size_t j = 0; j < table->n; j++) {
                const struct pt_part *want = &table->v[j];
                const struct kpart *kp = kdisk_find(&k, want->number);

                if (!kp || kp->start != want->start * f || kp->size != want->size * f)
                        return log_error_errno(EIO, "%s: the kernel's partition %u of %s (start %" PRIu64 ", size %" PRIu64
                                               " in 512-byte units) is not the one written (start %" PRIu64
                                               ", size %" PRIu64 ")", where, want->number, path,
                                               kp ? kp->start : 0, kp ? kp->size : 0, want->start * f, want->size * f);
        }
        return 0;
}
