/* SPDX-License-Identifier: Apache-2.0 */
/* passwd: groups and users with the host's shadow-utils (--root <target>),
 * then SSH keys, with Ignition 2.14's semantics:
 *
 *   - groups first, then users, each in config order, stopping at the first
 *     failure;
 *   - a group is always added with groupadd (an existing group makes it fail,
 *     as in Ignition); shouldExist: false runs groupdel when it exists;
 *   - a user that does not exist yet is made with one useradd call, an
 *     existing one changed with one usermod call (creation-only fields are
 *     ignored); shouldExist: false runs userdel --remove when it exists;
 *   - sshAuthorizedKeys replace ~/.ssh/authorized_keys.d/ignition, written
 *     with the user's filesystem ids (see write_ssh_keys()).
 *
 * Unlike Ignition, the password hash goes into the useradd/usermod call that
 * creates or changes the user instead of a second usermod: one process per
 * user rather than two, and the same result in /etc/shadow. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/target.h"

/* The longest call (useradd with every option) has 23 entries. */
#define MAX_ARGS 32

struct cmd {
        char *argv[MAX_ARGS];
        int n;
        /* argv index of a password hash (0: none), for exec's redaction. */
        int secret;
};

static void cmd_add(struct cmd *c, const char *arg)
{
        /* Fixed-size on purpose: the call shapes are known at compile time. */
        if (c->n >= MAX_ARGS - 1)
                abort();
        c->argv[c->n++] = (char *) arg;
        c->argv[c->n] = NULL;
}

static void cmd_add_secret(struct cmd *c, const char *arg)
{
        c->secret = c->n;
        cmd_add(c, arg);
}

static bool is_true(struct ig_bool b)
{
        return b.set && b.v;
}

static bool is_false(struct ig_bool b)
{
        return b.set && !b.v;
}

/* Ignition treats an empty string like an unset one for these fields. */
static bool not_empty(const char *s)
{
        return s && *s;
}

/* Runs one shadow-utils call. Failures are logged as one line naming the
 * config entry, with the tool's stderr; the hash never appears in it. */
static int run_tool(const char *entry, const struct cmd *c)
{
        int secrets[2] = { c->secret, 0 };
        struct exec_options o = { .secret_args = c->secret > 0 ? secrets : NULL };
        const char *secret = c->secret > 0 ? c->argv[c->secret] : NULL;
        struct exec_result res;
        int r;

        r = exec_run(c->argv, &o, &res);
        if (r < 0)
                return log_error_errno(r, "%s: cannot run %s: %m", entry, c->argv[0]);

        _cleanup_free_ char *err = exec_tidy_output(res.err, secret);
        if (res.status != 0) {
                log_error("%s: %s failed with exit status %d%s%s", entry, c->argv[0], res.status,
                          *err ? ": " : "", err);
                exec_result_free(&res);
                return -EIO;
        }
        /* Warnings on success ("home directory already exists", "mail spool
         * not found") are not worth more than a debug line. */
        if (*err)
                log_debug("%s: %s", entry, err);
        exec_result_free(&res);
        return 0;
}

/* --no-target-programs: shadow-utils with --root chroots into the target,
 * and what runs there is the target's: the NSS modules its nsswitch.conf
 * names, its nscd (to flush caches) and sss_cache. */
static int refuse_tool(const char *entry, const char *what, const struct cmd *c)
{
        return log_error_errno(EPERM, "%s: %s runs %s --root, which chroots into the target and runs its NSS "
                               "modules, nscd and sss_cache: refused by --no-target-programs", entry, what,
                               c->argv[0]);
}

