/* SPDX-License-Identifier: Apache-2.0 */
/* Scaleway: GET http://169.254.42.42/user_data/cloud-init (or
 * http://[fd00:42::42]/... when only IPv6 is routed). The service answers
 * user data only to a request from a source port below 1024, its proof
 * that root asks: the HTTP client binds one (http_request's
 * privileged_source_port). 404: no user data, no config.
 *
 * For tests: IGNIS_ENDPOINT_SCALEWAY and IGNIS_ENDPOINT_SCALEWAY_V6 (the
 * endpoint bases). */

#include <stdbool.h>

#include "ignis/cleanup.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "internal.h"

#define WHO "scaleway"

static int scaleway_fetch(struct fetched_config *out)
{
        long budget = metadata_budget_s();
        _cleanup_free_ char *url = NULL;
        const char *base = NULL;
        struct http_request req = {
                .what = WHO,
                .privileged_source_port = true,
                .budget_s = budget,
        };
        int r;

        *out = (struct fetched_config) {};
        r = metadata_pick_endpoint(WHO, "metadata service", provider_endpoint("scaleway", "http://169.254.42.42"),
                                   provider_endpoint("scaleway_v6", "http://[fd00:42::42]"), budget, &base);
        if (r < 0)
                return r;
        url = xasprintf("%s/user_data/cloud-init", base);
        req.url = url;
        return metadata_fetch_userdata_req(WHO, &req, false, out);
}

const struct provider provider_scaleway = { "scaleway", scaleway_fetch, true };
