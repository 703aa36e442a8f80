/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel command line: splitting, quoting, repeated keys, bare flags and
 * ignition.firstboot. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignis/providers.h"
#include "tap.h"

/* Test names stay on one line: tabs and newlines shown as \t and \n. */
static const char *esc(const char *s)
{
        static char bufs[4][512];
        static int next;
        char *b = bufs[next++ % 4];
        size_t n = 0;

        if (!s)
                return "(null)";
        for (; *s && n + 3 < sizeof(bufs[0]); s++) {
                if (*s == '\t' || *s == '\n') {
                        b[n++] = '\\';
                        b[n++] = *s == '\t' ? 't' : 'n';
                } else
                        b[n++] = *s;
        }
        b[n] = '\0';
        return b;
}

/* Parses text and checks that key has exactly the value want (NULL: a bare
 * flag); want_present false: key must be absent. */
static void check(const char *text, const char *key, int want_present, const char *want)
{
        struct cmdline c;
        const char *v = "(untouched)";
        int r = cmdline_parse(text, &c);
        int present = r == 0 && cmdline_get(&c, key, &v);

        if (!want_present)
                tap_ok(r == 0 && !present, "[%s]: %s absent", esc(text), key);
        else if (!want)
                tap_ok(present && v == NULL, "[%s]: %s is a bare flag (got %s)", esc(text), key,
                       present ? esc(v) : "(absent)");
        else
                tap_ok(present && v && strcmp(v, want) == 0, "[%s]: %s = [%s] (got [%s])", esc(text), key,
                       esc(want), present ? esc(v) : "(absent)");
        cmdline_free(&c);
}

/* The words in order, as "key=value|key|..." (a bare flag without "="). */
static void check_words(const char *text, const char *want)
{
        struct cmdline c;
        char buf[1024] = "";
        int r = cmdline_parse(text, &c);

        for (size_t i = 0; r == 0 && i < c.n; i++) {
                size_t l = strlen(buf);
                snprintf(buf + l, sizeof(buf) - l, "%s%s%s%s", i ? "|" : "", c.keys[i], c.values[i] ? "=" : "",
                         c.values[i] ? c.values[i] : "");
        }
        tap_ok(r == 0 && strcmp(buf, want) == 0, "words of [%s] are [%s] (got [%s])", esc(text), esc(want),
               esc(buf));
        cmdline_free(&c);
}

static void check_firstboot(const char *text, int want)
{
        struct cmdline c;
        int r = cmdline_parse(text, &c);

        tap_ok(r == 0 && cmdline_is_firstboot(&c) == want, "[%s] is %sa first boot", esc(text), want ? "" : "not ");
        cmdline_free(&c);
}

