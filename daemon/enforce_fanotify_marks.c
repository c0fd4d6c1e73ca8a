/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend's watch set (enforce_fanotify.h): which filesystems
 * carry a mark of the group. Marks are filesystem marks (every mount of the
 * superblock, in every namespace). Mount scope: the filesystems mounted at
 * the watched paths, followed across umount and mount; the filesystem of /
 * is refused so a deny-by-default policy can never stop the whole machine.
 * System scope: every filesystem of udmd's mount namespace, followed as
 * mounts come and go. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/sysmacros.h>
#include "daemon/enforce_fanotify.h"
#include "daemon/udmd.h"
#include "daemon/watch_path.h"

#define MASK FAN_OPEN_EXEC_PERM

void fan_marks_init(struct fan_marks *m, int fan_fd, dev_t root_dev, bool system)
{
	memset(m, 0, sizeof(*m));
	m->fan_fd = fan_fd;
	m->root_dev = root_dev;
	m->system = system;
	pthread_mutex_init(&m->lock, NULL);
}

void fan_marks_destroy(struct fan_marks *m)
{
	for (int i = 0; i < m->nwatches; i++)
		free(m->watches[i].path);
	pthread_mutex_destroy(&m->lock);
}

static int dev_refs(struct fan_marks *m, dev_t dev)
{
	int n = 0;
	for (int i = 0; i < m->nwatches; i++)
		for (int j = 0; j < m->watches[i].ndevs; j++)
			n += m->watches[i].devs[j] == dev;
	for (int i = 0; m->system && i < m->nmarks; i++)
		n += m->marks[i] == dev;
	return n;
}

/* Mark the filesystem mounted at path, which must be dev (checked again
 * after the mark: a mount racing in between is seen by the next rescan). */
static int mark_fs(struct fan_marks *m, const char *path, dev_t dev)
{
	if (fanotify_mark(m->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, MASK, AT_FDCWD, path) < 0)
		return -errno;
	struct stat st;
	if (fan_statx_cached(AT_FDCWD, path, 0, &st, NULL) == 0 && st.st_dev != dev)
		return -EAGAIN;
	return 0;
}

static void unmark_dev(struct fan_marks *m, dev_t dev, const char *why)
{
	if (dev_refs(m, dev))
		return;   /* still needed by another watch */
	char p[PATH_MAX];
	if (!fan_path_of_dev(dev, p, sizeof(p))) {
		/* not in udmd's namespace (gone, or only mounted in another one): the
		 * kernel drops the mark with the filesystem; until then its files
		 * are still decided */
		udmd_log("enforcer: fanotify: %s: filesystem %u:%u is not mounted in udmd's namespace; its mark, if "
			 "it still exists, goes with the filesystem", why, major(dev), minor(dev));
		return;
	}
	if (fanotify_mark(m->fan_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, MASK, AT_FDCWD, p) < 0 &&
	    errno != ENOENT)
		udmd_log("enforcer: fanotify: %s: unmarking %s: %s", why, p, strerror(errno));
}

/* Bring one watch up to date with what is mounted at its path now. 0 when
 * the path shows a marked filesystem, else -errno (w->why says it). Under
 * m->lock. */
static int refresh_watch(struct fan_marks *m, struct fan_watch *w)
{
	dev_t dev = 0;
	int r = fan_mount_point_dev(w->path, &dev);
	dev_t was = w->cur;
	if (r == 0 && dev == m->root_dev)
		r = -EPERM;
	if (r) {
		w->cur = 0;
		w->why = r == -EPERM ? "the filesystem of / is mounted there, it is never marked" :
			 r == -EINVAL ? "nothing is mounted there" : strerror(-r);
		if (was)
			udmd_log("enforcer: fanotify: %s: %s; the watch waits for the next mount there", w->path, w->why);
		return r;
	}
	bool known = false;
	for (int j = 0; j < w->ndevs; j++)
		known |= w->devs[j] == dev;
	if (!known && w->ndevs == FAN_MAX_DEVS) {
		/* forget the oldest superblock that is gone from udmd's namespace */
		char p[PATH_MAX];
		for (int j = 0; j < w->ndevs; j++)
			if (!fan_path_of_dev(w->devs[j], p, sizeof(p))) {
				w->devs[j] = w->devs[--w->ndevs];
				break;
			}
	}
	if (!known && w->ndevs == FAN_MAX_DEVS) {
		w->cur = 0;
		w->why = "too many filesystems were mounted there";
		udmd_log("enforcer: fanotify: %s: %s; not marked", w->path, w->why);
		return -ENOSPC;
	}
	/* marked again even when known: the same dev_t may be a new superblock
	 * (a loop device reused), and adding a mark that exists is harmless */
	if ((r = mark_fs(m, w->path, dev))) {
		w->cur = 0;
		w->why = r == -EAGAIN ? "the mount changed while it was marked" : strerror(-r);
		udmd_log("enforcer: fanotify: %s: marking filesystem %u:%u: %s", w->path, major(dev), minor(dev), w->why);
		return r;
	}
	if (!known)
		w->devs[w->ndevs++] = dev;
	if (was != dev)
		udmd_log("enforcer: fanotify: %s: filesystem %u:%u marked", w->path, major(dev), minor(dev));
	w->cur = dev;
	w->why = NULL;
	return 0;
}

