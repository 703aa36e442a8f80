/* SPDX-License-Identifier: Apache-2.0 */
/* `ignis plan` for RAID, LUKS and filesystems: each step's own planning
 * (the decision code the disks stage runs), nothing changed. */

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "ignis/storage.h"
#include "storage-internal.h"

void storage_plan_add(struct json_object *out, const char *object, const char *what, const char *action,
                      bool destructive, char *detail)
{
        struct json_object *v = json_object_new_object();

        json_object_object_add(v, "action", json_object_new_string(action));
        json_object_object_add(v, "object", json_object_new_string(object));
        json_object_object_add(v, "config", json_object_new_string(what));
        json_object_object_add(v, "detail", json_object_new_string(detail));
        json_object_object_add(v, "destructive", json_object_new_boolean(destructive));
        json_object_array_add(out, v);
        free(detail);
}

int storage_volumes_plan(const struct ig_config *c, const struct storage_options *o,
                         const struct storage_layout *layout, struct json_object *volumes)
{
        int r = 0;

        /* Every step planned, so one run names every problem. */
        if (storage_raid_plan(c, volumes) < 0)
                r = -EINVAL;
        if (storage_luks_check(c) < 0 || storage_luks_plan(c, o, layout, volumes) < 0)
                r = -EINVAL;
        if (storage_filesystems_plan(c, o, layout, volumes) < 0)
                r = -EINVAL;
        return r;
}
