/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which SHA-256 path hashes verity blocks fastest on this CPU, chosen at run time.
 *
 * The candidates: OpenSSL, one block at a time; three or four SHA-extension streams
 * interleaved (sha256_ni.c, where they beat the library's own SHA-extension path); and
 * libipsec-mb's four managers (sha256_mb.c: SSE, AVX, AVX2, AVX-512), whichever this CPU
 * and this build have.
 *
 * Why a measurement and not a table: the same instructions rank differently from one core to
 * the next. On AMD Zen four interleaved SHA-extension streams hash 1.9x faster than one; on
 * Intel's Golden Cove cores (Sapphire/Emerald Rapids) one stream already saturates the SHA
 * unit, four are 20 % slower than one, and sixteen AVX-512 lanes are twice as fast as any
 * (bench/README.md). A table keyed by CPU model would be wrong for every model not in it,
 * and under a hypervisor the model name often says nothing. So at first use each supported
 * path hashes the same sixteen 4 KiB blocks three times, candidates interleaved so that a
 * burst of load from elsewhere hits them alike, and the best time of each counts (load only
 * ever makes a run slower). That costs a few milliseconds, once: the rates are kept between
 * processes (sha256_cache.c).
 *
 * UDM_SHA256_IMPL=openssl|ni3|ni4|imb-sse|imb-avx|imb-avx2|imb-avx512 forces a path (tests, benchmarks); auto or
 * unset calibrates. A forced path the CPU lacks is refused, never silently replaced. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <openssl/evp.h>
#include "util/log.h"
#include "verity/verity.h"

#define CAL_BLOCK 4096u
#define CAL_BLOCKS 16u            /* one group of library jobs; ni3 runs 15 of them */
#define CAL_ROUNDS 3u
#define CAL_SALT 32u

static const char *const names[VERITY_SHA256_NIMPL] = {
	"openssl", "ni3", "ni4", "imb-sse", "imb-avx", "imb-avx2", "imb-avx512",
};

const char *verity_sha256_impl_name(enum verity_sha256_impl i)
{
	return (unsigned)i < VERITY_SHA256_NIMPL ? names[i] : "?";
}

bool verity_sha256_impl_supported(enum verity_sha256_impl i)
{
	switch (i) {
	case VERITY_SHA256_OPENSSL:
		return true;
	case VERITY_SHA256_NI3: case VERITY_SHA256_NI4:
		return verity_sha256_ni_supported();
	case VERITY_SHA256_IMB_SSE: case VERITY_SHA256_IMB_AVX: case VERITY_SHA256_IMB_AVX2:
	case VERITY_SHA256_IMB_AVX512:
		return verity_sha256_mb_supported(i - VERITY_SHA256_IMB_SSE);
	default:
		return false;
	}
}

/* -1: unset or auto; -EINVAL: bad value (*why says why); else the forced path */
static int env_impl(const char **why)
{
	const char *v = getenv("UDM_SHA256_IMPL");

	if (!v || !*v || strcmp(v, "auto") == 0)
		return -1;
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++) {
		if (strcmp(v, names[i]) != 0)
			continue;
		if (!verity_sha256_impl_supported(i)) {
			*why = "UDM_SHA256_IMPL: this CPU cannot run that SHA-256 path";
			return -EINVAL;
		}
		return i;
	}
	*why = "UDM_SHA256_IMPL: unknown value (auto, openssl, ni3, ni4, imb-sse, imb-avx, imb-avx2 or imb-avx512)";
	return -EINVAL;
}

