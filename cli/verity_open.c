/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm verity open, close and status: the verbs that go through udmd. open
 * checks the devices and builds the dm-verity table here; udmd creates the device. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/verity_cli.h"
#include "udm/udm.h"
#include "util/proto.h"
#include "verity/io.h"
#include "verity/verity.h"

static const char *runtime_dir(const struct verity_opts *o)
{
	return cli_runtime_dir(o->runtime_dir);
}

/* One request to udmd. Returns the reply status (0 or -errno), or 1 if udmd
 * could not be asked (already reported); *reply is the text (malloc'd). */
static int udmd_call_flags(const struct verity_opts *o, const char *what, uint16_t cmd, uint32_t flags,
			   unsigned argc, const char *const *argv, char **reply)
{
	struct cli_reply rep = { .keep_fd = false };

	*reply = NULL;
	if (cli_udmd_ask(runtime_dir(o), what, cmd, flags, argc, argv, false, &rep))
		return 1;
	*reply = rep.text;
	return rep.status;
}

static int udmd_call(const struct verity_opts *o, const char *what, uint16_t cmd, unsigned argc,
		     const char *const *argv, char **reply)
{
	return udmd_call_flags(o, what, cmd, 0, argc, argv, reply);
}

/* The failure of a udmd request as one line: veritysetup's own sentence when
 * udmd answers with one ("Device NAME already exists."), else udm: WHAT:
 * DETAIL (errno text). */
static int report_failure(const char *what, int r, const char *reply)
{
	if (r == 1)
		return 1;
	size_t len = reply ? strcspn(reply, "\n") : 0;
	if (len && reply[len - 1] == '.' && isupper((unsigned char)reply[0])) {
		fprintf(stderr, "%.*s\n", (int)len, reply);
	} else if (reply && *reply) {
		size_t n = strcspn(reply, "\n");
		cli_error(what, "%.*s (%s)", (int)n, reply, strerror(-r));
	} else {
		cli_error(what, "%s", strerror(-r));
	}
	return vcli_exit_code(r) ? vcli_exit_code(r) : 1;
}

static char *abs_path(const char *path)
{
	if (vcli_is_uri(path))   /* udmd connects to it as given */
		return strdup(path);
	char *p = realpath(path, NULL);
	if (!p)
		vcli_say("Device %s does not exist or access denied.", path);
	return p;
}

/* The signature file, raw, as lowercase hex (veritysetup: a regular non-empty file). */
static char *read_signature_hex(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > (off_t)VERITY_MAX_SIG_SIZE) {
		cli_error("verity", "%s: not a usable root hash signature file%s%s", path, fd < 0 ? ": " : "",
			  fd < 0 ? strerror(errno) : "");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *raw = malloc(n);
	char *hex = malloc(2 * n + 1);
	if (!raw || !hex || verity_pread_full(fd, raw, n, 0)) {
		cli_error("verity", "%s: cannot read root hash signature", path);
		free(raw);
		free(hex);
		close(fd);
		return NULL;
	}
	close(fd);
	verity_hex_encode(raw, n, hex);
	free(raw);
	return hex;
}

/* veritysetup open DATA NAME HASH [ROOT_HASH]: the table is built here as
 * cryptsetup's get_dm_verity_params does (docs/udm-verity.md, open); udmd
 * creates the device. */
