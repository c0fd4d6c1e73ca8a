/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control commands of the verity family: what veritysetup open/close/status do
 * with the kernel (cryptsetup lib/verity/verity.c VERITY_activate,
 * src/veritysetup.c action_status), done on the daemon's udm context. The CLI
 * reads the superblock and builds the table; the daemon owns the signature
 * "keyring", the device and its lifetime. */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "util/hex.h"
#include "daemon/events.h"
#include "daemon/export.h"
#include "daemon/reply.h"
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

/* The core's rules, and a length the ioctl header can carry: cryptsetup
 * refuses what dm-ioctl would truncate, and so does verity open. */
static bool valid_name(const char *name)
{
	return udm_name_is_valid(name) && strlen(name) < UDM_NAME_LEN;
}

/* --- verity_open ---------------------------------------------------------- */

/* A string field of the parameters that is one table word: present, not
 * empty, no white space. */
static const char *word_field(const struct udm_rec *rec, uint16_t key)
{
	const char *s = udm_rec_get_str(rec, key);
	if (!s || !*s)
		return NULL;
	for (const char *p = s; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
			return NULL;
	return s;
}

struct vparams {
	const char *data, *hash, *alg, *root, *salt, *fec_dev, *sb_uuid;
	uint64_t hash_type, dbs, hbs, blocks, hash_start, opts, fec_start, fec_blocks, fec_roots, sectors;
	const uint8_t *sig;
	size_t sig_len;
};

/* The one VERITY record of the request into p; false if it is not one. */
static bool read_params(const struct udmd_req *req, struct vparams *p)
{
	struct udm_rec_reader rd;
	struct udm_rec rec;
	if (udm_rec_reader_init(&rd, req->recs, req->recs_len) || udm_rec_next(&rd, &rec) != 1 ||
	    rec.kind != UDM_REC_VERITY || udm_rec_next(&rd, &(struct udm_rec){ 0 }) != 0)
		return false;
	const uint16_t nums[] = { UDM_K_V_HASH_TYPE, UDM_K_V_DATA_BLOCK, UDM_K_V_HASH_BLOCK, UDM_K_V_DATA_BLOCKS,
				  UDM_K_V_HASH_START, UDM_K_SECTORS };
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (!udm_rec_get(&rec, nums[i], UDM_REC_T_U64))
			return false;
	*p = (struct vparams){
		.data = word_field(&rec, UDM_K_V_DATA), .hash = word_field(&rec, UDM_K_V_HASH),
		.alg = word_field(&rec, UDM_K_V_ALG), .root = word_field(&rec, UDM_K_V_ROOT),
		.salt = word_field(&rec, UDM_K_V_SALT), .sb_uuid = udm_rec_get_str(&rec, UDM_K_V_SB_UUID),
		.hash_type = udm_rec_get_u64(&rec, UDM_K_V_HASH_TYPE, 0),
		.dbs = udm_rec_get_u64(&rec, UDM_K_V_DATA_BLOCK, 0), .hbs = udm_rec_get_u64(&rec, UDM_K_V_HASH_BLOCK, 0),
		.blocks = udm_rec_get_u64(&rec, UDM_K_V_DATA_BLOCKS, 0),
		.hash_start = udm_rec_get_u64(&rec, UDM_K_V_HASH_START, 0),
		.opts = udm_rec_get_u64(&rec, UDM_K_V_OPTS, 0), .sectors = udm_rec_get_u64(&rec, UDM_K_SECTORS, 0),
	};
	if (!p->data || !p->hash || !p->alg || !p->root || !p->salt || !p->sb_uuid ||
	    strlen(p->root) > 2 * VERITY_MAX_DIGEST_SIZE || strlen(p->sb_uuid) > 36)
		return false;
	if (udm_rec_get_str(&rec, UDM_K_V_FEC_DEV)) {
		if (!(p->fec_dev = word_field(&rec, UDM_K_V_FEC_DEV)) ||
		    !udm_rec_get(&rec, UDM_K_V_FEC_START, UDM_REC_T_U64) ||
		    !udm_rec_get(&rec, UDM_K_V_FEC_BLOCKS, UDM_REC_T_U64) ||
		    !udm_rec_get(&rec, UDM_K_V_FEC_ROOTS, UDM_REC_T_U64))
			return false;
		p->fec_start = udm_rec_get_u64(&rec, UDM_K_V_FEC_START, 0);
		p->fec_blocks = udm_rec_get_u64(&rec, UDM_K_V_FEC_BLOCKS, 0);
		p->fec_roots = udm_rec_get_u64(&rec, UDM_K_V_FEC_ROOTS, 0);
	}
	const struct udm_rec_field *sig = udm_rec_get(&rec, UDM_K_V_SIG, UDM_REC_T_BYTES);
	if (sig) {
		if (sig->len == 0 || sig->len > VERITY_MAX_SIG_SIZE)
			return false;
		p->sig = sig->val;
		p->sig_len = sig->len;
	}
	return true;
}

/* The dm-verity table parameters (cryptsetup's get_dm_verity_params): the
 * mandatory words, then the options in its order with the signature key last.
 * malloc'd, NULL without memory. */
static char *table_params(const struct vparams *p, const char *desc)
{
	static const struct { uint64_t bit; const char *word; } words[] = {
		{ UDM_VOPT_IGNORE_CORRUPTION, "ignore_corruption" },
		{ UDM_VOPT_RESTART_ON_CORRUPTION, "restart_on_corruption" },
		{ UDM_VOPT_PANIC_ON_CORRUPTION, "panic_on_corruption" },
		{ UDM_VOPT_RESTART_ON_ERROR, "restart_on_error" },
		{ UDM_VOPT_PANIC_ON_ERROR, "panic_on_error" },
		{ UDM_VOPT_IGNORE_ZERO_BLOCKS, "ignore_zero_blocks" },
		{ UDM_VOPT_CHECK_AT_MOST_ONCE, "check_at_most_once" },
		{ UDM_VOPT_TASKLET, "try_verify_in_tasklet" },
	};
	size_t len = strlen(p->data) + strlen(p->hash) + strlen(p->alg) + strlen(p->root) + strlen(p->salt) +
		     (p->fec_dev ? strlen(p->fec_dev) : 0) + (desc ? strlen(desc) : 0) + 512;
	char *t = malloc(len);
	if (!t)
		return NULL;
	int n = snprintf(t, len, "%" PRIu64 " %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %s %s",
			 p->hash_type, p->data, p->hash, p->dbs, p->hbs, p->blocks, p->hash_start, p->alg, p->root,
			 p->salt);
	unsigned nopt = (p->fec_dev ? 8 : 0) + (desc ? 2 : 0);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		nopt += (p->opts & words[i].bit) ? 1 : 0;
	if (nopt)
		n += snprintf(t + n, len - (size_t)n, " %u", nopt);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (p->opts & words[i].bit)
			n += snprintf(t + n, len - (size_t)n, " %s", words[i].word);
	if (p->fec_dev)
		n += snprintf(t + n, len - (size_t)n,
			      " use_fec_from_device %s fec_start %" PRIu64 " fec_blocks %" PRIu64 " fec_roots %" PRIu64,
			      p->fec_dev, p->fec_start, p->fec_blocks, p->fec_roots);
	if (desc)
		snprintf(t + n, len - (size_t)n, " root_hash_sig_key_desc %s", desc);
	return t;
}

/* args: name; records: one VERITY with the table's parameters, the size in
 * sectors, the superblock's uuid ("" without one) and the signature (raw,
 * optional). The device is created with cryptsetup's uuid, the table loaded
 * read-only and resumed; any failure removes the device again. */
static int cmd_open(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	const char *name = ARG(0);
	struct vparams p;
	if (!valid_name(name)) {
		udmd_printf(out, "invalid device name");
		return -EINVAL;
	}
	if (!read_params(req, &p)) {
		udmd_printf(out, "malformed verity parameters");
		return -EINVAL;
	}
	const char *vuuid = p.sb_uuid;
	/* cryptsetup: CRYPT-VERITY-<uuid without dashes>-<name>, key cryptsetup:<uuid>-<name> */
	char dmuuid[UDM_UUID_LEN], hexuuid[40] = "", desc[UDM_NAME_LEN + 64];
	size_t k = 0;
	for (const char *q = vuuid; *q && k < 32; q++)
		if (*q != '-')
			hexuuid[k++] = *q;
	hexuuid[k] = '\0';
	if (snprintf(dmuuid, sizeof(dmuuid), VERITY_UUID_PREFIX "%s%s%s", hexuuid, k ? "-" : "", name) >=
	    (int)sizeof(dmuuid)) {
		udmd_printf(out, "device name too long for a uuid");
		return -ENAMETOOLONG;
	}
	snprintf(desc, sizeof(desc), "udm:%s%s%s", vuuid, *vuuid ? "-" : "", name);

	struct verity_keyring *kr = udm_verity_keyring(d->ctx);
	int r;
	if (p.sig) {
		/* Say why before anything exists; the target checks again, and that check decides. */
		char reason[256] = "";
		if ((r = verity_sig_verify(kr, p.root, p.sig, p.sig_len, reason, sizeof(reason)))) {
			udmd_printf(out, "root hash signature: %s", reason[0] ? reason : strerror(-r));
			return r;
		}
	} else if (verity_sig_required(kr)) {
		return udmd_reply_why(out, -ENOKEY, UDM_WHY_SIG_REQUIRED, name, NULL);
	}

	char *params = table_params(&p, p.sig ? desc : NULL);
	if (!params)
		return -ENOMEM;
	if (p.sig && (r = verity_key_add(kr, desc, p.sig, p.sig_len))) {
		udmd_reply_why(out, r, UDM_WHY_KEYRING, name, NULL);
		goto out_free;
	}
	struct udm_info info;
	if ((r = udm_dev_create(d->ctx, name, dmuuid, 0, 0, &info))) {
		if (r == -EBUSY || r == -EEXIST)
			udmd_reply_why(out, r, UDM_WHY_EXISTS, name, NULL);
		goto out_key;
	}
	struct udm_target_spec spec = { .start = 0, .length = p.sectors, .type = "verity", .params = params };
	char err[512] = "";
	if ((r = udm_table_load(d->ctx, UDM_BY_NAME(name), &spec, 1, UDM_F_READONLY, err, sizeof(err), NULL, NULL)))
		udmd_printf(out, "%s", err[0] ? err : strerror(-r));
	else if ((r = udm_dev_resume(d->ctx, UDM_BY_NAME(name), 0, &info)))
		udmd_printf(out, "resume: %s", strerror(-r));
	if (r)
		udm_dev_remove(d->ctx, UDM_BY_NAME(name), 0);
	else
		udmd_log("verity: opened %s%s", name, p.sig ? " (signed)" : "");
out_key:
	if (p.sig)
		verity_key_remove(kr, desc);   /* as cryptsetup unlinks the key after activation */
out_free:
	free(params);
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
			udmd_reply_why(out, r, UDM_WHY_IN_USE, name, NULL);
		return r;
	}
	r = verity_tables(d, name, &table, &info_text, &info, out);
	free(table);
	free(info_text);
	if (r == -ENXIO || r == -ENODEV)
		udmd_reply_why(out, r, UDM_WHY_NOT_ACTIVE, name, NULL);
	if (r)
		return r;
	if (req->flags & UDM_PROTO_F_CANCEL_DEFERRED) {
		/* cryptsetup: dm_cancel_deferred_removal, dm's own message */
		r = udm_dev_message(d->ctx, UDM_BY_NAME(name), 0, "@cancel_deferred_remove", NULL, 0);
		if (r)
			udmd_reply_why(out, r, UDM_WHY_CANCEL_DEFERRED, name, NULL);
		return r;
	}
	bool deferred = req->flags & UDM_F_DEFERRED_REMOVE;
	struct export_blk blk;
	if (udmd_export_find(d, info.dev, &blk) == 0 && !deferred)
		return udmd_reply_why(out, -EBUSY, UDM_WHY_IN_USE, name, blk.path);
	/* --deferred: removed now if nothing holds it, else at its last close */
	if ((r = udm_dev_remove(d->ctx, UDM_BY_NAME(name), deferred ? UDM_F_DEFERRED_REMOVE : 0)) == -EBUSY)
		return udmd_reply_why(out, r, UDM_WHY_IN_USE, name, NULL);
	/* still there, its removal deferred: its record says so (UDM_F_DEFERRED_REMOVE) */
	if (!r && deferred && udm_dev_info(d->ctx, UDM_BY_NAME(name), 0, &info) == 0 &&
	    (info.flags & UDM_F_DEFERRED_REMOVE)) {
		struct udm_rec_buf b = { 0 };
		udmd_rec_dev(&b, &info);
		return udmd_reply_records(out, &b);
	}
	return r;
}

