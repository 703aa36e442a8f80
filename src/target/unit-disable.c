/* SPDX-License-Identifier: Apache-2.0 */
/* Removing the enablement symlinks of disabled units without running
 * `systemctl --root ROOT disable -- NAMES`: the same changes to the root as
 * Debian 12's systemd 252 makes, for the cases modelled here. Every fact
 * below was checked against that binary; tests/units/disable-diff.py keeps
 * checking them.
 *
 * What systemctl does, in two steps:
 *
 *  1. Each name is looked up in the unit search path and marked, and so is
 *     every unit named by Also= in the [Install] section of its unit file or
 *     its drop-ins (transitively). A name is marked whether or not a unit
 *     file exists for it, and even when its lookup fails; it is not marked
 *     when the unit is masked (a symlink to /dev/null, an empty file).
 *
 *  2. Every symlink below ROOT/etc/systemd/system (recursively, hidden and
 *     backup names skipped) whose name is a valid unit name is removed when
 *     that name is marked, when the template of that name is marked
 *     (disabling foo@.service removes foo@a.service links), or when the last
 *     component of its destination, resolved inside the root, is marked.
 *     Directories left empty above a removed link are removed up to
 *     /etc/systemd/system. When anything was removed the scan runs again:
 *     a link whose destination was a link removed meanwhile now resolves to
 *     the removed link's own name. systemctl marks the removed paths too,
 *     but with --root they are compared with root-prefixed destinations and
 *     never match, so which of two chained links goes depends on the
 *     directory order; doing the same walk with readdir() gives the same
 *     result on the same tree.
 *
 * A destination that cannot be resolved (a loop, a file used as a
 * directory) fails the call, as it does systemctl's, after the scan.
 *
 * Not modelled, so the caller runs systemctl instead (for all names: one
 * call has effects on the whole list that a split cannot reproduce, e.g. a
 * failed lookup of one .service name stops systemctl before it changes
 * anything):
 *   - a name that is not a valid unit name (systemctl escapes it, or takes
 *     the base name of a path, or fails);
 *   - a .service name with a SysV script in /etc/init.d (systemctl hands it
 *     to systemd-sysv-install);
 *   - a name (or an Also= unit) whose first entry in the search path is a
 *     symlink other than a plain mask, a directory, a device node or another
 *     special file: aliases and linked unit files need systemd's alias rules;
 *   - a unit file or drop-in whose [Install] section this reader cannot be
 *     sure to read as systemd does: Also= or DefaultInstance= values with
 *     specifiers or escapes, invalid UTF-8, .include, a comment inside a
 *     continued line, a broken section header; symlinked drop-ins;
 *   - $SYSTEMD_UNIT_PATH set (another search path), a root that is the
 *     host's / (systemctl then works on the running system's paths) or
 *     whose path has a ".." (systemctl then removes no directory). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/target.h"

#define CONFIG_DIR "etc/systemd/system"
/* systemd refuses longer names (UNIT_NAME_MAX). */
#define UNIT_NAME_MAX 256
/* chase_symlinks() gives up with ELOOP at the 32nd symlink. */
#define CHASE_SYMLINKS_MAX 32
/* Bigger files go to systemctl: a line this long is an error for systemd's
 * parser, and no real unit file comes near it. */
#define UNIT_FILE_MAX (1024 * 1024)

/* systemd 252's system unit search path (`systemd-analyze unit-paths`),
 * highest priority first; the first directory holding a name wins. */
static const char *const search_dirs[] = {
        "etc/systemd/system.control",
        "run/systemd/system.control",
        "run/systemd/transient",
        "run/systemd/generator.early",
        "etc/systemd/system",
        "etc/systemd/system.attached",
        "run/systemd/system",
        "run/systemd/system.attached",
        "run/systemd/generator",
        "usr/local/lib/systemd/system",
        "lib/systemd/system",
        "usr/lib/systemd/system",
        "run/systemd/generator.late",
};

#define N_DIRS ELEMENTSOF(search_dirs)

static const char *const unit_types[] = {
        "service", "mount", "swap", "socket", "target", "device",
        "automount", "timer", "path", "slice", "scope",
};

/* Only these unit types have templates; "foo@a.mount" fails to load. */
static const char *const template_types[] = {
        "service", "socket", "target", "timer", "path",
};

#define VALID_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:-_.\\"
#define WHITESPACE " \t\n\r"

enum name_kind { NAME_INVALID, NAME_PLAIN, NAME_INSTANCE, NAME_TEMPLATE };

