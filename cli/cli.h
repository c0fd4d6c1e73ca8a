/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The udm CLI: one binary, one entry point per verb family. */
#ifndef UDM_CLI_H
#define UDM_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each family takes argv with argv[0] = the family name ("verity", "policy")
 * or the verb for dmsetup. Returns the process exit status. rt: the runtime
 * directory given before the family (udm --runtime-dir DIR verity ...), or
 * NULL; an option of the family's own still wins. */
int cli_dmsetup_main(int argc, char **argv);   /* cli/dmsetup.c */
int cli_verity_main(const char *rt, int argc, char **argv);    /* cli/verity.c  */
int cli_policy_main(const char *rt, int argc, char **argv);    /* cli/policy.c  */
int cli_exec_main(int argc, char **argv);                       /* cli/exec.c    */
int cli_veritytab_main(const char *rt, int argc, char **argv); /* cli/veritytab.c */

/* For udm help (cli/main.c): the i-th dmsetup-family verb's name and synopsis
 * ("create NAME [--uuid UUID] ..."), NULL past the last. The parser's own
 * table, so help lists every verb it accepts. */
const char *cli_dmsetup_usage(size_t i, const char **name);

/* The one option parser (cli/options.c). A personality lists its options
 * (name: the whole word, "--uuid", "-u"; has_arg: takes a value) and walks
 * its command line with cli_args_next, which returns what the next word is:
 * a positional WORD (after "--", or not starting with '-', or "-" alone), an
 * OPT (*opt, and its value *val: the next word, or after '=', or attached), or
 * one of the errors, for the personality to word; a->word is the word. */
struct cli_opt {
	const char *name;
	bool has_arg;
	int id;
};
enum {
	CLI_OPTS_ATTACHED = 1 << 0,        /* -oVALUE: a two-letter option with its value attached */
	CLI_OPTS_SHORT_EQ = 1 << 1,        /* -o=VALUE, as --option=VALUE */
	CLI_OPTS_FLAG_EQ_ERROR = 1 << 2,   /* --flag=VALUE is FLAG_VALUE (else: UNKNOWN) */
};
struct cli_args {
	int argc;
	char **argv;
	int i;                              /* the next word */
	unsigned style;                     /* CLI_OPTS_* */
	bool no_more;                       /* "--" seen: only words follow */
	const char *word;                   /* the word last returned (the option itself for an OPT) */
};
enum cli_arg { CLI_ARG_END, CLI_ARG_WORD, CLI_ARG_OPT, CLI_ARG_UNKNOWN, CLI_ARG_NO_VALUE, CLI_ARG_FLAG_VALUE };
enum cli_arg cli_args_next(struct cli_args *a, const struct cli_opt *opts, size_t n, const struct cli_opt **opt,
			   const char **val);

/* "udm: WHAT: REASON" on stderr (cli/error.c). */
void cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_verror(const char *what, const char *fmt, va_list ap);

/* udmd's runtime directory: given (the most specific --runtime-dir), else
 * $UDM_RUNTIME_DIR, else /run/udm; an empty one is not one (cli/client.c). */
const char *cli_runtime_dir(const char *given);

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
/* One request: 0 with the reply (malloc'd, NUL-terminated) in *reply, or 1
 * after printing one error line (udmd unreachable, or its refusal). */
int cli_request(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned nargs,
		const char **args, char **reply, size_t *rlen);
/* The same with a record stream after the arguments (a table; NULL: none);
 * a stream that failed to build (recs->err) is said and not sent. */
struct udm_rec_buf;
int cli_udmd_ask_recs(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned argc,
		      const char *const *argv, const struct udm_rec_buf *recs, bool quiet, struct cli_reply *rep);
int cli_request_recs(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned nargs,
		     const char **args, const struct udm_rec_buf *recs, char **reply, size_t *rlen);

/* udmd's structured reply read (cli/reply.c): the devices in it, each with
 * the table entries, status entries and dependencies that follow its record
 * (lib/util/proto.h). Strings point into the reply, which must outlive it. */
struct cli_entry {
	uint64_t start, length;
	const char *type, *params;
};
struct cli_dep {
	unsigned major, minor;          /* 0 0: a file */
	const char *path;               /* the file, or where the device is seen; NULL if unknown */
	const char *backing;            /* a loop device's file, NULL if none */
};
struct cli_dev {
	const char *name, *uuid;
	const char *loop;               /* /dev/loopN it is attached to, "" if none */
	const char *path;               /* verity_status: where it is seen (MAPPER/NAME), NULL if not said */
	unsigned major, minor, flags;   /* UDM_F_* */
	int open;
	uint32_t events, targets;
	uint64_t sectors;
	bool is_signed;                 /* verity_status: a valid root hash signature */
	struct cli_entry *table, *status;
	size_t ntable, nstatus;
	struct cli_dep *deps;
	size_t ndeps;
};
struct cli_devs {
	struct cli_dev *dev;
	size_t n;
};
/* 0, or 1 after saying "malformed reply from udmd" (what: the verb). */
int cli_devs_parse(const char *what, const void *reply, size_t len, struct cli_devs *out);
void cli_devs_free(struct cli_devs *d);

#endif
