/* SPDX-License-Identifier: Apache-2.0 */
/* VirtualBox guest properties over HGCM, the guest's channel to host
 * services, through the vboxguest driver's ioctls (<linux/vboxguest.h>):
 *
 *   DRIVER_VERSION_INFO  the driver interface version (1.0)
 *   HGCM_CONNECT         to the service "VBoxGuestPropSvc" -> a client id
 *   HGCM_CALL            GET_PROP (1): name (in), buffer (in/out), the
 *                        timestamp (64-bit, out), the size the value needs
 *                        (32-bit, out). The buffer receives "value\0flags\0".
 *                        VERR_BUFFER_OVERFLOW: too small, the size says
 *                        how much is needed; VERR_NOT_FOUND: no such
 *                        property.
 *                        DEL_PROP (4): name (in); deleting a property
 *                        that does not exist succeeds, one the host made
 *                        read-only for the guest is VERR_PERMISSION_DENIED.
 *   HGCM_DISCONNECT
 *
 * Every request starts with a header (version, sizes in and out, the VBox
 * status rc the driver fills in); the ioctl itself fails only when the
 * driver refuses the request. */

#include <errno.h>
#include <fcntl.h>
#include <linux/vboxguest.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "virtualbox.h"

#define WHO "platform virtualbox"

/* VBox/err.h: the host has no such service (not in the uapi header). */
#define VBOX_VERR_HGCM_SERVICE_NOT_FOUND (-2900)

/* A host call is answered at once; a bound keeps a wedged host from
 * hanging the boot. */
#define CALL_TIMEOUT_MS 30000u
/* The host may grow the property between two calls: ask again, a few
 * times. */
#define GROW_ATTEMPTS 5
/* What the first call offers: configs usually fit. */
#define FIRST_BUFFER 4096u
/* Room for the flags after the value ("TRANSIENT, RDONLYGUEST, ..."). */
#define FLAGS_ROOM 128u

#define N_GET_PARMS 4

struct get_prop_call {
        struct vbg_ioctl_hgcm_call call;
        struct vmmdev_hgcm_function_parameter parms[N_GET_PARMS];
};

static const char *status_name(int rc)
{
        switch (rc) {
        case VINF_SUCCESS:
                return "VINF_SUCCESS";
        case VERR_GENERAL_FAILURE:
                return "VERR_GENERAL_FAILURE";
        case VERR_INVALID_PARAMETER:
                return "VERR_INVALID_PARAMETER";
        case VERR_PERMISSION_DENIED:
                return "VERR_PERMISSION_DENIED";
        case VERR_VERSION_MISMATCH:
                return "VERR_VERSION_MISMATCH";
        case VERR_NOT_SUPPORTED:
                return "VERR_NOT_SUPPORTED";
        case VERR_INTERRUPTED:
                return "VERR_INTERRUPTED";
        case VERR_TIMEOUT:
                return "VERR_TIMEOUT";
        case VERR_BUFFER_OVERFLOW:
                return "VERR_BUFFER_OVERFLOW";
        case VERR_OUT_OF_RANGE:
                return "VERR_OUT_OF_RANGE";
        case VERR_NOT_FOUND:
                return "VERR_NOT_FOUND";
        case VBOX_VERR_HGCM_SERVICE_NOT_FOUND:
                return "VERR_HGCM_SERVICE_NOT_FOUND";
        }
        return "a VirtualBox error";
}

static int status_errno(int rc)
{
        switch (rc) {
        case VERR_PERMISSION_DENIED:
                return EACCES;
        case VERR_VERSION_MISMATCH:
        case VERR_NOT_SUPPORTED:
        case VBOX_VERR_HGCM_SERVICE_NOT_FOUND:
                return EOPNOTSUPP;
        case VERR_TIMEOUT:
                return ETIMEDOUT;
        case VERR_OUT_OF_RANGE:
                return EFBIG;
        }
        return EIO;
}

static void init_header(struct vbg_ioctl_hdr *hdr, size_t in, size_t out)
{
        *hdr = (struct vbg_ioctl_hdr) {
                .size_in = (uint32_t) (sizeof(*hdr) + in),
                .version = VBG_IOCTL_HDR_VERSION,
                .type = VBG_IOCTL_HDR_TYPE_DEFAULT,
                .size_out = (uint32_t) (sizeof(*hdr) + out),
        };
}

/* One ioctl; what; 0 or a negative errno (logged) for a refused ioctl or a
 * VBox status other than success. */
static int request(const struct vbox_transport *t, const char *device, const char *what, unsigned long req,
                   struct vbg_ioctl_hdr *hdr)
{
        int r = t->ioctl(t->ctx, req, hdr);

