/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backing devices of a table (the kernel's dm_get_device): a regular file, a
 * block device, another udm device of the same context (stacking), or a
 * device behind ops (blockdev_nbd.c: an NBD URI); which block devices are
 * the program's exports of its own devices it says through
 * udm_ctx_set_export_callback. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "core/core.h"

/* "MAJ:MIN" with nothing else: the kernel's lookup by device number. */
static bool parse_majmin(const char *s, unsigned *maj, unsigned *min)
{
	char tail;
	return sscanf(s, "%u:%u%c", maj, min, &tail) == 2;
}

/* Path of the block device node for a device number, via sysfs when /dev/block
 * is missing (containers). */
static int block_node_path(unsigned maj, unsigned min, char *out, size_t outlen)
{
	snprintf(out, outlen, "/dev/block/%u:%u", maj, min);
	if (access(out, F_OK) == 0)
		return 0;
	char uevent[128], line[256];
	snprintf(uevent, sizeof(uevent), "/sys/dev/block/%u:%u/uevent", maj, min);
	FILE *f = fopen(uevent, "r");
	if (!f)
		return -ENXIO;
	int r = -ENXIO;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "DEVNAME=", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, outlen, "/dev/%.40s", line + 8);
			r = 0;
		}
	fclose(f);
	return r;
}

static struct udm_dev *mapper_path_device(struct udm_ctx *ctx, const char *path)
{
	size_t n = strlen(ctx->mapper_dir);
	if (!n || strncmp(path, ctx->mapper_dir, n) != 0 || path[n] != '/')
		return NULL;
	struct udm_info info;
	if (udm_dev_info(ctx, UDM_BY_NAME(path + n + 1), 0, &info))
		return NULL;
	return udm_dev_lookup_devt(ctx, info.dev);
}

static int open_lower(struct udm_target *ti, struct udm_dev *lower, struct udm_blockdev *bd)
{
	struct udm_dev *md = ti->table->md;
	/* The kernel refuses a device as its own table's device (-EINVAL from
	 * bd_link_disk_holder); the target reports it as a failed lookup. */
	if (lower == md) {
		udm_dev_unpin(lower);
		return -EINVAL;
	}
	int r = udm_dev_open_md(lower);
	udm_dev_unpin(lower);
	if (r)
		return r;
	bd->lower = lower;
	bd->devt = lower->dev;
	pthread_mutex_lock(&lower->io_lock);
	bd->sectors = lower->sectors;
	pthread_mutex_unlock(&lower->io_lock);
	snprintf(bd->name, sizeof(bd->name), "%u:%u", major(lower->dev), minor(lower->dev));
	return 0;
}

