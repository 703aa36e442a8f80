/* SPDX-License-Identifier: Apache-2.0 */
/* The stage cache property: a config that loads (validate → translate)
 * and is written as cache text must load again from that text the way the
 * later stages load it, with no error, and write the same text again. The fetch stage writes the cache
 * and every later stage reads it, so a config that breaks this passes
 * fetch and fails the next stage. */

#include "fuzz-common.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"

/* cached: read the way the later stages read the cache (parsed and
 * type-checked, the version's rules not run again: they were run on the
 * config before translation). */
static int load(const char *text, size_t len, bool cached, struct ig_config *c, struct ig_diags *d)
{
        struct ig_parse_options o = { .cached = cached };
        struct ig_jindex ix;
        int r = ig_config_load(text, len, &o, &ix, c, d);

        ig_jindex_free(&ix);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_copy(data, size), *once, *twice;
        struct ig_config a, b;
        struct ig_diags d = {};

        if (load(text, size, false, &a, &d) == 0) {
                ig_diags_free(&d);
                once = ig_config_to_json(&a);
                int r = load(once, strlen(once), true, &b, &d);
                const char *first = "";
                for (size_t i = d.n; i-- > 0;)
                        if (d.v[i].severity == IG_SEV_ERROR)
                                first = d.v[i].message;
                FUZZ_CHECK(r == 0 && d.n_errors == 0, "the cache text of a valid config is invalid (%zu errors, "
                           "the first: %s):\n%s", d.n_errors, first, once);
                twice = ig_config_to_json(&b);
                FUZZ_CHECK(strcmp(once, twice) == 0, "the cache text changes when read back:\n%s\n%s", once, twice);
                free(twice);
                free(once);
                ig_config_free(&b);
        }
        ig_diags_free(&d);
        ig_config_free(&a);
        free(text);
        return 0;
}
