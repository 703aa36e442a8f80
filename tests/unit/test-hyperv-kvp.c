/* SPDX-License-Identifier: Apache-2.0 */
/* The Hyper-V KVP daemon protocol (src/providers/hyperv-kvp.c) against a
 * model of the hv_utils driver on the other end of a SOCK_SEQPACKET
 * socketpair: a mock, because the real device exists only in a Hyper-V
 * guest. The model does what the kernel does: reads the registration,
 * answers it, sends each host message and reads its answer before the
 * next. Nothing is timed: the model closes its end when done, except in the
 * quiet-period case, where it stays silent until the daemon closes. */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hyperv-kvp.h"
#include "tap.h"

struct model {
        int fd;
        struct hv_kvp_msg *msgs;
        size_t n;
        size_t truncate_first;  /* bytes of the first message, 0: whole */
        bool refuse;            /* close after reading the registration */
        bool early;             /* send a message before answering the registration */
        bool quiet;             /* stay silent (until EOF) instead of closing */
        /* results */
        bool registered;
        unsigned status[16];
        size_t answers;
};

static void *driver(void *arg)
{
        struct model *m = arg;
        struct hv_kvp_msg msg;
        ssize_t n;

        n = recv(m->fd, &msg, sizeof(msg), 0);
        m->registered = n == (ssize_t) sizeof(msg) && msg.kvp_hdr.operation == KVP_OP_REGISTER1;
        if (!m->registered || m->refuse)
                goto out;
        if (m->n == 0 && !m->early)
                (void) send(m->fd, &msg, sizeof(msg), 0);
        memset(&msg, 0, sizeof(msg));
        msg.kvp_hdr.operation = KVP_OP_REGISTER1;
        strcpy((char *) msg.body.kvp_register.version, "3.1-test");
        for (size_t i = 0; i < m->n; i++) {
                size_t len = i == 0 && m->truncate_first ? m->truncate_first : sizeof(msg);
                struct iovec iov[2] = { { &msg, sizeof(msg) }, { &m->msgs[i], len } };
                struct mmsghdr mm[2] = { { .msg_hdr = { .msg_iov = &iov[0], .msg_iovlen = 1 } },
                                         { .msg_hdr = { .msg_iov = &iov[1], .msg_iovlen = 1 } } };

                /* The registration's answer and the first message in one
                 * call, so a short quiet period cannot fall between them;
                 * "early": the message without the answer. */
                if (i == 0 && !m->early ? sendmmsg(m->fd, mm, 2, 0) != 2
                                        : send(m->fd, &m->msgs[i], len, 0) != (ssize_t) len)
                        goto out;
                if (len != sizeof(msg))
                        goto out;
                n = recv(m->fd, &msg, sizeof(msg), 0);
                if (n != (ssize_t) sizeof(msg))
                        goto out;
                m->status[m->answers++] = (unsigned) msg.error;
        }
        if (m->quiet)
                while (recv(m->fd, &msg, sizeof(msg), 0) > 0)
                        ;
out:
        close(m->fd);
        return NULL;
}

static struct hv_kvp_msg set_msg(unsigned pool, const char *key, const char *value)
{
        struct hv_kvp_msg m = {};

        m.kvp_hdr.operation = KVP_OP_SET;
        m.kvp_hdr.pool = (__u8) pool;
        m.body.kvp_set.data.value_type = REG_SZ;
        m.body.kvp_set.data.key_size = (__u32) strlen(key) + 1;
        m.body.kvp_set.data.value_size = (__u32) strlen(value) + 1;
        strcpy((char *) m.body.kvp_set.data.key, key);
        strcpy((char *) m.body.kvp_set.data.value, value);
        return m;
}

static struct hv_kvp_msg op_msg(unsigned op, unsigned pool, const char *key)
{
        struct hv_kvp_msg m = {};

        m.kvp_hdr.operation = (__u8) op;
        m.kvp_hdr.pool = (__u8) pool;
        if (op == KVP_OP_DELETE) {
                m.body.kvp_delete.key_size = (__u32) strlen(key) + 1;
                strcpy((char *) m.body.kvp_delete.key, key);
        }
        return m;
}

/* Runs kvp_exchange against m; returns its result. */
static int run(struct model *m, int quiet_ms, struct kvp_pools *p)
{
        int sv[2], r;
        pthread_t t;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                perror("socketpair");
                exit(1);
        }
        m->fd = sv[1];
        pthread_create(&t, NULL, driver, m);
        *p = (struct kvp_pools) {};
        r = kvp_exchange(sv[0], quiet_ms, p);
        close(sv[0]);
        pthread_join(t, NULL);
        return r;
}

