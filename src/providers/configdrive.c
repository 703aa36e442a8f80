/* SPDX-License-Identifier: Apache-2.0 */
/* OpenStack-style config drives: a filesystem labelled config-2 (or
 * CONFIG-2), iso9660 or vfat, with the user data at
 * /openstack/latest/user_data. OpenStack (openstack.c) tries it before its
 * metadata service; KubeVirt's cloudInitConfigDrive, Nutanix AHV and IBM
 * Power Virtual Server have nothing else, so those wait for the drive. */

#include <errno.h>
#include <stdlib.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

static const char *const labels[] = { "config-2", "CONFIG-2", NULL };

int configdrive_fetch(const char *platform, long wait_s, struct fetched_config *out)
{
        static const char *const paths[] = { "openstack/latest/user_data" };
        struct medium m;
        char *data[1];
        size_t len[1];
        int r;

        *out = (struct fetched_config) {};
        r = medium_find(labels, NULL, wait_s, &m);
        if (r < 0)
                return r;
        r = medium_read(&m, paths, 1, data, len);
        if (r >= 0) {
                if (data[0]) {
                        out->data = data[0];
                        out->len = len[0];
                        out->source = xasprintf("%s config drive %s:/%s", platform, m.dev, paths[0]);
                } else
                        log_info("%s: the config drive %s has no /%s: no config", platform, m.dev, paths[0]);
        }
        medium_free(&m);
        return r;
}

/* The platforms whose only source is the drive: waiting is all they can do,
 * but not forever (Ignition does): a clear failure after a while beats a
 * boot that hangs without a word. */
static int drive_only(const char *platform, struct fetched_config *out)
{
        long wait = provider_media_wait_s(120);
        int r;

        log_info("%s: looking for a config drive labelled config-2 (waiting up to %lds)", platform, wait);
        r = configdrive_fetch(platform, wait, out);
        if (r == -ENOENT)
                return log_error_errno(ENOENT, "%s: no config drive (a filesystem labelled config-2 or CONFIG-2) "
                                       "appeared within %lds", platform, wait);
        return r;
}

static int nutanix_fetch(struct fetched_config *out)
{
        return drive_only("nutanix", out);
}

static int powervs_fetch(struct fetched_config *out)
{
        return drive_only("powervs", out);
}

const struct provider provider_nutanix = { "nutanix", nutanix_fetch };
const struct provider provider_powervs = { "powervs", powervs_fetch };
