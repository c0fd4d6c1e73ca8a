/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Read-ahead for sequential verified reads: the chunks after a sequential reader's request
 * are read and verified on two background threads, and handed out of private memory when
 * the reader gets there.
 *
 * Why: a reader with one request in flight (dd through the loop device, a file system's
 * sequential read through FUSE) is a chain: the kernel's request, the read of the data,
 * the digests, the check, the reply, the next request. Nothing overlaps it, so one core
 * idles while the other works, and the digests are only part of the chain. Verifying
 * ahead puts the reads and digests of the next chunks on both cores while the reader's
 * request goes round; the reader's request then costs a copy out of a verified chunk.
 *
 * Safety: a chunk is handed out only if every one of its blocks was verified against this
 * tree (the fill function is strict: a read error or a mismatch of a data block discards
 * the chunk, with no repair, no log and no fault; the reader's own read then does all of
 * that as it always does. Hash blocks are read as any reader reads them, FEC included). The data sits in private memory, so a later change of the data device cannot
 * alter what was verified, as with the kernel's page cache above dm-verity. The tree, and
 * so this cache, belongs to one table; verity_ra_forget (postsuspend) drops everything and
 * returns once no chunk is being filled, so a suspended table reads nothing ahead.
 *
 * Priority: the threads run at nice 19, so the reader's own chain (the FUSE thread, the
 * loop worker, the reader) always gets a core first and read-ahead takes what is left. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "verity/verity.h"

#define RA_CHUNK_BYTES (256u << 10)
#define RA_AHEAD 8                    /* chunks kept ahead of a sequential reader: 2 MiB */
#define RA_CHUNKS (RA_AHEAD + 4)      /* and the ones being copied out: 3 MiB per device */
#define RA_RECENT 8                   /* request ends remembered to tell sequential reads */
#define RA_WORKERS 2

enum chunk_state { C_FREE, C_QUEUED, C_FILLING, C_READY };

struct chunk {
	enum chunk_state state;
	uint64_t idx;                 /* blocks [idx * per, ...) */
	uint64_t gen;                 /* ra->gen when it was queued */
	uint64_t stamp;               /* queue order: oldest first, for filling and for eviction */
	unsigned users;               /* readers copying out of it */
	uint64_t consumed;            /* blocks handed out; all of them frees the chunk */
	uint8_t *buf;                 /* kept across uses */
};

struct verity_ra {
	pthread_mutex_t lock;
	pthread_cond_t work, changed;
	pthread_t th[RA_WORKERS];
	unsigned nthreads;
	bool quit;
	uint64_t gen, stamp;
	uint64_t nblocks, per;        /* blocks of the device, blocks per chunk */
	size_t bs;
	verity_ra_fill_fn fill;
	void *owner;
	uint64_t recent[RA_RECENT];   /* ends of recent requests, + 1 (0 = none) */
	unsigned recent_next;
	struct chunk c[RA_CHUNKS];
	struct verity_ra_stats st;
};

static uint64_t chunk_blocks(const struct verity_ra *ra, uint64_t idx)
{
	uint64_t first = idx * ra->per;
	return ra->nblocks - first < ra->per ? ra->nblocks - first : ra->per;
}

static struct chunk *find(struct verity_ra *ra, uint64_t idx)
{
	for (unsigned i = 0; i < RA_CHUNKS; i++)
		if (ra->c[i].state != C_FREE && ra->c[i].idx == idx)
			return &ra->c[i];
	return NULL;
}

