/* SPDX-License-Identifier: Apache-2.0 */
/* Akamai (Linode): a token first (PUT /v1/token with its lifetime), then
 * GET /v1/user-data with it; the user data comes base64-encoded, and is
 * often gzip'd underneath (undone by provider_fetch). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

static int akamai_fetch(struct fetched_config *out)
{
        const char *base = provider_endpoint("akamai", "http://169.254.169.254");
        _cleanup_free_ char *token_url = xasprintf("%s/v1/token", base);
        _cleanup_free_ char *url = xasprintf("%s/v1/user-data", base);
        _cleanup_free_ char *token = NULL, *token_header = NULL, *body = NULL;
        static const char *const token_headers[] = { "Metadata-Token-Expiry-Seconds: 300", "Accept: text/plain",
                                                     NULL };
        struct http_request treq = { .method = "PUT", .url = token_url, .what = "akamai token",
                                     .headers = token_headers };
        size_t len;
        int r;

        *out = (struct fetched_config) {};
        log_info("akamai: getting a metadata token from %s", token_url);
        r = metadata_fetch(&treq, &token, &len, NULL);
        if (r == -ENOENT)
                return log_error_errno(EPROTO, "akamai: %s answered 404: no metadata service here", token_url);
        if (r < 0)
                return r;
        len = strcspn(token, "\r\n");
        token[len] = '\0';
        if (len == 0)
                return log_error_errno(EPROTO, "akamai: %s answered with an empty token", token_url);

        token_header = xasprintf("Metadata-Token: %s", token);
        {
                const char *headers[] = { token_header, "Accept: text/plain", NULL };
                struct http_request req = { .url = url, .what = "akamai", .headers = headers };

                log_info("akamai: fetching the user data from %s", url);
                r = metadata_fetch(&req, &body, &len, NULL);
        }
        if (r == -ENOENT || (r >= 0 && len == 0)) {
                log_info("akamai: no user data: no config");
                return 0;
        }
        if (r < 0)
                return r;
        r = metadata_decode_base64("akamai", url, &body, &len);
        if (r < 0)
                return r;
        out->data = TAKE_PTR(body);
        out->len = len;
        out->source = xasprintf("akamai metadata %s", url);
        return 0;
}

const struct provider provider_akamai = { "akamai", akamai_fetch, true };
