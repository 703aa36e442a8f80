/* SPDX-License-Identifier: Apache-2.0 */
/* storage.filesystems: every device probed first (libblkid), every
 * decision taken (reuse, create, refuse) before anything is written; then
 * signatures erased and the mkfs tools run, all at once: each mkfs is a
 * process that mostly waits for its disk, so running them side by side
 * costs little more than the slowest one. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/storage.h"
#include "ignis/workers.h"
#include "storage-internal.h"

enum fs_action {
        FS_KEEP,        /* nothing to do: reused, or "none" on an empty device */
        FS_WIPE,        /* "none" with wipeFilesystem */
        FS_CREATE,
};

struct fs_job {
        const struct ig_filesystem *fs;
        char *what;
        const char *dev;        /* as the config names it, for messages */
        char *node;             /* what is opened: the pinned alias */
        uint64_t offset, size;  /* of the bytes probed on node (a partition not written yet); 0, 0: all */
        char *ahead;            /* a check ahead of the partition step: where the bytes lie */
        enum fs_action action;
        bool skipped;           /* on a device an earlier step makes: decided then */
        bool quiet;             /* a check ahead of the step: the step logs */
        char **argv;
        struct exec_child child;
        bool started;
        /* Filled by probe_job() and wipe_job() (a worker thread), logged
         * in config order after. */
        struct probe_info probe;
        int probe_r;
        int wipe_r, wiped;
};

/* UUIDs compare case-insensitively; a FAT volume id is written A1B2-C3D4
 * by blkid and taken without the dash by mkfs.fat. */
