/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "schema.h"

#define FIELD(type, k, kind_, member, since_, sub_, ...) \
        { .key = k, .kind = kind_, .offset = offsetof(type, member), .since = since_, .sub = sub_, __VA_ARGS__ }
#define STR(t, k, m, s) FIELD(t, k, IG_F_STRING, m, s, NULL)
#define BOOL(t, k, m, s) FIELD(t, k, IG_F_BOOL, m, s, NULL)
#define INT(t, k, m, s) FIELD(t, k, IG_F_INT, m, s, NULL)
#define STRV(t, k, m, s) FIELD(t, k, IG_F_STRV, m, s, NULL)
#define STRV_CONCAT(t, k, m, s) FIELD(t, k, IG_F_STRV, m, s, NULL, .merge_concat = true)
#define OBJ(t, k, m, s, d) FIELD(t, k, IG_F_OBJECT, m, s, &d)
#define LIST(t, k, m, s, d, key) FIELD(t, k, IG_F_LIST, m, s, &d, .merge_key = key)
#define LIST_CONCAT(t, k, m, s, d) FIELD(t, k, IG_F_LIST, m, s, &d, .merge_concat = true)

#define DESC(name, what_, type, table)                                          \
        const struct ig_desc name = {                                          \
                .what = what_,                                                 \
                .size = sizeof(type),                                          \
                .fields = table,                                               \
                .n_fields = ELEMENTSOF(table),                                 \
        };                                                                     \
        _Static_assert(offsetof(type, node) == 0, "node must come first")

#define V30 IG_SPEC_3_0_0
#define V31 IG_SPEC_3_1_0
#define V32 IG_SPEC_3_2_0
#define V33 IG_SPEC_3_3_0
#define V34 IG_SPEC_3_4_0
#define V35 IG_SPEC_3_5_0

static const struct ig_field header_fields[] = {
        STR(struct ig_http_header, "name", name, V31),
        STR(struct ig_http_header, "value", value, V31),
};
static DESC(desc_header, "an HTTP header", struct ig_http_header, header_fields);

static const struct ig_field verification_fields[] = {
        STR(struct ig_verification, "hash", hash, V30),
};
static DESC(desc_verification, "a verification", struct ig_verification, verification_fields);

/* File contents had `compression` from 3.0; config and CA references got it
 * (and everything else shared) when 3.1 unified them into one Resource. */
static const struct ig_field resource_fields[] = {
        STR(struct ig_resource, "source", source, V30),
        STR(struct ig_resource, "compression", compression, V30),
        LIST(struct ig_resource, "httpHeaders", http_headers, V31, desc_header, "name"),
        OBJ(struct ig_resource, "verification", verification, V30, desc_verification),
};
static DESC(desc_resource, "a resource", struct ig_resource, resource_fields);

static const struct ig_field reference_fields[] = {
        STR(struct ig_resource, "source", source, V30),
        STR(struct ig_resource, "compression", compression, V31),
        LIST(struct ig_resource, "httpHeaders", http_headers, V31, desc_header, "name"),
        OBJ(struct ig_resource, "verification", verification, V30, desc_verification),
};
static DESC(desc_reference, "a config or CA reference", struct ig_resource, reference_fields);

static const struct ig_field config_refs_fields[] = {
        LIST(struct ig_config_refs, "merge", merge, V30, desc_reference, "source"),
        OBJ(struct ig_config_refs, "replace", replace, V30, desc_reference),
};
static DESC(desc_config_refs, "ignition.config", struct ig_config_refs, config_refs_fields);

static const struct ig_field timeouts_fields[] = {
        INT(struct ig_timeouts, "httpResponseHeaders", http_response_headers, V30),
        INT(struct ig_timeouts, "httpTotal", http_total, V30),
};
static DESC(desc_timeouts, "ignition.timeouts", struct ig_timeouts, timeouts_fields);

static const struct ig_field tls_fields[] = {
        LIST(struct ig_tls, "certificateAuthorities", certificate_authorities, V30, desc_reference, "source"),
};
static DESC(desc_tls, "ignition.security.tls", struct ig_tls, tls_fields);

static const struct ig_field security_fields[] = {
        OBJ(struct ig_security, "tls", tls, V30, desc_tls),
};
static DESC(desc_security, "ignition.security", struct ig_security, security_fields);

static const struct ig_field proxy_fields[] = {
        STR(struct ig_proxy, "httpProxy", http_proxy, V31),
        STR(struct ig_proxy, "httpsProxy", https_proxy, V31),
        STRV(struct ig_proxy, "noProxy", no_proxy, V31),
};
static DESC(desc_proxy, "ignition.proxy", struct ig_proxy, proxy_fields);

