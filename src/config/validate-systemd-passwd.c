/* SPDX-License-Identifier: Apache-2.0 */
/* Validation of systemd units and drop-ins (including their unit-file
 * syntax) and kernelArguments. (passwd: validate-accounts.c) */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "validate-internal.h"

/* ---- unit file syntax ----
 *
 * Ignition parses unit contents with go-systemd's deserializer and rejects
 * what it cannot read. To give the same verdict this follows that lexer step
 * by step, including the reader underneath it: before every step the lexer
 * refuses a line of 2048 bytes or more, but it can only see as far as its
 * 4096-byte read buffer currently holds, so whether a long line is noticed
 * depends on where the buffer boundaries fall. The buffer is emulated
 * exactly for that reason. */

#define BUF_SIZE 4096
#define LINE_MAX_LEN 2048

struct reader {
        const char *src;
        size_t src_len, src_pos;
        unsigned char buf[BUF_SIZE];
        size_t r, w;
        bool eof;               /* the source reported end of data */
        size_t last_rune;       /* size of the last rune, for unread */
};

static void fill(struct reader *b)
{
        size_t n;

        if (b->r > 0) {
                memmove(b->buf, b->buf + b->r, b->w - b->r);
                b->w -= b->r;
                b->r = 0;
        }
        n = b->src_len - b->src_pos;
        if (n > BUF_SIZE - b->w)
                n = BUF_SIZE - b->w;
        if (n == 0) {
                b->eof = true;
                return;
        }
        memcpy(b->buf + b->w, b->src + b->src_pos, n);
        b->src_pos += n;
        b->w += n;
}

/* Decodes one UTF-8 character like Go: invalid input is one byte of U+FFFD. */
static uint32_t decode_rune(const unsigned char *p, size_t n, size_t *size)
{
        uint32_t c = p[0], min;
        size_t len;

        *size = 1;
        if (c < 0x80)
                return c;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2, c &= 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
                len = 3, c &= 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
                len = 4, c &= 0x07, min = 0x10000;
        else
                return 0xfffd;
        if (n < len)
                return 0xfffd;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0xfffd;
                c = c << 6 | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0xfffd;
        *size = len;
        return c;
}

/* Whether p starts with a complete (or definitely invalid) character. */
static bool full_rune(const unsigned char *p, size_t n)
{
        size_t len;

        if (n == 0)
                return false;
        if (p[0] < 0xc2 || p[0] > 0xf4)
                return true;
        len = p[0] <= 0xdf ? 2 : p[0] <= 0xef ? 3 : 4;
        if (n >= len)
                return true;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return true;
        return false;
}

/* Returns the rune, or -1 at the end. */
static int64_t read_rune(struct reader *b)
{
        size_t size;
        uint32_t c;

        while (b->r + 4 > b->w && !full_rune(b->buf + b->r, b->w - b->r) && !b->eof && b->w - b->r < BUF_SIZE)
                fill(b);
        if (b->r == b->w) {
                b->eof = false;         /* the error is handed out once */
                return -1;
        }
        c = decode_rune(b->buf + b->r, b->w - b->r, &size);
        b->r += size;
        b->last_rune = size;
        return c;
}

static void unread_rune(struct reader *b)
{
        b->r -= b->last_rune;
}

/* ReadBytes(delim): everything up to and including delim, or up to the end
 * (then *at_end). The bytes go to *out (malloc'ed), which may be NULL. */
static size_t read_until(struct reader *b, char delim, char **out, bool *at_end)
{
        char *acc = NULL;
        size_t acc_len = 0, s = 0;

        *at_end = false;
        for (;;) {
                unsigned char *hit = memchr(b->buf + b->r + s, delim, b->w - b->r - s);
                size_t take;

                if (hit) {
                        take = hit - (b->buf + b->r) + 1;
                } else if (b->eof) {
                        take = b->w - b->r;
                        b->eof = false;
                        *at_end = true;
                } else if (b->w - b->r >= BUF_SIZE) {
                        take = b->w - b->r;
                } else {
                        s = b->w - b->r;
                        fill(b);
                        continue;
                }
                if (out) {
                        acc = xrealloc(acc, acc_len + take + 1);
                        memcpy(acc + acc_len, b->buf + b->r, take);
                        acc[acc_len + take] = 0;
                }
                acc_len += take;
                b->r += take;
                s = 0;
                if (hit || *at_end)
                        break;
        }
        if (out)
                *out = acc ?: xstrdup("");
        return acc_len;
}

/* toEOL(): a line without its "\n" (and without a "\r" only if there was no
 * "\n": the deserializer trims "\r" first, then "\n"). */
