/* SPDX-License-Identifier: Apache-2.0 */
/* One stage per process, as the initramfs units run them: the order of
 * operations, the cache between stages, the interruption stamps and the
 * failure summary. The work itself is in fetch.c, files.c and target/. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "ignis/rootfs.h"
#include "ignis/stages.h"
#include "ignis/storage.h"
#include "ignis/util.h"

#define KARGS_HELPER "/usr/libexec/ignis-kargs-helper"
/* In the target: present while the files stage runs, so the next boot can
 * tell that a first boot was interrupted half way. */
#define TARGET_STAMP "/etc/.ignis-provisioning"

static const char *const stage_names[] = {
        "fetch-offline", "fetch", "kargs", "disks", "mount", "files", "umount",
};

bool stage_name_valid(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(stage_names); i++)
                if (strcmp(name, stage_names[i]) == 0)
                        return true;
        return false;
}

static char *state_dir(const struct stage_options *o)
{
        _cleanup_free_ char *dir = xstrdup(o->cache);
        char *slash = strrchr(dir, '/');

        if (slash)
                *slash = '\0';
        return TAKE_PTR(dir);
}

/* A stamp per stage in /run: written at the start, removed on success. */
static void stamp_begin(const struct stage_options *o)
{
        _cleanup_free_ char *dir = state_dir(o), *path = xasprintf("%s/stage-%s.running", dir, o->stage);
        int fd;

        if (access(path, F_OK) == 0)
                log_warning("stage %s already ran in this boot and did not finish (interrupted or failed); "
                            "running it again", o->stage);
        (void) mkdir_p(dir, 0700);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
}

static void stamp_end(const struct stage_options *o)
{
        _cleanup_free_ char *dir = state_dir(o), *path = xasprintf("%s/stage-%s.running", dir, o->stage);

        unlink(path);
}

static int load_cache(const struct stage_options *o, struct ig_config *c)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        ig_config_init(c);
        r = read_full_file(o->cache, IG_CONFIG_MAX_SIZE, &text, &len);
        if (r < 0)
                return log_error_errno(r, "Cannot read the cached config %s (did the fetch stage run?): %m",
                                       o->cache);
        r = ig_config_load_report(text, len, &(struct ig_parse_options) { .cached = true }, o->cache, c);
        if (r < 0)
                return log_error_errno(r, "The cached config %s is invalid", o->cache);
        return 0;
}

static int stage_kargs(const struct stage_options *o, const struct ig_config *c)
{
        const struct ig_kernel_arguments *k = &c->kernel_arguments;
        _cleanup_free_ char **argv = NULL;
        size_t n = 0;
        const char *helper = getenv("IGNIS_KARGS_HELPER");

        if (k->should_exist.n == 0 && k->should_not_exist.n == 0)
                return 0;
        argv = xcalloc(2 * (k->should_exist.n + k->should_not_exist.n) + 2, sizeof(char *));
        argv[n++] = (char *) (helper ? helper : KARGS_HELPER);
        for (size_t i = 0; i < k->should_exist.n; i++) {
                argv[n++] = "--should-exist";
                argv[n++] = k->should_exist.v[i];
        }
        for (size_t i = 0; i < k->should_not_exist.n; i++) {
                argv[n++] = "--should-not-exist";
                argv[n++] = k->should_not_exist.v[i];
        }
        log_info("kernel arguments: %zu to have, %zu to drop; running %s", k->should_exist.n,
                 k->should_not_exist.n, argv[0]);
        (void) o;
        /* The helper changes the boot loader config and reboots if it
         * changed anything (Ignition's contract); it returns only when the
         * arguments are already as asked. */
        return exec_check(argv, NULL) < 0 ? log_error_errno(EIO, "$.kernelArguments: the kernel arguments could "
                                                            "not be applied (see the helper's message above)")
                                          : 0;
}

