/* SPDX-License-Identifier: Apache-2.0 */
/* storage.disks: GPT tables read and written with libfdisk.
 *
 * All disks are planned before the first write (partition-plan.c does the
 * arithmetic); a disk's table is then written once, read back and compared
 * with the plan, and the kernel is told about each changed partition. */

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libfdisk/libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis-build.h"

#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "ignis/storage.h"
#include "kernel-parts.h"
#include "partition-plan.h"
#include "storage-internal.h"

/* sgdisk's fresh table: 128 entries of 128 bytes. */
#define GPT_ENTRY_BYTES (128 * 128)

struct disk_state {
        const struct ig_disk *disk;
        char *where;                    /* $.storage.disks[N] */
        char *path;                     /* what is opened: the pinned alias */
        char *table_type;               /* "gpt", "dos", ... or NULL: none */
        uint64_t sectors;
        struct pt_part *existing;
        size_t n_existing;
        struct kdisk kernel;            /* empty for image files */
        bool is_block;
        bool planned;                   /* the plan succeeded */
        struct pt_plan plan;
};

struct storage_layout {
        const struct ig_config *config;
        struct disk_state *states;
        size_t n;
};

static void disk_state_free(struct disk_state *s)
{
        free(s->where);
        free(s->path);
        free(s->table_type);
        free(s->existing);
        kdisk_free(&s->kernel);
        pt_plan_free(&s->plan);
}

static void fdisk_unref_contextp(struct fdisk_context **c)
{
        if (*c)
                sym_fdisk_unref_context(*c);
}

static void copy_upper(char *dst, size_t len, const char *src)
{
        size_t i;

        for (i = 0; src && src[i] && i + 1 < len; i++)
                dst[i] = src[i] >= 'a' && src[i] <= 'z' ? src[i] - 'a' + 'A' : src[i];
        dst[i] = '\0';
}

static int open_disk(const char *path, bool readonly, const char *where, struct fdisk_context **ret)
{
        struct fdisk_context *cxt;
        int r;

        /* libblkid too, for zap(): a missing library must stop the run
         * while planning, before any disk is written. */
        r = dlopen_fdisk();
        if (r < 0)
                return log_error_errno(r, "%s: cannot read the partition table of %s without %s", where, path,
                                       IGNIS_LIBFDISK_SONAME);
        r = dlopen_blkid();
        if (r < 0)
                return log_error_errno(r, "%s: cannot read the partition table of %s without %s", where, path,
                                       IGNIS_LIBBLKID_SONAME);
        cxt = sym_fdisk_new_context();
        if (!cxt)
                return log_error_errno(ENOMEM, "%s: out of memory", where);
        sym_fdisk_disable_dialogs(cxt, 1);
        /* Without it fdisk_assign_device() looks for signatures that would
         * collide with a new table (libblkid's full superblock probe: its
         * ZFS prober alone reads four 256 KiB labels into memory), a
         * result ignis never asks for; creating a new table still checks. */
        sym_fdisk_enable_listonly(cxt, 1);
        r = sym_fdisk_assign_device(cxt, path, readonly);
        if (r < 0) {
                sym_fdisk_unref_context(cxt);
                return log_error_errno(r, "%s: cannot open %s: %m", where, path);
        }
        *ret = cxt;
        return 0;
}

/* The entries of the table on disk, by number. */
static int read_entries(struct fdisk_context *cxt, const char *where, struct pt_part **ret, size_t *ret_n)
{
        struct fdisk_table *tb = NULL;
        struct fdisk_iter *it = NULL;
        struct fdisk_partition *pa;
        struct pt_part *v = NULL;
        size_t n = 0;
        int r;

        r = sym_fdisk_get_partitions(cxt, &tb);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read the partition table: %m", where);
        it = sym_fdisk_new_iter(FDISK_ITER_FORWARD);
        while (sym_fdisk_table_next_partition(tb, it, &pa) == 0) {
                struct fdisk_parttype *t = sym_fdisk_partition_get_type(pa);
                struct pt_part p = {};

                if (!sym_fdisk_partition_is_used(pa) || !sym_fdisk_partition_has_partno(pa))
                        continue;
                p.number = (uint32_t) sym_fdisk_partition_get_partno(pa) + 1;
                p.start = sym_fdisk_partition_get_start(pa);
                p.size = sym_fdisk_partition_get_size(pa);
                copy_upper(p.type_guid, sizeof(p.type_guid), t ? sym_fdisk_parttype_get_string(t) : NULL);
                copy_upper(p.guid, sizeof(p.guid), sym_fdisk_partition_get_uuid(pa));
                snprintf(p.label, sizeof(p.label), "%s", sym_fdisk_partition_get_name(pa) ?: "");
                v = xrealloc(v, (n + 1) * sizeof(*v));
                v[n++] = p;
        }
        sym_fdisk_free_iter(it);
        sym_fdisk_unref_table(tb);
        *ret = v;
        *ret_n = n;
        return 0;
}

