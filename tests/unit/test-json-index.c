/* SPDX-License-Identifier: Apache-2.0 */
/* The positional index: structure, paths, positions, and hostile input. */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/json-index.h"
#include "ignis/log.h"
#include "tap.h"

static void check_path(const char *text, const char *suffix, const char *want_path,
                       unsigned want_line, unsigned want_col)
{
        struct ig_jindex ix;
        struct ig_jerror err;
        unsigned line = 0, col = 0;
        uint32_t n;
        char *path;

        if (ig_jindex_build(&ix, text, strlen(text), &err) < 0) {
                tap_ok(0, "index %s: %s", want_path, err.message);
                ig_jindex_free(&ix);
                return;
        }
        n = ig_jindex_descend(&ix, 0, suffix, NULL);
        path = ig_jindex_path(&ix, n, NULL);
        ig_jindex_position(&ix, ix.nodes[n].start, &line, &col);
        tap_ok(strcmp(path, want_path) == 0 && line == want_line && col == want_col,
               "%s -> %s at %u:%u (got %s at %u:%u)", suffix, want_path, want_line, want_col, path, line, col);
        free(path);
        ig_jindex_free(&ix);
}

static void check_error(const char *name, const char *text, size_t len, size_t want_off, const char *want_msg)
{
        struct ig_jindex ix;
        struct ig_jerror err = {};
        int r = ig_jindex_build(&ix, text, len, &err);

        tap_ok(r < 0 && err.offset == want_off && strstr(err.message, want_msg),
               "%s: error at %zu containing \"%s\" (got r=%d at %zu: %s)", name, want_off, want_msg, r,
               err.offset, err.message);
        ig_jindex_free(&ix);
}

/* Element lookup and element paths in a long array whose elements are
 * nested to different depths: found by search, not by walking siblings. */
static void check_long_array(void)
{
        size_t n = 3000, cap = n * 40 + 16, len = 0;
        char *doc = malloc(cap);
        struct ig_jindex ix;
        struct ig_jerror err;
        bool ok = true;

        len += (size_t) sprintf(doc + len, "{\"a\":[");
        for (size_t i = 0; i < n; i++)
                len += (size_t) sprintf(doc + len, "%s%s", i ? "," : "",
                                        i % 3 == 0 ? "[[1],{\"k\":[2]}]" : i % 3 == 1 ? "{\"x\":{}}" : "7");
        len += (size_t) sprintf(doc + len, "],\"b\":1}");
        if (ig_jindex_build(&ix, doc, len, &err) < 0) {
                tap_ok(0, "long array indexed: %s", err.message);
                free(doc);
                return;
        }
        uint32_t arr = ig_jindex_member(&ix, 0, "a"), c = ig_jindex_first_child(&ix, arr);
        for (size_t i = 0; i < n && ok; i++, c = ix.nodes[c].next_sibling) {
                char want[64];
                char *path = ig_jindex_path(&ix, c, NULL);
                snprintf(want, sizeof(want), "$.a[%zu]", i);
                ok = ig_jindex_element(&ix, arr, i) == c && strcmp(path, want) == 0;
                if (!ok)
                        printf("# element %zu: got node %u, path %s\n", i, ig_jindex_element(&ix, arr, i), path);
                free(path);
        }
        tap_ok(ok, "every element of a 3000-element array found by index and named by path");
        tap_ok(ig_jindex_element(&ix, arr, n) == IG_NODE_NONE, "one past the end: none");
        c = ig_jindex_descend(&ix, 0, "a[2997][1].k[0]", NULL);
        tap_ok(c != IG_NODE_NONE && ix.text[ix.nodes[c].start] == '2', "descend through nested arrays");
        ig_jindex_free(&ix);
        free(doc);
}

/* Keys are read back from the text before each value: escaped quotes and
 * backslashes at either end of a key, white space around the colon. */
static void check_keys(void)
{
        static const char doc[] = "{\"a\\\"b\" : 1,\n \"c\\\\\"\t:\n[2], \"\\\"\":{\"\":3}, \"plain\":\"v\"}";
        static const char *const want[] = { "a\"b", "c\\", "\"", "plain" };
        struct ig_jindex ix;
        struct ig_jerror err;
        size_t i = 0;
        bool ok = true;

        if (ig_jindex_build(&ix, doc, strlen(doc), &err) < 0) {
                tap_ok(0, "keys document indexed: %s", err.message);
                return;
        }
        for (uint32_t c = ig_jindex_first_child(&ix, 0); c != IG_NODE_NONE; c = ix.nodes[c].next_sibling, i++) {
                char *k = ig_jindex_key(&ix, c);
                ok = ok && i < 4 && strcmp(k, want[i]) == 0;
                if (i >= 4 || strcmp(k, want[i]) != 0)
                        printf("# key %zu: [%s]\n", i, k);
                free(k);
        }
        tap_ok(ok && i == 4, "keys with escaped quotes and backslashes read back from the text");
        uint32_t inner = ig_jindex_member(&ix, ig_jindex_member(&ix, 0, "\""), "");
        tap_ok(inner != IG_NODE_NONE && doc[ix.nodes[inner].start] == '3', "empty key found");
        size_t off, len;
        tap_ok(!ig_jindex_key_span(&ix, 0, &off, &len), "the root has no key");
        uint32_t arr = ig_jindex_member(&ix, 0, "c\\");
        tap_ok(arr != IG_NODE_NONE && ig_jindex_type(&ix, arr) == IG_J_ARRAY &&
               !ig_jindex_key_span(&ix, ig_jindex_first_child(&ix, arr), &off, &len),
               "an array element has no key");
        ig_jindex_free(&ix);
}

