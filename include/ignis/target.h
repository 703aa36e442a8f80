/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Writing a config into a target root (the files stage). Each function logs
 * its own failure, naming the config entry, and returns a negative errno;
 * the stage stops at the first failure, as Ignition does. */

#include <stdbool.h>
#include <sys/types.h>

#include "ignis/config.h"
#include "ignis/exec.h"
#include "ignis/rootfs.h"

struct target {
        struct root root;
        /* Paths this run created (for SELinux relabelling). */
        struct ig_strv created;
        size_t created_alloc;
        /* setfiles, started early by target_relabel_start() */
        bool relabel_started;
        struct exec_child relabel;
        char *root_host;        /* the root's host path, symlinks resolved (for setfiles) */
        /* ignis apply --no-target-programs: nothing of the target runs */
        bool no_target_programs;
};

int target_open(const char *path, struct target *t);
void target_close(struct target *t);

/* Remembers a path the run created, for relabelling. */
void target_note_created(struct target *t, const char *path);
/* Sorts the created paths and drops those below another one (relabelled
 * with it). */
void target_created_minimal(struct target *t);

/* Users and groups (shadow-utils with --root) and SSH keys. */
int target_passwd_apply(struct target *t, const struct ig_passwd *p);

/* Before anything is written: the account files shadow-utils will open must
 * be regular files (or symlinks, which it follows inside the chroot). */
int target_passwd_check(struct target *t, const struct ig_passwd *p);

/* --no-target-programs, before anything is written: refuses (logged, each
 * entry, -EPERM) every user and group entry that needs shadow-utils. */
int target_passwd_check_no_programs(struct target *t, const struct ig_passwd *p);

/* storage.files, .directories and .links, in Ignition's order. */
int target_nodes_apply(struct target *t, const struct ig_storage *s);

/* systemd units, drop-ins, masks and the preset file. */
int target_units_apply(struct target *t, const struct ig_systemd *s);

/* Checks, before anything is written, what the units would write
 * through: a preset file that is not a regular file is refused. */
int target_units_check(struct target *t, const struct ig_systemd *s);

/* Removes the enablement symlinks of the named units as `systemctl --root
 * ROOT disable -- NAMES` (systemd 252) does, without running it. Returns 1
 * when done, 0 when some name needs what only systemctl models (nothing was
 * changed: the caller runs systemctl for all names), or a negative errno
 * (logged). */
int target_units_disable(struct target *t, char *const *names, size_t n);

/* --no-target-programs, before anything is written: refuses (logged,
 * -EPERM) disabled units whose systemctl fallback would run the target's
 * update-rc.d (SysV scripts). */
int target_units_check_no_programs(struct target *t, const struct ig_config *c);

/* Refuses (logged, -EXDEV) when a directory `systemctl --root` would use
 * resolves differently on the host than inside the root. */
int target_units_check_systemctl(struct target *t);

/* /etc/.ignition-result.json */
int target_result_write(struct target *t, bool user_config_provided);

/* setfiles over what the run created, when the target has an SELinux
 * policy. target_relabel_start() spawns it before the stage writes anything
 * (it loads the policy meanwhile); target_relabel() hands it the paths and
 * waits. Without a start, target_relabel() does both. */
int target_relabel_start(struct target *t);
/* --no-target-programs, before anything is written: refuses (logged,
 * -EPERM) a target with an active SELinux policy (setfiles would load it),
 * and a config that writes into /etc/selinux (config_selinux). */
int target_relabel_check_no_programs(struct target *t, bool config_selinux);
int target_relabel(struct target *t);

/* Name lookups in the target root's /etc/passwd and /etc/group (not the
 * host's): users created earlier in the same run are visible. Return 0,
 * -ENOENT when there is no such entry, or another negative errno. */
int target_lookup_user(struct target *t, const char *name, uid_t *uid, gid_t *gid, char **home);
int target_lookup_uid(struct target *t, uid_t uid, char **name, gid_t *gid, char **home);
int target_lookup_group(struct target *t, const char *name, gid_t *gid);
