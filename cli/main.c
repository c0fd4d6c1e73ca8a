/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm: the one CLI. Dispatches on the program name (dmsetup, veritysetup) or
 * on the first argument (verity, policy, veritytab, exec, or a dmsetup verb). */
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "udm/udm.h"   /* UDM_LIB_VERSION */

/* udm's synopsis: the dmsetup-family verbs come from the parser's table. */
static void usage_to(FILE *f)
{
	const char *name, *u;

	fprintf(f, "usage: udm [--runtime-dir DIR] VERB ...\n"
		   "       udm help [VERB] | udm VERB --help | udm --version\n"
		   "  dmsetup verbs (udm as dmsetup):\n");
	for (size_t i = 0; (u = cli_dmsetup_usage(i, &name)); i++)
		fprintf(f, "    udm %s\n", u);
	fprintf(f, "  udm verity format|verify|open|close|status|dump ...   (udm as veritysetup; udm verity --help)\n"
		   "  udm policy check|eval|load|update|activate|delete|list|show|enforce|success-audit ...\n"
		   "                                                         (udm policy --help)\n"
		   "  udm veritytab check|open|close [FILE]                 (/etc/udm/veritytab; udm veritytab --help)\n"
		   "  udm exec --restrict-scripts [--] CMD [ARG...]         (udm exec --help)\n");
}

static int usage(void)
{
	usage_to(stderr);
	return 1;
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "-?") == 0;
}

/* udm help VERB, udm VERB --help: the verb's synopsis on stdout. */
static int verb_help(char *verb)
{
	const char *name, *u;

	if (strcmp(verb, "verity") == 0) {
		char *av[] = { verb, (char *)"--help", NULL };
		return cli_verity_main(NULL, 2, av);
	}
	if (strcmp(verb, "policy") == 0) {
		char *av[] = { verb, (char *)"--help", NULL };
		return cli_policy_main(NULL, 2, av);
	}
	if (strcmp(verb, "veritytab") == 0) {
		char *av[] = { verb, (char *)"--help", NULL };
		return cli_veritytab_main(NULL, 2, av);
	}
	if (strcmp(verb, "exec") == 0) {
		char *av[] = { verb, (char *)"--help", NULL };
		return cli_exec_main(2, av);
	}
	for (size_t i = 0; (u = cli_dmsetup_usage(i, &name)); i++)
		if (strcmp(name, verb) == 0) {
			printf("usage: udm %s\n", u);
			return fflush(stdout) ? 1 : 0;
		}
	cli_error("help", "unknown verb '%s'", verb);
	fprintf(stderr, "Try 'udm help'.\n");
	return 1;
}

int main(int argc, char **argv)
{
	char *prog = basename(argv[0]);

	if (strcmp(prog, "veritysetup") == 0)
		return cli_verity_main(NULL, argc, argv);
	if (strcmp(prog, "dmsetup") == 0)
		return cli_dmsetup_main(argc, argv);
	if (argc < 2)
		return usage();
	/* udm help [VERB]; udm help --help is help's own synopsis; udm help -c is
	 * dmsetup's (the report fields) */
	if (strcmp(argv[1], "help") == 0 && argc > 2 && argv[2][0] == '-' && !is_help(argv[2]))
		return cli_dmsetup_main(argc, argv);
	if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		if (strcmp(argv[1], "help") == 0 && argc > 2)
			return verb_help(is_help(argv[2]) ? argv[1] : argv[2]);
		usage_to(stdout);
		return fflush(stdout) ? 1 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("udm %s\n", UDM_LIB_VERSION);
		return fflush(stdout) ? 1 : 0;
	}
	/* udm exec: its own options; CMD's arguments are CMD's (--help too) */
	if (strcmp(argv[1], "exec") == 0)
		return cli_exec_main(argc - 1, argv + 1);
	/* udm VERB ... --help, for the dmsetup-family verbs (verity and policy
	 * answer --help themselves; verity's -h is --hash) */
	if (strcmp(argv[1], "verity") != 0 && strcmp(argv[1], "policy") != 0 &&
	    strcmp(argv[1], "veritytab") != 0 && strcmp(argv[1], "--runtime-dir") != 0)
		for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
			if (strcmp(argv[i], "--help") == 0)
				return verb_help(argv[1]);
	/* udm --runtime-dir DIR verity|policy|veritytab ...: handed to the family */
	const char *rt = NULL;
	if (argc >= 4 && strcmp(argv[1], "--runtime-dir") == 0 &&
	    (strcmp(argv[3], "verity") == 0 || strcmp(argv[3], "policy") == 0 ||
	     strcmp(argv[3], "veritytab") == 0)) {
		rt = argv[2];
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (strcmp(argv[1], "verity") == 0)
		return cli_verity_main(rt, argc - 1, argv + 1);
	if (strcmp(argv[1], "policy") == 0)
		return cli_policy_main(rt, argc - 1, argv + 1);
	if (strcmp(argv[1], "veritytab") == 0)
		return cli_veritytab_main(rt, argc - 1, argv + 1);
	return cli_dmsetup_main(argc, argv);
}