static const struct ig_field ignition_fields[] = {
        STR(struct ig_ignition, "version", version, V30),
        OBJ(struct ig_ignition, "config", config, V30, desc_config_refs),
        OBJ(struct ig_ignition, "timeouts", timeouts, V30, desc_timeouts),
        OBJ(struct ig_ignition, "security", security, V30, desc_security),
        OBJ(struct ig_ignition, "proxy", proxy, V31, desc_proxy),
};
static DESC(desc_ignition, "the ignition section", struct ig_ignition, ignition_fields);

static const struct ig_field partition_fields[] = {
        STR(struct ig_partition, "label", label, V30),
        INT(struct ig_partition, "number", number, V30),
        INT(struct ig_partition, "sizeMiB", size_mib, V30),
        INT(struct ig_partition, "startMiB", start_mib, V30),
        STR(struct ig_partition, "typeGuid", type_guid, V30),
        STR(struct ig_partition, "guid", guid, V30),
        BOOL(struct ig_partition, "wipePartitionEntry", wipe_partition_entry, V30),
        BOOL(struct ig_partition, "shouldExist", should_exist, V30),
        BOOL(struct ig_partition, "resize", resize, V32),
};
static DESC(desc_partition, "a partition", struct ig_partition, partition_fields);

static const struct ig_field disk_fields[] = {
        STR(struct ig_disk, "device", device, V30),
        BOOL(struct ig_disk, "wipeTable", wipe_table, V30),
        LIST(struct ig_disk, "partitions", partitions, V30, desc_partition, "number|label"),
};
static DESC(desc_disk, "a disk", struct ig_disk, disk_fields);

static const struct ig_field raid_fields[] = {
        STR(struct ig_raid, "name", name, V30),
        STR(struct ig_raid, "level", level, V30),
        STRV(struct ig_raid, "devices", devices, V30),
        INT(struct ig_raid, "spares", spares, V30),
        STRV_CONCAT(struct ig_raid, "options", options, V30),
};
static DESC(desc_raid, "a RAID array", struct ig_raid, raid_fields);

static const struct ig_field filesystem_fields[] = {
        STR(struct ig_filesystem, "device", device, V30),
        STR(struct ig_filesystem, "format", format, V30),
        STR(struct ig_filesystem, "path", path, V30),
        BOOL(struct ig_filesystem, "wipeFilesystem", wipe_filesystem, V30),
        STR(struct ig_filesystem, "label", label, V30),
        STR(struct ig_filesystem, "uuid", uuid, V30),
        STRV_CONCAT(struct ig_filesystem, "options", options, V30),
        STRV_CONCAT(struct ig_filesystem, "mountOptions", mount_options, V31),
};
static DESC(desc_filesystem, "a filesystem", struct ig_filesystem, filesystem_fields);

static const struct ig_field tang_fields[] = {
        STR(struct ig_tang, "url", url, V32),
        STR(struct ig_tang, "thumbprint", thumbprint, V32),
        STR(struct ig_tang, "advertisement", advertisement, V34),
};
static DESC(desc_tang, "a Tang server", struct ig_tang, tang_fields);

static const struct ig_field custom_fields[] = {
        STR(struct ig_clevis_custom, "pin", pin, V32),
        STR(struct ig_clevis_custom, "config", config, V32),
        BOOL(struct ig_clevis_custom, "needsNetwork", needs_network, V32),
};
static DESC(desc_custom, "a custom Clevis pin", struct ig_clevis_custom, custom_fields);

static const struct ig_field clevis_fields[] = {
        LIST(struct ig_clevis, "tang", tang, V32, desc_tang, "url"),
        BOOL(struct ig_clevis, "tpm2", tpm2, V32),
        INT(struct ig_clevis, "threshold", threshold, V32),
        OBJ(struct ig_clevis, "custom", custom, V32, desc_custom),
};
static DESC(desc_clevis, "a Clevis configuration", struct ig_clevis, clevis_fields);

static const struct ig_field cex_fields[] = {
        BOOL(struct ig_cex, "enabled", enabled, V35),
};
static DESC(desc_cex, "a CEX configuration", struct ig_cex, cex_fields);

