/* SPDX-License-Identifier: Apache-2.0 */
/* struct ig_config → JSON, in the newest spec's shape, from the schema
 * tables: what is set is written, what is unset is left out, so reading the
 * text back gives the same config. The fetch stage caches the rendered
 * config this way for the stages after it. */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ignis/log.h"
#include "schema.h"

/* The text is written directly rather than built as one json-c tree: a
 * json-c object costs ~640 bytes (its hash table), which made the cache of
 * a large merged config take several times the config's size at its peak.
 * json-c still escapes every string. The output is byte for byte what
 * json_object_to_json_string_ext(tree, PLAIN | NOSLASHESCAPE) gives. */
struct out {
        char *p;
        size_t n, alloc;
};

static void put(struct out *o, const char *s, size_t len)
{
        if (o->n + len + 1 > o->alloc) {
                o->alloc = o->alloc ? o->alloc * 2 : 4096;
                while (o->n + len + 1 > o->alloc)
                        o->alloc *= 2;
                o->p = xrealloc(o->p, o->alloc);
        }
        memcpy(o->p + o->n, s, len);
        o->n += len;
        o->p[o->n] = 0;
}

static void puts_(struct out *o, const char *s)
{
        put(o, s, strlen(s));
}

static void put_string(struct out *o, const char *s)
{
        /* json-c returns NULL when an allocation fails: the cache must not
         * come out with a field missing. */
        json_object *j = json_object_new_string(s);
        const char *text = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE)
                             : NULL;

        if (!text)
                oom();
        puts_(o, text);
        json_object_put(j);
}

static void put_key(struct out *o, bool *first, const char *key)
{
        if (!*first)
                put(o, ",", 1);
        *first = false;
        put_string(o, key);
        put(o, ":", 1);
}

/* version: non-NULL only for the ignition object, whose version it sets. */
static void write_object(struct out *o, const struct ig_desc *desc, const void *obj, const char *version)
{
        bool first = true, wrote_version = false;
        char num[32];

        put(o, "{", 1);
        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                const void *p = (const char *) obj + f->offset;

                if (version && strcmp(f->key, "version") == 0 && *(char *const *) p) {
                        put_key(o, &first, f->key);
                        put_string(o, version);
                        wrote_version = true;
                        continue;
                }
                switch (f->kind) {
                case IG_F_STRING:
                        if (*(char *const *) p) {
                                put_key(o, &first, f->key);
                                put_string(o, *(char *const *) p);
                        }
                        break;
                case IG_F_BOOL:
                        if (((const struct ig_bool *) p)->set) {
                                put_key(o, &first, f->key);
                                puts_(o, ((const struct ig_bool *) p)->v ? "true" : "false");
                        }
                        break;
                case IG_F_INT:
                        if (((const struct ig_int *) p)->set) {
                                put_key(o, &first, f->key);
                                snprintf(num, sizeof(num), "%" PRId64, ((const struct ig_int *) p)->v);
                                puts_(o, num);
                        }
                        break;
                case IG_F_OBJECT:
                        if (IG_NODE_OF(p) != IG_NODE_NONE) {
                                put_key(o, &first, f->key);
                                write_object(o, f->sub, p, strcmp(f->key, "ignition") == 0 && desc == &ig_desc_config
                                                                  ? version : NULL);
                        }
                        break;
                case IG_F_LIST: {
                        const struct ig_list_raw *l = p;
                        if (l->n == 0)
                                break;
                        put_key(o, &first, f->key);
                        put(o, "[", 1);
                        for (size_t j = 0; j < l->n; j++) {
                                if (j)
                                        put(o, ",", 1);
                                write_object(o, f->sub, (const char *) l->v + j * f->sub->size, NULL);
                        }
                        put(o, "]", 1);
                        break;
                }
                case IG_F_STRV: {
                        const struct ig_strv *sv = p;
                        if (sv->n == 0)
                                break;
                        put_key(o, &first, f->key);
                        put(o, "[", 1);
                        for (size_t j = 0; j < sv->n; j++) {
                                if (j)
                                        put(o, ",", 1);
                                put_string(o, sv->v[j]);
                        }
                        put(o, "]", 1);
                        break;
                }
                }
        }
        /* the ignition object without a version of its own gets it last */
        if (version && desc != &ig_desc_config && !wrote_version) {
                put_key(o, &first, "version");
                put_string(o, version);
        }
        if (version && desc == &ig_desc_config) {
                const struct ig_config *c = obj;
                if (c->ignition.node == IG_NODE_NONE) {
                        put_key(o, &first, "ignition");
                        puts_(o, "{");
                        put_string(o, "version");
                        puts_(o, ":");
                        put_string(o, version);
                        puts_(o, "}");
                }
        }
        put(o, "}", 1);
}

char *ig_config_to_json(const struct ig_config *c)
{
        /* Already translated: it reads back as the newest stable spec (or
         * the experimental one, whose fields the stable one lacks). */
        enum ig_spec spec = c->spec > IG_SPEC_NEWEST_STABLE ? c->spec : IG_SPEC_NEWEST_STABLE;
        struct out o = {};

        write_object(&o, &ig_desc_config, c, ig_spec_name(spec));
        return o.p;
}
