/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Block storage the disks, mount and umount stages set up, in Ignition's
 * order: (partitions), RAID arrays, LUKS2 volumes, (a volume manager step,
 * later), filesystems; then, in the mount stage, every filesystem with a
 * path mounted under the target root, and in the umount stage unmounted.
 *
 * Every function checks all the entries it is given before it changes
 * anything: a conflict found in entry 3 leaves entries 0-2 untouched too.
 * Each logs its own errors naming the config entry ($.storage.luks[1]
 * "data": ...) and returns 0 or a negative errno. */

#include <stdbool.h>

#include "ignis/config.h"

/* The device node to use for a path from the config. Today the path as
 * given; the place where pinned aliases (udev churn) will be resolved. */
const char *storage_device_path(const char *configured);

/* Waits for path to exist (a driver still loading, a udev link not made
 * yet), with one log line when it has to wait, up to 90 s
 * (IGNIS_DEVICE_TIMEOUT=SECONDS). 0, or -ETIMEDOUT logged naming what. */
int storage_wait_device(const char *path, const char *what);

/* mdadm --create per storage.raid entry (Ignition's arguments), then waits
 * for /dev/md/NAME. */
int storage_raid_apply(const struct ig_config *c);

/* Formats (or reuses) and opens every storage.luks volume with
 * libcryptsetup, binds Clevis pins with `clevis luks bind`. Keys that the
 * files stage must persist in the target (/etc/luks/NAME) are written to
 * state_dir/luks-keys/NAME (0600). */
int storage_luks_apply(const struct ig_config *c, const char *state_dir);

/* The files stage's half of LUKS: /etc/luks/NAME (0600, directory 0700)
 * for each key storage_luks_apply left in state_dir, and an /etc/crypttab
 * line per volume, in the target root; then the keys are removed from
 * state_dir. */
int storage_luks_persist(const struct ig_config *c, const char *state_dir, const char *root);

/* The checks of storage_luks_apply that need no device (options, key
 * files, Clevis tools), for the disks stage to run before anything is
 * changed. */
int storage_luks_check(const struct ig_config *c);

/* Probes every storage.filesystems device (libblkid); reuses matching
 * filesystems, refuses mismatches without wipeFilesystem (before any mkfs
 * runs), wipes signatures and runs the mkfs tools in parallel. */
int storage_filesystems_apply(const struct ig_config *c);

/* Mounts every filesystem with a path under root, shallowest first, with
 * its mountOptions (libmount); missing mount points are created inside the
 * root. storage_umount_all unmounts them in reverse order. */
int storage_mount_all(const struct ig_config *c, const char *root);
int storage_umount_all(const struct ig_config *c, const char *root);
