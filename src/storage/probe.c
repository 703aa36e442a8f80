/* SPDX-License-Identifier: Apache-2.0 */
/* Reading and erasing signatures on block devices with libblkid. */

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "storage-internal.h"

static inline void blkid_free_probep(blkid_probe *p)
{
        if (*p)
                sym_blkid_free_probe(*p);
}
#define _cleanup_probe_ _cleanup_(blkid_free_probep)

static char *value(blkid_probe pr, const char *name)
{
        const char *v = NULL;

        if (sym_blkid_probe_lookup_value(pr, name, &v, NULL) < 0 || !v)
                return NULL;
        return xstrdup(v);
}

static int probe_once(const char *dev, uint64_t offset, uint64_t size, bool allow_ambiguous,
                      struct probe_info *info)
{
        _cleanup_probe_ blkid_probe pr = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = dlopen_blkid();
        if (r < 0)
                return r;
        fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        /* A disk and each of its partitions have page caches of their own:
         * what mkfs wrote through the partition's node may not be in the
         * disk's cached pages of the same bytes. Clean pages are dropped. */
        if (offset > 0 || size > 0)
                (void) posix_fadvise(fd, (off_t) offset, (off_t) size, POSIX_FADV_DONTNEED);
        pr = sym_blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        r = sym_blkid_probe_set_device(pr, fd, (blkid_loff_t) offset, (blkid_loff_t) size);
        if (r < 0)
                return -EIO;
        sym_blkid_probe_enable_superblocks(pr, 1);
        sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                                      BLKID_SUBLKS_VERSION);
        sym_blkid_probe_enable_partitions(pr, 1);
        r = allow_ambiguous ? sym_blkid_do_probe(pr) : sym_blkid_do_safeprobe(pr);
        if (r == -2)
                return -ENOTUNIQ;
        if (r < 0)
                return -EIO;
        if (r == 0) {
                info->type = value(pr, "TYPE");
                info->label = value(pr, "LABEL");
                info->uuid = value(pr, "UUID");
                info->version = value(pr, "VERSION");
                info->pttype = value(pr, "PTTYPE");
        }
        return 0;
}

int storage_probe_range(const char *dev, uint64_t offset, uint64_t size, struct probe_info *info)
{
        int r;

        *info = (struct probe_info) {};
        r = probe_once(dev, offset, size, false, info);
        if (r == -ENOTUNIQ) {
                log_warning("%s carries more than one signature; using the first libblkid finds", dev);
                r = probe_once(dev, offset, size, true, info);
        }
        if (r < 0)
                probe_info_free(info);
        return r;
}

int storage_probe(const char *dev, struct probe_info *info)
{
        return storage_probe_range(dev, 0, 0, info);
}

void probe_info_free(struct probe_info *info)
{
        free(info->type);
        free(info->label);
        free(info->uuid);
        free(info->version);
        free(info->pttype);
        *info = (struct probe_info) {};
}

int storage_wipe_quiet(const char *dev, int *count)
{
        _cleanup_probe_ blkid_probe pr = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        *count = 0;
        r = dlopen_blkid();
        if (r < 0)
                return r;
        fd = open(dev, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        pr = sym_blkid_new_probe();
        if (!pr || sym_blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        sym_blkid_probe_enable_superblocks(pr, 1);
        sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
        sym_blkid_probe_enable_partitions(pr, 1);
        sym_blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
        /* Each round finds the next signature; wiping it (libblkid writes
         * zeros and syncs) moves the probe on, as wipefs -a does. */
        while ((r = sym_blkid_do_probe(pr)) == 0) {
                if (sym_blkid_do_wipe(pr, 0) < 0)
                        return -EIO;
                (*count)++;
        }
        return r < 0 ? -EIO : 0;
}

int storage_wipe(const char *dev, const char *what)
{
        int n, r = storage_wipe_quiet(dev, &n);

        if (r < 0)
                return log_error_errno(r, "%s: erasing the signatures on %s failed: %m", what, dev);
        if (n > 0)
                log_info("%s: erased %d signature%s on %s", what, n, n == 1 ? "" : "s", dev);
        return 0;
}

char *storage_entry(const char *list, size_t index, const char *name)
{
        return xasprintf("$.storage.%s[%zu] \"%s\"", list, index, name ? name : "");
}