/* check_only: decide what would run and refuse it, change nothing. */
static int apply_group(struct target *t, size_t i, const struct ig_group *g, bool check_only)
{
        _cleanup_free_ char *entry = xasprintf("$.passwd.groups[%zu] \"%s\"", i, g->name);
        char gid_buf[32];
        struct cmd c = {};
        gid_t gid;
        int r;

        if (is_false(g->should_exist)) {
                /* Ignition checks first: a missing group is not an error. */
                r = target_lookup_group(t, g->name, &gid);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return log_error_errno(r, "%s: cannot read the target's /etc/group: %m", entry);
                cmd_add(&c, "groupdel");
                cmd_add(&c, "--root");
                cmd_add(&c, t->root.path);
                cmd_add(&c, g->name);
                if (check_only)
                        return refuse_tool(entry, "deleting the group", &c);
                log_info("deleting group \"%s\"", g->name);
                return run_tool(entry, &c);
        }

        /* No existence check, as in Ignition: groupadd refuses an existing
         * group (exit 9) and the stage fails with its message. */
        cmd_add(&c, "groupadd");
        cmd_add(&c, "--root");
        cmd_add(&c, t->root.path);
        if (g->gid.set) {
                snprintf(gid_buf, sizeof(gid_buf), "%" PRId64, g->gid.v);
                cmd_add(&c, "--gid");
                cmd_add(&c, gid_buf);
        }
        cmd_add(&c, "--password");
        if (not_empty(g->password_hash))
                cmd_add_secret(&c, g->password_hash);
        else
                cmd_add(&c, "*");
        if (is_true(g->system))
                cmd_add(&c, "--system");
        cmd_add(&c, g->name);
        if (check_only)
                return refuse_tool(entry, "adding the group", &c);
        log_info("adding group \"%s\"", g->name);
        return run_tool(entry, &c);
}

static char *join_groups(const struct ig_strv *v)
{
        size_t len = 1;
        char *s;

        for (size_t i = 0; i < v->n; i++)
                len += strlen(v->v[i]) + 1;
        s = xmalloc(len);
        s[0] = '\0';
        for (size_t i = 0; i < v->n; i++) {
                if (i)
                        strcat(s, ",");
                strcat(s, v->v[i]);
        }
        return s;
}

/* Keys joined by "\n", newline-terminated (Ignition adds the final newline
 * only when the last key lacks one). */
static char *join_keys(const struct ig_strv *v, size_t *ret_len)
{
        size_t len = 2, o = 0;
        char *s;

        for (size_t i = 0; i < v->n; i++)
                len += strlen(v->v[i]) + 1;
        s = xmalloc(len);
        for (size_t i = 0; i < v->n; i++) {
                size_t l = strlen(v->v[i]);
                if (i)
                        s[o++] = '\n';
                memcpy(s + o, v->v[i], l);
                o += l;
        }
        if (o == 0 || s[o - 1] != '\n')
                s[o++] = '\n';
        s[o] = '\0';
        *ret_len = o;
        return s;
}

/* While alive, file system access checks are made as the user (fsuid and
 * fsgid), as Ignition's as_user package does for SSH keys: a home or .ssh
 * that is a symlink into a directory the user may not write (say
 * /home/u/.ssh -> /root/.ssh) fails with EACCES instead of handing the user
 * root's authorized keys. Path resolution stays inside the target root
 * regardless (rootfs.h). */
struct fs_ids {
        bool switched;
        uid_t uid;
        gid_t gid;
};

static int fs_ids_become(struct fs_ids *s, uid_t uid, gid_t gid)
{
        *s = (struct fs_ids) {};
        /* Without privileges the ids cannot change, and nothing but our own
         * files could be written anyway. */
        if (geteuid() != 0)
                return 0;
        s->gid = (gid_t) setfsgid(gid);
        s->uid = (uid_t) setfsuid(uid);
        s->switched = true;
        /* setfsuid() reports no errors; ask for the current value. */
        if ((uid_t) setfsuid((uid_t) -1) != uid || (gid_t) setfsgid((gid_t) -1) != gid)
                return -EPERM;
        return 0;
}

static void fs_ids_restore(struct fs_ids *s)
{
        if (!s->switched)
                return;
        setfsuid(s->uid);
        setfsgid(s->gid);
        s->switched = false;
}

/* Opens dir inside the root, creating what is missing like Go's MkdirAll run
 * as the user: 0700, owned by uid:gid; existing directories are left as they
 * are. The first directory created is returned in *created (the top-most
 * one, for relabelling). Call with the user's fs ids in effect. */
