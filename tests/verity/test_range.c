/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: batched range reads (verity_tree_read_range) agree with the
 * per-block path, stop at the first corrupt data or hash block with the right
 * fault, never return unverified bytes; every SHA-256 path (OpenSSL, SHA-NI 1..4 streams,
 * AVX-512 16 lanes) and the run-time choice among them agree with OpenSSL. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "verity/verity.h"
#include "verity_image.h"

#define BS 4096u   /* as tu_verity_image makes it */
#define BLOCKS 300u   /* two levels with sha256: 128 digests per hash block */

static struct tu_verity_image im;

static int setup(void **state)
{
	(void)state;
	return tu_verity_image(&im, BLOCKS, 1);
}

static int teardown(void **state)
{
	(void)state;
	tu_verity_image_free(&im);
	return 0;
}

static struct verity_tree *open_tree(void)
{
	struct verity_tree *t;
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, NULL, &t), 0);
	return t;
}

static void flip(int fd, uint64_t off)
{
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
}

static void range_matches_data(void **state)
{
	(void)state;
	struct verity_tree *t = open_tree();
	uint8_t *buf = malloc((size_t)BS * BLOCKS);
	/* ranges crossing leaf hash blocks (128 blocks each), odd starts and lengths */
	const uint64_t cases[][2] = { { 0, BLOCKS }, { 1, 1 }, { 127, 2 }, { 100, 157 }, { 255, 45 }, { 299, 1 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 0xee, (size_t)BS * BLOCKS);
		assert_int_equal(verity_tree_read_range(t, cases[i][0], cases[i][1], buf, NULL), 0);
		assert_memory_equal(buf, im.data + cases[i][0] * BS, cases[i][1] * BS);
	}
	assert_true(verity_tree_read_range(t, 299, 2, buf, NULL) < 0);   /* past the end */
	free(buf);
	verity_tree_close(t);
}

static void corrupt_data_block_mid_range(void **state)
{
	(void)state;
	flip(im.data_fd, 150 * BS + 99);
	struct verity_tree *t = open_tree();
	uint8_t *buf = malloc(100 * BS);
	struct verity_read_fault f = { 0 };
	assert_int_equal(verity_tree_read_range(t, 120, 100, buf, &f), -EBADMSG);
	assert_true(f.corrupt);
	assert_false(f.metadata);
	assert_int_equal(f.index, 150);
	assert_int_equal(f.block, 150);
	/* blocks before it verified and returned, nothing unverified after it */
	assert_memory_equal(buf, im.data + 120 * BS, 30 * BS);
	for (size_t i = 30 * BS; i < 100 * BS; i++)
		assert_int_equal(buf[i], 0);
	/* the per-block path agrees */
	assert_int_equal(verity_tree_read(t, 150, buf), -EIO);
	assert_int_equal(verity_tree_read(t, 151, buf), 0);
	free(buf);
	verity_tree_close(t);
	flip(im.data_fd, 150 * BS + 99);
}

static void corrupt_hash_block_mid_range(void **state)
{
	(void)state;
	/* the second leaf hash block covers data blocks 128..255 */
	struct verity_tree *t = open_tree();
	const struct verity_geometry *g = verity_tree_geometry(t);
	uint64_t leaf1 = g->level_block[0] + 1;
	verity_tree_close(t);
	flip(im.hash_fd, leaf1 * BS + 40);
	t = open_tree();
	uint8_t *buf = malloc(200 * BS);
	struct verity_read_fault f = { 0 };
	assert_int_equal(verity_tree_read_range(t, 50, 200, buf, &f), -EBADMSG);
	assert_true(f.corrupt);
	assert_true(f.metadata);
	assert_int_equal(f.block, leaf1);
	assert_int_equal(f.index, 128);
	assert_memory_equal(buf, im.data + 50 * BS, 78 * BS);
	for (size_t i = 78 * BS; i < 200 * BS; i++)
		assert_int_equal(buf[i], 0);
	free(buf);
	verity_tree_close(t);
	flip(im.hash_fd, leaf1 * BS + 40);
}

/* A range long enough to be split between two threads: a failure in the first half wins
 * over one in the second, and nothing after it stays in the buffer, whichever thread
 * verified it. Two readers at once (one of them then finds the helper busy) both get
 * verified data. */
