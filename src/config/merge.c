/* SPDX-License-Identifier: Apache-2.0 */
/* parent ⊕ child, with Ignition's rules, driven by the schema tables:
 *   - a value the child sets replaces the parent's; what the child leaves
 *     unset keeps the parent's (a child cannot unset);
 *   - nested objects merge recursively;
 *   - lists of objects are keyed (schema.c names the key): a child entry
 *     with a parent's key merges into it, others are appended;
 *   - a few lists are plain concatenations (file append fragments, mkfs,
 *     mount and luksFormat options); other string lists are unions;
 *   - files, directories and links share one key space, as do
 *     kernelArguments.shouldExist/shouldNotExist;
 *   - a child HTTP header without a value deletes the parent's header. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "schema.h"
#include "validate-internal.h"      /* vset: a hash set of strings */

/* Every lookup below goes through a hash set built once per list: merging
 * a parent and a child of n entries each must not compare n x n keys (a
 * data: merge of two large generated configs took seconds). */

static const struct ig_field *field_named(const struct ig_desc *desc, const char *key)
{
        for (size_t i = 0; i < desc->n_fields; i++)
                if (strcmp(desc->fields[i].key, key) == 0)
                        return &desc->fields[i];
        return NULL;
}

/* The element's key as a string; "number|label" means the first field
 * unless it is unset or zero (partitions). */
static char *element_key(const struct ig_desc *desc, const char *spec, const void *el)
{
        _cleanup_free_ char *first = xstrndup(spec, strcspn(spec, "|"));
        const char *alt = strchr(spec, '|');
        const struct ig_field *f = field_named(desc, first);
        const void *p = (const char *) el + f->offset;

        if (f->kind == IG_F_INT) {
                const struct ig_int *i = p;
                if (i->set && i->v != 0)
                        return xasprintf("#%lld", (long long) i->v);
                if (alt)
                        return element_key(desc, alt + 1, el);
                return xstrdup("#0");
        }
        return xasprintf("=%s", *(char *const *) p ? *(char *const *) p : "");
}


/* Removes from sv every string that is in remove. */
static void strv_remove_all(struct ig_strv *sv, const struct ig_strv *remove)
{
        _cleanup_(vset_free) struct vset set = {};
        size_t j = 0;

        if (remove->n == 0)
                return;
        for (size_t i = 0; i < remove->n; i++)
                vset_add(&set, remove->v[i], NULL, i, 0);
        for (size_t i = 0; i < sv->n; i++) {
                if (vset_find(&set, sv->v[i]))
                        free(sv->v[i]);
                else
                        sv->v[j++] = sv->v[i];
        }
        sv->n = j;
}

static void list_remove_at(const struct ig_desc *desc, struct ig_list_raw *l, size_t i)
{
        char *base = l->v;

        ig_desc_free(desc, base + i * desc->size);
        memmove(base + i * desc->size, base + (i + 1) * desc->size, (l->n - i - 1) * desc->size);
        l->n--;
}

/* Room for extra more elements: the callers know how many at most they
 * append, and one realloc per element can copy the list each time. */
static void list_reserve(const struct ig_desc *desc, struct ig_list_raw *l, size_t extra)
{
        if (extra > 0)
                l->v = xrealloc(l->v, (l->n + extra) * desc->size);
}

/* Appends into room made by list_reserve(). */
static void list_append_moved(const struct ig_desc *desc, struct ig_list_raw *l, void *el)
{
        memcpy((char *) l->v + l->n * desc->size, el, desc->size);
        l->n++;
        ig_desc_init(desc, el);
}

static void merge_object(const struct ig_desc *desc, void *dst, void *src);

/* httpHeaders: a handful of entries, and a child header without a value
 * deletes the parent's: the plain scan keeps that simple. */
