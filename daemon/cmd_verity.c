/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control commands of the verity family: what veritysetup open/close/status do
 * with the kernel (cryptsetup lib/verity/verity.c VERITY_activate,
 * src/veritysetup.c action_status), done on the daemon's udm context. The CLI
 * reads the superblock and builds the table; the daemon owns the signature
 * "keyring", the device and its lifetime. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "util/hex.h"
#include "daemon/events.h"
#include "daemon/export.h"
#include "daemon/udmd.h"
#include "targets/verity_keys.h"
#include "verity/verity.h"

#define ARG(i) (req->argc > (i) ? req->argv[i] : NULL)
#define VERITY_UUID_PREFIX "CRYPT-VERITY-"

/* --- start-up: trust, require_signatures, restart/panic ------------------ */

static enum { FATAL_LOG, FATAL_EXIT } fatal_mode;

/* restart_on_corruption / panic_on_corruption (and *_on_error) in user space.
 * Default: log the request; the read fails with EIO as in EIO mode. With
 * UDMD_VERITY_FATAL_ACTION=exit, udmd stops at once (the "reboot" of the
 * devices it serves: they all disappear; the next start cleans up). */
static void verity_fatal(const char *why)
{
	if (fatal_mode == FATAL_EXIT) {
		udmd_log("verity: %s: exiting (UDMD_VERITY_FATAL_ACTION=exit)", why);
		_exit(70);
	}
	udmd_log("verity: %s: restart/panic requested, logged only", why);
}

int udmd_verity_init(struct udmd *d, char *err, size_t errlen)
{
	const char *act = getenv("UDMD_VERITY_FATAL_ACTION");
	if (!act || !*act || strcmp(act, "log") == 0) {
		fatal_mode = FATAL_LOG;
	} else if (strcmp(act, "exit") == 0) {
		fatal_mode = FATAL_EXIT;
	} else {
		snprintf(err, errlen, "UDMD_VERITY_FATAL_ACTION: expected log or exit, not '%.100s'", act);
		return -EINVAL;
	}
	char reason[512] = "";
	int r = verity_sig_configure(udm_verity_keyring(d->ctx), d->cfg.trusted_certs, d->cfg.require_signatures,
				     reason, sizeof(reason));
	if (r) {
		snprintf(err, errlen, "--trusted-certs %.300s: %s", d->cfg.trusted_certs ? d->cfg.trusted_certs : "",
			 reason[0] ? reason : strerror(-r));
		return r;
	}
	udm_verity_set_fatal_action(verity_fatal);
	return 0;
}

/* --- helpers ------------------------------------------------------------- */

/* The i-th space-separated word of s into out; false if there is none. */
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

static unsigned count_words(const char *s)
{
	unsigned n = 0;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		n++;
		s += strcspn(s, " ");
	}
	return n;
}

/* The core's rules, and a length the ioctl header can carry: cryptsetup
 * refuses what dm-ioctl would truncate, and so does verity open. */
static bool valid_name(const char *name)
{
	return udm_name_is_valid(name) && strlen(name) < UDM_NAME_LEN;
}

/* --- verity_open ---------------------------------------------------------- */

/* args: name, superblock uuid ("" without one), size in sectors, the ten
 * mandatory table words, the optional words without their count ("" if none),
 * [signature as hex]. The device is created with cryptsetup's uuid, the table
 * loaded read-only and resumed; any failure removes the device again. */
