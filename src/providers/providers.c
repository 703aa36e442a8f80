/* SPDX-License-Identifier: Apache-2.0 */
/* The table of platforms and what every provider's result goes through
 * (gzip, HTML checks) in one place. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "internal.h"

#define PLATFORM(id) extern const struct provider provider_##id;
#include "platforms.h"
#undef PLATFORM

static const struct provider *const table[] = {
#define PLATFORM(id) &provider_##id,
#include "platforms.h"
#undef PLATFORM
};

void fetched_config_free(struct fetched_config *f)
{
        free(f->data);
        free(f->source);
        *f = (struct fetched_config) {};
}

bool provider_known(const char *platform)
{
        /* Ignition's registered ids; "file" is its test platform. */
        static const char *const ids[] = {
                "akamai", "aliyun", "applehv", "aws", "azure", "azurestack", "brightbox", "cloudstack",
                "digitalocean", "exoscale", "file", "gcp", "hetzner", "hyperv", "ibmcloud", "kubevirt",
                "metal", "nutanix", "nvidiabluefield", "openstack", "oraclecloud", "packet", "powervs",
                "proxmoxve", "qemu", "scaleway", "upcloud", "virtualbox", "vmware", "vultr", "zvm",
        };

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (strcmp(platform, ids[i]) == 0)
                        return true;
        return provider_find(platform) != NULL;
}

const struct provider *provider_find(const char *platform)
{
        if (!platform)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(platform, table[i]->id) == 0)
                        return table[i];
        return NULL;
}

const char *provider_supported_list(void)
{
        static char buf[512];

        if (!buf[0]) {
                size_t n = 0;
                for (size_t i = 0; i < ELEMENTSOF(table) && n < sizeof(buf); i++)
                        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "", table[i]->id);
        }
        return buf;
}

bool provider_needs_network(const char *platform)
{
        /* Ignition's network platforms this build may not serve yet: the
         * fetch stage then gives the "not supported" answer, with the
         * network up as it would be. */
        static const char *const others[] = { "packet" };
        const struct provider *p = provider_find(platform);

        if (p)
                return p->network;
        for (size_t i = 0; platform && i < ELEMENTSOF(others); i++)
                if (strcmp(platform, others[i]) == 0)
                        return true;
        return false;
}

int provider_fetch(const char *platform, struct fetched_config *out)
{
        const struct provider *p = provider_find(platform);
        int r;

        *out = (struct fetched_config) {};
        if (!p)
                return log_error_errno(provider_known(platform) ? EOPNOTSUPP : EINVAL,
                                       "Platform \"%s\" is not supported by this build of ignis (supported: %s, "
                                       "or auto)", platform, provider_supported_list());
        r = p->fetch(out);
        if (r < 0) {
                fetched_config_free(out);
                return r;
        }
        if (!out->data)
                return 0;
        if (!out->source)
                out->source = xstrdup(platform);
        r = provider_gunzip_if_gzip(out);
        if (r >= 0 && provider_looks_like_html(out->data, out->len))
                /* A captive portal or a proxy's error page answering for the
                 * metadata service: say so instead of a JSON syntax error. */
                r = log_error_errno(EBADMSG, "%s: got an HTML page instead of a config (a proxy or an error "
                                    "page answering for the platform's service?)", out->source);
        if (r < 0)
                fetched_config_free(out);
        return r;
}

static int metal_fetch(struct fetched_config *out)
{
        /* Bare metal has no config source of its own: the config comes from
         * ignition.config.url or a system config, or there is none. */
        log_info("platform metal: no provider config (use ignition.config.url)");
        return 0;
}

static int qemu_fetch(struct fetched_config *out)
{
        return provider_qemu_fetch(provider_fw_cfg_root(), out);
}

const struct provider provider_metal = { "metal", metal_fetch };
const struct provider provider_aws = { "aws", provider_aws_fetch, true };
const struct provider provider_gcp = { "gcp", provider_gcp_fetch, true };
const struct provider provider_qemu = { "qemu", qemu_fetch };
