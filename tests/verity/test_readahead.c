/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: read-ahead of sequential verified reads (lib/verity/readahead.c through
 * verity_tree_read_range). Sequential readers are served from verified chunks and get the
 * data; a corrupt block ahead of the reader is never handed out, and the reader's own read
 * fails on it with the same fault as without read-ahead; FEC still repairs; after forget
 * (postsuspend) nothing verified earlier is served; random reads queue nothing; readers
 * racing forget get good data or nothing. */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "verity/verity.h"
#include "verity_image.h"

#define BS 4096u   /* as tu_verity_image makes it */
#define BLOCKS 1500u   /* 5.9 MiB: more than the 2 MiB verified ahead */
#define REQ 32u        /* blocks per request: 128 KiB, as a FUSE request */

static struct tu_verity_image im;

static int setup(void **state)
{
	(void)state;
	return tu_verity_image(&im, BLOCKS, 3);
}

static int teardown(void **state)
{
	(void)state;
	tu_verity_image_free(&im);
	return 0;
}

/* each test starts from the image as written (a failed test may leave a block corrupt) */
static int reset(void **state)
{
	(void)state;
	return pwrite(im.data_fd, im.data, (size_t)BS * BLOCKS, 0) == (ssize_t)BS * BLOCKS ? 0 : -1;
}

static void need_two_cpus(void)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();   /* read-ahead is off on one CPU */
}

static struct verity_tree *open_ra(const struct verity_fec_params *fec)
{
	struct verity_tree_options opt = { .readahead = true, .fec = fec };
	struct verity_tree *t;
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, &opt, &t), 0);
	return t;
}

static void put_byte(int fd, uint64_t off, uint8_t b)
{
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
}

/* the data block as written by setup, with one byte changed */
static void corrupt(uint64_t block)
{
	put_byte(im.data_fd, block * BS + 100, (uint8_t)(im.data[block * BS + 100] ^ 0x20));
}

static void restore(uint64_t block)
{
	put_byte(im.data_fd, block * BS + 100, im.data[block * BS + 100]);
}

/* wait until the read-ahead threads have verified at least n chunks (bounded) */
static void wait_filled(struct verity_tree *t, uint64_t n)
{
	struct verity_ra_stats st;
	for (int i = 0; i < 2000; i++) {
		verity_tree_ra_stats(t, &st);
		if (st.filled + st.dropped >= n)
			return;
		usleep(1000);
	}
	fail_msg("read-ahead verified %llu chunks, wanted %llu", (unsigned long long)st.filled,
		 (unsigned long long)n);
}

/* wait until read-ahead has discarded a chunk (bounded) */
static void wait_dropped(struct verity_tree *t)
{
	struct verity_ra_stats st;
	for (int i = 0; i < 5000; i++) {
		verity_tree_ra_stats(t, &st);
		if (st.dropped)
			return;
		usleep(1000);
	}
	fail_msg("read-ahead never discarded the chunk with the corrupt block");
}

static void sequential_reads_are_served_ahead(void **state)
{
	(void)state;
	need_two_cpus();
	struct verity_tree *t = open_ra(NULL);
	uint8_t *buf = malloc((size_t)REQ * BS);
	for (uint64_t b = 0; b < BLOCKS; b += REQ) {
		uint64_t n = BLOCKS - b < REQ ? BLOCKS - b : REQ;
		memset(buf, 0xaa, (size_t)REQ * BS);
		assert_int_equal(verity_tree_read_range(t, b, n, buf, NULL), 0);
		assert_memory_equal(buf, im.data + b * BS, (size_t)n * BS);
	}
	struct verity_ra_stats st;
	verity_tree_ra_stats(t, &st);
	/* most requests after the first two are served from verified chunks */
	assert_true(st.filled > 0);
	assert_true(st.hits > 0);
	assert_int_equal(st.dropped, 0);
	free(buf);
	verity_tree_close(t);
}