int main(void)
{
        check_long_array();
        check_keys();
        const char *doc =
                "{\n"
                "  \"storage\": {\n"
                "    \"files\": [\n"
                "      {\"path\": \"/a\"},\n"
                "      {\"path\": \"/b\", \"mode\": 420}\n"
                "    ]\n"
                "  },\n"
                "  \"we ird\": [[1], {\"x\\\"y\": true}]\n"
                "}\n";

        check_path(doc, "storage.files[1].mode", "$.storage.files[1].mode", 5, 30);
        check_path(doc, "storage.files[0]", "$.storage.files[0]", 4, 7);
        check_path(doc, "storage.files[0].path", "$.storage.files[0].path", 4, 16);
        /* Missing members stop at the deepest existing value. */
        check_path(doc, "storage.files[7].path", "$.storage.files", 3, 14);
        check_path(doc, "", "$", 1, 1);

        {
                struct ig_jindex ix;
                struct ig_jerror err;
                uint32_t arr, obj, x;
                char *path, *key;

                ig_jindex_build(&ix, doc, strlen(doc), &err);
                arr = ig_jindex_member(&ix, 0, "we ird");
                obj = ig_jindex_element(&ix, arr, 1);
                x = ig_jindex_member(&ix, obj, "x\"y");
                key = ig_jindex_key(&ix, x);
                path = ig_jindex_path(&ix, x, NULL);
                tap_ok(x != IG_NODE_NONE && strcmp(key, "x\"y") == 0, "escaped key decoded (%s)", key);
                tap_ok(strcmp(path, "$[\"we ird\"][1][\"x\\\"y\"]") == 0, "odd keys are quoted in paths (%s)", path);
                tap_ok(ig_jindex_type(&ix, x) == IG_J_BOOL, "literal typed as bool");
                free(path);
                free(key);
                path = ig_jindex_path(&ix, 0, "storage.files[3].path");
                tap_ok(strcmp(path, "$.storage.files[3].path") == 0, "suffix appended to path (%s)", path);
                free(path);
                ig_jindex_free(&ix);
        }

        {
                /* Duplicate keys: the member lookup returns the last, as json-c does. */
                const char *d = "{\"a\": 1, \"a\": 22}";
                struct ig_jindex ix;
                struct ig_jerror err;
                ig_jindex_build(&ix, d, strlen(d), &err);
                uint32_t a = ig_jindex_member(&ix, 0, "a");
                tap_ok(a != IG_NODE_NONE && ix.nodes[a].start == 14, "duplicate key resolves to the last");
                ig_jindex_free(&ix);
        }

        check_error("trailing comma", "[1,2,]", 6, 5, "trailing comma");
        check_error("missing colon", "{\"a\" 1}", 7, 5, "expected ':'");
        check_error("missing comma", "{\"a\":1 \"b\":2}", 13, 7, "expected ','");
        check_error("unterminated string", "{\"a\":\"xyz", 9, 9, "end of input inside a string");
        check_error("bad literal", "[tru]", 5, 1, "invalid literal");
        check_error("single quotes", "{'a':1}", 7, 1, "expected a quoted object key");
        check_error("control char", "[\"a\tb\"]", 7, 3, "control character");
        check_error("trailing garbage", "{} x", 4, 3, "after the end");
        check_error("empty", "   ", 3, 3, "empty document");
        check_error("unclosed", "{\"a\": [1", 8, 8, "missing ']'");

        {
                size_t depth = 10000;
                char *deep = xmalloc(2 * depth + 1);
                memset(deep, '[', depth);
                memset(deep + depth, ']', depth);
                deep[2 * depth] = '\0';
                check_error("10000-deep nesting", deep, 2 * depth, IG_JSON_MAX_DEPTH, "nesting deeper");
                free(deep);
        }

        {
                /* Positions on a long single line and after CRLF line ends. */
                const char *crlf = "{\r\n\"a\":\r\n  5}";
                check_path(crlf, "a", "$.a", 3, 3);
        }
        return tap_done();
}
