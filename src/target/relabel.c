/* SPDX-License-Identifier: Apache-2.0 */
/* SELinux: files created from the initramfs carry no labels; where the
 * target has a policy, label what this run created with setfiles, as
 * Ignition does. A target without a policy needs nothing (Debian's Ignition
 * fails there; we do not). */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/target.h"

/* Reads SELINUX= and SELINUXTYPE= from the target's /etc/selinux/config.
 * Returns 1 when a policy is active, 0 when there is none or it is
 * disabled. */
static int selinux_policy(struct target *t, char **type)
{
        struct stat st;
        int fd = root_open_regular(&t->root, "/etc/selinux/config", O_RDONLY, &st);
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];
        bool enabled = false;

        *type = NULL;
        if (fd == ROOT_ENOTREG)
                log_error("the target's /etc/selinux/config is %s, not a regular file", root_file_type(st.st_mode));
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

/* A policy name is one directory under /etc/selinux. */
static bool policy_name_valid(const char *type)
{
        return *type && !strchr(type, '/') && strcmp(type, ".") != 0 && strcmp(type, "..") != 0;
}

/* setfiles takes host paths and resolves them itself, on the host: every
 * path handed to it (the policy's file_contexts, -r, each created path) is
 * first resolved inside the root, so a symlink in the target (/opt ->
 * /usr/local/host-dir, /etc -> ../outside/etc) cannot make it read or label
 * the host's files. */
static int relabel_spawn(struct target *t)
{
        _cleanup_free_ char *type = NULL, *dir = NULL, *host_dir = NULL, *contexts = NULL;
        int r;

        r = selinux_policy(t, &type);
        if (r < 0)
                return log_error_errno(r, "Cannot read the target's /etc/selinux/config: %m");
        if (r == 0)
                return 0;
        if (!policy_name_valid(type))
                return log_error_errno(EINVAL, "The target's /etc/selinux/config names the policy \"%s\", "
                                       "which is not a directory name", type);
        if (!t->root_host) {
                t->root_host = fd_host_path(t->root.fd);
                if (!t->root_host)
                        return log_error_errno(ENOENT, "Cannot tell the path of the target root %s", t->root.path);
        }
        dir = xasprintf("/etc/selinux/%s/contexts/files/file_contexts", type);
        host_dir = root_host_path(&t->root, t->root_host, dir);
        if (!host_dir)
                return log_error_errno(ENOENT, "Cannot open the target's %s inside the root", dir);
        contexts = TAKE_PTR(host_dir);
        /* setfiles reads NUL-separated paths from stdin with -0 -f -. */
        char *argv[] = { "setfiles", "-vF0", "-r", t->root_host, contexts, "-f", "-", NULL };
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
        _cleanup_free_ char *input = NULL, *last_dir = NULL, *last_host = NULL;
        struct exec_result res;
        size_t len = 0, alloc = 0, n = 0;
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
        for (size_t i = 0; i < t->created.n; i++) {
                const char *p = t->created.v[i], *slash = strrchr(p, '/');
                size_t dl = slash ? (size_t) (slash - p) : 0;
                _cleanup_free_ char *host = NULL;

                /* Sorted: files of one directory come together, which is
                 * then resolved once. */
                if (dl > 0 && last_dir && strlen(last_dir) == dl && memcmp(last_dir, p, dl) == 0)
                        host = last_host ? xasprintf("%s/%s", last_host, slash + 1) : NULL;
                else {
                        host = root_host_path(&t->root, t->root_host, p);
                        free(last_dir);
                        free(last_host);
                        last_dir = xstrndup(p, dl);
                        last_host = NULL;
                        if (host && dl > 0)
                                last_host = xstrndup(host, strlen(host) - strlen(slash + 1) - 1);
                }
                if (!host) {
                        log_warning("%s: not labelled: it no longer lies where it was written inside the root", p);
                        continue;
                }
                if (len + strlen(host) + 1 > alloc) {
                        alloc = (len + strlen(host) + 1) * 2;
                        input = xrealloc(input, alloc);
                }
                memcpy(input + len, host, strlen(host) + 1);
                len += strlen(host) + 1;
                n++;
        }

        if (n > 0)
                log_info("relabeling %zu paths", n);
        t->relabel_started = false;
        r = exec_finish(&t->relabel, input, len, &res);
        if (r < 0)
                return log_error_errno(r, "Failed to run setfiles: %m");
        _cleanup_free_ char *cmd = xasprintf("setfiles -vF0 -r %s ...", t->root_host);
        return exec_result_check(&res, cmd);
}

/* setfiles is the host's, but it loads the target's policy: file_contexts
 * and, when present, file_contexts.bin, regular expressions precompiled by
 * PCRE2, whose loader is not meant for untrusted input. */
int target_relabel_check_no_programs(struct target *t, bool config_selinux)
{
        _cleanup_free_ char *type = NULL;
        int r;

        if (config_selinux)
                return log_error_errno(EPERM, "the config writes into /etc/selinux, which decides whether setfiles "
                                       "labels the tree with the target's policy at the end: refused by "
                                       "--no-target-programs");
        r = selinux_policy(t, &type);
        if (r < 0)
                return log_error_errno(r, "Cannot read the target's /etc/selinux/config: %m");
        if (r == 0)
                return 0;
        return log_error_errno(EPERM, "the target has an SELinux policy (/etc/selinux/config: SELINUXTYPE=%s): "
                               "labelling what this run writes runs setfiles on the target's policy files: refused "
                               "by --no-target-programs (label the tree afterwards with a policy you trust)", type);
}
