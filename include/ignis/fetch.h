/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Getting a Resource's bytes: by URL scheme, then gunzip (if asked), then
 * the hash check over the decompressed bytes, streamed in bounded chunks. */

#include <stdbool.h>
#include <stddef.h>

#include "ignis/config.h"

/* Whether the resource can be had without a network (data: URL or no/empty
 * source). */
bool fetch_is_local(const struct ig_resource *r);

/* Whether anything in c (merge/replace, CAs, file contents and append
 * fragments, LUKS key files, Tang servers without an advertisement, custom
 * Clevis pins that say so) needs the network. References are not followed:
 * call it on the rendered config too. */
bool config_needs_network(const struct ig_config *c);

/* Streams the resource into fd (at its current offset). what names the
 * config entry in messages ("$.storage.files[3] \"/etc/motd\""). Returns 0,
 * -EBADMSG on a hash mismatch or corrupt data, -EOPNOTSUPP for a scheme
 * this build cannot fetch yet, or another negative errno. Errors are logged. */
int fetch_to_fd(const struct ig_resource *r, int fd, const char *what);

/* Same, into memory (for configs, CA bundles and key files), refusing more
 * than max bytes after decompression (-EFBIG). The buffer is NUL-terminated. */
int fetch_to_memory(const struct ig_resource *r, const char *what, size_t max, char **ret, size_t *ret_len);

/* Replaces every remote certificateAuthorities source of c by a data: URL
 * of its (decompressed, verified) bytes, as Ignition caches them: the later
 * stages then need no network for them. Returns 0 or a negative errno
 * (logged). */
int fetch_inline_remote_cas(struct ig_config *c);

/* fetch_to_memory() with a total budget in seconds overriding the
 * settings' (Ignition gives the user config itself 2 minutes). */
int fetch_to_memory_budget(const struct ig_resource *r, const char *what, long budget_s, size_t max, char **ret,
                           size_t *ret_len);

/* A URL fit for a log line: scheme, host and path, without user:password@,
 * query or fragment (a presigned URL's query is a secret). malloc'd. */
char *url_for_message(const char *url);