/* --- verity_status --------------------------------------------------------- */

/* veritysetup status NAME (docs/udm-verity.md, status): the device (its
 * record, with PATH where it is seen and SIGNED), its live table entry and its
 * status entry, as libcryptsetup reads the kernel's (dm_query_verity); the CLI
 * reads the parameters and writes veritysetup's text. Not active: -ENODEV with
 * the path as the detail. */
static int cmd_status(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	const char *name = ARG(0);
	char *table = NULL, *info_text = NULL;
	struct udm_info info;
	struct udmd_out err = { 0 };
	int r = verity_tables(d, name, &table, &info_text, &info, &err);
	if (r == -ENXIO || r == -ENODEV) {
		udmd_printf(out, "%s/%s", d->mapper_dir, name);
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
	struct udm_integrity blob = { 0 };
	bool signed_ = udm_dev_get_integrity(d->ctx, info.dev, &blob) == 0 && blob.sig == UDM_SIG_VALID;
	char path[PATH_MAX + UDM_NAME_LEN + 2];
	snprintf(path, sizeof(path), "%s/%s", d->mapper_dir, name);
	struct udm_rec_buf b = { 0 };
	udmd_rec_dev(&b, &info);
	udm_rec_str(&b, UDM_K_PATH, path);
	udm_rec_u64(&b, UDM_K_SIGNED, signed_);
	udm_rec_begin(&b, UDM_REC_TABLE);
	udm_rec_u64(&b, UDM_K_START, 0);
	udm_rec_u64(&b, UDM_K_LENGTH, info.sectors);
	udm_rec_str(&b, UDM_K_TYPE, "verity");
	udm_rec_str(&b, UDM_K_PARAMS, table);
	udm_rec_begin(&b, UDM_REC_STATUS);
	udm_rec_u64(&b, UDM_K_START, 0);
	udm_rec_u64(&b, UDM_K_LENGTH, info.sectors);
	udm_rec_str(&b, UDM_K_TYPE, "verity");
	udm_rec_str(&b, UDM_K_PARAMS, info_text);
	free(table);
	free(info_text);
	return udmd_reply_records(out, &b);
}

static const struct udmd_cmd verity_cmds[] = {
	{ .id = UDM_CMD_VERITY_OPEN, .name = "verity_open", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_open },
	{ .id = UDM_CMD_VERITY_CLOSE, .name = "verity_close", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_close },
	{ .id = UDM_CMD_VERITY_STATUS, .name = "verity_status", .min_args = 1, .max_args = 1, .mutating = false, .fn = cmd_status },
	{ 0 },
};
UDMD_COMMANDS(verity_cmds);
