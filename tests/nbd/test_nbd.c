/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/nbd and NBD backing devices in-process, against an nbdkit this test
 * starts (file plugin on a unix socket; skipped without nbdkit): URIs told
 * from paths, one export object per URI, reads from many threads at once,
 * reads past the end and refused writes as errors (never zeros), refusals
 * naming the URI with nothing left behind. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "nbd/nbd.h"

#define SIZE (4u << 20)
static char dir[] = "/tmp/udm-nbd-test.XXXXXX";
static char sock[128], pidfile[128], uri[256], ro_uri[256];
static char *data_path;
static bool have_nbdkit;

static pid_t nbdkit_pid(const char *pf)
{
	FILE *f = fopen(pf, "r");
	int pid = 0;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

static bool start(const char *extra, const char *s, const char *pf)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "timeout -k 5 300 nbdkit -f -P %s -U %s %s file %s </dev/null >/dev/null 2>&1 &",
		 pf, s, extra, data_path);
	if (system(cmd) != 0)
		return false;
	for (int i = 0; i < 100; i++) {
		if (nbdkit_pid(pf) > 0)
			return true;
		usleep(100000);
	}
	return false;
}

static int setup(void **state)
{
	(void)state;
	have_nbdkit = system("command -v nbdkit >/dev/null 2>&1") == 0;
	if (!have_nbdkit || !mkdtemp(dir))
		return 0;
	data_path = tu_tempfile(SIZE, 7);
	snprintf(sock, sizeof(sock), "%s/s", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	snprintf(uri, sizeof(uri), "nbd+unix:///?socket=%s", sock);
	char rosock[160], ropid[160];
	snprintf(rosock, sizeof(rosock), "%s/ro", dir);
	snprintf(ropid, sizeof(ropid), "%s/ropid", dir);
	snprintf(ro_uri, sizeof(ro_uri), "nbd+unix:///?socket=%s", rosock);
	have_nbdkit = start("", sock, pidfile) && start("-r", rosock, ropid);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[160];
	pid_t pid;
	if ((pid = nbdkit_pid(pidfile)) > 0)
		kill(pid, SIGTERM);
	snprintf(p, sizeof(p), "%s/ropid", dir);
	if ((pid = nbdkit_pid(p)) > 0)
		kill(pid, SIGTERM);
	usleep(200000);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] == '/' && strchr(dir, 'X') == NULL)
		(void)!system(cmd);
	tu_cleanup();
	return 0;
}

#define NEED_NBDKIT() do { if (!have_nbdkit) skip(); } while (0)

static void uris_told_from_paths(void **state)
{
	(void)state;
	assert_true(udm_nbd_is_uri("nbd://host/x"));
	assert_true(udm_nbd_is_uri("nbds://host:10809/"));
	assert_true(udm_nbd_is_uri("nbd+unix:///e?socket=/s"));
	assert_true(udm_nbd_is_uri("nbds+unix:///e?socket=/s"));
	assert_false(udm_nbd_is_uri("/dev/nbd0"));
	assert_false(udm_nbd_is_uri("nbd:/x"));
	assert_false(udm_nbd_is_uri("nbd+ssh://host/x"));
	assert_false(udm_nbd_is_uri("8:1"));
	struct udm_nbd *n = NULL;
	char err[256] = "";
	assert_int_equal(udm_nbd_open("/tmp/file", false, &n, err, sizeof(err)), -EINVAL);
	assert_null(n);
}

