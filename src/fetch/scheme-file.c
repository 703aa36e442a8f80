/* SPDX-License-Identifier: Apache-2.0 */
/* file:///path: a local file, read-only (beyond Ignition: configs and
 * contents carried in the initramfs or on a config medium). No host part
 * but "localhost", no query: what the URL says is exactly the path read. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "fetch-internal.h"

#define CHUNK (64 * 1024)

static int unescape(const char *s, char **ret)
{
        size_t l = strlen(s);
        char *out = xmalloc(l + 1), *o = out;

        for (const char *p = s; *p; p++) {
                if (*p == '%') {
                        unsigned v;
                        if (!p[1] || !p[2] || sscanf(p + 1, "%2x", &v) != 1 || v == 0) {
                                free(out);
                                return -EINVAL;
                        }
                        *o++ = (char) v;
                        p += 2;
                } else
                        *o++ = *p;
        }
        *o = '\0';
        *ret = out;
        return 0;
}

int transport_file(const struct fetch_request *f, const struct http_sink *sink)
{
        _cleanup_free_ char *shown = url_for_message(f->url), *path = NULL;
        _cleanup_close_ int fd = -1;
        const char *rest = f->url + strlen("file:");
        char buf[CHUNK];
        ssize_t n;
        int r;

        if (strncmp(rest, "//", 2) == 0) {
                rest += 2;
                if (strncasecmp(rest, "localhost/", 10) == 0)
                        rest += 9;
                else if (rest[0] != '/')
                        return log_error_errno(EINVAL, "%s: %s: a file: URL names a local path (file:///path)",
                                               f->what, shown);
        }
        if (rest[0] != '/' || strpbrk(rest, "?#"))
                return log_error_errno(EINVAL, "%s: %s: a file: URL names an absolute path, without query or "
                                       "fragment", f->what, shown);
        if (unescape(rest, &path) < 0)
                return log_error_errno(EINVAL, "%s: %s: invalid %%-escape in the path", f->what, shown);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "%s: %s: cannot open: %m", f->what, shown);
        while ((n = read(fd, buf, sizeof(buf))) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "%s: %s: read failed: %m", f->what, shown);
                }
                r = sink->write(sink->userdata, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
        return 0;
}
