/* SPDX-License-Identifier: Apache-2.0 */
/* The fetcher's settings, as the configs being rendered set them. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "fetch-internal.h"

#define CA_MAX (8u << 20)

static struct fetch_settings global = { .response_headers_timeout_s = 10 };

struct fetch_settings *fetch_settings_global(void)
{
        return &global;
}

static void strv_free(struct ig_strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->v[i]);
        free(v->v);
        *v = (struct ig_strv) {};
}

static void strv_add(struct ig_strv *v, const char *s)
{
        v->v = xrealloc(v->v, (v->n + 1) * sizeof(char *));
        v->v[v->n++] = xstrdup(s);
}

static bool strv_has(const struct ig_strv *v, const char *s)
{
        for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->v[i], s) == 0)
                        return true;
        return false;
}

void fetch_settings_reset(struct fetch_settings *s)
{
        bool offline = s->offline;

        free(s->ca_pem);
        free(s->http_proxy);
        free(s->https_proxy);
        strv_free(&s->no_proxy);
        strv_free(&s->ca_sources);
        *s = (struct fetch_settings) { .response_headers_timeout_s = 10, .offline = offline };
}

static void set_str(char **dst, const char *src)
{
        if (!src)
                return;
        free(*dst);
        *dst = xstrdup(src);
}

/* Each bundle must hold at least one certificate, as Ignition refuses a CA
 * it cannot parse; OpenSSL judges the certificates themselves later. */
static bool looks_like_pem(const char *text)
{
        return strstr(text, "-----BEGIN CERTIFICATE-----") && strstr(text, "-----END CERTIFICATE-----");
}

int fetch_settings_update(struct fetch_settings *s, const struct ig_config *c)
{
        const struct ig_ignition *ig = &c->ignition;
        const struct ig_resource *cas = ig->security.tls.certificate_authorities.v;
        size_t n_cas = ig->security.tls.certificate_authorities.n;
        int r;

        /* CAs first, fetched with the settings this config found. */
        for (size_t i = 0; i < n_cas; i++) {
                _cleanup_free_ char *what = xasprintf("$.ignition.security.tls.certificateAuthorities[%zu]", i);
                _cleanup_free_ char *pem = NULL;
                size_t len;

                if (!cas[i].source || strv_has(&s->ca_sources, cas[i].source))
                        continue;
                r = resource_fetch_memory(s, &cas[i], what, CA_MAX, &pem, &len);
                if (r < 0)
                        return r;
                if (!looks_like_pem(pem)) {
                        _cleanup_free_ char *shown = url_for_message(cas[i].source);
                        return log_error_errno(EBADMSG, "%s %s: not a PEM certificate bundle", what, shown);
                }
                s->ca_pem = xrealloc(s->ca_pem, s->ca_pem_len + len + 2);
                memcpy(s->ca_pem + s->ca_pem_len, pem, len);
                s->ca_pem_len += len;
                s->ca_pem[s->ca_pem_len++] = '\n';
                s->ca_pem[s->ca_pem_len] = '\0';
                strv_add(&s->ca_sources, cas[i].source);
        }

        if (ig->timeouts.http_response_headers.set)
                s->response_headers_timeout_s = (long) ig->timeouts.http_response_headers.v;
        if (ig->timeouts.http_total.set)
                s->total_timeout_s = (long) ig->timeouts.http_total.v;
        set_str(&s->http_proxy, ig->proxy.http_proxy);
        set_str(&s->https_proxy, ig->proxy.https_proxy);
        for (size_t i = 0; i < ig->proxy.no_proxy.n; i++)
                if (!strv_has(&s->no_proxy, ig->proxy.no_proxy.v[i]))
                        strv_add(&s->no_proxy, ig->proxy.no_proxy.v[i]);
        return 0;
}
