// SPDX-License-Identifier: BSD-3-Clause
/* main.c -- pmkv-cli: global options and the command table */
#include <stdio.h>
#include <string.h>

#include <libpmkv.h>

#include "config.h"
#include "builtin.h"
#include "util.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "create", cmd_create, "create an empty pool" },
	{ "info", cmd_info, "show a pool's medium, sizes and counters" },
	{ "put", cmd_put, "insert or overwrite a key, its value given or in a file" },
	{ "get", cmd_get, "print a key's value, or write it to a file" },
	{ "delete", cmd_delete, "remove a key" },
	{ "scan", cmd_scan, "list keys and values in key order, either way, or count them" },
	{ "salvage", cmd_salvage, "copy what a damaged pool holds to a new pool" },
	{ "backup", cmd_backup, "copy a pool into a backup file, whole or incremental" },
	{ "restore", cmd_restore, "make a new pool from a backup" },
	{ "verify", cmd_verify, "check a backup and its chain" },
	{ "bench", cmd_bench, "measure the engine (db_bench names and flags)" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: pmkv-cli [-V | --version] [-h | --help] <command> [<args>]\n"
	      "\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\n'pmkv-cli <command> --help' shows a command's options;"
	      " see pmkv-cli(1).\n", f);
}

static void version(void)
{
	int major, minor;

	pmkv_version(&major, &minor);
	printf("pmkv-cli %s\n", PMKV_VERSION_STRING);
	printf("libpmkv %d.%d (built against %d.%d)\n", major, minor,
	       PMKV_VERSION_MAJOR, PMKV_VERSION_MINOR);
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		version();
		return util_close_stdout("--version", CLI_OK);
	}
	if (!strcmp(name, "-h") || !strcmp(name, "--help") ||
	    !strcmp(name, "help")) {
		usage(stdout);
		return util_close_stdout("--help", CLI_OK);
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	if (name[0] == '-')
		fprintf(stderr, "pmkv-cli: unknown option '%s'\n", name);
	else
		fprintf(stderr, "pmkv-cli: unknown command '%s'\n", name);
	usage(stderr);
	return CLI_USAGE;
}
