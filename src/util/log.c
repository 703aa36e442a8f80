/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/log.h"

static int max_level = LOG_LVL_INFO;
static char *first_error;

const char *log_first_error(void)
{
        return first_error;
}

void log_note_error(const char *message)
{
        if (!first_error)
                first_error = log_escape(message);
}

/* Length of the UTF-8 sequence at p (at most n bytes) if it is a valid one
 * that encodes no C1 control (U+0080..U+009F), else 0. */
static size_t plain_utf8(const unsigned char *p, size_t n)
{
        uint32_t c, min;
        size_t len;

        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                len = 2, c = p[0] & 0x1f, min = 0xa0;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                len = 3, c = p[0] & 0x0f, min = 0x800;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                len = 4, c = p[0] & 0x07, min = 0x10000;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return len;
}

/* Writes the escaped form of s[0..n) to out (NULL: only counts). */
static size_t escape_into(const char *s, size_t n, char *out)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *) s;
        size_t o = 0;

        for (size_t i = 0; i < n;) {
                unsigned char c = p[i];
                size_t l;
                char e = 0;

                if (c >= 0x20 && c < 0x7f) {
                        if (out)
                                out[o] = (char) c;
                        o++, i++;
                        continue;
                }
                if (c >= 0x80 && (l = plain_utf8(p + i, n - i)) > 0) {
                        if (out)
                                memcpy(out + o, p + i, l);
                        o += l, i += l;
                        continue;
                }
                e = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : 0;
                if (out) {
                        out[o] = '\\';
                        if (e)
                                out[o + 1] = e;
                        else {
                                out[o + 1] = 'x';
                                out[o + 2] = hex[c >> 4];
                                out[o + 3] = hex[c & 15];
                        }
                }
                o += e ? 2 : 4;
                i++;
        }
        return o;
}

static bool needs_escape(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c >= 0x7f)
                        return true;
        }
        return false;
}

char *log_escape(const char *s)
{
        size_t n = strlen(s), m;
        char *r;

        if (!needs_escape(s, n))
                return xstrdup(s);
        m = escape_into(s, n, NULL);
        r = xmalloc(m + 1);
        escape_into(s, n, r);
        r[m] = 0;
        return r;
}

void log_set_max_level(int level)
{
        max_level = level;
}

void log_level_from_env(void)
{
        static const struct {
                const char *name;
                int level;
        } names[] = {
                { "debug", LOG_LVL_DEBUG }, { "info", LOG_LVL_INFO }, { "notice", LOG_LVL_NOTICE },
                { "warning", LOG_LVL_WARNING }, { "error", LOG_LVL_ERR },
        };
        const char *v = getenv("IGNIS_LOG_LEVEL");

        if (!v || !*v)
                return;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(v, names[i].name) == 0) {
                        max_level = names[i].level;
                        return;
                }
        log_warning("IGNIS_LOG_LEVEL=%s: not one of debug, info, notice, warning, error; ignored", v);
}

int log_get_max_level(void)
{
        return max_level;
}

static const char *level_name(int level)
{
        switch (level) {
        case LOG_LVL_ERR: return "error";
        case LOG_LVL_WARNING: return "warning";
        case LOG_LVL_NOTICE: return "notice";
        case LOG_LVL_INFO: return "info";
        default: return "debug";
        }
}

/* Lines held back by log_hold(), written by log_release(). */
static char held[16384];
static size_t held_len;
static bool holding;

static void flush_held(void)
{
        if (held_len > 0)
                fwrite(held, 1, held_len, stderr);
        held_len = 0;
}

static void emit(const char *line, size_t len)
{
        if (holding) {
                if (held_len + len > sizeof(held))
                        flush_held();
                if (len <= sizeof(held)) {
                        memcpy(held + held_len, line, len);
                        held_len += len;
                        return;
                }
        }
        fwrite(line, 1, len, stderr);
}

void log_hold(void)
{
        holding = true;
}

void log_release(void)
{
        flush_held();
        holding = false;
}

int log_full_errno(int level, int err, const char *fmt, ...)
{
        int saved = errno;
        va_list ap;

        if (err < 0)
                err = -err;
        if (level > max_level)
                return -err;

        /* glibc's %m reads errno: point it at the error being reported. */
        errno = err;
        va_start(ap, fmt);
        char line[1024], *msg = NULL;
        int pre = snprintf(line, sizeof(line), "ignis: %s: ", level_name(level)), n;

        /* One write() per line where it fits: stderr is unbuffered, and a
         * stage writing a thousand files would pay three per line. */
        errno = err;
        n = vsnprintf(line + pre, sizeof(line) - (size_t) pre - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        else if ((size_t) pre + (size_t) n >= sizeof(line) - 1) {
                errno = err;
                va_start(ap, fmt);
                if (vasprintf(&msg, fmt, ap) < 0)
                        msg = NULL;
                va_end(ap);
        }

        /* Whatever a message quotes (a path from the config, a child tool's
         * output) must not move the cursor, recolour or forge lines on a
         * console: control characters are written escaped. */
        const char *text = msg ? msg : line + pre;
        size_t tlen = msg ? strlen(msg) : (size_t) n;
        if (needs_escape(text, tlen)) {
                size_t m = escape_into(text, tlen, NULL);
                char *esc = xmalloc(m + 1);
                escape_into(text, tlen, esc);
                esc[m] = 0;
                free(msg);
                msg = esc;
                text = msg;
                tlen = m;
        }
        if (level == LOG_LVL_ERR && !first_error)
                first_error = xstrndup(text, tlen);

        if ((size_t) pre + tlen < sizeof(line) - 1) {
                if (text != line + pre)
                        memcpy(line + pre, text, tlen);
                line[(size_t) pre + tlen] = '\n';
                emit(line, (size_t) pre + tlen + 1);
        } else {
                /* Too long for the buffer: what is held goes first. */
                flush_held();
                fwrite(line, 1, (size_t) pre, stderr);
                fwrite(text, 1, tlen, stderr);
                fputc('\n', stderr);
        }
        free(msg);
        errno = saved;
        return -err;
}

void oom(void)
{
        fputs("ignis: out of memory\n", stderr);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s)
{
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);
        if (!p)
                oom();
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p;

        va_start(ap, fmt);
        if (vasprintf(&p, fmt, ap) < 0)
                oom();
        va_end(ap);
        return p;
}
