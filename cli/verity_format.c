/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm verity format (veritysetup format): the hash tree, the superblock, FEC, the root hash,
 * and the files it created removed again when a signal ends it halfway. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/hex.h"
#include "cli/cli.h"
#include "cli/verity_cli.h"
#include "verity/verity.h"

static int write_root_hash_file(const char *path, const uint8_t *root, unsigned len)
{
	char hex[2 * VERITY_MAX_DIGEST_SIZE + 1];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	verity_hex_encode(root, len, hex);
	if (write(fd, hex, 2 * len) != (ssize_t)(2 * len))
		r = -EIO;
	if (close(fd) && !r)
		r = -errno;
	return r;
}

/* Opens (creating if missing, as veritysetup does) a device to be written. */
static int open_output(const char *path, bool *created)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC);
	return fd;
}

/* Grow a regular file to `size`; block devices must already be large enough. */
static int ensure_size(int fd, uint64_t size, const char *path)
{
	struct stat st;
	uint64_t have;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size))
			return -errno;
		return 0;
	}
	if (vcli_fd_size(fd, &have))
		return -errno;
	if (have < size) {
		cli_error("verity", "%s: device too small: %" PRIu64 " bytes needed", path, size);
		return -ENOSPC;
	}
	return 0;
}

/* The files format created, removed when a signal ends it halfway: a partly
 * written tree must not be left to pass for a finished one. (veritysetup
 * leaves it; a file that existed before is overwritten in place by both.) */
static const char *volatile format_created[2];
static const int format_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction format_old_act[sizeof(format_signals) / sizeof(format_signals[0])];

static void format_on_signal(int sig)
{
	for (int i = 0; i < 2; i++)
		if (format_created[i])
			unlink(format_created[i]);
	/* then die of the signal, as without the handler */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void format_signals_catch(bool on)
{
	struct sigaction sa = { .sa_handler = format_on_signal };

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(format_signals) / sizeof(format_signals[0]); i++) {
		if (on)
			sigaction(format_signals[i], &sa, &format_old_act[i]);
		else
			sigaction(format_signals[i], &format_old_act[i], NULL);
	}
}

