/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* VMware guestinfo through the hypervisor's "backdoor" (see vmware.c for the
 * provider, vmware-rpc.c for the protocol). The protocol only ever sees a
 * transport that performs one backdoor call on a register set, so that it
 * can be driven by the real port I/O (vmware-backdoor.c) or by a unit test's
 * model of the hypervisor. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ignis/providers.h"

#define VMW_BDOOR_MAGIC 0x564D5868u     /* "VMXh" */
#define VMW_BDOOR_PORT 0x5658u          /* the low-bandwidth port */
#define VMW_CMD_GETVERSION 10u
#define VMW_CMD_MESSAGE 30u             /* GuestRPC; the subcommand is in ECX's high half */

/* GuestRPC message subcommands. */
enum {
        VMW_MSG_OPEN = 0,
        VMW_MSG_SENDSIZE = 1,
        VMW_MSG_SENDPAYLOAD = 2,
        VMW_MSG_RECVSIZE = 3,
        VMW_MSG_RECVPAYLOAD = 4,
        VMW_MSG_RECVSTATUS = 5,
        VMW_MSG_CLOSE = 6,
};

/* Status bits in ECX's high half of a message reply. */
#define VMW_STATUS_SUCCESS 0x0001u
#define VMW_STATUS_DORECV 0x0002u       /* a reply is waiting */
#define VMW_STATUS_CPT 0x0010u          /* the VM was checkpointed: start over */

#define VMW_RPCI_PROTOCOL 0x49435052u   /* "RPCI": guest-to-host commands */
#define VMW_FLAG_COOKIE 0x80000000u

/* The registers of one backdoor call, in and out. */
struct vmw_regs {
        uint32_t eax, ebx, ecx, edx, esi, edi;
};

struct vmw_transport {
        /* Performs the call: the caller sets every register (EAX the magic,
         * DX the port), the transport replaces them with the answer. */
        void (*call)(void *ctx, struct vmw_regs *r);
        void *ctx;
};

/* vmware-rpc.c: one RPCI command ("info-get guestinfo.KEY"), over a channel
 * opened and closed for it. Returns 0 with the host's whole reply ("1 value"
 * or "0 No value found"), NUL-terminated, at most max bytes; -ECONNREFUSED
 * when the host refuses to open a channel, -EPROTO when it breaks the
 * protocol (a truncated or malformed reply), -EFBIG for a longer reply.
 * Logged, with what. */
int vmw_rpci_command(const struct vmw_transport *t, const char *cmd, size_t max, char **reply, size_t *len);

/* guestinfo.KEY through RPCI: 0 with *value (NULL: the host has no such
 * variable), or a negative errno (logged). */
int vmw_guestinfo_get(const struct vmw_transport *t, const char *key, size_t max, char **value, size_t *len);

/* guestinfo.KEY = value through RPCI ("info-set"). 0, -EACCES when the
 * host refuses (logged, without the value), or the command's errno. */
int vmw_guestinfo_set(const struct vmw_transport *t, const char *key, const char *value);

/* vmware-backdoor.c: the real port I/O, x86_64 only.
 * vmw_backdoor_probe(): whether this is a VMware virtual machine whose
 * backdoor answers (the CPU's hypervisor signature is "VMwareVMware" and
 * GETVERSION returns the magic); asked only after DMI said VMware. Returns
 * 0 with *t usable, -ENODEV (not VMware, said why), -EOPNOTSUPP (another
 * architecture). */
int vmw_backdoor_probe(struct vmw_transport *t);

/* vmware-guestinfo.c: the config from guestinfo over t (ignition.config.data and
 * .encoding, else the OVF environment's properties). 0 with out->data set
 * or NULL (no config), or a negative errno (logged, naming the variable). */
int vmware_fetch_guestinfo(const struct vmw_transport *t, struct fetched_config *out);

/* vmware-guestinfo.c: the config taken out of guestinfo after a successful
 * first boot, as Ignition's ignition-rmcfg does (any process in the guest
 * can read guestinfo through the backdoor, so a config's secrets stay
 * readable otherwise): ignition.config.data becomes base64 "{}" ("e30K",
 * encoding "base64": the host cannot delete a variable, nor store an empty
 * one), and the two properties are cut out of guestinfo.ovfEnv. Does
 * nothing that is already done. 0 or a negative errno (logged). */
int vmware_delete_guestinfo(const struct vmw_transport *t);
