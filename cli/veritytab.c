/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm veritytab check|open|close [FILE]: the volumes of /etc/udm/veritytab
 * (systemd's veritytab(5) line format, udm's own file) opened and closed
 * through udmd. The whole file is checked before anything is opened: a bad
 * line is one error naming its line number, and nothing changes. Each volume
 * is then opened as `udm verity open` would open it (cli/verity.c). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nbd/nbd.h"
#include "cli/cli.h"
#include "udm/target.h"   /* udm_parse_u64 */
#include "util/proto.h"

#define VERITYTAB_DEFAULT "/etc/udm/veritytab"
#define VT_MAX_OPTS 24

struct vt_entry {
	unsigned line;
	char *name, *data, *hash, *root;
	char *opts[VT_MAX_OPTS];   /* veritysetup options, "--hash-offset=4096" (malloc'd) */
	int nopts;
	bool noauto, nofail;
};

struct vt_file {
	const char *path;
	struct vt_entry *e;
	size_t n;
};

static void vt_free(struct vt_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct vt_entry *e = &f->e[i];
		free(e->name), free(e->data), free(e->hash), free(e->root);
		for (int k = 0; k < e->nopts; k++)
			free(e->opts[k]);
	}
	free(f->e);
	f->e = NULL;
	f->n = 0;
}

