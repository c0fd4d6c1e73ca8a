/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm policy: offline IPE verbs (check = lint, eval = dry run); the verbs that
 * change the daemon's policy state go through udmd. */
#include <errno.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fsverity.h>
#include "util/hex.h"
#include "cli/cli.h"
#include "ipe/ipe.h"
#include "udm/udm.h"
#include "util/proto.h"

static void usage_to(FILE *f)
{
	fprintf(f,
		"usage: udm policy check FILE [--trusted-certs CERTS]\n"
		"       udm policy eval FILE --op OP [--dmverity-roothash ALG:HEX] [--dmverity-signature]\n"
		"                       [--boot-verified] [--fsverity-digest ALG:HEX] [--fsverity-signature]\n"
		"                       [--anonymous | --file PATH [--runtime-dir DIR | --no-daemon]]\n"
		"                       [--trusted-certs CERTS]\n"
		"                       [--record HOOK [--permissive] [--pid N] [--comm NAME]]\n"
		"       udm policy [--runtime-dir DIR] load FILE | update NAME FILE | activate NAME | delete NAME\n"
		"       udm policy [--runtime-dir DIR] list | show NAME | enforce [on|off] | success-audit [on|off]\n");
}

static int usage(void)
{
	usage_to(stderr);
	return 1;
}

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0;
	uint8_t *buf;

	if (!f)
		return -errno;
	if (!(buf = malloc(cap))) {
		if (f != stdin)
			fclose(f);
		return -ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = ferror(f) ? -EIO : 0;
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Read FILE (text or PKCS#7), verify against CERTS if given, parse. */
static int load_policy(const char *what, const char *file, const char *certs,
		       struct ipe_policy **pol, struct ipe_blob *blob)
{
	struct udm_trust *trust = NULL;
	struct ipe_parse_error pe;
	char reason[256];
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if (certs && (rc = udm_trust_load(certs, &trust, reason, sizeof(reason))) < 0) {
		cli_error(what, "--trusted-certs: %s: %s", udm_errno_name(-rc), reason);
		return rc;
	}
	if ((rc = read_all(file, &data, &len)) < 0) {
		cli_error(what, "%s: %s", file, strerror(-rc));
		udm_trust_free(trust);
		return rc;
	}
	rc = ipe_blob_open(data, len, trust, blob, reason, sizeof(reason));
	free(data);
	udm_trust_free(trust);
	if (rc < 0) {
		cli_error(what, "%s: %s: %s", file, udm_errno_name(-rc), reason);
		return rc;
	}
	rc = ipe_policy_parse(blob->text, blob->textlen, pol, &pe);
	if (rc < 0) {
		cli_error(what, "%s:%u: %s: %s", file, pe.line, udm_errno_name(pe.err), pe.reason);
		ipe_blob_release(blob);
	}
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	const char *file = NULL, *certs = NULL;
	struct ipe_policy *pol;
	struct ipe_blob blob;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--trusted-certs") == 0 && i + 1 < argc)
			certs = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] && !file)
			return cli_error("policy check", "unknown option '%s'", argv[i]), usage();
		else if (!file)
			file = argv[i];
		else
			return cli_error("policy check", "extra argument '%s'", argv[i]), usage();
	}
	if (!file)
		return cli_error("policy check", "no policy file given"), usage();
	/* what new_policy refuses beyond the grammar: first the size of the one write (before
	 * the kernel parses anything), after the parse the policy's directory name */
	char reason[256];
	struct stat st;
	int rc = stat(file, &st) < 0 ? 0 : ipe_load_limits((size_t)st.st_size, NULL, reason, sizeof(reason));
	if (rc < 0)
		return cli_error("policy check", "%s: %s: %s", file, udm_errno_name(-rc), reason), 1;
	if (load_policy("policy check", file, certs, &pol, &blob) < 0)
		return 1;
	if ((rc = ipe_load_limits(0, pol->name, reason, sizeof(reason))) < 0) {
		cli_error("policy check", "%s: %s: %s", file, udm_errno_name(-rc), reason);
		ipe_blob_release(&blob);
		ipe_policy_put(pol);
		return 1;
	}
	printf("ok: %s %hu.%hu.%hu, %zu rule%s\n", pol->name, pol->version[0], pol->version[1],
	       pol->version[2], pol->nrules, pol->nrules == 1 ? "" : "s");
	if (blob.is_signed)
		printf("signed by %s, %s\n", blob.signer[0] ? blob.signer : "(no certificate in message)",
		       blob.verified ? "verified against the trusted certificates"
				     : "not verified (no --trusted-certs)");
	ipe_blob_release(&blob);
	ipe_policy_put(pol);
	return 0;
}

