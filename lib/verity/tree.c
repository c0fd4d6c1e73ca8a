/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Random-access verified reads: one data block at a time, checked against the root through
 * a bounded cache of already-verified hash blocks (the kernel's dm-bufio + verified bit). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "verity/io.h"
#include "verity/verity.h"

#define DEFAULT_CACHE_BLOCKS 1024
#define CACHE_LOCKS 64

/* Direct-mapped: a hash block lives in slot (block % nslots). Only verified
 * blocks enter the cache, so a hit needs no hashing. */
struct cache_slot {
	uint64_t block;              /* UINT64_MAX = empty */
	uint8_t *data;
};

struct verity_tree {
	struct verity_params p;
	struct verity_geometry g;
	struct verity_hasher *h;
	struct verity_source data, hash;
	uint8_t root[VERITY_MAX_DIGEST_SIZE];
	bool has_fec;
	struct verity_fec_params fec;
	size_t nslots;
	struct cache_slot *slots;
	pthread_mutex_t locks[CACHE_LOCKS];
	atomic_uint_fast64_t corrected;
	bool ignore_zero_blocks;
	uint8_t zero_digest[VERITY_MAX_DIGEST_SIZE];
	_Atomic uint8_t *validated;      /* check_at_most_once bitmap, or NULL */
	struct verity_helper *helper;    /* a second core for large range reads, or NULL */
	struct verity_ra *ra;            /* verifying ahead of sequential readers, or NULL */
};

/* One hashing context per reader thread, kept for the thread's lifetime: a warm read
 * then costs one digest and no allocation. Contexts are not tied to a digest. */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static int ctx_key_err;

static void ctx_key_init(void)
{
	ctx_key_err = pthread_key_create(&ctx_key, verity_hasher_ctx_free);
}

static void *thread_ctx(void)
{
	void *ctx;

	pthread_once(&ctx_once, ctx_key_init);
	if (ctx_key_err)
		return NULL;
	ctx = pthread_getspecific(ctx_key);
	if (!ctx) {
		ctx = verity_hasher_ctx_new();
		if (ctx && pthread_setspecific(ctx_key, ctx)) {
			verity_hasher_ctx_free(ctx);
			ctx = NULL;
		}
	}
	return ctx;
}

static int ra_fill(void *owner, uint64_t first, uint64_t count, void *buf);

int verity_tree_open(const struct verity_params *p, int data_fd, int hash_fd, const uint8_t *root,
		     const struct verity_tree_options *opt, struct verity_tree **out)
{
	struct verity_source data = verity_source_fd(data_fd), hash = verity_source_fd(hash_fd);
	return verity_tree_open_src(p, &data, &hash, root, opt, out);
}

int verity_tree_open_src(const struct verity_params *p, const struct verity_source *data,
			 const struct verity_source *hash, const uint8_t *root,
			 const struct verity_tree_options *opt, struct verity_tree **out)
{
	struct verity_tree *t;
	int r;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->p = *p;
	t->data = *data;
	t->hash = *hash;
	r = verity_hasher_new(p->hash_name, p->hash_type, p->salt, p->salt_size, &t->h);
	if (r)
		goto fail;
	r = verity_geometry_init(&t->g, p, verity_hasher_digest_size(t->h));
	if (r)
		goto fail;
	memcpy(t->root, root, t->g.digest_size);
	if (opt && opt->fec) {
		t->has_fec = true;
		t->fec = *opt->fec;
	}
	t->nslots = opt && opt->cache_blocks ? opt->cache_blocks : DEFAULT_CACHE_BLOCKS;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < t->nslots; i++)
		t->slots[i].block = UINT64_MAX;
	if (opt && opt->check_at_most_once) {
		t->validated = calloc((size_t)(p->data_blocks / 8 + 1), 1);
		if (!t->validated) {
			r = -ENOMEM;
			goto fail;
		}
	}
	if (opt && opt->ignore_zero_blocks) {
		uint8_t *zero = calloc(1, p->data_block_size);
		void *ctx = verity_hasher_ctx_new();
		r = zero && ctx ? verity_hash_block(t->h, ctx, zero, p->data_block_size, t->zero_digest) : -ENOMEM;
		free(zero);
		verity_hasher_ctx_free(ctx);
		if (r)
			goto fail;
		t->ignore_zero_blocks = true;
	}
	for (unsigned i = 0; i < CACHE_LOCKS; i++)
		pthread_mutex_init(&t->locks[i], NULL);
	atomic_init(&t->corrected, 0);
	t->helper = verity_helper_new();
	if (opt && opt->readahead)
		t->ra = verity_ra_new(p->data_blocks, p->data_block_size, ra_fill, t);
	*out = t;
	return 0;
fail:
	verity_hasher_free(t->h);
	free(t->slots);
	free((void *)t->validated);
	free(t);
	return r;
}

