/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verity target: table syntax and the kernel's ctr errors, verified reads,
 * corruption modes, status and round trip, root-hash signatures, and the
 * integrity blob it publishes from preresume. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <syslog.h>
#include "testutil.h"
#include "targets/verity_keys.h"
#include "verity/verity.h"

#define BLOCKS 64
static struct udm_ctx *ctx;
static char *data_path, *hash_path, root_hex[65], dir[64];
static const char *salt_hex = "1f2e3d4c";

static int setup(void **state)
{
	(void)state;
	ctx = udm_ctx_new();
	data_path = tu_tempfile(BLOCKS * 4096, 9);
	hash_path = tu_tempfile(0, 0);
	struct verity_params p = { .hash_type = 1, .data_block_size = 4096, .hash_block_size = 4096,
				   .data_blocks = BLOCKS, .no_superblock = true, .salt_size = 4,
				   .salt = { 0x1f, 0x2e, 0x3d, 0x4c } };
	strcpy(p.hash_name, "sha256");
	int dfd = open(data_path, O_RDONLY), hfd = open(hash_path, O_RDWR);
	uint8_t root[64];
	assert_int_equal(verity_tree_create(&p, dfd, hfd, 1, root), 0);
	close(dfd);
	close(hfd);
	verity_hex_encode(root, 32, root_hex);
	strcpy(dir, "/tmp/udm-vt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udm_ctx_free(ctx);   /* and its keyring */
	tu_cleanup();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static char *table(const char *extra)
{
	static char t[1024];
	snprintf(t, sizeof(t), "0 %d verity 1 %s %s 4096 4096 %d 0 sha256 %s %s%s%s\n", BLOCKS * 8, data_path,
		 hash_path, BLOCKS, root_hex, salt_hex, extra[0] ? " " : "", extra);
	return t;
}

static int load_err(const char *text, unsigned flags, char *err)
{
	struct udm_target_spec *specs;
	size_t n;
	char *storage;
	unsigned bad;
	int r = udm_table_text_parse(text, &specs, &n, &storage, &bad);
	assert_int_equal(r, 0);
	udm_dev_create(ctx, "v", NULL, 0, 0, NULL);
	r = udm_table_load(ctx, UDM_BY_NAME("v"), specs, n, flags, err, 256, NULL, NULL);
	free(specs);
	free(storage);
	return r;
}

static void expect_ctr_error(const char *text, unsigned flags, const char *msg)
{
	char err[256];
	assert_true(load_err(text, flags, err) < 0);
	assert_string_equal(err, msg);
}

static void bad(const char *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(const char *msg, const char *fmt, ...)
{
	char t[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	expect_ctr_error(t, UDM_F_READONLY, msg);
}

static void ctr_errors(void **state)
{
	(void)state;
	expect_ctr_error(table(""), 0, "verity: Device must be readonly");
	expect_ctr_error("0 8 verity 1 a b 4096 4096 1 0 sha256\n", UDM_F_READONLY, "verity: Not enough arguments");
	bad("verity: Invalid version", "0 8 verity 2 %s %s 4096 4096 64 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Data device lookup failed", "0 8 verity 1 /nonexistent %s 4096 4096 64 0 sha256 %s -\n", hash_path, root_hex);
	bad("verity: Hash device lookup failed", "0 8 verity 1 %s /nonexistent 4096 4096 64 0 sha256 %s -\n", data_path, root_hex);
	bad("verity: Invalid data device block size", "0 8 verity 1 %s %s 4095 4096 64 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid data device block size", "0 8 verity 1 %s %s 8192 4096 64 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid hash device block size", "0 8 verity 1 %s %s 4096 100 64 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid data blocks", "0 8 verity 1 %s %s 4096 4096 6x4 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Data device is too small", "0 1000 verity 1 %s %s 4096 4096 64 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid hash start", "0 8 verity 1 %s %s 4096 4096 64 -1 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Cannot initialize hash function", "0 8 verity 1 %s %s 4096 4096 64 0 nohash %s -\n", data_path, hash_path, root_hex);
	/* "Digest size too big" needs a digest over 256 bytes: no algorithm has one */
	bad("verity: Invalid root digest", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %.60s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid salt", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s abc\n", data_path, hash_path, root_hex);
	bad("verity: Invalid number of feature args", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 16\n", data_path, hash_path, root_hex);
	bad("verity: Conflicting error handling parameters", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 2 ignore_corruption restart_on_corruption\n", data_path,
	    hash_path, root_hex);
	bad("verity: Unrecognized verity feature request", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 1 bogus\n", data_path, hash_path, root_hex);
	bad("verity: FEC feature arguments require a value", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 1 fec_roots\n", data_path, hash_path, root_hex);
	bad("verity: Invalid fec_roots", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 2 fec_roots 1\n", data_path, hash_path, root_hex);
	bad("verity: DM Verity Sig Verification Invalid key specified", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 2 root_hash_sig_key_desc nokey\n", data_path, hash_path,
	    root_hex);
	bad("verity: Hash device is too small", "0 8 verity 1 %s %s 4096 4096 64 100 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: target type must appear alone in table", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s -\n8 8 zero\n", data_path, hash_path, root_hex);
}

/* The numbers are read as the kernel's sscanf reads them: "%u" and "%llu"
 * wrap, "%hhu" keeps 8 bits (derived from lib/vsprintf.c, not observed). */
static void ctr_numbers_wrap_like_the_kernel(void **state)
{
	(void)state;
	char t[1024], err[256];
	static const char *const ok[] = {
		"4294967297 %s %s 4096 4096 64 0 sha256 %s -",             /* version 2^32 + 1 */
		"1 %s %s 4294971392 4096 64 0 sha256 %s -",                /* 2^32 + 4096 */
		"1 %s %s 4096 4096 18446744073709551680 0 sha256 %s -",    /* 2^64 + 64 */
		"1 %s %s 4096 4096 64 18446744073709551616 sha256 %s -",   /* 2^64 */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int n = snprintf(t, sizeof(t), "0 8 verity ");
		snprintf(t + n, sizeof(t) - (size_t)n, ok[i], data_path, hash_path, root_hex);
		assert_int_equal(load_err(t, UDM_F_READONLY, err), 0);
		assert_int_equal(udm_table_clear(ctx, UDM_BY_NAME("v"), NULL), 0);
	}
	bad("verity: Invalid fec_roots", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 2 fec_roots 257\n", data_path, hash_path, root_hex);
	bad("verity: Invalid version", "0 8 verity 4294967298 %s %s 4096 4096 64 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid version", "0 8 verity +1 %s %s 4096 4096 64 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid data blocks", "0 8 verity 1 %s %s 4096 4096 2305843009213693952 0 sha256 %s -\n", data_path, hash_path, root_hex);
	bad("verity: Invalid number of feature args", "0 8 verity 1 %s %s 4096 4096 64 0 sha256 %s - 4294967297\n", data_path, hash_path, root_hex);
}

static struct udm_dev *activate(const char *text)
{
	char err[256];
	assert_int_equal(load_err(text, UDM_F_READONLY, err), 0);
	assert_int_equal(udm_dev_resume(ctx, UDM_BY_NAME("v"), 0, NULL), 0);
	struct udm_dev *d;
	assert_int_equal(udm_dev_open(ctx, UDM_BY_NAME("v"), &d), 0);
	return d;
}

static void corrupt_byte(uint64_t off)
{
	int fd = open(data_path, O_RDWR);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

static char *status_of(unsigned flags)
{
	static char s[2048];
	struct udm_target_status *st;
	size_t n;
	assert_int_equal(udm_table_status(ctx, UDM_BY_NAME("v"), flags, &st, &n, NULL), 0);
	assert_int_equal(n, 1);
	snprintf(s, sizeof(s), "%s", st[0].text);
	udm_target_status_free(st, n);
	return s;
}

/* Library log lines land here (udm_set_log_fn), not in syslog. */
static char logged[1024];
static int logged_priority;
static void capture_log(void *arg, int priority, const char *line)
{
	(void)arg;
	logged_priority = priority;
	snprintf(logged, sizeof(logged), "%s", line);
}

static void verified_reads_and_corruption(void **state)
{
	(void)state;
	udm_set_log_fn(capture_log, NULL);
	logged[0] = '\0';
	struct udm_dev *d = activate(table(""));
	uint8_t *buf = malloc(BLOCKS * 4096);
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 0, BLOCKS * 8, buf), 0);
	for (size_t i = 0; i < BLOCKS * 4096; i += 777)
		assert_int_equal(buf[i], tu_pattern(i, 9));
	assert_string_equal(status_of(0), "V -");
	/* the I/O hints say what the status text would otherwise be parsed for */
	struct udm_io_limits l;
	assert_int_equal(udm_dev_io_limits(ctx, UDM_BY_NAME("v"), 0, &l), 0);
	assert_int_equal(l.logical_block_size, 4096);
	assert_int_equal(l.physical_block_size, 4096);
	assert_int_equal(l.io_min, 4096);
	assert_int_equal(udm_dev_io_limits(ctx, UDM_BY_NAME("v"), UDM_F_QUERY_INACTIVE, &l), 0);
	assert_int_equal(l.logical_block_size, 512);   /* no inactive table: the defaults */
	assert_int_equal(udm_dev_io_limits(ctx, UDM_BY_NAME("nosuch"), 0, &l), -ENXIO);
	assert_int_equal(udm_dev_io(d, UDM_IO_WRITE, 0, 0, 8, buf), -EROFS);
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 1, 1, buf), -EIO);   /* unaligned */
	corrupt_byte(5 * 4096 + 100);
	/* the warm hash blocks do not hide the corrupt data block */
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 5 * 8, 8, buf), -EIO);
	assert_non_null(strstr(logged, "data block 5 is corrupted"));
	assert_int_equal(logged_priority, LOG_ERR);
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 4 * 8, 8, buf), 0);
	assert_string_equal(status_of(0), "C -");
	udm_dev_close(d);
	udm_set_log_fn(NULL, NULL);
	free(buf);
}

static void ignore_corruption_returns_data(void **state)
{
	(void)state;
	corrupt_byte(7 * 4096);
	struct udm_dev *d = activate(table("1 ignore_corruption"));
	uint8_t buf[4096];
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 7 * 8, 8, buf), 0);
	assert_int_equal(buf[0], (uint8_t)(tu_pattern(7 * 4096, 9) ^ 1));
	assert_string_equal(status_of(0), "C -");
	udm_dev_close(d);
}

static void table_round_trip_and_blob(void **state)
{
	(void)state;
	struct udm_dev *d = activate(table("3 restart_on_corruption IGNORE_ZERO_BLOCKS check_at_most_once"));
	char expect[1024];
	snprintf(expect, sizeof(expect),
		 "1 %s %s 4096 4096 %d 0 sha256 %s %s 3 restart_on_corruption ignore_zero_blocks check_at_most_once",
		 data_path, hash_path, BLOCKS, root_hex, salt_hex);
	char first[2048];
	snprintf(first, sizeof(first), "%s", status_of(UDM_F_STATUS_TABLE));
	assert_string_equal(first, expect);
	udm_dev_close(d);
	/* the printed table loads again and prints the same */
	char again[2200];
	snprintf(again, sizeof(again), "0 %d verity %s\n", BLOCKS * 8, first);
	assert_int_equal(load_err(again, UDM_F_READONLY, expect), 0);
	assert_string_equal(status_of(UDM_F_STATUS_TABLE | UDM_F_QUERY_INACTIVE), first);
	struct udm_info info;
	assert_int_equal(udm_dev_info(ctx, UDM_BY_NAME("v"), 0, &info), 0);
	struct udm_integrity b;
	assert_int_equal(udm_dev_get_integrity(ctx, info.dev, &b), 0);
	assert_true(b.has_roothash);
	assert_string_equal(b.alg, "sha256");
	assert_int_equal(b.digest_len, 32);
	char hex[65];
	verity_hex_encode(b.digest, 32, hex);
	assert_string_equal(hex, root_hex);
	assert_int_equal(b.sig, UDM_SIG_NONE);
	/* immutable: nothing but verity (or the error wildcard) may replace it */
	char err[256], lin[600];
	snprintf(lin, sizeof(lin), "0 8 linear %s 0\n", data_path);
	assert_int_equal(load_err(lin, UDM_F_READONLY, err), -EINVAL);
	assert_string_equal(err, "table: can't replace immutable target type verity");
}

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static size_t slurp(const char *path, uint8_t *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

static void make_cert(const char *name)
{
	sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/%s.key -out %s/%s.pem -days 2 -subj /CN=%s "
	   ">/dev/null 2>&1", dir, name, dir, name, name);
}

/* sign the given text (the root hash hex) as a detached PKCS#7 */
static size_t sign(const char *name, const char *text, uint8_t *sig)
{
	sh("printf %%s '%s' > %s/msg && openssl smime -sign -binary -noattr -outform DER -in %s/msg "
	   "-signer %s/%s.pem -inkey %s/%s.key -out %s/sig 2>/dev/null",
	   text, dir, dir, dir, name, dir, name, dir);
	char p[128];
	snprintf(p, sizeof(p), "%s/sig", dir);
	return slurp(p, sig, 16384);
}

static void root_hash_signatures(void **state)
{
	(void)state;
	make_cert("good");
	make_cert("other");
	char certs[128], reason[256];
	snprintf(certs, sizeof(certs), "%s/good.pem", dir);
	struct verity_keyring *kr = udm_verity_keyring(ctx);
	assert_int_equal(verity_sig_configure(kr, certs, false, reason, sizeof(reason)), 0);
	uint8_t sig[16384];
	size_t n = sign("good", root_hex, sig);
	assert_int_equal(verity_key_add(kr, "udm:v", sig, n), 0);
	struct udm_dev *d = activate(table("2 root_hash_sig_key_desc udm:v"));
	udm_dev_close(d);
	struct udm_info info;
	assert_int_equal(udm_dev_info(ctx, UDM_BY_NAME("v"), 0, &info), 0);
	struct udm_integrity b;
	assert_int_equal(udm_dev_get_integrity(ctx, info.dev, &b), 0);
	assert_true(b.has_roothash);
	assert_int_equal(b.sig, UDM_SIG_VALID);

	/* untrusted signer, signature over another root hash, truncated, garbage */
	char err[256];
	n = sign("other", root_hex, sig);
	assert_int_equal(verity_key_add(kr, "udm:v", sig, n), 0);
	assert_int_equal(load_err(table("2 root_hash_sig_key_desc udm:v"), UDM_F_READONLY, err), -ENOKEY);
	assert_string_equal(err, "verity: Root hash verification failed");
	n = sign("good", "00000000000000000000000000000000000000000000000000000000000000ff", sig);
	assert_int_equal(verity_key_add(kr, "udm:v", sig, n), 0);
	assert_int_equal(load_err(table("2 root_hash_sig_key_desc udm:v"), UDM_F_READONLY, err), -EKEYREJECTED);
	assert_string_equal(err, "verity: Root hash verification failed");
	n = sign("good", root_hex, sig);
	assert_int_equal(verity_key_add(kr, "udm:v", sig, n / 2), 0);
	assert_int_equal(load_err(table("2 root_hash_sig_key_desc udm:v"), UDM_F_READONLY, err), -EBADMSG);
	/* require_signatures refuses an unsigned table */
	assert_int_equal(verity_sig_configure(kr, certs, true, reason, sizeof(reason)), 0);
	assert_int_equal(load_err(table(""), UDM_F_READONLY, err), -ENOKEY);
	assert_string_equal(err, "verity: Root hash verification failed");

	/* trust is per context: another context neither requires signatures nor
	 * trusts "good", nor sees this context's keys */
	struct udm_ctx *other = udm_ctx_new();
	assert_non_null(other);
	assert_false(verity_sig_required(udm_verity_keyring(other)));
	n = sign("good", root_hex, sig);
	assert_int_equal(verity_key_add(kr, "udm:v", sig, n), 0);
	char t[1024];
	snprintf(t, sizeof(t), "%s", table(""));
	assert_int_equal(udm_dev_create(other, "o", NULL, 0, 0, NULL), 0);
	struct udm_target_spec *specs;
	size_t cnt;
	char *storage;
	unsigned bad;
	assert_int_equal(udm_table_text_parse(t, &specs, &cnt, &storage, &bad), 0);
	assert_int_equal(udm_table_load(other, UDM_BY_NAME("o"), specs, cnt, UDM_F_READONLY, err, sizeof(err), NULL, NULL), 0);
	free(specs);
	free(storage);
	snprintf(t, sizeof(t), "%s", table("2 root_hash_sig_key_desc udm:v"));
	assert_int_equal(udm_table_text_parse(t, &specs, &cnt, &storage, &bad), 0);
	assert_int_equal(udm_table_load(other, UDM_BY_NAME("o"), specs, cnt, UDM_F_READONLY, err, sizeof(err), NULL, NULL),
			 -EINVAL);
	assert_string_equal(err, "verity: DM Verity Sig Verification Invalid key specified");
	free(specs);
	free(storage);
	udm_ctx_free(other);
	/* and this one still requires them */
	assert_int_equal(load_err(table(""), UDM_F_READONLY, err), -ENOKEY);
}

/* Data and hash on other udm devices (linear over the files): the tree reads
 * through the lower devices' I/O path, verification and corruption included. */
static void stacked_on_udm_linear(void **state)
{
	(void)state;
	char t[1024];
	snprintf(t, sizeof(t), "0 %d linear %s 0\n", BLOCKS * 8, data_path);
	assert_int_equal(tu_create(ctx, "ld", t), 0);
	snprintf(t, sizeof(t), "0 8 linear %s 0\n", hash_path);
	assert_int_equal(tu_create(ctx, "lh", t), 0);
	struct udm_info ld, lh;
	assert_int_equal(udm_dev_info(ctx, UDM_BY_NAME("ld"), 0, &ld), 0);
	assert_int_equal(udm_dev_info(ctx, UDM_BY_NAME("lh"), 0, &lh), 0);
	char dname[32], hname[32];
	snprintf(dname, sizeof(dname), "%u:%u", major(ld.dev), minor(ld.dev));
	snprintf(hname, sizeof(hname), "%u:%u", major(lh.dev), minor(lh.dev));
	snprintf(t, sizeof(t), "0 %d verity 1 %s %s 4096 4096 %d 0 sha256 %s %s\n", BLOCKS * 8, dname, hname,
		 BLOCKS, root_hex, salt_hex);
	struct udm_dev *d = activate(t);
	uint8_t *buf = malloc(BLOCKS * 4096);
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 0, BLOCKS * 8, buf), 0);
	for (size_t i = 0; i < BLOCKS * 4096; i++)
		if (buf[i] != tu_pattern(i, 9))
			fail_msg("byte %zu differs", i);
	char expect[512];
	snprintf(expect, sizeof(expect), "1 %s %s 4096 4096 %d 0 sha256 %s %s", dname, hname, BLOCKS, root_hex,
		 salt_hex);
	assert_string_equal(status_of(UDM_F_STATUS_TABLE), expect);
	/* the lower devices are held open: they cannot go away under the verity device */
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("ld"), 0), -EBUSY);
	corrupt_byte(9 * 4096 + 4095);
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 9 * 8, 8, buf), -EIO);
	assert_int_equal(udm_dev_io(d, UDM_IO_READ, 0, 8 * 8, 8, buf), 0);
	assert_string_equal(status_of(0), "C -");
	udm_dev_close(d);
	free(buf);
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("v"), 0), 0);
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("ld"), 0), 0);
	assert_int_equal(udm_dev_remove(ctx, UDM_BY_NAME("lh"), 0), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(ctr_errors), T(ctr_numbers_wrap_like_the_kernel), T(verified_reads_and_corruption), T(ignore_corruption_returns_data),
		T(table_round_trip_and_blob), T(root_hash_signatures), T(stacked_on_udm_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
