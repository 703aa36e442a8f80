/* SPDX-License-Identifier: Apache-2.0 */
/* systemd.units: unit files, drop-ins, masks, the preset file, and removing
 * enablement symlinks of disabled units. The semantics are Ignition 2.14's
 * (internal/exec/stages/files/units.go, internal/exec/util/unit.go):
 *
 *   - per unit, in config order: drop-ins (those with contents, even ""),
 *     then the unit file (only with non-empty contents), then mask: true
 *     (/dev/null symlink replacing whatever is there) or mask: false
 *     (remove a /dev/null symlink, nothing else);
 *   - then `enable`/`disable` lines appended to the preset file, instances
 *     of one template with the same state grouped on one line
 *     ("enable foo@.service a b");
 *   - `enabled: false` also does what `systemctl --root R disable` does: a
 *     preset line does not remove enablement symlinks the image already has
 *     (Ignition cites fedora-coreos-tracker#392).
 *
 * Deliberate differences: Ignition writes preset lines in Go map order
 * (random per run), we sort them; Ignition runs one systemctl per disabled
 * unit, we remove the symlinks ourselves (unit-disable.c) or, for what that
 * does not model, run one systemctl for all, and disable instances and
 * "-.mount" where Ignition's calls do nothing or fail (see disable_units()). */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/target.h"
#include "ignis/util.h"

#define UNITS_DIR "/etc/systemd/system"
#define PRESET_PATH "/etc/systemd/system-preset/20-ignition.preset"

/* One preset line: a plain unit, or a template with its instances. */
struct preset {
        char *unit;             /* "foo.service" or "foo@.service" */
        bool enabled;
        bool template;
        struct ig_strv instances;       /* config order, as Ignition */
};

struct presets {
        struct preset *v;
        size_t n;
};

static void strv_add(struct ig_strv *sv, char *s)
{
        sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(char *));
        sv->v[sv->n++] = s;
}

static void strv_clear(struct ig_strv *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        *sv = (struct ig_strv) {};
}

static void presets_clear(struct presets *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->v[i].unit);
                strv_clear(&p->v[i].instances);
        }
        free(p->v);
        *p = (struct presets) {};
}

/* root_open_parent() with missing directories created, and each created
 * directory recorded for relabelling. *created tells whether the direct
 * parent was among them (it is the last one created when any was). */
static int open_parent(struct target *t, const char *path, const char **name, bool *created)
{
        struct ig_strv made = {};
        int fd;

        fd = root_open_parent(&t->root, path, true, &made, name);
        for (size_t i = 0; i < made.n; i++)
                target_note_created(t, made.v[i]);
        if (created)
                *created = made.n > 0;
        strv_clear(&made);
        return fd;
}

/* A unit file or drop-in: 0644 root:root, replaced atomically, like
 * Ignition's PerformFetch of a data URL without mode or owner. */
static int write_unit_file(struct target *t, const char *path, const char *contents,
                           bool *parent_created)
{
        _cleanup_close_ int dfd = -1;
        const char *name;

        dfd = open_parent(t, path, &name, parent_created);
        if (dfd < 0)
                return dfd;
        return root_write_file(dfd, name, contents, strlen(contents), 0644, 0, 0);
}

/* Ignition: os.RemoveAll(path) then os.Symlink("/dev/null", path). We make
 * the symlink under a temporary name and rename it over the path, so a unit
 * file written earlier in the run is never missing in between. */
static int mask_unit(struct target *t, const char *path)
{
        static unsigned counter;
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *tmp = NULL;
        const char *name;
        struct stat st;
        int r;

        dfd = open_parent(t, path, &name, NULL);
        if (dfd < 0)
                return dfd;

        for (int attempt = 0;; attempt++) {
                free(tmp);
                tmp = xasprintf(".ignis-mask.%d.%u", (int) getpid(), counter++);
                if (symlinkat("/dev/null", dfd, tmp) == 0)
                        break;
                if (errno != EEXIST || attempt >= 100)
                        return -errno;
        }

        /* rename() cannot replace a directory; RemoveAll would. */
        r = 0;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                r = root_remove_tree(dfd, name);
        if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dfd, tmp, 0);
        return r;
}

