/* SPDX-License-Identifier: Apache-2.0 */
/* URL rules of the config: which URLs Ignition accepts (its validateURL()
 * for each spec version), with the same verdict.
 *
 * Ignition decides with Go's net/url.Parse, which is more lenient than
 * libcurl in a few places (empty hosts, ports above 65535, some characters
 * in host names, opaque "tftp:x" forms) and stricter in others (percent
 * escapes). So the verdict comes from a small re-implementation of the parts
 * of net/url.Parse that can fail, and libcurl's URL parser, which the fetch
 * code uses, only adds warnings about URLs that will not be fetchable. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/dlopen-libs.h"

#include "ignis/cleanup.h"
#include "ignis/data-url.h"
#include "ignis/log.h"
#include "validate-internal.h"

enum escape_mode {
        ESC_PATH,
        ESC_HOST,
        ESC_ZONE,
        ESC_USER,
        ESC_FRAGMENT,
        ESC_QUERY,
};

static bool is_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int unhex(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return c - 'A' + 10;
}

static bool is_alnum(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Go's shouldEscape() for host names: what may appear literally. */
static bool host_char_ok(unsigned char c)
{
        return is_alnum(c) || (c && strchr("-_.~!$&'()*+,;=:[]<>\"", c));
}

/* Go's unescape() as far as it can fail. */
static int check_unescape(const char *s, size_t n, enum escape_mode mode, const char **why)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];

                if (c == '%') {
                        if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
                                *why = "'%' is not followed by two hex digits (write a literal '%' as %25)";
                                return -EINVAL;
                        }
                        /* host names may only escape non-ASCII bytes, or "%25" */
                        if (mode == ESC_HOST && unhex(s[i + 1]) < 8 && strncmp(s + i, "%25", 3) != 0) {
                                *why = "percent-escaped ASCII character in host name";
                                return -EINVAL;
                        }
                        if (mode == ESC_ZONE) {
                                unsigned char b = (unsigned char) (unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
                                if (strncmp(s + i, "%25", 3) != 0 && b != ' ' && !host_char_ok(b)) {
                                        *why = "invalid percent-escape in IPv6 zone";
                                        return -EINVAL;
                                }
                        }
                        i += 2;
                } else if ((mode == ESC_HOST || mode == ESC_ZONE) && c < 0x80 && !host_char_ok(c)) {
                        *why = "invalid character in host name";
                        return -EINVAL;
                }
        }
        return 0;
}

static bool valid_optional_port(const char *p, size_t n)
{
        if (n == 0)
                return true;
        if (p[0] != ':')
                return false;
        for (size_t i = 1; i < n; i++)
                if (p[i] < '0' || p[i] > '9')
                        return false;
        return true;
}

static const char *memrchr_c(const char *s, size_t n, char c)
{
        return memrchr(s, c, n);
}

static int check_host(const char *h, size_t n, const char **why)
{
        if (n > 0 && h[0] == '[') {
                const char *close = memrchr_c(h, n, ']');
                const char *zone;
                size_t i;

                if (!close) {
                        *why = "missing ']' in host";
                        return -EINVAL;
                }
                i = close - h;
                if (!valid_optional_port(close + 1, n - i - 1)) {
                        *why = "invalid port after host (only digits are allowed)";
                        return -EINVAL;
                }
                zone = memmem(h, i, "%25", 3);
                if (zone) {
                        size_t z = zone - h;
                        if (check_unescape(h, z, ESC_HOST, why) < 0 ||
                            check_unescape(h + z, i - z, ESC_ZONE, why) < 0 ||
                            check_unescape(h + i, n - i, ESC_HOST, why) < 0)
                                return -EINVAL;
                        return 0;
                }
        } else {
                const char *colon = memrchr_c(h, n, ':');
                if (colon && !valid_optional_port(colon, n - (colon - h))) {
                        *why = "invalid port after host (only digits are allowed)";
                        return -EINVAL;
                }
        }
        return check_unescape(h, n, ESC_HOST, why);
}

