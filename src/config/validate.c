/* SPDX-License-Identifier: Apache-2.0 */
/* Config validation: the entry point, the ignition section, resources and
 * hashes, and helpers shared by the other validate-*.c files.
 *
 * The rules are Ignition's (the Go types of each config/v3_N version and
 * the duplicate checks of config/validate), for the spec version the
 * document declared: a config
 * Ignition rejects gets at least one error here, and a config it accepts gets
 * none, except for the few ignis-specific errors marked as such. Things that
 * Ignition accepts but that will fail or surprise at runtime are warnings.
 * Every rule runs; nothing stops at the first finding. */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/log.h"
#include "validate-internal.h"

void v_report(struct vctx *v, enum ig_severity sev, struct vloc at, const char *field, const char *fmt, ...)
{
        _cleanup_free_ char *suffix = NULL;
        va_list ap;

        if (at.prefix && *at.prefix && field && *field)
                suffix = xasprintf("%s%s%s", at.prefix, field[0] == '[' ? "" : ".", field);
        else
                suffix = xstrdup(at.prefix && *at.prefix ? at.prefix : field ? field : "");

        va_start(ap, fmt);
        ig_diag_addv(v->d, sev, at.node, suffix, fmt, ap);
        va_end(ap);
}

/* ---- paths ---- */

char *v_path_clean(const char *p)
{
        size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
        bool rooted;
        char *out;

        if (n == 0)
                return xstrdup(".");
        rooted = p[0] == '/';
        out = xmalloc(n + 2);
        if (rooted) {
                out[w++] = '/';
                r = dotdot = 1;
        }
        while (r < n) {
                if (p[r] == '/')
                        r++;
                else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))
                        r++;
                else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
                        r += 2;
                        if (w > dotdot) {
                                w--;
                                while (w > dotdot && out[w] != '/')
                                        w--;
                        } else if (!rooted) {
                                if (w > 0)
                                        out[w++] = '/';
                                out[w++] = '.';
                                out[w++] = '.';
                                dotdot = w;
                        }
                } else {
                        if ((rooted && w != 1) || (!rooted && w != 0))
                                out[w++] = '/';
                        while (r < n && p[r] != '/')
                                out[w++] = p[r++];
                }
        }
        if (w == 0)
                out[w++] = '.';
        out[w] = 0;
        return out;
}

bool v_check_path(struct vctx *v, struct vloc at, const char *field, const char *p)
{
        _cleanup_free_ char *clean = NULL;

        if (!p || !*p) {
                v_error(v, at, field, "an absolute path is required here");
                return false;
        }
        if (p[0] != '/') {
                v_error(v, at, field, "path must be absolute (start with '/'): \"%s\"", p);
                return false;
        }
        clean = v_path_clean(p);
        if (strcmp(clean, p) != 0) {
                v_error(v, at, field, "path is not clean (no \"//\", \".\", \"..\" or trailing '/'): use \"%s\"", clean);
                return false;
        }
        return true;
}

void v_check_mode(struct vctx *v, struct vloc at, struct ig_int mode)
{
        if (!mode.set)
                return;
        if (mode.v < 0 || mode.v > 07777) {
                v_error(v, at, "mode",
                        "mode %lld is out of range (0 to 07777 octal; note: mode is written in decimal, e.g. 420 for 0644)",
                        (long long) mode.v);
                return;
        }
        /* Before 3.6.0 Ignition warns and the translation to newer specs
         * drops these bits, so that old configs keep their old meaning. */
        if ((mode.v & 07000) && v->spec < IG_SPEC_3_6_0)
                v_warn(v, at, "mode",
                       "setuid/setgid/sticky bits (mode %lld = 0%llo octal) are ignored before spec 3.6.0 and will be dropped; use spec 3.6.0 or newer to apply them",
                       (long long) mode.v, (unsigned long long) mode.v);
}

/* ---- duplicate detection: an open-addressing hash set of strings ---- */

static uint64_t hash_n(const char *s, size_t n)
{
        uint64_t h = VSET_HASH_INIT;

        for (size_t i = 0; i < n; i++)
                h = vset_hash_byte(h, s[i]);
        return h;
}

void vset_free(struct vset *s)
{
        free(s->v);
        *s = (struct vset) {};
}

static void vset_grow(struct vset *s)
{
        struct vset_entry *old = s->v;
        size_t old_alloc = s->alloc;

        s->alloc = s->alloc ? s->alloc * 2 : 64;
        s->v = xcalloc(s->alloc, sizeof(*s->v));
        for (size_t i = 0; i < old_alloc; i++) {
                size_t j;
                if (!old[i].key)
                        continue;
                j = old[i].hash & (s->alloc - 1);
                while (s->v[j].key)
                        j = (j + 1) & (s->alloc - 1);
                s->v[j] = old[i];
        }
        free(old);
}

