/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: tree create/check with exhaustive single-bit corruption, verified random
 * reads (cache, concurrency, corruption) and FEC repair on the read path. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "verity/verity.h"
#include "verity_image.h"

struct image {
	struct verity_params p;
	struct verity_geometry g;
	int data_fd, hash_fd;
	uint8_t root[VERITY_MAX_DIGEST_SIZE];
	uint8_t *data;                 /* a copy of the original data */
	uint64_t hash_end;
};

static void image_make(struct image *im, const char *hash, uint32_t type, uint32_t bs, uint64_t blocks)
{
	size_t len = (size_t)(bs * blocks);

	memset(im, 0, sizeof(*im));
	strcpy(im->p.hash_name, hash);
	im->p.hash_type = type;
	im->p.data_block_size = im->p.hash_block_size = bs;
	im->p.data_blocks = blocks;
	im->p.salt_size = 7;           /* odd on purpose */
	tu_fill(im->p.salt, 7, 99);
	im->data = malloc(len);
	assert_non_null(im->data);
	tu_fill(im->data, len, 42);
	im->data_fd = memfd_create("data", 0);
	im->hash_fd = memfd_create("hash", 0);
	assert_true(im->data_fd >= 0 && im->hash_fd >= 0);
	assert_int_equal(pwrite(im->data_fd, im->data, len, 0), (ssize_t)len);
	assert_int_equal(verity_geometry_init(&im->g, &im->p, verity_digest_size(hash)), 0);
	assert_int_equal(verity_geometry_hash_end(&im->g, &im->p, &im->hash_end), 0);
	assert_int_equal(ftruncate(im->hash_fd, (off_t)im->hash_end), 0);
	assert_int_equal(verity_tree_create(&im->p, im->data_fd, im->hash_fd, 2, im->root), 0);
	assert_int_equal(verity_tree_check(&im->p, im->data_fd, im->hash_fd, 2, im->root, NULL), 0);
}

static void image_free(struct image *im)
{
	close(im->data_fd);
	close(im->hash_fd);
	free(im->data);
}

static void flip_bit(int fd, uint64_t bit)
{
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, (off_t)(bit / 8)), 1);
	b ^= (uint8_t)(1u << (bit % 8));
	assert_int_equal(pwrite(fd, &b, 1, (off_t)(bit / 8)), 1);
}

/* Every bit of [from, to) bytes of fd, flipped alone, must make the check fail. */
static void flip_all(struct image *im, int fd, uint64_t from, uint64_t to)
{
	struct verity_report rep;
	for (uint64_t bit = from * 8; bit < to * 8; bit++) {
		flip_bit(fd, bit);
		int r = verity_tree_check(&im->p, im->data_fd, im->hash_fd, 1, im->root, &rep);
		if (r == 0)
			fail_msg("bit %llu of fd %d went unnoticed", (unsigned long long)bit, fd);
		flip_bit(fd, bit);
	}
	assert_int_equal(verity_tree_check(&im->p, im->data_fd, im->hash_fd, 1, im->root, NULL), 0);
}

static void test_exhaustive_flips_sha1_type1(void **state)
{
	struct image im;
	(void)state;
	/* 3 blocks: one tree block holding 3 padded sha1 digests and a zero tail */
	image_make(&im, "sha1", 1, 512, 3);
	flip_all(&im, im.data_fd, 0, 3 * 512);
	flip_all(&im, im.hash_fd, im.g.hash_start * 512, im.hash_end);
	image_free(&im);
}

static void test_exhaustive_tree_flips_sha256_type0(void **state)
{
	struct image im;
	(void)state;
	/* 40 blocks, 16 digests per block: two levels, four tree blocks */
	image_make(&im, "sha256", 0, 512, 40);
	assert_int_equal(im.g.levels, 2);
	flip_all(&im, im.hash_fd, im.g.hash_start * 512, im.hash_end);
	image_free(&im);
}

