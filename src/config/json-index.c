/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/json-index.h"
#include "ignis/log.h"

static int fail(struct ig_jerror *err, size_t off, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct ig_jerror *err, size_t off, const char *fmt, ...)
{
        va_list ap;

        err->offset = off;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static uint32_t new_node(struct ig_jindex *ix, size_t start, uint32_t parent)
{
        struct ig_jnode *n;

        if (ix->n_nodes == ix->n_alloc) {
                ix->n_alloc = ix->n_alloc ? ix->n_alloc * 2 : 64;
                ix->nodes = xrealloc(ix->nodes, (size_t) ix->n_alloc * sizeof(*ix->nodes));
        }
        n = &ix->nodes[ix->n_nodes];
        *n = (struct ig_jnode) {
                .start = (uint32_t) start,
                .end = (uint32_t) start,
                .parent = parent,
                .next_sibling = IG_NODE_NONE,
        };
        return ix->n_nodes++;
}

static size_t skip_ws(const char *t, size_t len, size_t i)
{
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
                i++;
        return i;
}

/* Scans a string starting at the opening quote; returns the offset after the
 * closing quote, or 0 on error. Escapes and UTF-8 are json-c's to check. */
static size_t scan_string(const char *t, size_t len, size_t i, struct ig_jerror *err, int *r)
{
        i++;
        while (i < len) {
                unsigned char c = (unsigned char) t[i];
                if (c == '"')
                        return i + 1;
                if (c == '\\') {
                        if (i + 1 >= len)
                                break;
                        i += 2;
                        continue;
                }
                if (c < 0x20) {
                        *r = fail(err, i, "control character 0x%02x inside a string (escape it)", c);
                        return 0;
                }
                i++;
        }
        *r = fail(err, len, "unexpected end of input inside a string");
        return 0;
}

static const char *describe_char(char c, char buf[16])
{
        if ((unsigned char) c >= 0x20 && (unsigned char) c < 0x7f)
                snprintf(buf, 16, "'%c'", c);
        else
                snprintf(buf, 16, "byte 0x%02x", (unsigned char) c);
        return buf;
}

struct frame {
        uint32_t node;
        uint32_t last_child;
        uint32_t count;
};

int ig_jindex_build(struct ig_jindex *ix, const char *t, size_t len, struct ig_jerror *err)
{
        struct frame stack[IG_JSON_MAX_DEPTH + 1];
        unsigned depth = 0;
        size_t i = 0;
        char cb[16];
        int r = 0;

        *ix = (struct ig_jindex) { .text = t, .len = len };
        if (len > IG_JSON_MAX_TEXT)
                return fail(err, 0, "document too large");

        /* An explicit stack instead of recursion: 10,000 nested arrays must
         * produce an error, not a stack overflow. */
        for (;;) {
                uint32_t parent = depth ? stack[depth - 1].node : IG_NODE_NONE;
                uint32_t node;

                i = skip_ws(t, len, i);

                /* In a container: either close it, or read a separator and
                 * (for objects) the member's key. */
                if (depth) {
                        struct frame *f = &stack[depth - 1];
                        enum ig_jtype ptype = ig_jindex_type(ix, f->node);
                        char close = ptype == IG_J_OBJECT ? '}' : ']';

                        if (i >= len)
                                return fail(err, len, "unexpected end of input: missing '%c'", close);
                        if (t[i] == close) {
                                /* "{"a":1,}" is caught where the comma was read. */
                                ix->nodes[f->node].end = (uint32_t) (i + 1);
                                i++;
                                depth--;
                                if (depth == 0)
                                        break;
                                continue;
                        }
                        if (f->count > 0) {
                                if (t[i] != ',')
                                        return fail(err, i, "expected ',' or '%c', found %s", close,
                                                    describe_char(t[i], cb));
                                i = skip_ws(t, len, i + 1);
                                if (i < len && t[i] == close)
                                        return fail(err, i, "trailing comma before '%c'", close);
                        }
                        if (ptype == IG_J_OBJECT) {
                                size_t kend;
                                if (i >= len)
                                        return fail(err, len, "unexpected end of input: missing '}'");
                                if (t[i] != '"')
                                        return fail(err, i, "expected a quoted object key, found %s",
                                                    describe_char(t[i], cb));
                                kend = scan_string(t, len, i, err, &r);
                                if (!kend)
                                        return r;
                                i = skip_ws(t, len, kend);
                                if (i >= len || t[i] != ':')
                                        return fail(err, i < len ? i : len, "expected ':' after object key");
                                i = skip_ws(t, len, i + 1);
                        }
                }

                if (i >= len)
                        return fail(err, len, depth ? "unexpected end of input: missing a value"
                                                    : "empty document");

                if (ix->n_nodes >= IG_JSON_MAX_VALUES)
                        return fail(err, i, "more than %u values in the document (no config needs that many)",
                                    IG_JSON_MAX_VALUES);
                switch (t[i]) {
                case '{':
                case '[':
                        node = new_node(ix, i, parent);
                        break;
                case '"':
                        node = new_node(ix, i, parent);
                        i = scan_string(t, len, i, err, &r);
                        if (!i)
                                return r;
                        ix->nodes[node].end = (uint32_t) i;
                        break;
                case '-':
                case '0' ... '9': {
                        size_t d = i + (t[i] == '-');
                        /* json-c would say "number expected" after the digits;
                         * a leading zero is usually an octal mode. */
                        if (d + 1 < len && t[d] == '0' && t[d + 1] >= '0' && t[d + 1] <= '9') {
                                size_t e = d;
                                unsigned long v = 0;
                                bool octal = true;
                                while (e < len && t[e] >= '0' && t[e] <= '9') {
                                        octal = octal && t[e] <= '7';
                                        v = v * 8 + (unsigned long) (t[e] - '0');
                                        e++;
                                }
                                if (octal && e - d <= 8)
                                        return fail(err, i, "leading zero in number %.*s (JSON numbers are decimal: "
                                                    "write mode %.*s as %lu)", (int) (e - i), t + i,
                                                    (int) (e - i), t + i, v);
                                return fail(err, i, "leading zero in number %.*s (JSON numbers are decimal)",
                                            (int) (e - i), t + i);
                        }
                }
                        node = new_node(ix, i, parent);
                        while (i < len && strchr("0123456789+-.eE", t[i]) && t[i] != '\0')
                                i++;
                        ix->nodes[node].end = (uint32_t) i;
                        break;
                case 't':
                case 'f':
                case 'n': {
                        const char *lit = t[i] == 't' ? "true" : t[i] == 'f' ? "false" : "null";
                        size_t l = strlen(lit);
                        if (len - i < l || memcmp(t + i, lit, l) != 0)
                                return fail(err, i, "invalid literal (expected %s)", lit);
                        node = new_node(ix, i, parent);
                        i += l;
                        ix->nodes[node].end = (uint32_t) i;
                        break;
                }
                default:
                        return fail(err, i, "unexpected %s where a value should be", describe_char(t[i], cb));
                }

                if (depth) {
                        struct frame *f = &stack[depth - 1];
                        if (f->last_child != IG_NODE_NONE)
                                ix->nodes[f->last_child].next_sibling = node;
                        f->last_child = node;
                        f->count++;
                }

                if (t[ix->nodes[node].start] == '{' || t[ix->nodes[node].start] == '[') {
                        if (depth >= IG_JSON_MAX_DEPTH)
                                return fail(err, i, "nesting deeper than %d levels", IG_JSON_MAX_DEPTH);
                        stack[depth++] = (struct frame) { .node = node, .last_child = IG_NODE_NONE };
                        i++;
                        continue;
                }
                if (depth == 0)
                        break;
        }

        i = skip_ws(t, len, i);
        if (i < len)
                return fail(err, i, "unexpected %s after the end of the document", describe_char(t[i], cb));
        return 0;
}

void ig_jindex_free(struct ig_jindex *ix)
{
        free(ix->nodes);
        free(ix->line_starts);
        free(ix->slots);
        *ix = (struct ig_jindex) {};
}

static bool is_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool ig_jindex_key_span(const struct ig_jindex *ix, uint32_t node, size_t *off, size_t *len)
{
        const char *t = ix->text;
        uint32_t parent = ix->nodes[node].parent;
        size_t i = ix->nodes[node].start, close;

        if (parent == IG_NODE_NONE || t[ix->nodes[parent].start] != '{')
                return false;
        /* The index was built from this text: `"key" :` precedes the value. */
        while (is_ws(t[i - 1]))
                i--;
        i--;                            /* ':' */
        while (is_ws(t[i - 1]))
                i--;
        close = --i;                    /* the key's closing quote */
        /* Inside a JSON string every '"' follows an odd run of backslashes;
         * the opening quote follows an even one (none). */
        for (;;) {
                size_t b = 0;
                i--;
                if (t[i] != '"')
                        continue;
                while (t[i - 1 - b] == '\\')
                        b++;
                if (b % 2 == 0)
                        break;
        }
        *off = i + 1;
        *len = close - i - 1;
        return true;
}

char *ig_jindex_key(const struct ig_jindex *ix, uint32_t node)
{
        size_t off, klen;
        const char *raw;
        json_object *o;
        char *quoted, *key;

        if (!ig_jindex_key_span(ix, node, &off, &klen))
                return xstrdup("");
        raw = ix->text + off;
        if (!memchr(raw, '\\', klen))
                return xstrndup(raw, klen);

        /* Let json-c resolve the escapes: parse the key as a JSON string. */
        quoted = xasprintf("\"%.*s\"", (int) klen, raw);
        o = json_tokener_parse(quoted);
        free(quoted);
        if (!o || !json_object_is_type(o, json_type_string)) {
                json_object_put(o);
                return xstrndup(raw, klen);
        }
        key = xstrdup(json_object_get_string(o));
        json_object_put(o);
        return key;
}

static bool key_equals(const struct ig_jindex *ix, uint32_t node, const char *key)
{
        size_t kl = strlen(key), off, len;
        _cleanup_free_ char *decoded = NULL;

        if (!ig_jindex_key_span(ix, node, &off, &len))
                return false;
        if (!memchr(ix->text + off, '\\', len))
                return len == kl && memcmp(ix->text + off, key, kl) == 0;
        decoded = ig_jindex_key(ix, node);
        return strcmp(decoded, key) == 0;
}

uint32_t ig_jindex_member(const struct ig_jindex *ix, uint32_t node, const char *key)
{
        uint32_t found = IG_NODE_NONE;

        if (node == IG_NODE_NONE || ig_jindex_type(ix, node) != IG_J_OBJECT)
                return IG_NODE_NONE;
        for (uint32_t c = ig_jindex_first_child(ix, node); c != IG_NODE_NONE; c = ix->nodes[c].next_sibling)
                if (key_equals(ix, c, key))
                        found = c;
        return found;
}

/* Array slots are needed only to name and find array elements for
 * diagnostics; walking the siblings each time would make a report about
 * every element of a long array quadratic. Built once, in one pass; a
 * cache, so it is filled in through a const index. */
static const uint32_t *slots(const struct ig_jindex *ix)
{
        struct ig_jindex *m = (struct ig_jindex *) ix;

        if (m->slots)
                return m->slots;
        m->slots = xcalloc((size_t) ix->n_nodes + 1, sizeof(uint32_t));
        for (uint32_t a = 0; a < ix->n_nodes; a++) {
                uint32_t i = 0;
                if (ig_jindex_type(ix, a) != IG_J_ARRAY)
                        continue;
                for (uint32_t c = ig_jindex_first_child(ix, a); c != IG_NODE_NONE; c = ix->nodes[c].next_sibling)
                        m->slots[c] = i++;
        }
        return m->slots;
}

/* The last node of node's subtree (nodes are numbered in document order). */
static uint32_t subtree_last(const struct ig_jindex *ix, uint32_t node)
{
        for (uint32_t n = node; n != IG_NODE_NONE; n = ix->nodes[n].parent)
                if (ix->nodes[n].next_sibling != IG_NODE_NONE)
                        return ix->nodes[n].next_sibling - 1;
        return ix->n_nodes - 1;
}

uint32_t ig_jindex_element(const struct ig_jindex *ix, uint32_t node, size_t i)
{
        const uint32_t *slot;
        uint32_t lo, hi;

        if (node == IG_NODE_NONE || ig_jindex_type(ix, node) != IG_J_ARRAY || ig_jindex_first_child(ix, node) == IG_NODE_NONE)
                return IG_NODE_NONE;
        /* Binary search over the subtree's node numbers: from any of them,
         * the ancestor that is a child of node (at most the nesting limit
         * away) tells by its slot which side element i is on. */
        slot = slots(ix);
        lo = ig_jindex_first_child(ix, node);
        hi = subtree_last(ix, node);
        while (lo <= hi) {
                uint32_t mid = lo + (hi - lo) / 2, c = mid;
                while (ix->nodes[c].parent != node)
                        c = ix->nodes[c].parent;
                if (slot[c] == i)
                        return c;
                if (slot[c] < i)
                        lo = subtree_last(ix, c) + 1;
                else {
                        if (c == 0)
                                break;
                        hi = c - 1;
                }
        }
        return IG_NODE_NONE;
}

void ig_jindex_position(struct ig_jindex *ix, size_t offset, unsigned *line, unsigned *col)
{
        size_t lo, hi;

        if (!ix->line_starts) {
                uint32_t n = 1;
                for (size_t i = 0; i < ix->len; i++)
                        if (ix->text[i] == '\n')
                                n++;
                ix->line_starts = xmalloc(n * sizeof(uint32_t));
                ix->line_starts[0] = 0;
                ix->n_lines = 1;
                for (size_t i = 0; i < ix->len; i++)
                        if (ix->text[i] == '\n')
                                ix->line_starts[ix->n_lines++] = (uint32_t) (i + 1);
        }
        if (offset > ix->len)
                offset = ix->len;

        /* Last line start <= offset. */
        lo = 0;
        hi = ix->n_lines;
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (ix->line_starts[mid] <= offset)
                        lo = mid;
                else
                        hi = mid;
        }
        *line = (unsigned) lo + 1;
        *col = (unsigned) (offset - ix->line_starts[lo]) + 1;
}

