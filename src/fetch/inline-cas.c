/* SPDX-License-Identifier: Apache-2.0 */
/* The rendered config's remote CA bundles, turned into data: URLs before it
 * is cached for the later stages. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/fetch.h"
#include "ignis/log.h"

#define CA_MAX (8u << 20)

int fetch_inline_remote_cas(struct ig_config *c)
{
        struct ig_tls *tls = &c->ignition.security.tls;

        for (size_t i = 0; i < tls->certificate_authorities.n; i++) {
                struct ig_resource *res = &tls->certificate_authorities.v[i];
                _cleanup_free_ char *what = xasprintf("$.ignition.security.tls.certificateAuthorities[%zu]", i);
                _cleanup_free_ char *pem = NULL;
                unsigned char *b64;
                size_t len;
                int r;

                if (!res->source || fetch_is_local(res))
                        continue;
                r = fetch_to_memory(res, what, CA_MAX, &pem, &len);
                if (r < 0)
                        return r;
                if (dlopen_crypto() < 0)
                        return log_error_errno(EOPNOTSUPP, "%s: cannot encode the CA bundle without libcrypto", what);
                b64 = xmalloc(4 * ((len + 2) / 3) + 1);
                sym_EVP_EncodeBlock(b64, (const unsigned char *) pem, (int) len);
                free(res->source);
                res->source = xasprintf("data:;base64,%s", b64);
                free(b64);
                /* The bytes are decompressed now; headers meant the server. */
                free(res->compression);
                res->compression = NULL;
                for (size_t j = 0; j < res->http_headers.n; j++) {
                        free(res->http_headers.v[j].name);
                        free(res->http_headers.v[j].value);
                }
                free(res->http_headers.v);
                res->http_headers.v = NULL;
                res->http_headers.n = 0;
        }
        return 0;
}
