/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A model of the VMware hypervisor's side of GuestRPC, for the unit test
 * (tests/unit/test-vmware-guestinfo.c) and the fuzzer (tests/fuzz/fuzz-net.c).
 *
 * A mock, because the real thing cannot run here: the backdoor is answered
 * only by VMware's hypervisor (QEMU's vmport implements a few legacy
 * commands, not GuestRPC), and executing it outside VMware reads an
 * unrelated I/O port or faults. Written from the protocol's description
 * (channel open with the RPCI protocol and a cookie, size then 4-byte
 * payload words each way, a receive acknowledgement, close; checkpoints
 * interrupting a message, after which a command is sent again and a kept
 * reply received again; "1 value" / "0 No value found" replies to
 * info-get, "1 " to info-set), it checks every register the client sets:
 * magic, port, channel, cookie, message order. It answers guestinfo keys
 * case-insensitively, as the VMX does, and keeps what info-set stores. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vmware.h"

enum state { CLOSED, IDLE, SENDING, REPLY_READY, RECEIVING };

struct fake {
        /* guestinfo */
        const char *keys[4], *vals[4];
        /* faults */
        bool refuse_open;               /* every open refused */
        bool refuse_cookie;             /* an old host: opens with the cookie flag refused */
        size_t cut_reply_at;            /* RECVPAYLOAD fails once this many bytes were given (0: never) */
        int cpt_send, cpt_recv;         /* checkpoints to raise mid-send / mid-receive */
        const char *raw_reply;          /* answer every command with this instead */
        unsigned chaos;                 /* seed: corrupt some answers at random (0: never) */
        bool quiet;                     /* violations are expected: do not print them */
        bool refuse_set;                /* info-set answered "0 ..." (guestinfo read-only) */
        /* state */
        enum state st;
        uint16_t chan;
        bool cookie;
        char cmd[8192];
        size_t cmd_len, cmd_got;
        char reply[4096];
        size_t reply_len, reply_sent;
        /* what the client did */
        unsigned opens, closes, violations;
        unsigned opens_seen, close_calls;       /* opens the client was told succeeded; closes it asked for */
        char commands[4096];
        unsigned sets;                  /* info-set commands carried out */
        char stored[4][4096];           /* values info-set wrote (vals[i] points here) */
        char new_keys[4][128];          /* keys info-set added */
};

#define CHAN 7
#define COOKIE1 0xc0de0001u
#define COOKIE2 0xc0de0002u

static void violation(struct fake *f, const char *what)
{
        if (!f->quiet)
                printf("# protocol violation: %s\n", what);
        f->violations++;
}

static void run_command(struct fake *f)
{
        const char *prefix = "info-get guestinfo.";
        size_t plen = strlen(prefix);

        f->cmd[f->cmd_len] = '\0';
        snprintf(f->commands + strlen(f->commands), sizeof(f->commands) - strlen(f->commands), "%s;", f->cmd);
        if (f->raw_reply) {
                f->reply_len = (size_t) snprintf(f->reply, sizeof(f->reply), "%s", f->raw_reply);
                return;
        }
        if (strncmp(f->cmd, "info-set guestinfo.", 19) == 0) {
                const char *key = f->cmd + 19, *sp = strchr(key, ' ');
                size_t i, klen = sp ? (size_t) (sp - key) : strlen(key);

                if (!sp || f->refuse_set) {
                        f->reply_len = (size_t) snprintf(f->reply, sizeof(f->reply), "0 %s",
                                                         sp ? "Permission denied" : "Invalid arguments");
                        return;
                }
                for (i = 0; i < 4 && f->keys[i]; i++)
                        if (strlen(f->keys[i]) == klen && strncasecmp(f->keys[i], key, klen) == 0)
                                break;
                if (i == 4) {
                        f->reply_len = (size_t) snprintf(f->reply, sizeof(f->reply), "0 Too many variables");
                        return;
                }
                if (!f->keys[i]) {
                        snprintf(f->new_keys[i], sizeof(f->new_keys[i]), "%.*s", (int) klen, key);
                        f->keys[i] = f->new_keys[i];
                }
                snprintf(f->stored[i], sizeof(f->stored[i]), "%s", sp + 1);
                f->vals[i] = f->stored[i];
                f->sets++;
                f->reply_len = (size_t) snprintf(f->reply, sizeof(f->reply), "1 ");
                return;
        }
        if (strncmp(f->cmd, prefix, plen) == 0)
                for (size_t i = 0; i < 4 && f->keys[i]; i++)
                        if (strcasecmp(f->cmd + plen, f->keys[i]) == 0) {
                                f->reply_len = (size_t) snprintf(f->reply, sizeof(f->reply), "1 %s", f->vals[i]);
                                return;
                        }
        f->reply_len = (size_t) snprintf(f->reply, sizeof(f->reply), "%s",
                                         strncmp(f->cmd, prefix, plen) == 0 ? "0 No value found" : "0 Unknown command");
}

