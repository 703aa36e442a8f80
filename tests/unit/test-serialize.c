/* SPDX-License-Identifier: Apache-2.0 */
/* The stage cache round trip, validate -> translate -> serialise -> load:
 * every valid config, serialised and read back the way the stages read the
 * cache, must load without a finding (even where its own version's rules
 * differ from the newest version's the cache declares), serialise to the
 * same text, and keep what matters (counts of every list). Runs over the
 * directories given as arguments. */

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "tap.h"

static bool load(const char *text, size_t len, bool cached, struct ig_config *c, size_t *errors)
{
        struct ig_jindex ix;
        struct ig_diags d = {};
        struct ig_parse_options o = { .cached = cached };
        int r = ig_config_load(text, len, &o, &ix, c, &d);

        *errors = d.n_errors;
        ig_diags_free(&d);
        ig_jindex_free(&ix);
        return r >= 0;
}

static size_t fingerprint(const struct ig_config *c)
{
        return c->storage.files.n * 1 + c->storage.directories.n * 10 + c->storage.links.n * 100 +
               c->systemd.units.n * 1000 + c->passwd.users.n * 10000 + c->passwd.groups.n * 100000 +
               c->storage.disks.n * 1000000 + c->storage.filesystems.n * 10000000;
}

static void roundtrip(const char *path)
{
        _cleanup_free_ char *text = NULL, *once = NULL, *twice = NULL;
        struct ig_config a, b;
        size_t len, errors;

        if (read_full_file(path, IG_CONFIG_MAX_SIZE, &text, &len) < 0 || !load(text, len, false, &a, &errors)) {
                ig_config_free(&a);
                return; /* not a valid config: nothing to round-trip */
        }
        once = ig_config_to_json(&a);
        bool ok = load(once, strlen(once), true, &b, &errors);
        twice = ok ? ig_config_to_json(&b) : NULL;
        tap_ok(ok && errors == 0 && strcmp(once, twice) == 0 && fingerprint(&a) == fingerprint(&b),
               "%s round-trips through the cache", path);
        ig_config_free(&a);
        ig_config_free(&b);
}

int main(int argc, char **argv)
{
        log_set_max_level(LOG_LVL_ERR);
        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                struct dirent *de;
                if (!d) {
                        tap_ok(0, "cannot open %s", argv[i]);
                        continue;
                }
                while ((de = readdir(d))) {
                        size_t l = strlen(de->d_name);
                        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
                                char *p = xasprintf("%s/%s", argv[i], de->d_name);
                                roundtrip(p);
                                free(p);
                        }
                }
                closedir(d);
        }
        return tap_done();
}
