/* SPDX-License-Identifier: Apache-2.0 */
/* SELinux relabelling of what the files stage created. The host has no
 * SELinux policy, so setfiles is a mock here: a script first in PATH that
 * records its arguments and its NUL-separated stdin. What is tested is
 * ignis's side: when it calls setfiles, with what, and when it must not. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ignis/log.h"
#include "ignis/target.h"
#include "tap.h"

static char base[] = "/tmp/ignis-relabel-XXXXXX";

/* base + "/" + rel, in a rotating static buffer (no frees in the test). */
static const char *at(const char *rel)
{
        static char bufs[4][1024];
        static unsigned n;
        char *b = bufs[n++ % 4];

        snprintf(b, sizeof(bufs[0]), "%s/%s", base, rel);
        return b;
}

static void write_file(const char *rel, const char *text, mode_t mode)
{
        const char *p = at(rel);
        FILE *f = fopen(p, "w");
        fputs(text, f);
        fclose(f);
        chmod(p, mode);
}

static char *read_file(const char *rel, size_t *len)
{
        char *buf = xcalloc(1, 4096);
        FILE *f = fopen(at(rel), "r");
        *len = f ? fread(buf, 1, 4095, f) : 0;
        if (f)
                fclose(f);
        return buf;
}

static int run_started(const char *selinux_config, bool early, bool fail_before)
{
        struct target t;
        int r;

        write_file("root/etc/selinux/config", selinux_config, 0644);
        unlink(at("calls"));
        unlink(at("stdin"));
        target_open(at("root"), &t);
        /* The stage starts setfiles before it writes anything. */
        if (early && target_relabel_start(&t) < 0) {
                target_close(&t);
                return -1;
        }
        if (fail_before) {
                /* A failure before the paths are handed over: closing the
                 * target must still reap setfiles (given no paths). */
                target_close(&t);
                return 0;
        }
        target_note_created(&t, "/etc/motd");
        target_note_created(&t, "/opt/app");
        target_note_created(&t, "/opt/app/deeper");     /* covered by /opt/app */
        r = target_relabel(&t);
        target_close(&t);
        return r;
}

static int run(const char *selinux_config)
{
        return run_started(selinux_config, false, false);
}

