/* SPDX-License-Identifier: Apache-2.0 */
/* JSON → struct ig_config, driven by one table per spec object (schema.c).
 *
 * json-c parses the values; the positional index (json-index.c) supplies
 * positions and lets us hand json-c one large array element at a time: a
 * container smaller than MATERIALIZE_MAX is parsed by json-c in one go, a
 * larger one is walked member by member through the index. Peak memory is then
 * the text, the index and the result, not a json-c tree of the whole config. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "schema.h"

#define MATERIALIZE_MAX (64 * 1024)

struct pctx {
        struct ig_jindex *ix;
        const struct ig_parse_options *opts;
        struct ig_diags *d;
        enum ig_spec spec;
        json_tokener *tok;
};

/* A JSON value: its index node, and its json-c object when it has been
 * parsed (NULL for a large container that is walked through the index). */
struct jv {
        uint32_t node;
        json_object *obj;
        bool owned;
};

static const char *jtype_name(enum ig_jtype t)
{
        switch (t) {
        case IG_J_NULL: return "null";
        case IG_J_BOOL: return "a boolean";
        case IG_J_NUMBER: return "a number";
        case IG_J_STRING: return "a string";
        case IG_J_OBJECT: return "an object";
        case IG_J_ARRAY: return "an array";
        }
        return "a value";
}

static enum ig_jtype jtype(const struct pctx *p, uint32_t node)
{
        return ig_jindex_type(p->ix, node);
}

/* json-c 0.16 does not always report an allocation that failed inside it:
 * it drops the object member or array element it was adding, or cuts a
 * string short, and returns the rest as if complete. A config would then
 * lose a field (a password hash, a mode) without a word. So every value
 * json-c hands over is checked against the index, which it did not build:
 * same type, and for a string without escapes the same length. Members and
 * elements json-c lost are caught where they are looked up. */
static bool agrees(struct pctx *p, uint32_t node, json_object *o)
{
        const struct ig_jnode *n = &p->ix->nodes[node];
        enum json_type t = json_object_get_type(o);
        bool ok;

        switch (ig_jindex_type(p->ix, node)) {
        case IG_J_NULL: ok = t == json_type_null; break;
        case IG_J_BOOL: ok = t == json_type_boolean; break;
        case IG_J_NUMBER: ok = t == json_type_int || t == json_type_double; break;
        case IG_J_OBJECT: ok = t == json_type_object; break;
        case IG_J_ARRAY: ok = t == json_type_array; break;
        default:
                ok = t == json_type_string &&
                     (memchr(p->ix->text + n->start, '\\', n->end - n->start) ||
                      (size_t) json_object_get_string_len(o) == n->end - n->start - 2);
                break;
        }
        if (!ok)
                ig_diag_add(p->d, IG_SEV_ERROR, node, NULL,
                            "the JSON parser lost part of this value (out of memory?); nothing is used");
        return ok;
}

/* Runs json-c over the text of one value. Scalars are copied so json-c sees
 * their end (it cannot tell "12" from the start of "123" otherwise). */
