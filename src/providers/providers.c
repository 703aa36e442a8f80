/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/log.h"
#include "ignis/providers.h"

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

        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                if (strcmp(platform, ids[i]) == 0)
                        return true;
        return false;
}

bool provider_needs_network(const char *platform)
{
        /* Platforms whose config may come only from a metadata service.
         * Config-drive and fw_cfg style platforms are read offline. */
        static const char *const ids[] = {
                "akamai", "aliyun", "aws", "azure", "azurestack", "brightbox", "cloudstack", "digitalocean",
                "exoscale", "gcp", "hetzner", "ibmcloud", "openstack", "oraclecloud", "packet", "scaleway",
                "upcloud", "vultr",
        };

        if (!platform)
                return false;
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                if (strcmp(platform, ids[i]) == 0)
                        return true;
        return false;
}

int provider_fetch(const char *platform, struct fetched_config *out)
{
        const char *sysfs = getenv("IGNIS_FW_CFG_ROOT");

        *out = (struct fetched_config) {};
        if (!platform || !*platform)
                return log_error_errno(EINVAL, "No platform: boot with ignition.platform.id=<platform> "
                                       "(e.g. qemu or metal)");
        if (strcmp(platform, "qemu") == 0)
                /* The sysfs root can be moved for tests that fake fw_cfg. */
                return provider_qemu_fetch(sysfs ? sysfs : "/sys/firmware/qemu_fw_cfg", out);
        if (strcmp(platform, "aws") == 0)
                return provider_aws_fetch(out);
        if (strcmp(platform, "gcp") == 0)
                return provider_gcp_fetch(out);
        if (strcmp(platform, "metal") == 0) {
                /* Bare metal has no config source of its own: the config comes
                 * from ignition.config.url or a system config, or there is none. */
                log_info("platform metal: no provider config (use ignition.config.url)");
                return 0;
        }
        return log_error_errno(EOPNOTSUPP, "Platform \"%s\" is not supported yet (supported: qemu, metal, aws, gcp)", platform);
}
