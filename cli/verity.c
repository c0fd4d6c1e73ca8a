/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm verity (veritysetup): the dispatcher. Options (veritysetup's, popt's
 * messages), --help, --usage, --version, the checks of which options go with
 * which action, and the action itself: format (cli/verity_format.c), verify
 * and dump (cli/verity_verify.c), open, close and status through udmd
 * (cli/verity_open.c); their shared helpers are in cli/verity_setup.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/hex.h"
#include "cli/cli.h"
#include "cli/verity_cli.h"
#include "udm/target.h"   /* udm_parse_u64 */
#include "udm/udm.h"      /* UDM_LIB_VERSION */
#include "verity/verity.h"

static void print_version(void)
{
	/* the veritysetup whose command line and output udm follows, then udm's own */
	printf("veritysetup %s flags: (udm %s)\n", VCLI_COMPAT_VERSION, UDM_LIB_VERSION);
}

/* veritysetup --help (its popt layout), with udm's extra options and the mapper dir. */
static void print_help(const char *runtime_dir)
{
	print_version();
	fputs("Usage: veritysetup [OPTION...] <action> <action-specific>\n"
	      "\n"
	      "Help options:\n"
	      "  -?, --help                           Show this help message\n"
	      "      --usage                          Display brief usage\n"
	      "  -V, --version                        Print package version\n"
	      "      --cancel-deferred                Cancel a previously set deferred device\n"
	      "                                       removal (not supported by udm)\n"
	      "      --check-at-most-once             Verify data block only the first time\n"
	      "                                       it is read\n"
	      "      --data-block-size=bytes          Block size on the data device\n"
	      "      --data-blocks=blocks             The number of blocks in the data file\n"
	      "      --debug                          Show debug messages\n"
	      "      --deferred                       Device removal is deferred until the\n"
	      "                                       last user closes it (not supported by\n"
	      "                                       udm)\n"
	      "      --error-as-corruption            Handle IO error as corruption.\n"
	      "      --fec-device=path                Path to device with error correction\n"
	      "                                       data\n"
	      "      --fec-offset=bytes               Starting offset on the FEC device\n"
	      "      --fec-roots=bytes                FEC parity bytes\n"
	      "      --format=number                  Format type (1 - normal, 0 - original\n"
	      "                                       Chrome OS)\n"
	      "  -h, --hash=string                    Hash algorithm\n"
	      "      --hash-block-size=bytes          Block size on the hash device\n"
	      "      --hash-offset=bytes              Starting offset on the hash device\n"
	      "      --ignore-corruption              Ignore corruption, log it only\n"
	      "      --ignore-zero-blocks             Do not verify zeroed blocks\n"
	      "      --no-superblock                  Do not use verity superblock\n"
	      "      --panic-on-corruption            Panic kernel if corruption is detected\n"
	      "      --restart-on-corruption          Restart kernel if corruption is detected\n"
	      "      --root-hash-file=STRING          Path to root hash file\n"
	      "      --root-hash-signature=STRING     Path to root hash signature file\n"
	      "  -s, --salt=hex string                Salt\n"
	      "      --shared                         Share data device with another verity\n"
	      "                                       segment\n"
	      "      --use-tasklets                   Use kernel tasklets for performance\n"
	      "      --uuid=STRING                    UUID for device to use\n"
	      "  -v, --verbose                        Shows more detailed error messages\n"
	      "\n"
	      "udm options:\n"
	      "  -q, --batch-mode                     Accepted and ignored (udm verity never\n"
	      "                                       asks a question)\n"
	      "      --runtime-dir=DIR                udmd's runtime directory (default\n"
	      "                                       $UDM_RUNTIME_DIR or /run/udm)\n"
	      "\n"
	      "<action> is one of:\n"
	      "\tformat <data_device> <hash_device> - format device\n"
	      "\tverify <data_device> <hash_device> [<root_hash>] - verify device\n"
	      "\topen <data_device> <name> <hash_device> [<root_hash>] - open device as <name>\n"
	      "\tclose <name> - close device (remove mapping)\n"
	      "\tstatus <name> - show active device status\n"
	      "\tdump <hash_device> - show on-disk information\n"
	      "\n", stdout);
	printf("<name> is the device to create under %s/mapper\n"
	       "<data_device> is the data device\n"
	       "<hash_device> is the device containing verification data\n"
	       "<root_hash> hash of the root node on <hash_device>\n"
	       "\nDefault compiled-in dm-verity parameters:\n"
	       "\tHash: sha256, Data block (bytes): 4096, Hash block (bytes): 4096, Salt size: %d, Hash format: 1\n",
	       runtime_dir, VCLI_DEFAULT_SALT_SIZE);
}