static void *worker(void *arg)
{
	struct verity_ra *ra = arg;

	/* background work: per thread on Linux; failing leaves it at the reader's priority */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
	pthread_mutex_lock(&ra->lock);
	while (!ra->quit) {
		struct chunk *c = NULL;
		for (unsigned i = 0; i < RA_CHUNKS; i++)
			if (ra->c[i].state == C_QUEUED && (!c || ra->c[i].stamp < c->stamp))
				c = &ra->c[i];
		if (!c) {
			pthread_cond_wait(&ra->work, &ra->lock);
			continue;
		}
		c->state = C_FILLING;
		uint64_t idx = c->idx, gen = c->gen;
		if (!c->buf)
			c->buf = malloc(ra->per * ra->bs);
		uint8_t *buf = c->buf;
		pthread_mutex_unlock(&ra->lock);
		int r = buf ? ra->fill(ra->owner, idx * ra->per, chunk_blocks(ra, idx), buf) : -ENOMEM;
		pthread_mutex_lock(&ra->lock);
		c->state = r == 0 && gen == ra->gen ? C_READY : C_FREE;
		if (c->state == C_READY)
			ra->st.filled++;
		else
			ra->st.dropped++;
		pthread_cond_broadcast(&ra->changed);
	}
	pthread_mutex_unlock(&ra->lock);
	return NULL;
}

struct verity_ra *verity_ra_new(uint64_t nblocks, size_t block_size, verity_ra_fill_fn fill, void *owner)
{
	/* one core: nothing to verify ahead with; blocks larger than a chunk: not worth it */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !block_size || block_size > RA_CHUNK_BYTES || !nblocks)
		return NULL;
	struct verity_ra *ra = calloc(1, sizeof(*ra));
	if (!ra)
		return NULL;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->work, NULL);
	pthread_cond_init(&ra->changed, NULL);
	ra->nblocks = nblocks;
	ra->bs = block_size;
	ra->per = RA_CHUNK_BYTES / block_size;
	ra->fill = fill;
	ra->owner = owner;
	return ra;
}

void verity_ra_free(struct verity_ra *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->quit = true;
	pthread_cond_broadcast(&ra->work);
	pthread_mutex_unlock(&ra->lock);
	for (unsigned i = 0; i < ra->nthreads; i++)
		pthread_join(ra->th[i], NULL);
	for (unsigned i = 0; i < RA_CHUNKS; i++)
		free(ra->c[i].buf);
	pthread_cond_destroy(&ra->work);
	pthread_cond_destroy(&ra->changed);
	pthread_mutex_destroy(&ra->lock);
	free(ra);
}

void verity_ra_forget(struct verity_ra *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->gen++;   /* chunks being filled are dropped when they finish */
	for (unsigned i = 0; i < RA_CHUNKS; i++) {
		struct chunk *c = &ra->c[i];
		if ((c->state == C_READY || c->state == C_QUEUED) && !c->users)
			c->state = C_FREE;
		else if (c->state == C_READY)
			c->consumed = UINT64_MAX;   /* freed by the last reader copying out of it */
	}
	memset(ra->recent, 0, sizeof(ra->recent));
	/* and no read of the data device stays in flight once the table is suspended (the
	 * kernel's suspend waits for its I/O): the chunks being filled finish, and are dropped */
	for (;;) {
		bool filling = false;
		for (unsigned i = 0; i < RA_CHUNKS; i++)
			filling |= ra->c[i].state == C_FILLING;
		if (!filling)
			break;
		pthread_cond_wait(&ra->changed, &ra->lock);
	}
	pthread_mutex_unlock(&ra->lock);
}

/* A free chunk, or the oldest finished one nobody is copying out of that lies outside
 * [keep_lo, keep_hi); NULL if none. */
static struct chunk *take(struct verity_ra *ra, uint64_t keep_lo, uint64_t keep_hi)
{
	struct chunk *old = NULL;
	for (unsigned i = 0; i < RA_CHUNKS; i++) {
		struct chunk *c = &ra->c[i];
		if (c->state == C_FREE && !c->users)
			return c;
		if (c->state == C_READY && !c->users && (c->idx < keep_lo || c->idx >= keep_hi) &&
		    (!old || c->stamp < old->stamp))
			old = c;
	}
	return old;
}