static char *to_eol(struct reader *b, bool *at_end)
{
        char *line;
        size_t n = read_until(b, '\n', &line, at_end);

        if (n > 0 && line[n - 1] == '\r')
                line[--n] = 0;
        if (n > 0 && line[n - 1] == '\n')
                line[--n] = 0;
        return line;
}

static bool is_space_rune(uint32_t c)
{
        return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0 || c == 0x1680 ||
                (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
                c == 0x3000;
}

static bool all_space(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s), size;

        for (size_t i = 0; i < n; i += size)
                if (!is_space_rune(decode_rune(p + i, n - i, &size)))
                        return false;
        return true;
}

enum lex_state {
        ST_NEXT_SECTION,
        ST_SECTION_NAME,
        ST_SECTION_SUFFIX,
        ST_SECTION_OR_OPTION,
        ST_IGNORE_LINE,
        ST_OPTION_NAME,
        ST_OPTION_VALUE,
        ST_DONE,
};

int v_unit_parse(const char *text, bool *has_install, size_t *n_options, const char **why, const char **warn)
{
        _cleanup_free_ struct reader *b = xcalloc(1, sizeof(*b));
        _cleanup_free_ char *section = NULL;
        enum lex_state st = ST_NEXT_SECTION, after_ignore = ST_NEXT_SECTION;

        b->src = text;
        b->src_len = strlen(text);
        *has_install = false;
        *n_options = 0;
        *warn = NULL;

        while (st != ST_DONE) {
                if (b->w - b->r >= LINE_MAX_LEN &&
                    !memchr(b->buf + b->r, '\n', LINE_MAX_LEN) && !memchr(b->buf + b->r, '\r', LINE_MAX_LEN)) {
                        *why = "line too long (lines must be shorter than 2048 bytes)";
                        return -EINVAL;
                }

                switch (st) {
                case ST_NEXT_SECTION: {
                        int64_t c = read_rune(b);
                        if (c < 0)
                                st = ST_DONE;
                        else if (c == '[')
                                st = ST_SECTION_NAME;
                        else if (c == '#' || c == ';') {
                                st = ST_IGNORE_LINE;
                                after_ignore = ST_NEXT_SECTION;
                        } else if (!is_space_rune((uint32_t) c) && !*warn)
                                *warn = "text before the first [section] header is ignored";
                        break;
                }
                case ST_SECTION_NAME: {
                        bool at_end;
                        size_t n;

                        free(section);
                        n = read_until(b, ']', &section, &at_end);
                        if (at_end) {
                                *why = "unable to find end of section (a '[' without ']')";
                                return -EINVAL;
                        }
                        section[n - 1] = 0;
                        st = ST_SECTION_SUFFIX;
                        break;
                }
                case ST_SECTION_SUFFIX: {
                        bool at_end;
                        _cleanup_free_ char *rest = to_eol(b, &at_end);
                        if (!all_space(rest)) {
                                *why = "text after a section header (comments must be on their own line)";
                                return -EINVAL;
                        }
                        st = ST_SECTION_OR_OPTION;
                        break;
                }
                case ST_SECTION_OR_OPTION: {
                        int64_t c = read_rune(b);
                        if (c < 0)
                                st = ST_DONE;
                        else if (is_space_rune((uint32_t) c))
                                ;
                        else if (c == '[')
                                st = ST_SECTION_NAME;
                        else if (c == '#' || c == ';') {
                                st = ST_IGNORE_LINE;
                                after_ignore = ST_SECTION_OR_OPTION;
                        } else {
                                unread_rune(b);
                                st = ST_OPTION_NAME;
                        }
                        break;
                }
                case ST_IGNORE_LINE:
                        /* a comment continues while its lines end in '\' */
                        for (;;) {
                                bool at_end;
                                _cleanup_free_ char *line = to_eol(b, &at_end);
                                size_t n = strlen(line);
                                if (n > 0 && line[n - 1] == ' ')
                                        n--;
                                if (n == 0 || line[n - 1] != '\\')
                                        break;
                        }
                        st = after_ignore;
                        break;
                case ST_OPTION_NAME:
                        for (;;) {
                                int64_t c = read_rune(b);
                                if (c < 0) {
                                        *why = "unexpected end of text in a key (expected key=value)";
                                        return -EINVAL;
                                }
                                if (c == '\n' || c == '\r') {
                                        *why = "line without '=' (expected key=value)";
                                        return -EINVAL;
                                }
                                if (c == '=')
                                        break;
                        }
                        st = ST_OPTION_VALUE;
                        break;
                case ST_OPTION_VALUE: {
                        /* one line per step; a line ending in '\' continues */
                        bool at_end, more = false;
                        _cleanup_free_ char *line = to_eol(b, &at_end);
                        size_t n = strlen(line);

                        if (!all_space(line) && n > 0 && line[n - 1] == '\\')
                                more = true;
                        if (more)
                                break;
                        (*n_options)++;
                        if (section && strcmp(section, "Install") == 0)
                                *has_install = true;
                        st = ST_SECTION_OR_OPTION;
                        break;
                }
                case ST_DONE:
                        break;
                }
        }
        return 0;
}

