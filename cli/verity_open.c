/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm verity open, close and status: the verbs that go through udmd. open
 * checks the devices and builds the dm-verity table here; udmd creates the device. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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

/* One request to udmd (recs: records after the arguments, or NULL). Returns
 * the reply status (0 or -errno), or 1 if udmd could not be asked (already
 * reported); *reply is the payload (malloc'd, NUL-terminated), *len its size. */
static int udmd_call_recs(const struct verity_opts *o, const char *what, uint16_t cmd, uint32_t flags,
			  unsigned argc, const char *const *argv, const struct udm_rec_buf *recs, char **reply,
			  size_t *len)
{
	struct cli_reply rep = { .keep_fd = false };

	*reply = NULL;
	if (cli_udmd_ask_recs(runtime_dir(o), what, cmd, flags, argc, argv, recs, false, &rep))
		return 1;
	*reply = rep.text;
	if (len)
		*len = rep.len;
	return rep.status;
}

/* veritysetup's sentence for a reason udmd gives (an ERROR record); false if
 * the reply is not one. */
static bool say_reason(const char *reply, size_t len)
{
	struct udm_rec_reader rd;
	struct udm_rec rec;
	const char *name, *loop;
	if (!len || udm_rec_reader_init(&rd, reply, len) || udm_rec_next(&rd, &rec) != 1 ||
	    rec.kind != UDM_REC_ERROR || !(name = udm_rec_get_str(&rec, UDM_K_NAME)))
		return false;
	switch (udm_rec_get_u64(&rec, UDM_K_WHY, 0)) {
	case UDM_WHY_EXISTS:
		vcli_say("Device %s already exists.", name);
		return true;
	case UDM_WHY_NOT_ACTIVE:
		vcli_say("Device %s is not active.", name);
		return true;
	case UDM_WHY_IN_USE:
		if ((loop = udm_rec_get_str(&rec, UDM_K_LOOP)))
			vcli_say("Device %s is still in use (attached to %s).", name, loop);
		else
			vcli_say("Device %s is still in use.", name);
		return true;
	case UDM_WHY_SIG_REQUIRED:
		vcli_say("Root hash signature required.");
		return true;
	case UDM_WHY_KEYRING:
		vcli_say("Failed to load key in kernel keyring.");
		return true;
	case UDM_WHY_CANCEL_DEFERRED:
		vcli_say("Could not cancel deferred remove from device %s.", name);
		return true;
	default:
		return false;
	}
}

/* The failure of a udmd request as one line: veritysetup's own sentence when
 * udmd gives a reason it has one for ("Device NAME already exists.") or the
 * library's detail is one, else udm: WHAT: DETAIL (errno text). */
static int report_failure(const char *what, int r, const char *reply, size_t rlen)
{
	if (r == 1)
		return 1;
	if (say_reason(reply, rlen))
		return vcli_exit_code(r) ? vcli_exit_code(r) : 1;
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

/* The signature file, raw (veritysetup: a regular non-empty file); *len its size. */
static uint8_t *read_signature(const char *path, size_t *len)
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
	if (!raw || verity_pread_full(fd, raw, n, 0)) {
		cli_error("verity", "%s: cannot read root hash signature", path);
		free(raw);
		close(fd);
		return NULL;
	}
	close(fd);
	*len = n;
	return raw;
}

/* veritysetup open DATA NAME HASH [ROOT_HASH]: the parameters of the table
 * are gathered here as cryptsetup's get_dm_verity_params does
 * (docs/udm-verity.md, open) and sent as one record; udmd writes the table and
 * creates the device. */