static int open_dirs_as_user(struct target *t, const char *dir, uid_t uid, gid_t gid, char **created)
{
        size_t n = strlen(dir);
        int fd;

        fd = root_openat(&t->root, dir, O_PATH | O_DIRECTORY, 0);
        if (fd != -ENOENT)
                return fd;

        /* Each prefix is resolved from the root again: RESOLVE_IN_ROOT makes
         * its dirfd "/", so resolving from an inner directory would misread
         * absolute symlinks. */
        _cleanup_close_ int prev = root_openat(&t->root, "/", O_PATH | O_DIRECTORY, 0);
        if (prev < 0)
                return prev;
        for (size_t i = 1; i <= n; i++) {
                _cleanup_free_ char *prefix = NULL;
                const char *comp;

                if (i < n && dir[i] != '/')
                        continue;
                if (dir[i - 1] == '/')
                        continue;       /* empty component ("//") */
                prefix = xstrndup(dir, i);
                comp = strrchr(prefix, '/');
                comp = comp ? comp + 1 : prefix;
                fd = root_openat(&t->root, prefix, O_PATH | O_DIRECTORY, 0);
                if (fd == -ENOENT) {
                        /* EEXIST: a dangling symlink, reported by the
                         * reopen below. */
                        if (mkdirat(prev, comp, 0700) < 0 && errno != EEXIST)
                                return -errno;
                        fd = root_openat(&t->root, prefix, O_RDONLY | O_DIRECTORY, 0);
                        if (fd < 0)
                                return fd;
                        /* Explicit: neither the umask nor a setgid parent
                         * may change what sshd will check. */
                        if (fchown(fd, uid, gid) < 0 || fchmod(fd, 0700) < 0) {
                                int e = -errno;
                                close(fd);
                                return e;
                        }
                        if (!*created)
                                *created = TAKE_PTR(prefix);
                } else if (fd < 0)
                        return fd;
                close(prev);
                prev = fd;
        }
        return TAKE_FD(prev);
}

/* path with the target's symlinks resolved (inside the root), as a path
 * inside the root; NULL when it does not exist. */
static char *resolve_in_root(struct target *t, const char *path)
{
        _cleanup_close_ int fd = root_openat(&t->root, path, O_PATH, 0);
        _cleanup_free_ char *full = NULL, *root = NULL;
        size_t rl;

        if (fd < 0)
                return NULL;
        full = fd_host_path(fd);
        root = fd_host_path(t->root.fd);
        if (!full || !root)
                return xstrdup(path);
        if (strcmp(root, "/") == 0)
                return TAKE_PTR(full);
        rl = strlen(root);
        if (strncmp(full, root, rl) != 0 || (full[rl] != '/' && full[rl] != '\0'))
                return xstrdup(path);
        return xstrdup(full[rl] ? full + rl : "/");
}

static int write_ssh_keys(struct target *t, const char *entry, const struct ig_user *u)
{
        _cleanup_free_ char *home = NULL, *dir = NULL, *keys = NULL, *created = NULL;
        _cleanup_close_ int dfd = -1;
        struct fs_ids ids;
        size_t len;
        uid_t uid;
        gid_t gid;
        int r;

        r = target_lookup_user(t, u->name, &uid, &gid, &home);
        if (r == -ENOENT)
                return log_error_errno(r, "%s: cannot add SSH keys: no such user in the target's /etc/passwd",
                                       entry);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read the target's /etc/passwd: %m", entry);

        log_info("adding SSH keys for \"%s\"", u->name);
        keys = join_keys(&u->ssh_authorized_keys, &len);
        dir = xasprintf("%s/.ssh/authorized_keys.d", strcmp(home, "/") == 0 ? "" : home);

        r = fs_ids_become(&ids, uid, gid);
        if (r >= 0) {
                dfd = open_dirs_as_user(t, dir, uid, gid, &created);
                r = dfd < 0 ? dfd : root_write_file(dfd, "ignition", keys, len, 0600, uid, gid);
        }
        fs_ids_restore(&ids);
        if (r < 0)
                return log_error_errno(r, "%s: cannot write SSH keys to %s/ignition: %m", entry, dir);

        /* Ignition relabels a user's home only when it is not noCreateHome
         * (note_homes()), and not what a symlinked .ssh points to; sshd
         * needs the keys labelled in every case. Noted with symlinks
         * resolved, since setfiles would resolve them on the host. */
        _cleanup_free_ char *file = xasprintf("%s/ignition", dir);
        _cleanup_free_ char *resolved = resolve_in_root(t, created ? created : file);
        target_note_created(t, resolved ? resolved : file);
        return 0;
}

