/* SPDX-License-Identifier: Apache-2.0 */
/* AWS EC2: the user data from the instance metadata service (IMDS).
 *
 *   PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds -> a
 *       token (IMDSv2); 403: IMDS is disabled (fail at once); 404 or another
 *       refusal: an IMDS without v2, so IMDSv1 (plain GETs);
 *   GET /2019-10-01/user-data with X-aws-ec2-metadata-token -> the config;
 *       404: the instance has no user data (no config, not an error); 401:
 *       the token expired or was refused, so a new one is asked for.
 * Connection errors and 5xx are retried by the HTTP client within the
 * budget. The IPv4 endpoint 169.254.169.254 is used when the kernel has a
 * route to it; otherwise the IPv6 one, [fd00:ec2::254] (Nitro instances
 * with the IPv6 endpoint enabled).
 *
 * For tests: IGNIS_AWS_IMDS_URL (aws_imds_base(), shared with the S3
 * credentials lookup) and IGNIS_AWS_IMDS_URL_V6 (the endpoint bases),
 * IGNIS_PROVIDER_TIMEOUT (the budget in seconds, default 120). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "ignis/netwait.h"
#include "ignis/providers.h"
#include "internal.h"

#define WHO "platform aws"
#define TOKEN_TTL "21600"
/* Ignition's pinned API version of the user-data path. */
#define USER_DATA_PATH "/2019-10-01/user-data"

static const char *env_or(const char *name, const char *def)
{
        const char *v = getenv(name);
        return v && *v ? v : def;
}

/* The HTTP client's answer for a non-2xx status other than 404 (whose
 * number is in the response): -EACCES for 401/403, -EPROTO for the rest. */
static bool refused(int r)
{
        return r == -EACCES || r == -EPROTO;
}

/* 0 and *token (NULL: use IMDSv1), or a negative errno (logged). */
static int get_token(const char *base, long budget_s, char **token)
{
        _cleanup_free_ char *url = xasprintf("%s/latest/api/token", base);
        const char *headers[] = { "X-aws-ec2-metadata-token-ttl-seconds: " TOKEN_TTL, NULL };
        struct http_request req = {
                .method = "PUT",
                .url = url,
                .what = WHO " (IMDSv2 token)",
                .headers = headers,
                .direct = true,
                /* Statuses are judged here: a 404 or 405 is the IMDSv1 answer,
                 * not an error. */
                .quiet_status = true,
                .budget_s = budget_s,
        };
        struct http_response resp = {};
        char *body = NULL;
        size_t len;
        long status;
        int r;

        *token = NULL;
        r = http_fetch_memory(NULL, &req, 4096, &body, &len, &resp);
        status = resp.status;
        http_response_free(&resp);
        if (r >= 0) {
                while (len > 0 && strchr(" \t\r\n", body[len - 1]))
                        body[--len] = '\0';
                if (len == 0) {
                        free(body);
                        return log_error_errno(EPROTO, "%s: the IMDSv2 token answer is empty", WHO);
                }
                /* The token goes into a header line: a CR, LF or any other
                 * control character in it would add headers of the server's
                 * choosing to the next request. Not shown: it is a secret. */
                for (size_t i = 0; i < len; i++)
                        if ((unsigned char) body[i] <= 0x20 || (unsigned char) body[i] >= 0x7f) {
                                free(body);
                                return log_error_errno(EPROTO, "%s: the IMDSv2 token answer is not a token (a "
                                                       "space, control or non-ASCII byte at offset %zu of %zu)",
                                                       WHO, i, len);
                        }
                *token = body;
                return 0;
        }
        if (refused(r) && status == 403)
                return log_error_errno(EACCES, "%s: the instance metadata service refuses requests (403 Forbidden): "
                                       "it is disabled for this instance (HttpEndpoint=disabled)", WHO);
        if (refused(r) && status == 400)
                return log_error_errno(EPROTO, "%s: the instance metadata service refused the token request "
                                       "(400 Bad Request)", WHO);
        if (r == -ENOENT || (refused(r) && status >= 400 && status < 500)) {
                log_info("%s: the instance metadata service issues no IMDSv2 token (status %ld): using IMDSv1",
                         WHO, status);
                return 0;
        }
        if (status >= 300)
                return log_error_errno(r, "%s: the instance metadata service answered the token request with "
                                       "status %ld", WHO, status);
        return r;
}

int provider_aws_fetch(struct fetched_config *out)
{
        long budget = metadata_budget_s();
        _cleanup_free_ char *token = NULL, *url = NULL;
        const char *base = NULL;
        int r;

        *out = (struct fetched_config) {};
        r = metadata_pick_endpoint(WHO, "instance metadata service", aws_imds_base(),
                                   env_or("IGNIS_AWS_IMDS_URL_V6", "http://[fd00:ec2::254]"), budget, &base);
        if (r < 0)
                return r;
        r = get_token(base, budget, &token);
        if (r < 0)
                return r;
        url = xasprintf("%s" USER_DATA_PATH, base);

        /* A token can expire between the PUT and the GET (or be refused by a
         * restarted IMDS): a 401 earns a new one, a few times. */
        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *header = token ? xasprintf("X-aws-ec2-metadata-token: %s", token) : NULL;
                const char *headers[] = { header, NULL };
                struct http_request req = {
                        .url = url,
                        .what = WHO " (user data)",
                        .headers = headers,
                        .direct = true,
                        /* a 401 asks for a new token: not an error line */
                        .quiet_status = true,
                        .budget_s = budget,
                };
                struct http_response resp = {};
                long status;

                r = http_fetch_memory(NULL, &req, IG_CONFIG_MAX_SIZE, &out->data, &out->len, &resp);
                status = resp.status;
                http_response_free(&resp);
                if (r >= 0)
                        break;
                if (r == -ENOENT) {
                        log_info("%s: the instance has no user data: no config", WHO);
                        return 0;
                }
                if (refused(r) && status == 401 && token && attempt < 3) {
                        log_info("%s: the IMDSv2 token was refused (401): asking for a new one", WHO);
                        free(token);
                        r = get_token(base, budget, &token);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (refused(r) && status == 401)
                        return log_error_errno(EACCES, "%s: the instance metadata service wants a token (401) but "
                                               "%s", WHO, token ? "refuses every new one" : "issues none");
                if (refused(r) && status == 403)
                        return log_error_errno(EACCES, "%s: the instance metadata service refuses the user data "
                                               "(403 Forbidden)", WHO);
                if (status >= 300)
                        return log_error_errno(r, "%s: GET %s: the instance metadata service answered status %ld",
                                               WHO, url, status);
                return r;
        }
        out->source = xasprintf("AWS instance metadata %s" USER_DATA_PATH, base);
        /* gzip'd user data is undone by provider_fetch(), for every platform. */
        return 0;
}
