/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RUNTIME/mapper: a FUSE file system with one file per device that has a live
 * table (mode 0600, sized as the device). Reads and writes go to udm_dev_io,
 * unaligned ones by read-modify-write of whole sectors; opening a file counts
 * as an opener of the device. direct_io keeps the kernel from caching data of
 * a table that is no longer live. */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse.h>
#include "daemon/fuse_mount.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "daemon/events.h"
#include "daemon/udmd.h"

#define MAX_IO (1u << 20)
/* Reads come in requests of at most 512 KiB: the verity target verifies ahead of a
 * sequential reader in 256 KiB chunks (lib/verity/readahead.c); a request of two chunks
 * costs fewer round trips than smaller ones and leaves the verifying threads room to
 * stay ahead (bench/README.md, "verity open"). */
#define MAX_READ (512u << 10)
#define MAX_READ_STR "524288"

/* A thread of udmd waiting to learn which device object its own open of a
 * mapper file landed on (udmd_fuse_open). */
struct opener {
	struct opener *next;
	pid_t tid;
	dev_t dev;
};

struct udmd_fuse {
	struct udmd *d;
	struct udmd_fuse_mount m;
	time_t start;
	pthread_mutex_t openers_lock;
	struct opener *openers;
};

static struct udmd *D(void)
{
	return fuse_get_context()->private_data;
}

/* "/NAME" of a device with a live table */
static int lookup(const char *path, struct udm_info *info)
{
	if (!path || path[0] != '/' || !path[1] || strchr(path + 1, '/'))
		return -ENOENT;
	if (udm_dev_info(D()->ctx, UDM_BY_NAME(path + 1), 0, info) || !(info->flags & UDM_F_ACTIVE_PRESENT))
		return -ENOENT;
	return 0;
}

static void fill_stat(struct stat *st, const struct udm_info *info, time_t t)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_ino = minor(info->dev) + 2;
	st->st_size = (off_t)(info->sectors << UDM_SECTOR_SHIFT);
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)info->sectors;
	st->st_atime = st->st_mtime = st->st_ctime = t;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	struct udmd_fuse *F = D()->fuse;
	if ((path && strcmp(path, "/") == 0) || (!path && !(fi && fi->fh))) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_ino = 1;
		st->st_atime = st->st_mtime = st->st_ctime = F->start;
		return 0;
	}
	struct udm_info info;
	if (fi && fi->fh) {
		/* an open file: its device, whatever its name is now */
		struct udm_dev *dev = (struct udm_dev *)(uintptr_t)fi->fh;
		if (lookup(path, &info)) {
			memset(&info, 0, sizeof(info));
			info.sectors = udm_dev_sectors(dev);
		}
		fill_stat(st, &info, F->start);
		return 0;
	}
	int r = lookup(path, &info);
	if (r)
		return r;
	fill_stat(st, &info, F->start);
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (path && strcmp(path, "/") != 0)   /* NULL (nullpath_ok): the only directory */
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	struct udm_name_entry *e;
	size_t n;
	if (udm_list_devices(D()->ctx, &e, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct udm_info info;
		if (udm_dev_info(D()->ctx, UDM_BY_NAME(e[i].name), 0, &info) == 0 &&
		    (info.flags & UDM_F_ACTIVE_PRESENT))
			filler(buf, e[i].name, NULL, 0, 0);
	}
	free(e);
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct udm_info info;
	int r = lookup(path, &info);
	if (r)
		return r;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && (info.flags & UDM_F_READONLY))
		return -EROFS;
	/* by number, not by name again: the object lookup() described */
	struct udm_dev *dev;
	if ((r = udm_dev_open(D()->ctx, (struct udm_dev_id){ .dev = info.dev }, &dev)))
		return r;
	fi->fh = (uintptr_t)dev;
	/* The kernel sends the opener's thread id; tell a waiting udmd thread. */
	struct udmd_fuse *F = D()->fuse;
	pid_t tid = fuse_get_context()->pid;
	pthread_mutex_lock(&F->openers_lock);
	for (struct opener *o = F->openers; o; o = o->next)
		if (o->tid == tid)
			o->dev = info.dev;
	pthread_mutex_unlock(&F->openers_lock);
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	if (fi->fh)
		udm_dev_close((struct udm_dev *)(uintptr_t)fi->fh);
	return 0;
}