static bool valid_userinfo(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];
                if (!is_alnum(c) && !(c && strchr("-._:~!$&'()*+,;=%@", c)))
                        return false;
        }
        return true;
}

int v_url_parse(const char *s, struct v_url *u, const char **why)
{
        size_t len = strlen(s), ulen, rest, rest_len;
        const char *hash, *q;

        *u = (struct v_url) {};
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
                        *why = "control character in URL";
                        return -EINVAL;
                }

        /* the fragment goes first, and only its escapes are checked */
        hash = strchr(s, '#');
        ulen = hash ? (size_t) (hash - s) : len;
        if (hash && check_unescape(hash + 1, len - ulen - 1, ESC_FRAGMENT, why) < 0)
                return -EINVAL;

        /* scheme: a letter, then letters, digits, '+', '-', '.', up to ':' */
        rest = 0;
        for (size_t i = 0; i < ulen; i++) {
                char c = s[i];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                        continue;
                if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
                        if (i == 0)
                                break;
                        continue;
                }
                if (c == ':') {
                        if (i == 0) {
                                *why = "missing scheme before ':'";
                                return -EINVAL;
                        }
                        u->scheme_len = i;
                        rest = i + 1;
                }
                break;
        }
        rest_len = ulen - rest;

        /* query: a lone trailing '?' is just dropped */
        q = memchr(s + rest, '?', rest_len);
        if (q) {
                size_t qi = q - s;
                if (qi == ulen - 1 && !memchr(s + qi + 1, '?', ulen - qi - 1)) {
                        rest_len = qi - rest;
                } else {
                        u->has_query = true;
                        u->query_off = qi + 1;
                        u->query_len = ulen - qi - 1;
                        rest_len = qi - rest;
                }
        }

        if (rest_len == 0 || s[rest] != '/') {
                if (u->scheme_len > 0) {
                        u->opaque = true;
                        u->opaque_off = rest;
                        u->opaque_len = rest_len;
                        return 0;
                }
                /* a relative reference whose first segment has a colon */
                const char *slash = memchr(s + rest, '/', rest_len);
                size_t seg = slash ? (size_t) (slash - (s + rest)) : rest_len;
                if (memchr(s + rest, ':', seg)) {
                        *why = "first path segment cannot contain ':'";
                        return -EINVAL;
                }
        }

        if (rest_len >= 2 && s[rest] == '/' && s[rest + 1] == '/' &&
            (u->scheme_len > 0 || !(rest_len >= 3 && s[rest + 2] == '/'))) {
                size_t a = rest + 2, alen = rest_len - 2;
                const char *slash = memchr(s + a, '/', alen);
                const char *at;

                if (slash)
                        alen = slash - (s + a);
                at = memrchr_c(s + a, alen, '@');
                u->has_authority = true;
                u->host_off = at ? (size_t) (at - s) + 1 : a;
                u->host_len = a + alen - u->host_off;
                if (check_host(s + u->host_off, u->host_len, why) < 0)
                        return -EINVAL;
                if (at) {
                        size_t ulen2 = at - (s + a);
                        if (!valid_userinfo(s + a, ulen2)) {
                                *why = "invalid character in user name or password";
                                return -EINVAL;
                        }
                        if (check_unescape(s + a, ulen2, ESC_USER, why) < 0)
                                return -EINVAL;
                }
                rest_len -= alen + 2;
                rest = a + alen;
        }

        return check_unescape(s + rest, rest_len, ESC_PATH, why);
}

const char *v_url_scheme(const char *s, const struct v_url *u, char *buf, size_t size)
{
        size_t n = u->scheme_len < size - 1 ? u->scheme_len : size - 1;

        for (size_t i = 0; i < n; i++)
                buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i];
        buf[n] = 0;
        return buf;
}

/* Go's QueryUnescape, only to compare the result with a plain key. */
static char *query_unescape(const char *s, size_t n)
{
        char *out = xmalloc(n + 1);
        size_t w = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%') {
                        if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
                                free(out);
                                return NULL;
                        }
                        out[w++] = (char) (unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
                        i += 2;
                } else
                        out[w++] = s[i] == '+' ? ' ' : s[i];
        }
        out[w] = 0;
        return out;
}

