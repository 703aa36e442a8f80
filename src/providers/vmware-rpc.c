/* SPDX-License-Identifier: Apache-2.0 */
/* VMware GuestRPC over the low-bandwidth backdoor: the "RPCI" channel a
 * guest uses to send text commands to the host (what vmware-rpctool does).
 * Every step is one backdoor call with EAX = magic, ECX = MESSAGE (30) |
 * subcommand << 16, DX = port | channel << 16, ESI/EDI = the channel's
 * cookie; the status comes back in ECX's high half:
 *
 *   OPEN        EBX = "RPCI" | cookie flag -> channel in EDX's high half,
 *               cookie in ESI/EDI (older hosts refuse the flag: again
 *               without it)
 *   SENDSIZE    EBX = command length; then SENDPAYLOAD with 4 bytes at a
 *               time in EBX (little-endian, the last word zero-padded)
 *   RECVSIZE    -> DORECV set, EDX's high half = SENDSIZE, EBX = length;
 *               then RECVPAYLOAD (EBX = SUCCESS) -> 4 bytes in EBX, EDX's
 *               high half = SENDPAYLOAD; then RECVSTATUS (EBX = SUCCESS)
 *   CLOSE
 *
 * A CPT status (the VM was checkpointed or moved mid-message) means the
 * message in flight was lost: a command is sent again from its size, a
 * reply (kept by the host until acknowledged) received again from its
 * size. The
 * high-bandwidth variant (port 0x5659, rep outsb/insb) is never used: the
 * low-bandwidth one is always available, and configs are small. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "vmware.h"

#define WHO "platform vmware"
#define CPT_RETRIES 5

struct channel {
        const struct vmw_transport *t;
        uint16_t id;
        uint32_t cookie1, cookie2;
};

static uint16_t msg(const struct channel *c, unsigned sub, uint32_t ebx, struct vmw_regs *r)
{
        *r = (struct vmw_regs) {
                .eax = VMW_BDOOR_MAGIC,
                .ebx = ebx,
                .ecx = VMW_CMD_MESSAGE | (uint32_t) sub << 16,
                .edx = VMW_BDOOR_PORT | (uint32_t) c->id << 16,
                .esi = c->cookie1,
                .edi = c->cookie2,
        };
        c->t->call(c->t->ctx, r);
        return (uint16_t) (r->ecx >> 16);
}

static int channel_open(const struct vmw_transport *t, struct channel *c)
{
        struct vmw_regs r;

        *c = (struct channel) { .t = t };
        if (msg(c, VMW_MSG_OPEN, VMW_RPCI_PROTOCOL | VMW_FLAG_COOKIE, &r) & VMW_STATUS_SUCCESS) {
                c->id = (uint16_t) (r.edx >> 16);
                c->cookie1 = r.esi;
                c->cookie2 = r.edi;
                return 0;
        }
        /* Hosts older than the cookie scheme refuse the flag. */
        if (msg(c, VMW_MSG_OPEN, VMW_RPCI_PROTOCOL, &r) & VMW_STATUS_SUCCESS) {
                c->id = (uint16_t) (r.edx >> 16);
                return 0;
        }
        return log_error_errno(ECONNREFUSED, "%s: the hypervisor refused to open a GuestRPC channel (status 0x%04x)",
                               WHO, (unsigned) (r.ecx >> 16));
}

static void channel_close(const struct channel *c)
{
        struct vmw_regs r;

        if (!(msg(c, VMW_MSG_CLOSE, 0, &r) & VMW_STATUS_SUCCESS))
                log_debug("%s: closing GuestRPC channel %u failed (status 0x%04x)", WHO, c->id,
                          (unsigned) (r.ecx >> 16));
}

