/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The salted block digest of dm-verity: H(salt || block) for type 1, H(block || salt) for type 0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include "verity/verity.h"

struct verity_hasher {
	EVP_MD *md;
	EVP_MD_CTX *prefix;        /* initialised, and pre-fed with the salt for type 1 */
	uint32_t hash_type;
	unsigned digest_size;
	bool sha256;               /* plain SHA-256: the paths of sha256_select.c apply */
	struct verity_sha256_choice path;
	size_t salt_size;
	uint8_t salt[VERITY_MAX_SALT_SIZE];
};

/* Digests such as whirlpool live in OpenSSL 3's legacy provider, which cryptsetup's
 * OpenSSL backend also loads. udm loads it into a library context of its own, once and
 * only when a name is not found, so the process-wide default context stays as it was.
 * The handles are kept in statics: they live until exit, reachable. */
static OSSL_LIB_CTX *legacy_ctx;
static OSSL_PROVIDER *legacy_prov, *legacy_default_prov;

static void load_legacy_provider(void)
{
	legacy_ctx = OSSL_LIB_CTX_new();
	if (!legacy_ctx)
		return;
	legacy_prov = OSSL_PROVIDER_load(legacy_ctx, "legacy");
	legacy_default_prov = OSSL_PROVIDER_load(legacy_ctx, "default");
}

static EVP_MD *fetch_md(const char *name)
{
	static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);

	if (!md) {
		ERR_clear_error();
		pthread_once(&legacy_once, load_legacy_provider);
		if (legacy_ctx && legacy_prov)
			md = EVP_MD_fetch(legacy_ctx, name, NULL);
	}
	if (!md) {
		ERR_clear_error();
		return NULL;
	}
	/* XOFs (shake*) are used at their default output length, as veritysetup does */
	if (EVP_MD_get_size(md) <= 0 || EVP_MD_get_size(md) > (int)VERITY_MAX_DIGEST_SIZE) {
		EVP_MD_free(md);
		return NULL;
	}
	return md;
}

/* "sha256", the default and by far the commonest name, is known without asking OpenSSL:
 * OpenSSL's initialisation (its configuration file, providers and name tables) costs a few
 * milliseconds that a hasher on the SHA extensions or libipsec-mb never otherwise needs.
 * Every other spelling (SHA256, SHA2-256, ...) goes through OpenSSL, as before. */
static bool plain_sha256(const char *name)
{
	return strcmp(name, "sha256") == 0;
}

unsigned verity_digest_size(const char *name)
{
	EVP_MD *md;
	unsigned n;

	if (!name || !*name)
		return 0;
	if (plain_sha256(name))
		return 32;
	md = fetch_md(name);
	if (!md)
		return 0;
	n = (unsigned)EVP_MD_get_size(md);
	EVP_MD_free(md);
	return n;
}

int verity_hasher_new(const char *name, uint32_t hash_type, const uint8_t *salt, size_t salt_size,
		      struct verity_hasher **out)
{
	struct verity_hasher *h;

