/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Running external tools (useradd, systemctl, mkfs.*) without a shell. */

#include <stdbool.h>
#include <stddef.h>

struct exec_result {
        int status;     /* exit status, or 128+signal */
        char *out;      /* captured stdout (NUL-terminated), may be NULL */
        char *err;      /* captured stderr (NUL-terminated), may be NULL */
};

struct exec_options {
        /* argv indexes whose values must never be logged (password hashes):
         * they are printed as "<redacted>". Terminated by 0 (argv[0] is never
         * secret). */
        const int *secret_args;
        /* Data written to the child's stdin (NULL: /dev/null). */
        const char *input;
        size_t input_len;
};

/* Runs argv[0] (looked up in PATH) and waits for it. Returns 0 when it ran
 * (whatever its exit status: see r->status), or a negative errno when it
 * could not be started. Logs the command line at debug level. */
int exec_run(char *const argv[], const struct exec_options *o, struct exec_result *r);
void exec_result_free(struct exec_result *r);

/* exec_run in two halves, for a tool that should start early and get its
 * input later (setfiles loads its policy while the stage writes files):
 * exec_start spawns argv with pipes on stdin/stdout/stderr; exec_finish
 * writes input (may be NULL: plain EOF), collects the output and waits.
 * Every started child must be finished. */
struct exec_child {
        int pid;
        int in, out, err;
        /* For the debug line exec_finish logs: the tool and when it was
         * started (CLOCK_MONOTONIC, µs: the journal's monotonic clock). */
        char name[32];
        unsigned long long started_usec;
};
int exec_start(char *const argv[], const int *secret_args, struct exec_child *c);
int exec_finish(struct exec_child *c, const char *input, size_t input_len, struct exec_result *r);

/* CLOCK_MONOTONIC in µs: the clock of the journal's __MONOTONIC_TIMESTAMP. */
unsigned long long exec_now_usec(void);

/* Whether argv[0] = name would be found (PATH, looked up once): for a
 * clear "X is not installed" before anything is changed. */
bool exec_have(const char *name);

/* "useradd --root /sysroot ... core", with secret arguments redacted. */
char *exec_describe(char *const argv[], const int *secret_args);

/* Runs argv and turns a non-zero exit into an error logged with the command
 * (redacted) and its stderr. Returns 0 or a negative errno. */
int exec_check(char *const argv[], const struct exec_options *o);

/* The second half of exec_check: a non-zero exit status is logged as
 * "CMD failed with exit status N: STDERR" and gives -EIO. Frees res. */
int exec_result_check(struct exec_result *res, const char *cmd);

/* A tool's stderr made fit for one log line: trailing newlines and spaces
 * dropped, inner newlines joined with "; ", and secret (may be NULL)
 * replaced by "<redacted>" where the tool echoes it back as a whole word
 * (useradd quotes an invalid --password value) -- not every occurrence of
 * its text, which for a short secret would garble the message. malloc'd. */
char *exec_tidy_output(const char *out, const char *secret);