static int apply_user(struct target *t, size_t i, const struct ig_user *u, bool check_only)
{
        _cleanup_free_ char *entry = xasprintf("$.passwd.users[%zu] \"%s\"", i, u->name);
        _cleanup_free_ char *groups = NULL;
        char uid_buf[32];
        struct cmd c = {};
        bool exists;
        int r;

        r = target_lookup_user(t, u->name, NULL, NULL, NULL);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "%s: cannot read the target's /etc/passwd: %m", entry);
        exists = r == 0;

        if (is_false(u->should_exist)) {
                if (!exists)
                        return 0;
                cmd_add(&c, "userdel");
                cmd_add(&c, "--remove");
                cmd_add(&c, "--root");
                cmd_add(&c, t->root.path);
                cmd_add(&c, u->name);
                if (check_only)
                        return refuse_tool(entry, "deleting the user", &c);
                log_info("deleting user \"%s\"", u->name);
                return run_tool(entry, &c);
        }

        /* Options in Ignition's order, so commands read the same in logs. */
        cmd_add(&c, exists ? "usermod" : "useradd");
        cmd_add(&c, "--root");
        cmd_add(&c, t->root.path);
        if (exists) {
                if (not_empty(u->home_dir)) {
                        cmd_add(&c, "--home");
                        cmd_add(&c, u->home_dir);
                        cmd_add(&c, "--move-home");
                }
        } else {
                if (not_empty(u->home_dir)) {
                        cmd_add(&c, "--home-dir");
                        cmd_add(&c, u->home_dir);
                }
                cmd_add(&c, is_true(u->no_create_home) ? "--no-create-home" : "--create-home");
                if (is_true(u->no_user_group))
                        cmd_add(&c, "--no-user-group");
                if (is_true(u->system))
                        cmd_add(&c, "--system");
                if (is_true(u->no_log_init))
                        cmd_add(&c, "--no-log-init");
        }
        /* A new user without a hash gets "*" (no password login); "" means
         * the same. An existing user's password changes only when given. */
        if (u->password_hash || !exists) {
                cmd_add(&c, "--password");
                if (not_empty(u->password_hash))
                        cmd_add_secret(&c, u->password_hash);
                else
                        cmd_add(&c, "*");
        }
        if (u->uid.set) {
                snprintf(uid_buf, sizeof(uid_buf), "%" PRId64, u->uid.v);
                cmd_add(&c, "--uid");
                cmd_add(&c, uid_buf);
        }
        if (not_empty(u->gecos)) {
                cmd_add(&c, "--comment");
                cmd_add(&c, u->gecos);
        }
        if (not_empty(u->primary_group)) {
                cmd_add(&c, "--gid");
                cmd_add(&c, u->primary_group);
        }
        if (u->groups.n > 0) {
                groups = join_groups(&u->groups);
                cmd_add(&c, "--groups");
                cmd_add(&c, groups);
        }
        if (not_empty(u->shell)) {
                cmd_add(&c, "--shell");
                cmd_add(&c, u->shell);
        }
        cmd_add(&c, u->name);

        if (exists && c.n == 4) {
                /* Ignition runs "usermod --root R NAME" here, which only
                 * says "no changes": save the process. */
                log_debug("user \"%s\" exists and nothing is to be changed", u->name);
        } else if (check_only) {
                return refuse_tool(entry, exists ? "changing the user" : "creating the user", &c);
        } else {
                if (exists)
                        log_info("modifying user \"%s\"", u->name);
                else
                        log_info("creating user \"%s\"", u->name);
                r = run_tool(entry, &c);
                if (r < 0)
                        return r;
        }

        if (u->ssh_authorized_keys.n > 0 && !check_only)
                return write_ssh_keys(t, entry, u);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Ignition's blanket relabel of the account databases: /etc/passwd*,
 * group*, shadow*, gshadow*, subuid*, subgid* and .pwd.lock, expanded
 * against what exists (as its filepath.Glob does), sorted for stable
 * output. */
