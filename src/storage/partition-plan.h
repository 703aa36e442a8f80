/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The partition planner: pure arithmetic on an in-memory GPT, no I/O.
 * partitions.c reads the table with libfdisk, asks for a plan, and writes
 * the plan's final table. The rules are Ignition's (docs/DISKS.md). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ignis/config.h"

#define PT_GUID_LEN 36
/* GPT names are 36 UTF-16 units; in UTF-8 at most 4 bytes each. */
#define PT_LABEL_MAX (36 * 4)
#define PT_MAX_ENTRIES 128

struct pt_geometry {
        uint64_t sector_size;           /* logical, bytes */
        uint64_t first_usable;          /* first and last usable LBA, inclusive */
        uint64_t last_usable;
        uint64_t alignment;             /* sectors */
        uint32_t max_entries;           /* the table's number of entries */
};

struct pt_part {
        uint32_t number;                /* 1-based */
        uint64_t start, size;           /* sectors */
        char type_guid[PT_GUID_LEN + 1]; /* upper case */
        char guid[PT_GUID_LEN + 1];     /* upper case; "" = to be generated */
        char label[PT_LABEL_MAX + 1];
};

enum pt_action {
        PT_ABSENT,      /* shouldExist false and not there: nothing */
        PT_KEEP,        /* exists and matches */
        PT_CREATE,
        PT_DELETE,      /* shouldExist false, wipePartitionEntry */
        PT_RESIZE,      /* resize: same start, GUIDs, label; new size */
        PT_RECREATE,    /* did not match, wipePartitionEntry: deleted and created */
        PT_WIPED,       /* an existing partition wipeTable removes */
};

struct pt_step {
        enum pt_action action;
        size_t index;                   /* in disk->partitions; SIZE_MAX for PT_WIPED */
        bool has_old, has_new;
        struct pt_part old;             /* the existing entry */
        struct pt_part new;             /* the entry after the write */
};

struct pt_table {
        struct pt_part *v;
        size_t n;
};

struct pt_plan {
        struct pt_geometry geom;
        bool wipe_table;
        bool changes;                   /* the table must be written */
        struct pt_step *steps;
        size_t n_steps;
        struct pt_table final;          /* every entry after the write, by number */
};

/* The default GPT alignment (1 MiB) lowered to the largest power of two
 * every existing partition's start is a multiple of, as sgdisk does, so
 * that old unaligned tables keep their layout rules. */
uint64_t pt_alignment(uint64_t sector_size, const struct pt_part *existing, size_t n);

/* Plans disk d (config path where, "$.storage.disks[0]") against the
 * entries of the existing table (already empty when there is no table).
 * Every conflict is logged, each naming its config entry and showing the
 * existing and the wanted partition side by side; then -EINVAL.
 * in_use(number) tells whether the kernel's partition is busy (mounted,
 * held); NULL: nothing is. */
int pt_plan_make(const struct ig_disk *d, const char *where, const struct pt_geometry *g,
                 const struct pt_part *existing, size_t n_existing, bool (*in_use)(void *ud, uint32_t number),
                 void *ud, struct pt_plan *ret);
void pt_plan_free(struct pt_plan *p);

const char *pt_action_name(enum pt_action a);
bool pt_action_destructive(enum pt_action a, const struct pt_step *s);
