/* SPDX-License-Identifier: Apache-2.0 */
/* OpenStack: the config drive first (no network needed to read it, and it
 * is what deployments without a metadata service use), then the metadata
 * service's /openstack/latest/user_data; 404 there is "no user data". */

#include <errno.h>
#include <stdlib.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

static int openstack_fetch(struct fetched_config *out)
{
        _cleanup_free_ char *url = NULL;
        int r;

        /* By the fetch stage, udev has long seen an attached drive. */
        r = configdrive_fetch("openstack", provider_media_wait_s(0), out);
        if (r != -ENOENT)
                return r;
        log_info("openstack: no config drive; asking the metadata service");
        url = xasprintf("%s/openstack/latest/user_data", provider_endpoint("openstack", "http://169.254.169.254"));
        return metadata_fetch_userdata("openstack", url, NULL, false, out);
}

const struct provider provider_openstack = { "openstack", openstack_fetch, true };
/* Brightbox runs OpenStack's config drive and metadata service. */
const struct provider provider_brightbox = { "brightbox", openstack_fetch, true };