int vcli_open(struct verity_opts *o)
{
	struct vcli_setup s;
	char root_hex[2 * VERITY_MAX_DIGEST_SIZE + 1], salt_hex[2 * VERITY_MAX_SALT_SIZE + 1], opts[8192] = "";
	char *data_abs = NULL, *hash_abs = NULL, *fec_abs = NULL, *sighex = NULL, *reply = NULL, *base = NULL;
	int r, code;

	if (o->nargs != 5 && !(o->nargs == 4 && o->root_hash_file)) {
		if (o->nargs == 4)
			vcli_say("Command requires <root_hash> or --root-hash-file option as argument.");
		else
			vcli_usage_error("veritysetup",
					 "open: requires <data_device> <name> <hash_device> [<root_hash>] as arguments");
		return EXIT_PARAMS;
	}
	/* option pairs: checked with the other usage errors (cli/verity.c) */
	const char *name = o->args[2];
	r = vcli_setup_open(o, o->args[1], o->args[3], o->args[4], &s);
	if (!s.hash.open)
		return EXIT_DEVICE;
	if (r)
		goto out;
	if (!(data_abs = abs_path(o->args[1])) || !(hash_abs = abs_path(o->args[3]))) {
		r = -ENODEV;
		goto out;
	}

	/* base: <hash_type> <data> <hash> <dbs> <hbs> <data_blocks> <hash_start> <alg> <root> <salt|-> */
	verity_hex_encode(s.root, verity_digest_size(s.p.hash_name), root_hex);
	if (s.p.salt_size)
		verity_hex_encode(s.p.salt, s.p.salt_size, salt_hex);
	else
		strcpy(salt_hex, "-");
	size_t blen = strlen(data_abs) + strlen(hash_abs) + strlen(root_hex) + strlen(salt_hex) + 128;
	base = malloc(blen);
	if (!base) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(base, blen, "%u %s %s %u %u %" PRIu64 " %" PRIu64 " %s %s %s", s.p.hash_type, data_abs, hash_abs,
		 s.p.data_block_size, s.p.hash_block_size, s.p.data_blocks, s.g.hash_start, s.p.hash_name, root_hex,
		 salt_hex);
	/* cryptsetup's flag sanitising, then its fixed option order */
	bool restart = o->restart_on_corruption && !o->panic_on_corruption;
	bool panic = o->panic_on_corruption, ignore = o->ignore_corruption && !restart && !panic;
	size_t ol = 0;
#define OPT(...) ol += (size_t)snprintf(opts + ol, sizeof(opts) - ol, __VA_ARGS__)
	if (ignore)
		OPT(" ignore_corruption");
	else if (restart)
		OPT(" restart_on_corruption");
	else if (panic)
		OPT(" panic_on_corruption");
	if (o->error_as_corruption)
		OPT(" %s", panic ? "panic_on_error" : "restart_on_error");
	if (o->ignore_zero_blocks)
		OPT(" ignore_zero_blocks");
	if (o->check_at_most_once)
		OPT(" check_at_most_once");
	if (o->use_tasklets)
		OPT(" try_verify_in_tasklet");
	if (o->fec_device) {
		uint64_t fec_blocks;
		struct vcli_dev fecd;
		if ((r = vcli_dev_open(o->fec_device, false, &fecd)))
			goto out;
		bool on_hash = vcli_dev_same(&fecd, &s.hash);
		vcli_dev_close(&fecd);
		if (!(fec_abs = abs_path(o->fec_device))) {
			r = -ENODEV;
			goto out;
		}
		if (verity_fec_blocks(&s.p, &s.g, s.hash_size, on_hash, o->fec_offset,
				      &fec_blocks)) {
			vcli_say("Invalid FEC segment length.");
			r = -EINVAL;
			goto out;
		}
		OPT(" use_fec_from_device %s fec_start %" PRIu64 " fec_blocks %" PRIu64 " fec_roots %u", fec_abs,
		    o->fec_offset / s.p.hash_block_size, fec_blocks, (unsigned)o->fec_roots);
	}
#undef OPT
	if (ol >= sizeof(opts)) {
		cli_error("verity", "open: %s", strerror(ENAMETOOLONG));
		r = -ENAMETOOLONG;
		goto out;
	}
	if (o->root_hash_signature && !(sighex = read_signature_hex(o->root_hash_signature))) {
		r = -EINVAL;
		goto out;
	}
	char uuid[37] = "", sectors[32];
	static const uint8_t zero_uuid[16];
	if (!s.p.no_superblock && memcmp(s.p.uuid, zero_uuid, 16) != 0)
		verity_uuid_unparse(s.p.uuid, uuid);
	snprintf(sectors, sizeof(sectors), "%" PRIu64, s.p.data_blocks * (s.p.data_block_size / 512));
	const char *argv[6] = { name, uuid, sectors, base, opts[0] ? opts + 1 : "", sighex };
	char what[300];
	snprintf(what, sizeof(what), "verity open %s", name);
	r = udmd_call(o, what, UDM_CMD_VERITY_OPEN, sighex ? 6 : 5, argv, &reply);
	if (r) {
		code = report_failure(what, r, reply);
		goto release;
	}
out:
	code = vcli_exit_code(r);
release:
	free(base);
	free(reply);
	free(sighex);
	free(data_abs);
	free(hash_abs);
	free(fec_abs);
	vcli_setup_close(&s);
	return code;
}

int vcli_close(struct verity_opts *o)
{
	char *reply = NULL, what[300];
	if (o->nargs != 2) {
		vcli_usage_error("veritysetup", "close: requires <name> as arguments");
		return EXIT_PARAMS;
	}
	snprintf(what, sizeof(what), "verity close %s", o->args[1]);
	const char *argv[1] = { o->args[1] };
	/* --cancel-deferred: udmd checks that NAME is an active verity device,
	 * then sends it dm's @cancel_deferred_remove message */
	uint32_t flags = o->deferred ? UDM_F_DEFERRED_REMOVE : o->cancel_deferred ? UDM_PROTO_F_CANCEL_DEFERRED : 0;
	int r = udmd_call_flags(o, what, UDM_CMD_VERITY_CLOSE, flags, 1, argv, &reply);
	if (r == -ENXIO)   /* no such device: veritysetup's -ENODEV, exit 4 */
		r = -ENODEV;
	/* no udmd to ask: veritysetup without device-mapper fails crypt_init_by_name
	 * with -ENODEV here (exit 4), where open and status exit 1 */
	int code = r == 1 ? EXIT_DEVICE : r ? report_failure(what, r, reply) : 0;
	/* the device stays while something holds it; cryptsetup says so (stdout) */
	if (!r && o->deferred && reply && strstr(reply, "deferred"))
		printf("Device %s is still active and scheduled for deferred removal.\n", o->args[1]);
	free(reply);
	return code;
}

int vcli_status(struct verity_opts *o)
{
	char *reply = NULL, what[300];
	if (o->nargs != 2) {
		vcli_usage_error("veritysetup", "status: requires <name> as arguments");
		return EXIT_PARAMS;
	}
	snprintf(what, sizeof(what), "verity status %s", o->args[1]);
	const char *argv[1] = { o->args[1] };
	int r = udmd_call(o, what, UDM_CMD_VERITY_STATUS, 1, argv, &reply);
	int code = 0;
	if (r == -ENODEV && reply && *reply) {
		fputs(reply, stdout);   /* "... is inactive." */
		code = EXIT_DEVICE;
	} else if (r) {
		code = report_failure(what, r, reply);
	} else if (reply) {
		fputs(reply, stdout);
	}
	free(reply);
	if (fflush(stdout) && !code) {
		cli_error(what, "writing output: %s", strerror(errno));
		code = 1;
	}
	return code;
}

