/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <errno.h>
#include <stdarg.h>

/* Levels follow syslog's numbering so they can go to the journal/kmsg as is. */
enum log_level {
        LOG_LVL_ERR = 3,
        LOG_LVL_WARNING = 4,
        LOG_LVL_NOTICE = 5,
        LOG_LVL_INFO = 6,
        LOG_LVL_DEBUG = 7,
};

void log_set_max_level(int level);
/* IGNIS_LOG_LEVEL=debug|info|notice|warning|error from the environment
 * (systemd.setenv= on the kernel command line reaches the stage units);
 * anything else is ignored with a warning. */
void log_level_from_env(void);

/* The first error logged (or noted) by this process, for the failure
 * summary printed on the consoles; NULL if none. */
const char *log_first_error(void);
void log_note_error(const char *message);
int log_get_max_level(void);

/* log_hold() keeps the lines logged until log_release() (or 16 KiB of
 * them) and then writes them at once: for a burst of lines that describe
 * work already done (a batch of files), one write() instead of one each.
 * Errors are held too, in their place among the lines. */
void log_hold(void);
void log_release(void);

/* s with control characters escaped the way every log line writes them
 * ("\n", "\t", "\r", "\x1b"; C1 controls and bytes that are not UTF-8 as
 * "\xNN"; backslashes stay as they are), malloc'd. For text that goes to a
 * console or terminal without the log functions. */
char *log_escape(const char *s);

/* Every message is written with log_escape()'s escaping applied.
 * Returns -abs(err) so callers can write `return log_error_errno(r, ...)`;
 * %m in the format expands to strerror(err). */
int log_full_errno(int level, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_error(...) log_full_errno(LOG_LVL_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_LVL_WARNING, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_LVL_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_LVL_ERR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LVL_WARNING, (e), __VA_ARGS__)

/* Allocation failure is not a condition the agent can report usefully. */
/* "ignis: out of memory" and abort(): for libraries (json-c) that return
 * NULL, or quietly drop what they were adding, when an allocation fails. */
_Noreturn void oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
