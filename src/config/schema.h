/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One table per spec object: which JSON keys it has, since which spec version,
 * what type, and where the value lives in the C struct. The parser, the free
 * function and (later) merging are all driven by these tables, so a field is
 * described exactly once. */

#include <stdbool.h>
#include <stddef.h>

#include "ignis/config.h"

enum ig_field_kind {
        IG_F_STRING,    /* char * */
        IG_F_BOOL,      /* struct ig_bool */
        IG_F_INT,       /* struct ig_int */
        IG_F_OBJECT,    /* embedded struct described by sub */
        IG_F_LIST,      /* IG_LIST(struct described by sub) */
        IG_F_STRV,      /* struct ig_strv */
};

struct ig_desc;

struct ig_field {
        const char *key;
        enum ig_field_kind kind;
        size_t offset;
        enum ig_spec since;
        const struct ig_desc *sub;
        /* Merging (parent ⊕ child): lists of objects are keyed by this field
         * of their elements; lists with merge_concat are simply appended;
         * other string lists are unions by value. */
        const char *merge_key;
        bool merge_concat;
};

struct ig_desc {
        const char *what;       /* for messages: "a file", "the storage section" */
        size_t size;
        const struct ig_field *fields;
        size_t n_fields;
};

/* Every object struct starts with `uint32_t node`. */
#define IG_NODE_OF(obj) (*(uint32_t *) (obj))

/* The layout every IG_LIST(...) shares. */
struct ig_list_raw {
        void *v;
        size_t n;
};

extern const struct ig_desc ig_desc_config;

/* Frees what the fields of obj own, per desc (not obj itself). */
void ig_desc_free(const struct ig_desc *desc, void *obj);
/* Marks every object in obj absent (node = IG_NODE_NONE) and zeroes the rest. */
void ig_desc_init(const struct ig_desc *desc, void *obj);