        if (r < 0)
                return log_error_errno(r, "%s: %s: the vboxguest driver (%s) refused the request: %m", WHO, what,
                                       device);
        if (hdr->rc != VINF_SUCCESS)
                return log_error_errno(status_errno(hdr->rc), "%s: %s: the host answered %s (%d)", WHO, what,
                                       status_name(hdr->rc), hdr->rc);
        return 0;
}

int vbox_connect(const struct vbox_transport *t, const char *device, struct vbox_session *ret)
{
        struct vbg_ioctl_driver_version_info v = {
                .u.in = { .req_version = VBG_IOC_VERSION, .min_version = VBG_IOC_VERSION & 0xffff0000u },
        };
        struct vbg_ioctl_hgcm_connect c = {
                .u.in.loc.type = VMMDEV_HGCM_LOC_LOCALHOST_EXISTING,
        };
        int r;

        init_header(&v.hdr, sizeof(v.u.in), sizeof(v.u.out));
        r = request(t, device, "negotiating the driver interface version", VBG_IOCTL_DRIVER_VERSION_INFO, &v.hdr);
        if (r < 0)
                return r;
        log_debug("%s: vboxguest interface %#x, driver %#x", WHO, v.u.out.session_version, v.u.out.driver_version);

        memcpy(c.u.in.loc.u.localhost.service_name, VBOX_GUESTPROP_SERVICE, sizeof(VBOX_GUESTPROP_SERVICE));
        init_header(&c.hdr, sizeof(c.u.in), sizeof(c.u.out));
        r = request(t, device, "connecting to the guest property service " VBOX_GUESTPROP_SERVICE,
                    VBG_IOCTL_HGCM_CONNECT, &c.hdr);
        if (r < 0)
                return r;
        *ret = (struct vbox_session) { .t = t, .device = device, .client_id = c.u.out.client_id };
        return 0;
}

void vbox_disconnect(const struct vbox_session *s)
{
        struct vbg_ioctl_hgcm_disconnect d = { .u.in.client_id = s->client_id };
        int r;

        init_header(&d.hdr, sizeof(d.u.in), 0);
        r = s->t->ioctl(s->t->ctx, VBG_IOCTL_HGCM_DISCONNECT, &d.hdr);
        if (r < 0)
                log_warning_errno(r, "%s: disconnecting from the guest property service: the vboxguest driver "
                                  "refused the request: %m", WHO);
        else if (d.hdr.rc != VINF_SUCCESS)
                log_warning("%s: disconnecting from the guest property service: the host answered %s (%d)", WHO,
                            status_name(d.hdr.rc), d.hdr.rc);
}

/* One GET_PROP call with a buffer of size bytes: the VBox status in *rc
 * and the size the host asked for in *needed. 0, or a negative errno
 * (logged) when the driver refused the request. */
static int get_prop_once(const struct vbox_session *s, const char *name, char *buf, uint32_t size, int *rc,
                         uint32_t *needed)
{
        struct get_prop_call m = {};
        int r;

        init_header(&m.call.hdr, sizeof(m) - sizeof(m.call.hdr), sizeof(m) - sizeof(m.call.hdr));
        m.call.client_id = s->client_id;
        m.call.function = VBOX_GUESTPROP_FN_GET_PROP;
        m.call.timeout_ms = CALL_TIMEOUT_MS;
        m.call.parm_count = N_GET_PARMS;
        m.parms[0].type = VMMDEV_HGCM_PARM_TYPE_LINADDR_IN;
        m.parms[0].u.pointer.size = (uint32_t) strlen(name) + 1;
        m.parms[0].u.pointer.u.linear_addr = (uintptr_t) name;
        m.parms[1].type = VMMDEV_HGCM_PARM_TYPE_LINADDR;
        m.parms[1].u.pointer.size = size;
        m.parms[1].u.pointer.u.linear_addr = (uintptr_t) buf;
        m.parms[2].type = VMMDEV_HGCM_PARM_TYPE_64BIT;
        m.parms[3].type = VMMDEV_HGCM_PARM_TYPE_32BIT;

        r = s->t->ioctl(s->t->ctx, VBG_IOCTL_HGCM_CALL(sizeof(m)), &m);
        if (r < 0)
                return log_error_errno(r, "%s: reading the guest property %s: the vboxguest driver (%s) refused "
                                       "the call: %m", WHO, name, s->device);
        *rc = m.call.hdr.rc;
        *needed = m.parms[3].u.value32;
        return 0;
}

