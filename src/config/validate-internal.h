/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared pieces of the config validator (validate*.c). Not a public API. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ignis/config.h"
#include "ignis/diag.h"

struct vctx {
        const struct ig_config *c;
        struct ig_diags *d;
        enum ig_spec spec;
};

/* Where a finding is reported: a node, and a prefix for the field suffix.
 * The prefix is used when the object itself is absent from the JSON (its node
 * is IG_NODE_NONE) and we have to name it from its parent. */
struct vloc {
        uint32_t node;
        const char *prefix;     /* "" or e.g. "contents" */
};

/* The location of an object: itself if present, else its parent + name. */
static inline struct vloc vloc_of(uint32_t node, uint32_t parent, const char *name_in_parent)
{
        if (node != IG_NODE_NONE)
                return (struct vloc) { node, "" };
        return (struct vloc) { parent, name_in_parent };
}

static inline struct vloc vloc_node(uint32_t node)
{
        return (struct vloc) { node, "" };
}

void v_report(struct vctx *v, enum ig_severity sev, struct vloc at, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
#define v_error(v, at, field, ...) v_report((v), IG_SEV_ERROR, (at), (field), __VA_ARGS__)
#define v_warn(v, at, field, ...) v_report((v), IG_SEV_WARNING, (at), (field), __VA_ARGS__)

static inline bool v_nonempty(const char *s)
{
        return s && *s;
}

/* ---- paths (validate.c) ---- */

/* Go's path.Clean(), which Ignition uses to decide whether a path is "clean". */
char *v_path_clean(const char *p);

/* Ignition's validatePath(): non-empty, absolute, clean. Reports and returns
 * false when p is not. */
bool v_check_path(struct vctx *v, struct vloc at, const char *field, const char *p);

/* Mode rules shared by files and directories. */
void v_check_mode(struct vctx *v, struct vloc at, struct ig_int mode);

/* ---- duplicate detection (validate.c) ---- */

struct vset_entry {
        const char *key;
        uint64_t hash;          /* of key: compared before the text */
        const char *list;       /* e.g. "storage.files", for messages */
        size_t index;
        int kind;               /* caller-defined */
};

struct vset {
        struct vset_entry *v;
        size_t n, alloc;        /* alloc is a power of two */
};

void vset_free(struct vset *s);
/* Inserts key; when it is already present, returns the existing entry and
 * inserts nothing. Keys are not copied. */
const struct vset_entry *vset_add(struct vset *s, const char *key, const char *list, size_t index, int kind);
const struct vset_entry *vset_find(const struct vset *s, const char *key);
const struct vset_entry *vset_find_n(const struct vset *s, const char *key, size_t len);

/* The set's hash (64-bit FNV-1a), computable byte by byte: a caller that
 * looks up every prefix of a long string extends one hash instead of
 * hashing each prefix anew (which is quadratic in the length). */
#define VSET_HASH_INIT 1469598103934665603ull
static inline uint64_t vset_hash_byte(uint64_t h, char c)
{
        return (h ^ (unsigned char) c) * 1099511628211ull;
}
/* vset_find_n() with the hash of key[0..len) already known. */
const struct vset_entry *vset_find_nh(const struct vset *s, const char *key, size_t len, uint64_t hash);

/* Calls report for every string of lists that an earlier one (in list
 * order, then index order) repeats, naming the first occurrence. */
void v_find_dups(const struct ig_strv *const *lists, size_t n_lists,
                 void (*report)(struct vctx *v, void *ud, size_t list, size_t index, size_t first_list, size_t first_index),
                 struct vctx *v, void *ud);

/* Duplicate strings in a string list: "field[i]" below node. */
void v_check_strv_dups(struct vctx *v, uint32_t node, const char *field, const struct ig_strv *l);

/* ---- URLs (validate-url.c) ---- */

/* The parts of a URL as Go's net/url.Parse sees them (offsets into the string). */
struct v_url {
        size_t scheme_len;              /* 0: no scheme */
        bool opaque;                    /* "scheme:rest" without "//" or "/" */
        size_t opaque_off, opaque_len;
        bool has_query;
        size_t query_off, query_len;
        bool has_authority;
        size_t host_off, host_len;
};

/* Parses like Go's url.Parse; on failure returns -EINVAL and sets *why. */
int v_url_parse(const char *s, struct v_url *u, const char **why);

/* Lower-cased scheme of a parsed URL into buf ("" when none). */
const char *v_url_scheme(const char *s, const struct v_url *u, char *buf, size_t size);

/* Ignition's validateURL() for this spec version, plus ignis' own checks.
 * Reports at (at, field). Returns 0 if the URL is valid, -EINVAL otherwise. */
int v_check_url(struct vctx *v, struct vloc at, const char *field, const char *url);

/* http(s) URL check used by Tang servers and proxies: returns 0 for http or
 * https, -EPROTO for another scheme, -EINVAL if unparsable (*why set). */
int v_check_http_url(const char *url, const char **scheme_out, char *buf, size_t size, const char **why);

/* ---- resources (validate.c) ---- */

enum vres_kind {
        VRES_CONFIG_MERGE,
        VRES_CONFIG_REPLACE,
        VRES_CA,
        VRES_FILE_CONTENTS,
        VRES_FILE_APPEND,
        VRES_LUKS_KEY,
};

void v_check_resource(struct vctx *v, const struct ig_resource *res, struct vloc at, enum vres_kind kind);

/* ---- sections ---- */

void v_storage_devices(struct vctx *v);         /* validate-storage.c */
void v_storage_nodes(struct vctx *v);           /* validate-nodes.c */
void v_systemd(struct vctx *v);                 /* validate-systemd-passwd.c */
void v_passwd(struct vctx *v);
void v_kernel_arguments(struct vctx *v);

/* Unit file syntax as go-systemd's deserializer (what Ignition uses) sees it.
 * Returns 0 when it parses (*has_install tells whether any option sits in an
 * [Install] section, *n_options how many options there are), or -EINVAL with
 * a static explanation in *why. *warn receives a note about questionable but
 * accepted syntax (NULL if none). */
int v_unit_parse(const char *text, bool *has_install, size_t *n_options, const char **why, const char **warn);