static json_object *materialize(struct pctx *p, uint32_t node)
{
        const struct ig_jnode *n = &p->ix->nodes[node];
        const char *s = p->ix->text + n->start;
        size_t len = n->end - n->start;
        _cleanup_free_ char *copy = NULL;
        json_object *o;

        enum ig_jtype type = jtype(p, node);

        if (type != IG_J_OBJECT && type != IG_J_ARRAY && type != IG_J_STRING) {
                copy = xstrndup(s, len);
                s = copy;
                len++;  /* include the NUL: it ends the number or literal */
        }
        json_tokener_reset(p->tok);
        o = json_tokener_parse_ex(p->tok, s, (int) len);
        if (!o && json_tokener_get_error(p->tok) != json_tokener_success) {
                enum json_tokener_error e = json_tokener_get_error(p->tok);
                ig_diag_add_at(p->d, IG_SEV_ERROR, n->start + json_tokener_get_parse_end(p->tok),
                               "invalid JSON: %s", json_tokener_error_desc(e));
                return NULL;
        }
        if (o && !agrees(p, node, o)) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* The value of a child node, parsed or not depending on its size. */
static bool child_value(struct pctx *p, const struct jv *parent, uint32_t child,
                        json_object *from_parent, struct jv *out)
{
        const struct ig_jnode *n = &p->ix->nodes[child];

        *out = (struct jv) { .node = child };
        if (parent->obj) {
                out->obj = from_parent;
                return agrees(p, child, from_parent);
        }
        if ((jtype(p, child) == IG_J_OBJECT || jtype(p, child) == IG_J_ARRAY) && n->end - n->start > MATERIALIZE_MAX)
                return true;
        if (jtype(p, child) == IG_J_NULL)
                return true;
        out->obj = materialize(p, child);
        out->owned = true;
        return out->obj != NULL;
}

static void jv_release(struct jv *v)
{
        if (v->owned)
                json_object_put(v->obj);
        v->obj = NULL;
        v->owned = false;
}

static void type_error(struct pctx *p, uint32_t node, const char *want)
{
        ig_error(p->d, node, NULL, "expected %s, found %s", want, jtype_name(jtype(p, node)));
}

/* ---- scalars ---- */

static void set_string(struct pctx *p, const struct jv *v, char **dst)
{
        const char *s;
        int len;

        if (jtype(p, v->node) == IG_J_NULL) {
                free(*dst);
                *dst = NULL;
                return;
        }
        if (jtype(p, v->node) != IG_J_STRING || !v->obj) {
                if (v->obj || jtype(p, v->node) != IG_J_STRING)
                        type_error(p, v->node, "a string");
                return;
        }
        s = json_object_get_string(v->obj);
        len = json_object_get_string_len(v->obj);
        if (memchr(s, '\0', (size_t) len)) {
                ig_error(p->d, v->node, NULL, "string contains a NUL character (\\u0000)");
                return;
        }
        free(*dst);
        *dst = xstrndup(s, (size_t) len);
}

static void set_bool(struct pctx *p, const struct jv *v, struct ig_bool *dst)
{
        if (jtype(p, v->node) == IG_J_NULL) {
                *dst = (struct ig_bool) {};
                return;
        }
        if (jtype(p, v->node) != IG_J_BOOL || !v->obj) {
                type_error(p, v->node, "true or false");
                return;
        }
        *dst = (struct ig_bool) { .set = true, .v = json_object_get_boolean(v->obj) };
}

static void set_int(struct pctx *p, const struct jv *v, struct ig_int *dst)
{
        const struct ig_jnode *n = &p->ix->nodes[v->node];
        _cleanup_free_ char *text = NULL;
        char *end;
        long long x;

        if (jtype(p, v->node) == IG_J_NULL) {
                *dst = (struct ig_int) {};
                return;
        }
        if (jtype(p, v->node) != IG_J_NUMBER || !v->obj) {
                type_error(p, v->node, "an integer");
                return;
        }
        /* json-c clamps out-of-range integers; read the digits ourselves. */
        text = xstrndup(p->ix->text + n->start, n->end - n->start);
        if (!json_object_is_type(v->obj, json_type_int)) {
                ig_error(p->d, v->node, NULL, "expected an integer, found %s", text);
                return;
        }
        errno = 0;
        x = strtoll(text, &end, 10);
        if (errno == ERANGE || *end) {
                ig_error(p->d, v->node, NULL, "integer %s is out of range", text);
                return;
        }
        *dst = (struct ig_int) { .set = true, .v = x };
}

/* ---- keys ---- */

static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), row[64];

        if (lb >= ELEMENTSOF(row) || la >= 64)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0], tmp;
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t best = diag + (tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]));
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        tmp = row[j];
                        row[j] = best;
                        diag = tmp;
                }
        }
        return row[lb];
}

