/* SPDX-License-Identifier: Apache-2.0 */
/* Device paths from the config, as the storage steps use them, and the
 * wait for them to appear. */

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ignis/log.h"
#include "ignis/storage.h"

/* systemd's default device timeout, which Ignition's waits inherit. */
#define DEVICE_WAIT_SECONDS 90

const char *storage_device_path(const char *configured)
{
        /* One place to route every device through: pinned aliases of
         * /dev/disk/by-* links resolve here once they exist. */
        return configured;
}

static int wait_seconds(void)
{
        const char *e = getenv("IGNIS_DEVICE_TIMEOUT");
        char *end;
        long v;

        if (!e || !*e)
                return DEVICE_WAIT_SECONDS;
        v = strtol(e, &end, 10);
        return *end || v < 0 || v > 3600 ? DEVICE_WAIT_SECONDS : (int) v;
}

int storage_wait_device(const char *path, const char *what)
{
        struct timespec start, now;
        struct stat st;
        int limit;

        if (stat(path, &st) == 0)
                return 0;
        if (errno != ENOENT)
                return log_error_errno(errno, "%s: cannot look at %s: %m", what, path);
        limit = wait_seconds();
        /* udev may still be loading the driver or making the link. */
        log_info("%s: waiting for %s (up to %d s)", what, path, limit);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                usleep(50 * 1000);
                if (stat(path, &st) == 0)
                        return 0;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= limit)
                        return log_error_errno(ETIMEDOUT, "%s: %s did not appear within %d s (nothing was changed "
                                               "by this step)", what, path, limit);
        }
}