static void test_check_reports_first_position(void **state)
{
	struct image im;
	struct verity_report rep;
	(void)state;
	image_make(&im, "sha256", 1, 1024, 300);
	flip_bit(im.data_fd, (100 * 1024 + 5) * 8);
	flip_bit(im.data_fd, (200 * 1024 + 5) * 8);
	assert_int_equal(verity_tree_check(&im.p, im.data_fd, im.hash_fd, 2, im.root, &rep), -EPERM);
	assert_string_equal(rep.message, "Verification failed at position 102400.");
	flip_bit(im.data_fd, (100 * 1024 + 5) * 8);
	flip_bit(im.data_fd, (200 * 1024 + 5) * 8);
	im.root[0] ^= 1;
	assert_int_equal(verity_tree_check(&im.p, im.data_fd, im.hash_fd, 2, im.root, &rep), -EFAULT);
	assert_string_equal(rep.message, "Verification of root hash failed.");
	image_free(&im);
}

static void test_reads_verify_and_fail_closed(void **state)
{
	struct image im;
	struct verity_tree *t;
	struct verity_tree_options opt = { .cache_blocks = 4 };
	uint8_t buf[1024];
	(void)state;
	image_make(&im, "sha256", 1, 1024, 700);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, &opt, &t), 0);
	for (uint64_t n = 0; n < 700; n++) {
		assert_int_equal(verity_tree_read(t, n, buf), 0);
		assert_memory_equal(buf, im.data + n * 1024, 1024);
	}
	assert_int_equal(verity_tree_read(t, 700, buf), -EINVAL);
	flip_bit(im.data_fd, (123 * 1024 + 77) * 8 + 3);
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(verity_tree_read(t, 123, buf), -EIO);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);   /* corrupt bytes never handed out */
	assert_int_equal(verity_tree_read(t, 124, buf), 0);
	verity_tree_close(t);

	/* a damaged leaf hash block fails exactly the blocks below it, for a fresh reader */
	flip_bit(im.data_fd, (123 * 1024 + 77) * 8 + 3);
	uint64_t leaf = im.g.level_block[0] + 2;       /* data blocks 64..95 (32 per block) */
	flip_bit(im.hash_fd, leaf * 1024 * 8 + 9);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, NULL, &t), 0);
	assert_int_equal(verity_tree_read(t, 63, buf), 0);
	assert_int_equal(verity_tree_read(t, 64, buf), -EIO);
	assert_int_equal(verity_tree_read(t, 95, buf), -EIO);
	assert_int_equal(verity_tree_read(t, 96, buf), 0);
	verity_tree_close(t);
	image_free(&im);
}

static void test_single_block_image(void **state)
{
	struct image im;
	struct verity_tree *t;
	uint8_t buf[4096];
	(void)state;
	image_make(&im, "sha512", 1, 4096, 1);
	assert_int_equal(im.g.levels, 0);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, NULL, &t), 0);
	assert_int_equal(verity_tree_read(t, 0, buf), 0);
	flip_bit(im.data_fd, 1000);
	assert_int_equal(verity_tree_read(t, 0, buf), -EIO);
	verity_tree_close(t);
	image_free(&im);
}

/* The whole hash device of im, into a new buffer */
static uint8_t *hash_copy(const struct image *im)
{
	uint8_t *b = malloc(im->hash_end);
	assert_non_null(b);
	assert_int_equal(pread(im->hash_fd, b, im->hash_end, 0), (ssize_t)im->hash_end);
	return b;
}

/* verify with the upper levels built in memory (the default) and a pass per level
 * (UDM_VERITY_LEVELWISE=1): the same result and the same message */
static void check_both_ways(struct image *im, int want_r, const char *want_msg)
{
	struct verity_report rep;
	for (int lw = 0; lw < 2; lw++) {
		if (lw)
			setenv("UDM_VERITY_LEVELWISE", "1", 1);
		int r = verity_tree_check(&im->p, im->data_fd, im->hash_fd, 2, im->root, &rep);
		unsetenv("UDM_VERITY_LEVELWISE");
		assert_int_equal(r, want_r);
		if (want_msg)
			assert_string_equal(rep.message, want_msg);
	}
}

/* Several chunks of data and four levels: the tree built with the upper levels in memory
 * equals, byte for byte, the one built a level at a time, for each layout; a flipped bit
 * in any level is found at the same first position both ways. */