static void note_account_files(struct target *t)
{
        static const char *const prefixes[] = { "passwd", "group", "shadow", "gshadow", "subuid", "subgid" };
        _cleanup_free_ char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;
        int fd;

        fd = root_openat(&t->root, "/etc", O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0) {
                log_debug("cannot list the target's /etc for relabelling: %s", strerror(-fd));
                return;
        }
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((de = readdir(d))) {
                bool match = strcmp(de->d_name, ".pwd.lock") == 0;
                for (size_t i = 0; !match && i < ELEMENTSOF(prefixes); i++)
                        match = strncmp(de->d_name, prefixes[i], strlen(prefixes[i])) == 0;
                if (!match)
                        continue;
                names = xrealloc(names, (n + 1) * sizeof(char *));
                names[n++] = xasprintf("/etc/%s", de->d_name);
        }
        closedir(d);
        if (n > 1)
                qsort(names, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++) {
                target_note_created(t, names[i]);
                free(names[i]);
        }
}

/* Ignition also relabels the (symlink-resolved) home of every user in the
 * config that was not deleted and not marked noCreateHome. Where Ignition
 * fails the whole stage on a home that does not exist (an existing system
 * user like daemon with home /usr/sbin missing from the image: "lstat ...:
 * no such file or directory"), we skip it: there is nothing to label. */
static void note_homes(struct target *t, const struct ig_passwd *p)
{
        for (size_t i = 0; i < p->users.n; i++) {
                const struct ig_user *u = &p->users.v[i];
                _cleanup_free_ char *home = NULL, *resolved = NULL;

                if (is_false(u->should_exist) || is_true(u->no_create_home))
                        continue;
                if (target_lookup_user(t, u->name, NULL, NULL, &home) < 0)
                        continue;
                resolved = resolve_in_root(t, home);
                if (!resolved) {
                        log_debug("home %s of \"%s\" does not exist, not relabelling it", home, u->name);
                        continue;
                }
                target_note_created(t, resolved);
        }
}

int target_passwd_apply(struct target *t, const struct ig_passwd *p)
{
        int r;

        if (p->groups.n == 0 && p->users.n == 0)
                return 0;
        /* shadow-utils' --root only takes absolute paths (it chroots by
         * name); say so plainly rather than through useradd's message. */
        if (!t->root.path || t->root.path[0] != '/')
                return log_error_errno(EINVAL, "passwd: the target root must be an absolute path, not %s",
                                       t->root.path ? t->root.path : "(none)");

        for (size_t i = 0; i < p->groups.n; i++) {
                r = apply_group(t, i, &p->groups.v[i], false);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < p->users.n; i++) {
                r = apply_user(t, i, &p->users.v[i], false);
                if (r < 0)
                        return r;
        }
        note_account_files(t);
        note_homes(t, p);
        return 0;
}

/* Every entry is decided as the stage would decide it (a user is looked up
 * in the target's /etc/passwd), and every one that needs a tool reported.
 * Only SSH keys of existing users that need no other change, and deleting
 * what does not exist, get through. */
int target_passwd_check_no_programs(struct target *t, const struct ig_passwd *p)
{
        int r = 0, k;

        for (size_t i = 0; i < p->groups.n; i++) {
                k = apply_group(t, i, &p->groups.v[i], true);
                r = r < 0 ? r : k;
        }
        for (size_t i = 0; i < p->users.n; i++) {
                k = apply_user(t, i, &p->users.v[i], true);
                r = r < 0 ? r : k;
        }
        return r;
}

/* shadow-utils reads and rewrites these in the chroot: a FIFO there blocks
 * it forever, a device would be read or written. Symlinks are followed
 * inside the chroot, so they are left to it. */
int target_passwd_check(struct target *t, const struct ig_passwd *p)
{
        static const char *const dbs[] = { "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow" };
        int r = 0;

        if (p->groups.n == 0 && p->users.n == 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(dbs); i++) {
                _cleanup_close_ int dfd = -1;
                const char *name;
                struct stat st;

                dfd = root_open_parent(&t->root, dbs[i], false, NULL, &name);
                if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;       /* missing: shadow-utils reports it */
                if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
                        continue;
                r = log_error_errno(EMEDIUMTYPE, "$.passwd: the target's %s is %s, not a regular file: shadow-utils "
                                    "would block on it or write through it", dbs[i], root_file_type(st.st_mode));
        }
        return r;
}