static const struct ig_field luks_fields[] = {
        STR(struct ig_luks, "name", name, V32),
        STR(struct ig_luks, "device", device, V32),
        OBJ(struct ig_luks, "keyFile", key_file, V32, desc_resource),
        STR(struct ig_luks, "label", label, V32),
        STR(struct ig_luks, "uuid", uuid, V32),
        STRV_CONCAT(struct ig_luks, "options", options, V32),
        BOOL(struct ig_luks, "wipeVolume", wipe_volume, V32),
        BOOL(struct ig_luks, "discard", discard, V34),
        STRV(struct ig_luks, "openOptions", open_options, V34),
        OBJ(struct ig_luks, "clevis", clevis, V32, desc_clevis),
        OBJ(struct ig_luks, "cex", cex, V35, desc_cex),
};
static DESC(desc_luks, "a LUKS volume", struct ig_luks, luks_fields);

static const struct ig_field owner_fields[] = {
        INT(struct ig_node_owner, "id", id, V30),
        STR(struct ig_node_owner, "name", name, V30),
};
static DESC(desc_owner, "an owner", struct ig_node_owner, owner_fields);

static const struct ig_field file_fields[] = {
        STR(struct ig_file, "path", path, V30),
        BOOL(struct ig_file, "overwrite", overwrite, V30),
        OBJ(struct ig_file, "user", user, V30, desc_owner),
        OBJ(struct ig_file, "group", group, V30, desc_owner),
        OBJ(struct ig_file, "contents", contents, V30, desc_resource),
        LIST_CONCAT(struct ig_file, "append", append, V30, desc_resource),
        INT(struct ig_file, "mode", mode, V30),
};
static DESC(desc_file, "a file", struct ig_file, file_fields);

static const struct ig_field directory_fields[] = {
        STR(struct ig_directory, "path", path, V30),
        BOOL(struct ig_directory, "overwrite", overwrite, V30),
        OBJ(struct ig_directory, "user", user, V30, desc_owner),
        OBJ(struct ig_directory, "group", group, V30, desc_owner),
        INT(struct ig_directory, "mode", mode, V30),
};
static DESC(desc_directory, "a directory", struct ig_directory, directory_fields);

static const struct ig_field link_fields[] = {
        STR(struct ig_link, "path", path, V30),
        BOOL(struct ig_link, "overwrite", overwrite, V30),
        OBJ(struct ig_link, "user", user, V30, desc_owner),
        OBJ(struct ig_link, "group", group, V30, desc_owner),
        STR(struct ig_link, "target", target, V30),
        BOOL(struct ig_link, "hard", hard, V30),
};
static DESC(desc_link, "a link", struct ig_link, link_fields);

static const struct ig_field storage_fields[] = {
        LIST(struct ig_storage, "disks", disks, V30, desc_disk, "device"),
        LIST(struct ig_storage, "raid", raid, V30, desc_raid, "name"),
        LIST(struct ig_storage, "filesystems", filesystems, V30, desc_filesystem, "device"),
        LIST(struct ig_storage, "luks", luks, V32, desc_luks, "name"),
        LIST(struct ig_storage, "files", files, V30, desc_file, "path"),
        LIST(struct ig_storage, "directories", directories, V30, desc_directory, "path"),
        LIST(struct ig_storage, "links", links, V30, desc_link, "path"),
};
static DESC(desc_storage, "the storage section", struct ig_storage, storage_fields);

static const struct ig_field dropin_fields[] = {
        STR(struct ig_dropin, "name", name, V30),
        STR(struct ig_dropin, "contents", contents, V30),
};
static DESC(desc_dropin, "a drop-in", struct ig_dropin, dropin_fields);

static const struct ig_field unit_fields[] = {
        STR(struct ig_unit, "name", name, V30),
        BOOL(struct ig_unit, "enabled", enabled, V30),
        BOOL(struct ig_unit, "mask", mask, V30),
        STR(struct ig_unit, "contents", contents, V30),
        LIST(struct ig_unit, "dropins", dropins, V30, desc_dropin, "name"),
};
static DESC(desc_unit, "a systemd unit", struct ig_unit, unit_fields);

static const struct ig_field systemd_fields[] = {
        LIST(struct ig_systemd, "units", units, V30, desc_unit, "name"),
};
static DESC(desc_systemd, "the systemd section", struct ig_systemd, systemd_fields);