	*out = NULL;
	if (salt_size > VERITY_MAX_SALT_SIZE || hash_type > VERITY_MAX_HASH_TYPE)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->hash_type = hash_type;
	h->salt_size = salt_size;
	if (salt_size)
		memcpy(h->salt, salt, salt_size);
	bool plain = plain_sha256(name);
	if (!plain && !(h->md = fetch_md(name))) {
		free(h);
		return -ENOENT;
	}
	h->digest_size = plain ? 32 : (unsigned)EVP_MD_get_size(h->md);
	if (plain || (EVP_MD_is_a(h->md, "SHA2-256") && h->digest_size == 32)) {
		/* the same choice for format, verify and verified reads: one per process */
		int r = verity_sha256_choose(&h->path);
		if (r) {
			verity_hasher_free(h);
			return r;
		}
		h->sha256 = true;
	}
	/* no block ever goes to OpenSSL where the single blocks (and the messages too long for
	 * libipsec-mb) take the SHA extensions and batches do not take OpenSSL */
	bool ni_small = h->path.small == VERITY_SHA256_NI3 || h->path.small == VERITY_SHA256_NI4;
	if (plain && ni_small && h->path.impl != VERITY_SHA256_OPENSSL) {
		*out = h;
		return 0;
	}
	if (plain && !(h->md = fetch_md(name))) {
		verity_hasher_free(h);
		return -ENOENT;
	}
	h->prefix = EVP_MD_CTX_new();
	if (!h->prefix || !EVP_DigestInit_ex2(h->prefix, h->md, NULL) ||
	    (hash_type == 1 && salt_size && !EVP_DigestUpdate(h->prefix, salt, salt_size))) {
		verity_hasher_free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void verity_hasher_free(struct verity_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->prefix);
	EVP_MD_free(h->md);
	free(h);
}

unsigned verity_hasher_digest_size(const struct verity_hasher *h)
{
	return h->digest_size;
}

/* One thread's scratch: OpenSSL's context, and libipsec-mb's managers made at first use. */
struct hash_ctx {
	EVP_MD_CTX *evp;
	struct verity_sha256_mb *mb;
	bool mb_failed;            /* verity_sha256_mb_new failed: not retried */
};

void *verity_hasher_ctx_new(void)
{
	struct hash_ctx *c = calloc(1, sizeof(*c));

	if (c && !(c->evp = EVP_MD_CTX_new())) {
		free(c);
		return NULL;
	}
	return c;
}

void verity_hasher_ctx_free(void *ctx)
{
	struct hash_ctx *c = ctx;

	if (!c)
		return;
	EVP_MD_CTX_free(c->evp);
	verity_sha256_mb_free(c->mb);
	free(c);
}

void verity_hasher_ctx_reset(void *ctx)
{
	struct hash_ctx *c = ctx;

	verity_sha256_mb_discard(c->mb);
	c->mb = NULL;
	c->mb_failed = false;
}

static int openssl_block(const struct verity_hasher *h, void *ctx, const void *block, size_t len, uint8_t *digest)
{
	EVP_MD_CTX *c = ((struct hash_ctx *)ctx)->evp;
	unsigned n = 0;

	if (!h->prefix)   /* verity_hasher_new found no use for OpenSSL: never a digest unmade */
		return -EIO;
	/* copying the salted prefix state saves re-hashing the salt for every block */
	if (!EVP_MD_CTX_copy_ex(c, h->prefix) || !EVP_DigestUpdate(c, block, len))
		return -EIO;
	if (h->hash_type == 0 && h->salt_size && !EVP_DigestUpdate(c, h->salt, h->salt_size))
		return -EIO;
	if (!EVP_DigestFinal_ex(c, digest, &n) || n != h->digest_size)
		return -EIO;
	return 0;
}

/* n blocks through one path */
static int hash_with(const struct verity_hasher *h, enum verity_sha256_impl impl, void *ctx, const uint8_t *b,
		     size_t n, size_t len, uint8_t *digests)
{
	size_t i = 0;

	if (impl >= VERITY_SHA256_IMB_SSE && h->salt_size + len > VERITY_SHA256_MB_MAX_MSG)
		/* too long for the library: the one-block path, or OpenSSL where that is the library too */
		impl = h->path.small < VERITY_SHA256_IMB_SSE ? h->path.small : VERITY_SHA256_OPENSSL;
	if (impl >= VERITY_SHA256_IMB_SSE && impl <= VERITY_SHA256_IMB_AVX512) {
		struct hash_ctx *c = ctx;
		if (!c->mb && !c->mb_failed && !(c->mb = verity_sha256_mb_new()))
			c->mb_failed = true;
		if (!c->mb)
			return -ENOMEM;
		return verity_sha256_mb(c->mb, impl - VERITY_SHA256_IMB_SSE, h->salt, h->salt_size, h->hash_type == 1,
					b, n, len, digests);
	}
	if (impl == VERITY_SHA256_NI3 || impl == VERITY_SHA256_NI4) {
		unsigned ways = impl == VERITY_SHA256_NI3 ? 3 : 4;
		/* full groups, then the remainder side by side too: a short group still beats OpenSSL */
		for (; i < n; i += ways) {
			unsigned k = n - i < ways ? (unsigned)(n - i) : ways;
			verity_sha256_ni(h->salt, h->salt_size, h->hash_type == 1, b + i * len, k, len, digests + i * 32);
		}
		return 0;
	}
	for (; i < n; i++) {
		int r = openssl_block(h, ctx, b + i * len, len, digests + i * h->digest_size);
		if (r)
			return r;
	}
	return 0;
}

int verity_hash_block(const struct verity_hasher *h, void *ctx, const void *block, size_t len, uint8_t *digest)
{
	if (h->sha256)
		return hash_with(h, h->path.small, ctx, block, 1, len, digest);
	return openssl_block(h, ctx, block, len, digest);
}

int verity_hash_blocks(const struct verity_hasher *h, void *ctx, const void *blocks, size_t n, size_t len,
		       uint8_t *digests)
{
	const uint8_t *b = blocks;
	size_t wide;
	int r;

	if (!h->sha256)
		return hash_with(h, VERITY_SHA256_OPENSSL, ctx, b, n, len, digests);
	if (h->path.min_batch <= 1)
		return hash_with(h, h->path.impl, ctx, b, n, len, digests);
	/* a wide path costs a whole group of lanes however few are filled: full groups
	 * there, and a remainder too small to pay for a group through the one-block path */
	wide = n / VERITY_SHA256_MB_GROUP * VERITY_SHA256_MB_GROUP;
	if (n - wide >= h->path.min_batch)
		wide = n;
	r = wide ? hash_with(h, h->path.impl, ctx, b, wide, len, digests) : 0;
	if (!r && wide < n)
		r = hash_with(h, h->path.small, ctx, b + wide * len, n - wide, len, digests + wide * 32);
	return r;
}

/* Slot layout: for type 1 the salt ends, and the block starts, on a cache-line boundary
 * (a copy into an aligned destination runs at full speed; the library loads the message
 * unaligned either way). */
static size_t msg_offset(const struct verity_hasher *h)
{
	return h->hash_type == 1 ? (64 - h->salt_size % 64) % 64 : 0;
}

bool verity_hasher_slot_layout(const struct verity_hasher *h, size_t len, size_t *stride, size_t *data_off)
{
	if (!h->sha256 || h->path.impl < VERITY_SHA256_IMB_SSE || !h->salt_size ||
	    h->salt_size + len > VERITY_SHA256_MB_MAX_MSG)
		return false;
	*data_off = h->hash_type == 1 ? msg_offset(h) + h->salt_size : 0;
	*stride = (msg_offset(h) + h->salt_size + len + 63) & ~(size_t)63;
	return true;
}

void verity_hasher_slots_init(const struct verity_hasher *h, uint8_t *slots, size_t n, size_t len)
{
	size_t stride, off;

	if (!verity_hasher_slot_layout(h, len, &stride, &off))
		return;
	for (size_t i = 0; i < n; i++)
		memcpy(slots + i * stride + (h->hash_type == 1 ? msg_offset(h) : len), h->salt, h->salt_size);
}

int verity_hash_slots(const struct verity_hasher *h, void *ctx, const uint8_t *slots, size_t n, size_t len,
		      uint8_t *digests)
{
	struct hash_ctx *c = ctx;
	size_t stride, off, wide;
	int r = 0;

	if (!verity_hasher_slot_layout(h, len, &stride, &off))
		return -EINVAL;
	/* as verity_hash_blocks: whole groups of jobs, a small remainder one block at a time */
	wide = n / VERITY_SHA256_MB_GROUP * VERITY_SHA256_MB_GROUP;
	if (n - wide >= h->path.min_batch)
		wide = n;
	if (wide) {
		if (!c->mb && !c->mb_failed && !(c->mb = verity_sha256_mb_new()))
			c->mb_failed = true;
		if (!c->mb)
			return -ENOMEM;
		r = verity_sha256_mb_msgs(c->mb, h->path.impl - VERITY_SHA256_IMB_SSE, slots + msg_offset(h), stride,
					  wide, h->salt_size + len, digests);
	}
	for (size_t i = wide; !r && i < n; i++)
		r = hash_with(h, h->path.small, ctx, slots + i * stride + off, 1, len, digests + i * 32);
	return r;
}
