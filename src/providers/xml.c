/* SPDX-License-Identifier: Apache-2.0 */
/* Just enough XML to read one text element from documents Azure writes
 * (ovf-env.xml's CustomData, the wireserver's goal state), one keyed
 * attribute from VMware's OVF environment (<Property oe:key=.. oe:value=..>)
 * or cut such elements out of it, and to escape the text of the health report. Not a parser: it finds the first element of a
 * local name and takes its text; anything it does not understand is
 * -EBADMSG, never a guess. Every read is bounds-checked against len (the
 * input need not be NUL-terminated), so it can be fed arbitrary bytes. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "internal.h"

struct buf {
        char *p;
        size_t n, alloc;
};

static void put(struct buf *b, const char *s, size_t n)
{
        if (b->n + n + 1 > b->alloc) {
                b->alloc = (b->n + n + 1) * 2;
                b->p = xrealloc(b->p, b->alloc);
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = '\0';
}

static bool starts(const char *x, size_t len, size_t i, const char *lit)
{
        size_t n = strlen(lit);

        return i <= len && len - i >= n && memcmp(x + i, lit, n) == 0;
}

/* The index just past the first occurrence of lit at or after i, or len+1. */
static size_t past(const char *x, size_t len, size_t i, const char *lit)
{
        size_t n = strlen(lit);

        for (; i < len && len - i >= n; i++)
                if (memcmp(x + i, lit, n) == 0)
                        return i + n;
        return len + 1;
}