static int open_path(struct udm_target *ti, const char *path, struct udm_blockdev *bd)
{
	int flags = (udm_table_is_readonly(ti->table) ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	int dirfd = ti->table->dirfd;
	struct stat pre;
	/* Never open what cannot back a device: opening some character devices
	 * has side effects (a watchdog starts ticking). */
	/* dm_get_device: a path that names nothing is -ENODEV */
	if (fstatat(dirfd, path, &pre, 0) < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	if (!S_ISREG(pre.st_mode) && !S_ISBLK(pre.st_mode))
		return -ENOTBLK;
	int fd = openat(dirfd, path, flags);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
		int lbs = 0;
		if (ioctl(fd, BLKSSZGET, &lbs) < 0 || lbs < (int)UDM_SECTOR_SIZE)
			lbs = UDM_SECTOR_SIZE;
		bd->lbs = (unsigned)lbs;
		bd->devt = st.st_rdev;
		bd->sectors = bytes >> UDM_SECTOR_SHIFT;
		snprintf(bd->name, sizeof(bd->name), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	} else if (S_ISREG(st.st_mode)) {
		/* The name is the file's absolute path, whichever directory the
		 * path was relative to: what the open file descriptor points at. */
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(proc, bd->name, sizeof(bd->name));
		if (n <= 0 || (size_t)n >= sizeof(bd->name) || bd->name[0] != '/') {
			close(fd);
			return -ENAMETOOLONG;
		}
		bd->name[n] = '\0';
		bd->devt = 0;
		bd->sectors = (uint64_t)st.st_size >> UDM_SECTOR_SHIFT;
		bd->lbs = UDM_SECTOR_SIZE;
	} else {
		close(fd);
		return -ENOTBLK;
	}
	bd->fd = fd;
	return 0;
}

void udm_ctx_set_export_callback(struct udm_ctx *ctx, dev_t (*fn)(void *, dev_t), void *arg)
{
	ctx->export_fn = fn;
	ctx->export_arg = arg;
}

/* A block device the program exports as one of its devices (udmd's loop
 * device on RUNTIME/mapper/NAME, the /dev/mapper/NAME of --dev-links) is,
 * for a table, that device itself: the kernel's /dev/mapper/NAME is the dm
 * device, so stacking on it makes the lower device's opener count rise
 * (close and remove then fail with EBUSY, a deferred removal waits for it),
 * and the I/O goes to the lower device directly instead of round through
 * the export back into this process. Which block devices are exports only
 * the program knows (udm_ctx_set_export_callback): udmd answers from the
 * bindings it made at attach, never from a loop's backing file name.
 * Returns the lower device (pinned) or NULL. */
static struct udm_dev *exported_device(struct udm_ctx *ctx, dev_t devt)
{
	if (!ctx->export_fn)
		return NULL;
	dev_t udm = ctx->export_fn(ctx->export_arg, devt);
	return udm && major(udm) == UDM_MAJOR ? udm_dev_lookup_devt(ctx, udm) : NULL;
}

int udm_get_device(struct udm_target *ti, const char *path, struct udm_blockdev **out)
{
	struct udm_table *t = ti->table;
	struct udm_ctx *ctx = t->md->ctx;
	struct udm_blockdev *bd = calloc(1, sizeof(*bd));
	if (!bd)
		return -ENOMEM;
	bd->fd = -1;
	unsigned maj, min;
	int r;
	struct udm_dev *lower = NULL;

	t->dev_error[0] = '\0';
	if ((r = udm_blockdev_nbd_open(ti, path, bd)) != -ENOENT) {
		/* an NBD URI: never a path */
	} else if (parse_majmin(path, &maj, &min)) {
		if (maj == UDM_MAJOR) {
			lower = udm_dev_lookup_devt(ctx, makedev(maj, min));
			r = lower ? open_lower(ti, lower, bd) : -ENXIO;
		} else {
			char node[64];
			r = block_node_path(maj, min, node, sizeof(node));
			if (!r)
				r = open_path(ti, node, bd);
		}
	} else if ((lower = mapper_path_device(ctx, path))) {
		r = open_lower(ti, lower, bd);
	} else {
		r = open_path(ti, path, bd);
	}
	if (!r && !bd->lower && bd->devt && (lower = exported_device(ctx, bd->devt))) {
		/* a table onto its own export fails here (-EINVAL), as the
		 * kernel refuses a device as its own table's device */
		close(bd->fd);
		bd->fd = -1;
		r = open_lower(ti, lower, bd);
	}
	if (r) {
		free(bd);
		return r;
	}
	/* One open per distinct device per table, like dm_get_table_device. */
	for (struct udm_blockdev *e = t->devices; e; e = e->next)
		if (strcmp(e->name, bd->name) == 0) {
			udm_blockdev_close(bd);
			e->refs++;
			*out = e;
			return 0;
		}
	bd->refs = 1;
	bd->next = t->devices;
	t->devices = bd;
	*out = bd;
	return 0;
}

void udm_put_device(struct udm_target *ti, struct udm_blockdev *dev)
{
	struct udm_table *t = ti->table;
	for (struct udm_blockdev **pp = &t->devices; *pp; pp = &(*pp)->next)
		if (*pp == dev) {
			if (--dev->refs == 0) {
				*pp = dev->next;
				udm_blockdev_close(dev);
			}
			return;
		}
}

void udm_blockdev_close(struct udm_blockdev *bd)
{
	if (bd->ops)
		bd->ops->close(bd);
	if (bd->fd >= 0)
		close(bd->fd);
	if (bd->lower)
		udm_dev_close(bd->lower);
	free(bd);
}

const char *udm_blockdev_name(const struct udm_blockdev *dev) { return dev->name; }
dev_t udm_blockdev_devt(const struct udm_blockdev *dev) { return dev->devt; }
int udm_blockdev_fd(const struct udm_blockdev *dev) { return dev->fd; }

unsigned udm_blockdev_logical_block_size(const struct udm_blockdev *dev)
{
	return dev->lower ? udm_dev_logical_block_size(dev->lower) : dev->lbs;
}

uint64_t udm_blockdev_sectors(const struct udm_blockdev *dev)
{
	if (dev->lower)
		return udm_dev_sectors(dev->lower);
	return dev->sectors;
}

static int full_pio(int fd, void *buf, size_t len, uint64_t off, bool write)
{
	char *p = buf;
	while (len) {
		ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (write)
				return -EIO;
			memset(p, 0, len);   /* past the end of a regular file: a hole */
			return 0;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int udm_blockdev_read(struct udm_blockdev *dev, void *buf, uint64_t sector, uint32_t nr)
{
	if (dev->lower)
		return udm_dev_io(dev->lower, UDM_IO_READ, 0, sector, nr, buf);
	if (sector + nr > dev->sectors || sector + nr < sector)
		return -EIO;
	if (dev->ops)
		return dev->ops->read(dev, buf, (size_t)nr << UDM_SECTOR_SHIFT, sector << UDM_SECTOR_SHIFT);
	return full_pio(dev->fd, buf, (size_t)nr << UDM_SECTOR_SHIFT, sector << UDM_SECTOR_SHIFT, false);
}

int udm_blockdev_write(struct udm_blockdev *dev, const void *buf, uint64_t sector, uint32_t nr)
{
	if (dev->lower)
		return udm_dev_io(dev->lower, UDM_IO_WRITE, 0, sector, nr, (void *)buf);
	if (sector + nr > dev->sectors || sector + nr < sector)
		return -EIO;
	if (dev->ops)
		return dev->ops->write(dev, buf, (size_t)nr << UDM_SECTOR_SHIFT, sector << UDM_SECTOR_SHIFT);
	return full_pio(dev->fd, (void *)buf, (size_t)nr << UDM_SECTOR_SHIFT, sector << UDM_SECTOR_SHIFT, true);
}

int udm_blockdev_pread(struct udm_blockdev *dev, void *buf, size_t len, uint64_t offset)
{
	if (dev->lower) {
		/* Stacked: go through whole sectors of the lower device. */
		uint64_t first = offset >> UDM_SECTOR_SHIFT;
		uint64_t last = (offset + len + UDM_SECTOR_SIZE - 1) >> UDM_SECTOR_SHIFT;
		size_t span = (size_t)(last - first) << UDM_SECTOR_SHIFT;
		char *tmp = malloc(span);
		if (!tmp)
			return -ENOMEM;
		int r = udm_dev_io(dev->lower, UDM_IO_READ, 0, first, (uint32_t)(last - first), tmp);
		if (!r)
			memcpy(buf, tmp + (offset - (first << UDM_SECTOR_SHIFT)), len);
		free(tmp);
		return r;
	}
	if (offset + len > (dev->sectors << UDM_SECTOR_SHIFT) && (dev->devt || dev->ops))
		return -EIO;
	if (dev->ops)
		return dev->ops->read(dev, buf, len, offset);
	return full_pio(dev->fd, buf, len, offset, false);
}

int udm_blockdev_flush(struct udm_blockdev *dev)
{
	if (dev->lower)
		return udm_dev_io(dev->lower, UDM_IO_FLUSH, 0, 0, 0, NULL);
	if (dev->ops)
		return dev->ops->flush(dev);
	return fdatasync(dev->fd) < 0 ? -errno : 0;
}

int udm_blockdev_discard(struct udm_blockdev *dev, uint64_t sector, uint64_t nr)
{
	if (dev->lower)
		return udm_dev_io(dev->lower, UDM_IO_DISCARD, 0, sector, (uint32_t)nr, NULL);
	if (dev->ops)
		return dev->ops->discard(dev, sector << UDM_SECTOR_SHIFT, nr << UDM_SECTOR_SHIFT);
	if (dev->devt) {
		uint64_t range[2] = { sector << UDM_SECTOR_SHIFT, nr << UDM_SECTOR_SHIFT };
		return ioctl(dev->fd, BLKDISCARD, range) < 0 ? -errno : 0;
	}
	if (fallocate(dev->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(sector << UDM_SECTOR_SHIFT),
		      (off_t)(nr << UDM_SECTOR_SHIFT)) < 0)
		return -errno;
	return 0;
}