const struct vset_entry *vset_find_nh(const struct vset *s, const char *key, size_t len, uint64_t hash)
{
        size_t j;

        if (!s->alloc)
                return NULL;
        j = hash & (s->alloc - 1);
        while (s->v[j].key) {
                if (s->v[j].hash == hash && strncmp(s->v[j].key, key, len) == 0 && s->v[j].key[len] == 0)
                        return &s->v[j];
                j = (j + 1) & (s->alloc - 1);
        }
        return NULL;
}

const struct vset_entry *vset_find_n(const struct vset *s, const char *key, size_t len)
{
        return vset_find_nh(s, key, len, hash_n(key, len));
}

const struct vset_entry *vset_find(const struct vset *s, const char *key)
{
        return vset_find_n(s, key, strlen(key));
}

const struct vset_entry *vset_add(struct vset *s, const char *key, const char *list, size_t index, int kind)
{
        size_t len = strlen(key), j;
        uint64_t h = hash_n(key, len);
        const struct vset_entry *e = vset_find_nh(s, key, len, h);

        if (e)
                return e;
        if ((s->n + 1) * 2 > s->alloc)
                vset_grow(s);
        j = h & (s->alloc - 1);
        while (s->v[j].key)
                j = (j + 1) & (s->alloc - 1);
        s->v[j] = (struct vset_entry) { .key = key, .hash = h, .list = list, .index = index, .kind = kind };
        s->n++;
        return NULL;
}

/* ---- duplicates in string lists, by sorting ----
 *
 * A list of millions of strings (kernel arguments, SSH keys) would cost a
 * hash set several times its own size; sorted references cost 16 bytes an
 * entry. */

struct str_ref {
        const char *s;
        uint32_t list, index;
};

static int cmp_str_ref(const void *a, const void *b)
{
        const struct str_ref *x = a, *y = b;
        int c = strcmp(x->s, y->s);

        if (c)
                return c;
        if (x->list != y->list)
                return x->list < y->list ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

void v_find_dups(const struct ig_strv *const *lists, size_t n_lists,
                 void (*report)(struct vctx *v, void *ud, size_t list, size_t index, size_t first_list, size_t first_index),
                 struct vctx *v, void *ud)
{
        _cleanup_free_ struct str_ref *r = NULL;
        size_t n = 0, total = 0;

        for (size_t l = 0; l < n_lists; l++)
                total += lists[l]->n;
        if (total < 2)
                return;
        r = xmalloc(total * sizeof(*r));
        for (size_t l = 0; l < n_lists; l++)
                for (size_t i = 0; i < lists[l]->n; i++)
                        if (lists[l]->v[i])
                                r[n++] = (struct str_ref) { lists[l]->v[i], (uint32_t) l, (uint32_t) i };
        qsort(r, n, sizeof(*r), cmp_str_ref);
        for (size_t i = 1, first = 0; i < n; i++) {
                if (strcmp(r[i].s, r[first].s) != 0) {
                        first = i;
                        continue;
                }
                report(v, ud, r[i].list, r[i].index, r[first].list, r[first].index);
        }
}

struct strv_dups {
        uint32_t node;
        const char *field;
        const struct ig_strv *l;
};

static void report_strv_dup(struct vctx *v, void *ud, size_t list, size_t index, size_t first_list, size_t first_index)
{
        const struct strv_dups *s = ud;
        _cleanup_free_ char *sfx = xasprintf("%s[%zu]", s->field, index);

        v_error(v, vloc_node(s->node), sfx, "duplicate entry: \"%s\" is already listed at %s[%zu]",
                s->l->v[index], s->field, first_index);
}

void v_check_strv_dups(struct vctx *v, uint32_t node, const char *field, const struct ig_strv *l)
{
        struct strv_dups s = { node, field, l };

        v_find_dups(&l, 1, report_strv_dup, v, &s);
}

/* ---- resources ---- */

static bool all_hex(const char *s)
{
        for (; *s; s++)
                if (!strchr("0123456789abcdefABCDEF", *s))
                        return false;
        return true;
}

static bool has_upper(const char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'F')
                        return true;
        return false;
}

