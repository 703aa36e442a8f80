/* SPDX-License-Identifier: Apache-2.0 */
/* storage.files, storage.directories and storage.links, with Ignition's
 * semantics: directories, files and symlinks shallowest first, hard links
 * last (so they may point at deeper files); overwrite removes whatever is
 * there first; without overwrite an existing node is an error, except a
 * regular file whose entry has no contents (kept; append, mode and owner
 * still apply) and a link that already points where it should. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/data-url.h"
#include "ignis/fetch.h"
#include "ignis/log.h"
#include "ignis/target.h"
#include "ignis/util.h"
#include "ignis/workers.h"

enum kind {
        K_DIR,
        K_FILE,
        K_LINK,
};

struct entry {
        enum kind kind;
        size_t index;           /* in its config list */
        const char *path;
        unsigned depth;
        const struct ig_node_owner *user, *group;
        struct ig_bool overwrite;
        union {
                const struct ig_file *file;
                const struct ig_directory *dir;
                const struct ig_link *link;
        };
        char *what;             /* "$.storage.files[3] \"/etc/motd\"" */
        bool uid_set, gid_set;  /* owner asked for by the config, resolved up front */
        uid_t uid;
        gid_t gid;
        char *resolved;         /* where the path lands after symlinks in the root */
};

static const char *const list_name[] = {
        [K_DIR] = "directories",
        [K_FILE] = "files",
        [K_LINK] = "links",
};

static unsigned depth_of(const char *path)
{
        unsigned d = 0;

        for (const char *p = path; *p; p++)
                if (*p == '/' && p[1])
                        d++;
        return d;
}

static int cmp_depth(const void *a, const void *b)
{
        const struct entry *x = a, *y = b;

        if (x->depth != y->depth)
                return x->depth < y->depth ? -1 : 1;
        /* Stable: keep directories, files, links and config order. */
        return x < y ? -1 : x > y;
}

static int cmp_resolved(const void *a, const void *b)
{
        const struct entry *const *x = a, *const *y = b;
        int c = strcmp((*x)->resolved, (*y)->resolved);

        return c ? c : (*x < *y ? -1 : *x > *y);
}

/* Where a directory lands after following the symlinks already in the
 * root, as a path inside the root; NULL when it does not exist (yet). */
static char *resolve_dir(struct target *t, const char *dir)
{
        char proc[64], buf[PATH_MAX];
        size_t rootlen = strlen(t->root.path);
        ssize_t n;
        int fd;

        fd = root_openat(&t->root, dir, O_PATH | O_DIRECTORY, 0);
        if (fd < 0)
                return NULL;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        /* Strip the root's own host path; what is left is inside the root. */
        if ((size_t) n >= rootlen && strncmp(buf, t->root.path, rootlen) == 0)
                return xstrdup(buf + rootlen);
        return xstrdup(buf);
}

static size_t dir_len(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash ? (size_t) (slash - path) : 0;
}

static int cmp_dir(const void *a, const void *b)
{
        const struct entry *const *x = a, *const *y = b;
        size_t lx = dir_len((*x)->path), ly = dir_len((*y)->path);
        int c = memcmp((*x)->path, (*y)->path, lx < ly ? lx : ly);

        return c ? c : (lx > ly) - (lx < ly);
}

/* Where every node lands after following the symlinks already in the root.
 * Entries are grouped by directory so that each directory is resolved
 * once, not once per file in it. */
static void resolve_all(struct target *t, struct entry **byres, size_t n)
{
        qsort(byres, n, sizeof(*byres), cmp_dir);
        for (size_t i = 0; i < n; ) {
                size_t dl = dir_len(byres[i]->path), j;
                _cleanup_free_ char *dir = xstrndup(byres[i]->path, dl);
                _cleanup_free_ char *real = resolve_dir(t, *dir ? dir : "/");

                for (j = i; j < n && dir_len(byres[j]->path) == dl &&
                            memcmp(byres[j]->path, byres[i]->path, dl) == 0; j++) {
                        const char *name = byres[j]->path + dl + 1;
                        byres[j]->resolved = real ? xasprintf("%s/%s", strcmp(real, "/") ? real : "", name)
                                                  : xstrdup(byres[j]->path);
                }
                i = j;
        }
}

/* Names are looked up in the target (users created by this run included)
 * before any node is written, so an unknown name leaves nothing behind. */
static int lookup_owner(struct target *t, struct entry *e)
{
        int r;

        if (e->user && e->user->id.set) {
                e->uid = (uid_t) e->user->id.v;
                e->uid_set = true;
        } else if (e->user && e->user->name && *e->user->name) {
                r = target_lookup_user(t, e->user->name, &e->uid, NULL, NULL);
                if (r == -ENOENT)
                        return log_error_errno(r, "%s: no user \"%s\" in the target's /etc/passwd", e->what,
                                               e->user->name);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot look up user \"%s\": %m", e->what, e->user->name);
                e->uid_set = true;
        }
        if (e->group && e->group->id.set) {
                e->gid = (gid_t) e->group->id.v;
                e->gid_set = true;
        } else if (e->group && e->group->name && *e->group->name) {
                r = target_lookup_group(t, e->group->name, &e->gid);
                if (r == -ENOENT)
                        return log_error_errno(r, "%s: no group \"%s\" in the target's /etc/group", e->what,
                                               e->group->name);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot look up group \"%s\": %m", e->what, e->group->name);
                e->gid_set = true;
        }
        return 0;
}

