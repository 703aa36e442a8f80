/* SPDX-License-Identifier: Apache-2.0 */
/* struct ig_config → JSON, in the newest spec's shape, from the schema
 * tables: what is set is written, what is unset is left out, so reading the
 * text back gives the same config. The fetch stage caches the rendered
 * config this way for the stages after it. */

#include <string.h>

#include <json-c/json.h>

#include "ignis/log.h"
#include "schema.h"

/* json-c returns NULL, or drops what it was adding, when an allocation
 * fails: the cache must not come out with a field missing. */
static json_object *must(json_object *o)
{
        if (!o)
                oom();
        return o;
}

static void must_add(int r)
{
        if (r < 0)
                oom();
}

static json_object *to_json(const struct ig_desc *desc, const void *obj)
{
        json_object *o = must(json_object_new_object());

        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                const void *p = (const char *) obj + f->offset;
                json_object *v = NULL;

                switch (f->kind) {
                case IG_F_STRING:
                        if (*(char *const *) p)
                                v = must(json_object_new_string(*(char *const *) p));
                        break;
                case IG_F_BOOL:
                        if (((const struct ig_bool *) p)->set)
                                v = must(json_object_new_boolean(((const struct ig_bool *) p)->v));
                        break;
                case IG_F_INT:
                        if (((const struct ig_int *) p)->set)
                                v = must(json_object_new_int64(((const struct ig_int *) p)->v));
                        break;
                case IG_F_OBJECT:
                        if (IG_NODE_OF(p) != IG_NODE_NONE)
                                v = to_json(f->sub, p);
                        break;
                case IG_F_LIST: {
                        const struct ig_list_raw *l = p;
                        if (l->n == 0)
                                break;
                        v = must(json_object_new_array_ext((int) l->n));
                        for (size_t j = 0; j < l->n; j++)
                                must_add(json_object_array_add(
                                        v, to_json(f->sub, (const char *) l->v + j * f->sub->size)));
                        break;
                }
                case IG_F_STRV: {
                        const struct ig_strv *sv = p;
                        if (sv->n == 0)
                                break;
                        v = must(json_object_new_array_ext((int) sv->n));
                        for (size_t j = 0; j < sv->n; j++)
                                must_add(json_object_array_add(v, must(json_object_new_string(sv->v[j]))));
                        break;
                }
                }
                if (v)
                        must_add(json_object_object_add(o, f->key, v));
        }
        return o;
}

char *ig_config_to_json(const struct ig_config *c)
{
        json_object *o = to_json(&ig_desc_config, c), *ign;
        /* Already translated: it reads back as the newest stable spec (or
         * the experimental one, whose fields the stable one lacks). */
        enum ig_spec spec = c->spec > IG_SPEC_NEWEST_STABLE ? c->spec : IG_SPEC_NEWEST_STABLE;
        char *text;

        if (!json_object_object_get_ex(o, "ignition", &ign)) {
                ign = must(json_object_new_object());
                must_add(json_object_object_add(o, "ignition", ign));
        }
        must_add(json_object_object_add(ign, "version", must(json_object_new_string(ig_spec_name(spec)))));
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                oom();
        text = xstrdup(s);
        json_object_put(o);
        return text;
}
