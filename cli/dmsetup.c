/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dmsetup personality: parse dmsetup's arguments, send requests to udmd
 * over RUNTIME/control, print its reply (udmd sends records, dmsetup_text.c
 * writes dmsetup's text) or one error line. Column reports, device selection by uuid or number,
 * several devices per command, --target and the verbs without a daemon
 * request (splitname, udev cookies) are in dmsetup_local.c, on top of udmd's
 * raw report (UDM_CMD_DM_REPORT). udm's own verbs (attach, watch, enforce,
 * shutdown, ...) take the same command line and are run by udm_verbs.c. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/dmsetup.h"
#include "udm/udm.h"
#include "util/proto.h"

static const struct verb verbs[] = {
	{ "create", UDM_CMD_DM_CREATE, 1, 2, OPT_UUID | OPT_READONLY | OPT_NOTABLE | OPT_TABLE,
	  "create NAME [--uuid UUID] [--readonly] [--notable | --table TABLE | FILE]", 0, false, false },
	{ "load", UDM_CMD_DM_LOAD, 1, 2, OPT_READONLY | OPT_TABLE, "load NAME [--table TABLE | FILE]", 0, false, false },
	{ "reload", UDM_CMD_DM_LOAD, 1, 2, OPT_READONLY | OPT_TABLE, "reload NAME [--table TABLE | FILE]", 0, false, false },
	{ "resume", UDM_CMD_DM_RESUME, 1, -1, OPT_NOFLUSH | OPT_NOLOCKFS, "resume NAME...", 0, true, false },
	{ "suspend", UDM_CMD_DM_SUSPEND, 1, -1, OPT_NOFLUSH | OPT_NOLOCKFS, "suspend [--noflush] [--nolockfs] NAME...", 0, true, false },
	{ "remove", UDM_CMD_DM_REMOVE, 1, -1, OPT_FORCE | OPT_DEFERRED, "remove [--force] [--deferred] [--retry] NAME...", 0, true, false },
	{ "remove_all", UDM_CMD_DM_REMOVE_ALL, 0, 0, OPT_FORCE | OPT_DEFERRED, "remove_all [--force] [--deferred]", 0, false, false },
	{ "rename", UDM_CMD_DM_RENAME, 2, 2, OPT_SETUUID, "rename NAME NEWNAME | rename NAME --setuuid UUID", 0, false, false },
	{ "clear", UDM_CMD_DM_CLEAR, 1, 1, 0, "clear NAME", 0, true, false },
	{ "table", UDM_CMD_DM_TABLE, 0, -1, OPT_INACTIVE, "table [--inactive] [--target TYPE] [--showkeys] [NAME...]", 0, true, false },
	/* status with no NAME is dmsetup's (every device); udmd's own state is --daemon */
	{ "status", UDM_CMD_DM_STATUS, 0, -1, OPT_INACTIVE | OPT_NOFLUSH | OPT_DAEMON,
	  "status [--inactive] [--target TYPE] [NAME...] | status --daemon", 0, true, false },
	{ "info", UDM_CMD_DM_INFO, 0, -1, OPT_INACTIVE, "info [-c [-o FIELDS] [--noheadings] [--separator S]] [NAME...]", 0, true, false },
	{ "ls", UDM_CMD_DM_LS, 0, 0, 0, "ls [--target TYPE] [--tree]", 0, false, false },
	{ "deps", UDM_CMD_DM_DEPS, 0, -1, OPT_INACTIVE, "deps [NAME...]", 0, true, false },
	{ "message", UDM_CMD_DM_MESSAGE, 3, -1, 0, "message NAME SECTOR MESSAGE...", 0, false, false },
	{ "targets", UDM_CMD_DM_TARGETS, 0, 0, 0, "targets", 0, false, false },
	{ "target-version", UDM_CMD_DM_TARGETS, 0, -1, 0, "target-version [TARGET...]", L_TARGET_VERSION, false, false },
	{ "version", UDM_CMD_DM_VERSION, 0, 0, 0, "version", 0, false, false },
	{ "wait", UDM_CMD_DM_WAIT, 1, 2, OPT_INACTIVE | OPT_NOFLUSH, "wait NAME [EVENT_NR]", 0, false, false },
	{ "mknodes", UDM_CMD_DM_MKNODES, 0, -1, 0, "mknodes [NAME...]", 0, true, false },
	{ "wipe_table", 0, 1, -1, OPT_FORCE | OPT_NOFLUSH | OPT_NOLOCKFS, "wipe_table [--noflush] [--nolockfs] NAME...", L_WIPE_TABLE, true, false },
	{ "measure", 0, 0, -1, 0, "measure [NAME...]", L_MEASURE, true, false },
	{ "mangle", 0, 0, -1, 0, "mangle [NAME...]", L_MANGLE, true, false },
	{ "setgeometry", 0, 5, 5, 0, "setgeometry NAME CYL HEAD SECT START", L_SETGEOMETRY, false, false },
	{ "splitname", 0, 1, 2, 0, "splitname NAME [SUBSYSTEM]", L_SPLITNAME, false, false },
	{ "udevcookies", 0, 0, 0, 0, "udevcookies", L_UDEVCOOKIES, false, false },
	{ "udevcomplete", 0, 1, 1, 0, "udevcomplete COOKIE", L_UDEVCOMPLETE, false, false },
	{ "udevcomplete_all", 0, 0, 1, 0, "udevcomplete_all [AGE_IN_MINUTES]", L_UDEVCOMPLETE_ALL, false, false },
	{ "udevcreatecookie", 0, 0, 0, 0, "udevcreatecookie", L_UDEVCREATECOOKIE, false, false },
	{ "udevreleasecookie", 0, 0, 1, 0, "udevreleasecookie [COOKIE]", L_UDEVRELEASECOOKIE, false, false },
	{ "udevflags", 0, 1, 1, 0, "udevflags COOKIE", L_UDEVFLAGS, false, false },
	{ "help", 0, 0, 0, 0, "help [-c]", L_HELP, false, false },
	/* udm's own verbs: the same command line, run by cli/udm_verbs.c */
	{ "attach", UDM_CMD_DM_ATTACH, 1, 1, 0, "attach NAME", 0, false, true },
	{ "detach", UDM_CMD_DM_DETACH, 1, 1, OPT_FORCE, "detach [--force] NAME", 0, false, true },
	{ "watch", 0, 1, 2, 0, "watch add|remove PATH | watch list", L_WATCH, false, true },
	{ "enforce", UDM_CMD_ENFORCE_STATUS, 1, 1, 0, "enforce status|stop", 0, false, true },
	{ "shutdown", UDM_CMD_SHUTDOWN, 0, 0, OPT_FORCE, "shutdown [--force]", 0, false, true },
	{ "ping", UDM_CMD_PING, 0, 0, 0, "ping", 0, false, true },
};
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