static int stage_storage(const struct stage_options *o, const struct ig_config *c)
{
        if (c->storage.filesystems.n == 0) {
                log_info("stage %s: nothing to do", o->stage);
                return 0;
        }
        if (strcmp(o->stage, "mount") == 0)
                return storage_mount_all(c, o->root);
        return storage_umount_all(c, o->root);
}

/* Set when the files stage found the stamp of an earlier, unfinished run:
 * the failure summary then says the root is partly provisioned. */
static bool interrupted_before;

static int files_with_stamp(const struct stage_options *o, const struct ig_config *c)
{
        struct root r;
        const char *name;
        bool provided;
        int fd, e;

        e = stage_read_state(o->cache, &provided);
        if (e < 0)
                return e;

        /* The stamp lives in the target so that it survives a reboot. */
        e = root_open(o->root, &r);
        if (e < 0)
                return e;
        fd = root_open_parent(&r, TARGET_STAMP, true, NULL, &name);
        if (fd >= 0) {
                struct stat st;
                if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        interrupted_before = true;
                        log_warning("%s%s exists: a previous first boot was interrupted during the files stage; "
                                    "provisioning again over a partly provisioned root", o->root, TARGET_STAMP);
                }
                e = root_write_file(fd, name, "", 0, 0600, 0, 0);
                /* On disk before the first file is: a power cut later in the
                 * stage must leave the stamp behind whatever the filesystem
                 * commits first. */
                if (e >= 0) {
                        /* fd is an O_PATH handle, which fsync() refuses. */
                        _cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (dfd < 0 || fsync(dfd) < 0)
                                e = -errno;
                }
                if (e < 0)
                        log_warning_errno(e, "Cannot write %s: %m", TARGET_STAMP);
        }

        e = stage_files(c, o->root, provided);
        if (e >= 0 && c->storage.luks.n > 0) {
                _cleanup_free_ char *dir = state_dir(o);
                e = storage_luks_persist(c, dir, o->root);
        }
        if (e >= 0 && fd >= 0 && unlinkat(fd, name, 0) < 0)
                log_warning_errno(errno, "Cannot remove %s: %m", TARGET_STAMP);
        if (fd >= 0)
                close(fd);
        root_close(&r);
        return e;
}

/* O_NONBLOCK so a serial line without carrier cannot hang the open; then
 * blocking writes, so a busy console delays the summary instead of
 * dropping it. */