static void check_hash(struct vctx *v, const struct ig_resource *res, struct vloc at, enum vres_kind kind)
{
        const char *hash = res->verification.hash, *dash, *sum;
        _cleanup_free_ char *fn = NULL, *vprefix = NULL;
        struct vloc vat;
        size_t want;

        if (!hash)
                return;
        if (res->verification.node != IG_NODE_NONE)
                vat = vloc_node(res->verification.node);
        else {
                vprefix = *at.prefix ? xasprintf("%s.verification", at.prefix) : xstrdup("verification");
                vat = (struct vloc) { at.node, vprefix };
        }

        dash = strchr(hash, '-');
        if (!dash) {
                v_error(v, vat, "hash", "malformed hash \"%s\": expected <function>-<hex digest>, e.g. sha512-<128 hex digits>", hash);
                return;
        }
        fn = xstrndup(hash, dash - hash);
        sum = dash + 1;
        if (strcmp(fn, "sha512") == 0)
                want = 128;
        else if (strcmp(fn, "sha256") == 0 && v->spec >= IG_SPEC_3_1_0)
                want = 64;
        else if (strcmp(fn, "sha256") == 0) {
                v_error(v, vat, "hash", "sha256 hashes need spec 3.1.0 or newer (use sha512)");
                return;
        } else {
                v_error(v, vat, "hash", "unrecognized hash function \"%s\" (use %s)", fn,
                        v->spec >= IG_SPEC_3_1_0 ? "sha512 or sha256" : "sha512");
                return;
        }
        if (strlen(sum) != want) {
                v_error(v, vat, "hash", "%s digest must be %zu hex digits, not %zu", fn, want, strlen(sum));
                return;
        }
        /* Ignition only checks the length; anything else fails at runtime. */
        if (!all_hex(sum))
                v_warn(v, vat, "hash", "digest is not hexadecimal: verification will fail");
        else if (has_upper(sum) && (kind == VRES_CONFIG_MERGE || kind == VRES_CONFIG_REPLACE))
                v_warn(v, vat, "hash",
                       "upper-case digest: Ignition compares referenced configs' digests as lower-case text, so verification will fail (use lower case)");
}

static bool source_required(const struct vctx *v, enum vres_kind kind)
{
        if (kind == VRES_CA)
                return true;
        return kind == VRES_CONFIG_MERGE && v->spec >= IG_SPEC_3_1_0;
}

static void check_headers(struct vctx *v, const struct ig_resource *res, struct vloc at)
{
        _cleanup_(vset_free) struct vset names = {};

        for (size_t i = 0; i < res->http_headers.n; i++) {
                const struct ig_http_header *h = &res->http_headers.v[i];
                _cleanup_free_ char *hp = *at.prefix ? xasprintf("%s.httpHeaders[%zu]", at.prefix, i)
                                                     : xasprintf("httpHeaders[%zu]", i);
                struct vloc hat = vloc_of(h->node, at.node, hp);
                const struct vset_entry *e;

                if (!v_nonempty(h->name))
                        v_error(v, hat, "name", "header name must not be empty");
                /* no value at all is fine: it removes a parent config's header */
                if (h->value && !*h->value)
                        v_error(v, hat, "value",
                                "header value must not be empty (leave value out to remove a header of a parent config)");
                e = vset_add(&names, h->name ?: "", "httpHeaders", i, 0);
                if (e)
                        v_error(v, hat, NULL, "duplicate header \"%s\": already set by httpHeaders[%zu]",
                                h->name ?: "", e->index);
        }
}

