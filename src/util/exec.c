/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/util.h"

extern char **environ;

static bool is_secret(const int *secret, int i)
{
        for (; secret && *secret; secret++)
                if (*secret == i)
                        return true;
        return false;
}

char *exec_describe(char *const argv[], const int *secret_args)
{
        size_t len = 0;
        char *s;

        for (int i = 0; argv[i]; i++)
                len += (is_secret(secret_args, i) ? 12 : strlen(argv[i]) + 2) + 1;
        s = xmalloc(len + 1);
        s[0] = '\0';
        for (int i = 0; argv[i]; i++) {
                const char *a = is_secret(secret_args, i) ? "<redacted>" : argv[i];
                bool quote = !*a || strpbrk(a, " \t\n'\"\\$") != NULL;
                if (i)
                        strcat(s, " ");
                if (quote)
                        strcat(s, "'");
                strcat(s, a);
                if (quote)
                        strcat(s, "'");
        }
        return s;
}

/* Characters a password hash (crypt(3): "$id$salt$hash", base64 with
 * "./") or a word around it is made of: the secret counts as echoed only
 * where its neighbours are none of these. */
static bool word_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c && strchr("./$=+-_", c));
}

char *exec_tidy_output(const char *out, const char *secret)
{
        const char *s = out ? out : "";
        size_t slen = secret ? strlen(secret) : 0;
        size_t len = strlen(s), o = 0;
        char *r;

        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                len--;
        /* Worst case: every byte a "; ", or every secret a "<redacted>". */
        r = xmalloc(len * (slen > 0 && slen < 10 ? 10 : 2) + 1);
        for (size_t i = 0; i < len;) {
                if (slen > 0 && len - i >= slen && memcmp(s + i, secret, slen) == 0 &&
                    (i == 0 || !word_char(s[i - 1])) && (i + slen == len || !word_char(s[i + slen]))) {
                        memcpy(r + o, "<redacted>", 10);
                        o += 10;
                        i += slen;
                } else if (s[i] == '\n') {
                        memcpy(r + o, "; ", 2);
                        o += 2;
                        i++;
                } else
                        r[o++] = s[i++];
        }
        r[o] = '\0';
        return r;
}

/* PATH is searched once per program name, not on every spawn: posix_spawnp
 * tries every PATH entry in the child, and a stage that runs useradd fifty
 * times would repeat the same failed execve()s fifty times over. */
struct path_cache {
        char *name, *path;
};
static struct path_cache path_cache[16];

static void path_cache_free(void)
{
        for (size_t i = 0; i < ELEMENTSOF(path_cache) && path_cache[i].name; i++) {
                free(path_cache[i].name);
                free(path_cache[i].path);
        }
}

static char *find_in_path(const char *name)
{
        const char *path = getenv("PATH");

        if (!path || !*path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (const char *p = path; ; ) {
                const char *colon = strchrnul(p, ':');
                /* An empty entry means the current directory, as for execvp. */
                char *cand = p == colon ? xasprintf("./%s", name)
                                        : xasprintf("%.*s/%s", (int) (colon - p), p, name);
                struct stat st;

                if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                        return cand;
                free(cand);
                if (!*colon)
                        return NULL;
                p = colon + 1;
        }
}

/* The program to execute for argv[0]: itself when it holds a '/', else its
 * place in PATH (cached), or NULL when there is none. Drop a cached entry
 * with forget = true (the file went away since). */
static const char *resolve_program(const char *name, bool forget)
{
        static bool registered;
        size_t i;
        char *found;

        if (strchr(name, '/'))
                return forget ? NULL : name;
        for (i = 0; i < ELEMENTSOF(path_cache) && path_cache[i].name; i++)
                if (strcmp(path_cache[i].name, name) == 0) {
                        if (!forget && path_cache[i].path)
                                return path_cache[i].path;
                        free(path_cache[i].path);
                        path_cache[i].path = find_in_path(name);
                        return path_cache[i].path;
                }
        found = find_in_path(name);
        if (!found)
                return NULL;
        if (i == ELEMENTSOF(path_cache)) {
                /* Full (sixteen different tools): reuse the last slot. */
                i--;
                free(path_cache[i].name);
                free(path_cache[i].path);
        }
        if (!registered) {
                atexit(path_cache_free);
                registered = true;
        }
        path_cache[i] = (struct path_cache) { .name = xstrdup(name), .path = found };
        return found;
}

bool exec_have(const char *name)
{
        return resolve_program(name, false) != NULL;
}

/* The child's stdout and stderr are anonymous files, not pipes: a tool
 * (useradd in the middle of its passwd transaction) must never be killed by
 * SIGPIPE or left blocked on a full pipe because ignis stopped reading --
 * it runs to completion whatever happens to us. They are read once it has
 * exited. */
static int output_file(const char *name)
{
        return memfd_create(name, MFD_CLOEXEC);
}

static char *output_read(int fd)
{
        char *buf = NULL;
        size_t len = 0;

        if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 || read_full_fd(fd, SIZE_MAX, &buf, &len) < 0 || len == 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

unsigned long long exec_now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000;
}

int exec_start(char *const argv[], const int *secret_args, struct exec_child *c)
{
        int out = -1, err = -1, in[2] = { -1, -1 };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t dflt;
        const char *prog;
        int e;

        *c = (struct exec_child) { .pid = -1, .in = -1, .out = -1, .err = -1 };
        snprintf(c->name, sizeof(c->name), "%s", argv[0]);
        if (log_get_max_level() >= LOG_LVL_DEBUG) {
                _cleanup_free_ char *cmd = exec_describe(argv, secret_args);
                log_debug("executing: %s", cmd);
        }

        out = output_file("ignis-stdout");
        err = output_file("ignis-stderr");
        if (out < 0 || err < 0 || pipe2(in, O_CLOEXEC) < 0) {
                e = -errno;
                goto fail;
        }
        /* A child that exits without reading its stdin must not kill us
         * with SIGPIPE; it gets the default disposition back. */
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&dflt);
        sigaddset(&dflt, SIGPIPE);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigdefault(&attr, &dflt);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
        prog = resolve_program(argv[0], false);
        c->started_usec = exec_now_usec();
        e = prog ? posix_spawn(&c->pid, prog, &fa, &attr, argv, environ) : ENOENT;
        if (e == ENOENT && prog) {
                prog = resolve_program(argv[0], true);
                e = prog ? posix_spawn(&c->pid, prog, &fa, &attr, argv, environ) : ENOENT;
        }
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close(in[0]);
        in[0] = -1;
        if (e != 0) {
                e = -e;
                goto fail;
        }
        c->in = in[1];
        c->out = out;
        c->err = err;
        return 0;

fail:
        if (out >= 0)
                close(out);
        if (err >= 0)
                close(err);
        for (int i = 0; i < 2; i++)
                if (in[i] >= 0)
                        close(in[i]);
        c->pid = -1;
        return e;
}