static char *canonical_uuid(const char *format, const char *uuid)
{
        char *s = xstrdup(uuid);

        for (char *p = s; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        if (format && strcmp(format, "vfat") == 0 && strlen(s) >= 5 && s[4] == '-')
                memmove(s + 4, s + 5, strlen(s + 5) + 1);
        return s;
}

static const char *mkfs_tool(const char *format)
{
        static const struct {
                const char *format, *tool;
        } tools[] = {
                { "ext4", "mkfs.ext4" }, { "xfs", "mkfs.xfs" }, { "btrfs", "mkfs.btrfs" },
                { "vfat", "mkfs.fat" },  { "swap", "mkswap" },
        };

        for (size_t i = 0; i < ELEMENTSOF(tools); i++)
                if (strcmp(format, tools[i].format) == 0)
                        return tools[i].tool;
        return NULL;
}

/* Ignition's command line: the user's options first, then its own force
 * flag, uuid and label, then the device. */
static char **mkfs_argv(const struct ig_filesystem *fs, const char *dev)
{
        const char *f = fs->format;
        _cleanup_free_ char *uuid = fs->uuid ? canonical_uuid(f, fs->uuid) : NULL;
        char **argv = xcalloc(fs->options.n + 8, sizeof(char *));
        size_t n = 0;

        argv[n++] = xstrdup(mkfs_tool(f));
        for (size_t i = 0; i < fs->options.n; i++)
                argv[n++] = xstrdup(fs->options.v[i]);
        if (strcmp(f, "ext4") == 0)
                argv[n++] = xstrdup("-F");
        else if (strcmp(f, "btrfs") == 0)
                argv[n++] = xstrdup("--force");
        else if (strcmp(f, "xfs") == 0 || strcmp(f, "swap") == 0)
                argv[n++] = xstrdup("-f");
        /* mkfs.fat has no force flag: it always writes. */
        if (uuid) {
                if (strcmp(f, "xfs") == 0) {
                        argv[n++] = xstrdup("-m");
                        argv[n++] = xasprintf("uuid=%s", uuid);
                } else {
                        argv[n++] = xstrdup(strcmp(f, "vfat") == 0 ? "-i" : "-U");
                        argv[n++] = xstrdup(uuid);
                }
        }
        if (fs->label) {
                argv[n++] = xstrdup(strcmp(f, "vfat") == 0 ? "-n" : "-L");
                argv[n++] = xstrdup(fs->label);
        }
        argv[n++] = xstrdup(dev);
        return argv;
}

static void job_free(struct fs_job *j)
{
        probe_info_free(&j->probe);
        if (j->argv)
                for (char **a = j->argv; *a; a++)
                        free(*a);
        free(j->argv);
        free(j->what);
        free(j->node);
        free(j->ahead);
}

static bool found_matches(const struct ig_filesystem *fs, const struct probe_info *p)
{
        _cleanup_free_ char *want = NULL, *have = NULL;

        if (!p->type || strcmp(p->type, fs->format) != 0)
                return false;
        if (fs->label && strcmp(fs->label, p->label ? p->label : "") != 0)
                return false;
        if (!fs->uuid)
                return true;
        want = canonical_uuid(fs->format, fs->uuid);
        have = canonical_uuid(p->type, p->uuid ? p->uuid : "");
        return strcmp(want, have) == 0;
}

/* Decides what to do with one entry; refuses what Ignition refuses. */
static int plan_one(struct fs_job *j)
{
        const struct ig_filesystem *fs = j->fs;
        bool wipe = ig_bool_or(fs->wipe_filesystem, false);
        struct probe_info p;
        int r = 0;

        if (!fs->format)
                return log_error_errno(EINVAL, "%s: no format given", j->what);
        if (strcmp(fs->format, "virtiofs") == 0) {
                j->action = FS_KEEP;    /* a mount tag, nothing to make */
                return 0;
        }
        if (strcmp(fs->format, "none") != 0 && !mkfs_tool(fs->format))
                return log_error_errno(EINVAL, "%s: unsupported format \"%s\"", j->what, fs->format);

        if (j->probe_r < 0)
                return log_error_errno(j->probe_r, "%s: cannot read %s: %m", j->what, j->ahead ? j->ahead : j->dev);
        p = j->probe;
        j->probe = (struct probe_info) {};
        if (!j->quiet)
                log_info("%s: found %s%s%s%s%s%s", j->what, p.type ? p.type : "no filesystem",
                 p.label ? " label \"" : "", p.label ? p.label : "", p.label ? "\"" : "",
                 p.uuid ? " uuid " : "", p.uuid ? p.uuid : "");
        if (p.pttype && !p.type && !j->quiet)
                log_warning("%s: %s holds a %s partition table; it is overwritten (Ignition looks at filesystem "
                            "signatures only)", j->what, j->dev, p.pttype);

        if (strcmp(fs->format, "none") == 0) {
                if (wipe)
                        j->action = FS_WIPE;
                else if (p.type)
                        r = log_error_errno(EEXIST, "%s: format \"none\" asks for no filesystem, but %s%s%s%s holds %s "
                                            "and wipeFilesystem is not set", j->what, j->dev, j->ahead ? " (" : "",
                                            j->ahead ? j->ahead : "", j->ahead ? ")" : "", p.type);
                else
                        j->action = FS_KEEP;
        } else if (!wipe && found_matches(fs, &p)) {
                if (!j->quiet)
                        log_info("%s: reusing the %s filesystem on %s", j->what, p.type, j->dev);
                j->action = FS_KEEP;
        } else if (!wipe && p.type) {
                r = log_error_errno(EEXIST, "%s: %s%s%s%s holds %s (label \"%s\", uuid %s), not the %s%s%s%s%s%s asked "
                                    "for, and wipeFilesystem is not set", j->what, j->dev, j->ahead ? " (" : "",
                                    j->ahead ? j->ahead : "", j->ahead ? ")" : "", p.type,
                                    p.label ? p.label : "", p.uuid ? p.uuid : "none", fs->format,
                                    fs->label ? " labelled \"" : "", fs->label ? fs->label : "",
                                    fs->label ? "\"" : "", fs->uuid ? " with uuid " : "", fs->uuid ? fs->uuid : "");
        } else {
                j->action = FS_CREATE;
                j->argv = mkfs_argv(fs, j->node);
        }
        j->probe = p;
        return r;
}

static int finish_one(struct fs_job *j)
{
        _cleanup_free_ char *cmd = exec_describe(j->argv, NULL);
        struct exec_result res;
        int r;

        r = exec_finish(&j->child, NULL, 0, &res);
        j->started = false;
        if (r < 0)
                return log_error_errno(r, "%s: waiting for %s: %m", j->what, j->argv[0]);
        if (res.status != 0) {
                log_error("%s: making the %s filesystem failed:", j->what, j->fs->format);
                return exec_result_check(&res, cmd);
        }
        exec_result_free(&res);
        log_info("%s: created %s on %s", j->what, j->fs->format, j->dev);
        return 0;
}

static bool needs_probe(const struct ig_filesystem *fs)
{
        return fs->format && strcmp(fs->format, "virtiofs") != 0 &&
               (strcmp(fs->format, "none") == 0 || mkfs_tool(fs->format));
}

static void probe_job(void *p)
{
        struct fs_job *j = p;

        if (needs_probe(j->fs))
                j->probe_r = storage_probe_range(j->node, j->offset, j->size, &j->probe);
}

/* The longest mkfs first, so that it does not wait behind the quick ones
 * (btrfs and xfs discard and write more than ext4; mkswap writes a page). */
static int weight(const struct fs_job *j)
{
        static const char *const order[] = { "swap", "vfat", "ext4", "xfs", "btrfs" };

        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (j->fs->format && strcmp(j->fs->format, order[i]) == 0)
                        return (int) i;
        return 0;
}

static void wipe_job(void *p)
{
        struct fs_job *j = p;

        if (j->action != FS_KEEP)
                j->wipe_r = storage_wipe_quiet(j->node, &j->wiped);
}

/* How many mkfs run at once: enough to overlap their waits for the disk,
 * few enough not to thrash a small machine. */
static size_t max_parallel(void)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        return cpus < 2 ? 4 : (size_t) cpus * 2;
}