static int system_mark_fn(void *arg, const char *mp, dev_t dev, const char *type)
{
	(void)type;
	struct fan_marks *m = arg;
	for (int i = 0; i < m->nmarks; i++)
		if (m->marks[i] == dev)
			return 0;
	if (m->nmarks == FAN_MAX_MARKS) {
		udmd_log("enforcer: fanotify: more than %d filesystems: %s not marked", FAN_MAX_MARKS, mp);
		return 0;
	}
	int r = mark_fs(m, mp, dev);
	if (r == -EAGAIN)
		return 0;   /* over-mounted: reached through its other mounts, or not at all */
	if (r) {
		/* pseudo file systems refuse some marks (proc: EINVAL); nothing
		 * executes from them. Said once per superblock. */
		for (int i = 0; i < m->nrefused; i++)
			if (m->refused[i] == dev)
				return 0;
		if (m->nrefused < (int)(sizeof(m->refused) / sizeof(m->refused[0])))
			m->refused[m->nrefused++] = dev;
		udmd_log("enforcer: fanotify: %s: filesystem %u:%u not marked: %s", mp, major(dev), minor(dev),
			 strerror(-r));
		return 0;
	}
	m->marks[m->nmarks++] = dev;
	return 0;
}

void fan_marks_rescan(struct fan_marks *m)
{
	pthread_mutex_lock(&m->lock);
	m->rescans++;
	for (int i = 0; i < m->nwatches; i++)
		refresh_watch(m, &m->watches[i]);
	if (m->system) {
		/* forget superblocks gone from the table (their marks went with them;
		 * a reused dev_t is then marked again as new) */
		char p[PATH_MAX];
		for (int i = 0; i < m->nmarks;)
			if (!fan_path_of_dev(m->marks[i], p, sizeof(p)))
				m->marks[i] = m->marks[--m->nmarks];
			else
				i++;
		fan_each_mount(system_mark_fn, m);
	}
	pthread_mutex_unlock(&m->lock);
}

static int watch_index(struct fan_marks *m, const char *abs)
{
	for (int i = 0; i < m->nwatches; i++)
		if (strcmp(m->watches[i].path, abs) == 0)
			return i;
	return -1;
}

int fan_marks_watch(struct fan_marks *m, const char *path, bool wait)
{
	char abs[PATH_MAX];
	int rp = udmd_watch_path(path, wait, abs);
	if (rp)
		return rp;
	dev_t dev = 0;
	if (!wait) {
		/* it must be a whole mount now, and not one of / (a bind mount of
		 * part of /: the mark would cover all of /) */
		int r = fan_mount_point_dev(abs, &dev);
		if (r)
			return r;
		if (dev == m->root_dev)
			return -EPERM;
	}
	pthread_mutex_lock(&m->lock);
	int i = watch_index(m, abs), r;
	if (i >= 0 && wait) {
		r = -EEXIST;
	} else if (i >= 0) {
		/* "already watched" only when the watch is live on what is mounted
		 * there now; a waiting watch is brought up again */
		struct fan_watch *w = &m->watches[i];
		bool live = w->cur == dev;
		r = refresh_watch(m, w) ? -EIO : live ? -EEXIST : 0;
	} else if (m->nwatches == FAN_MAX_WATCHES) {
		r = -ENOSPC;
	} else {
		struct fan_watch *w = &m->watches[m->nwatches];
		memset(w, 0, sizeof(*w));
		if (!(w->path = strdup(abs))) {
			r = -ENOMEM;
		} else {
			m->nwatches++;
			r = refresh_watch(m, w);
			if (r && wait) {
				r = 1;   /* kept: it waits for a mount */
			} else if (r) {
				/* not kept: nothing of it was marked */
				free(w->path);
				m->nwatches--;
			}
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

int fan_marks_unwatch(struct fan_marks *m, const char *path)
{
	char abs[PATH_MAX];
	/* the path may be gone (a waiting watch whose directory was removed) */
	if (!realpath(path, abs))
		snprintf(abs, sizeof(abs), "%s", path);
	pthread_mutex_lock(&m->lock);
	int i = watch_index(m, abs), r = 0;
	if (i < 0) {
		r = -ENOENT;
	} else {
		struct fan_watch w = m->watches[i];
		m->watches[i] = m->watches[--m->nwatches];
		for (int j = 0; j < w.ndevs; j++)
			unmark_dev(m, w.devs[j], w.path);
		free(w.path);
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

char *fan_marks_list(struct fan_marks *m)
{
	pthread_mutex_lock(&m->lock);
	size_t len = 1;
	for (int i = 0; i < m->nwatches; i++)
		len += strlen(m->watches[i].path) + 128;
	char *out = calloc(1, len), *p = out;
	for (int i = 0; out && i < m->nwatches; i++) {
		const struct fan_watch *w = &m->watches[i];
		/* a watch that marks nothing at its path now is never listed as if it did */
		if (w->cur)
			p += sprintf(p, "%s\n", w->path);
		else
			p += sprintf(p, "%s (inactive: %s)\n", w->path, w->why ? w->why : "?");
	}
	pthread_mutex_unlock(&m->lock);
	return out;
}

void fan_marks_describe(struct fan_marks *m, char *buf, size_t len)
{
	pthread_mutex_lock(&m->lock);
	int active = 0;
	for (int i = 0; i < m->nwatches; i++)
		active += m->watches[i].cur != 0;
	if (m->system)
		snprintf(buf, len, "scope: system (%d filesystems marked)\nwatches: %d (%d active)\n", m->nmarks,
			 m->nwatches, active);
	else
		snprintf(buf, len, "scope: mounts\nwatches: %d (%d active)\n", m->nwatches, active);
	pthread_mutex_unlock(&m->lock);
}
