/* SPDX-License-Identifier: Apache-2.0 */
/* The position index on any bytes. Properties: the tree is well formed
 * (children inside their parent, in order, parents before children);
 * every value has a path and a line:column inside the text; a member found
 * by its decoded key has that key (the last such member, as json-c keeps);
 * array elements are found by index; a refusal has an offset inside the text and a message. (json-c is no
 * oracle for the other direction: even in strict mode it takes
 * single-quoted strings and raw control characters.) */

#include "fuzz-common.h"
#include "ignis/json-index.h"

/* Paths cost O(depth) each; a cap keeps one input from taking seconds. */
#define MAX_NODES_WALKED 2000

static void check_node(struct ig_jindex *ix, uint32_t i)
{
        const struct ig_jnode *n = &ix->nodes[i];
        unsigned line = 0, col = 0;
        char *path, *key;

        FUZZ_CHECK(n->start < n->end && n->end <= ix->len, "node %u spans %u..%u of %zu", i, n->start, n->end,
                   ix->len);
        if (n->parent != IG_NODE_NONE) {
                const struct ig_jnode *p = &ix->nodes[n->parent];
                FUZZ_CHECK(n->parent < i, "node %u has parent %u", i, n->parent);
                FUZZ_CHECK(p->start < n->start && n->end < p->end, "node %u outside its parent", i);
                FUZZ_CHECK(ig_jindex_type(ix, n->parent) == IG_J_OBJECT || ig_jindex_type(ix, n->parent) == IG_J_ARRAY, "parent %u is a scalar", n->parent);
        } else
                FUZZ_CHECK(i == 0, "node %u has no parent", i);
        if (n->next_sibling != IG_NODE_NONE)
                FUZZ_CHECK(n->next_sibling > i && ix->nodes[n->next_sibling].start >= n->end,
                           "sibling of %u out of order", i);

        ig_jindex_position(ix, n->start, &line, &col);
        FUZZ_CHECK(line >= 1 && col >= 1 && line <= ix->len + 1 && col <= ix->len + 1, "node %u at %u:%u", i,
                   line, col);
        path = ig_jindex_path(ix, i, NULL);
        FUZZ_CHECK(path && path[0] == '$', "node %u: path %s", i, path ? path : "(null)");
        free(path);

        if (n->parent != IG_NODE_NONE && ig_jindex_type(ix, n->parent) == IG_J_OBJECT) {
                uint32_t m;
                key = ig_jindex_key(ix, i);
                m = ig_jindex_member(ix, n->parent, key);
                FUZZ_CHECK(m != IG_NODE_NONE, "member %u not found by its key", i);
                char *mk = ig_jindex_key(ix, m);
                FUZZ_CHECK(strcmp(mk, key) == 0, "member %u found another key", i);
                free(mk);
                /* The key lookups match case-insensitively only as a fallback. */
                FUZZ_CHECK(ig_jindex_member_any_case(ix, n->parent, key) == m, "any-case lookup of %u differs", i);
                free(key);
        }
        if (ig_jindex_type(ix, i) == IG_J_ARRAY) {
                uint32_t c = ig_jindex_first_child(ix, i);
                for (size_t k = 0; c != IG_NODE_NONE && k < 64; k++, c = ix->nodes[c].next_sibling)
                        FUZZ_CHECK(ig_jindex_element(ix, i, k) == c, "element %zu of %u", k, i);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_copy(data, size);
        struct ig_jindex ix;
        struct ig_jerror err = {};
        int r = ig_jindex_build(&ix, text, size, &err);

        if (r == 0) {
                FUZZ_CHECK(ix.n_nodes > 0, "an index without a root");
                for (uint32_t i = 0; i < ix.n_nodes && i < MAX_NODES_WALKED; i++)
                        check_node(&ix, i);
        } else
                FUZZ_CHECK(r == -EINVAL && err.offset <= size && err.message[0], "r=%d at %zu", r, err.offset);
        ig_jindex_free(&ix);
        free(text);
        return 0;
}
