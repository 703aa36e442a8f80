/* SPDX-License-Identifier: Apache-2.0 */
/* src/storage/partition-plan.c without a disk: what the image cases in
 * tests/disks cannot reach cheaply (4096-byte sectors, a full table, busy
 * partitions, the alignment rule, what counts as destructive). */

#include <string.h>

#include "ignis/config.h"
#include "ignis/log.h"
#include "../../src/storage/partition-plan.h"
#include "../../src/storage/storage-internal.h"
#include "tap.h"

static const struct pt_geometry g512 = {
        .sector_size = 512, .first_usable = 34, .last_usable = 204766, .alignment = 2048, .max_entries = 128,
};

static struct ig_partition part(int64_t number, int64_t start_mib, int64_t size_mib)
{
        struct ig_partition p = { .node = IG_NODE_NONE };

        p.number = (struct ig_int) { .set = true, .v = number };
        if (start_mib >= 0)
                p.start_mib = (struct ig_int) { .set = true, .v = start_mib };
        if (size_mib >= 0)
                p.size_mib = (struct ig_int) { .set = true, .v = size_mib };
        return p;
}

static bool busy_one(void *ud, uint32_t number)
{
        return number == 1;
}

int main(void)
{
        struct ig_partition ps[4];
        struct ig_disk d = { .node = IG_NODE_NONE };
        struct pt_plan plan;
        struct pt_part ex[2] = {};
        int r;

        log_set_max_level(LOG_LVL_ERR - 1);     /* the refusals are expected */
        d.partitions.v = ps;

        /* 4096-byte sectors: 1 MiB is 256 sectors, and so is the alignment */
        {
                struct pt_geometry g4k = { .sector_size = 4096, .first_usable = 6, .last_usable = 25593,
                                           .alignment = pt_alignment(4096, NULL, 0), .max_entries = 128 };
                ps[0] = part(1, -1, 10);
                d.partitions.n = 1;
                r = pt_plan_make(&d, "$.d", &g4k, NULL, 0, NULL, NULL, &plan);
                tap_ok(r == 0 && plan.final.n == 1 && plan.final.v[0].start == 256 && plan.final.v[0].size == 2560,
                       "4K sectors: 10 MiB at 1 MiB is 2560 sectors at 256");
                pt_plan_free(&plan);
        }

        tap_ok(pt_alignment(512, NULL, 0) == 2048, "default alignment 1 MiB");
        ex[0] = (struct pt_part) { .number = 1, .start = 40, .size = 8 };
        tap_ok(pt_alignment(512, ex, 1) == 8, "an existing start at sector 40 lowers it to 8");

        /* a table with 2 entries, both used: a number-0 entry has no slot */
        {
                struct pt_geometry small = g512;
                small.max_entries = 2;
                ex[0] = (struct pt_part) { .number = 1, .start = 2048, .size = 2048, .type_guid = "X" };
                ex[1] = (struct pt_part) { .number = 2, .start = 4096, .size = 2048, .type_guid = "X" };
                ps[0] = part(0, -1, 1);
                d.partitions.n = 1;
                r = pt_plan_make(&d, "$.d", &small, ex, 2, NULL, NULL, &plan);
                tap_ok(r == -ENOSPC, "number 0 in a full table: refused (%d)", r);
        }

        /* deleting a busy partition is refused; one that is not busy goes */
        ex[0] = (struct pt_part) { .number = 1, .start = 2048, .size = 2048 };
        ex[1] = (struct pt_part) { .number = 2, .start = 4096, .size = 2048 };
        ps[0] = part(1, -1, -1);
        ps[0].should_exist = (struct ig_bool) { .set = true, .v = false };
        ps[0].wipe_partition_entry = (struct ig_bool) { .set = true, .v = true };
        d.partitions.n = 1;
        r = pt_plan_make(&d, "$.d", &g512, ex, 2, busy_one, NULL, &plan);
        tap_ok(r == -EBUSY, "deleting a busy partition: -EBUSY (%d)", r);
        ps[0].number.v = 2;
        r = pt_plan_make(&d, "$.d", &g512, ex, 2, busy_one, NULL, &plan);
        tap_ok(r == 0 && plan.n_steps == 1 && plan.steps[0].action == PT_DELETE && plan.final.n == 1 &&
               plan.final.v[0].number == 1 && pt_action_destructive(PT_DELETE, &plan.steps[0]),
               "deleting an idle one: planned, destructive, the busy one kept");
        pt_plan_free(&plan);

        /* wipeTable with a busy partition: refused */
        d.wipe_table = (struct ig_bool) { .set = true, .v = true };
        d.partitions.n = 0;
        r = pt_plan_make(&d, "$.d", &g512, ex, 2, busy_one, NULL, &plan);
        tap_ok(r == -EBUSY, "wipeTable with a busy partition: refused (%d)", r);
        d.wipe_table = (struct ig_bool) {};

        /* resize: growing keeps the data, shrinking is destructive */
        ex[0] = (struct pt_part) { .number = 1, .start = 2048, .size = 20480, .label = "a" };
        ps[0] = part(1, -1, 20);
        ps[0].resize = (struct ig_bool) { .set = true, .v = true };
        d.partitions.n = 1;
        r = pt_plan_make(&d, "$.d", &g512, ex, 1, NULL, NULL, &plan);
        tap_ok(r == 0 && plan.steps[0].action == PT_RESIZE && plan.steps[0].new.size == 40960 &&
               strcmp(plan.steps[0].new.label, "a") == 0 && !pt_action_destructive(PT_RESIZE, &plan.steps[0]),
               "resize to 20 MiB: same start and label, not destructive");
        pt_plan_free(&plan);
        ps[0] = part(1, -1, 5);
        ps[0].resize = (struct ig_bool) { .set = true, .v = true };
        r = pt_plan_make(&d, "$.d", &g512, ex, 1, NULL, NULL, &plan);
        tap_ok(r == 0 && plan.steps[0].action == PT_RESIZE && pt_action_destructive(PT_RESIZE, &plan.steps[0]),
               "resize to 5 MiB: destructive");
        pt_plan_free(&plan);

        /* a plan with nothing to do writes nothing */
        ps[0] = part(1, 1, 10);
        r = pt_plan_make(&d, "$.d", &g512, ex, 1, NULL, NULL, &plan);
        tap_ok(r == 0 && !plan.changes && plan.steps[0].action == PT_KEEP, "a matching partition: no write");
        pt_plan_free(&plan);

        /* two new partitions with explicit, overlapping places: the second
         * does not fit, and nothing is planned */
        ps[0] = part(2, 30, 10);
        ps[1] = part(3, 35, 10);
        d.partitions.n = 2;
        r = pt_plan_make(&d, "$.d", &g512, ex, 1, NULL, NULL, &plan);
        tap_ok(r == -EINVAL || r == -ENOSPC, "overlapping new partitions: refused (%d)", r);

        /* which device nodes are partitions of a disk: the kernel's naming */
        static const struct {
                const char *disk, *path;
                bool is;
                uint32_t number;
        } names[] = {
                { "/dev/sda", "/dev/sda1", true, 1 },
                { "/dev/sda", "/dev/sda12", true, 12 },
                { "/dev/sda", "/dev/sdab", false, 0 },
                { "/dev/sda", "/dev/sda", false, 0 },
                { "/var/tmp/disk.img", "/var/tmp/disk.imgp1", true, 1 },   /* ignis apply's images */
                { "/dev/nvme0n1", "/dev/nvme0n1p2", true, 2 },
                { "/dev/nvme0n1", "/dev/nvme0n12", false, 0 },      /* namespace 12 */
                { "/dev/nvme0n1", "/dev/nvme0n1p", false, 0 },
                { "/dev/mmcblk0", "/dev/mmcblk0p1", true, 1 },
                { "/dev/loop3", "/dev/loop31", false, 0 },          /* another loop device */
                { "/dev/loop3", "/dev/loop3p1", true, 1 },
                { "/dev/sda", "/dev/sda0", false, 0 },
                { "/dev/disk/by-id/virtio-data", "/dev/disk/by-id/virtio-data-part3", true, 3 },
                { "/dev/disk/by-id/wwn-0x5000c5", "/dev/disk/by-id/wwn-0x5000c5-part1", true, 1 },
                { "/dev/disk/by-id/wwn-0x5000c5", "/dev/disk/by-id/wwn-0x5000c51", false, 0 },
                { "/dev/disk/by-path/pci-0000:00:05.0", "/dev/disk/by-path/pci-0000:00:05.0-part2", true, 2 },
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                uint32_t number = 0;
                bool is = storage_partition_of(names[i].disk, names[i].path, &number);
                if (names[i].is)
                        tap_ok(is && number == names[i].number, "%s is partition %u of %s", names[i].path,
                               names[i].number, names[i].disk);
                else
                        tap_ok(!is, "%s is not a partition of %s", names[i].path, names[i].disk);
        }

        return tap_done();
}
