/* SPDX-License-Identifier: Apache-2.0 */
/* QEMU: the config is the fw_cfg item opt/com.coreos/config
 * (-fw_cfg name=opt/com.coreos/config,file=config.ign), which the
 * qemu_fw_cfg driver shows under /sys/firmware/qemu_fw_cfg/by_name. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "ignis/util.h"

#define ITEM "by_name/opt/com.coreos/config"

static int load_driver(const char *sysfs_root)
{
        struct stat st;
        char *argv[] = { "modprobe", "qemu_fw_cfg", NULL };
        struct exec_result res;

        if (stat(sysfs_root, &st) == 0)
                return 0;
        if (exec_run(argv, NULL, &res) == 0) {
                if (res.status != 0)
                        log_warning("modprobe qemu_fw_cfg failed (exit status %d): %s", res.status,
                                    res.err ? res.err : "");
                exec_result_free(&res);
        }
        return 0;
}

int provider_qemu_fetch(const char *sysfs_root, struct fetched_config *out)
{
        _cleanup_free_ char *size_path = xasprintf("%s/" ITEM "/size", sysfs_root);
        _cleanup_free_ char *raw_path = xasprintf("%s/" ITEM "/raw", sysfs_root);
        _cleanup_free_ char *size_text = NULL, *buf = NULL;
        _cleanup_close_ int fd = -1;
        size_t len, size, got = 0;
        int r;

        *out = (struct fetched_config) {};
        load_driver(sysfs_root);

        r = read_full_file(size_path, 64, &size_text, &len);
        if (r == -ENOENT) {
                log_info("no config in QEMU fw_cfg (no opt/com.coreos/config item)");
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", size_path);
        {
                char *end;
                errno = 0;
                size = strtoull(size_text, &end, 10);
                if (errno || end == size_text || (*end && *end != '\n'))
                        return log_error_errno(EINVAL, "%s: not a size: \"%s\"", size_path, size_text);
        }
        if (size > IG_CONFIG_MAX_SIZE)
                return log_error_errno(EFBIG, "The fw_cfg config is %zu bytes, larger than the limit of %u MiB", size,
                                       IG_CONFIG_MAX_SIZE / (1024 * 1024));

        fd = open(raw_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", raw_path);
        /* Each read of the sysfs file restarts the fw_cfg transfer from the
         * beginning up to its offset: read it in one large request. */
        buf = xmalloc(size + 1);
        while (got < size) {
                ssize_t n = read(fd, buf + got, size - got);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "Cannot read %s: %m", raw_path);
                }
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        if (got < size)
                /* A config cut short would fail to parse at best, or parse
                 * as something else (a truncated JSON string in an array). */
                return log_error_errno(EIO, "The fw_cfg item opt/com.coreos/config is %zu bytes but only %zu could "
                                       "be read: truncated", size, got);
        buf[got] = '\0';
        out->data = TAKE_PTR(buf);
        out->len = got;
        out->source = xstrdup("QEMU fw_cfg opt/com.coreos/config");
        return 0;
}