static enum ig_severity lenient(const struct pctx *p)
{
        return p->opts && p->opts->strict ? IG_SEV_ERROR : IG_SEV_WARNING;
}

static const struct ig_field *find_field(struct pctx *p, const struct ig_desc *desc, const char *key,
                                         uint32_t node)
{
        const struct ig_field *later = NULL, *guess = NULL;
        size_t best = SIZE_MAX;

        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                if (strcmp(f->key, key) == 0) {
                        if (f->since <= p->spec)
                                return f;
                        later = f;
                }
        }
        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                if (f->since <= p->spec && strcasecmp(f->key, key) == 0) {
                        /* Go's JSON decoder matches keys case-insensitively, so
                         * Ignition applies such a key; so do we, loudly. */
                        ig_diag_add_key(p->d, lenient(p), node,
                                    "key \"%s\" matches \"%s\" only when case is ignored; it is applied as \"%s\" "
                                    "(as Ignition does), did you mean \"%s\"?",
                                    key, f->key, f->key, f->key);
                        return f;
                }
        }

        if (later) {
                ig_diag_add_key(p->d, lenient(p), node,
                            "unknown key \"%s\" in %s: it exists from spec %s on, but this config is %s; it is ignored",
                            key, desc->what, ig_spec_name(later->since), ig_spec_name(p->spec));
                return NULL;
        }
        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                size_t dist = edit_distance(key, f->key);
                if (f->since <= p->spec && dist < best) {
                        best = dist;
                        guess = f;
                }
        }
        /* Close enough to be a typo: two edits, three in longer keys. */
        if (guess && best < strlen(key) && (best <= 2 || (best == 3 && strlen(key) >= 6)))
                ig_diag_add_key(p->d, lenient(p), node, "unknown key \"%s\" in %s is ignored; did you mean \"%s\"?",
                            key, desc->what, guess->key);
        else
                ig_diag_add_key(p->d, lenient(p), node, "unknown key \"%s\" in %s is ignored", key, desc->what);
        return NULL;
}

static int cmp_key_pos(const void *a, const void *b, void *arg)
{
        char **keys = arg;
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        int c = strcmp(keys[x], keys[y]);

        return c ? c : (x > y) - (x < y);
}

/* Marks members whose key appears again later in the same object: json-c and
 * Go both keep the last, and so do we — but we say so. Sorting keeps a
 * hostile object with 100,000 keys from costing n². */
static bool *later_duplicates(char **keys, size_t n)
{
        bool *dup = xcalloc(n, sizeof(bool));
        _cleanup_free_ size_t *order = NULL;

        if (n < 2)
                return dup;
        order = xmalloc(n * sizeof(size_t));
        for (size_t i = 0; i < n; i++)
                order[i] = i;
        qsort_r(order, n, sizeof(size_t), cmp_key_pos, keys);
        for (size_t i = 1; i < n; i++)
                if (strcmp(keys[order[i - 1]], keys[order[i]]) == 0)
                        dup[order[i - 1]] = true;
        return dup;
}

/* ---- containers ---- */

static void parse_object(struct pctx *p, const struct ig_desc *desc, const struct jv *v, void *out);

static void parse_value(struct pctx *p, const struct ig_field *f, const struct jv *v, void *dst);

/* Calls fn for each element of an array value. */
static void foreach_element(struct pctx *p, const struct jv *arr,
                            void (*fn)(struct pctx *p, const struct jv *elem, size_t i, void *userdata),
                            void *userdata)
{
        size_t i = 0;

        for (uint32_t c = ig_jindex_first_child(p->ix, arr->node); c != IG_NODE_NONE;
             c = p->ix->nodes[c].next_sibling, i++) {
                struct jv elem;
                json_object *from_parent = arr->obj ? json_object_array_get_idx(arr->obj, i) : NULL;

                if (!child_value(p, arr, c, from_parent, &elem))
                        continue;
                fn(p, &elem, i, userdata);
                jv_release(&elem);
        }
}

