/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Salted SHA-256 block digests through Intel's multi-buffer library (libipsec-mb).
 *
 * The library hashes several independent messages at once, one per lane of the vector
 * registers (AVX-512: 16, AVX2: 8, AVX/SSE: 4) or interleaved through the SHA extensions
 * (its SSE manager on a CPU with them). Its job API takes one contiguous message per job,
 * so each block is copied with its salt into a scratch buffer of the thread (the copy is
 * a few percent of the hash: bench/README.md); with no salt the block is hashed in place.
 * verity_sha256_mb_msgs takes messages already laid out with their salt (format and verify
 * read the data straight into such a layout: verity_hasher_slot_layout) and copies nothing.
 * Jobs go in as groups of VERITY_SHA256_MB_GROUP and are flushed after each group, so
 * every job is complete, and its scratch buffer free, when the call returns.
 *
 * An IMB_MGR is not thread-safe: every thread has its own, inside its hashing context
 * (struct verity_sha256_mb), made at first use and pooled for the next thread after it.
 *
 * x86-64 only: elsewhere (or built with IPSEC_MB=0) every path here reports itself
 * unsupported and the calibration never picks it. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "verity/io.h"
#include "verity/verity.h"

#ifdef UDM_HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>

struct verity_sha256_mb {
	IMB_MGR *mgr;              /* made at first use; initialised for `arch` */
	int arch;                  /* -1: not initialised yet */
	uint8_t *scratch;          /* VERITY_SHA256_MB_GROUP buffers of `stride` bytes */
	size_t stride;
	struct verity_sha256_mb *next;   /* in the pool */
};

/* intel-ipsec-mb 2.0 (Debian 13) has no AVX (AVX1) manager any more: there the
 * AVX arch runs the SSE one, which needs no more than it */
#if IMB_VERSION_NUM >= IMB_VERSION(2, 0, 0)
#define IMB_CPUFLAGS_AVX_ARCH IMB_CPUFLAGS_SSE
#define init_mb_mgr_avx_arch init_mb_mgr_sse
#else
#define IMB_CPUFLAGS_AVX_ARCH IMB_CPUFLAGS_AVX
#define init_mb_mgr_avx_arch init_mb_mgr_avx
#endif

static const uint64_t need[VERITY_SHA256_MB_NARCH] = {
	[VERITY_SHA256_MB_SSE] = IMB_CPUFLAGS_SSE,
	[VERITY_SHA256_MB_AVX] = IMB_CPUFLAGS_AVX_ARCH,
	[VERITY_SHA256_MB_AVX2] = IMB_CPUFLAGS_AVX2,
	[VERITY_SHA256_MB_AVX512] = IMB_CPUFLAGS_AVX512,
};

static void init_arch(IMB_MGR *m, enum verity_sha256_mb_arch a)
{
	switch (a) {
	case VERITY_SHA256_MB_SSE: init_mb_mgr_sse(m); break;
	case VERITY_SHA256_MB_AVX: init_mb_mgr_avx_arch(m); break;
	case VERITY_SHA256_MB_AVX2: init_mb_mgr_avx2(m); break;
	case VERITY_SHA256_MB_AVX512: init_mb_mgr_avx512(m); break;
	default: break;
	}
}

/* Making a manager costs about a millisecond (200 KB, the CPU's features probed) and its
 * first initialisation more: format and verify start threads for every tree level, and
 * each wants its own. So states go back to a pool when a thread's context is freed, and
 * the next thread takes one from there, already initialised. The pool lives until exit. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct verity_sha256_mb *pool;
static unsigned pool_size;
#define POOL_MAX 64u
static uint64_t cpu_features;
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

static void probe_features(void)
{
	/* the library probes the CPU and the OS's register state */
	cpu_features = imb_get_feature_flags();
}

/* A manager in memory mapped in advance (verity_buf_alloc): the library's own allocation
 * clears 200 KB page by page, a fault each. */
static IMB_MGR *mgr_alloc(void)
{
	void *p = verity_buf_alloc(imb_get_mb_mgr_size());
	IMB_MGR *m = p ? imb_set_pointers_mb_mgr(p, 0, 1) : NULL;

	if (p && !m)
		verity_buf_free(p, imb_get_mb_mgr_size());
	return m;
}

