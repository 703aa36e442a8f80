/* SPDX-License-Identifier: Apache-2.0 */
/* ignition.platform.id=auto (or none): which platform is this? Ignition
 * needs the id baked into each image; one ignis image can serve every
 * cloud by reading what the firmware says (DMI, as systemd's hwdb and
 * cloud-init's ds-identify do) and which config media are attached. An
 * explicit id always wins; nothing recognised means metal. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

char *dmi_read(const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/class/dmi/id/%s", provider_sysfs_root(), name);
        char *text = NULL;
        size_t len;

        if (read_full_file(path, 4096, &text, &len) < 0)
                return NULL;
        while (len > 0 && strchr(" \t\r\n", text[len - 1]))
                text[--len] = '\0';
        return text;
}

enum match { EQUALS, PREFIX, CONTAINS };

/* One DMI rule: field, how, value -> platform. First match wins, so the
 * specific ones (Azure's asset tag) come before the generic ones. */
static const struct rule {
        const char *field;
        enum match how;
        const char *value;
        const char *platform;
} rules[] = {
        { "chassis_asset_tag", EQUALS, "7783-7084-3265-9085-8269-3286-77", "azure" },
        { "sys_vendor", EQUALS, "Amazon EC2", "aws" },
        { "bios_vendor", EQUALS, "Amazon EC2", "aws" },
        { "product_uuid", PREFIX, "ec2", "aws" },
        { "product_name", EQUALS, "Google Compute Engine", "gcp" },
        { "product_serial", PREFIX, "GoogleCloud-", "gcp" },
        { "sys_vendor", EQUALS, "Google", "gcp" },
        { "chassis_asset_tag", EQUALS, "OracleCloud.com", "oraclecloud" },
        { "sys_vendor", EQUALS, "DigitalOcean", "digitalocean" },
        { "sys_vendor", EQUALS, "Hetzner", "hetzner" },
        { "bios_vendor", EQUALS, "Hetzner", "hetzner" },
        { "sys_vendor", EQUALS, "Vultr", "vultr" },
        { "product_name", PREFIX, "Exoscale", "exoscale" },
        { "product_name", EQUALS, "Alibaba Cloud ECS", "aliyun" },
        { "sys_vendor", EQUALS, "UpCloud", "upcloud" },
        { "sys_vendor", EQUALS, "Linode", "akamai" },
        { "sys_vendor", EQUALS, "Akamai", "akamai" },
        { "sys_vendor", EQUALS, "Scaleway", "scaleway" },
        { "product_name", EQUALS, "OpenStack Nova", "openstack" },
        { "product_name", EQUALS, "OpenStack Compute", "openstack" },
        { "chassis_asset_tag", EQUALS, "OpenTelekomCloud", "openstack" },
        { "chassis_asset_tag", EQUALS, "SAP CCloud VM", "openstack" },
        { "chassis_asset_tag", EQUALS, "HUAWEICLOUD", "openstack" },
        { "chassis_asset_tag", EQUALS, "Samsung Cloud Platform", "openstack" },
        { "sys_vendor", EQUALS, "Nutanix", "nutanix" },
        { "sys_vendor", EQUALS, "KubeVirt", "kubevirt" },
        { "product_name", CONTAINS, "VMware", "vmware" },
        { "sys_vendor", EQUALS, "VMware, Inc.", "vmware" },
        { "product_name", EQUALS, "VirtualBox", "virtualbox" },
        { "sys_vendor", EQUALS, "innotek GmbH", "virtualbox" },
};

static const char *const dmi_fields[] = {
        "sys_vendor", "bios_vendor", "product_name", "product_serial", "product_uuid", "chassis_asset_tag",
};

static bool matches(const struct rule *r, const char *v)
{
        size_t n = strlen(r->value);

        switch (r->how) {
        case EQUALS:
                return strcmp(v, r->value) == 0;
        case PREFIX:
                /* product_uuid is lower case on some kernels, upper on others. */
                return strncasecmp(v, r->value, n) == 0;
        case CONTAINS:
                return strstr(v, r->value) != NULL;
        }
        return false;
}

/* Early in the initramfs, udev is still loading the drivers of the disks
 * that coldplug found (a NoCloud seed on virtio shows up a few seconds
 * after the first stage starts): wait until its queue is empty, as
 * `udevadm settle` does, but bounded. */