int vcli_open(struct verity_opts *o)
{
	struct vcli_setup s;
	char root_hex[2 * VERITY_MAX_DIGEST_SIZE + 1], salt_hex[2 * VERITY_MAX_SALT_SIZE + 1];
	char *data_abs = NULL, *hash_abs = NULL, *fec_abs = NULL, *reply = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0, rlen = 0;
	struct udm_rec_buf rec = { .max = UDM_PROTO_MAX_REQUEST };
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

	verity_hex_encode(s.root, verity_digest_size(s.p.hash_name), root_hex);
	if (s.p.salt_size)
		verity_hex_encode(s.p.salt, s.p.salt_size, salt_hex);
	else
		strcpy(salt_hex, "-");
	udm_rec_begin(&rec, UDM_REC_VERITY);
	udm_rec_u64(&rec, UDM_K_V_HASH_TYPE, s.p.hash_type);
	udm_rec_str(&rec, UDM_K_V_DATA, data_abs);
	udm_rec_str(&rec, UDM_K_V_HASH, hash_abs);
	udm_rec_u64(&rec, UDM_K_V_DATA_BLOCK, s.p.data_block_size);
	udm_rec_u64(&rec, UDM_K_V_HASH_BLOCK, s.p.hash_block_size);
	udm_rec_u64(&rec, UDM_K_V_DATA_BLOCKS, s.p.data_blocks);
	udm_rec_u64(&rec, UDM_K_V_HASH_START, s.g.hash_start);
	udm_rec_str(&rec, UDM_K_V_ALG, s.p.hash_name);
	udm_rec_str(&rec, UDM_K_V_ROOT, root_hex);
	udm_rec_str(&rec, UDM_K_V_SALT, salt_hex);
	udm_rec_u64(&rec, UDM_K_SECTORS, s.p.data_blocks * (s.p.data_block_size / 512));
	/* cryptsetup's flag sanitising; udmd writes the words in its fixed order */
	bool restart = o->restart_on_corruption && !o->panic_on_corruption;
	bool panic = o->panic_on_corruption, ignore = o->ignore_corruption && !restart && !panic;
	uint64_t opts = ignore ? UDM_VOPT_IGNORE_CORRUPTION : restart ? UDM_VOPT_RESTART_ON_CORRUPTION
			: panic ? UDM_VOPT_PANIC_ON_CORRUPTION : 0;
	if (o->error_as_corruption)
		opts |= panic ? UDM_VOPT_PANIC_ON_ERROR : UDM_VOPT_RESTART_ON_ERROR;
	if (o->ignore_zero_blocks)
		opts |= UDM_VOPT_IGNORE_ZERO_BLOCKS;
	if (o->check_at_most_once)
		opts |= UDM_VOPT_CHECK_AT_MOST_ONCE;
	if (o->use_tasklets)
		opts |= UDM_VOPT_TASKLET;
	udm_rec_u64(&rec, UDM_K_V_OPTS, opts);
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
		udm_rec_str(&rec, UDM_K_V_FEC_DEV, fec_abs);
		udm_rec_u64(&rec, UDM_K_V_FEC_START, o->fec_offset / s.p.hash_block_size);
		udm_rec_u64(&rec, UDM_K_V_FEC_BLOCKS, fec_blocks);
		udm_rec_u64(&rec, UDM_K_V_FEC_ROOTS, o->fec_roots);
	}
	if (o->root_hash_signature) {
		if (!(sig = read_signature(o->root_hash_signature, &sig_len))) {
			r = -EINVAL;
			goto out;
		}
		udm_rec_bytes(&rec, UDM_K_V_SIG, sig, sig_len);
	}
	char uuid[37] = "";
	static const uint8_t zero_uuid[16];
	if (!s.p.no_superblock && memcmp(s.p.uuid, zero_uuid, 16) != 0)
		verity_uuid_unparse(s.p.uuid, uuid);
	udm_rec_str(&rec, UDM_K_V_SB_UUID, uuid);
	const char *argv[1] = { name };
	char what[300];
	snprintf(what, sizeof(what), "verity open %s", name);
	if (rec.err) {
		cli_error(what, "%s", strerror(-rec.err));
		r = rec.err;
		goto out;
	}
	r = udmd_call_recs(o, what, UDM_CMD_VERITY_OPEN, 0, 1, argv, &rec, &reply, &rlen);
	if (r) {
		code = report_failure(what, r, reply, rlen);
		goto release;
	}
out:
	code = vcli_exit_code(r);
release:
	free(rec.buf);
	free(reply);
	free(sig);
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
	size_t len = 0;
	int r = udmd_call_recs(o, what, UDM_CMD_VERITY_CLOSE, flags, 1, argv, NULL, &reply, &len);
	if (r == -ENXIO)   /* no such device: veritysetup's -ENODEV, exit 4 */
		r = -ENODEV;
	/* no udmd to ask: veritysetup without device-mapper fails crypt_init_by_name
	 * with -ENODEV here (exit 4), where open and status exit 1 */
	int code = r == 1 ? EXIT_DEVICE : r ? report_failure(what, r, reply, len) : 0;
	/* the device stays while something holds it (udmd answers with its record,
	 * its removal deferred); cryptsetup says so (stdout) */
	struct cli_devs devs;
	if (!r && o->deferred && len && cli_devs_parse(what, reply, len, &devs) == 0) {
		if (devs.n == 1 && (devs.dev[0].flags & UDM_F_DEFERRED_REMOVE))
			printf("Device %s is still active and scheduled for deferred removal.\n", o->args[1]);
		cli_devs_free(&devs);
	}
	free(reply);
	return code;
}

/* --- status: veritysetup's text from udmd's records ------------------------ */

/* The i-th space-separated word of s into out; false if there is none (or it
 * does not fit). */