int main(void)
{
        /* Plain words. */
        check_words("", "");
        check_words("   \t\n", "");
        check_words("a b c", "a|b|c");
        check_words("  a=1   b=2  ", "a=1|b=2");
        check_words("BOOT_IMAGE=/vmlinuz root=UUID=1234 ro quiet\n",
                    "BOOT_IMAGE=/vmlinuz|root=UUID=1234|ro|quiet");

        /* The value is everything after the first '='. */
        check("root=UUID=1234-5678", "root", 1, "UUID=1234-5678");
        check("a==b", "a", 1, "=b");
        check("console=ttyS0,115200n8", "console", 1, "ttyS0,115200n8");

        /* Double quotes group words and are removed. */
        check("a=\"b c\" d", "a", 1, "b c");
        check("a=\"b c\" d", "d", 1, NULL);
        check_words("a=\"b c\" d", "a=b c|d");
        check("x=a\"b c\"d", "x", 1, "ab cd");
        check_words("x=a\"b c\"d y", "x=ab cd|y");
        check("\"q=1 2\"", "q", 1, "1 2");
        check("a=\"\"", "a", 1, "");
        check("a=\"b\tc\nd\" e", "a", 1, "b\tc\nd");
        /* An unterminated quote runs to the end of the line. */
        check("a=\"b c d", "a", 1, "b c d");
        check_words("a=\"b c d", "a=b c d");

        /* Tabs and newlines separate like spaces. */
        check_words("a=1\tb=2\nc=3\n", "a=1|b=2|c=3");
        check_words("\t\ta\n\nb\t", "a|b");
        check("a=1\tb=2\n", "b", 1, "2");
        check("ignition.config.url=data:,x\n", "ignition.config.url", 1, "data:,x");

        /* Repeated keys: the last one wins, whatever its form. */
        check("a=1 a=2", "a", 1, "2");
        check("a=1 b a=3 c", "a", 1, "3");
        check("a=1 a", "a", 1, NULL);
        check("a a=1", "a", 1, "1");
        check("a=1 a=", "a", 1, "");
        check_words("a=1 a=2", "a=1|a=2");

        /* Bare flags and absent keys; keys match exactly. */
        check("quiet ro", "quiet", 1, NULL);
        check("quiet ro", "rw", 0, NULL);
        check("ignition.firstboot", "ignition.firstboo", 0, NULL);
        check("ignition.firstboot=1", "ignition.firstboot=1", 0, NULL);
        check("Quiet", "quiet", 0, NULL);
        check("", "a", 0, NULL);

        /* ignition.config.url= with an empty value is present, empty. */
        check("ignition.config.url=", "ignition.config.url", 1, "");
        check("ignition.config.url= ignition.platform.id=qemu", "ignition.config.url", 1, "");
        check("ignition.config.url=\"\"", "ignition.config.url", 1, "");

        /* cmdline_get with no value pointer only answers presence. */
        {
                struct cmdline c;
                cmdline_parse("a=1 b", &c);
                tap_ok(cmdline_get(&c, "a", NULL) && cmdline_get(&c, "b", NULL) && !cmdline_get(&c, "c", NULL),
                       "cmdline_get(..., NULL) answers presence");
                cmdline_free(&c);
                tap_ok(c.n == 0 && c.keys == NULL && c.values == NULL, "cmdline_free resets the struct");
        }

        /* ignition.firstboot. */
        check_firstboot("ignition.firstboot", 1);
        check_firstboot("quiet ignition.firstboot ro", 1);
        check_firstboot("ignition.firstboot=1", 1);
        check_firstboot("ignition.firstboot=yes", 1);
        check_firstboot("ignition.firstboot=true", 1);
        check_firstboot("ignition.firstboot=", 0);
        check_firstboot("ignition.firstboot=0", 0);
        check_firstboot("ignition.firstboot=no", 0);
        check_firstboot("ignition.firstboot=off", 0);
        check_firstboot("ignition.firstboot=false", 1);      /* as the generator and Ignition */
        check_firstboot("ignition.firstboot=NO", 1);
        check_firstboot("ignition.firstboot=False", 1);
        check_firstboot("", 0);
        check_firstboot("quiet ro", 0);
        check_firstboot("ignition.firstboot.x", 0);
        check_firstboot("xignition.firstboot", 0);
        /* The last occurrence decides. */
        check_firstboot("ignition.firstboot ignition.firstboot=0", 0);
        check_firstboot("ignition.firstboot=0 ignition.firstboot", 1);
        check_firstboot("ignition.firstboot=off ignition.firstboot=1", 1);
        check_firstboot("ignition.firstboot=\"1\"", 1);
        check_firstboot("ignition.firstboot=\"0\"", 0);

        /* cmdline_read: a file like /proc/cmdline (one line, a newline at the
         * end); a missing file is an error. */
        {
                char path[] = "/tmp/test-cmdline-XXXXXX";
                int fd = mkstemp(path);
                static const char text[] = "BOOT_IMAGE=/vmlinuz ignition.platform.id=qemu ignition.firstboot\n";
                struct cmdline c = {};
                const char *v = NULL;
                int r;

                if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                        tap_ok(0, "cannot write %s", path);
                if (fd >= 0)
                        close(fd);
                r = cmdline_read(path, &c);
                tap_ok(r == 0 && c.n == 3 && cmdline_get(&c, "ignition.platform.id", &v) && v &&
                               strcmp(v, "qemu") == 0 && cmdline_is_firstboot(&c),
                       "cmdline_read reads a /proc/cmdline-like file");
                cmdline_free(&c);
                unlink(path);
                r = cmdline_read(path, &c);
                tap_ok(r < 0, "cmdline_read of a missing file fails (%d)", r);
                cmdline_free(&c);
        }

        return tap_done();
}
