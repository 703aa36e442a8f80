/* SPDX-License-Identifier: Apache-2.0 */
/* Does a config need the network, and is there a route to a resource's host
 * yet (see include/ignis/netwait.h). */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/log.h"
#include "ignis/netwait.h"
#include "ignis/rootfs.h"
#include "ignis/util.h"

bool resource_is_remote(const struct ig_resource *r)
{
        return r->source && *r->source && strncasecmp(r->source, "data:", 5) != 0 &&
               strncasecmp(r->source, "file:", 5) != 0;
}

static void add(const struct ig_resource *r, struct ig_strv *urls)
{
        if (!resource_is_remote(r))
                return;
        urls->v = xrealloc(urls->v, (urls->n + 1) * sizeof(char *));
        urls->v[urls->n++] = r->source;
}

bool config_network_needed(const struct ig_config *c, struct ig_strv *urls)
{
        const struct ig_ignition *ig = &c->ignition;
        size_t before = urls->n;
        bool custom = false;

        add(&ig->config.replace, urls);
        for (size_t i = 0; i < ig->config.merge.n; i++)
                add(&ig->config.merge.v[i], urls);
        for (size_t i = 0; i < ig->security.tls.certificate_authorities.n; i++)
                add(&ig->security.tls.certificate_authorities.v[i], urls);
        for (size_t i = 0; i < c->storage.files.n; i++) {
                add(&c->storage.files.v[i].contents, urls);
                for (size_t j = 0; j < c->storage.files.v[i].append.n; j++)
                        add(&c->storage.files.v[i].append.v[j], urls);
        }
        for (size_t i = 0; i < c->storage.luks.n; i++) {
                const struct ig_luks *l = &c->storage.luks.v[i];

                add(&l->key_file, urls);
                for (size_t j = 0; j < l->clevis.tang.n; j++) {
                        const struct ig_tang *t = &l->clevis.tang.v[j];
                        if (t->url && (!t->advertisement || !*t->advertisement)) {
                                urls->v = xrealloc(urls->v, (urls->n + 1) * sizeof(char *));
                                urls->v[urls->n++] = t->url;
                        }
                }
                if (l->clevis.custom.needs_network.set && l->clevis.custom.needs_network.v)
                        custom = true;
        }
        return custom || urls->n > before;
}

int url_network_host(const char *url, char **host, unsigned *port)
{
        static const struct {
                const char *scheme;
                const char *host;       /* NULL: the URL's own */
                unsigned port;
        } schemes[] = {
                { "http", NULL, 80 },
                { "https", NULL, 443 },
                { "tftp", NULL, 69 },
                /* The bucket is not the host: these go to the storage
                 * service's endpoint (a regional one resolves the same way). */
                { "s3", "s3.amazonaws.com", 443 },
                { "arn", "s3.amazonaws.com", 443 },
                { "gs", "storage.googleapis.com", 443 },
        };
        const char *colon = strchr(url, ':'), *auth, *end, *at, *h, *hend, *p = NULL;
        size_t slen;

        *host = NULL;
        if (!colon)
                return -EINVAL;
        slen = (size_t) (colon - url);
        for (size_t i = 0; i < ELEMENTSOF(schemes); i++) {
                if (strlen(schemes[i].scheme) != slen || strncasecmp(url, schemes[i].scheme, slen) != 0)
                        continue;
                *port = schemes[i].port;
                if (schemes[i].host) {
                        *host = xstrdup(schemes[i].host);
                        return 0;
                }
                if (strncmp(colon, "://", 3) != 0)
                        return -EINVAL;
                auth = colon + 3;
                end = auth + strcspn(auth, "/?#");
                /* userinfo may hold a ':' or '@' only before the last '@' */
                at = NULL;
                for (const char *q = auth; q < end; q++)
                        if (*q == '@')
                                at = q;
                h = at ? at + 1 : auth;
                if (*h == '[') {
                        hend = memchr(h, ']', (size_t) (end - h));
                        if (!hend)
                                return -EINVAL;
                        if (hend + 1 < end && hend[1] == ':')
                                p = hend + 2;
                        h++;
                } else {
                        hend = memchr(h, ':', (size_t) (end - h));
                        if (hend)
                                p = hend + 1;
                        else
                                hend = end;
                }
                if (hend == h)
                        return -EINVAL;
                if (p && p < end) {
                        unsigned v = 0;
                        for (; p < end; p++) {
                                if (*p < '0' || *p > '9' || v > 65535)
                                        return -EINVAL;
                                v = v * 10 + (unsigned) (*p - '0');
                        }
                        if (v == 0 || v > 65535)
                                return -EINVAL;
                        *port = v;
                }
                *host = xstrndup(h, (size_t) (hend - h));
                /* an IPv6 zone ("fe80::1%25eth0") is the interface name */
                {
                        char *pct = strstr(*host, "%25");
                        if (pct)
                                memmove(pct + 1, pct + 3, strlen(pct + 3) + 1);
                }
                return 0;
        }
        return -EINVAL;
}

/* The kernel's route lookup, without sending anything. */
static int route_exists(const struct sockaddr *sa, socklen_t len, int *err)
{
        _cleanup_close_ int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0) {
                *err = errno;
                return 0;
        }
        if (connect(fd, sa, len) < 0) {
                *err = errno;
                return 0;
        }
        return 1;
}

