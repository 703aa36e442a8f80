/* SPDX-License-Identifier: Apache-2.0 */
/* Config load + validate (index, parse, validate, translate) on any bytes,
 * then everything a user sees of the result: the sorted diagnostics with
 * positions, the JSON report, and for a valid config its cache text.
 * Properties: the result agrees with the error count; every diagnostic
 * has a position inside the text; json-c and the index never disagree
 * about a value (parse.c reports that as lost to a failed allocation,
 * which cannot happen here). */

#include <json-c/json.h>

#include "fuzz-common.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_copy(data, size);
        /* Half the inputs in strict mode: a different set of rules. */
        struct ig_parse_options opts = { .strict = size % 2 == 1 };
        struct ig_jindex ix;
        struct ig_config c;
        struct ig_diags d = {};
        int r = ig_config_load(text, size, &opts, &ix, &c, &d);

        FUZZ_CHECK((r == 0) == (d.n_errors == 0), "r=%d with %zu errors", r, d.n_errors);
        FUZZ_CHECK(d.n == d.n_errors + d.n_warnings, "%zu diagnostics, %zu + %zu counted", d.n, d.n_errors,
                   d.n_warnings);
        ig_diags_sort(&d, ix.nodes ? &ix : NULL);
        ig_diags_print(&d, "fuzz.json", ix.text ? &ix : NULL, fuzz_devnull());
        for (size_t i = 0; i < d.n; i++) {
                if (d.v[i].node != IG_NODE_NONE && d.v[i].node != IG_NODE_MERGED && ix.nodes)
                        FUZZ_CHECK(d.v[i].node < ix.n_nodes, "diagnostic %zu names node %u of %u", i,
                                   d.v[i].node, ix.n_nodes);
                FUZZ_CHECK(strncmp(d.v[i].message, "the JSON parser lost", 20) != 0,
                           "json-c and the index disagree: %s", d.v[i].message);
                if (d.v[i].offset != SIZE_MAX)
                        FUZZ_CHECK(d.v[i].offset <= size, "diagnostic %zu at offset %zu of %zu", i,
                                   d.v[i].offset, size);
        }
        json_object *report = ig_diags_to_json(&d, "fuzz.json", ix.text ? &ix : NULL);
        json_object_to_json_string(report);
        json_object_put(report);
        if (r == 0)
                free(ig_config_to_json(&c));

        ig_diags_free(&d);
        ig_jindex_free(&ix);
        ig_config_free(&c);
        free(text);
        return 0;
}