bool verity_sha256_mb_supported(enum verity_sha256_mb_arch a)
{
	if ((unsigned)a >= VERITY_SHA256_MB_NARCH)
		return false;
	pthread_once(&features_once, probe_features);
	return (cpu_features & need[a]) == need[a];
}

const char *verity_sha256_mb_version(void)
{
	return imb_get_version_str();
}

uint64_t verity_sha256_mb_features(void)
{
	pthread_once(&features_once, probe_features);
	return cpu_features;
}

struct verity_sha256_mb *verity_sha256_mb_new(void)
{
	struct verity_sha256_mb *s;

	pthread_once(&features_once, probe_features);
	pthread_mutex_lock(&pool_lock);
	s = pool;
	if (s) {
		pool = s->next;
		pool_size--;
	}
	pthread_mutex_unlock(&pool_lock);
	if (!s && (s = calloc(1, sizeof(*s))))
		s->arch = -1;
	if (s)
		s->next = NULL;
	return s;
}

void verity_sha256_mb_free(struct verity_sha256_mb *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&pool_lock);
	if (pool_size < POOL_MAX) {
		s->next = pool;
		pool = s;
		pool_size++;
		s = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	verity_sha256_mb_discard(s);
}

void verity_sha256_mb_discard(struct verity_sha256_mb *s)
{
	if (!s)
		return;
	verity_buf_free(s->mgr, imb_get_mb_mgr_size());
	free(s->scratch);
	free(s);
}

/* the state's manager, initialised for arch a (a re-initialisation takes some 50 us: only
 * the calibration switches) */
static IMB_MGR *mgr_of(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a)
{
	if (!s->mgr && !(s->mgr = mgr_alloc()))
		return NULL;
	if (s->arch != (int)a) {
		s->arch = -1;
		init_arch(s->mgr, a);
		if (imb_get_errno(s->mgr))
			return NULL;
		s->arch = (int)a;
	}
	return s->mgr;
}

/* The state's manager for arch a, the arguments checked: 0, -EINVAL (no such arch here) or -ENOMEM. */
static int checked_mgr(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a, IMB_MGR **m)
{
	if (!s || (unsigned)a >= VERITY_SHA256_MB_NARCH || !verity_sha256_mb_supported(a))
		return -EINVAL;
	*m = mgr_of(s, a);
	return *m ? 0 : -ENOMEM;
}

/* a completed job, or one the library gave back with an error */
static int done(IMB_JOB *job)
{
	return job && job->status != IMB_STATUS_COMPLETED ? -EIO : 0;
}

/* n messages of `total` bytes, message i at msg(i), digest i to out + 32 * i, in groups
 * of VERITY_SHA256_MB_GROUP jobs flushed each; fill(i, slot) may build message i in the
 * slot-th scratch buffer and return it, since the group is done before the next reuses it */
static int submit_all(IMB_MGR *m, size_t n, size_t total, uint8_t *out,
		      const uint8_t *(*msg)(void *arg, size_t i, size_t slot), void *arg)
{
	int r = 0;

	for (size_t i = 0; i < n; i += VERITY_SHA256_MB_GROUP) {
		size_t k = n - i < VERITY_SHA256_MB_GROUP ? n - i : VERITY_SHA256_MB_GROUP;
		for (size_t j = 0; j < k; j++) {
			IMB_JOB *job = IMB_GET_NEXT_JOB(m);
			job->cipher_mode = IMB_CIPHER_NULL;
			job->cipher_direction = IMB_DIR_ENCRYPT;
			job->chain_order = IMB_ORDER_HASH_CIPHER;
			job->hash_alg = IMB_AUTH_SHA_256;
			job->src = msg(arg, i + j, j);
			job->dst = NULL;
			job->msg_len_to_cipher_in_bytes = 0;
			job->cipher_start_src_offset_in_bytes = 0;
			job->hash_start_src_offset_in_bytes = 0;
			job->msg_len_to_hash_in_bytes = total;
			job->auth_tag_output = out + (i + j) * 32;
			job->auth_tag_output_len_in_bytes = 32;
			job = IMB_SUBMIT_JOB(m);
			if (!r)
				r = done(job);
			if (!job && imb_get_errno(m) && !r)
				r = -EIO;
		}
		/* every job of the group done before its scratch buffers are reused */
		for (IMB_JOB *job; (job = IMB_FLUSH_JOB(m)) != NULL;)
			if (!r)
				r = done(job);
	}
	return r;
}

