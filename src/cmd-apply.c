/* SPDX-License-Identifier: Apache-2.0 */
/* ignis apply --root=DIR [--strict] [--ignore-unsupported] CONFIG
 *
 * The files stage applied offline to a directory tree, for image builders
 * (what Ignition calls ignition-apply). Block-device sections cannot be
 * applied to a directory: they are refused unless --ignore-unsupported. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/http.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/util.h"
#include "commands.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis apply --root=DIR [--strict] [--ignore-unsupported] [--offline] CONFIG | -\n"
              "\n"
              "Applies a config's users, groups, files, directories, links and systemd units\n"
              "to the directory tree DIR, as the first boot would. The whole config is\n"
              "validated first; nothing is written when it is invalid.\n"
              "\n"
              "  --root=DIR             the tree to provision (required)\n"
              "  --strict               unknown and duplicate keys are errors\n"
              "  --ignore-unsupported   skip sections a directory cannot take (disks, RAID,\n"
              "                         LUKS, filesystems, kernel arguments) instead of failing\n"
              "  --offline              refuse anything that needs the network (http, https,\n"
              "                         tftp, s3, arn, gs), before anything is written\n"
              "  -q, --quiet            only report errors\n"
              "\n"
              "Exit status: 0 applied, 1 invalid config or failure, 2 usage error.\n",
              f);
}

/* Sections that need block devices or a boot loader. */
static int check_unsupported(const struct ig_config *c, bool ignore)
{
        static const char *const names[] = { "storage.disks", "storage.raid", "storage.luks",
                                             "storage.filesystems", "kernelArguments" };
        size_t counts[] = { c->storage.disks.n, c->storage.raid.n, c->storage.luks.n, c->storage.filesystems.n,
                            c->kernel_arguments.should_exist.n + c->kernel_arguments.should_not_exist.n };
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
                if (counts[i] == 0)
                        continue;
                if (ignore)
                        log_warning("$.%s: ignored (--ignore-unsupported): a directory tree has no block devices "
                                    "or boot loader to apply it to", names[i]);
                else
                        r = log_error_errno(EOPNOTSUPP, "$.%s: cannot be applied to a directory tree; use "
                                            "--ignore-unsupported to skip it", names[i]);
        }
        return r;
}

int cmd_apply(int argc, char **argv)
{
        static const struct option options[] = {
                { "root", required_argument, NULL, 'r' },
                { "strict", no_argument, NULL, 's' },
                { "ignore-unsupported", no_argument, NULL, 'i' },
                { "quiet", no_argument, NULL, 'q' },
                { "offline", no_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct ig_parse_options opts = {};
        _cleanup_free_ char *text = NULL;
        const char *root = NULL, *path, *name;
        struct ig_config c;
        bool ignore = false;
        size_t len;
        int opt, r;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "hq", options, NULL)) >= 0) {
                switch (opt) {
                case 'r':
                        root = optarg;
                        break;
                case 's':
                        opts.strict = true;
                        break;
                case 'i':
                        ignore = true;
                        break;
                case 'q':
                        log_set_max_level(LOG_LVL_WARNING);
                        break;
                case 'o':
                        fetch_settings_global()->offline = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!root || optind != argc - 1) {
                log_error("apply: %s", !root ? "--root=DIR is required" : "exactly one config is required");
                usage(stderr);
                return 2;
        }
        path = argv[optind];
        name = strcmp(path, "-") == 0 ? "<stdin>" : path;

        r = read_full_file(path, IG_CONFIG_MAX_SIZE, &text, &len);
        if (r == -EFBIG) {
                log_error("%s: config is larger than the limit of %u MiB", name, IG_CONFIG_MAX_SIZE / (1024 * 1024));
                return 1;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot read %s: %m", name);
                return 2;
        }

        r = ig_config_load_report(text, len, &opts, name, &c);
        if (r < 0) {
                log_error("%s: the config is invalid; nothing was written", name);
                ig_config_free(&c);
                return 1;
        }

        /* Everything that can be known before writing is checked first:
         * referenced configs are fetched and merged before the first write. */
        r = stage_files_check_sources(&c);
        if (r >= 0)
                r = stage_render_config(&c);
        if (r >= 0)
                r = check_unsupported(&c, ignore);
        if (r >= 0)
                r = stage_files_check_sources(&c);
        if (r < 0) {
                log_error("%s: nothing was written", name);
                ig_config_free(&c);
                return 1;
        }

        r = stage_files(&c, root, true);
        ig_config_free(&c);
        if (r < 0) {
                log_error("files stage failed; %s may be partly provisioned", root);
                return 1;
        }
        return 0;
}
