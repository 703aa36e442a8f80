/* SPDX-License-Identifier: Apache-2.0 */
/* Every environment variable the providers read, in one place. They exist
 * for tests (fake sysfs trees, fake metadata servers on 127.0.0.1) and for
 * `ignis fetch-config` on a machine whose services live elsewhere; in the
 * initramfs none is set. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "internal.h"

static const char *env_or(const char *name, const char *dflt)
{
        const char *v = getenv(name);

        return v && *v ? v : dflt;
}

const char *provider_sysfs_root(void)
{
        return env_or("IGNIS_SYSFS_ROOT", "/sys");
}

const char *provider_dev_root(void)
{
        return env_or("IGNIS_DEV_ROOT", "/dev");
}

const char *provider_vboxguest_device(void)
{
        static char *dflt;

        if (getenv("IGNIS_VBOXGUEST_DEVICE") && *getenv("IGNIS_VBOXGUEST_DEVICE"))
                return getenv("IGNIS_VBOXGUEST_DEVICE");
        if (!dflt)
                dflt = xasprintf("%s/vboxguest", provider_dev_root());
        return dflt;
}

const char *provider_fw_cfg_root(void)
{
        static char *dflt;

        if (getenv("IGNIS_FW_CFG_ROOT") && *getenv("IGNIS_FW_CFG_ROOT"))
                return getenv("IGNIS_FW_CFG_ROOT");
        if (!dflt)
                dflt = xasprintf("%s/firmware/qemu_fw_cfg", provider_sysfs_root());
        return dflt;
}

const char *provider_udev_run_dir(void)
{
        return env_or("IGNIS_UDEV_RUN_DIR", "/run/udev");
}

const char *provider_leases_dir(void)
{
        return env_or("IGNIS_NETIF_LEASES_DIR", "/run/systemd/netif/leases");
}

const char *provider_applehv_transport(void)
{
        return env_or("IGNIS_APPLEHV_ENDPOINT", "vsock:2:1024");
}

const char *provider_endpoint(const char *name, const char *dflt)
{
        char var[64] = "IGNIS_ENDPOINT_";
        size_t n = strlen(var);

        for (const char *p = name; *p && n + 1 < sizeof(var); p++)
                var[n++] = *p == '-' ? '_' : (char) toupper((unsigned char) *p);
        var[n] = '\0';
        return env_or(var, dflt);
}

static long env_seconds(const char *name, long dflt)
{
        const char *v = getenv(name);
        char *end;
        long s;

        if (!v || !*v)
                return dflt;
        errno = 0;
        s = strtol(v, &end, 10);
        if (errno || *end || s < 0) {
                log_warning("%s=%s is not a number of seconds; using %ld", name, v, dflt);
                return dflt;
        }
        return s;
}

long metadata_budget_s(void)
{
        return env_seconds("IGNIS_PROVIDER_TIMEOUT", 120);
}

long provider_media_wait_s(long dflt)
{
        return env_seconds("IGNIS_MEDIA_WAIT", dflt);
}

const char *provider_hyperv_kvp_device(void)
{
        return env_or("IGNIS_HYPERV_KVP_DEVICE", "/dev/vmbus/hv_kvp");
}

long provider_hyperv_quiet_ms(void)
{
        const char *v = getenv("IGNIS_HYPERV_KVP_QUIET_MS");
        char *end;
        long ms;

        if (!v || !*v)
                return 1000;
        errno = 0;
        ms = strtol(v, &end, 10);
        if (errno || *end || ms <= 0 || ms > 3600 * 1000) {
                log_warning("IGNIS_HYPERV_KVP_QUIET_MS=%s is not a number of milliseconds; using 1000", v);
                return 1000;
        }
        return ms;
}
