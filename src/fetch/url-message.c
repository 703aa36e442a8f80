/* SPDX-License-Identifier: Apache-2.0 */
/* The form of a URL that may appear in a log line or a message. */

#include <string.h>

#include "ignis/fetch.h"
#include "ignis/log.h"

char *url_for_message(const char *url)
{
        size_t end = strcspn(url, "?#");
        const char *scheme_end = strstr(url, "://"), *at;

        if (scheme_end && (size_t) (scheme_end - url) < end) {
                const char *auth = scheme_end + 3;
                size_t auth_len = strcspn(auth, "/?#");
                /* The last '@': a password with a raw '@' in it (invalid,
                 * but a kernel command line is not validated before it is
                 * shown) must not leave its tail in the message. */
                at = memrchr(auth, '@', auth_len);
                if (at)
                        return xasprintf("%.*s://%.*s", (int) (scheme_end - url),
                                         url, (int) (end - (size_t) (at + 1 - url)), at + 1);
        }
        return xstrndup(url, end);
}