static void split_range_first_failure_wins(void **state)
{
	(void)state;
	flip(im.data_fd, 10 * BS + 7);
	flip(im.data_fd, 200 * BS + 7);
	struct verity_tree *t = open_tree();
	uint8_t *buf = malloc((size_t)BS * BLOCKS);
	struct verity_read_fault f = { 0 };
	memset(buf, 0xee, (size_t)BS * BLOCKS);
	assert_int_equal(verity_tree_read_range(t, 0, BLOCKS, buf, &f), -EBADMSG);
	assert_int_equal(f.index, 10);
	assert_memory_equal(buf, im.data, 10 * BS);
	for (size_t i = 10 * BS; i < (size_t)BS * BLOCKS; i++)
		assert_int_equal(buf[i], 0);
	/* from 11 on, the second one is found */
	assert_int_equal(verity_tree_read_range(t, 11, BLOCKS - 11, buf, &f), -EBADMSG);
	assert_int_equal(f.index, 200);
	assert_memory_equal(buf, im.data + 11 * BS, (200 - 11) * BS);
	free(buf);
	verity_tree_close(t);
	flip(im.data_fd, 10 * BS + 7);
	flip(im.data_fd, 200 * BS + 7);
}

struct reader_arg {
	struct verity_tree *t;
	int bad;
};

static void *range_reader(void *arg)
{
	struct reader_arg *a = arg;
	uint8_t *buf = malloc((size_t)BS * BLOCKS);
	for (int i = 0; i < 30; i++)
		if (verity_tree_read_range(a->t, 0, BLOCKS, buf, NULL) || memcmp(buf, im.data, (size_t)BS * BLOCKS))
			a->bad++;
	free(buf);
	return NULL;
}

static void two_readers_share_the_helper(void **state)
{
	(void)state;
	struct verity_tree *t = open_tree();
	struct reader_arg a[2] = { { t, 0 }, { t, 0 } };
	pthread_t tid;
	assert_int_equal(pthread_create(&tid, NULL, range_reader, &a[1]), 0);
	range_reader(&a[0]);
	pthread_join(tid, NULL);
	assert_int_equal(a[0].bad + a[1].bad, 0);
	verity_tree_close(t);
}

/* OpenSSL's salted block digest: type 1 H(salt || block), type 0 H(block || salt). */
static void openssl_digest(unsigned type, const uint8_t *salt, size_t salt_len, const uint8_t *block, size_t len,
			   uint8_t *out)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	if (type == 1)
		EVP_DigestUpdate(m, salt, salt_len);
	EVP_DigestUpdate(m, block, len);
	if (type == 0)
		EVP_DigestUpdate(m, salt, salt_len);
	EVP_DigestFinal_ex(m, out, NULL);
	EVP_MD_CTX_free(m);
}

/* Every SHA-256 path, forced through UDM_SHA256_IMPL, and the calibrated choice give
 * OpenSSL's digests around each padding edge, for salts of 0..256 bytes and for block
 * counts that leave every kind of remainder (a partial group of 3 or 4, of 16 library jobs). */