static bool plain_key(const char *k)
{
        if (!*k)
                return false;
        for (; *k; k++)
                if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
                      (*k >= '0' && *k <= '9') || *k == '_' || *k == '-'))
                        return false;
        return true;
}

/* Appends one path component for node (".key", "[i]" or ["odd key"]). */
static void append_component(const struct ig_jindex *ix, uint32_t node, char **buf, size_t *len)
{
        uint32_t parent = ix->nodes[node].parent;
        _cleanup_free_ char *comp = NULL;

        if (ig_jindex_type(ix, parent) == IG_J_ARRAY) {
                comp = xasprintf("[%u]", slots(ix)[node]);
        } else {
                _cleanup_free_ char *key = ig_jindex_key(ix, node);
                if (plain_key(key))
                        comp = xasprintf(".%s", key);
                else {
                        json_object *s = json_object_new_string(key);
                        comp = xasprintf("[%s]", json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE));
                        json_object_put(s);
                }
        }
        size_t cl = strlen(comp);
        *buf = xrealloc(*buf, *len + cl + 1);
        memcpy(*buf + *len, comp, cl + 1);
        *len += cl;
}

char *ig_jindex_path(const struct ig_jindex *ix, uint32_t node, const char *suffix)
{
        uint32_t chain[IG_JSON_MAX_DEPTH + 2];
        unsigned n = 0;
        char *buf = xstrdup("$");
        size_t len = 1;

        for (uint32_t c = node; c != IG_NODE_NONE && c != 0 && n < ELEMENTSOF(chain); c = ix->nodes[c].parent)
                chain[n++] = c;
        while (n > 0)
                append_component(ix, chain[--n], &buf, &len);

        if (suffix && *suffix) {
                char *p = xasprintf("%s%s%s", buf, suffix[0] == '[' ? "" : ".", suffix);
                free(buf);
                buf = p;
        }
        return buf;
}

