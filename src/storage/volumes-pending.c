/* SPDX-License-Identifier: Apache-2.0 */
/* RAID, LUKS and filesystems until the volumes work lands (it replaces this
 * file): a config that asks for them is refused, naming the first entry,
 * so the disks stage never reports success for work it did not do.
 * fetch-offline refuses such configs already; this covers a cache edited
 * by hand. */

#include <errno.h>
#include <stddef.h>

#include "ignis/log.h"
#include "ignis/storage.h"

static int refuse(size_t n, const char *what)
{
        if (n == 0)
                return 0;
        return log_error_errno(EOPNOTSUPP, "$.storage.%s[0]: not supported yet by this build of ignis", what);
}

int storage_raid_apply(const struct ig_config *c, const struct storage_options *o)
{
        return refuse(c->storage.raid.n, "raid");
}

int storage_luks_apply(const struct ig_config *c, const struct storage_options *o)
{
        return refuse(c->storage.luks.n, "luks");
}

int storage_filesystems_apply(const struct ig_config *c, const struct storage_options *o)
{
        return refuse(c->storage.filesystems.n, "filesystems");
}

int storage_volumes_plan(const struct ig_config *c, const struct storage_options *o, struct json_object *volumes)
{
        int r = refuse(c->storage.raid.n, "raid");

        if (r == 0)
                r = refuse(c->storage.luks.n, "luks");
        if (r == 0)
                r = refuse(c->storage.filesystems.n, "filesystems");
        return r;
}