static bool in_use_cb(void *ud, uint32_t number)
{
        return kdisk_part_in_use(ud, number);
}

/* Reads disk i and plans it; nothing is written. */
static int plan_disk(const struct ig_config *c, const struct storage_options *o, size_t i, struct disk_state *s)
{
        _cleanup_(fdisk_unref_contextp) struct fdisk_context *cxt = NULL;
        const struct ig_disk *d = &c->storage.disks.v[i];
        bool wipe = ig_bool_or(d->wipe_table, false);
        struct pt_geometry g = {};
        uint64_t esects;
        int r;

        s->disk = d;
        s->where = xasprintf("$.storage.disks[%zu]", i);
        s->path = storage_device_alias(o, d->device);
        r = open_disk(s->path, true, s->where, &cxt);
        if (r < 0)
                return r;
        g.sector_size = sym_fdisk_get_sector_size(cxt);
        s->sectors = sym_fdisk_get_nsectors(cxt);
        if (g.sector_size < 512 || g.sector_size > 1024 * 1024 || s->sectors < 128)
                return log_error_errno(EINVAL, "%s: %s is too small for a GPT (%" PRIu64 " sectors of %" PRIu64
                                       " bytes)", s->where, d->device, s->sectors, g.sector_size);
        if (sym_fdisk_has_label(cxt)) {
                const char *name = sym_fdisk_label_get_name(sym_fdisk_get_label(cxt, NULL));
                s->table_type = xstrdup(name ? name : "unknown");
        }
        if (s->table_type && strcmp(s->table_type, "gpt") != 0 && !wipe)
                return log_error_errno(EMEDIUMTYPE, "%s: %s has a \"%s\" partition table, not GPT; set wipeTable to "
                                       "replace it", s->where, d->device, s->table_type);
        if (s->table_type && strcmp(s->table_type, "gpt") == 0) {
                r = read_entries(cxt, s->where, &s->existing, &s->n_existing);
                if (r < 0)
                        return r;
        }

        r = kdisk_read(s->path, &s->kernel);
        s->is_block = r >= 0;
        if (r < 0 && r != -ENOTBLK)
                return log_error_errno(r, "%s: cannot read the kernel's view of %s: %m", s->where, d->device);

        if (s->table_type && strcmp(s->table_type, "gpt") == 0 && !wipe) {
                g.first_usable = sym_fdisk_get_first_lba(cxt);
                g.last_usable = sym_fdisk_get_last_lba(cxt);
                g.max_entries = (uint32_t) sym_fdisk_get_npartitions(cxt);
                g.alignment = pt_alignment(g.sector_size, s->existing, s->n_existing);
        } else {
                /* what sgdisk makes of a blank (or zapped) disk */
                esects = (GPT_ENTRY_BYTES + g.sector_size - 1) / g.sector_size;
                g.first_usable = 2 + esects;
                g.last_usable = s->sectors - 2 - esects;
                g.max_entries = PT_MAX_ENTRIES;
                g.alignment = pt_alignment(g.sector_size, NULL, 0);
        }
        r = pt_plan_make(d, s->where, &g, s->existing, s->n_existing, s->is_block ? in_use_cb : NULL, &s->kernel,
                         &s->plan);
        if (r < 0)
                return r;
        if (s->plan.changes && s->is_block && s->kernel.n == 0 && kdisk_whole_in_use(s->path))
                return log_error_errno(EBUSY, "%s: %s is in use (a mounted filesystem or a holder on the whole "
                                       "disk); its partition table cannot be changed", s->where, d->device);
        s->planned = true;
        return 0;
}

