/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/verity: dm-verity on-disk format, hash tree and FEC (the module's table of contents). */
#ifndef UDM_VERITY_H
#define UDM_VERITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Format limits (cryptsetup lib/verity, kernel dm-verity). */
#define VERITY_SB_SIZE          512u
#define VERITY_MAX_LEVELS       63u
#define VERITY_MAX_SALT_SIZE    256u
#define VERITY_MAX_DIGEST_SIZE  64u      /* EVP_MAX_MD_SIZE */
#define VERITY_MIN_BLOCK_SIZE   512u
#define VERITY_MAX_BLOCK_SIZE   (512u * 1024u)
#define VERITY_MAX_HASH_TYPE    1u
#define VERITY_FEC_RSM          255u
#define VERITY_FEC_MIN_ROOTS    2u
#define VERITY_FEC_MAX_ROOTS    24u
#define VERITY_FEC_DEFAULT_ROOTS 2u

/* Everything that defines one verity image, superblock or not. */
struct verity_params {
	uint32_t hash_type;              /* 0 = Chrome OS (salt after data), 1 = normal */
	char hash_name[32];              /* lowercase, NUL-terminated */
	uint32_t data_block_size;
	uint32_t hash_block_size;
	uint64_t data_blocks;
	uint64_t hash_area_offset;       /* bytes: superblock (or tree, without one) */
	bool no_superblock;
	uint16_t salt_size;
	uint8_t salt[VERITY_MAX_SALT_SIZE];
	uint8_t uuid[16];
};

/* Where reads come from: any device readable by byte offset. The fd form serves the CLI;
 * the verity target wraps udm_blockdev_pread. pread must fill all len bytes or fail. */
struct verity_source {
	int (*pread)(void *dev, void *buf, size_t len, uint64_t off);   /* 0 or -errno */
	void *dev;
};
struct verity_source verity_source_fd(int fd);
int verity_source_read(const struct verity_source *s, void *buf, size_t len, uint64_t off);
/* A device format and verify read and write: a file descriptor, or (fd < 0) a
 * caller's device (an NBD export) through pread/pwrite, each of which must
 * transfer all len bytes or fail. */
struct verity_io {
	int fd;
	void *dev;
	int (*pread)(void *dev, void *buf, size_t len, uint64_t off);
	int (*pwrite)(void *dev, const void *buf, size_t len, uint64_t off);   /* NULL: read-only */
};
struct verity_io verity_io_fd(int fd);
int verity_io_read(const struct verity_io *d, void *buf, size_t len, uint64_t off);
int verity_io_write(const struct verity_io *d, const void *buf, size_t len, uint64_t off);

/* --- superblock.c: the 512-byte header ------------------------------------ */
bool verity_block_size_ok(uint32_t bs);
/* Encode/decode; decode returns 0 or a negative errno and fills *why with a
 * veritysetup-worded static message. */
void verity_sb_encode(const struct verity_params *p, uint8_t out[VERITY_SB_SIZE]);
int verity_sb_decode(const uint8_t in[VERITY_SB_SIZE], struct verity_params *p, const char **why);
int verity_sb_read(int fd, uint64_t offset, struct verity_params *p, const char **why);
int verity_sb_write(int fd, const struct verity_params *p);
/* The same on a verity_io; size: the device's size in bytes (a superblock past
 * it is "not a valid VERITY device", as a short read is for a file). */
int verity_sb_read_io(const struct verity_io *d, uint64_t size, uint64_t offset, struct verity_params *p,
		      const char **why);
int verity_sb_write_io(const struct verity_io *d, const struct verity_params *p);
int verity_uuid_parse(const char *s, uint8_t out[16]);
void verity_uuid_unparse(const uint8_t uuid[16], char out[37]);
int verity_uuid_generate(uint8_t out[16]);

/* --- geometry.c: where every level of the tree lives ----------------------- */
struct verity_geometry {
	unsigned digest_size;            /* D */
	unsigned stride;                 /* bytes between digests in a hash block */
	unsigned hash_per_block_bits;
	unsigned hash_per_block;         /* 2^bits */
	unsigned levels;
	uint64_t hash_start;             /* first tree block, in hash blocks */
	uint64_t hash_blocks;            /* T: all tree blocks */
	uint64_t level_block[VERITY_MAX_LEVELS]; /* absolute hash-block index, 0 = leaves */
	uint64_t level_size[VERITY_MAX_LEVELS];
};
/* -EINVAL on an impossible or overflowing layout ("Hash area overflow."). */
int verity_geometry_init(struct verity_geometry *g, const struct verity_params *p, unsigned digest_size);
/* End of the tree in bytes on the hash device: (hash_start + T) * hbs. */
int verity_geometry_hash_end(const struct verity_geometry *g, const struct verity_params *p, uint64_t *bytes);
/* Byte offset on the hash device of the digest for block `idx` of level `level`'s input. */
uint64_t verity_geometry_digest_offset(const struct verity_geometry *g, const struct verity_params *p,
				       unsigned level, uint64_t idx);

/* --- hash.c: the salted block digest ------------------------------------- */
struct verity_hasher;
int verity_hasher_new(const char *name, uint32_t hash_type, const uint8_t *salt, size_t salt_size,
		      struct verity_hasher **out);
void verity_hasher_free(struct verity_hasher *h);
unsigned verity_hasher_digest_size(const struct verity_hasher *h);
/* digest size of a digest name, 0 if unknown to OpenSSL or unusable for verity. */
unsigned verity_digest_size(const char *name);
/* A per-thread scratch context; hashing is thread-safe with one per thread. */
void *verity_hasher_ctx_new(void);
void verity_hasher_ctx_free(void *ctx);
/* After a hash was cut short (a SIGBUS in a mapped block jumped out of it): drops state
 * the hash may have left half-done, so the context can go on. */
void verity_hasher_ctx_reset(void *ctx);
int verity_hash_block(const struct verity_hasher *h, void *ctx, const void *block, size_t len, uint8_t *digest);
/* Digests of n consecutive blocks of len bytes each (digest i at digests + i * digest size). */
int verity_hash_blocks(const struct verity_hasher *h, void *ctx, const void *blocks, size_t n, size_t len,
		       uint8_t *digests);

/* Slots: where the chosen path hashes whole messages (libipsec-mb) and the salt is not
 * empty, a reader can put each block beside its salt itself and spare the hasher a copy.
 * Slot i is `stride` bytes at slots + i * stride, its block at data_off; false: no such
 * layout, hash the blocks as they are. */
bool verity_hasher_slot_layout(const struct verity_hasher *h, size_t len, size_t *stride, size_t *data_off);
/* writes the salt into n slots (once: reading blocks into them leaves it alone) */
void verity_hasher_slots_init(const struct verity_hasher *h, uint8_t *slots, size_t n, size_t len);
/* as verity_hash_blocks, for n blocks in slots */
int verity_hash_slots(const struct verity_hasher *h, void *ctx, const uint8_t *slots, size_t n, size_t len,
		      uint8_t *digests);

/* --- sha256_ni.c: up to four salted SHA-256 block digests at once (x86 SHA extensions) --- */
/* Kept where it beats libipsec-mb's own SHA-extension path by more than 5 % (bench/README.md):
 * three and four interleaved streams; one or two are no faster than OpenSSL or the library. */
#define VERITY_SHA256_NI_MAX_WAYS 4u
bool verity_sha256_ni_supported(void);
/* digest(salt || block) (salt_first) or digest(block || salt) of n (1..4) consecutive
 * blocks of len bytes; digest i goes to out + 32 * i */
void verity_sha256_ni(const uint8_t *salt, size_t salt_size, bool salt_first, const uint8_t *blocks,
		      unsigned n, size_t len, uint8_t *out);

/* --- sha256_mb.c: salted SHA-256 digests through libipsec-mb (x86-64) ----- */
enum verity_sha256_mb_arch {
	VERITY_SHA256_MB_SSE,            /* with the SHA extensions where the CPU has them */
	VERITY_SHA256_MB_AVX,
	VERITY_SHA256_MB_AVX2,
	VERITY_SHA256_MB_AVX512,
	VERITY_SHA256_MB_NARCH
};
/* The longest message libipsec-mb 1.3 hashes ("Invalid authentication message length"
 * beyond): blocks of 64 KiB and more, with their salt, go to a path of sha256_select.c
 * outside the library. */
#define VERITY_SHA256_MB_MAX_MSG 65534u
/* jobs submitted before each flush (a multiple of every manager's lane count) */
#define VERITY_SHA256_MB_GROUP 16u
/* false where the CPU, or this build (not x86-64, IPSEC_MB=0), lacks that manager */
bool verity_sha256_mb_supported(enum verity_sha256_mb_arch a);
/* the library's version ("none" without it) and the CPU features it found (0) */
const char *verity_sha256_mb_version(void);
uint64_t verity_sha256_mb_features(void);
/* One thread's managers and scratch buffers (an IMB_MGR is not thread-safe). NULL
 * without the library or out of memory. */
struct verity_sha256_mb;
struct verity_sha256_mb *verity_sha256_mb_new(void);
void verity_sha256_mb_free(struct verity_sha256_mb *s);      /* back to a pool for the next thread */
/* freed for good: a hash left in the middle (a SIGBUS jumped out of it) leaves jobs queued */
void verity_sha256_mb_discard(struct verity_sha256_mb *s);
/* as verity_sha256_ni, for any n; 0, -EINVAL (path not supported), -ENOMEM or -EIO */
int verity_sha256_mb(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a, const uint8_t *salt,
		     size_t salt_size, bool salt_first, const uint8_t *blocks, size_t n, size_t len, uint8_t *out);

/* n whole messages (salt included) of msg_len bytes, message i at msgs + i * stride, hashed
 * in place */
int verity_sha256_mb_msgs(struct verity_sha256_mb *s, enum verity_sha256_mb_arch a, const uint8_t *msgs,
			  size_t stride, size_t n, size_t msg_len, uint8_t *out);

/* --- sha256_select.c: which SHA-256 path this CPU runs fastest --------------- */
enum verity_sha256_impl {
	VERITY_SHA256_OPENSSL,           /* one block at a time through OpenSSL's EVP */
	VERITY_SHA256_NI3,               /* 3 or 4 SHA-extension streams interleaved (sha256_ni.c) */
	VERITY_SHA256_NI4,
	VERITY_SHA256_IMB_SSE,           /* libipsec-mb's managers (sha256_mb.c), in groups of 16 jobs */
	VERITY_SHA256_IMB_AVX,
	VERITY_SHA256_IMB_AVX2,
	VERITY_SHA256_IMB_AVX512,
	VERITY_SHA256_NIMPL
};
/* "openssl", "ni3", "ni4", "imb-sse", "imb-avx", "imb-avx2", "imb-avx512" (the values of
 * UDM_SHA256_IMPL) */
const char *verity_sha256_impl_name(enum verity_sha256_impl i);
bool verity_sha256_impl_supported(enum verity_sha256_impl i);
/* How blocks are hashed: `impl` for batches, `small` for a remainder of fewer than
 * `min_batch` blocks (a group of libipsec-mb's lanes costs about the same however few are
 * filled) and single blocks. */
struct verity_sha256_choice {
	enum verity_sha256_impl impl, small;
	unsigned min_batch;
	bool forced;                     /* from UDM_SHA256_IMPL, not calibrated */
	bool cached;                     /* the rates came from sha256_cache.c's file */
	double rate[VERITY_SHA256_NIMPL]; /* calibration, bytes/s of 4 KiB blocks; 0 = not run */
};
/* UDM_SHA256_IMPL if set (0, or -EINVAL for an unknown value or a path this CPU lacks,
 * with one error line logged), else the calibration: each supported path hashes a few
 * 4 KiB blocks and the fastest wins. Calibrated once per process (a few ms), or its
 * rates read from the cache of an earlier one. */
int verity_sha256_choose(struct verity_sha256_choice *out);
/* "calibrated", "cached" or "forced": where a choice came from */
const char *verity_sha256_choice_source(const struct verity_sha256_choice *c);

/* --- sha256_cache.c: the calibration's rates kept between processes ---------- */
/* The rates of every supported path, from the cache file (UDM_SHA256_CACHE, else a
 * per-user default) if it was written for this CPU, kernel features and library; false
 * if there is none or it does not fit. */
bool verity_sha256_cache_load(double rate[VERITY_SHA256_NIMPL]);
/* Replace the cache file with these rates; failures are ignored. */
void verity_sha256_cache_store(const double rate[VERITY_SHA256_NIMPL]);
/* Only the check of UDM_SHA256_IMPL, for a CLI that refuses bad input before doing
 * anything; *why gets a static message on -EINVAL. */
int verity_sha256_env_check(const char **why);

/* --- helper.c: a helper thread for the second half of a large read ----------- */
struct verity_helper;
/* NULL on a one-CPU machine or out of memory (then verity_helper_pair is always -EBUSY) */
struct verity_helper *verity_helper_new(void);
void verity_helper_free(struct verity_helper *s);
/* fn(theirs) on the helper thread (started at the first call) while fn(mine) runs here;
 * returns fn(mine) and sets *theirs_r. -EBUSY, having run nothing, when the helper is
 * serving another caller or there is none. */
int verity_helper_pair(struct verity_helper *s, int (*fn)(void *arg), void *mine, void *theirs, int *theirs_r);

/* --- readahead.c: sequential reads verified ahead on worker threads --------- */
struct verity_ra;
/* Read and verify blocks [first, first + count) into buf; 0 only if every block verified.
 * A failed data block is not repaired, logged or reported: the reader's own read does that. */
typedef int (*verity_ra_fill_fn)(void *owner, uint64_t first, uint64_t count, void *buf);
/* NULL on a one-CPU machine, for blocks over 128 KiB, or out of memory */
struct verity_ra *verity_ra_new(uint64_t nblocks, size_t block_size, verity_ra_fill_fn fill, void *owner);
void verity_ra_free(struct verity_ra *ra);
/* Copy blocks [first, first + count) into buf if they were verified ahead (waiting for
 * chunks being verified), and keep verifying ahead of a sequential reader; false: the
 * caller reads them itself. */
bool verity_ra_read(struct verity_ra *ra, uint64_t first, uint64_t count, void *buf);
/* Drop everything verified ahead (the table is suspended); returns once no chunk is being
 * filled (no read of the data device in flight). */
void verity_ra_forget(struct verity_ra *ra);
struct verity_ra_stats {
	uint64_t hits;                   /* requests served from verified chunks */
	uint64_t filled, dropped;        /* chunks verified ahead; discarded (failure, forget) */
};
void verity_ra_stats(struct verity_ra *ra, struct verity_ra_stats *st);   /* zeroes for NULL */

/* --- mapread.c: read a file through a mapping, SIGBUS turned into -EIO ----- */
struct verity_map {
	const uint8_t *data;             /* the requested bytes */
	size_t len;
	void *base;                      /* the page-aligned mapping around them */
	size_t base_len;
};
/* Maps len bytes of fd at off (any alignment), read-only and shared; -errno on failure. */
int verity_map_open(int fd, uint64_t off, size_t len, struct verity_map *m);
void verity_map_close(struct verity_map *m);
/* Runs fn(arg), which may read m->data; returns its result, or -EIO if the mapped file
 * shrank and an access hit a page past its end (SIGBUS), instead of dying. */
int verity_map_guarded(const struct verity_map *m, int (*fn)(void *arg), void *arg);

/* --- build.c: whole-tree create and verify, multithreaded ---------------- */
struct verity_report {                   /* where and why verification failed */
	char message[128];               /* veritysetup wording, without newline */
};
/* Writes the tree on hash_fd and returns the root digest. data_fd and hash_fd
 * may refer to the same file. threads = 0: one per online CPU. */
int verity_tree_create(const struct verity_params *p, int data_fd, int hash_fd,
		       unsigned threads, uint8_t *root);
/* 0 if the tree matches the data and root; -EPERM on a mismatch inside the
 * tree or spare area, -EFAULT on a root mismatch, -EIO on read errors. */
int verity_tree_check(const struct verity_params *p, int data_fd, int hash_fd,
		      unsigned threads, const uint8_t *root, struct verity_report *rep);
/* The same on devices that need not be file descriptors. */
int verity_tree_create_io(const struct verity_params *p, const struct verity_io *data,
			  const struct verity_io *hash, unsigned threads, uint8_t *root);
int verity_tree_check_io(const struct verity_params *p, const struct verity_io *data,
			 const struct verity_io *hash, unsigned threads, const uint8_t *root,
			 struct verity_report *rep);

/* --- fec.c + rs.c: Reed-Solomon parity (veritysetup --fec-device) -------- */
struct verity_fec_params {
	int fd;                          /* parity device (written by encode) */
	struct verity_source parity;     /* reads of the parity; pread NULL = read fd */
	uint64_t offset;                 /* bytes (--fec-offset) */
	unsigned roots;
	uint64_t blocks;                 /* message blocks covered (fec_blocks) */
};
/* fec_blocks as cryptsetup chooses it, given the hash device size in bytes. */
int verity_fec_blocks(const struct verity_params *p, const struct verity_geometry *g,
		      uint64_t hash_dev_size, bool fec_on_hash_dev, uint64_t fec_offset, uint64_t *blocks);
uint64_t verity_fec_rs_blocks(uint64_t fec_blocks, unsigned roots);
int verity_fec_encode(const struct verity_params *p, const struct verity_geometry *g,
		      const struct verity_fec_params *f, int data_fd, int hash_fd, unsigned threads);
/* What a check of the whole parity found. */
struct verity_fec_report {
	uint64_t corrected;              /* byte errors found */
	uint64_t bad_round;              /* with -EILSEQ: the first RS round beyond repair */
};
/* Decode every codeword. -EILSEQ if any codeword is beyond repair. */
int verity_fec_check(const struct verity_params *p, const struct verity_geometry *g,
		     const struct verity_fec_params *f, int data_fd, int hash_fd,
		     unsigned threads, struct verity_fec_report *rep);
/* Rebuild message block `idx` (data block, or data_blocks + j for hash block
 * hash_start + j) into out (block size bytes). */
int verity_fec_correct_block(const struct verity_params *p, const struct verity_geometry *g,
			     const struct verity_fec_params *f, int data_fd, int hash_fd,
			     uint64_t idx, uint8_t *out, unsigned *nerrors);
int verity_fec_correct_block_src(const struct verity_params *p, const struct verity_geometry *g,
				 const struct verity_fec_params *f, const struct verity_source *data,
				 const struct verity_source *hash, uint64_t idx, uint8_t *out, unsigned *nerrors);

/* RS(255, 255-roots) over GF(2^8), poly 0x11d, fcr 0, prim 1. */
struct verity_rs;
int verity_rs_new(unsigned roots, struct verity_rs **out);
void verity_rs_free(struct verity_rs *rs);
/* Encode `n` interleaved codewords at once: msg[i][p] is byte i of codeword p. */
void verity_rs_encode(const struct verity_rs *rs, const uint8_t *const *msg, size_t n, uint8_t *parity);
/* Correct one codeword (255 bytes: message then parity) in place;
 * returns number of corrected symbols, or -EILSEQ. */
int verity_rs_decode(const struct verity_rs *rs, uint8_t *codeword);

/* --- tree.c: random-access verified reads (for the verity target) -------- */
struct verity_tree;
struct verity_tree_options {
	size_t cache_blocks;             /* verified hash blocks kept (0 = default) */
	const struct verity_fec_params *fec; /* NULL = no correction */
	bool ignore_zero_blocks;         /* a block whose digest is that of zeroes reads as zeroes */
	bool check_at_most_once;         /* verify each data block once (a bitmap remembers) */
	bool readahead;                  /* verify ahead of sequential range reads (readahead.c) */
};
/* Where a verified read failed: for the target's error handling and messages. */
struct verity_read_fault {
	bool corrupt;                    /* a digest mismatch (not a read error) */
	bool metadata;                   /* in a hash block rather than the data block */
	uint64_t block;                  /* data block index, or absolute hash block number */
	uint64_t index;                  /* the data block whose read failed */
};
int verity_tree_open(const struct verity_params *p, int data_fd, int hash_fd, const uint8_t *root,
		     const struct verity_tree_options *opt, struct verity_tree **out);
/* Same on caller-provided devices; the sources are copied, their devices must outlive the tree. */
int verity_tree_open_src(const struct verity_params *p, const struct verity_source *data,
			 const struct verity_source *hash, const uint8_t *root,
			 const struct verity_tree_options *opt, struct verity_tree **out);
void verity_tree_close(struct verity_tree *t);
/* Read data block n into buf (data_block_size bytes) and verify it; -EIO on
 * a mismatch that FEC cannot repair. Safe to call from many threads. */
int verity_tree_read(struct verity_tree *t, uint64_t n, void *buf);
/* Same, reporting where a failure happened (fault may be NULL). */
int verity_tree_read_fault(struct verity_tree *t, uint64_t n, void *buf, struct verity_read_fault *fault);
/* Read and verify data blocks first..first+count-1 into buf: one read of the data, one
 * tree walk per leaf hash block, digests computed in batches. On failure, fault (may be
 * NULL) says where as verity_tree_read_fault would for data block fault->index: the
 * blocks before it are verified and returned, the rest of buf is zeroed. -EBADMSG on a
 * digest mismatch (data or hash block), other negative errno otherwise. */
int verity_tree_read_range(struct verity_tree *t, uint64_t first, uint64_t count, void *buf,
			   struct verity_read_fault *fault);
/* Forget every verified hash block (the kernel resets dm-bufio at postsuspend). */
void verity_tree_forget(struct verity_tree *t);
const struct verity_geometry *verity_tree_geometry(const struct verity_tree *t);
uint64_t verity_tree_corrected(const struct verity_tree *t);   /* FEC repairs so far */
void verity_tree_ra_stats(struct verity_tree *t, struct verity_ra_stats *st);   /* zeroes without */

/* --- sig.c: root-hash signatures, held per udm context ------------------- */
/* (each context's keyring is the verity target's: udm_verity_keyring() in
 * targets/verity_keys.h; a NULL keyring, one that could not be made, trusts
 * nobody and requires signatures) */
#define VERITY_MAX_SIG_SIZE (64u * 1024u)
/* The keys, trusted certificates and require_signatures of one context (the
 * kernel holds them in process-global keyrings and a module parameter). */
struct verity_keyring;
struct verity_keyring *verity_keyring_new(void);
void verity_keyring_free(struct verity_keyring *kr);
/* The user-key analog: `udm verity open` stores the signature under a
 * description that the table names with root_hash_sig_key_desc. */
int verity_key_add(struct verity_keyring *kr, const char *desc, const void *data, size_t len);
int verity_key_remove(struct verity_keyring *kr, const char *desc);
int verity_key_get(struct verity_keyring *kr, const char *desc, uint8_t **data, size_t *len);   /* caller frees */
/* Trusted certificates (PEM file or directory; NULL = none) and dm_verity.require_signatures. */
int verity_sig_configure(struct verity_keyring *kr, const char *trusted_certs, bool require, char *reason,
			 size_t rsize);
bool verity_sig_required(struct verity_keyring *kr);
/* Detached PKCS#7 over the root hash hex string as written in the table:
 * 0, or -EBADMSG/-EKEYREJECTED/-ENOKEY/-EINVAL with a reason. */
int verity_sig_verify(struct verity_keyring *kr, const char *root_hex, const uint8_t *sig, size_t sig_len,
		      char *reason, size_t rsize);

/* --- hex helpers (decoding: util/hex.h) ---------------------------------- */
void verity_hex_encode(const uint8_t *in, size_t len, char *out);

#endif
