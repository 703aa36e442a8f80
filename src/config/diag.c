/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/diag.h"
#include "ignis/log.h"

static struct ig_diag *push(struct ig_diags *d, enum ig_severity sev)
{
        if (sev == IG_SEV_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        if (d->n >= IG_DIAGS_MAX) {
                d->n_dropped++;
                return NULL;
        }
        if (d->n == d->alloc) {
                d->alloc = d->alloc ? d->alloc * 2 : 16;
                d->v = xrealloc(d->v, d->alloc * sizeof(*d->v));
        }
        d->v[d->n] = (struct ig_diag) { .severity = sev, .node = IG_NODE_NONE, .offset = SIZE_MAX };
        return &d->v[d->n++];
}

void ig_diag_addv(struct ig_diags *d, enum ig_severity sev, uint32_t node, const char *suffix,
                  const char *fmt, va_list ap)
{
        struct ig_diag *g = push(d, sev);

        if (!g)
                return;
        g->node = node;
        g->suffix = suffix && *suffix ? xstrdup(suffix) : NULL;
        if (vasprintf(&g->message, fmt, ap) < 0)
                abort();
}

void ig_diag_add(struct ig_diags *d, enum ig_severity sev, uint32_t node, const char *suffix,
                 const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ig_diag_addv(d, sev, node, suffix, fmt, ap);
        va_end(ap);
}

void ig_diag_add_key(struct ig_diags *d, enum ig_severity sev, uint32_t node, const char *fmt, ...)
{
        size_t before = d->n;
        va_list ap;

        va_start(ap, fmt);
        ig_diag_addv(d, sev, node, NULL, fmt, ap);
        va_end(ap);
        if (d->n > before)
                d->v[d->n - 1].at_key = true;
}

void ig_diag_add_at(struct ig_diags *d, enum ig_severity sev, size_t offset, const char *fmt, ...)
{
        struct ig_diag *g = push(d, sev);
        va_list ap;

        if (!g)
                return;
        g->offset = offset;
        va_start(ap, fmt);
        if (vasprintf(&g->message, fmt, ap) < 0)
                abort();
        va_end(ap);
}

void ig_diags_free(struct ig_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->v[i].suffix);
                free(d->v[i].message);
        }
        free(d->v);
        *d = (struct ig_diags) {};
}

/* Where a diagnostic points in the text: the deepest value of its path that
 * the text has. */
static size_t diag_offset(const struct ig_diag *g, const struct ig_jindex *ix)
{
        size_t key_off, key_len;
        uint32_t n;

        if (g->offset != SIZE_MAX)
                return g->offset;
        if (!ix || !ix->nodes || g->node >= ix->n_nodes)
                return 0;
        if (g->at_key && ig_jindex_key_span(ix, g->node, &key_off, &key_len))
                return key_off - 1;
        n = ig_jindex_descend(ix, g->node, g->suffix, NULL);
        return ix->nodes[n].start;
}

struct sort_key {
        size_t offset, index;
};

static int cmp_key(const void *a, const void *b)
{
        const struct sort_key *x = a, *y = b;

        if (x->offset != y->offset)
                return x->offset < y->offset ? -1 : 1;
        /* qsort is not stable; the message order within one value is the
         * order the rules ran in. */
        return x->index < y->index ? -1 : x->index > y->index;
}

void ig_diags_sort(struct ig_diags *d, struct ig_jindex *ix)
{
        _cleanup_free_ struct sort_key *k = NULL;
        _cleanup_free_ struct ig_diag *sorted = NULL;

        if (d->n < 2)
                return;
        /* Each position is looked up once, not at every comparison. */
        k = xmalloc(d->n * sizeof(*k));
        for (size_t i = 0; i < d->n; i++)
                k[i] = (struct sort_key) { diag_offset(&d->v[i], ix), i };
        qsort(k, d->n, sizeof(*k), cmp_key);
        sorted = xmalloc(d->n * sizeof(*sorted));
        for (size_t i = 0; i < d->n; i++)
                sorted[i] = d->v[k[i].index];
        memcpy(d->v, sorted, d->n * sizeof(*sorted));
}

