/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: the SHA-256 calibration's cache file (lib/verity/sha256_cache.c). A file
 * written for this CPU and build reads back; any other (another CPU or library, a path
 * missing or extra, a rate out of range, a torn or doubled line, a link) is ignored, so a
 * bad file can only cost a calibration. UDM_SHA256_CACHE=off reads and writes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "verity/verity.h"

static char dir[] = "/tmp/udm-sha256-cache-XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/sub/sha256-rates", dir);
	setenv("UDM_SHA256_CACHE", path, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void some_rates(double r[VERITY_SHA256_NIMPL])
{
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++)
		r[i] = verity_sha256_impl_supported(i) ? 1e9 + 12345 * (i + 1) : 0;
}

static char *read_all(void)
{
	static char buf[2048];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void write_all(const char *s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

/* the line as stored, with `from` replaced by `to` (once) */
static void write_edited(const char *line, const char *from, const char *to)
{
	char buf[2048];
	const char *at = strstr(line, from);
	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - line), line, to, at + strlen(from));
	write_all(buf);
}

static void round_trip_and_folders(void **state)
{
	(void)state;
	double r[VERITY_SHA256_NIMPL], got[VERITY_SHA256_NIMPL] = { 0 };
	struct stat st;
	some_rates(r);
	unlink(path);
	assert_false(verity_sha256_cache_load(got));
	verity_sha256_cache_store(r);   /* makes the missing folder */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_true(verity_sha256_cache_load(got));
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++)
		assert_true(got[i] == r[i]);
	const char *line = read_all();
	assert_memory_equal(line, "udm-sha256-rates 1 cpu=", 23);
	assert_non_null(strstr(line, " openssl=1000012345"));
	assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
	print_message("%s", line);
}

/* Every damaged or foreign file is ignored, and the next store replaces it. */
static void foreign_or_damaged_files_are_ignored(void **state)
{
	(void)state;
	double r[VERITY_SHA256_NIMPL], got[VERITY_SHA256_NIMPL];
	char line[2048];
	some_rates(r);
	verity_sha256_cache_store(r);
	snprintf(line, sizeof(line), "%s", read_all());

	struct { const char *from, *to; } edits[] = {
		{ "udm-sha256-rates 1", "udm-sha256-rates 2" },     /* another format */
		{ " cpu=", " cpu=X" },                               /* another CPU */
		{ " imb=", " imb=9" },                               /* another library */
		{ " ni=", " ni=7" },
		{ " openssl=1000012345", "" },                       /* a path missing */
		{ " openssl=1000012345", " openssl=1000012345 openssl=5" },   /* twice */
		{ " openssl=1000012345", " openssl=1000012345 x16=5" },      /* a path unknown here */
		{ " openssl=1000012345", " openssl=0" },             /* not measured */
		{ " openssl=1000012345", " openssl=-5" },
		{ " openssl=1000012345", " openssl=99999999999999" },   /* beyond 1 TB/s */
		{ " openssl=1000012345", " openssl=12ab" },
		{ " openssl=1000012345", " openssl=" },
		{ "\n", "" },                                        /* torn: no end of line */
		{ "\n", "\n\n" },                                    /* two lines */
	};
	for (size_t k = 0; k < sizeof(edits) / sizeof(edits[0]); k++) {
		write_edited(line, edits[k].from, edits[k].to);
		assert_false(verity_sha256_cache_load(got));
	}
	/* a path the CPU lacks, named with a rate */
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++)
		if (!verity_sha256_impl_supported(i)) {
			char extra[64];
			snprintf(extra, sizeof(extra), " openssl=1000012345 %s=5", verity_sha256_impl_name(i));
			write_edited(line, " openssl=1000012345", extra);
			assert_false(verity_sha256_cache_load(got));
		}
	write_all("");
	assert_false(verity_sha256_cache_load(got));
	write_all(line);
	assert_true(verity_sha256_cache_load(got));   /* the control: the same line, intact */

	/* a link in its place is not followed */
	char target[300];
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	rename(path, target);
	assert_int_equal(symlink(target, path), 0);
	assert_false(verity_sha256_cache_load(got));
	unlink(path);
	rename(target, path);
	assert_true(verity_sha256_cache_load(got));
}

static void off_reads_and_writes_nothing(void **state)
{
	(void)state;
	double r[VERITY_SHA256_NIMPL], got[VERITY_SHA256_NIMPL];
	struct stat st;
	some_rates(r);
	unlink(path);
	setenv("UDM_SHA256_CACHE", "off", 1);
	verity_sha256_cache_store(r);
	assert_false(verity_sha256_cache_load(got));
	setenv("UDM_SHA256_CACHE", path, 1);
	assert_int_equal(stat(path, &st), -1);
	verity_sha256_cache_store(r);
	setenv("UDM_SHA256_CACHE", "off", 1);
	assert_false(verity_sha256_cache_load(got));   /* there, but not read */
	setenv("UDM_SHA256_CACHE", path, 1);
}

/* The choice a process makes from a cached file: the fastest cached path, marked cached. */
static void choice_comes_from_the_cache(void **state)
{
	(void)state;
	double r[VERITY_SHA256_NIMPL];
	int n = 0, slowest_wide = -1;
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++) {
		r[i] = verity_sha256_impl_supported(i) ? 1e9 : 0;
		n += r[i] > 0;
	}
	if (n < 2) {
		print_message("one SHA-256 path on this CPU: nothing is calibrated or cached\n");
		struct verity_sha256_choice c;
		assert_int_equal(verity_sha256_choose(&c), 0);
		assert_false(c.cached);
		return;
	}
	/* the path named last in the list wins by far: a choice no calibration would make
	 * on its own shows the rates came from the file */
	for (int i = VERITY_SHA256_NIMPL - 1; i >= 0; i--)
		if (r[i] > 0) {
			slowest_wide = i;
			break;
		}
	r[VERITY_SHA256_OPENSSL] = 5e9;
	r[slowest_wide] = 9e9;
	verity_sha256_cache_store(r);
	struct verity_sha256_choice c;
	assert_int_equal(verity_sha256_choose(&c), 0);
	assert_true(c.cached);
	assert_string_equal(verity_sha256_choice_source(&c), "cached");
	assert_int_equal(c.impl, slowest_wide);
	if (slowest_wide > VERITY_SHA256_NI4)
		assert_int_equal(c.small, VERITY_SHA256_OPENSSL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_and_folders),
		cmocka_unit_test(foreign_or_damaged_files_are_ignored),
		cmocka_unit_test(off_reads_and_writes_nothing),
		cmocka_unit_test(choice_comes_from_the_cache),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
