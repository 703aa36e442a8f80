/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A model of the vboxguest driver and of VirtualBox's guest property
 * service behind it, for tests/unit/test-virtualbox-guestprop.c.
 *
 * A mock, because the real thing cannot run here: /dev/vboxguest exists
 * only inside a VirtualBox VM (QEMU emulates no VMMDev device, and the
 * driver does not bind without it). Written from the driver's uapi
 * (<linux/vboxguest.h>: the request header, the ioctl numbers and sizes,
 * what the driver refuses with an errno before the host sees a call) and
 * the service's documented behaviour (GET_PROP with name, buffer,
 * timestamp and size; "value\0flags\0" in the buffer; VERR_BUFFER_OVERFLOW
 * with the needed size; VERR_NOT_FOUND; DEL_PROP, refused for a property
 * read-only for the guest), it checks every field the client sets and
 * counts what breaks the rules as a violation. */

#include <errno.h>
#include <linux/vboxguest.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "virtualbox.h"

#define VBOX_FAKE_CLIENT_ID 0x2a

struct vbox_fake {
        /* the host's properties */
        const char *names[4], *values[4], *flags[4];
        /* faults */
        bool fail;                      /* the driver refuses an ioctl with fail_errno: */
        unsigned fail_nr;               /* the one of this _IOC_NR */
        unsigned fail_skip;             /* after this many of them went through */
        int fail_errno;
        int connect_rc;                 /* the host's answer to CONNECT (0: success) */
        int get_rc;                     /* the host's answer to every GET_PROP (0: the service's own) */
        bool disconnect_fails;
        bool unterminated;              /* write the value without any NUL, and say that is all */
        bool claim_more;                /* on success, claim more bytes than the buffer holds */
        bool overflow_no_more;          /* VERR_BUFFER_OVERFLOW, asking for no more than given */
        size_t grow_by;                 /* the value grows by this many bytes after every GET_PROP */
        const uint8_t *script;          /* the fuzzer: GET_PROP answers taken from these bytes */
        size_t script_len;
        bool quiet;                     /* violations are expected: do not print them */
        /* what happened */
        unsigned versions, connects, disconnects, calls, violations;
        uint32_t client;                /* connected client, 0: none */
        char asked[512];                /* "name;" per GET_PROP, "del:name;" per DEL_PROP */
        uint32_t sizes[8];              /* the buffer size of each GET_PROP */
        char grown[1 << 16];            /* the value once it grows */
};

static inline void vbox_fake_violation(struct vbox_fake *f, const char *what)
{
        f->violations++;
        if (!f->quiet)
                printf("# model: violation: %s\n", what);
}

/* What the driver checks for every request before looking at it
 * (vbg_misc_device_ioctl): -EINVAL, or 0. */
static inline int vbox_fake_check_hdr(struct vbox_fake *f, unsigned long req, const struct vbg_ioctl_hdr *h, size_t want)
{
        uint32_t size = h->size_in > h->size_out ? h->size_in : h->size_out;

        if (h->version != VBG_IOCTL_HDR_VERSION || h->type != VBG_IOCTL_HDR_TYPE_DEFAULT) {
                vbox_fake_violation(f, "header version or type");
                return -EINVAL;
        }
        if (h->size_in < sizeof(*h) || (h->size_out && h->size_out < sizeof(*h))) {
                vbox_fake_violation(f, "header sizes below the header's");
                return -EINVAL;
        }
        if (_IOC_SIZE(req) != size || (want && size != want)) {
                vbox_fake_violation(f, "the request's size does not match the ioctl's");
                return -EINVAL;
        }
        return 0;
}

/* vbg_ioctl_chk(): a fixed-size request's sizes in and out, exactly. */
static inline int vbox_fake_check_sizes(struct vbox_fake *f, const struct vbg_ioctl_hdr *h, size_t in, size_t out)
{
        if (h->size_in != sizeof(*h) + in || h->size_out != sizeof(*h) + out) {
                vbox_fake_violation(f, "the header's sizes in and out are not the request's");
                return -EINVAL;
        }
        return 0;
}

static inline bool vbox_fake_fails(struct vbox_fake *f, unsigned nr)
{
        if (!f->fail || nr != f->fail_nr)
                return false;
        if (f->fail_skip > 0) {
                f->fail_skip--;
                return false;
        }
        return true;
}

static inline uint8_t vbox_fake_byte(struct vbox_fake *f)
{
        if (f->script_len == 0)
                return 0;
        f->script_len--;
        return *f->script++;
}

/* A host whose answer comes from the script: an op byte (bits 0-1: not
 * found, overflow, success, any other status; bit 7: a size above 64 KiB),
 * the size it claims (2 or 3 bytes), and on success up to that many bytes
 * of the script written into the buffer (never beyond it). */
