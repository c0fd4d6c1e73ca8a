/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NBD exports as backing devices: a table line may name nbd://HOST[:PORT]/EXPORT,
 * nbds://... or nbd+unix:///EXPORT?socket=PATH wherever it names a device. The
 * export (lib/nbd) is shared by every table and target of the process that
 * names the same URI; this file only adapts it to struct udm_blockdev. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/core.h"
#include "nbd/nbd.h"

static int nbd_read(struct udm_blockdev *bd, void *buf, size_t len, uint64_t off)
{
	return udm_nbd_pread(bd->priv, buf, len, off);
}

static int nbd_write(struct udm_blockdev *bd, const void *buf, size_t len, uint64_t off)
{
	return udm_nbd_pwrite(bd->priv, buf, len, off);
}

static int nbd_flush(struct udm_blockdev *bd)
{
	return udm_nbd_flush(bd->priv);
}

static int nbd_discard(struct udm_blockdev *bd, uint64_t off, uint64_t len)
{
	return udm_nbd_trim(bd->priv, off, len);
}

static void nbd_close(struct udm_blockdev *bd)
{
	udm_nbd_close(bd->priv);
}

static const struct udm_blockdev_ops nbd_ops = {
	.read = nbd_read,
	.write = nbd_write,
	.flush = nbd_flush,
	.discard = nbd_discard,
	.close = nbd_close,
};

int udm_blockdev_nbd_open(struct udm_target *ti, const char *path, struct udm_blockdev *bd)
{
	struct udm_table *t = ti->table;
	if (!udm_nbd_is_uri(path))
		return -ENOENT;
	if (strlen(path) >= sizeof(bd->name)) {
		snprintf(t->dev_error, sizeof(t->dev_error), "NBD URI too long");
		return -ENAMETOOLONG;
	}
	struct udm_nbd *n;
	/* as for a local device: a read-write table needs a writable export */
	int r = udm_nbd_open(path, !udm_table_is_readonly(t), &n, t->dev_error, sizeof(t->dev_error));
	if (r)
		return r;
	bd->ops = &nbd_ops;
	bd->priv = n;
	bd->devt = 0;
	bd->sectors = udm_nbd_size(n) >> UDM_SECTOR_SHIFT;
	bd->lbs = UDM_SECTOR_SIZE;
	snprintf(bd->name, sizeof(bd->name), "%s", path);
	return 0;
}