struct copy_arg {
	struct verity_sha256_mb *s;
	const uint8_t *salt, *blocks;
	size_t salt_size, len;
	bool salt_first;
};

static const uint8_t *copy_msg(void *arg, size_t i, size_t slot)
{
	struct copy_arg *c = arg;
	const uint8_t *block = c->blocks + i * c->len;
	uint8_t *buf = c->s->scratch + slot * c->s->stride;

	if (!c->salt_size)
		return block;    /* no salt: the block is the message, hashed in place */
	if (c->salt_first) {
		/* the block copied to a cache-line boundary (a faster copy), the salt before it */
		buf += (64 - c->salt_size % 64) % 64;
		memcpy(buf, c->salt, c->salt_size);
		memcpy(buf + c->salt_size, block, c->len);
	} else {
		memcpy(buf, block, c->len);
		memcpy(buf + c->len, c->salt, c->salt_size);
	}
	return buf;
}

int verity_sha256_mb(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a, const uint8_t *salt,
		     size_t salt_size, bool salt_first, const uint8_t *blocks, size_t n, size_t len, uint8_t *out)
{
	size_t total = salt_size + len;
	struct copy_arg c = { .s = s, .salt = salt, .blocks = blocks, .salt_size = salt_size, .len = len,
			      .salt_first = salt_first };
	IMB_MGR *m;

	int r = checked_mgr(s, a, &m);
	if (r)
		return r;
	if (salt_size && s->stride < total + 64) {
		/* 64-byte aligned buffers, each a whole number of cache lines, with room for
		 * the salt to end on a line boundary */
		size_t stride = (total + 64 + 63) & ~(size_t)63;
		void *p = NULL;
		if (posix_memalign(&p, 64, stride * VERITY_SHA256_MB_GROUP))
			return -ENOMEM;
		free(s->scratch);
		s->scratch = p;
		s->stride = stride;
	}
	return submit_all(m, n, total, out, copy_msg, &c);
}

struct slot_arg {
	const uint8_t *msgs;
	size_t stride;
};

static const uint8_t *slot_msg(void *arg, size_t i, size_t slot)
{
	struct slot_arg *a = arg;
	(void)slot;
	return a->msgs + i * a->stride;
}

int verity_sha256_mb_msgs(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a, const uint8_t *msgs,
			  size_t stride, size_t n, size_t msg_len, uint8_t *out)
{
	struct slot_arg sa = { .msgs = msgs, .stride = stride };
	IMB_MGR *m;

	int r = checked_mgr(s, a, &m);
	if (r)
		return r;
	return submit_all(m, n, msg_len, out, slot_msg, &sa);
}

#else

bool verity_sha256_mb_supported(enum verity_sha256_mb_arch a)
{
	(void)a;
	return false;
}

const char *verity_sha256_mb_version(void)
{
	return "none";
}

uint64_t verity_sha256_mb_features(void)
{
	return 0;
}

struct verity_sha256_mb *verity_sha256_mb_new(void)
{
	return NULL;
}

void verity_sha256_mb_free(struct verity_sha256_mb *s)
{
	(void)s;
}

void verity_sha256_mb_discard(struct verity_sha256_mb *s)
{
	(void)s;
}

int verity_sha256_mb(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a, const uint8_t *salt,
		     size_t salt_size, bool salt_first, const uint8_t *blocks, size_t n, size_t len, uint8_t *out)
{
	(void)s, (void)a, (void)salt, (void)salt_size, (void)salt_first, (void)blocks, (void)n, (void)len, (void)out;
	return -EINVAL;
}

int verity_sha256_mb_msgs(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a, const uint8_t *msgs,
			  size_t stride, size_t n, size_t msg_len, uint8_t *out)
{
	(void)s, (void)a, (void)msgs, (void)stride, (void)n, (void)msg_len, (void)out;
	return -EINVAL;
}

#endif