/* Queue the chunks of [end, end + RA_AHEAD chunks) that are not there yet. */
static void queue_ahead(struct verity_ra *ra, uint64_t first, uint64_t end)
{
	uint64_t lo = first / ra->per, c0 = end / ra->per, c1 = c0 + RA_AHEAD;
	uint64_t last = (ra->nblocks - 1) / ra->per + 1;
	bool queued = false;

	if (c1 > last)
		c1 = last;
	for (uint64_t idx = c0; idx < c1; idx++) {
		if (find(ra, idx))
			continue;
		struct chunk *c = take(ra, lo, c1);
		if (!c)
			break;
		*c = (struct chunk){ .state = C_QUEUED, .idx = idx, .gen = ra->gen, .stamp = ++ra->stamp,
				     .buf = c->buf };
		queued = true;
	}
	if (!queued)
		return;
	while (ra->nthreads < RA_WORKERS && pthread_create(&ra->th[ra->nthreads], NULL, worker, ra) == 0)
		ra->nthreads++;
	pthread_cond_broadcast(&ra->work);
}

bool verity_ra_read(struct verity_ra *ra, uint64_t first, uint64_t count, void *buf)
{
	uint64_t end = first + count;
	struct chunk *pin[RA_CHUNKS];
	unsigned npin = 0;
	bool seq = false, hit = true;

	if (!ra || !count || first >= ra->nblocks || count > ra->nblocks - first)
		return false;
	pthread_mutex_lock(&ra->lock);
	for (unsigned i = 0; i < RA_RECENT; i++)
		if (ra->recent[i] == first + 1)
			seq = true;
	ra->recent[ra->recent_next++ % RA_RECENT] = end + 1;
	/* Sequential: the request starts where a recent one ended (a hit alone is not enough:
	 * random reads into verified chunks would keep the threads verifying). Then every
	 * chunk of the request verified, waiting for the ones being verified. */
	for (uint64_t idx = first / ra->per; hit && idx * ra->per < end; idx++) {
		struct chunk *c;
		while ((c = find(ra, idx)) && c->state == C_FILLING)
			pthread_cond_wait(&ra->changed, &ra->lock);
		if (c && c->state == C_READY && c->gen == ra->gen && npin < RA_CHUNKS) {
			c->users++;
			pin[npin++] = c;
		} else {
			if (c && c->state == C_QUEUED)
				c->state = C_FREE;   /* the reader got there first: it reads it itself */
			hit = false;
		}
	}
	if (seq)
		queue_ahead(ra, first, end);
	pthread_mutex_unlock(&ra->lock);

	for (unsigned i = 0; hit && i < npin; i++) {
		uint64_t c0 = pin[i]->idx * ra->per, c1 = c0 + chunk_blocks(ra, pin[i]->idx);
		uint64_t a = first > c0 ? first : c0, b = end < c1 ? end : c1;
		memcpy((uint8_t *)buf + (a - first) * ra->bs, pin[i]->buf + (a - c0) * ra->bs, (b - a) * ra->bs);
	}

	pthread_mutex_lock(&ra->lock);
	for (unsigned i = 0; i < npin; i++) {
		struct chunk *c = pin[i];
		uint64_t c0 = c->idx * ra->per, c1 = c0 + chunk_blocks(ra, c->idx);
		uint64_t a = first > c0 ? first : c0, b = end < c1 ? end : c1;
		c->users--;
		if (hit && c->consumed != UINT64_MAX)
			c->consumed += b - a;
		/* read once by a sequential reader (or dropped by forget): its memory is free */
		if (!c->users && c->consumed >= c1 - c0)
			c->state = C_FREE;
	}
	if (hit)
		ra->st.hits++;
	pthread_mutex_unlock(&ra->lock);
	return hit;
}

void verity_ra_stats(struct verity_ra *ra, struct verity_ra_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	*st = ra->st;
	pthread_mutex_unlock(&ra->lock);
}
