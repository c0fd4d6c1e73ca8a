/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verity target: a read-only device whose every block is checked against a
 * Merkle tree up to a trusted root hash (drivers/md/dm-verity-target.c), with
 * the root-hash signature check and the preresume hook that publishes root
 * hash and signature state to the security layer (the integrity blob). */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>   /* LOG_* priorities for udm_log */
#include <unistd.h>
#include "udm/target.h"
#include "udm/udm.h"   /* udm_verity_set_fatal_action */
#include "targets/targ_args.h"
#include "util/hex.h"
#include "util/log.h"
#include "core/core.h"   /* udm_ctx_slot_get */
#include "targets/builtin.h"
#include "targets/verity_keys.h"
#include "verity/verity.h"

#define VERITY_OPTS_MAX 15
#define MAX_CORRUPTED_ERRS 100

enum verity_mode { MODE_EIO, MODE_LOGGING, MODE_RESTART, MODE_PANIC };
static const char *const mode_words[] = { NULL, "ignore_corruption", "restart_on_corruption", "panic_on_corruption" };
static const char *const error_mode_words[] = { NULL, NULL, "restart_on_error", "panic_on_error" };

struct verity_c {
	struct udm_blockdev *data_dev, *hash_dev, *fec_dev;
	struct verity_params p;
	struct verity_tree *tree;
	unsigned version;
	uint64_t hash_start;
	unsigned digest_size;
	uint8_t root[VERITY_MAX_DIGEST_SIZE];
	char alg[32];
	enum verity_mode mode, error_mode;
	bool zero_blocks, at_most_once, tasklet;
	uint64_t fec_blocks, fec_start;
	unsigned fec_roots;
	struct verity_fec_params fec;
	char *sig_key_desc;
	uint8_t *sig;
	size_t sig_len;
	atomic_bool hash_failed;
	atomic_uint corrupted_errs;
};

static void *keyring_create(void)
{
	return verity_keyring_new();
}

static void keyring_destroy(void *kr)
{
	verity_keyring_free(kr);
}

static const struct udm_ctx_slot keyring_slot = { keyring_create, keyring_destroy };

struct verity_keyring *udm_verity_keyring(struct udm_ctx *ctx)
{
	return udm_ctx_slot_get(ctx, &keyring_slot);
}

/* What restart/panic become in user space: a configurable action (see
 * udm_verity_set_fatal_action); by default the daemon logs and the read fails. */
static void (*fatal_action)(const char *why);

void udm_verity_set_fatal_action(void (*fn)(const char *why))
{
	fatal_action = fn;
}

/* sscanf "%u%c", then a power of two from the logical block size (512 here)
 * to max, as verity_ctr checks it. */
static bool parse_block_size(const char *s, uint32_t *out, uint32_t max)
{
	unsigned v;
	if (!targ_sscanf_uint(s, &v) || v < 512 || v > max || (v & (v - 1)))
		return false;
	*out = v;
	return true;
}

/* verity_source on a udm_blockdev. Whole sectors (every data block and hash
 * block) are read straight into the caller's buffer; only odd spans take the
 * bounce buffer of udm_blockdev_pread. */
static int blockdev_pread(void *dev, void *buf, size_t len, uint64_t off)
{
	if (!(off & 511) && !(len & 511) && len <= ((size_t)UINT32_MAX << 9))
		return udm_blockdev_read(dev, buf, off >> 9, (uint32_t)(len >> 9));
	return udm_blockdev_pread(dev, buf, len, off);
}

static struct verity_source blockdev_source(struct udm_blockdev *bd)
{
	return (struct verity_source){ .pread = blockdev_pread, .dev = bd };
}

static int fail(struct udm_target *ti, const char *msg, int r)
{
	ti->error = msg;
	return r;
}

/* sscanf "%llu%c" of a block count that must survive the shift to sectors
 * (verity_ctr and verity_fec_parse_opt_args). */
static bool parse_blocks(const char *s, unsigned shift, uint64_t *out)
{
	uint64_t u;
	if (!targ_sscanf_u64(s, &u) || ((u << shift) >> shift) != u)
		return false;
	*out = u;
	return true;
}

