/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A positional index of a JSON text.
 *
 * json-c parses values but reports no positions. This scanner walks the text
 * once and records, for every value, where it starts and ends, its parent, and
 * the key or array slot it sits in. With it we can
 *   - name any value by its JSON path and its line:column in the original text,
 *   - see duplicate object keys (json-c silently keeps the last one),
 *   - hand json-c one array element at a time, so a large config never exists
 *     as one json-c tree (json-c spends ~700 bytes per object).
 * The scanner checks the structure (brackets, commas, colons, string ends);
 * json-c still parses every scalar and every small subtree. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ignis/config.h"

/* Deeper than any Ignition config needs; a cap keeps hostile input cheap. */
#define IG_JSON_MAX_DEPTH 64

/* More JSON values than any config needs (a 10 MiB config of 20,000 files
 * has ~200,000). Memory grows with the number of values, not the bytes: a
 * file entry `{}` is 3 bytes of text and ~250 bytes parsed, so this cap,
 * not the size limit, is what bounds the peak of a hostile config. */
#define IG_JSON_MAX_VALUES (1u << 20)

enum ig_jtype {
        IG_J_NULL,
        IG_J_BOOL,
        IG_J_NUMBER,
        IG_J_STRING,
        IG_J_OBJECT,
        IG_J_ARRAY,
};

/* 16 bytes per JSON value: on a dense document (`[0,0,0,...]`, two bytes
 * per value) the index is the largest thing in memory, so whatever the
 * text already says is read from the text instead of stored: the type (the
 * value's first byte), the first child (the next node, numbered in document
 * order, when its parent is this one) and a member's key (just before the
 * value: `"key" :`). */
struct ig_jnode {
        uint32_t start;         /* first byte of the value */
        uint32_t end;           /* one past its last byte */
        uint32_t parent;        /* IG_NODE_NONE for the root */
        uint32_t next_sibling;
};

struct ig_jindex {
        const char *text;
        size_t len;
        struct ig_jnode *nodes;
        uint32_t n_nodes;
        uint32_t n_alloc;
        uint32_t *line_starts;  /* built on the first position lookup */
        uint32_t n_lines;
        uint32_t *slots;        /* index of each node in its parent array; built
                                 * on the first path or element lookup */
};

struct ig_jerror {
        size_t offset;
        char message[160];
};

/* Largest text the index can describe (offsets are 32-bit); callers refuse
 * configs above their own, smaller, limit first. */
#define IG_JSON_MAX_TEXT (UINT32_MAX - 1)

static inline enum ig_jtype ig_jindex_type(const struct ig_jindex *ix, uint32_t node)
{
        switch (ix->text[ix->nodes[node].start]) {
        case '{': return IG_J_OBJECT;
        case '[': return IG_J_ARRAY;
        case '"': return IG_J_STRING;
        case 't': case 'f': return IG_J_BOOL;
        case 'n': return IG_J_NULL;
        default: return IG_J_NUMBER;
        }
}

static inline uint32_t ig_jindex_first_child(const struct ig_jindex *ix, uint32_t node)
{
        return node + 1 < ix->n_nodes && ix->nodes[node + 1].parent == node ? node + 1 : IG_NODE_NONE;
}

/* The raw key of an object member (between its quotes, escapes as
 * written): offset and length. Returns false for a value that is not an
 * object member. */
bool ig_jindex_key_span(const struct ig_jindex *ix, uint32_t node, size_t *off, size_t *len);

/* Returns 0, or -EINVAL with err filled for a structural error. */
int ig_jindex_build(struct ig_jindex *ix, const char *text, size_t len, struct ig_jerror *err);
void ig_jindex_free(struct ig_jindex *ix);

/* Child lookups; IG_NODE_NONE when absent. The key lookup compares decoded
 * key text and returns the last member with that key (json-c's choice). */
uint32_t ig_jindex_member(const struct ig_jindex *ix, uint32_t node, const char *key);
/* Same, but when no key matches exactly, the last one that matches
 * ignoring case (Go's JSON decoder matches keys that way). */
uint32_t ig_jindex_member_any_case(const struct ig_jindex *ix, uint32_t node, const char *key);
uint32_t ig_jindex_element(const struct ig_jindex *ix, uint32_t node, size_t i);

/* Decoded key of an object member (escapes resolved), malloc'd. */
char *ig_jindex_key(const struct ig_jindex *ix, uint32_t node);

/* 1-based line and column (in bytes) of a byte offset. */
void ig_jindex_position(struct ig_jindex *ix, size_t offset, unsigned *line, unsigned *col);

/* "$.storage.files[2].path" for a node; suffix (may be NULL) is appended as
 * a relative path ("path", "devices[1]", "[0]"). malloc'd. */
char *ig_jindex_path(const struct ig_jindex *ix, uint32_t node, const char *suffix);

/* Walks a relative path ("contents.source", "devices[1]") down from node as
 * far as the text has it (keys matched exactly, else ignoring case, as Go
 * matches them); returns the deepest node found, and in *rest (if not NULL)
 * the part of the suffix below it that the text does not have ("" if all). */
uint32_t ig_jindex_descend(const struct ig_jindex *ix, uint32_t node, const char *suffix, const char **rest);