/* Ahead of the partition step: a device on a disk the config partitions
 * is looked at as the plan leaves it. Returns 1 when j is to be probed
 * where the plan puts it (j->node, offset, size set), 0 when the layout
 * has nothing to say about it, or a negative errno (logged). */
static int locate_ahead(const struct storage_layout *layout, struct fs_job *j)
{
        struct locus at;

        storage_layout_locate(layout, j->dev, &at);
        switch (at.kind) {
        case LOCUS_ELSEWHERE:
                return 0;
        case LOCUS_PARTITIONED_DISK:
                return log_error_errno(EINVAL, "%s: %s is the whole disk that %s partitions (%u partition%s after "
                                       "the partition step): a filesystem on it would overwrite the partition "
                                       "table, and the table the filesystem; name a partition instead",
                                       j->what, j->dev, at.disk_where, at.number, at.number == 1 ? "" : "s");
        case LOCUS_MISSING:
                if (at.number == 0)
                        return log_error_errno(ENOENT, "%s: %s names no partition the plan of %s leaves", j->what,
                                               j->dev, at.disk_where);
                return log_error_errno(ENOENT, "%s: %s is partition %u of %s, which does not exist after the "
                                       "partition step", j->what, j->dev, at.number, at.disk_where);
        case LOCUS_PARTITION:
                break;
        }
        j->node = at.path;
        j->offset = at.offset;
        j->size = at.size;
        j->ahead = xasprintf("partition %u of %s as the plan leaves it", at.number, at.disk_device);
        return 1;
}

/* Every entry probed and decided, in config order. present_only: the
 * check ahead of the stage and `ignis plan`: the devices no earlier step
 * makes, which are there already, and the partitions of layout's disks,
 * probed where the plan puts them; otherwise each device is awaited
 * first. */