static int parse_opt_args(struct udm_target *ti, struct verity_c *v, unsigned argc, char **argv)
{
	static const struct targ_arg count_arg = { 0, VERITY_OPTS_MAX, "Invalid number of feature args" };
	struct targ_arg_set as = { argc, argv };
	unsigned n;
	if (targ_read_arg_group(&count_arg, &as, &n, &ti->error))
		return -EINVAL;
	argv++;
	unsigned dshift = (unsigned)__builtin_ctz(v->p.data_block_size) - 9;
	for (unsigned i = 0; i < n; i++) {
		const char *w = argv[i];
		bool has_value = i + 1 < n;
		int r;
		enum verity_mode m = MODE_EIO;
		for (int k = 1; k <= 3; k++)
			if (strcasecmp(w, mode_words[k]) == 0)
				m = (enum verity_mode)k;
		if (m != MODE_EIO) {
			if (v->mode != MODE_EIO)
				return fail(ti, "Conflicting error handling parameters", -EINVAL);
			v->mode = m;
		} else if (!strcasecmp(w, "restart_on_error") || !strcasecmp(w, "panic_on_error")) {
			if (v->error_mode != MODE_EIO)
				return fail(ti, "Conflicting error handling parameters", -EINVAL);
			v->error_mode = !strcasecmp(w, "panic_on_error") ? MODE_PANIC : MODE_RESTART;
		} else if (!strcasecmp(w, "ignore_zero_blocks")) {
			v->zero_blocks = true;
		} else if (!strcasecmp(w, "check_at_most_once")) {
			if (v->p.data_blocks > INT_MAX)
				return fail(ti, "device too large to use check_at_most_once", -E2BIG);
			v->at_most_once = true;
		} else if (!strcasecmp(w, "try_verify_in_tasklet")) {
			v->tasklet = true;   /* accepted and echoed; no softirq here */
		} else if (!strcasecmp(w, "use_fec_from_device") || !strcasecmp(w, "fec_blocks") ||
			   !strcasecmp(w, "fec_start") || !strcasecmp(w, "fec_roots")) {
			if (!has_value)
				return fail(ti, "FEC feature arguments require a value", -EINVAL);
			const char *val = argv[++i];
			uint8_t roots;
			if (!strcasecmp(w, "use_fec_from_device")) {
				if (v->fec_dev)
					return fail(ti, "FEC device already specified", -EINVAL);
				if ((r = udm_get_device(ti, val, &v->fec_dev)))
					return fail(ti, "FEC device lookup failed", r);
			} else if (!strcasecmp(w, "fec_blocks")) {
				if (!parse_blocks(val, dshift, &v->fec_blocks))
					return fail(ti, "Invalid fec_blocks", -EINVAL);
			} else if (!strcasecmp(w, "fec_start")) {
				if (!parse_blocks(val, dshift, &v->fec_start))
					return fail(ti, "Invalid fec_start", -EINVAL);
			} else {
				/* "%hhu%c": 258 is read as 2, as the kernel does */
				if (!targ_sscanf_u8(val, &roots) || roots < VERITY_FEC_MIN_ROOTS ||
				    roots > VERITY_FEC_MAX_ROOTS)
					return fail(ti, "Invalid fec_roots", -EINVAL);
				v->fec_roots = roots;
			}
		} else if (!strcasecmp(w, "root_hash_sig_key_desc")) {
			if (v->sig_key_desc)
				return fail(ti, "DM Verity Sig Verification root_hash_sig_key_desc already specified",
					    -EINVAL);
			if (!has_value)
				return fail(ti, "DM Verity Sig Verification Signature key not specified", -EINVAL);
			const char *desc = argv[++i];
			if (!(v->sig_key_desc = strdup(desc)))
				return -ENOMEM;
			if (verity_key_get(udm_verity_keyring(udm_target_ctx(ti)), desc, &v->sig, &v->sig_len))
				return fail(ti, "DM Verity Sig Verification Invalid key specified", -EINVAL);
		} else {
			return fail(ti, "Unrecognized verity feature request", -EINVAL);
		}
	}
	return 0;
}