static void one_export_per_uri(void **state)
{
	(void)state;
	NEED_NBDKIT();
	struct udm_nbd *a, *b;
	char err[256];
	assert_int_equal(udm_nbd_open(uri, false, &a, err, sizeof(err)), 0);
	assert_int_equal(udm_nbd_open(uri, true, &b, err, sizeof(err)), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(udm_nbd_size(a), SIZE);
	assert_false(udm_nbd_read_only(a));
	udm_nbd_close(b);
	udm_nbd_close(a);
}

struct reader {
	struct udm_nbd *n;
	unsigned seed;
	int bad;
};

static void *read_random(void *arg)
{
	struct reader *r = arg;
	uint8_t *buf = malloc(300000);
	for (int i = 0; i < 40 && buf; i++) {
		size_t len = 1 + rand_r(&r->seed) % 300000;
		uint64_t off = rand_r(&r->seed) % (SIZE - len);
		if (udm_nbd_pread(r->n, buf, len, off)) {
			r->bad++;
			continue;
		}
		for (size_t k = 0; k < len; k++)
			if (buf[k] != tu_pattern(off + k, 7)) {
				r->bad++;
				break;
			}
	}
	free(buf);
	return NULL;
}

static void reads_from_many_threads(void **state)
{
	(void)state;
	NEED_NBDKIT();
	struct udm_nbd *n;
	char err[256];
	assert_int_equal(udm_nbd_open(uri, false, &n, err, sizeof(err)), 0);
	pthread_t th[8];
	struct reader rd[8];
	for (int i = 0; i < 8; i++) {
		rd[i] = (struct reader){ .n = n, .seed = (unsigned)i * 7919u + 1 };
		assert_int_equal(pthread_create(&th[i], NULL, read_random, &rd[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(rd[i].bad, 0);
	}
	/* a whole read of 4 MiB: several commands in flight on one connection */
	uint8_t *all = malloc(SIZE);
	assert_non_null(all);
	assert_int_equal(udm_nbd_pread(n, all, SIZE, 0), 0);
	assert_int_equal(all[SIZE - 1], tu_pattern(SIZE - 1, 7));
	free(all);
	struct udm_nbd_stats st;
	udm_nbd_stats(n, &st);
	assert_true(st.connections >= 1 && st.connections <= 16);
	assert_int_equal(st.failures, 0);
	udm_nbd_close(n);
}

static void past_the_end_is_an_error_never_zeros(void **state)
{
	(void)state;
	NEED_NBDKIT();
	struct udm_nbd *n;
	char err[256];
	uint8_t buf[8192];
	assert_int_equal(udm_nbd_open(uri, false, &n, err, sizeof(err)), 0);
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(udm_nbd_pread(n, buf, sizeof(buf), SIZE - 4096), -EIO);
	assert_int_equal(udm_nbd_pread(n, buf, 1, SIZE), -EIO);
	assert_int_equal(udm_nbd_pread(n, buf, 1, UINT64_MAX), -EIO);
	assert_int_equal(udm_nbd_pread(n, buf, 4096, SIZE - 4096), 0);
	udm_nbd_close(n);
}

static void read_only_export(void **state)
{
	(void)state;
	NEED_NBDKIT();
	struct udm_nbd *n = NULL;
	char err[512] = "";
	assert_int_equal(udm_nbd_open(ro_uri, true, &n, err, sizeof(err)), -EROFS);
	assert_null(n);
	assert_non_null(strstr(err, ro_uri));
	assert_non_null(strstr(err, "read-only"));
	assert_int_equal(udm_nbd_open(ro_uri, false, &n, err, sizeof(err)), 0);
	assert_true(udm_nbd_read_only(n));
	uint8_t buf[512] = { 0 };
	assert_int_equal(udm_nbd_pwrite(n, buf, sizeof(buf), 0), -EROFS);
	udm_nbd_close(n);
}

static void refusals_name_the_uri_and_leave_nothing(void **state)
{
	(void)state;
	NEED_NBDKIT();
	struct udm_ctx *ctx = udm_ctx_new();
	assert_non_null(ctx);
	assert_int_equal(udm_dev_create(ctx, "n", NULL, 0, 0, NULL), 0);
	char bad[256], text[512], err[512] = "";
	snprintf(bad, sizeof(bad), "nbd+unix:///?socket=%s/missing", dir);
	struct udm_target_spec spec = { .start = 0, .length = 8, .type = "linear", .params = text };
	snprintf(text, sizeof(text), "%s 0", bad);
	size_t badt = 0;
	assert_int_not_equal(udm_table_load(ctx, UDM_BY_NAME("n"), &spec, 1, 0, err, sizeof(err), &badt, NULL), 0);
	assert_non_null(strstr(err, "linear: Device lookup failed: "));
	assert_non_null(strstr(err, bad));
	assert_null(strchr(err, '\n'));
	/* too small: the core's area check names the URI */
	snprintf(text, sizeof(text), "%s 0", uri);
	spec.length = SIZE / 512 + 8;
	assert_int_equal(udm_table_load(ctx, UDM_BY_NAME("n"), &spec, 1, 0, err, sizeof(err), &badt, NULL), -EINVAL);
	assert_non_null(strstr(err, uri));
	assert_non_null(strstr(err, "too small"));
	struct udm_info info;
	assert_int_equal(udm_dev_info(ctx, UDM_BY_NAME("n"), 0, &info), 0);
	assert_false(info.flags & UDM_F_INACTIVE_PRESENT);
	/* and the table that fits works, shared by two targets */
	spec.length = SIZE / 512;
	struct udm_target_spec two[2] = {
		{ .start = 0, .length = 8, .type = "linear", .params = text },
		{ .start = 8, .length = 8, .type = "linear", .params = text },
	};
	assert_int_equal(udm_table_load(ctx, UDM_BY_NAME("n"), two, 2, 0, err, sizeof(err), &badt, NULL), 0);
	assert_int_equal(udm_dev_resume(ctx, UDM_BY_NAME("n"), 0, NULL), 0);
	uint8_t buf[8192];
	struct udm_dev *dev;
	assert_int_equal(udm_dev_open(ctx, UDM_BY_NAME("n"), &dev), 0);
	assert_int_equal(udm_dev_io(dev, UDM_IO_READ, 0, 0, 16, buf), 0);
	assert_int_equal(buf[5000], tu_pattern(5000 % 4096, 7));
	assert_int_equal(buf[100], tu_pattern(100, 7));
	udm_dev_close(dev);
	udm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uris_told_from_paths),
		cmocka_unit_test(one_export_per_uri),
		cmocka_unit_test(reads_from_many_threads),
		cmocka_unit_test(past_the_end_is_an_error_never_zeros),
		cmocka_unit_test(read_only_export),
		cmocka_unit_test(refusals_name_the_uri_and_leave_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
