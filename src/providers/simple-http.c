/* SPDX-License-Identifier: Apache-2.0 */
/* The platforms whose user data is one GET on a link-local metadata
 * service, with at most a fixed header: each is one line of data. The URLs
 * are the services' documented ones; the base can be moved with
 * IGNIS_ENDPOINT_<PLATFORM> (env.c). */

#include <stdbool.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

struct simple {
        const char *id;
        const char *base;
        const char *path;
        const char *header;     /* "Name: value" or NULL */
        bool base64;
};

static const struct simple platforms[] = {
        { "digitalocean", "http://169.254.169.254", "/metadata/v1/user-data", NULL, false },
        { "hetzner", "http://169.254.169.254", "/hetzner/v1/userdata", NULL, false },
        { "vultr", "http://169.254.169.254", "/user-data/user-data", NULL, false },
        { "exoscale", "http://169.254.169.254", "/1.0/user-data", NULL, false },
        { "aliyun", "http://100.100.100.200", "/latest/user-data", NULL, false },
        { "upcloud", "http://169.254.169.254", "/metadata/v1/user_data", NULL, false },
        { "oraclecloud", "http://169.254.169.254", "/opc/v2/instance/metadata/user_data",
          "Authorization: Bearer Oracle", true },
};

static int simple_fetch(const char *id, struct fetched_config *out)
{
        for (size_t i = 0; i < ELEMENTSOF(platforms); i++) {
                const struct simple *s = &platforms[i];
                const char *headers[] = { s->header, NULL };
                _cleanup_free_ char *url = NULL;

                if (strcmp(s->id, id) != 0)
                        continue;
                url = xasprintf("%s%s", provider_endpoint(s->id, s->base), s->path);
                return metadata_fetch_userdata(s->id, url, headers, s->base64, out);
        }
        return -EOPNOTSUPP;
}

#define SIMPLE(name)                                                                              \
        static int name##_fetch(struct fetched_config *out) \
        {                                                                                         \
                return simple_fetch(#name, out);                                                  \
        }                                                                                         \
        const struct provider provider_##name = { #name, name##_fetch, true };

SIMPLE(digitalocean)
SIMPLE(hetzner)
SIMPLE(vultr)
SIMPLE(exoscale)
SIMPLE(aliyun)
SIMPLE(upcloud)
SIMPLE(oraclecloud)
