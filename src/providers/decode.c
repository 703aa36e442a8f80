/* SPDX-License-Identifier: Apache-2.0 */
/* Undoing what platforms and users wrap user data in: base64 (Azure,
 * Oracle, Akamai return it so) and gzip (users compress configs to fit the
 * platforms' 16-64 KiB user data limits; Ignition refuses them). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "internal.h"

static bool is_b64(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int provider_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *clean = xmalloc(len + 1), *out = NULL;
        size_t n = 0, pad = 0;
        int k;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) in[i];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                        continue;
                if (c == '=') {
                        pad++;
                        if (pad > 2)
                                return -EBADMSG;
                } else if (!is_b64(c) || pad > 0)
                        return -EBADMSG;
                clean[n++] = (char) c;
        }
        if (n % 4 != 0)
                return -EBADMSG;
        if (n > (size_t) 1 << 30)
                return -EFBIG;
        if (dlopen_crypto() < 0)
                return -EOPNOTSUPP;
        out = xmalloc(n / 4 * 3 + 1);
        k = n ? sym_EVP_DecodeBlock((unsigned char *) out, (const unsigned char *) clean, (int) n) : 0;
        if (k < 0)
                return -EBADMSG;
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        *ret_len = (size_t) k - pad;
        out[*ret_len] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

int provider_gunzip_if_gzip(struct fetched_config *f)
{
        _cleanup_free_ char *out = NULL;
        size_t alloc = 64 * 1024, used = 0;
        z_stream z = {};
        int zr;

        if (!f->data || f->len < 2 || (unsigned char) f->data[0] != 0x1f || (unsigned char) f->data[1] != 0x8b)
                return 0;
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
                return log_error_errno(ENOMEM, "%s: cannot set up gunzip", f->source);
        out = xmalloc(alloc + 1);
        z.next_in = (unsigned char *) f->data;
        z.avail_in = (unsigned) f->len;
        do {
                if (used == alloc) {
                        if (alloc >= IG_CONFIG_MAX_SIZE) {
                                inflateEnd(&z);
                                return log_error_errno(EFBIG, "%s: the gzip'd config is larger than %u MiB once "
                                                       "decompressed", f->source, IG_CONFIG_MAX_SIZE >> 20);
                        }
                        alloc *= 2;
                        out = xrealloc(out, alloc + 1);
                }
                z.next_out = (unsigned char *) out + used;
                z.avail_out = (unsigned) (alloc - used);
                zr = inflate(&z, Z_NO_FLUSH);
                used = alloc - z.avail_out;
        } while (zr == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
        inflateEnd(&z);
        if (zr != Z_STREAM_END)
                return log_error_errno(EBADMSG, "%s: the data starts like gzip but does not decompress (%s)",
                                       f->source, z.msg ? z.msg : "truncated");
        if (z.avail_in > 0)
                return log_error_errno(EBADMSG, "%s: %u bytes of garbage after the gzip stream", f->source,
                                       z.avail_in);
        log_info("%s: gzip'd config, %zu bytes, %zu decompressed", f->source, f->len, used);
        out[used] = '\0';
        free(f->data);
        f->data = TAKE_PTR(out);
        f->len = used;
        return 0;
}

bool provider_is_cloud_init_data(const char *data, size_t len)
{
        static const char *const starts[] = { "#cloud-config", "#!", "#include", "#cloud-boothook",
                                              "Content-Type: multipart/" };

        for (size_t i = 0; i < ELEMENTSOF(starts); i++) {
                size_t n = strlen(starts[i]);
                if (len >= n && memcmp(data, starts[i], n) == 0)
                        return true;
        }
        return false;
}

bool provider_looks_like_html(const char *data, size_t len)
{
        size_t i = 0;

        while (i < len && data[i] && strchr(" \t\r\n", data[i]))
                i++;
        return len - i >= 5 && (strncasecmp(data + i, "<!doc", 5) == 0 || strncasecmp(data + i, "<html", 5) == 0);
}