static void check_path(const char *impl)
{
	enum { NB = 37 };
	const size_t lens[] = { 1, 55, 56, 63, 64, 65, 119, 120, 512, 4096, 8192 };
	const size_t counts[] = { 1, 2, 3, 5, 7, 15, 16, 17, 31, 33, NB };
	static uint8_t blocks[NB * 8192];
	uint8_t got[NB * 32], want[NB * 32];

	if (impl)
		setenv("UDM_SHA256_IMPL", impl, 1);
	else
		unsetenv("UDM_SHA256_IMPL");
	for (unsigned type = 0; type <= 1; type++)
		for (size_t salt_len = 0; salt_len <= 256; salt_len += 37) {
			uint8_t salt[256];
			tu_fill(salt, salt_len, (uint32_t)salt_len);
			struct verity_hasher *h;
			assert_int_equal(verity_hasher_new("sha256", type, salt, salt_len, &h), 0);
			void *ctx = verity_hasher_ctx_new();
			for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
				size_t len = lens[k];
				tu_fill(blocks, NB * len, (uint32_t)(len + salt_len));
				for (int b = 0; b < NB; b++)
					openssl_digest(type, salt, salt_len, blocks + b * len, len, want + b * 32);
				for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
					memset(got, 0, sizeof(got));
					assert_int_equal(verity_hash_blocks(h, ctx, blocks, counts[c], len, got), 0);
					assert_memory_equal(got, want, counts[c] * 32);
				}
				assert_int_equal(verity_hash_block(h, ctx, blocks + len, len, got), 0);
				assert_memory_equal(got, want + 32, 32);
				/* the same blocks read beside their salt (format and verify on libipsec-mb) */
				size_t stride, off;
				if (verity_hasher_slot_layout(h, len, &stride, &off)) {
					assert_true(stride >= salt_len + len && stride % 64 == 0 && off + len <= stride);
					uint8_t *slots = malloc(NB * stride);
					assert_non_null(slots);
					memset(slots, 0xa5, NB * stride);
					verity_hasher_slots_init(h, slots, NB, len);
					for (int b = 0; b < NB; b++)
						memcpy(slots + b * stride + off, blocks + b * len, len);
					for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
						memset(got, 0, sizeof(got));
						assert_int_equal(verity_hash_slots(h, ctx, slots, counts[c], len, got), 0);
						assert_memory_equal(got, want, counts[c] * 32);
					}
					free(slots);
				}
			}
			verity_hasher_ctx_free(ctx);
			verity_hasher_free(h);
		}
	unsetenv("UDM_SHA256_IMPL");
}

static void every_sha256_path_agrees_with_openssl(void **state)
{
	(void)state;
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++) {
		if (!verity_sha256_impl_supported(i)) {
			print_message("%s: not available on this CPU, not checked\n", verity_sha256_impl_name(i));
			continue;
		}
		check_path(verity_sha256_impl_name(i));
	}
	check_path(NULL);
	check_path("auto");
}

/* The calibrated choice is a path this CPU runs, the fastest one it measured. */
static void auto_choice_is_valid(void **state)
{
	(void)state;
	struct verity_sha256_choice c;
	unsetenv("UDM_SHA256_IMPL");
	assert_int_equal(verity_sha256_choose(&c), 0);
	assert_false(c.forced);
	assert_true(verity_sha256_impl_supported(c.impl));
	assert_true(verity_sha256_impl_supported(c.small));
	assert_true(c.small <= VERITY_SHA256_NI4);
	assert_in_range(c.min_batch, 1, VERITY_SHA256_MB_GROUP);
	if (c.impl < VERITY_SHA256_IMB_SSE)
		assert_int_equal(c.impl, c.small);
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++) {
		assert_true(verity_sha256_impl_supported(i) == (c.rate[i] > 0));
		assert_true(c.rate[c.impl] >= c.rate[i]);
	}
	/* cached: the second call gives the same choice */
	struct verity_sha256_choice again;
	assert_int_equal(verity_sha256_choose(&again), 0);
	assert_int_equal(again.impl, c.impl);
	assert_int_equal(again.min_batch, c.min_batch);
	print_message("auto: %s (remainders: %s below %u blocks)\n", verity_sha256_impl_name(c.impl),
		      verity_sha256_impl_name(c.small), c.min_batch);
}

/* A bad UDM_SHA256_IMPL is refused, by the check and by every hasher, never ignored. */
static void bad_impl_env_is_refused(void **state)
{
	(void)state;
	/* x16, ni1 and ni2 were paths once: gone where libipsec-mb or OpenSSL matches them */
	const char *bad[] = { "bogus", "NI2", "ni5", "ni0", "x16 ", "x16", "ni1", "ni2", "imb", "IMB-AVX512", "" };
	struct verity_hasher *h = (void *)1;
	const char *why;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("UDM_SHA256_IMPL", bad[i], 1);
		if (!*bad[i]) {    /* empty means unset: auto */
			assert_int_equal(verity_sha256_env_check(&why), 0);
			continue;
		}
		why = NULL;
		assert_int_equal(verity_sha256_env_check(&why), -EINVAL);
		assert_non_null(why);
		assert_int_equal(verity_hasher_new("sha256", 1, NULL, 0, &h), -EINVAL);
		assert_null(h);
	}
	/* a path this CPU lacks is refused too, not replaced by another */
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++)
		if (!verity_sha256_impl_supported(i)) {
			setenv("UDM_SHA256_IMPL", verity_sha256_impl_name(i), 1);
			assert_int_equal(verity_sha256_env_check(&why), -EINVAL);
		}
	unsetenv("UDM_SHA256_IMPL");
}

