/* SPDX-License-Identifier: Apache-2.0 */
/* NVIDIA BlueField DPUs: the host pushes the config through the boot FIFO,
 * which the mlxbf_bootctl driver shows as a sysfs file; the unused rest of
 * the FIFO reads as NUL bytes. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

#define DEVICE "bus/platform/devices/MLNXBF04:00"

static int nvidiabluefield_fetch(struct fetched_config *out)
{
        _cleanup_free_ char *dev = xasprintf("%s/" DEVICE, provider_sysfs_root());
        _cleanup_free_ char *path = xasprintf("%s/bootfifo", dev);
        char *data = NULL;
        size_t len;
        struct stat st;
        int r;

        *out = (struct fetched_config) {};
        if (stat(dev, &st) < 0) {
                char *argv[] = { "modprobe", "mlxbf_bootctl", NULL };
                struct exec_result res;
                if (exec_run(argv, NULL, &res) == 0)
                        exec_result_free(&res);
        }
        r = read_full_file(path, IG_CONFIG_MAX_SIZE, &data, &len);
        if (r == -ENOENT) {
                log_info("nvidiabluefield: no boot FIFO (%s): no config", path);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "nvidiabluefield: cannot read %s: %m", path);
        len = strnlen(data, len);
        if (len == 0) {
                free(data);
                log_info("nvidiabluefield: the boot FIFO is empty: no config");
                return 0;
        }
        data[len] = '\0';
        out->data = data;
        out->len = len;
        out->source = xasprintf("nvidiabluefield boot FIFO %s", path);
        return 0;
}

const struct provider provider_nvidiabluefield = { "nvidiabluefield", nvidiabluefield_fetch, false };