int main(void)
{
        struct kvp_pools p;
        int r;

        {
                struct hv_kvp_msg msgs[] = {
                        set_msg(0, "ignition.config", "first"),
                        set_msg(3, "HostName", "hv-host"),
                        set_msg(0, "ignition.config", "second"),
                        set_msg(0, "gone", "x"),
                        op_msg(KVP_OP_DELETE, 0, "gone"),
                        op_msg(KVP_OP_DELETE, 0, "never"),
                        op_msg(KVP_OP_ENUMERATE, 2, NULL),
                        op_msg(KVP_OP_GET, 0, NULL),
                        set_msg(9, "ignition.config", "bad pool"),
                };
                struct model m = { .msgs = msgs, .n = 9 };
                r = run(&m, 60000, &p);
                tap_ok(r == 0 && m.registered && m.answers == 9, "exchange: registered, 9 messages answered (r=%d)", r);
                tap_ok(m.status[0] == HV_S_OK && m.status[1] == HV_S_OK && m.status[4] == HV_S_OK &&
                       m.status[5] == HV_E_FAIL && m.status[6] == HV_S_CONT && m.status[7] == HV_E_FAIL &&
                       m.status[8] == HV_E_FAIL,
                       "answers: set/delete ok, unknown delete and get fail, enumerate no more, unknown pool fails");
                tap_ok(p.n[0] == 1 && kvp_get(&p, 0, "ignition.config") &&
                       strcmp(kvp_get(&p, 0, "ignition.config"), "second") == 0,
                       "a key set again is replaced in place; a deleted key is gone");
                tap_ok(p.n[3] == 1 && strcmp(kvp_get(&p, 3, "HostName"), "hv-host") == 0 && !kvp_get(&p, 3, "x"),
                       "pairs of another pool are kept there");
                {
                        char *data;
                        size_t len;
                        struct kvp_pools q = {};
                        kvp_pool_encode(&p, 0, &data, &len);
                        tap_ok(len == HV_KVP_EXCHANGE_MAX_KEY_SIZE + HV_KVP_EXCHANGE_MAX_VALUE_SIZE &&
                               strcmp(data, "ignition.config") == 0 &&
                               strcmp(data + HV_KVP_EXCHANGE_MAX_KEY_SIZE, "second") == 0,
                               "pool file: one record, key and value NUL-padded");
                        tap_ok(kvp_pool_decode(&q, 0, data, len) == 0 && q.n[0] == 1 &&
                               strcmp(kvp_get(&q, 0, "ignition.config"), "second") == 0,
                               "pool file decodes back");
                        tap_ok(kvp_pool_decode(&q, 1, data, len - 1) == -EBADMSG, "a cut pool file is refused");
                        kvp_pools_free(&q);
                        free(data);
                }
                kvp_pools_free(&p);
        }
        {
                struct model m = { .refuse = true };
                r = run(&m, 60000, &p);
                tap_ok(r == -ECONNREFUSED && m.registered, "a driver that closes after the registration: refused (r=%d)",
                       r);
                kvp_pools_free(&p);
        }
        {
                struct hv_kvp_msg msgs[] = { set_msg(0, "ignition.config", "x") };
                struct model m = { .msgs = msgs, .n = 1, .truncate_first = 100 };
                r = run(&m, 60000, &p);
                tap_ok(r == -EPROTO, "a truncated message: -EPROTO (r=%d)", r);
                kvp_pools_free(&p);
        }
        {
                struct hv_kvp_msg msgs[] = { set_msg(0, "ignition.config", "x") };
                struct model m = { .msgs = msgs, .n = 1 };
                msgs[0].body.kvp_set.data.key_size = HV_KVP_EXCHANGE_MAX_KEY_SIZE + 1;
                r = run(&m, 60000, &p);
                tap_ok(r == -EPROTO && m.answers == 0, "a key size beyond the field: -EPROTO, unanswered (r=%d)", r);
                kvp_pools_free(&p);
        }
        {
                struct hv_kvp_msg msgs[] = { set_msg(0, "ignition.config", "x") };
                struct model m = { .msgs = msgs, .n = 1, .early = true };
                r = run(&m, 60000, &p);
                tap_ok(r == -EPROTO, "a message before the registration's answer: -EPROTO (r=%d)", r);
                kvp_pools_free(&p);
        }
        {
                struct hv_kvp_msg msgs[] = { set_msg(0, "ignition.config", "{}") };
                struct model m = { .msgs = msgs, .n = 1, .quiet = true };
                r = run(&m, 200, &p);
                tap_ok(r == 0 && m.answers == 1 && p.n[0] == 1, "a driver that goes quiet: the exchange ends (r=%d)", r);
                kvp_pools_free(&p);
        }
        return tap_done();
}