struct disable {
        struct target *t;
        int dirs[N_DIRS];       /* O_PATH, -1 when missing */
        struct ig_strv queue;     /* names to look up, each once */
        struct ig_strv marks;     /* sorted before the scan */
        const char *origin;     /* the configured name being looked up */
};

static void names_add(struct ig_strv *s, const char *name)
{
        s->v = xrealloc(s->v, (s->n + 1) * sizeof(char *));
        s->v[s->n++] = xstrdup(name);
}

static bool names_contain(const struct ig_strv *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], name) == 0)
                        return true;
        return false;
}

static void names_clear(struct ig_strv *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (struct ig_strv) {};
}

static int strcmp_ptr(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool marked(const struct disable *d, const char *name)
{
        return bsearch(&name, d->marks.v, d->marks.n, sizeof(char *), strcmp_ptr) != NULL;
}

static bool in_list(const char *s, size_t len, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
                        return true;
        return false;
}

/* systemd's unit_name_is_valid(), telling which kind of name it is. */
static enum name_kind unit_name_kind(const char *n)
{
        const char *dot = strrchr(n, '.'), *at = NULL;

        if (!*n || strlen(n) >= UNIT_NAME_MAX || !dot || dot == n)
                return NAME_INVALID;
        if (!in_list(dot + 1, strlen(dot + 1), unit_types, ELEMENTSOF(unit_types)))
                return NAME_INVALID;
        for (const char *p = n; p < dot; p++) {
                if (*p == '@' && !at)
                        at = p;
                if (*p != '@' && !strchr(VALID_CHARS, *p))
                        return NAME_INVALID;
        }
        if (at == n)
                return NAME_INVALID;
        if (!at)
                return NAME_PLAIN;
        return dot > at + 1 ? NAME_INSTANCE : NAME_TEMPLATE;
}

/* "foo@bar.service" -> "foo@.service" (first '@', last '.'). */
static char *unit_template(const char *n)
{
        const char *at = strchr(n, '@');

        return xasprintf("%.*s%s", (int) (at + 1 - n), n, strrchr(n, '.'));
}

static bool may_template(const char *n)
{
        const char *type = strrchr(n, '.') + 1;

        return in_list(type, strlen(type), template_types, ELEMENTSOF(template_types));
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t l = strlen(s), ls = strlen(suffix);

        return l >= ls && strcmp(s + l - ls, suffix) == 0;
}

/* systemd skips these names when it walks unit directories. */
static bool hidden_or_backup(const char *name)
{
        static const char *const suffixes[] = {
                "rpmnew", "rpmsave", "rpmorig", "dpkg-old", "dpkg-new", "dpkg-tmp",
                "dpkg-dist", "dpkg-bak", "dpkg-backup", "dpkg-remove", "ucf-new",
                "ucf-old", "ucf-dist", "swp", "bak", "old", "new",
        };
        const char *dot;

        if (name[0] == '.' || strcmp(name, "lost+found") == 0 || strcmp(name, "aquota.user") == 0 ||
            strcmp(name, "aquota.group") == 0 || ends_with(name, "~"))
                return true;
        dot = strrchr(name, '.');
        return dot && in_list(dot + 1, strlen(dot + 1), suffixes, ELEMENTSOF(suffixes));
}

static bool utf8_valid(const unsigned char *s, size_t len)
{
        for (size_t i = 0; i < len;) {
                unsigned c = s[i], n, cp;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        n = 1, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        n = 2, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        n = 3, cp = c & 0x07;
                else
                        return false;
                for (unsigned k = 1; k <= n; k++) {
                        if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                /* No overlong forms, surrogates or code points past U+10FFFF. */
                if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n + 1;
        }
        return true;
}

/* ---- reading [Install] ---------------------------------------------------- */

struct install_reader {
        const char *unit;       /* the unit the file is loaded for */
        struct ig_strv *also;
        bool in_install;
        const char *why;        /* set when not modelled */
};

static char *strip(char *s)
{
        char *e;

        s += strspn(s, WHITESPACE);
        e = s + strlen(s);
        while (e > s && strchr(WHITESPACE, e[-1]))
                *--e = '\0';
        return s;
}

/* Only names that need neither specifier expansion nor unescaping, and
 * that systemd accepts (it fails the whole file on anything else). */
static bool plain_word(const char *w, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (w[i] == '\\' || (w[i] != '@' && !strchr(VALID_CHARS, w[i])))
                        return false;
        return true;
}

/* One logical line, as systemd's parse_line() sees it. */
static void install_line(struct install_reader *ir, char *line)
{
        char *l = strip(line), *eq, *key, *value;

        if (!*l || strchr("#;", *l))
                return;
        if (strncmp(l, ".include", 8) == 0 && (!l[8] || strchr(WHITESPACE, l[8]))) {
                ir->why = "a .include line";
                return;
        }
        if (*l == '[') {
                size_t k = strlen(l);

                if (l[k - 1] != ']') {
                        ir->why = "an invalid section header";
                        return;
                }
                ir->in_install = k == strlen("[Install]") && memcmp(l, "[Install]", k) == 0;
                return;
        }
        if (!ir->in_install)
                return;
        eq = strchr(l, '=');
        if (!eq || eq == l)
                return;
        *eq = '\0';
        key = strip(l);
        value = eq + 1;

        if (strcmp(key, "Also") == 0) {
                for (const char *w = value + strspn(value, WHITESPACE); *w; w += strspn(w, WHITESPACE)) {
                        size_t len = strcspn(w, WHITESPACE);
                        _cleanup_free_ char *name = xstrndup(w, len);

                        if (!plain_word(w, len) || unit_name_kind(name) == NAME_INVALID) {
                                ir->why = "an Also= value with specifiers, escapes or an invalid name";
                                return;
                        }
                        if (!names_contain(ir->also, name))
                                names_add(ir->also, name);
                        w += len;
                }
        } else if (strcmp(key, "DefaultInstance") == 0 && unit_name_kind(ir->unit) == NAME_TEMPLATE) {
                /* An invalid instance fails the file, and with it the
                 * Also= lines after it. Leading blanks are not modelled. */
                if (!plain_word(value, strlen(value)))
                        ir->why = "a DefaultInstance= value with specifiers or escapes";
        }
}

/* Collects the Also= names of a unit file or drop-in, reading lines the way
 * systemd 252's config_parse() does: line ends are \n, \r\n and \r; a line
 * ending in an unescaped backslash continues on the next one, the backslash
 * becoming a space. Returns 1, or 0 with *why set. */
static int install_also(const char *unit, const char *text, size_t len, struct ig_strv *also, const char **why)
{
        struct install_reader ir = { .unit = unit, .also = also };
        _cleanup_free_ char *cont = NULL;
        size_t cont_len = 0;
        const char *p = text, *end = text + len;

        if (memchr(text, '\0', len) || !utf8_valid((const unsigned char *) text, len)) {
                *why = "a NUL byte or invalid UTF-8";
                return 0;
        }
        if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
                p += 3;

        while (p < end && !ir.why) {
                size_t n = strcspn(p, "\r\n");
                const char *next = p + n;
                _cleanup_free_ char *line = NULL;
                bool escaped = false;

                if (next < end)
                        next += next[0] == '\r' && next + 1 < end && next[1] == '\n' ? 2 : 1;
                for (size_t i = 0; i < n; i++)
                        escaped = escaped ? false : p[i] == '\\';

                if (cont && p[strspn(p, " \t")] && strchr("#;", p[strspn(p, " \t")])) {
                        /* Whether systemd skips it or ends the continuation
                         * there is not modelled. */
                        ir.why = "a comment inside a continued line";
                        break;
                }
                if (cont) {
                        cont = xrealloc(cont, cont_len + n + 1);
                        memcpy(cont + cont_len, p, n);
                        cont_len += n;
                        cont[cont_len] = '\0';
                } else {
                        line = xstrndup(p, n);
                }
                p = next;

                if (escaped) {
                        if (!cont) {
                                cont = TAKE_PTR(line);
                                cont_len = n;
                        }
                        cont[cont_len - 1] = ' ';
                        continue;
                }
                if (cont) {
                        install_line(&ir, cont);
                        free(cont);
                        cont = NULL;
                        cont_len = 0;
                } else {
                        install_line(&ir, line);
                }
        }
        if (cont && !ir.why)
                install_line(&ir, cont);
        if (ir.why) {
                *why = ir.why;
                return 0;
        }
        return 1;
}

/* Reads a regular file (checked again on the open file) of at most
 * UNIT_FILE_MAX bytes. Returns 1, 0 when it is not one, or a negative errno. */
static int read_unit_file(int dirfd, const char *name, char **ret, size_t *ret_len)
{
        struct stat st;
        /* A device is not even opened: its driver would see the open. */
        _cleanup_close_ int fd = root_open_regular_at(dirfd, name, O_RDONLY, &st);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size;

        if (fd == ROOT_ENOTREG || fd == -ELOOP)
                return 0;
        if (fd < 0)
                return fd;
        if (st.st_size > UNIT_FILE_MAX)
                return 0;
        /* One byte more than the size, to see a file that grew. */
        size = (size_t) st.st_size + 1;
        buf = xmalloc(size + 1);
        for (;;) {
                ssize_t k = read(fd, buf + len, size - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len == size)
                        return 0;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 1;
}

/* ---- step 1: which names are marked -------------------------------------- */

enum lookup { FOUND_NONE, FOUND_FILE, FOUND_MASKED, FOUND_UNMODELLED };

/* Whether a symlink whose destination is exactly "/dev/null" is a mask for
 * systemd: it resolves the destination inside the root without following
 * the last component, so ROOT/dev must be missing or a real directory, and
 * ROOT/dev/null must not be a symlink. */
static bool dev_null_plain(struct disable *d)
{
        _cleanup_close_ int dev = -1;
        struct stat st;

        if (fstatat(d->t->root.fd, "dev", &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT;
        if (!S_ISDIR(st.st_mode))
                return false;
        dev = openat(d->t->root.fd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dev < 0)
                return false;
        if (fstatat(dev, "null", &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT;
        return !S_ISLNK(st.st_mode);
}

/* The first entry for name in the search path, as systemd's
 * unit_file_search() finds it; *dir is its directory's index. */
static enum lookup lookup_name(struct disable *d, const char *name, size_t *dir, const char **why)
{
        for (size_t i = 0; i < N_DIRS; i++) {
                char target[sizeof("/dev/null")];
                struct stat st;
                ssize_t n;

                if (d->dirs[i] < 0)
                        continue;
                if (fstatat(d->dirs[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        *why = "its unit file cannot be looked up";
                        return FOUND_UNMODELLED;
                }
                *dir = i;
                if (S_ISREG(st.st_mode))
                        return st.st_size > 0 ? FOUND_FILE : FOUND_MASKED;
                /* systemd opens a device node before it sees a mask in it,
                 * which can fail in ways that change the outcome. */
                if (!S_ISLNK(st.st_mode)) {
                        *why = "its unit file is neither a regular file nor a symlink";
                        return FOUND_UNMODELLED;
                }
                n = readlinkat(d->dirs[i], name, target, sizeof(target));
                if (n == (ssize_t) strlen("/dev/null") && memcmp(target, "/dev/null", (size_t) n) == 0 &&
                    dev_null_plain(d))
                        return FOUND_MASKED;
                *why = "its unit file is a symlink (an alias or a linked unit file)";
                return FOUND_UNMODELLED;
        }
        return FOUND_NONE;
}

/* Parses one file for Also=. Returns 1, 0 when not modelled, or < 0. */
static int load_file(struct disable *d, const char *unit, int dirfd, const char *name, const char *where)
{
        _cleanup_free_ char *text = NULL;
        const char *why = NULL;
        size_t len = 0;
        int r;

        r = read_unit_file(dirfd, name, &text, &len);
        if (r < 0)
                return log_error_errno(r, "$.systemd.units: cannot read %s/%s: %m", where, name);
        if (r == 0) {
                log_debug("disabling \"%s\" needs systemctl: %s/%s is special or too big", d->origin, where, name);
                return 0;
        }
        if (!install_also(unit, text, len, &d->queue, &why)) {
                log_debug("disabling \"%s\" needs systemctl: %s/%s has %s", d->origin, where, name, why);
                return 0;
        }
        return 1;
}

/* Drop-ins (*.conf in NAME.d, and TEMPLATE.d for an instance, in every
 * search directory) can carry Also= too. The first file of a name wins;
 * empty files are skipped like masks. Returns 1, 0, or < 0. */
static int load_dropins(struct disable *d, const char *unit, const char *tmpl)
{
        struct ig_strv seen = {};
        int r = 1;

        for (size_t k = 0; k < 2 * N_DIRS && r > 0; k++) {
                const char *base = k < N_DIRS ? unit : tmpl;
                size_t i = k % N_DIRS;
                _cleanup_free_ char *dname = NULL;
                _cleanup_close_ int dfd = -1;
                struct dirent *de;
                struct stat st;
                DIR *dir;

                if (!base || d->dirs[i] < 0)
                        continue;
                dname = xasprintf("%s.d", base);
                /* Anything but a directory there is ignored by systemd,
                 * except a symlink, which it follows (not modelled). */
                if (fstatat(d->dirs[i], dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        log_debug("disabling \"%s\" needs systemctl: /%s/%s is a symlink",
                                  d->origin, search_dirs[i], dname);
                        r = 0;
                        continue;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;
                dfd = openat(d->dirs[i], dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0)
                        continue;
                dir = fdopendir(dfd);
                if (!dir)
                        continue;
                dfd = -1;
                while (r > 0 && (de = readdir(dir))) {
                        _cleanup_free_ char *where = NULL;

                        if (hidden_or_backup(de->d_name) || !ends_with(de->d_name, ".conf"))
                                continue;
                        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        if (S_ISDIR(st.st_mode) || (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)))
                                continue;
                        if (names_contain(&seen, de->d_name))
                                continue;
                        names_add(&seen, de->d_name);
                        where = xasprintf("/%s/%s", search_dirs[i], dname);
                        if (S_ISLNK(st.st_mode)) {
                                log_debug("disabling \"%s\" needs systemctl: drop-in %s/%s is a symlink",
                                          d->origin, where, de->d_name);
                                r = 0;
                        } else if (st.st_size > 0) {
                                r = load_file(d, unit, dirfd(dir), de->d_name, where);
                        }
                }
                closedir(dir);
        }
        names_clear(&seen);
        return r;
}

/* Looks up d->queue[idx] and marks it unless masked; Also= names join the
 * queue. Returns 1, 0 when not modelled, or < 0. */
static int process_name(struct disable *d, size_t idx)
{
        _cleanup_free_ char *name = xstrdup(d->queue.v[idx]);
        _cleanup_free_ char *tmpl = NULL, *where = NULL;
        enum name_kind kind = unit_name_kind(name);
        const char *why = NULL, *file = name;
        enum lookup found;
        size_t dir = 0;
        int r;

        /* systemd fails the lookup of such an instance or template, and
         * marks the name all the same. */
        if (kind != NAME_PLAIN && !may_template(name)) {
                names_add(&d->marks, name);
                return 1;
        }

        found = lookup_name(d, name, &dir, &why);
        if (found == FOUND_NONE && kind == NAME_INSTANCE) {
                tmpl = unit_template(name);
                file = tmpl;
                found = lookup_name(d, tmpl, &dir, &why);
        }
        switch (found) {
        case FOUND_UNMODELLED:
                log_debug("disabling \"%s\" needs systemctl: \"%s\": %s", d->origin, file, why);
                return 0;
        case FOUND_MASKED:
                log_debug("\"%s\" is masked: its enablement symlinks stay", name);
                return 1;
        case FOUND_NONE:
                log_debug("no unit file for \"%s\" in the target: removing symlinks by its name", name);
                names_add(&d->marks, name);
                return 1;
        case FOUND_FILE:
                break;
        }

        where = xasprintf("/%s", search_dirs[dir]);
        r = load_file(d, name, d->dirs[dir], file, where);
        if (r <= 0)
                return r;
        if (kind == NAME_INSTANCE && !tmpl)
                tmpl = unit_template(name);
        r = load_dropins(d, name, kind == NAME_INSTANCE ? tmpl : NULL);
        if (r <= 0)
                return r;
        names_add(&d->marks, name);
        return 1;
}

/* The SysV compatibility of Debian's systemctl: a .service name with a
 * script in /etc/init.d goes to systemd-sysv-install. Anything at that
 * place counts, and so does an /etc/init.d that is not a plain directory
 * (initd is then a negative errno other than -ENOENT). */
static bool has_sysv_script(int initd, const char *name)
{
        _cleanup_free_ char *script = NULL;
        struct stat st;

        if (!ends_with(name, ".service") || initd == -ENOENT)
                return false;
        if (initd < 0)
                return true;
        script = xstrndup(name, strlen(name) - strlen(".service"));
        return fstatat(initd, script, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

static int open_initd(struct target *t)
{
        _cleanup_close_ int etc = root_openat(&t->root, "/etc", O_PATH | O_DIRECTORY, 0);
        struct stat st;
        int fd;

        if (etc == -ENOENT || etc == -ENOTDIR)
                return -ENOENT;
        if (etc < 0)
                return etc;
        if (fstatat(etc, "init.d", &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        fd = openat(etc, "init.d", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* ---- step 2: the scan ------------------------------------------------------ */

struct scan {
        struct disable *d;
        const char *root_base;  /* last component of the root path */
        bool removed;
        int error;
        /* The directories from /etc/systemd/system down to the one being
         * read, for removing the ones left empty. */
        int *fds;
        char **dnames;
        size_t depth;
        char *path;             /* relative to the root, for resolving and messages */
};

static bool has_dotdot_or_long(const char *p)
{
        for (p += strspn(p, "/"); *p; p += strspn(p, "/")) {
                size_t n = strcspn(p, "/");

                if ((n == 2 && p[0] == '.' && p[1] == '.') || n > NAME_MAX)
                        return true;
                p += n;
        }
        return false;
}

/* What systemd's chase_symlinks(CHASE_NONEXISTENT) makes of path (relative
 * to the root, resolved inside it), reduced to what disable looks at: the
 * last component of the result, in *ret. Returns 0, -ENOENT when systemd
 * gives up quietly (a missing component followed by ".."), or another
 * negative errno where it fails. */
static int chase_last(int rootfd, const char *root_base, const char *path, char **ret)
{
        _cleanup_free_ char *todo = xstrdup(path);
        _cleanup_free_ int *fds = NULL;
        _cleanup_free_ char **comps = NULL;
        size_t depth = 0, alloc = 0;
        unsigned follow = CHASE_SYMLINKS_MAX;
        const char *p = todo;
        int r = 0;

        for (;;) {
                _cleanup_free_ char *first = NULL;
                size_t n;
                struct stat st;
                int child;

                p += strspn(p, "/");
                if (!*p)
                        break;
                n = strcspn(p, "/");
                first = xstrndup(p, n);
                p += n;
                p += strspn(p, "/");

                if (strcmp(first, ".") == 0)
                        continue;
                if (strcmp(first, "..") == 0) {
                        /* Above the root ".." stays there; above a file it
                         * fails like opening "file/.." does. */
                        if (depth > 0) {
                                if (fstat(fds[depth - 1], &st) < 0 || !S_ISDIR(st.st_mode)) {
                                        r = -ENOTDIR;
                                        break;
                                }
                                depth--;
                                close(fds[depth]);
                                free(comps[depth]);
                        }
                        continue;
                }
                child = openat(depth ? fds[depth - 1] : rootfd, first, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0) {
                        const char *slash;

                        if (errno != ENOENT) {
                                r = -errno;
                                break;
                        }
                        if (*p && (has_dotdot_or_long(p) || strlen(p) >= PATH_MAX)) {
                                r = -ENOENT;
                                break;
                        }
                        /* The rest is appended unresolved and unnormalised:
                         * "missing/foo.service/" ends in "". */
                        slash = strrchr(p, '/');
                        *ret = xstrdup(!*p ? first : slash ? slash + 1 : p);
                        goto done;
                }
                if (fstat(child, &st) < 0) {
                        r = -errno;
                        close(child);
                        break;
                }
                if (S_ISLNK(st.st_mode)) {
                        char dest[PATH_MAX];
                        ssize_t l;
                        char *joined;

                        close(child);
                        if (--follow == 0) {
                                r = -ELOOP;
                                break;
                        }
                        l = readlinkat(depth ? fds[depth - 1] : rootfd, first, dest, sizeof(dest) - 1);
                        if (l < 0) {
                                r = -errno;
                                break;
                        }
                        dest[l] = '\0';
                        if (dest[0] == '/')
                                while (depth > 0) {
                                        depth--;
                                        close(fds[depth]);
                                        free(comps[depth]);
                                }
                        joined = *p ? xasprintf("%s/%s", dest, p) : xstrdup(dest);
                        free(todo);
                        todo = joined;
                        p = todo;
                        continue;
                }
                if (depth == alloc) {
                        alloc = alloc ? alloc * 2 : 8;
                        fds = xrealloc(fds, alloc * sizeof(int));
                        comps = xrealloc(comps, alloc * sizeof(char *));
                }
                fds[depth] = child;
                comps[depth++] = TAKE_PTR(first);
        }
        if (r == 0)
                *ret = xstrdup(depth ? comps[depth - 1] : root_base);
done:
        while (depth > 0) {
                depth--;
                close(fds[depth]);
                free(comps[depth]);
        }
        return r;
}

static void scan_error(struct scan *s, int err)
{
        if (s->error == 0)
                s->error = err;
}

/* systemd's rmdir_parents(): the directories above a removed link, up to
 * /etc/systemd/system, while they are empty. */
static void remove_empty_parents(struct scan *s)
{
        for (size_t j = s->depth; j > 0; j--)
                if (unlinkat(s->fds[j - 1], s->dnames[j], AT_REMOVEDIR) < 0 && errno != ENOENT)
                        return;
}

static bool link_is_marked(struct scan *s, const char *name)
{
        _cleanup_free_ char *tmpl = NULL, *last = NULL, *where = NULL;
        enum name_kind kind = unit_name_kind(name);
        int r;

        if (marked(s->d, name))
                return true;
        if (kind == NAME_INSTANCE) {
                tmpl = unit_template(name);
                if (marked(s->d, tmpl))
                        return true;
        }
        where = xasprintf("%s/%s", s->path, name);
        r = chase_last(s->d->t->root.fd, s->root_base, where, &last);
        if (r == -ENOENT)
                return false;
        if (r < 0) {
                log_error_errno(r, "$.systemd.units: cannot resolve the destination of /%s: %m", where);
                scan_error(s, r);
                return false;
        }
        return marked(s->d, last);
}

static void scan_dir(struct scan *s, int fd)
{
        struct dirent *de;
        DIR *dir;

        dir = fdopendir(fd);
        if (!dir) {
                scan_error(s, log_error_errno(errno, "$.systemd.units: cannot read /%s: %m", s->path));
                close(fd);
                return;
        }
        while ((errno = 0, de = readdir(dir))) {
                unsigned char type = de->d_type;
                struct stat st;

                if (hidden_or_backup(de->d_name))
                        continue;
                if (type == DT_UNKNOWN) {
                        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
                }

                if (type == DT_DIR) {
                        size_t len = strlen(s->path);
                        int sub;

                        sub = openat(fd, de->d_name, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (sub < 0) {
                                if (errno != ENOENT)
                                        scan_error(s, log_error_errno(errno, "$.systemd.units: cannot open /%s/%s: %m",
                                                                      s->path, de->d_name));
                                continue;
                        }
                        s->fds = xrealloc(s->fds, (s->depth + 2) * sizeof(int));
                        s->dnames = xrealloc(s->dnames, (s->depth + 2) * sizeof(char *));
                        s->depth++;
                        s->fds[s->depth] = sub;
                        s->dnames[s->depth] = de->d_name;
                        s->path = xrealloc(s->path, len + strlen(de->d_name) + 2);
                        sprintf(s->path + len, "/%s", de->d_name);
                        scan_dir(s, sub);
                        s->depth--;
                        s->path[len] = '\0';
                        continue;
                }
                if (type != DT_LNK || unit_name_kind(de->d_name) == NAME_INVALID)
                        continue;
                if (!link_is_marked(s, de->d_name))
                        continue;
                if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
                        scan_error(s, log_error_errno(errno, "$.systemd.units: cannot remove /%s/%s: %m",
                                                      s->path, de->d_name));
                        continue;
                }
                log_info("removed enablement symlink /%s/%s", s->path, de->d_name);
                remove_empty_parents(s);
                s->removed = true;
        }
        if (errno != 0)
                scan_error(s, log_error_errno(errno, "$.systemd.units: cannot read /%s: %m", s->path));
        closedir(dir);
}

static int scan_config_dir(struct disable *d)
{
        const char *rp = d->t->root.path, *e;
        _cleanup_free_ char *base = NULL;
        struct scan s = { .d = d };
        size_t n;

        /* The name of the root directory itself is what a link to "/"
         * resolves to. */
        n = strlen(rp);
        while (n > 1 && rp[n - 1] == '/')
                n--;
        for (e = rp + n; e > rp && e[-1] != '/'; e--)
                ;
        base = xstrndup(e, (size_t) (rp + n - e));
        s.root_base = base;

        do {
                int fd = root_openat(&d->t->root, CONFIG_DIR, O_RDONLY | O_DIRECTORY, 0);

                if (fd == -ENOENT)
                        break;
                if (fd < 0) {
                        scan_error(&s, log_error_errno(fd, "$.systemd.units: cannot open /" CONFIG_DIR ": %m"));
                        break;
                }
                s.removed = false;
                s.depth = 0;
                s.fds = xrealloc(s.fds, sizeof(int));
                s.dnames = xrealloc(s.dnames, sizeof(char *));
                s.fds[0] = fd;
                s.dnames[0] = NULL;
                free(s.path);
                s.path = xstrdup(CONFIG_DIR);
                scan_dir(&s, fd);
        } while (s.removed);

        free(s.fds);
        free(s.dnames);
        free(s.path);
        return s.error;
}

/* ---- before running systemctl --------------------------------------------- */

/* systemctl --root R opens R/etc/systemd/system and the search path by
 * their host paths: a symlink in the target is followed on the host, and
 * with /etc/systemd/system -> /somewhere its disable removes links
 * there. Each directory it may read or change must therefore be the same
 * directory whether the target's symlinks are followed inside the root (as
 * ignis does) or on the host (as systemctl does), or be missing both ways.
 * etc/init.d: systemctl's SysV check looks for scripts there. */
int target_units_check_systemctl(struct target *t)
{
        int r = 0;

        for (size_t i = 0; i <= N_DIRS; i++) {
                const char *dir = i < N_DIRS ? search_dirs[i] : "etc/init.d";
                _cleanup_close_ int in = root_openat(&t->root, dir, O_PATH | O_DIRECTORY, 0);
                _cleanup_close_ int host = openat(t->root.fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                struct stat a, b;
                bool host_missing = host < 0 && (errno == ENOENT || errno == ENOTDIR);

                if ((in == -ENOENT || in == -ENOTDIR) && host_missing)
                        continue;
                if (in >= 0 && host >= 0 && fstat(in, &a) == 0 && fstat(host, &b) == 0 &&
                    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                        continue;
                r = log_error_errno(EXDEV, "$.systemd.units: disabling these units needs `systemctl --root`, "
                                    "which follows the target's symlinks on the host, where /%s is not the "
                                    "directory it is inside the root (a symlink leads out of the root): "
                                    "refusing to run it", dir);
        }
        return r;
}

/* ---- entry point ---------------------------------------------------------- */

static bool root_is_host_root(struct target *t)
{
        struct stat a, b;

        return fstat(t->root.fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int target_units_disable(struct target *t, char *const *names, size_t n)
{
        struct disable d = { .t = t };
        _cleanup_close_ int initd = -1;
        int r = 1;

        for (size_t i = 0; i < N_DIRS; i++)
                d.dirs[i] = -1;

        if (getenv("SYSTEMD_UNIT_PATH")) {
                log_debug("$SYSTEMD_UNIT_PATH is set: systemctl disables the units");
                return 0;
        }
        if (root_is_host_root(t) || has_dotdot_or_long(t->root.path)) {
                log_debug("the target root is / or its path has \"..\": systemctl disables the units");
                return 0;
        }

        for (size_t i = 0; i < N_DIRS && r > 0; i++) {
                d.dirs[i] = root_openat(&t->root, search_dirs[i], O_PATH | O_DIRECTORY, 0);
                if (d.dirs[i] == -ENOENT || d.dirs[i] == -ENOTDIR)
                        d.dirs[i] = -1;
                else if (d.dirs[i] < 0) {
                        log_debug("disabling units needs systemctl: /%s: %s", search_dirs[i], strerror(-d.dirs[i]));
                        d.dirs[i] = -1;
                        r = 0;
                }
        }
        initd = open_initd(t);

        for (size_t i = 0; i < n && r > 0; i++) {
                size_t first = d.queue.n;

                d.origin = names[i];
                if (unit_name_kind(names[i]) == NAME_INVALID) {
                        log_debug("disabling \"%s\" needs systemctl: not a valid unit name (systemctl escapes it or takes its base name)",
                                  names[i]);
                        r = 0;
                        break;
                }
                if (has_sysv_script(initd, names[i])) {
                        log_debug("disabling \"%s\" needs systemctl: it has a SysV init script", names[i]);
                        r = 0;
                        break;
                }
                if (names_contain(&d.queue, names[i]))
                        continue;
                names_add(&d.queue, names[i]);
                /* Also= names join the queue behind the configured one. */
                for (size_t j = first; j < d.queue.n && r > 0; j++)
                        r = process_name(&d, j);
        }

        if (r > 0 && d.marks.n > 0) {
                qsort(d.marks.v, d.marks.n, sizeof(char *), strcmp_ptr);
                r = scan_config_dir(&d);
                r = r < 0 ? r : 1;
        }

        for (size_t i = 0; i < N_DIRS; i++)
                if (d.dirs[i] >= 0)
                        close(d.dirs[i]);
        names_clear(&d.queue);
        names_clear(&d.marks);
        return r;
}
