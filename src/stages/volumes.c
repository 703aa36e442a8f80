/* SPDX-License-Identifier: Apache-2.0 */
/* The disks, mount and umount stages' calls into storage/ for RAID, LUKS
 * and filesystems. Partitions (storage.disks) come with the partition
 * planner; until then a config with them is refused here, before any
 * other step runs. */

#include <errno.h>
#include <stddef.h>

#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/storage.h"

int stage_volumes_disks(const struct ig_config *c, const char *state_dir)
{
        int r;

        if (c->storage.disks.n > 0)
                return log_error_errno(EOPNOTSUPP, "$.storage.disks[0]: partitioning is not supported yet by this "
                                       "build of ignis");
        /* What can be checked without touching a device, for every entry,
         * before the first array or volume is made. */
        r = storage_luks_check(c);
        if (r < 0)
                return r;
        r = storage_raid_apply(c);
        if (r < 0)
                return r;
        r = storage_luks_apply(c, state_dir);
        if (r < 0)
                return r;
        /* (A volume manager step goes here: on RAID/LUKS, under the
         * filesystems.) */
        return storage_filesystems_apply(c);
}
