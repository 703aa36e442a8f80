/* SPDX-License-Identifier: Apache-2.0 */
/* ignis delete-config [--platform=ID|auto] [--state-dir=DIR]
 *
 * Takes the config out of where the platform keeps it readable from inside
 * the guest (VMware guestinfo, which any process can read through the
 * backdoor; VirtualBox guest properties, which any root process can read),
 * as Ignition's ignition-rmcfg does: the config's password hashes, keys and
 * tokens would stay readable otherwise. The
 * initramfs unit ignis-delete-config.service runs it once every stage has
 * succeeded; after a failure the config stays, to be looked at. */

#include <getopt.h>
#include <stdio.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "commands.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis delete-config [--platform=ID|auto] [--state-dir=DIR]\n"
              "\n"
              "Deletes the config from where the platform keeps it readable from inside the\n"
              "machine (vmware: guestinfo and the OVF environment; virtualbox: the guest\n"
              "properties /Ignition/Config and /Ignition/Config/Encoding), after a successful\n"
              "first boot. Other platforms keep none: nothing to do.\n"
              "\n"
              "  --platform=ID       the platform; auto (default): the one the fetch stage\n"
              "                      used (STATE_DIR/platform), else detected\n"
              "  --state-dir=DIR     where the stages keep their state (default /run/ignis);\n"
              "                      refused when a stage left a failure there\n"
              "\n"
              "Exit status: 0 deleted (or nothing to delete), 1 not deleted, 2 usage error.\n",
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
        _cleanup_free_ char *cached = NULL, *failure = NULL;
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
        failure = state_read_line(dir, "failure");
        if (failure) {
                log_error("delete-config: a stage failed (%s): the config is kept", failure);
                return 1;
        }
        platform = state_platform(dir, platform, &cached);
        return provider_delete_config(platform) < 0 ? 1 : 0;
}