/* Whole-sector I/O in pieces of at most MAX_IO bytes. */
static int sector_io(struct udm_dev *dev, enum udm_io_op op, uint64_t off, size_t len, void *buf)
{
	char *p = buf;
	while (len) {
		size_t n = len > MAX_IO ? MAX_IO : len;
		int r = udm_dev_io(dev, op, 0, off >> UDM_SECTOR_SHIFT, (uint32_t)(n >> UDM_SECTOR_SHIFT), p);
		if (r)
			return r;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct udm_dev *dev = (struct udm_dev *)(uintptr_t)fi->fh;
	uint64_t devsize = udm_dev_sectors(dev) << UDM_SECTOR_SHIFT;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= devsize || size == 0)
		return 0;
	if (size > devsize - (uint64_t)off)
		size = (size_t)(devsize - (uint64_t)off);
	/* whole logical blocks, as the block device's page cache reads them (verity: the
	 * data block size; a read of part of one is served from the whole block) */
	uint64_t bs = udm_dev_logical_block_size(dev);
	uint64_t start = (uint64_t)off & ~(bs - 1);
	uint64_t end = ((uint64_t)off + size + bs - 1) & ~(bs - 1);
	if (end > devsize)
		end = devsize;
	if (start == (uint64_t)off && end == (uint64_t)off + size) {
		int r = sector_io(dev, UDM_IO_READ, start, size, buf);
		return r ? r : (int)size;
	}
	char *b = malloc(end - start);
	if (!b)
		return -ENOMEM;
	int r = sector_io(dev, UDM_IO_READ, start, end - start, b);
	if (!r)
		memcpy(buf, b + ((uint64_t)off - start), size);
	free(b);
	return r ? r : (int)size;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct udm_dev *dev = (struct udm_dev *)(uintptr_t)fi->fh;
	if (udm_dev_readonly(dev))
		return -EROFS;
	uint64_t devsize = udm_dev_sectors(dev) << UDM_SECTOR_SHIFT;
	if (off < 0)
		return -EINVAL;
	if (size == 0)
		return 0;
	if ((uint64_t)off >= devsize)
		return -ENOSPC;
	if (size > devsize - (uint64_t)off)
		size = (size_t)(devsize - (uint64_t)off);
	uint64_t start = (uint64_t)off & ~(uint64_t)(UDM_SECTOR_SIZE - 1);
	uint64_t end = ((uint64_t)off + size + UDM_SECTOR_SIZE - 1) & ~(uint64_t)(UDM_SECTOR_SIZE - 1);
	if (start == (uint64_t)off && end == (uint64_t)off + size) {
		int r = sector_io(dev, UDM_IO_WRITE, start, size, (void *)buf);
		return r ? r : (int)size;
	}
	/* Read-modify-write of the partial first and last sectors. Not atomic
	 * against a concurrent writer of the same sector, like O_DIRECT-less
	 * partial-block writes to a block device without a page cache. */
	char *b = malloc(end - start);
	if (!b)
		return -ENOMEM;
	int r = 0;
	if (start != (uint64_t)off)
		r = sector_io(dev, UDM_IO_READ, start, UDM_SECTOR_SIZE, b);
	if (!r && end != (uint64_t)off + size && (end - UDM_SECTOR_SIZE != start || start == (uint64_t)off))
		r = sector_io(dev, UDM_IO_READ, end - UDM_SECTOR_SIZE, UDM_SECTOR_SIZE, b + (end - start) - UDM_SECTOR_SIZE);
	if (!r) {
		memcpy(b + ((uint64_t)off - start), buf, size);
		r = sector_io(dev, UDM_IO_WRITE, start, end - start, b);
	}
	free(b);
	return r ? r : (int)size;
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return udm_dev_io((struct udm_dev *)(uintptr_t)fi->fh, UDM_IO_FLUSH, 0, 0, 0, NULL);
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct stat st;
	int r = op_getattr(path, &st, fi);
	if (r)
		return r;
	return size == st.st_size ? 0 : -EPERM;
}

/* Renames of devices with a live table come through here (udmd_fuse_rename),
 * so that libfuse's node and the kernel's dentry move with the device: a file
 * open on it (a loop device) keeps describing its own device -- getattr
 * resolves the node's path -- and the old name, looked up again, is a new node
 * for whichever device has it now. Only udmd's own threads may rename here;
 * anybody else renames through the control socket. */
static int op_rename(const char *from, const char *to, unsigned int flags)
{
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/task/%d", (int)fuse_get_context()->pid);
	if (access(self, F_OK) != 0)
		return -EPERM;
	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if (!from || !to || from[0] != '/' || to[0] != '/' || strchr(from + 1, '/') || strchr(to + 1, '/'))
		return -EINVAL;
	return udm_dev_rename(D()->ctx, from + 1, to + 1, 0, NULL);
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	conn->max_write = MAX_IO;
	conn->max_read = MAX_READ;
	conn->max_readahead = MAX_IO;
	udmd_fuse_uncached(cfg);
	cfg->use_ino = 1;
	/* no ".fuse_hidden" renames of open files: op_rename renames devices */
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.rename = op_rename,
	.release = op_release,
	.read = op_read,
	.write = op_write,
	.fsync = op_fsync,
	.truncate = op_truncate,
};

