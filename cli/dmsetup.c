/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm's dmsetup verbs (and attach, detach, watch, shutdown): parse dmsetup's
 * arguments, send requests to udmd over RUNTIME/control, print its reply
 * (udmd formats dmsetup's output) or one error line. Column reports, device
 * selection by uuid or number, several devices per command, --target and
 * the verbs without a daemon request (splitname, udev cookies) are in
 * dmsetup_local.c, on top of udmd's raw report (UDM_CMD_DM_REPORT). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/dm_cli.h"
#include "udm/udm.h"
#include "util/proto.h"

static const struct verb verbs[] = {
	{ "create", UDM_CMD_DM_CREATE, 1, 2, OPT_UUID | OPT_READONLY | OPT_NOTABLE | OPT_TABLE,
	  "create NAME [--uuid UUID] [--readonly] [--notable | --table TABLE | FILE]", 0, false },
	{ "load", UDM_CMD_DM_LOAD, 1, 2, OPT_READONLY | OPT_TABLE, "load NAME [--table TABLE | FILE]", 0, false },
	{ "reload", UDM_CMD_DM_LOAD, 1, 2, OPT_READONLY | OPT_TABLE, "reload NAME [--table TABLE | FILE]", 0, false },
	{ "resume", UDM_CMD_DM_RESUME, 1, -1, OPT_NOFLUSH | OPT_NOLOCKFS, "resume NAME...", 0, true },
	{ "suspend", UDM_CMD_DM_SUSPEND, 1, -1, OPT_NOFLUSH | OPT_NOLOCKFS, "suspend [--noflush] [--nolockfs] NAME...", 0, true },
	{ "remove", UDM_CMD_DM_REMOVE, 1, -1, OPT_FORCE | OPT_DEFERRED, "remove [--force] [--deferred] [--retry] NAME...", 0, true },
	{ "remove_all", UDM_CMD_DM_REMOVE_ALL, 0, 0, OPT_FORCE | OPT_DEFERRED, "remove_all [--force] [--deferred]", 0, false },
	{ "rename", UDM_CMD_DM_RENAME, 2, 2, OPT_SETUUID, "rename NAME NEWNAME | rename NAME --setuuid UUID", 0, false },
	{ "clear", UDM_CMD_DM_CLEAR, 1, 1, 0, "clear NAME", 0, true },
	{ "table", UDM_CMD_DM_TABLE, 0, -1, OPT_INACTIVE, "table [--inactive] [--target TYPE] [--showkeys] [NAME...]", 0, true },
	/* status with no NAME is dmsetup's (every device); udmd's own state is --daemon */
	{ "status", UDM_CMD_DM_STATUS, 0, -1, OPT_INACTIVE | OPT_NOFLUSH | OPT_DAEMON,
	  "status [--inactive] [--target TYPE] [NAME...] | status --daemon", 0, true },
	{ "info", UDM_CMD_DM_INFO, 0, -1, OPT_INACTIVE, "info [-c [-o FIELDS] [--noheadings] [--separator S]] [NAME...]", 0, true },
	{ "ls", UDM_CMD_DM_LS, 0, 0, 0, "ls [--target TYPE] [--tree]", 0, false },
	{ "deps", UDM_CMD_DM_DEPS, 0, -1, OPT_INACTIVE, "deps [NAME...]", 0, true },
	{ "message", UDM_CMD_DM_MESSAGE, 3, -1, 0, "message NAME SECTOR MESSAGE...", 0, false },
	{ "targets", UDM_CMD_DM_TARGETS, 0, 0, 0, "targets", 0, false },
	{ "target-version", UDM_CMD_DM_TARGETS, 0, -1, 0, "target-version [TARGET...]", L_TARGET_VERSION, false },
	{ "version", UDM_CMD_DM_VERSION, 0, 0, 0, "version", 0, false },
	{ "wait", UDM_CMD_DM_WAIT, 1, 2, OPT_INACTIVE | OPT_NOFLUSH, "wait NAME [EVENT_NR]", 0, false },
	{ "mknodes", UDM_CMD_DM_MKNODES, 0, -1, 0, "mknodes [NAME...]", 0, true },
	{ "wipe_table", 0, 1, -1, OPT_FORCE | OPT_NOFLUSH | OPT_NOLOCKFS, "wipe_table [--noflush] [--nolockfs] NAME...", L_WIPE_TABLE, true },
	{ "measure", 0, 0, -1, 0, "measure [NAME...]", L_MEASURE, true },
	{ "mangle", 0, 0, -1, 0, "mangle [NAME...]", L_MANGLE, true },
	{ "setgeometry", 0, 5, 5, 0, "setgeometry NAME CYL HEAD SECT START", L_SETGEOMETRY, false },
	{ "splitname", 0, 1, 2, 0, "splitname NAME [SUBSYSTEM]", L_SPLITNAME, false },
	{ "udevcookies", 0, 0, 0, 0, "udevcookies", L_UDEVCOOKIES, false },
	{ "udevcomplete", 0, 1, 1, 0, "udevcomplete COOKIE", L_UDEVCOMPLETE, false },
	{ "udevcomplete_all", 0, 0, 1, 0, "udevcomplete_all [AGE_IN_MINUTES]", L_UDEVCOMPLETE_ALL, false },
	{ "udevcreatecookie", 0, 0, 0, 0, "udevcreatecookie", L_UDEVCREATECOOKIE, false },
	{ "udevreleasecookie", 0, 0, 1, 0, "udevreleasecookie [COOKIE]", L_UDEVRELEASECOOKIE, false },
	{ "udevflags", 0, 1, 1, 0, "udevflags COOKIE", L_UDEVFLAGS, false },
	{ "help", 0, 0, 0, 0, "help [-c]", L_HELP, false },
	{ "attach", UDM_CMD_DM_ATTACH, 1, 1, 0, "attach NAME", 0, false },
	{ "detach", UDM_CMD_DM_DETACH, 1, 1, OPT_FORCE, "detach [--force] NAME", 0, false },
	{ "watch", 0, 1, 2, 0, "watch add|remove PATH | watch list", L_WATCH, false },
	{ "enforce", UDM_CMD_ENFORCE_STATUS, 1, 1, 0, "enforce status|stop", 0, false },
	{ "shutdown", UDM_CMD_SHUTDOWN, 0, 0, OPT_FORCE, "shutdown [--force]", 0, false },
	{ "ping", UDM_CMD_PING, 0, 0, 0, "ping", 0, false },
};

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
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

static const struct {
	const char *name;
	unsigned bit;
	bool has_arg;
	int val;
} options[] = {
	{ "--uuid", OPT_GLOBAL, true, V_UUID }, { "-u", OPT_GLOBAL, true, V_UUID },
	{ "--readonly", OPT_READONLY, false, 0 }, { "-r", OPT_READONLY, false, 0 },
	{ "--notable", OPT_NOTABLE, false, 0 }, { "-n", OPT_NOTABLE, false, 0 },
	{ "--table", OPT_TABLE, true, V_TABLE },
	{ "--inactive", OPT_INACTIVE, false, 0 },
	{ "--noflush", OPT_NOFLUSH, false, 0 },
	{ "--nolockfs", OPT_NOLOCKFS, false, 0 },
	{ "--force", OPT_FORCE, false, 0 }, { "-f", OPT_FORCE, false, 0 },
	{ "--deferred", OPT_DEFERRED, false, 0 },
	{ "--setuuid", OPT_SETUUID, false, 0 },
	{ "--daemon", OPT_DAEMON, false, 0 },
	{ "--columns", OPT_GLOBAL, false, V_COLUMNS }, { "-c", OPT_GLOBAL, false, V_COLUMNS },
	{ "-C", OPT_GLOBAL, false, V_COLUMNS },
	{ "--options", OPT_GLOBAL, true, V_FIELDS }, { "-o", OPT_GLOBAL, true, V_FIELDS },
	{ "--noheadings", OPT_GLOBAL, false, V_NOHEADINGS },
	{ "--separator", OPT_GLOBAL, true, V_SEPARATOR },
	{ "--nameprefixes", OPT_GLOBAL, false, V_NAMEPREFIXES },
	{ "--sort", OPT_GLOBAL, true, V_SORT }, { "-O", OPT_GLOBAL, true, V_SORT },
	{ "--select", OPT_GLOBAL, true, V_SELECT }, { "-S", OPT_GLOBAL, true, V_SELECT },
	{ "--major", OPT_GLOBAL, true, V_MAJOR }, { "-j", OPT_GLOBAL, true, V_MAJOR },
	{ "--minor", OPT_GLOBAL, true, V_MINOR }, { "-m", OPT_GLOBAL, true, V_MINOR },
	{ "--target", OPT_GLOBAL, true, V_TARGET },
	{ "--tree", OPT_GLOBAL, false, V_TREE },
	{ "--showkeys", OPT_GLOBAL, false, V_SHOWKEYS },
	{ "--retry", OPT_GLOBAL, false, V_RETRY },
	{ "--verbose", OPT_GLOBAL, false, V_VERBOSE }, { "-v", OPT_GLOBAL, false, V_VERBOSE },
	{ "-vv", OPT_GLOBAL, false, V_VERBOSE }, { "-vvv", OPT_GLOBAL, false, V_VERBOSE },
	{ "--version", OPT_GLOBAL, false, V_VERSION },
	{ "--help", OPT_GLOBAL, false, V_HELP }, { "-h", OPT_GLOBAL, false, V_HELP },
	/* udev and libdm switches with nothing to do here: udm has no udev
	 * rules to synchronize with, no open-count cost, no name mangling */
	{ "--noudevsync", OPT_GLOBAL, false, V_IGNORED }, { "--noudevrules", OPT_GLOBAL, false, V_IGNORED },
	{ "--verifyudev", OPT_GLOBAL, false, V_IGNORED }, { "--yes", OPT_GLOBAL, false, V_IGNORED },
	{ "-y", OPT_GLOBAL, false, V_IGNORED }, { "--noopencount", OPT_GLOBAL, false, V_IGNORED },
	{ "--checks", OPT_GLOBAL, false, V_IGNORED }, { "--udevcookie", OPT_GLOBAL, true, V_IGNORED },
	{ "--manglename", OPT_GLOBAL, true, V_IGNORED }, { "--readahead", OPT_GLOBAL, true, V_IGNORED },
	{ "--addnodeonresume", OPT_GLOBAL, false, V_IGNORED }, { "--addnodeoncreate", OPT_GLOBAL, false, V_IGNORED },
};

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
			if (cap >= UDM_PROTO_MAX_REQUEST) {
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

/* One request: 0 with the reply (malloc'd, NUL-terminated) in *reply, or 1
 * after printing one error line. */
int dms_request(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned nargs,
		   const char **args, char **reply, size_t *rlen)
{
	struct cli_reply rep = { .keep_fd = cmd == UDM_CMD_SHUTDOWN };
	int rc = 1;
	*reply = NULL;
	if (cli_udmd_ask(rt, what, cmd, flags, nargs, args, false, &rep))
		return 1;
	if (rep.status < 0) {
		cli_reply_error(what, &rep);
		goto out;
	}
	if (cmd == UDM_CMD_SHUTDOWN) {
		if (rep.len && fwrite(rep.text, 1, rep.len, stdout) != rep.len)
			goto out;
		fflush(stdout);
		/* udmd keeps this connection until it has torn everything down */
		struct pollfd pf = { rep.fd, POLLIN, 0 };
		char c;
		if (poll(&pf, 1, 60000) <= 0 || read(rep.fd, &c, 1) != 0) {
			cli_error(what, "udmd did not stop within 60 s");
			goto out;
		}
		rep.len = 0;
		rep.text[0] = '\0';
	}
	*reply = rep.text;
	*rlen = rep.len;
	rep.text = NULL;
	rc = 0;
out:
	if (rep.keep_fd)   /* cli_udmd_ask answered: the connection is ours to close */
		close(rep.fd);
	free(rep.text);
	return rc;
}

void dms_print_usage(FILE *f)
{
	fprintf(f, "Usage:\n\n"
		   "dmsetup\n"
		   "        [--version] [-h|--help [-c|-C|--columns]]\n"
		   "        [-v|--verbose [-v|--verbose ...]] [-f|--force]\n"
		   "        [--runtime-dir DIR] [-r|--readonly] [--noflush] [--nolockfs] [--inactive]\n"
		   "        [--noudevrules] [--noudevsync] [--verifyudev] [-y|--yes] [--retry]\n"
		   "        [-c|-C|--columns] [-o <fields>] [--nameprefixes] [--noheadings]\n"
		   "        [--separator <separator>]\n\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "\t%s\n", verbs[i].usage);
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
	if (cli_udmd_ask(rt, "version", UDM_CMD_DM_VERSION, 0, 0, NULL, true, &rep) == 0 && rep.status == 0) {
		char *drv = strstr(rep.text, "Driver version:");
		if (drv)
			fputs(drv, stdout);
	}
	free(rep.text);
	return fflush(stdout) == 0 ? 0 : 1;
}

bool dms_is_uint(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
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

/* The table text of create/load: --table TEXT, or a file ("-": standard input). Checked
 * here too, so that a bad line is named before anything changes; no lines at all is no
 * table for create (dmsetup's rule) and an error for load. 0, or 1 with the error said. */
static int read_table_text(const char *what, const char *inline_text, const char *file, uint16_t cmd,
			   uint32_t *flags, char **textp)
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
	free(specs);
	free(storage);
	if (r) {
		cli_error(what, "%s: line %u: invalid table line", strerror(-r), bad);
		free(text);
		return 1;
	}
	if (count == 0 && cmd == UDM_CMD_DM_CREATE) {
		*flags |= UDM_PROTO_F_NOTABLE;
	} else if (count == 0) {
		cli_error(what, "%s: populate_table: no targets specified", strerror(EINVAL));
		free(text);
		return 1;
	}
	*textp = text;
	return 0;
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
	bool no_more_opts = false;

	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!no_more_opts && strcmp(a, "--") == 0) {
			no_more_opts = true;
			continue;
		}
		if (!no_more_opts && strcmp(a, "--runtime-dir") == 0) {
			if (++i >= argc)
				return usage_error("udm", "--runtime-dir needs a directory", NULL);
			c->rt = argv[i];
			continue;
		}
		if (!no_more_opts && strncmp(a, "--runtime-dir=", 14) == 0) {
			c->rt = a + 14;
			continue;
		}
		/* a message's own words are never options */
		bool is_msg = npos >= 3 && strcmp(pos[0], "message") == 0;
		if (!no_more_opts && !is_msg && a[0] == '-' && a[1]) {
			size_t k;
			for (k = 0; k < sizeof(options) / sizeof(options[0]); k++)
				if (strcmp(options[k].name, a) == 0)
					break;
			const char *val = NULL;
			if (k == sizeof(options) / sizeof(options[0])) {
				/* --opt=value, or -oVALUE */
				const char *eq = strchr(a, '=');
				for (k = 0; eq && k < sizeof(options) / sizeof(options[0]); k++)
					if (options[k].has_arg && strlen(options[k].name) == (size_t)(eq - a) &&
					    strncmp(options[k].name, a, (size_t)(eq - a)) == 0)
						break;
				if (eq && k < sizeof(options) / sizeof(options[0])) {
					val = eq + 1;
				} else {
					for (k = 0; a[1] != '-' && a[2] && k < sizeof(options) / sizeof(options[0]); k++)
						if (options[k].has_arg && strlen(options[k].name) == 2 &&
						    strncmp(options[k].name, a, 2) == 0)
							break;
					if (a[1] == '-' || !a[2] || k == sizeof(options) / sizeof(options[0])) {
						char msg[300];
						snprintf(msg, sizeof(msg), "unknown option %s", a);
						return usage_error(npos ? pos[0] : "udm", msg, npos ? find_verb(pos[0]) : NULL);
					}
					val = a + 2;
				}
			} else if (options[k].has_arg) {
				if (++i >= argc) {
					char msg[300];
					snprintf(msg, sizeof(msg), "option %s needs a value", a);
					return usage_error(npos ? pos[0] : "udm", msg, NULL);
				}
				val = argv[i];
			}
			given |= options[k].bit;
			switch (options[k].val) {
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
			case V_VERBOSE: g.verbose += (int)strlen(a) - 1 > 0 && a[1] == 'v' ? (int)strlen(a) - 1 : 1; break;
			default: break;
			}
			continue;
		}
		if (npos >= (int)UDM_PROTO_MAX_ARGS - 4)
			return usage_error("udm", "too many arguments", NULL);
		pos[npos++] = a;
	}
	c->npos = npos;
	c->given = given;
	c->g = g;
	return -1;
}

int cli_dmsetup_main(int argc, char **argv)
{
	/* argv[0] is the program name, or already the verb */
	struct cmdline c = { .rt = getenv("UDM_RUNTIME_DIR") };
	if (!c.rt || !*c.rt)
		c.rt = "/run/udm";
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
		dms_print_usage(stderr);
		if (g.columns)
			dm_report_help(stderr);
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
		char *reply = NULL;
		size_t len = 0;
		if (dms_request(rt, "status --daemon", UDM_CMD_DAEMON_STATUS, 0, 0, NULL, &reply, &len))
			return 1;
		fwrite(reply, 1, len, stdout);
		free(reply);
		return fflush(stdout) == 0 ? 0 : 1;
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
			if (dms_request(rt, what, cmd, flags, 1, &p[k], &reply, &len))
				return 1;
			fwrite(reply, 1, len, stdout);
			free(reply);
		}
		return fflush(stdout) == 0 ? 0 : 1;
	}

	char what[300];
	snprintf(what, sizeof(what), "%s%s%s", v->name, np ? " " : "", np ? p[0] : "");

	const char *args[UDM_PROTO_MAX_ARGS];
	unsigned nargs = 0;
	char *text = NULL, *msgbuf = NULL;
	char cwd[PATH_MAX], abspath[PATH_MAX];
	int rc = 1;

	switch (v->local == L_WATCH ? 0 : cmd) {
	case UDM_CMD_DM_CREATE:
	case UDM_CMD_DM_LOAD: {
		bool want_table = !(given & OPT_NOTABLE);
		if ((given & OPT_NOTABLE) && ((given & OPT_TABLE) || np > 1))
			return usage_error(v->name, "--notable excludes a table", v);
		if ((given & OPT_TABLE) && np > 1)
			return usage_error(v->name, "both --table and a table file given", v);
		if (want_table && read_table_text(what, g.table, np > 1 ? p[1] : "-", cmd, &flags, &text))
			return 1;
		if (!getcwd(cwd, sizeof(cwd)))
			strcpy(cwd, "/");
		args[nargs++] = p[0];
		if (cmd == UDM_CMD_DM_CREATE)
			args[nargs++] = g.uuid ? g.uuid : "";
		args[nargs++] = cwd;
		if (text && !(flags & UDM_PROTO_F_NOTABLE))
			args[nargs++] = text;
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
	case 0: /* watch */
		if (strcmp(p[0], "add") == 0 || strcmp(p[0], "remove") == 0) {
			if (np != 2)
				return usage_error(v->name, "wrong number of arguments", v);
			cmd = p[0][0] == 'a' ? UDM_CMD_WATCH_ADD : UDM_CMD_WATCH_REMOVE;
			args[nargs++] = realpath(p[1], abspath) ? abspath : p[1];
		} else if (strcmp(p[0], "list") == 0 && np == 1) {
			cmd = UDM_CMD_WATCH_LIST;
		} else {
			return usage_error(v->name, "expected add PATH, remove PATH or list", v);
		}
		break;
	case UDM_CMD_ENFORCE_STATUS: /* enforce */
		if (strcmp(p[0], "status") == 0)
			cmd = UDM_CMD_ENFORCE_STATUS;
		else if (strcmp(p[0], "stop") == 0)
			cmd = UDM_CMD_ENFORCE_STOP;
		else
			return usage_error(v->name, "expected status or stop", v);
		break;
	default:
		for (int k = 0; k < np; k++)
			args[nargs++] = p[k];
		break;
	}

	char *reply = NULL;
	size_t rlen = 0;
	if (dms_request(rt, what, cmd, flags, nargs, args, &reply, &rlen))
		goto out;
	if (rlen && fwrite(reply, 1, rlen, stdout) != rlen) {
		cli_error(what, "writing output: %s", strerror(errno));
		goto out;
	}
	if (g.verbose && (cmd == UDM_CMD_DM_CREATE || cmd == UDM_CMD_DM_LOAD || cmd == UDM_CMD_DM_RESUME ||
			  cmd == UDM_CMD_DM_SUSPEND || cmd == UDM_CMD_DM_RENAME || cmd == UDM_CMD_DM_CLEAR)) {
		/* dmsetup -v: the device's info after a change */
		const char *n = cmd == UDM_CMD_DM_RENAME && !(flags & UDM_F_UUID) ? p[1] : p[0];
		free(reply);
		reply = NULL;
		if (dms_request(rt, what, UDM_CMD_DM_INFO, 0, 1, &n, &reply, &rlen) == 0)
			fputs(reply, stdout);
	}
	rc = 0;
out:
	if (fflush(stdout) != 0 && rc == 0) {
		cli_error(what, "writing output: %s", strerror(errno));
		rc = 1;
	}
	free(reply);
	free(text);
	free(msgbuf);
	return rc;
}

const char *cli_dmsetup_usage(size_t i, const char **name)
{
	if (i >= sizeof(verbs) / sizeof(verbs[0]))
		return NULL;
	*name = verbs[i].name;
	return verbs[i].usage;
}
