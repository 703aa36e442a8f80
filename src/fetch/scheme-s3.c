/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/log.h"
#include "fetch-internal.h"

int transport_s3(const struct fetch_request *f, const struct http_sink *sink)
{
        return log_error_errno(EOPNOTSUPP, "%s: s3:// and arn: URLs are not supported yet", f->what);
}