/* The host's answer to one call, before any chaos. */
static void fake_answer(struct fake *f, unsigned sub, struct vmw_regs *r, uint16_t *statusp)
{
        uint16_t status = 0;

        if (r->eax != VMW_BDOOR_MAGIC || (r->edx & 0xffff) != VMW_BDOOR_PORT || (r->ecx & 0xffff) != VMW_CMD_MESSAGE) {
                violation(f, "not a GuestRPC backdoor call");
                r->ecx = 0;
                return;
        }
        if (sub != VMW_MSG_OPEN &&
            (f->st == CLOSED || r->edx >> 16 != f->chan ||
             (f->cookie && (r->esi != COOKIE1 || r->edi != COOKIE2)))) {
                violation(f, "a message on a channel that is not open, or without its cookie");
                r->ecx = 0;
                return;
        }
        switch (sub) {
        case VMW_MSG_OPEN:
                if (f->st != CLOSED)
                        violation(f, "open while a channel is open");
                if ((r->ebx & ~VMW_FLAG_COOKIE) != VMW_RPCI_PROTOCOL)
                        violation(f, "open with another protocol than RPCI");
                if (f->refuse_open || ((r->ebx & VMW_FLAG_COOKIE) && f->refuse_cookie))
                        break;
                f->opens++;
                f->st = IDLE;
                f->chan = CHAN;
                f->cookie = r->ebx & VMW_FLAG_COOKIE;
                r->edx = (uint32_t) CHAN << 16;
                r->esi = f->cookie ? COOKIE1 : 0;
                r->edi = f->cookie ? COOKIE2 : 0;
                status = VMW_STATUS_SUCCESS;
                break;
        case VMW_MSG_SENDSIZE:
                if (f->st != IDLE && f->st != SENDING) {
                        violation(f, "SENDSIZE out of order");
                        break;
                }
                if (r->ebx >= sizeof(f->cmd))
                        break;
                f->cmd_len = r->ebx;
                f->cmd_got = 0;
                f->st = SENDING;
                status = VMW_STATUS_SUCCESS;
                if (f->cmd_len == 0) {
                        run_command(f);
                        f->st = REPLY_READY;
                }
                break;
        case VMW_MSG_SENDPAYLOAD:
                if (f->st != SENDING) {
                        violation(f, "SENDPAYLOAD out of order");
                        break;
                }
                if (f->cpt_send > 0 && f->cmd_got == 4) {
                        f->cpt_send--;
                        f->st = IDLE;
                        status = VMW_STATUS_CPT;
                        break;
                }
                for (size_t k = 0; k < 4 && f->cmd_got < f->cmd_len; k++)
                        f->cmd[f->cmd_got++] = (char) (r->ebx >> (8 * k));
                if (f->cmd_got == f->cmd_len) {
                        run_command(f);
                        f->st = REPLY_READY;
                }
                status = VMW_STATUS_SUCCESS;
                break;
        case VMW_MSG_RECVSIZE:
                if (f->st != REPLY_READY) {
                        violation(f, "RECVSIZE before the command was sent");
                        break;
                }
                f->st = RECEIVING;
                f->reply_sent = 0;
                r->ebx = (uint32_t) f->reply_len;
                r->edx = (uint32_t) VMW_MSG_SENDSIZE << 16 | VMW_BDOOR_PORT;
                status = VMW_STATUS_SUCCESS | VMW_STATUS_DORECV;
                break;
        case VMW_MSG_RECVPAYLOAD:
                if (f->st != RECEIVING || r->ebx != VMW_STATUS_SUCCESS) {
                        violation(f, "RECVPAYLOAD out of order or without SUCCESS");
                        break;
                }
                if (f->cut_reply_at && f->reply_sent >= f->cut_reply_at)
                        break;
                if (f->cpt_recv > 0 && f->reply_sent == 4) {
                        /* the words in flight are lost; the reply is kept
                         * until acknowledged */
                        f->cpt_recv--;
                        f->st = REPLY_READY;
                        status = VMW_STATUS_CPT;
                        break;
                }
                r->ebx = 0;
                for (size_t k = 0; k < 4 && f->reply_sent < f->reply_len; k++)
                        r->ebx |= (uint32_t) (unsigned char) f->reply[f->reply_sent++] << (8 * k);
                r->edx = (uint32_t) VMW_MSG_SENDPAYLOAD << 16 | VMW_BDOOR_PORT;
                status = VMW_STATUS_SUCCESS;
                break;
        case VMW_MSG_RECVSTATUS:
                if (f->st != RECEIVING || f->reply_sent != f->reply_len) {
                        violation(f, "RECVSTATUS before the whole reply was read");
                        break;
                }
                f->st = IDLE;
                status = VMW_STATUS_SUCCESS;
                break;
        case VMW_MSG_CLOSE:
                f->st = CLOSED;
                f->closes++;
                status = VMW_STATUS_SUCCESS;
                break;
        default:
                violation(f, "unknown message subcommand");
        }
        *statusp = status;
}

static void fake_call(void *ctx, struct vmw_regs *r)
{
        struct fake *f = ctx;
        unsigned sub = r->ecx >> 16;
        uint16_t status = 0;

        if (sub == VMW_MSG_CLOSE)
                f->close_calls++;
        fake_answer(f, sub, r, &status);
        r->ecx = (uint32_t) status << 16;
        if (f->chaos) {
                /* a deterministic LCG: one answer in eight gets a random
                 * status, message type or size */
                f->chaos = f->chaos * 1103515245u + 12345u;
                switch (f->chaos >> 16 & 31) {
                case 0: r->ecx = (f->chaos & 0xffff0000u); break;
                case 1: r->edx = (f->chaos << 16) | VMW_BDOOR_PORT; break;
                case 2: r->ebx = f->chaos; break;
                case 3: r->ecx = (uint32_t) (VMW_STATUS_SUCCESS | VMW_STATUS_CPT) << 16; break;
                }
        }
        if (sub == VMW_MSG_OPEN && (r->ecx >> 16 & VMW_STATUS_SUCCESS))
                f->opens_seen++;
}