/* The i-th verb the command line accepts, NULL past the last. */
static const struct verb *verb_at(size_t i)
{
	return i < NVERBS ? &verbs[i] : NULL;
}

static const struct verb *find_verb(const char *name)
{
	const struct verb *v;
	for (size_t i = 0; (v = verb_at(i)); i++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static int usage_error(const char *what, const char *msg, const struct verb *v)
{
	cli_error(what, "%s", msg);
	if (v)
		fprintf(stderr, "usage: udm %s\n", v->usage);
	else
		fprintf(stderr, "Try 'udm --help'.\n");
	return 1;
}

enum { V_NONE, V_UUID, V_TABLE, V_FIELDS, V_SEPARATOR, V_TARGET, V_MAJOR, V_MINOR, V_SORT, V_SELECT, V_IGNORED,
       V_COLUMNS, V_NOHEADINGS, V_NAMEPREFIXES, V_TREE, V_SHOWKEYS, V_RETRY, V_VERSION, V_HELP, V_VERBOSE };

/* dmsetup's options. id: the OPT_* bit (which verbs take it) and, for one
 * with a value or a meaning of its own, the V_* it is (OPT_ID). */
#define OPT_ID(bit, v) ((int)(bit) | (v) << 16)
#define OPT_BIT(id) ((unsigned)(id) & 0xffffu)
#define OPT_V(id) ((id) >> 16)
static const struct cli_opt options[] = {
	{ "--uuid", true, OPT_ID(OPT_GLOBAL, V_UUID) },
	{ "-u", true, OPT_ID(OPT_GLOBAL, V_UUID) },
	{ "--readonly", false, OPT_ID(OPT_READONLY, 0) },
	{ "-r", false, OPT_ID(OPT_READONLY, 0) },
	{ "--notable", false, OPT_ID(OPT_NOTABLE, 0) },
	{ "-n", false, OPT_ID(OPT_NOTABLE, 0) },
	{ "--table", true, OPT_ID(OPT_TABLE, V_TABLE) },
	{ "--inactive", false, OPT_ID(OPT_INACTIVE, 0) },
	{ "--noflush", false, OPT_ID(OPT_NOFLUSH, 0) },
	{ "--nolockfs", false, OPT_ID(OPT_NOLOCKFS, 0) },
	{ "--force", false, OPT_ID(OPT_FORCE, 0) },
	{ "-f", false, OPT_ID(OPT_FORCE, 0) },
	{ "--deferred", false, OPT_ID(OPT_DEFERRED, 0) },
	{ "--setuuid", false, OPT_ID(OPT_SETUUID, 0) },
	{ "--daemon", false, OPT_ID(OPT_DAEMON, 0) },
	{ "--columns", false, OPT_ID(OPT_GLOBAL, V_COLUMNS) },
	{ "-c", false, OPT_ID(OPT_GLOBAL, V_COLUMNS) },
	{ "-C", false, OPT_ID(OPT_GLOBAL, V_COLUMNS) },
	{ "--options", true, OPT_ID(OPT_GLOBAL, V_FIELDS) },
	{ "-o", true, OPT_ID(OPT_GLOBAL, V_FIELDS) },
	{ "--noheadings", false, OPT_ID(OPT_GLOBAL, V_NOHEADINGS) },
	{ "--separator", true, OPT_ID(OPT_GLOBAL, V_SEPARATOR) },
	{ "--nameprefixes", false, OPT_ID(OPT_GLOBAL, V_NAMEPREFIXES) },
	{ "--sort", true, OPT_ID(OPT_GLOBAL, V_SORT) },
	{ "-O", true, OPT_ID(OPT_GLOBAL, V_SORT) },
	{ "--select", true, OPT_ID(OPT_GLOBAL, V_SELECT) },
	{ "-S", true, OPT_ID(OPT_GLOBAL, V_SELECT) },
	{ "--major", true, OPT_ID(OPT_GLOBAL, V_MAJOR) },
	{ "-j", true, OPT_ID(OPT_GLOBAL, V_MAJOR) },
	{ "--minor", true, OPT_ID(OPT_GLOBAL, V_MINOR) },
	{ "-m", true, OPT_ID(OPT_GLOBAL, V_MINOR) },
	{ "--target", true, OPT_ID(OPT_GLOBAL, V_TARGET) },
	{ "--tree", false, OPT_ID(OPT_GLOBAL, V_TREE) },
	{ "--showkeys", false, OPT_ID(OPT_GLOBAL, V_SHOWKEYS) },
	{ "--retry", false, OPT_ID(OPT_GLOBAL, V_RETRY) },
	{ "--verbose", false, OPT_ID(OPT_GLOBAL, V_VERBOSE) },
	{ "-v", false, OPT_ID(OPT_GLOBAL, V_VERBOSE) },
	{ "-vv", false, OPT_ID(OPT_GLOBAL, V_VERBOSE) },
	{ "-vvv", false, OPT_ID(OPT_GLOBAL, V_VERBOSE) },
	{ "--version", false, OPT_ID(OPT_GLOBAL, V_VERSION) },
	{ "--help", false, OPT_ID(OPT_GLOBAL, V_HELP) },
	{ "-h", false, OPT_ID(OPT_GLOBAL, V_HELP) },
	/* udev and libdm switches with nothing to do here: udm has no udev
	 * rules to synchronize with, no open-count cost, no name mangling */
	{ "--noudevsync", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--noudevrules", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--verifyudev", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--yes", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "-y", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--noopencount", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--checks", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--udevcookie", true, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--manglename", true, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--readahead", true, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--addnodeonresume", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
	{ "--addnodeoncreate", false, OPT_ID(OPT_GLOBAL, V_IGNORED) },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* Read all of a stream (table text). */
static char *read_all(FILE *f, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	while (b) {
		size_t n = fread(b + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (cap - len - 1 == 0) {
			if (cap >= UDM_PROTO_MAX_TEXT) {
				free(b);
				errno = EFBIG;
				return NULL;
			}
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return NULL;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (b)
		b[len] = '\0';
	if (b && ferror(f)) {
		free(b);
		return NULL;
	}
	*lenp = len;
	return b;
}

static void print_usage(FILE *f)
{
	fprintf(f, "Usage:\n\n"
		   "dmsetup\n"
		   "        [--version] [-h|--help [-c|-C|--columns]]\n"
		   "        [-v|--verbose [-v|--verbose ...]] [-f|--force]\n"
		   "        [--runtime-dir DIR] [-r|--readonly] [--noflush] [--nolockfs] [--inactive]\n"
		   "        [--noudevrules] [--noudevsync] [--verifyudev] [-y|--yes] [--retry]\n"
		   "        [-c|-C|--columns] [-o <fields>] [--nameprefixes] [--noheadings]\n"
		   "        [--separator <separator>]\n\n");
	const struct verb *v;
	for (size_t i = 0; (v = verb_at(i)); i++)
		fprintf(f, "\t%s\n", v->usage);
	fprintf(f, "\n<device> may be device name or (if only one) -u <uuid> or -j <major> -m <minor>\n"
		   "<fields> are comma-separated.  Use 'help -c' for list.\n"
		   "Table_file contents may be supplied on stdin.\n\n");
}

/* dmsetup --version: the library line, and the driver's when udmd answers. */
static int print_version(const char *rt)
{
	printf("Library version:   %s\n", UDM_LIB_VERSION);
	/* without udmd, as dmsetup without the kernel driver: the library line only */
	struct cli_reply rep = { .keep_fd = false };
	if (cli_udmd_ask(rt, "version", UDM_CMD_DM_VERSION, 0, 0, NULL, true, &rep) == 0 && rep.status == 0)
		dms_print_version("version", rep.text, rep.len, false);
	free(rep.text);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int check_name(const char *what, const char *name)
{
	/* libdm refuses what the kernel's dm_ioctl name field would truncate */
	if (strlen(name) >= UDM_NAME_LEN) {
		cli_error(what, "Name \"%s\" too long.", name);
		return 1;
	}
	return 0;
}

/* The line number (1-based) of the next table line at or after *p, skipping
 * blank and comment-only lines as udm_table_text_parse does; *p and *line move
 * past it. 0 if there is none. */
static unsigned next_content_line(const char **p, unsigned *line)
{
	while (*p && **p) {
		const char *s = *p, *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		(*line)++;
		*p = e ? e + 1 : NULL;
		for (size_t i = 0; i < n && s[i] != '#'; i++)
			if (!isspace((unsigned char)s[i]))
				return *line;
	}
	return 0;
}

/* The table of create/load: --table TEXT, or a file ("-": standard input), parsed here
 * (the only time) and sent already split, as records with each entry's line, so that
 * a bad line is named before anything changes; no lines at all is no table for create
 * (dmsetup's rule) and an error for load. 0, or 1 with the error said. */
static int read_table(const char *what, const char *inline_text, const char *file, uint16_t cmd,
		      uint32_t *flags, struct udm_rec_buf *recs)
{
	char *text;
	if (inline_text) {
		text = strdup(inline_text);
	} else {
		FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
		if (!f) {
			cli_error(what, "%s: %s", file, strerror(errno));
			return 1;
		}
		size_t len = 0;
		text = read_all(f, &len);
		int e = errno;
		if (f != stdin)
			fclose(f);
		if (!text) {
			cli_error(what, "%s: %s", file, strerror(e));
			return 1;
		}
		/* the request carries C strings: a NUL would silently cut the table short */
		if (memchr(text, '\0', len)) {
			cli_error(what, "%s: table text contains a NUL byte", file);
			free(text);
			return 1;
		}
	}
	if (!text) {
		cli_error(what, "%s", strerror(ENOMEM));
		return 1;
	}
	struct udm_target_spec *specs = NULL;
	size_t count = 0;
	char *storage = NULL;
	unsigned bad = 0;
	int r = udm_table_text_parse(text, &specs, &count, &storage, &bad);
	if (r) {
		cli_error(what, "%s: line %u: invalid table line", strerror(-r), bad);
		goto fail;
	}
	if (count == 0 && cmd == UDM_CMD_DM_CREATE) {
		*flags |= UDM_PROTO_F_NOTABLE;
	} else if (count == 0) {
		cli_error(what, "%s: populate_table: no targets specified", strerror(EINVAL));
		goto fail;
	}
	recs->max = UDM_PROTO_MAX_REQUEST;
	const char *cursor = text;
	unsigned line = 0;
	for (size_t i = 0; i < count; i++) {
		udm_rec_begin(recs, UDM_REC_TABLE);
		udm_rec_u64(recs, UDM_K_START, specs[i].start);
		udm_rec_u64(recs, UDM_K_LENGTH, specs[i].length);
		udm_rec_str(recs, UDM_K_TYPE, specs[i].type);
		udm_rec_str(recs, UDM_K_PARAMS, specs[i].params);
		unsigned prev = line, at = next_content_line(&cursor, &line);
		if (at != prev + 1)
			udm_rec_u64(recs, UDM_K_LINE, at);
	}
	free(specs);
	free(storage);
	free(text);
	if (recs->err) {
		cli_error(what, "%s", strerror(recs->err == -EMSGSIZE ? E2BIG : -recs->err));
		return 1;
	}
	return 0;
fail:
	free(specs);
	free(storage);
	free(text);
	return 1;
}

/* The command line after the program name: options (global ones, and the verb's, checked
 * later) and the positional words. -1 when parsed, else the exit status (the error said). */
struct cmdline {
	const char *rt;
	const char *pos[UDM_PROTO_MAX_ARGS];
	int npos;
	unsigned given;                  /* OPT_* bits */
	struct gopts g;
};

static int parse_cmdline(int argc, char **argv, int i, struct cmdline *c)
{
	const char **pos = c->pos;
	int npos = 0;
	unsigned given = 0;
	struct gopts g = { 0 };
	struct cli_args args = { argc, argv, i, CLI_OPTS_ATTACHED | CLI_OPTS_SHORT_EQ, false, NULL };

	while (args.i < argc) {
		const char *a = argv[args.i];
		/* udm's own: where the control socket is (every verb) */
		if (!args.no_more && strcmp(a, "--runtime-dir") == 0) {
			if (args.i + 1 >= argc)
				return usage_error("udm", "--runtime-dir needs a directory", NULL);
			c->rt = argv[args.i + 1];
			args.i += 2;
			continue;
		}
		if (!args.no_more && strncmp(a, "--runtime-dir=", 14) == 0) {
			c->rt = a + 14;
			args.i++;
			continue;
		}
		/* a message's own words are never options */
		if (!args.no_more && strcmp(a, "--") != 0 && npos >= 3 && strcmp(pos[0], "message") == 0) {
			args.i++;
			if (npos >= (int)UDM_PROTO_MAX_ARGS - 4)
				return usage_error("udm", "too many arguments", NULL);
			pos[npos++] = a;
			continue;
		}
		const struct cli_opt *o;
		const char *val;
		char msg[300];
		switch (cli_args_next(&args, options, NOPTIONS, &o, &val)) {
		case CLI_ARG_END:
			continue;
		case CLI_ARG_WORD:
			if (npos >= (int)UDM_PROTO_MAX_ARGS - 4)
				return usage_error("udm", "too many arguments", NULL);
			pos[npos++] = args.word;
			continue;
		case CLI_ARG_NO_VALUE:
			snprintf(msg, sizeof(msg), "option %s needs a value", args.word);
			return usage_error(npos ? pos[0] : "udm", msg, NULL);
		case CLI_ARG_UNKNOWN:
		case CLI_ARG_FLAG_VALUE:
			snprintf(msg, sizeof(msg), "unknown option %s", args.word);
			return usage_error(npos ? pos[0] : "udm", msg, npos ? find_verb(pos[0]) : NULL);
		case CLI_ARG_OPT:
			break;
		}
		given |= OPT_BIT(o->id);
		switch (OPT_V(o->id)) {
		case V_UUID: g.uuid = val; break;
		case V_TABLE: g.table = val; break;
		case V_FIELDS: g.fields = val; break;
		case V_SEPARATOR: g.separator = val; break;
		case V_TARGET: g.target = val; break;
		case V_MAJOR: g.major = val; break;
		case V_MINOR: g.minor = val; break;
		case V_SORT: g.sort = val; break;
		case V_SELECT: g.select = val; break;
		case V_COLUMNS: g.columns = true; break;
		case V_NOHEADINGS: g.noheadings = true; break;
		case V_NAMEPREFIXES: g.nameprefixes = true; break;
		case V_TREE: g.tree = true; break;
		case V_SHOWKEYS: g.showkeys = true; break;   /* udm has no target with keys to hide */
		case V_RETRY: g.retry = true; break;
		case V_VERSION: g.version = true; break;
		case V_HELP: g.help = true; break;
		case V_VERBOSE: {
			const char *w = args.word;
			g.verbose += (int)strlen(w) - 1 > 0 && w[1] == 'v' ? (int)strlen(w) - 1 : 1;
			break;
		}
		default: break;
		}
	}
	c->npos = npos;
	c->given = given;
	c->g = g;
	return -1;
}

int cli_dmsetup_main(int argc, char **argv)
{
	/* argv[0] is the program name, or already the verb */
	struct cmdline c = { .rt = cli_runtime_dir(NULL) };
	int pr = parse_cmdline(argc, argv, (argc > 0 && find_verb(argv[0])) ? 0 : 1, &c);
	if (pr >= 0)
		return pr;
	const char *rt = c.rt, **pos = c.pos;
	int npos = c.npos;
	unsigned given = c.given;
	struct gopts g = c.g;

	if (g.version)
		return print_version(rt);
	if (g.help || (npos && strcmp(pos[0], "help") == 0)) {
		print_usage(stderr);
		if (g.columns)
			dms_report_help(stderr);
		return 0;
	}
	if (npos == 0)
		return usage_error("udm", "missing verb", NULL);
	const struct verb *v = find_verb(pos[0]);
	if (!v) {
		char msg[300];
		snprintf(msg, sizeof(msg), "unknown verb %s", pos[0]);
		return usage_error("udm", msg, NULL);
	}
	const char **p = pos + 1;
	int np = npos - 1;

	/* -u UUID or -j MAJOR -m MINOR instead of a device name */
	char selected[UDM_NAME_LEN];
	bool by_uuid = g.uuid && v->cmd != UDM_CMD_DM_CREATE && !(given & OPT_SETUUID);
	if (v->cmd == UDM_CMD_DM_CREATE && (g.major || g.minor))
		return usage_error(v->name, "-j/-m: udm chooses the device number", v);
	if ((g.major || g.minor) && (!g.major || !g.minor)) {
		cli_error(v->name, "Please specify both major number and minor number.");
		return 1;
	}
	if ((g.major && (!dms_is_uint(g.major) || !dms_is_uint(g.minor))) ) {
		cli_error(v->name, "Invalid major or minor number.");
		return 1;
	}
	if (g.uuid && v->cmd != UDM_CMD_DM_CREATE && !(given & OPT_SETUUID) && v->cmd != UDM_CMD_DM_RENAME &&
	    !v->devices && v->cmd != UDM_CMD_DM_WAIT && v->cmd != UDM_CMD_DM_ATTACH && v->cmd != UDM_CMD_DM_DETACH &&
	    v->cmd != UDM_CMD_DM_MESSAGE && v->cmd != UDM_CMD_DM_LOAD)
		return usage_error(v->name, "option not valid for this verb: --uuid", v);
	if ((by_uuid || g.major) && v->local != L_SPLITNAME) {
		if (np > 0 && !(v->cmd == UDM_CMD_DM_WAIT || v->cmd == UDM_CMD_DM_LOAD || v->cmd == UDM_CMD_DM_MESSAGE ||
				v->local == L_SETGEOMETRY || v->cmd == UDM_CMD_DM_RENAME)) {
			return usage_error(v->name, "a device name and -u/-j/-m given", v);
		}
		if (dms_select_device(rt, v->name, &g, selected, sizeof(selected)))
			return 1;
		/* the selected device takes the place of the first positional */
		if (npos >= (int)UDM_PROTO_MAX_ARGS - 4)
			return usage_error("udm", "too many arguments", NULL);
		memmove(pos + 2, pos + 1, (size_t)np * sizeof(*pos));
		pos[1] = selected;
		np++;
	}
	if (np < v->min_pos || (v->max_pos >= 0 && np > v->max_pos))
		return usage_error(v->name, "wrong number of arguments", v);
	if (given & ~(v->opts | OPT_GLOBAL)) {
		char msg[120];
		snprintf(msg, sizeof(msg), "option not valid for %s", v->name);
		return usage_error(v->name, msg, v);
	}
	if (given & OPT_DAEMON) {
		if (np || (given & ~OPT_DAEMON))
			return usage_error(v->name, "--daemon takes no device and no other option", v);
		return uverb_daemon_status(rt);
	}
	if (g.select || g.sort) {
		cli_error(v->name, "%s is not supported", g.select ? "--select" : "--sort");
		return 1;
	}
	/* names the kernel interface could not carry are refused, not cut short */
	if (v->local != L_SPLITNAME && v->local != L_WATCH && v->local < L_UDEVCOOKIES) {
		int n_names = v->devices ? np : (np > 0 && v->cmd != UDM_CMD_DM_VERSION ? 1 : 0);
		if (v->cmd == UDM_CMD_DM_RENAME && !(given & OPT_SETUUID))
			n_names = 2;
		for (int k = 0; k < n_names && k < np; k++)
			if (check_name(v->name, p[k]))
				return 1;
	}
	if (v->cmd == UDM_CMD_DM_CREATE && g.uuid && strlen(g.uuid) >= UDM_UUID_LEN) {
		cli_error(v->name, "Uuid \"%s\" too long", g.uuid);
		return 1;
	}

	/* rename --setuuid: the new uuid must fit the ioctl header (DM_UUID_LEN
	 * with the NUL); libdevmapper refuses it rather than let it be truncated */
	if (v->cmd == UDM_CMD_DM_RENAME && (given & OPT_SETUUID) && np > 1 && strlen(p[1]) >= UDM_UUID_LEN) {
		cli_error(v->name, "Uuid \"%s\" too long", p[1]);
		return 1;
	}

	uint16_t cmd = v->cmd;
	uint32_t flags = 0;
	if (given & OPT_READONLY) flags |= UDM_F_READONLY;
	if (given & OPT_INACTIVE) flags |= UDM_F_QUERY_INACTIVE;
	if (given & OPT_NOFLUSH) flags |= UDM_F_NOFLUSH;
	if (given & OPT_NOLOCKFS) flags |= UDM_F_SKIP_LOCKFS;
	if (given & OPT_DEFERRED) flags |= UDM_F_DEFERRED_REMOVE;
	if (given & OPT_SETUUID) flags |= UDM_F_UUID;
	if (given & OPT_FORCE) flags |= UDM_PROTO_F_FORCE;
	if (given & OPT_NOTABLE) flags |= UDM_PROTO_F_NOTABLE;
	if (g.retry) flags |= UDM_PROTO_F_RETRY;

	if (v->own)
		return uverb_run(rt, v, p, np, flags);

	int lr = dms_local_verb(rt, v, &g, p, np, flags);
	if (lr >= 0)
		return lr;
	if (v->cmd == UDM_CMD_DM_TABLE || v->cmd == UDM_CMD_DM_STATUS || v->cmd == UDM_CMD_DM_INFO ||
	    v->cmd == UDM_CMD_DM_DEPS || v->cmd == UDM_CMD_DM_LS || v->local == L_MEASURE) {
		int mr = dms_multi_verb(rt, v, &g, p, np, flags);
		if (mr >= 0)
			return fflush(stdout) == 0 ? mr : 1;
	}
	/* several devices: one request each, dmsetup stops at the first failure */
	if (v->devices && np > 1) {
		for (int k = 0; k < np; k++) {
			char what[300], *reply = NULL;
			size_t len = 0;
			snprintf(what, sizeof(what), "%s %s", v->name, p[k]);
			if (cli_request(rt, what, cmd, flags, 1, &p[k], &reply, &len))
				return 1;
			int pr = dms_print_reply(what, cmd, p[k], reply, len);
			free(reply);
			if (pr)
				return 1;
		}
		return fflush(stdout) == 0 ? 0 : 1;
	}

	char what[300];
	snprintf(what, sizeof(what), "%s%s%s", v->name, np ? " " : "", np ? p[0] : "");

	const char *args[UDM_PROTO_MAX_ARGS];
	unsigned nargs = 0;
	char *msgbuf = NULL;
	struct udm_rec_buf recs = { 0 };
	char cwd[PATH_MAX];
	int rc = 1;

	switch (cmd) {
	case UDM_CMD_DM_CREATE:
	case UDM_CMD_DM_LOAD: {
		bool want_table = !(given & OPT_NOTABLE);
		if ((given & OPT_NOTABLE) && ((given & OPT_TABLE) || np > 1))
			return usage_error(v->name, "--notable excludes a table", v);
		if ((given & OPT_TABLE) && np > 1)
			return usage_error(v->name, "both --table and a table file given", v);
		if (want_table && read_table(what, g.table, np > 1 ? p[1] : "-", cmd, &flags, &recs))
			return 1;
		if (!getcwd(cwd, sizeof(cwd)))
			strcpy(cwd, "/");
		args[nargs++] = p[0];
		if (cmd == UDM_CMD_DM_CREATE)
			args[nargs++] = g.uuid ? g.uuid : "";
		args[nargs++] = cwd;
		break;
	}
	case UDM_CMD_DM_MESSAGE: {
		size_t len = 0;
		for (int k = 2; k < np; k++)
			len += strlen(p[k]) + 1;
		msgbuf = calloc(1, len + 1);
		if (!msgbuf) {
			cli_error(what, "%s", strerror(ENOMEM));
			return 1;
		}
		for (int k = 2; k < np; k++) {
			if (k > 2)
				strcat(msgbuf, " ");
			strcat(msgbuf, p[k]);
		}
		args[nargs++] = p[0];
		args[nargs++] = p[1];
		args[nargs++] = msgbuf;
		break;
	}
	default:
		for (int k = 0; k < np; k++)
			args[nargs++] = p[k];
		break;
	}

	char *reply = NULL;
	size_t rlen = 0;
	if (cli_request_recs(rt, what, cmd, flags, nargs, args, recs.len ? &recs : NULL, &reply, &rlen))
		goto out;
	if (dms_print_reply(what, cmd, np ? p[0] : NULL, reply, rlen))
		goto out;
	if (g.verbose && (cmd == UDM_CMD_DM_CREATE || cmd == UDM_CMD_DM_LOAD || cmd == UDM_CMD_DM_RESUME ||
			  cmd == UDM_CMD_DM_SUSPEND || cmd == UDM_CMD_DM_RENAME || cmd == UDM_CMD_DM_CLEAR)) {
		/* dmsetup -v: the device's info after a change */
		const char *n = cmd == UDM_CMD_DM_RENAME && !(flags & UDM_F_UUID) ? p[1] : p[0];
		free(reply);
		reply = NULL;
		if (cli_request(rt, what, UDM_CMD_DM_INFO, 0, 1, &n, &reply, &rlen) == 0)
			dms_print_reply(what, UDM_CMD_DM_INFO, n, reply, rlen);
	}
	rc = 0;
out:
	if (fflush(stdout) != 0 && rc == 0) {
		cli_error(what, "writing output: %s", strerror(errno));
		rc = 1;
	}
	free(reply);
	free(recs.buf);
	free(msgbuf);
	return rc;
}

const char *cli_dmsetup_usage(size_t i, const char **name)
{
	const struct verb *v = verb_at(i);
	if (!v)
		return NULL;
	*name = v->name;
	return v->usage;
}
