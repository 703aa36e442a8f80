/* SPDX-License-Identifier: Apache-2.0 */
/* Validation of passwd.users and passwd.groups.
 *
 * Ignition checks nothing but duplicate names here and leaves the rest to
 * useradd/groupadd, which refuse a bad field only after earlier entries were
 * written -- and sometimes after their own /etc/passwd or /etc/group line was
 * (a control character makes the /etc/shadow or /etc/gshadow write fail
 * after the first file was updated). A "g1,root" in groups[] is even taken
 * as two groups. So every field is checked here, against what the
 * passwd/group/shadow line formats and shadow-utils 4.13 as Debian 12 builds
 * it accept:
 *
 *   - names: 1 to 32 bytes; not starting with '-', '+' or '~'; no ':', ','
 *     or white space (Debian's relaxed rule; upstream shadow-utils is
 *     stricter); no control character (the line cannot be written).
 *     ignis also refuses "." and "..": Debian's useradd takes them, and the
 *     default home directory becomes /home itself or the root directory;
 *   - passwordHash, gecos: no ':' (field separator), no control character;
 *   - homeDir: absolute, no ':', no control character;
 *   - shell: starts with '/' or '*', no ':', no control character;
 *   - primaryGroup and groups[]: group names (or numeric ids, which are
 *     valid names too), so no ',' can smuggle in a second group.
 *
 * Empty names are refused too (Ignition accepts them and then fails).
 * Empty strings mean "unset" for the optional fields (ignis and Ignition
 * pass nothing to the tool then). Password hashes are never quoted in a
 * message. */

#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "validate-internal.h"

/* shadow-utils' limit for user and group names on Debian 12 (the size of
 * utmp's ut_user, and --with-group-name-max-length=32). */
#define NAME_MAX_BYTES 32

static bool is_control(unsigned char c)
{
        return c < 0x20 || c == 0x7f;
}

/* A printable description of one byte for a message. */
static const char *describe_byte(unsigned char c, char buf[32])
{
        if (c == '\n')
                return "a newline";
        if (c == '\t')
                return "a tab";
        if (c == ' ')
                return "a space";
        if (is_control(c)) {
                snprintf(buf, 32, "control character 0x%02x", c);
                return buf;
        }
        snprintf(buf, 32, "'%c'", c);
        return buf;
}

/* The first byte of s that is a control character or in forbidden, or NULL. */
static const char *find_bad(const char *s, const char *forbidden)
{
        for (; *s; s++)
                if (is_control((unsigned char) *s) || strchr(forbidden, *s))
                        return s;
        return NULL;
}

/* Why name is not a valid user or group name, or NULL if it is. The text
 * is static or in buf. */
static const char *bad_name(const char *name, char buf[96])
{
        char cb[32];
        const char *bad;

        if (strlen(name) > NAME_MAX_BYTES) {
                snprintf(buf, 96, "it is %zu bytes long (at most %d)", strlen(name), NAME_MAX_BYTES);
                return buf;
        }
        if (strchr("-+~", name[0])) {
                snprintf(buf, 96, "it must not start with '%c'", name[0]);
                return buf;
        }
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return "\".\" and \"..\" are not names";
        bad = find_bad(name, ":, \t\n\v\f\r");
        if (bad) {
                snprintf(buf, 96, "it contains %s", describe_byte((unsigned char) *bad, cb));
                return buf;
        }
        return NULL;
}

static void check_name(struct vctx *v, struct vloc at, const char *field, const char *kind, const char *name)
{
        char buf[96];
        const char *why;

        if (!v_nonempty(name))
                return;
        why = bad_name(name, buf);
        if (!why)
                return;
        v_error(v, at, field,
                "invalid %s name \"%s\": %s (names are 1 to %d bytes without ':', ',', white space or control characters, not starting with '-', '+' or '~')",
                kind, name, why, NAME_MAX_BYTES);
}

/* A free-text field of a passwd or shadow line: no ':' and no control
 * character. Returns false after reporting. The value is quoted only when
 * show is set. */
static bool check_text(struct vctx *v, struct vloc at, const char *field, const char *what, const char *s, bool show)
{
        char cb[32];
        const char *bad;

        if (!s)
                return true;
        bad = find_bad(s, ":");
        if (!bad)
                return true;
        if (!show) {
                v_error(v, at, field, "%s contains %s at byte %zu (the field separator and control characters cannot be stored)",
                        what, describe_byte((unsigned char) *bad, cb), (size_t) (bad - s));
                return false;
        }
        v_error(v, at, field, "invalid %s \"%s\": it contains %s (the field separator and control characters cannot be stored)",
                what, s, describe_byte((unsigned char) *bad, cb));
        return false;
}

static void check_user(struct vctx *v, const struct ig_user *u)
{
        struct vloc at = vloc_node(u->node);

        check_name(v, at, "name", "user", u->name);
        check_text(v, at, "passwordHash", "the password hash", u->password_hash, false);
        check_text(v, at, "gecos", "gecos", u->gecos, true);
        if (check_text(v, at, "homeDir", "home directory", u->home_dir, true) && v_nonempty(u->home_dir) &&
            u->home_dir[0] != '/')
                v_error(v, at, "homeDir", "home directory \"%s\" must be an absolute path", u->home_dir);
        if (check_text(v, at, "shell", "shell", u->shell, true) && v_nonempty(u->shell) && u->shell[0] != '/' &&
            u->shell[0] != '*')
                v_error(v, at, "shell", "shell \"%s\" must be an absolute path (or start with '*')", u->shell);
        check_name(v, at, "primaryGroup", "group", u->primary_group);
        for (size_t j = 0; j < u->groups.n; j++) {
                _cleanup_free_ char *f = xasprintf("groups[%zu]", j);
                if (!u->groups.v[j])
                        continue;
                if (!*u->groups.v[j])
                        v_error(v, at, f, "empty group name (useradd refuses it)");
                else
                        check_name(v, at, f, "group", u->groups.v[j]);
        }
}

void v_passwd(struct vctx *v)
{
        const struct ig_passwd *pw = &v->c->passwd;
        _cleanup_(vset_free) struct vset users = {}, groups = {};

        for (size_t i = 0; i < pw->users.n; i++) {
                const struct ig_user *u = &pw->users.v[i];
                struct vloc at = vloc_node(u->node);
                const struct vset_entry *e = vset_add(&users, u->name ?: "", "passwd.users", i, 0);

                if (e)
                        v_error(v, at, "name", "duplicate user: \"%s\" is already defined by passwd.users[%zu]",
                                u->name ?: "", e->index);
                if (!v_nonempty(u->name))
                        v_error(v, at, "name", "empty user name (useradd refuses it)");
                check_user(v, u);
                v_check_strv_dups(v, u->node, "sshAuthorizedKeys", &u->ssh_authorized_keys);
                v_check_strv_dups(v, u->node, "groups", &u->groups);
        }
        for (size_t i = 0; i < pw->groups.n; i++) {
                const struct ig_group *g = &pw->groups.v[i];
                struct vloc at = vloc_node(g->node);
                const struct vset_entry *e = vset_add(&groups, g->name ?: "", "passwd.groups", i, 0);

                if (e)
                        v_error(v, at, "name", "duplicate group: \"%s\" is already defined by passwd.groups[%zu]",
                                g->name ?: "", e->index);
                if (!v_nonempty(g->name))
                        v_error(v, at, "name", "empty group name (groupadd refuses it)");
                check_name(v, at, "name", "group", g->name);
                check_text(v, at, "passwordHash", "the password hash", g->password_hash, false);
        }
}
