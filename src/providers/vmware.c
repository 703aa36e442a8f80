/* SPDX-License-Identifier: Apache-2.0 */
/* VMware (vSphere, Workstation, Fusion): the config from the VM's guestinfo
 * variables (vmware-guestinfo.c), read from the hypervisor over GuestRPC
 * (vmware-rpc.c) through the backdoor port (vmware-backdoor.c). The
 * backdoor is touched only when DMI says VMware (a non-VMware machine gets
 * a message, never a fault), and only on x86_64. No network. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "internal.h"
#include "vmware.h"

#define WHO "platform vmware"

static bool dmi_says_vmware(char **vendor, char **product)
{
        *vendor = dmi_read("sys_vendor");
        *product = dmi_read("product_name");
        return (*vendor && strcmp(*vendor, "VMware, Inc.") == 0) || (*product && strstr(*product, "VMware"));
}

/* The backdoor, once DMI said VMware: never touched on another machine. */
static int open_backdoor(struct vmw_transport *t)
{
        _cleanup_free_ char *vendor = NULL, *product = NULL;

        if (!dmi_says_vmware(&vendor, &product))
                return log_error_errno(ENODEV, "%s: this is not a VMware virtual machine (DMI sys_vendor \"%s\", "
                                       "product_name \"%s\"): guestinfo is not read (check "
                                       "ignition.platform.id)", WHO, vendor ? vendor : "(none)",
                                       product ? product : "(none)");
        return vmw_backdoor_probe(t);
}

static int vmware_fetch(struct fetched_config *out)
{
        struct vmw_transport t;
        int r;

        *out = (struct fetched_config) {};
        r = open_backdoor(&t);
        if (r < 0)
                return r;
        return vmware_fetch_guestinfo(&t, out);
}

static int vmware_delete_config(void)
{
        struct vmw_transport t;
        int r = open_backdoor(&t);

        if (r < 0)
                return r;
        return vmware_delete_guestinfo(&t);
}

const struct provider provider_vmware = { "vmware", vmware_fetch, false, vmware_delete_config };
