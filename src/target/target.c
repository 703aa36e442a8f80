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
        root_close(&t->root);
        *t = (struct target) { .root.fd = -1 };
}

void target_note_created(struct target *t, const char *path)
{
        /* Something below an already-noted path is relabelled with it. */
        for (size_t i = 0; i < t->created.n; i++) {
                size_t l = strlen(t->created.v[i]);
                if (strncmp(path, t->created.v[i], l) == 0 && (path[l] == '\0' || path[l] == '/'))
                        return;
        }
        t->created.v = xrealloc(t->created.v, (t->created.n + 1) * sizeof(char *));
        t->created.v[t->created.n++] = xstrdup(path);
}
