/* RUNTIME/mapper: a FUSE file system with one file per device that has a live
 * table (mode 0600, sized as the device). Reads and writes go to udm_dev_io,
 * unaligned ones by read-modify-write of whole sectors; opening a file counts
 * as an opener of the device. direct_io keeps the kernel from caching data of
 * a table that is no longer live. */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse.h>
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
#include "daemon/udmd.h"

#define MAX_IO (1u << 20)

struct udmd_fuse {
	struct udmd *d;
	struct fuse *f;
	pthread_t th;
	bool running;
	time_t start;
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
	struct udm_dev *dev;
	if ((r = udm_dev_open(D()->ctx, UDM_BY_NAME(path + 1), &dev)))
		return r;
	fi->fh = (uintptr_t)dev;
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
	uint64_t start = (uint64_t)off & ~(uint64_t)(UDM_SECTOR_SIZE - 1);
	uint64_t end = ((uint64_t)off + size + UDM_SECTOR_SIZE - 1) & ~(uint64_t)(UDM_SECTOR_SIZE - 1);
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

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	conn->max_write = MAX_IO;
	conn->max_read = MAX_IO;
	conn->max_readahead = MAX_IO;
	cfg->direct_io = 1;
	cfg->use_ino = 1;
	cfg->nullpath_ok = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.release = op_release,
	.read = op_read,
	.write = op_write,
	.fsync = op_fsync,
	.truncate = op_truncate,
};

static void *loop_thread(void *arg)
{
	struct udmd_fuse *F = arg;
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	if (lc) {
		fuse_loop_cfg_set_max_threads(lc, 64);
		fuse_loop_cfg_set_idle_threads(lc, 8);
		fuse_loop_cfg_set_clone_fd(lc, 1);
	}
	fuse_loop_mt(F->f, lc);
	fuse_loop_cfg_destroy(lc);
	return NULL;
}

int udmd_fuse_start(struct udmd *d, char *err, size_t errlen)
{
	struct udmd_fuse *F = calloc(1, sizeof(*F));
	if (!F) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	F->d = d;
	F->start = time(NULL);
	d->fuse = F;
	if (mkdir(d->mapper_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", d->mapper_dir, strerror(errno));
		return -errno;
	}
	char *argv[] = { "udmd", "-o", "fsname=udm,subtype=udm,max_read=1048576", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	F->f = fuse_new(&args, &ops, sizeof(ops), d);
	fuse_opt_free_args(&args);
	if (!F->f) {
		snprintf(err, errlen, "%s: cannot set up FUSE", d->mapper_dir);
		return -EIO;
	}
	if (fuse_mount(F->f, d->mapper_dir) != 0) {
		snprintf(err, errlen, "%s: cannot mount FUSE (is /dev/fuse usable?)", d->mapper_dir);
		fuse_destroy(F->f);
		F->f = NULL;
		return -EIO;
	}
	if (pthread_create(&F->th, NULL, loop_thread, F) != 0) {
		snprintf(err, errlen, "cannot start FUSE threads");
		fuse_unmount(F->f);
		fuse_destroy(F->f);
		F->f = NULL;
		return -EAGAIN;
	}
	F->running = true;
	return 0;
}

/* The FUSE connection number (the minor of st_dev) of the topmost FUSE mount
 * at dir, from /proc/self/mountinfo, or -1. Never stat()s the mount: a stat
 * is a GETATTR request (or waits for INIT) that nobody may ever answer once
 * fuse_exit() was called, and would hang forever. */
static long fuse_conn_of(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[8192];
	long conn = -1;
	while (fgets(line, sizeof(line), f)) {
		char mnt[4096], fstype[64];
		unsigned maj, min;
		/* id parent maj:min root mountpoint opts ... - fstype source superopts */
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min, mnt) != 3)
			continue;
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(mnt, dir) == 0 && strncmp(fstype, "fuse", 4) == 0 && maj == 0)
			conn = (long)min;
	}
	fclose(f);
	return conn;
}

/* Abort FUSE connection conn (its workers then return); -1: nothing to do.
 * Needs fusectl on /sys/fs/fuse/connections; without it the unmount that
 * follows ends the connection once the mount has no users left. */
static void abort_connection(long conn)
{
	if (conn < 0)
		return;
	char p[128];
	snprintf(p, sizeof(p), "/sys/fs/fuse/connections/%ld/abort", conn);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			udmd_log("%s: %s", p, strerror(errno));
		close(fd);
	}
}

void udmd_fuse_stop(struct udmd *d)
{
	struct udmd_fuse *F = d->fuse;
	if (!F)
		return;
	if (F->running) {
		fuse_exit(F->f);
		/* Workers blocked on a suspended device that is still open cannot
		 * finish: abort the connection so the loop returns. */
		abort_connection(fuse_conn_of(d->mapper_dir));
		/* Detach, not fuse_unmount(): that would close the session fd
		 * under workers still reading it (found by TSan on the ipe mount). */
		if (umount2(d->mapper_dir, MNT_DETACH) < 0)
			fuse_unmount(F->f);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (pthread_timedjoin_np(F->th, NULL, &ts) != 0) {
			udmd_log("FUSE workers did not stop; leaving them");
			F->running = false;
			d->fuse = NULL;
			return;   /* the process exits anyway */
		}
		fuse_unmount(F->f);   /* the workers are gone: closes the fd */
		F->running = false;
	}
	if (F->f)
		fuse_destroy(F->f);
	free(F);
	d->fuse = NULL;
}

void udmd_fuse_swap(struct udmd *d, const char *name, dev_t dev)
{
	if (d->loops)
		udmd_loop_table_swapped(d, dev);
	if (d->fuse && d->fuse->running) {
		char path[UDM_NAME_LEN + 2];
		snprintf(path, sizeof(path), "/%s", name);
		fuse_invalidate_path(d->fuse->f, path);
	}
}

/* A mount of a killed udmd: its FUSE connection is dead (ENOTCONN). */
void udmd_fuse_clean_stale(const char *mapper_dir)
{
	long conn = fuse_conn_of(mapper_dir);
	if (conn < 0)
		return;
	udmd_log("%s: removing a stale FUSE mount", mapper_dir);
	abort_connection(conn);
	if (umount2(mapper_dir, MNT_DETACH) < 0)
		udmd_log("umount %s: %s", mapper_dir, strerror(errno));
}
