/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loop devices on RUNTIME/mapper/NAME: attach (LOOP_CTL_GET_FREE +
 * LOOP_CONFIGURE, falling back to LOOP_SET_FD + LOOP_SET_STATUS64), detach,
 * and the bookkeeping that lets udmd detach what it attached at shutdown and
 * after a crash (stale loops whose backing file is under the mapper dir).
 * Each attachment is also a binding of identity.c: the record decisions use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "daemon/events.h"
#include "daemon/export.h"
#include "daemon/udmd.h"

#define LOOP_MAJOR 7

struct attachment {
	struct attachment *next;
	dev_t dev;                 /* the udm device object */
	int minor;                 /* /dev/loopN */
	struct udmd_binding b;     /* as recorded in identity.c */
};

struct udmd_loops {
	pthread_mutex_t lock;
	struct attachment *list;
};

static void msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int table_live(struct udmd *d, const struct udmd_event *ev);

int udmd_loop_init(struct udmd *d)
{
	d->loops = calloc(1, sizeof(*d->loops));
	if (!d->loops)
		return -ENOMEM;
	pthread_mutex_init(&d->loops->lock, NULL);
	return udmd_subscribe(table_live);
}

/* The logical block size of a live device from its targets' I/O hints (a
 * verity device's data block size, as verity_io_hints sets it) when above
 * 512 bytes, else 0 (the loop device keeps its default). */
static unsigned block_size(struct udmd *d, dev_t dev)
{
	struct udm_io_limits l;
	if (udm_dev_io_limits(d->ctx, ((struct udm_dev_id){ .dev = dev }), 0, &l))
		return 0;
	unsigned bs = l.logical_block_size;
	return bs > 512 && bs <= 4096 ? bs : 0;
}