/* sgdisk --zap-all with nothing created after it leaves a disk without any
 * table: the table signatures are erased (libblkid, as wipefs does). */
static int zap(const struct disk_state *s)
{
        _cleanup_close_ int fd = open(s->path, O_RDWR | O_CLOEXEC);
        blkid_probe pr;
        int r = 0;

        if (fd < 0)
                return log_error_errno(errno, "%s: cannot open %s: %m", s->where, s->path);
        /* Loaded already by open_disk() while planning; this only hands
         * back its result. */
        r = dlopen_blkid();
        if (r < 0)
                return r;
        pr = sym_blkid_new_probe();
        if (!pr || sym_blkid_probe_set_device(pr, fd, 0, 0) < 0) {
                if (pr)
                        sym_blkid_free_probe(pr);
                return log_error_errno(EIO, "%s: cannot probe %s", s->where, s->path);
        }
        sym_blkid_probe_enable_superblocks(pr, 0);
        sym_blkid_probe_enable_partitions(pr, 1);
        sym_blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
        while (sym_blkid_do_probe(pr) == 0)
                if (sym_blkid_do_wipe(pr, 0) < 0) {
                        r = log_error_errno(EIO, "%s: cannot erase the partition table of %s", s->where, s->path);
                        break;
                }
        sym_blkid_free_probe(pr);
        if (r == 0 && fsync(fd) < 0)
                r = log_error_errno(errno, "%s: cannot sync %s: %m", s->where, s->path);
        if (r == 0 && s->is_block)
                r = kdisk_sync(fd, s->path, s->where, &s->plan.final, s->plan.geom.sector_size);
        return r;
}

static int add_entry(struct fdisk_context *cxt, const struct disk_state *s, const struct pt_part *p)
{
        struct fdisk_partition *pa = sym_fdisk_new_partition();
        struct fdisk_parttype *t;
        int r;

        if (!pa)
                return log_error_errno(ENOMEM, "%s: out of memory", s->where);
        sym_fdisk_partition_set_partno(pa, p->number - 1);
        sym_fdisk_partition_set_start(pa, p->start);
        sym_fdisk_partition_set_size(pa, p->size);
        /* the plan placed it: libfdisk must not move its end */
        sym_fdisk_partition_size_explicit(pa, 1);
        sym_fdisk_partition_set_name(pa, p->label);
        if (p->guid[0])
                sym_fdisk_partition_set_uuid(pa, p->guid);
        t = sym_fdisk_label_parse_parttype(sym_fdisk_get_label(cxt, NULL), p->type_guid);
        if (t) {
                sym_fdisk_partition_set_type(pa, t);
                sym_fdisk_unref_parttype(t);
        }
        r = sym_fdisk_add_partition(cxt, pa, NULL);
        sym_fdisk_unref_partition(pa);
        if (r < 0)
                return log_error_errno(r, "%s: libfdisk refused partition %u (sectors %" PRIu64 "+%" PRIu64 "): %m",
                                       s->where, p->number, p->start, p->size);
        return 0;
}

/* The table on disk must now be the plan's, entry for entry; random GUIDs
 * are learnt here. */
static int check_written(struct fdisk_context *cxt, struct disk_state *s)
{
        _cleanup_free_ struct pt_part *v = NULL;
        size_t n;
        int r;

        r = read_entries(cxt, s->where, &v, &n);
        if (r < 0)
                return r;
        if (n != s->plan.final.n)
                return log_error_errno(EIO, "%s: the written table has %zu partitions, the plan %zu", s->where, n,
                                       s->plan.final.n);
        for (size_t i = 0; i < n; i++) {
                struct pt_part *want = &s->plan.final.v[i];
                const struct pt_part *got = NULL;

                for (size_t j = 0; j < n; j++)
                        if (v[j].number == want->number)
                                got = &v[j];
                if (!got || got->start != want->start || got->size != want->size ||
                    strcasecmp(got->type_guid, want->type_guid) != 0 || strcmp(got->label, want->label) != 0 ||
                    (want->guid[0] && strcasecmp(got->guid, want->guid) != 0))
                        return log_error_errno(EIO, "%s: partition %u as written differs from the plan", s->where,
                                               want->number);
                if (!want->guid[0])
                        memcpy(want->guid, got->guid, sizeof(want->guid));
        }
        return 0;
}

