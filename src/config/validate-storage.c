/* SPDX-License-Identifier: Apache-2.0 */
/* Validation of the block-device part of storage: disks and partitions, RAID
 * arrays, filesystems and LUKS volumes. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "validate-internal.h"

/* ---- disks and partitions ---- */

static bool is_hex_char(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "" or 8-4-4-4-12 hex digits */
static bool valid_guid(const char *s)
{
        static const int groups[] = { 8, 4, 4, 4, 12 };

        if (!*s)
                return true;
        for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
                for (int i = 0; i < groups[g]; i++, s++)
                        if (!is_hex_char(*s))
                                return false;
                if (g + 1 < ELEMENTSOF(groups) && *s++ != '-')
                        return false;
        }
        return *s == 0;
}

static void check_partition(struct vctx *v, const struct ig_partition *p, struct vloc at)
{
        if (p->should_exist.set && !p->should_exist.v &&
            (p->label || v_nonempty(p->type_guid) || v_nonempty(p->guid) || p->start_mib.set || p->size_mib.set))
                v_error(v, at, "shouldExist",
                        "shouldExist is false, so label, startMiB, sizeMiB, guid and typeGuid must not be set (the partition is identified by its number)");
        if (ig_int_or(p->number, 0) == 0 && !p->label)
                v_error(v, at, NULL, "a partition needs a number (1 or more) or a label");
        if (p->label) {
                if (strlen(p->label) > 36)
                        v_error(v, at, "label", "partition label is %zu characters long (GPT allows at most 36)",
                                strlen(p->label));
                else if (strchr(p->label, ':'))
                        v_error(v, at, "label", "partition label must not contain ':' (sgdisk would cut it there)");
        }
        if (p->guid && !valid_guid(p->guid))
                v_error(v, at, "guid", "invalid GUID \"%s\": expected the form 01234567-89AB-CDEF-EDCB-A98765432101",
                        p->guid);
        if (p->type_guid && !valid_guid(p->type_guid))
                v_error(v, at, "typeGuid",
                        "invalid GUID \"%s\": expected the form 01234567-89AB-CDEF-EDCB-A98765432101", p->type_guid);
}

/* Whether startMiB and sizeMiB describe a range int64 arithmetic can hold:
 * Ignition computes the end without checking and wraps into false
 * overlaps. Such values (or negative ones) cannot fit on any disk. */
static bool in_range(const struct ig_partition *p)
{
        return p->start_mib.v >= 0 && p->size_mib.v >= 0 && p->size_mib.v <= INT64_MAX - p->start_mib.v;
}

static int64_t part_end(const struct ig_partition *p)
{
        /* size 0 means "fill the free space": count only its first MiB */
        return p->size_mib.v == 0 ? p->start_mib.v : p->start_mib.v + (p->size_mib.v - 1);
}

static bool placed(const struct ig_partition *p)
{
        /* start 0 is placed by sgdisk at run time: nothing to compare */
        return p->start_mib.set && p->size_mib.set && p->start_mib.v != 0 && in_range(p);
}

struct span {
        int64_t start, end;
        size_t index;
};