int verity_sha256_env_check(const char **why)
{
	int r = env_impl(why);
	return r == -EINVAL ? r : 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool is_wide(enum verity_sha256_impl i)
{
	return i >= VERITY_SHA256_IMB_SSE;
}

/* One candidate over as many of the CAL_BLOCKS blocks as fill its groups, the way
 * verity_hash_blocks would run it; seconds per block (0: failed). */
static double time_one(enum verity_sha256_impl i, const uint8_t *salt, const uint8_t *data, EVP_MD_CTX *prefix,
		       EVP_MD_CTX *c, struct verity_sha256_mb *mb, uint8_t *out)
{
	unsigned ways = i == VERITY_SHA256_OPENSSL ? 1 : is_wide(i) ? CAL_BLOCKS : i == VERITY_SHA256_NI3 ? 3 : 4;
	unsigned blocks = CAL_BLOCKS / ways * ways;

	/* one manager serves every library path in turn: (re)initialised for this one
	 * before the clock starts */
	if (is_wide(i) && verity_sha256_mb(mb, i - VERITY_SHA256_IMB_SSE, salt, CAL_SALT, true, data, 1, CAL_BLOCK, out))
		return 0;
	double t0 = now();

	for (unsigned k = 0; k < blocks; k += ways) {
		unsigned n;
		if (i == VERITY_SHA256_OPENSSL) {
			if (!EVP_MD_CTX_copy_ex(c, prefix) || !EVP_DigestUpdate(c, data + k * CAL_BLOCK, CAL_BLOCK) ||
			    !EVP_DigestFinal_ex(c, out + 32 * k, &n))
				return 0;
		} else if (is_wide(i)) {
			if (verity_sha256_mb(mb, i - VERITY_SHA256_IMB_SSE, salt, CAL_SALT, true, data + k * CAL_BLOCK,
					     ways, CAL_BLOCK, out + 32 * k))
				return 0;
		} else {
			verity_sha256_ni(salt, CAL_SALT, true, data + k * CAL_BLOCK, ways, CAL_BLOCK, out + 32 * k);
		}
	}
	return (now() - t0) / blocks;
}

/* Each supported path's rate (bytes/s) into rate[]; false if the measurement could not
 * run (out of memory): then OpenSSL alone, which needs none. */
static bool measure(double rate[VERITY_SHA256_NIMPL])
{
	double best[VERITY_SHA256_NIMPL] = { 0 };
	uint8_t salt[CAL_SALT], *data = malloc((size_t)CAL_BLOCKS * CAL_BLOCK), *out = malloc(32 * CAL_BLOCKS);
	EVP_MD_CTX *prefix = EVP_MD_CTX_new(), *ctx = EVP_MD_CTX_new();
	struct verity_sha256_mb *mb = verity_sha256_mb_new();   /* NULL: the library's paths fail, not chosen */
	bool ok = data && out && prefix && ctx && EVP_DigestInit_ex(prefix, EVP_sha256(), NULL);

	for (unsigned i = 0; i < CAL_SALT; i++)
		salt[i] = (uint8_t)(i * 37 + 11);
	ok = ok && EVP_DigestUpdate(prefix, salt, CAL_SALT);
	if (!ok)
		goto out;
	for (size_t i = 0; i < (size_t)CAL_BLOCKS * CAL_BLOCK; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 11));
	for (unsigned round = 0; round < CAL_ROUNDS; round++)
		for (unsigned k = 0; k < VERITY_SHA256_NIMPL; k++) {
			/* a different first candidate each round: none always runs right after a pause */
			enum verity_sha256_impl i = (k + round) % VERITY_SHA256_NIMPL;
			if (!verity_sha256_impl_supported(i))
				continue;
			double t = time_one(i, salt, data, prefix, ctx, mb, out);
			if (t > 0 && (best[i] == 0 || t < best[i]))
				best[i] = t;
		}
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++)
		if (best[i] > 0)
			rate[i] = CAL_BLOCK / best[i];
out:
	verity_sha256_mb_free(mb);
	EVP_MD_CTX_free(prefix);
	EVP_MD_CTX_free(ctx);
	free(data);
	free(out);
	return ok;
}

static struct verity_sha256_choice calibrated;

static void calibrate(void)
{
	struct verity_sha256_choice *c = &calibrated;
	unsigned candidates = 0;

	memset(c, 0, sizeof(*c));
	c->impl = c->small = VERITY_SHA256_OPENSSL;
	c->min_batch = 1;
	for (int i = 0; i < VERITY_SHA256_NIMPL; i++)
		candidates += verity_sha256_impl_supported(i);
	if (candidates < 2)    /* OpenSSL alone: nothing to choose from */
		return;
	if (verity_sha256_cache_load(c->rate)) {
		c->cached = true;
	} else {
		if (!measure(c->rate)) {
			memset(c->rate, 0, sizeof(c->rate));
			return;
		}
		verity_sha256_cache_store(c->rate);
	}
	/* the fastest path that hashes one block at its full rate handles remainders */
	for (int i = VERITY_SHA256_OPENSSL; i <= VERITY_SHA256_NI4; i++)
		if (c->rate[i] > c->rate[c->small])
			c->small = i;
	c->impl = c->small;
	for (int i = VERITY_SHA256_IMB_SSE; i < VERITY_SHA256_NIMPL; i++)
		if (c->rate[i] > c->rate[c->impl])
			c->impl = i;
	if (is_wide(c->impl)) {
		/* a group of lanes costs about the same for any count: worth it from k blocks on
		 * where GROUP / rate(wide) < k / rate(small) */
		c->min_batch = (unsigned)(VERITY_SHA256_MB_GROUP * c->rate[c->small] / c->rate[c->impl]) + 1;
		if (c->min_batch > VERITY_SHA256_MB_GROUP)
			c->min_batch = VERITY_SHA256_MB_GROUP;
	}
}

const char *verity_sha256_choice_source(const struct verity_sha256_choice *c)
{
	return c->forced ? "forced" : c->cached ? "cached" : "calibrated";
}

int verity_sha256_choose(struct verity_sha256_choice *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const char *why = NULL;
	int forced = env_impl(&why);

	if (forced == -EINVAL) {
		udm_log(LOG_ERR, "%s: '%s'", why, getenv("UDM_SHA256_IMPL"));
		return -EINVAL;
	}
	if (forced >= 0) {
		memset(out, 0, sizeof(*out));
		out->impl = (enum verity_sha256_impl)forced;
		/* a forced path runs every batch and every single block */
		out->small = (enum verity_sha256_impl)forced;
		out->min_batch = 1;
		out->forced = true;
		return 0;
	}
	pthread_once(&once, calibrate);
	*out = calibrated;
	return 0;
}