/* A new, empty GPT with sgdisk's header: the usable area starts right
 * after the entries, not at libfdisk's first aligned sector. libfdisk sets
 * the header's first usable LBA through the script header "first-lba". */
static int create_gpt(struct fdisk_context *cxt, const struct disk_state *s)
{
        struct fdisk_script *dp = sym_fdisk_new_script(cxt);
        char first[32];
        int r;

        if (!dp)
                return log_error_errno(ENOMEM, "%s: out of memory", s->where);
        snprintf(first, sizeof(first), "%" PRIu64, s->plan.geom.first_usable);
        r = sym_fdisk_script_set_header(dp, "label", "gpt");
        if (r >= 0)
                r = sym_fdisk_script_set_header(dp, "first-lba", first);
        if (r >= 0)
                r = sym_fdisk_apply_script_headers(cxt, dp);
        /* the context keeps the script, which refers to the context */
        sym_fdisk_set_script(cxt, NULL);
        sym_fdisk_unref_script(dp);
        if (r < 0)
                return log_error_errno(r, "%s: cannot create a GPT on %s: %m", s->where, s->path);
        return 0;
}

static int write_disk(struct disk_state *s)
{
        _cleanup_(fdisk_unref_contextp) struct fdisk_context *cxt = NULL;
        bool fresh = s->plan.wipe_table || !s->table_type;
        int r;

        if (!s->plan.changes) {
                log_info("%s: %s already has the partitions asked for", s->where, s->disk->device);
                return 0;
        }
        if (s->plan.wipe_table && s->plan.final.n == 0) {
                log_info("%s: erasing the partition table of %s", s->where, s->disk->device);
                return zap(s);
        }

        r = open_disk(s->path, false, s->where, &cxt);
        if (r < 0)
                return r;
        if (fresh) {
                r = create_gpt(cxt, s);
                if (r < 0)
                        return r;
        } else
                for (size_t i = 0; i < s->plan.n_steps; i++) {
                        const struct pt_step *st = &s->plan.steps[i];
                        if (st->action != PT_DELETE && st->action != PT_RECREATE && st->action != PT_RESIZE)
                                continue;
                        r = sym_fdisk_delete_partition(cxt, st->old.number - 1);
                        if (r < 0)
                                return log_error_errno(r, "%s: cannot delete partition %u: %m", s->where,
                                                       st->old.number);
                }
        for (size_t i = 0; i < s->plan.n_steps; i++) {
                const struct pt_step *st = &s->plan.steps[i];
                if (st->action != PT_CREATE && st->action != PT_RECREATE && st->action != PT_RESIZE)
                        continue;
                r = add_entry(cxt, s, &st->new);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->plan.n_steps; i++) {
                const struct pt_step *st = &s->plan.steps[i];
                if (st->action == PT_CREATE || st->action == PT_RECREATE || st->action == PT_RESIZE)
                        log_info("%s: %s partition %u \"%s\": sectors %" PRIu64 "+%" PRIu64, s->where,
                                 pt_action_name(st->action), st->new.number, st->new.label, st->new.start,
                                 st->new.size);
                else if (st->action == PT_DELETE || st->action == PT_WIPED)
                        log_info("%s: %s partition %u", s->where, st->action == PT_WIPED ? "wipeTable removes" : "delete",
                                 st->old.number);
        }
        r = sym_fdisk_write_disklabel(cxt);
        if (r < 0)
                return log_error_errno(r, "%s: writing the partition table of %s failed: %m", s->where, s->path);
        r = check_written(cxt, s);
        if (r < 0)
                return r;
        if (fsync(sym_fdisk_get_devfd(cxt)) < 0)
                return log_error_errno(errno, "%s: cannot sync %s: %m", s->where, s->path);
        if (s->is_block) {
                r = kdisk_sync(sym_fdisk_get_devfd(cxt), s->path, s->where, &s->plan.final, s->plan.geom.sector_size);
                if (r < 0)
                        return r;
        }
        /* the device was fsync'ed above; libfdisk's own sync would be a
         * global sync(2) of every filesystem on the machine */
        r = sym_fdisk_deassign_device(cxt, 1);
        if (r < 0)
                return log_error_errno(r, "%s: cannot sync %s: %m", s->where, s->path);
        return 0;
}

