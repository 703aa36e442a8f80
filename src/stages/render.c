/* SPDX-License-Identifier: Apache-2.0 */
/* Rendering a config: ignition.config.replace (which wins) or the merge
 * list, depth first, each referenced config fetched, parsed and validated
 * on its own (any 3.x version; positions name its URL), then merged with
 * Ignition's rules. Each config's timeouts, CAs and proxy apply to the
 * fetches after it is parsed, as in Ignition. The result is validated once
 * more as a whole. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "ignis/stages.h"

/* Ignition sets no limit; a chain this deep is a mistake, not a design. */
#define MAX_DEPTH 10

/* The remote sources on the way from the top config to the one being
 * rendered: a source met again is a cycle. */
struct chain {
        const char *source[MAX_DEPTH + 2];
        unsigned n;
};

static bool is_data(const char *source)
{
        return strncasecmp(source, "data:", 5) == 0;
}

static int check_cycle(const struct chain *ch, const struct ig_resource *res, const char *what)
{
        _cleanup_free_ char *shown = NULL;

        if (!res->source || is_data(res->source))
                return 0;
        for (unsigned i = 0; i < ch->n; i++)
                if (strcmp(ch->source[i], res->source) == 0) {
                        shown = url_for_message(res->source);
                        return log_error_errno(ELOOP, "%s %s: config cycle: this config is already being rendered "
                                               "(it references itself, directly or through other configs)",
                                               what, shown);
                }
        return 0;
}

static int load_child(const struct ig_resource *res, const char *what, struct ig_config *child)
{
        _cleanup_free_ char *text = NULL, *shown = NULL, *name = NULL;
        size_t len;
        int r;

        ig_config_init(child);
        r = fetch_to_memory(res, what, IG_CONFIG_MAX_SIZE, &text, &len);
        if (r < 0)
                return r;
        /* Positions name the fragment itself: "URL:line:col: ...". */
        shown = res->source && !is_data(res->source) ? url_for_message(res->source) : NULL;
        name = shown ? xstrdup(shown) : xstrdup(what);
        r = ig_config_load_report(text, len, NULL, name, child);
        if (r < 0)
                return log_error_errno(r, "%s%s%s: the referenced config is invalid", what, shown ? " " : "",
                                       shown ?: "");
        return 0;
}

static int render(struct ig_config *c, const char *what, unsigned depth, struct chain *ch);

static int render_child(const struct ig_resource *res, const char *what, unsigned depth, struct chain *ch,
                        bool replace, struct ig_config *child)
{
        bool pushed = false;
        int r;

        ig_config_init(child);
        r = check_cycle(ch, res, what);
        if (r < 0)
                return r;
        if (depth + 1 > MAX_DEPTH)
                return log_error_errno(ELOOP, "%s: configs referenced more than %d levels deep", what, MAX_DEPTH);
        r = load_child(res, what, child);
        if (r < 0)
                return r;
        /* As Ignition: a replacing config brings its own timeouts, CAs and
         * proxy, none of the discarded config's; merged ones add to them. */
        if (replace)
                fetch_settings_reset(fetch_settings_global());
        if (res->source && !is_data(res->source)) {
                ch->source[ch->n++] = res->source;
                pushed = true;
        }
        r = render(child, what, depth + 1, ch);
        if (pushed)
                ch->n--;
        return r;
}

static int render(struct ig_config *c, const char *what, unsigned depth, struct chain *ch)
{
        int r;

        r = fetch_settings_update(fetch_settings_global(), c);
        if (r < 0)
                return r;

        if (c->ignition.config.replace.source) {
                _cleanup_free_ char *w = xasprintf("%s.ignition.config.replace", what);
                struct ig_config child;

                log_info("replacing the config with %s", w);
                r = render_child(&c->ignition.config.replace, w, depth, ch, true, &child);
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
                r = render_child(&c->ignition.config.merge.v[i], w, depth, ch, false, &child);
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
        struct chain ch = {};
        struct ig_diags d = {};
        bool referenced = c->ignition.config.replace.source || c->ignition.config.merge.n > 0;
        int r;

        r = render(c, "$", 0, &ch);
        if (r < 0 || !referenced)
                return r;

        /* What each config allowed on its own may clash once merged. */
        r = ig_config_validate(c, &d);
        ig_diags_print(&d, "the merged config", NULL, stderr);
        ig_diags_free(&d);
        if (r < 0)
                return log_error_errno(r, "The merged config is invalid");
        return 0;
}
