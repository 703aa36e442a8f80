/* SPDX-License-Identifier: Apache-2.0 */
/* Config media: OpenStack config drives (config-2), NoCloud seeds
 * (cidata), Azure's provisioning CD. Found by filesystem label and type
 * with libblkid, over the block devices sysfs lists (not the udev
 * by-label links, which may not exist yet in an early initramfs and which
 * a test cannot fake), mounted read-only with libmount in a private
 * temporary directory, read, and unmounted. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <blkid/blkid.h>

#include "ignis-build.h"
#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "ignis/rootfs.h"
#include "ignis/util.h"
#include "internal.h"

void medium_free(struct medium *m)
{
        free(m->dev);
        free(m->type);
        free(m->label);
        *m = (struct medium) {};
}

static bool in_list(const char *const *list, const char *s)
{
        if (!list)
                return true;
        for (; *list; list++)
                if (strcmp(*list, s) == 0)
                        return true;
        return false;
}

/* Label and type of dev's filesystem, or -errno. A CD-ROM drive without a
 * disc fails to open (ENOMEDIUM): that is "no medium here". */
static int probe(const char *dev, char **label, char **type)
{
        blkid_probe pr;
        const char *v;
        int r;

        r = dlopen_blkid();
        if (r < 0)
                return r;
        r = -ENOENT;
        pr = sym_blkid_new_probe_from_filename(dev);
        if (!pr)
                return errno ? -errno : -EIO;
        sym_blkid_probe_enable_superblocks(pr, 1);
        sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE);
        if (sym_blkid_do_safeprobe(pr) == 0 && sym_blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0) {
                *type = xstrdup(v);
                *label = sym_blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 ? xstrdup(v) : NULL;
                r = 0;
        }
        sym_blkid_free_probe(pr);
        return r;
}

static int cmp_names(const void *a, const void *b)
{
        return strverscmp(*(char *const *) a, *(char *const *) b);
}

static int scan_once(const char *const *labels, const char *const *types, struct medium *ret)
{
        _cleanup_free_ char *dir = xasprintf("%s/class/block", provider_sysfs_root());
        char **names = NULL;
        size_t n = 0;
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = -ENOENT;

        if (!d)
                return -ENOENT;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strncmp(de->d_name, "ram", 3) == 0)
                        continue;
                names = xrealloc(names, (n + 1) * sizeof(char *));
                names[n++] = xstrdup(de->d_name);
        }
        closedir(d);
        /* sr0 before vda: a stable order, so two media with the label give
         * the same answer on every boot. */
        if (n > 1)
                qsort(names, n, sizeof(char *), cmp_names);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *dev = xasprintf("%s/%s", provider_dev_root(), names[i]);
                _cleanup_free_ char *label = NULL, *type = NULL;

                if (r == 0 || probe(dev, &label, &type) < 0)
                        continue;
                if (!label || !in_list(labels, label) || !in_list(types, type))
                        continue;
                ret->dev = TAKE_PTR(dev);
                ret->type = TAKE_PTR(type);
                ret->label = TAKE_PTR(label);
                r = 0;
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

int medium_find(const char *const *labels, const char *const *types, long wait_s, struct medium *ret)
{
        struct timespec start, now;
        int r;

        *ret = (struct medium) {};
        /* Without libblkid no medium could ever be recognised: say so now
         * rather than after waiting for one. */
        r = dlopen_blkid();
        if (r < 0)
                return log_error_errno(r, "Cannot look for a config medium without %s", IGNIS_LIBBLKID_SONAME);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                if (scan_once(labels, types, ret) == 0) {
                        log_info("config medium %s: %s filesystem labelled \"%s\"", ret->dev, ret->type,
                                 ret->label);
                        return 0;
                }
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= wait_s)
                        return -ENOENT;
                /* Drives show up while udev loads their drivers: look
                 * again soon. */
                nanosleep(&(struct timespec) { .tv_nsec = 250 * 1000 * 1000 }, NULL);
        }
}

static int do_mount(const struct medium *m, const char *dir)
{
        struct libmnt_context *cxt;
        char msg[256] = "";
        int rc, r = 0;

        r = dlopen_mount();
        if (r < 0)
                return r;
        cxt = sym_mnt_new_context();
        if (!cxt)
                return log_error_errno(ENOMEM, "Cannot set up libmount");
        /* Only this source on this target with these options: nothing from
         * fstab, no mount helpers, no utab. */
        sym_mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE);
        sym_mnt_context_disable_helpers(cxt, 1);
        sym_mnt_context_disable_mtab(cxt, 1);
        sym_mnt_context_set_source(cxt, m->dev);
        sym_mnt_context_set_target(cxt, dir);
        sym_mnt_context_set_fstype(cxt, m->type);
        sym_mnt_context_set_options(cxt, "ro,nosuid,nodev,noexec");
        rc = sym_mnt_context_mount(cxt);
        if (rc != 0 || sym_mnt_context_get_status(cxt) != 1) {
                int syserr = sym_mnt_context_get_syscall_errno(cxt);
                sym_mnt_context_get_excode(cxt, rc, msg, sizeof(msg));
                r = log_error_errno(syserr ? syserr : EIO, "Cannot mount the config medium %s (%s) read-only: %s",
                                    m->dev, m->type, *msg ? msg : "mount failed");
        }
        sym_mnt_free_context(cxt);
        return r;
}

int medium_read(const struct medium *m, const char *const *paths, size_t n, char **data, size_t *len)
{
        char tmpl[] = "/run/ignis-medium-XXXXXX";
        const char *base = getenv("TMPDIR");
        _cleanup_free_ char *dir = NULL;
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                data[i] = NULL;
                len[i] = 0;
        }
        /* /run exists and is a tmpfs in every initramfs and booted system;
         * tests may run without one that is writable. */
        if (access("/run", W_OK) == 0 || !base)
                dir = xstrdup(tmpl);
        else
                dir = xasprintf("%s/ignis-medium-XXXXXX", base);
        if (!mkdtemp(dir))
                return log_error_errno(errno, "Cannot create a mount point for the config medium: %m");
        r = do_mount(m, dir);
        if (r < 0) {
                rmdir(dir);
                return r;
        }
        {
                /* Every path resolved inside the medium: "..", absolute
                 * symlinks and the like stay on it (a path may come from the
                 * kernel command line, the medium from anywhere). */
                struct root mr = { .fd = -1 };
                r = root_open(dir, &mr);
                for (size_t i = 0; i < n && r >= 0; i++) {
                        _cleanup_close_ int fd = root_open_regular(&mr, paths[i], O_RDONLY | O_CLOEXEC, NULL);
                        int k = fd;
                        if (fd == -ENOENT || fd == -ENOTDIR)
                                continue;
                        if (fd == ROOT_ENOTREG)
                                k = -EISDIR;
                        if (fd >= 0)
                                k = read_full_fd(fd, IG_CONFIG_MAX_SIZE, &data[i], &len[i]);
                        if (k < 0)
                                r = log_error_errno(k, "Cannot read /%s on the config medium %s%s: %m", paths[i],
                                                    m->dev, k == -EISDIR ? " (not a regular file)" : "");
                }
                root_close(&mr);
        }
        if (umount2(dir, 0) < 0) {
                log_warning_errno(errno, "Cannot unmount the config medium from %s: %m; detaching it", dir);
                (void) umount2(dir, MNT_DETACH);
        }
        rmdir(dir);
        if (r < 0)
                for (size_t i = 0; i < n; i++) {
                        free(data[i]);
                        data[i] = NULL;
                }
        return r;
}