/* The initramfs's systemd-networkd writes no /etc/resolv.conf (there is no
 * systemd-resolved): copy the DNS servers it learnt (its per-link state
 * files) into one, so that host names resolve. Only in an initramfs, only
 * when /etc/resolv.conf names no server. */
static void initrd_resolv_conf(void)
{
        const char *links = "/run/systemd/netif/links";
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t len, n = 0;
        DIR *d;
        struct dirent *de;

        if (access("/etc/initrd-release", F_OK) < 0)
                return;
        if (read_full_file("/etc/resolv.conf", 65536, &old, &len) >= 0 && strstr(old, "nameserver"))
                return;
        d = opendir(links);
        if (!d)
                return;
        text = xstrdup("# written by ignis from systemd-networkd's DHCP leases\n");
        while ((de = readdir(d)) && n < 3) {
                _cleanup_free_ char *p = xasprintf("%s/%s", links, de->d_name), *state = NULL;
                char *save = NULL;

                if (de->d_name[0] == '.' || read_full_file(p, 65536, &state, &len) < 0)
                        continue;
                for (char *line = strtok_r(state, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        char *s2 = NULL;
                        if (strncmp(line, "DNS=", 4) != 0)
                                continue;
                        for (char *a = strtok_r(line + 4, " ", &s2); a && n < 3; a = strtok_r(NULL, " ", &s2)) {
                                char *t = xasprintf("%snameserver %s\n", text, a);
                                free(text);
                                text = t;
                                n++;
                        }
                }
        }
        closedir(d);
        if (n == 0)
                return;
        {
                _cleanup_close_ int dfd = open("/etc", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0 && root_write_file(dfd, "resolv.conf", text, strlen(text), 0644, 0, 0) >= 0)
                        log_info("DNS servers from DHCP written to /etc/resolv.conf (%zu)", n);
        }
}

int net_route_to_host(const char *host, unsigned port, const char **why, char **why_buf)
{
        struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t) port) };
        _cleanup_free_ char *h = xstrdup(host);
        char *pct = strchr(h, '%');
        struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
        int err = 0, r;

        *why = NULL;
        *why_buf = NULL;
        if (pct)
                *pct = '\0';
        if (inet_pton(AF_INET, h, &in4.sin_addr) == 1) {
                if (route_exists((struct sockaddr *) &in4, sizeof(in4), &err))
                        return 1;
                *why = *why_buf = xasprintf("no route to %s: %s", host, strerror(err));
                return 0;
        }
        if (inet_pton(AF_INET6, h, &in6.sin6_addr) == 1) {
                if (pct)
                        in6.sin6_scope_id = if_nametoindex(pct + 1);
                if (route_exists((struct sockaddr *) &in6, sizeof(in6), &err))
                        return 1;
                *why = *why_buf = xasprintf("no route to %s: %s", host, strerror(err));
                return 0;
        }

        initrd_resolv_conf();
        r = getaddrinfo(h, NULL, &hints, &res);
        if (r != 0) {
                *why = *why_buf = xasprintf("cannot resolve %s: %s", host,
                                            r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
                return 0;
        }
        for (struct addrinfo *a = res; a; a = a->ai_next) {
                if (a->ai_family == AF_INET)
                        ((struct sockaddr_in *) a->ai_addr)->sin_port = htons((uint16_t) port);
                else if (a->ai_family == AF_INET6)
                        ((struct sockaddr_in6 *) a->ai_addr)->sin6_port = htons((uint16_t) port);
                else
                        continue;
                if (route_exists(a->ai_addr, a->ai_addrlen, &err)) {
                        freeaddrinfo(res);
                        return 1;
                }
        }
        freeaddrinfo(res);
        *why = *why_buf = xasprintf("no route to any address of %s: %s", host, strerror(err ? err : ENETUNREACH));
        return 0;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int net_wait_for_urls(const char *const *urls, size_t n, const char *what, long timeout_s)
{
        double start = now_s(), next_note = start + 10;
        bool announced = false;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *host = NULL, *shown = url_for_message(urls[i]);
                unsigned port = 0;
                bool dup = false;

                if (url_network_host(urls[i], &host, &port) < 0)
                        continue;
                /* one wait per host, not per resource */
                for (size_t j = 0; j < i && !dup; j++) {
                        _cleanup_free_ char *h2 = NULL;
                        unsigned p2;
                        dup = url_network_host(urls[j], &h2, &p2) == 0 && strcmp(h2, host) == 0;
                }
                if (dup)
                        continue;
                for (;;) {
                        _cleanup_free_ char *why_buf = NULL;
                        const char *why;
                        double t;

                        if (net_route_to_host(host, port, &why, &why_buf) > 0) {
                                if (announced)
                                        log_info("%s: the network reaches %s after %.1fs", what, host,
                                                 now_s() - start);
                                break;
                        }
                        t = now_s();
                        if (!announced) {
                                log_info("%s: waiting for a route to %s (for %s): %s", what, host, shown, why);
                                announced = true;
                        }
                        if (timeout_s > 0 && t - start >= (double) timeout_s)
                                return log_error_errno(ETIMEDOUT, "%s: no network to fetch %s after %lds: %s; "
                                                       "check the network kernel arguments (ip=) and that the "
                                                       "initramfs has the NIC's driver",
                                                       what, shown, timeout_s, why);
                        if (t >= next_note) {
                                log_info("%s: still waiting for the network (%.0fs): %s", what, t - start, why);
                                next_note = t + 10;
                        }
                        usleep(100 * 1000);
                }
        }
        return 0;
}
