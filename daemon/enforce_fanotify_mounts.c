/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend's view of udmd's mount table (enforce_fanotify.h):
 * /proc/self/mountinfo read line by line, the mount point of a superblock,
 * whether a path is a whole mount, and which superblocks are FUSE ones (a
 * decision never asks those: their server could hold it). Every stat here
 * is answered from the kernel's inode, never by the filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "daemon/enforce_fanotify.h"

/* stat without asking the filesystem: the superblock, inode and mode are in
 * the kernel's inode. A FUSE server that never answers would otherwise hang
 * this thread, and with it every exec on a marked filesystem (in system
 * scope: every exec on the machine; any user can mount a FUSE filesystem). */
int fan_statx_cached(int dirfd, const char *path, int flags, struct stat *st, uint64_t *attributes)
{
	struct statx x;
	if (statx(dirfd, path, flags | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_INO, &x) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	st->st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
	st->st_ino = x.stx_ino;
	st->st_mode = x.stx_mode;
	if (attributes)
		*attributes = x.stx_attributes & x.stx_attributes_mask;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int fan_each_mount(int (*fn)(void *, const char *, dev_t, const char *), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	int r = 0;
	while (!r && getline(&line, &cap, f) > 0) {
		unsigned ma, mi;
		int n = 0;
		if (sscanf(line, "%*d %*d %u:%u %*s %n", &ma, &mi, &n) < 2 || !n)
			continue;
		char *mp = line + n, *end = strchr(mp, ' ');
		if (!end)
			continue;
		*end = '\0';
		unescape(mp);
		/* the file system type follows the " - " separator */
		char *sep = strstr(end + 1, " - "), *type = sep ? sep + 3 : (char *)"";
		type[strcspn(type, " \n")] = '\0';
		r = fn(arg, mp, makedev(ma, mi), type);
	}
	free(line);
	fclose(f);
	return r;
}

struct find_mount { dev_t dev; char path[PATH_MAX]; };

static int find_mount_fn(void *arg, const char *mp, dev_t dev, const char *type)
{
	(void)type;
	struct find_mount *fm = arg;
	struct stat st;
	/* the last mount of dev in the table whose path still shows it (not over-mounted) */
	if (dev == fm->dev && fan_statx_cached(AT_FDCWD, mp, 0, &st, NULL) == 0 && st.st_dev == dev)
		snprintf(fm->path, sizeof(fm->path), "%s", mp);
	return 0;
}

bool fan_path_of_dev(dev_t dev, char *out, size_t len)
{
	struct find_mount fm = { .dev = dev };
	fan_each_mount(find_mount_fn, &fm);
	if (!fm.path[0])
		return false;
	snprintf(out, len, "%s", fm.path);
	return true;
}

int fan_mount_point_dev(const char *abs, dev_t *dev)
{
	struct stat st, parent;
	char up[PATH_MAX + 4];
	snprintf(up, sizeof(up), "%s/..", abs);
	if (fan_statx_cached(AT_FDCWD, abs, 0, &st, NULL) < 0 || fan_statx_cached(AT_FDCWD, up, 0, &parent, NULL) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_dev == parent.st_dev && st.st_ino != parent.st_ino)
		return -EINVAL;   /* not a mount point */
	*dev = st.st_dev;
	return 0;
}

/* ---- the superblocks, FUSE or not ---- */

void fan_fstab_init(struct fan_fstab *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
}

void fan_fstab_destroy(struct fan_fstab *t)
{
	pthread_mutex_destroy(&t->lock);
}

static int fs_fn(void *arg, const char *mp, dev_t dev, const char *type)
{
	struct fan_fstab *t = arg;
	(void)mp;
	for (int i = 0; i < t->nfs; i++)
		if (t->fs[i].dev == dev)
			return 0;
	if (t->nfs < (int)(sizeof(t->fs) / sizeof(t->fs[0]))) {
		t->fs[t->nfs].dev = dev;
		t->fs[t->nfs++].fuse = strncmp(type, "fuse", 4) == 0;
	}
	return 0;
}

/* Under t->lock. */
static void refresh_locked(struct fan_fstab *t)
{
	t->nfs = 0;
	fan_each_mount(fs_fn, t);
}

void fan_fstab_refresh(struct fan_fstab *t)
{
	pthread_mutex_lock(&t->lock);
	refresh_locked(t);
	pthread_mutex_unlock(&t->lock);
}

/* Known from the mount table, read again when the superblock is not in it
 * yet; one only mounted in another namespace is judged by its number
 * (FUSE's are anonymous, major 0; fuseblk needs root). */
bool fan_fstab_may_be_asked(struct fan_fstab *t, dev_t dev)
{
	bool may = major(dev) != 0;
	pthread_mutex_lock(&t->lock);
	for (int pass = 0; pass < 2; pass++) {
		int i = 0;
		while (i < t->nfs && t->fs[i].dev != dev)
			i++;
		if (i < t->nfs) {
			may = !t->fs[i].fuse;
			break;
		}
		if (pass == 0)
			refresh_locked(t);
	}
	pthread_mutex_unlock(&t->lock);
	return may;
}
