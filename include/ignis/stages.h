/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "ignis/config.h"

struct cmdline;
struct storage_options;

/* How `ignis run` was asked to run a stage. */
struct stage_options {
        const char *stage;
        const char *platform;           /* NULL: ignition.platform.id from the command line */
        const char *root;               /* the target, /sysroot */
        const char *cache;              /* /run/ignis/config.json; state.json beside it */
        const char *cmdline_file;       /* /proc/cmdline */
        const char *console_dir;        /* /dev: where the failure summary goes */
        unsigned device_timeout_s;      /* disks: how long to wait for each device */
};

bool stage_name_valid(const char *name);

/* Runs one stage; on failure prints the summary on every console. */
int stage_run(const struct stage_options *o);

/* fetch-offline/fetch: find, render, check and cache the config. */
int stage_fetch(const char *platform, const struct cmdline *cl, const char *cache, bool offline);
int stage_write_cache(const struct ig_config *c, bool user_config_provided, const char *cache);
int stage_read_state(const char *cache, bool *user_config_provided);

/* The platform in the state directory beside the cache (platform-state.c).
 * stage_platform(): platform itself if it names one; for auto/none the id
 * kept there, else the detected one, which it keeps (*buf is freed by the
 * caller). stage_platform_flags(): need-report where the platform takes a
 * report. stage_platform_failed(): the failure line, and the platform's
 * failure report. */
const char *stage_platform(const char *cache, const char *platform, char **buf);
void stage_platform_flags(const char *cache, const char *platform);
void stage_platform_failed(const char *cache, const char *stage, const char *platform);
/* The files a provider wants in the target (fetched_config.files) merged
 * into c as storage.files entries (data: URLs, overwrite), after the user
 * config, so the files stage writes them like any other. 0 or a negative
 * errno (logged). */
struct fetched_config;
int stage_merge_provider_files(const struct fetched_config *fc, struct ig_config *c);

/* The files stage against a root directory: users and groups, then files,
 * directories and links, then units, then the result file, then SELinux
 * labels; everything synced to disk before it returns 0. */
int stage_files(const struct ig_config *c, const char *root, bool user_config_provided);
struct stage_files_options {
        /* Refuse, before anything is written, whatever would run a program
         * of the target (ignis apply --no-target-programs). */
        bool no_target_programs;
        /* set on failure when the stage stopped before its first write */
        bool nothing_written;
};
int stage_files_opts(const struct ig_config *c, const char *root, bool user_config_provided,
                     struct stage_files_options *o);

/* The disks stage: devices, partitions, RAID, LUKS, filesystems (storage.h). */
int stage_disks(const struct ig_config *c, const struct storage_options *o);

/* Replaces c with its rendered form: ignition.config.replace or the merge
 * list fetched, validated and merged (recursively), as Ignition does; the
 * merged result validated again. Returns 0 or a negative errno (logged). */
int stage_render_config(struct ig_config *c);

/* Checks, before anything is touched, that every resource the files stage
 * needs can be had: when the global fetch settings say offline, only local
 * ones (data:, file:). Logs each one that cannot. Returns 0 or -ENETUNREACH. */
int stage_files_check_sources(const struct ig_config *c);
