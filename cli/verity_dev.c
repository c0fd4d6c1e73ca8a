/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A device argument of udm verity: a path (a file or block device, opened) or
 * an NBD URI (connected through lib/nbd), read and written as a verity_io. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/verity_cli.h"
#include "nbd/nbd.h"

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
	return fsync(d->fd) ? -errno : 0;
}
