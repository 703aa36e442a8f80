/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ignis/dlopen-libs.h"
#include <zlib.h>

#include "ignis/cleanup.h"
#include "ignis/data-url.h"
#include "ignis/fetch.h"
#include "ignis/log.h"
#include "ignis/util.h"

#define CHUNK (64 * 1024)

bool fetch_is_local(const struct ig_resource *r)
{
        return !r->source || !*r->source || strncasecmp(r->source, "data:", 5) == 0;
}

/* Where the decompressed bytes go: a file descriptor or a growing buffer. */
struct out {
        int fd;
        char *buf;
        size_t len, alloc, max;
};

static int out_write(struct out *o, const void *data, size_t len)
{
        const char *p = data;

        if (o->fd < 0) {
                /* A small gzip stream can inflate to gigabytes. */
                if (o->max && o->len + len > o->max)
                        return -EFBIG;
                if (o->len + len + 1 > o->alloc) {
                        o->alloc = (o->len + len + 1) * 2;
                        o->buf = xrealloc(o->buf, o->alloc);
                }
                memcpy(o->buf + o->len, data, len);
                o->len += len;
                o->buf[o->len] = '\0';
                return 0;
        }
        return loop_write(o->fd, p, len);
}

/* The pipeline after the transport: optional gunzip, hash, output. */
struct pipeline {
        const char *what;
        struct out *out;
        EVP_MD_CTX *md;
        z_stream z;
        bool gzip;
        bool z_done;
        int error;
};

/* libcrypto is only loaded when a hash is asked for. */
static void md_free(EVP_MD_CTX *md)
{
        if (md)
                sym_EVP_MD_CTX_free(md);
}

static int emit(struct pipeline *p, const void *data, size_t len)
{
        if (p->md && sym_EVP_DigestUpdate(p->md, data, len) != 1)
                return -EIO;
        return out_write(p->out, data, len);
}

static int emit_logged(struct pipeline *p, const void *data, size_t len)
{
        int r = emit(p, data, len);

        if (r == -EFBIG)
                return log_error_errno(r, "%s: larger than the limit of %zu bytes", p->what, p->out->max);
        if (r < 0)
                return log_error_errno(r, "%s: write failed: %m", p->what);
        return 0;
}

static int pipeline_feed(struct pipeline *p, const void *data, size_t len)
{
        unsigned char buf[CHUNK];
        int r, e;

        if (!p->gzip)
                return emit_logged(p, data, len);
        if (p->z_done)
                return len ? log_error_errno(EBADMSG, "%s: trailing data after the gzip stream", p->what) : 0;

        p->z.next_in = (unsigned char *) data;
        p->z.avail_in = (uInt) len;
        do {
                p->z.next_out = buf;
                p->z.avail_out = sizeof(buf);
                r = inflate(&p->z, Z_NO_FLUSH);
                if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
                        return log_error_errno(EBADMSG, "%s: corrupt gzip data: %s", p->what,
                                               p->z.msg ? p->z.msg : "inflate failed");
                e = emit_logged(p, buf, sizeof(buf) - p->z.avail_out);
                if (e < 0)
                        return e;
                if (r == Z_STREAM_END) {
                        p->z_done = true;
                        if (p->z.avail_in)
                                return log_error_errno(EBADMSG, "%s: trailing data after the gzip stream", p->what);
                        break;
                }
        } while (p->z.avail_in > 0 || p->z.avail_out == 0);
        return 0;
}

