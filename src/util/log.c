/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
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
                first_error = strdup(message);
}

void log_set_max_level(int level)
{
        max_level = level;
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
        if (level == LOG_LVL_ERR && !first_error) {
                char *msg;
                va_list aq;
                va_copy(aq, ap);
                if (vasprintf(&msg, fmt, aq) >= 0)
                        first_error = msg;
                va_end(aq);
                errno = err;
        }
        /* One write() per line where it fits: stderr is unbuffered, and a
         * stage writing a thousand files would pay three per line. */
        char line[1024];
        int pre = snprintf(line, sizeof(line), "ignis: %s: ", level_name(level)), n;
        va_list aq;

        va_copy(aq, ap);
        n = vsnprintf(line + pre, sizeof(line) - (size_t) pre - 1, fmt, aq);
        va_end(aq);
        if (n >= 0 && (size_t) pre + (size_t) n < sizeof(line) - 1) {
                line[pre + n] = '\n';
                emit(line, (size_t) pre + (size_t) n + 1);
        } else {
                /* Too long for the buffer: what is held goes first. */
                flush_held();
                errno = err;
                fprintf(stderr, "ignis: %s: ", level_name(level));
                vfprintf(stderr, fmt, ap);
                fputc('\n', stderr);
        }
        va_end(ap);
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
