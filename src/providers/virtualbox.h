/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* VirtualBox guest properties through the vboxguest driver (see
 * virtualbox.c for the provider, virtualbox-config.c for what it reads,
 * virtualbox-hgcm.c for the protocol). The protocol only ever sees a
 * transport that performs one ioctl on the device, so that it can be driven
 * by the real /dev/vboxguest or by a model of the driver and the host's
 * property service (the unit test, the fuzzer). */

#include <stdint.h>
#include <stddef.h>

#include "ignis/providers.h"

/* The host service and its function numbers (VirtualBox's
 * GuestPropertySvc.h; the numbers never change). */
#define VBOX_GUESTPROP_SERVICE "VBoxGuestPropSvc"
#define VBOX_GUESTPROP_FN_GET_PROP 1u   /* name, buffer, timestamp, size */
#define VBOX_GUESTPROP_FN_DEL_PROP 4u   /* name */

/* The guest property ignis reads, and the one that must be empty. */
#define VBOX_CONFIG_PROPERTY "/Ignition/Config"
#define VBOX_ENCODING_PROPERTY "/Ignition/Config/Encoding"

struct vbox_transport {
        /* One ioctl(2) on the vboxguest device: 0 when the driver took the
         * request (its VBox status is then in the request header's rc), or
         * a negative errno. */
        int (*ioctl)(void *ctx, unsigned long request, void *arg);
        void *ctx;
};

/* A connection to the guest property service. */
struct vbox_session {
        const struct vbox_transport *t;
        const char *device;     /* for messages */
        uint32_t client_id;
};

/* virtualbox-hgcm.c. Each returns 0 or a negative errno, logged with the
 * step, the device and the VBox status.
 *
 * vbox_connect(): negotiates the driver interface version and connects to
 * the guest property service. */
int vbox_connect(const struct vbox_transport *t, const char *device, struct vbox_session *ret);
/* vbox_get_property(): the value of property name (at most max bytes),
 * NUL-terminated, in *value; *value NULL when the property does not exist.
 * The buffer grows as the host asks (VERR_BUFFER_OVERFLOW). -EFBIG for a
 * longer value, -EPROTO for a reply that breaks the protocol. */
int vbox_get_property(const struct vbox_session *s, const char *name, size_t max, char **value, size_t *len);
/* vbox_delete_property(): deletes property name (one that does not exist
 * is no error); -EACCES when the host made it read-only for the guest. */
int vbox_delete_property(const struct vbox_session *s, const char *name);
/* vbox_disconnect(): ends the session (a failure is logged as a warning:
 * what was read stays valid). */
void vbox_disconnect(const struct vbox_session *s);

/* The real device: opens path (O_RDWR) into *fd and fills *t to use it.
 * -ENOENT when the device does not exist (not logged), another errno
 * (logged). */
int vbox_device_open(const char *path, int *fd, struct vbox_transport *t);

/* virtualbox-config.c: the config from /Ignition/Config over t (with
 * /Ignition/Config/Encoding empty or unset): 0 with out->data set or NULL
 * (no config), or a negative errno (logged, naming the property). */
int virtualbox_fetch_properties(const struct vbox_transport *t, const char *device, struct fetched_config *out);
/* The same two properties deleted (once provisioning succeeded: any root
 * process in the VM can read them). 0 or a negative errno (logged). */
int virtualbox_delete_properties(const struct vbox_transport *t, const char *device);
/* virtualbox.c: the same through the VM's device, for the provider's
 * delete-config hook (Ignition's ignition-rmcfg). */
int provider_virtualbox_delete_config(void);