int exec_finish(struct exec_child *c, const char *input, size_t input_len, struct exec_result *r)
{
        int status;

        *r = (struct exec_result) {};
        if (c->pid < 0)
                return -ECHILD;
        /* The child's output goes to files, so it cannot block while we
         * write: a plain blocking write. A child that exits without reading
         * all of it gives EPIPE (SIGPIPE is ignored), which is its business. */
        if (input && input_len > 0)
                (void) loop_write(c->in, input, input_len);
        close(c->in);
        c->in = -1;

        while (waitpid(c->pid, &status, 0) < 0)
                if (errno != EINTR) {
                        int e = -errno;
                        close(c->out);
                        close(c->err);
                        c->out = c->err = -1;
                        c->pid = -1;
                        return e;
                }
        r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        /* Where a stage's time goes, child by child (IGNIS_LOG_LEVEL=debug):
         * spawned at, how long until its exit was collected. */
        if (log_get_max_level() >= LOG_LVL_DEBUG)
                log_debug("%s (pid %d) exited with status %d: %.1f ms after its start at %.6f s", c->name, c->pid,
                          r->status, (double) (exec_now_usec() - c->started_usec) / 1000.0,
                          (double) c->started_usec / 1e6);
        c->pid = -1;
        r->out = output_read(c->out);
        r->err = output_read(c->err);
        close(c->out);
        close(c->err);
        c->out = c->err = -1;
        return 0;
}

int exec_run(char *const argv[], const struct exec_options *o, struct exec_result *r)
{
        static const struct exec_options none = {};
        struct exec_child c;
        int e;

        if (!o)
                o = &none;
        *r = (struct exec_result) {};
        e = exec_start(argv, o->secret_args, &c);
        if (e < 0)
                return e;
        return exec_finish(&c, o->input, o->input_len, r);
}

void exec_result_free(struct exec_result *r)
{
        free(r->out);
        free(r->err);
        *r = (struct exec_result) {};
}

int exec_result_check(struct exec_result *res, const char *cmd)
{
        int r = 0;

        if (res->status != 0) {
                const char *err = res->err ? res->err : "";
                size_t l = strlen(err);
                while (l > 0 && err[l - 1] == '\n')
                        l--;
                log_error("%s failed with exit status %d%s%.*s", cmd, res->status, l ? ": " : "", (int) l, err);
                r = -EIO;
        }
        exec_result_free(res);
        return r;
}

int exec_check(char *const argv[], const struct exec_options *o)
{
        _cleanup_free_ char *cmd = NULL;
        struct exec_result res;
        int r;

        r = exec_run(argv, o, &res);
        if (r < 0)
                return log_error_errno(r, "Failed to run %s: %m", argv[0]);
        if (res.status != 0)
                cmd = exec_describe(argv, o ? o->secret_args : NULL);
        return exec_result_check(&res, cmd);
}
