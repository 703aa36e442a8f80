/* SPDX-License-Identifier: Apache-2.0 */
/* The disks stage: the storage steps in Ignition's order. Each step plans
 * all of its entries before it changes anything; a failed step stops the
 * stage, and the steps after it never run. */

#include <stdlib.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/storage.h"
#include "ignis/util.h"

/* The disks the config partitions, awaited and pinned before the first
 * step (later steps wait for the devices they name themselves). */
static int wait_disks(const struct ig_config *c, const struct storage_options *o)
{
        size_t n = c->storage.disks.n;
        char **paths = xcalloc(n + 1, sizeof(char *)), **wheres = xcalloc(n + 1, sizeof(char *));
        int r;

        for (size_t i = 0; i < n; i++) {
                paths[i] = c->storage.disks.v[i].device;
                wheres[i] = xasprintf("$.storage.disks[%zu].device", i);
        }
        r = storage_devices_wait(o, paths, wheres, n);
        for (size_t i = 0; i < n; i++)
                free(wheres[i]);
        free(wheres);
        free(paths);
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
        r = wait_disks(c, o);
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
