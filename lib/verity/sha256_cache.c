/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SHA-256 calibration (sha256_select.c) kept between processes.
 *
 * Calibrating costs a few milliseconds per process (each of libipsec-mb's managers runs its
 * self-test at its first initialisation, and its code is faulted in): more than the hashing
 * of a small image, and a tenth of the format of 1 GiB. The measured rates only change with
 * the CPU, with what the kernel lets it use and with the libraries, so they are kept in one
 * line of text, under a key naming all of those:
 *
 *   udm-sha256-rates 1 cpu=AuthenticAMD:00b00f20 imb=1.3.0:0x... openssl=... ni3=... ...
 *
 * The rates (bytes/s) of every path this process supports follow the key, and only those: a
 * key that differs, a path missing or extra (another udm build), or anything unparsable
 * means the file is ignored and calibrated over. A bad file can only make the choice slower,
 * never wrong: every path computes the same digests, and a path is used only where the CPU
 * runs it (verity_sha256_impl_supported).
 *
 * Where: UDM_SHA256_CACHE=PATH, or =off for none; else, for root, /var/cache/udm/sha256-rates
 * (the package's cache folder); for anyone else $XDG_CACHE_HOME/udm/sha256-rates or
 * ~/.cache/udm/sha256-rates. The file is replaced whole (a temporary file renamed), and a
 * failure to write it is not an error: the next process calibrates again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include "verity/verity.h"

#define CACHE_NAME "sha256-rates"
#define CACHE_MAGIC "udm-sha256-rates 1"
#define LINE_MAX_LEN 1024

/* The file's path into buf, or false for none. */
static bool cache_path(char *buf, size_t n)
{
	const char *env = getenv("UDM_SHA256_CACHE"), *base;
	int w;

	if (env && *env) {
		if (strcmp(env, "off") == 0)
			return false;
		w = snprintf(buf, n, "%s", env);
	} else if (geteuid() == 0) {
		w = snprintf(buf, n, "/var/cache/udm/" CACHE_NAME);
	} else if ((base = getenv("XDG_CACHE_HOME")) && *base == '/') {
		w = snprintf(buf, n, "%s/udm/" CACHE_NAME, base);
	} else if ((base = getenv("HOME")) && *base == '/') {
		w = snprintf(buf, n, "%s/.cache/udm/" CACHE_NAME, base);
	} else {
		return false;
	}
	return w > 0 && (size_t)w < n;
}

/* What the rates depend on: the CPU (vendor and signature), the features the library sees
 * (which include what the kernel enables), the SHA extensions, the library's version. */
static void cache_key(char *buf, size_t n)
{
	char cpu[32] = "none";
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d, sig = 0;
	if (__get_cpuid(0, &a, &b, &c, &d)) {
		char vendor[13];
		memcpy(vendor, &b, 4);
		memcpy(vendor + 4, &d, 4);
		memcpy(vendor + 8, &c, 4);
		vendor[12] = '\0';
		for (int i = 0; i < 12; i++)
			if (vendor[i] <= ' ' || vendor[i] > '~')
				vendor[i] = '_';
		if (__get_cpuid(1, &a, &b, &c, &d))
			sig = a;
		snprintf(cpu, sizeof(cpu), "%s:%08x", vendor, sig);
	}
#endif
	snprintf(buf, n, "cpu=%s imb=%s:0x%llx ni=%d", cpu, verity_sha256_mb_version(),
		 (unsigned long long)verity_sha256_mb_features(), verity_sha256_ni_supported() ? 1 : 0);
}

/* Parse "name=rate ..." after the key: every supported path once, nothing else. */
static bool parse_rates(const char *s, double rate[VERITY_SHA256_NIMPL])
{
	bool seen[VERITY_SHA256_NIMPL] = { false };

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\n' || *s == '\0')
			break;
		const char *eq = strchr(s, '=');
		if (!eq)
			return false;
		int i;
		for (i = 0; i < VERITY_SHA256_NIMPL; i++) {
			const char *name = verity_sha256_impl_name(i);
			if ((size_t)(eq - s) == strlen(name) && memcmp(s, name, (size_t)(eq - s)) == 0)
				break;
		}
		if (i == VERITY_SHA256_NIMPL || seen[i] || !verity_sha256_impl_supported(i))
			return false;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &end, 10);
		/* a rate of zero, or above 1 TB/s, was not measured */
		if (errno || end == eq + 1 || (*end != ' ' && *end != '\n' && *end != '\0') || v == 0 || v > 1000000000000ULL)
			return false;
		rate[i] = (double)v;
		seen[i] = true;
		s = end;
	}
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++)
		if (seen[i] != verity_sha256_impl_supported(i))
			return false;
	return true;
}

bool verity_sha256_cache_load(double rate[VERITY_SHA256_NIMPL])
{
	char path[4096], key[256], line[LINE_MAX_LEN + 1], want[300];
	ssize_t n;
	int fd;

	if (!cache_path(path, sizeof(path)))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	n = read(fd, line, LINE_MAX_LEN);
	close(fd);
	if (n <= 0 || n == LINE_MAX_LEN)
		return false;
	line[n] = '\0';
	if (strchr(line, '\n') != line + n - 1)   /* one whole line */
		return false;
	cache_key(key, sizeof(key));
	snprintf(want, sizeof(want), CACHE_MAGIC " %s ", key);
	if (strncmp(line, want, strlen(want)) != 0)
		return false;
	double r[VERITY_SHA256_NIMPL] = { 0 };
	if (!parse_rates(line + strlen(want), r))
		return false;
	memcpy(rate, r, sizeof(r));
	return true;
}

/* mkdir -p of path's parent folders; only the last is made with `mode` */
static void make_parent(char *path, mode_t mode)
{
	char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return;
	*slash = '\0';
	if (mkdir(path, mode) && errno == ENOENT) {
		make_parent(path, 0755);
		mkdir(path, mode);
	}
	*slash = '/';
}

void verity_sha256_cache_store(const double rate[VERITY_SHA256_NIMPL])
{
	char path[4096], tmp[4200], key[256], line[LINE_MAX_LEN];
	size_t len;
	int fd;

	if (!cache_path(path, sizeof(path)))
		return;
	cache_key(key, sizeof(key));
	len = (size_t)snprintf(line, sizeof(line), CACHE_MAGIC " %s", key);
	for (int i = 0; i < VERITY_SHA256_NIMPL && len < sizeof(line); i++)
		if (verity_sha256_impl_supported(i))
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%.0f", verity_sha256_impl_name(i),
						rate[i] < 1 ? 1 : rate[i]);
	if (len + 1 >= sizeof(line))
		return;
	line[len++] = '\n';
	/* a user's cache is the user's alone; root's folder is the package's */
	make_parent(path, geteuid() == 0 ? 0755 : 0700);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	bool ok = fchmod(fd, 0644) == 0 && write(fd, line, len) == (ssize_t)len;
	close(fd);
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
}
