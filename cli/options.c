/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI's one option parser: walks a command line against a personality's
 * table of options and says, word by word, what each is. The personalities
 * differ only in which spellings they accept (CLI_OPTS_*), and each words its
 * own errors (dmsetup's, popt's for veritysetup). */
#include <string.h>
#include "cli/cli.h"

static const struct cli_opt *find(const struct cli_opt *opts, size_t n, const char *name, size_t len,
				  bool has_arg_only)
{
	for (size_t k = 0; k < n; k++)
		if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0 &&
		    (!has_arg_only || opts[k].has_arg))
			return &opts[k];
	return NULL;
}

enum cli_arg cli_args_next(struct cli_args *a, const struct cli_opt *opts, size_t n, const struct cli_opt **opt,
			   const char **val)
{
	*opt = NULL;
	*val = NULL;
	for (;;) {
		if (a->i >= a->argc)
			return CLI_ARG_END;
		const char *w = a->argv[a->i++];
		a->word = w;
		if (a->no_more || w[0] != '-' || w[1] == '\0')
			return CLI_ARG_WORD;
		if (strcmp(w, "--") == 0) {
			a->no_more = true;
			continue;
		}
		/* the whole word: --uuid, -u, -vv */
		const struct cli_opt *o = find(opts, n, w, strlen(w), false);
		if (o) {
			*opt = o;
			if (o->has_arg) {
				if (a->i >= a->argc)
					return CLI_ARG_NO_VALUE;
				*val = a->argv[a->i++];
			}
			return CLI_ARG_OPT;
		}
		/* --name=VALUE (and -n=VALUE where the personality takes it) */
		const char *eq = strchr(w, '=');
		if (eq && (w[1] == '-' || (a->style & CLI_OPTS_SHORT_EQ))) {
			o = find(opts, n, w, (size_t)(eq - w), !(a->style & CLI_OPTS_FLAG_EQ_ERROR));
			if (o && !o->has_arg) {
				*opt = o;
				return CLI_ARG_FLAG_VALUE;
			}
			if (o) {
				*opt = o;
				*val = eq + 1;
				return CLI_ARG_OPT;
			}
		}
		/* -nVALUE */
		if ((a->style & CLI_OPTS_ATTACHED) && w[1] != '-' && w[2] && (o = find(opts, n, w, 2, true))) {
			*opt = o;
			*val = w + 2;
			return CLI_ARG_OPT;
		}
		return CLI_ARG_UNKNOWN;
	}
}
