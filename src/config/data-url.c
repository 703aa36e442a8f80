/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 2397 data URLs, with the exact grammar of the Go library Ignition uses
 * (see data-url.h). The lexer below follows that library's state machine
 * state by state, including its quirks, so that the same URLs are accepted. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/dlopen-libs.h"

#include "ignis/cleanup.h"
#include "ignis/data-url.h"
#include "ignis/log.h"

#define END (-1)

struct lexer {
        const char *s;
        size_t len;
        size_t start;   /* start of the token being read */
        size_t pos;
        size_t width;   /* size of the last character read, for backup() */
};

struct parsed {
        bool base64;
        size_t mt_start, mt_end;        /* media type as written, without ";base64" */
        bool has_type;
        size_t data_start;
};

/* One character; bytes of multi-byte characters come back as values above
 * 127, which every rule treats like the non-ASCII character Go would see. */
static int next(struct lexer *l)
{
        if (l->pos >= l->len) {
                l->width = 0;
                return END;
        }
        l->width = 1;
        return (unsigned char) l->s[l->pos++];
}

static void backup(struct lexer *l)
{
        l->pos -= l->width;
}

static bool is_tspecial(int c)
{
        return c && strchr("()<>@,;:\\\"/[]?=", c);
}

static bool is_token(int c)
{
        return c >= 0 && c <= 127 && c > 0x20 && c != 0x7f && !is_tspecial(c);
}

static bool is_url_char(int c)
{
        return c > 0x20 && c < 0x7f && !strchr("<>#\"{}|\\^[]`", c);
}

static bool is_base64_char(int c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '+' || c == '/' || c == '=';
}

static bool is_hex(int c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int unhex(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return c - 'A' + 10;
}

static bool has_prefix_n(const char *s, size_t n, const char *prefix)
{
        size_t l = strlen(prefix);
        return n >= l && memcmp(s, prefix, l) == 0;
}

/* The library only knows the RFC 2045 discrete and composite types, and
 * compares prefixes ("textual/x" passes). */
static bool known_type(const char *s, size_t n)
{
        static const char *const types[] = {
                "text", "image", "audio", "video", "application", "message", "multipart",
        };
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (has_prefix_n(s, n, types[i]))
                        return true;
        return false;
}

/* Percent escapes: each '%' needs two hex digits; non-ASCII is refused. */
static int check_escapes(const char *s, size_t n, const char **why)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];
                if (c >= 0x80) {
                        *why = "non-ASCII character (percent-encode it)";
                        return -EINVAL;
                }
                if (c != '%')
                        continue;
                if (i + 2 >= n) {
                        *why = "'%' at the end is not followed by two hex digits";
                        return -EINVAL;
                }
                if (!is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
                        *why = "'%' is not followed by two hex digits";
                        return -EINVAL;
                }
                i += 2;
        }
        return 0;
}

/* A quoted parameter value is unquoted with Go's rules for double-quoted
 * string literals: no raw newline, and only Go's escape sequences. */
static int check_go_quoted(const char *s, size_t n, const char **why)
{
        for (size_t i = 0; i < n; i++) {
                size_t digits = 0;
                uint32_t v = 0;

                if (s[i] == '\n')
                        goto bad;
                if (s[i] != '\\')
                        continue;
                if (++i >= n)
                        goto bad;
                switch (s[i]) {
                case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v':
                case '\\': case '"':
                        continue;
                case 'x':
                        digits = 2;
                        break;
                case 'u':
                        digits = 4;
                        break;
                case 'U':
                        digits = 8;
                        break;
                case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
                        if (i + 2 >= n)
                                goto bad;
                        for (size_t k = 0; k < 3; k++) {
                                if (s[i + k] < '0' || s[i + k] > '7')
                                        goto bad;
                                v = v * 8 + (s[i + k] - '0');
                        }
                        if (v > 255)
                                goto bad;
                        i += 2;
                        continue;
                default:
                        goto bad;
                }
                for (size_t k = 1; k <= digits; k++) {
                        if (i + k >= n || !is_hex(s[i + k]))
                                goto bad;
                        v = v * 16 + unhex(s[i + k]);
                }
                if (s[i] != 'x' && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)))
                        goto bad;
                i += digits;
        }
        return 0;
bad:
        *why = "invalid escape sequence or newline in quoted parameter value";
        return -EINVAL;
}

/* Base64 exactly as Go's padded standard encoding accepts it: full
 * four-character groups, '=' only as "xx==" or "xxx=" at the very end. */
