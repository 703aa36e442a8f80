/* SPDX-License-Identifier: Apache-2.0 */
/* The KVP daemon's side of the exchange with the hv_utils driver (see
 * hyperv-kvp.h). The order is the kernel's: the daemon writes a
 * registration, the driver answers it with a message of the same
 * operation, then forwards each host request and waits for its answer
 * before the next. Pairs are only ever pushed once per boot, so whatever
 * is not recorded here is lost. */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "hyperv-kvp.h"

#define WHO "platform hyperv"
#define RECORD_SIZE (HV_KVP_EXCHANGE_MAX_KEY_SIZE + HV_KVP_EXCHANGE_MAX_VALUE_SIZE)
/* Far more than a host sets (a config of 16 MiB in 1 KiB parts); a bound
 * on what a confused peer can make us hold. */
#define MAX_PAIRS 20000
#define REGISTER_WAIT_MS 10000
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

void kvp_pools_free(struct kvp_pools *p)
{
        for (unsigned i = 0; i < KVP_POOL_COUNT; i++) {
                for (size_t j = 0; j < p->n[i]; j++) {
                        free(p->v[i][j].key);
                        free(p->v[i][j].value);
                }
                free(p->v[i]);
        }
        *p = (struct kvp_pools) {};
}

static ssize_t find(const struct kvp_pools *p, unsigned pool, const char *key)
{
        for (size_t j = 0; j < p->n[pool]; j++)
                if (strcmp(p->v[pool][j].key, key) == 0)
                        return (ssize_t) j;
        return -1;
}

const char *kvp_get(const struct kvp_pools *p, unsigned pool, const char *key)
{
        ssize_t j = pool < KVP_POOL_COUNT ? find(p, pool, key) : -1;

        return j < 0 ? NULL : p->v[pool][j].value;
}

/* As hv_kvp_daemon: setting a key again replaces its value in place. */
static int set(struct kvp_pools *p, unsigned pool, const char *key, size_t klen, const char *value, size_t vlen)
{
        _cleanup_free_ char *k = xstrndup(key, klen);
        ssize_t j = find(p, pool, k);
        size_t total = 0;

        if (j >= 0) {
                free(p->v[pool][j].value);
                p->v[pool][j].value = xstrndup(value, vlen);
                return 0;
        }
        for (unsigned i = 0; i < KVP_POOL_COUNT; i++)
                total += p->n[i];
        if (total >= MAX_PAIRS)
                return log_error_errno(EFBIG, "%s: the host set more than %d key-value pairs", WHO, MAX_PAIRS);
        p->v[pool] = xrealloc(p->v[pool], (p->n[pool] + 1) * sizeof(struct kvp_pair));
        p->v[pool][p->n[pool]++] = (struct kvp_pair) { TAKE_PTR(k), xstrndup(value, vlen) };
        return 0;
}

static bool delete(struct kvp_pools *p, unsigned pool, const char *key)
{
        ssize_t j = find(p, pool, key);

        if (j < 0)
                return false;
        free(p->v[pool][j].key);
        free(p->v[pool][j].value);
        memmove(&p->v[pool][j], &p->v[pool][j + 1], (p->n[pool] - (size_t) j - 1) * sizeof(struct kvp_pair));
        p->n[pool]--;
        return true;
}

/* The length of a key or value the kernel sent with its size (which counts
 * the terminating NUL), or -1 when the size does not fit the field. */
static ssize_t field_len(const __u8 *field, __u32 size, size_t max)
{
        if (size > max)
                return -1;
        return (ssize_t) strnlen((const char *) field, size);
}

/* Handles one host request, leaving the answer's status in msg->error. */
static int handle(struct hv_kvp_msg *msg, struct kvp_pools *p)
{
        unsigned op = msg->kvp_hdr.operation, pool = msg->kvp_hdr.pool;
        ssize_t kl, vl;
        int r;

        if (pool >= KVP_POOL_COUNT && (op == KVP_OP_SET || op == KVP_OP_DELETE)) {
                log_warning("%s: the host addressed KVP pool %u, which does not exist; refused", WHO, pool);
                msg->error = (int) HV_E_FAIL;
                return 0;
        }
        switch (op) {
        case KVP_OP_SET: {
                const struct hv_kvp_exchg_msg_value *d = &msg->body.kvp_set.data;
                kl = field_len(d->key, d->key_size, HV_KVP_EXCHANGE_MAX_KEY_SIZE);
                vl = field_len(d->value, d->value_size, HV_KVP_EXCHANGE_MAX_VALUE_SIZE);
                if (kl < 0 || vl < 0)
                        return log_error_errno(EPROTO, "%s: malformed KVP message: a %s size of %u bytes (at most "
                                               "%d)", WHO, kl < 0 ? "key" : "value",
                                               kl < 0 ? d->key_size : d->value_size,
                                               kl < 0 ? HV_KVP_EXCHANGE_MAX_KEY_SIZE
                                                      : HV_KVP_EXCHANGE_MAX_VALUE_SIZE);
                if (kl == 0) {
                        msg->error = (int) HV_E_FAIL;
                        return 0;
                }
                r = set(p, pool, (const char *) d->key, (size_t) kl, (const char *) d->value, (size_t) vl);
                if (r < 0)
                        return r;
                log_debug("%s: the host set a %zd-byte value in pool %u", WHO, vl, pool);
                msg->error = HV_S_OK;
                return 0;
        }
        case KVP_OP_DELETE: {
                _cleanup_free_ char *key = NULL;
                kl = field_len(msg->body.kvp_delete.key, msg->body.kvp_delete.key_size,
                               HV_KVP_EXCHANGE_MAX_KEY_SIZE);
                if (kl < 0)
                        return log_error_errno(EPROTO, "%s: malformed KVP message: a key size of %u bytes", WHO,
                                               msg->body.kvp_delete.key_size);
                key = xstrndup((const char *) msg->body.kvp_delete.key, (size_t) kl);
                msg->error = delete(p, pool, key) ? (int) HV_S_OK : (int) HV_E_FAIL;
                return 0;
        }
        case KVP_OP_ENUMERATE:
                /* What the guest publishes (OS name, addresses) is the real
                 * root's daemon's business: nothing to enumerate yet. */
                msg->error = (int) HV_S_CONT;
                return 0;
        default:
                msg->error = (int) HV_E_FAIL;
                return 0;
        }
}