/* "udm: veritytab FILE:LINE: WHAT" */
static int bad(const struct vt_file *f, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(const struct vt_file *f, unsigned line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "udm: veritytab %s:%u: ", f->path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* A device field: an absolute path, an NBD URI (docs/nbd.md), or UUID=,
 * PARTUUID=, LABEL=, PARTLABEL= as in systemd's veritytab (the
 * /dev/disk/by-* link). *out is malloc'd. */
static int device_spec(const struct vt_file *f, unsigned line, const char *what, const char *s, char **out)
{
	static const struct { const char *tag, *dir; } specs[] = {
		{ "UUID=", "by-uuid" }, { "PARTUUID=", "by-partuuid" },
		{ "LABEL=", "by-label" }, { "PARTLABEL=", "by-partlabel" },
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t n = strlen(specs[i].tag);
		if (strncmp(s, specs[i].tag, n) == 0) {
			if (!s[n] || strchr(s + n, '/'))
				return bad(f, line, "%s device '%s': an empty or invalid %.*s", what, s, (int)n - 1,
					   specs[i].tag);
			if (asprintf(out, "/dev/disk/%s/%s", specs[i].dir, s + n) < 0)
				return -ENOMEM;
			return 0;
		}
	}
	if (s[0] != '/' && !udm_nbd_is_uri(s))
		return bad(f, line, "%s device '%s': an absolute path or UUID=, PARTUUID=, LABEL=, PARTLABEL= expected (or an NBD URI)",
			   what, s);
	return (*out = strdup(s)) ? 0 : -ENOMEM;
}

static int add_opt(struct vt_entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_opt(struct vt_entry *e, const char *fmt, ...)
{
	va_list ap;
	if (e->nopts == VT_MAX_OPTS)
		return -E2BIG;
	va_start(ap, fmt);
	int r = vasprintf(&e->opts[e->nopts], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	e->nopts++;
	return 0;
}

/* One option of the fifth field. */
static int parse_option(const struct vt_file *f, struct vt_entry *e, char *o, unsigned *modes)
{
	/* systemd's names; each one is veritysetup's option of the same name */
	static const char *const numbers[] = { "format", "data-block-size", "hash-block-size", "data-blocks",
					       "hash-offset", "fec-offset", "fec-roots" };
	static const char *const strings[] = { "salt", "uuid", "hash" };
	static const char *const flags[] = { "ignore-zero-blocks", "check-at-most-once" };
	static const char *const corruption[] = { "ignore-corruption", "restart-on-corruption", "panic-on-corruption" };
	/* accepted for systemd's sake, meaning nothing to udm */
	static const char *const ignored[] = { "_netdev", "x-initrd.attach", "auto" };
	char *eq = strchr(o, '=');
	const char *val = eq ? eq + 1 : NULL;
	size_t klen = eq ? (size_t)(eq - o) : strlen(o);
	uint64_t num;

#define IS(name) (strlen(name) == klen && strncmp(o, name, klen) == 0)
	if (klen == 0)
		return bad(f, e->line, "an empty option");
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (IS(numbers[i])) {
			if (!val || udm_parse_u64(val, &num))
				return bad(f, e->line, "%.*s= needs a number, not '%s'", (int)klen, o, val ? val : "");
			return add_opt(e, "--%s=%s", numbers[i], val);
		}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (IS(strings[i])) {
			if (!val || !*val)
				return bad(f, e->line, "%s= needs a value", strings[i]);
			return add_opt(e, "--%s=%s", strings[i], val);
		}
	for (size_t i = 0; i < sizeof(corruption) / sizeof(corruption[0]); i++)
		if (IS(corruption[i])) {
			if (val)
				return bad(f, e->line, "%s takes no value", corruption[i]);
			if (++*modes > 1)
				return bad(f, e->line, "%s: only one of ignore-corruption, restart-on-corruption, "
					   "panic-on-corruption", corruption[i]);
			return add_opt(e, "--%s", corruption[i]);
		}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (IS(flags[i])) {
			if (val)
				return bad(f, e->line, "%s takes no value", flags[i]);
			return add_opt(e, "--%s", flags[i]);
		}
	if (IS("superblock")) {
		if (val && (!strcmp(val, "no") || !strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "off")))
			return add_opt(e, "--no-superblock");
		if (val && (!strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "on")))
			return 0;
		return bad(f, e->line, "superblock= needs yes or no, not '%s'", val ? val : "");
	}
	if (IS("fec-device") || IS("root-hash-signature")) {
		char *path = NULL;
		int r;
		if (!val || !*val)
			return bad(f, e->line, "%.*s= needs a file name", (int)klen, o);
		if (IS("root-hash-signature") && strncmp(val, "base64:", 7) == 0)
			return bad(f, e->line, "root-hash-signature=base64:...: not supported, name the signature file");
		if (IS("root-hash-signature") && val[0] != '/')
			return bad(f, e->line, "root-hash-signature=%s: an absolute path expected", val);
		if (IS("fec-device")) {
			if ((r = device_spec(f, e->line, "fec", val, &path)) < 0)
				return r;
			r = add_opt(e, "--fec-device=%s", path);
			free(path);
			return r;
		}
		return add_opt(e, "--root-hash-signature=%s", val);
	}
	if (IS("noauto") || IS("nofail")) {
		if (val)
			return bad(f, e->line, "%.*s takes no value", (int)klen, o);
		if (o[2] == 'a')
			e->noauto = true;
		else
			e->nofail = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (IS(ignored[i]))
			return 0;
	if (strncmp(o, "x-systemd.", 10) == 0)
		return 0;
#undef IS
	return bad(f, e->line, "unknown option '%.*s'", (int)klen, o);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 128 && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int parse_line(struct vt_file *f, unsigned line, char *text)
{
	char *field[6], *save = NULL;
	int nf = 0;
	for (char *t = strtok_r(text, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (nf == 5)
			return bad(f, line, "more than 5 fields (NAME DATA HASH ROOTHASH [OPTIONS])");
		field[nf++] = t;
	}
	if (nf == 0)
		return 0;
	if (nf < 4)
		return bad(f, line, "%d field%s, 4 or 5 expected (NAME DATA HASH ROOTHASH [OPTIONS])", nf,
			   nf == 1 ? "" : "s");
	if (!valid_name(field[0]))
		return bad(f, line, "invalid volume name '%s'", field[0]);
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->e[i].name, field[0]) == 0)
			return bad(f, line, "volume '%s' already defined on line %u", field[0], f->e[i].line);
	size_t rl = strlen(field[3]);
	if (strcmp(field[3], "-") == 0)
		return bad(f, line, "root hash '-' (from udev) is not supported: give it in hex");
	bool hex = rl >= 2 && rl <= 128 && rl % 2 == 0;
	for (size_t i = 0; hex && i < rl; i++)
		hex = isxdigit((unsigned char)field[3][i]);
	if (!hex)
		return bad(f, line, "root hash '%s': an even number of hex digits (at most 128) expected", field[3]);

	struct vt_entry *v = realloc(f->e, (f->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->e = v;
	struct vt_entry *e = &f->e[f->n++];
	memset(e, 0, sizeof(*e));
	e->line = line;
	if (!(e->name = strdup(field[0])) || !(e->root = strdup(field[3])))
		return -ENOMEM;
	int r = device_spec(f, line, "data", field[1], &e->data);
	if (r == 0)
		r = device_spec(f, line, "hash", field[2], &e->hash);
	unsigned modes = 0;
	if (r == 0 && nf == 5) {
		char *osave = NULL;
		if (field[4][0] == ',' || field[4][strlen(field[4]) - 1] == ',' || strstr(field[4], ",,"))
			return bad(f, line, "an empty option in '%s'", field[4]);
		for (char *o = strtok_r(field[4], ",", &osave); o && r == 0; o = strtok_r(NULL, ",", &osave))
			r = parse_option(f, e, o, &modes);
		if (r == -E2BIG)
			r = bad(f, line, "too many options");
	}
	return r;
}

/* Read and check the whole file. Returns 0 or -errno (said). */
static int vt_load(struct vt_file *f)
{
	FILE *in = fopen(f->path, "re");
	if (!in) {
		int e = errno;
		cli_error("veritytab", "%s: %s", f->path, strerror(e));
		return -e;
	}
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned line = 0;
	int r = 0;
	while (r == 0 && (len = getline(&buf, &cap, in)) >= 0) {
		line++;
		if ((size_t)len != strlen(buf)) {
			r = bad(f, line, "a NUL byte in the line");
			break;
		}
		char *s = buf + strspn(buf, " \t");
		if (*s == '#')
			continue;
		r = parse_line(f, line, s);
	}
	if (r == 0 && ferror(in)) {
		r = -EIO;
		cli_error("veritytab", "%s: read error", f->path);
	}
	free(buf);
	fclose(in);
	if (r == -ENOMEM)
		cli_error("veritytab", "%s: %s", f->path, strerror(ENOMEM));
	return r;
}

/* Is NAME a device of udmd? 1 yes, 0 no, <0 udmd could not be asked (said). */
static int vt_active(const char *rt, const char *name)
{
	struct cli_reply rep = { .keep_fd = false };
	const char *argv[1] = { name };
	int r = cli_udmd_ask(rt, "veritytab", UDM_CMD_VERITY_STATUS, 0, 1, argv, false, &rep);
	if (r)
		return -EIO;
	free(rep.text);
	if (rep.status == 0)
		return 1;
	return rep.status == -ENODEV || rep.status == -ENXIO ? 0 : rep.status;
}

static int vt_open_one(const char *rt, const struct vt_entry *e)
{
	char *argv[8 + VT_MAX_OPTS];
	int n = 0;
	argv[n++] = (char *)"verity";
	argv[n++] = (char *)"open";
	for (int k = 0; k < e->nopts; k++)
		argv[n++] = e->opts[k];
	argv[n++] = (char *)"--";
	argv[n++] = e->data;
	argv[n++] = e->name;
	argv[n++] = e->hash;
	argv[n++] = e->root;
	argv[n] = NULL;
	return cli_verity_main(rt, n, argv);
}

static int vt_close_one(const char *rt, const struct vt_entry *e)
{
	char *argv[] = { (char *)"verity", (char *)"close", e->name, NULL };
	return cli_verity_main(rt, 3, argv);
}

static void usage_to(FILE *out)
{
	fprintf(out, "usage: udm veritytab [--runtime-dir DIR] check|open|close [FILE]\n"
		     "  FILE: default " VERITYTAB_DEFAULT "; lines NAME DATA HASH ROOTHASH [OPTIONS] (udm-veritytab(5))\n");
}

int cli_veritytab_main(const char *family_rt, int argc, char **argv)
{
	const char *verb = NULL, *rt = NULL;
	struct vt_file f = { .path = VERITYTAB_DEFAULT };
	int nargs = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage_to(stdout);
			return fflush(stdout) ? 1 : 0;
		} else if (strcmp(argv[i], "--runtime-dir") == 0 && i + 1 < argc) {
			rt = argv[++i];
		} else if (strncmp(argv[i], "--runtime-dir=", 14) == 0) {
			rt = argv[i] + 14;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("veritytab", "unknown option '%s'", argv[i]);
			usage_to(stderr);
			return 1;
		} else if (nargs == 0) {
			verb = argv[i], nargs++;
		} else if (nargs == 1) {
			f.path = argv[i], nargs++;
		} else {
			cli_error("veritytab", "unexpected argument '%s'", argv[i]);
			usage_to(stderr);
			return 1;
		}
	}
	if (!verb || (strcmp(verb, "check") && strcmp(verb, "open") && strcmp(verb, "close"))) {
		if (verb)
			cli_error("veritytab", "unknown verb '%s'", verb);
		usage_to(stderr);
		return 1;
	}
	/* its own --runtime-dir, else udm's before the family, else the environment */
	rt = cli_runtime_dir(rt ? rt : family_rt);
	if (vt_load(&f) < 0) {
		vt_free(&f);
		return 1;
	}
	int code = 0;
	if (strcmp(verb, "check") == 0) {
		printf("ok: %s: %zu volume%s\n", f.path, f.n, f.n == 1 ? "" : "s");
	} else if (strcmp(verb, "open") == 0) {
		/* udmd first: an unreachable udmd is one error, not one per line */
		struct cli_reply rep = { .keep_fd = false };
		if (cli_udmd_ask(rt, "veritytab open", UDM_CMD_PING, 0, 0, NULL, false, &rep)) {
			vt_free(&f);
			return 1;
		}
		free(rep.text);
		for (size_t i = 0; i < f.n; i++) {
			const struct vt_entry *e = &f.e[i];
			if (e->noauto)
				continue;
			int a = vt_active(rt, e->name);
			if (a == 1) {
				printf("%s: already open\n", e->name);
				continue;
			}
			if (a == 0 && vt_open_one(rt, e) == 0) {
				printf("%s: opened\n", e->name);
				continue;
			}
			fprintf(stderr, "udm: veritytab %s:%u: %s not opened%s\n", f.path, e->line, e->name,
				e->nofail ? " (nofail)" : "");
			if (!e->nofail)
				code = 1;
		}
	} else {
		for (size_t i = f.n; i-- > 0;) {
			const struct vt_entry *e = &f.e[i];
			int a = vt_active(rt, e->name);
			if (a < 0) {
				code = 1;
				break;
			}
			if (a == 0)
				continue;
			if (vt_close_one(rt, e) == 0) {
				printf("%s: closed\n", e->name);
			} else {
				fprintf(stderr, "udm: veritytab %s:%u: %s not closed\n", f.path, e->line, e->name);
				code = 1;
			}
		}
	}
	vt_free(&f);
	if (fflush(stdout) && !code)
		code = 1;
	return code;
}