/* ALG:HEX as a policy digest value (hex of either case, even length). */
static int parse_digest_arg(const char *opt, const char *s, char **alg, uint8_t **bytes, size_t *len)
{
	const char *c = strchr(s, ':');
	size_t hl = c ? strlen(c + 1) : 0;

	if (!c || hl % 2 || c == s) {
		cli_error("policy eval", "%s '%s': expected ALG:HEX with an even number of hex digits", opt, s);
		return -EINVAL;
	}
	*alg = strndup(s, (size_t)(c - s));
	*bytes = malloc(hl / 2 + 1);
	if (!*alg || !*bytes) {
		cli_error("policy eval", "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (udm_hex_decode(c + 1, *bytes, hl / 2, len)) {
		cli_error("policy eval", "%s '%s': '%s' is not hex", opt, s, c + 1);
		return -EINVAL;
	}
	return 0;
}

/* fs-verity of a real file (FS_IOC_MEASURE_VERITY); not an error when the
 * file or its filesystem has none. */
static int file_props(const char *path, struct ipe_eval_ctx *c, char **alg, uint8_t **bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("policy eval", "%s: %s", path, strerror(errno));
		return -errno;
	}
	struct { struct fsverity_digest d; uint8_t buf[64]; } m = { .d.digest_size = 64 };
	if (ioctl(fd, FS_IOC_MEASURE_VERITY, &m) == 0) {
		c->fsv_present = true;
		*alg = strdup(m.d.digest_algorithm == FS_VERITY_HASH_ALG_SHA512 ? "sha512" : "sha256");
		*bytes = malloc(m.d.digest_size);
		memcpy(*bytes, m.d.digest, m.d.digest_size);
		c->fsv_alg = *alg;
		c->fsv_digest = *bytes;
		c->fsv_digest_len = m.d.digest_size;
	}
	close(fd);
	return 0;
}

static int call_daemon_reply(const char *rt, const char *what, uint16_t cmd, unsigned argc,
			     const char *const *argv, bool quiet, char **out);

/* dm-verity properties of a real file: udmd answers what a decision on it
 * would see (the device behind its loop device); a file on no udm device has
 * none. Without udmd they are unknown, and a decision without them could
 * differ from udmd's: refused (fail closed), unless --no-daemon says so. */
static int dmverity_props(const char *path, const char *rt, struct ipe_eval_ctx *c, char **alg, uint8_t **bytes)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		cli_error("policy eval", "%s: %s", path, strerror(errno));
		return -errno;
	}
	char devno[32], *out = NULL, hex[2 * 64 + 1], a[32];
	int sig;
	snprintf(devno, sizeof(devno), "%u:%u", major(st.st_dev), minor(st.st_dev));
	const char *argv1[] = { devno };
	int rc = call_daemon_reply(rt, "policy eval", UDM_CMD_POLICY_FILE_PROPS, 1, argv1, true, &out);
	if (rc == 2) {
		cli_error("policy eval", "--file %s: cannot reach udmd at %s/control for its dm-verity properties"
			  " (give --no-daemon to decide without them)", path, rt);
		return -EHOSTUNREACH;
	}
	if (rc) {   /* udmd said why (not quiet) */
		free(out);
		return -EIO;
	}
	if (sscanf(out, "dmverity_roothash=%31[^:]:%128s dmverity_signature=%d", a, hex, &sig) == 3) {
		size_t n = strlen(hex) / 2;
		*alg = strdup(a);
		*bytes = malloc(n ? n : 1);
		if (!*alg || !*bytes || udm_hex_decode(hex, *bytes, n, &n)) {
			/* fail closed: a reply that cannot be read names no device */
			cli_error("policy eval", "%s: unreadable dm-verity properties from udmd", path);
			free(out);
			return -EIO;
		}
		c->dmv_present = true;
		c->dmv_alg = *alg;
		c->dmv_digest = *bytes;
		c->dmv_digest_len = n;
		c->dmv_signed = sig == 1;
	}
	free(out);
	return 0;
}

/* The kernel's s_id of the superblock FILE is on: a block device's disk name
 * ("dm-0", "loop3"), else the file system type's name ("tmpfs", "rootfs"),
 * which alloc_super() copies into s_id; taken from the mount with st_dev. */
