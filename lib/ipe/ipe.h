/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPE in user space: policy parser, evaluation (linear and indexed), audit
 * records, PKCS#7 policy signatures and the persistent policy store.
 * Library errors are negative errno values, as the kernel's security/ipe/. */
#ifndef UDM_IPE_H
#define UDM_IPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/pkcs7.h"

/* ---- Policy model (kernel policy.h order: the enum values matter) ---- */

enum ipe_op {
	IPE_OP_EXECUTE = 0,
	IPE_OP_FIRMWARE,
	IPE_OP_KMODULE,
	IPE_OP_KEXEC_IMAGE,
	IPE_OP_KEXEC_INITRAMFS,
	IPE_OP_POLICY,
	IPE_OP_X509_CERT,
	IPE_OP_INVALID,		/* an unmapped kernel read/load id: global default only */
};
#define IPE_OP_COUNT 7

enum ipe_action { IPE_ACTION_ALLOW = 0, IPE_ACTION_DENY, IPE_ACTION_UNSET };

enum ipe_prop_type {
	IPE_PROP_BOOT_VERIFIED_FALSE = 0,
	IPE_PROP_BOOT_VERIFIED_TRUE,
	IPE_PROP_DMV_ROOTHASH,
	IPE_PROP_DMV_SIG_FALSE,
	IPE_PROP_DMV_SIG_TRUE,
	IPE_PROP_FSV_DIGEST,
	IPE_PROP_FSV_SIG_FALSE,
	IPE_PROP_FSV_SIG_TRUE,
};

/* Hooks, by their audit names (ipe_hook_name). BPRM_CREDS_FOR_EXEC (6.14+,
 * AT_EXECVE_CHECK) comes last so that the numbers of the others stay what
 * udm's BPF programs already send. */
enum ipe_hook { IPE_HOOK_BPRM_CHECK = 0, IPE_HOOK_MMAP, IPE_HOOK_MPROTECT,
		IPE_HOOK_KERNEL_READ, IPE_HOOK_KERNEL_LOAD, IPE_HOOK_BPRM_CREDS_FOR_EXEC };

struct ipe_digest {
	char *alg;		/* verbatim text before the first ':', may be "" */
	uint8_t *bytes;
	size_t len;		/* 0 is legal ("sha256:") and never matches */
};

struct ipe_prop {
	enum ipe_prop_type type;
	struct ipe_digest digest;	/* DMV_ROOTHASH and FSV_DIGEST only */
};

struct ipe_rule {
	enum ipe_op op;
	enum ipe_action action;
	unsigned line;		/* 1-based line in the policy text */
	size_t nprops;
	struct ipe_prop *props;	/* policy order */
};

struct ipe_index;		/* index.c */

struct ipe_op_table {
	struct ipe_rule *rules;	/* file order */
	size_t nrules, cap;
	enum ipe_action default_action;
	struct ipe_index *index;
};

struct ipe_policy {
	char *name;
	uint16_t version[3];	/* major, minor, rev */
	enum ipe_action global_default;
	struct ipe_op_table ops[IPE_OP_COUNT];
	size_t nrules;
	char *text;		/* all textlen bytes given (parsing stopped at a NUL), + NUL */
	size_t textlen;
	uint8_t *pkcs7;		/* the signed blob it came from, NULL if unsigned */
	size_t pkcs7len;
	uint8_t blob_sha256[32];	/* of pkcs7 (of the empty buffer if unsigned): audit */
	int refs;		/* ipe_policy_get/put; starts at 1 */
};

/* Where a parse failed: errno is the kernel's, line is 1-based. */
struct ipe_parse_error {
	int err;		/* positive errno (EBADMSG, EINVAL, ERANGE, ENOMEM) */
	unsigned line;
	char reason[160];
};

/* Parse policy text as the kernel does (ipe_parse_policy): stops at the first
 * NUL, empty input is EBADMSG. Builds the index too. Returns 0 or -errno;
 * perr (may be NULL) says where and why. */
int ipe_policy_parse(const char *text, size_t len, struct ipe_policy **out,
		     struct ipe_parse_error *perr);
void ipe_policy_get(struct ipe_policy *p);
void ipe_policy_put(struct ipe_policy *p);	/* frees at the last reference */
/* (major<<32)|(minor<<16)|rev: the kernel's ver_to_u64. */
uint64_t ipe_policy_version_key(const struct ipe_policy *p);
const char *ipe_op_name(enum ipe_op op);	/* "EXECUTE" ... "UNKNOWN" */
int ipe_op_from_name(const char *name);		/* -1 if unknown */
const char *ipe_hook_name(enum ipe_hook hook);
/* kstrtobool as the securityfs files use it (first 3 bytes). 0 or -EINVAL. */
int ipe_parse_bool(const char *s, size_t len, bool *out);

/* ---- Evaluation ---- */