void verity_tree_close(struct verity_tree *t)
{
	if (!t)
		return;
	verity_ra_free(t->ra);   /* its workers read through the tree */
	for (size_t i = 0; i < t->nslots; i++)
		free(t->slots[i].data);
	for (unsigned i = 0; i < CACHE_LOCKS; i++)
		pthread_mutex_destroy(&t->locks[i]);
	free(t->slots);
	free((void *)t->validated);
	verity_helper_free(t->helper);
	verity_hasher_free(t->h);
	free(t);
}

void verity_tree_forget(struct verity_tree *t)
{
	verity_ra_forget(t->ra);
	for (size_t i = 0; i < t->nslots; i++) {
		pthread_mutex_t *lk = &t->locks[i % CACHE_LOCKS];
		pthread_mutex_lock(lk);
		t->slots[i].block = UINT64_MAX;
		pthread_mutex_unlock(lk);
	}
}

const struct verity_geometry *verity_tree_geometry(const struct verity_tree *t)
{
	return &t->g;
}

void verity_tree_ra_stats(struct verity_tree *t, struct verity_ra_stats *st)
{
	verity_ra_stats(t->ra, st);
}

uint64_t verity_tree_corrected(const struct verity_tree *t)
{
	return atomic_load(&((struct verity_tree *)t)->corrected);
}

/* Copy `len` bytes at `off` of a cached hash block out; false on a miss. */
static bool cache_get(struct verity_tree *t, uint64_t block, size_t off, size_t len, uint8_t *out)
{
	size_t s = (size_t)(block % t->nslots);
	pthread_mutex_t *lk = &t->locks[s % CACHE_LOCKS];
	bool hit;

	pthread_mutex_lock(lk);
	hit = t->slots[s].block == block;
	if (hit)
		memcpy(out, t->slots[s].data + off, len);
	pthread_mutex_unlock(lk);
	return hit;
}

/* Copy a whole cached hash block out; false on a miss. */
static bool cache_get_block(struct verity_tree *t, uint64_t block, uint8_t *out)
{
	return cache_get(t, block, 0, t->p.hash_block_size, out);
}

static void cache_put(struct verity_tree *t, uint64_t block, const uint8_t *data)
{
	size_t s = (size_t)(block % t->nslots);
	pthread_mutex_t *lk = &t->locks[s % CACHE_LOCKS];

	pthread_mutex_lock(lk);
	if (!t->slots[s].data)
		t->slots[s].data = malloc(t->p.hash_block_size);
	if (t->slots[s].data) {   /* out of memory only costs a future re-verification */
		memcpy(t->slots[s].data, data, t->p.hash_block_size);
		t->slots[s].block = block;
	}
	pthread_mutex_unlock(lk);
}

/* Read a block of `len` bytes and check it against `want`, repairing it through
 * FEC message index `fec_idx` when it does not match. */