static void file_sid(const struct stat *st, char *out, size_t len)
{
	char p[96], link[256], line[4096];
	snprintf(out, len, "%u:%u", major(st->st_dev), minor(st->st_dev));
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(st->st_dev), minor(st->st_dev));
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		const char *base = strrchr(link, '/');
		snprintf(out, len, "%.31s", base ? base + 1 : link);	/* s_id[32] */
		return;
	}
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned ma, mi;
		char type[64];
		const char *sep = strstr(line, " - ");
		if (sscanf(line, "%*d %*d %u:%u", &ma, &mi) == 2 && ma == major(st->st_dev) &&
		    mi == minor(st->st_dev) && sep && sscanf(sep + 3, "%63s", type) == 1) {
			snprintf(out, len, "%.31s", type);
			break;
		}
	}
	fclose(f);
}

static int hook_from_name(const char *name)
{
	for (int h = IPE_HOOK_BPRM_CHECK; h <= IPE_HOOK_BPRM_CREDS_FOR_EXEC; h++)
		if (strcmp(name, ipe_hook_name((enum ipe_hook)h)) == 0)
			return h;
	return -1;
}

/* The AUDIT_IPE_ACCESS record the kernel would write for this decision (as
 * with success_audit on): the subject is --pid/--comm (default: this
 * process), the file --file PATH (its absolute path, s_id and inode). */
static int print_record(const struct ipe_decision *d, enum ipe_hook hook, bool enforcing, int pid,
			const char *comm, const char *path)
{
	struct ipe_audit_subject s = { .pid = pid, .comm = comm };
	char abs[4096], sid[96], rec[8192 + 4096];
	struct stat st;
	if (path) {
		if (!realpath(path, abs) || stat(abs, &st) < 0) {
			cli_error("policy eval", "%s: %s", path, strerror(errno));
			return -1;
		}
		file_sid(&st, sid, sizeof(sid));
		s.has_file = s.has_inode = true;
		s.path = abs, s.dev = sid, s.ino = (unsigned long)st.st_ino;
	}
	size_t n = ipe_audit_access(rec, sizeof(rec), d, hook, enforcing, &s);
	if (n >= sizeof(rec)) {
		cli_error("policy eval", "the record is longer than %zu bytes", sizeof(rec) - 1);
		return -1;
	}
	printf("%s\n", rec);
	return 0;
}

