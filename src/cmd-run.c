/* SPDX-License-Identifier: Apache-2.0 */
/* ignis run --stage=STAGE [--root=/sysroot] [--config-cache=PATH]
 *
 * What the initramfs units call, one process per stage. The fetch stages
 * write the validated config to the cache; later stages read it from there. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/util.h"
#include "commands.h"

#define DEFAULT_CACHE "/run/ignis/config.json"

static void usage(FILE *f)
{
        fputs("Usage: ignis run --stage=STAGE [--root=/sysroot] [--config-cache=PATH]\n"
              "\n"
              "Runs one provisioning stage inside the initramfs. Stages: files.\n"
              "The config is read from the cache the fetch stage wrote\n"
              "(default " DEFAULT_CACHE ").\n",
              f);
}

static int load_cache(const char *path, struct ig_config *c)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_full_file(path, IG_CONFIG_MAX_SIZE, &text, &len);
        if (r < 0)
                return log_error_errno(r, "Cannot read the cached config %s (did the fetch stage run?): %m", path);
        r = ig_config_load_report(text, len, NULL, path, c);
        if (r < 0)
                log_error("The cached config %s is invalid", path);
        return r;
}

int cmd_run(int argc, char **argv)
{
        static const struct option options[] = {
                { "stage", required_argument, NULL, 's' },
                { "root", required_argument, NULL, 'r' },
                { "config-cache", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *stage = NULL, *root = "/sysroot", *cache = DEFAULT_CACHE;
        struct ig_config c;
        int opt, r;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (opt) {
                case 's':
                        stage = optarg;
                        break;
                case 'r':
                        root = optarg;
                        break;
                case 'c':
                        cache = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!stage || optind != argc) {
                log_error("run: --stage=STAGE is required");
                usage(stderr);
                return 2;
        }
        if (strcmp(stage, "files") != 0) {
                log_error("run: stage \"%s\" is not part of this build (available: files)", stage);
                return 2;
        }

        /* The cache holds the rendered config: merges are not applied twice. */
        r = load_cache(cache, &c);
        if (r >= 0)
                r = stage_files_check_sources(&c);
        if (r >= 0)
                r = stage_files(&c, root, true);
        ig_config_free(&c);
        if (r < 0) {
                log_error("stage files failed");
                return 1;
        }
        return 0;
}