/* The owner to set: what the config asked for, else the given default
 * (the existing owner, or for something new what the kernel gave it). */
static void resolve_owner(const struct entry *e, uid_t *uid, gid_t *gid)
{
        if (e->uid_set)
                *uid = e->uid;
        if (e->gid_set)
                *gid = e->gid;
}

/* Applies owner, then mode: chown clears setuid/setgid bits, so the mode
 * must come last or a 3.6 config's 04755 would not survive. */
static int set_owner_mode(const struct entry *e, int fd, uid_t uid, gid_t gid, const struct ig_int *mode)
{
        if (fchown(fd, uid, gid) < 0)
                return log_error_errno(errno, "%s: cannot set owner %u:%u: %m", e->what, uid, gid);
        if (mode && mode->set && fchmod(fd, (mode_t) mode->v) < 0)
                return log_error_errno(errno, "%s: cannot set mode %04o: %m", e->what, (unsigned) mode->v);
        return 0;
}

static void note_created(struct target *t, struct ig_strv *parents, const char *path)
{
        /* The top-most new thing is what needs relabelling. */
        if (parents->n > 0)
                target_note_created(t, parents->v[0]);
        else if (path)
                target_note_created(t, path);
        for (size_t i = 0; i < parents->n; i++)
                free(parents->v[i]);
        free(parents->v);
        *parents = (struct ig_strv) {};
}

