/* SPDX-License-Identifier: Apache-2.0 */
/* VirtualBox: the config is the guest property /Ignition/Config, set on the
 * host with `VBoxManage guestproperty set VM /Ignition/Config "$(cat
 * config.ign)"`. As Ignition does, /Ignition/Config/Encoding must be unset
 * or empty: it is kept for a future encoding, so anything there is refused
 * rather than misread. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "virtualbox.h"

#define WHO "platform virtualbox"
/* An encoding is a short name; anything longer is not one either. */
#define ENCODING_MAX 256

int virtualbox_fetch_properties(const struct vbox_transport *t, const char *device, struct fetched_config *out)
{
        _cleanup_free_ char *encoding = NULL, *data = NULL;
        struct vbox_session s;
        size_t elen = 0, len = 0;
        int r;

        *out = (struct fetched_config) {};
        r = vbox_connect(t, device, &s);
        if (r < 0)
                return r;
        r = vbox_get_property(&s, VBOX_ENCODING_PROPERTY, ENCODING_MAX, &encoding, &elen);
        if (r >= 0 && elen > 0)
                r = log_error_errno(EINVAL, "%s: the guest property " VBOX_ENCODING_PROPERTY " is \"%.80s\": no "
                                    "encoding is supported (as with Ignition); set " VBOX_CONFIG_PROPERTY
                                    " to the JSON config itself and leave " VBOX_ENCODING_PROPERTY
                                    " unset or empty", WHO, encoding);
        if (r >= 0)
                r = vbox_get_property(&s, VBOX_CONFIG_PROPERTY, IG_CONFIG_MAX_SIZE, &data, &len);
        vbox_disconnect(&s);
        if (r < 0)
                return r;
        if (!data || len == 0) {
                log_info("%s: the guest property " VBOX_CONFIG_PROPERTY " is %s: no config", WHO,
                         data ? "empty" : "not set");
                return 0;
        }
        log_info("%s: read the guest property " VBOX_CONFIG_PROPERTY " (%zu bytes)", WHO, len);
        out->data = TAKE_PTR(data);
        out->len = len;
        out->source = xstrdup("VirtualBox guest property " VBOX_CONFIG_PROPERTY);
        return 0;
}

int virtualbox_delete_properties(const struct vbox_transport *t, const char *device)
{
        struct vbox_session s;
        int r;

        r = vbox_connect(t, device, &s);
        if (r < 0)
                return r;
        r = vbox_delete_property(&s, VBOX_ENCODING_PROPERTY);
        if (r >= 0)
                r = vbox_delete_property(&s, VBOX_CONFIG_PROPERTY);
        vbox_disconnect(&s);
        if (r >= 0)
                log_info("%s: deleted the guest properties " VBOX_CONFIG_PROPERTY " and " VBOX_ENCODING_PROPERTY
                         " (the config is no longer readable in the VM)", WHO);
        return r;
}