/* u.Query()["versionId"]: pairs with ';' or bad escapes are skipped, the
 * first value counts. Returns 1 with *empty set if present, 0 if not. */
static int query_version_id(const char *s, const struct v_url *u, bool *empty)
{
        const char *p = s + u->query_off, *end = p + u->query_len;

        if (!u->has_query)
                return 0;
        while (p < end) {
                const char *amp = memchr(p, '&', end - p), *pe = amp ?: end, *eq;
                _cleanup_free_ char *key = NULL, *val = NULL;

                if (pe > p && !memchr(p, ';', pe - p)) {
                        eq = memchr(p, '=', pe - p);
                        key = query_unescape(p, (eq ?: pe) - p);
                        val = eq ? query_unescape(eq + 1, pe - eq - 1) : xstrdup("");
                        if (key && val && strcmp(key, "versionId") == 0) {
                                *empty = !*val;
                                return 1;
                        }
                }
                p = amp ? amp + 1 : end;
        }
        return 0;
}

static size_t count_char(const char *s, size_t n, char c)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                k += s[i] == c;
        return k;
}

/* Ignition's ARN rules: "arn:" + the opaque part must have six ':'-separated
 * fields, service s3, and enough '/' for bucket/key or access point forms. */
static int check_arn(struct vctx *v, struct vloc at, const char *field, const char *s, const struct v_url *u)
{
        const char *op = u->opaque ? s + u->opaque_off : "";
        size_t n = u->opaque ? u->opaque_len : 0;
        const char *f[6];
        size_t flen[6], k = 0, slashes;
        _cleanup_free_ char *full = xasprintf("arn:%.*s", (int) n, op);
        const char *p = full, *resource;

        /* six fields; the last one takes the rest */
        while (k < 5) {
                const char *colon = strchr(p, ':');
                if (!colon)
                        break;
                f[k] = p;
                flen[k++] = colon - p;
                p = colon + 1;
        }
        if (k < 5) {
                v_error(v, at, field, "invalid S3 ARN: expected arn:<partition>:s3:<region>:<account>:<resource>");
                return -EINVAL;
        }
        f[5] = p;
        flen[5] = strlen(p);
        if (flen[2] != 2 || strncmp(f[2], "s3", 2) != 0) {
                v_error(v, at, field, "invalid S3 ARN: the service must be \"s3\", not \"%.*s\"", (int) flen[2], f[2]);
                return -EINVAL;
        }
        resource = f[5];
        slashes = count_char(full, strlen(full), '/');
        if (strncmp(resource, "accesspoint/", 12) == 0 && slashes < 2) {
                v_error(v, at, field, "invalid S3 access point ARN: expected accesspoint/<name>/object/<key>");
                return -EINVAL;
        } else if (slashes < 1) {
                v_error(v, at, field, "invalid S3 ARN: expected <bucket>/<key> or accesspoint/<name>/object/<key>");
                return -EINVAL;
        }

        /* What the fetcher will then insist on. */
        if (strncmp(resource, "accesspoint/", 12) == 0) {
                const char *name = resource + 12, *sl = strchr(name, '/');
                if (!sl || sl == name || strncmp(sl, "/object/", 8) != 0 || !sl[8])
                        v_warn(v, at, field, "S3 access point ARN will not be fetchable: expected accesspoint/<name>/object/<key>");
        } else {
                const char *sl = strchr(resource, '/');
                if (!sl || sl == resource || !sl[1])
                        v_warn(v, at, field, "S3 ARN will not be fetchable: expected <bucket>/<key> as resource");
        }
        return 0;
}

/* libcurl parses what the fetcher will request; complain (as a warning,
 * since Ignition accepts it) when it cannot. */