static int parse_number(const char *opt, const char *s, uint64_t *out)
{
	(void)opt;
	if (udm_parse_u64(s, out) == 0)
		return 0;
	vcli_usage_error("veritysetup", "invalid numeric value");
	return -EINVAL;
}

enum opt_kind { OPT_FLAG, OPT_STR, OPT_NUM };
struct opt_def {
	const char *name;
	char short_name;
	enum opt_kind kind;
	size_t off;
};
#define O(f) offsetof(struct verity_opts, f)
static const struct opt_def opt_defs[] = {
	{ "hash", 'h', OPT_STR, O(hash) },
	{ "salt", 's', OPT_STR, O(salt) },
	{ "uuid", 0, OPT_STR, O(uuid) },
	{ "fec-device", 0, OPT_STR, O(fec_device) },
	{ "root-hash-file", 0, OPT_STR, O(root_hash_file) },
	{ "data-block-size", 0, OPT_NUM, O(data_block_size) },
	{ "hash-block-size", 0, OPT_NUM, O(hash_block_size) },
	{ "data-blocks", 0, OPT_NUM, O(data_blocks) },
	{ "hash-offset", 0, OPT_NUM, O(hash_offset) },
	{ "fec-offset", 0, OPT_NUM, O(fec_offset) },
	{ "fec-roots", 0, OPT_NUM, O(fec_roots) },
	{ "format", 0, OPT_NUM, O(format) },
	{ "no-superblock", 0, OPT_FLAG, O(no_superblock) },
	{ "verbose", 'v', OPT_FLAG, O(verbose) },
	{ "root-hash-signature", 0, OPT_STR, O(root_hash_signature) },
	{ "runtime-dir", 0, OPT_STR, O(runtime_dir) },
	{ "ignore-corruption", 0, OPT_FLAG, O(ignore_corruption) },
	{ "restart-on-corruption", 0, OPT_FLAG, O(restart_on_corruption) },
	{ "panic-on-corruption", 0, OPT_FLAG, O(panic_on_corruption) },
	{ "error-as-corruption", 0, OPT_FLAG, O(error_as_corruption) },
	{ "ignore-zero-blocks", 0, OPT_FLAG, O(ignore_zero_blocks) },
	{ "check-at-most-once", 0, OPT_FLAG, O(check_at_most_once) },
	{ "use-tasklets", 0, OPT_FLAG, O(use_tasklets) },
	{ "shared", 0, OPT_FLAG, O(shared) },
	{ "deferred", 0, OPT_FLAG, O(deferred) },
	{ "cancel-deferred", 0, OPT_FLAG, O(cancel_deferred) },
	{ "debug", 0, OPT_FLAG, O(debug) },
	{ "batch-mode", 'q', OPT_FLAG, O(batch_mode) },
	{ "help", '?', OPT_FLAG, O(help) },
	{ "usage", 0, OPT_FLAG, O(usage) },
	{ "version", 'V', OPT_FLAG, O(version) },
};
static const struct cli_opt opt_words[] = {
	{ "--hash", true, 0 },
	{ "-h", true, 0 },
	{ "--salt", true, 1 },
	{ "-s", true, 1 },
	{ "--uuid", true, 2 },
	{ "--fec-device", true, 3 },
	{ "--root-hash-file", true, 4 },
	{ "--data-block-size", true, 5 },
	{ "--hash-block-size", true, 6 },
	{ "--data-blocks", true, 7 },
	{ "--hash-offset", true, 8 },
	{ "--fec-offset", true, 9 },
	{ "--fec-roots", true, 10 },
	{ "--format", true, 11 },
	{ "--no-superblock", false, 12 },
	{ "--verbose", false, 13 },
	{ "-v", false, 13 },
	{ "--root-hash-signature", true, 14 },
	{ "--runtime-dir", true, 15 },
	{ "--ignore-corruption", false, 16 },
	{ "--restart-on-corruption", false, 17 },
	{ "--panic-on-corruption", false, 18 },
	{ "--error-as-corruption", false, 19 },
	{ "--ignore-zero-blocks", false, 20 },
	{ "--check-at-most-once", false, 21 },
	{ "--use-tasklets", false, 22 },
	{ "--shared", false, 23 },
	{ "--deferred", false, 24 },
	{ "--cancel-deferred", false, 25 },
	{ "--debug", false, 26 },
	{ "--batch-mode", false, 27 },
	{ "-q", false, 27 },
	{ "--help", false, 28 },
	{ "-?", false, 28 },
	{ "--usage", false, 29 },
	{ "--version", false, 30 },
	{ "-V", false, 30 },
};