static int open_loop(int minor, int flags)
{
	char p[64];
	snprintf(p, sizeof(p), "/dev/loop%d", minor);
	int fd = open(p, flags | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* no devtmpfs node (some containers): make one */
		if (mknod(p, S_IFBLK | 0660, makedev(LOOP_MAJOR, minor)) == 0 || errno == EEXIST)
			fd = open(p, flags | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/* Is the loop device still bound to the file we attached? Its diskseq says
 * so; the backing inode cannot (a FUSE inode's number follows its path, and
 * the path is a name that a rename moves to another device). */
static bool still_bound(const struct attachment *a)
{
	uint64_t seq;
	int fd = open_loop(a->minor, O_RDONLY);
	if (fd < 0)
		return false;
	bool ok = ioctl(fd, BLKGETDISKSEQ, &seq) == 0 && seq == a->b.diskseq;
	close(fd);
	return ok;
}

static bool loop_unbound(int minor)
{
	int fd = open_loop(minor, O_RDONLY);
	if (fd < 0)
		return true;
	struct loop_info64 li;
	bool unbound = ioctl(fd, LOOP_GET_STATUS64, &li) < 0 && errno == ENXIO;
	close(fd);
	return unbound;
}

/* Find the attachment of dev (lock held), dropping records of loop devices
 * somebody else detached. */
static struct attachment **find_locked(struct udmd *d, dev_t dev)
{
	for (struct attachment **pp = &d->loops->list; *pp;) {
		struct attachment *a = *pp;
		if (a->dev == dev) {
			if (still_bound(a))
				return pp;
			udmd_log("/dev/loop%d was detached by someone else", a->minor);
			udmd_binding_drop(d, a->b.blk);
			*pp = a->next;
			free(a);
			continue;
		}
		pp = &a->next;
	}
	return NULL;
}

static void blk_of(const struct attachment *a, struct export_blk *blk)
{
	if (!blk)
		return;
	blk->rdev = a->b.blk;
	snprintf(blk->path, sizeof(blk->path), "/dev/loop%d", a->minor);
}

/* The loop minor attached to dev, or -1. */
static int find_minor(struct udmd *d, dev_t dev, struct export_blk *blk)
{
	pthread_mutex_lock(&d->loops->lock);
	struct attachment **pp = find_locked(d, dev);
	int m = pp ? (*pp)->minor : -1;
	if (pp)
		blk_of(*pp, blk);
	pthread_mutex_unlock(&d->loops->lock);
	return m;
}

int udmd_loop_find(struct udmd *d, dev_t dev, struct export_blk *blk)
{
	return find_minor(d, dev, blk) < 0 ? -ENXIO : 0;
}

bool udmd_loop_claimed(struct udmd *d, dev_t dev)
{
	int m = find_minor(d, dev, NULL);
	if (m < 0)
		return false;
	/* an exclusive open fails while a file system (or anyone else) holds it */
	int fd = open_loop(m, O_RDONLY | O_EXCL);
	if (fd >= 0)
		close(fd);
	return fd == -EBUSY;
}

static int configure(int lfd, int bfd, bool ro, const char *name, unsigned block_size)
{
	struct loop_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (unsigned)bfd;
	cfg.block_size = block_size;   /* 0: 512 */
	cfg.info.lo_flags = ro ? LO_FLAGS_READ_ONLY : 0;
	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "udm:%s", name);
	if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -errno;
	/* kernels before 5.8 */
	if (ioctl(lfd, LOOP_SET_FD, bfd) < 0)
		return -errno;
	if (ioctl(lfd, LOOP_SET_STATUS64, &cfg.info) < 0 ||
	    (block_size && ioctl(lfd, LOOP_SET_BLOCK_SIZE, (unsigned long)block_size) < 0)) {
		int r = -errno;
		ioctl(lfd, LOOP_CLR_FD, 0);
		return r;
	}
	return 0;
}

int udmd_loop_attach(struct udmd *d, const char *name, dev_t dev, bool readonly, struct export_blk *blk)
{
	struct udmd_loops *L = d->loops;
	pthread_mutex_lock(&L->lock);
	struct attachment **pp = find_locked(d, dev);
	int loopnr = -1;
	if (pp) {
		blk_of(*pp, blk);
		pthread_mutex_unlock(&L->lock);
		return -EEXIST;
	}
	int r, bfd = -1, ctl = -1, lfd = -1;
	struct attachment *a = calloc(1, sizeof(*a));
	if (!a) {
		r = -ENOMEM;
		goto out;
	}
	/* The device object the file serves is the one the open landed on; if
	 * that is no longer dev, name was moved to another device meanwhile. */
	dev_t obj = 0;
	bfd = udmd_fuse_open(d, name, readonly ? O_RDONLY : O_RDWR, &obj);
	if (bfd < 0) {
		r = bfd;
		bfd = -1;
		goto out;
	}
	if (obj != dev) {
		r = -EAGAIN;
		goto out;
	}
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		r = -errno;
		goto out;
	}
	/* before the loop device is configured: a uevent lost from here on
	 * keeps the identity cache from vouching for this binding */
	a->b.cache_epoch = udmd_identity_epoch(d);
	r = -EBUSY;
	for (int tries = 0; tries < 16 && r == -EBUSY; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			r = -errno;
			break;
		}
		lfd = open_loop(n, O_RDWR);
		if (lfd < 0) {
			r = lfd;
			lfd = -1;
			break;
		}
		/* a device's logical block size, as the kernel's io_hints raise it (verity: dbs) */
		r = configure(lfd, bfd, readonly, name, block_size(d, dev));
		if (r == 0) {
			loopnr = n;
		} else {
			close(lfd);
			lfd = -1;
		}
	}
	if (r)
		goto out;
	/* Read through lfd, which we still hold open: a LOOP_CLR_FD by anyone
	 * else waits for our close, so this is the diskseq of our binding. */
	struct stat lst;
	if (fstat(lfd, &lst) < 0 || ioctl(lfd, BLKGETDISKSEQ, &a->b.diskseq) < 0) {
		r = -errno;
		ioctl(lfd, LOOP_CLR_FD, 0);
		goto out;
	}
	a->dev = dev;
	a->minor = loopnr;
	a->b.kind = UDMD_BLK_LOOP;
	a->b.blk = lst.st_rdev;
	a->b.nr = loopnr;
	a->b.udm = dev;
	if ((r = udmd_binding_add(d, &a->b))) {
		ioctl(lfd, LOOP_CLR_FD, 0);
		goto out;
	}
	a->next = L->list;
	L->list = a;
	blk_of(a, blk);
	a = NULL;
	udmd_log("attached %s to /dev/loop%d%s", name, loopnr, readonly ? " (read-only)" : "");
out:
	free(a);
	if (lfd >= 0)
		close(lfd);
	if (ctl >= 0)
		close(ctl);
	if (bfd >= 0)
		close(bfd);   /* the loop device holds its own reference */
	pthread_mutex_unlock(&L->lock);
	return r;
}

/* Open a loop device to clear it: exclusively, or (force) even while it is
 * mounted or otherwise claimed, to clear it on its last close. fd or -errno. */
static int claim_loop(int minor, bool force)
{
	int fd = open_loop(minor, O_RDONLY | O_EXCL);
	if (fd < 0 && fd == -EBUSY && force)
		fd = open_loop(minor, O_RDONLY);
	return fd;
}

/* Clear a claimed loop device (closes fd); wait a little for the kernel to unbind it. */
static int clear_claimed(int fd, int minor)
{
	int r = ioctl(fd, LOOP_CLR_FD, 0) < 0 ? -errno : 0;
	close(fd);
	if (r)
		return r == -ENXIO ? 0 : r;
	for (int i = 0; i < 100 && !loop_unbound(minor); i++)
		msleep(20);
	return 0;
}

static int clear_loop(int minor, bool force)
{
	int fd = claim_loop(minor, force);
	return fd < 0 ? fd : clear_claimed(fd, minor);
}

/* The openers of dev. -1 if it is gone. */
static int open_count(struct udmd *d, dev_t dev)
{
	struct udm_info info;
	return udm_dev_info(d->ctx, (struct udm_dev_id){ .dev = dev }, 0, &info) ? -1 : info.open_count;
}

/* The loop driver drops its backing file with fput() once unbound, and FUSE
 * sends the RELEASE of that file asynchronously: the device's opener count
 * falls only when a FUSE thread of udmd has served it. Wait for that
 * (bounded), so that a remove or verity close right after a detach does not
 * find the loop's file still counted as an opener (EBUSY). */
