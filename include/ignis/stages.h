/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "ignis/config.h"

struct cmdline;

/* How `ignis run` was asked to run a stage. */
struct stage_options {
        const char *stage;
        const char *platform;           /* NULL: ignition.platform.id from the command line */
        const char *root;               /* the target, /sysroot */
        const char *cache;              /* /run/ignis/config.json; state.json beside it */
        const char *cmdline_file;       /* /proc/cmdline */
        const char *console_dir;        /* /dev: where the failure summary goes */
};

bool stage_name_valid(const char *name);

/* Runs one stage; on failure prints the summary on every console. */
int stage_run(const struct stage_options *o);

/* fetch-offline/fetch: find, render, check and cache the config. */
int stage_fetch(const char *platform, const struct cmdline *cl, const char *cache, bool offline);
int stage_write_cache(const struct ig_config *c, bool user_config_provided, const char *cache);
int stage_read_state(const char *cache, bool *user_config_provided);

/* The files stage against a root directory: users and groups, then files,
 * directories and links, then units, then the result file, then SELinux
 * labels; everything synced to disk before it returns 0. */
int stage_files(const struct ig_config *c, const char *root, bool user_config_provided);

/* The disks stage's RAID, LUKS and filesystem steps (storage.h), in
 * Ignition's order; state_dir receives what the files stage persists. */
int stage_volumes_disks(const struct ig_config *c, const char *state_dir);

/* Replaces c with its rendered form: ignition.config.replace or the merge
 * list fetched, validated and merged (recursively), as Ignition does; the
 * merged result validated again. Returns 0 or a negative errno (logged). */
int stage_render_config(struct ig_config *c);

/* Checks, before anything is touched, that every resource the files stage
 * needs can be had by this build (today: data: URLs only). Logs each one
 * that cannot. Returns 0 or -EOPNOTSUPP. */
int stage_files_check_sources(const struct ig_config *c);