static void wait_for_udev(void)
{
        _cleanup_free_ char *queue = xasprintf("%s/queue", provider_udev_run_dir());
        struct timespec start, now;
        bool waited = false;

        clock_gettime(CLOCK_MONOTONIC, &start);
        while (access(queue, F_OK) == 0) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= 10) {
                        log_info("udev is still busy after 10s: looking for config media anyway");
                        return;
                }
                waited = true;
                nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        if (waited) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                log_info("waited %.1fs for udev to finish probing devices",
                         (double) (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9);
        }
}

static const char *detect(void)
{
        char *values[ELEMENTSOF(dmi_fields)];
        const char *found = NULL;
        struct medium m;
        struct stat st;

        for (size_t i = 0; i < ELEMENTSOF(dmi_fields); i++)
                values[i] = dmi_read(dmi_fields[i]);
        log_info("auto-detecting the platform: DMI sys_vendor=\"%s\" bios_vendor=\"%s\" product_name=\"%s\" "
                 "chassis_asset_tag=\"%s\"", values[0] ?: "", values[1] ?: "", values[2] ?: "",
                 values[5] ?: "");

        for (size_t i = 0; i < ELEMENTSOF(rules) && !found; i++)
                for (size_t j = 0; j < ELEMENTSOF(dmi_fields); j++)
                        if (strcmp(rules[i].field, dmi_fields[j]) == 0 && values[j] && matches(&rules[i], values[j])) {
                                /* The rule's value, not the field's: serial
                                 * numbers and UUIDs identify the machine. */
                                log_info("platform %s: DMI %s %s \"%s\"", rules[i].platform, rules[i].field,
                                         rules[i].how == EQUALS ? "is" : rules[i].how == PREFIX ? "starts with"
                                                                                                  : "contains",
                                         rules[i].value);
                                found = rules[i].platform;
                                break;
                        }

        /* Azure's VMs say this too, with Azure's asset tag (the first rule):
         * without it, this is Hyper-V itself. */
        if (!found && values[0] && strcmp(values[0], "Microsoft Corporation") == 0 && values[2] &&
            strcmp(values[2], "Virtual Machine") == 0) {
                log_info("platform hyperv: DMI sys_vendor is \"Microsoft Corporation\" and product_name \"Virtual "
                         "Machine\", without Azure's asset tag");
                found = "hyperv";
        }

        /* Platforms that say nothing in DMI (Proxmox VE, libvirt and plain
         * QEMU say "QEMU") are told apart by what they attach. */
        if (!found)
                wait_for_udev();
        if (!found) {
                static const char *const config2[] = { "config-2", "CONFIG-2", NULL };
                static const char *const cidata[] = { "cidata", "CIDATA", NULL };

                if (medium_find(config2, NULL, 0, &m) == 0) {
                        log_info("platform openstack: a config drive labelled %s is attached (%s)", m.label, m.dev);
                        found = "openstack";
                } else if (medium_find(cidata, NULL, 0, &m) == 0) {
                        log_info("platform nocloud: a medium labelled %s is attached (%s)", m.label, m.dev);
                        found = "nocloud";
                }
                medium_free(&m);
        }
        if (!found && ((values[0] && strcmp(values[0], "QEMU") == 0) || stat(provider_fw_cfg_root(), &st) == 0)) {
                log_info("platform qemu: %s", values[0] && strcmp(values[0], "QEMU") == 0
                                                      ? "DMI sys_vendor is \"QEMU\""
                                                      : "QEMU's fw_cfg interface is present");
                found = "qemu";
        }
        if (!found && values[0] && values[2] && strcmp(values[0], "Apple Inc.") == 0 &&
            strcmp(values[2], "Apple Virtualization Generic Platform") == 0)
                /* Not picked: DMI says Apple's Virtualization framework, not
                 * whether the VM's manager serves a config on vsock (vfkit
                 * does, most others do not), and a guess would turn every
                 * other such VM's boot into a failure after the budget. */
                log_info("DMI names Apple's Virtualization framework: if the VM's manager serves the config over "
                         "vsock (vfkit, podman machine), boot with ignition.platform.id=applehv");
        if (!found) {
                log_info("platform metal: nothing in DMI or attached media names a platform");
                found = "metal";
        }
        for (size_t i = 0; i < ELEMENTSOF(dmi_fields); i++)
                free(values[i]);
        return found;
}

const char *provider_resolve(const char *platform)
{
        static const char *detected;

        if (platform && *platform && strcmp(platform, "auto") != 0)
                return platform;
        if (!detected)
                detected = detect();
        return detected;
}
