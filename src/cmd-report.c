/* SPDX-License-Identifier: Apache-2.0 */
/* ignis report [--platform=ID|auto] --result=ok|failed [--summary=TEXT]
 *
 * Tells the platform how provisioning went (Azure: Ready, or NotReady with
 * the failure summary). The initramfs unit ignis-report.service runs it
 * with --result=ok after the last stage; a failing stage reports by itself
 * (stage_run). Never fails a boot: exit status 1 only says the report
 * could not be delivered. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "ignis/util.h"
#include "commands.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis report [--platform=ID|auto] --result=ok|failed [--summary=TEXT]\n"
              "\n"
              "Reports the outcome of provisioning to the platform (azure: the wireserver's\n"
              "Ready / NotReady health report; other platforms have none).\n"
              "\n"
              "  --platform=ID       the platform; auto (default): the one the fetch stage\n"
              "                      used (STATE_DIR/platform), else detected\n"
              "  --result=ok|failed  ok is refused if a stage left a failure summary\n"
              "  --summary=TEXT      the failure text (default: STATE_DIR/failure)\n"
              "  --state-dir=DIR     where the stages keep their state (default /run/ignis)\n"
              "\n"
              "Exit status: 0 reported (or nothing to report), 1 not delivered, 2 usage error.\n",
              f);
}

char *state_read_line(const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        char *text = NULL;
        size_t len;

        if (read_full_file(p, 64 * 1024, &text, &len) < 0)
                return NULL;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = '\0';
        return text;
}

const char *state_platform(const char *dir, const char *platform, char **buf)
{
        *buf = NULL;
        if (platform && *platform && strcmp(platform, "auto") != 0)
                return platform;
        *buf = state_read_line(dir, "platform");
        return *buf && **buf ? *buf : provider_resolve(platform);
}

int cmd_report(int argc, char **argv)
{
        static const struct option options[] = {
                { "platform", required_argument, NULL, 'p' },
                { "result", required_argument, NULL, 'r' },
                { "summary", required_argument, NULL, 's' },
                { "state-dir", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *platform = NULL, *result = NULL, *summary = NULL, *dir = "/run/ignis";
        _cleanup_free_ char *cached = NULL, *failure = NULL;
        bool ok;
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (opt) {
                case 'p':
                        platform = optarg;
                        break;
                case 'r':
                        result = optarg;
                        break;
                case 's':
                        summary = optarg;
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
        if (optind != argc || !result || (strcmp(result, "ok") != 0 && strcmp(result, "failed") != 0)) {
                log_error("report: --result=ok or --result=failed is required");
                usage(stderr);
                return 2;
        }
        ok = strcmp(result, "ok") == 0;
        platform = state_platform(dir, platform, &cached);
        failure = state_read_line(dir, "failure");
        if (ok && failure) {
                /* The unit ordered after the stages may still start when one
                 * of them failed: never call that a success. */
                log_warning("report: a stage failed (%s): reporting the failure instead of Ready", failure);
                ok = false;
        }
        if (!ok && !summary)
                summary = failure ? failure : "provisioning failed (see the console log)";
        return provider_report(platform, ok, summary) < 0 ? 1 : 0;
}