static int channel_send(const struct channel *c, const char *cmd, size_t len)
{
        struct vmw_regs r;

        if (len > UINT32_MAX)
                return -EFBIG;
        for (unsigned attempt = 0; attempt < CPT_RETRIES; attempt++) {
                uint16_t st = msg(c, VMW_MSG_SENDSIZE, (uint32_t) len, &r);
                size_t i;

                if (!(st & VMW_STATUS_SUCCESS) && (st & VMW_STATUS_CPT))
                        continue;
                if (!(st & VMW_STATUS_SUCCESS))
                        return log_error_errno(EPROTO, "%s: the hypervisor refused a %zu-byte GuestRPC command "
                                               "(status 0x%04x)", WHO, len, st);
                for (i = 0; i < len; i += 4) {
                        uint32_t w = 0;

                        for (size_t k = 0; k < 4 && i + k < len; k++)
                                w |= (uint32_t) (unsigned char) cmd[i + k] << (8 * k);
                        st = msg(c, VMW_MSG_SENDPAYLOAD, w, &r);
                        if (!(st & VMW_STATUS_SUCCESS))
                                break;
                }
                if (i >= len)
                        return 0;
                if (!(st & VMW_STATUS_CPT))
                        return log_error_errno(EPROTO, "%s: the hypervisor stopped taking the GuestRPC command "
                                               "after %zu of %zu bytes (status 0x%04x)", WHO, i, len, st);
                log_debug("%s: checkpoint while sending; sending again", WHO);
        }
        return log_error_errno(EPROTO, "%s: the GuestRPC command was interrupted %d times", WHO, CPT_RETRIES);
}

/* 0 with the reply, 1 if a checkpoint interrupted it (receive again), or
 * a negative errno (logged). */
static int channel_recv_once(const struct channel *c, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        struct vmw_regs r;
        uint16_t st = msg(c, VMW_MSG_RECVSIZE, 0, &r);
        size_t size;

        if (!(st & VMW_STATUS_SUCCESS))
                return st & VMW_STATUS_CPT ? 1
                                           : log_error_errno(EPROTO, "%s: the hypervisor refused to give the "
                                                             "GuestRPC reply's size (status 0x%04x)", WHO, st);
        if (!(st & VMW_STATUS_DORECV))
                return log_error_errno(EPROTO, "%s: the hypervisor sent no reply to the GuestRPC command", WHO);
        if (r.edx >> 16 != VMW_MSG_SENDSIZE)
                return log_error_errno(EPROTO, "%s: the GuestRPC reply's size comes as message type %u, not %u",
                                       WHO, (unsigned) (r.edx >> 16), VMW_MSG_SENDSIZE);
        size = r.ebx;
        if (size > max)
                return log_error_errno(EFBIG, "%s: the GuestRPC reply is %zu bytes, more than the %zu allowed", WHO,
                                       size, max);
        buf = xmalloc(size + 1);
        for (size_t i = 0; i < size; i += 4) {
                st = msg(c, VMW_MSG_RECVPAYLOAD, VMW_STATUS_SUCCESS, &r);
                if (!(st & VMW_STATUS_SUCCESS))
                        return st & VMW_STATUS_CPT ? 1
                                                   : log_error_errno(EPROTO, "%s: the GuestRPC reply was cut off "
                                                                     "after %zu of %zu bytes (status 0x%04x)",
                                                                     WHO, i, size, st);
                if (r.edx >> 16 != VMW_MSG_SENDPAYLOAD)
                        return log_error_errno(EPROTO, "%s: GuestRPC reply bytes %zu-%zu come as message type %u, "
                                               "not %u", WHO, i, i + 3, (unsigned) (r.edx >> 16),
                                               VMW_MSG_SENDPAYLOAD);
                for (size_t k = 0; k < 4 && i + k < size; k++)
                        buf[i + k] = (char) (r.ebx >> (8 * k));
        }
        buf[size] = '\0';
        st = msg(c, VMW_MSG_RECVSTATUS, VMW_STATUS_SUCCESS, &r);
        if (!(st & VMW_STATUS_SUCCESS))
                return st & VMW_STATUS_CPT ? 1
                                           : log_error_errno(EPROTO, "%s: the hypervisor refused the GuestRPC "
                                                             "reply's acknowledgement (status 0x%04x)", WHO, st);
        *ret = TAKE_PTR(buf);
        *ret_len = size;
        return 0;
}