static int read_checked(struct verity_tree *t, void *ctx, const struct verity_source *src, uint64_t off, size_t len,
			uint64_t fec_idx, const uint8_t *want, uint8_t *buf)
{
	uint8_t got[VERITY_MAX_DIGEST_SIZE];
	int r = verity_source_read(src, buf, len, off);
	int fail = r ? -EIO : -EBADMSG;   /* read error, or a digest mismatch */

	if (!r) {
		r = verity_hash_block(t->h, ctx, buf, len, got);
		if (r)
			return r;
		if (memcmp(got, want, t->g.digest_size) == 0)
			return 0;
	}
	if (!t->has_fec)
		return fail;
	if (verity_fec_correct_block_src(&t->p, &t->g, &t->fec, &t->data, &t->hash, fec_idx, buf, NULL))
		return fail;
	/* FEC output is trusted only if it hashes to what the tree wants */
	if (verity_hash_block(t->h, ctx, buf, len, got) || memcmp(got, want, t->g.digest_size) != 0)
		return fail;
	atomic_fetch_add(&t->corrected, 1);
	return 0;
}

/* Where data block n's path crosses level lvl: the hash block, and in it the
 * offset of the digest of the path's block one level below (or of block n). */
static uint64_t path_block(const struct verity_geometry *g, uint64_t n, unsigned lvl, size_t *off)
{
	uint64_t pos = n >> (lvl * g->hash_per_block_bits);
	*off = (size_t)(pos & (g->hash_per_block - 1)) * g->stride;
	return g->level_block[lvl] + (pos >> g->hash_per_block_bits);
}

/* The lowest level from `from` up whose block on n's path is cached (so
 * verified), with in want its digest of the level below; g->levels with the
 * root hash in want when none is. */
static unsigned find_cached(struct verity_tree *t, uint64_t n, unsigned from, uint8_t *want)
{
	const struct verity_geometry *g = &t->g;
	unsigned lvl;
	memcpy(want, t->root, g->digest_size);
	for (lvl = from; lvl < g->levels; lvl++) {
		size_t off;
		uint64_t blk = path_block(g, n, lvl, &off);
		if (cache_get(t, blk, off, g->digest_size, want))
			break;
	}
	return lvl;
}

/* Read and verify n's path from level lvl-1 down to level 0 into hblock
 * (hash_block_size bytes), want holding the digest of the first block; each
 * block verified is cached, and want ends as level 0's digest of block n. */
static int walk_down(struct verity_tree *t, void *ctx, uint64_t n, unsigned lvl, uint8_t *want, uint8_t *hblock,
		     struct verity_read_fault *fault)
{
	const struct verity_geometry *g = &t->g;
	size_t hbs = t->p.hash_block_size;
	while (lvl-- > 0) {
		size_t off;
		uint64_t blk = path_block(g, n, lvl, &off);
		uint64_t fec_idx = t->p.data_blocks + (blk - g->hash_start);
		int r = read_checked(t, ctx, &t->hash, blk * hbs, hbs, fec_idx, want, hblock);
		if (r) {
			if (fault)
				*fault = (struct verity_read_fault){ r == -EBADMSG, true, blk, n };
			return r;
		}
		cache_put(t, blk, hblock);
		memcpy(want, hblock + off, g->digest_size);
	}
	return 0;
}

int verity_tree_read(struct verity_tree *t, uint64_t n, void *buf)
{
	int r = verity_tree_read_fault(t, n, buf, NULL);
	return r == -EBADMSG ? -EIO : r;
}

