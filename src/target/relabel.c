/* SPDX-License-Identifier: Apache-2.0 */
/* SELinux: files created from the initramfs carry no labels; where the
 * target has a policy, label what this run created with setfiles, as
 * Ignition does. A target without a policy needs nothing (Debian's Ignition
 * fails there; we do not). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/target.h"

/* Reads SELINUX= and SELINUXTYPE= from the target's /etc/selinux/config.
 * Returns 1 when a policy is active, 0 when there is none or it is
 * disabled. */
static int selinux_policy(struct target *t, char **type)
{
        int fd = root_openat(&t->root, "/etc/selinux/config", O_RDONLY, 0);
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];
        bool enabled = false;

        *type = NULL;
        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        f = fdopen(fd, "re");
        if (!f) {
                close(fd);
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                char *v;
                line[strcspn(line, "\r\n")] = '\0';
                if ((v = strchr(line, '=')) == NULL || line[0] == '#')
                        continue;
                *v++ = '\0';
                if (strcmp(line, "SELINUX") == 0)
                        enabled = strcmp(v, "disabled") != 0;
                else if (strcmp(line, "SELINUXTYPE") == 0) {
                        free(*type);
                        *type = xstrdup(v);
                }
        }
        return enabled && *type ? 1 : 0;
}

static int relabel_spawn(struct target *t)
{
        _cleanup_free_ char *type = NULL, *contexts = NULL;
        int r;

        r = selinux_policy(t, &type);
        if (r < 0)
                return log_error_errno(r, "Cannot read the target's /etc/selinux/config: %m");
        if (r == 0)
                return 0;
        contexts = xasprintf("%s/etc/selinux/%s/contexts/files/file_contexts", t->root.path, type);
        /* setfiles reads NUL-separated paths from stdin with -0 -f -. */
        char *argv[] = { "setfiles", "-vF0", "-r", t->root.path, contexts, "-f", "-", NULL };
        r = exec_start(argv, NULL, &t->relabel);
        if (r < 0)
                return log_error_errno(r, "Failed to run setfiles: %m");
        t->relabel_started = true;
        return 1;
}

int target_relabel_start(struct target *t)
{
        return t->relabel_started ? 0 : relabel_spawn(t);
}

int target_relabel(struct target *t)
{
        _cleanup_free_ char *input = NULL;
        struct exec_result res;
        size_t len = 0;
        int r;

        if (!t->relabel_started) {
                /* Nothing to relabel: no need to look for a policy. */
                if (t->created.n == 0)
                        return 0;
                r = relabel_spawn(t);
                if (r <= 0)
                        return r;
        }

        target_created_minimal(t);
        for (size_t i = 0; i < t->created.n; i++)
                len += strlen(t->root.path) + strlen(t->created.v[i]) + 1;
        input = xmalloc(len + 1);
        len = 0;
        for (size_t i = 0; i < t->created.n; i++)
                len += (size_t) sprintf(input + len, "%s%s", t->root.path, t->created.v[i]) + 1;

        if (t->created.n > 0)
                log_info("relabeling %zu paths", t->created.n);
        t->relabel_started = false;
        r = exec_finish(&t->relabel, input, len, &res);
        if (r < 0)
                return log_error_errno(r, "Failed to run setfiles: %m");
        _cleanup_free_ char *cmd = xasprintf("setfiles -vF0 -r %s ...", t->root.path);
        return exec_result_check(&res, cmd);
}
