/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verity_source and verity_io: reads (and writes) by byte offset on a file
 * descriptor or a caller's device. */
#include <stdint.h>
#include "verity/io.h"
#include "verity/verity.h"

static int fd_pread(void *dev, void *buf, size_t len, uint64_t off)
{
	return verity_pread_full((int)(intptr_t)dev, buf, len, off);
}

struct verity_source verity_source_fd(int fd)
{
	return (struct verity_source){ .pread = fd_pread, .dev = (void *)(intptr_t)fd };
}

int verity_source_read(const struct verity_source *s, void *buf, size_t len, uint64_t off)
{
	return s->pread(s->dev, buf, len, off);
}

struct verity_io verity_io_fd(int fd)
{
	return (struct verity_io){ .fd = fd };
}

int verity_io_read(const struct verity_io *d, void *buf, size_t len, uint64_t off)
{
	if (d->fd >= 0)
		return verity_pread_full(d->fd, buf, len, off);
	return d->pread(d->dev, buf, len, off);
}

int verity_io_write(const struct verity_io *d, const void *buf, size_t len, uint64_t off)
{
	if (d->fd >= 0)
		return verity_pwrite_full(d->fd, buf, len, off);
	return d->pwrite ? d->pwrite(d->dev, buf, len, off) : -EROFS;
}