int verity_tree_read_fault(struct verity_tree *t, uint64_t n, void *buf, struct verity_read_fault *fault)
{
	const struct verity_geometry *g = &t->g;
	uint8_t want[VERITY_MAX_DIGEST_SIZE];
	uint8_t *hblock = NULL;
	void *ctx;
	int r = 0;
	unsigned lvl;

	if (n >= t->p.data_blocks)
		return -EINVAL;
	ctx = thread_ctx();
	if (!ctx)
		return -ENOMEM;
	lvl = find_cached(t, n, 0, want);
	if (lvl > 0) {
		hblock = malloc(t->p.hash_block_size);
		if (!hblock) {
			r = -ENOMEM;
			goto out;
		}
	}
	if ((r = walk_down(t, ctx, n, lvl, want, hblock, fault)))
		goto out;
	if (t->ignore_zero_blocks && memcmp(want, t->zero_digest, g->digest_size) == 0) {
		/* the tree says this block was zeroes at format time: whatever is on disk is ignored */
		memset(buf, 0, t->p.data_block_size);
		goto out;
	}
	if (t->validated && (atomic_load(&t->validated[n / 8]) & (1u << (n % 8)))) {
		r = verity_source_read(&t->data, buf, t->p.data_block_size, n * t->p.data_block_size);
		if (r && fault)
			*fault = (struct verity_read_fault){ false, false, n, n };
		goto out;
	}
	r = read_checked(t, ctx, &t->data, n * t->p.data_block_size, t->p.data_block_size, n, want, buf);
	if (r && fault)
		*fault = (struct verity_read_fault){ r == -EBADMSG, false, n, n };
	if (!r && t->validated)
		atomic_fetch_or(&t->validated[n / 8], (uint8_t)(1u << (n % 8)));
out:
	if (r)   /* never leave unverified bytes in the caller's buffer */
		memset(buf, 0, t->p.data_block_size);
	free(hblock);
	return r;
}

/* Leaf (level-0) hash block of data block n, verified up to the root (or to a cached,
 * verified block), into hblock (hash_block_size bytes). Needs levels > 0. */
static int get_leaf(struct verity_tree *t, void *ctx, uint64_t n, uint8_t *hblock, struct verity_read_fault *fault)
{
	const struct verity_geometry *g = &t->g;
	uint8_t want[VERITY_MAX_DIGEST_SIZE];

	if (cache_get_block(t, g->level_block[0] + (n >> g->hash_per_block_bits), hblock))
		return 0;
	return walk_down(t, ctx, n, find_cached(t, n, 1, want), want, hblock, fault);
}

#define WINDOW 256   /* blocks hashed per verity_hash_blocks call: 1 MiB of 4 KiB blocks */
#define PAIR_MIN 64  /* blocks from which a range is worth splitting between two threads */

/* strict (read-ahead): a read error or a data block's mismatch fails the whole range at
 * once, with no repair, no fault and no per-block retry; the reader's own read does all
 * of that. Hash blocks are fetched as for any reader (FEC included). */
static int read_range(struct verity_tree *t, uint64_t first, uint64_t count, void *buf,
		      struct verity_read_fault *fault, bool strict)
{
	const struct verity_geometry *g = &t->g;
	size_t dbs = t->p.data_block_size, ds = g->digest_size;
	uint8_t *out = buf, *hblock = NULL, *got = NULL;
	uint64_t n = first, end;
	/* the rare options decide per block whether to hash at all */
	bool per_block = t->validated || t->ignore_zero_blocks;
	void *ctx;
	int r = 0;