static int plan_all(const struct ig_config *c, const struct storage_options *o, struct disk_state *states)
{
        int r = 0;

        for (size_t i = 0; i < c->storage.disks.n; i++)
                if (plan_disk(c, o, i, &states[i]) < 0)
                        r = -EINVAL;
        return r;
}

int storage_partitions_apply(const struct ig_config *c, const struct storage_options *o)
{
        size_t n = c->storage.disks.n;
        struct disk_state *states;
        int r;

        if (n == 0)
                return 0;
        states = xcalloc(n, sizeof(*states));
        r = plan_all(c, o, states);
        if (r < 0)
                log_error("storage.disks: the partition plan failed; no disk was changed");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = write_disk(&states[i]);
                if (r >= 0 && states[i].plan.changes)
                        r = storage_udev_settle(states[i].is_block ? states[i].path : NULL);
        }
        for (size_t i = 0; i < n; i++)
                disk_state_free(&states[i]);
        free(states);
        return r;
}

/* ---- ignis plan ---- */

static struct json_object *part_json(const struct pt_part *p, uint64_t ss)
{
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "number", json_object_new_int64(p->number));
        json_object_object_add(o, "start", json_object_new_int64((int64_t) p->start));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) p->size));
        json_object_object_add(o, "sizeMiB", json_object_new_double((double) p->size * (double) ss / 1048576.0));
        json_object_object_add(o, "label", json_object_new_string(p->label));
        json_object_object_add(o, "typeGuid", json_object_new_string(p->type_guid));
        json_object_object_add(o, "guid", p->guid[0] ? json_object_new_string(p->guid) : NULL);
        return o;
}

static struct json_object *disk_json(const struct disk_state *s)
{
        struct json_object *o = json_object_new_object(), *steps = json_object_new_array();
        bool destructive = false;

        json_object_object_add(o, "config", json_object_new_string(s->where));
        json_object_object_add(o, "device", json_object_new_string(s->disk->device));
        json_object_object_add(o, "table", s->table_type ? json_object_new_string(s->table_type) : NULL);
        json_object_object_add(o, "sectorSize", json_object_new_int64((int64_t) s->plan.geom.sector_size));
        json_object_object_add(o, "sectors", json_object_new_int64((int64_t) s->sectors));
        json_object_object_add(o, "wipeTable", json_object_new_boolean(s->plan.wipe_table));
        json_object_object_add(o, "writesTable", json_object_new_boolean(s->plan.changes));
        for (size_t i = 0; i < s->plan.n_steps; i++) {
                const struct pt_step *st = &s->plan.steps[i];
                struct json_object *j = json_object_new_object();
                bool d = pt_action_destructive(st->action, st);

                destructive = destructive || d;
                json_object_object_add(j, "action", json_object_new_string(pt_action_name(st->action)));
                if (st->index != SIZE_MAX) {
                        _cleanup_free_ char *w = xasprintf("%s.partitions[%zu]", s->where, st->index);
                        json_object_object_add(j, "config", json_object_new_string(w));
                }
                json_object_object_add(j, "destructive", json_object_new_boolean(d));
                if (st->has_old)
                        json_object_object_add(j, "existing", part_json(&st->old, s->plan.geom.sector_size));
                if (st->has_new)
                        json_object_object_add(j, "result", part_json(&st->new, s->plan.geom.sector_size));
                json_object_array_add(steps, j);
        }
        json_object_object_add(o, "partitions", steps);
        json_object_object_add(o, "destructive", json_object_new_boolean(destructive));
        return o;
}

int storage_partitions_plan(const struct ig_config *c, const struct storage_options *o, struct json_object *disks,
                            struct storage_layout **ret_layout)
{
        size_t n = c->storage.disks.n;
        struct storage_layout *l = xcalloc(1, sizeof(*l));
        int r;

        l->config = c;
        l->n = n;
        l->states = xcalloc(n + 1, sizeof(*l->states));
        r = plan_all(c, o, l->states);
        if (r >= 0 && disks)
                for (size_t i = 0; i < n; i++)
                        json_object_array_add(disks, disk_json(&l->states[i]));
        if (ret_layout)
                *ret_layout = l;
        else
                storage_layout_free(l);
        return r;
}