static int table_live(struct udmd *d, const struct udmd_event *ev);

int udmd_fuse_start(struct udmd *d, char *err, size_t errlen)
{
	if (udmd_subscribe(table_live)) {
		snprintf(err, errlen, "too many event subscribers");
		return -ENOSPC;
	}
	struct udmd_fuse *F = calloc(1, sizeof(*F));
	if (!F) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	F->d = d;
	F->start = time(NULL);
	pthread_mutex_init(&F->openers_lock, NULL);
	F->m.max_threads = 64;
	F->m.idle_threads = 8;
	F->m.clone_fd = true;
	d->fuse = F;
	return udmd_fuse_mount_start(&F->m, d->mapper_dir, "fsname=udm,subtype=udm,max_read=" MAX_READ_STR, &ops, d,
				     err, errlen);
}

void udmd_fuse_stop(struct udmd *d)
{
	struct udmd_fuse *F = d->fuse;
	if (!F)
		return;
	if (udmd_fuse_mount_stop(&F->m)) {
		pthread_mutex_destroy(&F->openers_lock);
		free(F);
	}
	d->fuse = NULL;
}

int udmd_fuse_rename(struct udmd *d, const char *name, const char *newname)
{
	struct udmd_fuse *F = d->fuse;
	size_t nl = strlen(name), ml = strlen(newname);
	/* what only the library can judge (and answer with the kernel's errno) */
	if (!F || !F->m.running || !nl || nl >= UDM_NAME_LEN || !ml || ml >= UDM_NAME_LEN || strchr(name, '/') ||
	    strchr(newname, '/') || !strcmp(name, ".") || !strcmp(name, "..") || !strcmp(newname, ".") ||
	    !strcmp(newname, "..") || !strcmp(newname, "control"))
		return -ENOENT;
	char from[sizeof(d->mapper_dir) + UDM_NAME_LEN + 1], to[sizeof(from)];
	snprintf(from, sizeof(from), "%s/%s", d->mapper_dir, name);
	snprintf(to, sizeof(to), "%s/%s", d->mapper_dir, newname);
	return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0 ? -errno : 0;
}

int udmd_fuse_open(struct udmd *d, const char *name, int flags, dev_t *obj)
{
	struct udmd_fuse *F = d->fuse;
	if (!F || !F->m.running)
		return -ENOTCONN;
	char path[sizeof(d->mapper_dir) + UDM_NAME_LEN + 1];
	snprintf(path, sizeof(path), "%s/%s", d->mapper_dir, name);
	struct opener me = { .tid = gettid() };
	pthread_mutex_lock(&F->openers_lock);
	me.next = F->openers;
	F->openers = &me;
	pthread_mutex_unlock(&F->openers_lock);
	/* Goes through our own FUSE workers, which fill me.dev in op_open. */
	int fd = open(path, flags | O_CLOEXEC);
	int r = fd < 0 ? -errno : fd;
	pthread_mutex_lock(&F->openers_lock);
	for (struct opener **pp = &F->openers; *pp; pp = &(*pp)->next)
		if (*pp == &me) {
			*pp = me.next;
			break;
		}
	pthread_mutex_unlock(&F->openers_lock);
	if (fd >= 0 && !me.dev) {
		/* an open that did not pass through op_open: we cannot tell what it is */
		close(fd);
		r = -EIO;
	}
	*obj = me.dev;
	return r;
}

/* A new table is live: the file's size and cached attributes go. */
static int table_live(struct udmd *d, const struct udmd_event *ev)
{
	if (ev->kind == UDMD_EV_RESUMED && ev->swapped && d->fuse && d->fuse->m.running) {
		char path[UDM_NAME_LEN + 2];
		snprintf(path, sizeof(path), "/%s", ev->name);
		fuse_invalidate_path(d->fuse->m.f, path);
	}
	return 0;
}

/* A mount of a killed udmd: its FUSE connection is dead (ENOTCONN). */
void udmd_fuse_clean_stale(const char *mapper_dir)
{
	long conn = udmd_fuse_conn_of(mapper_dir);
	if (conn < 0)
		return;
	udmd_log("%s: removing a stale FUSE mount", mapper_dir);
	udmd_fuse_abort(conn);
	if (umount2(mapper_dir, MNT_DETACH) < 0)
		udmd_log("umount %s: %s", mapper_dir, strerror(errno));
}