static void test_upper_levels_in_memory(void **state)
{
	static const struct {
		const char *hash;
		uint32_t type, bs;
	} v[] = { { "sha256", 1, 512 }, { "sha256", 0, 512 }, { "sha1", 1, 512 }, { "sha256", 1, 1024 } };
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct image im;
		uint8_t root[VERITY_MAX_DIGEST_SIZE];
		/* 2 MiB chunks: two whole ones and part of a third */
		uint64_t blocks = ((2u << 20) / v[i].bs) * 2 + 100;
		image_make(&im, v[i].hash, v[i].type, v[i].bs, blocks);
		assert_true(im.g.levels >= 3);
		uint8_t *fused = hash_copy(&im);
		setenv("UDM_VERITY_LEVELWISE", "1", 1);
		assert_int_equal(verity_tree_create(&im.p, im.data_fd, im.hash_fd, 2, root), 0);
		unsetenv("UDM_VERITY_LEVELWISE");
		uint8_t *levelwise = hash_copy(&im);
		assert_memory_equal(root, im.root, im.g.digest_size);
		assert_memory_equal(fused, levelwise, im.hash_end);
		check_both_ways(&im, 0, NULL);
		/* a bit in the first and the last block of each level, and the last byte of
		 * each level (the spare tail of its last block where it has one) */
		for (unsigned l = 0; l < im.g.levels; l++) {
			uint64_t first = im.g.level_block[l] * v[i].bs, last = first + (im.g.level_size[l] - 1) * v[i].bs;
			uint64_t bits[] = { first * 8 + 3, last * 8 + 1, (last + v[i].bs) * 8 - 2 };
			for (size_t k = 0; k < 3; k++) {
				flip_bit(im.hash_fd, bits[k]);
				struct verity_report rep;
				setenv("UDM_VERITY_LEVELWISE", "1", 1);
				int r = verity_tree_check(&im.p, im.data_fd, im.hash_fd, 2, im.root, &rep);
				unsetenv("UDM_VERITY_LEVELWISE");
				assert_int_not_equal(r, 0);
				check_both_ways(&im, r, rep.message);
				flip_bit(im.hash_fd, bits[k]);
			}
		}
		/* data in the second chunk */
		flip_bit(im.data_fd, ((blocks / 2) * v[i].bs + 7) * 8);
		check_both_ways(&im, -EPERM, NULL);
		flip_bit(im.data_fd, ((blocks / 2) * v[i].bs + 7) * 8);
		check_both_ways(&im, 0, NULL);
		free(fused);
		free(levelwise);
		image_free(&im);
	}
}

struct reader_arg {
	struct verity_tree *t;
	const struct image *im;
	uint32_t seed;
	int failures;
};

static void *reader(void *arg)
{
	struct reader_arg *a = arg;
	uint8_t buf[512];
	for (int i = 0; i < 3000; i++) {
		a->seed = a->seed * 1664525u + 1013904223u;
		uint64_t n = (a->seed >> 8) % a->im->p.data_blocks;
		if (verity_tree_read(a->t, n, buf) || memcmp(buf, a->im->data + n * 512, 512))
			a->failures++;
	}
	return NULL;
}

