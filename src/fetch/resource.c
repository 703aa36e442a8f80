/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
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
#include "ignis/http.h"
#include "ignis/util.h"
#include "fetch-internal.h"

#define CHUNK (64 * 1024)

bool fetch_is_local(const struct ig_resource *r)
{
        return !r->source || !*r->source || strncasecmp(r->source, "data:", 5) == 0 ||
               strncasecmp(r->source, "file:", 5) == 0;
}

/* Where the decompressed bytes go: a file descriptor or a growing buffer. */
struct out {
        int fd;
        off_t start;                    /* where the body began in fd, for a restart */
        struct mem_sink mem;
        /* libcurl hands bodies over in 16 KiB pieces: gathered here into
         * fewer, larger writes (a 64 MiB file: 256 instead of 4096). */
        unsigned char *pending;
        size_t n_pending;
};

#define OUT_BATCH (256 * 1024)

static int out_flush(struct out *o)
{
        int r = 0;

        if (o->fd >= 0 && o->n_pending)
                r = loop_write(o->fd, o->pending, o->n_pending);
        o->n_pending = 0;
        return r;
}

static int out_write(struct out *o, const void *data, size_t len)
{
        int r;

        if (o->fd < 0)
                return mem_sink_write(&o->mem, data, len);
        if (len >= OUT_BATCH) {
                r = out_flush(o);
                return r < 0 ? r : loop_write(o->fd, data, len);
        }
        if (o->n_pending + len > OUT_BATCH) {
                r = out_flush(o);
                if (r < 0)
                        return r;
        }
        if (!o->pending)
                o->pending = xmalloc(OUT_BATCH);
        memcpy(o->pending + o->n_pending, data, len);
        o->n_pending += len;
        return 0;
}

static int out_restart(struct out *o)
{
        o->n_pending = 0;
        if (o->fd < 0)
                return mem_sink_restart(&o->mem);
        if (o->start < 0)
                return -ESPIPE;
        if (ftruncate(o->fd, o->start) < 0 || lseek(o->fd, o->start, SEEK_SET) < 0)
                return -errno;
        return 0;
}

/* The pipeline after the transport: optional gunzip, hash, output. */
struct pipeline {
        const char *what;               /* the entry and the URL, for messages */
        struct out *out;
        EVP_MD_CTX *md;
        const EVP_MD *md_type;
        z_stream z;
        bool gzip;
        bool z_done;
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
                return log_error_errno(r, "%s: larger than the limit of %zu bytes", p->what, p->out->mem.max);
        if (r < 0)
                return log_error_errno(r, "%s: write failed: %m", p->what);
        return 0;
}

