/* SPDX-License-Identifier: Apache-2.0 */
/* Device paths from the config, as the storage steps use them. */

#include "ignis/storage.h"

const char *storage_device_path(const char *configured)
{
        /* One place to route every device through: pinned aliases of
         * /dev/disk/by-* links resolve here once they exist. */
        return configured;
}
