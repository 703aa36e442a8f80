/* SPDX-License-Identifier: Apache-2.0 */
/* Resolving a disk's partitions the way Ignition does, before anything is
 * written.
 *
 * Ignition asks sgdisk twice: once pretending that every configured
 * partition is deleted and created again (that is how a start or size of 0
 * gets its real value), then for real with only what the matrix decided.
 * Both runs are reproduced here on an in-memory table with sgdisk's
 * placement rules (docs/DISKS.md): a default start is the first sector of
 * the largest free block, aligned; a default size runs to the end of that
 * largest block; an explicit start is aligned; a new partition must lie in
 * free, usable space and in a free slot. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "partition-plan.h"

#define LINUX_FS_GUID "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

/* ---- the in-memory table ---- */

static struct pt_part *table_find(const struct pt_table *t, uint32_t number)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].number == number)
                        return &t->v[i];
        return NULL;
}

static void table_delete(struct pt_table *t, uint32_t number)
{
        struct pt_part *p = table_find(t, number);

        if (p) {
                *p = t->v[t->n - 1];
                t->n--;
        }
}

static struct pt_part *table_add(struct pt_table *t, const struct pt_part *p)
{
        t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
        t->v[t->n] = *p;
        return &t->v[t->n++];
}

static void table_copy(struct pt_table *dst, const struct pt_part *v, size_t n)
{
        dst->v = n ? xmalloc(n * sizeof(*v)) : NULL;
        if (n)
                memcpy(dst->v, v, n * sizeof(*v));
        dst->n = n;
}