static bool word(const char *s, unsigned i, char *out, size_t outlen)
{
	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			return false;
		size_t n = strcspn(s, " ");
		if (i-- == 0) {
			if (n >= outlen)
				return false;
			memcpy(out, s, n);
			out[n] = '\0';
			return true;
		}
		s += n;
	}
}

/* A number of the table (udm's own target printed it), 0 if it is not one. */
static uint64_t table_number(const char *s)
{
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	return errno ? 0 : v;
}

/* The name of udmd's device MAJ:MIN, into buf; false if there is none. */
static bool udm_name_of(const struct verity_opts *o, unsigned ma, unsigned mi, char *buf, size_t len)
{
	char *reply = NULL;
	size_t rlen = 0;
	struct cli_devs devs;
	bool found = false;
	if (udmd_call_recs(o, "verity status", UDM_CMD_DM_LS, 0, 0, NULL, NULL, &reply, &rlen) == 0 &&
	    cli_devs_parse("verity status", reply, rlen, &devs) == 0) {
		for (size_t i = 0; i < devs.n && !found; i++)
			if (devs.dev[i].major == ma && devs.dev[i].minor == mi) {
				snprintf(buf, len, "%s", devs.dev[i].name);
				found = true;
			}
		cli_devs_free(&devs);
	}
	free(reply);
	return found;
}

/* What a table device word names, for veritysetup's "data device"/"data loop"
 * lines (libcryptsetup resolves the kernel's numbers the same way): label and
 * loop_label are printed as given (veritysetup pads each its own way: "FEC
 * device:  "); no loop line without loop_label. mapper_dir: where udmd's
 * devices are seen. */
static void device_lines(const struct verity_opts *o, const char *mapper_dir, const char *label,
			 const char *loop_label, const char *dev)
{
	unsigned ma, mi;
	char c;
	if (sscanf(dev, "%u:%u%c", &ma, &mi, &c) != 2) {   /* a regular file: its path */
		printf("  %s%s\n", label, dev);
		return;
	}
	if (ma == UDM_MAJOR) {
		char name[UDM_NAME_LEN];
		if (udm_name_of(o, ma, mi, name, sizeof(name)))
			printf("  %s%s/%s\n", label, mapper_dir, name);
		else
			printf("  %s%s\n", label, dev);
		return;
	}
	char path[128], bf[4096];
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", ma, mi);
	ssize_t l = readlink(path, bf, sizeof(bf) - 1);
	const char *base = NULL;
	if (l > 0) {
		bf[l] = '\0';
		base = strrchr(bf, '/');
	}
	if (!base) {
		printf("  %s%s\n", label, dev);
		return;
	}
	printf("  %s/dev/%s\n", label, base + 1);
	if (!loop_label || strncmp(base + 1, "loop", 4) != 0)
		return;
	snprintf(path, sizeof(path), "/sys/block/%.40s/loop/backing_file", base + 1);
	FILE *f = fopen(path, "re");
	if (f && fgets(bf, sizeof(bf), f)) {
		bf[strcspn(bf, "\n")] = '\0';
		printf("  %s%s\n", loop_label, bf);
	}
	if (f)
		fclose(f);
}

/* veritysetup status NAME (cryptsetup's action_status), from udmd's records:
 * the device, its live table entry and status entry. 0 or -EBADMSG. */