/* Ignition's IsUnitMasked + UnmaskUnit: only a symlink whose target is
 * exactly "/dev/null" is removed; anything else (a unit file, an alias
 * symlink, nothing) is left alone. Returns 1 when something was removed. */
static int unmask_unit(struct target *t, const char *path)
{
        _cleanup_close_ int dfd = -1;
        const char *name;
        char target[sizeof("/dev/null") + 1];
        ssize_t n;

        dfd = root_open_parent(&t->root, path, false, NULL, &name);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        n = readlinkat(dfd, name, target, sizeof(target));
        if (n < 0)
                return errno == ENOENT || errno == EINVAL ? 0 : -errno;
        if ((size_t) n != strlen("/dev/null") || memcmp(target, "/dev/null", (size_t) n) != 0)
                return 0;
        if (unlinkat(dfd, name, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}

/* Groups enabled/disabled units as Ignition's createUnits does: a name with
 * '@' becomes template "foo@.service" plus instance "bar" (from the first
 * '@' to the last '.'), instances of one template with the same state share
 * a line. The template itself ("foo@.service") has the instance "", which
 * Ignition writes as a trailing space; so do we. */
static int presets_add(struct presets *p, const char *unit, bool enabled)
{
        const char *at = strchr(unit, '@');
        _cleanup_free_ char *tmpl = NULL;
        const char *dot;
        struct preset *e;

        if (!at) {
                p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
                p->v[p->n++] = (struct preset) { .unit = xstrdup(unit), .enabled = enabled };
                return 0;
        }

        dot = strrchr(unit, '.');
        if (!dot || dot < at)
                return -EINVAL;
        tmpl = xasprintf("%.*s%s", (int) (at + 1 - unit), unit, dot);
        for (size_t i = 0; i < p->n; i++) {
                e = &p->v[i];
                if (e->template && e->enabled == enabled && strcmp(e->unit, tmpl) == 0) {
                        strv_add(&e->instances, xstrndup(at + 1, (size_t) (dot - at - 1)));
                        return 0;
                }
        }
        p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
        e = &p->v[p->n++];
        *e = (struct preset) { .unit = TAKE_PTR(tmpl), .enabled = enabled, .template = true };
        strv_add(&e->instances, xstrndup(at + 1, (size_t) (dot - at - 1)));
        return 0;
}

/* enable lines first, then disable lines, each by unit name. systemd uses
 * the first line that matches a name, and only a template's lines can match
 * the same one: "disable foo@.service" (the template itself disabled) would
 * win over "enable foo@.service a" if it came first, and instance a would
 * not be enabled. (A disable line with instances, "disable foo@.service b",
 * matches nothing in systemd: only enable lines take instance lists.) */
static int preset_cmp(const void *a, const void *b)
{
        const struct preset *x = a, *y = b;

        if (x->enabled != y->enabled)
                return x->enabled ? -1 : 1;
        return strcmp(x->unit, y->unit);
}

static char *preset_unit_string(const struct preset *e)
{
        size_t len = strlen(e->unit) + 1;
        char *s;

        if (!e->template)
                return xstrdup(e->unit);
        for (size_t i = 0; i < e->instances.n; i++)
                len += strlen(e->instances.v[i]) + 1;
        s = xmalloc(len);
        strcpy(s, e->unit);
        for (size_t i = 0; i < e->instances.n; i++) {
                strcat(s, " ");
                strcat(s, e->instances.v[i]);
        }
        return s;
}

/* A FIFO at the preset file's place would block the run, a device would
 * get the lines, a symlink would take them elsewhere: only a regular file
 * is appended to. Ignition writes through any of them. */
static int preset_not_regular(const struct stat *st)
{
        return log_error_errno(EMEDIUMTYPE, "$.systemd.units: the target's %s is %s, not a regular file: "
                               "refusing to write preset lines through it", PRESET_PATH,
                               root_file_type(st->st_mode));
}

int target_units_check(struct target *t, const struct ig_systemd *s)
{
        _cleanup_close_ int dfd = -1;
        const char *name;
        struct stat st;
        size_t i;

        for (i = 0; i < s->units.n && !s->units.v[i].enabled.set; i++)
                ;
        if (i == s->units.n)
                return 0;       /* no preset lines */
        dfd = root_open_parent(&t->root, PRESET_PATH, false, NULL, &name);
        if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;       /* created later; a failure is reported then */
        return S_ISREG(st.st_mode) ? 0 : preset_not_regular(&st);
}

/* Ignition opens the preset file O_APPEND|O_CREATE (0644) once per line:
 * lines from an earlier run or from the image stay, an existing file keeps
 * its mode and owner. We append all lines with one write. */
static int write_presets(struct target *t, struct presets *p)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int dfd = -1, fd = -1;
        size_t len = 0, alloc = 0;
        const char *name;
        struct stat old;
        bool created;
        int r;

        qsort(p->v, p->n, sizeof(*p->v), preset_cmp);
        for (size_t i = 0; i < p->n; i++) {
                _cleanup_free_ char *unit = preset_unit_string(&p->v[i]);
                _cleanup_free_ char *line = NULL;
                const char *verb = p->v[i].enabled ? "enable" : "disable";
                size_t n;

                log_info("setting preset %s for \"%s\"", verb, unit);
                line = xasprintf("%s %s\n", verb, unit);
                n = strlen(line);
                if (len + n + 1 > alloc) {
                        alloc = (len + n + 1) * 2;
                        buf = xrealloc(buf, alloc);
                }
                memcpy(buf + len, line, n + 1);
                len += n;
        }

        dfd = open_parent(t, PRESET_PATH, &name, NULL);
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
        created = fd >= 0;
        if (fd < 0 && errno != EEXIST)
                return -errno;
        if (fd < 0) {
                struct stat st;

                fd = root_open_regular_at(dfd, name, O_WRONLY | O_APPEND, &st);
                if (fd == ROOT_ENOTREG || fd == -ELOOP)
                        return preset_not_regular(&st);
                if (fd < 0)
                        return fd;
        }
        if (fstat(fd, &old) < 0)
                return -errno;
        /* Explicit mode and owner: the umask must not change a new file. */
        if (created && (fchown(fd, 0, 0) < 0 || fchmod(fd, 0644) < 0))
                r = -errno;
        else
                r = loop_write(fd, buf, len);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                /* Part of the lines, or an empty file, would be taken as
                 * the presets: leave the file as it was. */
                if (created ? unlinkat(dfd, name, 0) < 0 : ftruncate(fd, old.st_size) < 0)
                        log_warning_errno(errno, "Cannot undo the partial write of %s: %m", PRESET_PATH);
                return r;
        }
        /* Ignition relabels the preset file whether or not it existed. */
        target_note_created(t, PRESET_PATH);
        return 0;
}