static int cmp_start(const void *a, const void *b)
{
        const struct pt_part *x = a, *y = b;

        return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_number(const void *a, const void *b)
{
        const struct pt_part *x = a, *y = b;

        return x->number < y->number ? -1 : x->number > y->number;
}

static bool range_free(const struct pt_table *t, const struct pt_geometry *g, uint64_t a, uint64_t b)
{
        if (a < g->first_usable || b > g->last_usable || a > b)
                return false;
        for (size_t i = 0; i < t->n; i++)
                if (a < t->v[i].start + t->v[i].size && t->v[i].start <= b)
                        return false;
        return true;
}

/* The largest free block (the first of equals); false when there is none. */
static bool largest_free(const struct pt_table *t, const struct pt_geometry *g, uint64_t *ret_first,
                         uint64_t *ret_last)
{
        _cleanup_free_ struct pt_part *v = NULL;
        uint64_t pos = g->first_usable, best = 0;
        bool found = false;

        if (t->n) {
                v = xmalloc(t->n * sizeof(*v));
                memcpy(v, t->v, t->n * sizeof(*v));
                qsort(v, t->n, sizeof(*v), cmp_start);
        }
        for (size_t i = 0; i <= t->n; i++) {
                uint64_t end = i < t->n ? v[i].start : g->last_usable + 1;
                if (end > pos && end - pos > best) {
                        best = end - pos;
                        *ret_first = pos;
                        *ret_last = end - 1;
                        found = true;
                }
                if (i < t->n && v[i].start + v[i].size > pos)
                        pos = v[i].start + v[i].size;
        }
        return found;
}

/* sgdisk moves an unaligned sector down to the boundary when everything in
 * between is free, else up under the same condition, else leaves it. */
static uint64_t align_sector(const struct pt_table *t, const struct pt_geometry *g, uint64_t s)
{
        uint64_t earlier, later;

        if (g->alignment <= 1 || s % g->alignment == 0)
                return s;
        earlier = s - s % g->alignment;
        later = earlier + g->alignment;
        if (earlier >= g->first_usable && range_free(t, g, earlier, s - 1))
                return earlier;
        if (later <= g->last_usable && range_free(t, g, s + 1, later))
                return later;
        return s;
}

/* One `sgdisk --new=NUMBER:START:+SIZE` (0 = default for each). */
static int table_new(struct pt_table *t, const struct pt_geometry *g, uint32_t number, uint64_t start,
                     uint64_t size, struct pt_part **ret, char *why, size_t why_len)
{
        uint64_t low = 0, high = 0, first, last;
        struct pt_part p = {};

        if (number == 0) {
                for (number = 1; number <= g->max_entries && table_find(t, number); number++)
                        ;
                if (number > g->max_entries) {
                        snprintf(why, why_len, "all %u entries of the table are used", g->max_entries);
                        return -ENOSPC;
                }
        } else if (number > g->max_entries) {
                snprintf(why, why_len, "the table has only %u entries", g->max_entries);
                return -ERANGE;
        } else if (table_find(t, number)) {
                snprintf(why, why_len, "partition %u exists", number);
                return -EEXIST;
        }
        if (largest_free(t, g, &low, &high)) {
                /* the default end stays the end of that block */
                low = align_sector(t, g, low);
        } else if (start == 0 || size == 0) {
                snprintf(why, why_len, "the disk has no free space left");
                return -ENOSPC;
        }
        first = start ? align_sector(t, g, start) : low;
        /* sgdisk counts an explicit size from the start it was given */
        last = size ? (start ? start : low) + size - 1 : high;
        if (!range_free(t, g, first, last)) {
                if (last < first)
                        snprintf(why, why_len, "the free space ends at sector %" PRIu64 ", before the start %" PRIu64,
                                 last, first);
                else
                        snprintf(why, why_len,
                                 "sectors %" PRIu64 "-%" PRIu64 " are not free (usable space: %" PRIu64 "-%" PRIu64
                                 ", the largest free block: %" PRIu64 "-%" PRIu64 ")",
                                 first, last, g->first_usable, g->last_usable, low, high);
                return -ENOSPC;
        }
        p.number = number;
        p.start = first;
        p.size = last - first + 1;
        *ret = table_add(t, &p);
        return 0;
}

uint64_t pt_alignment(uint64_t sector_size, const struct pt_part *existing, size_t n)
{
        uint64_t a = sector_size && sector_size < 1024 * 1024 ? 1024 * 1024 / sector_size : 1;

        for (size_t i = 0; i < n; i++)
                while (a > 1 && existing[i].start % a != 0)
                        a /= 2;
        return a;
}

/* ---- the config side ---- */

struct spec {
        size_t index;
        const struct ig_partition *p;
        uint32_t number;
        bool start_set, size_set;
        uint64_t start, size;
        bool should_exist, wipe, resize;
};

struct creation {
        size_t step;
        uint32_t number;
        uint64_t start, size;           /* 0: sgdisk's default */
        const char *label, *type_guid, *guid;
};

const char *pt_action_name(enum pt_action a)
{
        static const char *const names[] = {
                [PT_ABSENT] = "absent", [PT_KEEP] = "keep", [PT_CREATE] = "create", [PT_DELETE] = "delete",
                [PT_RESIZE] = "resize", [PT_RECREATE] = "recreate", [PT_WIPED] = "wipe",
        };
        return names[a];
}

bool pt_action_destructive(enum pt_action a, const struct pt_step *s)
{
        switch (a) {
        case PT_DELETE:
        case PT_RECREATE:
        case PT_WIPED:
                return true;
        case PT_RESIZE:
                /* growing in place keeps every byte; shrinking cuts the end off */
                return s->has_old && s->has_new && s->new.size < s->old.size;
        default:
                return false;
        }
}

static void upcase(char *dst, const char *src)
{
        size_t i;

        for (i = 0; src && src[i] && i < PT_GUID_LEN; i++)
                dst[i] = src[i] >= 'a' && src[i] <= 'z' ? src[i] - 'a' + 'A' : src[i];
        dst[i] = '\0';
}

static bool set_str(const char *s)
{
        return s && *s;
}

/* Ignition's "matches": every attribute the config gives equals the
 * existing one. Fills what[] with the first difference. */
static bool matches_common(const struct pt_part *ex, const struct spec *s, char *what, size_t len)
{
        if (s->start_set && s->start != ex->start)
                snprintf(what, len, "the start differs");
        else if (set_str(s->p->guid) && strcasecmp(s->p->guid, ex->guid) != 0)
                snprintf(what, len, "the guid differs");
        else if (set_str(s->p->type_guid) && strcasecmp(s->p->type_guid, ex->type_guid) != 0)
                snprintf(what, len, "the typeGuid differs");
        else if (s->p->label && strcmp(s->p->label, ex->label) != 0)
                snprintf(what, len, "the label differs");
        else
                return true;
        return false;
}

static bool matches(const struct pt_part *ex, const struct spec *s, char *what, size_t len)
{
        if (!matches_common(ex, s, what, len))
                return false;
        if (s->size_set && s->size != ex->size) {
                snprintf(what, len, "the size differs");
                return false;
        }
        return true;
}

static char *fmt_sectors(const struct pt_geometry *g, bool set, uint64_t v)
{
        if (!set)
                return xstrdup("(any)");
        return xasprintf("%" PRIu64 " (%.6g MiB)", v, (double) v * (double) g->sector_size / 1048576.0);
}

static void log_row(const char *name, bool differs, const char *a, const char *b)
{
        log_error("  %c %-9s %-40s %s", differs ? '*' : ' ', name, a, b);
}

/* The existing and the wanted partition side by side; rows that differ
 * are starred. */
static void log_conflict(const struct pt_geometry *g, const char *where, const struct pt_part *ex,
                         const struct spec *s, const char *why)
{
        _cleanup_free_ char *es = fmt_sectors(g, true, ex->start), *ws = fmt_sectors(g, s->start_set, s->start);
        _cleanup_free_ char *ez = fmt_sectors(g, true, ex->size), *wz = fmt_sectors(g, s->size_set, s->size);
        _cleanup_free_ char *el = xasprintf("\"%s\"", ex->label);
        _cleanup_free_ char *wl = s->p->label ? xasprintf("\"%s\"", s->p->label) : xstrdup("(any)");
        const char *wt = set_str(s->p->type_guid) ? s->p->type_guid : "(any)";
        const char *wg = set_str(s->p->guid) ? s->p->guid : "(any)";

        log_error("%s.partitions[%zu]: partition %u %s", where, s->index, ex->number, why);
        log_error("    %-9s %-40s %s", "", "existing", "wanted");
        log_row("start", s->start_set && s->start != ex->start, es, ws);
        log_row("size", s->size_set && s->size != ex->size, ez, wz);
        log_row("label", s->p->label && strcmp(s->p->label, ex->label) != 0, el, wl);
        log_row("typeGuid", set_str(s->p->type_guid) && strcasecmp(s->p->type_guid, ex->type_guid) != 0,
                ex->type_guid, wt);
        log_row("guid", set_str(s->p->guid) && strcasecmp(s->p->guid, ex->guid) != 0, ex->guid, wg);
}

static int spec_from_config(const struct ig_partition *p, size_t index, const struct pt_geometry *g,
                            const char *where, struct spec *s)
{
        uint64_t spm = 1024 * 1024 / g->sector_size;

        *s = (struct spec) {
                .index = index,
                .p = p,
                .number = (uint32_t) ig_int_or(p->number, 0),
                .should_exist = ig_bool_or(p->should_exist, true),
                .wipe = ig_bool_or(p->wipe_partition_entry, false),
                .resize = ig_bool_or(p->resize, false),
        };
        if (ig_int_or(p->number, 0) < 0 || ig_int_or(p->number, 0) > UINT32_MAX || ig_int_or(p->start_mib, 0) < 0 ||
            ig_int_or(p->size_mib, 0) < 0)
                return log_error_errno(EINVAL, "%s.partitions[%zu]: number, startMiB and sizeMiB must not be negative",
                                       where, index);
        if ((uint64_t) ig_int_or(p->start_mib, 0) > UINT64_MAX / 1048576 ||
            (uint64_t) ig_int_or(p->size_mib, 0) > UINT64_MAX / 1048576)
                return log_error_errno(ERANGE, "%s.partitions[%zu]: startMiB or sizeMiB is too large", where, index);
        s->start_set = p->start_mib.set;
        s->start = (uint64_t) ig_int_or(p->start_mib, 0) * spm;
        s->size_set = p->size_mib.set;
        s->size = (uint64_t) ig_int_or(p->size_mib, 0) * spm;
        return 0;
}

void pt_plan_free(struct pt_plan *p)
{
        free(p->steps);
        free(p->final.v);
        *p = (struct pt_plan) {};
}

static struct pt_step *add_step(struct pt_plan *p, enum pt_action a, size_t index)
{
        p->steps = xrealloc(p->steps, (p->n_steps + 1) * sizeof(*p->steps));
        p->steps[p->n_steps] = (struct pt_step) { .action = a, .index = index };
        return &p->steps[p->n_steps++];
}

int pt_plan_make(const struct ig_disk *d, const char *where, const struct pt_geometry *g,
                 const struct pt_part *existing_in, size_t n_existing_in, bool (*in_use)(void *ud, uint32_t number),
                 void *ud, struct pt_plan *ret)
{
        _cleanup_free_ struct spec *specs = NULL;
        _cleanup_free_ struct creation *creations = NULL;
        _cleanup_free_ uint32_t *deletions = NULL;
        struct pt_table pretend = {}, commit = {};
        const struct pt_part *existing = existing_in;
        size_t n_existing = n_existing_in, n_specs = 0, n_creations = 0, n_deletions = 0;
        struct pt_plan plan = { .geom = *g, .wipe_table = ig_bool_or(d->wipe_table, false) };
        char why[256];
        int r = 0;

        if (plan.wipe_table) {
                for (size_t i = 0; i < n_existing; i++) {
                        struct pt_step *st = add_step(&plan, PT_WIPED, SIZE_MAX);
                        st->has_old = true;
                        st->old = existing[i];
                        if (in_use && in_use(ud, existing[i].number))
                                r = log_error_errno(EBUSY, "%s.wipeTable: partition %u is in use (mounted, or held "
                                                    "by RAID, LUKS or a volume manager); the table cannot be wiped",
                                                    where, existing[i].number);
                }
                /* sgdisk --zap-all runs before the table is read */
                existing = NULL;
                n_existing = 0;
                plan.changes = true;
        }

        /* Entries with number 0 go last, in their order (a stable sort). */
        specs = xcalloc(d->partitions.n + 1, sizeof(*specs));
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < d->partitions.n; i++) {
                        const struct ig_partition *p = &d->partitions.v[i];
                        if ((ig_int_or(p->number, 0) == 0) != (pass == 1))
                                continue;
                        if (spec_from_config(p, i, g, where, &specs[n_specs]) < 0)
                                r = -EINVAL;
                        else
                                n_specs++;
                }
        if (r < 0)
                goto out;

        /* 1. Resolve 0 and unset starts and sizes as if every configured
         * partition were created anew. */
        table_copy(&pretend, existing, n_existing);
        for (size_t i = 0; i < n_specs; i++) {
                struct spec *s = &specs[i];
                const struct pt_part *ex = NULL;
                struct pt_part *made;

                for (size_t j = 0; s->number && j < n_existing; j++)
                        if (existing[j].number == s->number)
                                ex = &existing[j];
                if (ex) {
                        table_delete(&pretend, s->number);
                        if (!s->wipe && !s->start_set) {
                                s->start_set = true;
                                s->start = ex->start;
                        }
                        if (!s->wipe && !s->size_set) {
                                s->size_set = true;
                                s->size = ex->size;
                        }
                }
                if (!s->should_exist)
                        continue;
                if (table_new(&pretend, g, s->number, s->start_set ? s->start : 0, s->size_set ? s->size : 0, &made,
                              why, sizeof(why)) < 0)
                        r = log_error_errno(ENOSPC, "%s.partitions[%zu]: partition %u does not fit: %s", where,
                                            s->index, s->number, why);
        }
        for (size_t i = 0; i < n_specs; i++) {
                struct spec *s = &specs[i];
                const struct pt_part *dims;

                if (s->number == 0 || !((s->start_set && s->start == 0) || (s->size_set && s->size == 0)))
                        continue;
                dims = table_find(&pretend, s->number);
                if (!dims)
                        continue;
                if (s->start_set)
                        s->start = dims->start;
                if (s->size_set)
                        s->size = dims->size;
        }
        if (r < 0)
                goto out;

        /* 2. Ignition's matrix, entry by entry. */
        deletions = xcalloc(n_specs + 1, sizeof(*deletions));
        creations = xcalloc(n_specs + 1, sizeof(*creations));
        for (size_t i = 0; i < n_specs; i++) {
                const struct spec *s = &specs[i];
                const struct pt_part *ex = NULL;
                bool ok = false;
                struct pt_step *st;
                enum pt_action a;

                for (size_t j = 0; s->number && j < n_existing; j++)
                        if (existing[j].number == s->number)
                                ex = &existing[j];
                why[0] = '\0';
                if (ex)
                        ok = matches(ex, s, why, sizeof(why));

                if (!ex && !s->should_exist)
                        a = PT_ABSENT;
                else if (!ex)
                        a = PT_CREATE;
                else if (!s->should_exist && !s->wipe) {
                        log_error_errno(EEXIST, "%s.partitions[%zu]: partition %u exists, but shouldExist is false "
                                        "and wipePartitionEntry is not set (set it to delete the partition)",
                                        where, s->index, s->number);
                        r = -EEXIST;
                        continue;
                } else if (!s->should_exist)
                        a = PT_DELETE;
                else if (ok)
                        a = PT_KEEP;
                else if (s->wipe)
                        a = PT_RECREATE;
                else if (s->resize && matches_common(ex, s, why, sizeof(why)))
                        a = PT_RESIZE;
                else {
                        _cleanup_free_ char *msg = xasprintf(
                                "exists and does not match (%s): set wipePartitionEntry to replace it%s", why,
                                strcmp(why, "the size differs") == 0 ? ", or resize to change its size in place" : "");
                        log_conflict(g, where, ex, s, msg);
                        r = -EEXIST;
                        continue;
                }
                if ((a == PT_DELETE || a == PT_RECREATE || a == PT_RESIZE) && in_use && in_use(ud, s->number)) {
                        log_error_errno(EBUSY, "%s.partitions[%zu]: partition %u is in use (mounted, or held by RAID, "
                                        "LUKS or a volume manager); it cannot be %s", where, s->index, s->number,
                                        a == PT_DELETE ? "deleted" : a == PT_RESIZE ? "resized" : "replaced");
                        r = -EBUSY;
                        continue;
                }

                st = add_step(&plan, a, s->index);
                if (ex) {
                        st->has_old = true;
                        st->old = *ex;
                }
                if (a == PT_KEEP) {
                        st->has_new = true;
                        st->new = *ex;
                }
                if (a == PT_DELETE || a == PT_RECREATE || a == PT_RESIZE)
                        deletions[n_deletions++] = s->number;
                if (a == PT_CREATE || a == PT_RECREATE)
                        creations[n_creations++] = (struct creation) {
                                .step = plan.n_steps - 1,
                                .number = s->number,
                                .start = s->start_set ? s->start : 0,
                                .size = s->size_set ? s->size : 0,
                                .label = s->p->label,
                                .type_guid = s->p->type_guid,
                                .guid = s->p->guid,
                        };
                if (a == PT_RESIZE)
                        creations[n_creations++] = (struct creation) {
                                .step = plan.n_steps - 1,
                                .number = ex->number,
                                .start = ex->start,
                                .size = s->size,
                                .label = ex->label,
                                .type_guid = ex->type_guid,
                                .guid = ex->guid,
                        };
        }
        if (r < 0)
                goto out;

        /* 3. What the real run writes: the deletions, then the creations in
         * order, defaults resolved against the table as it is by then. */
        table_copy(&commit, existing, n_existing);
        for (size_t i = 0; i < n_deletions; i++)
                table_delete(&commit, deletions[i]);
        for (size_t i = 0; i < n_creations; i++) {
                const struct creation *c = &creations[i];
                struct pt_step *st = &plan.steps[c->step];
                struct pt_part *made;

                if (table_new(&commit, g, c->number, c->start, c->size, &made, why, sizeof(why)) < 0) {
                        r = log_error_errno(ENOSPC, "%s.partitions[%zu]: partition %u does not fit: %s", where,
                                            st->index, c->number, why);
                        continue;
                }
                snprintf(made->label, sizeof(made->label), "%s", c->label ? c->label : "");
                upcase(made->type_guid, set_str(c->type_guid) ? c->type_guid : LINUX_FS_GUID);
                upcase(made->guid, c->guid);
                st->has_new = true;
                st->new = *made;
        }
        if (r < 0)
                goto out;
        plan.changes = plan.changes || n_deletions > 0 || n_creations > 0;
        if (commit.n)
                qsort(commit.v, commit.n, sizeof(*commit.v), cmp_number);
        plan.final = commit;
        commit = (struct pt_table) {};
        *ret = plan;
        plan = (struct pt_plan) {};
out:
        free(pretend.v);
        free(commit.v);
        pt_plan_free(&plan);
        return r;
}
