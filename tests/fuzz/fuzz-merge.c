/* SPDX-License-Identifier: Apache-2.0 */
/* Merge and serialise, as the fetch stage does with a referenced config:
 * the input is a parent and a child config separated by a NUL byte; each
 * is loaded and validated on its own, the child is merged into the
 * parent, the result is validated as a whole and written as cache text.
 * Properties: the cache text is JSON that indexes and parses as a config
 * of the newest spec; merging leaves the child empty; a config merged
 * with nothing stays what it was. */

#include <json-c/json.h>

#include "fuzz-common.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"

static bool load(const char *text, size_t len, struct ig_config *c)
{
        struct ig_jindex ix;
        struct ig_diags d = {};
        int r = ig_config_load(text, len, NULL, &ix, c, &d);

        ig_diags_free(&d);
        ig_jindex_free(&ix);
        return r == 0;
}

static void check_cache_text(const char *json)
{
        struct ig_jindex ix;
        struct ig_jerror err = {};
        struct ig_diags d = {};
        struct ig_config c;

        FUZZ_CHECK(ig_jindex_build(&ix, json, strlen(json), &err) == 0, "cache text does not index: %s",
                   err.message);
        ig_config_init(&c);
        /* Parse only: whether every rule still holds is the round-trip
         * harness's question (fuzz-roundtrip). */
        FUZZ_CHECK(ig_config_parse(&ix, NULL, &c, &d) == 0, "cache text is not a config");
        for (size_t i = 0; i < d.n; i++)
                FUZZ_CHECK(d.v[i].severity != IG_SEV_ERROR, "cache text has a type error: %s", d.v[i].message);
        ig_diags_free(&d);
        ig_config_free(&c);
        ig_jindex_free(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *sep = memchr(data, '\0', size);
        size_t plen = sep ? (size_t) (sep - data) : size;
        char *ptext = fuzz_copy(data, plen), *ctext = NULL, *before, *after;
        struct ig_config parent, child, empty;
        struct ig_diags d = {};

        if (!load(ptext, plen, &parent))
                goto out_parent;

        /* Merging an empty config changes nothing. */
        before = ig_config_to_json(&parent);
        ig_config_init(&empty);
        empty.spec = IG_SPEC_NEWEST_STABLE;
        ig_config_merge(&parent, &empty);
        after = ig_config_to_json(&parent);
        FUZZ_CHECK(strcmp(before, after) == 0, "merging an empty config changed\n%s\ninto\n%s", before, after);
        free(before);
        free(after);
        ig_config_free(&empty);

        if (sep) {
                ctext = fuzz_copy(sep + 1, size - plen - 1);
                if (!load(ctext, size - plen - 1, &child))
                        goto out_child;
                ig_config_merge(&parent, &child);
                FUZZ_CHECK(child.storage.files.n == 0 && child.passwd.users.n == 0 && child.systemd.units.n == 0,
                           "the child kept entries after the merge");
                ig_config_free(&child);
                (void) ig_config_validate(&parent, &d);
                ig_diags_print(&d, "merged", NULL, fuzz_devnull());
                ig_diags_free(&d);
        }
        after = ig_config_to_json(&parent);
        check_cache_text(after);
        free(after);
        goto out_parent;

out_child:
        ig_config_free(&child);
out_parent:
        ig_config_free(&parent);
        free(ctext);
        free(ptext);
        return 0;
}
