/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm verity's helpers, shared by every verb (cli/verity_format.c,
 * cli/verity_verify.c, cli/verity_open.c) and the dispatcher (cli/verity.c):
 * veritysetup's usage error and sentences, the devices and their sizes, the
 * parameters from the options or the superblock, the header that format,
 * verify and dump print, the exit codes and -v's verdict. */
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
#include "nbd/nbd.h"


/* popt's short usage, as veritysetup prints it before a command-line error
 * or for --usage (both on stderr); udm's own options are in --help only. */
void vcli_print_usage(FILE *f)
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
	vcli_print_usage(stderr);
	fprintf(stderr, "%s: %s\n", where, what);
}

bool vcli_usage_failed(void)
{
	return usage_failed;
}

void vcli_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
		if (!f || fread(p->salt, 1, VCLI_DEFAULT_SALT_SIZE, f) != VCLI_DEFAULT_SALT_SIZE) {
			if (f)
				fclose(f);
			cli_error("verity", "cannot read random salt: %s", strerror(errno ? errno : EIO));
			return -EIO;
		}
		fclose(f);
		p->salt_size = VCLI_DEFAULT_SALT_SIZE;
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

/* --- a device argument: a path (opened) or an NBD URI (connected, lib/nbd) --- */
static int dev_pread(void *dev, void *buf, size_t len, uint64_t off)
{
	return udm_nbd_pread(dev, buf, len, off);
}

static int dev_pwrite(void *dev, const void *buf, size_t len, uint64_t off)
{
	return udm_nbd_pwrite(dev, buf, len, off);
}

bool vcli_is_uri(const char *path)
{
	return path && udm_nbd_is_uri(path);
}

int vcli_dev_open(const char *path, bool write, struct vcli_dev *d)
{
	*d = (struct vcli_dev){ .fd = -1, .io = { .fd = -1 } };
	if (!vcli_is_uri(path)) {
		d->fd = vcli_open_existing(path, write ? O_RDWR : O_RDONLY);
		if (d->fd < 0)
			return -ENODEV;
		d->io = verity_io_fd(d->fd);
		d->open = true;
		return 0;
	}
	char err[512];
	int r = udm_nbd_open(path, write, &d->nbd, err, sizeof(err));
	if (r) {
		cli_error("verity", "%s", err);
		return r == -EROFS ? r : -ENODEV;
	}
	d->io = (struct verity_io){ .fd = -1, .dev = d->nbd, .pread = dev_pread, .pwrite = write ? dev_pwrite : NULL };
	d->open = true;
	return 0;
}

void vcli_dev_close(struct vcli_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	udm_nbd_close(d->nbd);
	*d = (struct vcli_dev){ .fd = -1, .io = { .fd = -1 } };
}

int vcli_dev_size(const struct vcli_dev *d, uint64_t *size)
{
	if (d->nbd) {
		*size = udm_nbd_size(d->nbd);
		return 0;
	}
	return vcli_fd_size(d->fd, size);
}

bool vcli_dev_same(const struct vcli_dev *a, const struct vcli_dev *b)
{
	if (a->nbd || b->nbd)
		return a->nbd == b->nbd;   /* one export object per URI */
	return vcli_same_file(a->fd, b->fd);
}

int vcli_dev_sync(const struct vcli_dev *d)
{
	if (d->nbd)
		return udm_nbd_flush(d->nbd);
	/* the data and what reading it back needs (its size, its blocks): not the times, whose
	 * synchronous inode write is most of a re-format's sync on ext4 */
	return fdatasync(d->fd) ? -errno : 0;
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
int vcli_load_params(const struct verity_opts *o, const struct vcli_dev *hash, const char *hash_path,
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
	r = vcli_load_params(o, &s->hash, hash_path, &s->p);
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
