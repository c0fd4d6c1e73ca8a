/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF backend's mount-scoped mode (docs/enforcement.md "Scope"): the
 * watched mounts, whose superblocks go into the programs' scope map, followed
 * through the mount table as the fanotify backend follows its marks. A watch
 * whose path has nothing mounted (a restored watch, an --enforce-mount before
 * its mount) waits, listed inactive; the filesystem mounted there later joins
 * the scope as soon as this file's thread sees the mount table change.
 * Superblocks once in scope stay until `udm watch remove`. Everything here
 * runs under the backend's lock (which guards its maps), the thread included. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/enforce_bpf.h"
#include "daemon/fdwatch.h"
#include "daemon/udmd.h"
#include "daemon/watch_path.h"

#define SCOPE_WATCHES 16
#define SCOPE_DEVS 8

struct scope_watch {
	char path[PATH_MAX];
	dev_t cur;                  /* in scope and mounted at path now; 0: inactive */
	const char *why;
	dev_t devs[SCOPE_DEVS];     /* superblocks this watch put in scope */
	int ndevs;
};

struct udmd_scope {
	struct scope_watch w[SCOPE_WATCHES];
	int n;
	int mounts_fd;
	struct udmd_fdwatch *watch;   /* follows the mount table; NULL: not yet */
};

/* The superblock mounted at abs (a mount point, not /): 0 or -errno. */
static int mount_dev(const char *abs, dev_t *dev)
{
	struct stat st, parent;
	char up[PATH_MAX + 4];
	if (strcmp(abs, "/") == 0)
		return -EPERM;
	snprintf(up, sizeof(up), "%s/..", abs);
	if (stat(abs, &st) < 0 || stat(up, &parent) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_dev == parent.st_dev && st.st_ino != parent.st_ino)
		return -EINVAL;
	*dev = st.st_dev;
	return 0;
}

static int dev_refs(const struct udmd_scope *s, dev_t dev)
{
	int n = 0;
	for (int i = 0; i < s->n; i++)
		for (int j = 0; j < s->w[i].ndevs; j++)
			n += s->w[i].devs[j] == dev;
	return n;
}

/* Bring w up to date with what is mounted at its path: 0 (in scope) or -errno. */
static int refresh(struct udmd_bpf_backend *b, struct scope_watch *w)
{
	dev_t dev = 0, was = w->cur;
	int r = b->maps ? mount_dev(w->path, &dev) : -ENODEV;
	bool known = false;
	for (int j = 0; !r && j < w->ndevs; j++)
		known |= w->devs[j] == dev;
	if (!r && !known) {
		if (w->ndevs == SCOPE_DEVS) {
			r = -ENOSPC;
		} else {
			/* EEXIST: already in scope (another watch, or the pinned maps of a
			 * udmd before a restart) */
			r = udmd_bpf_scope_add(b->maps, dev);
			if (r == -EEXIST)
				r = 0;
			if (!r)
				w->devs[w->ndevs++] = dev;
		}
	}
	if (r) {
		w->cur = 0;
		w->why = r == -EINVAL ? "nothing is mounted there" : r == -ENOSPC ? "too many filesystems were mounted there" :
			 r == -ENODEV ? "the enforcer is detached" : strerror(-r);
		if (was)
			udmd_log("enforcer: bpf: %s: %s; the watch waits for the next mount there", w->path, w->why);
		return r;
	}
	if (was != dev)
		udmd_log("enforcer: bpf: %s: filesystem %u:%u in scope", w->path, major(dev), minor(dev));
	w->cur = dev;
	w->why = NULL;
	return 0;
}

/* The mount table changed: every watch follows it. */
static void mounts_changed(void *arg, short revents)
{
	struct udmd_bpf_backend *b = arg;
	struct udmd_scope *s = b->scope;
	if (!(revents & (POLLPRI | POLLERR)))
		return;
	udmd_fdwatch_mounts_seen(s->mounts_fd);
	pthread_mutex_lock(&b->lock);
	for (int i = 0; i < s->n; i++)
		refresh(b, &s->w[i]);
	pthread_mutex_unlock(&b->lock);
}