static int cmd_open(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	const char *name = ARG(0), *vuuid = ARG(1), *size = ARG(2), *base = ARG(3), *opts = ARG(4),
		   *sighex = ARG(5);
	char root_hex[2 * VERITY_MAX_DIGEST_SIZE + 2];
	if (!valid_name(name)) {
		udmd_printf(out, "invalid device name");
		return -EINVAL;
	}
	if (count_words(base) != 10 || !word(base, 8, root_hex, sizeof(root_hex)) || strchr(base, '\n') ||
	    strchr(opts, '\n')) {
		udmd_printf(out, "malformed verity parameters");
		return -EINVAL;
	}
	/* cryptsetup: CRYPT-VERITY-<uuid without dashes>-<name>, key cryptsetup:<uuid>-<name> */
	char dmuuid[UDM_UUID_LEN], hexuuid[40] = "", desc[UDM_NAME_LEN + 64];
	size_t k = 0;
	for (const char *p = vuuid; *p && k < 32; p++)
		if (*p != '-')
			hexuuid[k++] = *p;
	hexuuid[k] = '\0';
	if (snprintf(dmuuid, sizeof(dmuuid), VERITY_UUID_PREFIX "%s%s%s", hexuuid, k ? "-" : "", name) >=
	    (int)sizeof(dmuuid)) {
		udmd_printf(out, "device name too long for a uuid");
		return -ENAMETOOLONG;
	}
	snprintf(desc, sizeof(desc), "udm:%s%s%s", vuuid, *vuuid ? "-" : "", name);

	struct verity_keyring *kr = udm_verity_keyring(d->ctx);
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int r;
	if (sighex && *sighex) {
		size_t hl = strlen(sighex);
		if (hl % 2 || hl / 2 > VERITY_MAX_SIG_SIZE || !(sig = malloc(hl / 2)) ||
		    udm_hex_decode(sighex, sig, hl / 2, &sig_len)) {
			free(sig);
			udmd_printf(out, "invalid root hash signature encoding");
			return -EINVAL;
		}
		/* Say why before anything exists; the target checks again, and that check decides. */
		char reason[256] = "";
		if ((r = verity_sig_verify(kr, root_hex, sig, sig_len, reason, sizeof(reason)))) {
			free(sig);
			udmd_printf(out, "root hash signature: %s", reason[0] ? reason : strerror(-r));
			return r;
		}
	} else if (verity_sig_required(kr)) {
		udmd_printf(out, "Root hash signature required.");
		return -ENOKEY;
	}

	/* the table text: base, then the options with the signature key last, as
	 * cryptsetup orders them */
	size_t tl = strlen(size) + strlen(base) + strlen(opts) + strlen(desc) + 64;
	char *text = malloc(tl);
	if (!text) {
		free(sig);
		return -ENOMEM;
	}
	unsigned nopt = count_words(opts) + (sig ? 2 : 0);
	int n = snprintf(text, tl, "0 %s verity %s", size, base);
	if (nopt)
		n += snprintf(text + n, tl - (size_t)n, " %u%s%s%s%s", nopt, *opts ? " " : "", opts,
			      sig ? " root_hash_sig_key_desc " : "", sig ? desc : "");

	if (sig && (r = verity_key_add(kr, desc, sig, sig_len))) {
		udmd_printf(out, "Failed to load key in kernel keyring.");
		goto out_free;
	}
	struct udm_info info;
	if ((r = udm_dev_create(d->ctx, name, dmuuid, 0, 0, &info))) {
		if (r == -EBUSY || r == -EEXIST)
			udmd_printf(out, "Device %s already exists.", name);
		goto out_key;
	}
	struct udm_target_spec *specs = NULL;
	size_t count = 0;
	char *storage = NULL, err[512] = "";
	unsigned bad = 0;
	r = udm_table_text_parse(text, &specs, &count, &storage, &bad);
	if (r)
		udmd_printf(out, "invalid table");
	else if ((r = udm_table_load(d->ctx, UDM_BY_NAME(name), specs, count, UDM_F_READONLY, err, sizeof(err),
				     NULL, NULL)))
		udmd_printf(out, "%s", err[0] ? err : strerror(-r));
	else if ((r = udm_dev_resume(d->ctx, UDM_BY_NAME(name), 0, &info)))
		udmd_printf(out, "resume: %s", strerror(-r));
	free(specs);
	free(storage);
	if (r)
		udm_dev_remove(d->ctx, UDM_BY_NAME(name), 0);
	else
		udmd_log("verity: opened %s%s", name, sig ? " (signed)" : "");
out_key:
	if (sig)
		verity_key_remove(kr, desc);   /* as cryptsetup unlinks the key after activation */
out_free:
	free(text);
	free(sig);
	return r;
}

/* --- verity_close ---------------------------------------------------------- */

/* The live table of name, when it is a verity device: its TABLE and INFO text. */
static int verity_tables(struct udmd *d, const char *name, char **table, char **info_text, struct udm_info *info,
			 struct udmd_out *out)
{
	struct udm_target_status *st = NULL;
	size_t n = 0;
	int r = udm_table_status(d->ctx, UDM_BY_NAME(name), UDM_F_STATUS_TABLE, &st, &n, info);
	if (r)
		return r;
	if (n != 1 || strcmp(st[0].type, "verity") != 0) {
		udm_target_status_free(st, n);
		udmd_printf(out, "%s is not an active VERITY device", name);
		return -EINVAL;
	}
	*table = strdup(st[0].text);
	udm_target_status_free(st, n);
	if ((r = udm_table_status(d->ctx, UDM_BY_NAME(name), 0, &st, &n, NULL)))
		return r;
	*info_text = n == 1 ? strdup(st[0].text) : strdup("");
	udm_target_status_free(st, n);
	return *table && *info_text ? 0 : -ENOMEM;
}

