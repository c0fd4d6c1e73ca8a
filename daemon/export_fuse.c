/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The FUSE export behind struct export_ops (export.h): each device with a
 * live table is the file RUNTIME/mapper/NAME (fuse.c), and its block device
 * is a loop device on that file (loop.c), bound to the device object in
 * identity.c. */
#include <stdbool.h>
#include "daemon/export.h"
#include "daemon/udmd.h"

static void fuse_export_clean_stale(struct udmd *d)
{
	udmd_loop_clean_stale(d->mapper_dir);
	udmd_fuse_clean_stale(d->mapper_dir);
}

static void fuse_export_detach_all(struct udmd *d)
{
	if (d->loops)
		udmd_loop_detach_all(d);
}

const struct export_ops udmd_export_fuse = {
	.name = "fuse",
	.blk_noun = "loop device",
	.init = udmd_loop_init,
	.clean_stale = fuse_export_clean_stale,
	.start = udmd_fuse_start,
	.attach = udmd_loop_attach,
	.detach = udmd_loop_detach,
	.detach_all = fuse_export_detach_all,
	.find = udmd_loop_find,
	.claimed = udmd_loop_claimed,
	.rename = udmd_fuse_rename,
	.stop = udmd_fuse_stop,
	.free = udmd_loop_free,
};
