/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The udm CLI: one binary, one entry point per verb family. */
#ifndef UDM_CLI_H
#define UDM_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each family takes argv with argv[0] = the family name ("verity", "policy")
 * or the verb for dmsetup. Returns the process exit status. */
int cli_dmsetup_main(int argc, char **argv);   /* cli/dmsetup.c */
int cli_verity_main(int argc, char **argv);    /* cli/verity.c  */
int cli_policy_main(int argc, char **argv);    /* cli/policy.c  */
int cli_exec_main(int argc, char **argv);      /* cli/exec.c    */
int cli_veritytab_main(int argc, char **argv); /* cli/veritytab.c */

/* For udm help (cli/main.c): the i-th dmsetup-family verb's name and synopsis
 * ("create NAME [--uuid UUID] ..."), NULL past the last. The parser's own
 * table, so help lists every verb it accepts. */
const char *cli_dmsetup_usage(size_t i, const char **name);

/* "udm: WHAT: REASON" on stderr. */
void cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_verror(const char *what, const char *fmt, va_list ap);

/* One request to udmd (cli/client.c). Returns 0 once udmd answered: its
 * status (0 or -errno) and text (malloc'd, NUL-terminated) are in *rep;
 * CLI_UDMD_UNREACHABLE if udmd could not be reached (said unless quiet);
 * 1 after any other failure (said). With rep->keep_fd set, the connection
 * stays open in rep->fd (for a reply that ends with EOF, as shutdown's). */
#define CLI_UDMD_UNREACHABLE 2
struct cli_reply {
	int status;
	char *text;
	size_t len;
	bool keep_fd;
	int fd;
};
int cli_udmd_ask(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned argc,
		 const char *const *argv, bool quiet, struct cli_reply *rep);
/* udmd's refusal as one line: "udm: WHAT: ERRNO TEXT[: DETAIL]". */
void cli_reply_error(const char *what, const struct cli_reply *rep);

#endif