static int cmd_eval(const char *family_rt, int argc, char **argv)
{
	const char *file = NULL, *certs = NULL, *opname = NULL, *path = NULL;
	const char *rt = family_rt;   /* a --runtime-dir of eval's own wins */
	struct ipe_eval_ctx c = { .has_file = true };
	char *dalg = NULL, *falg = NULL, *xalg = NULL;
	uint8_t *dbytes = NULL, *fbytes = NULL, *xbytes = NULL;
	bool anon = false, no_daemon = false, permissive = false;
	const char *hookname = NULL, *comm = "udm";
	int rc = 1, pid = (int)getpid();

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--op") == 0 && v) {
			opname = v, i++;
		} else if (strcmp(a, "--trusted-certs") == 0 && v) {
			certs = v, i++;
		} else if (strcmp(a, "--dmverity-roothash") == 0 && v && !dalg) {
			if (parse_digest_arg(a, v, &dalg, &dbytes, &c.dmv_digest_len) < 0)
				goto out;
			c.dmv_present = true, c.dmv_alg = dalg, c.dmv_digest = dbytes, i++;
		} else if (strcmp(a, "--fsverity-digest") == 0 && v && !falg) {
			if (parse_digest_arg(a, v, &falg, &fbytes, &c.fsv_digest_len) < 0)
				goto out;
			c.fsv_present = true, c.fsv_alg = falg, c.fsv_digest = fbytes, i++;
		} else if (strcmp(a, "--dmverity-signature") == 0) {
			c.dmv_present = c.dmv_signed = true;	/* a signed verity device */
		} else if (strcmp(a, "--fsverity-signature") == 0) {
			c.fsv_present = c.fsv_signed = true;	/* only verity files carry one */
		} else if (strcmp(a, "--boot-verified") == 0) {
			c.boot_verified = true;
		} else if (strcmp(a, "--anonymous") == 0) {
			anon = true;
		} else if (strcmp(a, "--file") == 0 && v && !path) {
			path = v, i++;
		} else if (strcmp(a, "--runtime-dir") == 0 && v) {
			rt = v, i++;
		} else if (strcmp(a, "--no-daemon") == 0) {
			no_daemon = true;
		} else if (strcmp(a, "--record") == 0 && v && !hookname) {
			hookname = v, i++;
		} else if (strcmp(a, "--permissive") == 0) {
			permissive = true;
		} else if (strcmp(a, "--comm") == 0 && v) {
			comm = v, i++;
		} else if (strcmp(a, "--pid") == 0 && v) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*v == '\0' || *end || n < 0 || n > 0x7fffffff) {
				cli_error("policy eval", "--pid '%s': not a process id", v);
				goto out;
			}
			pid = (int)n, i++;
		} else if (a[0] != '-' && !file) {
			file = a;
		} else {
			cli_error("policy eval", "bad or repeated argument '%s'", a);
			usage();
			goto out;
		}
	}
	if (!file || !opname) {
		cli_error("policy eval", "%s", !file ? "no policy file given" : "--op OP is required");
		usage();
		goto out;
	}
	if (anon && path) {
		cli_error("policy eval", "--anonymous and --file exclude each other");
		goto out;
	}
	int op = ipe_op_from_name(opname);
	if (op < 0 && strcmp(opname, "UNKNOWN") != 0) {
		cli_error("policy eval", "unknown op '%s' (EXECUTE FIRMWARE KMODULE KEXEC_IMAGE "
			  "KEXEC_INITRAMFS POLICY X509_CERT UNKNOWN)", opname);
		goto out;
	}
	c.op = op < 0 ? IPE_OP_INVALID : (enum ipe_op)op;
	int hook = hookname ? hook_from_name(hookname) : IPE_HOOK_BPRM_CHECK;
	if (hook < 0) {
		cli_error("policy eval", "unknown hook '%s' (BPRM_CHECK MMAP MPROTECT KERNEL_READ KERNEL_LOAD "
			  "BPRM_CREDS_FOR_EXEC)",
			  hookname);
		goto out;
	}
	c.hook = (enum ipe_hook)hook;
	c.has_file = !anon;
	if (path && !c.fsv_present && file_props(path, &c, &xalg, &xbytes) < 0)
		goto out;
	if (path && !c.dmv_present && !no_daemon &&
	    dmverity_props(path, cli_runtime_dir(rt), &c, &dalg, &dbytes) < 0)
		goto out;

	struct ipe_policy *pol;
	struct ipe_blob blob;
	if (load_policy("policy eval", file, certs, &pol, &blob) < 0)
		goto out;
	struct ipe_decision d;
	char text[8192];
	ipe_eval(pol, &c, &d);
	if (hookname) {
		rc = print_record(&d, (enum ipe_hook)hook, !permissive, pid, comm, path) < 0 ? 1
		     : d.action == IPE_ACTION_DENY ? 2 : 0;
	} else {
		ipe_decision_format(&d, text, sizeof(text));
		printf("%s %s\n", d.action == IPE_ACTION_DENY ? "DENY" : "ALLOW", text);
		rc = d.action == IPE_ACTION_DENY ? 2 : 0;
	}
	ipe_blob_release(&blob);
	ipe_policy_put(pol);
out:
	free(dalg), free(dbytes), free(falg), free(fbytes), free(xalg), free(xbytes);
	return rc;
}

/* ---- verbs through udmd ---- */

/* One request to udmd; its output in *out (NUL-terminated, caller frees).
 * Returns 0, 2 if udmd could not be reached (nothing said when quiet), or 1
 * for any other failure, said as "udm: policy VERB: ERRNO TEXT: DETAIL"
 * (quiet silences only the first: a quiet caller handles absence itself). */
static int call_daemon_reply(const char *rt, const char *what, uint16_t cmd, unsigned argc,
			     const char *const *argv, bool quiet, char **out)
{
	struct cli_reply rep = { .keep_fd = false };
	int rc = cli_udmd_ask(rt, what, cmd, 0, argc, argv, quiet, &rep);

	if (rc)
		return rc;
	if (rep.status < 0) {
		cli_reply_error(what, &rep);
		free(rep.text);
		return 1;
	}
	*out = rep.text;
	return 0;
}

/* One request to udmd; prints its output. */
static int call_daemon(const char *rt, const char *what, uint16_t cmd, unsigned argc, const char *const *argv)
{
	char *out = NULL;
	int rc = call_daemon_reply(rt, what, cmd, argc, argv, false, &out) ? 1 : 0;
	if (!rc && out[0] && fputs(out, stdout) == EOF)
		rc = 1;
	if (fflush(stdout) != 0 && rc == 0) {
		cli_error(what, "writing output: %s", strerror(errno));
		rc = 1;
	}
	free(out);
	return rc;
}