static inline int vbox_fake_scripted(struct vbox_fake *f, struct vmmdev_hgcm_function_parameter *p, char *buf,
                                     uint32_t size)
{
        uint8_t op = vbox_fake_byte(f);
        uint32_t claim = vbox_fake_byte(f);
        size_t n;

        claim |= (uint32_t) vbox_fake_byte(f) << 8;
        if (op & 0x80)
                claim |= (uint32_t) vbox_fake_byte(f) << 16;
        p[3].u.value32 = claim;
        switch (op & 3) {
        case 0:
                return VERR_NOT_FOUND;
        case 1:
                return VERR_BUFFER_OVERFLOW;
        case 2:
                n = claim < size ? claim : size;
                n = n < f->script_len ? n : f->script_len;
                memcpy(buf, f->script, n);
                f->script += n;
                f->script_len -= n;
                return VINF_SUCCESS;
        }
        return -(int) vbox_fake_byte(f);
}

static inline int vbox_fake_get_prop(struct vbox_fake *f, struct vbg_ioctl_hgcm_call *c)
{
        struct vmmdev_hgcm_function_parameter *p = (void *) (c + 1);
        const char *name = (const char *) (uintptr_t) p[0].u.pointer.u.linear_addr;
        char *buf = (char *) (uintptr_t) p[1].u.pointer.u.linear_addr;
        uint32_t size = p[1].u.pointer.size, namesz = p[0].u.pointer.size;
        size_t i;

        if (c->parm_count != 4 || p[0].type != VMMDEV_HGCM_PARM_TYPE_LINADDR_IN ||
            p[1].type != VMMDEV_HGCM_PARM_TYPE_LINADDR || p[2].type != VMMDEV_HGCM_PARM_TYPE_64BIT ||
            p[3].type != VMMDEV_HGCM_PARM_TYPE_32BIT || !name || (!buf && size)) {
                vbox_fake_violation(f, "GET_PROP parameters");
                return VERR_INVALID_PARAMETER;
        }
        if (namesz == 0 || strnlen(name, namesz) != namesz - 1) {
                vbox_fake_violation(f, "the name's size does not include exactly its NUL");
                return VERR_INVALID_PARAMETER;
        }
        if (f->calls <= 8)
                f->sizes[f->calls - 1] = size;
        strncat(f->asked, name, sizeof(f->asked) - strlen(f->asked) - 2);
        strcat(f->asked, ";");
        if (f->get_rc)
                return f->get_rc;
        if (f->script_len > 0)
                return vbox_fake_scripted(f, p, buf, size);
        for (i = 0; i < 4 && f->names[i]; i++)
                if (strcmp(f->names[i], name) == 0)
                        break;
        if (i == 4 || !f->names[i])
                return VERR_NOT_FOUND;

        const char *value = f->values[i], *flags = f->flags[i] ? f->flags[i] : "";
        size_t vlen = strlen(value), flen = strlen(flags);
        uint32_t needed = (uint32_t) (vlen + 1 + flen + 1);

        if (f->grow_by) {
                /* a host that changes the value while the guest reads it */
                size_t n = strlen(f->grown);
                if (n == 0) {
                        snprintf(f->grown, sizeof(f->grown), "%s", value);
                        n = strlen(f->grown);
                }
                for (size_t k = 0; k < f->grow_by && n + 1 < sizeof(f->grown); k++)
                        f->grown[n++] = ' ';
                f->grown[n] = '\0';
                f->values[i] = f->grown;
        }
        if (f->overflow_no_more) {
                p[3].u.value32 = size;
                return VERR_BUFFER_OVERFLOW;
        }
        p[3].u.value32 = needed;
        if (size < needed)
                return VERR_BUFFER_OVERFLOW;
        if (f->unterminated) {
                /* bytes without a NUL, and a size that says that is all */
                memset(buf, 'x', size);
                p[3].u.value32 = size;
        } else {
                memcpy(buf, value, vlen + 1);
                memcpy(buf + vlen + 1, flags, flen + 1);
        }
        if (f->claim_more)
                p[3].u.value32 = size + 10;
        p[2].u.value64 = 1700000000000000000ull;
        return VINF_SUCCESS;
}

/* DEL_PROP: gone, or refused when the host made it read-only for the
 * guest; deleting what does not exist succeeds. */
static inline int vbox_fake_del_prop(struct vbox_fake *f, struct vbg_ioctl_hgcm_call *c)
{
        struct vmmdev_hgcm_function_parameter *p = (void *) (c + 1);
        const char *name = (const char *) (uintptr_t) p[0].u.pointer.u.linear_addr;
        uint32_t namesz = p[0].u.pointer.size;
        size_t i;

        if (c->parm_count != 1 || p[0].type != VMMDEV_HGCM_PARM_TYPE_LINADDR_IN || !name || namesz == 0 ||
            strnlen(name, namesz) != namesz - 1) {
                vbox_fake_violation(f, "DEL_PROP parameters");
                return VERR_INVALID_PARAMETER;
        }
        strncat(f->asked, "del:", sizeof(f->asked) - strlen(f->asked) - 1);
        strncat(f->asked, name, sizeof(f->asked) - strlen(f->asked) - 2);
        strcat(f->asked, ";");
        for (i = 0; i < 4 && f->names[i]; i++)
                if (strcmp(f->names[i], name) == 0)
                        break;
        if (i == 4 || !f->names[i])
                return VINF_SUCCESS;
        if (f->flags[i] && (strstr(f->flags[i], "RDONLYGUEST") || strstr(f->flags[i], "READONLY")))
                return VERR_PERMISSION_DENIED;
        f->names[i] = "(deleted)";
        return VINF_SUCCESS;
}

