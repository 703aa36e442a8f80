/* SPDX-License-Identifier: Apache-2.0 */
/* The disks stage: the storage steps in Ignition's order. Every device the
 * config names is awaited and pinned once, up front, unless an earlier step
 * makes it (that step's successor waits for it). Then every step's checks
 * run, and only when all of them pass does the first step change a disk:
 * a LUKS option error never comes after a partition table was written. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/storage.h"
#include "ignis/util.h"

struct devlist {
        char **paths, **wheres;         /* room for every device the config names */
        size_t n;
};

static void devlist_add(struct devlist *l, const struct ig_config *c, const char *path, char *where)
{
        if (!path || storage_device_created(c, path)) {
                free(where);
                return;
        }
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->paths[i], path) == 0) {
                        free(where);
                        return;
                }
        l->paths[l->n] = (char *) path;
        l->wheres[l->n++] = where;
}

/* Every device the config names that is there before the stage starts:
 * the disks, RAID members, LUKS devices, filesystem devices. */
static int wait_devices(const struct ig_config *c, const struct storage_options *o)
{
        const struct ig_storage *s = &c->storage;
        struct devlist l = {};
        size_t max = s->disks.n + s->luks.n + s->filesystems.n;
        int r;

        for (size_t i = 0; i < s->raid.n; i++)
                max += s->raid.v[i].devices.n;
        l.paths = xcalloc(max + 1, sizeof(char *));
        l.wheres = xcalloc(max + 1, sizeof(char *));

        for (size_t i = 0; i < s->disks.n; i++)
                devlist_add(&l, c, s->disks.v[i].device, xasprintf("$.storage.disks[%zu].device", i));
        for (size_t i = 0; i < s->raid.n; i++)
                for (size_t k = 0; k < s->raid.v[i].devices.n; k++)
                        devlist_add(&l, c, s->raid.v[i].devices.v[k],
                                    xasprintf("$.storage.raid[%zu].devices[%zu]", i, k));
        for (size_t i = 0; i < s->luks.n; i++)
                devlist_add(&l, c, s->luks.v[i].device, xasprintf("$.storage.luks[%zu].device", i));
        for (size_t i = 0; i < s->filesystems.n; i++) {
                const char *f = s->filesystems.v[i].format;
                /* virtiofs names a mount tag, not a device */
                if (f && strcmp(f, "virtiofs") == 0)
                        continue;
                devlist_add(&l, c, s->filesystems.v[i].device, xasprintf("$.storage.filesystems[%zu].device", i));
        }
        r = storage_devices_wait(o, l.paths, l.wheres, l.n);
        for (size_t i = 0; i < l.n; i++)
                free(l.wheres[i]);
        free(l.wheres);
        free(l.paths);
        return r;
}

/* Each step's checks, none of which changes anything. All run, so one
 * stage run reports every problem it can find. */
static int check_all(const struct ig_config *c, const struct storage_options *o)
{
        struct storage_layout *layout = NULL;
        int r = 0;

        /* The partition plan, kept only for the checks: the step makes it
         * again on the same tables. The filesystems on its partitions are
         * checked through it, as they will be once the table is written. */
        if (c->storage.disks.n > 0 && storage_partitions_plan(c, o, NULL, &layout) < 0)
                r = -EINVAL;
        if (storage_raid_check(c) < 0)
                r = -EINVAL;
        if (storage_luks_check(c) < 0)
                r = -EINVAL;
        if (storage_luks_check_devices(c, o, layout) < 0)
                r = -EINVAL;
        if (storage_filesystems_check(c, o, layout) < 0)
                r = -EINVAL;
        storage_layout_free(layout);
        if (r < 0)
                log_error("stage disks: nothing was changed (fix the entries above)");
        return r;
}

int stage_disks(const struct ig_config *c, const struct storage_options *o)
{
        const struct ig_storage *s = &c->storage;
        int r;

        if (s->disks.n + s->raid.n + s->luks.n + s->filesystems.n == 0) {
                log_info("stage disks: nothing to do");
                return 0;
        }
        r = wait_devices(c, o);
        if (r >= 0)
                r = check_all(c, o);
        if (r >= 0)
                r = storage_partitions_apply(c, o);
        if (r >= 0)
                r = storage_raid_apply(c, o);
        if (r >= 0)
                r = storage_luks_apply(c, o);
        /* A volume manager step (LVM) goes here, between the block layers
         * and the filesystems on top of them. */
        if (r >= 0)
                r = storage_filesystems_apply(c, o);
        return r;
}