static int open_console(const char *dev)
{
        int fd = open(dev, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

        if (fd >= 0)
                (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return fd;
}

/* Every console the kernel writes to (serial and VT alike), so the person
 * at whichever screen sees why the machine stopped. */
static void print_failure_summary(const struct stage_options *o)
{
        _cleanup_free_ char *active = NULL, *text = NULL;
        const char *err = log_first_error();
        size_t len;
        bool written = false;

        text = xasprintf("\n"
                         "**************************************************************\n"
                         "ignis: first-boot provisioning FAILED in stage \"%s\"\n"
                         "ignis: %s\n"
                         "%s"
                         "ignis: the machine stops here (emergency mode) rather than boot half-configured.\n"
                         "ignis: full log: journalctl -b -t ignis, or journalctl -u ignis-%s.service\n"
                         "**************************************************************\n",
                         o->stage, err ? err : "(see the log)",
                         interrupted_before ? "ignis: an earlier first boot was interrupted in this stage (power cut or "
                                              "reset): the root is partly provisioned\n"
                                            : "",
                         o->stage);
        if (o->console_dir && read_full_file("/sys/class/tty/console/active", 4096, &active, &len) >= 0) {
                char *save = NULL;
                for (char *tty = strtok_r(active, " \n", &save); tty; tty = strtok_r(NULL, " \n", &save)) {
                        _cleanup_free_ char *dev = xasprintf("%s/%s", o->console_dir, tty);
                        _cleanup_close_ int fd = open_console(dev);
                        if (fd >= 0 && loop_write(fd, text, strlen(text)) >= 0)
                                written = true;
                }
        }
        if (!written && o->console_dir) {
                _cleanup_free_ char *dev = xasprintf("%s/console", o->console_dir);
                _cleanup_close_ int fd = open_console(dev);
                if (fd >= 0 && loop_write(fd, text, strlen(text)) >= 0)
                        written = true;
        }
        /* And the journal (stderr), where the unit's log goes. */
        fputs(text, stderr);
}

/* When the kernel started this process (forked it: before the exec and
 * the dynamic loader), µs on CLOCK_MONOTONIC; 0 if unknown. */
static unsigned long long process_start_usec(void)
{
        _cleanup_free_ char *stat = NULL;
        unsigned long long ticks;
        size_t len;
        char *p;
        long hz = sysconf(_SC_CLK_TCK);

        if (hz <= 0 || read_full_file("/proc/self/stat", 4096, &stat, &len) < 0)
                return 0;
        /* Field 22 (starttime); the command name (field 2) may hold spaces
         * but ends at the last ')'. */
        p = strrchr(stat, ')');
        for (int field = 2; p && field < 22; field++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
                return 0;
        return ticks * 1000000ULL / (unsigned long long) hz;
}

int stage_run(const struct stage_options *o)
{
        _cleanup_free_ char *platform_buf = NULL;
        struct cmdline cl = {};
        struct ig_config c;
        const char *platform = o->platform;
        int r;

        unsigned long long started = exec_now_usec();

        ig_config_init(&c);
        log_info("stage %s starting", o->stage);
        if (log_get_max_level() >= LOG_LVL_DEBUG)
                log_debug("stage %s: process forked at %.6f s, running at %.6f s (monotonic)", o->stage,
                          (double) process_start_usec() / 1e6, (double) started / 1e6);
        stamp_begin(o);

        r = cmdline_read(o->cmdline_file, &cl);
        if (r < 0)
                goto out;
        if (!platform || !*platform)
                cmdline_get(&cl, "ignition.platform.id", &platform);
        if (strncmp(o->stage, "fetch", 5) == 0)
                platform = stage_platform(o->cache, platform, &platform_buf);

        if (strcmp(o->stage, "fetch-offline") == 0) {
                r = stage_fetch(platform, &cl, o->cache, true);
                if (r >= 0)
                        stage_platform_flags(o->cache, platform);
        } else if (strcmp(o->stage, "fetch") == 0) {
                if (access(o->cache, F_OK) == 0)
                        log_info("stage fetch: the config was fetched already (%s)", o->cache);
                else
                        r = stage_fetch(platform, &cl, o->cache, false);
        } else {
                r = load_cache(o, &c);
                if (r < 0)
                        goto out;
                if (strcmp(o->stage, "kargs") == 0)
                        r = stage_kargs(o, &c);
                else if (strcmp(o->stage, "files") == 0)
                        r = files_with_stamp(o, &c);
                else if (strcmp(o->stage, "disks") == 0) {
                        _cleanup_free_ char *dir = state_dir(o), *aliases = xasprintf("%s/dev-aliases", dir);
                        struct storage_options so = {
                                .root = o->root,
                                .alias_dir = aliases,
                                .device_timeout_s = o->device_timeout_s,
                                .state_dir = dir,
                        };
                        r = stage_disks(&c, &so);
                }
                else
                        r = stage_storage(o, &c);
        }
out:
        if (r < 0) {
                print_failure_summary(o);
                stage_platform_failed(o->cache, o->stage, platform);
        } else {
                stamp_end(o);
                log_info("stage %s finished", o->stage);
        }
        log_debug("stage %s: %.1f ms in the stage, ending at %.6f s (monotonic)", o->stage,
                  (double) (exec_now_usec() - started) / 1000.0, (double) exec_now_usec() / 1e6);
        ig_config_free(&c);
        cmdline_free(&cl);
        return r;
}
