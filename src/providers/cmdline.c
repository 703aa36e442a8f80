/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "ignis/util.h"

static void push(struct cmdline *c, char *word)
{
        char *eq = strchr(word, '=');

        c->keys = xrealloc(c->keys, (c->n + 1) * sizeof(char *));
        c->values = xrealloc(c->values, (c->n + 1) * sizeof(char *));
        if (eq) {
                c->keys[c->n] = xstrndup(word, (size_t) (eq - word));
                c->values[c->n] = xstrdup(eq + 1);
        } else {
                c->keys[c->n] = xstrdup(word);
                c->values[c->n] = NULL;
        }
        c->n++;
}

/* Split as systemd does for the kernel command line: whitespace separates,
 * a double quote toggles quoting anywhere in a word and is dropped (the
 * kernel's own next_arg keeps quotes in the middle of a word; user space
 * sees the systemd reading). */
int cmdline_parse(const char *text, struct cmdline *c)
{
        size_t len = strlen(text);
        _cleanup_free_ char *word = xmalloc(len + 1);
        size_t w = 0;
        bool quoted = false, in_word = false;

        *c = (struct cmdline) {};
        for (size_t i = 0; i <= len; i++) {
                char ch = text[i];
                bool space = ch == '\0' || (!quoted && (ch == ' ' || ch == '\t' || ch == '\n'));

                if (space) {
                        if (in_word) {
                                word[w] = '\0';
                                push(c, word);
                                w = 0;
                                in_word = false;
                        }
                        continue;
                }
                in_word = true;
                if (ch == '"') {
                        quoted = !quoted;
                        continue;
                }
                word[w++] = ch;
        }
        return 0;
}

int cmdline_read(const char *path, struct cmdline *c)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_full_file(path, 1024 * 1024, &text, &len);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", path);
        return cmdline_parse(text, c);
}

void cmdline_free(struct cmdline *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->keys[i]);
                free(c->values[i]);
        }
        free(c->keys);
        free(c->values);
        *c = (struct cmdline) {};
}

bool cmdline_get(const struct cmdline *c, const char *key, const char **value)
{
        bool found = false;

        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->keys[i], key) == 0) {
                        found = true;
                        if (value)
                                *value = c->values[i];
                }
        return found;
}

bool cmdline_is_firstboot(const struct cmdline *c)
{
        const char *v = NULL;

        /* The generator's rule, which is Ignition's: a bare flag or any
         * value but empty, 0, no or off (exactly those words). */
        if (!cmdline_get(c, "ignition.firstboot", &v))
                return false;
        if (!v)
                return true;
        return *v && strcmp(v, "0") != 0 && strcmp(v, "no") != 0 && strcmp(v, "off") != 0;
}
