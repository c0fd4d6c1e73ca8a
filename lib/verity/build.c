/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-tree creation and userspace verification (veritysetup format/verify), multithreaded:
 * each level is cut into chunks of input blocks that worker threads read, hash and write
 * (or compare) independently; a chunk's output bytes are fully determined by its position.
 *
 * The data level is almost all the work. Where a chunk holds whole leaf hash blocks (the
 * usual geometries), its worker also hashes those leaf blocks while they are still in its
 * cache, into a memory image of the upper levels; the levels above are then hashed from
 * memory, and written (or compared) with one request, instead of a pass per level reading
 * the tree back (UDM_VERITY_LEVELWISE=1 forces the pass per level, for comparison). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "verity/io.h"
#include "verity/verity.h"

/* Large reads keep the syscall count low and let readahead stream. */
#define CHUNK_BYTES (2u << 20)
/* How many chunks ahead a worker asks the kernel to prefetch. */
#define PREFETCH_CHUNKS 4
/* Blocks per verity_hash_blocks call: a multiple of every width (SHA-NI 3 and 4, a group of
 * 16 libipsec-mb jobs). */
#define HASH_BATCH 48
/* Blocks read into slots and hashed at a time: the slots stay in the core's L2 cache
 * between the kernel's copy and the hash (2 MiB at once went out to L3 and back). At most
 * IOV_MAX (1024) iovecs per preadv. */
#define SLOT_BATCH 48
/* Writeback of the hash device is started every this many bytes of tree written, so
 * that the caller's final fsync has little left (each start is a request to the device:
 * not one per chunk). */
#define KICK_BYTES (256u << 10)
/* The most memory the image of the upper levels may take (1 TiB of 4 KiB blocks needs
 * 64 MiB); larger trees are built a level at a time. */
#define UPPER_MAX ((size_t)64 << 20)

/* The upper levels (all but the leaves) in memory: bytes [base, base + len) of the hash
 * device. The data level's workers fill level 1 in; each fills distinct digests. */
struct upper {
	uint8_t *want;
	uint64_t base;
	size_t len;
};

struct level_job {
	const struct verity_params *p;
	const struct verity_geometry *g;
	const struct verity_hasher *h;
	const struct verity_io *in;
	uint64_t in_offset;        /* byte offset of input block 0 */
	size_t in_bs;
	uint64_t count;            /* input blocks */
	const struct verity_io *out;
	unsigned level;            /* the level these digests belong to */
	bool verify;
	bool map_input;            /* hash the input through a mapping instead of pread copies */
	bool slots;                /* read each block beside its salt (verity_hasher_slot_layout) */
	struct upper *upper;       /* data level only: level 1's digests go here too, or NULL */
	size_t slot_stride, slot_off;
	uint64_t chunk_blocks;
	uint64_t nchunks;
	atomic_uint_fast64_t next;
	pthread_mutex_t lock;
	uint64_t fail_chunk;       /* lowest failing chunk, UINT64_MAX if none */
	int fail_err;
	char fail_msg[128];
};