/* verity_fec_ctr: everything FEC needs, checked once the geometry is known. */
static int fec_check(struct udm_target *ti, struct verity_c *v, const struct verity_geometry *g)
{
	if (!v->fec_dev)
		return (v->fec_roots || v->fec_blocks || v->fec_start) ?
			       fail(ti, "Missing use_fec_from_device", -EINVAL) : 0;
	if (!v->fec_roots)
		return fail(ti, "Missing fec_roots", -EINVAL);
	if (!v->fec_blocks)
		return fail(ti, "Missing fec_blocks", -EINVAL);
	if (v->p.data_block_size != v->p.hash_block_size)
		return fail(ti, "Block sizes must match to use FEC", -EINVAL);
	if (v->fec_blocks < v->p.data_blocks + g->hash_blocks)
		return fail(ti, "Invalid fec_blocks", -EINVAL);
	uint64_t hash_dev_blocks = udm_blockdev_sectors(v->hash_dev) / (v->p.hash_block_size / 512);
	if (hash_dev_blocks < g->hash_start + v->fec_blocks - v->p.data_blocks)
		return fail(ti, "Hash device is too small for fec_blocks", -E2BIG);
	uint64_t rs_blocks = verity_fec_rs_blocks(v->fec_blocks, v->fec_roots);
	uint64_t fec_dev_blocks = udm_blockdev_sectors(v->fec_dev) / (v->p.data_block_size / 512);
	if (fec_dev_blocks < v->fec_start + rs_blocks * v->fec_roots / VERITY_FEC_RSM + 1 &&
	    fec_dev_blocks < v->fec_start + (rs_blocks * v->fec_roots + v->p.data_block_size - 1) /
						    v->p.data_block_size)
		return fail(ti, "FEC device is too small", -E2BIG);
	v->fec = (struct verity_fec_params){
		.fd = -1,
		.parity = blockdev_source(v->fec_dev),
		.offset = v->fec_start * v->p.data_block_size,
		.roots = v->fec_roots,
		.blocks = v->fec_blocks,
	};
	return 0;
}

static void verity_dtr(struct udm_target *ti);

/* Table syntax:
 * <version> <data_dev> <hash_dev> <data_block_size> <hash_block_size>
 * <num_data_blocks> <hash_start_block> <algorithm> <digest> <salt>
 * [<#opt_params> <opt_params>] */