static size_t count_children(const struct pctx *p, uint32_t node)
{
        size_t n = 0;

        for (uint32_t c = ig_jindex_first_child(p->ix, node); c != IG_NODE_NONE; c = p->ix->nodes[c].next_sibling)
                n++;
        return n;
}

struct list_ctx {
        const struct ig_desc *desc;
        struct ig_list_raw *list;
};

static void list_element(struct pctx *p, const struct jv *elem, size_t i, void *userdata)
{
        struct list_ctx *lc = userdata;
        void *item = (char *) lc->list->v + i * lc->desc->size;

        /* Go decodes null into a zero-valued struct; the validator then
         * complains about whatever is required. Keep the slot, with its node. */
        if (jtype(p, elem->node) == IG_J_NULL) {
                IG_NODE_OF(item) = elem->node;
                return;
        }
        parse_object(p, lc->desc, elem, item);
}

static void parse_list(struct pctx *p, const struct ig_desc *desc, const struct jv *v, struct ig_list_raw *list)
{
        struct list_ctx lc = { .desc = desc, .list = list };
        size_t n;

        for (size_t j = 0; j < list->n; j++)
                ig_desc_free(desc, (char *) list->v + j * desc->size);
        free(list->v);
        *list = (struct ig_list_raw) {};

        if (jtype(p, v->node) == IG_J_NULL)
                return;
        if (jtype(p, v->node) != IG_J_ARRAY) {
                type_error(p, v->node, "an array");
                return;
        }
        n = count_children(p, v->node);
        if (n == 0)
                return;
        list->v = xmalloc(n * desc->size);
        list->n = n;
        for (size_t i = 0; i < n; i++)
                ig_desc_init(desc, (char *) list->v + i * desc->size);
        foreach_element(p, v, list_element, &lc);
}

static void strv_element(struct pctx *p, const struct jv *elem, size_t i, void *userdata)
{
        struct ig_strv *sv = userdata;

        if (jtype(p, elem->node) == IG_J_NULL) {
                /* Go turns null into "" in a []string; so do we, but say so. */
                ig_warn(p->d, elem->node, NULL, "null in a list of strings is read as \"\"");
                sv->v[i] = xstrdup("");
                return;
        }
        set_string(p, elem, &sv->v[i]);
        if (!sv->v[i])
                sv->v[i] = xstrdup("");
}

static void parse_strv(struct pctx *p, const struct jv *v, struct ig_strv *sv)
{
        size_t n;

        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        *sv = (struct ig_strv) {};

        if (jtype(p, v->node) == IG_J_NULL)
                return;
        if (jtype(p, v->node) != IG_J_ARRAY) {
                type_error(p, v->node, "an array of strings");
                return;
        }
        n = count_children(p, v->node);
        if (n == 0)
                return;
        sv->v = xcalloc(n, sizeof(char *));
        sv->n = n;
        foreach_element(p, v, strv_element, sv);
}

static void parse_value(struct pctx *p, const struct ig_field *f, const struct jv *v, void *dst)
{
        switch (f->kind) {
        case IG_F_STRING:
                set_string(p, v, dst);
                break;
        case IG_F_BOOL:
                set_bool(p, v, dst);
                break;
        case IG_F_INT:
                set_int(p, v, dst);
                break;
        case IG_F_OBJECT:
                ig_desc_free(f->sub, dst);
                ig_desc_init(f->sub, dst);
                if (jtype(p, v->node) == IG_J_NULL)
                        break;
                parse_object(p, f->sub, v, dst);
                break;
        case IG_F_LIST:
                parse_list(p, f->sub, v, dst);
                break;
        case IG_F_STRV:
                parse_strv(p, v, dst);
                break;
        }
}