static int scope_get(struct udmd_bpf_backend *b, struct udmd_scope **out)
{
	struct udmd_scope *s = b->scope;
	if (!s) {
		if (!(s = calloc(1, sizeof(*s))))
			return -ENOMEM;
		s->mounts_fd = -1;
		b->scope = s;
	}
	if (!s->watch) {
		if (s->mounts_fd < 0 && (s->mounts_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) < 0)
			return -errno;
		udmd_fdwatch_mounts_seen(s->mounts_fd);
		int r = udmd_fdwatch_start(&s->watch, s->mounts_fd, UDMD_FDWATCH_MOUNTS, mounts_changed, b);
		if (r)
			return r;
	}
	*out = s;
	return 0;
}

static struct scope_watch *find(struct udmd_scope *s, const char *abs)
{
	for (int i = 0; s && i < s->n; i++)
		if (strcmp(s->w[i].path, abs) == 0)
			return &s->w[i];
	return NULL;
}

int udmd_scope_add(struct udmd_bpf_backend *b, const char *path, bool wait)
{
	char abs[PATH_MAX];
	dev_t dev;
	if (!b->maps)
		return -ENODEV;   /* detached (udm enforce stop) */
	int r = udmd_watch_path(path, wait, abs);
	if (r)
		return r;
	r = mount_dev(abs, &dev);
	if (r && !wait)
		return r;
	struct udmd_scope *s = NULL;
	if ((r = scope_get(b, &s)))
		return r;
	struct scope_watch *w = find(s, abs);
	if (w) {
		/* "already watched" only when it is live; a waiting one is looked at again */
		if (w->cur)
			return -EEXIST;
		r = refresh(b, w);
		return r && wait ? 1 : r;
	}
	if (s->n == SCOPE_WATCHES)
		return -ENOSPC;
	w = &s->w[s->n];
	memset(w, 0, sizeof(*w));
	snprintf(w->path, sizeof(w->path), "%s", abs);
	/* mount-scoped from the first watch on, even one that waits: never the
	 * whole system because a watched mount is late */
	udmd_bpf_scope_on(b->maps);
	r = refresh(b, w);
	if (r && !wait) {
		w->path[0] = '\0';
		return r;
	}
	s->n++;
	return r ? 1 : 0;
}

int udmd_scope_remove(struct udmd_bpf_backend *b, const char *path)
{
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		snprintf(abs, sizeof(abs), "%s", path);
	struct udmd_scope *s = b->scope;
	struct scope_watch *w = find(s, abs);
	if (!w)
		return -ENOENT;
	struct scope_watch gone = *w;
	*w = s->w[--s->n];
	for (int j = 0; b->maps && j < gone.ndevs; j++)
		if (!dev_refs(s, gone.devs[j]))
			udmd_bpf_scope_remove(b->maps, gone.devs[j]);
	return 0;
}

char *udmd_scope_list(struct udmd_bpf_backend *b)
{
	struct udmd_scope *s = b->scope;
	size_t len = 1;
	for (int i = 0; s && i < s->n; i++)
		len += strlen(s->w[i].path) + 128;
	char *out = calloc(1, len), *p = out;
	for (int i = 0; out && s && i < s->n; i++) {
		const struct scope_watch *w = &s->w[i];
		if (w->cur)
			p += sprintf(p, "%s\n", w->path);
		else
			p += sprintf(p, "%s (inactive: %s)\n", w->path, w->why ? w->why : "?");
	}
	return out;
}

void udmd_scope_clear(struct udmd_bpf_backend *b)
{
	if (b->scope)
		b->scope->n = 0;
}

void udmd_scope_stop(struct udmd_bpf_backend *b)
{
	struct udmd_scope *s = b->scope;
	if (!s)
		return;
	udmd_fdwatch_stop(s->watch);
	if (s->mounts_fd >= 0)
		close(s->mounts_fd);
	pthread_mutex_lock(&b->lock);
	b->scope = NULL;
	pthread_mutex_unlock(&b->lock);
	free(s);
}