void storage_layout_free(struct storage_layout *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                disk_state_free(&l->states[i]);
        free(l->states);
        free(l);
}

/* ---- where a filesystem lies, for the checks before the first write ---- */

static bool same_node(const char *a, const char *b)
{
        struct stat sa, sb;

        if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
                return false;
        if (S_ISBLK(sa.st_mode))
                return S_ISBLK(sb.st_mode) && sa.st_rdev == sb.st_rdev;
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static const struct pt_part *final_part(const struct disk_state *s, uint32_t number)
{
        for (size_t i = 0; i < s->plan.final.n; i++)
                if (s->plan.final.v[i].number == number)
                        return &s->plan.final.v[i];
        return NULL;
}

/* A by-partlabel or by-partuuid link to a partition the config gives that
 * label or GUID: the entry of the final table with it. */
static bool by_link(const struct disk_state *s, const char *dev, uint32_t *number)
{
        static const char label_dir[] = "/dev/disk/by-partlabel/", uuid_dir[] = "/dev/disk/by-partuuid/";
        bool by_label = strncmp(dev, label_dir, strlen(label_dir)) == 0;
        bool by_uuid = strncmp(dev, uuid_dir, strlen(uuid_dir)) == 0;
        const char *key = dev + strlen(by_label ? label_dir : uuid_dir);
        bool configured = false;

        if (!by_label && !by_uuid)
                return false;
        for (size_t k = 0; k < s->disk->partitions.n; k++) {
                const struct ig_partition *p = &s->disk->partitions.v[k];
                const char *v = by_label ? p->label : p->guid;
                if (v && (by_label ? strcmp(v, key) : strcasecmp(v, key)) == 0)
                        configured = true;
        }
        if (!configured)
                return false;
        for (size_t i = 0; i < s->plan.final.n; i++) {
                const struct pt_part *p = &s->plan.final.v[i];
                if (by_label ? strcmp(p->label, key) == 0 : strcasecmp(p->guid, key) == 0) {
                        *number = p->number;
                        return true;
                }
        }
        *number = 0;
        return true;
}

void storage_layout_locate(const struct storage_layout *l, const char *dev, struct locus *ret)
{
        *ret = (struct locus) {};
        if (!l || !dev)
                return;
        for (size_t i = 0; i < l->n; i++) {
                const struct disk_state *s = &l->states[i];
                const struct pt_part *p;
                uint32_t number = 0;

                if (!s->planned)
                        continue;
                ret->disk_where = s->where;
                ret->disk_device = s->disk->device;
                if (strcmp(dev, s->disk->device) == 0 || same_node(dev, s->path)) {
                        if (s->plan.final.n == 0)
                                break;          /* no partition left: the disk is the device */
                        ret->kind = LOCUS_PARTITIONED_DISK;
                        ret->number = (uint32_t) s->plan.final.n;
                        return;
                }
                if (!(s->disk->partitions.n > 0 && storage_partition_of(s->disk->device, dev, &number)) &&
                    !by_link(s, dev, &number))
                        continue;
                p = number > 0 ? final_part(s, number) : NULL;
                ret->number = number;
                if (!p) {
                        ret->kind = LOCUS_MISSING;
                        return;
                }
                ret->kind = LOCUS_PARTITION;
                /* The kernel's node of the same partition shows the same
                 * bytes without the disk's page cache in between. */
                for (size_t k = 0; k < s->kernel.n; k++) {
                        const struct kpart *kp = &s->kernel.v[k];
                        _cleanup_free_ char *node = xasprintf("/dev/%s", kp->name);
                        struct stat st;
                        if (kp->number == number && kp->start * 512 == p->start * s->plan.geom.sector_size &&
                            kp->size * 512 == p->size * s->plan.geom.sector_size && stat(node, &st) == 0 &&
                            S_ISBLK(st.st_mode)) {
                                ret->path = TAKE_PTR(node);
                                return;
                        }
                }
                ret->path = xstrdup(s->path);
                ret->offset = p->start * s->plan.geom.sector_size;
                ret->size = p->size * s->plan.geom.sector_size;
                return;
        }
        *ret = (struct locus) {};
}