static int print_status(const struct verity_opts *o, const struct cli_dev *dev)
{
	if (dev->ntable != 1 || dev->nstatus != 1 || !dev->path)
		return -EBADMSG;
	const char *table = dev->table[0].params, *info_text = dev->status[0].params;
	char mapper_dir[PATH_MAX];
	snprintf(mapper_dir, sizeof(mapper_dir), "%s", dev->path);
	char *slash = strrchr(mapper_dir, '/');
	if (slash)
		*slash = '\0';
	/* version data hash dbs hbs blocks hash_start alg root salt [n opts...] */
	char w[10][4200];
	for (unsigned i = 0; i < 10; i++)
		if (!word(table, i, w[i], sizeof(w[i])))
			w[i][0] = '\0';
	bool ign = false, restart = false, panic = false, zero = false, once = false, eac = false, fec = false,
	     tasklet = false;
	char fecdev[4200] = "";
	uint64_t fec_start = 0;
	unsigned fec_roots = 0;
	char opt[4200];
	for (unsigned i = 11; word(table, i, opt, sizeof(opt)); i++) {
		if (!strcmp(opt, "ignore_corruption"))
			ign = true;
		else if (!strcmp(opt, "restart_on_corruption"))
			restart = true;
		else if (!strcmp(opt, "panic_on_corruption"))
			panic = true;
		else if (!strcmp(opt, "restart_on_error") || !strcmp(opt, "panic_on_error"))
			eac = true;
		else if (!strcmp(opt, "ignore_zero_blocks"))
			zero = true;
		else if (!strcmp(opt, "check_at_most_once"))
			once = true;
		else if (!strcmp(opt, "try_verify_in_tasklet"))
			tasklet = true;
		else if (!strcmp(opt, "use_fec_from_device"))
			fec = word(table, ++i, fecdev, sizeof(fecdev));
		else if (!strcmp(opt, "fec_start") && word(table, ++i, opt, sizeof(opt)))
			fec_start = table_number(opt);
		else if (!strcmp(opt, "fec_roots") && word(table, ++i, opt, sizeof(opt)))
			fec_roots = (unsigned)table_number(opt);
		else if (!strcmp(opt, "fec_blocks") || !strcmp(opt, "root_hash_sig_key_desc"))
			i++;
	}
	unsigned hbs = (unsigned)table_number(w[4]), dbs = (unsigned)table_number(w[3]);
	uint64_t hstart = table_number(w[6]);

	printf("%s is active%s.\n", dev->path, dev->open > 0 ? " and is in use" : "");
	printf("  type:        VERITY\n");
	printf("  status:      %s%s\n", info_text[0] == 'C' ? "corrupted" : "verified",
	       dev->is_signed ? " (with signature)" : "");
	printf("  hash type:   %s\n", w[0]);
	printf("  data block:  %u [bytes]\n", dbs);
	printf("  hash block:  %u [bytes]\n", hbs);
	printf("  hash name:   %s\n", w[7]);
	printf("  salt:        %s\n", w[9]);
	device_lines(o, mapper_dir, "data device: ", "data loop:   ", w[1]);
	printf("  size:        %" PRIu64 " [512-byte units] (%" PRIu64 " [bytes])\n", dev->sectors, dev->sectors * 512);
	printf("  mode:        readonly\n");
	device_lines(o, mapper_dir, "hash device: ", "hash loop:   ", w[2]);
	printf("  hash offset: %" PRIu64 " [512-byte units] (%" PRIu64 " [bytes])\n", hstart * hbs / 512, hstart * hbs);
	if (fec) {
		/* veritysetup looks up the FEC loop of its --fec-device option, which
		 * status is not given: it prints no "FEC loop:" line */
		device_lines(o, mapper_dir, "FEC device:  ", NULL, fecdev);
		printf("  FEC offset:  %" PRIu64 " [512-byte units] (%" PRIu64 " [bytes])\n", fec_start * dbs / 512,
		       fec_start * dbs);
		printf("  FEC roots:   %u\n", fec_roots);
		const char *rep = strchr(info_text, ' ');
		printf("  FEC repaired: %s [events]\n", rep && rep[1] && rep[1] != '-' ? rep + 1 : "0");
	}
	printf("  root hash:   %s\n", w[8]);
	/* cryptsetup's action_status, spaces included: the *_on_error word right
	 * after the corruption mode, "restart_on_error" with no space after it */
	if (ign || restart || panic || zero || once || tasklet)
		printf("  flags:       %s%s%s%s%s%s%s\n", ign ? "ignore_corruption " : "",
		       restart ? "restart_on_corruption " : "", panic ? "panic_on_corruption " : "",
		       eac ? (panic ? "panic_on_error " : "restart_on_error") : "", zero ? "ignore_zero_blocks " : "",
		       once ? "check_at_most_once" : "", tasklet ? "try_verify_in_tasklet" : "");
	return 0;
}

int vcli_status(struct verity_opts *o)
{
	char *reply = NULL, what[300];
	size_t len = 0;
	if (o->nargs != 2) {
		vcli_usage_error("veritysetup", "status: requires <name> as arguments");
		return EXIT_PARAMS;
	}
	snprintf(what, sizeof(what), "verity status %s", o->args[1]);
	const char *argv[1] = { o->args[1] };
	int r = udmd_call_recs(o, what, UDM_CMD_VERITY_STATUS, 0, 1, argv, NULL, &reply, &len);
	int code = 0;
	if (r == -ENODEV && reply && *reply) {
		printf("%s is inactive.\n", reply);   /* udmd says where it would be */
		code = EXIT_DEVICE;
	} else if (r) {
		code = report_failure(what, r, reply, len);
	} else {
		struct cli_devs devs;
		if (cli_devs_parse(what, reply, len, &devs)) {
			code = 1;
		} else {
			if (devs.n != 1 || print_status(o, &devs.dev[0])) {
				cli_error(what, "malformed reply from udmd");
				code = 1;
			}
			cli_devs_free(&devs);
		}
	}
	free(reply);
	if (fflush(stdout) && !code) {
		cli_error(what, "writing output: %s", strerror(errno));
		code = 1;
	}
	return code;
}
