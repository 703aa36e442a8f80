/* SPDX-License-Identifier: Apache-2.0 */
/* Account lookups in the target root. glibc's fgetpwent/fgetgrent read the
 * passwd/group file formats; the files are opened through the root-confined
 * resolver, so /etc being a symlink in the target cannot send us to the host. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/target.h"

static FILE *open_db(struct target *t, const char *path)
{
        int fd = root_openat(&t->root, path, O_RDONLY, 0);
        FILE *f;

        if (fd < 0) {
                errno = -fd;
                return NULL;
        }
        f = fdopen(fd, "re");
        if (!f)
                close(fd);
        return f;
}

static int find_user(struct target *t, const char *name, uid_t uid, uid_t *ruid, gid_t *rgid,
                     char **rhome, char **rname)
{
        _cleanup_fclose_ FILE *f = open_db(t, "/etc/passwd");
        struct passwd *pw;

        if (!f)
                return errno == ENOENT ? -ENOENT : -errno;
        while ((errno = 0, pw = fgetpwent(f))) {
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
                return 0;
        }
        return errno && errno != ENOENT ? -errno : -ENOENT;
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
        _cleanup_fclose_ FILE *f = open_db(t, "/etc/group");
        struct group *gr;

        if (!f)
                return errno == ENOENT ? -ENOENT : -errno;
        while ((errno = 0, gr = fgetgrent(f)))
                if (strcmp(gr->gr_name, name) == 0) {
                        *gid = gr->gr_gid;
                        return 0;
                }
        return errno && errno != ENOENT ? -errno : -ENOENT;
}