/* Keys of containers json-c never saw still need their escapes and UTF-8
 * checked; json-c does that when asked to parse the key as a string. */
static bool key_is_valid(struct pctx *p, uint32_t node)
{
        size_t key_off, key_len;
        const char *k;
        bool plain = true;
        json_object *o;

        if (!ig_jindex_key_span(p->ix, node, &key_off, &key_len))
                return true;
        k = p->ix->text + key_off;
        for (size_t i = 0; i < key_len; i++)
                if (k[i] == '\\' || (unsigned char) k[i] >= 0x80)
                        plain = false;
        if (plain)
                return true;
        json_tokener_reset(p->tok);
        o = json_tokener_parse_ex(p->tok, k - 1, (int) key_len + 2);
        if (!o) {
                ig_diag_add_at(p->d, IG_SEV_ERROR, key_off - 1 + json_tokener_get_parse_end(p->tok),
                               "invalid JSON: %s", json_tokener_error_desc(json_tokener_get_error(p->tok)));
                return false;
        }
        json_object_put(o);
        return true;
}

static void parse_object(struct pctx *p, const struct ig_desc *desc, const struct jv *v, void *out)
{
        uint32_t node = v->node;
        size_t n, i;
        _cleanup_free_ char **keys = NULL;
        _cleanup_free_ bool *dup = NULL;
        uint32_t c;

        if (jtype(p, node) != IG_J_OBJECT) {
                type_error(p, node, "an object");
                return;
        }
        IG_NODE_OF(out) = node;

        n = count_children(p, node);
        keys = xcalloc(n ? n : 1, sizeof(char *));
        for (i = 0, c = ig_jindex_first_child(p->ix, node); c != IG_NODE_NONE; c = p->ix->nodes[c].next_sibling, i++)
                keys[i] = ig_jindex_key(p->ix, c);
        dup = later_duplicates(keys, n);

        for (i = 0, c = ig_jindex_first_child(p->ix, node); c != IG_NODE_NONE; c = p->ix->nodes[c].next_sibling, i++) {
                const struct ig_field *f;
                json_object *from_parent = NULL;
                struct jv child;

                if (!v->obj && !key_is_valid(p, c))
                        continue;
                if (dup[i]) {
                        ig_diag_add_key(p->d, lenient(p), c,
                                    "duplicate key \"%s\": only its last occurrence is used", keys[i]);
                        continue;
                }
                f = find_field(p, desc, keys[i], c);
                if (!f)
                        continue;
                if (v->obj && !json_object_object_get_ex(v->obj, keys[i], &from_parent)) {
                        /* The index has it, so json-c dropped it. */
                        ig_diag_add(p->d, IG_SEV_ERROR, c, NULL,
                                    "the JSON parser lost this member (out of memory?); nothing is used");
                        continue;
                }
                if (!child_value(p, v, c, from_parent, &child))
                        continue;
                parse_value(p, f, &child, (char *) out + f->offset);
                jv_release(&child);
        }
        for (i = 0; i < n; i++)
                free(keys[i]);
}

/* ---- the version ---- */

static const char *const supported_versions =
        "3.0.0, 3.1.0, 3.2.0, 3.3.0, 3.4.0, 3.5.0, 3.6.0 and 3.7.0-experimental";