/* For a .service name, whether the target has something at
 * /etc/init.d/NAME: systemctl then hands the name to systemd-sysv-install,
 * which on Debian runs the target's update-rc.d chrooted into it. */
static bool is_service(const char *unit)
{
        size_t l = strlen(unit);

        return l > strlen(".service") && strcmp(unit + l - strlen(".service"), ".service") == 0;
}

static bool sysv_script_exists(struct target *t, const char *unit)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;

        if (!is_service(unit))
                return false;
        path = xasprintf("/etc/init.d/%.*s", (int) (strlen(unit) - strlen(".service")), unit);
        fd = root_openat(&t->root, path, O_PATH | O_NOFOLLOW, 0);
        return fd >= 0 || (fd != -ENOENT && fd != -ENOTDIR);
}

static int sysv_refused(size_t idx, const char *unit)
{
        if (idx == (size_t) -1)
                return log_error_errno(EPERM, "$.systemd.units \"%s\": disabling it runs the target's update-rc.d "
                                       "(it has a SysV script in /etc/init.d): refused by --no-target-programs", unit);
        return log_error_errno(EPERM, "$.systemd.units[%zu] \"%s\": disabling it runs the target's update-rc.d "
                               "(it has a SysV script in /etc/init.d, or the config writes one): refused by "
                               "--no-target-programs", idx, unit);
}

