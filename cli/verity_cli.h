/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the parts of udm verity share: cli/verity.c (the dispatcher: options,
 * actions), cli/verity_setup.c (the helpers below), cli/verity_format.c
 * (format), cli/verity_verify.c (verify, dump) and cli/verity_open.c (open,
 * close, status via udmd). */
#ifndef UDM_VERITY_CLI_H
#define UDM_VERITY_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "verity/verity.h"

/* veritysetup's exit codes (man page). */
enum { EXIT_PARAMS = 1, EXIT_PERM = 2, EXIT_NOMEM = 3, EXIT_DEVICE = 4, EXIT_BUSY = 5 };

/* The veritysetup release whose command line and output udm verity follows
 * (--version prints it first, for scripts that compare versions). */
#define VCLI_COMPAT_VERSION "2.8.6"

/* veritysetup's default salt: 32 random bytes. */
#define VCLI_DEFAULT_SALT_SIZE 32

struct verity_opts {
	const char *hash;
	const char *salt;
	const char *uuid;
	const char *fec_device;
	const char *root_hash_file;
	const char *root_hash_signature;
	const char *runtime_dir;
	bool ignore_corruption, restart_on_corruption, panic_on_corruption, error_as_corruption;
	bool ignore_zero_blocks, check_at_most_once, use_tasklets;
	uint64_t data_block_size, hash_block_size, data_blocks, hash_offset, fec_offset, fec_roots;
	uint64_t format;
	bool no_superblock;
	bool verbose, debug;
	bool deferred, cancel_deferred;   /* close */
	bool shared;       /* accepted: udmd never opens a data device exclusively */
	bool batch_mode;   /* -q: accepted and ignored, udm verity asks nothing */
	bool help, usage, version;
	unsigned threads;
	int nargs;
	char *args[8];
};

/* --- verity_setup.c --- */
/* popt's short usage (before a command-line error, and --usage). */
void vcli_print_usage(FILE *f);
/* A command-line error as veritysetup's usage() reports it: the short usage,
 * then "WHERE: WHAT" on stderr; the command then ends without a -v verdict. */
void vcli_usage_error(const char *where, const char *what);
/* Whether one was reported (no -v verdict then). */
bool vcli_usage_failed(void);
/* veritysetup prints its own sentences; keep them verbatim where it has one. */
void vcli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* open(2) with O_CLOEXEC, saying veritysetup's sentence when it fails. */
int vcli_open_existing(const char *path, int flags);
bool vcli_same_file(int a, int b);
/* -errno -> veritysetup's exit code. */
int vcli_exit_code(int r);
/* veritysetup --verbose's closing line for an exit code. */
void vcli_report_verbose(int code);

struct udm_nbd;
/* A device argument, a path or an NBD URI (nbd://, nbd+unix://, nbds://) */
struct vcli_dev {
	int fd;                   /* -1 for an NBD export */
	struct udm_nbd *nbd;
	struct verity_io io;
	bool open;
};
bool vcli_is_uri(const char *path);
/* Open a path (veritysetup's sentence on failure) or connect to a URI (one
 * line naming it and why); -errno. */
int vcli_dev_open(const char *path, bool write, struct vcli_dev *d);
void vcli_dev_close(struct vcli_dev *d);
int vcli_dev_size(const struct vcli_dev *d, uint64_t *size);
bool vcli_dev_same(const struct vcli_dev *a, const struct vcli_dev *b);
int vcli_dev_sync(const struct vcli_dev *d);

/* What verify and open both start from. */
struct vcli_setup {
	struct vcli_dev data, hash;
	struct verity_params p;
	struct verity_geometry g;
	uint8_t root[VERITY_MAX_DIGEST_SIZE];
	uint64_t hash_end;    /* where the hash area ends on the hash device */
	uint64_t hash_size;   /* the hash device's size */
};

/* Open the hash device, load the parameters (superblock or options), read the
 * root hash, check the FEC options, open the data device, resolve its block
 * count and lay out the geometry, saying what goes wrong. Returns 0 or -errno;
 * release *s with vcli_setup_close either way. !s->hash.open: the hash device
 * could not be opened (the verbs return EXIT_DEVICE at once). */
int vcli_setup_open(const struct verity_opts *o, const char *data_path, const char *hash_path,
		    const char *root_arg, struct vcli_setup *s);
void vcli_setup_close(struct vcli_setup *s);
/* The parameters alone: the superblock of hash, or the options with --no-superblock. */
int vcli_load_params(const struct verity_opts *o, const struct vcli_dev *hash, const char *hash_path,
		     struct verity_params *p);

int vcli_fd_size(int fd, uint64_t *size);
int vcli_params_from_opts(const struct verity_opts *o, const char *hash_path, struct verity_params *p);
int vcli_check_fec_opts(const struct verity_opts *o, const struct verity_params *p);
/* The FEC part of the header format, verify and dump print. */
struct fec_info {
	bool on;
	unsigned roots;
	uint64_t rs_blocks;
	bool on_hash_dev;
	uint64_t offset;
};
/* --fec-roots and --fec-offset, and whether the FEC device is the hash device */
struct fec_info vcli_fec_info(const struct verity_opts *o, const struct vcli_dev *fec, const struct vcli_dev *hash);
void vcli_print_header(const char *hash_path, const char *hash_name, const struct verity_params *p,
		       const struct verity_geometry *g, const struct fec_info *fec, const uint8_t *root);
int vcli_resolve_data_blocks(struct verity_params *p, const struct vcli_dev *data, const char *data_path);
/* --- the actions; each returns the exit status --- */
int vcli_format(struct verity_opts *o);   /* verity_format.c */
int vcli_verify(struct verity_opts *o);   /* verity_verify.c */
int vcli_dump(struct verity_opts *o);
int vcli_open(struct verity_opts *o);     /* verity_open.c: through udmd */
int vcli_close(struct verity_opts *o);
int vcli_status(struct verity_opts *o);

#endif
