/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "ignis/config.h"

/* The files stage against a root directory: users and groups, then files,
 * directories and links, then units, then the result file, then SELinux
 * labels; everything synced to disk before it returns 0. */
int stage_files(const struct ig_config *c, const char *root, bool user_config_provided);

/* Replaces c with its rendered form: ignition.config.replace or the merge
 * list fetched, validated and merged (recursively), as Ignition does; the
 * merged result validated again. Returns 0 or a negative errno (logged). */
int stage_render_config(struct ig_config *c);

/* Checks, before anything is touched, that every resource the files stage
 * needs can be had by this build (today: data: URLs only). Logs each one
 * that cannot. Returns 0 or -EOPNOTSUPP. */
int stage_files_check_sources(const struct ig_config *c);
