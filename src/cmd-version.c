/* SPDX-License-Identifier: Apache-2.0 */
/* ignis --version: the version, and the libraries this build uses with the
 * versions actually in use. libcurl, libcrypto and the storage libraries
 * are loaded only when a run needs them, so they are loaded here to say
 * whether a run could. */

#include <stdio.h>
#include <zlib.h>

#include <json-c/json.h>

#include "ignis-build.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "commands.h"

int cmd_version(int argc, char **argv)
{
        const char *v = NULL;

        printf("ignis %s\n", IGNIS_VERSION);
        printf("spec 3.0.0 3.1.0 3.2.0 3.3.0 3.4.0 3.5.0 3.6.0 3.7.0-experimental\n");
        printf("json-c %s%s\n", json_c_version(), IGNIS_STATIC_LIBS ? " (static)" : "");
        printf("zlib %s%s\n", zlibVersion(), IGNIS_STATIC_LIBS ? " (static)" : "");
        /* Quietly: a missing library is a fact to print, not an error. */
        log_set_max_level(-1);
        if (dlopen_curl() >= 0)
                printf("libcurl %s (%s, loaded when needed)\n", sym_curl_version_info(CURLVERSION_NOW)->version,
                       IGNIS_LIBCURL_SONAME);
        else
                printf("libcurl missing (%s cannot be loaded: no network resources)\n", IGNIS_LIBCURL_SONAME);
        if (dlopen_crypto() >= 0)
                printf("libcrypto %s (%s, loaded when needed)\n", sym_OpenSSL_version(OPENSSL_VERSION),
                       IGNIS_LIBCRYPTO_SONAME);
        else
                printf("libcrypto missing (%s cannot be loaded: no hash verification)\n", IGNIS_LIBCRYPTO_SONAME);
        if (dlopen_mount() >= 0) {
                sym_mnt_get_library_version(&v);
                printf("libmount %s (%s, loaded when needed)\n", v, IGNIS_LIBMOUNT_SONAME);
        } else
                printf("libmount missing (%s cannot be loaded: no mounts)\n", IGNIS_LIBMOUNT_SONAME);
        if (dlopen_blkid() >= 0) {
                sym_blkid_get_library_version(&v, NULL);
                printf("libblkid %s (%s, loaded when needed)\n", v, IGNIS_LIBBLKID_SONAME);
        } else
                printf("libblkid missing (%s cannot be loaded: no filesystems, wiping or config media)\n",
                       IGNIS_LIBBLKID_SONAME);
        if (dlopen_fdisk() >= 0) {
                sym_fdisk_get_library_version(&v);
                printf("libfdisk %s (%s, loaded when needed)\n", v, IGNIS_LIBFDISK_SONAME);
        } else
                printf("libfdisk missing (%s cannot be loaded: no partitions)\n", IGNIS_LIBFDISK_SONAME);
        if (dlopen_cryptsetup() >= 0)
                printf("libcryptsetup (%s, loaded when needed)\n", IGNIS_LIBCRYPTSETUP_SONAME);
        else
                printf("libcryptsetup missing (%s cannot be loaded: no LUKS volumes)\n", IGNIS_LIBCRYPTSETUP_SONAME);
        (void) v;
        return 0;
}
