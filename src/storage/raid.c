/* SPDX-License-Identifier: Apache-2.0 */
/* storage.raid: one `mdadm --create` per array, with Ignition's arguments,
 * then a wait for /dev/md/NAME (pinned like the disks). Like Ignition, arrays are always created
 * (--force --run): there is no reuse of an existing array. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/storage.h"
#include "storage-internal.h"

/* o NULL: the devices as the config names them (for the log line); else
 * their pinned aliases (what mdadm opens). */
static char **raid_argv(const struct ig_raid *md, const struct storage_options *o)
{
        int64_t spares = ig_int_or(md->spares, 0);
        char **argv = xcalloc(md->options.n + md->devices.n + 16, sizeof(char *));
        size_t n = 0;

        argv[n++] = xstrdup("mdadm");
        argv[n++] = xstrdup("--create");
        argv[n++] = xstrdup(md->name);
        argv[n++] = xstrdup("--force");
        argv[n++] = xstrdup("--run");
        argv[n++] = xstrdup("--homehost");
        argv[n++] = xstrdup("any");
        argv[n++] = xstrdup("--level");
        argv[n++] = xstrdup(md->level);
        argv[n++] = xstrdup("--raid-devices");
        argv[n++] = xasprintf("%" PRId64, (int64_t) md->devices.n - spares);
        if (spares > 0) {
                argv[n++] = xstrdup("--spare-devices");
                argv[n++] = xasprintf("%" PRId64, spares);
        }
        for (size_t i = 0; i < md->options.n; i++)
                argv[n++] = xstrdup(md->options.v[i]);
        for (size_t i = 0; i < md->devices.n; i++)
                argv[n++] = o ? storage_device_alias(o, md->devices.v[i]) : xstrdup(md->devices.v[i]);
        return argv;
}

static void argv_free(char **argv)
{
        for (char **a = argv; a && *a; a++)
                free(*a);
        free(argv);
}

int storage_raid_check(const struct ig_config *c)
{
        if (c->storage.raid.n > 0 && !exec_have("mdadm"))
                return log_error_errno(ENOENT, "$.storage.raid[0] \"%s\": mdadm is not installed; no array was created",
                                       c->storage.raid.v[0].name);
        return 0;
}

int storage_raid_apply(const struct ig_config *c, const struct storage_options *o)
{
        const struct ig_storage *s = &c->storage;
        int r;

        r = storage_raid_check(c);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->raid.n; i++) {
                const struct ig_raid *md = &s->raid.v[i];
                _cleanup_free_ char *what = storage_entry("raid", i, md->name), *dev = NULL, *cmd = NULL;
                char **argv;
                struct exec_result res;

                /* Members an earlier step made (partitions) are awaited
                 * and pinned here; the others were pinned up front. */
                for (size_t k = 0; k < md->devices.n; k++) {
                        r = storage_device_wait(o, md->devices.v[k], what);
                        if (r < 0)
                                return r;
                }
                argv = raid_argv(md, NULL);
                cmd = exec_describe(argv, NULL);
                argv_free(argv);
                argv = raid_argv(md, o);
                log_info("%s: creating the %s array: %s", what, md->level, cmd);
                r = exec_run(argv, NULL, &res);
                argv_free(argv);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot run mdadm: %m", what);
                if (res.status != 0) {
                        log_error("%s: creating the array failed:", what);
                        return exec_result_check(&res, cmd);
                }
                exec_result_free(&res);
                dev = strncmp(md->name, "/dev/", 5) == 0 ? xstrdup(md->name) : xasprintf("/dev/md/%s", md->name);
                r = storage_device_wait(o, dev, what);
                if (r < 0)
                        return r;
                (void) storage_udev_settle(dev);
        }
        return 0;
}

int storage_raid_plan(const struct ig_config *c, struct json_object *out)
{
        const struct ig_storage *s = &c->storage;
        int r = storage_raid_check(c);

        for (size_t i = 0; i < s->raid.n; i++) {
                const struct ig_raid *md = &s->raid.v[i];
                _cleanup_free_ char *what = storage_entry("raid", i, md->name), *devs = xstrdup("");

                for (size_t k = 0; k < md->devices.n; k++) {
                        char *t = xasprintf("%s%s%s", devs, k ? " " : "", md->devices.v[k]);
                        free(devs);
                        devs = t;
                }
                /* Arrays are always created, as Ignition does: the members' data is lost. */
                storage_plan_add(out, "raid", what, "create", true,
                                 xasprintf("%s /dev/md/%s on %s (%" PRId64 " spare)", md->level, md->name, devs,
                                           ig_int_or(md->spares, 0)));
        }
        return r;
}
