/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Where a machine's config comes from: the kernel command line, the
 * system config directories, and the platform provider. */

#include <stdbool.h>
#include <stddef.h>

/* The kernel command line, split the way the kernel does (spaces separate
 * arguments, double quotes group, and are removed). */
struct cmdline {
        char **keys;
        char **values;  /* NULL for a bare flag */
        size_t n;
};

int cmdline_parse(const char *text, struct cmdline *c);
int cmdline_read(const char *path, struct cmdline *c);     /* path: /proc/cmdline */
void cmdline_free(struct cmdline *c);
/* The last occurrence of key (the kernel's rule for repeated arguments).
 * Returns true if present; *value is NULL for a bare flag. */
bool cmdline_get(const struct cmdline *c, const char *key, const char **value);
/* ignition.firstboot: a bare flag or any value but 0/no/off/false. */
bool cmdline_is_firstboot(const struct cmdline *c);

/* A fetched config: bytes and where they came from (for messages). A
 * provider that finds "no config" returns 0 with data NULL: that is not an
 * error, the machine boots with an empty config. */
struct fetched_config {
        char *data;
        size_t len;
        char *source;   /* "QEMU fw_cfg opt/com.coreos/config", "/usr/lib/ignition/user.ign" */
};

void fetched_config_free(struct fetched_config *f);

/* Whether Ignition knows this platform id (this build may still not
 * support fetching from it). */
bool provider_known(const char *platform);

/* Whether the platform's config source is a network service (a metadata
 * server): fetch-offline then leaves the fetch to the fetch stage, after
 * the initramfs brought the network up. */
bool provider_needs_network(const char *platform);

/* Returns 0 (config or none), -EOPNOTSUPP for a platform this build cannot
 * serve yet, or another negative errno. Logs its own errors. */
int provider_fetch(const char *platform, struct fetched_config *out);

/* QEMU: fw_cfg item opt/com.coreos/config under sysfs_root
 * (/sys/firmware/qemu_fw_cfg); loads qemu_fw_cfg if the directory is
 * missing. */
int provider_qemu_fetch(const char *sysfs_root, struct fetched_config *out);

/* Cloud metadata services (src/providers/aws.c, gcp.c). Each returns 0 with
 * the user data, 0 with no data when the instance has none (404), or a
 * negative errno (logged). Endpoints can be moved for tests by environment
 * variables (see the README's testing section). */
int provider_aws_fetch(struct fetched_config *out);
int provider_gcp_fetch(struct fetched_config *out);

/* How long a metadata provider keeps trying, in seconds: 120 (as Ignition),
 * or IGNIS_PROVIDER_TIMEOUT (tests). */
long provider_budget_s(void);

/* User data that starts with gzip's magic bytes is decompressed in place
 * (at most IG_CONFIG_MAX_SIZE bytes), with a log line naming who. */
int provider_user_data_gunzip(struct fetched_config *f, const char *who);
