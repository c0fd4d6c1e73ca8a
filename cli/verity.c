/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm verity (veritysetup): option parsing and the offline verbs verify and dump; format is
 * in cli/verity_format.c; open, close and status, which go through udmd, are in
 * cli/verity_open.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/hex.h"
#include "cli/cli.h"
#include "cli/verity_cli.h"
#include "udm/target.h"   /* udm_parse_u64 */
#include "udm/udm.h"      /* UDM_LIB_VERSION */
#include "verity/verity.h"

#define DEFAULT_SALT_SIZE 32

/* popt's short usage, as veritysetup prints it before a command-line error
 * or for --usage (both on stderr); udm's own options are in --help only. */
static void print_usage(FILE *f)
{
	fputs("Usage: veritysetup [-?Vv] [-?|--help] [--usage] [-V|--version]\n"
	      "        [--cancel-deferred] [--check-at-most-once] [--data-block-size=bytes]\n"
	      "        [--data-blocks=blocks] [--debug] [--deferred] [--fec-device=path]\n"
	      "        [--fec-offset=bytes] [--fec-roots=bytes] [--format=number]\n"
	      "        [-h|--hash=string] [--hash-block-size=bytes] [--hash-offset=bytes]\n"
	      "        [--ignore-corruption] [--ignore-zero-blocks] [--no-superblock]\n"
	      "        [--panic-on-corruption] [--restart-on-corruption]\n"
	      "        [--root-hash-file=STRING] [--root-hash-signature=STRING]\n"
	      "        [-s|--salt=hex string] [--use-tasklets] [--uuid=STRING]\n"
	      "        [-v|--verbose] [OPTION...] <action> <action-specific>\n", f);
}

/* A command-line error as veritysetup's usage() reports it: the short usage,
 * then "WHERE: WHAT" (WHERE is the program, or the option at fault). */
static bool usage_failed;   /* veritysetup exits in usage(): no -v verdict line */

void vcli_usage_error(const char *where, const char *what)
{
	usage_failed = true;
	print_usage(stderr);
	fprintf(stderr, "%s: %s\n", where, what);
}

static void print_version(void)
{
	/* the veritysetup whose command line and output udm follows, then udm's own */
	printf("veritysetup %s flags: (udm %s)\n", VCLI_COMPAT_VERSION, UDM_LIB_VERSION);
}

