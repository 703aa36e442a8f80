/* SPDX-License-Identifier: Apache-2.0 */
/* What reaches a log line: control characters escaped (a config value must
 * not forge console lines), and a password hash redacted only where a
 * tool echoes the argument itself. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignis/exec.h"
#include "ignis/log.h"
#include "tap.h"

static FILE *capture;
static int saved_stderr = -1;

/* stderr goes to a temporary file until captured() returns its text. */
static void capture_start(void)
{
        capture = tmpfile();
        if (!capture)
                abort();
        fflush(stderr);
        saved_stderr = dup(2);
        if (saved_stderr < 0 || dup2(fileno(capture), 2) < 0)
                abort();
}

static char *captured(void)
{
        long n;
        char *s;

        fflush(stderr);
        dup2(saved_stderr, 2);
        close(saved_stderr);
        n = ftell(capture);
        s = calloc(1, (size_t) n + 1);
        rewind(capture);
        if (!s || fread(s, 1, (size_t) n, capture) != (size_t) n)
                abort();
        fclose(capture);
        return s;
}

static void check_line(const char *input, const char *want, const char *what)
{
        char *out, *expect = xasprintf("ignis: error: x %s y\n", want);

        capture_start();
        log_error("x %s y", input);
        out = captured();
        tap_ok(strcmp(out, expect) == 0, "%s", what);
        if (strcmp(out, expect) != 0)
                printf("#   got: %s#   want: %s", out, expect);
        free(out);
        free(expect);
}

static void check_tidy(const char *out, const char *secret, const char *want, const char *what)
{
        char *got = exec_tidy_output(out, secret);

        tap_ok(strcmp(got, want) == 0, "%s", what);
        if (strcmp(got, want) != 0)
                printf("#   got: [%s]\n#   want: [%s]\n", got, want);
        free(got);
}

int main(void)
{
        char *s, *big, *want;

        check_line("/etc/plain", "/etc/plain", "plain text unchanged");
        check_line("/etc/a\nignis: info: forged", "/etc/a\\nignis: info: forged", "newline escaped");
        check_line("a\rb\tc", "a\\rb\\tc", "carriage return and tab escaped");
        check_line("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07", "ESC and BEL escaped");
        check_line("del\x7f", "del\\x7f", "DEL escaped");
        check_line("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac", "valid UTF-8 kept");
        check_line("c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m", "C1 control (U+009B) escaped");
        check_line("raw \x9b" "31m \xff", "raw \\x9b31m \\xff", "bytes that are not UTF-8 escaped");
        check_line("back\\slash", "back\\slash", "backslash kept");

        /* Longer than the one-write buffer: the other path escapes too. */
        big = xmalloc(3001);
        memset(big, 'a', 3000);
        big[3000] = 0;
        big[1500] = '\n';
        want = xasprintf("%.1500s\\n%s", big, big + 1501);
        check_line(big, want, "long line escaped");
        free(want);
        free(big);

        /* %m still names the error. */
        capture_start();
        log_error_errno(-ENOENT, "open %s: %m", "/x\n");
        s = captured();
        tap_ok(strcmp(s, "ignis: error: open /x\\n: No such file or directory\n") == 0, "%%m with escaping");
        free(s);

        /* The failure summary quotes the first error: escaped as well. */
        tap_ok(log_first_error() && strcmp(log_first_error(), "x /etc/plain y") == 0, "first error recorded");
        s = log_escape("a\nb\x1b");
        tap_ok(strcmp(s, "a\\nb\\x1b") == 0, "log_escape");
        free(s);

        /* Held lines are escaped before they are held. */
        capture_start();
        log_hold();
        log_warning("held %s", "a\nb");
        log_release();
        s = captured();
        tap_ok(strcmp(s, "ignis: warning: held a\\nb\n") == 0, "held line escaped");
        free(s);

        check_tidy("useradd: invalid field '$6$abc$def:0'\n", "$6$abc$def:0", "useradd: invalid field '<redacted>'",
                   "quoted hash redacted");
        check_tidy("x\n", "x", "<redacted>", "whole output equal to the hash redacted");
        check_tidy("useradd: user 'core' exists\nuseradd: invalid field 'e'\n", "e",
                   "useradd: user 'core' exists; useradd: invalid field '<redacted>'",
                   "a one-character hash: only the echoed argument is redacted");
        check_tidy("useradd: bad $6$abc$defgh and $6$abc$def\n", "$6$abc$def",
                   "useradd: bad $6$abc$defgh and <redacted>",
                   "text that merely starts with the hash is not the argument");
        check_tidy("a\nb\n\n", NULL, "a; b", "no secret: lines joined");
        check_tidy(NULL, "s", "", "no output");

        /* IGNIS_LOG_LEVEL: debug lines appear only when asked for; a value
         * that is not a level is refused and changes nothing. */
        capture_start();
        log_debug("hidden");
        setenv("IGNIS_LOG_LEVEL", "loud", 1);
        log_level_from_env();
        log_debug("still hidden");
        s = captured();
        tap_ok(strcmp(s, "ignis: warning: IGNIS_LOG_LEVEL=loud: not one of debug, info, notice, warning, error; "
                         "ignored\n") == 0, "IGNIS_LOG_LEVEL: an unknown level is refused");
        free(s);
        setenv("IGNIS_LOG_LEVEL", "debug", 1);
        log_level_from_env();
        capture_start();
        log_debug("shown");
        {
                /* A child's exit is logged with its name, status and
                 * duration; never its arguments (a hash may be one). */
                char *argv[] = { "sh", "-c", "exit 3", "$6$secret", NULL };
                struct exec_result res;
                tap_ok(exec_run(argv, NULL, &res) == 0 && res.status == 3, "exec_run at debug level");
                exec_result_free(&res);
        }
        s = captured();
        tap_ok(strncmp(s, "ignis: debug: shown\n", 20) == 0, "IGNIS_LOG_LEVEL=debug shows debug lines");
        tap_ok(strstr(s, "ignis: debug: sh (pid ") && strstr(s, ") exited with status 3: ") &&
               strstr(s, " ms after its start at "), "a child's exit status and duration at debug level");
        free(s);
        setenv("IGNIS_LOG_LEVEL", "warning", 1);
        log_level_from_env();
        capture_start();
        log_info("hidden");
        log_warning("shown");
        s = captured();
        tap_ok(strcmp(s, "ignis: warning: shown\n") == 0, "IGNIS_LOG_LEVEL=warning hides info lines");
        free(s);
        unsetenv("IGNIS_LOG_LEVEL");

        return tap_done();
}
