/* SPDX-License-Identifier: Apache-2.0 */
/* ignis boot-network [--cmdline-file=PATH]   (not in the usage: for the
 * dracut module's generator)
 *
 * Says, from the kernel command line alone, whether the first boot's config
 * certainly comes from the network: ignition.config.url= with a remote
 * scheme, or (without a URL) an ignition.platform.id= whose provider fetches
 * from a metadata service. The generator then starts networkd with the boot,
 * alongside fetch-offline, instead of when fetch-offline asks for it.
 *
 * The generator asks the binary rather than carrying a list of its own so
 * that the answer is the fetch stage's own (provider_needs_network(),
 * resource_is_remote()): a second list would drift when a provider is added.
 * The exec is cheap (the binary links libc, libblkid and libfdisk only, and
 * nothing is initialised before this runs) and the generator makes it only
 * on a first boot that names a platform or a URL.
 *
 * Exit status: 0 the network is needed (the reason on stdout), 1 it is not
 * or it depends on the config, 2 usage error or unreadable command line. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/fetch.h"
#include "ignis/log.h"
#include "ignis/netwait.h"
#include "ignis/providers.h"
#include "commands.h"

static int decide(const struct cmdline *cl)
{
        const char *url = NULL, *platform = NULL;

        /* The fetch stage's order: a URL on the command line wins over the
         * platform's own source, so a local URL means no network. */
        if (cmdline_get(cl, "ignition.config.url", &url) && url && *url) {
                struct ig_resource res = { .source = (char *) url };
                _cleanup_free_ char *shown = NULL;

                if (!resource_is_remote(&res))
                        return 1;
                shown = url_for_message(url);
                printf("ignition.config.url=%s is remote\n", shown);
                return 0;
        }
        /* No platform (or auto) would need detection, which probes hardware:
         * too much for a generator, and fetch-offline asks soon enough. */
        if (!cmdline_get(cl, "ignition.platform.id", &platform) || !platform || !*platform ||
            strcmp(platform, "auto") == 0)
                return 1;
        if (!provider_needs_network(platform))
                return 1;
        printf("platform %s: the config comes from its metadata service\n", platform);
        return 0;
}

int cmd_boot_network(int argc, char **argv)
{
        static const struct option options[] = {
                { "cmdline-file", required_argument, NULL, 'k' },
                {}
        };
        const char *cmdline_file = "/proc/cmdline";
        struct cmdline cl = {};
        int opt, r;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                if (opt != 'k') {
                        fputs("Usage: ignis boot-network [--cmdline-file=PATH]\n", stderr);
                        return 2;
                }
                cmdline_file = optarg;
        }
        if (optind != argc) {
                fputs("Usage: ignis boot-network [--cmdline-file=PATH]\n", stderr);
                return 2;
        }
        if (cmdline_read(cmdline_file, &cl) < 0)
                return 2;
        r = decide(&cl);
        cmdline_free(&cl);
        return r;
}