/* Providers that a kernel may have compiled out (IPE_PROP_* Kconfig): a disabled
 * provider makes both the TRUE and FALSE forms of its properties false. */
enum {
	IPE_NO_DMV = 1u << 0,		/* dmverity_roothash */
	IPE_NO_DMV_SIG = 1u << 1,	/* dmverity_signature */
	IPE_NO_FSV = 1u << 2,		/* fsverity_digest */
	IPE_NO_FSV_SIG = 1u << 3,	/* fsverity_signature */
};

/* What the daemon knows about one event; zero-initialise, then fill. */
struct ipe_eval_ctx {
	enum ipe_op op;
	enum ipe_hook hook;
	bool has_file;		/* false: anonymous memory, kernel load from a buffer */
	bool boot_verified;	/* the file's mount is the initramfs */
	/* dm-verity integrity data of the file's block device */
	bool dmv_present;	/* the device carries a root hash */
	const char *dmv_alg;	/* "sha256" */
	const uint8_t *dmv_digest;
	size_t dmv_digest_len;
	bool dmv_signed;	/* root-hash signature verified */
	/* fs-verity of the file itself */
	bool fsv_present;	/* the file has fs-verity enabled */
	const char *fsv_alg;
	const uint8_t *fsv_digest;
	size_t fsv_digest_len;
	bool fsv_signed;	/* built-in signature verified */
	unsigned disabled;	/* IPE_NO_* */
};

enum ipe_match { IPE_MATCH_RULE, IPE_MATCH_TABLE, IPE_MATCH_GLOBAL, IPE_MATCH_NONE };

struct ipe_decision {
	enum ipe_action action;	/* ALLOW or DENY */
	enum ipe_match match;	/* NONE: no policy, implicit allow */
	enum ipe_op op;
	const struct ipe_rule *rule;	/* MATCH_RULE only; valid while the policy lives */
};

bool ipe_prop_eval(const struct ipe_prop *prop, const struct ipe_eval_ctx *ctx);
/* The kernel's linear first-match walk. pol NULL = no policy = allow. */
void ipe_eval_linear(const struct ipe_policy *pol, const struct ipe_eval_ctx *ctx,
		     struct ipe_decision *d);
/* Same result through the index (index.c). */
void ipe_eval(const struct ipe_policy *pol, const struct ipe_eval_ctx *ctx,
	      struct ipe_decision *d);
/* `rule="..."` exactly as the access record shows it. Returns the length it
 * needs (snprintf style); buf is always NUL-terminated when size > 0. */
size_t ipe_decision_format(const struct ipe_decision *d, char *buf, size_t size);

/* ---- Compiled decisions (compile.c): for in-kernel enforcement ---- */

/* The first match of every op (IPE_OP_INVALID last) for one set of file
 * properties (ctx without op and hook): what ipe_eval gives, as data. */
#define IPE_COMPILED_OPS (IPE_OP_COUNT + 1)
struct ipe_compiled {
	uint8_t action[IPE_COMPILED_OPS];	/* IPE_ACTION_ALLOW or _DENY */
	uint8_t match[IPE_COMPILED_OPS];	/* enum ipe_match */
	uint32_t rule[IPE_COMPILED_OPS];	/* index in pol->ops[op].rules (MATCH_RULE) */
};
void ipe_compile(const struct ipe_policy *pol, const struct ipe_eval_ctx *props,
		 struct ipe_compiled *out);
/* Back to a decision (rule pointer into pol) for op, e.g. for the audit record. */
void ipe_compiled_decision(const struct ipe_policy *pol, const struct ipe_compiled *c,
			   unsigned op, struct ipe_decision *d);
/* -EOPNOTSUPP with reason if pol needs per-file properties that a compiled
 * table cannot carry (fs-verity digest and signature). */
int ipe_policy_check_compilable(const struct ipe_policy *pol, char *reason, size_t rsize);
/* The same where the enforcer can read a file's fs-verity digest
 * (fsv_digest_ok): only fsverity_signature is refused then. */
int ipe_policy_check_compilable_fsv(const struct ipe_policy *pol, bool fsv_digest_ok, char *reason,
				    size_t rsize);

/* ---- Index (index.c): used by ipe_eval, built by ipe_policy_parse ---- */
int ipe_index_build(struct ipe_policy *pol);
void ipe_index_free(struct ipe_policy *pol);

/* ---- Audit records (audit.c): pure string builders ---- */

enum { IPE_AUDIT_MAC_STATUS = 1404, IPE_AUDIT_ACCESS = 1420,
       IPE_AUDIT_CONFIG_CHANGE = 1421, IPE_AUDIT_POLICY_LOAD = 1422 };
#define IPE_AUID_UNSET 4294967295u

struct ipe_audit_subject {	/* who and what an access record is about */
	int pid;		/* thread-group id */
	const char *comm;
	bool has_file;
	const char *path;	/* NULL: "<too_long>" */
	bool has_inode;
	const char *dev;	/* superblock s_id, e.g. "sda2" */
	unsigned long ino;
};

