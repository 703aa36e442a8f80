/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "ignis/log.h"
#include "ignis/target.h"

int target_open(const char *path, struct target *t)
{
        *t = (struct target) {};
        return root_open(path, &t->root);
}

void target_close(struct target *t)
{
        if (t->relabel_started) {
                /* The stage failed before the paths were handed over. */
                struct exec_result res;
                if (exec_finish(&t->relabel, NULL, 0, &res) >= 0)
                        exec_result_free(&res);
        }
        for (size_t i = 0; i < t->created.n; i++)
                free(t->created.v[i]);
        free(t->created.v);
        free(t->root_host);
        root_close(&t->root);
        *t = (struct target) { .root.fd = -1 };
}

void target_note_created(struct target *t, const char *path)
{
        /* Kept as they come (a stage may note thousands of paths); paths
         * below another one are dropped once, by target_created_minimal(). */
        if (t->created.n == t->created_alloc) {
                t->created_alloc = t->created_alloc ? t->created_alloc * 2 : 64;
                t->created.v = xrealloc(t->created.v, t->created_alloc * sizeof(char *));
        }
        t->created.v[t->created.n++] = xstrdup(path);
}

/* strcmp with '/' sorting before every other byte: a directory's
 * descendants then follow it directly ("/a", "/a/b", "/a-b"). */
static int cmp_path(const void *a, const void *b)
{
        const unsigned char *x = *(const unsigned char *const *) a, *y = *(const unsigned char *const *) b;

        for (; *x && *x == *y; x++, y++)
                ;
        if (*x == *y)
                return 0;
        if (*x == '/' || *y == '/')
                return *x == '/' ? (*y ? -1 : 1) : (*x ? 1 : -1);
        return *x < *y ? -1 : 1;
}

void target_created_minimal(struct target *t)
{
        size_t kept = 0;

        qsort(t->created.v, t->created.n, sizeof(char *), cmp_path);
        for (size_t i = 0; i < t->created.n; i++) {
                char *p = t->created.v[i];
                if (kept > 0) {
                        const char *k = t->created.v[kept - 1];
                        size_t l = strlen(k);
                        /* Below (or equal to) what is kept: relabelled with it. */
                        if (strncmp(p, k, l) == 0 && (p[l] == '\0' || p[l] == '/' || (l == 1 && k[0] == '/'))) {
                                free(p);
                                continue;
                        }
                }
                t->created.v[kept++] = p;
        }
        t->created.n = kept;
}