void v_check_resource(struct vctx *v, const struct ig_resource *res, struct vloc at, enum vres_kind kind)
{
        const char *src = res->source, *scheme = NULL, *why;
        struct v_url u;
        char buf[32];

        if (!v_nonempty(src)) {
                if (source_required(v, kind))
                        v_error(v, at, "source", "source is required");
        } else if (v_check_url(v, at, "source", src) == 0 && v_url_parse(src, &u, &why) == 0)
                scheme = v_url_scheme(src, &u, buf, sizeof(buf));

        if (res->compression && *res->compression && strcmp(res->compression, "gzip") != 0)
                v_error(v, at, "compression", "invalid compression \"%s\" (only \"gzip\" is supported)",
                        res->compression);
        /* ignis: Ignition accepts this and then fails every fetch of it */
        else if (v_nonempty(res->compression) && scheme && (!strcmp(scheme, "s3") || !strcmp(scheme, "arn")))
                v_error(v, at, "compression",
                        "compression cannot be used with %s sources (Ignition fails at runtime): store the object uncompressed",
                        scheme);

        /* 3.0's config and CA references had no such rule */
        if (res->verification.hash && !src &&
            (v->spec >= IG_SPEC_3_1_0 || kind == VRES_FILE_CONTENTS || kind == VRES_FILE_APPEND)) {
                if (res->verification.node != IG_NODE_NONE)
                        v_error(v, vloc_node(res->verification.node), "hash", "verification needs a source to verify");
                else
                        v_error(v, at, "verification.hash", "verification needs a source to verify");
        }
        check_hash(v, res, at, kind);

        /* (an invalid source has been reported already) */
        if (res->http_headers.n > 0 && !v_nonempty(src))
                v_error(v, at, "httpHeaders", "httpHeaders need an http or https source");
        else if (res->http_headers.n > 0 && scheme && strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
                v_error(v, at, "httpHeaders", "httpHeaders can only be used with http or https sources, not \"%s\"",
                        scheme);
        check_headers(v, res, at);
}

/* Resources in a list keyed by source (merge, certificateAuthorities). */
static void check_resource_list(struct vctx *v, const struct ig_resource *list, size_t n, uint32_t parent,
                                const char *name, enum vres_kind kind)
{
        _cleanup_(vset_free) struct vset set = {};

        for (size_t i = 0; i < n; i++) {
                const struct ig_resource *res = &list[i];
                _cleanup_free_ char *p = xasprintf("%s[%zu]", name, i);
                struct vloc at = vloc_of(res->node, parent, p);
                const struct vset_entry *e;

                v_check_resource(v, res, at, kind);
                e = vset_add(&set, res->source ?: "", name, i, 0);
                if (e)
                        v_error(v, at, NULL, "duplicate entry: source \"%s\" is already listed at %s[%zu]",
                                res->source ?: "", name, e->index);
        }
}

/* ---- ignition section ---- */

static void check_proxy_url(struct vctx *v, uint32_t node, const char *field, const char *url, bool http_ok)
{
        char buf[32];
        const char *why, *scheme;
        int r;

        if (!url)
                return;
        r = v_check_http_url(url, &scheme, buf, sizeof(buf), &why);
        if (r == -EINVAL)
                v_error(v, vloc_node(node), field, "invalid proxy URL: %s", why);
        else if (r < 0)
                v_error(v, vloc_node(node), field, "proxy URL must be http or https, not \"%s\"", scheme);
        else if (!http_ok && strcmp(scheme, "http") == 0)
                v_warn(v, vloc_node(node), field, "plain-text http proxy used for https resources");
}

static void check_ignition(struct vctx *v)
{
        const struct ig_ignition *ign = &v->c->ignition;
        const struct ig_config_refs *refs = &ign->config;
        uint32_t inode = ign->node != IG_NODE_NONE ? ign->node : v->c->node;
        uint32_t cnode = refs->node != IG_NODE_NONE ? refs->node : inode;
        const struct ig_tls *tls = &ign->security.tls;
        uint32_t tnode = tls->node;

        check_resource_list(v, refs->merge.v, refs->merge.n, cnode, "merge", VRES_CONFIG_MERGE);
        v_check_resource(v, &refs->replace, vloc_of(refs->replace.node, cnode, "replace"), VRES_CONFIG_REPLACE);
        if (refs->replace.source && refs->merge.n > 0)
                v_warn(v, vloc_of(refs->replace.node, cnode, "replace"), "source",
                       "both replace and merge are set: the replacing config is used and the merge list is ignored");

        if (ign->timeouts.http_response_headers.set && ign->timeouts.http_response_headers.v < 0)
                v_warn(v, vloc_node(ign->timeouts.node), "httpResponseHeaders",
                       "negative timeout %lld (use 0 for no timeout)", (long long) ign->timeouts.http_response_headers.v);
        if (ign->timeouts.http_total.set && ign->timeouts.http_total.v < 0)
                v_warn(v, vloc_node(ign->timeouts.node), "httpTotal",
                       "negative timeout %lld (use 0 for no limit)", (long long) ign->timeouts.http_total.v);

        if (tnode == IG_NODE_NONE)
                tnode = ign->security.node != IG_NODE_NONE ? ign->security.node : inode;
        check_resource_list(v, tls->certificate_authorities.v, tls->certificate_authorities.n, tnode,
                            "certificateAuthorities", VRES_CA);

        check_proxy_url(v, ign->proxy.node, "httpProxy", ign->proxy.http_proxy, true);
        check_proxy_url(v, ign->proxy.node, "httpsProxy", ign->proxy.https_proxy, false);
        v_check_strv_dups(v, ign->proxy.node, "noProxy", &ign->proxy.no_proxy);
}

int ig_config_validate(const struct ig_config *c, struct ig_diags *d)
{
        struct vctx v = { .c = c, .d = d, .spec = c->spec };
        size_t errors_before = d->n_errors;

        check_ignition(&v);
        v_storage_devices(&v);
        v_storage_nodes(&v);
        v_systemd(&v);
        v_passwd(&v);
        v_kernel_arguments(&v);

        return d->n_errors > errors_before ? -EINVAL : 0;
}
