/* SPDX-License-Identifier: Apache-2.0 */
/* ignis plan [--json] [--strict] CONFIG
 *
 * What the disks stage would do to this machine's disks, computed by the
 * stage's own planning code, with nothing changed. */

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/storage.h"
#include "ignis/util.h"
#include "commands.h"

static void usage(FILE *f)
{
        fputs("Usage: ignis plan [--json] [--strict] CONFIG | -\n"
              "\n"
              "Prints what the disks stage would do on this machine: partitions kept,\n"
              "created, deleted, resized (with their sectors), destructive steps marked.\n"
              "Nothing is changed. The planning is the stage's own.\n"
              "\n"
              "  --json     machine-readable output (docs/DISKS.md)\n"
              "  --strict   unknown and duplicate keys are errors\n"
              "\n"
              "Exit status: 0 the plan can run, 1 it cannot (a conflict, a missing device,\n"
              "an invalid config: the reasons are printed), 2 usage error.\n",
              f);
}

static const char *jstr(struct json_object *o, const char *key)
{
        struct json_object *v;

        return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t jint(struct json_object *o, const char *key)
{
        struct json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static bool jbool(struct json_object *o, const char *key)
{
        struct json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void print_part(const char *action, struct json_object *p, struct json_object *was, bool destructive)
{
        int64_t start = jint(p, "start"), size = jint(p, "size");
        struct json_object *mib;

        json_object_object_get_ex(p, "sizeMiB", &mib);
        printf("  %-8s %3lld %-20s sectors %lld-%lld (%.6g MiB)", action, (long long) jint(p, "number"),
               jstr(p, "label") && *jstr(p, "label") ? jstr(p, "label") : "(no label)", (long long) start,
               (long long) (start + size - 1), json_object_get_double(mib));
        if (was) {
                struct json_object *wm;
                json_object_object_get_ex(was, "sizeMiB", &wm);
                printf(", was %.6g MiB", json_object_get_double(wm));
        }
        printf("  type %s%s\n", jstr(p, "typeGuid"), destructive ? "  [DESTRUCTIVE]" : "");
}

static void print_text(struct json_object *root)
{
        struct json_object *disks, *volumes;
        size_t destructive = 0;

        json_object_object_get_ex(root, "disks", &disks);
        json_object_object_get_ex(root, "volumes", &volumes);
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
                struct json_object *d = json_object_array_get_idx(disks, i), *parts;

                printf("%s %s: %s, %lld sectors of %lld bytes%s\n", jstr(d, "config"), jstr(d, "device"),
                       jstr(d, "table") ? jstr(d, "table") : "no partition table", (long long) jint(d, "sectors"),
                       (long long) jint(d, "sectorSize"),
                       jbool(d, "writesTable") ? "" : "; the table is left as it is");
                if (jbool(d, "wipeTable")) {
                        printf("  wipe     the whole partition table (wipeTable)  [DESTRUCTIVE]\n");
                        destructive++;
                }
                json_object_object_get_ex(d, "partitions", &parts);
                for (size_t j = 0; j < json_object_array_length(parts); j++) {
                        struct json_object *s = json_object_array_get_idx(parts, j), *old = NULL, *res = NULL;
                        const char *a = jstr(s, "action");
                        bool destr = jbool(s, "destructive");

                        json_object_object_get_ex(s, "existing", &old);
                        json_object_object_get_ex(s, "result", &res);
                        destructive += destr;
                        if (strcmp(a, "absent") == 0)
                                printf("  %-8s %s: not there, nothing to do\n", a, jstr(s, "config"));
                        else if (res)
                                print_part(a, res, strcmp(a, "resize") == 0 ? old : NULL, destr);
                        else
                                print_part(a, old, NULL, destr);
                }
        }
        for (size_t i = 0; volumes && i < json_object_array_length(volumes); i++) {
                struct json_object *v = json_object_array_get_idx(volumes, i);
                bool destr = jbool(v, "destructive");

                destructive += destr;
                printf("%s %s: %s %s%s\n", jstr(v, "config"), jstr(v, "object"), jstr(v, "action"),
                       jstr(v, "detail") ? jstr(v, "detail") : "", destr ? "  [DESTRUCTIVE]" : "");
        }
        if (destructive)
                printf("%zu destructive step%s (data on the disk is lost where marked)\n", destructive,
                       destructive == 1 ? "" : "s");
        else
                printf("no destructive step\n");
}

int cmd_plan(int argc, char **argv)
{
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "strict", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct ig_parse_options opts = {};
        struct storage_options so = { .alias_dir = STORAGE_ALIAS_DIR };
        struct storage_layout *layout = NULL;
        _cleanup_free_ char *text = NULL;
        struct json_object *root, *disks, *volumes;
        const char *path, *name;
        struct ig_config c;
        bool json = false;
        size_t len;
        int opt, r;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (opt) {
                case 'j':
                        json = true;
                        break;
                case 's':
                        opts.strict = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1) {
                log_error("plan: exactly one config is required");
                usage(stderr);
                return 2;
        }
        path = argv[optind];
        name = strcmp(path, "-") == 0 ? "<stdin>" : path;
        r = read_full_file(path, IG_CONFIG_MAX_SIZE, &text, &len);
        if (r < 0) {
                log_error_errno(r, "Cannot read %s: %m", name);
                return r == -EFBIG ? 1 : 2;
        }
        r = ig_config_load_report(text, len, &opts, name, &c);
        if (r >= 0)
                r = stage_render_config(&c);
        if (r < 0) {
                log_error("%s: the config is invalid; no plan", name);
                ig_config_free(&c);
                return 1;
        }

        root = json_object_new_object();
        disks = json_object_new_array();
        volumes = json_object_new_array();
        json_object_object_add(root, "config", json_object_new_string(name));
        json_object_object_add(root, "disks", disks);
        json_object_object_add(root, "volumes", volumes);
        r = storage_partitions_plan(&c, &so, disks, &layout);
        if (r >= 0)
                r = storage_volumes_plan(&c, &so, layout, volumes);
        storage_layout_free(layout);
        if (r < 0)
                log_error("%s: the disks stage would fail; nothing was changed", name);
        else if (json)
                puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                print_text(root);
        json_object_put(root);
        ig_config_free(&c);
        return r < 0 ? 1 : 0;
}
