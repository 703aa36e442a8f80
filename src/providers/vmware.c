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

static int vmware_fetch(struct fetched_config *out)
{
        _cleanup_free_ char *vendor = NULL, *product = NULL;
        struct vmw_transport t;
        int r;

        *out = (struct fetched_config) {};
        if (!dmi_says_vmware(&vendor, &product))
                return log_error_errno(ENODEV, "%s: this is not a VMware virtual machine (DMI sys_vendor \"%s\", "
                                       "product_name \"%s\"): guestinfo is not read (check "
                                       "ignition.platform.id)", WHO, vendor ? vendor : "(none)",
                                       product ? product : "(none)");
        r = vmw_backdoor_probe(&t);
        if (r < 0)
                return r;
        return vmware_fetch_guestinfo(&t, out);
}

const struct provider provider_vmware = { "vmware", vmware_fetch, false };
