/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

int cmd_validate(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_fetch_config(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_boot_network(int argc, char **argv);