static void merge_headers(const struct ig_field *f, struct ig_list_raw *dst, struct ig_list_raw *src)
{
        const struct ig_desc *sub = f->sub;

        for (size_t i = 0; i < src->n; i++) {
                void *s = (char *) src->v + i * sub->size;
                _cleanup_free_ char *key = element_key(sub, f->merge_key, s);
                size_t j;

                for (j = 0; j < dst->n; j++) {
                        _cleanup_free_ char *k = element_key(sub, f->merge_key, (char *) dst->v + j * sub->size);
                        if (strcmp(k, key) == 0)
                                break;
                }
                if (!((struct ig_http_header *) s)->value) {
                        if (j < dst->n)
                                list_remove_at(sub, dst, j);
                } else if (j < dst->n)
                        merge_object(sub, (char *) dst->v + j * sub->size, s);
                else {
                        list_reserve(sub, dst, 1);
                        list_append_moved(sub, dst, s);
                }
                ig_desc_free(sub, s);
        }
        free(src->v);
        *src = (struct ig_list_raw) {};
}

/* A child entry merges into the first parent entry with its key (or into
 * one it appended earlier), else it is appended. */
static void merge_keyed(const struct ig_field *f, struct ig_list_raw *dst, struct ig_list_raw *src)
{
        const struct ig_desc *sub = f->sub;
        _cleanup_(vset_free) struct vset index = {};
        char **keys;
        size_t n_keys = 0;

        if (strcmp(f->key, "httpHeaders") == 0) {
                merge_headers(f, dst, src);
                return;
        }
        if (src->n == 0)
                return;
        keys = xcalloc(dst->n + src->n + 1, sizeof(char *));
        list_reserve(sub, dst, src->n);
        for (size_t j = 0; j < dst->n; j++) {
                keys[n_keys] = element_key(sub, f->merge_key, (char *) dst->v + j * sub->size);
                vset_add(&index, keys[n_keys++], NULL, j, 0);
        }
        for (size_t i = 0; i < src->n; i++) {
                void *s = (char *) src->v + i * sub->size;
                char *key = element_key(sub, f->merge_key, s);
                const struct vset_entry *e = vset_find(&index, key);

                keys[n_keys++] = key;
                if (e)
                        merge_object(sub, (char *) dst->v + e->index * sub->size, s);
                else {
                        vset_add(&index, key, NULL, dst->n, 0);
                        list_append_moved(sub, dst, s);
                }
                ig_desc_free(sub, s);
        }
        for (size_t k = 0; k < n_keys; k++)
                free(keys[k]);
        free(keys);
        free(src->v);
        *src = (struct ig_list_raw) {};
}

static void merge_object(const struct ig_desc *desc, void *dst, void *src)
{
        if (IG_NODE_OF(dst) == IG_NODE_NONE && IG_NODE_OF(src) != IG_NODE_NONE)
                IG_NODE_OF(dst) = IG_NODE_OF(src);

        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                void *d = (char *) dst + f->offset, *s = (char *) src + f->offset;

                switch (f->kind) {
                case IG_F_STRING:
                        if (*(char **) s) {
                                free(*(char **) d);
                                *(char **) d = *(char **) s;
                                *(char **) s = NULL;
                        }
                        break;
                case IG_F_BOOL:
                        if (((struct ig_bool *) s)->set)
                                *(struct ig_bool *) d = *(struct ig_bool *) s;
                        break;
                case IG_F_INT:
                        if (((struct ig_int *) s)->set)
                                *(struct ig_int *) d = *(struct ig_int *) s;
                        break;
                case IG_F_OBJECT:
                        merge_object(f->sub, d, s);
                        break;
                case IG_F_LIST:
                        if (f->merge_concat) {
                                struct ig_list_raw *sl = s;
                                list_reserve(f->sub, d, sl->n);
                                for (size_t j = 0; j < sl->n; j++)
                                        list_append_moved(f->sub, d, (char *) sl->v + j * f->sub->size);
                                free(sl->v);
                                *sl = (struct ig_list_raw) {};
                        } else
                                merge_keyed(f, d, s);
                        break;
                case IG_F_STRV: {
                        struct ig_strv *ds = d, *ss = s;
                        _cleanup_(vset_free) struct vset have = {};
                        if (ss->n > 0)
                                ds->v = xrealloc(ds->v, (ds->n + ss->n) * sizeof(char *));
                        if (!f->merge_concat)
                                for (size_t j = 0; j < ds->n; j++)
                                        vset_add(&have, ds->v[j], NULL, j, 0);
                        for (size_t j = 0; j < ss->n; j++) {
                                if (!f->merge_concat && vset_add(&have, ss->v[j], NULL, ds->n, 0))
                                        free(ss->v[j]);
                                else
                                        ds->v[ds->n++] = ss->v[j];
                        }
                        free(ss->v);
                        *ss = (struct ig_strv) {};
                        break;
                }
                }
        }
}