static const struct ig_field user_fields[] = {
        STR(struct ig_user, "name", name, V30),
        STR(struct ig_user, "passwordHash", password_hash, V30),
        STRV(struct ig_user, "sshAuthorizedKeys", ssh_authorized_keys, V30),
        INT(struct ig_user, "uid", uid, V30),
        STR(struct ig_user, "gecos", gecos, V30),
        STR(struct ig_user, "homeDir", home_dir, V30),
        BOOL(struct ig_user, "noCreateHome", no_create_home, V30),
        STR(struct ig_user, "primaryGroup", primary_group, V30),
        STRV(struct ig_user, "groups", groups, V30),
        BOOL(struct ig_user, "noUserGroup", no_user_group, V30),
        BOOL(struct ig_user, "noLogInit", no_log_init, V30),
        STR(struct ig_user, "shell", shell, V30),
        BOOL(struct ig_user, "system", system, V30),
        BOOL(struct ig_user, "shouldExist", should_exist, V32),
};
static DESC(desc_user, "a user", struct ig_user, user_fields);

static const struct ig_field group_fields[] = {
        STR(struct ig_group, "name", name, V30),
        INT(struct ig_group, "gid", gid, V30),
        STR(struct ig_group, "passwordHash", password_hash, V30),
        BOOL(struct ig_group, "system", system, V30),
        BOOL(struct ig_group, "shouldExist", should_exist, V32),
};
static DESC(desc_group, "a group", struct ig_group, group_fields);

static const struct ig_field passwd_fields[] = {
        LIST(struct ig_passwd, "users", users, V30, desc_user, "name"),
        LIST(struct ig_passwd, "groups", groups, V30, desc_group, "name"),
};
static DESC(desc_passwd, "the passwd section", struct ig_passwd, passwd_fields);

static const struct ig_field kargs_fields[] = {
        STRV(struct ig_kernel_arguments, "shouldExist", should_exist, V33),
        STRV(struct ig_kernel_arguments, "shouldNotExist", should_not_exist, V33),
};
static DESC(desc_kargs, "kernelArguments", struct ig_kernel_arguments, kargs_fields);

static const struct ig_field config_fields[] = {
        OBJ(struct ig_config, "ignition", ignition, V30, desc_ignition),
        OBJ(struct ig_config, "storage", storage, V30, desc_storage),
        OBJ(struct ig_config, "systemd", systemd, V30, desc_systemd),
        OBJ(struct ig_config, "passwd", passwd, V30, desc_passwd),
        OBJ(struct ig_config, "kernelArguments", kernel_arguments, V33, desc_kargs),
};
DESC(ig_desc_config, "the config", struct ig_config, config_fields);

void ig_desc_init(const struct ig_desc *desc, void *obj)
{
        memset(obj, 0, desc->size);
        IG_NODE_OF(obj) = IG_NODE_NONE;
        for (size_t i = 0; i < desc->n_fields; i++)
                if (desc->fields[i].kind == IG_F_OBJECT)
                        ig_desc_init(desc->fields[i].sub, (char *) obj + desc->fields[i].offset);
}

static void strv_free(struct ig_strv *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        *sv = (struct ig_strv) {};
}

void ig_desc_free(const struct ig_desc *desc, void *obj)
{
        for (size_t i = 0; i < desc->n_fields; i++) {
                const struct ig_field *f = &desc->fields[i];
                void *p = (char *) obj + f->offset;

                switch (f->kind) {
                case IG_F_STRING:
                        free(*(char **) p);
                        *(char **) p = NULL;
                        break;
                case IG_F_OBJECT:
                        ig_desc_free(f->sub, p);
                        break;
                case IG_F_LIST: {
                        struct ig_list_raw *l = p;
                        for (size_t j = 0; j < l->n; j++)
                                ig_desc_free(f->sub, (char *) l->v + j * f->sub->size);
                        free(l->v);
                        *l = (struct ig_list_raw) {};
                        break;
                }
                case IG_F_STRV:
                        strv_free(p);
                        break;
                case IG_F_BOOL:
                case IG_F_INT:
                        break;
                }
        }
}

void ig_config_init(struct ig_config *c)
{
        ig_desc_init(&ig_desc_config, c);
}

void ig_config_free(struct ig_config *c)
{
        if (!c)
                return;
        ig_desc_free(&ig_desc_config, c);
}

const char *ig_spec_name(enum ig_spec spec)
{
        static const char *const names[IG_SPEC_COUNT] = {
                [IG_SPEC_3_0_0] = "3.0.0",
                [IG_SPEC_3_1_0] = "3.1.0",
                [IG_SPEC_3_2_0] = "3.2.0",
                [IG_SPEC_3_3_0] = "3.3.0",
                [IG_SPEC_3_4_0] = "3.4.0",
                [IG_SPEC_3_5_0] = "3.5.0",
                [IG_SPEC_3_6_0] = "3.6.0",
                [IG_SPEC_3_7_0_EXP] = "3.7.0-experimental",
        };
        return (unsigned) spec < IG_SPEC_COUNT ? names[spec] : "?";
}