static int cmp_span(const void *a, const void *b)
{
        const struct span *x = a, *y = b;

        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* Every placed partition that overlaps another is reported once, naming
 * one partition it overlaps. Sorted by start, a partition overlaps an
 * earlier one exactly when the largest end so far reaches its start, and a
 * later one exactly when the next start is within it: O(n log n) instead of
 * comparing every pair. */
static void check_overlaps(struct vctx *v, const struct ig_disk *disk)
{
        size_t n = 0, far = 0;
        _cleanup_free_ struct span *s = xcalloc(disk->partitions.n + 1, sizeof(*s));

        for (size_t i = 0; i < disk->partitions.n; i++) {
                const struct ig_partition *p = &disk->partitions.v[i];
                if (placed(p))
                        s[n++] = (struct span) { p->start_mib.v, part_end(p), i };
        }
        if (n < 2)
                return;
        qsort(s, n, sizeof(*s), cmp_span);
        for (size_t k = 0; k < n; k++) {
                size_t partner = SIZE_MAX;

                if (k > 0 && s[far].end >= s[k].start)
                        partner = s[far].index;
                if (k + 1 < n && s[k + 1].start <= s[k].end && s[k + 1].index < partner)
                        partner = s[k + 1].index;
                if (partner != SIZE_MAX)
                        v_error(v, vloc_node(disk->partitions.v[s[k].index].node), NULL,
                                "partition overlaps partitions[%zu]", partner);
                if (k == 0 || s[k].end > s[far].end)
                        far = k;
        }
}

static void check_disk_partitions(struct vctx *v, const struct ig_disk *disk)
{
        _cleanup_(vset_free) struct vset numbers = {}, labels = {};
        bool has_zero = false, has_absent = false;

        for (size_t i = 0; i < disk->partitions.n; i++) {
                const struct ig_partition *p = &disk->partitions.v[i];
                struct vloc at = vloc_node(p->node);
                int64_t num = ig_int_or(p->number, 0);

                has_zero |= num == 0;
                has_absent |= p->should_exist.set && !p->should_exist.v;

                if (num != 0) {
                        char key[32];
                        const struct vset_entry *e;

                        snprintf(key, sizeof(key), "%lld", (long long) num);
                        /* keys must outlive the set: point into a stable string */
                        e = vset_find(&numbers, key);
                        if (e)
                                v_error(v, at, "number", "partition number %lld is already used by partitions[%zu]",
                                        (long long) num, e->index);
                        else
                                vset_add(&numbers, xstrdup(key), "partitions", i, 0);
                }
                if (p->label) {
                        const struct vset_entry *e = vset_add(&labels, p->label, "partitions", i, 0);
                        if (e)
                                v_error(v, at, "label", "partition label \"%s\" is already used by partitions[%zu]",
                                        p->label, e->index);
                }
                if ((p->start_mib.set || p->size_mib.set) && !in_range(p))
                        v_warn(v, at, p->start_mib.v < 0 ? "startMiB" : "sizeMiB",
                               "startMiB %lld and sizeMiB %lld do not describe a range on any disk: creating the partition will fail",
                               (long long) p->start_mib.v, (long long) p->size_mib.v);
        }
        check_overlaps(v, disk);
        for (size_t i = 0; i < numbers.alloc; i++)
                free((char *) numbers.v[i].key);

        /* Ignition up to 2.26 rejects this; newer releases accept it. */
        if (has_zero && has_absent)
                v_warn(v, vloc_node(disk->node), "partitions",
                       "a partition with shouldExist false next to partitions without a number is rejected by Ignition releases before 2.27: give every partition a number");
}

static void check_disks(struct vctx *v)
{
        const struct ig_storage *s = &v->c->storage;
        _cleanup_(vset_free) struct vset devices = {};

        for (size_t i = 0; i < s->disks.n; i++) {
                const struct ig_disk *disk = &s->disks.v[i];
                struct vloc at = vloc_node(disk->node);
                const struct vset_entry *e;

                for (size_t j = 0; j < disk->partitions.n; j++)
                        check_partition(v, &disk->partitions.v[j], vloc_node(disk->partitions.v[j].node));
                /* Ignition also flags partitions with the same key (number, or
                 * label when the number is 0) as duplicates; each such case is
                 * already an error below (or the missing device is), so the
                 * duplicate message would only repeat it. */

                e = vset_add(&devices, disk->device ?: "", "storage.disks", i, 0);
                if (e)
                        v_error(v, at, "device", "duplicate disk: \"%s\" is already defined by storage.disks[%zu]",
                                disk->device ?: "", e->index);

                if (!v_nonempty(disk->device)) {
                        v_error(v, at, "device", "disk device is required");
                        continue;
                }
                v_check_path(v, at, "device", disk->device);
                check_disk_partitions(v, disk);
        }
}

/* ---- RAID ---- */

static void check_raid(struct vctx *v)
{
        static const char *const levels[] = {
                "linear", "raid0", "0", "stripe", "raid1", "1", "mirror", "raid4", "4",
                "raid5", "5", "raid6", "6", "raid10", "10",
        };
        const struct ig_storage *s = &v->c->storage;
        _cleanup_(vset_free) struct vset names = {};

        for (size_t i = 0; i < s->raid.n; i++) {
                const struct ig_raid *r = &s->raid.v[i];
                struct vloc at = vloc_node(r->node);
                const struct vset_entry *e;
                bool known = false;

                e = vset_add(&names, r->name ?: "", "storage.raid", i, 0);
                if (e)
                        v_error(v, at, "name", "duplicate array: \"%s\" is already defined by storage.raid[%zu]",
                                r->name ?: "", e->index);
                if (!v_nonempty(r->name))
                        v_warn(v, at, "name", "empty array name: mdadm will fail to create it");

                if (!v_nonempty(r->level))
                        v_error(v, at, "level", "RAID level is required");
                else {
                        for (size_t k = 0; k < ELEMENTSOF(levels); k++)
                                known |= strcmp(r->level, levels[k]) == 0;
                        if (!known)
                                v_error(v, at, "level",
                                        "unrecognized RAID level \"%s\" (use linear, raid0, raid1, raid4, raid5, raid6 or raid10)",
                                        r->level);
                        else if (ig_int_or(r->spares, 0) != 0 &&
                                 (!strcmp(r->level, "linear") || !strcmp(r->level, "raid0") ||
                                  !strcmp(r->level, "0") || !strcmp(r->level, "stripe")))
                                v_error(v, at, "level", "spares cannot be used with linear and raid0 arrays");
                }

                if (r->devices.n == 0)
                        v_error(v, at, "devices", "an array needs at least one device");
                for (size_t k = 0; k < r->devices.n; k++) {
                        _cleanup_free_ char *f = xasprintf("devices[%zu]", k);
                        v_check_path(v, at, f, r->devices.v[k]);
                }
                v_check_strv_dups(v, r->node, "devices", &r->devices);
        }
}

/* ---- filesystems ---- */

static void check_filesystem(struct vctx *v, const struct ig_filesystem *f, struct vloc at)
{
        const char *fmt = v_nonempty(f->format) ? f->format : NULL;
        bool virtiofs = fmt && v->spec >= IG_SPEC_3_7_0_EXP && strcmp(fmt, "virtiofs") == 0;

        if (v_nonempty(f->path))
                v_check_path(v, at, "path", f->path);

        if (virtiofs) {
                if (!v_nonempty(f->device))
                        v_error(v, at, "device", "virtiofs needs the mount tag as device");
                else if (strlen(f->device) > 36)
                        v_error(v, at, "device", "virtiofs tag is %zu bytes long (at most 36)", strlen(f->device));
        } else
                v_check_path(v, at, "device", f->device);

        if (!fmt) {
                if (v_nonempty(f->path) || v_nonempty(f->label) || v_nonempty(f->uuid) ||
                    ig_bool_or(f->wipe_filesystem, false) || f->mount_options.n || f->options.n)
                        v_error(v, at, "format",
                                "format is required when path, label, uuid, wipeFilesystem, options or mountOptions is set");
        } else {
                bool ok = !strcmp(fmt, "ext4") || !strcmp(fmt, "btrfs") || !strcmp(fmt, "xfs") ||
                        !strcmp(fmt, "swap") || !strcmp(fmt, "vfat");
                if (!ok && !strcmp(fmt, "none") && v->spec >= IG_SPEC_3_3_0)
                        ok = true;
                if (!ok && virtiofs)
                        ok = true;
                if (!ok)
                        v_error(v, at, "format", "invalid filesystem format \"%s\" (use ext4, btrfs, xfs, vfat, swap%s%s)",
                                fmt, v->spec >= IG_SPEC_3_3_0 ? ", none" : "",
                                v->spec >= IG_SPEC_3_7_0_EXP ? ", virtiofs" : "");
        }

        if (v_nonempty(f->label)) {
                static const struct {
                        const char *fmt;
                        size_t max;
                } limits[] = {
                        { "ext4", 16 }, { "btrfs", 256 }, { "xfs", 12 }, { "swap", 15 }, { "vfat", 11 },
                };
                size_t len = strlen(f->label);

                if (!fmt)
                        v_error(v, at, "label", "a label needs a format");
                else if (virtiofs)
                        v_error(v, at, "label", "virtiofs filesystems cannot have a label");
                else
                        for (size_t k = 0; k < ELEMENTSOF(limits); k++)
                                if (!strcmp(fmt, limits[k].fmt) && len > limits[k].max)
                                        v_error(v, at, "label", "%s labels can be at most %zu characters long, this one has %zu",
                                                fmt, limits[k].max, len);
        }

        if (virtiofs) {
                if (v_nonempty(f->uuid))
                        v_error(v, at, "uuid", "virtiofs filesystems have no UUID");
                if (ig_bool_or(f->wipe_filesystem, false))
                        v_error(v, at, "wipeFilesystem", "virtiofs filesystems cannot be wiped");
                if (f->options.n)
                        v_error(v, at, "options", "virtiofs filesystems take no mkfs options");
        }
}

static void check_filesystems(struct vctx *v)
{
        const struct ig_storage *s = &v->c->storage;
        _cleanup_(vset_free) struct vset devices = {}, disks = {};

        /* like Ignition's map, a later disk with the same device wins: add
         * from the end, the set keeps the first it sees */
        for (size_t i = s->disks.n; i > 0; i--)
                vset_add(&disks, s->disks.v[i - 1].device ?: "", "storage.disks", i - 1, 0);

        for (size_t i = 0; i < s->filesystems.n; i++) {
                const struct ig_filesystem *f = &s->filesystems.v[i];
                struct vloc at = vloc_node(f->node);
                const struct vset_entry *e;

                check_filesystem(v, f, at);
                e = vset_add(&devices, f->device ?: "", "storage.filesystems", i, 0);
                if (e)
                        v_error(v, at, "device", "duplicate filesystem: \"%s\" is already defined by storage.filesystems[%zu]",
                                f->device ?: "", e->index);

                e = vset_find(&disks, f->device ?: "");
                if (e) {
                        const struct ig_disk *disk = &s->disks.v[e->index];
                        if (disk->partitions.n > 0)
                                v_warn(v, at, "device",
                                       "filesystem on a disk that storage.disks[%zu] partitions: the filesystem would overwrite the partition table (the disks stage refuses it when partitions remain)",
                                       e->index);
                        else if (!ig_bool_or(f->wipe_filesystem, false) && ig_bool_or(disk->wipe_table, false))
                                v_warn(v, at, "device",
                                       "storage.disks[%zu] wipes this device's table, so the filesystem is wiped too (set wipeFilesystem to say so)",
                                       e->index);
                }
        }
}

/* ---- LUKS ---- */

/* Strict RFC 8259 JSON, as Go's encoding/json accepts it. */
static const char *json_ws(const char *p)
{
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

static const char *json_value(const char *p, unsigned depth);

static const char *json_string(const char *p)
{
        for (p++;; p++) {
                unsigned char c = *p;
                if (c == '"')
                        return p + 1;
                if (c < 0x20)
                        return NULL;
                if (c == '\\') {
                        p++;
                        if (*p == 'u') {
                                for (int i = 1; i <= 4; i++)
                                        if (!is_hex_char(p[i]))
                                                return NULL;
                                p += 4;
                        } else if (!*p || !strchr("\"\\/bfnrt", *p))
                                return NULL;
                }
        }
}

static const char *json_number(const char *p)
{
        if (*p == '-')
                p++;
        if (*p == '0')
                p++;
        else if (*p >= '1' && *p <= '9')
                while (*p >= '0' && *p <= '9')
                        p++;
        else
                return NULL;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return NULL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                if (*p < '0' || *p > '9')
                        return NULL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        return p;
}

static const char *json_value(const char *p, unsigned depth)
{
        if (depth > 10000)
                return NULL;
        p = json_ws(p);
        switch (*p) {
        case '{':
                p = json_ws(p + 1);
                if (*p == '}')
                        return p + 1;
                for (;;) {
                        if (*p != '"' || !(p = json_string(p)))
                                return NULL;
                        p = json_ws(p);
                        if (*p++ != ':' || !(p = json_value(p, depth + 1)))
                                return NULL;
                        p = json_ws(p);
                        if (*p == '}')
                                return p + 1;
                        if (*p++ != ',')
                                return NULL;
                        p = json_ws(p);
                }
        case '[':
                p = json_ws(p + 1);
                if (*p == ']')
                        return p + 1;
                for (;;) {
                        if (!(p = json_value(p, depth + 1)))
                                return NULL;
                        p = json_ws(p);
                        if (*p == ']')
                                return p + 1;
                        if (*p++ != ',')
                                return NULL;
                }
        case '"':
                return json_string(p);
        case 't':
                return strncmp(p, "true", 4) ? NULL : p + 4;
        case 'f':
                return strncmp(p, "false", 5) ? NULL : p + 5;
        case 'n':
                return strncmp(p, "null", 4) ? NULL : p + 4;
        default:
                return json_number(p);
        }
}

static bool valid_json(const char *s)
{
        const char *end = json_value(s, 0);
        return end && !*json_ws(end);
}

static bool clevis_present(const struct ig_clevis *c)
{
        return v_nonempty(c->custom.pin) || c->tang.n > 0 || ig_bool_or(c->tpm2, false) ||
                ig_int_or(c->threshold, 0) != 0;
}

static void check_clevis(struct vctx *v, const struct ig_luks *l, struct vloc lat)
{
        const struct ig_clevis *c = &l->clevis;
        const struct ig_clevis_custom *cu = &c->custom;
        struct vloc at = vloc_of(c->node, lat.node, "clevis");
        struct vloc cat = c->node != IG_NODE_NONE ? vloc_of(cu->node, c->node, "custom")
                                                  : (struct vloc) { lat.node, "clevis.custom" };
        _cleanup_(vset_free) struct vset urls = {};
        bool custom;

        /* 3.2 had custom as an optional object: its mere presence counted */
        custom = v->spec < IG_SPEC_3_3_0 ? cu->node != IG_NODE_NONE : v_nonempty(cu->pin);
        if (custom && (c->tang.n > 0 || ig_bool_or(c->tpm2, false) || ig_int_or(c->threshold, 0) != 0))
                v_error(v, at, NULL, "a custom clevis pin cannot be combined with tang, tpm2 or threshold");

        /* needsNetwork alone only counts since 3.3 */
        if (v_nonempty(cu->pin) || v_nonempty(cu->config) ||
            (ig_bool_or(cu->needs_network, false) && v->spec >= IG_SPEC_3_3_0)) {
                if (!v_nonempty(cu->pin))
                        v_error(v, cat, "pin", "custom clevis pin is required");
                else if (v->spec < IG_SPEC_3_6_0 && strcmp(cu->pin, "tpm2") && strcmp(cu->pin, "tang") &&
                         strcmp(cu->pin, "sss"))
                        v_error(v, cat, "pin", "unsupported clevis pin \"%s\" (use tpm2, tang or sss; other pins need spec 3.6.0)",
                                cu->pin);
                if (!v_nonempty(cu->config))
                        v_error(v, cat, "config", "custom clevis config is required");
        }

        for (size_t i = 0; i < c->tang.n; i++) {
                const struct ig_tang *t = &c->tang.v[i];
                struct vloc tat = vloc_node(t->node);
                const struct vset_entry *e;
                const char *why, *scheme;
                char buf[32];
                int r;

                r = v_check_http_url(t->url ?: "", &scheme, buf, sizeof(buf), &why);
                if (r == -EINVAL)
                        v_error(v, tat, "url", "invalid Tang URL: %s", why);
                else if (r < 0)
                        v_error(v, tat, "url", "Tang URL must be http or https%s%s%s", *scheme ? ", not \"" : "",
                                scheme, *scheme ? "\"" : "");
                if (!v_nonempty(t->thumbprint))
                        v_error(v, tat, "thumbprint", "Tang thumbprint is required");
                if (v_nonempty(t->advertisement) && !valid_json(t->advertisement))
                        v_error(v, tat, "advertisement", "Tang advertisement is not valid JSON");
                e = vset_add(&urls, t->url ?: "", "tang", i, 0);
                if (e)
                        v_error(v, tat, "url", "duplicate Tang server: \"%s\" is already listed at tang[%zu]",
                                t->url ?: "", e->index);
        }
}

static void check_luks(struct vctx *v)
{
        const struct ig_storage *s = &v->c->storage;
        _cleanup_(vset_free) struct vset names = {};

        for (size_t i = 0; i < s->luks.n; i++) {
                const struct ig_luks *l = &s->luks.v[i];
                struct vloc at = vloc_node(l->node);
                const struct vset_entry *e;

                e = vset_add(&names, l->name ?: "", "storage.luks", i, 0);
                if (e)
                        v_error(v, at, "name", "duplicate LUKS volume: \"%s\" is already defined by storage.luks[%zu]",
                                l->name ?: "", e->index);
                if (!v_nonempty(l->name))
                        v_warn(v, at, "name", "empty LUKS volume name: opening the volume will fail");
                else if (strchr(l->name, '/'))
                        v_error(v, at, "name", "LUKS volume name must not contain '/' (it becomes /dev/mapper/<name>)");
                if (v_nonempty(l->label) && strlen(l->label) > 47)
                        v_error(v, at, "label", "LUKS label is %zu characters long (at most 47)", strlen(l->label));
                if (!v_nonempty(l->device))
                        v_error(v, at, "device", "LUKS device is required");
                else
                        v_check_path(v, at, "device", l->device);

                v_check_resource(v, &l->key_file, vloc_of(l->key_file.node, l->node, "keyFile"), VRES_LUKS_KEY);
                check_clevis(v, l, at);

                if (ig_bool_or(l->cex.enabled, false)) {
                        struct vloc cx = vloc_of(l->cex.node, l->node, "cex");
                        if (clevis_present(&l->clevis))
                                v_error(v, cx, "enabled", "cex cannot be combined with clevis");
                        if (l->key_file.source)
                                v_error(v, cx, "enabled", "cex cannot be combined with a keyFile");
                }
                v_check_strv_dups(v, l->node, "openOptions", &l->open_options);
        }
}

void v_storage_devices(struct vctx *v)
{
        check_disks(v);
        check_raid(v);
        check_filesystems(v);
        check_luks(v);
}
