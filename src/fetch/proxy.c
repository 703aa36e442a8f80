/* SPDX-License-Identifier: Apache-2.0 */
/* ignition.proxy: which requests go through the proxy. libcurl's NOPROXY
 * cannot say "subdomains only" (.example.com matches example.com too) nor
 * restrict an entry to a port, so the decision is made here, per request
 * and per redirect hop, with the rules Go's httpproxy applies for Ignition. */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "fetch-internal.h"

struct ip {
        int family;
        unsigned char a[16];
};

static bool parse_ip(const char *s, struct ip *ip)
{
        if (inet_pton(AF_INET, s, ip->a) == 1) {
                ip->family = AF_INET;
                return true;
        }
        if (inet_pton(AF_INET6, s, ip->a) == 1) {
                /* ::ffff:a.b.c.d is the IPv4 address, as Go compares them. */
                static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
                if (memcmp(ip->a, mapped, 12) == 0) {
                        memmove(ip->a, ip->a + 12, 4);
                        ip->family = AF_INET;
                } else
                        ip->family = AF_INET6;
                return true;
        }
        return false;
}

static bool is_loopback(const struct ip *ip)
{
        static const unsigned char v6[16] = { [15] = 1 };

        if (ip->family == AF_INET)
                return ip->a[0] == 127;
        return memcmp(ip->a, v6, 16) == 0;
}

static bool prefix_match(const struct ip *net, unsigned bits, const struct ip *ip)
{
        unsigned bytes = bits / 8, rest = bits % 8;

        if (net->family != ip->family)
                return false;
        if (memcmp(net->a, ip->a, bytes) != 0)
                return false;
        if (rest == 0)
                return true;
        return ((net->a[bytes] ^ ip->a[bytes]) & (0xff << (8 - rest))) == 0;
}

/* Splits "host:port" or "[v6]:port" as Go's net.SplitHostPort would; an
 * entry without a port (or a bare IPv6 address) keeps port "". */
static void split_entry(char *e, char **host, char **port)
{
        char *colon = strrchr(e, ':');

        *host = e;
        *port = NULL;
        if (e[0] == '[') {
                char *close = strchr(e, ']');
                if (close && close[1] == ':') {
                        *close = '\0';
                        *host = e + 1;
                        *port = close + 2;
                } else if (close && close[1] == '\0') {
                        *close = '\0';
                        *host = e + 1;
                }
                return;
        }
        /* Two colons or more: an IPv6 address without brackets or port. */
        if (colon && strchr(e, ':') == colon) {
                *colon = '\0';
                *port = colon + 1;
        }
}

static bool entry_matches(char *e, const char *host, const struct ip *ip, bool host_is_ip, unsigned port)
{
        char *h, *p, *slash;
        struct ip net;
        size_t hl, el;

        slash = strchr(e, '/');
        if (slash) {
                /* CIDR: the port plays no part. */
                char *end;
                long bits;
                *slash = '\0';
                bits = strtol(slash + 1, &end, 10);
                if (*end || slash[1] == '\0' || !parse_ip(e, &net) || !host_is_ip)
                        return false;
                if (bits < 0 || bits > (net.family == AF_INET ? 32 : 128))
                        return false;
                if (net.family == AF_INET && strchr(e, ':'))
                        bits = bits > 96 ? bits - 96 : 0;
                return prefix_match(&net, (unsigned) bits, ip);
        }

        split_entry(e, &h, &p);
        if (p && *p && (unsigned) strtoul(p, NULL, 10) != port)
                return false;
        if (parse_ip(h, &net)) {
                /* An IP entry matches that address only; a name never. */
                return host_is_ip && net.family == ip->family &&
                       memcmp(net.a, ip->a, net.family == AF_INET ? 4 : 16) == 0;
        }
        if (h[0] == '*' && h[1] == '.')
                h++;
        hl = strlen(host);
        el = strlen(h);
        if (el == 0)
                return false;
        if (h[0] == '.')
                /* Subdomains only. */
                return hl > el && strcasecmp(host + hl - el, h) == 0;
        /* The domain itself and its subdomains. */
        if (strcasecmp(host, h) == 0)
                return true;
        return hl > el && host[hl - el - 1] == '.' && strcasecmp(host + hl - el, h) == 0;
}

bool proxy_wanted(const struct ig_strv *no_proxy, const char *host, unsigned port)
{
        struct ip ip = {};
        bool host_is_ip;

        if (!host || !*host)
                return true;
        if (strcasecmp(host, "localhost") == 0)
                return false;
        host_is_ip = parse_ip(host, &ip);
        if (host_is_ip && is_loopback(&ip))
                return false;

        for (size_t i = 0; no_proxy && i < no_proxy->n; i++) {
                _cleanup_free_ char *list = xstrdup(no_proxy->v[i]);
                char *save = NULL;

                for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                        char *e = tok, *end;

                        while (isspace((unsigned char) *e))
                                e++;
                        end = e + strlen(e);
                        while (end > e && isspace((unsigned char) end[-1]))
                                *--end = '\0';
                        if (strcmp(e, "*") == 0)
                                return false;
                        if (*e && entry_matches(e, host, &ip, host_is_ip, port))
                                return false;
                }
        }
        return true;
}

const char *proxy_for_url(const struct fetch_settings *s, const char *url)
{
        _cleanup_free_ char *scheme = NULL, *host = NULL, *port = NULL;
        const char *proxy;
        CURLU *u;
        char *tmp;
        size_t hl;

        if (!s || (!s->http_proxy && !s->https_proxy))
                return NULL;
        u = sym_curl_url();
        if (!u)
                return NULL;
        if (sym_curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
                sym_curl_url_cleanup(u);
                return NULL;
        }
        if (sym_curl_url_get(u, CURLUPART_SCHEME, &tmp, 0) == CURLUE_OK) {
                scheme = xstrdup(tmp);
                sym_curl_free(tmp);
        }
        if (sym_curl_url_get(u, CURLUPART_HOST, &tmp, 0) == CURLUE_OK) {
                host = xstrdup(tmp);
                sym_curl_free(tmp);
        }
        if (sym_curl_url_get(u, CURLUPART_PORT, &tmp, CURLU_DEFAULT_PORT) == CURLUE_OK) {
                port = xstrdup(tmp);
                sym_curl_free(tmp);
        }
        sym_curl_url_cleanup(u);
        if (!scheme || !host)
                return NULL;

        /* As Go's httpproxy: https uses httpsProxy only, http httpProxy only. */
        if (strcasecmp(scheme, "https") == 0)
                proxy = s->https_proxy;
        else if (strcasecmp(scheme, "http") == 0)
                proxy = s->http_proxy;
        else
                return NULL;
        if (!proxy || !*proxy)
                return NULL;

        hl = strlen(host);
        if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
                memmove(host, host + 1, hl - 2);
                host[hl - 2] = '\0';
        }
        return proxy_wanted(&s->no_proxy, host, port ? (unsigned) strtoul(port, NULL, 10) : 0) ? proxy : NULL;
}