/* ---- units ---- */

static const char *path_ext(const char *name)
{
        for (size_t i = strlen(name); i > 0 && name[i - 1] != '/'; i--)
                if (name[i - 1] == '.')
                        return name + i - 1;
        return "";
}

static bool valid_unit_suffix(const char *name)
{
        static const char *const exts[] = {
                ".service", ".socket", ".device", ".mount", ".automount", ".swap",
                ".target", ".path", ".timer", ".snapshot", ".slice", ".scope",
        };
        const char *ext = path_ext(name);

        for (size_t i = 0; i < ELEMENTSOF(exts); i++)
                if (strcmp(ext, exts[i]) == 0)
                        return true;
        return false;
}

/* systemd's unit name rules (unit_name_is_valid()): at most 255 bytes,
 * and before the type suffix a non-empty prefix of letters, digits and
 * ":-_.\\", optionally followed by '@' and an instance of the same
 * characters and '@'. Ignition checks only the suffix, but systemd ignores
 * any other name, and the name is also a file name in /etc/systemd/system
 * and a word of a preset line: a '/' or ".." would leave the directory, a
 * space or newline would add words or lines to the preset file. Returns
 * why name is invalid, or NULL. */
static const char *bad_unit_name(const char *name, char buf[96])
{
        const char *dot = strrchr(name, '.');
        size_t len = strlen(name);

        if (len > 255) {
                snprintf(buf, 96, "it is %zu bytes long (at most 255)", len);
                return buf;
        }
        if (!dot)
                return NULL;    /* the suffix check reports it */
        for (const char *p = name; p < dot; p++) {
                unsigned char c = (unsigned char) *p;
                if (c == '/')
                        return "it contains '/'";
                if (c < 0x20 || c == 0x7f) {
                        snprintf(buf, 96, "it contains control character 0x%02x", c);
                        return buf;
                }
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr(":-_.\\@", c))) {
                        if (c == ' ')
                                return "it contains a space";
                        if (c >= 0x80)
                                return "it contains a non-ASCII character";
                        snprintf(buf, 96, "it contains '%c'", c);
                        return buf;
                }
        }
        if (dot == name || name[0] == '@')
                return "the part before the type suffix (and before '@') must not be empty";
        return NULL;
}

/* A drop-in name is a file name in <unit>.d/. */
static const char *bad_dropin_name(const char *name, char buf[96])
{
        size_t len = strlen(name);

        if (len > 255) {
                snprintf(buf, 96, "it is %zu bytes long (at most 255)", len);
                return buf;
        }
        for (const char *p = name; *p; p++) {
                unsigned char c = (unsigned char) *p;
                if (c == '/')
                        return "it contains '/' (a drop-in name is a file name)";
                if (c < 0x20 || c == 0x7f) {
                        snprintf(buf, 96, "it contains control character 0x%02x", c);
                        return buf;
                }
        }
        return NULL;
}

/* "foo@bar.service" -> "foo@.service", the way Ignition's pattern
 * ^(.+?)@(.+?)\.service$ splits it; NULL if it is no instance. */
static char *template_of(const char *name)
{
        size_t len = strlen(name), suffix = strlen(".service");

        if (len < suffix + 3 || strcmp(name + len - suffix, ".service") != 0)
                return NULL;
        for (size_t i = 1; i + 1 + suffix < len; i++) {
                if (name[i] != '@')
                        continue;
                if (memchr(name, '\n', i) || memchr(name + i + 1, '\n', len - suffix - i - 1))
                        return NULL;
                return xasprintf("%.*s@.service", (int) i, name);
        }
        return NULL;
}

static bool check_contents(struct vctx *v, struct vloc at, const char *contents, bool *has_install)
{
        const char *why, *warn;
        size_t n;

        if (!contents)
                return false;
        if (v_unit_parse(contents, has_install, &n, &why, &warn) < 0) {
                v_error(v, at, "contents", "invalid unit content: %s", why);
                return false;
        }
        if (warn)
                v_warn(v, at, "contents", "%s", warn);
        return true;
}