static void corrupt_block_ahead_fails_the_read_that_reaches_it(void **state)
{
	(void)state;
	need_two_cpus();
	const uint64_t bad = 700;   /* ahead of the reader once it has read a few requests */
	corrupt(bad);
	struct verity_tree *t = open_ra(NULL);
	uint8_t *buf = malloc((size_t)REQ * BS);
	for (uint64_t b = 0; b < BLOCKS; b += REQ) {
		uint64_t n = BLOCKS - b < REQ ? BLOCKS - b : REQ;
		struct verity_read_fault f = { 0 };
		int r = verity_tree_read_range(t, b, n, buf, &f);
		if (bad >= b && bad < b + n) {
			assert_int_equal(r, -EBADMSG);
			assert_true(f.corrupt);
			assert_false(f.metadata);
			assert_int_equal(f.index, bad);
			/* the blocks before it are returned verified, nothing from it on */
			assert_memory_equal(buf, im.data + b * BS, (size_t)(bad - b) * BS);
			for (size_t i = (size_t)(bad - b) * BS; i < (size_t)n * BS; i++)
				assert_int_equal(buf[i], 0);
		} else {
			assert_int_equal(r, 0);
			assert_memory_equal(buf, im.data + b * BS, (size_t)n * BS);
		}
		if (b == 5 * REQ)
			wait_dropped(t);   /* read-ahead has met the bad block before the reader */
	}
	restore(bad);
	free(buf);
	verity_tree_close(t);
}

static void fec_still_repairs_under_read_ahead(void **state)
{
	(void)state;
	need_two_cpus();
	struct verity_geometry g;
	uint64_t hash_end;
	struct verity_fec_params fec = { .roots = 2 };
	assert_int_equal(verity_geometry_init(&g, &im.p, verity_digest_size("sha256")), 0);
	assert_int_equal(verity_geometry_hash_end(&g, &im.p, &hash_end), 0);
	fec.fd = memfd_create("fec", 0);
	assert_true(fec.fd >= 0);
	assert_int_equal(verity_fec_blocks(&im.p, &g, hash_end, false, 0, &fec.blocks), 0);
	assert_int_equal(verity_fec_encode(&im.p, &g, &fec, im.data_fd, im.hash_fd, 2), 0);
	const uint64_t bad = 400;
	corrupt(bad);
	struct verity_tree *t = open_ra(&fec);
	uint8_t *buf = malloc((size_t)REQ * BS);
	for (uint64_t b = 0; b < BLOCKS; b += REQ) {
		uint64_t n = BLOCKS - b < REQ ? BLOCKS - b : REQ;
		assert_int_equal(verity_tree_read_range(t, b, n, buf, NULL), 0);
		assert_memory_equal(buf, im.data + b * BS, (size_t)n * BS);
		if (b == 2 * REQ)
			wait_filled(t, 4);
	}
	assert_int_equal(verity_tree_corrected(t), 1);
	restore(bad);
	free(buf);
	verity_tree_close(t);
	close(fec.fd);
}

static void forget_drops_what_was_verified_ahead(void **state)
{
	(void)state;
	need_two_cpus();
	struct verity_tree *t = open_ra(NULL);
	uint8_t *buf = malloc((size_t)REQ * BS);
	/* three sequential requests: read-ahead verifies the next 2 MiB */
	for (uint64_t b = 0; b < 3 * REQ; b += REQ)
		assert_int_equal(verity_tree_read_range(t, b, REQ, buf, NULL), 0);
	wait_filled(t, 8);
	/* the data changes under a verified chunk (the table is suspended, say) */
	const uint64_t bad = 3 * REQ + 5;
	corrupt(bad);
	verity_tree_forget(t);
	struct verity_read_fault f = { 0 };
	assert_int_equal(verity_tree_read_range(t, 3 * REQ, REQ, buf, &f), -EBADMSG);
	assert_int_equal(f.index, bad);
	restore(bad);
	free(buf);
	verity_tree_close(t);
}