static int cmd_close(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	const char *name = ARG(0);
	char *table = NULL, *info_text = NULL;
	struct udm_info info;
	int r;
	/* what holds it for udmd's sake lets go first */
	if (!(req->flags & UDM_PROTO_F_CANCEL_DEFERRED) &&
	    (r = udmd_dev_removing(d, name, req->flags & UDM_F_DEFERRED_REMOVE, NULL))) {
		if (r == -EBUSY)
			udmd_printf(out, "Device %s is still in use.", name);
		return r;
	}
	r = verity_tables(d, name, &table, &info_text, &info, out);
	free(table);
	free(info_text);
	if (r == -ENXIO || r == -ENODEV)
		udmd_printf(out, "Device %s is not active.", name);
	if (r)
		return r;
	if (req->flags & UDM_PROTO_F_CANCEL_DEFERRED) {
		/* cryptsetup: dm_cancel_deferred_removal, dm's own message */
		r = udm_dev_message(d->ctx, UDM_BY_NAME(name), 0, "@cancel_deferred_remove", NULL, 0);
		if (r)
			udmd_printf(out, "Could not cancel deferred remove from device %s.", name);
		return r;
	}
	bool deferred = req->flags & UDM_F_DEFERRED_REMOVE;
	int lo = udmd_export_find(d, info.dev);
	if (lo >= 0 && !deferred) {
		udmd_printf(out, "Device %s is still in use (attached to /dev/loop%d).", name, lo);
		return -EBUSY;
	}
	/* --deferred: removed now if nothing holds it, else at its last close */
	if ((r = udm_dev_remove(d->ctx, UDM_BY_NAME(name), deferred ? UDM_F_DEFERRED_REMOVE : 0)) == -EBUSY)
		udmd_printf(out, "Device %s is still in use.", name);
	if (!r && deferred && udm_dev_info(d->ctx, UDM_BY_NAME(name), 0, &info) == 0 &&
	    (info.flags & UDM_F_DEFERRED_REMOVE))
		udmd_printf(out, "deferred");
	return r;
}

/* --- verity_status --------------------------------------------------------- */

/* What a table device word names, for veritysetup's "data device"/"data loop"
 * lines; label and loop_label are printed as given (veritysetup pads each its
 * own way: "FEC device:  "); no loop line without loop_label. */
