/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the code under test writes to stderr during one call, for the
 * provider unit tests that check messages: capture() before the call,
 * captured() after it (the text, echoed as TAP comments; a sanitizer's
 * report lands there too), captured_quiet(false) without the echo. One
 * capture at a time; the buffer is reused by the next. */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int capture_saved_fd = -1;
static FILE *capture_file;

static inline void capture(void)
{
        fflush(stderr);
        capture_file = tmpfile();
        capture_saved_fd = dup(2);
        dup2(fileno(capture_file), 2);
}

static inline char *captured_quiet(bool echo)
{
        static char buf[8192];
        size_t n;

        fflush(stderr);
        dup2(capture_saved_fd, 2);
        close(capture_saved_fd);
        rewind(capture_file);
        n = fread(buf, 1, sizeof(buf) - 1, capture_file);
        buf[n] = '\0';
        fclose(capture_file);
        for (char *line = buf, *nl; echo && *line; line = nl + 1) {
                nl = strchr(line, '\n');
                printf("#   %.*s\n", nl ? (int) (nl - line) : (int) strlen(line), line);
                if (!nl)
                        break;
        }
        return buf;
}

static inline char *captured(void)
{
        return captured_quiet(true);
}