/* Record a failure; fmt may use pos (%PRIu64) or ignore it. */
static void job_fail(struct level_job *j, uint64_t chunk, int err, const char *fmt, uint64_t pos)
{
	pthread_mutex_lock(&j->lock);
	if (chunk < j->fail_chunk) {
		j->fail_chunk = chunk;
		j->fail_err = err;
		snprintf(j->fail_msg, sizeof(j->fail_msg), fmt, pos);
	}
	pthread_mutex_unlock(&j->lock);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Compare the on-disk region with what it should hold, in cryptsetup's order,
 * so the first reported position matches veritysetup's. */
static void check_region(struct level_job *j, uint64_t chunk, uint64_t a, uint64_t b,
			 const uint8_t *want, const uint8_t *have, uint64_t start)
{
	const struct verity_geometry *g = j->g;
	size_t hbs = j->p->hash_block_size;

	for (uint64_t k = a; k < b; k++) {
		uint64_t abs = verity_geometry_digest_offset(g, j->p, j->level, k);
		size_t off = (size_t)(abs - start);
		if (memcmp(want + off, have + off, g->digest_size) != 0) {
			job_fail(j, chunk, -EPERM, "Verification failed at position %" PRIu64 ".",
				 j->in_offset + k * j->in_bs);
			return;
		}
		size_t pad = g->stride - g->digest_size;
		if (pad && !all_zero(have + off + g->digest_size, pad)) {
			job_fail(j, chunk, -EPERM, "Spare area is not zeroed at position %" PRIu64 ".",
				 abs + g->digest_size);
			return;
		}
		if (((k + 1) & (g->hash_per_block - 1)) == 0 || k + 1 == j->count) {
			uint64_t end = (abs / hbs + 1) * hbs;
			uint64_t tail = abs + g->stride;
			if (end > tail && !all_zero(have + (tail - start), (size_t)(end - tail))) {
				job_fail(j, chunk, -EPERM, "Spare area is not zeroed at position %" PRIu64 ".",
					 tail);
				return;
			}
		}
	}
}

/* One chunk's input blocks a..b (already in memory at ch->in) hashed into ch->want. */
struct chunk_hash {
	struct level_job *j;
	void *ctx;
	const uint8_t *in;
	uint64_t a, b, start;
	uint8_t *want;
	uint8_t *slots;            /* j->slots: SLOT_BATCH slots the input is read into */
	bool nowait;               /* j->slots: cached pages only, first (read_slots) */
	bool hash_failed;          /* set when the hasher, not the input, failed */
};

/* Blocks [pos, pos + n * bs) of fd, block i into slots + i * stride + off: the kernel's copy
 * out of the page cache puts each block beside its salt, so hashing copies nothing more.
 * While *nowait holds, a read first asks for cached pages only (RWF_NOWAIT); one that
 * would have to wait for the device clears it (and is then done the ordinary way), so the
 * caller knows to ask for read-ahead. */
static int read_slots(int fd, uint8_t *slots, size_t stride, size_t off, size_t n, size_t bs, uint64_t pos,
		      bool *nowait)
{
	struct iovec iov[SLOT_BATCH];

	for (size_t i = 0; i < n;) {
		size_t k = n - i < SLOT_BATCH ? n - i : SLOT_BATCH;
		for (size_t j = 0; j < k; j++)
			iov[j] = (struct iovec){ .iov_base = slots + (i + j) * stride + off, .iov_len = bs };
		ssize_t got = preadv2(fd, iov, (int)k, (off_t)(pos + i * bs), *nowait ? RWF_NOWAIT : 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (*nowait && (errno == EAGAIN || errno == EOPNOTSUPP)) {
				*nowait = false;   /* not (all) cached, or no such flag here: read and wait */
				continue;
			}
			return -errno;
		}
		if (got == 0)
			return -EIO;
		size_t whole = (size_t)got / bs, part = (size_t)got % bs;
		if (whole < k)
			*nowait = false;   /* short: the rest may be a read from the device */
		if (part) {    /* a short read inside a block: the rest of that block, then go on */
			int r = verity_pread_full(fd, slots + (i + whole) * stride + off + part, bs - part,
						  pos + (i + whole) * bs + part);
			if (r)
				return r;
			whole++;
		}
		i += whole;
	}
	return 0;
}

static int hash_chunk(void *arg)
{
	struct chunk_hash *ch = arg;
	struct level_job *j = ch->j;
	const struct verity_geometry *g = j->g;

	for (uint64_t k = ch->a; k < ch->b; k += HASH_BATCH) {
		/* in batches: verity_hash_blocks hashes several blocks side by side where it can */
		uint8_t digests[HASH_BATCH * VERITY_MAX_DIGEST_SIZE];
		size_t n = ch->b - k >= HASH_BATCH ? HASH_BATCH : (size_t)(ch->b - k);
		int r;
		if (j->slots) {
			/* the input is read here, a batch at a time, into the same slots */
			r = read_slots(j->in->fd, ch->slots, j->slot_stride, j->slot_off, n, j->in_bs,
				       j->in_offset + k * j->in_bs, &ch->nowait);
			if (r)
				return r;   /* reported at the chunk's start, as for the other reads */
			r = verity_hash_slots(j->h, ch->ctx, ch->slots, n, j->in_bs, digests);
		} else {
			r = verity_hash_blocks(j->h, ch->ctx, ch->in + (size_t)(k - ch->a) * j->in_bs, n, j->in_bs,
					       digests);
		}
		if (r) {
			ch->hash_failed = true;
			return r;
		}
		for (size_t i = 0; i < n; i++)
			memcpy(ch->want + (verity_geometry_digest_offset(g, j->p, j->level, k + i) - ch->start),
			       digests + i * g->digest_size, g->digest_size);
	}
	return 0;
}

/* The digests of n whole hash blocks at in (blocks first..first + n - 1 of level - 1's
 * output, the input of `level`) into their places in the memory image of the upper levels. */
static int hash_up(const struct verity_params *p, const struct verity_geometry *g, const struct verity_hasher *h,
		   void *ctx, struct upper *up, unsigned level, const uint8_t *in, uint64_t first, uint64_t n)
{
	size_t hbs = p->hash_block_size;

	for (uint64_t k = 0; k < n; k += HASH_BATCH) {
		uint8_t digests[HASH_BATCH * VERITY_MAX_DIGEST_SIZE];
		size_t m = n - k >= HASH_BATCH ? HASH_BATCH : (size_t)(n - k);
		int r = verity_hash_blocks(h, ctx, in + (size_t)k * hbs, m, hbs, digests);
		if (r)
			return r;
		for (size_t i = 0; i < m; i++)
			memcpy(up->want + (verity_geometry_digest_offset(g, p, level, first + k + i) - up->base),
			       digests + i * g->digest_size, g->digest_size);
	}
	return 0;
}

static void *level_worker(void *arg)
{
	struct level_job *j = arg;
	const struct verity_geometry *g = j->g;
	size_t hbs = j->p->hash_block_size;
	size_t in_cap = j->slots ? (size_t)SLOT_BATCH * j->slot_stride : (size_t)j->chunk_blocks * j->in_bs;
	/* output of one chunk: its digests plus at most one block of slack on each side */
	size_t out_cap = (size_t)((j->chunk_blocks + g->hash_per_block - 1) / g->hash_per_block + 2) * hbs;
	/* the worker's buffers in one mapping, its pages mapped at once */
	size_t bufs_len = in_cap + out_cap * (j->verify ? 2 : 1);
	uint8_t *in = verity_buf_alloc(bufs_len), *want = in ? in + in_cap : NULL;
	uint8_t *have = in && j->verify ? want + out_cap : NULL;
	void *ctx = verity_hasher_ctx_new();

	if (!in || !ctx) {
		job_fail(j, 0, -ENOMEM, "Out of memory", 0);
		goto out;
	}
	if (j->slots)   /* the salt once: the reads leave it alone */
		verity_hasher_slots_init(j->h, in, SLOT_BATCH, j->in_bs);
	bool cold = true;   /* slots: the last chunk's input was not all cached */
	for (;;) {
		uint64_t c = atomic_fetch_add(&j->next, 1);
		if (c >= j->nchunks)
			break;
		pthread_mutex_lock(&j->lock);
		bool skip = c > j->fail_chunk;
		pthread_mutex_unlock(&j->lock);
		if (skip)
			break;
		uint64_t a = c * j->chunk_blocks;
		uint64_t b = a + j->chunk_blocks < j->count ? a + j->chunk_blocks : j->count;
		size_t in_len = (size_t)(b - a) * j->in_bs;
		uint64_t ahead = c + PREFETCH_CHUNKS;
		/* read-ahead asked for where the input is not in the page cache already (for a
		 * warm cache each request would only walk it) */
		if (ahead < j->nchunks && j->in->fd >= 0 && (cold || !j->slots))
			posix_fadvise(j->in->fd, (off_t)(j->in_offset + ahead * j->chunk_blocks * j->in_bs),
				      (off_t)(j->chunk_blocks * j->in_bs), POSIX_FADV_WILLNEED);
		uint64_t in_off = j->in_offset + a * j->in_bs;
		uint64_t start = verity_geometry_digest_offset(g, j->p, j->level, a);
		uint64_t last = verity_geometry_digest_offset(g, j->p, j->level, b - 1);
		uint64_t end = (((b & (g->hash_per_block - 1)) == 0) || b == j->count)
			       ? (last / hbs + 1) * hbs : last + g->stride;
		size_t out_len = (size_t)(end - start);
		struct chunk_hash ch = { .j = j, .ctx = ctx, .in = in, .a = a, .b = b, .start = start, .want = want };
		struct verity_map map;
		int r;
		memset(want, 0, out_len);
		if (j->slots) {
			ch.slots = in;
			ch.nowait = true;
			r = hash_chunk(&ch);
			cold = !ch.nowait;
		} else if (j->map_input && verity_map_open(j->in->fd, in_off, in_len, &map) == 0) {
			ch.in = map.data;
			r = verity_map_guarded(&map, hash_chunk, &ch);
			verity_map_close(&map);
			if (r)   /* a fault may have jumped out of the middle of a hash */
				verity_hasher_ctx_reset(ctx);
		} else {
			r = verity_io_read(j->in, in, in_len, in_off);
			if (!r)
				r = hash_chunk(&ch);
		}
		if (r) {
			if (ch.hash_failed)
				job_fail(j, c, r, "Hash computation failed", 0);
			else
				job_fail(j, c, r, "Cannot read device at position %" PRIu64 ".", in_off);
			continue;
		}
		/* the chunk's leaf blocks are whole (start and end on block boundaries): their
		 * digests, level 1's, while they are in this core's cache */
		if (j->upper && (r = hash_up(j->p, g, j->h, ctx, j->upper, j->level + 1, want,
					     a >> g->hash_per_block_bits, out_len / hbs))) {
			job_fail(j, c, r, "Hash computation failed", 0);
			continue;
		}
		if (!j->verify) {
			r = verity_io_write(j->out, want, out_len, start);
			if (r)
				job_fail(j, c, r, "Cannot write hash device at position %" PRIu64 ".", start);
			else if (j->out->fd >= 0 && start / KICK_BYTES != end / KICK_BYTES)
				/* start writeback of the last whole stretch, so the caller's final
				 * fsync has little left */
				sync_file_range(j->out->fd, (off_t)(end / KICK_BYTES * KICK_BYTES - KICK_BYTES),
						KICK_BYTES, SYNC_FILE_RANGE_WRITE);
			continue;
		}
		r = verity_io_read(j->out, have, out_len, start);
		if (r) {
			job_fail(j, c, r, "Cannot read hash device at position %" PRIu64 ".", start);
			continue;
		}
		if (memcmp(want, have, out_len) != 0)
			check_region(j, c, a, b, want, have, start);
	}
out:
	verity_hasher_ctx_free(ctx);
	verity_buf_free(in, bufs_len);
	return NULL;
}

/* Input blocks per chunk: whole hash blocks of output when that fits, so writes are
 * block-aligned. */
static uint64_t chunk_blocks_for(size_t in_bs, const struct verity_geometry *g)
{
	uint64_t n = CHUNK_BYTES / in_bs ? CHUNK_BYTES / in_bs : 1;

	if (n >= g->hash_per_block)
		n -= n % g->hash_per_block;
	return n;
}

static int run_level(struct level_job *j, unsigned threads, struct verity_report *rep)
{
	pthread_t tid[64];
	unsigned n, started = 0;

	j->chunk_blocks = chunk_blocks_for(j->in_bs, j->g);
	j->nchunks = (j->count + j->chunk_blocks - 1) / j->chunk_blocks;
	atomic_init(&j->next, 0);
	pthread_mutex_init(&j->lock, NULL);
	j->fail_chunk = UINT64_MAX;
	j->fail_err = 0;
	j->fail_msg[0] = '\0';
	n = threads;
	if (n > j->nchunks)
		n = (unsigned)j->nchunks;
	if (n > 64)
		n = 64;
	for (unsigned i = 1; i < n; i++) {
		if (pthread_create(&tid[i], NULL, level_worker, j) != 0)
			break;
		started++;
	}
	level_worker(j);
	for (unsigned i = 1; i <= started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&j->lock);
	if (j->fail_chunk != UINT64_MAX) {
		if (rep)
			snprintf(rep->message, sizeof(rep->message), "%s", j->fail_msg);
		return j->fail_err;
	}
	return 0;
}

static int compute_root(const struct verity_params *p, const struct verity_geometry *g,
			const struct verity_hasher *h, const struct verity_io *data, const struct verity_io *hash,
			uint8_t *root)
{
	const struct verity_io *dev = g->levels ? hash : data;
	size_t len = g->levels ? p->hash_block_size : p->data_block_size;
	uint64_t off = g->levels ? g->level_block[g->levels - 1] * p->hash_block_size : 0;
	uint8_t *buf = malloc(len);
	void *ctx = verity_hasher_ctx_new();
	int r = -ENOMEM;

	if (buf && ctx) {
		r = verity_io_read(dev, buf, len, off);
		if (!r)
			r = verity_hash_block(h, ctx, buf, len, root);
	}
	verity_hasher_ctx_free(ctx);
	free(buf);
	return r;
}

/* After the data level (which filled in level 1): the levels above it hashed from memory,
 * then written with one request or compared with what the device holds, level by level
 * from the bottom as the pass per level would (the same first failure, the same message),
 * and the root from the top block. */
static int finish_upper(const struct verity_params *p, const struct verity_geometry *g, const struct verity_hasher *h,
			const struct verity_io *hash, bool verify, struct upper *up, uint8_t *root,
			struct verity_report *rep)
{
	size_t hbs = p->hash_block_size;
	uint8_t *have = NULL;
	void *ctx = verity_hasher_ctx_new();
	int r = ctx ? 0 : -ENOMEM;

	if (!r && verify) {
		have = malloc(up->len);
		r = have ? verity_io_read(hash, have, up->len, up->base) : -ENOMEM;
		if (r && have && rep)
			snprintf(rep->message, sizeof(rep->message), "Cannot read hash device at position %" PRIu64 ".",
				 up->base);
	}
	for (unsigned i = 1; !r && i < g->levels; i++) {
		uint64_t in_off = g->level_block[i - 1] * hbs, start = g->level_block[i] * hbs;
		/* level 1 came from the data level's workers */
		if (i > 1 && (r = hash_up(p, g, h, ctx, up, i, up->want + (in_off - up->base), 0, g->level_size[i - 1])))
			break;
		size_t len = (size_t)(g->level_size[i] * hbs), at = (size_t)(start - up->base);
		if (!verify || memcmp(up->want + at, have + at, len) == 0)
			continue;
		struct level_job j = {
			.p = p, .g = g, .level = i, .in_offset = in_off, .in_bs = hbs, .count = g->level_size[i - 1],
			.fail_chunk = UINT64_MAX,
		};
		pthread_mutex_init(&j.lock, NULL);
		check_region(&j, 0, 0, j.count, up->want + at, have + at, start);
		pthread_mutex_destroy(&j.lock);
		r = j.fail_chunk != UINT64_MAX ? j.fail_err : -EPERM;
		if (rep)
			snprintf(rep->message, sizeof(rep->message), "%s", j.fail_msg);
	}
	if (!r && !verify) {
		r = verity_io_write(hash, up->want, up->len, up->base);
		if (r && rep)
			snprintf(rep->message, sizeof(rep->message), "Cannot write hash device at position %" PRIu64 ".",
				 up->base);
		else if (!r && hash->fd >= 0)
			sync_file_range(hash->fd, (off_t)up->base, (off_t)up->len, SYNC_FILE_RANGE_WRITE);
	}
	/* the top level is one block, at the start of the image */
	if (!r)
		r = verity_hash_block(h, ctx, up->want + (g->level_block[g->levels - 1] * hbs - up->base), hbs, root);
	verity_hasher_ctx_free(ctx);
	free(have);
	return r;
}

static bool env_on(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

static int create_or_check(const struct verity_params *p, const struct verity_io *data,
			   const struct verity_io *hash, unsigned threads,
			   bool verify, uint8_t *root, struct verity_report *rep)
{
	struct verity_hasher *h;
	struct verity_geometry g;
	uint8_t calc[VERITY_MAX_DIGEST_SIZE];
	int r;

	if (rep)
		rep->message[0] = '\0';
	r = verity_hasher_new(p->hash_name, p->hash_type, p->salt, p->salt_size, &h);
	if (r)
		return r;
	r = verity_geometry_init(&g, p, verity_hasher_digest_size(h));
	if (r)
		goto out;
	threads = verity_default_threads(threads);
	if (data->fd >= 0)
		posix_fadvise(data->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* Where the hasher takes whole salted messages (libipsec-mb), every level is read
	 * straight into slots beside the salt (one copy, the kernel's). Otherwise the data
	 * (almost all the work) is hashed through a mapping where the fd allows it. For
	 * benchmarks comparing them in one run: UDM_VERITY_MAP=1 forces the mapping (then
	 * the hasher copies each block to its salt), UDM_VERITY_PREAD=1 plain pread copies. */
	struct stat st;
	bool force_pread = env_on("UDM_VERITY_PREAD"), force_map = !force_pread && env_on("UDM_VERITY_MAP");
	bool map_data = data->fd >= 0 && fstat(data->fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) &&
			!force_pread;
	size_t stride, off;
	/* the upper levels in memory where the data level's chunks hold whole leaf blocks */
	struct upper up = { 0 };
	size_t hbs = p->hash_block_size;
	if (g.levels >= 2 && !env_on("UDM_VERITY_LEVELWISE") &&
	    chunk_blocks_for(p->data_block_size, &g) % g.hash_per_block == 0 &&
	    g.level_block[0] - g.hash_start <= UPPER_MAX / hbs) {
		up.base = g.hash_start * hbs;
		up.len = (size_t)((g.level_block[0] - g.hash_start) * hbs);
		if (!(up.want = calloc(1, up.len))) {
			r = -ENOMEM;
			goto out;
		}
	}

	for (unsigned i = 0; i < (up.want ? 1 : g.levels); i++) {
		struct level_job j = {
			.p = p, .g = &g, .h = h, .out = hash, .level = i, .verify = verify,
			.in = i ? hash : data,
			.in_offset = i ? g.level_block[i - 1] * p->hash_block_size : 0,
			.in_bs = i ? p->hash_block_size : p->data_block_size,
			.count = i ? g.level_size[i - 1] : p->data_blocks,
			.map_input = i == 0 && map_data,
			.upper = up.want ? &up : NULL,
		};
		j.slots = j.in->fd >= 0 && !force_pread && !force_map &&
			  verity_hasher_slot_layout(h, j.in_bs, &stride, &off);
		if (j.slots)
			j.slot_stride = stride, j.slot_off = off;
		r = run_level(&j, threads, rep);
		if (r)
			goto out;
	}
	r = up.want ? finish_upper(p, &g, h, hash, verify, &up, calc, rep) : compute_root(p, &g, h, data, hash, calc);
	if (r)
		goto out;
	if (verify) {
		if (memcmp(calc, root, g.digest_size) != 0) {
			r = -EFAULT;
			if (rep)
				snprintf(rep->message, sizeof(rep->message), "Verification of root hash failed.");
		}
	} else {
		memcpy(root, calc, g.digest_size);
	}
out:
	free(up.want);
	verity_hasher_free(h);
	return r;
}

int verity_tree_create_io(const struct verity_params *p, const struct verity_io *data,
			  const struct verity_io *hash, unsigned threads, uint8_t *root)
{
	return create_or_check(p, data, hash, threads, false, root, NULL);
}

int verity_tree_check_io(const struct verity_params *p, const struct verity_io *data,
			 const struct verity_io *hash, unsigned threads, const uint8_t *root,
			 struct verity_report *rep)
{
	return create_or_check(p, data, hash, threads, true, (uint8_t *)root, rep);
}

int verity_tree_create(const struct verity_params *p, int data_fd, int hash_fd,
		       unsigned threads, uint8_t *root)
{
	struct verity_io d = verity_io_fd(data_fd), h = verity_io_fd(hash_fd);
	return create_or_check(p, &d, &h, threads, false, root, NULL);
}

int verity_tree_check(const struct verity_params *p, int data_fd, int hash_fd,
		      unsigned threads, const uint8_t *root, struct verity_report *rep)
{
	struct verity_io d = verity_io_fd(data_fd), h = verity_io_fd(hash_fd);
	return create_or_check(p, &d, &h, threads, true, (uint8_t *)root, rep);
}
