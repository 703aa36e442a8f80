/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers the storage steps share (not part of the module interface). */

#include <stdbool.h>
#include <stdint.h>

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
/* The same for the size bytes at offset on dev (size 0: to the end), what
 * a partition there holds; dev's cached pages of the range are dropped
 * first, as they may predate a write through the partition's own node. */
int storage_probe_range(const char *dev, uint64_t offset, uint64_t size, struct probe_info *info);
void probe_info_free(struct probe_info *info);

/* Erases every filesystem, RAID, LUKS and partition-table signature on dev
 * (what `wipefs -a` does), with libblkid. 0 or a negative errno (logged,
 * naming what). */
int storage_wipe(const char *dev, const char *what);
/* The same without logging (for worker threads): *count signatures
 * erased. 0 or a negative errno. */
int storage_wipe_quiet(const char *dev, int *count);

/* Where a device the config names lies in the partition plan. */
enum locus_kind {
        LOCUS_ELSEWHERE,        /* not on a disk that planned: look at the device itself */
        LOCUS_PARTITION,        /* a partition the plan keeps or makes */
        LOCUS_MISSING,          /* a partition of a planned disk that will not exist */
        LOCUS_PARTITIONED_DISK, /* the whole of a disk that keeps partitions */
};

struct locus {
        enum locus_kind kind;
        const char *disk_where;         /* "$.storage.disks[N]", owned by the layout */
        const char *disk_device;        /* the disk as the config names it */
        uint32_t number;                /* the partition; the partitions kept (PARTITIONED_DISK) */
        char *path;                     /* PARTITION: what to probe (malloc'd) */
        uint64_t offset, size;          /* bytes on path; size 0: all of it */
};

/* Finds dev (as a filesystem entry names it) in the layout. */
void storage_layout_locate(const struct storage_layout *l, const char *dev, struct locus *ret);

/* Whether path names partition *number of disk: disk followed by "N"
 * ("pN" when disk ends in a digit) or "-partN" (how /dev and
 * /dev/disk/by-{id,path} name them). */
bool storage_partition_of(const char *disk, const char *path, uint32_t *number);

/* The config entry in messages: `$.storage.filesystems[2] "/dev/vdb"`. */
char *storage_entry(const char *list, size_t index, const char *name);

/* `ignis plan`'s part of each step (volumes-plan.c puts them together):
 * one object per entry appended to out, the same decisions the step
 * takes; 0, or a negative errno (logged) when the step would refuse. */
int storage_raid_plan(const struct ig_config *c, struct json_object *out);
int storage_luks_plan(const struct ig_config *c, const struct storage_options *o,
                      const struct storage_layout *layout, struct json_object *out);
int storage_filesystems_plan(const struct ig_config *c, const struct storage_options *o,
                             const struct storage_layout *layout, struct json_object *out);

/* One plan entry: {"action", "object", "config", "detail", "destructive"};
 * takes detail. */
void storage_plan_add(struct json_object *out, const char *object, const char *what, const char *action,
                      bool destructive, char *detail);