static void device_lines(struct udmd *d, struct udmd_out *out, const char *label, const char *loop_label,
			 const char *dev)
{
	unsigned ma, mi;
	char c;
	if (sscanf(dev, "%u:%u%c", &ma, &mi, &c) != 2) {   /* a regular file: its path */
		udmd_printf(out, "  %s%s\n", label, dev);
		return;
	}
	if (ma == UDM_MAJOR) {
		struct udm_name_entry *e;
		size_t n;
		if (udm_list_devices(d->ctx, &e, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				if (e[i].dev == makedev(ma, mi)) {
					udmd_printf(out, "  %s%s/%s\n", label, d->mapper_dir, e[i].name);
					free(e);
					return;
				}
			free(e);
		}
		udmd_printf(out, "  %s%s\n", label, dev);
		return;
	}
	char path[128], link[64], bf[4096];
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", ma, mi);
	ssize_t l = readlink(path, bf, sizeof(bf) - 1);
	const char *base = NULL;
	if (l > 0) {
		bf[l] = '\0';
		base = strrchr(bf, '/');
	}
	snprintf(link, sizeof(link), "/dev/%s", base ? base + 1 : dev);
	udmd_printf(out, "  %s%s\n", label, base ? link : dev);
	if (loop_label && base && strncmp(base + 1, "loop", 4) == 0 && udmd_loop_backing_file(base + 1, bf, sizeof(bf)) == 0)
		udmd_printf(out, "  %s%s\n", loop_label, bf);
}

/* A number of the table text (our own target printed it), 0 if it is not one. */
static uint64_t table_number(const char *s)
{
	uint64_t v;
	return udm_parse_u64(s, &v) ? 0 : v;
}

/* veritysetup status NAME (docs/udm-verity.md, status), from the live table and
 * status, as libcryptsetup reads the kernel's (dm_query_verity). */
static int cmd_status(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	const char *name = ARG(0);
	char *table = NULL, *info_text = NULL;
	struct udm_info info;
	struct udmd_out err = { 0 };
	int r = verity_tables(d, name, &table, &info_text, &info, &err);
	if (r == -ENXIO || r == -ENODEV) {
		udmd_printf(out, "%s/%s is inactive.\n", d->mapper_dir, name);
		free(err.buf);
		return -ENODEV;
	}
	if (r) {
		if (err.buf)
			udmd_printf(out, "%s", err.buf);
		free(err.buf);
		free(table);
		free(info_text);
		return r;
	}
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
	struct udm_integrity blob = { 0 };
	bool signed_ = udm_dev_get_integrity(d->ctx, info.dev, &blob) == 0 && blob.sig == UDM_SIG_VALID;
	unsigned hbs = (unsigned)table_number(w[4]), dbs = (unsigned)table_number(w[3]);
	uint64_t hstart = table_number(w[6]);

	udmd_printf(out, "%s/%s is active%s.\n", d->mapper_dir, name, info.open_count > 0 ? " and is in use" : "");
	udmd_printf(out, "  type:        VERITY\n");
	udmd_printf(out, "  status:      %s%s\n", info_text[0] == 'C' ? "corrupted" : "verified",
		    signed_ ? " (with signature)" : "");
	udmd_printf(out, "  hash type:   %s\n", w[0]);
	udmd_printf(out, "  data block:  %u [bytes]\n", dbs);
	udmd_printf(out, "  hash block:  %u [bytes]\n", hbs);
	udmd_printf(out, "  hash name:   %s\n", w[7]);
	udmd_printf(out, "  salt:        %s\n", w[9]);
	device_lines(d, out, "data device: ", "data loop:   ", w[1]);
	udmd_printf(out, "  size:        %" PRIu64 " [512-byte units] (%" PRIu64 " [bytes])\n", info.sectors,
		    info.sectors * 512);
	udmd_printf(out, "  mode:        readonly\n");
	device_lines(d, out, "hash device: ", "hash loop:   ", w[2]);
	udmd_printf(out, "  hash offset: %" PRIu64 " [512-byte units] (%" PRIu64 " [bytes])\n", hstart * hbs / 512,
		    hstart * hbs);
	if (fec) {
		/* veritysetup looks up the FEC loop of its --fec-device option, which
		 * status is not given: it prints no "FEC loop:" line */
		device_lines(d, out, "FEC device:  ", NULL, fecdev);
		udmd_printf(out, "  FEC offset:  %" PRIu64 " [512-byte units] (%" PRIu64 " [bytes])\n",
			    fec_start * dbs / 512, fec_start * dbs);
		udmd_printf(out, "  FEC roots:   %u\n", fec_roots);
		const char *rep = strchr(info_text, ' ');
		udmd_printf(out, "  FEC repaired: %s [events]\n", rep && rep[1] && rep[1] != '-' ? rep + 1 : "0");
	}
	udmd_printf(out, "  root hash:   %s\n", w[8]);
	/* cryptsetup's action_status, spaces included: the *_on_error word right
	 * after the corruption mode, "restart_on_error" with no space after it */
	if (ign || restart || panic || zero || once || tasklet)
		udmd_printf(out, "  flags:       %s%s%s%s%s%s%s\n", ign ? "ignore_corruption " : "",
			    restart ? "restart_on_corruption " : "", panic ? "panic_on_corruption " : "",
			    eac ? (panic ? "panic_on_error " : "restart_on_error") : "",
			    zero ? "ignore_zero_blocks " : "", once ? "check_at_most_once" : "",
			    tasklet ? "try_verify_in_tasklet" : "");
	free(table);
	free(info_text);
	return 0;
}

static const struct udmd_cmd verity_cmds[] = {
	{ .id = UDM_CMD_VERITY_OPEN, .name = "verity_open", .min_args = 5, .max_args = 6, .mutating = true, .fn = cmd_open },
	{ .id = UDM_CMD_VERITY_CLOSE, .name = "verity_close", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_close },
	{ .id = UDM_CMD_VERITY_STATUS, .name = "verity_status", .min_args = 1, .max_args = 1, .mutating = false, .fn = cmd_status },
	{ 0 },
};
UDMD_COMMANDS(verity_cmds);
