/* SPDX-License-Identifier: Apache-2.0 */
/* What a server's header block leaves in a struct http_response: libcurl
 * parses the protocol and hands over each line of the header block as it
 * arrived; these bytes are the server's, so every read is bounded by the
 * line's length (it need not be NUL-terminated) and the reason phrase,
 * which reaches log lines, is made printable. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ignis/http.h"
#include "ignis/log.h"
#include "fetch-internal.h"

void http_response_free(struct http_response *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_headers; i++)
                free(r->headers[i]);
        free(r->headers);
        r->headers = NULL;
        r->n_headers = 0;
}

const char *http_response_header(const struct http_response *r, const char *name)
{
        size_t l = strlen(name);

        for (size_t i = 0; r && i < r->n_headers; i++)
                if (strncasecmp(r->headers[i], name, l) == 0 && r->headers[i][l] == ':') {
                        const char *v = r->headers[i] + l + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        return v;
                }
        return NULL;
}

enum http_line http_header_line(struct http_response *resp, char *reason, size_t reason_size, const char *data,
                                size_t len)
{
        size_t l = len;
        const char *colon;
        char *line;

        while (l > 0 && (data[l - 1] == '\n' || data[l - 1] == '\r'))
                l--;
        if (l >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                /* A new response (after 100 Continue, or a proxy's CONNECT
                 * answer): only the last one's headers count. */
                const char *sp = memchr(data, ' ', l);
                const char *sp2 = sp ? memchr(sp + 1, ' ', l - (size_t) (sp + 1 - data)) : NULL;

                http_response_free(resp);
                if (reason_size == 0)
                        return HTTP_LINE_STATUS;
                reason[0] = '\0';
                if (sp2) {
                        size_t n = 0;
                        /* A log line is one line of text, whatever the server sent. */
                        for (const char *p = sp2 + 1; p < data + l && n + 1 < reason_size; p++)
                                reason[n++] = (unsigned char) *p < 0x20 || *p == 0x7f ? '?' : *p;
                        reason[n] = '\0';
                }
                return HTTP_LINE_STATUS;
        }
        if (l == 0)
                return HTTP_LINE_END;
        colon = memchr(data, ':', l);
        /* A NUL would cut the line short of what the server sent. */
        if (!colon || memchr(data, '\0', l) || !resp || resp->n_headers >= HTTP_MAX_HEADERS)
                return HTTP_LINE_HEADER;
        line = xstrndup(data, l);
        for (char *p = line; p < line + (colon - data); p++)
                *p = (char) tolower((unsigned char) *p);
        resp->headers = xrealloc(resp->headers, (resp->n_headers + 1) * sizeof(char *));
        resp->headers[resp->n_headers++] = line;
        return HTTP_LINE_HEADER;
}
