/* SPDX-License-Identifier: Apache-2.0 */
/* Rendering a config: ignition.config.replace (which wins) or the merge
 * list, depth first, each referenced config fetched, parsed and validated
 * on its own (any 3.x version), then merged with Ignition's rules. The
 * result is validated once more as a whole. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/fetch.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "ignis/stages.h"

/* Ignition sets no limit; a chain this deep is a mistake, not a design. */
#define MAX_DEPTH 10

static int load_child(const struct ig_resource *res, const char *what, struct ig_config *child)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        ig_config_init(child);
        r = fetch_to_memory(res, what, IG_CONFIG_MAX_SIZE, &text, &len);
        if (r < 0)
                return r;
        r = ig_config_load_report(text, len, NULL, what, child);
        if (r < 0)
                return log_error_errno(r, "%s: the referenced config is invalid", what);
        return 0;
}

static int render(struct ig_config *c, const char *what, unsigned depth)
{
        int r;

        if (depth > MAX_DEPTH)
                return log_error_errno(ELOOP, "%s: configs referenced more than %d levels deep", what, MAX_DEPTH);

        if (c->ignition.config.replace.source) {
                _cleanup_free_ char *w = xasprintf("%s.ignition.config.replace", what);
                struct ig_config child;

                log_info("replacing the config with %s", w);
                r = load_child(&c->ignition.config.replace, w, &child);
                if (r >= 0)
                        r = render(&child, w, depth + 1);
                if (r < 0) {
                        ig_config_free(&child);
                        return r;
                }
                ig_config_free(c);
                *c = child;
                return 0;
        }

        for (size_t i = 0; i < c->ignition.config.merge.n; i++) {
                _cleanup_free_ char *w = xasprintf("%s.ignition.config.merge[%zu]", what, i);
                struct ig_config child;

                log_info("merging %s", w);
                r = load_child(&c->ignition.config.merge.v[i], w, &child);
                if (r >= 0)
                        r = render(&child, w, depth + 1);
                if (r < 0) {
                        ig_config_free(&child);
                        return r;
                }
                ig_config_merge(c, &child);
        }
        return 0;
}

int stage_render_config(struct ig_config *c)
{
        struct ig_diags d = {};
        bool referenced = c->ignition.config.replace.source || c->ignition.config.merge.n > 0;
        int r;

        if (!referenced)
                return 0;
        r = render(c, "$", 0);
        if (r < 0)
                return r;

        /* What each config allowed on its own may clash once merged. */
        r = ig_config_validate(c, &d);
        ig_diags_print(&d, "the merged config", NULL, stderr);
        ig_diags_free(&d);
        if (r < 0)
                return log_error_errno(r, "The merged config is invalid");
        return 0;
}
