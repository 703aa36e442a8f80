/* SPDX-License-Identifier: Apache-2.0 */
/* gs://bucket/object through Google Cloud Storage's JSON API
 * (<base>/storage/v1/b/<bucket>/o/<object, '/' escaped too>?alt=media):
 * anonymously first; on 401/403 again with the VM service account's
 * OAuth token from the metadata server. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "fetch-internal.h"

#define METADATA_BUDGET_S 10

static char *escape_all(const char *s, size_t n)
{
        char *out = xmalloc(3 * n + 1), *o = out;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c))
                        *o++ = (char) c;
                else
                        o += sprintf(o, "%%%02X", c);
        }
        *o = '\0';
        return out;
}

/* The object name as written (Ignition takes the URL's path, unescaped). */
static char *unescape(const char *s, size_t n)
{
        char *out = xmalloc(n + 1), *o = out;

        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (s[i] == '%' && i + 2 < n && sscanf(s + i + 1, "%2x", &v) == 1) {
                        *o++ = (char) v;
                        i += 2;
                } else
                        *o++ = s[i];
        }
        *o = '\0';
        return out;
}

static int metadata_token(const struct fetch_settings *s, const char *what, char **header, const char **why)
{
        _cleanup_free_ char *url = xasprintf("%s/computeMetadata/v1/instance/service-accounts/default/token",
                                             gcp_metadata_base());
        _cleanup_free_ char *text = NULL;
        const char *hdrs[] = { "Metadata-Flavor: Google", NULL };
        struct http_response resp = {};
        json_object *o, *v;
        const char *flavor;
        size_t len;
        int r;

        r = http_fetch_memory(s, &(struct http_request) { .url = url, .what = what, .headers = hdrs, .direct = true,
                                                          .quiet_status = true, .budget_s = METADATA_BUDGET_S,
                                                          .attempt_timeout_s = 2 },
                              65536, &text, &len, &resp);
        flavor = http_response_header(&resp, "metadata-flavor");
        if (r >= 0 && (!flavor || strcmp(flavor, "Google") != 0))
                r = -EBADMSG;
        http_response_free(&resp);
        if (r < 0) {
                *why = "the metadata server gave no service-account token";
                return r;
        }
        o = json_tokener_parse(text);
        if (!o || !json_object_object_get_ex(o, "access_token", &v) || !json_object_is_type(v, json_type_string)) {
                json_object_put(o);
                explicit_bzero(text, len);
                *why = "the metadata server's token is not in the expected form";
                return -EBADMSG;
        }
        *header = xasprintf("Authorization: Bearer %s", json_object_get_string(v));
        json_object_put(o);
        explicit_bzero(text, len);
        return 0;
}

int transport_gs(const struct fetch_request *f, const struct http_sink *sink)
{
        _cleanup_free_ char *shown = url_for_message(f->url), *what = xasprintf("%s %s", f->what, shown);
        _cleanup_free_ char *bucket = NULL, *object = NULL, *escaped = NULL, *url = NULL, *auth = NULL;
        const char *b = f->url + 5, *slash;
        size_t end = strcspn(f->url, "?#");
        struct http_response resp = {};
        const char *why = NULL;
        int r;

        slash = strchr(b, '/');
        if (strncasecmp(f->url, "gs://", 5) != 0 || !slash || slash == b || (size_t) (slash + 1 - f->url) >= end)
                return log_error_errno(EINVAL, "%s: not a Cloud Storage object URL (gs://<bucket>/<object>)", what);
        bucket = xstrndup(b, (size_t) (slash - b));
        object = unescape(slash + 1, end - (size_t) (slash + 1 - f->url));
        escaped = escape_all(object, strlen(object));
        url = xasprintf("%s/storage/v1/b/%s/o/%s?alt=media", gcs_api_base(), bucket, escaped);

        r = http_fetch(f->settings, &(struct http_request) { .url = url, .what = what, .quiet_status = true,
                                                             .budget_s = f->budget_s },
                       sink, &resp);
        if (r == -EPROTO && (resp.status == 401 || resp.status == 403)) {
                http_response_free(&resp);
                r = metadata_token(f->settings, what, &auth, &why);
                if (r < 0) {
                        r = log_error_errno(EACCES, "%s: anonymous access was refused, and %s", what, why);
                        goto out;
                }
                {
                        const char *hdrs[] = { auth, NULL };
                        r = http_fetch(f->settings, &(struct http_request) { .url = url, .what = what,
                                                                             .headers = hdrs,
                                                                             .budget_s = f->budget_s },
                                       sink, &resp);
                }
        } else if (r == -EPROTO)
                r = log_error_errno(EPROTO, "%s: HTTP %ld", what, resp.status);
        if (r == -ENOENT)
                r = log_error_errno(ENOENT, "%s: no such object (HTTP 404)", what);
out:
        if (auth)
                explicit_bzero(auth, strlen(auth));
        http_response_free(&resp);
        return r;
}
