/* SPDX-License-Identifier: BSD-3-Clause */
/* builtin.h -- the pmkv-cli commands, one cmd-<verb>.c each */
#ifndef PMKV_CLI_BUILTIN_H
#define PMKV_CLI_BUILTIN_H

/*
 * Each command gets its own argv, argv[0] being the command's name, and
 * returns the process exit code: CLI_OK, CLI_FAIL or CLI_USAGE (util.h),
 * or for salvage CLI_DAMAGED.
 */
int cmd_create(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_put(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_salvage(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif /* PMKV_CLI_BUILTIN_H */
