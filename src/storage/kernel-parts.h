/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The kernel's view of a disk's partitions: sysfs to read it, BLKPG to
 * change it one partition at a time. BLKPG (unlike BLKRRPART) works while
 * other partitions of the disk are mounted, and needs no partition-table
 * parser in the kernel. */

#include <stdbool.h>
#include <stdint.h>

#include "partition-plan.h"

struct kpart {
        uint32_t number;
        uint64_t start, size;           /* 512-byte units, as sysfs has them */
        char name[64];                  /* "loop0p1", "vdb1" */
};

struct kdisk {
        char sysfs[128];                /* /sys/dev/block/MAJ:MIN */
        struct kpart *v;
        size_t n;
};

/* Reads the partitions the kernel knows for the block device at path.
 * -ENOTBLK when path is not a block device (an image file). */
int kdisk_read(const char *path, struct kdisk *ret);
void kdisk_free(struct kdisk *k);

/* Whether the kernel's partition NUMBER is busy: mounted, swapped on, or
 * held (RAID, device mapper). */
bool kdisk_part_in_use(const struct kdisk *k, uint32_t number);
/* Whether the whole disk itself is busy (a filesystem on it, mounted). */
bool kdisk_whole_in_use(const char *path);

/* Makes the kernel's partitions of the disk open as fd equal table, entry
 * by entry (only what differs is deleted and added), then reads sysfs back
 * and checks every start and size. where names the disk in messages. */
int kdisk_sync(int fd, const char *path, const char *where, const struct pt_table *table, uint64_t sector_size);
