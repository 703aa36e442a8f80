/* SPDX-License-Identifier: Apache-2.0 */
/* ignis run --stage=STAGE [--platform=ID] [--root=/sysroot] [--config-cache=PATH]
 *
 * What the initramfs units call, one process per stage. */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/storage.h"
#include "commands.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis run --stage=STAGE [--platform=ID] [--root=/sysroot] [--config-cache=PATH]\n"
              "\n"
              "Runs one first-boot stage in the initramfs. Stages, in order:\n"
              "  fetch-offline  find the config (kernel command line, /run|/etc|/usr/lib/ignition,\n"
              "                 the platform), validate and render it, cache it\n"
              "  fetch          the same when the network is needed\n"
              "  kargs          kernel arguments, through the distro's ignis-kargs-helper\n"
              "  disks          GPT partitions, RAID arrays, LUKS2 volumes, filesystems\n"
              "  mount          mount the config's filesystems under the root\n"
              "  files          users, groups, files, directories, links, units into the root\n"
              "  umount         unmount what mount mounted\n"
              "\n"
              "  --platform=ID        the platform (default: ignition.platform.id= from the kernel\n"
              "                       command line): one of Ignition's ids, or auto\n"
              "  --root=DIR           the real root (default /sysroot)\n"
              "  --config-cache=PATH  the cache between stages (default /run/ignis/config.json)\n"
              "  --device-timeout=SEC disks: how long to wait for each device (default 90)\n"
              "\n"
              "Exit status: 0 done, 1 failed (a summary is printed on every console), 2 usage error.\n",
              f);
}

int cmd_run(int argc, char **argv)
{
        static const struct option options[] = {
                { "stage", required_argument, NULL, 's' },
                { "platform", required_argument, NULL, 'p' },
                { "root", required_argument, NULL, 'r' },
                { "config-cache", required_argument, NULL, 'c' },
                /* For tests that run stages outside an initramfs. */
                { "cmdline-file", required_argument, NULL, 'k' },
                { "console-dir", required_argument, NULL, 'd' },
                { "device-timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct stage_options o = {
                .root = "/sysroot",
                .cache = "/run/ignis/config.json",
                .cmdline_file = "/proc/cmdline",
                .console_dir = "/dev",
                .device_timeout_s = STORAGE_DEVICE_TIMEOUT_S,
        };
        char *end;
        unsigned long v;
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (opt) {
                case 's':
                        o.stage = optarg;
                        break;
                case 'p':
                        o.platform = optarg;
                        break;
                case 'r':
                        o.root = optarg;
                        break;
                case 'c':
                        o.cache = optarg;
                        break;
                case 'k':
                        o.cmdline_file = optarg;
                        break;
                case 'd':
                        o.console_dir = *optarg ? optarg : NULL;
                        break;
                case 't':
                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || v > 86400) {
                                log_error("run: --device-timeout=%s: not a number of seconds (0-86400)", optarg);
                                return 2;
                        }
                        o.device_timeout_s = (unsigned) v;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!o.stage || optind != argc) {
                log_error("run: --stage=STAGE is required");
                usage(stderr);
                return 2;
        }
        if (!stage_name_valid(o.stage)) {
                log_error("run: unknown stage \"%s\" (fetch-offline, fetch, kargs, disks, mount, files, umount)",
                          o.stage);
                return 2;
        }
        return stage_run(&o) < 0 ? 1 : 0;
}
