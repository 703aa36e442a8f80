/* SPDX-License-Identifier: Apache-2.0 */
/* ignis delete-config [--platform=ID|auto] [--state-dir=DIR]
 *
 * Deletes the config a platform keeps in the hypervisor, where any root
 * process in the VM could read it for as long as the VM runs (virtualbox:
 * the /Ignition/Config guest property), as Ignition's ignition-rmcfg does.
 * The initramfs unit ignis-delete-config.service runs it once every stage
 * succeeded, only where fetch-offline wrote STATE_DIR/need-delete-config. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "ignis/util.h"
#include "commands.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis delete-config [--platform=ID|auto]\n"
              "\n"
              "Deletes the config the platform keeps in the hypervisor, readable by any root\n"
              "process in the VM (virtualbox: the guest properties /Ignition/Config and\n"
              "/Ignition/Config/Encoding); on other platforms there is nothing to delete.\n"
              "\n"
              "  --platform=ID       the platform; auto (default): the one the fetch stage\n"
              "                      used (STATE_DIR/platform), else detected\n"
              "  --state-dir=DIR     where the stages keep their state (default /run/ignis)\n"
              "\n"
              "Exit status: 0 deleted (or nothing to delete), 1 failed, 2 usage error.\n",
              f);
}

int cmd_delete_config(int argc, char **argv)
{
        static const struct option options[] = {
                { "platform", required_argument, NULL, 'p' },
                { "state-dir", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *platform = NULL, *dir = "/run/ignis";
        _cleanup_free_ char *cached = NULL;
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (opt) {
                case 'p':
                        platform = optarg;
                        break;
                case 'd':
                        dir = optarg;
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
        if (!platform || !*platform || strcmp(platform, "auto") == 0) {
                _cleanup_free_ char *path = xasprintf("%s/platform", dir);
                size_t len;

                if (read_full_file(path, 4096, &cached, &len) == 0)
                        cached[strcspn(cached, "\n")] = '\0';
                platform = cached && *cached ? cached : provider_resolve(platform);
        }
        return provider_delete_config(platform) < 0 ? 1 : 0;
}
