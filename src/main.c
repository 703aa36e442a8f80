/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ignis/log.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis COMMAND [OPTIONS...]\n"
              "\n"
              "First-boot provisioning from Ignition configs (spec 3.0.0 to 3.6.0).\n"
              "\n"
              "Commands:\n"
              "  validate FILE...   check configs and report every problem with its line:col\n"
              "  apply --root=DIR CONFIG\n"
              "                     apply users, files, links and units to a directory tree\n"
              "  run --stage=STAGE  run one provisioning stage (in the initramfs)\n"
              "  plan CONFIG        print what the disks stage would do here; change nothing\n"
              "  fetch-config       fetch and print the config the first boot would use\n"
              "  report --result=ok|failed\n"
              "                     report the outcome to the platform (Azure)\n"
              "  delete-config      delete the config from where the platform keeps it (VMware, VirtualBox)\n"
              "  version            print the version and the libraries in use\n"
              "\n"
              "Options:\n"
              "  --help             print this help\n"
              "  --version          the same as the version command\n"
              "\n"
              "Run 'ignis COMMAND --help' for a command's options. See ignis(8).\n",
              f);
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(int argc, char **argv);
        } commands[] = {
                { "validate", cmd_validate },
                { "apply", cmd_apply },
                { "run", cmd_run },
                { "plan", cmd_plan },
                { "fetch-config", cmd_fetch_config },
                { "report", cmd_report },
                { "delete-config", cmd_delete_config },
                /* Not in the usage: for the dracut module's generator. */
                { "boot-network", cmd_boot_network },
        };

        log_level_from_env();
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)
                return cmd_version(argc - 1, argv + 1);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);

        fprintf(stderr, "ignis: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
}