/* The last check before systemctl runs (the one before anything was
 * written is target_units_check_no_programs()). */
static int check_no_sysv(struct target *t, char *const *names, size_t n)
{
        int r = 0;

        for (size_t i = 0; i < n; i++)
                if (sysv_script_exists(t, names[i]))
                        r = sysv_refused((size_t) -1, names[i]);
        return r;
}

/* Whether a node of the config may become /etc/init.d/BASE: its last
 * component is BASE below a directory named init.d (/etc/init.d, or
 * /etc/rc.d/init.d where /etc/init.d links there). */
static bool config_writes_script(const struct ig_storage *st, const char *base, size_t blen)
{
        for (size_t k = 0; k < st->files.n + st->links.n + st->directories.n; k++) {
                const char *p = k < st->files.n ? st->files.v[k].path
                              : k < st->files.n + st->links.n ? st->links.v[k - st->files.n].path
                              : st->directories.v[k - st->files.n - st->links.n].path;
                const char *slash = strrchr(p, '/');

                if (!slash || strlen(slash + 1) != blen || memcmp(slash + 1, base, blen) != 0)
                        continue;
                if ((size_t) (slash - p) >= strlen("init.d") &&
                    memcmp(slash - strlen("init.d"), "init.d", strlen("init.d")) == 0)
                        return true;
        }
        return false;
}

int target_units_check_no_programs(struct target *t, const struct ig_config *c)
{
        int r = 0;

        for (size_t i = 0; i < c->systemd.units.n; i++) {
                const struct ig_unit *u = &c->systemd.units.v[i];

                if (!u->enabled.set || u->enabled.v || !is_service(u->name))
                        continue;
                if (sysv_script_exists(t, u->name) ||
                    config_writes_script(&c->storage, u->name, strlen(u->name) - strlen(".service")))
                        r = sysv_refused(i, u->name);
        }
        return r;
}

/* Removes the enablement symlinks the image has for the disabled units,
 * natively (target_units_disable()) when it models every name, else with
 * one `systemctl --root R disable -- A B ...` for all of them. Ignition runs
 * one systemctl per unit. Names without a unit file are passed too: systemd
 * 252 removes the links named after them and exits 0 (other builds exit 1
 * for an unknown name, coreos/ignition#1614; the native code never does).
 * Instances are disabled by their own name (foo@bar.service): Ignition 2.14
 * passes its grouped preset string ("foo@.service bar"), which systemctl
 * escapes into a name that matches nothing, so it never removes an
 * instance's links. "--" keeps "-.mount" from being read as an option
 * (Ignition's call fails on it). */
static int disable_units(struct target *t, const struct ig_systemd *s)
{
        _cleanup_free_ char **argv = NULL;
        struct exec_result res;
        size_t n = 0, fixed;
        int r;

        argv = xcalloc(s->units.n + 6, sizeof(char *));
        argv[n++] = (char *) "systemctl";
        argv[n++] = (char *) "--root";
        argv[n++] = t->root.path;
        argv[n++] = (char *) "disable";
        argv[n++] = (char *) "--";
        fixed = n;
        for (size_t i = 0; i < s->units.n; i++) {
                const struct ig_unit *u = &s->units.v[i];

                if (u->enabled.set && !u->enabled.v)
                        argv[n++] = u->name;
        }
        if (n == fixed)
                return 0;

        log_info("removing enablement symlinks of %zu disabled unit%s", n - fixed,
                 n - fixed == 1 ? "" : "s");
        r = target_units_disable(t, argv + fixed, n - fixed);
        if (r < 0)
                return r;       /* logged */
        if (r > 0)
                return 0;

        r = target_units_check_systemctl(t);
        if (r < 0)
                return r;
        if (t->no_target_programs) {
                r = check_no_sysv(t, argv + fixed, n - fixed);
                if (r < 0)
                        return r;
        }
        r = exec_run(argv, NULL, &res);
        if (r < 0)
                return log_error_errno(r, "$.systemd.units: cannot run systemctl to disable units: %m");
        if (res.status == 0 && res.err && *res.err)
                log_debug("systemctl: %s", res.err);
        _cleanup_free_ char *desc = exec_describe(argv, NULL);
        _cleanup_free_ char *cmd = xasprintf("$.systemd.units: removing enablement symlinks: %s", desc);
        return exec_result_check(&res, cmd);
}

