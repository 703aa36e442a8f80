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
        /* Files the platform wants in the target whatever the config says
         * (Hyper-V's KVP pools): the fetch stage adds them to the config,
         * so the files stage writes them. Set with or without a config. */
        struct provider_file *files;
        size_t n_files;
};

struct provider_file {
        char *path;     /* absolute, in the target */
        unsigned mode;
        char *data;
        size_t len;
};

void fetched_config_free(struct fetched_config *f);

/* The stages' state directory (/run/ignis), where a provider whose source
 * can be read only once per boot (Hyper-V's KVP) keeps what it read for a
 * second fetch stage. NULL (the default): nothing is kept. */
void provider_set_state_dir(const char *dir);

/* One platform (src/providers/<id>.c), listed in src/providers/platforms.h. */
struct provider {
        const char *id;
        /* Returns 0 with out->data set (a config) or NULL (none: not an
         * error), or a negative errno, logged. Bytes are returned as found:
         * gzip is undone once, by provider_fetch(). */
        int (*fetch)(struct fetched_config *out);
        /* The config comes from a network service: fetch-offline leaves it
         * to the fetch stage, after the initramfs brought the network up. */
        bool network;
        /* Optional: takes the config out of where the platform keeps it
         * readable from inside the guest (VMware guestinfo), after a
         * successful first boot. 0 (done, or nothing there) or a negative
         * errno, logged. */
        int (*delete_config)(void);
};

/* Whether Ignition knows this platform id (this build may still not
 * support fetching from it). */
bool provider_known(const char *platform);
/* The provider for id, or NULL if this build has none. */
const struct provider *provider_find(const char *platform);
/* "qemu, metal, ...": the ids this build serves, for messages (static). */
const char *provider_supported_list(void);

/* Resolves "auto", "" and NULL to a detected platform id (DMI, fw_cfg,
 * config media; metal if nothing matches), logging what it found and why;
 * any other id is returned as is. Returns a static string. */
const char *provider_resolve(const char *platform);

/* Whether the platform's config source is a network service (a metadata
 * server): fetch-offline then leaves the fetch to the fetch stage, after
 * the initramfs brought the network up. */
bool provider_needs_network(const char *platform);

/* Returns 0 (config or none), -EOPNOTSUPP for a platform this build cannot
 * serve, or another negative errno. Logs its own errors. gzip'd data (by
 * its magic bytes) comes back decompressed. */
int provider_fetch(const char *platform, struct fetched_config *out);

/* ignition.config.device=LABEL + ignition.config.path=PATH (Ignition
 * 2.27): the file PATH on the filesystem labelled LABEL, which may take
 * 30 s ($IGNIS_MEDIA_WAIT) to appear. 0 with out->data set, or a negative
 * errno (logged): a bad label, no such filesystem, no such file. */
int provider_config_device_fetch(const char *label, const char *path, struct fetched_config *out);

/* QEMU: fw_cfg item opt/com.coreos/config under sysfs_root
 * (/sys/firmware/qemu_fw_cfg); loads qemu_fw_cfg if the directory is
 * missing. */
int provider_qemu_fetch(const char *sysfs_root, struct fetched_config *out);

/* Platform reports (Azure's wireserver health report): result_ok false
 * sends the failure summary (no secrets: the caller passes the stage and
 * first error line). Returns 0 when reported or when the platform has no
 * report, a negative errno (logged) when every attempt failed. */
int provider_report(const char *platform, bool result_ok, const char *summary);
/* Whether the platform takes such a report (azure). */
bool provider_has_report(const char *platform);
/* Whether the platform keeps the config where the guest can read it after
 * the first boot, and provider_delete_config() takes it out (vmware), as
 * Ignition's ignition-rmcfg does. 0 (deleted, nothing to delete, or a
 * platform without such a place) or a negative errno (logged). */
bool provider_has_delete_config(const char *platform);
int provider_delete_config(const char *platform);
/* Cloud metadata services (src/providers/aws.c, gcp.c). Each returns 0 with
 * the user data, 0 with no data when the instance has none (404), or a
 * negative errno (logged). Endpoints can be moved for tests by environment
 * variables (see the README's testing section). */
int provider_aws_fetch(struct fetched_config *out);
int provider_gcp_fetch(struct fetched_config *out);

