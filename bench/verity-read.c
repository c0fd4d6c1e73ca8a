/* bench/verity-read: verified random-access reads (verity_tree_read, the verity target's
 * data path) against plain SHA-256 of the same blocks, 1 and 2 threads, warm cache. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "verity/verity.h"

#define BS 4096u
#define BLOCKS 32768u            /* 128 MiB */

struct run {
	struct verity_tree *t;
	uint64_t first, count;
	int fd;
	int failures;
	int plain;                   /* 1: pread + one SHA-256, no tree */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
	struct run *r = arg;
	uint8_t *buf = malloc(BS), md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	for (uint64_t n = r->first; n < r->first + r->count; n++) {
		if (r->plain) {
			unsigned len;
			if (pread(r->fd, buf, BS, (off_t)(n * BS)) != BS ||
			    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, buf, BS) ||
			    !EVP_DigestFinal_ex(ctx, md, &len))
				r->failures++;
		} else if (verity_tree_read(r->t, n, buf)) {
			r->failures++;
		}
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	return NULL;
}

static double measure(struct verity_tree *t, int fd, unsigned threads, int plain)
{
	pthread_t tid[8];
	struct run runs[8];
	double t0 = now();
	for (unsigned i = 0; i < threads; i++) {
		runs[i] = (struct run){ .t = t, .fd = fd, .plain = plain,
					.first = BLOCKS / threads * i, .count = BLOCKS / threads };
		pthread_create(&tid[i], NULL, reader, &runs[i]);
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		if (runs[i].failures) {
			fprintf(stderr, "verity-read: %d failed reads\n", runs[i].failures);
			exit(1);
		}
	}
	return (double)BLOCKS * BS / (now() - t0) / 1e6;
}

int main(void)
{
	struct verity_params p = { .hash_type = 1, .hash_name = "sha256", .data_block_size = BS,
				   .hash_block_size = BS, .data_blocks = BLOCKS, .salt_size = 32 };
	struct verity_geometry g;
	struct verity_tree *t;
	uint8_t root[VERITY_MAX_DIGEST_SIZE];
	uint64_t hash_end;
	int data_fd = memfd_create("data", 0), hash_fd = memfd_create("hash", 0);
	uint8_t *blk = malloc(BS);

	for (uint64_t n = 0; n < BLOCKS; n++) {
		for (unsigned i = 0; i < BS; i++)
			blk[i] = (uint8_t)(n * 31 + i * 7 + (i >> 5));
		if (pwrite(data_fd, blk, BS, (off_t)(n * BS)) != BS)
			return 1;
	}
	free(blk);
	if (verity_geometry_init(&g, &p, 32) || verity_geometry_hash_end(&g, &p, &hash_end) ||
	    ftruncate(hash_fd, (off_t)hash_end) || verity_tree_create(&p, data_fd, hash_fd, 0, root) ||
	    verity_tree_open(&p, data_fd, hash_fd, root, NULL, &t)) {
		fprintf(stderr, "verity-read: setup failed\n");
		return 1;
	}
	measure(t, data_fd, 1, 0);   /* warm the hash-block cache */
	printf("128 MiB, 4 KiB blocks, sha256, memfd (no device latency)\n");
	for (unsigned threads = 1; threads <= 2; threads++) {
		double plain = measure(t, data_fd, threads, 1), tree = measure(t, data_fd, threads, 0);
		printf("%u thread%s: pread+sha256 %7.0f MB/s   verity_tree_read %7.0f MB/s   (%.0f%%)\n",
		       threads, threads > 1 ? "s" : " ", plain, tree, 100 * tree / plain);
	}
	verity_tree_close(t);
	return 0;
}
