/* SPDX-License-Identifier: Apache-2.0 */
/* VirtualBox: the config is the guest property /Ignition/Config
 * (virtualbox-config.c), read from the host's guest property service over
 * HGCM (virtualbox-hgcm.c) through the vboxguest driver's device, which
 * this file finds (and loads the driver for). No network. */

#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"
#include "virtualbox.h"

#define WHO "platform virtualbox"

static bool sysfs_equals(const char *dir, const char *name, const char *want)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name), *text = NULL;
        size_t len;

        if (read_full_file(path, 64, &text, &len) < 0)
                return false;
        while (len > 0 && strchr(" \n", text[len - 1]))
                text[--len] = '\0';
        return strcmp(text, want) == 0;
}

/* The VirtualBox guest device (VMMDev, PCI 80ee:cafe): what the vboxguest
 * driver binds to. Only with it does loading the driver make sense. */
static char *vmmdev_find(void)
{
        _cleanup_free_ char *root = xasprintf("%s/bus/pci/devices", provider_sysfs_root());
        DIR *d = opendir(root);
        struct dirent *de;
        char *found = NULL;

        if (!d)
                return NULL;
        while (!found && (de = readdir(d))) {
                _cleanup_free_ char *dev = xasprintf("%s/%s", root, de->d_name);

                if (de->d_name[0] != '.' && sysfs_equals(dev, "vendor", "0x80ee") &&
                    sysfs_equals(dev, "device", "0xcafe"))
                        found = xstrdup(de->d_name);
        }
        closedir(d);
        return found;
}

/* Opens the device into *fd and *t, loading the driver if the guest device
 * is there but the driver not yet. 0 or a negative errno (logged, saying
 * why when there is no device, and that the property cannot be "read" or
 * "deleted": what). */
static int open_device(const char *device, const char *what, int *fd, struct vbox_transport *t)
{
        _cleanup_free_ char *pci = NULL, *vendor = NULL, *product = NULL;
        int r;

        r = vbox_device_open(device, fd, t);
        if (r == -ENOENT && (pci = vmmdev_find())) {
                /* udev loads the driver for the device, maybe not yet; the
                 * device node appears once the driver has bound it. */
                char *argv[] = { "modprobe", "vboxguest", NULL };
                struct exec_result res;

                log_info("%s: %s does not exist yet: loading vboxguest for the VirtualBox guest device (PCI %s)",
                         WHO, device, pci);
                r = exec_run(argv, NULL, &res);
                if (r < 0)
                        log_warning_errno(r, "%s: cannot run modprobe: %m", WHO);
                else {
                        if (res.status != 0) {
                                _cleanup_free_ char *err = exec_tidy_output(res.err ? res.err : "", NULL);
                                log_warning("%s: modprobe vboxguest failed with exit status %d: %s", WHO,
                                            res.status, err);
                        }
                        exec_result_free(&res);
                }
                r = vbox_device_open(device, fd, t);
                if (r == -ENOENT)
                        return log_error_errno(ENODEV, "%s: %s does not exist although the VirtualBox guest device "
                                               "is present (PCI %s): the vboxguest driver is not loaded (is it in "
                                               "the initramfs?), so the guest property " VBOX_CONFIG_PROPERTY
                                               " cannot be %s", WHO, device, pci, what);
        }
        if (r == -ENOENT) {
                vendor = dmi_read("sys_vendor");
                product = dmi_read("product_name");
                return log_error_errno(ENODEV, "%s: %s does not exist: this is not a VirtualBox virtual machine "
                                       "(no VirtualBox guest device on PCI; DMI sys_vendor \"%s\", product_name "
                                       "\"%s\") or the vboxguest driver is not loaded, so the guest property "
                                       VBOX_CONFIG_PROPERTY " cannot be %s (check ignition.platform.id)", WHO,
                                       device, vendor ? vendor : "(none)", product ? product : "(none)", what);
        }
        return r;
}

static int virtualbox_fetch(struct fetched_config *out)
{
        _cleanup_close_ int fd = -1;
        const char *device = provider_vboxguest_device();
        struct vbox_transport t;
        int r;

        *out = (struct fetched_config) {};
        r = open_device(device, "read", &fd, &t);
        if (r < 0)
                return r;
        return virtualbox_fetch_properties(&t, device, out);
}

int provider_virtualbox_delete_config(void)
{
        _cleanup_close_ int fd = -1;
        const char *device = provider_vboxguest_device();
        struct vbox_transport t;
        int r;

        r = open_device(device, "deleted", &fd, &t);
        if (r < 0)
                return r;
        return virtualbox_delete_properties(&t, device);
}

const struct provider provider_virtualbox = { "virtualbox", virtualbox_fetch, false, provider_virtualbox_delete_config };
