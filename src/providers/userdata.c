/* SPDX-License-Identifier: Apache-2.0 */
/* What every metadata provider shares: the time budget, and the user data's
 * gzip compression. AWS caps user
 * data at 16 KiB, so users gzip their configs (cloud-init and Terraform's
 * cloudinit_config do it for them); Ignition refuses those, ignis inflates
 * them. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "ignis/config.h"
#include "ignis/log.h"
#include "ignis/providers.h"

int provider_user_data_gunzip(struct fetched_config *f, const char *who)
{
        z_stream z = {};
        char *out = NULL;
        size_t alloc = 0, len = 0;
        int r;

        if (!f->data || f->len < 2 || (unsigned char) f->data[0] != 0x1f || (unsigned char) f->data[1] != 0x8b)
                return 0;
        /* 16 + MAX_WBITS: gzip framing only */
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
                return log_error_errno(ENOMEM, "%s: cannot set up gunzip", who);
        z.next_in = (unsigned char *) f->data;
        z.avail_in = (uInt) f->len;
        do {
                if (alloc - len < 65536) {
                        alloc = alloc ? alloc * 2 : 65536;
                        if (alloc > IG_CONFIG_MAX_SIZE + 1)
                                alloc = IG_CONFIG_MAX_SIZE + 1;
                        if (alloc <= len) {
                                inflateEnd(&z);
                                free(out);
                                return log_error_errno(EFBIG, "%s: the gzip-compressed user data inflates to more "
                                                       "than %zu bytes", who, (size_t) IG_CONFIG_MAX_SIZE);
                        }
                        out = xrealloc(out, alloc);
                }
                z.next_out = (unsigned char *) out + len;
                z.avail_out = (uInt) (alloc - len);
                r = inflate(&z, Z_NO_FLUSH);
                len = alloc - z.avail_out;
                if (r != Z_OK && r != Z_STREAM_END && !(r == Z_BUF_ERROR && z.avail_in > 0)) {
                        const char *why = r == Z_BUF_ERROR ? "the data ends early" : (z.msg ? z.msg : "corrupt");
                        inflateEnd(&z);
                        free(out);
                        return log_error_errno(EBADMSG, "%s: the user data starts like gzip but cannot be "
                                               "decompressed: %s", who, why);
                }
        } while (r != Z_STREAM_END);
        if (z.avail_in > 0) {
                inflateEnd(&z);
                free(out);
                return log_error_errno(EBADMSG, "%s: trailing data after the gzip-compressed user data", who);
        }
        inflateEnd(&z);
        log_info("%s: the user data is gzip-compressed: %zu bytes inflated to %zu", who, f->len, len);
        out = xrealloc(out, len + 1);
        out[len] = '\0';
        free(f->data);
        f->data = out;
        f->len = len;
        return 0;
}

long provider_budget_s(void)
{
        const char *v = getenv("IGNIS_PROVIDER_TIMEOUT");
        char *end;
        long t;

        if (!v || !*v)
                return 120;
        t = strtol(v, &end, 10);
        return *end || t <= 0 ? 120 : t;
}