static void wait_released(struct udmd *d, dev_t dev, int minor, int before)
{
	for (int i = 0; i < 400; i++) {
		int n = open_count(d, dev);
		if (n < 0 || n < before)
			return;
		msleep(5);
	}
	udmd_log("/dev/loop%d: its file was not released within 2 s", minor);
}

int udmd_loop_detach(struct udmd *d, dev_t dev, bool force)
{
	struct udmd_loops *L = d->loops;
	pthread_mutex_lock(&L->lock);
	struct attachment **pp = find_locked(d, dev);
	int r = -ENXIO;
	if (pp) {
		struct attachment *a = *pp;
		int fd = claim_loop(a->minor, force);
		if (fd < 0) {
			r = fd;   /* in use and !force: still attached, binding kept */
			goto out;
		}
		/* Drop the binding first: from here on no decision sees the
		 * device behind this loop, even while a forced detach waits for
		 * a mount's last close. Put back if the loop stays bound. */
		udmd_binding_drop(d, a->b.blk);
		int before = open_count(d, dev);
		r = clear_claimed(fd, a->minor);
		if (!r) {
			/* a forced detach of a mounted loop unbinds at the last close, later */
			if (before > 0 && loop_unbound(a->minor))
				wait_released(d, dev, a->minor, before);
			udmd_log("detached /dev/loop%d", a->minor);
			*pp = a->next;
			free(a);
		} else if (still_bound(a) && udmd_binding_add(d, &a->b)) {
			udmd_log("/dev/loop%d: binding lost (out of memory)", a->minor);
		}
	}
out:
	pthread_mutex_unlock(&L->lock);
	if (r == 0) {
		struct udmd_event ev = { .kind = UDMD_EV_EXPORT_WITHDRAWN, .dev = dev };
		udmd_publish(d, &ev);
	}
	return r;
}

/* After a table swap: resize the attached loop device and drop its page cache. */
static int table_live(struct udmd *d, const struct udmd_event *ev)
{
	if (ev->kind != UDMD_EV_RESUMED || !ev->swapped || !d->loops)
		return 0;
	int m = find_minor(d, ev->dev, NULL);
	if (m < 0)
		return 0;
	int fd = open_loop(m, O_RDONLY);
	if (fd < 0)
		return 0;
	/* the new table may have another size; cached blocks are the old table's */
	if (ioctl(fd, LOOP_SET_CAPACITY, 0) < 0)
		udmd_log("/dev/loop%d: LOOP_SET_CAPACITY: %s", m, strerror(errno));
	if (ioctl(fd, BLKFLSBUF, 0) < 0)
		udmd_log("/dev/loop%d: BLKFLSBUF: %s", m, strerror(errno));
	close(fd);
	return 0;
}

void udmd_loop_detach_all(struct udmd *d)
{
	struct udmd_loops *L = d->loops;
	if (!L)
		return;
	pthread_mutex_lock(&L->lock);
	while (L->list) {
		struct attachment *a = L->list;
		udmd_binding_drop(d, a->b.blk);
		int r = clear_loop(a->minor, true);
		if (r)
			udmd_log("detach /dev/loop%d: %s", a->minor, strerror(-r));
		else
			udmd_log("detached /dev/loop%d", a->minor);
		L->list = a->next;
		free(a);
	}
	pthread_mutex_unlock(&L->lock);
}

void udmd_loop_free(struct udmd *d)
{
	if (!d->loops)
		return;
	udmd_loop_detach_all(d);
	pthread_mutex_destroy(&d->loops->lock);
	free(d->loops);
	d->loops = NULL;
}

int udmd_loop_backing_file(const char *disk, char *path, size_t len)
{
	char p[300];
	snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", disk);
	FILE *f = fopen(p, "re");
	if (!f)
		return -errno;   /* not a loop device, or not bound */
	bool got = len > 0 && fgets(path, (int)len, f) != NULL;
	fclose(f);
	if (!got)
		return -EIO;
	path[strcspn(path, "\n")] = '\0';
	return 0;
}

/* Loop devices whose backing file lies under mapper_dir belong to a udmd that
 * died: detach them (deferred to their last close if still in use). Names are
 * good enough here: this only ever takes a loop device away. */
void udmd_loop_clean_stale(const char *mapper_dir)
{
	DIR *dir = opendir("/sys/block");
	if (!dir)
		return;
	size_t ml = strlen(mapper_dir);
	struct dirent *e;
	while ((e = readdir(dir))) {
		int n;
		char tail, back[4096];
		if (sscanf(e->d_name, "loop%d%c", &n, &tail) != 1)
			continue;
		if (udmd_loop_backing_file(e->d_name, back, sizeof(back)) ||
		    strncmp(back, mapper_dir, ml) != 0 || back[ml] != '/')
			continue;
		udmd_log("detaching stale /dev/loop%d (%s)", n, mapper_dir);
		int r = clear_loop(n, true);
		if (r)
			udmd_log("detach /dev/loop%d: %s", n, strerror(-r));
	}
	closedir(dir);
}