uint32_t ig_jindex_member_any_case(const struct ig_jindex *ix, uint32_t node, const char *key)
{
        uint32_t found = ig_jindex_member(ix, node, key);

        if (found != IG_NODE_NONE || node == IG_NODE_NONE || ig_jindex_type(ix, node) != IG_J_OBJECT)
                return found;
        for (uint32_t c = ig_jindex_first_child(ix, node); c != IG_NODE_NONE; c = ix->nodes[c].next_sibling) {
                _cleanup_free_ char *k = ig_jindex_key(ix, c);
                if (strcasecmp(k, key) == 0)
                        found = c;
        }
        return found;
}

uint32_t ig_jindex_descend(const struct ig_jindex *ix, uint32_t node, const char *suffix, const char **rest)
{
        const char *p = suffix;

        if (rest)
                *rest = suffix;
        if (node == IG_NODE_NONE)
                return IG_NODE_NONE;
        while (p && *p) {
                const char *start = p;
                uint32_t next;
                if (*p == '.')
                        p++;
                if (*p == '[') {
                        char *end;
                        unsigned long idx = strtoul(p + 1, &end, 10);
                        if (*end != ']')
                                break;
                        next = ig_jindex_element(ix, node, idx);
                        p = end + 1;
                } else {
                        size_t l = strcspn(p, ".[");
                        _cleanup_free_ char *key = xstrndup(p, l);
                        next = ig_jindex_member_any_case(ix, node, key);
                        p += l;
                }
                if (next == IG_NODE_NONE) {
                        p = start;
                        break;
                }
                node = next;
        }
        if (rest)
                *rest = p && *p == '.' ? p + 1 : p;
        return node;
}