void v_systemd(struct vctx *v)
{
        const struct ig_systemd *sd = &v->c->systemd;
        _cleanup_(vset_free) struct vset names = {};

        for (size_t i = 0; i < sd->units.n; i++) {
                const struct ig_unit *u = &sd->units.v[i];
                struct vloc at = vloc_node(u->node);
                _cleanup_(vset_free) struct vset dropins = {};
                const struct vset_entry *e;
                const char *why;
                char buf[96];
                bool install;

                e = vset_add(&names, u->name ?: "", "systemd.units", i, 0);
                if (e)
                        v_error(v, at, "name", "duplicate unit: \"%s\" is already defined by systemd.units[%zu]",
                                u->name ?: "", e->index);
                if (!valid_unit_suffix(u->name ?: ""))
                        v_error(v, at, "name",
                                "invalid unit name \"%s\": it must end in .service, .socket, .device, .mount, .automount, .swap, .target, .path, .timer, .snapshot, .slice or .scope",
                                u->name ?: "");
                else if ((why = bad_unit_name(u->name, buf)))
                        v_error(v, at, "name",
                                "invalid unit name \"%s\": %s (systemd unit names are letters, digits and \":-_.\\@\" before the type suffix)",
                                u->name, why);
                if (check_contents(v, at, u->contents, &install) && *u->contents &&
                    ig_bool_or(u->enabled, false) && !install)
                        v_warn(v, at, "contents",
                               "enabled is true but the unit has no [Install] section, so enabling it does nothing");

                for (size_t j = 0; j < u->dropins.n; j++) {
                        const struct ig_dropin *dr = &u->dropins.v[j];
                        struct vloc dat = vloc_node(dr->node);
                        bool unused;

                        check_contents(v, dat, dr->contents, &unused);
                        if (strcmp(path_ext(dr->name ?: ""), ".conf") != 0)
                                v_error(v, dat, "name", "invalid drop-in name \"%s\": it must end in .conf", dr->name ?: "");
                        else if ((why = bad_dropin_name(dr->name, buf)))
                                v_error(v, dat, "name", "invalid drop-in name \"%s\": %s", dr->name, why);
                        e = vset_add(&dropins, dr->name ?: "", "dropins", j, 0);
                        if (e)
                                v_error(v, dat, "name", "duplicate drop-in: \"%s\" is already defined by dropins[%zu]",
                                        dr->name ?: "", e->index);
                }
        }

        /* An enabled instance needs its template's [Install] section. The
         * last definition of a name wins, as in Ignition's map: adding from
         * the end keeps the last. */
        _cleanup_(vset_free) struct vset last = {};
        for (size_t i = sd->units.n; i > 0; i--)
                if (sd->units.v[i - 1].name)
                        vset_add(&last, sd->units.v[i - 1].name, NULL, i - 1, 0);
        for (size_t i = 0; i < sd->units.n; i++) {
                const struct ig_unit *u = &sd->units.v[i], *t = NULL;
                _cleanup_free_ char *tname = NULL;
                const struct vset_entry *e;
                const char *why, *warn;
                bool install;
                size_t n;

                if (!ig_bool_or(u->enabled, false) || !u->name || !(tname = template_of(u->name)))
                        continue;
                e = vset_find(&last, tname);
                if (e)
                        t = &sd->units.v[e->index];
                if (!t || !v_nonempty(t->contents) || v_unit_parse(t->contents, &install, &n, &why, &warn) < 0)
                        continue;
                /* the instance usually has no contents: point at enabled */
                if (!install)
                        v_warn(v, vloc_node(u->node), "enabled",
                               "the template unit \"%s\" has no [Install] section, so enabling \"%s\" does nothing",
                               tname, u->name);
        }
}

/* ---- kernelArguments ---- */

static const char *const karg_lists[] = { "shouldExist", "shouldNotExist" };

static void report_karg_dup(struct vctx *v, void *ud, size_t list, size_t index, size_t first_list, size_t first_index)
{
        const struct ig_kernel_arguments *ka = ud;
        const struct ig_strv *l = list ? &ka->should_not_exist : &ka->should_exist;
        _cleanup_free_ char *f = xasprintf("%s[%zu]", karg_lists[list], index);

        v_error(v, vloc_node(ka->node), f, "duplicate kernel argument \"%s\": already listed at %s[%zu]",
                l->v[index], karg_lists[first_list], first_index);
}

void v_kernel_arguments(struct vctx *v)
{
        const struct ig_kernel_arguments *ka = &v->c->kernel_arguments;
        const struct ig_strv *lists[] = { &ka->should_exist, &ka->should_not_exist };

        /* one key space: an argument cannot both exist and not exist */
        v_find_dups(lists, 2, report_karg_dup, v, (void *) ka);
}
