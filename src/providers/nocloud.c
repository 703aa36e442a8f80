/* SPDX-License-Identifier: Apache-2.0 */
/* NoCloud seeds: a filesystem labelled cidata with /user-data at its root,
 * which Proxmox VE ("cloud-init drive"), KubeVirt (cloudInitNoCloud),
 * libvirt users (cloud-localds) and IBM Cloud VPC attach. The platform id
 * nocloud is ignis's own (Ignition has none); proxmoxve, ibmcloud and
 * kubevirt read the same medium as Ignition does. Such media usually carry
 * cloud-init data: that is reported and the boot goes on without a config,
 * as Ignition does on Proxmox VE. */

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

int nocloud_fetch(const char *platform, long wait_s, bool vendor_data, struct fetched_config *out)
{
        static const char *const labels[] = { "cidata", "CIDATA", NULL };
        static const char *const paths[] = { "user-data", "vendor-data" };
        size_t n = vendor_data ? 2 : 1;
        struct medium m;
        char *data[2];
        size_t len[2];
        int r;

        *out = (struct fetched_config) {};
        r = medium_find(labels, NULL, wait_s, &m);
        if (r < 0)
                return r;
        r = medium_read(&m, paths, n, data, len);
        if (r < 0) {
                medium_free(&m);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                if (!data[i] || out->data)
                        continue;
                if (provider_is_cloud_init_data(data[i], len[i])) {
                        log_warning("%s: /%s on %s is cloud-init data, not an Ignition config: ignored", platform,
                                    paths[i], m.dev);
                        continue;
                }
                out->data = TAKE_PTR(data[i]);
                out->len = len[i];
                out->source = xasprintf("%s medium %s:/%s", platform, m.dev, paths[i]);
        }
        for (size_t i = 0; i < n; i++)
                free(data[i]);
        if (!out->data)
                log_info("%s: no Ignition config on the cidata medium %s", platform, m.dev);
        medium_free(&m);
        return 0;
}

static int cidata(const char *platform, bool vendor_data, struct fetched_config *out)
{
        long wait = provider_media_wait_s(30);
        int r;

        log_info("%s: looking for a medium labelled cidata (waiting up to %lds)", platform, wait);
        r = nocloud_fetch(platform, wait, vendor_data, out);
        if (r == -ENOENT) {
                log_info("%s: no cidata medium appeared within %lds: no config", platform, wait);
                return 0;
        }
        return r;
}

/* vendor-data too: on Proxmox VE (which auto-detection calls nocloud: its
 * DMI says QEMU) user-data is generated from the UI as #cloud-config, and
 * the user's own data goes in with cicustom vendor=... */
static int nocloud_provider(struct fetched_config *out)
{
        return cidata("nocloud", true, out);
}

static int proxmoxve_fetch(struct fetched_config *out)
{
        return cidata("proxmoxve", true, out);
}

static int ibmcloud_fetch(struct fetched_config *out)
{
        return cidata("ibmcloud", false, out);
}

/* KubeVirt attaches either kind of medium (cloudInitNoCloud or
 * cloudInitConfigDrive): whichever is there. */
static int kubevirt_fetch(struct fetched_config *out)
{
        long wait = provider_media_wait_s(120);
        struct timespec start, now;
        int r;

        log_info("kubevirt: looking for a cidata or config-2 medium (waiting up to %lds)", wait);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                r = nocloud_fetch("kubevirt", 0, false, out);
                if (r != -ENOENT)
                        return r;
                r = configdrive_fetch("kubevirt", 0, out);
                if (r != -ENOENT)
                        return r;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= wait)
                        return log_error_errno(ENOENT, "kubevirt: no cidata or config-2 medium appeared within "
                                               "%lds", wait);
                sleep(1);
        }
}

const struct provider provider_nocloud = { "nocloud", nocloud_provider };
const struct provider provider_proxmoxve = { "proxmoxve", proxmoxve_fetch };
const struct provider provider_ibmcloud = { "ibmcloud", ibmcloud_fetch };
const struct provider provider_kubevirt = { "kubevirt", kubevirt_fetch };
