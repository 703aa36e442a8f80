/* SPDX-License-Identifier: Apache-2.0 */
/* Waiting for the block devices a config names, and pinning them.
 *
 * Without systemd's device units to ask, a device "is there" when its path
 * resolves to a block device node. /dev/disk/by-* links are recreated by
 * udev on every change event (and briefly vanish), so each device is resolved
 * once and the stage works on a link of its own to the node it found. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/storage.h"
#include "ignis/util.h"
#include "storage-internal.h"

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Tests partition image files as disks (IGNIS_DISK_IMAGES=1); a boot
 * never does. */
static bool is_block(const char *path)
{
        const char *images = getenv("IGNIS_DISK_IMAGES");
        struct stat st;

        if (stat(path, &st) < 0)
                return false;
        return S_ISBLK(st.st_mode) || (S_ISREG(st.st_mode) && images && strcmp(images, "1") == 0);
}

/* Polls rather than watching: the path may be a link chain that udev
 * creates in several steps, and a poll every 50 ms costs nothing next to
 * the seconds a disk takes to appear. */
static int wait_one(const char *path, const char *where, unsigned timeout_s)
{
        uint64_t deadline;
        bool announced = false;

        if (is_block(path))
                return 0;
        deadline = now_ms() + (uint64_t) timeout_s * 1000;
        for (;;) {
                if (is_block(path)) {
                        if (announced)
                                log_info("device %s appeared", path);
                        return 0;
                }
                if (now_ms() >= deadline)
                        break;
                if (!announced) {
                        log_info("waiting for device %s (%s), up to %u s", path, where, timeout_s);
                        announced = true;
                }
                (void) usleep(50 * 1000);
        }
        if (access(path, F_OK) == 0)
                return log_error_errno(ENOTBLK, "%s: %s exists but is not a block device", where, path);
        return log_error_errno(ETIMEDOUT, "%s: device %s did not appear within %u s", where, path, timeout_s);
}

static char *alias_path(const struct storage_options *o, const char *path)
{
        return xasprintf("%s%s", o->alias_dir ? o->alias_dir : STORAGE_ALIAS_DIR, path);
}

static int pin(const struct storage_options *o, const char *path, const char *where)
{
        _cleanup_free_ char *real = realpath(path, NULL), *alias = alias_path(o, path), *dir = NULL;
        _cleanup_free_ char *tmp = NULL;
        char *slash;
        int r;

        if (!real)
                return log_error_errno(errno, "%s: cannot resolve %s: %m", where, path);
        dir = xstrdup(alias);
        slash = strrchr(dir, '/');
        *slash = '\0';
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        /* Replaced atomically: a second stage run in the same boot re-pins. */
        tmp = xasprintf("%s.ignis-tmp", alias);
        (void) unlink(tmp);
        if (symlink(real, tmp) < 0)
                return log_error_errno(errno, "Cannot create %s: %m", tmp);
        if (rename(tmp, alias) < 0) {
                r = log_error_errno(errno, "Cannot rename %s to %s: %m", tmp, alias);
                (void) unlink(tmp);
                return r;
        }
        if (strcmp(real, path) != 0)
                log_info("%s is %s", path, real);
        return 0;
}

int storage_devices_wait(const struct storage_options *o, char *const *paths, char *const *wheres, size_t n)
{
        int r;

        for (size_t i = 0; i < n; i++) {
                r = wait_one(paths[i], wheres[i], o->device_timeout_s);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++) {
                r = pin(o, paths[i], wheres[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int storage_device_wait(const struct storage_options *o, const char *path, const char *where)
{
        char *paths[] = { (char *) path }, *wheres[] = { (char *) where };

        return storage_devices_wait(o, paths, wheres, 1);
}

bool storage_partition_of(const char *disk, const char *path, uint32_t *number)
{
        size_t n = disk ? strlen(disk) : 0;
        unsigned long v = 0;
        const char *s;

        if (n == 0 || strncmp(path, disk, n) != 0)
                return false;
        s = path + n;
        /* The kernel names a partition disk+N, or disk+"pN" when the disk's
         * name ends in a digit: /dev/nvme0n12 is namespace 12, not
         * partition 2 of /dev/nvme0n1. ("pN" is taken after any name, as
         * image files' partitions are named in tests and `ignis plan`.) */
        if (strncmp(s, "-part", 5) == 0)
                s += 5;
        else if (*s == 'p')
                s++;
        else if (disk[n - 1] >= '0' && disk[n - 1] <= '9')
                return false;
        if (!*s || *s == '0')
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return false;
                v = v * 10 + (unsigned long) (*s - '0');
                if (v > UINT32_MAX)
                        return false;
        }
        if (number)
                *number = (uint32_t) v;
        return true;
}

static bool under(const char *path, const char *dir, const char *name)
{
        size_t n = strlen(dir);

        return name && strncmp(path, dir, n) == 0 && strcmp(path + n, name) == 0;
}

bool storage_device_created(const struct ig_config *c, const char *path)
{
        const struct ig_storage *s = &c->storage;

        for (size_t i = 0; i < s->disks.n; i++) {
                const struct ig_disk *d = &s->disks.v[i];

                if (d->partitions.n > 0 && storage_partition_of(d->device, path, NULL))
                        return true;
                for (size_t k = 0; k < d->partitions.n; k++)
                        if (under(path, "/dev/disk/by-partlabel/", d->partitions.v[k].label) ||
                            under(path, "/dev/disk/by-partuuid/", d->partitions.v[k].guid))
                                return true;
        }
        for (size_t i = 0; i < s->raid.n; i++)
                if (under(path, "/dev/md/", s->raid.v[i].name))
                        return true;
        for (size_t i = 0; i < s->luks.n; i++)
                if (under(path, "/dev/mapper/", s->luks.v[i].name) ||
                    under(path, "/dev/disk/by-id/dm-name-", s->luks.v[i].name))
                        return true;
        return false;
}

char *storage_device_alias(const struct storage_options *o, const char *path)
{
        char *alias = alias_path(o, path);
        struct stat st;

        if (lstat(alias, &st) == 0 && S_ISLNK(st.st_mode))
                return alias;
        free(alias);
        return xstrdup(path);
}

int storage_udev_settle(const char *dev)
{
        const char *udevadm = getenv("IGNIS_UDEVADM");
        int r;

        /* No udevd (a host without it, a test's namespace): nothing is
         * queued, and udevadm would wait for its timeout. */
        if (access("/run/udev/control", F_OK) < 0) {
                log_debug("udevd is not running: nothing to settle");
                return 0;
        }
        if (!udevadm)
                udevadm = "udevadm";
        if (dev) {
                /* udevadm wants the node itself, not a link outside /dev */
                _cleanup_free_ char *node = realpath(dev, NULL);
                char *argv[] = { (char *) udevadm, "trigger", "--settle", node ? node : (char *) dev, NULL };
                r = exec_check(argv, NULL);
        } else {
                char *argv[] = { (char *) udevadm, "settle", NULL };
                r = exec_check(argv, NULL);
        }
        return r < 0 ? log_error_errno(r, "udev did not settle (see above)") : 0;
}
