/* SPDX-License-Identifier: Apache-2.0 */
/* storage.raid: one `mdadm --create` per array, with Ignition's arguments,
 * then a wait for /dev/md/NAME. Like Ignition, arrays are always created
 * (--force --run): there is no reuse of an existing array. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/storage.h"
#include "storage-internal.h"

#define RAID_WAIT_SECONDS 30

static char **raid_argv(const struct ig_raid *md)
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
                argv[n++] = xstrdup(storage_device_path(md->devices.v[i]));
        return argv;
}

static void argv_free(char **argv)
{
        for (char **a = argv; a && *a; a++)
                free(*a);
        free(argv);
}

static int wait_for(const char *path, const char *what)
{
        struct timespec start, now;

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                if (access(path, F_OK) == 0)
                        return 0;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= RAID_WAIT_SECONDS)
                        return log_error_errno(ETIMEDOUT, "%s: %s did not appear within %d s", what, path,
                                               RAID_WAIT_SECONDS);
                usleep(100 * 1000);
        }
}

int storage_raid_apply(const struct ig_config *c)
{
        const struct ig_storage *s = &c->storage;
        int r;

        if (s->raid.n == 0)
                return 0;
        if (!exec_have("mdadm"))
                return log_error_errno(ENOENT, "$.storage.raid[0] \"%s\": mdadm is not installed; no array was created",
                                       s->raid.v[0].name);
        for (size_t i = 0; i < s->raid.n; i++) {
                const struct ig_raid *md = &s->raid.v[i];
                _cleanup_free_ char *what = storage_entry("raid", i, md->name), *dev = NULL, *cmd = NULL;
                char **argv;
                struct exec_result res;

                for (size_t k = 0; k < md->devices.n; k++) {
                        r = storage_wait_device(storage_device_path(md->devices.v[k]), what);
                        if (r < 0)
                                return r;
                }
                argv = raid_argv(md);

                cmd = exec_describe(argv, NULL);
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
                r = wait_for(dev, what);
                if (r < 0)
                        return r;
                storage_settle(dev);
        }
        return 0;
}