static int append_all(const struct entry *e, int fd)
{
        const struct ig_file *f = e->file;

        for (size_t i = 0; i < f->append.n; i++) {
                /* Named down to the fragment: which of them failed. */
                _cleanup_free_ char *what = xasprintf("$.storage.files[%zu].append[%zu] \"%s\"",
                                                      e->index, i, e->path);
                int r = fetch_to_fd(&f->append.v[i], fd, what);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Where the fragments for an existing file gather before any of them
 * reaches it: an unnamed file beside it (same filesystem, not RAM), or a
 * memfd where the filesystem has no O_TMPFILE (vfat). */
static int open_staging(int dirfd)
{
        int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

        if (fd >= 0)
                return fd;
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
                return -errno;
        fd = memfd_create("ignis-append", MFD_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* Copies all of src (from its start) to the end of dst without allocating:
 * once the first byte lands, nothing short of an I/O error stops the rest. */
static int copy_staged(int src, int dst)
{
        char buf[64 * 1024];

        if (lseek(src, 0, SEEK_SET) < 0)
                return -errno;
        for (;;) {
                ssize_t n = read(src, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(dst, buf + off, (size_t) (n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return -errno;
                        off += w;
                }
        }
}

/* An open directory the previous entries wrote into, with what a file
 * created in it gets by default. */
struct parent {
        char *dir;              /* the entry's parent path, as in the config */
        int fd;
        uid_t uid;              /* a new file's owner ... */
        gid_t gid;              /* ... and group (the directory's, if setgid) */
        bool setgid;            /* new directories in it inherit S_ISGID */
};

static int exists_error(const struct entry *e, const struct stat *st)
{
        if (!S_ISREG(st->st_mode))
                return log_error_errno(EEXIST, "%s: something other than a regular file exists there "
                                       "and overwrite is false; set \"overwrite\": true to replace it", e->what);
        return log_error_errno(EEXIST, "%s: a file already exists there and overwrite is false; "
                               "set \"overwrite\": true to replace it, use \"append\" to add to it, "
                               "or drop contents.source to keep it", e->what);
}

/* Whether keeping the existing file st for e changes it in place: an
 * append, or a mode or owner other than the one it has. */
static bool kept_file_changes(const struct entry *e, const struct stat *st)
{
        const struct ig_file *f = e->file;
        uid_t uid = st->st_uid;
        gid_t gid = st->st_gid;

        resolve_owner(e, &uid, &gid);
        return f->append.n > 0 || uid != st->st_uid || gid != st->st_gid ||
               (f->mode.set && (mode_t) f->mode.v != (st->st_mode & 07777));
}

/* A file with other hard links is one inode under several names: changing
 * it in place changes it under every name, and the other names may be
 * anywhere on the filesystem -- outside the root too, where ignis apply
 * runs on the host's filesystem. This run cannot tell, so it refuses
 * (Ignition changes it). Replacing the file (overwrite, with contents)
 * writes a new inode and is not affected. */
static int check_kept_links(const struct entry *e, const struct stat *st)
{
        if (!S_ISREG(st->st_mode) || st->st_nlink <= 1 || !kept_file_changes(e, st))
                return 0;
        return log_error_errno(EMLINK, "%s: the existing file has %ju hard links; %s it in place would change "
                               "it under every other name too, which may be outside the root: refusing. "
                               "Replace it (\"overwrite\": true with contents) or remove its other links",
                               e->what, (uintmax_t) st->st_nlink,
                               e->file->append.n ? "appending to" : "changing the mode or owner of");
}

/* The same check before anything is written, on what the tree has now
 * (apply_kept_file() checks again on the file it opens). */
static int check_kept_file_early(struct target *t, const struct entry *e)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (e->kind != K_FILE || e->file->contents.source || ig_bool_or(e->overwrite, false))
                return 0;
        fd = root_openat(&t->root, e->path, O_PATH | O_NOFOLLOW, 0);
        if (fd < 0 || fstat(fd, &st) < 0)
                return 0;       /* nothing there yet, or reported when it is written */
        return check_kept_links(e, &st);
}

/* An entry without contents.source keeps an existing regular file (append,
 * mode and owner still apply). */
static int apply_kept_file(const struct entry *e, int dirfd, const char *name, const struct stat *st)
{
        const struct ig_file *f = e->file;
        _cleanup_close_ int fd = -1;
        uid_t uid = st->st_uid;
        gid_t gid = st->st_gid;
        struct stat fst;
        int r;

        if (!S_ISREG(st->st_mode))
                return exists_error(e, st);
        resolve_owner(e, &uid, &gid);
        fd = root_open_regular_at(dirfd, name, f->append.n ? O_WRONLY | O_APPEND : O_RDONLY, &fst);
        if (fd == ROOT_ENOTREG || fd == -ELOOP)
                return exists_error(e, &fst);
        if (fd < 0)
                return log_error_errno(fd, "%s: cannot open the existing file: %m", e->what);
        /* Checked on the file opened: a link made since the lookup counts. */
        r = check_kept_links(e, &fst);
        if (r < 0)
                return r;
        if (f->append.n) {
                struct stat old;
                log_info("appending to file \"%s\"", e->path);
                if (fstat(fd, &old) < 0)
                        return log_error_errno(errno, "%s: cannot inspect the existing file: %m", e->what);
                /* Every fragment is fetched and verified before the file
                 * changes: a fetch that fails, or an allocation that
                 * aborts the process, leaves the file as it was. */
                _cleanup_close_ int staged = open_staging(dirfd);
                if (staged < 0)
                        return log_error_errno(staged, "%s: cannot create a file for the fragments: %m", e->what);
                r = append_all(e, staged);
                if (r < 0)
                        return r;
                r = copy_staged(staged, fd);
                if (r < 0) {
                        /* Appended in place (the inode and its other names
                         * stay): a failure half way cuts the fragments off
                         * again rather than leave half of them. */
                        log_error_errno(r, "%s: cannot append: %m", e->what);
                        if (ftruncate(fd, old.st_size) < 0)
                                log_warning_errno(errno, "%s: cannot cut off the partial append: %m", e->what);
                        return r;
                }
        }
        return set_owner_mode(e, fd, uid, gid, &f->mode);
}

/* A new file, from its creation to its link: what the main thread decides
 * (file_job_prepare), what any thread may do without logging
 * (file_job_finish), and the error line for the step that failed
 * (file_job_error). */
struct file_job {
        const struct entry *e;
        const struct parent *pd;
        const char *name;
        mode_t mode;
        bool exact, owned;
        /* Renamed over an existing file, so that a failure keeps the old one. */
        bool replace;
        uid_t uid;
        gid_t gid;
        /* set by the writing */
        int r;
        enum { STEP_DECODE, STEP_CREATE, STEP_WRITE, STEP_OWNER, STEP_MODE, STEP_LINK, STEP_MOVED } step;
        struct stat st;         /* what is in the way, for -EEXIST at STEP_LINK */
        bool st_valid;
};

static void file_job_prepare(const struct entry *e, const struct parent *pd, struct file_job *j)
{
        const struct ig_file *f = e->file;
        /* Unless told, a new node keeps the owner the kernel gives it: the
         * agent's (root), and a setgid parent's group, as with Ignition. */
        uid_t uid = pd->uid;
        gid_t gid = pd->gid;

        resolve_owner(e, &uid, &gid);
        *j = (struct file_job) {
                .e = e,
                .pd = pd,
                .name = strrchr(e->path, '/') + 1,
                .mode = f->mode.set ? (mode_t) f->mode.v : 0644,
                .uid = uid,
                .gid = gid,
        };
        /* Created with its final mode and owner where the kernel gives it
         * those anyway: two syscalls fewer per file. */
        j->exact = root_mode_exact(j->mode);
        j->owned = pd->uid == uid && pd->gid == gid;
}

/* Owner and mode where the kernel did not give them, then the link. */
static void file_job_finish(struct file_job *j, struct root_tmp *tmp)
{
        if (!(j->exact && j->owned)) {
                j->step = STEP_OWNER;
                if (fchown(tmp->fd, j->uid, j->gid) < 0)
                        j->r = -errno;
                else if (!j->exact) {
                        /* After chown, which clears setuid/setgid bits. */
                        j->step = STEP_MODE;
                        if (fchmod(tmp->fd, j->mode) < 0)
                                j->r = -errno;
                }
        }
        if (j->r >= 0) {
                j->step = STEP_LINK;
                j->r = j->replace ? root_tmp_link(tmp, j->name) : root_new_link(tmp, j->name);
                if (j->r == -EEXIST)
                        j->st_valid = fstatat(j->pd->fd, j->name, &j->st, AT_SYMLINK_NOFOLLOW) == 0;
        }
}

static int file_job_error(const struct file_job *j)
{
        const struct entry *e = j->e;
        int r = j->r;

        if (r >= 0)
                return 0;
        switch (j->step) {
        case STEP_CREATE:
                return log_error_errno(r, "%s: cannot create a temporary file: %m", e->what);
        case STEP_WRITE:
                return log_error_errno(r, "%s: cannot write the file: %m", e->what);
        case STEP_OWNER:
                return log_error_errno(r, "%s: cannot set owner %u:%u: %m", e->what, j->uid, j->gid);
        case STEP_MODE:
                return log_error_errno(r, "%s: cannot set mode %04o: %m", e->what, (unsigned) j->mode);
        case STEP_MOVED:
                return log_error_errno(r, "%s: the parent directory was moved or replaced while the file was "
                                       "written; the file was not left in it", e->what);
        default:
                if (r == -EEXIST && j->st_valid)
                        return exists_error(e, &j->st);
                return log_error_errno(r, "%s: cannot move the file into place: %m", e->what);
        }
}

/* Whether pd is still the directory e's path leads to inside the root.
 * Something else running in the tree (never in the initramfs) may rename a
 * directory while a long stream is written into it -- out of the root,
 * even. A file linked into the open directory would then appear wherever
 * it went. Checked before the link and again after it: a move before the
 * link is seen by the first check, a move between the first check and the
 * link by the second, which takes the file away again. (The file may thus
 * exist for a moment where the directory went; it never stays there.) */
static bool parent_in_place(struct target *t, const struct entry *e, const struct parent *pd)
{
        _cleanup_close_ int fd = -1;
        const char *name;
        struct stat a, b;

        fd = root_open_parent(&t->root, e->path, false, NULL, &name);
        return fd >= 0 && fstat(fd, &a) == 0 && fstat(pd->fd, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

/* After the link: a file whose directory moved is removed again. */
static void file_job_recheck(struct target *t, struct file_job *j)
{
        if (j->r < 0 || parent_in_place(t, j->e, j->pd))
                return;
        (void) unlinkat(j->pd->fd, j->name, 0);
        j->r = -ESTALE;
        j->step = STEP_MOVED;
}

static int apply_file(struct target *t, const struct entry *e, const struct parent *pd, const char *name,
                      bool replace, struct ig_strv *parents)
{
        const struct ig_file *f = e->file;
        struct file_job j;
        struct root_tmp tmp;
        struct stat st;
        int r;

        /* With contents, whatever exists is an error, which the final link
         * reports (-EEXIST) without a lookup of its own beforehand. */
        if (!f->contents.source) {
                if (fstatat(pd->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return apply_kept_file(e, pd->fd, name, &st);
                if (errno != ENOENT)
                        return log_error_errno(errno, "%s: cannot inspect the existing path: %m", e->what);
        }

        file_job_prepare(e, pd, &j);
        j.replace = replace;
        log_info("writing file \"%s\"", e->path);
        j.step = STEP_CREATE;
        j.r = root_new_open(pd->fd, name, j.exact ? j.mode : 0600, &tmp);
        if (j.r >= 0) {
                /* Streamed: fetch and append log their own errors. */
                r = fetch_to_fd(&f->contents, tmp.fd, e->what);
                if (r >= 0)
                        r = append_all(e, tmp.fd);
                if (r >= 0 && !parent_in_place(t, e, pd)) {
                        j.r = -ESTALE;
                        j.step = STEP_MOVED;
                } else if (r >= 0) {
                        file_job_finish(&j, &tmp);
                        file_job_recheck(t, &j);
                }
                root_tmp_discard(&tmp);
                if (r < 0)
                        return r;
        }
        r = file_job_error(&j);
        if (r >= 0)
                note_created(t, parents, e->path);
        return r;
}

/* *existed: whether the directory was there already (its owner or mode may
 * have changed: a cached parent's defaults may be stale). */
static int apply_dir(struct target *t, const struct entry *e, const struct parent *pd, const char *name,
                     struct ig_strv *parents, bool *existed)
{
        int dirfd = pd->fd;
        _cleanup_close_ int fd = -1;
        struct ig_int mode = e->dir->mode;
        struct stat st;
        uid_t uid, gid;

        *existed = true;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (!S_ISDIR(st.st_mode))
                        return log_error_errno(EEXIST, "%s: something other than a directory exists there and "
                                               "overwrite is false; set \"overwrite\": true to replace it", e->what);
                /* An existing directory keeps its owner and mode unless told. */
                uid = st.st_uid;
                gid = st.st_gid;
        } else if (errno != ENOENT)
                return log_error_errno(errno, "%s: cannot inspect the existing path: %m", e->what);
        else {
                /* Without a mode: 0755 whatever the umask, plus the setgid
                 * bit a setgid parent passes on (Ignition keeps it too). */
                mode_t inherit = pd->setgid ? S_ISGID : 0;
                mode_t want = mode.set ? (mode_t) mode.v : 0755 | inherit;

                *existed = false;
                log_info("creating directory \"%s\"", e->path);
                if (mkdirat(dirfd, name, want & 0777) < 0)
                        return log_error_errno(errno, "%s: cannot create the directory: %m", e->what);
                note_created(t, parents, e->path);
                /* What mkdir gave it: the kernel's owner, the mode less
                 * the umask, plus the inherited bit. */
                uid = pd->uid;
                gid = pd->gid;
                resolve_owner(e, &uid, &gid);
                if (uid == pd->uid && gid == pd->gid && root_mode_exact(want & 0777) && (want & 07000) == inherit)
                        return 0;
                mode = (struct ig_int) { .set = true, .v = want };
        }

        resolve_owner(e, &uid, &gid);
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "%s: cannot open the directory: %m", e->what);
        return set_owner_mode(e, fd, uid, gid, &mode);
}

/* Ignition compares symlink targets after cleaning them. */
static char *clean_path(const char *p)
{
        size_t n = strlen(p);
        char *out = xmalloc(n + 2), **parts = xcalloc(n + 1, sizeof(char *));
        _cleanup_free_ char *copy = xstrdup(p);
        size_t np = 0, len = 0;
        bool abs = p[0] == '/';
        char *save = NULL;

        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0) {
                        if (np > 0 && strcmp(parts[np - 1], "..") != 0)
                                np--;
                        else if (!abs)
                                parts[np++] = c;
                        continue;
                }
                parts[np++] = c;
        }
        if (abs)
                out[len++] = '/';
        for (size_t i = 0; i < np; i++) {
                size_t l = strlen(parts[i]);
                if (i)
                        out[len++] = '/';
                memcpy(out + len, parts[i], l);
                len += l;
        }
        if (len == 0)
                out[len++] = '.';
        out[len] = '\0';
        free(parts);
        return out;
}

static int apply_link(struct target *t, const struct entry *e, const struct parent *pd, const char *name,
                      struct ig_strv *parents)
{
        int dirfd = pd->fd;
        const struct ig_link *l = e->link;
        bool hard = ig_bool_or(l->hard, false);
        struct stat st;

        /* Spec 3.0.0 let a link lack its target (validation warned); there
         * is nothing to link to. */
        if (!l->target)
                return log_error_errno(EINVAL, "%s: the link has no target", e->what);
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (hard) {
                        const char *tname;
                        struct stat tst;
                        _cleanup_close_ int tdir = root_open_parent(&t->root, l->target, false, NULL, &tname);
                        if (tdir < 0 || fstatat(tdir, tname, &tst, AT_SYMLINK_NOFOLLOW) < 0)
                                return log_error_errno(tdir < 0 ? tdir : -errno,
                                                       "%s: hard link target \"%s\" does not exist", e->what,
                                                       l->target);
                        if (tst.st_dev != st.st_dev || tst.st_ino != st.st_ino)
                                return log_error_errno(EEXIST, "%s: a file that is not the link's target exists "
                                                       "there and overwrite is false", e->what);
                        log_info("hard link \"%s\" to \"%s\" already exists", e->path, l->target);
                        return 0;
                }
                if (S_ISLNK(st.st_mode)) {
                        char buf[PATH_MAX];
                        ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
                        _cleanup_free_ char *have = NULL, *want = NULL;
                        if (n < 0)
                                return log_error_errno(errno, "%s: cannot read the existing symlink: %m", e->what);
                        buf[n] = '\0';
                        have = clean_path(buf);
                        want = clean_path(l->target);
                        if (strcmp(have, want) != 0)
                                return log_error_errno(EEXIST, "%s: a symlink to \"%s\" exists there, not to \"%s\", "
                                                       "and overwrite is false", e->what, buf, l->target);
                        log_info("symlink \"%s\" to \"%s\" already exists", e->path, l->target);
                        return 0;
                }
                return log_error_errno(EEXIST, "%s: something other than a symlink exists there and overwrite "
                                       "is false; set \"overwrite\": true to replace it", e->what);
        } else if (errno != ENOENT)
                return log_error_errno(errno, "%s: cannot inspect the existing path: %m", e->what);

        log_info("writing link \"%s\" -> \"%s\"", e->path, l->target);
        if (hard) {
                const char *tname;
                _cleanup_close_ int tdir = root_open_parent(&t->root, l->target, false, NULL, &tname);
                if (tdir < 0)
                        return log_error_errno(tdir, "%s: hard link target \"%s\": %m", e->what, l->target);
                if (linkat(tdir, tname, dirfd, name, 0) < 0)
                        return log_error_errno(errno, "%s: cannot link to \"%s\": %m", e->what, l->target);
                note_created(t, parents, e->path);
                return 0;
        }

        uid_t uid = pd->uid;
        gid_t gid = pd->gid;
        resolve_owner(e, &uid, &gid);
        if (symlinkat(l->target, dirfd, name) < 0)
                return log_error_errno(errno, "%s: cannot create the symlink: %m", e->what);
        if ((uid != pd->uid || gid != pd->gid) && fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return log_error_errno(errno, "%s: cannot set the symlink's owner: %m", e->what);
        note_created(t, parents, e->path);
        return 0;
}

/* Parent directories stay open between entries: a thousand files in fifty
 * directories would otherwise resolve the same directory from the root a
 * thousand times. An entry resolves the same directory as an earlier one
 * as long as nothing that could change how its path resolves, or what a new
 * file in it gets, has happened since: writing a file cannot; removing a
 * tree (overwrite), creating a link or creating or changing a directory
 * (through symlinks it may be a cached one) might, so those empty it. */
#define PARENT_CACHE 64

struct parent_cache {
        struct parent v[PARENT_CACHE];
        size_t n, next;
};

static void parent_cache_clear(struct parent_cache *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].dir);
                close(c->v[i].fd);
        }
        c->n = c->next = 0;
}

static const struct parent *parent_cache_get(struct parent_cache *c, const char *dir, size_t len)
{
        for (size_t i = 0; i < c->n; i++)
                if (strncmp(c->v[i].dir, dir, len) == 0 && c->v[i].dir[len] == '\0')
                        return &c->v[i];
        return NULL;
}

/* Takes fd. */
static int parent_cache_put(struct parent_cache *c, const char *dir, size_t len, int fd,
                            const struct parent **ret)
{
        struct parent *p;
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (c->n < PARENT_CACHE)
                p = &c->v[c->n++];
        else {
                p = &c->v[c->next];
                c->next = (c->next + 1) % PARENT_CACHE;
                free(p->dir);
                close(p->fd);
        }
        *p = (struct parent) {
                .dir = xstrndup(dir, len),
                .fd = fd,
                .uid = geteuid(),
                .gid = (st.st_mode & S_ISGID) ? st.st_gid : getegid(),
                .setgid = st.st_mode & S_ISGID,
        };
        *ret = p;
        return 0;
}

/* Removes what is there for overwrite: true, then opens the entry's parent
 * directory (from the cache, or resolved and created as needed). On error,
 * logs and returns it; created parents are in *parents either way. A file
 * with contents that replaces anything but a directory is renamed over it
 * instead (*replace): a failure half way then leaves the old one in place. */
static int open_parent(struct target *t, const struct entry *e, struct parent_cache *cache,
                       const struct parent **ret, const char **ret_name, bool *replace, struct ig_strv *parents)
{
        const char *slash = strrchr(e->path, '/'), *name;
        size_t dlen = slash ? (size_t) (slash - e->path) : 0;
        const struct parent *pd;
        int dirfd, r;

        *replace = false;
        if (ig_bool_or(e->overwrite, false)) {
                parent_cache_clear(cache);
                _cleanup_close_ int pfd = root_open_parent(&t->root, e->path, false, NULL, &name);
                struct stat st;
                if (pfd >= 0 && e->kind == K_FILE && e->file->contents.source &&
                    fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
                        *replace = true;
                else if (pfd >= 0) {
                        r = root_remove_tree(pfd, name);
                        if (r < 0)
                                return log_error_errno(r, "%s: cannot remove what is there: %m", e->what);
                } else if (pfd != -ENOENT)
                        return log_error_errno(pfd, "%s: cannot resolve the parent directory: %m", e->what);
        }

        pd = slash && slash[1] ? parent_cache_get(cache, e->path, dlen) : NULL;
        if (pd)
                name = slash + 1;
        else {
                dirfd = root_open_parent(&t->root, e->path, true, parents, &name);
                if (dirfd < 0) {
                        if (dirfd == -ENOTDIR)
                                return log_error_errno(dirfd, "%s: a parent of the path is not a directory", e->what);
                        if (dirfd == -EXDEV)
                                return log_error_errno(dirfd, "%s: the path leaves the target root", e->what);
                        return log_error_errno(dirfd, "%s: cannot create the parent directories: %m", e->what);
                }
                r = parent_cache_put(cache, e->path, dlen, dirfd, &pd);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot inspect the parent directory: %m", e->what);
        }
        *ret = pd;
        *ret_name = name;
        return 0;
}

static int apply_entry(struct target *t, const struct entry *e, struct parent_cache *cache)
{
        struct ig_strv parents = {};
        const struct parent *pd;
        const char *name;
        bool replace;
        int r;

        r = open_parent(t, e, cache, &pd, &name, &replace, &parents);
        if (r < 0) {
                note_created(t, &parents, e->path);
                return r;
        }

        switch (e->kind) {
        case K_FILE:
                r = apply_file(t, e, pd, name, replace, &parents);
                break;
        case K_DIR: {
                bool existed;
                r = apply_dir(t, e, pd, name, &parents, &existed);
                /* A new setgid bit changes what a new file in it gets; a
                 * directory that did not exist cannot be in the cache. */
                if (existed)
                        parent_cache_clear(cache);
                break;
        }
        default:
                r = apply_link(t, e, pd, name, &parents);
                parent_cache_clear(cache);
                break;
        }
        /* Parents created before a failure still need relabelling. */
        note_created(t, &parents, e->path);
        return r;
}

/* New files whose contents are at hand (data: URLs) are written in batches
 * by several threads: creating a file is mostly the kernel's work, and it
 * runs in parallel in different directories. The threads only decode and
 * make syscalls; everything that decides, creates parents or logs happens
 * in this thread, in entry order: a batch ends before an entry whose parent
 * directory is not open yet, and after the batch the entries are reported
 * ("writing file", or the error) in order. When one fails, the files the
 * batch wrote for later entries are removed again: the result is the same
 * as writing one file after the other and stopping at the failure. */
#define BATCH_MAX 256
#define BATCH_SOURCE_MAX (256u << 10)

struct batch {
        struct file_job v[BATCH_MAX];
        size_t n;
        struct workers *workers;
        bool no_workers;        /* tried and got none */
};

static bool batchable(const struct entry *e)
{
        const struct ig_resource *c = &e->file->contents;

        return e->kind == K_FILE && !ig_bool_or(e->overwrite, false) && e->file->append.n == 0 && c->source &&
               strncasecmp(c->source, "data:", 5) == 0 && !(c->compression && *c->compression) &&
               !c->verification.hash && strlen(c->source) <= BATCH_SOURCE_MAX;
}

/* In any thread: decoding and syscalls only, no logging. */
static void file_job_run(void *arg)
{
        struct file_job *j = arg;
        _cleanup_free_ unsigned char *data = NULL;
        struct root_tmp tmp;
        size_t len;

        j->step = STEP_DECODE;
        j->r = ig_data_url_decode(j->e->file->contents.source, &data, &len, NULL);
        if (j->r < 0)
                return;
        j->step = STEP_CREATE;
        j->r = root_new_open(j->pd->fd, j->name, j->exact ? j->mode : 0600, &tmp);
        if (j->r < 0)
                return;
        j->step = STEP_WRITE;
        j->r = loop_write(tmp.fd, data, len);
        if (j->r >= 0)
                file_job_finish(j, &tmp);
        root_tmp_discard(&tmp);
}

/* In the calling thread, in entry order. */
static int file_job_report(struct target *t, const struct file_job *j)
{
        int r;

        if (j->step == STEP_DECODE)
                return log_error_errno(j->r, "%s: invalid data: URL", j->e->what);
        log_info("writing file \"%s\"", j->e->path);
        r = file_job_error(j);
        if (r >= 0)
                target_note_created(t, j->e->path);
        return r;
}

/* Writes the batch and reports it; the first error wins and what later
 * entries wrote is removed. */
static int batch_flush(struct target *t, struct batch *b)
{
        bool moved[BATCH_MAX];
        size_t i;
        int r = 0;

        if (b->n == 0)
                return 0;
        /* Threads only pay off for more than a handful of files. */
        if (b->n >= 16 && !b->workers && !b->no_workers) {
                b->workers = workers_new();
                b->no_workers = !b->workers;
        }
        workers_run(b->n >= 16 ? b->workers : NULL, b->v, b->n, sizeof(b->v[0]), file_job_run);
        /* Each directory of the batch checked once (parent_in_place()). */
        for (i = 0; i < b->n; i++) {
                size_t k;

                for (k = 0; k < i && b->v[k].pd != b->v[i].pd; k++)
                        ;
                if (k == i)
                        moved[i] = !parent_in_place(t, b->v[i].e, b->v[i].pd);
                if (moved[k] && b->v[i].r >= 0) {
                        (void) unlinkat(b->v[i].pd->fd, b->v[i].name, 0);
                        b->v[i].r = -ESTALE;
                        b->v[i].step = STEP_MOVED;
                }
        }
        /* The report describes work done: one write for the lot. */
        log_hold();
        for (i = 0; i < b->n && r >= 0; i++)
                r = file_job_report(t, &b->v[i]);
        log_release();
        for (; i < b->n; i++)
                if (b->v[i].r >= 0)
                        (void) unlinkat(b->v[i].pd->fd, b->v[i].name, 0);
        b->n = 0;
        return r;
}

static void add(struct entry *v, size_t *n, enum kind k, size_t index, const char *path,
                const struct ig_node_owner *user, const struct ig_node_owner *group, struct ig_bool overwrite,
                const void *obj)
{
        struct entry *e = &v[(*n)++];

        *e = (struct entry) {
                .kind = k,
                .index = index,
                .path = path,
                .depth = depth_of(path),
                .user = user,
                .group = group,
                .overwrite = overwrite,
                .file = obj,
                .what = xasprintf("$.storage.%s[%zu] \"%s\"", list_name[k], index, path),
        };
}

int target_nodes_apply(struct target *t, const struct ig_storage *s)
{
        size_t total = s->files.n + s->directories.n + s->links.n, n = 0;
        _cleanup_free_ struct entry *v = NULL;
        _cleanup_free_ struct entry **byres = NULL;
        struct parent_cache cache = {};
        _cleanup_free_ struct batch *batch = NULL;
        int r = 0;

        if (total == 0)
                return 0;
        v = xcalloc(total, sizeof(*v));

        for (size_t i = 0; i < s->directories.n; i++) {
                const struct ig_directory *d = &s->directories.v[i];
                add(v, &n, K_DIR, i, d->path, &d->user, &d->group, d->overwrite, d);
        }
        for (size_t i = 0; i < s->files.n; i++) {
                const struct ig_file *f = &s->files.v[i];
                add(v, &n, K_FILE, i, f->path, &f->user, &f->group, f->overwrite, f);
        }
        for (size_t i = 0; i < s->links.n; i++) {
                const struct ig_link *l = &s->links.v[i];
                if (!ig_bool_or(l->hard, false))
                        add(v, &n, K_LINK, i, l->path, &l->user, &l->group, l->overwrite, l);
        }
        qsort(v, n, sizeof(*v), cmp_depth);
        /* Hard links last, in config order: their targets may be deeper. */
        for (size_t i = 0; i < s->links.n; i++) {
                const struct ig_link *l = &s->links.v[i];
                if (ig_bool_or(l->hard, false)) {
                        add(v, &n, K_LINK, i, l->path, NULL, NULL, l->overwrite, l);
                }
        }

        /* Two entries that land on the same place once the root's symlinks
         * are followed would silently overwrite each other: refuse, before
         * anything is written. */
        byres = xcalloc(n, sizeof(*byres));
        for (size_t i = 0; i < n; i++)
                byres[i] = &v[i];
        /* (A single entry cannot collide.) */
        if (n > 1) {
                resolve_all(t, byres, n);
                qsort(byres, n, sizeof(*byres), cmp_resolved);
        }
        for (size_t i = 1; i < n; i++)
                if (strcmp(byres[i - 1]->resolved, byres[i]->resolved) == 0) {
                        r = log_error_errno(EEXIST, "%s resolves to \"%s\" after following symlinks in the "
                                            "target, where %s also lands", byres[i]->what, byres[i]->resolved,
                                            byres[i - 1]->what);
                        goto out;
                }

        for (size_t i = 0; i < n; i++) {
                r = lookup_owner(t, &v[i]);
                if (r >= 0)
                        r = check_kept_file_early(t, &v[i]);
                if (r < 0)
                        goto out;
        }

        batch = xmalloc(sizeof(*batch));
        *batch = (struct batch) {};
        for (size_t i = 0, files = 0; i < n; i++) {
                const char *slash = strrchr(v[i].path, '/');
                const struct parent *pd = NULL;

                if (batchable(&v[i]) && slash && slash[1]) {
                        size_t dlen = (size_t) (slash - v[i].path);

                        pd = parent_cache_get(&cache, v[i].path, dlen);
                        /* A parent that exists is opened without a word;
                         * evicting a directory a pending job uses, or
                         * creating (and maybe logging about) parents, waits
                         * for the batch. */
                        if (!pd && cache.n < PARENT_CACHE) {
                                _cleanup_free_ char *dir = xstrndup(v[i].path, dlen);
                                int fd = root_openat(&t->root, *dir ? dir : "/", O_PATH | O_DIRECTORY, 0);
                                if (fd >= 0 && parent_cache_put(&cache, v[i].path, dlen, fd, &pd) < 0)
                                        pd = NULL;
                        }
                        if (!pd || batch->n == BATCH_MAX) {
                                r = batch_flush(t, batch);
                                if (r < 0)
                                        break;
                        }
                        if (!pd) {
                                struct ig_strv parents = {};
                                const char *name;
                                bool replace; /* never: batched files have no overwrite */
                                r = open_parent(t, &v[i], &cache, &pd, &name, &replace, &parents);
                                /* New parents are relabelled with the file below them. */
                                note_created(t, &parents, NULL);
                                if (r < 0)
                                        break;
                        }
                        file_job_prepare(&v[i], pd, &batch->v[batch->n++]);
                } else {
                        r = batch_flush(t, batch);
                        if (r >= 0)
                                r = apply_entry(t, &v[i], &cache);
                        if (r < 0)
                                break;
                }
                if (v[i].kind == K_FILE && ++files % 64 == 0)
                        root_sync_kick(&t->root);
        }
        if (r >= 0)
                r = batch_flush(t, batch);
        workers_free(batch->workers);
        parent_cache_clear(&cache);
out:
        for (size_t i = 0; i < n; i++) {
                free(v[i].what);
                free(v[i].resolved);
        }
        return r;
}