int vmw_rpci_command(const struct vmw_transport *t, const char *cmd, size_t max, char **reply, size_t *len)
{
        struct channel c;
        int r;

        *reply = NULL;
        *len = 0;
        r = channel_open(t, &c);
        if (r < 0)
                return r;
        r = channel_send(&c, cmd, strlen(cmd));
        for (unsigned attempt = 0; r >= 0; attempt++) {
                r = channel_recv_once(&c, max, reply, len);
                if (r <= 0)
                        break;
                /* The host keeps the reply until it is acknowledged: after
                 * a checkpoint, receive it again from its size. */
                if (attempt + 1 >= CPT_RETRIES) {
                        r = log_error_errno(EPROTO, "%s: the GuestRPC reply was interrupted %d times", WHO,
                                            CPT_RETRIES);
                        break;
                }
                log_debug("%s: checkpoint while receiving; receiving again", WHO);
        }
        channel_close(&c);
        return r;
}

int vmw_guestinfo_get(const struct vmw_transport *t, const char *key, size_t max, char **value, size_t *len)
{
        _cleanup_free_ char *cmd = xasprintf("info-get guestinfo.%s", key), *reply = NULL;
        size_t n;
        int r;

        *value = NULL;
        *len = 0;
        /* room for the "1 " in front of the value */
        r = vmw_rpci_command(t, cmd, max + 2, &reply, &n);
        if (r == -EFBIG)
                return log_error_errno(EFBIG, "%s: guestinfo.%s is larger than %zu bytes", WHO, key, max);
        if (r < 0)
                return r;
        if (n >= 1 && reply[0] == '0') {
                /* "0 No value found": the variable is not set. Any other
                 * refusal is taken the same way (as Ignition does), but
                 * said. */
                if (strcmp(reply, "0 No value found") != 0)
                        log_warning("%s: the hypervisor answered \"%.80s\" for guestinfo.%s; taken as not set", WHO,
                                    n > 2 ? reply + 2 : "", key);
                return 0;
        }
        if (n == 0 || reply[0] != '1' || (n > 1 && reply[1] != ' '))
                return log_error_errno(EPROTO, "%s: the hypervisor's answer for guestinfo.%s is neither \"1 "
                                       "value\" nor \"0 error\" (%zu bytes)", WHO, key, n);
        /* guestinfo values are text; a NUL would cut the config short
         * somewhere later without saying why */
        if (memchr(reply, '\0', n))
                return log_error_errno(EBADMSG, "%s: guestinfo.%s holds a NUL byte: not text", WHO, key);
        /* "1 value"; an empty value may come as "1 " or "1" */
        n = n > 2 ? n - 2 : 0;
        memmove(reply, reply + 2, n);
        reply[n] = '\0';
        *value = TAKE_PTR(reply);
        *len = n;
        return 0;
}

int vmw_guestinfo_set(const struct vmw_transport *t, const char *key, const char *value)
{
        _cleanup_free_ char *cmd = xasprintf("info-set guestinfo.%s %s", key, value), *reply = NULL;
        size_t n;
        int r;

        r = vmw_rpci_command(t, cmd, 4096, &reply, &n);
        if (r < 0)
                return r;
        /* "1" or "1 " is done; "0 reason" a refusal (the VMX may forbid
         * guests to write guestinfo: guestinfo.*.readOnly, isolation). The
         * value is never logged: it may be what is being deleted. */
        if (n >= 1 && reply[0] == '1' && (n == 1 || reply[1] == ' '))
                return 0;
        return log_error_errno(EACCES, "%s: the hypervisor refused to set guestinfo.%s: \"%.160s\"", WHO, key,
                               n > 2 ? reply + 2 : "");
}