static int plan_jobs(const struct ig_config *c, const struct storage_options *o,
                     const struct storage_layout *layout, struct fs_job *jobs, bool present_only)
{
        const struct ig_storage *s = &c->storage;
        int r = 0;

        for (size_t i = 0; i < s->filesystems.n; i++) {
                struct fs_job *j = &jobs[i];
                j->fs = &s->filesystems.v[i];
                j->what = storage_entry("filesystems", i, j->fs->device);
                j->dev = j->fs->device;
                j->child.pid = -1;
                j->quiet = present_only;
        }
        /* Probes read a few cached blocks each: threads would cost more
         * memory than they save time. */
        for (size_t i = 0; i < s->filesystems.n; i++) {
                struct fs_job *j = &jobs[i];
                if (needs_probe(j->fs) && j->dev) {
                        int e = present_only && layout ? locate_ahead(layout, j) : 0;
                        if (e < 0) {
                                r = e;
                                continue;
                        }
                        if (e == 0 && present_only && storage_device_created(c, j->dev)) {
                                j->skipped = true;
                                continue;
                        }
                        if (e == 0 && !present_only && storage_device_wait(o, j->dev, j->what) < 0) {
                                r = -ETIMEDOUT;
                                continue;
                        }
                        if (e == 0)
                                j->node = storage_device_alias(o, j->dev);
                }
                probe_job(j);
                if (plan_one(j) < 0)
                        r = -EINVAL;
        }
        return r;
}

/* The mkfs tools the plan runs are installed. */
static int check_tools(const struct fs_job *jobs, size_t n)
{
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                /* A device not made yet may need its mkfs later. */
                const char *tool = jobs[i].fs->format ? mkfs_tool(jobs[i].fs->format) : NULL;
                if (tool && (jobs[i].skipped || jobs[i].action == FS_CREATE) && !exec_have(tool))
                        r = log_error_errno(ENOENT, "%s: %s is not installed; nothing was changed", jobs[i].what,
                                            tool);
        }
        return r;
}

static void jobs_free(struct fs_job *jobs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                job_free(&jobs[i]);
        free(jobs);
}

int storage_filesystems_check(const struct ig_config *c, const struct storage_options *o,
                              const struct storage_layout *layout)
{
        size_t n = c->storage.filesystems.n;
        struct fs_job *jobs;
        int r;

        if (n == 0)
                return 0;
        jobs = xcalloc(n, sizeof(*jobs));
        r = plan_jobs(c, o, layout, jobs, true);
        if (r >= 0)
                r = check_tools(jobs, n);
        jobs_free(jobs, n);
        return r;
}

