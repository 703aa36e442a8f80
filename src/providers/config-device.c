/* SPDX-License-Identifier: Apache-2.0 */
/* ignition.config.device=LABEL ignition.config.path=PATH (Ignition 2.27):
 * the config is the file PATH on the filesystem labelled LABEL, for bare
 * metal and VMs booted with a config disk or partition instead of a URL.
 * As Ignition: the label must be one path component, the filesystem may
 * take 30 s to appear, a missing file is an error (the command line named
 * it), and PATH stays on that filesystem. The filesystem is found with
 * libblkid over every block device (no udev link needed) and mounted
 * read-only (media.c). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

int provider_config_device_fetch(const char *label, const char *path, struct fetched_config *out)
{
        const char *const labels[] = { label, NULL };
        const char *paths[1];
        long wait = provider_media_wait_s(30);
        struct medium m;
        char *data[1];
        size_t len[1];
        int r;

        *out = (struct fetched_config) {};
        if (!*label || strchr(label, '/') || strcmp(label, ".") == 0 || strcmp(label, "..") == 0)
                return log_error_errno(EINVAL, "ignition.config.device=%s: not a filesystem label (one path "
                                       "component, as in /dev/disk/by-label/)", label);
        while (*path == '/')
                path++;
        if (!*path)
                return log_error_errno(EINVAL, "ignition.config.path= names no file");
        paths[0] = path;
        log_info("ignition.config.device=%s: looking for the filesystem labelled \"%s\" (up to %lds)", label,
                 label, wait);
        r = medium_find(labels, NULL, wait, &m);
        if (r == -ENOENT)
                return log_error_errno(ENODEV, "ignition.config.device=%s: no filesystem labelled \"%s\" appeared "
                                       "within %lds", label, label, wait);
        if (r < 0)
                return r;
        r = medium_read(&m, paths, 1, data, len);
        if (r >= 0 && !data[0])
                r = log_error_errno(ENOENT, "ignition.config.path=/%s: no such file on %s (labelled \"%s\")", path,
                                    m.dev, label);
        if (r >= 0) {
                out->data = data[0];
                out->len = len[0];
                out->source = xasprintf("%s:/%s (ignition.config.device=%s)", m.dev, path, label);
        }
        medium_free(&m);
        return r;
}
