/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Hyper-V's key-value pair exchange (KVP), as a KVP daemon sees it: the
 * kernel's hv_utils driver hands each message the host sends to whoever
 * registered on its character device, and waits for the answer. The layout
 * of a message is the kernel's (struct hv_kvp_msg, <linux/hyperv.h>).
 * hyperv.c is the provider; this is the protocol and the pool file format,
 * over any file descriptor that carries one message per read() and write()
 * (the device, or a test's SOCK_SEQPACKET socket). */

#include <stddef.h>

#include <linux/hyperv.h>

struct kvp_pair {
        char *key;
        char *value;
};

/* What the host set, per pool (KVP_POOL_EXTERNAL is the user's data), in
 * the order the keys were first set. */
struct kvp_pools {
        struct kvp_pair *v[KVP_POOL_COUNT];
        size_t n[KVP_POOL_COUNT];
};

void kvp_pools_free(struct kvp_pools *p);

/* The value of key in pool, or NULL. */
const char *kvp_get(const struct kvp_pools *p, unsigned pool, const char *key);

/* Registers on fd as the KVP daemon, then records every pair the host sets
 * (and forgets those it deletes), answering each message as hv_kvp_daemon
 * does, until nothing arrives for quiet_ms (or the other end closes).
 * Returns 0, or -ECONNREFUSED (the registration was refused), -EPROTO (a
 * truncated or malformed message), another negative errno; logged. */
int kvp_exchange(int fd, int quiet_ms, struct kvp_pools *p);

/* hv_kvp_daemon's pool file (/var/lib/hyperv/.kvp_pool_<n>): one record per
 * pair, the key NUL-padded to HV_KVP_EXCHANGE_MAX_KEY_SIZE bytes, then the
 * value to HV_KVP_EXCHANGE_MAX_VALUE_SIZE. */
void kvp_pool_encode(const struct kvp_pools *p, unsigned pool, char **data, size_t *len);
/* The reverse, into pool (which must be empty): 0, or -EBADMSG when len is
 * not a whole number of records. */
int kvp_pool_decode(struct kvp_pools *p, unsigned pool, const char *data, size_t len);
