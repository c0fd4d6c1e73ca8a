/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm verity verify and dump: the offline verbs that read a hash device
 * (and the data) in process and print veritysetup's report. */
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

int vcli_verify(struct verity_opts *o)
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

int vcli_dump(struct verity_opts *o)
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
	r = vcli_load_params(o, &hash, o->args[1], &p);
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