/* veritysetup --help (its popt layout), with udm's extra options and the mapper dir. */
static void print_help(const char *runtime_dir)
{
	print_version();
	fputs("Usage: veritysetup [OPTION...] <action> <action-specific>\n"
	      "\n"
	      "Help options:\n"
	      "  -?, --help                           Show this help message\n"
	      "      --usage                          Display brief usage\n"
	      "  -V, --version                        Print package version\n"
	      "      --cancel-deferred                Cancel a previously set deferred device\n"
	      "                                       removal (not supported by udm)\n"
	      "      --check-at-most-once             Verify data block only the first time\n"
	      "                                       it is read\n"
	      "      --data-block-size=bytes          Block size on the data device\n"
	      "      --data-blocks=blocks             The number of blocks in the data file\n"
	      "      --debug                          Show debug messages\n"
	      "      --deferred                       Device removal is deferred until the\n"
	      "                                       last user closes it (not supported by\n"
	      "                                       udm)\n"
	      "      --error-as-corruption            Handle IO error as corruption.\n"
	      "      --fec-device=path                Path to device with error correction\n"
	      "                                       data\n"
	      "      --fec-offset=bytes               Starting offset on the FEC device\n"
	      "      --fec-roots=bytes                FEC parity bytes\n"
	      "      --format=number                  Format type (1 - normal, 0 - original\n"
	      "                                       Chrome OS)\n"
	      "  -h, --hash=string                    Hash algorithm\n"
	      "      --hash-block-size=bytes          Block size on the hash device\n"
	      "      --hash-offset=bytes              Starting offset on the hash device\n"
	      "      --ignore-corruption              Ignore corruption, log it only\n"
	      "      --ignore-zero-blocks             Do not verify zeroed blocks\n"
	      "      --no-superblock                  Do not use verity superblock\n"
	      "      --panic-on-corruption            Panic kernel if corruption is detected\n"
	      "      --restart-on-corruption          Restart kernel if corruption is detected\n"
	      "      --root-hash-file=STRING          Path to root hash file\n"
	      "      --root-hash-signature=STRING     Path to root hash signature file\n"
	      "  -s, --salt=hex string                Salt\n"
	      "      --shared                         Share data device with another verity\n"
	      "                                       segment\n"
	      "      --use-tasklets                   Use kernel tasklets for performance\n"
	      "      --uuid=STRING                    UUID for device to use\n"
	      "  -v, --verbose                        Shows more detailed error messages\n"
	      "\n"
	      "udm options:\n"
	      "  -q, --batch-mode                     Accepted and ignored (udm verity never\n"
	      "                                       asks a question)\n"
	      "      --runtime-dir=DIR                udmd's runtime directory (default\n"
	      "                                       $UDM_RUNTIME_DIR or /run/udm)\n"
	      "\n"
	      "<action> is one of:\n"
	      "\tformat <data_device> <hash_device> - format device\n"
	      "\tverify <data_device> <hash_device> [<root_hash>] - verify device\n"
	      "\topen <data_device> <name> <hash_device> [<root_hash>] - open device as <name>\n"
	      "\tclose <name> - close device (remove mapping)\n"
	      "\tstatus <name> - show active device status\n"
	      "\tdump <hash_device> - show on-disk information\n"
	      "\n", stdout);
	printf("<name> is the device to create under %s/mapper\n"
	       "<data_device> is the data device\n"
	       "<hash_device> is the device containing verification data\n"
	       "<root_hash> hash of the root node on <hash_device>\n"
	       "\nDefault compiled-in dm-verity parameters:\n"
	       "\tHash: sha256, Data block (bytes): 4096, Hash block (bytes): 4096, Salt size: %d, Hash format: 1\n",
	       runtime_dir, DEFAULT_SALT_SIZE);
}

void vcli_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int parse_number(const char *opt, const char *s, uint64_t *out)
{
	(void)opt;
	if (udm_parse_u64(s, out) == 0)
		return 0;
	vcli_usage_error("veritysetup", "invalid numeric value");
	return -EINVAL;
}

enum opt_kind { OPT_FLAG, OPT_STR, OPT_NUM };
struct opt_def {
	const char *name;
	char short_name;
	enum opt_kind kind;
	size_t off;
};
#define O(f) offsetof(struct verity_opts, f)
static const struct opt_def opt_defs[] = {
	{ "hash", 'h', OPT_STR, O(hash) },
	{ "salt", 's', OPT_STR, O(salt) },
	{ "uuid", 0, OPT_STR, O(uuid) },
	{ "fec-device", 0, OPT_STR, O(fec_device) },
	{ "root-hash-file", 0, OPT_STR, O(root_hash_file) },
	{ "data-block-size", 0, OPT_NUM, O(data_block_size) },
	{ "hash-block-size", 0, OPT_NUM, O(hash_block_size) },
	{ "data-blocks", 0, OPT_NUM, O(data_blocks) },
	{ "hash-offset", 0, OPT_NUM, O(hash_offset) },
	{ "fec-offset", 0, OPT_NUM, O(fec_offset) },
	{ "fec-roots", 0, OPT_NUM, O(fec_roots) },
	{ "format", 0, OPT_NUM, O(format) },
	{ "no-superblock", 0, OPT_FLAG, O(no_superblock) },
	{ "verbose", 'v', OPT_FLAG, O(verbose) },
	{ "root-hash-signature", 0, OPT_STR, O(root_hash_signature) },
	{ "runtime-dir", 0, OPT_STR, O(runtime_dir) },
	{ "ignore-corruption", 0, OPT_FLAG, O(ignore_corruption) },
	{ "restart-on-corruption", 0, OPT_FLAG, O(restart_on_corruption) },
	{ "panic-on-corruption", 0, OPT_FLAG, O(panic_on_corruption) },
	{ "error-as-corruption", 0, OPT_FLAG, O(error_as_corruption) },
	{ "ignore-zero-blocks", 0, OPT_FLAG, O(ignore_zero_blocks) },
	{ "check-at-most-once", 0, OPT_FLAG, O(check_at_most_once) },
	{ "use-tasklets", 0, OPT_FLAG, O(use_tasklets) },
	{ "shared", 0, OPT_FLAG, O(shared) },
	{ "deferred", 0, OPT_FLAG, O(deferred) },
	{ "cancel-deferred", 0, OPT_FLAG, O(cancel_deferred) },
	{ "debug", 0, OPT_FLAG, O(debug) },
	{ "batch-mode", 'q', OPT_FLAG, O(batch_mode) },
	{ "help", '?', OPT_FLAG, O(help) },
	{ "usage", 0, OPT_FLAG, O(usage) },
	{ "version", 'V', OPT_FLAG, O(version) },
};

