/* SPDX-License-Identifier: Apache-2.0 */
/* Link-local metadata services: what every HTTP provider does the same
 * way. Retries, per-attempt lines and status handling are the HTTP layer's
 * (http.h); here: no proxy, the providers' budget, a wait for a route to the
 * service before the first attempt, "no config" for a 404 or an empty body,
 * base64 where the platform wraps user data. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/log.h"
#include "ignis/netwait.h"
#include "ignis/util.h"
#include "internal.h"

static const long retry_429[] = { 429 };

int metadata_wait_route(struct http_request *req)
{
        struct timespec start, now;
        long waited;
        int r;

        if (!req->budget_s)
                req->budget_s = metadata_budget_s();
        /* The fetch stage starts while DHCP is still running: without the
         * wait, the first attempts die on "Couldn't connect" and print a
         * failed-attempt line each on every boot. When the route is there,
         * this is one connect() of a UDP socket. */
        clock_gettime(CLOCK_MONOTONIC, &start);
        r = net_wait_for_urls((const char *const[]) { req->url }, 1, req->what ? req->what : "metadata service",
                              req->budget_s > 0 ? req->budget_s : 0);
        if (r < 0)
                return r;
        /* The wait is part of the budget; what is left of it (at least a
         * second: the route is there now) goes to the attempts. */
        clock_gettime(CLOCK_MONOTONIC, &now);
        waited = (long) (now.tv_sec - start.tv_sec);
        if (req->budget_s > 0 && waited > 0)
                req->budget_s = req->budget_s - waited > 0 ? req->budget_s - waited : 1;
        return 0;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int has_route(const char *base, char **why_out)
{
        _cleanup_free_ char *host = NULL, *why_buf = NULL;
        const char *why = NULL;
        unsigned port;
        int r;

        if (url_network_host(base, &host, &port) < 0) {
                *why_out = xasprintf("%s is not an http URL", base);
                return 0;
        }
        r = net_route_to_host(host, port, &why, &why_buf);
        if (r <= 0)
                *why_out = xstrdup(why ? why : "no route");
        return r > 0;
}

int metadata_pick_endpoint(const char *who, const char *service, const char *v4, const char *v6, long budget_s,
                           const char **ret)
{
        double start = now_s();
        bool announced = false;

        for (;;) {
                _cleanup_free_ char *why4 = NULL, *why6 = NULL;

                if (has_route(v4, &why4)) {
                        *ret = v4;
                        return 0;
                }
                if (has_route(v6, &why6)) {
                        log_info("%s: the IPv4 metadata endpoint is unreachable (%s): using the IPv6 one", who, why4);
                        *ret = v6;
                        return 0;
                }
                if (now_s() - start >= (double) budget_s)
                        return log_error_errno(ETIMEDOUT, "%s: the %s is unreachable after %lds: %s; %s", who,
                                               service, budget_s, why4, why6);
                if (!announced) {
                        log_info("%s: waiting for a route to the %s (%s)", who, service, why4);
                        announced = true;
                }
                usleep(100 * 1000);
        }
}

int metadata_fetch(struct http_request *req, char **ret, size_t *ret_len, struct http_response *resp)
{
        int r;

        req->direct = true;
        /* A connector's transport is not routed (vsock): nothing to wait for. */
        if (req->connector && !req->budget_s)
                req->budget_s = metadata_budget_s();
        r = req->connector ? 0 : metadata_wait_route(req);
        if (r < 0)
                return r;
        if (!req->attempt_timeout_s)
                req->attempt_timeout_s = req->budget_s > 0 && req->budget_s < 10 ? req->budget_s : 10;
        /* A rate-limited metadata service answers again in a moment. */
        if (!req->retry_statuses) {
                req->retry_statuses = retry_429;
                req->n_retry_statuses = ELEMENTSOF(retry_429);
        }
        return http_fetch_memory(NULL, req, IG_CONFIG_MAX_SIZE, ret, ret_len, resp);
}

int metadata_decode_base64(const char *platform, const char *url, char **body, size_t *len)
{
        char *dec;
        size_t dec_len;

        if (provider_base64_decode(*body, *len, &dec, &dec_len) < 0)
                return log_error_errno(EBADMSG, "%s: the user data from %s is not base64 as the platform "
                                       "sends it (%zu bytes)", platform, url, *len);
        free(*body);
        *body = dec;
        *len = dec_len;
        return 0;
}

int metadata_fetch_userdata(const char *platform, const char *url, const char *const *headers, bool base64,
                            struct fetched_config *out)
{
        struct http_request req = { .url = url, .what = platform, .headers = headers };

        return metadata_fetch_userdata_req(platform, &req, base64, out);
}

int metadata_fetch_userdata_req(const char *platform, struct http_request *req, bool base64,
                                struct fetched_config *out)
{
        const char *url = req->url;
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        int r;

        *out = (struct fetched_config) {};
        log_info("%s: fetching the user data from %s", platform, url);
        r = metadata_fetch(req, &body, &len, NULL);
        if (r == -ENOENT) {
                log_info("%s: the metadata service has no user data (404): no config", platform);
                return 0;
        }
        if (r < 0)
                return r;
        if (len == 0) {
                log_info("%s: the user data is empty: no config", platform);
                return 0;
        }
        if (base64) {
                r = metadata_decode_base64(platform, url, &body, &len);
                if (r < 0)
                        return r;
        }
        out->data = TAKE_PTR(body);
        out->len = len;
        out->source = xasprintf("%s metadata %s", platform, url);
        return 0;
}
