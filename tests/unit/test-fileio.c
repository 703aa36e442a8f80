/* SPDX-License-Identifier: Apache-2.0 */
/* read_full_file: size limits from st_size only where st_size is true. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignis/log.h"
#include "ignis/util.h"
#include "tap.h"

int main(void)
{
        char path[] = "/tmp/ignis-fileio-XXXXXX";
        char *buf = NULL;
        size_t len = 0;
        int fd, r;

        /* sysfs reports st_size 4096 for a few bytes (fw_cfg's "size" file
         * is one of these): a 64-byte limit must still read it. */
        r = read_full_file("/sys/kernel/mm/transparent_hugepage/enabled", 64, &buf, &len);
        if (r == -ENOENT)
                tap_ok(1, "sysfs attribute # SKIP not present here");
        else
                tap_ok(r == 0 && len > 0 && len < 64, "sysfs attribute read under a 64-byte limit (%d, %zu bytes)", r, len);
        free(buf);
        buf = NULL;

        r = read_full_file("/proc/self/comm", 64, &buf, &len);
        tap_ok(r == 0 && len > 0 && buf[len] == '\0', "procfs (st_size 0) read and NUL-terminated");
        free(buf);
        buf = NULL;

        fd = mkstemp(path);
        if (fd < 0 || write(fd, "0123456789", 10) != 10)
                return 1;
        close(fd);
        r = read_full_file(path, 9, &buf, &len);
        tap_ok(r == -EFBIG && !buf, "a regular file over the limit is refused by its size");
        r = read_full_file(path, 10, &buf, &len);
        tap_ok(r == 0 && len == 10 && strcmp(buf, "0123456789") == 0, "a file at the limit is read whole");
        free(buf);
        unlink(path);

        r = read_full_file("/tmp", 10, &buf, &len);
        tap_ok(r == -EISDIR, "a directory is refused");
        return tap_done();
}