static int verity_ctr(struct udm_target *ti, unsigned argc, char **argv)
{
	if (!udm_table_is_readonly(ti->table))
		return fail(ti, "Device must be readonly", -EINVAL);
	if (argc < 10)
		return fail(ti, "Not enough arguments", -EINVAL);
	struct verity_c *v = calloc(1, sizeof(*v));
	if (!v)
		return fail(ti, "Cannot allocate verity structure", -ENOMEM);
	ti->private = v;
	int r = -EINVAL;
	uint64_t u;

	if (!targ_sscanf_uint(argv[0], &v->version) || v->version > 1) {
		r = fail(ti, "Invalid version", -EINVAL);
		goto bad;
	}
	v->p.hash_type = v->version;
	if ((r = udm_get_device(ti, argv[1], &v->data_dev))) {
		ti->error = "Data device lookup failed";
		goto bad;
	}
	if ((r = udm_get_device(ti, argv[2], &v->hash_dev))) {
		ti->error = "Hash device lookup failed";
		goto bad;
	}
	if (!parse_block_size(argv[3], &v->p.data_block_size, 4096)) {
		r = fail(ti, "Invalid data device block size", -EINVAL);
		goto bad;
	}
	if (!parse_block_size(argv[4], &v->p.hash_block_size, INT_MAX)) {
		r = fail(ti, "Invalid hash device block size", -EINVAL);
		goto bad;
	}
	unsigned dshift = (unsigned)__builtin_ctz(v->p.data_block_size) - 9;
	unsigned hshift = (unsigned)__builtin_ctz(v->p.hash_block_size) - 9;
	if (!parse_blocks(argv[5], dshift, &u)) {
		r = fail(ti, "Invalid data blocks", -EINVAL);
		goto bad;
	}
	v->p.data_blocks = u;
	if (ti->len > (u << dshift)) {
		r = fail(ti, "Data device is too small", -EINVAL);
		goto bad;
	}
	if (!parse_blocks(argv[6], hshift, &u)) {
		r = fail(ti, "Invalid hash start", -EINVAL);
		goto bad;
	}
	v->hash_start = u;
	v->p.no_superblock = true;
	v->p.hash_area_offset = u * v->p.hash_block_size;
	v->digest_size = verity_digest_size(argv[7]);
	if (!v->digest_size || strlen(argv[7]) >= sizeof(v->alg)) {
		r = fail(ti, "Cannot initialize hash function", -EINVAL);
		goto bad;
	}
	strcpy(v->alg, argv[7]);
	snprintf(v->p.hash_name, sizeof(v->p.hash_name), "%s", argv[7]);
	if (v->p.hash_block_size < 2 * v->digest_size) {
		r = fail(ti, "Digest size too big", -EINVAL);
		goto bad;
	}
	size_t hl;
	if (strlen(argv[8]) != 2 * v->digest_size || udm_hex_decode(argv[8], v->root, sizeof(v->root), &hl)) {
		r = fail(ti, "Invalid root digest", -EINVAL);
		goto bad;
	}
	if (strcmp(argv[9], "-") != 0) {
		size_t sl = strlen(argv[9]);
		if (sl / 2 > VERITY_MAX_SALT_SIZE || udm_hex_decode(argv[9], v->p.salt, sizeof(v->p.salt), &hl)) {
			r = fail(ti, "Invalid salt", -EINVAL);
			goto bad;
		}
		v->p.salt_size = (uint16_t)(sl / 2);
	}
	if (argc > 10 && (r = parse_opt_args(ti, v, argc - 10, argv + 10)))
		goto bad;

	/* The signature covers the hex string exactly as written in the table. */
	struct verity_keyring *kr = udm_verity_keyring(udm_target_ctx(ti));
	if (v->sig || verity_sig_required(kr)) {
		char reason[256] = "";
		r = v->sig ? verity_sig_verify(kr, argv[8], v->sig, v->sig_len, reason, sizeof(reason)) : -ENOKEY;
		if (r) {
			udm_log(LOG_WARNING, "verity: root hash verification failed: %s",
				v->sig ? reason : "signature required");
			r = fail(ti, "Root hash verification failed", r);
			goto bad;
		}
	}

	struct verity_geometry g;
	if (verity_geometry_init(&g, &v->p, v->digest_size)) {
		r = fail(ti, g.levels >= VERITY_MAX_LEVELS ? "Too many tree levels" : "Hash device offset overflow",
			 -E2BIG);
		goto bad;
	}
	uint64_t hash_end;
	if (verity_geometry_hash_end(&g, &v->p, &hash_end) ||
	    hash_end > udm_blockdev_sectors(v->hash_dev) << 9) {
		r = fail(ti, "Hash device is too small", -E2BIG);
		goto bad;
	}
	if ((r = fec_check(ti, v, &g)))
		goto bad;
	struct verity_tree_options opt = {
		.fec = v->fec_dev ? &v->fec : NULL,
		.ignore_zero_blocks = v->zero_blocks,
		.check_at_most_once = v->at_most_once,
		.readahead = true,
	};
	/* Reads go through the blockdev layer, so data, hash and FEC devices may
	 * be files, block devices or other udm devices (stacking). */
	struct verity_source data = blockdev_source(v->data_dev), hash = blockdev_source(v->hash_dev);
	r = verity_tree_open_src(&v->p, &data, &hash, v->root, &opt, &v->tree);
	if (r) {
		ti->error = "Cannot initialize hash tree";
		goto bad;
	}
	return 0;
bad:
	verity_dtr(ti);
	ti->private = NULL;
	return r;
}

static void verity_dtr(struct udm_target *ti)
{
	struct verity_c *v = ti->private;
	if (!v)
		return;
	verity_tree_close(v->tree);
	if (v->data_dev)
		udm_put_device(ti, v->data_dev);
	if (v->hash_dev)
		udm_put_device(ti, v->hash_dev);
	if (v->fec_dev)
		udm_put_device(ti, v->fec_dev);
	free(v->sig_key_desc);
	free(v->sig);
	free(v);
}

/* verity_handle_err: always mark the device, log the first errors, then the
 * mode decides: logging lets the data through, the others fail the read. */
static int handle_corruption(struct verity_c *v, const struct verity_read_fault *f)
{
	atomic_store(&v->hash_failed, true);
	unsigned n = atomic_fetch_add(&v->corrupted_errs, 1);
	if (n < MAX_CORRUPTED_ERRS)
		udm_log(LOG_ERR, "verity: %s: %s block %llu is corrupted", udm_blockdev_name(v->data_dev),
			f->metadata ? "metadata" : "data", (unsigned long long)f->block);
	else if (n == MAX_CORRUPTED_ERRS)
		udm_log(LOG_ERR, "verity: %s: reached maximum errors", udm_blockdev_name(v->data_dev));
	switch (v->mode) {
	case MODE_LOGGING:
		return 0;
	case MODE_RESTART:
	case MODE_PANIC:
		if (fatal_action)
			fatal_action(v->mode == MODE_PANIC ? "dm-verity device corrupted (panic)"
							   : "dm-verity device corrupted (restart)");
		return -EIO;
	default:
		return -EIO;
	}
}

