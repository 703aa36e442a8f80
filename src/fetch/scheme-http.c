/* SPDX-License-Identifier: Apache-2.0 */
/* http://, https:// and tftp:// resources: http_fetch() with the config's
 * headers, judged as Ignition judges them (200 and 204 are success). */

#include <errno.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "fetch-internal.h"

int transport_http(const struct fetch_request *f, const struct http_sink *sink)
{
        const struct http_request req = {
                .url = f->url,
                .what = f->what,
                .config_headers = f->res->http_headers.v,
                .n_config_headers = f->res->http_headers.n,
                .budget_s = f->budget_s,
        };
        struct http_response resp = {};
        int r;

        r = http_fetch(f->settings, &req, sink, &resp);
        if (r == -ENOENT) {
                _cleanup_free_ char *shown = url_for_message(f->url);
                r = log_error_errno(ENOENT, "%s: GET %s: not found%s", f->what, shown,
                                    resp.status == 404 ? " (HTTP 404)" : "");
        } else if (r >= 0 && resp.status != 0 && resp.status != 200 && resp.status != 204) {
                _cleanup_free_ char *shown = url_for_message(f->url);
                r = log_error_errno(EPROTO, "%s: GET %s: unexpected HTTP %ld", f->what, shown, resp.status);
        }
        http_response_free(&resp);
        return r;
}