static int check_base64(const char *s, size_t n, size_t *pad, const char **why)
{
        *pad = 0;
        if (n % 4 != 0) {
                *why = "base64 data must be padded with '=' to a multiple of 4 characters";
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '=')
                        continue;
                /* the first '=' must sit in the last group, at its 3rd or 4th place,
                 * and everything after it must be '=' too */
                if (i + 2 < n || i % 4 < 2 || (i % 4 == 2 && s[i + 1] != '=')) {
                        *why = "misplaced '=' padding in base64 data";
                        return -EINVAL;
                }
                *pad = n - i;
                break;
        }
        return 0;
}

static int lex(const char *url, struct parsed *p, const char **why)
{
        struct lexer l = { .s = url, .len = strlen(url) };
        bool seen_base64 = false;
        int c;

        *p = (struct parsed) {};
        if (strncmp(url, "data:", 5) != 0) {
                *why = "missing \"data:\" prefix (it is case-sensitive)";
                return -EINVAL;
        }
        l.pos = l.start = 5;
        p->mt_start = p->mt_end = 5;

        /* after "data:": a media type, parameters or the comma */
        c = next(&l);
        if (c == ';' || c == ',') {
                backup(&l);
                goto param_or_comma;
        }
        if (c == END) {
                *why = "missing comma before data";
                return -EINVAL;
        }
        if (c == 'x' || c == 'X') {
                if (next(&l) == '-') {
                        /* "x-" extension type: any token */
                        for (;;) {
                                c = next(&l);
                                if (c == '/')
                                        break;
                                if (c == END) {
                                        *why = "media type has no '/'";
                                        return -EINVAL;
                                }
                                if (!is_token(c)) {
                                        *why = "invalid character in media type";
                                        return -EINVAL;
                                }
                        }
                        goto subtype;
                }
                /* like the library, go on with the character already eaten */
        } else if (!is_token(c)) {
                *why = "invalid character after \"data:\"";
                return -EINVAL;
        }
        for (;;) {
                c = next(&l);
                if (c == '/') {
                        if (!known_type(url + l.start, l.pos - 1 - l.start)) {
                                *why = "invalid media type (must be text, image, audio, video, application, message, multipart or x-...)";
                                return -EINVAL;
                        }
                        break;
                }
                if (c == END) {
                        *why = "media type has no '/'";
                        return -EINVAL;
                }
                if (!is_token(c)) {
                        *why = "invalid character in media type";
                        return -EINVAL;
                }
        }

subtype:
        p->has_type = true;
        for (;;) {
                c = next(&l);
                if (c == ';' || c == ',') {
                        backup(&l);
                        break;
                }
                if (c == END) {
                        *why = "incomplete media type (missing comma before data)";
                        return -EINVAL;
                }
                if (!is_token(c)) {
                        *why = "invalid character in media subtype";
                        return -EINVAL;
                }
        }

param_or_comma:
        /* here the next character is ';' or ',' */
        for (;;) {
                p->mt_end = l.pos;
                c = next(&l);
                if (c == ',')
                        break;
                if (c != ';') {
                        *why = c == END ? "missing comma before data" : "expected ';' or ',' after a parameter";
                        return -EINVAL;
                }

                /* parameter attribute, or "base64" right before the comma */
                l.start = l.pos;
                c = next(&l);
                if (c == END || c == '=' || c == ',') {
                        *why = "unterminated parameter (expected attribute=value or base64)";
                        return -EINVAL;
                }
                if (!is_token(c)) {
                        *why = "invalid character in parameter name";
                        return -EINVAL;
                }
                for (;;) {
                        c = next(&l);
                        if (c == '=' || c == ',')
                                break;
                        if (c == END) {
                                *why = "unterminated parameter (missing comma before data)";
                                return -EINVAL;
                        }
                        if (!is_token(c)) {
                                *why = "invalid character in parameter name";
                                return -EINVAL;
                        }
                }
                if (c == ',') {
                        if (l.pos - 1 - l.start != 6 || memcmp(url + l.start, "base64", 6) != 0) {
                                *why = "a parameter without value must be \"base64\" (lower case) and come last";
                                return -EINVAL;
                        }
                        seen_base64 = true;
                        break;
                }

                /* the value: a token or a quoted string */
                l.start = l.pos;
                c = next(&l);
                if (c == '"') {
                        l.start = l.pos;
                        for (;;) {
                                c = next(&l);
                                if (c == END) {
                                        *why = "unclosed quoted string in parameter value";
                                        return -EINVAL;
                                }
                                if (c == '\\') {
                                        c = next(&l);
                                        if (c > 127) {
                                                *why = "invalid escaped character in parameter value";
                                                return -EINVAL;
                                        }
                                        if (c == END) {
                                                *why = "unclosed quoted string in parameter value";
                                                return -EINVAL;
                                        }
                                        continue;
                                }
                                if (c == '"')
                                        break;
                                if (c > 127) {
                                        *why = "invalid character in parameter value";
                                        return -EINVAL;
                                }
                        }
                        if (check_go_quoted(url + l.start, l.pos - 1 - l.start, why) < 0)
                                return -EINVAL;
                        c = next(&l);
                        backup(&l);
                        if (c != ';' && c != ',') {
                                *why = c == END ? "missing comma before data" : "expected ';' or ',' after a parameter";
                                return -EINVAL;
                        }
                        continue;
                }
                if (c == END) {
                        *why = "missing comma before data";
                        return -EINVAL;
                }
                if (!is_token(c)) {
                        *why = "invalid character in parameter value";
                        return -EINVAL;
                }
                for (;;) {
                        c = next(&l);
                        if (c == ';' || c == ',') {
                                backup(&l);
                                break;
                        }
                        if (c == END) {
                                *why = "missing comma before data";
                                return -EINVAL;
                        }
                        if (!is_token(c)) {
                                *why = "invalid character in parameter value";
                                return -EINVAL;
                        }
                }
                if (check_escapes(url + l.start, l.pos - l.start, why) < 0)
                        return -EINVAL;
        }

        p->base64 = seen_base64;
        if (!seen_base64)
                p->mt_end = l.pos - 1;
        p->data_start = l.pos;
        for (size_t i = l.pos; i < l.len; i++) {
                c = (unsigned char) url[i];
                if (seen_base64 ? !is_base64_char(c) : !is_url_char(c)) {
                        *why = seen_base64 ? "invalid character in base64 data (whitespace is not allowed)"
                                           : "invalid character in data (percent-encode it)";
                        return -EINVAL;
                }
        }
        return 0;
}