int vbox_get_property(const struct vbox_session *s, const char *name, size_t max, char **value, size_t *len)
{
        _cleanup_free_ char *buf = NULL;
        size_t limit = max + 1 + FLAGS_ROOM;
        uint32_t size = FIRST_BUFFER, needed = 0;
        int rc, r;

        *value = NULL;
        *len = 0;
        if (limit > UINT32_MAX)
                limit = UINT32_MAX;
        for (unsigned attempt = 0;; attempt++) {
                free(buf);
                /* The host writes at most size bytes; one more keeps a
                 * NUL after whatever it wrote. */
                buf = xcalloc(1, (size_t) size + 1);
                r = get_prop_once(s, name, buf, size, &rc, &needed);
                if (r < 0)
                        return r;
                if (rc == VERR_NOT_FOUND)
                        return 0;
                if (rc == VINF_SUCCESS)
                        break;
                if (rc != VERR_BUFFER_OVERFLOW)
                        return log_error_errno(status_errno(rc), "%s: reading the guest property %s: the host "
                                               "answered %s (%d)", WHO, name, status_name(rc), rc);
                if (needed > limit)
                        return log_error_errno(EFBIG, "%s: the guest property %s is larger than %zu bytes (the "
                                               "host needs %u bytes for it)", WHO, name, max, needed);
                if (needed <= size)
                        return log_error_errno(EPROTO, "%s: reading the guest property %s: the host said a "
                                               "%u-byte buffer is too small but asked for %u bytes", WHO, name,
                                               size, needed);
                if (attempt + 1 >= GROW_ATTEMPTS)
                        return log_error_errno(EPROTO, "%s: the guest property %s kept growing while it was read "
                                               "(%d attempts)", WHO, name, GROW_ATTEMPTS);
                log_debug("%s: %s needs %u bytes; asking again", WHO, name, needed);
                size = needed;
        }

        if (needed > size)
                return log_error_errno(EPROTO, "%s: reading the guest property %s: the host claims %u bytes in a "
                                       "%u-byte buffer", WHO, name, needed, size);
        /* "value\0flags\0" within what the host says it wrote */
        size_t vlen = strnlen(buf, needed);

        if (vlen == needed)
                return log_error_errno(EPROTO, "%s: the host's reply for the guest property %s is not "
                                       "NUL-terminated (%u bytes): cut short?", WHO, name, needed);
        if (vlen > max)
                return log_error_errno(EFBIG, "%s: the guest property %s is larger than %zu bytes", WHO, name, max);
        buf[vlen] = '\0';
        *len = vlen;
        *value = TAKE_PTR(buf);
        return 0;
}

int vbox_delete_property(const struct vbox_session *s, const char *name)
{
        struct {
                struct vbg_ioctl_hgcm_call call;
                struct vmmdev_hgcm_function_parameter parms[1];
        } m = {};
        int r;

        init_header(&m.call.hdr, sizeof(m) - sizeof(m.call.hdr), sizeof(m) - sizeof(m.call.hdr));
        m.call.client_id = s->client_id;
        m.call.function = VBOX_GUESTPROP_FN_DEL_PROP;
        m.call.timeout_ms = CALL_TIMEOUT_MS;
        m.call.parm_count = 1;
        m.parms[0].type = VMMDEV_HGCM_PARM_TYPE_LINADDR_IN;
        m.parms[0].u.pointer.size = (uint32_t) strlen(name) + 1;
        m.parms[0].u.pointer.u.linear_addr = (uintptr_t) name;

        r = s->t->ioctl(s->t->ctx, VBG_IOCTL_HGCM_CALL(sizeof(m)), &m);
        if (r < 0)
                return log_error_errno(r, "%s: deleting the guest property %s: the vboxguest driver (%s) refused "
                                       "the call: %m", WHO, name, s->device);
        if (m.call.hdr.rc == VERR_PERMISSION_DENIED)
                return log_error_errno(EACCES, "%s: deleting the guest property %s: the host answered "
                                       "VERR_PERMISSION_DENIED: it was set read-only for the guest (its flags "
                                       "RDONLYGUEST or READONLY)", WHO, name);
        if (m.call.hdr.rc != VINF_SUCCESS)
                return log_error_errno(status_errno(m.call.hdr.rc), "%s: deleting the guest property %s: the host "
                                       "answered %s (%d)", WHO, name, status_name(m.call.hdr.rc), m.call.hdr.rc);
        return 0;
}

static int device_ioctl(void *ctx, unsigned long req, void *arg)
{
        return ioctl(*(int *) ctx, req, arg) < 0 ? -errno : 0;
}

int vbox_device_open(const char *path, int *fd, struct vbox_transport *t)
{
        *fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (*fd < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                return log_error_errno(errno, "%s: cannot open %s: %m", WHO, path);
        }
        *t = (struct vbox_transport) { .ioctl = device_ioctl, .ctx = fd };
        return 0;
}
