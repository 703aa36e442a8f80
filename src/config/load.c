/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "schema.h"

static bool blank(const char *text, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (!strchr(" \t\r\n", text[i]))
                        return false;
        return true;
}

int ig_config_load(const char *text, size_t len, const struct ig_parse_options *opts,
                   struct ig_jindex *ix, struct ig_config *c, struct ig_diags *d)
{
        struct ig_jerror jerr;
        int r;

        *ix = (struct ig_jindex) {};
        ig_desc_init(&ig_desc_config, c);
        if (len > IG_CONFIG_MAX_SIZE) {
                ig_diag_add_at(d, IG_SEV_ERROR, 0, "config is %zu bytes, larger than the limit of %u MiB",
                               len, IG_CONFIG_MAX_SIZE / (1024 * 1024));
                return -EINVAL;
        }
        if (blank(text, len)) {
                ig_diag_add_at(d, IG_SEV_ERROR, 0, "not a config: the document is empty");
                return -EINVAL;
        }
        if (memchr(text, '\0', len)) {
                /* JSON cannot contain a raw NUL; name its position. */
                ig_diag_add_at(d, IG_SEV_ERROR, (size_t) ((const char *) memchr(text, '\0', len) - text),
                               "invalid JSON: NUL byte in the document");
                return -EINVAL;
        }
        r = ig_jindex_build(ix, text, len, &jerr);
        if (r < 0) {
                ig_diag_add_at(d, IG_SEV_ERROR, jerr.offset, "invalid JSON: %s", jerr.message);
                return r;
        }
        r = ig_config_parse(ix, opts, c, d);
        if (r < 0)
                return r;
        r = ig_config_validate(c, d);
        if (d->n_errors > 0)
                return -EINVAL;
        ig_config_translate(c);
        return r;
}
