/* SPDX-License-Identifier: Apache-2.0 */
/* CloudStack: the config drive (config-2) has the user data at
 * /cloudstack/userdata/user_data.txt; without one, the virtual router,
 * which is the DHCP server, serves it at /latest/user-data. The router's
 * address comes from the DHCP lease (SERVER_ADDRESS in systemd-networkd's
 * lease file), as Ignition does. */

#include <errno.h>
#include <stdlib.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

static int from_drive(struct fetched_config *out)
{
        static const char *const labels[] = { "config-2", "CONFIG-2", NULL };
        static const char *const paths[] = { "cloudstack/userdata/user_data.txt" };
        struct medium m;
        char *data[1];
        size_t len[1];
        int r;

        r = medium_find(labels, NULL, provider_media_wait_s(0), &m);
        if (r < 0)
                return r;
        r = medium_read(&m, paths, 1, data, len);
        if (r >= 0 && data[0]) {
                out->data = data[0];
                out->len = len[0];
                out->source = xasprintf("cloudstack config drive %s:/%s", m.dev, paths[0]);
        } else if (r >= 0)
                log_info("cloudstack: the config drive %s has no /%s: no config", m.dev, paths[0]);
        medium_free(&m);
        return r;
}

static int cloudstack_fetch(struct fetched_config *out)
{
        _cleanup_free_ char *server = NULL, *file = NULL, *base = NULL, *url = NULL;
        const char *env = provider_endpoint("cloudstack", NULL);
        int r;

        *out = (struct fetched_config) {};
        r = from_drive(out);
        if (r != -ENOENT)
                return r;
        if (env)
                base = xstrdup(env);
        else if (dhcp_lease_value("SERVER_ADDRESS", &server, &file) == 0) {
                log_info("cloudstack: the virtual router is %s (the DHCP server, from %s)", server, file);
                base = xasprintf("http://%s", server);
        } else
                return log_error_errno(ENOENT, "cloudstack: no config drive, and no DHCP lease in %s names the "
                                       "virtual router (SERVER_ADDRESS)", provider_leases_dir());
        url = xasprintf("%s/latest/user-data", base);
        return metadata_fetch_userdata("cloudstack", url, NULL, false, out);
}

const struct provider provider_cloudstack = { "cloudstack", cloudstack_fetch, true };