static int verity_read_blocks(struct verity_c *v, uint64_t block, uint64_t count, uint8_t *buf)
{
	uint64_t i = 0;
	while (i < count) {
		struct verity_read_fault f = { 0 };
		int r = verity_tree_read_range(v->tree, block + i, count - i, buf + i * v->p.data_block_size, &f);
		if (!r)
			return 0;
		if (!f.corrupt) {
			if (v->error_mode != MODE_EIO && fatal_action)
				fatal_action("dm-verity device has I/O error");
			return r;
		}
		if ((r = handle_corruption(v, &f)))
			return r;
		/* logging mode: the unverified data goes through, as in the kernel */
		i = f.index - block;
		if (blockdev_pread(v->data_dev, buf + i * v->p.data_block_size, v->p.data_block_size,
				   f.index * v->p.data_block_size))
			return -EIO;
		i++;
	}
	return 0;
}

static int verity_map(struct udm_target *ti, struct udm_bio *bio)
{
	struct verity_c *v = ti->private;
	if (bio->op != UDM_IO_READ)
		return UDM_MAPIO_KILL;   /* writes, discards and flushes: read-only device */
	uint64_t sector = udm_target_offset(ti, bio->sector);
	unsigned spb = v->p.data_block_size >> 9;
	if (sector % spb || bio->nr_sectors % spb)
		return UDM_MAPIO_KILL;   /* unaligned io */
	uint64_t block = sector / spb, count = bio->nr_sectors / spb;
	if (block + count > v->p.data_blocks)
		return UDM_MAPIO_KILL;   /* io out of range */
	udm_bio_endio(bio, verity_read_blocks(v, block, count, bio->data));
	return UDM_MAPIO_SUBMITTED;
}

/* The kernel resets dm-bufio here, so every block is verified again after a suspend. */
static void verity_postsuspend(struct udm_target *ti)
{
	struct verity_c *v = ti->private;
	verity_tree_forget(v->tree);
}

/* The last GO/NO-GO point: publish root hash and signature state (both,
 * even when unsigned) for the security layer; any failure fails the resume. */
static int verity_preresume(struct udm_target *ti)
{
	struct verity_c *v = ti->private;
	struct udm_roothash_digest d = { v->alg, v->root, v->digest_size };
	int r = udm_setintegrity(ti, UDM_INT_DMVERITY_ROOTHASH, &d, sizeof(d));
	if (r)
		return r;
	r = udm_setintegrity(ti, UDM_INT_DMVERITY_SIG_VALID, v->sig_len ? v->sig : NULL, v->sig_len);
	if (r)
		udm_setintegrity(ti, UDM_INT_DMVERITY_ROOTHASH, NULL, 0);
	return r;
}

static void emit_hex(char *result, size_t maxlen, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		udm_emit(result, maxlen, "%02x", b[i]);
}

/* The root hash, then between, then the salt ("-" without one). */
static void emit_root_salt(char *result, size_t maxlen, const struct verity_c *v, const char *between)
{
	emit_hex(result, maxlen, v->root, v->digest_size);
	udm_emit(result, maxlen, "%s", between);
	if (v->p.salt_size)
		emit_hex(result, maxlen, v->p.salt, v->p.salt_size);
	else
		udm_emit(result, maxlen, "-");
}