static const char *path_of(const struct ig_field *f, const struct ig_list_raw *l, size_t i)
{
        return *(char *const *) ((const char *) l->v + i * f->sub->size + field_named(f->sub, "path")->offset);
}

/* Files, directories and links: a child entry of one kind at a path
 * replaces the parent's entry of another kind there (the first one). */
static void merge_node_namespace(struct ig_config *parent, const struct ig_config *child)
{
        const struct ig_desc *storage = field_named(&ig_desc_config, "storage")->sub;
        static const char *const kinds[] = { "files", "directories", "links" };
        _cleanup_(vset_free) struct vset child_paths = {};

        for (size_t k = 0; k < 3; k++) {
                const struct ig_field *fk = field_named(storage, kinds[k]);
                const struct ig_list_raw *cl = (const void *) ((const char *) &child->storage + fk->offset);
                for (size_t i = 0; i < cl->n; i++)
                        if (path_of(fk, cl, i))
                                vset_add(&child_paths, path_of(fk, cl, i), NULL, i, (int) k);
        }

        for (size_t o = 0; o < 3 && child_paths.n > 0; o++) {
                const struct ig_field *fo = field_named(storage, kinds[o]);
                struct ig_list_raw *l = (void *) ((char *) &parent->storage + fo->offset);
                _cleanup_(vset_free) struct vset dropped = {};
                _cleanup_free_ bool *drop = xcalloc(l->n + 1, sizeof(bool));
                char *base = l->v;
                size_t w = 0;

                /* (the keys of dropped point into entries: free them after) */
                for (size_t i = 0; i < l->n; i++) {
                        const char *p = path_of(fo, l, i);
                        const struct vset_entry *e = p ? vset_find(&child_paths, p) : NULL;
                        drop[i] = e && e->kind != (int) o && !vset_add(&dropped, p, NULL, i, 0);
                }
                for (size_t i = 0; i < l->n; i++) {
                        if (drop[i]) {
                                ig_desc_free(fo->sub, base + i * fo->sub->size);
                                continue;
                        }
                        if (w != i)
                                memcpy(base + w * fo->sub->size, base + i * fo->sub->size, fo->sub->size);
                        w++;
                }
                l->n = w;
        }

        strv_remove_all(&parent->kernel_arguments.should_not_exist, &child->kernel_arguments.should_exist);
        strv_remove_all(&parent->kernel_arguments.should_exist, &child->kernel_arguments.should_not_exist);
}

/* Merged values come from several documents: their positions mean nothing
 * together. Present objects keep "present", without a position. */
static void forget_positions(const struct ig_desc *desc, void *obj)
{
        if (IG_NODE_OF(obj) != IG_NODE_NONE)
                IG_NODE_OF(obj) = IG_NODE_MERGED;
        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                void *p = (char *) obj + f->offset;
                if (f->kind == IG_F_OBJECT)
                        forget_positions(f->sub, p);
                else if (f->kind == IG_F_LIST) {
                        struct ig_list_raw *l = p;
                        for (size_t j = 0; j < l->n; j++)
                                forget_positions(f->sub, (char *) l->v + j * f->sub->size);
                }
        }
}

void ig_config_merge(struct ig_config *parent, struct ig_config *child)
{
        merge_node_namespace(parent, child);
        merge_object(&ig_desc_config, parent, child);
        forget_positions(&ig_desc_config, parent);
        if (child->spec > parent->spec)
                parent->spec = child->spec;
        ig_config_free(child);
        ig_desc_init(&ig_desc_config, child);
}
