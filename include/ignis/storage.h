/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Block storage the disks, mount and umount stages set up, in the order
 * src/stages/disks.c runs the steps:
 *
 *   devices → partitions → RAID → LUKS → [volume manager] → filesystems
 *
 * then, in the mount stage, every filesystem with a path mounted under the
 * target root, and in the umount stage unmounted again.
 *
 * Every step gets the whole config and the same options, does only its own
 * part and returns 0 or a negative errno (already logged, naming the config
 * entry: `$.storage.luks[1] "data": ...`). The disks stage runs every
 * step's checks before the first step changes anything. */

#include <stdbool.h>

#include "ignis/config.h"

struct json_object;

struct storage_options {
        const char *root;               /* the target root (/sysroot) */
        const char *alias_dir;          /* pinned device links: /run/ignis/dev-aliases */
        unsigned device_timeout_s;      /* how long to wait for each device; 0: do not wait */
        const char *state_dir;          /* /run/ignis: what the files stage persists (LUKS keys) */
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

/* The same for one device. */
int storage_device_wait(const struct storage_options *o, const char *path, const char *where);

/* The pinned path for a device storage_devices_wait() resolved (malloc'd),
 * or a copy of path when it was not pinned. */
char *storage_device_alias(const struct storage_options *o, const char *path);

/* Whether path names a device an earlier step of the disks stage makes
 * (a partition of a disk the config partitions, /dev/md/NAME of an array,
 * /dev/mapper/NAME of a LUKS volume): it cannot be awaited up front. */
bool storage_device_created(const struct ig_config *c, const char *path);

/* Waits for udev to process the events queued so far, when udevd runs
 * (/run/udev/control); returns 0 at once otherwise. dev, when not NULL,
 * is re-triggered first (new partition labels become by-partlabel links). */
int storage_udev_settle(const char *dev);

/* ---- partitions (src/storage/partitions.c, partition-plan.c) ---- */

/* What the partition plan leaves on each disk the config partitions: the
 * checks of the later steps look through it at a partition as it will be
 * once the table is written, before anything is written. */
struct storage_layout;
void storage_layout_free(struct storage_layout *l);

/* storage.disks: every disk's whole plan is made first (every partition
 * resolved, every conflict reported); only when all disks plan cleanly is
 * any table written, once per disk, and the kernel told about each changed
 * partition (BLKPG), then checked against the plan. */
int storage_partitions_apply(const struct ig_config *c, const struct storage_options *o);

/* The same planning, nothing written: appends one object per disk to the
 * array disks (see docs/DISKS.md for its fields) and, when ret_layout is
 * not NULL, returns the plan as a layout (the disks that planned cleanly;
 * also when another disk's plan failed). Returns 0, or a negative errno
 * when a plan failed (conflicts logged). */
int storage_partitions_plan(const struct ig_config *c, const struct storage_options *o, struct json_object *disks,
                            struct storage_layout **ret_layout);

/* ---- RAID (src/storage/raid.c) ---- */

/* What can be checked before anything is changed: mdadm installed. */
int storage_raid_check(const struct ig_config *c);

/* mdadm --create per storage.raid entry (Ignition's arguments), then waits
 * for /dev/md/NAME and pins it. */
int storage_raid_apply(const struct ig_config *c, const struct storage_options *o);

/* ---- LUKS (src/storage/luks.c, luks-options.c) ---- */

/* The checks of storage_luks_apply that need no device (options, key
 * files, Clevis tools): fetch-offline and the disks stage run them before
 * anything is changed. */
int storage_luks_check(const struct ig_config *c);

/* What each volume's device holds (without wipeVolume), against Ignition's
 * reuse rules as far as they can be applied before anything is written:
 * a filesystem or another signature, a LUKS1 header, a LUKS2 header the
 * config cannot reuse (Clevis, no keyFile, label, UUID, discard) are
 * refused; the key is tried by the step. A partition the layout keeps or
 * makes is looked at where the plan puts it. */
int storage_luks_check_devices(const struct ig_config *c, const struct storage_options *o,
                               const struct storage_layout *layout);

/* Formats (or reuses) and opens every storage.luks volume with
 * libcryptsetup, binds Clevis pins with `clevis luks bind`. Keys that the
 * files stage must persist in the target (/etc/luks/NAME) are written to
 * o->state_dir/luks/NAME (0600). */
int storage_luks_apply(const struct ig_config *c, const struct storage_options *o);

/* The files stage's half of LUKS: /etc/luks/NAME (0600, directory 0700)
 * for each key storage_luks_apply left in state_dir, and an /etc/crypttab
 * line per volume, in the target root; then the keys are removed from
 * state_dir. */
int storage_luks_persist(const struct ig_config *c, const char *state_dir, const char *root);

/* ---- filesystems (src/storage/filesystems.c) ---- */

/* What can be decided before anything is changed: formats known, mkfs
 * tools installed, and every filesystem probed (libblkid) and refused when
 * it does not match and wipeFilesystem is not set: on a device that is
 * there already, or on a partition the layout (NULL: none) keeps or
 * creates, where the bytes it will hold are probed on its disk. A
 * filesystem on a whole disk that keeps partitions is refused. */
int storage_filesystems_check(const struct ig_config *c, const struct storage_options *o,
                              const struct storage_layout *layout);

/* Probes every storage.filesystems device; reuses matching filesystems,
 * refuses mismatches without wipeFilesystem (before any mkfs runs), wipes
 * signatures and runs the mkfs tools in parallel. */
int storage_filesystems_apply(const struct ig_config *c, const struct storage_options *o);

/* ---- mount, umount (src/storage/mount.c) ---- */

/* Mounts every filesystem with a path under root, shallowest first, with
 * its mountOptions (libmount); missing mount points are created inside the
 * root. storage_umount_all unmounts them in reverse order. */
int storage_mount_all(const struct ig_config *c, const char *root);
int storage_umount_all(const struct ig_config *c, const char *root);

/* ---- ignis plan (src/storage/volumes-plan.c) ---- */

/* `ignis plan` for RAID, LUKS and filesystems: appends one object per step
 * to the array volumes ({"action", "object", "config", "detail",
 * "destructive"}; the text output prints them as they are), with the same
 * decisions the disks stage takes. Returns 0 or a negative errno (logged)
 * when the stage would refuse the config. */
int storage_volumes_plan(const struct ig_config *c, const struct storage_options *o,
                         const struct storage_layout *layout, struct json_object *volumes);
