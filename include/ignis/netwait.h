/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Whether a config needs the network, and waiting until the network can
 * reach a resource's host.
 *
 * The initramfs brings networking up only when fetch-offline finds that the
 * config needs it. Then, rather than trust network.target or
 * network-online.target (reached before DHCP finishes on slow networks), the
 * fetch stage waits until the kernel has a route to each host it is about
 * to contact: a connect() of a UDP socket makes the kernel look the route up
 * and sends nothing. */

#include <stdbool.h>
#include <stddef.h>

#include "ignis/config.h"

/* A resource that only a network can provide: any source but data:, file:
 * and none. */
bool resource_is_remote(const struct ig_resource *r);

/* Whether c needs the network, and every remote URL it references, in
 * config order, appended to urls (borrowed pointers into c): config
 * merge/replace, CAs, file contents and append fragments, LUKS key files,
 * Tang servers without an advertisement (they are asked for one). A custom
 * Clevis pin with needsNetwork needs the network without a URL. */
bool config_network_needed(const struct ig_config *c, struct ig_strv *urls);

/* The network host a URL is fetched from, and its port: http(s) and tftp
 * hosts (IPv6 literals without brackets), the S3 and GCS endpoints for s3:,
 * arn: and gs:. Returns 0, or -EINVAL for a URL without a network host
 * (data:, file:). *host is malloc'd. */
int url_network_host(const char *url, char **host, unsigned *port);

/* 1 if the kernel has a route to host (an IP literal, or a name that
 * resolves), 0 if not yet, with the reason in *why (static text or
 * malloc'd into *why_buf). */
int net_route_to_host(const char *host, unsigned port, const char **why, char **why_buf);

/* Waits until a route to the host of each URL exists, at most timeout_s
 * seconds in all (0: no limit), logging on the console what it waits for
 * and, every 10 s, why it is still waiting. Returns 0, or -ETIMEDOUT
 * (logged, naming the host and the last reason). what names who asks. */
int net_wait_for_urls(const char *const *urls, size_t n, const char *what, long timeout_s);
