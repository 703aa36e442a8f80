/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared between the files of src/fetch/ only. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ignis/config.h"
#include "ignis/http.h"

/* Whether a request to host:port (host without brackets, lower or mixed
 * case) goes through the proxy, given the config's noProxy entries, with
 * Go's net/http/httpproxy rules: never for localhost and loopback
 * addresses; "*" bypasses everything; an entry is an IP (optionally with
 * :port), a CIDR, a domain that matches itself and its subdomains, or
 * ".domain"/"*.domain" that matches subdomains only; a :port restricts a
 * domain or IP entry to that port. Entries may hold several, comma-separated. */
bool proxy_wanted(const struct ig_strv *no_proxy, const char *host, unsigned port);

/* One line of a response's header block, as libcurl's header callback
 * gets it (CRLF included, not NUL-terminated). A status line ("HTTP/...")
 * empties resp and puts its reason phrase, control characters replaced by
 * '?', into reason; a "name: value" line is kept in resp (the name
 * lower-cased, at most HTTP_MAX_HEADERS); the blank line ends the block. */
#define HTTP_MAX_HEADERS 256
enum http_line { HTTP_LINE_STATUS, HTTP_LINE_END, HTTP_LINE_HEADER };
enum http_line http_header_line(struct http_response *resp, char *reason, size_t reason_size, const char *data,
                                size_t len);

/* The proxy URL for url under s, or NULL for a direct connection. */
const char *proxy_for_url(const struct fetch_settings *s, const char *url);

/* A sink over an fd or a bounded buffer, restartable (a retry truncates
 * back to where the body started). */
struct mem_sink {
        char *buf;
        size_t len, alloc, max;
};
int mem_sink_write(void *userdata, const void *data, size_t len);
int mem_sink_restart(void *userdata);

/* The transports behind fetch_to_fd()/fetch_to_memory(): each streams the
 * raw (still compressed) bytes of url into sink. */
struct fetch_request {
        const struct ig_resource *res;
        const char *url;
        const char *what;
        const struct fetch_settings *settings;
        long budget_s;                  /* 0: the settings' total timeout */
};

int transport_http(const struct fetch_request *f, const struct http_sink *sink);
int transport_s3(const struct fetch_request *f, const struct http_sink *sink);
int transport_gs(const struct fetch_request *f, const struct http_sink *sink);
int transport_file(const struct fetch_request *f, const struct http_sink *sink);

/* fetch_to_memory() with explicit settings (the CAs of a config are
 * fetched with the settings before it). */
int resource_fetch_memory(const struct fetch_settings *s, const struct ig_resource *r, const char *what, size_t max,
                          char **ret, size_t *ret_len);

/* http-bridge.c: a connector's socket for libcurl versions that cannot
 * take an already connected one (7.88.x). */
bool curl_takes_connected_sockets(void);
struct socket_bridge;
/* Starts bridging the connected socket remote (owned by the bridge from
 * then on): returns an unconnected socket for libcurl and, in addr (of
 * *addrlen bytes at most), the address it must connect to; or a negative
 * errno (remote is still the caller's). */
int socket_bridge_start(int remote, struct sockaddr *addr, unsigned *addrlen, struct socket_bridge **ret);
/* Ends the copying (the transfer is over), closes everything. NULL: no-op. */
void socket_bridge_stop(struct socket_bridge *b);