/* The raw multi-lane functions, each width, against OpenSSL (no hasher in between). */
static void raw_widths_agree_with_openssl(void **state)
{
	(void)state;
	static uint8_t blocks[16 * 4096];
	uint8_t salt[32], got[16 * 32], want[16 * 32];
	tu_fill(salt, sizeof(salt), 3);
	tu_fill(blocks, sizeof(blocks), 4);
	for (unsigned type = 0; type <= 1; type++) {
		for (int b = 0; b < 16; b++)
			openssl_digest(type, salt, sizeof(salt), blocks + b * 4096, 4096, want + b * 32);
		for (unsigned n = 1; verity_sha256_ni_supported() && n <= VERITY_SHA256_NI_MAX_WAYS; n++) {
			memset(got, 0, sizeof(got));
			verity_sha256_ni(salt, sizeof(salt), type == 1, blocks, n, 4096, got);
			assert_memory_equal(got, want, n * 32);
		}
		for (int a = 0; a < VERITY_SHA256_MB_NARCH; a++) {
			if (!verity_sha256_mb_supported(a))
				continue;
			/* each thread its own managers: two states side by side, a group and a half */
			struct verity_sha256_mb *s1 = verity_sha256_mb_new(), *s2 = verity_sha256_mb_new();
			assert_non_null(s1);
			assert_non_null(s2);
			for (unsigned n = 1; n <= 16; n++) {
				memset(got, 0, sizeof(got));
				assert_int_equal(verity_sha256_mb(n & 1 ? s1 : s2, a, salt, sizeof(salt), type == 1, blocks,
								  n, 4096, got), 0);
				assert_memory_equal(got, want, n * 32);
			}
			verity_sha256_mb_free(s1);
			verity_sha256_mb_free(s2);
		}
	}
}

/* Blocks too long for libipsec-mb's messages (64 KiB and up, with the salt) still get
 * OpenSSL's digests on every path, the library's included (they go around it). */
static void long_blocks_on_every_path(void **state)
{
	(void)state;
	enum { NB = 3 };
	const size_t lens[] = { 32768, 65536 - 64, 65536, 131072 };
	uint8_t salt[32], got[NB * 32], want[NB * 32];
	uint8_t *blocks = malloc(NB * 131072);
	assert_non_null(blocks);
	tu_fill(salt, sizeof(salt), 5);
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++) {
		if (!verity_sha256_impl_supported(i))
			continue;
		setenv("UDM_SHA256_IMPL", verity_sha256_impl_name(i), 1);
		for (unsigned type = 0; type <= 1; type++) {
			struct verity_hasher *h;
			assert_int_equal(verity_hasher_new("sha256", type, salt, sizeof(salt), &h), 0);
			void *ctx = verity_hasher_ctx_new();
			for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
				tu_fill(blocks, NB * lens[k], (uint32_t)k);
				for (int b = 0; b < NB; b++)
					openssl_digest(type, salt, sizeof(salt), blocks + b * lens[k], lens[k], want + b * 32);
				memset(got, 0, sizeof(got));
				assert_int_equal(verity_hash_blocks(h, ctx, blocks, NB, lens[k], got), 0);
				assert_memory_equal(got, want, sizeof(want));
				assert_int_equal(verity_hash_block(h, ctx, blocks, lens[k], got), 0);
				assert_memory_equal(got, want, 32);
			}
			verity_hasher_ctx_free(ctx);
			verity_hasher_free(h);
		}
	}
	unsetenv("UDM_SHA256_IMPL");
	free(blocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(range_matches_data),
		cmocka_unit_test(corrupt_data_block_mid_range),
		cmocka_unit_test(corrupt_hash_block_mid_range),
		cmocka_unit_test(split_range_first_failure_wins),
		cmocka_unit_test(two_readers_share_the_helper),
		cmocka_unit_test(every_sha256_path_agrees_with_openssl),
		cmocka_unit_test(auto_choice_is_valid),
		cmocka_unit_test(bad_impl_env_is_refused),
		cmocka_unit_test(raw_widths_agree_with_openssl),
		cmocka_unit_test(long_blocks_on_every_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
