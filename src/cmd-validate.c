/* SPDX-License-Identifier: Apache-2.0 */
/* ignis validate [--strict] [--json] FILE… | - */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "commands.h"

enum {
        EXIT_VALID = 0,
        EXIT_INVALID = 1,
        EXIT_USAGE = 2,
};

static void usage(FILE *f)
{
        fputs("Usage: ignis validate [--strict] [--json] FILE... | -\n"
              "\n"
              "Checks Ignition configs (spec 3.0.0 to 3.6.0, 3.7.0-experimental) without\n"
              "applying them. Prints file:line:col: severity: $.json.path: message.\n"
              "\n"
              "  --strict   unknown keys, case-mismatched keys and duplicate keys are errors\n"
              "  --json     print a machine-readable report\n"
              "  --summary  also print one line per valid config: its version and what it holds\n"
              "\n"
              "Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable input.\n",
              f);
}

static void plural(FILE *f, bool *first, size_t n, const char *one, const char *many)
{
        if (n == 0)
                return;
        fprintf(f, "%s%zu %s", *first ? "" : ", ", n, n == 1 ? one : many);
        *first = false;
}

static void print_summary(const char *name, const struct ig_config *c, FILE *f)
{
        bool first = true;
        _cleanup_free_ char *shown = log_escape(name);

        fprintf(f, "%s: valid, spec %s: ", shown, ig_spec_name(c->spec));
        plural(f, &first, c->ignition.config.merge.n + (c->ignition.config.replace.source ? 1 : 0),
               "referenced config", "referenced configs");
        plural(f, &first, c->storage.disks.n, "disk", "disks");
        plural(f, &first, c->storage.raid.n, "RAID array", "RAID arrays");
        plural(f, &first, c->storage.luks.n, "LUKS volume", "LUKS volumes");
        plural(f, &first, c->storage.filesystems.n, "filesystem", "filesystems");
        plural(f, &first, c->storage.files.n, "file", "files");
        plural(f, &first, c->storage.directories.n, "directory", "directories");
        plural(f, &first, c->storage.links.n, "link", "links");
        plural(f, &first, c->systemd.units.n, "unit", "units");
        plural(f, &first, c->passwd.users.n, "user", "users");
        plural(f, &first, c->passwd.groups.n, "group", "groups");
        plural(f, &first, c->kernel_arguments.should_exist.n + c->kernel_arguments.should_not_exist.n,
               "kernel argument", "kernel arguments");
        fprintf(f, "%s\n", first ? "empty" : "");
}

static int validate_one(const char *path, const struct ig_parse_options *opts, bool summary, json_object *report)
{
        _cleanup_free_ char *text = NULL;
        struct ig_diags d = {};
        struct ig_jindex ix = {};
        struct ig_config c;
        const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
        size_t len;
        int r;

        r = read_full_file(path, IG_CONFIG_MAX_SIZE, &text, &len);
        if (r == -EFBIG) {
                /* Too large is a property of the config, not an I/O problem. */
                ig_diag_add_at(&d, IG_SEV_ERROR, 0, "config is larger than the limit of %u MiB",
                               IG_CONFIG_MAX_SIZE / (1024 * 1024));
        } else if (r < 0) {
                log_error_errno(r, "Cannot read %s: %m", name);
                return EXIT_USAGE;
        } else {
                r = ig_config_load(text, len, opts, &ix, &c, &d);
                if (r >= 0 && summary && !report)
                        print_summary(name, &c, stdout);
                ig_config_free(&c);
        }

        ig_diags_sort(&d, ix.nodes ? &ix : NULL);
        if (report)
                json_object_array_add(report, ig_diags_to_json(&d, name, ix.text ? &ix : NULL));
        else
                ig_diags_print(&d, name, ix.text ? &ix : NULL, stdout);

        r = d.n_errors > 0 ? EXIT_INVALID : EXIT_VALID;
        ig_diags_free(&d);
        ig_jindex_free(&ix);
        return r;
}

int cmd_validate(int argc, char **argv)
{
        static const struct option options[] = {
                { "strict", no_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "summary", no_argument, NULL, 'S' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct ig_parse_options opts = {};
        json_object *report = NULL;
        bool json = false, summary = false;
        int c, ret = EXIT_VALID;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        opts.strict = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'S':
                        summary = true;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_VALID;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                log_error("validate: no config given (use - for standard input)");
                usage(stderr);
                return EXIT_USAGE;
        }

        if (json)
                report = json_object_new_array();
        for (int i = optind; i < argc; i++) {
                int r = validate_one(argv[i], &opts, summary, report);
                if (r > ret)
                        ret = r;
        }
        if (report) {
                puts(json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(report);
        }
        return ret;
}