int storage_filesystems_apply(const struct ig_config *c, const struct storage_options *o)
{
        const struct ig_storage *s = &c->storage;
        _cleanup_free_ struct fs_job *jobs = NULL;
        _cleanup_free_ struct fs_job **order = NULL;
        struct workers *w = NULL;
        size_t n = s->filesystems.n, running = 0, next = 0, done = 0;
        int r = 0;

        if (n == 0)
                return 0;
        jobs = xcalloc(n, sizeof(*jobs));
        order = xcalloc(n, sizeof(*order));
        for (size_t i = 0; i < n; i++)
                order[i] = &jobs[i];
        r = plan_jobs(c, o, NULL, jobs, false);
        if (r < 0) {
                log_error("storage.filesystems: nothing was changed (fix the entries above)");
                goto out;
        }
        r = check_tools(jobs, n);
        if (r < 0)
                goto out;

        /* Erasing mostly waits for each device to sync: side by side. */
        w = workers_new();
        workers_run(w, jobs, n, sizeof(*jobs), wipe_job);
        for (size_t i = 0; i < n; i++) {
                struct fs_job *j = &jobs[i];
                if (j->action == FS_KEEP)
                        continue;
                if (j->wipe_r < 0)
                        r = log_error_errno(j->wipe_r, "%s: erasing the signatures on %s failed: %m", j->what, j->dev);
                else if (j->wiped > 0)
                        log_info("%s: erased %d signature%s on %s", j->what, j->wiped, j->wiped == 1 ? "" : "s",
                                 j->dev);
        }
        if (r < 0)
                goto out;

        /* Start up to max_parallel() at once, longest first; collect in
         * the same order. */
        for (size_t i = 1; i < n; i++)
                for (size_t k = i; k > 0 && weight(order[k]) > weight(order[k - 1]); k--) {
                        struct fs_job *t = order[k];
                        order[k] = order[k - 1];
                        order[k - 1] = t;
                }
        while (done < n) {
                struct fs_job *j;
                while (next < n && running < max_parallel() && r >= 0) {
                        j = order[next++];
                        if (j->action != FS_CREATE)
                                continue;
                        log_info("%s: creating %s on %s", j->what, j->fs->format, j->dev);
                        int e = exec_start(j->argv, NULL, &j->child);
                        if (e < 0) {
                                r = log_error_errno(e, "%s: cannot run %s: %m", j->what, j->argv[0]);
                                break;
                        }
                        j->started = true;
                        running++;
                }
                if (done >= next)
                        break;
                j = order[done++];
                if (!j->started)
                        continue;
                running--;
                if (finish_one(j) < 0)
                        r = -EIO;
        }
        for (size_t i = 0; i < n && r >= 0; i++)
                if (jobs[i].action != FS_KEEP)
                        (void) storage_udev_settle(jobs[i].node);
out:
        workers_free(w);
        for (size_t i = 0; i < n; i++) {
                if (jobs[i].started) {
                        struct exec_result res;
                        if (exec_finish(&jobs[i].child, NULL, 0, &res) >= 0)
                                exec_result_free(&res);
                }
                job_free(&jobs[i]);
        }
        return r;
}

int storage_filesystems_plan(const struct ig_config *c, const struct storage_options *o,
                             const struct storage_layout *layout, struct json_object *out)
{
        size_t n = c->storage.filesystems.n;
        struct fs_job *jobs;
        int r;

        if (n == 0)
                return 0;
        jobs = xcalloc(n, sizeof(*jobs));
        r = plan_jobs(c, o, layout, jobs, true);
        if (check_tools(jobs, n) < 0)
                r = -ENOENT;
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct fs_job *j = &jobs[i];
                const struct probe_info *p = &j->probe;
                const char *f = j->fs->format;
                _cleanup_free_ char *found = xasprintf("%s%s%s%s%s%s%s%s%s", p->type ? p->type : "nothing",
                                                       p->label ? " label \"" : "", p->label ? p->label : "",
                                                       p->label ? "\"" : "", p->uuid ? " uuid " : "",
                                                       p->uuid ? p->uuid : "", j->ahead ? " (on " : "",
                                                       j->ahead ? j->ahead : "", j->ahead ? ")" : "");

                if (j->skipped)
                        storage_plan_add(out, "filesystem", j->what, "create", true,
                                         xasprintf("%s on %s (made by an earlier step)", f, j->dev));
                else if (strcmp(f, "virtiofs") == 0)
                        storage_plan_add(out, "filesystem", j->what, "keep", false,
                                         xasprintf("virtiofs tag %s: nothing to make", j->dev));
                else if (j->action == FS_KEEP)
                        storage_plan_add(out, "filesystem", j->what, strcmp(f, "none") == 0 ? "keep" : "reuse", false,
                                         xasprintf("%s: found %s", j->dev, found));
                else if (j->action == FS_WIPE)
                        storage_plan_add(out, "filesystem", j->what, "wipe", true,
                                         xasprintf("%s: found %s; signatures erased (wipeFilesystem)", j->dev, found));
                else
                        storage_plan_add(out, "filesystem", j->what, p->type ? "wipe-and-create" : "create", true,
                                         xasprintf("%s on %s: found %s", f, j->dev, found));
        }
        jobs_free(jobs, n);
        return r;
}