static int parse_args(int argc, char **argv, struct verity_opts *o)
{
	bool options_done = false;

	memset(o, 0, sizeof(*o));
	o->hash = "sha256";
	o->data_block_size = 4096;
	o->hash_block_size = 4096;
	o->fec_roots = VERITY_FEC_DEFAULT_ROOTS;
	o->format = 1;
	const char *threads = getenv("UDM_VERITY_THREADS");
	if (threads && udm_parse_uint(threads, &o->threads)) {
		cli_error("verity", "invalid number in UDM_VERITY_THREADS: '%s'", threads);
		return -EINVAL;
	}
	const char *why;
	if (verity_sha256_env_check(&why)) {
		cli_error("verity", "%s: '%s'", why, getenv("UDM_SHA256_IMPL"));
		return -EINVAL;
	}
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct opt_def *d = NULL;
		const char *val = NULL;

		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (o->nargs == (int)(sizeof(o->args) / sizeof(o->args[0]))) {
				cli_error("verity", "too many arguments");
				return -EINVAL;
			}
			o->args[o->nargs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			for (size_t k = 0; k < sizeof(opt_defs) / sizeof(opt_defs[0]); k++)
				if (strlen(opt_defs[k].name) == len && strncmp(opt_defs[k].name, a + 2, len) == 0)
					d = &opt_defs[k];
			if (d && eq)
				val = eq + 1;
		} else if (a[2] == '\0') {
			for (size_t k = 0; k < sizeof(opt_defs) / sizeof(opt_defs[0]); k++)
				if (opt_defs[k].short_name == a[1])
					d = &opt_defs[k];
		}
		if (!d) {
			vcli_usage_error(a, "unknown option");
			return -EINVAL;
		}
		if (d->kind == OPT_FLAG) {
			if (val) {
				/* popt's words for a value given to a flag */
				vcli_usage_error(a, "option does not take an argument");
				return -EINVAL;
			}
			*(bool *)((char *)o + d->off) = true;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc) {
				vcli_usage_error(a, "missing argument");
				return -EINVAL;
			}
			val = argv[++i];
		}
		if (d->kind == OPT_STR)
			*(const char **)((char *)o + d->off) = val;
		else if (parse_number(d->name, val, (uint64_t *)((char *)o + d->off)))
			return -EINVAL;
	}
	if (o->debug)   /* veritysetup: --debug implies --verbose */
		o->verbose = true;
	return 0;
}

/* Size of a regular file or block device, in bytes. */
int vcli_fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	*size = (uint64_t)st.st_size;
	return 0;
}

bool vcli_same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int vcli_open_existing(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		vcli_say("Device %s does not exist or access denied.", path);
	return fd;
}

