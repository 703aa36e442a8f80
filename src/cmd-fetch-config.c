/* SPDX-License-Identifier: Apache-2.0 */
/* ignis fetch-config [--platform=ID|auto] [-o FILE]
 *
 * On a running machine: find, fetch and render the config the way the
 * first boot's fetch stage does (same sources, same order, same base
 * configs and merges), and print it. For debugging "what did my machine
 * get?": the output holds the user's own secrets, so it goes to stdout or
 * a 0600 file, never to the log. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/rootfs.h"
#include "ignis/providers.h"
#include "ignis/stages.h"
#include "ignis/util.h"
#include "commands.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis fetch-config [--platform=ID|auto] [-o FILE]\n"
              "\n"
              "Fetches and renders the machine's config as the first boot would (kernel\n"
              "command line, /run|/etc|/usr/lib/ignition, then the platform; base configs\n"
              "and merges applied) and prints it as JSON.\n"
              "\n"
              "  --platform=ID        the platform (default: ignition.platform.id= from the\n"
              "                       kernel command line, else auto-detection)\n"
              "  -o, --output=FILE    write the config to FILE (mode 0600) instead of stdout\n"
              "  --cmdline-file=PATH  the kernel command line to use (default /proc/cmdline)\n"
              "\n"
              "Exit status: 0 printed (an empty config if the machine has none), 1 failed,\n"
              "2 usage error.\n",
              f);
}

static void remove_scratch(const char *dir)
{
        static const char *const names[] = { "config.json", "state.json", "need-kargs", "need-disks",
                                             "need-mount", "neednet", "platform" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, names[i]);
                (void) unlink(p);
        }
        {
                /* what the hyperv provider keeps for a second fetch stage */
                _cleanup_free_ char *p = xasprintf("%s/hyperv-kvp", dir);
                (void) root_remove_tree(AT_FDCWD, p);
        }
        if (rmdir(dir) < 0)
                log_warning_errno(errno, "Cannot remove %s: %m", dir);
}

/* stdout, or FILE replaced atomically (a reader never sees half a config)
 * with mode 0600 (it holds the user's secrets). */
static int write_output(const char *path, const char *text, size_t len)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (!path)
                return loop_write(STDOUT_FILENO, text, len) < 0 ? log_error_errno(errno, "Cannot write: %m") : 0;
        tmp = xasprintf("%s.XXXXXX", path);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create a temporary file beside %s: %m", path);
        r = fchmod(fd, 0600) < 0 ? -errno : loop_write(fd, text, len);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return log_error_errno(r, "Cannot write %s: %m", path);
        }
        return 0;
}

int cmd_fetch_config(int argc, char **argv)
{
        static const struct option options[] = {
                { "platform", required_argument, NULL, 'p' },
                { "output", required_argument, NULL, 'o' },
                { "cmdline-file", required_argument, NULL, 'k' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *platform = NULL, *output = NULL, *cmdline_file = "/proc/cmdline";
        _cleanup_free_ char *dir = NULL, *cache = NULL, *text = NULL;
        struct cmdline cl = {};
        bool provided = false;
        size_t len;
        int opt, r;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) >= 0) {
                switch (opt) {
                case 'p':
                        platform = optarg;
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'k':
                        cmdline_file = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return 2;
        }

        r = cmdline_read(cmdline_file, &cl);
        if (r < 0)
                return 1;
        if (!platform || !*platform)
                cmdline_get(&cl, "ignition.platform.id", &platform);
        platform = provider_resolve(platform);
        log_info("fetch-config: platform %s", platform);

        /* The fetch stage itself, with its cache in a scratch directory. */
        dir = xasprintf("%s/ignis-fetch-config-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir)) {
                cmdline_free(&cl);
                return log_error_errno(errno, "Cannot create a scratch directory: %m"), 1;
        }
        cache = xasprintf("%s/config.json", dir);
        r = stage_fetch(platform, &cl, cache, false);
        if (r >= 0)
                r = stage_read_state(cache, &provided);
        if (r >= 0)
                r = read_full_file(cache, IG_CONFIG_MAX_SIZE + 1024 * 1024, &text, &len);
        if (r >= 0) {
                log_info("fetch-config: %s", provided ? "the user config, rendered" : "no user config (empty config)");
                r = write_output(output, text, len);
        }
        remove_scratch(dir);
        cmdline_free(&cl);
        return r < 0 ? 1 : 0;
}
