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

static void strv_push(struct ig_strv *sv, char *s)
{
        sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(char *));
        sv->v[sv->n++] = s;
}

static bool strv_has(const struct ig_strv *sv, const char *s)
{
        for (size_t i = 0; i < sv->n; i++)
                if (strcmp(sv->v[i], s) == 0)
                        return true;
        return false;
}

static void strv_remove(struct ig_strv *sv, const char *s)
{
        size_t j = 0;

        for (size_t i = 0; i < sv->n; i++) {
                if (strcmp(sv->v[i], s) == 0)
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

static void list_append_moved(const struct ig_desc *desc, struct ig_list_raw *l, void *el)
{
        l->v = xrealloc(l->v, (l->n + 1) * desc->size);
        memcpy((char *) l->v + l->n * desc->size, el, desc->size);
        l->n++;
        ig_desc_init(desc, el);
}

static void merge_object(const struct ig_desc *desc, void *dst, void *src);

static void merge_keyed(const struct ig_field *f, struct ig_list_raw *dst, struct ig_list_raw *src)
{
        const struct ig_desc *sub = f->sub;
        bool headers = strcmp(f->key, "httpHeaders") == 0;

        for (size_t i = 0; i < src->n; i++) {
                void *s = (char *) src->v + i * sub->size;
                _cleanup_free_ char *key = element_key(sub, f->merge_key, s);
                size_t j;

                for (j = 0; j < dst->n; j++) {
                        _cleanup_free_ char *k = element_key(sub, f->merge_key, (char *) dst->v + j * sub->size);
                        if (strcmp(k, key) == 0)
                                break;
                }
                if (headers && !((struct ig_http_header *) s)->value) {
                        if (j < dst->n)
                                list_remove_at(sub, dst, j);
                } else if (j < dst->n)
                        merge_object(sub, (char *) dst->v + j * sub->size, s);
                else
                        list_append_moved(sub, dst, s);
                ig_desc_free(sub, s);
        }
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
                                for (size_t j = 0; j < sl->n; j++)
                                        list_append_moved(f->sub, d, (char *) sl->v + j * f->sub->size);
                                free(sl->v);
                                *sl = (struct ig_list_raw) {};
                        } else
                                merge_keyed(f, d, s);
                        break;
                case IG_F_STRV: {
                        struct ig_strv *ds = d, *ss = s;
                        for (size_t j = 0; j < ss->n; j++) {
                                if (!f->merge_concat && strv_has(ds, ss->v[j]))
                                        free(ss->v[j]);
                                else
                                        strv_push(ds, ss->v[j]);
                        }
                        free(ss->v);
                        *ss = (struct ig_strv) {};
                        break;
                }
                }
        }
}

/* Files, directories and links: a child entry of one kind at a path
 * replaces the parent's entry of another kind there. */
static void drop_path(const struct ig_field *f, struct ig_list_raw *l, const char *path)
{
        for (size_t i = 0; i < l->n; i++) {
                char *p = *(char **) ((char *) l->v + i * f->sub->size + field_named(f->sub, "path")->offset);
                if (p && strcmp(p, path) == 0) {
                        list_remove_at(f->sub, l, i);
                        return;
                }
        }
}

static void merge_node_namespace(struct ig_config *parent, const struct ig_config *child)
{
        const struct ig_desc *storage = field_named(&ig_desc_config, "storage")->sub;
        static const char *const kinds[] = { "files", "directories", "links" };

        for (size_t k = 0; k < 3; k++) {
                const struct ig_field *fk = field_named(storage, kinds[k]);
                const struct ig_list_raw *cl = (const void *) ((const char *) &child->storage + fk->offset);

                for (size_t i = 0; i < cl->n; i++) {
                        const char *path = *(char *const *) ((const char *) cl->v + i * fk->sub->size +
                                                             field_named(fk->sub, "path")->offset);
                        if (!path)
                                continue;
                        for (size_t o = 0; o < 3; o++) {
                                const struct ig_field *fo = field_named(storage, kinds[o]);
                                if (o != k)
                                        drop_path(fo, (void *) ((char *) &parent->storage + fo->offset), path);
                        }
                }
        }

        for (size_t i = 0; i < child->kernel_arguments.should_exist.n; i++)
                strv_remove(&parent->kernel_arguments.should_not_exist, child->kernel_arguments.should_exist.v[i]);
        for (size_t i = 0; i < child->kernel_arguments.should_not_exist.n; i++)
                strv_remove(&parent->kernel_arguments.should_exist, child->kernel_arguments.should_not_exist.v[i]);
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