/* Build verity_params from the command-line options (format, or --no-superblock). */
int vcli_params_from_opts(const struct verity_opts *o, const char *hash_path, struct verity_params *p)
{
	size_t n;

	memset(p, 0, sizeof(*p));
	if (strlen(o->hash) >= sizeof(p->hash_name) || verity_digest_size(o->hash) == 0) {
		vcli_say("Hash algorithm %s not supported.", o->hash);
		return -EINVAL;
	}
	for (n = 0; o->hash[n]; n++)
		p->hash_name[n] = (char)tolower((unsigned char)o->hash[n]);
	if (o->format > VERITY_MAX_HASH_TYPE) {
		vcli_say("Unsupported VERITY hash type %" PRIu64 ".", o->format);
		return -EINVAL;
	}
	p->hash_type = (uint32_t)o->format;
	if (o->data_block_size > UINT32_MAX || o->hash_block_size > UINT32_MAX ||
	    !verity_block_size_ok((uint32_t)o->data_block_size) ||
	    !verity_block_size_ok((uint32_t)o->hash_block_size)) {
		vcli_say("Unsupported VERITY block size.");
		return -EINVAL;
	}
	p->data_block_size = (uint32_t)o->data_block_size;
	p->hash_block_size = (uint32_t)o->hash_block_size;
	if (o->hash_offset % 512) {
		vcli_say("Unsupported VERITY hash offset.");
		return -EINVAL;
	}
	p->hash_area_offset = o->hash_offset;
	p->data_blocks = o->data_blocks;
	p->no_superblock = o->no_superblock;
	if (o->salt && strcmp(o->salt, "-") == 0) {
		p->salt_size = 0;
	} else if (o->salt) {
		if (udm_hex_decode(o->salt, p->salt, sizeof(p->salt), &n)) {
			vcli_say("Invalid salt string specified.");
			return -EINVAL;
		}
		p->salt_size = (uint16_t)n;
	} else {
		FILE *f = fopen("/dev/urandom", "re");
		if (!f || fread(p->salt, 1, DEFAULT_SALT_SIZE, f) != DEFAULT_SALT_SIZE) {
			if (f)
				fclose(f);
			cli_error("verity", "cannot read random salt: %s", strerror(errno ? errno : EIO));
			return -EIO;
		}
		fclose(f);
		p->salt_size = DEFAULT_SALT_SIZE;
	}
	if (o->uuid) {
		if (verity_uuid_parse(o->uuid, p->uuid)) {
			vcli_say("Wrong VERITY UUID format provided on device %s.", hash_path);
			return -EINVAL;
		}
	} else if (!o->no_superblock && verity_uuid_generate(p->uuid)) {
		cli_error("verity", "cannot generate UUID: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

int vcli_check_fec_opts(const struct verity_opts *o, const struct verity_params *p)
{
	if (!o->fec_device)
		return 0;
	if (o->fec_roots < VERITY_FEC_MIN_ROOTS || o->fec_roots > VERITY_FEC_MAX_ROOTS) {
		vcli_say("Invalid number of parity bytes.");
		return -EINVAL;
	}
	if (p->data_block_size != p->hash_block_size) {
		vcli_say("Block sizes must match for FEC.");
		return -EINVAL;
	}
	if (o->fec_offset % p->data_block_size) {
		cli_error("verity", "--fec-offset %" PRIu64 " is not a multiple of the block size %u",
			  o->fec_offset, p->data_block_size);
		return -EINVAL;
	}
	return 0;
}


/* hash_name: as the user spelled it for format (veritysetup echoes it), else from the superblock */
struct fec_info vcli_fec_info(const struct verity_opts *o, const struct vcli_dev *fec, const struct vcli_dev *hash)
{
	return (struct fec_info){ .on = true, .roots = (unsigned)o->fec_roots, .offset = o->fec_offset,
				  .on_hash_dev = vcli_dev_same(fec, hash) };
}

void vcli_print_header(const char *hash_path, const char *hash_name, const struct verity_params *p,
			 const struct verity_geometry *g, const struct fec_info *fec, const uint8_t *root)
{
	char uuid[37] = "", salt[2 * VERITY_MAX_SALT_SIZE + 1], hex[2 * VERITY_MAX_DIGEST_SIZE + 1];

	if (!p->no_superblock)
		verity_uuid_unparse(p->uuid, uuid);
	printf("VERITY header information for %s\n", hash_path);
	printf("UUID:            \t%s\n", uuid);
	printf("Hash type:       \t%u\n", p->hash_type);
	printf("Data blocks:     \t%" PRIu64 "\n", p->data_blocks);
	printf("Data block size: \t%u\n", p->data_block_size);
	printf("Hash blocks:     \t%" PRIu64 "\n", g->hash_blocks);
	printf("Hash block size: \t%u\n", p->hash_block_size);
	printf("Hash algorithm:  \t%s\n", hash_name);
	if (fec->on) {
		printf("FEC RS roots:   \t%u\n", fec->roots);
		printf("FEC blocks:     \t%" PRIu64 "\n", fec->rs_blocks);
	}
	if (p->salt_size) {
		verity_hex_encode(p->salt, p->salt_size, salt);
		printf("Salt:            \t%s\n", salt);
	} else {
		printf("Salt:            \t-\n");
	}
	if (root) {
		verity_hex_encode(root, g->digest_size, hex);
		printf("Root hash:      \t%s\n", hex);
	}
	if (p->hash_area_offset == 0) {
		uint64_t blocks = g->hash_start + g->hash_blocks + (fec->on && fec->on_hash_dev ? fec->rs_blocks : 0);
		printf("Hash device size: \t%" PRIu64 " [bytes]\n", blocks * p->hash_block_size);
	}
	if (fec->on && fec->offset == 0 && !fec->on_hash_dev)
		printf("FEC device size: \t%" PRIu64 " [bytes]\n", fec->rs_blocks * p->data_block_size);
}

/* Data blocks from the option or the device size; checks the device holds them.
 * The messages are veritysetup's: no complete block leaves an empty tree
 * ("Hash area overflow."), and too few blocks fail when reading the data. */
int vcli_resolve_data_blocks(struct verity_params *p, const struct vcli_dev *data, const char *data_path)
{
	uint64_t size;
	int r = vcli_dev_size(data, &size);

	if (r) {
		cli_error("verity", "%s: %s", data_path, strerror(-r));
		return r;
	}
	if (!p->data_blocks)
		p->data_blocks = size / p->data_block_size;
	if (!p->data_blocks) {
		vcli_say("Hash area overflow.");
		return -EINVAL;
	}
	if (p->data_blocks > size / p->data_block_size) {
		if (data->nbd)   /* a URI: say which export and by how much */
			cli_error("verity", "%s: export too small: %" PRIu64 " bytes, %" PRIu64 " needed", data_path,
				  size, p->data_blocks * p->data_block_size);
		else
			vcli_say("Input/output error while creating hash area.");
		return -EIO;
	}
	return 0;
}

int vcli_exit_code(int r)
{
	switch (r) {
	case 0: return 0;
	case -EPERM: return EXIT_PERM;
	case -ENOMEM: return EXIT_NOMEM;
	case -ENOENT: case -ENODEV: case -ENOTBLK: return EXIT_DEVICE;
	case -EEXIST: case -EBUSY: return EXIT_BUSY;
	default: return 1;
	}
}

static int read_root_hash(const struct verity_opts *o, const char *arg, unsigned digest_size, uint8_t *root)
{
	char buf[2 * VERITY_MAX_DIGEST_SIZE + 1];
	size_t len;

	if (o->root_hash_file) {
		int fd = open(o->root_hash_file, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, 2 * digest_size) : -1;
		if (fd >= 0)
			close(fd);
		if (fd < 0 || n != (ssize_t)(2 * digest_size)) {
			vcli_say("Invalid root hash file %s.", o->root_hash_file);
			return -EINVAL;
		}
		buf[n] = '\0';
		arg = buf;
	}
	if (udm_hex_decode(arg, root, VERITY_MAX_DIGEST_SIZE, &len) || len != digest_size) {
		vcli_say("Invalid root hash string specified.");
		return -EINVAL;
	}
	return 0;
}

/* Load the parameters from the superblock, or from the options with --no-superblock. */
static int load_params(const struct verity_opts *o, const struct vcli_dev *hash, const char *hash_path,
		       struct verity_params *p)
{
	const char *why;
	int r;

	if (o->no_superblock) {
		struct verity_opts oo = *o;
		oo.salt = o->salt ? o->salt : "-";
		return vcli_params_from_opts(&oo, hash_path, p);
	}
	uint64_t size = 0;
	r = vcli_dev_size(hash, &size);
	if (!r)
		r = verity_sb_read_io(&hash->io, size, o->hash_offset, p, &why);
	if (r == 0)
		return 0;
	if (why && strcmp(why, "not a valid VERITY device") != 0)
		vcli_say("%s", why);
	vcli_say("Device %s is not a valid VERITY device.", hash_path);
	return -EINVAL;
}

int vcli_setup_open(const struct verity_opts *o, const char *data_path, const char *hash_path,
		    const char *root_arg, struct vcli_setup *s)
{
	int r;

	s->data = (struct vcli_dev){ .fd = -1 };
	r = vcli_dev_open(hash_path, false, &s->hash);
	if (r)
		return r;
	r = load_params(o, &s->hash, hash_path, &s->p);
	if (!r)
		r = read_root_hash(o, root_arg, verity_digest_size(s->p.hash_name), s->root);
	if (!r)
		r = vcli_check_fec_opts(o, &s->p);
	if (r)
		return r;
	r = vcli_dev_open(data_path, false, &s->data);
	if (r)
		return r;
	r = vcli_resolve_data_blocks(&s->p, &s->data, data_path);
	if (r)
		return r;
	if (verity_geometry_init(&s->g, &s->p, verity_digest_size(s->p.hash_name)) ||
	    verity_geometry_hash_end(&s->g, &s->p, &s->hash_end)) {
		vcli_say("Hash area overflow.");
		return -EINVAL;
	}
	return vcli_dev_size(&s->hash, &s->hash_size);
}

void vcli_setup_close(struct vcli_setup *s)
{
	vcli_dev_close(&s->data);
	vcli_dev_close(&s->hash);
}

void vcli_report_verbose(int code)
{
	static const char *const why[] = {
		"", "wrong or missing parameters", "no permission or bad passphrase",
		"out of memory", "wrong device or file specified", "device already exists or device is busy",
	};
	/* cryptsetup writes both verdicts to stdout (log_std) */
	if (!code)
		printf("Command successful.\n");
	else
		printf("Command failed with code %d (%s).\n", -code,
			code < (int)(sizeof(why) / sizeof(why[0])) ? why[code] : "unknown error");
}

static int do_verify(struct verity_opts *o)
{
	struct vcli_setup s;
	struct verity_report rep;
	int fec_fd = -1, r;

	if (o->nargs != 4 && !(o->nargs == 3 && o->root_hash_file)) {
		if (o->nargs == 3)
			vcli_say("Command requires <root_hash> or --root-hash-file option as argument.");
		else
			vcli_usage_error("veritysetup", "verify: requires <data_device> <hash_device> [<root_hash>] as arguments");
		return EXIT_PARAMS;
	}
	r = vcli_setup_open(o, o->args[1], o->args[2], o->args[3], &s);
	if (!s.hash.open)
		return EXIT_DEVICE;
	if (!r && s.hash_size < s.hash_end) {
		cli_error("verity", "%s: device too small: %" PRIu64 " bytes needed, %" PRIu64 " available",
			  o->args[2], s.hash_end, s.hash_size);
		r = -EINVAL;
	}
	if (r)
		goto out;
	if (o->fec_device) {
		if (s.data.nbd || s.hash.nbd || vcli_is_uri(o->fec_device)) {
			cli_error("verity", "verify: --fec-device with NBD devices is not supported (a table can use it)");
			r = -EINVAL;
			goto out;
		}
		fec_fd = vcli_open_existing(o->fec_device, O_RDONLY);
		if (fec_fd < 0) {
			r = -ENODEV;
			goto out;
		}
	}
	r = verity_tree_check_io(&s.p, &s.data.io, &s.hash.io, o->threads, s.root, &rep);
	if (r == -EFAULT) {
		vcli_say("%s", rep.message);
		goto out;
	}
	if (r) {
		if (rep.message[0])
			vcli_say("%s", rep.message);
		vcli_say("Verification of data area failed.");
	}
	if (r == -EPERM && fec_fd >= 0) {
		struct verity_fec_params f = { .fd = fec_fd, .offset = o->fec_offset, .roots = (unsigned)o->fec_roots };
		struct verity_fec_report fecrep = { 0 };
		int fr = verity_fec_blocks(&s.p, &s.g, s.hash_size, vcli_same_file(fec_fd, s.hash.fd), o->fec_offset,
					   &f.blocks);
		if (!fr)
			fr = verity_fec_check(&s.p, &s.g, &f, s.data.fd, s.hash.fd, o->threads, &fecrep);
		if (fr == 0) {
			vcli_say("Found %" PRIu64 " repairable errors with FEC device.", fecrep.corrected);
			r = 0;
		} else {
			if (fr == -EILSEQ)
				vcli_say("Failed to repair parity for block %" PRIu64 ".", fecrep.bad_round);
			vcli_say("Errors cannot be repaired with FEC device.");
		}
	}
out:
	if (fec_fd >= 0)
		close(fec_fd);
	vcli_setup_close(&s);
	return vcli_exit_code(r);
}

static int do_dump(struct verity_opts *o)
{
	struct verity_params p;
	struct verity_geometry g;
	struct fec_info fec = { 0 };
	struct vcli_dev hash;
	int r;

	if (o->nargs != 2) {
		vcli_usage_error("veritysetup", "dump: requires <hash_device> as arguments");
		return EXIT_PARAMS;
	}
	if (vcli_dev_open(o->args[1], false, &hash))
		return EXIT_DEVICE;
	/* like veritysetup, dump always reads the superblock */
	o->no_superblock = false;
	r = load_params(o, &hash, o->args[1], &p);
	if (r)
		goto out;
	if (verity_geometry_init(&g, &p, verity_digest_size(p.hash_name))) {
		vcli_say("Hash area overflow.");
		r = -EINVAL;
		goto out;
	}
	if (o->fec_device) {
		struct vcli_dev fecd;
		uint64_t hash_size, blocks;
		if ((r = vcli_dev_open(o->fec_device, false, &fecd)))
			goto out;
		fec = vcli_fec_info(o, &fecd, &hash);
		vcli_dev_close(&fecd);
		r = vcli_dev_size(&hash, &hash_size);
		if (!r)
			r = verity_fec_blocks(&p, &g, hash_size, fec.on_hash_dev, fec.offset, &blocks);
		if (r) {
			vcli_say("Invalid FEC segment length.");
			goto out;
		}
		fec.rs_blocks = verity_fec_rs_blocks(blocks, fec.roots);
	}
	vcli_print_header(o->args[1], p.hash_name, &p, &g, &fec, NULL);
out:
	vcli_dev_close(&hash);
	return vcli_exit_code(r);
}

/* veritysetup's tools_check_args: an option that belongs to other actions is
 * a usage error naming the first such option in its table's (alphabetical)
 * order; checked only once the action has its required arguments (else the
 * action's own "requires" error comes first), as veritysetup does. */
static bool combination_refused(const struct verity_opts *o);

static bool option_not_allowed(const struct verity_opts *o, const char *verb)
{
	static const struct { const char *verb; int required; } req[] = {
		{ "format", 2 }, { "verify", 2 }, { "open", 3 }, { "close", 1 }, { "status", 1 }, { "dump", 1 },
	};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (strcmp(verb, req[i].verb) == 0 && o->nargs - 1 < req[i].required)
			return false;
	bool open = strcmp(verb, "open") == 0, close = strcmp(verb, "close") == 0;
	bool hash_file = open || strcmp(verb, "format") == 0 || strcmp(verb, "verify") == 0;
	const struct { const char *name; bool set, allowed; } opts[] = {
		{ "cancel-deferred", o->cancel_deferred, close },
		{ "deferred", o->deferred, close },
		{ "error-as-corruption", o->error_as_corruption, open },
		{ "ignore-corruption", o->ignore_corruption, open },
		{ "ignore-zero-blocks", o->ignore_zero_blocks, open },
		{ "panic-on-corruption", o->panic_on_corruption, open },
		{ "restart-on-corruption", o->restart_on_corruption, open },
		{ "root-hash-file", o->root_hash_file != NULL, hash_file },
		{ "root-hash-signature", o->root_hash_signature != NULL, open },
		{ "shared", o->shared, open },
		{ "use-tasklets", o->use_tasklets, open },
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].set && !opts[i].allowed) {
			char msg[128];
			snprintf(msg, sizeof(msg), "Option --%s is not allowed with %s action.", opts[i].name, verb);
			vcli_usage_error("veritysetup", msg);
			return true;
		}
	return combination_refused(o);
}

/* veritysetup's main() checks of option pairs, after tools_check_args: usage errors. */
static bool combination_refused(const struct verity_opts *o)
{
	const char *msg = NULL;
	if (o->ignore_corruption && o->restart_on_corruption)
		msg = "Option --ignore-corruption and --restart-on-corruption cannot be used together.";
	else if (o->panic_on_corruption && o->restart_on_corruption)
		msg = "Option --panic-on-corruption and --restart-on-corruption cannot be used together.";
	else if (o->error_as_corruption && !o->panic_on_corruption && !o->restart_on_corruption)
		msg = "Option --error-as-corruption must be used with --panic-on-corruption or --restart-on-corruption.";
	else if (o->deferred && o->cancel_deferred)
		msg = "Options --cancel-deferred and --deferred cannot be used at the same time.";
	if (msg)
		vcli_usage_error("veritysetup", msg);
	return msg != NULL;
}

/* --debug's first line, as cryptsetup's dbg_version_and_cmd writes it (stdout, '#'). */
static void debug_command_line(int argc, char **argv)
{
	printf("# udm %s processing \"veritysetup", UDM_LIB_VERSION);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\"\n");
}

static int run_verb(struct verity_opts *o, const char *verb)
{
	if (strcmp(verb, "format") == 0)
		return vcli_format(o);
	if (strcmp(verb, "verify") == 0)
		return do_verify(o);
	if (strcmp(verb, "dump") == 0)
		return do_dump(o);
	if (strcmp(verb, "open") == 0)
		return vcli_open(o);
	if (strcmp(verb, "close") == 0)
		return vcli_close(o);
	return vcli_status(o);
}

int cli_verity_main(int argc, char **argv)
{
	static const char *const verbs[] = { "format", "verify", "dump", "open", "close", "status" };
	struct verity_opts o;
	const char *verb = NULL;

	if (parse_args(argc, argv, &o))
		return EXIT_PARAMS;
	/* popt handles these as it meets them, before any action */
	if (o.help) {
		print_help(o.runtime_dir ? o.runtime_dir : getenv("UDM_RUNTIME_DIR") && *getenv("UDM_RUNTIME_DIR") ?
			   getenv("UDM_RUNTIME_DIR") : "/run/udm");
		return fflush(stdout) ? 1 : 0;
	}
	if (o.version) {
		print_version();
		return fflush(stdout) ? 1 : 0;
	}
	if (o.usage) {   /* popt: to stderr, exit 0 */
		print_usage(stderr);
		return 0;
	}
	if (o.nargs < 1) {
		vcli_usage_error("veritysetup", "Argument <action> missing.");
		return EXIT_PARAMS;
	}
	verb = o.args[0];
	if (strcmp(verb, "create") == 0 && o.nargs > 2) {
		/* the old alias: create NAME DATA ... is open DATA NAME ..., options and all */
		char *name = o.args[1];
		o.args[1] = o.args[2];
		o.args[2] = name;
		verb = "open";
	} else if (strcmp(verb, "remove") == 0) {
		verb = "close";
	}
	bool known = false;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known |= strcmp(verb, verbs[i]) == 0;
	if (!known) {
		vcli_usage_error("veritysetup", "Unknown action.");
		return EXIT_PARAMS;
	}
	if (option_not_allowed(&o, verb))
		return EXIT_PARAMS;
	if (o.debug) {
		debug_command_line(argc, argv);
		printf("# Running command %s.\n", verb);
	}
	int code = run_verb(&o, verb);
	/* cryptsetup's show_status: every action ends with its verdict under -v */
	if (o.verbose && !usage_failed)
		vcli_report_verbose(code);
	if (fflush(stdout) && !code)
		code = 1;
	return code;
}
