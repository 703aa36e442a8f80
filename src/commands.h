/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

int cmd_validate(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_fetch_config(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* cmd-report.c, also for delete-config: a file of the stages' state
 * directory without its trailing newline (NULL if absent), and the platform
 * the stages used when platform is auto or unset (*buf holds it). */
char *state_read_line(const char *dir, const char *name);
const char *state_platform(const char *dir, const char *platform, char **buf);
int cmd_delete_config(int argc, char **argv);
int cmd_boot_network(int argc, char **argv);