int main(void)
{
        char *path, *args, *input;
        size_t len;

        if (!mkdtemp(base))
                return 1;
        chmod(base, 0755);
        mkdir(at("bin"), 0755);
        mkdir(at("root"), 0755);
        mkdir(at("root/etc"), 0755);
        mkdir(at("root/etc/selinux"), 0755);
        mkdir(at("root/etc/selinux/targeted"), 0755);
        mkdir(at("root/etc/selinux/targeted/contexts"), 0755);
        mkdir(at("root/etc/selinux/targeted/contexts/files"), 0755);
        mkdir(at("root/opt"), 0755);
        mkdir(at("root/opt/app"), 0755);
        mkdir(at("host"), 0755);
        write_file("bin/setfiles",
                   "#!/bin/sh\n"
                   "d=$(dirname \"$0\")/..\n"
                   "printf '%s\\n' \"$@\" > \"$d/calls\"\n"
                   "cat > \"$d/stdin\"\n",
                   0755);
        path = xasprintf("%s/bin:%s", base, getenv("PATH"));
        setenv("PATH", path, 1);
        free(path);

        tap_ok(run("SELINUX=enforcing\nSELINUXTYPE=targeted\n") == 0, "relabel with a policy succeeds");
        args = read_file("calls", &len);
        {
                char *want = xasprintf("-vF0\n-r\n%s/root\n%s/root/etc/selinux/targeted/contexts/files/file_contexts\n-f\n-\n",
                                       base, base);
                tap_ok(strcmp(args, want) == 0, "setfiles gets the root and the policy's file_contexts");
                free(want);
        }
        input = read_file("stdin", &len);
        {
                char *want = xasprintf("%s/root/etc/motd", base);
                size_t l1 = strlen(want) + 1;
                char *want2 = xasprintf("%s/root/opt/app", base);
                tap_ok(len == l1 + strlen(want2) + 1 && strcmp(input, want) == 0 && strcmp(input + l1, want2) == 0,
                       "created paths, top-most only, NUL-separated on stdin");
                free(want);
                free(want2);
        }
        free(args);
        free(input);

        tap_ok(run("SELINUX=disabled\nSELINUXTYPE=targeted\n") == 0 && access(at("calls"), F_OK) < 0,
               "SELINUX=disabled: setfiles is not run");
        tap_ok(run("# no policy type\nSELINUX=permissive\n") == 0 && access(at("calls"), F_OK) < 0,
               "no SELINUXTYPE: setfiles is not run");

        /* Started early, as the files stage does: the same call, the same
         * paths, handed over at the end. */
        tap_ok(run_started("SELINUX=enforcing\nSELINUXTYPE=targeted\n", true, false) == 0,
               "started early: relabel succeeds");
        input = read_file("stdin", &len);
        {
                char *want = xasprintf("%s/root/etc/motd", base);
                tap_ok(len > strlen(want) && strcmp(input, want) == 0, "started early: the paths arrive on stdin");
                free(want);
        }
        free(input);
        tap_ok(run_started("SELINUX=enforcing\nSELINUXTYPE=targeted\n", true, true) == 0 &&
               access(at("calls"), F_OK) == 0 && (free(read_file("stdin", &len)), len == 0) &&
               waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
               "started early, stage failed: setfiles got no paths and was reaped");
        tap_ok(run_started("SELINUX=disabled\nSELINUXTYPE=targeted\n", true, false) == 0 &&
               access(at("calls"), F_OK) < 0, "started early, SELINUX=disabled: setfiles is not run");

        /* The paths handed over: sorted, nothing below another one, in
         * whatever order they were noted. */
        {
                static const char *const noted[] = { "/a-b", "/a/b", "/x/y/z", "/a", "/a/b/c", "/ab", "/x/y",
                                                     "/a", "/x/yy" };
                static const char *const want[] = { "/a", "/a-b", "/ab", "/x/y", "/x/yy" };
                struct target t;
                bool same;

                target_open(at("root"), &t);
                for (size_t i = 0; i < sizeof(noted) / sizeof(noted[0]); i++)
                        target_note_created(&t, noted[i]);
                target_created_minimal(&t);
                same = t.created.n == sizeof(want) / sizeof(want[0]);
                for (size_t i = 0; same && i < t.created.n; i++)
                        same = strcmp(t.created.v[i], want[i]) == 0;
                tap_ok(same, "created paths: sorted, duplicates and paths below others dropped (%zu left)",
                       t.created.n);
                target_note_created(&t, "/");
                target_note_created(&t, "/etc/motd");
                target_created_minimal(&t);
                tap_ok(t.created.n == 1 && strcmp(t.created.v[0], "/") == 0, "\"/\" covers everything");
                target_close(&t);
        }

        /* Symlinks of the target are resolved inside the root before
         * setfiles (which resolves on the host) sees a path: /srv pointing
         * at a host directory, absolutely or by climbing out, and /etc's
         * policy through such a link. */
        {
                struct target t;
                char *want;

                symlink(at("host"), at("root/srv"));
                mkdir(at("root/up"), 0755);
                symlink("../../host", at("root/up/out"));
                mkdir(at("root/host"), 0755);
                write_file("root/host/f", "", 0644);
                write_file("root/etc/selinux/config", "SELINUX=enforcing\nSELINUXTYPE=targeted\n", 0644);
                unlink(at("stdin"));
                target_open(at("root"), &t);
                target_note_created(&t, "/srv/f");       /* /srv -> BASE/host: inside, ROOT/BASE/host */
                target_note_created(&t, "/up/out/f");    /* ../../host stops at the root: ROOT/host */
                target_note_created(&t, "/missing/f");   /* nowhere: skipped */
                tap_ok(target_relabel(&t) == 0, "symlinked paths: relabel succeeds");
                target_close(&t);
                input = read_file("stdin", &len);
                want = xasprintf("%s/root/host/f", base);
                tap_ok(strcmp(input, want) == 0 && len == strlen(want) + 1,
                       "a symlink that climbs out of the root is resolved inside it (got \"%s\", %zu bytes)",
                       input, len);
                free(want);
                free(input);

                /* The absolute one: ROOT + BASE/host does not exist inside the
                 * root until created there. */
                {
                        char *inside = xasprintf("%s/root%s", base, base);
                        char *cmd = xasprintf("mkdir -p '%s/host' && touch '%s/host/f'", inside, inside);
                        tap_ok(system(cmd) == 0, "setup: the symlink's target inside the root");
                        free(cmd);
                        unlink(at("stdin"));
                        target_open(at("root"), &t);
                        target_note_created(&t, "/srv/f");
                        tap_ok(target_relabel(&t) == 0, "absolute symlink: relabel succeeds");
                        target_close(&t);
                        input = read_file("stdin", &len);
                        want = xasprintf("%s/host/f", inside);
                        tap_ok(strcmp(input, want) == 0, "an absolute symlink is followed inside the root, "
                               "never to the host directory it names (got \"%s\")", input);
                        free(want);
                        free(input);
                        free(inside);
                }

                /* A policy name that is a path is refused. */
                tap_ok(run("SELINUX=enforcing\nSELINUXTYPE=../../..\n") < 0, "SELINUXTYPE=../../.. is refused");
        }

        write_file("bin/setfiles", "#!/bin/sh\necho 'setfiles: boom' >&2\nexit 3\n", 0755);
        tap_ok(run("SELINUX=enforcing\nSELINUXTYPE=targeted\n") < 0, "a failing setfiles fails the stage");

        {
                char *cmd = xasprintf("rm -rf '%s'", base);
                if (system(cmd) != 0)
                        return 1;
                free(cmd);
        }
        return tap_done();
}