static int parse(const char *url, struct parsed *p, size_t *pad, const char **why)
{
        const char *data;
        size_t n;
        int r;

        r = lex(url, p, why);
        if (r < 0)
                return r;
        data = url + p->data_start;
        n = strlen(data);
        if (p->base64)
                return check_base64(data, n, pad, why);
        *pad = 0;
        return check_escapes(data, n, why);
}

int ig_data_url_check_why(const char *url, const char **why)
{
        const char *dummy;
        struct parsed p;
        size_t pad;

        return parse(url, &p, &pad, why ?: &dummy);
}

int ig_data_url_check(const char *url)
{
        return ig_data_url_check_why(url, NULL);
}

static char *make_mediatype(const char *url, const struct parsed *p)
{
        const char *mt = url + p->mt_start;
        size_t n = p->mt_end - p->mt_start;

        if (p->has_type)
                return xstrndup(mt, n);
        /* only parameters (or nothing): the type defaults to text/plain, and
         * the charset to US-ASCII unless one is given */
        if (n == 0)
                return xstrdup("text/plain;charset=US-ASCII");
        return xasprintf("text/plain%.*s", (int) n, mt);
}

int ig_data_url_decode(const char *url, unsigned char **out, size_t *out_len, char **mediatype)
{
        _cleanup_free_ unsigned char *buf = NULL;
        const char *why, *data;
        struct parsed p;
        size_t n, pad, len = 0;
        int r;

        r = parse(url, &p, &pad, &why);
        if (r < 0)
                return r;
        data = url + p.data_start;
        n = strlen(data);

        if (p.base64) {
                if (dlopen_crypto() < 0)
                        return -EOPNOTSUPP;
                buf = xmalloc(n / 4 * 3 + 1);
                if (n > 0) {
                        /* EVP_DecodeBlock takes an int length; decode in groups that fit */
                        for (size_t off = 0; off < n;) {
                                size_t chunk = n - off > (1u << 28) ? (1u << 28) : n - off;
                                int k = sym_EVP_DecodeBlock(buf + len, (const unsigned char *) data + off, (int) chunk);
                                if (k < 0)
                                        return -EINVAL;
                                len += (size_t) k;
                                off += chunk;
                        }
                        /* EVP_DecodeBlock counts padding as zero bytes */
                        len -= pad;
                }
        } else {
                buf = xmalloc(n + 1);
                for (size_t i = 0; i < n; i++) {
                        if (data[i] == '%') {
                                buf[len++] = (unsigned char) (unhex(data[i + 1]) << 4 | unhex(data[i + 2]));
                                i += 2;
                        } else
                                buf[len++] = (unsigned char) data[i];
                }
        }
        buf[len] = 0;

        if (mediatype)
                *mediatype = make_mediatype(url, &p);
        *out_len = len;
        *out = TAKE_PTR(buf);
        return 0;
}