static inline int vbox_fake_ioctl(void *ctx, unsigned long req, void *arg)
{
        struct vbox_fake *f = ctx;
        struct vbg_ioctl_hdr *h = arg;
        unsigned nr = _IOC_NR(req);
        int r;

        if (_IOC_TYPE(req) != 'V') {
                vbox_fake_violation(f, "not a vboxguest ioctl");
                return -ENOTTY;
        }
        if (vbox_fake_fails(f, nr))
                return -f->fail_errno;
        if (req == VBG_IOCTL_DRIVER_VERSION_INFO) {
                struct vbg_ioctl_driver_version_info *v = arg;

                if ((r = vbox_fake_check_hdr(f, req, h, sizeof(*v))) < 0 ||
                    (r = vbox_fake_check_sizes(f, h, sizeof(v->u.in), sizeof(v->u.out))) < 0)
                        return r;
                f->versions++;
                if (v->u.in.min_version > VBG_IOC_VERSION || (v->u.in.min_version >> 16) != (VBG_IOC_VERSION >> 16)) {
                        h->rc = VERR_VERSION_MISMATCH;
                        return 0;
                }
                v->u.out.session_version = VBG_IOC_VERSION;
                v->u.out.driver_version = VBG_IOC_VERSION;
                h->rc = VINF_SUCCESS;
                return 0;
        }
        if (req == VBG_IOCTL_HGCM_CONNECT) {
                struct vbg_ioctl_hgcm_connect *c = arg;

                if ((r = vbox_fake_check_hdr(f, req, h, sizeof(*c))) < 0 ||
                    (r = vbox_fake_check_sizes(f, h, sizeof(c->u.in), sizeof(c->u.out))) < 0)
                        return r;
                f->connects++;
                if (c->u.in.loc.type != VMMDEV_HGCM_LOC_LOCALHOST_EXISTING ||
                    strcmp(c->u.in.loc.u.localhost.service_name, "VBoxGuestPropSvc") != 0) {
                        vbox_fake_violation(f, "connect: not the guest property service");
                        h->rc = -2900;  /* VERR_HGCM_SERVICE_NOT_FOUND */
                        return 0;
                }
                if (f->client) {
                        vbox_fake_violation(f, "connect while connected");
                        return -EINVAL;
                }
                h->rc = f->connect_rc;
                if (f->connect_rc == VINF_SUCCESS) {
                        f->client = VBOX_FAKE_CLIENT_ID;
                        c->u.out.client_id = VBOX_FAKE_CLIENT_ID;
                }
                return 0;
        }
        if (req == VBG_IOCTL_HGCM_DISCONNECT) {
                struct vbg_ioctl_hgcm_disconnect *d = arg;

                if ((r = vbox_fake_check_hdr(f, req, h, sizeof(*d))) < 0 ||
                    (r = vbox_fake_check_sizes(f, h, sizeof(d->u.in), 0)) < 0)
                        return r;
                if (!f->client || d->u.in.client_id != f->client) {
                        vbox_fake_violation(f, "disconnect of a client that is not connected");
                        return -EINVAL;
                }
                f->disconnects++;
                f->client = 0;
                h->rc = f->disconnect_fails ? VERR_GENERAL_FAILURE : VINF_SUCCESS;
                return 0;
        }
        if ((req & ~((unsigned long) _IOC_SIZEMASK << _IOC_SIZESHIFT)) == VBG_IOCTL_HGCM_CALL(0)) {
                struct vbg_ioctl_hgcm_call *c = arg;

                if ((r = vbox_fake_check_hdr(f, req, h, 0)) < 0)
                        return r;
                /* vbg_ioctl_hgcm_call() */
                if (h->size_in < sizeof(*c) || h->size_in != h->size_out ||
                    (size_t) c->parm_count * sizeof(struct vmmdev_hgcm_function_parameter) >
                            h->size_in - sizeof(*c)) {
                        vbox_fake_violation(f, "call: sizes");
                        return -EINVAL;
                }
                if (!f->client || c->client_id != f->client) {
                        vbox_fake_violation(f, "call: not a connected client");
                        return -EINVAL;
                }
                f->calls++;
                if (c->function == VBOX_GUESTPROP_FN_DEL_PROP) {
                        h->rc = vbox_fake_del_prop(f, c);
                        return 0;
                }
                if (c->function != VBOX_GUESTPROP_FN_GET_PROP) {
                        vbox_fake_violation(f, "call: not GET_PROP or DEL_PROP");
                        h->rc = VERR_NOT_SUPPORTED;
                        return 0;
                }
                h->rc = vbox_fake_get_prop(f, c);
                return 0;
        }
        vbox_fake_violation(f, "unknown ioctl");
        return -ENOTTY;
}
