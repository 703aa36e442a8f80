/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The config model: one C struct per object of the Ignition config spec, always
 * in the shape of the newest supported version. Older versions are parsed with
 * their own field set and arrive here already translated.
 *
 * "Unset" is kept apart from "zero/false/empty" everywhere, because Ignition's
 * semantics depend on it (an unset partition size keeps the existing size, an
 * unset `overwrite` is false but an unset `mode` keeps an existing mode, ...):
 *   - strings are NULL when unset (and "" when set to the empty string),
 *   - booleans and integers are struct ig_bool / struct ig_int with a `set` flag,
 *   - nested objects carry `node`, which is IG_NODE_NONE when the object was absent.
 *
 * `node` is the object's position in the document's JSON index (see json-index.h):
 * diagnostics use it to name the JSON path, line and column. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IG_NODE_NONE UINT32_MAX
/* Present, but assembled from several documents (merged configs): no position. */
#define IG_NODE_MERGED (UINT32_MAX - 1)

struct ig_bool {
        bool set;
        bool v;
};

struct ig_int {
        bool set;
        int64_t v;
};

struct ig_strv {
        char **v;
        size_t n;
};

#define IG_LIST(type) \
        struct {      \
                type *v; \
                size_t n; \
        }

/* Spec versions, ordered. */
enum ig_spec {
        IG_SPEC_3_0_0,
        IG_SPEC_3_1_0,
        IG_SPEC_3_2_0,
        IG_SPEC_3_3_0,
        IG_SPEC_3_4_0,
        IG_SPEC_3_5_0,
        IG_SPEC_3_6_0,
        IG_SPEC_3_7_0_EXP,
        IG_SPEC_COUNT,
        IG_SPEC_NEWEST_STABLE = IG_SPEC_3_6_0,
};

const char *ig_spec_name(enum ig_spec spec);

struct ig_http_header {
        uint32_t node;
        char *name;
        char *value;    /* NULL: unset (when merging: delete the parent's header) */
};

struct ig_verification {
        uint32_t node;
        char *hash;     /* "sha512-<hex>" or "sha256-<hex>" */
};

/* The shared "Resource" object (config merge/replace, CAs, file contents and
 * append fragments, LUKS key files). */
struct ig_resource {
        uint32_t node;
        char *source;
        char *compression;
        IG_LIST(struct ig_http_header) http_headers;
        struct ig_verification verification;
};

struct ig_config_refs {
        uint32_t node;
        IG_LIST(struct ig_resource) merge;
        struct ig_resource replace;
};

struct ig_timeouts {
        uint32_t node;
        struct ig_int http_response_headers;
        struct ig_int http_total;
};

struct ig_tls {
        uint32_t node;
        IG_LIST(struct ig_resource) certificate_authorities;
};

struct ig_security {
        uint32_t node;
        struct ig_tls tls;
};

struct ig_proxy {
        uint32_t node;
        char *http_proxy;
        char *https_proxy;
        struct ig_strv no_proxy;
};

struct ig_ignition {
        uint32_t node;
        char *version;
        struct ig_config_refs config;
        struct ig_timeouts timeouts;
        struct ig_security security;
        struct ig_proxy proxy;
};

struct ig_partition {
        uint32_t node;
        char *label;
        struct ig_int number;
        struct ig_int size_mib;
        struct ig_int start_mib;
        char *type_guid;
        char *guid;
        struct ig_bool wipe_partition_entry;
        struct ig_bool should_exist;
        struct ig_bool resize;
};

struct ig_disk {
        uint32_t node;
        char *device;
        struct ig_bool wipe_table;
        IG_LIST(struct ig_partition) partitions;
};

struct ig_raid {
        uint32_t node;
        char *name;
        char *level;
        struct ig_strv devices;
        struct ig_int spares;
        struct ig_strv options;
};

struct ig_filesystem {
        uint32_t node;
        char *device;
        char *format;
        char *path;
        struct ig_bool wipe_filesystem;
        char *label;
        char *uuid;
        struct ig_strv options;
        struct ig_strv mount_options;
};

struct ig_tang {
        uint32_t node;
        char *url;
        char *thumbprint;
        char *advertisement;
};

struct ig_clevis_custom {
        uint32_t node;
        char *pin;
        char *config;
        struct ig_bool needs_network;
};

struct ig_clevis {
        uint32_t node;
        IG_LIST(struct ig_tang) tang;
        struct ig_bool tpm2;
        struct ig_int threshold;
        struct ig_clevis_custom custom;
};

struct ig_cex {
        uint32_t node;
        struct ig_bool enabled;
};

struct ig_luks {
        uint32_t node;
        char *name;
        char *device;
        struct ig_resource key_file;
        char *label;
        char *uuid;
        struct ig_strv options;
        struct ig_bool wipe_volume;
        struct ig_bool discard;
        struct ig_strv open_options;
        struct ig_clevis clevis;
        struct ig_cex cex;
};

/* user/group of a file, directory or link: by id or by name, not both. */
struct ig_node_owner {
        uint32_t node;
        struct ig_int id;
        char *name;
};

struct ig_file {
        uint32_t node;
        char *path;
        struct ig_bool overwrite;
        struct ig_node_owner user;
        struct ig_node_owner group;
        struct ig_resource contents;
        IG_LIST(struct ig_resource) append;
        struct ig_int mode;
};

struct ig_directory {
        uint32_t node;
        char *path;
        struct ig_bool overwrite;
        struct ig_node_owner user;
        struct ig_node_owner group;
        struct ig_int mode;
};