static void random_reads_queue_nothing(void **state)
{
	(void)state;
	need_two_cpus();
	struct verity_tree *t = open_ra(NULL);
	uint8_t *buf = malloc(4 * BS);
	uint32_t seed = 11;
	uint64_t ends[8] = { 0 };
	for (int i = 0; i < 200; i++) {
		uint64_t b;
		bool follows;
		do {   /* never where one of the last 8 requests ended: that would be sequential */
			seed = seed * 1664525u + 1013904223u;
			b = (seed >> 8) % (BLOCKS - 4);
			follows = false;
			for (int k = 0; k < 8; k++)
				follows |= ends[k] == b && (i > k || b != 0);
		} while (follows);
		ends[i % 8] = b + 4;
		assert_int_equal(verity_tree_read_range(t, b, 4, buf, NULL), 0);
		assert_memory_equal(buf, im.data + b * BS, 4 * BS);
	}
	struct verity_ra_stats st;
	verity_tree_ra_stats(t, &st);
	assert_int_equal(st.filled + st.dropped, 0);
	assert_int_equal(st.hits, 0);
	/* the same reader turning sequential starts the threads */
	assert_int_equal(verity_tree_read_range(t, 100, 4, buf, NULL), 0);
	assert_int_equal(verity_tree_read_range(t, 104, 4, buf, NULL), 0);
	wait_filled(t, 1);
	free(buf);
	verity_tree_close(t);
}

struct racer {
	struct verity_tree *t;
	uint64_t start;
	int bad_reads;
};

static void *seq_reader(void *arg)
{
	struct racer *r = arg;
	uint8_t *buf = malloc((size_t)REQ * BS);
	for (int pass = 0; pass < 3; pass++)
		for (uint64_t b = r->start; b + REQ <= BLOCKS; b += REQ)
			if (verity_tree_read_range(r->t, b, REQ, buf, NULL) != 0 ||
			    memcmp(buf, im.data + b * BS, (size_t)REQ * BS) != 0)
				r->bad_reads++;
	free(buf);
	return NULL;
}

static void readers_racing_forget_get_good_data(void **state)
{
	(void)state;
	need_two_cpus();
	struct verity_tree *t = open_ra(NULL);
	struct racer rs[3] = { { t, 0, 0 }, { t, 7, 0 }, { t, 500, 0 } };
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, seq_reader, &rs[i]), 0);
	for (int i = 0; i < 200; i++) {
		verity_tree_forget(t);
		usleep(200);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(rs[i].bad_reads, 0);
	}
	verity_tree_close(t);
}

/* verity_ra on its own, with a slow fill: forget returns only when no fill runs */
static atomic_int fills_running;

static int slow_fill(void *owner, uint64_t first, uint64_t count, void *buf)
{
	(void)owner;
	atomic_fetch_add(&fills_running, 1);
	usleep(20 * 1000);
	memset(buf, (int)(first & 0xff), (size_t)count * BS);
	atomic_fetch_sub(&fills_running, 1);
	return 0;
}

static void forget_waits_for_fills_in_flight(void **state)
{
	(void)state;
	need_two_cpus();
	struct verity_ra *ra = verity_ra_new(BLOCKS, BS, slow_fill, NULL);
	assert_non_null(ra);
	uint8_t *buf = malloc((size_t)REQ * BS);
	assert_false(verity_ra_read(ra, 0, REQ, buf));     /* nothing yet: the reader reads */
	assert_false(verity_ra_read(ra, REQ, REQ, buf));   /* sequential: fills start */
	for (int i = 0; i < 1000 && !atomic_load(&fills_running); i++)
		usleep(1000);
	assert_true(atomic_load(&fills_running) > 0);
	verity_ra_forget(ra);
	assert_int_equal(atomic_load(&fills_running), 0);
	struct verity_ra_stats st;
	verity_ra_stats(ra, &st);
	assert_true(st.dropped >= 1);   /* what was being filled at the forget is not kept */
	assert_int_equal(st.hits, 0);
	free(buf);
	verity_ra_free(ra);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(sequential_reads_are_served_ahead, reset),
		cmocka_unit_test_setup(corrupt_block_ahead_fails_the_read_that_reaches_it, reset),
		cmocka_unit_test_setup(fec_still_repairs_under_read_ahead, reset),
		cmocka_unit_test_setup(forget_drops_what_was_verified_ahead, reset),
		cmocka_unit_test_setup(random_reads_queue_nothing, reset),
		cmocka_unit_test_setup(readers_racing_forget_get_good_data, reset),
		cmocka_unit_test_setup(forget_waits_for_fills_in_flight, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