static void put_utf8(struct buf *b, unsigned long cp)
{
        char u[4];

        if (cp < 0x80) {
                u[0] = (char) cp;
                put(b, u, 1);
        } else if (cp < 0x800) {
                u[0] = (char) (0xc0 | cp >> 6);
                u[1] = (char) (0x80 | (cp & 0x3f));
                put(b, u, 2);
        } else if (cp < 0x10000) {
                u[0] = (char) (0xe0 | cp >> 12);
                u[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char) (0x80 | (cp & 0x3f));
                put(b, u, 3);
        } else {
                u[0] = (char) (0xf0 | cp >> 18);
                u[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                u[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[3] = (char) (0x80 | (cp & 0x3f));
                put(b, u, 4);
        }
}

/* An entity at x[i] == '&'; returns the index after ';' or 0 if invalid. */
static size_t entity(const char *x, size_t len, size_t i, struct buf *b)
{
        static const struct {
                const char *name;
                char c;
        } named[] = { { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' } };
        size_t semi = i + 1;

        while (semi < len && semi - i <= 10 && x[semi] != ';')
                semi++;
        if (semi >= len || x[semi] != ';' || semi == i + 1)
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(named); k++)
                if (semi - i - 1 == strlen(named[k].name) && memcmp(x + i + 1, named[k].name, semi - i - 1) == 0) {
                        put(b, &named[k].c, 1);
                        return semi + 1;
                }
        if (x[i + 1] == '#') {
                bool hex = semi > i + 2 && (x[i + 2] == 'x' || x[i + 2] == 'X');
                unsigned long cp = 0;
                size_t k = i + 2 + hex;

                if (k >= semi)
                        return 0;
                for (; k < semi; k++) {
                        char c = x[k];
                        int d = c >= '0' && c <= '9' ? c - '0'
                                : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
                        if (d < 0)
                                return 0;
                        cp = cp * (hex ? 16 : 10) + (unsigned long) d;
                        if (cp > 0x10ffff)
                                return 0;
                }
                if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                put_utf8(b, cp);
                return semi + 1;
        }
        return 0;
}

static bool name_char(char c)
{
        return c && !strchr(" \t\r\n/>", c);
}

/* The tag name starting at x[i] (just after '<' or '</'): returns its end;
 * *local is where its local part starts (after the last ':'). */
static size_t tag_name(const char *x, size_t len, size_t i, size_t *local)
{
        *local = i;
        while (i < len && name_char(x[i])) {
                if (x[i] == ':')
                        *local = i + 1;
                i++;
        }
        return i;
}

/* The index just past the '>' ending the tag that starts before i
 * (quoted attribute values may hold '>'), or len+1; *empty for "/>". */
static size_t tag_end(const char *x, size_t len, size_t i, bool *empty)
{
        char quote = 0;

        for (; i < len; i++) {
                if (quote) {
                        if (x[i] == quote)
                                quote = 0;
                } else if (x[i] == '"' || x[i] == '\'')
                        quote = x[i];
                else if (x[i] == '>') {
                        *empty = i > 0 && x[i - 1] == '/';
                        return i + 1;
                }
        }
        return len + 1;
}

/* The text from i up to the closing tag of the element named
 * [name, name+nlen). */
static int content(const char *x, size_t len, size_t i, const char *name, size_t nlen, char **ret)
{
        struct buf b = {};

        put(&b, "", 0);
        while (i < len) {
                if (x[i] == '&') {
                        size_t next = entity(x, len, i, &b);
                        if (!next)
                                goto bad;
                        i = next;
                } else if (x[i] != '<') {
                        put(&b, x + i, 1);
                        i++;
                } else if (starts(x, len, i, "<![CDATA[")) {
                        size_t end = past(x, len, i + 9, "]]>");
                        if (end > len)
                                goto bad;
                        put(&b, x + i + 9, end - 3 - (i + 9));
                        i = end;
                } else if (starts(x, len, i, "<!--")) {
                        i = past(x, len, i + 4, "-->");
                } else if (starts(x, len, i, "</")) {
                        size_t local, e = tag_name(x, len, i + 2, &local), n = e - local;
                        while (e < len && x[e] && strchr(" \t\r\n", x[e]))
                                e++;
                        if (e >= len || x[e] != '>' || n != nlen || memcmp(x + local, name, nlen) != 0)
                                goto bad;
                        *ret = b.p;
                        return 0;
                } else
                        goto bad;       /* a child element: not a text element */
        }
bad:
        free(b.p);
        return -EBADMSG;
}

/* The next start tag at or after *i, skipping text, comments, CDATA,
 * declarations and end tags: 1 with [*local, *e) its local name, *end just
 * past its '>' and *empty for "<x/>", and *i moved past it; 0 at the end;
 * -EBADMSG for a tag that does not close. */
static int next_start_tag(const char *xml, size_t len, size_t *i, size_t *local, size_t *e, size_t *end,
                          bool *empty)
{
        while (*i < len) {
                if (xml[*i] != '<') {
                        (*i)++;
                        continue;
                }
                if (starts(xml, len, *i, "<!--")) {
                        *i = past(xml, len, *i + 4, "-->");
                        continue;
                }
                if (starts(xml, len, *i, "<![CDATA[")) {
                        *i = past(xml, len, *i + 9, "]]>");
                        continue;
                }
                *empty = false;
                if (starts(xml, len, *i, "<?") || starts(xml, len, *i, "<!") || starts(xml, len, *i, "</")) {
                        *i = tag_end(xml, len, *i + 1, empty);
                        continue;
                }
                *e = tag_name(xml, len, *i + 1, local);
                *end = tag_end(xml, len, *e, empty);
                if (*end > len)
                        return -EBADMSG;
                *i = *end;
                return 1;
        }
        return 0;
}

int xml_element_text(const char *xml, size_t len, const char *name, char **ret)
{
        size_t nlen = strlen(name), i = 0, local, e, end;
        bool empty;
        int r;

        *ret = NULL;
        while ((r = next_start_tag(xml, len, &i, &local, &e, &end, &empty)) > 0)
                if (e - local == nlen && memcmp(xml + local, name, nlen) == 0) {
                        if (empty) {
                                *ret = xstrdup("");
                                return 0;
                        }
                        return content(xml, len, end, name, nlen, ret);
                }
        return r < 0 ? r : -ENOENT;
}

/* The attributes of the start tag from i (just past its name) to end (just
 * past its '>'): the decoded values of the attributes whose local names
 * are a and b (NULL when absent). 0 or -EBADMSG. */
static int two_attributes(const char *x, size_t i, size_t end, const char *a, const char *b, char **va, char **vb)
{
        while (i < end) {
                size_t name, local, nend;
                struct buf v = {};
                char q;

                while (i < end && strchr(" \t\r\n", x[i]))
                        i++;
                if (i >= end || x[i] == '/' || x[i] == '>')
                        return 0;
                name = local = i;
                while (i < end && x[i] != '=' && !strchr(" \t\r\n/>", x[i])) {
                        if (x[i] == ':')
                                local = i + 1;
                        i++;
                }
                nend = i;
                while (i < end && strchr(" \t\r\n", x[i]))
                        i++;
                if (nend == name || i >= end || x[i] != '=')
                        return -EBADMSG;
                i++;
                while (i < end && strchr(" \t\r\n", x[i]))
                        i++;
                if (i >= end || (x[i] != '"' && x[i] != '\''))
                        return -EBADMSG;
                q = x[i++];
                put(&v, "", 0);
                while (i < end && x[i] != q) {
                        if (x[i] == '<') {
                                free(v.p);
                                return -EBADMSG;
                        }
                        if (x[i] == '&') {
                                size_t next = entity(x, end, i, &v);
                                if (!next) {
                                        free(v.p);
                                        return -EBADMSG;
                                }
                                i = next;
                        } else
                                put(&v, x + i++, 1);
                }
                if (i >= end) {
                        free(v.p);
                        return -EBADMSG;
                }
                i++;
                if (nend - local == strlen(a) && memcmp(x + local, a, nend - local) == 0 && !*va)
                        *va = TAKE_PTR(v.p);
                else if (nend - local == strlen(b) && memcmp(x + local, b, nend - local) == 0 && !*vb)
                        *vb = TAKE_PTR(v.p);
                free(v.p);
        }
        return 0;
}

int xml_keyed_attribute(const char *xml, size_t len, const char *element, const char *key_attr, const char *key,
                        const char *value_attr, char **ret)
{
        size_t nlen = strlen(element), i = 0, local, e, end;
        bool empty;
        int r;

        *ret = NULL;
        while ((r = next_start_tag(xml, len, &i, &local, &e, &end, &empty)) > 0)
                if (e - local == nlen && memcmp(xml + local, element, nlen) == 0) {
                        _cleanup_free_ char *k = NULL, *v = NULL;

                        r = two_attributes(xml, e, end, key_attr, value_attr, &k, &v);
                        if (r < 0)
                                return r;
                        if (k && strcmp(k, key) == 0) {
                                *ret = v ? TAKE_PTR(v) : xstrdup("");
                                return 0;
                        }
                }
        return r < 0 ? r : -ENOENT;
}

int xml_remove_keyed_elements(const char *xml, size_t len, const char *element, const char *key_attr,
                              const char *const *keys, char **ret, size_t *ret_len, size_t *removed)
{
        size_t nlen = strlen(element), i = 0, from = 0, local, e, end;
        struct buf b = {};
        bool empty;
        int r;

        *ret = NULL;
        *ret_len = *removed = 0;
        put(&b, "", 0);
        while ((r = next_start_tag(xml, len, &i, &local, &e, &end, &empty)) > 0) {
                _cleanup_free_ char *k = NULL, *unused = NULL;
                size_t lt = local;
                bool match = false;

                if (e - local != nlen || memcmp(xml + local, element, nlen) != 0)
                        continue;
                r = two_attributes(xml, e, end, key_attr, "", &k, &unused);
                if (r < 0)
                        break;
                for (size_t j = 0; k && keys[j] && !match; j++)
                        match = strcmp(k, keys[j]) == 0;
                if (!match)
                        continue;
                /* Only <element .../>: one with content would need its end
                 * tag found, and OVF properties never have content. */
                if (!empty) {
                        r = -EBADMSG;
                        break;
                }
                while (lt > 0 && xml[lt] != '<')
                        lt--;
                put(&b, xml + from, lt - from);
                from = end;
                (*removed)++;
        }
        if (r < 0) {
                free(b.p);
                return -EBADMSG;
        }
        put(&b, xml + from, len - from);
        *ret = b.p;
        *ret_len = b.n;
        return 0;
}

char *xml_escape(const char *s)
{
        struct buf b = {};

        put(&b, "", 0);
        for (; *s; s++)
                switch (*s) {
                case '&': put(&b, "&amp;", 5); break;
                case '<': put(&b, "&lt;", 4); break;
                case '>': put(&b, "&gt;", 4); break;
                case '"': put(&b, "&quot;", 6); break;
                case '\'': put(&b, "&apos;", 6); break;
                default:
                        /* XML 1.0 has no way to write these. */
                        if ((unsigned char) *s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                                put(&b, "?", 1);
                        else
                                put(&b, s, 1);
                }
        return b.p;
}

size_t utf8_prefix(const char *s, size_t max)
{
        size_t n = strlen(s), lead;

        if (n <= max)
                return n;
        /* Back to the start of the sequence the cut falls in, if any. */
        lead = max;
        while (lead > 0 && ((unsigned char) s[lead] & 0xc0) == 0x80)
                lead--;
        return lead;
}