/* All return the length the record needs (snprintf style). */
size_t ipe_audit_access(char *buf, size_t size, const struct ipe_decision *d,
			enum ipe_hook hook, bool enforcing, const struct ipe_audit_subject *s);
/* p NULL: the failure form with err (positive errno). compat612: no errno field. */
size_t ipe_audit_policy_load(char *buf, size_t size, const struct ipe_policy *p, int err,
			     uint32_t auid, uint32_t ses, bool compat612);
size_t ipe_audit_config_change(char *buf, size_t size, const struct ipe_policy *old_active,
			       const struct ipe_policy *new_active, uint32_t auid, uint32_t ses);
size_t ipe_audit_enforce(char *buf, size_t size, bool new_enforce, bool old_enforce,
			 uint32_t auid, uint32_t ses);

/* ---- Signed policies (sig.c) ---- */

/* Trusted certificates (the keyring analog) live in util/pkcs7.h: udm_trust_load/free. */

struct ipe_blob {
	bool is_signed;		/* the input was a PKCS#7 message */
	bool verified;		/* signature checked against a trust set */
	char *text;		/* policy text (inner content if signed), NUL-terminated */
	size_t textlen;
	char signer[256];	/* subject of the signer certificate, if known */
};
/* Split bytes into policy text, verifying a PKCS#7 signature against trust
 * (NULL: only extract; the signature is then checked with the embedded
 * certificate if there is one). Errors as the kernel's verify_pkcs7_signature:
 * EMSGSIZE over 65535 bytes, EBADMSG malformed, EKEYREJECTED detached or bad
 * signature, ENOKEY
 * signer not trusted. reason says which. */
int ipe_blob_open(const uint8_t *data, size_t len, const struct udm_trust *trust,
		  struct ipe_blob *out, char *reason, size_t rsize);
void ipe_blob_release(struct ipe_blob *b);

/* ---- Policy store (store.c): securityfs lifecycle, persisted ---- */

/* The largest write new_policy and update take: the kernel copies it with
 * memdup_user_nul(), which fails with ENOMEM at KMALLOC_MAX_SIZE (4 MiB). */
#define IPE_WRITE_MAX ((size_t)(4u << 20) - 1)
/* What the kernel refuses beyond the grammar, for a policy that is to be
 * loaded: a write over IPE_WRITE_MAX (ENOMEM), a name securityfs cannot hold
 * as a directory ('.', '..', with '/': EACCES; over 255 bytes: ENAMETOOLONG).
 * name may be NULL (size only). Returns 0 or -errno with reason set. */
int ipe_load_limits(size_t len, const char *name, char *reason, size_t rsize);

struct ipe_store;
typedef void (*ipe_audit_fn)(void *arg, int type, const char *record);

struct ipe_store_opts {
	const char *state_dir;		/* created if missing */
	const struct udm_trust *trust;	/* NULL: every signed load fails ENOKEY */
	bool compat612;			/* v6.12 update check and load records */
	ipe_audit_fn audit;		/* may be NULL */
	void *audit_arg;
	/* called after the active policy (or its content: an update of it),
	 * enforce or success_audit changed, outside the store's lock (it may
	 * read the store); may be NULL */
	void (*changed)(void *arg);
	void *changed_arg;
};
struct ipe_actor { uint32_t auid, ses; };	/* NULL actor = unset ids */

int ipe_store_open(const struct ipe_store_opts *o, struct ipe_store **out,
		   char *reason, size_t rsize);
void ipe_store_close(struct ipe_store *s);
/* Plain text, parsed unsigned and made active directly (no version check, no audit). */
int ipe_store_boot_policy(struct ipe_store *s, const char *text, size_t len,
			  struct ipe_parse_error *perr);
int ipe_store_load(struct ipe_store *s, const uint8_t *blob, size_t len,
		   const struct ipe_actor *who, char *reason, size_t rsize);
int ipe_store_update(struct ipe_store *s, const char *name, const uint8_t *blob, size_t len,
		     const struct ipe_actor *who, char *reason, size_t rsize);
int ipe_store_activate(struct ipe_store *s, const char *name, const struct ipe_actor *who);
int ipe_store_delete(struct ipe_store *s, const char *name);
int ipe_store_set_enforce(struct ipe_store *s, bool on, const struct ipe_actor *who);
int ipe_store_set_success_audit(struct ipe_store *s, bool on);
bool ipe_store_enforcing(struct ipe_store *s);
bool ipe_store_success_audit(struct ipe_store *s);
/* A referenced policy (ipe_policy_put when done), or NULL with -ENOENT. */
struct ipe_policy *ipe_store_get(struct ipe_store *s, const char *name);
struct ipe_policy *ipe_store_get_active(struct ipe_store *s);
/* Names of loaded policies, sorted; free each and the array. */
int ipe_store_list(struct ipe_store *s, char ***names, size_t *n);

#endif
