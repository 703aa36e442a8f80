/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the libFuzzer harnesses: quiet logging, an input copied into a
 * buffer of its exact size (so a read past the end is an ASan report, not a
 * lucky NUL), and a check that aborts with a message, which libFuzzer
 * records as a finding like any crash. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/log.h"

#define FUZZ_CHECK(cond, ...)                                                   \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "property failed: %s: ", #cond);        \
                        fprintf(stderr, __VA_ARGS__);                           \
                        fputc('\n', stderr);                                    \
                        abort();                                                \
                }                                                               \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void) argc;
        (void) argv;
        /* Errors about the input are the normal outcome, not news. */
        log_set_max_level(LOG_LVL_ERR - 1);
        return 0;
}

static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
        char *p = malloc(size ? size : 1);

        if (!p)
                abort();
        memcpy(p, data, size);
        return p;
}

/* The input as a C string, cut at its first NUL. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
        size_t n = strnlen((const char *) data, size);
        char *p = malloc(n + 1);

        if (!p)
                abort();
        memcpy(p, data, n);
        p[n] = '\0';
        return p;
}

static inline FILE *fuzz_devnull(void)
{
        static FILE *f;

        if (!f)
                f = fopen("/dev/null", "w");
        if (!f)
                abort();
        return f;
}