int vcli_format(struct verity_opts *o)
{
	struct verity_params p;
	struct verity_geometry g;
	struct fec_info fec = { 0 };
	uint8_t root[VERITY_MAX_DIGEST_SIZE];
	struct vcli_dev data = { .fd = -1 }, hash = { .fd = -1 };
	int fec_fd = -1, r;
	/* written: a created file is removed on failure once format began to write
	 * it; a refusal before that leaves it empty, as veritysetup leaves it
	 * (scripts, cryptsetup's own tests among them, stat it afterwards) */
	bool hash_created = false, fec_created = false, sig_caught = false, hash_written = false,
	     fec_written = false;
	const char *data_path, *hash_path;
	uint64_t hash_end;

	if (o->nargs != 3) {
		vcli_usage_error("veritysetup", "format: requires <data_device> <hash_device> as arguments");
		return EXIT_PARAMS;
	}
	data_path = o->args[1];
	hash_path = o->args[2];
	r = vcli_params_from_opts(o, hash_path, &p);
	if (!r)
		r = vcli_check_fec_opts(o, &p);
	if (r)
		return vcli_exit_code(r);
	if (o->fec_device && (vcli_is_uri(data_path) || vcli_is_uri(hash_path) || vcli_is_uri(o->fec_device))) {
		cli_error("verity", "format: --fec-device with NBD devices is not supported (a table can use it)");
		return EXIT_PARAMS;
	}
	if (vcli_dev_open(data_path, false, &data))
		return EXIT_DEVICE;
	r = vcli_resolve_data_blocks(&p, &data, data_path);
	if (r)
		goto out;
	r = verity_geometry_init(&g, &p, verity_digest_size(p.hash_name));
	if (r || verity_geometry_hash_end(&g, &p, &hash_end)) {
		vcli_say("Hash area overflow.");
		r = -EINVAL;
		goto out;
	}
	format_signals_catch(true);
	sig_caught = true;
	if (vcli_is_uri(hash_path)) {
		/* an export to write the tree to: it must be writable and large enough */
		if ((r = vcli_dev_open(hash_path, true, &hash)))
			goto out;
	} else {
		hash.fd = open_output(hash_path, &hash_created);
		if (hash_created)
			format_created[0] = hash_path;
		if (hash.fd < 0) {
			vcli_say("Cannot create hash image %s for writing.", hash_path);
			r = -EINVAL;
			goto out;
		}
		hash.io = verity_io_fd(hash.fd);
	}
	if (vcli_dev_same(&data, &hash) &&
	    p.data_blocks * p.data_block_size > p.hash_area_offset) {
		vcli_say("Data area overlaps with hash area.");
		r = -EINVAL;
		goto out;
	}
	if (o->fec_device) {
		fec_fd = open_output(o->fec_device, &fec_created);
		if (fec_created)
			format_created[1] = o->fec_device;
		if (fec_fd < 0) {
			vcli_say("Cannot create FEC image %s for writing.", o->fec_device);
			r = -EINVAL;
			goto out;
		}
		struct vcli_dev fecd = { .fd = fec_fd };
		fec = vcli_fec_info(o, &fecd, &hash);
		if (vcli_same_file(fec_fd, data.fd) && p.data_blocks * p.data_block_size > fec.offset) {
			vcli_say("Data area overlaps with FEC area.");
			r = -EINVAL;
			goto out;
		}
		if (fec.on_hash_dev && hash_end > fec.offset) {
			vcli_say("Hash area overlaps with FEC area.");
			r = -EINVAL;
			goto out;
		}
	}
	if (p.data_block_size > (uint32_t)sysconf(_SC_PAGESIZE))
		vcli_say("WARNING: Kernel cannot activate device if data block size exceeds page size (%ld).",
		    sysconf(_SC_PAGESIZE));

	hash_written = true;
	if (hash.nbd) {
		uint64_t have = 0;
		vcli_dev_size(&hash, &have);
		if (have < hash_end) {
			cli_error("verity", "%s: device too small: %" PRIu64 " bytes needed", hash_path, hash_end);
			r = -ENOSPC;
		}
	} else {
		r = ensure_size(hash.fd, hash_end, hash_path);
	}
	if (r)
		goto out;
	r = verity_tree_create_io(&p, &data.io, &hash.io, o->threads, root);
	if (r) {
		vcli_say(r == -EIO ? "Input/output error while creating hash area." : "Creation of hash area failed.");
		goto out;
	}
	if (fec.on) {
		struct verity_fec_params f = { .fd = fec_fd, .offset = fec.offset, .roots = fec.roots };
		uint64_t hash_size;
		r = vcli_fd_size(hash.fd, &hash_size);
		if (!r)
			r = verity_fec_blocks(&p, &g, hash_size, fec.on_hash_dev, fec.offset, &f.blocks);
		if (r) {
			vcli_say("Invalid FEC segment length.");
			goto out;
		}
		fec.rs_blocks = verity_fec_rs_blocks(f.blocks, fec.roots);
		fec_written = true;
		r = ensure_size(fec_fd, fec.offset + fec.rs_blocks * p.data_block_size, o->fec_device);
		if (!r)
			r = verity_fec_encode(&p, &g, &f, data.fd, hash.fd, o->threads);
		if (r) {
			cli_error("verity", "%s: cannot write FEC parity: %s", o->fec_device, strerror(-r));
			goto out;
		}
	}
	if (!p.no_superblock) {
		r = verity_sb_write_io(&hash.io, &p);
		if (r) {
			vcli_say("Error during update of verity header on device %s.", hash_path);
			goto out;
		}
	}
	if ((r = vcli_dev_sync(&hash)) || (fec_fd >= 0 && fdatasync(fec_fd) && (r = -errno))) {
		cli_error("verity", "%s: %s", hash_path, strerror(-r));
		goto out;
	}
	/* veritysetup prints the header (crypt_dump), then writes the root hash file */
	vcli_print_header(hash_path, o->hash, &p, &g, &fec, root);
	hash_created = fec_created = false;   /* complete now: kept whatever follows */
	format_created[0] = format_created[1] = NULL;
	if (o->root_hash_file) {
		r = write_root_hash_file(o->root_hash_file, root, g.digest_size);
		if (r == -EIO)
			vcli_say("Cannot write to root hash file %s.", o->root_hash_file);
		else if (r)
			vcli_say("Cannot create root hash file %s for writing.", o->root_hash_file);
		if (r)
			r = -EINVAL;
	}
out:
	if (r && hash_created && hash_written)
		unlink(hash_path);
	if (r && fec_created && fec_written)
		unlink(o->fec_device);
	if (sig_caught) {
		format_created[0] = format_created[1] = NULL;
		format_signals_catch(false);
	}
	if (fec_fd >= 0)
		close(fec_fd);
	vcli_dev_close(&hash);
	vcli_dev_close(&data);
	return vcli_exit_code(r);
}