static char *diag_path(const struct ig_diag *g, const struct ig_jindex *ix)
{
        const char *rest = NULL;
        uint32_t n;

        if (g->offset != SIZE_MAX || !ix || !ix->nodes || g->node >= ix->n_nodes)
                return NULL;
        /* Name what the text has, as the text spells it ("Path" when the
         * key matched only case-insensitively), then what it lacks. */
        n = ig_jindex_descend(ix, g->node, g->suffix, &rest);
        return ig_jindex_path(ix, n, rest);
}

void ig_diags_print(const struct ig_diags *d, const char *name, struct ig_jindex *ix, FILE *f)
{
        /* Messages quote config values: a name with ESC or a newline in it
         * must not reach the terminal raw (JSON output escapes by itself). */
        _cleanup_free_ char *ename = log_escape(name);

        for (size_t i = 0; i < d->n; i++) {
                const struct ig_diag *g = &d->v[i];
                const char *sev = g->severity == IG_SEV_ERROR ? "error" : "warning";
                _cleanup_free_ char *raw_path = diag_path(g, ix), *msg = log_escape(g->message);
                _cleanup_free_ char *path = raw_path ? log_escape(raw_path) : NULL;

                if (ix && ix->text) {
                        unsigned line, col;
                        ig_jindex_position(ix, diag_offset(g, ix), &line, &col);
                        fprintf(f, "%s:%u:%u: %s: ", ename, line, col, sev);
                } else
                        fprintf(f, "%s: %s: ", ename, sev);
                if (path)
                        fprintf(f, "%s: ", path);
                fprintf(f, "%s\n", msg);
                if (g->severity == IG_SEV_ERROR) {
                        /* The root cause of a failed boot, for its summary. */
                        char *line = xasprintf("%s: %s%s%s", ename, path ? path : "", path ? ": " : "", msg);
                        log_note_error(line);
                        free(line);
                }
        }
        if (d->n_dropped > 0)
                fprintf(f, "%s: note: %zu more findings (%zu errors and %zu warnings in all) are not shown\n", ename,
                        d->n_dropped, d->n_errors, d->n_warnings);
}

struct json_object *ig_diags_to_json(const struct ig_diags *d, const char *name, struct ig_jindex *ix)
{
        json_object *o = json_object_new_object(), *arr = json_object_new_array();

        json_object_object_add(o, "file", json_object_new_string(name));
        json_object_object_add(o, "valid", json_object_new_boolean(d->n_errors == 0));
        json_object_object_add(o, "errors", json_object_new_int64((int64_t) d->n_errors));
        json_object_object_add(o, "warnings", json_object_new_int64((int64_t) d->n_warnings));
        for (size_t i = 0; i < d->n; i++) {
                const struct ig_diag *g = &d->v[i];
                json_object *e = json_object_new_object();
                _cleanup_free_ char *path = diag_path(g, ix);

                json_object_object_add(e, "severity",
                                       json_object_new_string(g->severity == IG_SEV_ERROR ? "error" : "warning"));
                if (path)
                        json_object_object_add(e, "path", json_object_new_string(path));
                if (ix && ix->text) {
                        unsigned line, col;
                        ig_jindex_position(ix, diag_offset(g, ix), &line, &col);
                        json_object_object_add(e, "line", json_object_new_int(line));
                        json_object_object_add(e, "column", json_object_new_int(col));
                }
                json_object_object_add(e, "message", json_object_new_string(g->message));
                json_object_array_add(arr, e);
        }
        json_object_object_add(o, "diagnostics", arr);
        if (d->n_dropped > 0)
                json_object_object_add(o, "notShown", json_object_new_int64((int64_t) d->n_dropped));
        return o;
}
