/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "schema.h"

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF):
 * json-c's own check lets overlong sequences through. Returns the offset
 * of the first bad byte, or len. */
static size_t utf8_invalid_at(const char *text, size_t len)
{
        const unsigned char *s = (const unsigned char *) text;
        size_t i = 0;

        while (i < len) {
                unsigned char c = s[i];
                size_t n;
                uint32_t cp, min;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        n = 1, cp = c & 0x1f, min = 0x80;
                else if (c >= 0xe0 && c <= 0xef)
                        n = 2, cp = c & 0x0f, min = 0x800;
                else if (c >= 0xf0 && c <= 0xf4)
                        n = 3, cp = c & 0x07, min = 0x10000;
                else
                        return i;
                if (len - i <= n)
                        return i;
                for (size_t k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return i;
                i += n + 1;
        }
        return len;
}

static bool blank(const char *text, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (!strchr(" \t\r\n", text[i]))
                        return false;
        return true;
}

int ig_config_load(const char *text, size_t len, const struct ig_parse_options *opts,
                   struct ig_jindex *ix, struct ig_config *c, struct ig_diags *d)
{
        struct ig_jerror jerr;
        size_t bad, errors_before = d->n_errors;
        int r;

        /* The text is known from here on, so every diagnostic has a line:col. */
        *ix = (struct ig_jindex) { .text = text, .len = len };
        ig_desc_init(&ig_desc_config, c);
        if (len > IG_CONFIG_MAX_SIZE) {
                ig_diag_add_at(d, IG_SEV_ERROR, 0, "config is %zu bytes, larger than the limit of %u MiB",
                               len, IG_CONFIG_MAX_SIZE / (1024 * 1024));
                return -EINVAL;
        }
        if (blank(text, len)) {
                ig_diag_add_at(d, IG_SEV_ERROR, 0, "not a config: the document is empty");
                return -EINVAL;
        }
        if (memchr(text, '\0', len)) {
                /* JSON cannot contain a raw NUL; name its position. */
                ig_diag_add_at(d, IG_SEV_ERROR, (size_t) ((const char *) memchr(text, '\0', len) - text),
                               "invalid JSON: NUL byte in the document");
                return -EINVAL;
        }
        bad = utf8_invalid_at(text, len);
        if (bad < len) {
                ig_diag_add_at(d, IG_SEV_ERROR, bad, "invalid JSON: invalid UTF-8 (byte 0x%02x)",
                               (unsigned char) text[bad]);
                return -EINVAL;
        }
        r = ig_jindex_build(ix, text, len, &jerr);
        if (r < 0) {
                ig_diag_add_at(d, IG_SEV_ERROR, jerr.offset, "invalid JSON: %s", jerr.message);
                return r;
        }
        r = ig_config_parse(ix, opts, c, d);
        if (r < 0)
                return r;
        /* A value of the wrong type was left unset; validating now would only
         * add misleading follow-ups ("path is required"). Ignition stops at
         * type errors too. */
        if (d->n_errors > errors_before)
                return -EINVAL;
        if (opts && opts->cached)
                return 0;       /* validated and translated when written */
        r = ig_config_validate(c, d);
        if (d->n_errors > 0)
                return -EINVAL;
        ig_config_translate(c);
        return r;
}

int ig_config_load_report(const char *text, size_t len, const struct ig_parse_options *opts,
                          const char *name, struct ig_config *c)
{
        struct ig_jindex ix = {};
        struct ig_diags d = {};
        int r;

        r = ig_config_load(text, len, opts, &ix, c, &d);
        ig_diags_sort(&d, ix.nodes ? &ix : NULL);
        ig_diags_print(&d, name, ix.text ? &ix : NULL, stderr);
        ig_diags_free(&d);
        ig_jindex_free(&ix);
        return r;
}
