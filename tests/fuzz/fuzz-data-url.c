/* SPDX-License-Identifier: Apache-2.0 */
/* The data: URL decoder on any string. Properties: decode, check and
 * check_why agree; a decoded payload is NUL-terminated and comes with a
 * media type; and any bytes, base64- or percent-encoded into a URL by the
 * rules data-url.h states, decode back to themselves. */

#include <errno.h>

#include "fuzz-common.h"
#include "ignis/data-url.h"

static char *base64_url(const uint8_t *p, size_t n)
{
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *prefix = "data:application/octet-stream;base64,";
        size_t plen = strlen(prefix);
        char *out = malloc(plen + (n + 2) / 3 * 4 + 1), *o;

        if (!out)
                abort();
        memcpy(out, prefix, plen);
        o = out + plen;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16 | (i + 1 < n ? (uint32_t) p[i + 1] << 8 : 0) |
                             (i + 2 < n ? p[i + 2] : 0);
                *o++ = tab[v >> 18 & 63];
                *o++ = tab[v >> 12 & 63];
                *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? tab[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

/* Printable ASCII that data-url.h allows raw stays raw; the rest is %XX. */
static char *percent_url(const uint8_t *p, size_t n)
{
        const char *prefix = "data:text/plain;charset=utf-8,";
        size_t plen = strlen(prefix);
        char *out = malloc(plen + 3 * n + 1), *o;

        if (!out)
                abort();
        memcpy(out, prefix, plen);
        o = out + plen;
        for (size_t i = 0; i < n; i++) {
                if (p[i] > 0x20 && p[i] < 0x7f && !strchr("<>#\"{}|\\^[]`%", p[i]))
                        *o++ = (char) p[i];
                else
                        o += sprintf(o, "%%%02X", p[i]);
        }
        *o = '\0';
        return out;
}

static void expect_roundtrip(const char *url, const uint8_t *data, size_t size, const char *how)
{
        unsigned char *out = NULL;
        size_t out_len = 0;
        int r = ig_data_url_decode(url, &out, &out_len, NULL);

        FUZZ_CHECK(r == 0, "%s: encoding of %zu bytes refused (%d)", how, size, r);
        FUZZ_CHECK(out_len == size && memcmp(out, data, size) == 0, "%s: %zu bytes decoded to %zu other bytes",
                   how, size, out_len);
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *url = fuzz_cstring(data, size), *b64, *pct;
        unsigned char *out = NULL;
        char *mediatype = NULL;
        const char *why = NULL;
        size_t out_len = 0;
        int r, rc, rw;

        r = ig_data_url_decode(url, &out, &out_len, &mediatype);
        rc = ig_data_url_check(url);
        rw = ig_data_url_check_why(url, &why);
        FUZZ_CHECK(r == 0 || r == -EINVAL, "decode returned %d", r);
        FUZZ_CHECK(r == rc && rc == rw, "decode %d, check %d, check_why %d disagree", r, rc, rw);
        if (r == 0) {
                FUZZ_CHECK(out && mediatype && out[out_len] == '\0', "decoded without payload or media type");
                FUZZ_CHECK(strncmp(url, "data:", 5) == 0, "accepted without the data: prefix");
        } else
                FUZZ_CHECK(why && *why, "refused without a reason");
        free(out);
        free(mediatype);

        b64 = base64_url(data, size);
        expect_roundtrip(b64, data, size, "base64");
        pct = percent_url(data, size);
        expect_roundtrip(pct, data, size, "percent");

        free(b64);
        free(pct);
        free(url);
        return 0;
}