static int parse_version(struct pctx *p, uint32_t root)
{
        uint32_t ign = ig_jindex_member_any_case(p->ix, root, "ignition"), ver;
        json_object *o;
        const char *s;
        unsigned major, minor, patch;
        int consumed = 0;

        if (ign != IG_NODE_NONE && jtype(p, ign) != IG_J_OBJECT) {
                type_error(p, ign, "an object");
                return -EINVAL;
        }
        if (ign == IG_NODE_NONE) {
                ig_error(p->d, root, "ignition.version",
                         "not an Ignition config: ignition.version is missing (ignis reads spec %s)",
                         supported_versions);
                return -EINVAL;
        }
        ver = ig_jindex_member_any_case(p->ix, ign, "version");
        if (ver == IG_NODE_NONE || jtype(p, ver) == IG_J_NULL) {
                ig_error(p->d, ign, "version", "ignition.version is missing (ignis reads spec %s)",
                         supported_versions);
                return -EINVAL;
        }
        if (jtype(p, ver) != IG_J_STRING) {
                type_error(p, ver, "a version string such as \"3.4.0\"");
                return -EINVAL;
        }
        o = materialize(p, ver);
        if (!o)
                return -EINVAL;
        s = json_object_get_string(o);

        if (sscanf(s, "%u.%u.%u%n", &major, &minor, &patch, &consumed) != 3 ||
            (s[consumed] != '\0' && s[consumed] != '-' && s[consumed] != '+') || !isdigit((unsigned char) s[0])) {
                ig_error(p->d, ver, NULL, "version \"%s\" is not a version number (x.y.z); ignis reads spec %s",
                         s, supported_versions);
                json_object_put(o);
                return -EINVAL;
        }
        for (enum ig_spec sp = 0; sp < IG_SPEC_COUNT; sp++)
                if (strcmp(s, ig_spec_name(sp)) == 0) {
                        p->spec = sp;
                        json_object_put(o);
                        if (sp == IG_SPEC_3_7_0_EXP)
                                ig_warn(p->d, ver, NULL,
                                        "spec 3.7.0-experimental is experimental: its fields may change "
                                        "incompatibly; do not use it in production");
                        return 0;
                }

        if (major < 3)
                ig_error(p->d, ver, NULL,
                         "spec version %s is not supported: ignis reads spec %s; convert %u.x configs "
                         "with ign-converter or regenerate them with Butane",
                         s, supported_versions, major);
        else if (strstr(s, "-experimental"))
                ig_error(p->d, ver, NULL,
                         "spec version %s is not supported: only the current experimental version "
                         "(3.7.0-experimental) is accepted; use %u.%u.%u if it is released, or one of %s",
                         s, major, minor, patch, supported_versions);
        else
                ig_error(p->d, ver, NULL, "spec version %s is not supported: ignis reads spec %s",
                         s, supported_versions);
        json_object_put(o);
        return -EINVAL;
}

int ig_config_parse(struct ig_jindex *ix, const struct ig_parse_options *opts,
                    struct ig_config *c, struct ig_diags *d)
{
        struct pctx p = { .ix = ix, .opts = opts, .d = d };
        struct jv root = { .node = 0 };
        size_t errors_before = d->n_errors;
        int r;

        ig_desc_init(&ig_desc_config, c);
        if (jtype(&p, 0) != IG_J_OBJECT) {
                ig_error(d, 0, NULL, "a config must be a JSON object, found %s", jtype_name(jtype(&p, 0)));
                return -EINVAL;
        }

        p.tok = json_tokener_new_ex(IG_JSON_MAX_DEPTH);
        if (!p.tok)
                return log_error_errno(ENOMEM, "Failed to allocate a JSON tokener");
        json_tokener_set_flags(p.tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        r = parse_version(&p, 0);
        if (r < 0)
                goto out;
        c->spec = p.spec;

        if (ix->nodes[0].end - ix->nodes[0].start <= MATERIALIZE_MAX) {
                root.obj = materialize(&p, 0);
                root.owned = true;
                if (!root.obj) {
                        r = -EINVAL;
                        goto out;
                }
        }
        parse_object(&p, &ig_desc_config, &root, c);
        jv_release(&root);

        /* Syntax errors inside values make the document unreadable, like a
         * syntax error anywhere else. */
        r = 0;
        for (size_t i = errors_before; i < d->n; i++)
                if (d->v[i].offset != SIZE_MAX && d->v[i].severity == IG_SEV_ERROR)
                        r = -EINVAL;
out:
        json_tokener_free(p.tok);
        return r;
}