struct ig_link {
        uint32_t node;
        char *path;
        struct ig_bool overwrite;
        struct ig_node_owner user;
        struct ig_node_owner group;
        char *target;
        struct ig_bool hard;
};

struct ig_storage {
        uint32_t node;
        IG_LIST(struct ig_disk) disks;
        IG_LIST(struct ig_raid) raid;
        IG_LIST(struct ig_filesystem) filesystems;
        IG_LIST(struct ig_luks) luks;
        IG_LIST(struct ig_file) files;
        IG_LIST(struct ig_directory) directories;
        IG_LIST(struct ig_link) links;
};

struct ig_dropin {
        uint32_t node;
        char *name;
        char *contents;
};

struct ig_unit {
        uint32_t node;
        char *name;
        struct ig_bool enabled;
        struct ig_bool mask;
        char *contents;
        IG_LIST(struct ig_dropin) dropins;
};

struct ig_systemd {
        uint32_t node;
        IG_LIST(struct ig_unit) units;
};

struct ig_user {
        uint32_t node;
        char *name;
        char *password_hash;
        struct ig_strv ssh_authorized_keys;
        struct ig_int uid;
        char *gecos;
        char *home_dir;
        struct ig_bool no_create_home;
        char *primary_group;
        struct ig_strv groups;
        struct ig_bool no_user_group;
        struct ig_bool no_log_init;
        char *shell;
        struct ig_bool system;
        struct ig_bool should_exist;
};

struct ig_group {
        uint32_t node;
        char *name;
        struct ig_int gid;
        char *password_hash;
        struct ig_bool system;
        struct ig_bool should_exist;
};

struct ig_passwd {
        uint32_t node;
        IG_LIST(struct ig_user) users;
        IG_LIST(struct ig_group) groups;
};

struct ig_kernel_arguments {
        uint32_t node;
        struct ig_strv should_exist;
        struct ig_strv should_not_exist;
};

struct ig_config {
        uint32_t node;
        struct ig_ignition ignition;
        struct ig_storage storage;
        struct ig_systemd systemd;
        struct ig_passwd passwd;
        struct ig_kernel_arguments kernel_arguments;

        /* The version the document declared; the fields above are already in
         * the newest shape. */
        enum ig_spec spec;
};

/* An empty config: everything unset, every object absent. */
void ig_config_init(struct ig_config *c);
void ig_config_free(struct ig_config *c);

/* Convenience for "unset means this default". */
static inline bool ig_bool_or(struct ig_bool b, bool def)
{
        return b.set ? b.v : def;
}

static inline int64_t ig_int_or(struct ig_int i, int64_t def)
{
        return i.set ? i.v : def;
}

/* ---- loading a config: parse → validate → translate ---- */

struct ig_diags;
struct ig_jindex;

struct ig_parse_options {
        /* Unknown keys, keys matched only case-insensitively and duplicate
         * keys become errors instead of warnings. */
        bool strict;
        /* The text is ignis' own stage cache (ig_config_to_json() of a
         * config validated and translated before): parsed and type-checked,
         * but not validated again. The cache says the newest version, while
         * the rules that applied were those of the versions the config was
         * written in (a 3.0.0 link may lack a target, a 3.3.0 one may not),
         * so validating it again could refuse what was accepted. */
        bool cached;
};

/* Configs above this size are refused before parsing. Ignition has no limit;
 * the largest legitimate configs seen are a few MiB. Loading and validating
 * takes at most about 9 times the config's size at its peak (a document of
 * nothing but tiny values: the position index, 16 bytes a value; usual
 * configs 2 to 6 times), so the limit keeps a first boot under ~300 MiB
 * whatever the config (docs/config-limits.md). */
#define IG_CONFIG_MAX_SIZE (32u * 1024 * 1024)

/* Parses a JSON document into *c (in the newest shape; fields that do not exist
 * in the declared version are reported as unknown keys and ignored, as Ignition
 * does). ix must have been built from the same text. Returns 0 when a config
 * came out (diags may hold warnings and errors about values), -EINVAL when the
 * document could not be read as a config at all (syntax, version). */
int ig_config_parse(struct ig_jindex *ix, const struct ig_parse_options *opts,
                    struct ig_config *c, struct ig_diags *d);

/* Every rule of the spec, for the version c->spec; collects all findings.
 * Returns 0 when no error was found, -EINVAL otherwise. */
int ig_config_validate(const struct ig_config *c, struct ig_diags *d);

/* Applies the upward translation rules of the declared version (e.g. special
 * mode bits are dropped below 3.6.0). Run after validation. */
void ig_config_translate(struct ig_config *c);

/* parent ⊕ child with Ignition's merge rules (keyed lists, child wins, ...).
 * child's contents are moved into parent; child is left empty. Positions
 * are dropped (the result comes from several documents). */
void ig_config_merge(struct ig_config *parent, struct ig_config *child);

/* The config as JSON text in the newest spec's shape (unset fields left
 * out), for the stage cache. malloc'd. */
char *ig_config_to_json(const struct ig_config *c);

/* The whole pipeline on a text: index, parse, validate, translate. ix is left
 * built (for printing diagnostics) and must be freed by the caller.
 * Returns 0 for a valid config, -EINVAL for an invalid one. */
int ig_config_load(const char *text, size_t len, const struct ig_parse_options *opts,
                   struct ig_jindex *ix, struct ig_config *c, struct ig_diags *d);

/* ig_config_load, then the diagnostics (sorted, with positions) printed to
 * stderr under name. Returns what ig_config_load returns. */
int ig_config_load_report(const char *text, size_t len, const struct ig_parse_options *opts,
                          const char *name, struct ig_config *c);