static int apply_unit(struct target *t, size_t idx, const struct ig_unit *u)
{
        _cleanup_free_ char *path = xasprintf(UNITS_DIR "/%s", u->name);
        bool noted_dropin_dir = false, noted_path = false;
        int r;

        for (size_t j = 0; j < u->dropins.n; j++) {
                const struct ig_dropin *d = &u->dropins.v[j];
                _cleanup_free_ char *dpath = NULL;
                bool dir_created = false;

                /* Unlike unit contents, "" still writes an empty drop-in. */
                if (!d->contents)
                        continue;
                dpath = xasprintf(UNITS_DIR "/%s.d/%s", u->name, d->name);
                log_info("writing drop-in \"%s\" for \"%s\"", d->name, u->name);
                r = write_unit_file(t, dpath, d->contents, &dir_created);
                if (r < 0)
                        return log_error_errno(r, "$.systemd.units[%zu] \"%s\": writing drop-in \"%s\" to %s: %m",
                                               idx, u->name, d->name, dpath);
                /* Ignition relabels the drop-in directory once per unit. */
                if (!noted_dropin_dir && !dir_created) {
                        _cleanup_free_ char *dir = xasprintf(UNITS_DIR "/%s.d", u->name);
                        target_note_created(t, dir);
                }
                noted_dropin_dir = true;
        }

        if (u->contents && *u->contents) {
                log_info("writing unit \"%s\"", u->name);
                r = write_unit_file(t, path, u->contents, NULL);
                if (r < 0)
                        return log_error_errno(r, "$.systemd.units[%zu] \"%s\": writing %s: %m",
                                               idx, u->name, path);
                target_note_created(t, path);
                noted_path = true;
        }

        if (u->mask.set && u->mask.v) {
                log_info("masking unit \"%s\"", u->name);
                r = mask_unit(t, path);
                if (r < 0)
                        return log_error_errno(r, "$.systemd.units[%zu] \"%s\": masking (symlink %s -> /dev/null): %m",
                                               idx, u->name, path);
                if (!noted_path)
                        target_note_created(t, path);
        } else if (u->mask.set) {
                r = unmask_unit(t, path);
                if (r < 0)
                        return log_error_errno(r, "$.systemd.units[%zu] \"%s\": unmasking %s: %m",
                                               idx, u->name, path);
                if (r > 0)
                        log_info("unmasking unit \"%s\"", u->name);
        }
        return 0;
}

int target_units_apply(struct target *t, const struct ig_systemd *s)
{
        struct presets presets = {};
        int r = 0;

        for (size_t i = 0; i < s->units.n; i++) {
                const struct ig_unit *u = &s->units.v[i];

                r = apply_unit(t, i, u);
                if (r < 0)
                        goto out;
                if (u->enabled.set) {
                        r = presets_add(&presets, u->name, u->enabled.v);
                        if (r < 0) {
                                log_error_errno(r, "$.systemd.units[%zu] \"%s\": not a valid instance name",
                                                i, u->name);
                                goto out;
                        }
                }
        }

        if (presets.n == 0)
                goto out;

        /* Ignition runs each disable before appending its preset line; the
         * order between the two does not matter to the result. */
        r = disable_units(t, s);
        if (r < 0)
                goto out;
        r = write_presets(t, &presets);
        if (r < 0)
                log_error_errno(r, "$.systemd.units: writing %s: %m", PRESET_PATH);
out:
        presets_clear(&presets);
        return r;
}