static void curl_check(struct vctx *v, struct vloc at, const char *field, const char *s, const char *scheme,
                       const struct v_url *u)
{
        CURLU *h;
        CURLUcode rc;

        if ((strcmp(scheme, "s3") == 0 || strcmp(scheme, "gs") == 0) && (!u->has_authority || u->host_len == 0)) {
                v_warn(v, at, field, "%s URL has no bucket name: expected %s://<bucket>/<object>", scheme, scheme);
                return;
        }
        /* Only a cross-check: without libcurl the config is still judged by
         * Ignition's own rules above. */
        if (dlopen_curl() < 0)
                return;
        h = sym_curl_url();
        if (!h)
                return;
        rc = sym_curl_url_set(h, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
        if (rc != CURLUE_OK)
                v_warn(v, at, field, "Ignition accepts this URL but libcurl cannot parse it (%s): fetching it will fail",
                       sym_curl_url_strerror(rc));
        sym_curl_url_cleanup(h);
}

static const char *supported_schemes(enum ig_spec spec)
{
        if (spec >= IG_SPEC_3_4_0)
                return "http, https, tftp, s3, arn, gs, data";
        if (spec >= IG_SPEC_3_2_0)
                return "http, https, tftp, s3, gs, data";
        return "http, https, tftp, s3, data";
}

int v_check_url(struct vctx *v, struct vloc at, const char *field, const char *s)
{
        struct v_url u;
        const char *why, *scheme;
        char buf[32];
        bool empty;

        if (v_url_parse(s, &u, &why) < 0) {
                v_error(v, at, field, "invalid URL: %s", why);
                return -EINVAL;
        }
        if (u.scheme_len >= sizeof(buf)) {
                v_error(v, at, field, "invalid URL scheme \"%.*s\" (supported: %s)", (int) u.scheme_len, s,
                        supported_schemes(v->spec));
                return -EINVAL;
        }
        scheme = v_url_scheme(s, &u, buf, sizeof(buf));

        if (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 || strcmp(scheme, "tftp") == 0) {
                curl_check(v, at, field, s, scheme, &u);
                return 0;
        }
        if (strcmp(scheme, "gs") == 0) {
                if (v->spec < IG_SPEC_3_2_0) {
                        v_error(v, at, field, "gs:// URLs need spec 3.2.0 or newer (supported here: %s)",
                                supported_schemes(v->spec));
                        return -EINVAL;
                }
                curl_check(v, at, field, s, scheme, &u);
                return 0;
        }
        if (strcmp(scheme, "s3") == 0) {
                if (query_version_id(s, &u, &empty) && empty) {
                        v_error(v, at, field, "versionId in the query must not be empty");
                        return -EINVAL;
                }
                curl_check(v, at, field, s, scheme, &u);
                return 0;
        }
        if (strcmp(scheme, "arn") == 0) {
                if (v->spec < IG_SPEC_3_4_0) {
                        v_error(v, at, field, "arn: URLs need spec 3.4.0 or newer (supported here: %s)",
                                supported_schemes(v->spec));
                        return -EINVAL;
                }
                if (check_arn(v, at, field, s, &u) < 0)
                        return -EINVAL;
                if (query_version_id(s, &u, &empty) && empty) {
                        v_error(v, at, field, "versionId in the query must not be empty");
                        return -EINVAL;
                }
                return 0;
        }
        if (strcmp(scheme, "data") == 0) {
                if (ig_data_url_check_why(s, &why) < 0) {
                        v_error(v, at, field, "invalid data URL: %s", why);
                        return -EINVAL;
                }
                return 0;
        }
        if (!*scheme)
                v_error(v, at, field, "URL has no scheme (supported: %s)", supported_schemes(v->spec));
        else
                v_error(v, at, field, "invalid URL scheme \"%s\" (supported: %s)", scheme, supported_schemes(v->spec));
        return -EINVAL;
}

int v_check_http_url(const char *s, const char **scheme_out, char *buf, size_t size, const char **why)
{
        struct v_url u;
        const char *scheme;

        *scheme_out = "";
        if (v_url_parse(s, &u, why) < 0)
                return -EINVAL;
        scheme = v_url_scheme(s, &u, buf, size);
        *scheme_out = scheme;
        if (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)
                return 0;
        return -EPROTO;
}
