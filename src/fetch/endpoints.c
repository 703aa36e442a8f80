/* SPDX-License-Identifier: Apache-2.0 */
/* Where the metadata and storage services are. The environment overrides
 * exist for tests (local servers on 127.0.0.1) and are read here only. */

#include <stdlib.h>
#include <string.h>

#include "ignis/http.h"

static const char *env_or(const char *name, const char *fallback)
{
        const char *v = getenv(name);
        return v && *v ? v : fallback;
}

const char *aws_imds_base(void)
{
        return env_or("IGNIS_AWS_IMDS_URL", "http://169.254.169.254");
}

const char *gcp_metadata_base(void)
{
        return env_or("IGNIS_GCP_METADATA_URL", "http://169.254.169.254");
}

const char *gcs_api_base(void)
{
        return env_or("IGNIS_GCS_URL", "https://storage.googleapis.com");
}

const char *s3_endpoint_override(void)
{
        return env_or("IGNIS_S3_ENDPOINT", NULL);
}