static int parse_args(int argc, char **argv, struct verity_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hash = "sha256";
	o->data_block_size = 4096;
	o->hash_block_size = 4096;
	o->fec_roots = VERITY_FEC_DEFAULT_ROOTS;
	o->format = 1;
	const char *threads = getenv("UDM_VERITY_THREADS");
	if (threads && udm_parse_uint(threads, &o->threads)) {
		cli_error("verity", "invalid number in UDM_VERITY_THREADS: '%s'", threads);
		return -EINVAL;
	}
	const char *why;
	if (verity_sha256_env_check(&why)) {
		cli_error("verity", "%s: '%s'", why, getenv("UDM_SHA256_IMPL"));
		return -EINVAL;
	}
	struct cli_args args = { argc, argv, 1, CLI_OPTS_FLAG_EQ_ERROR, false, NULL };
	for (;;) {
		const struct cli_opt *w;
		const char *val;
		enum cli_arg k = cli_args_next(&args, opt_words, sizeof(opt_words) / sizeof(opt_words[0]), &w, &val);
		if (k == CLI_ARG_END)
			break;
		if (k == CLI_ARG_WORD) {
			if (o->nargs == (int)(sizeof(o->args) / sizeof(o->args[0]))) {
				cli_error("verity", "too many arguments");
				return -EINVAL;
			}
			o->args[o->nargs++] = (char *)args.word;
			continue;
		}
		if (k == CLI_ARG_UNKNOWN) {
			vcli_usage_error(args.word, "unknown option");
			return -EINVAL;
		}
		if (k == CLI_ARG_FLAG_VALUE) {
			/* popt's words for a value given to a flag */
			vcli_usage_error(args.word, "option does not take an argument");
			return -EINVAL;
		}
		if (k == CLI_ARG_NO_VALUE) {
			vcli_usage_error(args.word, "missing argument");
			return -EINVAL;
		}
		const struct opt_def *d = &opt_defs[w->id];
		if (d->kind == OPT_FLAG)
			*(bool *)((char *)o + d->off) = true;
		else if (d->kind == OPT_STR)
			*(const char **)((char *)o + d->off) = val;
		else if (parse_number(d->name, val, (uint64_t *)((char *)o + d->off)))
			return -EINVAL;
	}
	if (o->debug)   /* veritysetup: --debug implies --verbose */
		o->verbose = true;
	return 0;
}

/* veritysetup's tools_check_args: an option that belongs to other actions is
 * a usage error naming the first such option in its table's (alphabetical)
 * order; checked only once the action has its required arguments (else the
 * action's own "requires" error comes first), as veritysetup does. */
static bool combination_refused(const struct verity_opts *o);

static bool option_not_allowed(const struct verity_opts *o, const char *verb)
{
	static const struct { const char *verb; int required; } req[] = {
		{ "format", 2 }, { "verify", 2 }, { "open", 3 }, { "close", 1 }, { "status", 1 }, { "dump", 1 },
	};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (strcmp(verb, req[i].verb) == 0 && o->nargs - 1 < req[i].required)
			return false;
	bool open = strcmp(verb, "open") == 0, close = strcmp(verb, "close") == 0;
	bool hash_file = open || strcmp(verb, "format") == 0 || strcmp(verb, "verify") == 0;
	const struct { const char *name; bool set, allowed; } opts[] = {
		{ "cancel-deferred", o->cancel_deferred, close },
		{ "deferred", o->deferred, close },
		{ "error-as-corruption", o->error_as_corruption, open },
		{ "ignore-corruption", o->ignore_corruption, open },
		{ "ignore-zero-blocks", o->ignore_zero_blocks, open },
		{ "panic-on-corruption", o->panic_on_corruption, open },
		{ "restart-on-corruption", o->restart_on_corruption, open },
		{ "root-hash-file", o->root_hash_file != NULL, hash_file },
		{ "root-hash-signature", o->root_hash_signature != NULL, open },
		{ "shared", o->shared, open },
		{ "use-tasklets", o->use_tasklets, open },
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].set && !opts[i].allowed) {
			char msg[128];
			snprintf(msg, sizeof(msg), "Option --%s is not allowed with %s action.", opts[i].name, verb);
			vcli_usage_error("veritysetup", msg);
			return true;
		}
	return combination_refused(o);
}

