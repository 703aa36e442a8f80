/* SPDX-License-Identifier: Apache-2.0 */
/* Google Cloud: the instance attribute user-data from the metadata server,
 * at its address (the names metadata.google.internal and metadata need a
 * resolver the initramfs may not have):
 *
 *   GET /computeMetadata/v1/instance/attributes/user-data
 *       with Metadata-Flavor: Google (the server refuses requests without
 *       it), and the answer must carry Metadata-Flavor: Google too, or it is
 *       not the metadata server; 404: the attribute is not set (no config);
 *       429 and 5xx are retried within the budget, once the kernel has a
 *       route to the server (the fetch stage starts while DHCP runs).
 *
 * For tests: IGNIS_GCP_METADATA_URL (the endpoint base, gcp_metadata_base()),
 * IGNIS_PROVIDER_TIMEOUT (the budget in seconds, default 120). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "internal.h"

#define WHO "platform gcp"
#define PATH "/computeMetadata/v1/instance/attributes/user-data"

static bool flavor_ok(const struct http_response *resp)
{
        const char *f = http_response_header(resp, "metadata-flavor");
        return f && strcmp(f, "Google") == 0;
}

int provider_gcp_fetch(struct fetched_config *out)
{
        _cleanup_free_ char *url = xasprintf("%s" PATH, gcp_metadata_base());
        const char *headers[] = { "Metadata-Flavor: Google", NULL };
        static const long retry[] = { 429 };
        struct http_request req = {
                .url = url,
                .what = WHO " (user data)",
                .headers = headers,
                .retry_statuses = retry,
                .n_retry_statuses = ELEMENTSOF(retry),
                .direct = true,
                .budget_s = metadata_budget_s(),
        };
        struct http_response resp = {};
        int r;

        *out = (struct fetched_config) {};
        r = metadata_wait_route(&req);
        if (r < 0)
                return r;
        r = http_fetch_memory(NULL, &req, IG_CONFIG_MAX_SIZE, &out->data, &out->len, &resp);
        if (r >= 0 || r == -ENOENT) {
                /* Anything could answer at 169.254.169.254 on another cloud;
                 * only Google's server sets the flavor. */
                if (!flavor_ok(&resp)) {
                        http_response_free(&resp);
                        fetched_config_free(out);
                        return log_error_errno(EPROTO, "%s: the answer from %s lacks \"Metadata-Flavor: Google\": "
                                               "that is not Google's metadata server (check "
                                               "ignition.platform.id)", WHO, url);
                }
        }
        http_response_free(&resp);
        if (r == -ENOENT) {
                log_info("%s: the instance has no user-data attribute: no config", WHO);
                return 0;
        }
        if (r < 0)
                return r;
        out->source = xasprintf("GCP metadata %s", url);
        /* gzip'd user data is undone by provider_fetch(), for every platform. */
        return 0;
}
