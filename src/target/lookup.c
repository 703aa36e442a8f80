/* SPDX-License-Identifier: Apache-2.0 */
/* Account lookups in the target root. glibc's fgetpwent/fgetgrent read the
 * passwd/group file formats; the files are opened through the root-confined
 * resolver, so /etc being a symlink in the target cannot send us to the host. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/target.h"
#include "ignis/util.h"

/* Account databases of more than this are refused rather than read. */
#define DB_MAX (64u << 20)

struct db {
        char *buf;
        FILE *f;
};

static void db_close(struct db *d)
{
        if (d->f)
                fclose(d->f);
        free(d->buf);
        *d = (struct db) {};
}

/* The file is read whole and parsed from memory: glibc's fgetpwent asks a
 * file-backed stream for its position before every line (one lseek per
 * line), and a run with 50 users looks the files up a few hundred times. */
static int db_open(struct target *t, const char *path, struct db *d)
{
        struct stat st;
        /* A FIFO there would block the open forever. */
        _cleanup_close_ int fd = root_open_regular(&t->root, path, O_RDONLY, &st);
        size_t len;
        int r;

        *d = (struct db) {};
        if (fd == ROOT_ENOTREG)
                log_error("the target's %s is %s, not a regular file", path, root_file_type(st.st_mode));
        if (fd < 0)
                return fd;
        r = read_full_fd(fd, DB_MAX, &d->buf, &len);
        if (r < 0)
                return r;
        /* fmemopen() of an empty buffer is an error before glibc 2.22. */
        d->f = len ? fmemopen(d->buf, len, "r") : fopen("/dev/null", "re");
        if (!d->f) {
                r = -errno;
                db_close(d);
                return r;
        }
        return 0;
}

static int find_user(struct target *t, const char *name, uid_t uid, uid_t *ruid, gid_t *rgid,
                     char **rhome, char **rname)
{
        struct db d;
        struct passwd *pw;
        int r = db_open(t, "/etc/passwd", &d);

        if (r < 0)
                return r;
        while ((errno = 0, pw = fgetpwent(d.f))) {
                if (name ? strcmp(pw->pw_name, name) != 0 : pw->pw_uid != uid)
                        continue;
                if (ruid)
                        *ruid = pw->pw_uid;
                if (rgid)
                        *rgid = pw->pw_gid;
                if (rhome)
                        *rhome = xstrdup(pw->pw_dir);
                if (rname)
                        *rname = xstrdup(pw->pw_name);
                db_close(&d);
                return 0;
        }
        r = errno && errno != ENOENT ? -errno : -ENOENT;
        db_close(&d);
        return r;
}

int target_lookup_user(struct target *t, const char *name, uid_t *uid, gid_t *gid, char **home)
{
        return find_user(t, name, 0, uid, gid, home, NULL);
}

int target_lookup_uid(struct target *t, uid_t uid, char **name, gid_t *gid, char **home)
{
        return find_user(t, NULL, uid, NULL, gid, home, name);
}

int target_lookup_group(struct target *t, const char *name, gid_t *gid)
{
        struct db d;
        struct group *gr;
        int r = db_open(t, "/etc/group", &d);

        if (r < 0)
                return r;
        while ((errno = 0, gr = fgetgrent(d.f)))
                if (strcmp(gr->gr_name, name) == 0) {
                        *gid = gr->gr_gid;
                        db_close(&d);
                        return 0;
                }
        r = errno && errno != ENOENT ? -errno : -ENOENT;
        db_close(&d);
        return r;
}