static int pipeline_feed(void *userdata, const void *data, size_t len)
{
        struct pipeline *p = userdata;
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

/* A retried download starts over: output, gunzip and hash alike. */
static int pipeline_restart(void *userdata)
{
        struct pipeline *p = userdata;
        int r;

        if (p->gzip) {
                if (inflateReset(&p->z) != Z_OK)
                        return -EIO;
                p->z_done = false;
        }
        if (p->md && sym_EVP_DigestInit_ex(p->md, p->md_type, NULL) != 1)
                return -EIO;
        r = out_restart(p->out);
        return r;
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

static bool has_scheme(const char *url, const char *scheme)
{
        size_t l = strlen(scheme);
        return strncasecmp(url, scheme, l) == 0 && url[l] == ':';
}

static int transport(const struct fetch_settings *s, const struct ig_resource *res, struct pipeline *p,
                     const char *what, long budget_s)
{
        const struct fetch_request f = { .res = res, .url = res->source, .what = what, .settings = s,
                                         .budget_s = budget_s };
        const struct http_sink sink = { pipeline_feed, pipeline_restart, p };
        const char *url = res->source;

        if (!url || !*url)
                return 0;
        if (has_scheme(url, "data"))
                return transport_data(p, url);
        if (has_scheme(url, "http") || has_scheme(url, "https") || has_scheme(url, "tftp"))
                return transport_http(&f, &sink);
        if (has_scheme(url, "s3") || has_scheme(url, "arn"))
                return transport_s3(&f, &sink);
        if (has_scheme(url, "gs"))
                return transport_gs(&f, &sink);
        if (has_scheme(url, "file"))
                return transport_file(&f, &sink);
        {
                /* Names the URL scheme only: the rest may carry credentials. */
                const char *colon = strchr(url, ':');
                if (!colon)
                        return log_error_errno(EINVAL, "%s: the source is not a URL", what);
                return log_error_errno(EPROTONOSUPPORT, "%s: unsupported URL scheme \"%.*s\"", what,
                                       (int) (colon - url), url);
        }
}

static int fetch(const struct fetch_settings *s, const struct ig_resource *res, struct out *out, const char *what,
                 long budget_s)
{
        _cleanup_free_ char *shown = res->source && *res->source && !has_scheme(res->source, "data")
                                             ? url_for_message(res->source) : NULL;
        _cleanup_free_ char *label = shown ? xasprintf("%s %s", what, shown) : xstrdup(what);
        struct pipeline p = { .what = label, .out = out };
        unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
        size_t want_len = 0;
        unsigned got_len = 0;
        int r;

        if (res->verification.hash) {
                if (dlopen_crypto() < 0)
                        return log_error_errno(EOPNOTSUPP, "%s: cannot verify the hash without libcrypto", label);
                if (parse_hash(res->verification.hash, &p.md_type, want, &want_len) < 0)
                        return log_error_errno(EINVAL, "%s: unusable verification hash", label);
                p.md = sym_EVP_MD_CTX_new();
                if (!p.md || sym_EVP_DigestInit_ex(p.md, p.md_type, NULL) != 1) {
                        md_free(p.md);
                        return log_error_errno(ENOMEM, "%s: cannot set up the hash", label);
                }
        }
        if (res->compression && *res->compression) {
                if (strcmp(res->compression, "gzip") != 0) {
                        md_free(p.md);
                        return log_error_errno(EINVAL, "%s: unsupported compression \"%s\"", label,
                                               res->compression);
                }
                p.gzip = true;
                /* 16+MAX_WBITS: gzip framing only, as Ignition accepts. */
                if (inflateInit2(&p.z, 16 + MAX_WBITS) != Z_OK) {
                        md_free(p.md);
                        return log_error_errno(ENOMEM, "%s: cannot set up gunzip", label);
                }
        }

        r = transport(s ? s : fetch_settings_global(), res, &p, what, budget_s);
        if (r >= 0) {
                int e = out_flush(out);
                if (e < 0)
                        r = log_error_errno(e, "%s: write failed: %m", label);
        }

        if (r >= 0 && p.gzip && !p.z_done && res->source && *res->source)
                r = log_error_errno(EBADMSG, "%s: gzip data ends early (unexpected end of the stream)", label);
        if (r >= 0 && p.md) {
                if (sym_EVP_DigestFinal_ex(p.md, got, &got_len) != 1)
                        r = log_error_errno(EIO, "%s: hash computation failed", label);
                else if (got_len != want_len || memcmp(got, want, want_len) != 0) {
                        char gh[2 * EVP_MAX_MD_SIZE + 1], wh[2 * EVP_MAX_MD_SIZE + 1];
                        to_hex(got, got_len, gh);
                        to_hex(want, want_len, wh);
                        const char *fn = p.md_type == sym_EVP_sha512() ? "sha512" : "sha256";
                        r = log_error_errno(EBADMSG, "%s: hash verification failed: calculated %s-%s but the "
                                            "config expects %s-%s", label, fn, gh, fn, wh);
                }
        }
        if (p.gzip)
                inflateEnd(&p.z);
        md_free(p.md);
        return r;
}

int fetch_to_fd(const struct ig_resource *r, int fd, const char *what)
{
        struct out o = { .fd = fd, .start = lseek(fd, 0, SEEK_CUR) };
        int e;

        e = fetch(NULL, r, &o, what, 0);
        free(o.pending);
        return e;
}

static int fetch_memory(const struct fetch_settings *s, const struct ig_resource *r, const char *what, long budget_s,
                        size_t max, char **ret, size_t *ret_len)
{
        struct out o = { .fd = -1, .mem.max = max };
        int e;

        e = fetch(s, r, &o, what, budget_s);
        if (e < 0) {
                free(o.mem.buf);
                return e;
        }
        *ret = o.mem.buf ? o.mem.buf : xstrdup("");
        *ret_len = o.mem.len;
        return 0;
}

int resource_fetch_memory(const struct fetch_settings *s, const struct ig_resource *r, const char *what, size_t max,
                          char **ret, size_t *ret_len)
{
        return fetch_memory(s, r, what, 0, max, ret, ret_len);
}

int fetch_to_memory(const struct ig_resource *r, const char *what, size_t max, char **ret, size_t *ret_len)
{
        return fetch_memory(NULL, r, what, 0, max, ret, ret_len);
}

int fetch_to_memory_budget(const struct ig_resource *r, const char *what, long budget_s, size_t max, char **ret,
                           size_t *ret_len)
{
        return fetch_memory(NULL, r, what, budget_s, max, ret, ret_len);
}