static void test_concurrent_readers_small_cache(void **state)
{
	struct image im;
	struct verity_tree *t;
	struct verity_tree_options opt = { .cache_blocks = 3 };
	pthread_t tid[4];
	struct reader_arg args[4];
	(void)state;
	image_make(&im, "sha256", 1, 512, 5000);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, &opt, &t), 0);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct reader_arg){ .t = t, .im = &im, .seed = (uint32_t)i * 7 + 1 };
		assert_int_equal(pthread_create(&tid[i], NULL, reader, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	verity_tree_close(t);
	image_free(&im);
}

static void test_fec_repairs_reads(void **state)
{
	struct image im;
	struct verity_tree *t;
	struct verity_fec_params f = { .roots = 4 };
	struct verity_tree_options opt = { .fec = &f };
	uint8_t buf[512];
	(void)state;
	image_make(&im, "sha256", 1, 512, 600);
	f.fd = memfd_create("fec", 0);
	assert_true(f.fd >= 0);
	assert_int_equal(verity_fec_blocks(&im.p, &im.g, im.hash_end, false, 0, &f.blocks), 0);
	assert_int_equal(verity_fec_encode(&im.p, &im.g, &f, im.data_fd, im.hash_fd, 2), 0);
	/* two bad bytes in one data block and one in a leaf hash block */
	flip_bit(im.data_fd, (10 * 512 + 1) * 8);
	flip_bit(im.data_fd, (10 * 512 + 300) * 8 + 7);
	flip_bit(im.hash_fd, im.g.level_block[0] * 512 * 8 + 100);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, &opt, &t), 0);
	assert_int_equal(verity_tree_read(t, 10, buf), 0);
	assert_memory_equal(buf, im.data + 10 * 512, 512);
	assert_int_equal(verity_tree_read(t, 0, buf), 0);
	assert_memory_equal(buf, im.data, 512);
	assert_int_equal(verity_tree_corrected(t), 2);
	verity_tree_close(t);

	struct verity_fec_report rep = { 0 };
	assert_int_equal(verity_fec_check(&im.p, &im.g, &f, im.data_fd, im.hash_fd, 2, &rep), 0);
	assert_int_equal(rep.corrected, 3);
	/* three bad bytes in the same codeword exceed roots/2 = 2: reads fail closed */
	uint64_t rounds = (f.blocks + 250) / 251;
	for (uint64_t i = 0; i < 3; i++)
		flip_bit(im.data_fd, ((i * rounds + 20) * 512 + 9) * 8);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, &opt, &t), 0);
	assert_int_equal(verity_tree_read(t, 20, buf), -EIO);
	verity_tree_close(t);
	/* the whole-image check names that round (block 20 is in round 20 % rounds), as cryptsetup's "block N" */
	assert_int_equal(verity_fec_check(&im.p, &im.g, &f, im.data_fd, im.hash_fd, 2, &rep), -EILSEQ);
	assert_int_equal(rep.bad_round, 20 % rounds);
	close(f.fd);
	image_free(&im);
}

static void test_read_fault_locations(void **state)
{
	struct image im;
	struct verity_tree *t;
	struct verity_read_fault f;
	uint8_t buf[512];
	(void)state;
	image_make(&im, "sha256", 1, 512, 100);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, NULL, &t), 0);
	flip_bit(im.data_fd, 7 * 512 * 8);
	assert_int_equal(verity_tree_read_fault(t, 7, buf, &f), -EBADMSG);
	assert_true(f.corrupt);
	assert_false(f.metadata);
	assert_int_equal(f.block, 7);
	assert_int_equal(verity_tree_read(t, 7, buf), -EIO);
	verity_tree_close(t);
	/* a damaged leaf reports its absolute hash-block number (hash_start included) */
	flip_bit(im.data_fd, 7 * 512 * 8);
	uint64_t leaf = im.g.level_block[0] + 1;          /* data blocks 16..31 */
	flip_bit(im.hash_fd, leaf * 512 * 8 + 3);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, NULL, &t), 0);
	assert_int_equal(verity_tree_read_fault(t, 20, buf, &f), -EBADMSG);
	assert_true(f.corrupt);
	assert_true(f.metadata);
	assert_int_equal(f.block, leaf);
	verity_tree_close(t);
	image_free(&im);
}

static void test_forget_reverifies_hash_blocks(void **state)
{
	struct image im;
	struct verity_tree *t;
	uint8_t buf[512];
	(void)state;
	image_make(&im, "sha256", 1, 512, 100);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, NULL, &t), 0);
	assert_int_equal(verity_tree_read(t, 40, buf), 0);
	/* the cached, verified leaf keeps serving until the cache is forgotten */
	uint64_t leaf = im.g.level_block[0] + 2;          /* data blocks 32..47 */
	flip_bit(im.hash_fd, leaf * 512 * 8 + 8 * 32 * 9);  /* digest of block 41 */
	assert_int_equal(verity_tree_read(t, 40, buf), 0);
	verity_tree_forget(t);
	assert_int_equal(verity_tree_read(t, 40, buf), -EIO);
	verity_tree_close(t);
	image_free(&im);
}