/* FILE as hex: DER carries NUL bytes and request arguments are C strings. */
static char *file_hex(const char *what, const char *file)
{
	uint8_t *data;
	size_t len;
	int r = read_all(file, &data, &len);
	if (r < 0) {
		cli_error(what, "%s: %s", file, strerror(-r));
		return NULL;
	}
	if (len > (UDM_PROTO_MAX_TEXT - 4096) / 2) {
		cli_error(what, "%s: %s", file, strerror(EFBIG));
		free(data);
		return NULL;
	}
	char *h = malloc(2 * len + 1);
	for (size_t i = 0; h && i < len; i++)
		sprintf(h + 2 * i, "%02x", data[i]);
	if (h)
		h[2 * len] = '\0';
	else
		cli_error(what, "%s", strerror(ENOMEM));
	free(data);
	return h;
}

static const struct daemon_verb {
	const char *name;
	uint16_t cmd, set_cmd;	/* set_cmd: with the optional on|off argument */
	int min, max;		/* positional arguments */
	const char *args;
} daemon_verbs[] = {
	{ "load", UDM_CMD_POLICY_LOAD, 0, 1, 1, "FILE" },
	{ "update", UDM_CMD_POLICY_UPDATE, 0, 2, 2, "NAME FILE" },
	{ "activate", UDM_CMD_POLICY_ACTIVATE, 0, 1, 1, "NAME" },
	{ "delete", UDM_CMD_POLICY_DELETE, 0, 1, 1, "NAME" },
	{ "list", UDM_CMD_POLICY_LIST, 0, 0, 0, "" },
	{ "show", UDM_CMD_POLICY_SHOW, 0, 1, 1, "NAME" },
	{ "enforce", UDM_CMD_POLICY_ENFORCE_GET, UDM_CMD_POLICY_ENFORCE_SET, 0, 1, "[on|off]" },
	{ "success-audit", UDM_CMD_POLICY_SAUDIT_GET, UDM_CMD_POLICY_SAUDIT_SET, 0, 1, "[on|off]" },
};

static int cmd_daemon(const char *family_rt, const struct daemon_verb *v, int argc, char **argv)
{
	char what[64];
	const char *rt = cli_runtime_dir(family_rt), *pos[4];
	int npos = 0;

	snprintf(what, sizeof(what), "policy %s", v->name);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--runtime-dir") == 0 && i + 1 < argc)
			rt = argv[++i];
		else if (strncmp(argv[i], "--runtime-dir=", 14) == 0)
			rt = argv[i] + 14;
		else if (npos < v->max)
			pos[npos++] = argv[i];
		else
			return cli_error(what, "extra argument '%s' (expected %s)", argv[i], v->args), usage();
	}
	if (npos < v->min)
		return cli_error(what, "missing argument (expected %s)", v->args), usage();

	uint16_t cmd = v->cmd;
	char *hex = NULL;
	if (v->set_cmd && npos == 1) {
		bool on;
		if (ipe_parse_bool(pos[0], strlen(pos[0]), &on) < 0)
			return cli_error(what, "%s: '%s' is not on or off", strerror(EINVAL), pos[0]), 1;
		cmd = v->set_cmd;
		pos[0] = on ? "1" : "0";
	} else if (cmd == UDM_CMD_POLICY_LOAD || cmd == UDM_CMD_POLICY_UPDATE) {
		if (!(hex = file_hex(what, pos[npos - 1])))
			return 1;
		pos[npos - 1] = hex;
	}
	int rc = call_daemon(rt, what, cmd, (unsigned)npos, pos);
	free(hex);
	return rc;
}

int cli_policy_main(const char *rt, int argc, char **argv)
{
	/* udm policy --runtime-dir DIR VERB ... (as documented), or --runtime-dir=DIR:
	 * handed to the verbs; a --runtime-dir after the verb still wins */
	while (argc >= 2 && strncmp(argv[1], "--runtime-dir", 13) == 0 &&
	       (argv[1][13] == '=' || (argv[1][13] == '\0' && argc >= 3))) {
		const char *dir = argv[1][13] == '=' ? argv[1] + 14 : argv[2];
		int shift = argv[1][13] == '=' ? 1 : 2;
		rt = dir;
		argv[shift] = argv[0];
		argc -= shift;
		argv += shift;
	}
	/* udm policy --help, udm policy help, udm policy VERB ... --help */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || (i == 1 && (strcmp(argv[1], "-h") == 0 ||
								    strcmp(argv[1], "help") == 0))) {
			usage_to(stdout);
			return fflush(stdout) ? 1 : 0;
		}
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(argv[1], "eval") == 0)
		return cmd_eval(rt, argc, argv);
	for (size_t i = 0; i < sizeof(daemon_verbs) / sizeof(daemon_verbs[0]); i++)
		if (strcmp(argv[1], daemon_verbs[i].name) == 0)
			return cmd_daemon(rt, &daemon_verbs[i], argc, argv);
	cli_error("policy", "unknown verb '%s'", argv[1]);
	return usage();
}
