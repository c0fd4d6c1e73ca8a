/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SHA-256 libraries' own streaming rate, the bar for `udm verity format/verify`
 * (bench/verity-format.sh): THREADS threads each hash MIB MiB of salted 4 KiB blocks
 * (dm-verity's sha256(salt || block), 32-byte salt) from a buffer of their own, PASSES
 * times over (so that the total matches the data a format hashes), through
 * each library path this CPU has: OpenSSL and libipsec-mb's managers (UDM_SHA256_IMPL
 * forced; the library's job API takes salt and block as one message, so each block is
 * copied with its salt first, as udm does). Buffers are filled and faulted in before the
 * clock starts; the wall clock runs from a barrier to the last thread's end.
 *
 * Usage: sha256-stream [THREADS (2)] [MIB per thread (256)] [PASSES (1)] [PATH (all)]
 * Prints one line per path, "PATH MB/s CPU-seconds" (all threads, hashing only), then the
 * fastest: "best PATH MB/s CPU-seconds". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "verity/verity.h"

#define BS 4096u
#define BATCH 64u      /* blocks per verity_hash_blocks call, as in lib/verity/build.c */

struct worker {
	pthread_t tid;
	pthread_barrier_t *go;
	const struct verity_hasher *h;
	uint8_t *data;
	size_t blocks;
	unsigned passes;
	int err;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (every thread), user + system */
static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint8_t digests[BATCH * 32];
	void *ctx = verity_hasher_ctx_new();

	/* the first call makes the thread's managers: before the clock */
	w->err = ctx ? verity_hash_blocks(w->h, ctx, w->data, 1, BS, digests) : -1;
	pthread_barrier_wait(w->go);
	for (unsigned pass = 0; pass < w->passes; pass++)
		for (size_t i = 0; !w->err && i < w->blocks; i += BATCH) {
			size_t n = w->blocks - i < BATCH ? w->blocks - i : BATCH;
			w->err = verity_hash_blocks(w->h, ctx, w->data + i * BS, n, BS, digests);
		}
	verity_hasher_ctx_free(ctx);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
	size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 256;
	unsigned passes = argc > 3 ? (unsigned)atoi(argv[3]) : 1;
	uint8_t salt[32];
	struct worker w[64];
	const char *best = NULL;
	double best_rate = 0, best_cpu = 0;

	const char *only = argc > 4 ? argv[4] : NULL;

	if (argc > 5 || threads < 1 || threads > 64 || mib < 1 || passes < 1) {
		fprintf(stderr, "usage: sha256-stream [THREADS (1..64, 2)] [MIB per thread (256)] [PASSES (1)] [PATH]\n");
		return 2;
	}
	for (unsigned i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)(i * 37 + 11);
	for (unsigned t = 0; t < threads; t++) {
		w[t].blocks = mib * 1024 * 1024 / BS;
		w[t].passes = passes;
		w[t].data = malloc(w[t].blocks * BS);
		if (!w[t].data) {
			fprintf(stderr, "sha256-stream: out of memory\n");
			return 1;
		}
		uint32_t x = 2463534242u + t;   /* xorshift: incompressible enough, and fast */
		uint32_t *p = (uint32_t *)w[t].data;
		for (size_t k = 0; k < w[t].blocks * BS / 4; k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			p[k] = x;
		}
	}
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++) {
		/* the libraries' paths only: not the hand-written streams of sha256_ni.c */
		if ((i != VERITY_SHA256_OPENSSL && i < VERITY_SHA256_IMB_SSE) || !verity_sha256_impl_supported(i))
			continue;
		if (only && strcmp(only, verity_sha256_impl_name(i)) != 0)
			continue;
		struct verity_hasher *h;
		pthread_barrier_t go;
		setenv("UDM_SHA256_IMPL", verity_sha256_impl_name(i), 1);
		if (verity_hasher_new("sha256", 1, salt, sizeof(salt), &h))
			return 1;
		pthread_barrier_init(&go, NULL, threads + 1);
		for (unsigned t = 0; t < threads; t++) {
			w[t].go = &go;
			w[t].h = h;
			if (pthread_create(&w[t].tid, NULL, run, &w[t]))
				return 1;
		}
		pthread_barrier_wait(&go);
		double t0 = now(), c0 = cpu();
		int err = 0;
		for (unsigned t = 0; t < threads; t++) {
			pthread_join(w[t].tid, NULL);
			err |= w[t].err;
		}
		double rate = (double)threads * passes * mib * 1024 * 1024 / 1e6 / (now() - t0), cs = cpu() - c0;
		pthread_barrier_destroy(&go);
		verity_hasher_free(h);
		if (err) {
			fprintf(stderr, "sha256-stream: %s failed\n", verity_sha256_impl_name(i));
			return 1;
		}
		printf("%s %.0f %.3f\n", verity_sha256_impl_name(i), rate, cs);
		if (rate > best_rate)
			best_rate = rate, best_cpu = cs, best = verity_sha256_impl_name(i);
	}
	if (!best) {
		fprintf(stderr, "sha256-stream: no such library path on this CPU: %s\n", only ? only : "?");
		return 1;
	}
	printf("best %s %.0f %.3f\n", best, best_rate, best_cpu);
	for (unsigned t = 0; t < threads; t++)
		free(w[t].data);
	return 0;
}