static void test_zero_blocks_and_at_most_once(void **state)
{
	struct image im;
	struct verity_tree *t;
	struct verity_tree_options opt = { .ignore_zero_blocks = true, .check_at_most_once = true };
	uint8_t zero[512] = { 0 }, buf[512];
	(void)state;
	memset(&im, 0, sizeof(im));
	image_make(&im, "sha256", 1, 512, 64);
	/* rebuild with block 5 all zero */
	assert_int_equal(pwrite(im.data_fd, zero, 512, 5 * 512), 512);
	memset(im.data + 5 * 512, 0, 512);
	assert_int_equal(verity_tree_create(&im.p, im.data_fd, im.hash_fd, 1, im.root), 0);
	assert_int_equal(verity_tree_open(&im.p, im.data_fd, im.hash_fd, im.root, &opt, &t), 0);
	/* whatever is on disk now, a zero block at format time reads as zeroes */
	flip_bit(im.data_fd, 5 * 512 * 8 + 100);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(verity_tree_read(t, 5, buf), 0);
	assert_memory_equal(buf, zero, 512);
	/* at most once: verified once, a later change is not noticed (the kernel's trade-off) */
	assert_int_equal(verity_tree_read(t, 9, buf), 0);
	flip_bit(im.data_fd, 9 * 512 * 8);
	assert_int_equal(verity_tree_read(t, 9, buf), 0);
	/* but a block corrupted before its first read is refused */
	flip_bit(im.data_fd, 10 * 512 * 8);
	assert_int_equal(verity_tree_read(t, 10, buf), -EIO);
	verity_tree_close(t);
	image_free(&im);
}

/* A caller-provided device: an fd with a read counter and one failing offset. */
struct counting_dev {
	int fd;
	unsigned reads;
	uint64_t fail_off;
};

static int counting_pread(void *dev, void *buf, size_t len, uint64_t off)
{
	struct counting_dev *d = dev;
	d->reads++;
	if (off == d->fail_off)
		return -EIO;
	return pread(d->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static void test_open_on_caller_devices(void **state)
{
	struct image im;
	struct verity_tree *t;
	struct verity_read_fault f;
	uint8_t buf[512];
	(void)state;
	image_make(&im, "sha256", 1, 512, 300);
	struct counting_dev data = { .fd = im.data_fd, .fail_off = 200 * 512 };
	struct counting_dev hash = { .fd = im.hash_fd, .fail_off = UINT64_MAX };
	struct verity_source ds = { counting_pread, &data }, hs = { counting_pread, &hash };
	assert_int_equal(verity_tree_open_src(&im.p, &ds, &hs, im.root, NULL, &t), 0);
	assert_int_equal(verity_tree_read(t, 3, buf), 0);
	assert_memory_equal(buf, im.data + 3 * 512, 512);
	assert_int_equal(hash.reads, im.g.levels);     /* cold: one read per level */
	assert_int_equal(verity_tree_read(t, 4, buf), 0);
	assert_int_equal(hash.reads, im.g.levels);     /* warm: the leaf is cached and verified */
	assert_int_equal(data.reads, 2);
	/* an I/O error is reported as such, not as corruption */
	assert_int_equal(verity_tree_read_fault(t, 200, buf, &f), -EIO);
	assert_false(f.corrupt);
	assert_false(f.metadata);
	verity_tree_close(t);
	image_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive_flips_sha1_type1),
		cmocka_unit_test(test_exhaustive_tree_flips_sha256_type0),
		cmocka_unit_test(test_check_reports_first_position),
		cmocka_unit_test(test_reads_verify_and_fail_closed),
		cmocka_unit_test(test_single_block_image),
		cmocka_unit_test(test_concurrent_readers_small_cache),
		cmocka_unit_test(test_fec_repairs_reads),
		cmocka_unit_test(test_read_fault_locations),
		cmocka_unit_test(test_forget_reverifies_hash_blocks),
		cmocka_unit_test(test_zero_blocks_and_at_most_once),
		cmocka_unit_test(test_open_on_caller_devices),
		cmocka_unit_test(test_upper_levels_in_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