static int parse_hash(const char *spec, const EVP_MD **md, unsigned char want[EVP_MAX_MD_SIZE], size_t *want_len)
{
        const char *dash = strchr(spec, '-');
        size_t hex_len;

        if (!dash)
                return -EINVAL;
        if ((size_t) (dash - spec) == 6 && strncmp(spec, "sha512", 6) == 0)
                *md = sym_EVP_sha512();
        else if ((size_t) (dash - spec) == 6 && strncmp(spec, "sha256", 6) == 0)
                *md = sym_EVP_sha256();
        else
                return -EINVAL;
        hex_len = strlen(dash + 1);
        if (hex_len != 2 * (size_t) sym_EVP_MD_get_size(*md))
                return -EINVAL;
        for (size_t i = 0; i < hex_len / 2; i++) {
                unsigned v;
                if (sscanf(dash + 1 + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                want[i] = (unsigned char) v;
        }
        *want_len = hex_len / 2;
        return 0;
}

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
        for (size_t i = 0; i < n; i++)
                sprintf(hex + 2 * i, "%02x", d[i]);
}

static int transport_data(struct pipeline *p, const char *url)
{
        _cleanup_free_ unsigned char *data = NULL;
        size_t len = 0;
        int r;

        r = ig_data_url_decode(url, &data, &len, NULL);
        if (r < 0)
                return log_error_errno(r, "%s: invalid data: URL", p->what);
        for (size_t off = 0; off < len; off += CHUNK) {
                r = pipeline_feed(p, data + off, len - off < CHUNK ? len - off : CHUNK);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int fetch(const struct ig_resource *res, struct out *out, const char *what)
{
        struct pipeline p = { .what = what, .out = out };
        const EVP_MD *md = NULL;
        unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
        size_t want_len = 0;
        unsigned got_len = 0;
        int r;

        if (res->verification.hash) {
                if (dlopen_crypto() < 0)
                        return log_error_errno(EOPNOTSUPP, "%s: cannot verify the hash without libcrypto", what);
                if (parse_hash(res->verification.hash, &md, want, &want_len) < 0)
                        return log_error_errno(EINVAL, "%s: unusable verification hash", what);
                p.md = sym_EVP_MD_CTX_new();
                if (!p.md || sym_EVP_DigestInit_ex(p.md, md, NULL) != 1) {
                        md_free(p.md);
                        return log_error_errno(ENOMEM, "%s: cannot set up the hash", what);
                }
        }
        if (res->compression && *res->compression) {
                if (strcmp(res->compression, "gzip") != 0) {
                        md_free(p.md);
                        return log_error_errno(EINVAL, "%s: unsupported compression \"%s\"", what, res->compression);
                }
                p.gzip = true;
                /* 16+MAX_WBITS: gzip framing only, as Ignition accepts. */
                if (inflateInit2(&p.z, 16 + MAX_WBITS) != Z_OK) {
                        md_free(p.md);
                        return log_error_errno(ENOMEM, "%s: cannot set up gunzip", what);
                }
        }

        if (!res->source || !*res->source)
                r = 0;
        else if (strncasecmp(res->source, "data:", 5) == 0)
                r = transport_data(&p, res->source);
        else {
                /* Names the URL scheme only: the rest may carry credentials. */
                const char *colon = strchr(res->source, ':');
                r = log_error_errno(EOPNOTSUPP, "%s: fetching %.*s: URLs is not supported yet", what,
                                    colon ? (int) (colon - res->source) : 0, res->source);
        }

        if (r >= 0 && p.gzip && !p.z_done && res->source && *res->source)
                r = log_error_errno(EBADMSG, "%s: gzip data ends early (unexpected end of the stream)", what);
        if (r >= 0 && p.md) {
                if (sym_EVP_DigestFinal_ex(p.md, got, &got_len) != 1)
                        r = log_error_errno(EIO, "%s: hash computation failed", what);
                else if (got_len != want_len || memcmp(got, want, want_len) != 0) {
                        char gh[2 * EVP_MAX_MD_SIZE + 1], wh[2 * EVP_MAX_MD_SIZE + 1];
                        to_hex(got, got_len, gh);
                        to_hex(want, want_len, wh);
                        const char *fn = md == sym_EVP_sha512() ? "sha512" : "sha256";
                        r = log_error_errno(EBADMSG, "%s: hash verification failed: calculated %s-%s but the "
                                            "config expects %s-%s", what, fn, gh, fn, wh);
                }
        }
        if (p.gzip)
                inflateEnd(&p.z);
        md_free(p.md);
        return r;
}

int fetch_to_fd(const struct ig_resource *r, int fd, const char *what)
{
        struct out o = { .fd = fd };

        return fetch(r, &o, what);
}

int fetch_to_memory(const struct ig_resource *r, const char *what, size_t max, char **ret, size_t *ret_len)
{
        struct out o = { .fd = -1, .max = max };
        int e;

        e = fetch(r, &o, what);
        if (e < 0) {
                free(o.buf);
                return e;
        }
        if (!o.buf)
                o.buf = xstrdup("");
        *ret = o.buf;
        *ret_len = o.len;
        return 0;
}

char *url_for_message(const char *url)
{
        size_t end = strcspn(url, "?#");
        const char *scheme_end = strstr(url, "://"), *at;

        if (scheme_end && (size_t) (scheme_end - url) < end) {
                const char *auth = scheme_end + 3;
                size_t auth_len = strcspn(auth, "/?#");
                at = memchr(auth, '@', auth_len);
                if (at)
                        return xasprintf("%.*s://%.*s", (int) (scheme_end - url),
                                         url, (int) (end - (size_t) (at + 1 - url)), at + 1);
        }
        return xstrndup(url, end);
}