static void verity_status(struct udm_target *ti, enum udm_status_type type, unsigned flags, char *result,
			  size_t maxlen)
{
	struct verity_c *v = ti->private;
	(void)flags;
	if (type == UDM_STATUS_INFO) {
		udm_emit(result, maxlen, "%c", atomic_load(&v->hash_failed) ? 'C' : 'V');
		if (v->fec_dev)
			udm_emit(result, maxlen, " %llu", (unsigned long long)verity_tree_corrected(v->tree));
		else
			udm_emit(result, maxlen, " -");
		return;
	}
	if (type == UDM_STATUS_IMA) {
		udm_emit(result, maxlen, "target_name=%s,target_version=%u.%u.%u,hash_failed=%c,verity_version=%u,"
			 "data_device_name=%s,hash_device_name=%s,verity_algorithm=%s,root_digest=",
			 ti->type->name, ti->type->version[0], ti->type->version[1], ti->type->version[2],
			 atomic_load(&v->hash_failed) ? 'C' : 'V', v->version, udm_blockdev_name(v->data_dev),
			 udm_blockdev_name(v->hash_dev), v->alg);
		emit_root_salt(result, maxlen, v, ",salt=");
		udm_emit(result, maxlen, ",ignore_zero_blocks=%c,check_at_most_once=%c", v->zero_blocks ? 'y' : 'n',
			 v->at_most_once ? 'y' : 'n');
		if (v->sig_key_desc)
			udm_emit(result, maxlen, ",root_hash_sig_key_desc=%s", v->sig_key_desc);
		if (v->mode != MODE_EIO)
			udm_emit(result, maxlen, ",verity_mode=%s", mode_words[v->mode]);
		if (v->error_mode != MODE_EIO)
			udm_emit(result, maxlen, ",verity_error_mode=%s", error_mode_words[v->error_mode]);
		udm_emit(result, maxlen, ";");
		return;
	}
	udm_emit(result, maxlen, "%u %s %s %u %u %llu %llu %s ", v->version, udm_blockdev_name(v->data_dev),
		 udm_blockdev_name(v->hash_dev), v->p.data_block_size, v->p.hash_block_size,
		 (unsigned long long)v->p.data_blocks, (unsigned long long)v->hash_start, v->alg);
	emit_root_salt(result, maxlen, v, " ");
	unsigned count = (v->mode != MODE_EIO) + (v->error_mode != MODE_EIO) + v->zero_blocks + v->at_most_once +
			 v->tasklet + (v->fec_dev ? 8 : 0) + (v->sig_key_desc ? 2 : 0);
	if (!count)
		return;
	udm_emit(result, maxlen, " %u", count);
	if (v->mode != MODE_EIO)
		udm_emit(result, maxlen, " %s", mode_words[v->mode]);
	if (v->error_mode != MODE_EIO)
		udm_emit(result, maxlen, " %s", error_mode_words[v->error_mode]);
	if (v->zero_blocks)
		udm_emit(result, maxlen, " ignore_zero_blocks");
	if (v->at_most_once)
		udm_emit(result, maxlen, " check_at_most_once");
	if (v->tasklet)
		udm_emit(result, maxlen, " try_verify_in_tasklet");
	if (v->fec_dev)
		udm_emit(result, maxlen, " use_fec_from_device %s fec_blocks %llu fec_start %llu fec_roots %u",
			 udm_blockdev_name(v->fec_dev), (unsigned long long)v->fec_blocks,
			 (unsigned long long)v->fec_start, v->fec_roots);
	if (v->sig_key_desc)
		udm_emit(result, maxlen, " root_hash_sig_key_desc %s", v->sig_key_desc);
}

static int verity_iterate_devices(struct udm_target *ti, udm_iterate_devices_fn fn, void *data)
{
	struct verity_c *v = ti->private;
	return fn(ti, v->data_dev, 0, ti->len, data);
}

/* verity_io_hints: no request smaller than a data block, which is the unit
 * that is verified. */
static void verity_io_hints(struct udm_target *ti, struct udm_io_limits *limits)
{
	struct verity_c *v = ti->private;
	if (limits->logical_block_size < v->p.data_block_size)
		limits->logical_block_size = v->p.data_block_size;
	if (limits->physical_block_size < v->p.data_block_size)
		limits->physical_block_size = v->p.data_block_size;
	limits->io_min = limits->logical_block_size;
}

const struct udm_target_type udm_verity_target = {
	.name = "verity",
	.version = { 1, 11, 0 },
	/* the security layer depends on these two: one verity target, never replaced by another type */
	.features = UDM_TARGET_SINGLETON | UDM_TARGET_IMMUTABLE,
	.ctr = verity_ctr,
	.dtr = verity_dtr,
	.map = verity_map,
	.postsuspend = verity_postsuspend,
	.preresume = verity_preresume,
	.status = verity_status,
	.iterate_devices = verity_iterate_devices,
	.io_hints = verity_io_hints,
};
UDM_TARGET_REGISTER(udm_verity_target);