	if (first >= t->p.data_blocks || count > t->p.data_blocks - first)
		return -EINVAL;
	end = first + count;
	if (count > SIZE_MAX / dbs || g->levels == 0) {
		if (strict)
			return -EINVAL;
		goto one_by_one;
	}
	ctx = thread_ctx();
	if (!ctx)
		return -ENOMEM;
	/* all data blocks in one read; a read error is sorted out block by block */
	if (verity_source_read(&t->data, out, (size_t)count * dbs, first * dbs)) {
		if (strict)
			return -EIO;
		goto one_by_one;
	}
	hblock = malloc(t->p.hash_block_size);
	got = malloc(WINDOW * VERITY_MAX_DIGEST_SIZE);
	if (!hblock || !got) {
		r = -ENOMEM;
		goto fail;
	}
	while (n < end) {
		/* the digests of a window of blocks at once, then checked leaf by leaf */
		uint64_t w0 = n, wend = end - n > WINDOW ? n + WINDOW : end;
		if (!per_block && (r = verity_hash_blocks(t->h, ctx, out + (n - first) * dbs, (size_t)(wend - n), dbs, got)))
			goto fail;
		while (n < wend) {
			/* the data blocks under one leaf hash block */
			uint64_t leaf_end = ((n >> g->hash_per_block_bits) + 1) << g->hash_per_block_bits;
			if (leaf_end > wend)
				leaf_end = wend;
			if ((r = get_leaf(t, ctx, n, hblock, fault)))
				goto fail;
			for (; n < leaf_end; n++) {
				uint8_t *p = out + (n - first) * dbs;
				size_t off = (size_t)(n & (g->hash_per_block - 1)) * g->stride;
				const uint8_t *d = got + (n - w0) * ds;
				if (per_block) {
					/* as verity_tree_read_fault does */
					if (t->ignore_zero_blocks && memcmp(hblock + off, t->zero_digest, ds) == 0) {
						memset(p, 0, dbs);
						continue;
					}
					if (t->validated && (atomic_load(&t->validated[n / 8]) & (1u << (n % 8))))
						continue;
					if ((r = verity_hash_blocks(t->h, ctx, p, 1, dbs, got)))
						goto fail;
					d = got;
				}
				if (memcmp(d, hblock + off, ds) != 0) {
					/* re-read, repair through FEC if there is one, and report */
					r = strict ? -EBADMSG : verity_tree_read_fault(t, n, p, fault);
					if (r)
						goto fail;
				} else if (t->validated) {
					atomic_fetch_or(&t->validated[n / 8], (uint8_t)(1u << (n % 8)));
				}
			}
		}
	}
	free(hblock);
	free(got);
	return 0;
fail:
	/* blocks before n are verified; never leave unverified bytes from n on */
	memset(out + (n - first) * dbs, 0, (size_t)(end - n) * dbs);
	free(hblock);
	free(got);
	return r;
one_by_one:
	for (; n < end; n++) {
		r = verity_tree_read_fault(t, n, out + (n - first) * dbs, fault);
		if (r) {
			if (fault)
				fault->index = n;
			goto fail;
		}
	}
	return 0;
}

struct half {
	struct verity_tree *t;
	uint64_t first, count;
	uint8_t *buf;
	struct verity_read_fault fault;
};

static int read_half(void *arg)
{
	struct half *h = arg;
	return read_range(h->t, h->first, h->count, h->buf, &h->fault, false);
}

static int ra_fill(void *owner, uint64_t first, uint64_t count, void *buf)
{
	return read_range(owner, first, count, buf, NULL, true);
}

int verity_tree_read_range(struct verity_tree *t, uint64_t first, uint64_t count, void *buf,
			   struct verity_read_fault *fault)
{
	size_t dbs = t->p.data_block_size;
	int r, r2;

	if (first >= t->p.data_blocks || count > t->p.data_blocks - first)
		return -EINVAL;
	if (t->ra && verity_ra_read(t->ra, first, count, buf))
		return 0;
	if (count < PAIR_MIN || count > SIZE_MAX / dbs)
		return read_range(t, first, count, buf, fault, false);
	/* the second half (from a leaf boundary where there is one) on the helper thread */
	uint64_t mid = first + count / 2, leaf = (uint64_t)1 << t->g.hash_per_block_bits;
	if (t->g.levels && (mid & ~(leaf - 1)) > first)
		mid &= ~(leaf - 1);
	struct half a = { t, first, mid - first, buf, { 0 } };
	struct half b = { t, mid, first + count - mid, (uint8_t *)buf + (mid - first) * dbs, { 0 } };
	r = verity_helper_pair(t->helper, read_half, &a, &b, &r2);
	if (r == -EBUSY)
		return read_range(t, first, count, buf, fault, false);
	if (r) {
		/* the first failure wins; nothing after it may stay in the buffer */
		memset(b.buf, 0, (size_t)b.count * dbs);
		if (fault)
			*fault = a.fault;
		return r;
	}
	if (r2 && fault)
		*fault = b.fault;
	return r2;
}
