/* SPDX-License-Identifier: Apache-2.0 */
/* Values systemd-networkd saved from a DHCP lease (Azure's wireserver in
 * option 245, CloudStack's SERVER_ADDRESS). A lease file holds what a DHCP
 * server on the network sent, so it is read as untrusted text. */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

int dhcp_lease_value(const char *key, char **value, char **file)
{
        const char *dir = provider_leases_dir();
        size_t klen = strlen(key);
        struct dirent **names = NULL;
        int n, r = -ENOENT;

        /* In ifindex order, so that the answer is the same every time. */
        n = scandir(dir, &names, NULL, versionsort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, names[i]->d_name), *text = NULL;
                char *save = NULL;
                size_t len;

                if (r < 0 && names[i]->d_name[0] != '.' && read_full_file(p, 64 * 1024, &text, &len) >= 0)
                        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                                if (strncmp(line, key, klen) == 0 && line[klen] == '=' && line[klen + 1]) {
                                        *value = xstrdup(line + klen + 1);
                                        *file = TAKE_PTR(p);
                                        r = 0;
                                        break;
                                }
                free(names[i]);
        }
        free(names);
        return r;
}
