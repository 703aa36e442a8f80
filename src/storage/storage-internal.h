/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers the storage steps share (not part of the module interface). */

#include <stdbool.h>

#include "ignis/storage.h"

struct json_object;

/* What libblkid finds on a device: the superblock type ("ext4", "swap",
 * "crypto_LUKS"...), its label and UUID; NULL when absent. */
struct probe_info {
        char *type;
        char *label;
        char *uuid;
        char *version;          /* LUKS: "1" or "2" */
        char *pttype;           /* a partition table on the device: "gpt", "dos" */
};

/* Probes dev read-only. Several signatures at once (a leftover of an old
 * filesystem under a new one) are accepted with a warning, as Ignition
 * retries allowing them. 0 or a negative errno (not logged). */
int storage_probe(const char *dev, struct probe_info *info);
void probe_info_free(struct probe_info *info);

/* Erases every filesystem, RAID, LUKS and partition-table signature on dev
 * (what `wipefs -a` does), with libblkid. 0 or a negative errno (logged,
 * naming what). */
int storage_wipe(const char *dev, const char *what);
/* The same without logging (for worker threads): *count signatures
 * erased. 0 or a negative errno. */
int storage_wipe_quiet(const char *dev, int *count);

/* The config entry in messages: `$.storage.filesystems[2] "/dev/vdb"`. */
char *storage_entry(const char *list, size_t index, const char *name);

/* `ignis plan`'s part of each step (volumes-plan.c puts them together):
 * one object per entry appended to out, the same decisions the step
 * takes; 0, or a negative errno (logged) when the step would refuse. */
int storage_raid_plan(const struct ig_config *c, struct json_object *out);
int storage_luks_plan(const struct ig_config *c, const struct storage_options *o, struct json_object *out);
int storage_filesystems_plan(const struct ig_config *c, const struct storage_options *o, struct json_object *out);

/* One plan entry: {"action", "object", "config", "detail", "destructive"};
 * takes detail. */
void storage_plan_add(struct json_object *out, const char *object, const char *what, const char *action,
                      bool destructive, char *detail);