/* veritysetup's main() checks of option pairs, after tools_check_args: usage errors. */
static bool combination_refused(const struct verity_opts *o)
{
	const char *msg = NULL;
	if (o->ignore_corruption && o->restart_on_corruption)
		msg = "Option --ignore-corruption and --restart-on-corruption cannot be used together.";
	else if (o->panic_on_corruption && o->restart_on_corruption)
		msg = "Option --panic-on-corruption and --restart-on-corruption cannot be used together.";
	else if (o->error_as_corruption && !o->panic_on_corruption && !o->restart_on_corruption)
		msg = "Option --error-as-corruption must be used with --panic-on-corruption or --restart-on-corruption.";
	else if (o->deferred && o->cancel_deferred)
		msg = "Options --cancel-deferred and --deferred cannot be used at the same time.";
	if (msg)
		vcli_usage_error("veritysetup", msg);
	return msg != NULL;
}

/* --debug's first line, as cryptsetup's dbg_version_and_cmd writes it (stdout, '#'). */
static void debug_command_line(int argc, char **argv)
{
	printf("# udm %s processing \"veritysetup", UDM_LIB_VERSION);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\"\n");
}

static int run_verb(struct verity_opts *o, const char *verb)
{
	if (strcmp(verb, "format") == 0)
		return vcli_format(o);
	if (strcmp(verb, "verify") == 0)
		return vcli_verify(o);
	if (strcmp(verb, "dump") == 0)
		return vcli_dump(o);
	if (strcmp(verb, "open") == 0)
		return vcli_open(o);
	if (strcmp(verb, "close") == 0)
		return vcli_close(o);
	return vcli_status(o);
}

int cli_verity_main(const char *rt, int argc, char **argv)
{
	static const char *const verbs[] = { "format", "verify", "dump", "open", "close", "status" };
	struct verity_opts o;
	const char *verb = NULL;

	if (parse_args(argc, argv, &o))
		return EXIT_PARAMS;
	if (!o.runtime_dir)   /* udm --runtime-dir DIR verity ...; verity's own option wins */
		o.runtime_dir = rt;
	/* popt handles these as it meets them, before any action */
	if (o.help) {
		print_help(o.runtime_dir ? o.runtime_dir : cli_runtime_dir(NULL));
		return fflush(stdout) ? 1 : 0;
	}
	if (o.version) {
		print_version();
		return fflush(stdout) ? 1 : 0;
	}
	if (o.usage) {   /* popt: to stderr, exit 0 */
		vcli_print_usage(stderr);
		return 0;
	}
	if (o.nargs < 1) {
		vcli_usage_error("veritysetup", "Argument <action> missing.");
		return EXIT_PARAMS;
	}
	verb = o.args[0];
	if (strcmp(verb, "create") == 0 && o.nargs > 2) {
		/* the old alias: create NAME DATA ... is open DATA NAME ..., options and all */
		char *name = o.args[1];
		o.args[1] = o.args[2];
		o.args[2] = name;
		verb = "open";
	} else if (strcmp(verb, "remove") == 0) {
		verb = "close";
	}
	bool known = false;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known |= strcmp(verb, verbs[i]) == 0;
	if (!known) {
		vcli_usage_error("veritysetup", "Unknown action.");
		return EXIT_PARAMS;
	}
	if (option_not_allowed(&o, verb))
		return EXIT_PARAMS;
	if (o.debug) {
		debug_command_line(argc, argv);
		printf("# Running command %s.\n", verb);
		struct verity_sha256_choice c;
		if ((strcmp(verb, "format") == 0 || strcmp(verb, "verify") == 0) && verity_sha256_choose(&c) == 0)
			printf("# SHA-256 path: %s, single blocks: %s (%s).\n", verity_sha256_impl_name(c.impl),
			       verity_sha256_impl_name(c.small), verity_sha256_choice_source(&c));
	}
	int code = run_verb(&o, verb);
	/* cryptsetup's show_status: every action ends with its verdict under -v */
	if (o.verbose && !vcli_usage_failed())
		vcli_report_verbose(code);
	if (fflush(stdout) && !code)
		code = 1;
	return code;
}