static int poll_in(int fd, int timeout_ms)
{
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int n;

        do
                n = poll(&pfd, 1, timeout_ms);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

int kvp_exchange(int fd, int quiet_ms, struct kvp_pools *p)
{
        struct hv_kvp_msg msg = {};
        bool registered = false;
        size_t answered = 0;
        ssize_t n;
        int r;

        msg.kvp_hdr.operation = KVP_OP_REGISTER1;
        n = write(fd, &msg, sizeof(msg));
        if (n < 0)
                return log_error_errno(errno == EINVAL ? ECONNREFUSED : errno,
                                       "%s: the KVP driver refused the registration: %s", WHO, strerror(errno));
        if ((size_t) n != sizeof(msg))
                return log_error_errno(EPROTO, "%s: the KVP driver took %zd of the registration's %zu bytes", WHO,
                                       n, sizeof(msg));
        for (;;) {
                /* The driver answers the registration at once; the quiet
                 * period only means "the host has nothing more". */
                r = poll_in(fd, registered ? quiet_ms : MAX(quiet_ms, REGISTER_WAIT_MS));
                if (r < 0)
                        return log_error_errno(r, "%s: cannot wait for the KVP driver: %m", WHO);
                if (r == 0) {
                        if (!registered)
                                return log_error_errno(ETIMEDOUT, "%s: the KVP driver did not answer the "
                                                       "registration within %d ms", WHO,
                                                       MAX(quiet_ms, REGISTER_WAIT_MS));
                        break;
                }
                memset(&msg, 0, sizeof(msg));
                do
                        n = read(fd, &msg, sizeof(msg));
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return log_error_errno(errno, "%s: cannot read from the KVP driver: %m", WHO);
                if (n == 0) {
                        /* The kernel's device never does this; a peer that
                         * closes after the registration refused it. */
                        if (!registered)
                                return log_error_errno(ECONNREFUSED, "%s: the KVP driver refused the "
                                                       "registration (it closed the connection)", WHO);
                        break;
                }
                if ((size_t) n != sizeof(msg))
                        return log_error_errno(EPROTO, "%s: truncated KVP message: %zd bytes, a message is %zu",
                                               WHO, n, sizeof(msg));
                if (msg.kvp_hdr.operation == KVP_OP_REGISTER1 || msg.kvp_hdr.operation == KVP_OP_REGISTER) {
                        /* The driver's answer to ours (its version string):
                         * answered by nobody, as hv_kvp_daemon does. */
                        registered = true;
                        continue;
                }
                if (!registered)
                        return log_error_errno(EPROTO, "%s: the KVP driver sent operation %u before answering "
                                               "the registration", WHO, msg.kvp_hdr.operation);
                r = handle(&msg, p);
                if (r < 0)
                        return r;
                n = write(fd, &msg, sizeof(msg));
                if (n < 0)
                        return log_error_errno(errno, "%s: cannot answer the KVP driver: %m", WHO);
                if ((size_t) n != sizeof(msg))
                        return log_error_errno(EPROTO, "%s: the KVP driver took %zd of an answer's %zu bytes", WHO,
                                               n, sizeof(msg));
                answered++;
        }
        log_info("%s: %zu KVP message(s) from the host, %zu pair(s) in the external pool", WHO, answered,
                 p->n[KVP_POOL_EXTERNAL]);
        return 0;
}

void kvp_pool_encode(const struct kvp_pools *p, unsigned pool, char **data, size_t *len)
{
        *len = p->n[pool] * RECORD_SIZE;
        *data = xcalloc(*len + 1, 1);
        for (size_t j = 0; j < p->n[pool]; j++) {
                char *rec = *data + j * RECORD_SIZE;
                /* Truncation cannot happen: both came from fields of these
                 * sizes, NUL-terminated within them or filling them. */
                memcpy(rec, p->v[pool][j].key, strnlen(p->v[pool][j].key, HV_KVP_EXCHANGE_MAX_KEY_SIZE));
                memcpy(rec + HV_KVP_EXCHANGE_MAX_KEY_SIZE, p->v[pool][j].value,
                       strnlen(p->v[pool][j].value, HV_KVP_EXCHANGE_MAX_VALUE_SIZE));
        }
}

int kvp_pool_decode(struct kvp_pools *p, unsigned pool, const char *data, size_t len)
{
        if (len % RECORD_SIZE != 0)
                return -EBADMSG;
        for (size_t off = 0; off < len; off += RECORD_SIZE) {
                const char *k = data + off, *v = k + HV_KVP_EXCHANGE_MAX_KEY_SIZE;
                int r = set(p, pool, k, strnlen(k, HV_KVP_EXCHANGE_MAX_KEY_SIZE), v,
                            strnlen(v, HV_KVP_EXCHANGE_MAX_VALUE_SIZE));
                if (r < 0)
                        return r;
        }
        return 0;
}
