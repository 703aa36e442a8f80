/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Diagnostics about a config: collected (never "stop at the first"), then
 * printed as `file:line:col: error: $.json.path: message` or as JSON. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ignis/json-index.h"

enum ig_severity {
        IG_SEV_ERROR,
        IG_SEV_WARNING,
};

struct ig_diag {
        enum ig_severity severity;
        uint32_t node;          /* the closest JSON value that exists in the text */
        char *suffix;           /* relative path below node ("path", "devices[1]"), may be NULL */
        size_t offset;          /* position when no node is known (syntax errors); SIZE_MAX if unused */
        bool at_key;            /* point at the member's key rather than its value */
        char *message;
};

/* Diagnostics kept per document: a config of a million erroneous entries
 * must not cost a million messages of memory. Beyond this they are counted,
 * and the printers say how many were left out. */
#define IG_DIAGS_MAX 10000

struct ig_diags {
        struct ig_diag *v;
        size_t n;
        size_t alloc;
        size_t n_errors;        /* all of them, kept or not */
        size_t n_warnings;
        size_t n_dropped;       /* counted but not kept (beyond IG_DIAGS_MAX) */
};

void ig_diag_add(struct ig_diags *d, enum ig_severity sev, uint32_t node, const char *suffix,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ig_diag_addv(struct ig_diags *d, enum ig_severity sev, uint32_t node, const char *suffix,
                  const char *fmt, va_list ap);
/* A diagnostic about an object member's key (unknown, duplicate, ...): it
 * points at the key, as Ignition does. */
void ig_diag_add_key(struct ig_diags *d, enum ig_severity sev, uint32_t node, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* A diagnostic about a byte offset rather than a value (JSON syntax). */
void ig_diag_add_at(struct ig_diags *d, enum ig_severity sev, size_t offset, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define ig_error(d, node, suffix, ...) ig_diag_add((d), IG_SEV_ERROR, (node), (suffix), __VA_ARGS__)
#define ig_warn(d, node, suffix, ...) ig_diag_add((d), IG_SEV_WARNING, (node), (suffix), __VA_ARGS__)

void ig_diags_free(struct ig_diags *d);

/* Orders diagnostics by position in the text (stable for equal positions). */
void ig_diags_sort(struct ig_diags *d, struct ig_jindex *ix);

/* One line per diagnostic: "name:line:col: severity: $.path: message".
 * ix may be NULL (no text, e.g. an empty document): then only "name: ...". */
void ig_diags_print(const struct ig_diags *d, const char *name, struct ig_jindex *ix, FILE *f);

/* Appends a JSON object describing one file's result to an array. */
struct json_object;
struct json_object *ig_diags_to_json(const struct ig_diags *d, const char *name, struct ig_jindex *ix);
