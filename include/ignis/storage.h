/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The disks stage, in the order src/stages/disks.c runs its steps:
 *
 *   devices → partitions → RAID → LUKS → [volume manager] → filesystems
 *
 * Every step gets the whole config and the same options, does only its own
 * part and returns 0 or a negative errno (already logged, naming the config
 * entry). A step validates all its entries before it changes anything. */

#include <stdbool.h>

#include "ignis/config.h"

struct json_object;

struct storage_options {
        const char *root;               /* the target root (/sysroot): LUKS keys, crypttab */
        const char *alias_dir;          /* pinned device links: /run/ignis/dev-aliases */
        unsigned device_timeout_s;      /* how long to wait for each device; 0: do not wait */
};

#define STORAGE_ALIAS_DIR "/run/ignis/dev-aliases"
/* systemd's default device job timeout, which is what Ignition waits. */
#define STORAGE_DEVICE_TIMEOUT_S 90

/* ---- devices (src/storage/devices.c) ---- */

/* Waits until each of paths exists (one console line per device that has to
 * be awaited; the timeout error names it and where the config asks for it),
 * then resolves each once and pins it as a symlink
 * ALIAS_DIR/<path> → /dev/<node>, so udev renaming /dev/disk/by-* links
 * later cannot change what a later step opens. wheres[i] names the config
 * entry of paths[i] ("$.storage.disks[0].device"). */
int storage_devices_wait(const struct storage_options *o, char *const *paths, char *const *wheres, size_t n);

/* The pinned path for a device storage_devices_wait() resolved (malloc'd),
 * or a copy of path when it was not pinned. */
char *storage_device_alias(const struct storage_options *o, const char *path);

/* Waits for udev to process the events queued so far, when udevd runs
 * (/run/udev/control); returns 0 at once otherwise. dev, when not NULL,
 * is re-triggered first (new partition labels become by-partlabel links). */
int storage_udev_settle(const char *dev);

/* ---- partitions (src/storage/partitions.c, partition-plan.c) ---- */

/* storage.disks: every disk's whole plan is made first (every partition
 * resolved, every conflict reported); only when all disks plan cleanly is
 * any table written, once per disk, and the kernel told about each changed
 * partition (BLKPG), then checked against the plan. */
int storage_partitions_apply(const struct ig_config *c, const struct storage_options *o);

/* The same planning, nothing written: appends one object per disk to the
 * array disks (see docs/DISKS.md for its fields). Returns 0, or a negative
 * errno when a plan failed (conflicts logged). */
int storage_partitions_plan(const struct ig_config *c, const struct storage_options *o, struct json_object *disks);

/* ---- RAID, LUKS, filesystems (src/storage/ on the volumes branch) ---- */

/* storage.raid: mdadm --create for each array, then waits for /dev/md/NAME. */
int storage_raid_apply(const struct ig_config *c, const struct storage_options *o);

/* storage.luks: libcryptsetup format/open (or reuse), key files, crypttab. */
int storage_luks_apply(const struct ig_config *c, const struct storage_options *o);

/* storage.filesystems: probe with libblkid, reuse or wipe and mkfs. */
int storage_filesystems_apply(const struct ig_config *c, const struct storage_options *o);

/* `ignis plan` for RAID, LUKS and filesystems: appends one object per step
 * to the array volumes ({"action", "object", "config", "detail",
 * "destructive"}; the text output prints them as they are). */
int storage_volumes_plan(const struct ig_config *c, const struct storage_options *o, struct json_object *volumes);
