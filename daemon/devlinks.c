/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device links (udmd --dev-links): what udev does for dm. Every device with a
 * live table gets a loop device on RUNTIME/mapper/NAME, and DEV_DIR/NAME
 * (default /dev/mapper/NAME) is a symlink to that /dev/loopN, so scripts that
 * test `[ -b /dev/mapper/NAME ]`, read it or ask its size work unchanged.
 *
 * The links follow udmd's events (events.h), never command numbers: a device
 * about to be removed loses its link and loop device first (or the removal
 * would find it open); after a resume, a rename, a refused removal or a
 * cancelled deferred removal the device gets its link; after a removal or a
 * detach stale links go. Each time the records are reconciled with the
 * devices and the attachments. A link is only ever removed if it still points
 * at the loop device we made it for, so a file somebody else put in DEV_DIR
 * is never touched.
 *
 * RUNTIME/devlinks lists the links made ("MINOR NAME" lines, replaced
 * atomically after each change): the next udmd, after a kill, removes each
 * one that still points at its loop device, whatever that loop device
 * serves by then (it may have been bound to another file meanwhile). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "daemon/events.h"
#include "daemon/export.h"
#include "daemon/reply.h"
#include "daemon/udmd.h"

struct link {
	struct link *next;
	char name[UDM_NAME_LEN];
	dev_t dev;                  /* the udm device object */
	char target[32];            /* the block device it points at: /dev/loopN, /dev/ublkbN */
};

struct udmd_devlinks {
	pthread_mutex_t lock;
	char dir[PATH_MAX];
	struct link *list;
	char record[PATH_MAX];      /* RUNTIME/devlinks */
	char *saved;                /* what it holds now */
};

/* This thread holds the links' lock: a detach it makes (release) comes back
 * as an event that must not take it again. */
static __thread bool in_links;

static void link_path(const struct udmd_devlinks *L, const char *name, char *p, size_t len)
{
	snprintf(p, len, "%s/%s", L->dir, name);
}

/* Does DIR/name point at target? */
static bool points_at(const struct udmd_devlinks *L, const char *name, const char *target)
{
	char p[PATH_MAX + UDM_NAME_LEN + 2], t[64];
	link_path(L, name, p, sizeof(p));
	ssize_t n = readlink(p, t, sizeof(t) - 1);
	if (n < 0)
		return false;
	t[n] = '\0';
	return strcmp(t, target) == 0;
}

static void unlink_ours(const struct udmd_devlinks *L, const struct link *k)
{
	char p[PATH_MAX + UDM_NAME_LEN + 2];
	link_path(L, k->name, p, sizeof(p));
	if (points_at(L, k->name, k->target) && unlink(p) < 0)
		udmd_log("%s: %s", p, strerror(errno));
}

/* Make DIR/name a symlink to target (/dev/loopN): atomically replaces an
 * older symlink of that name, never a file of another kind. */
static int make_link(const struct udmd_devlinks *L, const char *name, const char *target)
{
	char p[PATH_MAX + UDM_NAME_LEN + 2], tmp[sizeof(p) + 32];
	link_path(L, name, p, sizeof(p));
	struct stat st;
	if (lstat(p, &st) == 0 && !S_ISLNK(st.st_mode)) {
		udmd_log("%s exists and is not a symlink: not replaced", p);
		return -EEXIST;
	}
	snprintf(tmp, sizeof(tmp), "%s/.udm-link.%ld", L->dir, (long)gettid());
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, p) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
}

/* Rewrite RUNTIME/devlinks from the records, if they changed. Lock held. */
static void record_save(struct udmd_devlinks *L)
{
	size_t cap = 1;
	for (struct link *k = L->list; k; k = k->next)
		cap += strlen(k->name) + sizeof(k->target) + 2;
	char *text = calloc(1, cap), *p = text;
	if (!text)
		return;
	for (struct link *k = L->list; k; k = k->next)
		if (!strchr(k->name, '\n'))
			p += sprintf(p, "%s %s\n", k->target, k->name);
	if (L->saved && strcmp(L->saved, text) == 0) {
		free(text);
		return;
	}
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", L->record);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, text, (size_t)(p - text)) == p - text;
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	if (!ok || rename(tmp, L->record) < 0) {
		udmd_log("dev-links: %s: %s", L->record, strerror(errno));
		unlink(tmp);
		free(text);
		return;
	}
	free(L->saved);
	L->saved = text;
}

static bool enabled(const struct udmd *d)
{
	return d->links != NULL;
}

static struct link *find_name(struct udmd_devlinks *L, const char *name)
{
	for (struct link *k = L->list; k; k = k->next)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* Drop records (and their links) whose device is gone, was renamed, or whose
 * loop device is no longer attached to it. Lock held. */
static void prune_locked(struct udmd *d)
{
	struct udmd_devlinks *L = d->links;
	struct udm_name_entry *e = NULL;
	size_t n = 0;
	if (udm_list_devices(d->ctx, &e, &n))
		return;   /* out of memory: try again next time */
	for (struct link **pp = &L->list; *pp;) {
		struct link *k = *pp;
		bool alive = false;
		for (size_t i = 0; i < n && !alive; i++)
			alive = e[i].dev == k->dev && strcmp(e[i].name, k->name) == 0;
		struct export_blk blk;
		if (alive && udmd_export_find(d, k->dev, &blk) == 0 && strcmp(blk.path, k->target) == 0) {
			pp = &k->next;
			continue;
		}
		unlink_ours(L, k);
		*pp = k->next;
		free(k);
	}
	free(e);
}

/* Give name (if it has a live table and is not suspended) a loop device and
 * a link. Lock held. */
static void ensure_locked(struct udmd *d, const char *name)
{
	struct udmd_devlinks *L = d->links;
	struct udm_info info;
	if (udm_dev_info(d->ctx, UDM_BY_NAME(name), 0, &info))
		return;
	/* A suspended device would block the loop driver's first reads; its
	 * link comes with the resume. */
	if (!(info.flags & UDM_F_ACTIVE_PRESENT) || (info.flags & UDM_F_SUSPEND))
		return;
	/* Pending deferred removal: a loop device would hold it open, and the
	 * removal would never come; its link comes back with a cancel. */
	if (info.flags & UDM_F_DEFERRED_REMOVE)
		return;
	struct link *k = find_name(L, info.name);
	struct export_blk blk;
	if (k && k->dev == info.dev && udmd_export_find(d, info.dev, &blk) == 0 && strcmp(blk.path, k->target) == 0) {
		if (!points_at(L, k->name, k->target))   /* removed by hand: mknodes */
			make_link(L, k->name, k->target);
		return;
	}
	int r = udmd_export_attach(d, info.name, info.dev, info.flags & UDM_F_READONLY, &blk);
	if (r && r != -EEXIST) {
		udmd_log("dev-links: attach %s: %s", info.name, strerror(-r));
		return;
	}
	if (!k) {
		if (!(k = calloc(1, sizeof(*k))))
			return;
		snprintf(k->name, sizeof(k->name), "%s", info.name);
		k->next = L->list;
		L->list = k;
	} else if (strcmp(k->target, blk.path) != 0) {
		unlink_ours(L, k);
	}
	k->dev = info.dev;
	snprintf(k->target, sizeof(k->target), "%s", blk.path);
	if ((r = make_link(L, k->name, k->target)))
		udmd_log("dev-links: %s/%s: %s", L->dir, k->name, strerror(-r));
}

void udmd_devlinks_sync(struct udmd *d, const char *name)
{
	if (!enabled(d))
		return;
	struct udmd_devlinks *L = d->links;
	pthread_mutex_lock(&L->lock);
	in_links = true;
	prune_locked(d);
	if (name) {
		if (*name)
			ensure_locked(d, name);
	} else {
		struct udm_name_entry *e = NULL;
		size_t n = 0;
		if (udm_list_devices(d->ctx, &e, &n) == 0)
			for (size_t i = 0; i < n; i++)
				ensure_locked(d, e[i].name);
		free(e);
	}
	record_save(L);
	in_links = false;
	pthread_mutex_unlock(&L->lock);
}

bool udmd_devlinks_owns(struct udmd *d, dev_t dev)
{
	if (!enabled(d))
		return false;
	pthread_mutex_lock(&d->links->lock);
	bool r = false;
	for (struct link *k = d->links->list; k && !r; k = k->next)
		r = k->dev == dev;
	pthread_mutex_unlock(&d->links->lock);
	return r;
}

/* Wait (a little) until the device's opener count drops below was: the loop
 * driver drops its file reference asynchronously after LOOP_CLR_FD. */
static void settle(struct udmd *d, dev_t dev, int32_t was)
{
	for (int i = 0; i < 100; i++) {
		struct udm_info info;
		if (udm_dev_info(d->ctx, (struct udm_dev_id){ .dev = dev }, 0, &info) || info.open_count < was)
			return;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int udmd_devlinks_release(struct udmd *d, const char *name, bool force, struct udmd_out *out)
{
	if (!enabled(d))
		return 0;
	struct udmd_devlinks *L = d->links;
	pthread_mutex_lock(&L->lock);
	in_links = true;
	struct link *k = find_name(L, name);
	int r = 0;
	struct udm_info info;
	if (!k || udm_dev_info(d->ctx, UDM_BY_NAME(name), 0, &info) || info.dev != k->dev)
		goto out;
	/* Held by more than its loop device (a table stacked on it: the kernel's
	 * holders): the removal would fail anyway, so the link and the loop
	 * device stay, and nothing changes. */
	if (!force && info.open_count > 1) {
		r = -EBUSY;
		if (out)
			udmd_printf(out, "%s is in use by another device", name);
		goto out;
	}
	r = udmd_export_detach(d, k->dev, force);
	if (r == -EBUSY) {
		if (out)
			udmd_printf(out, "%s/%s (%s) is in use", L->dir, name, k->target);
		goto out;
	}
	if (r && r != -ENXIO)
		goto out;
	r = 0;
	unlink_ours(L, k);
	for (struct link **pp = &L->list; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	dev_t dev = k->dev;
	free(k);
	if (!force)
		settle(d, dev, info.open_count);
out:
	record_save(L);
	in_links = false;
	pthread_mutex_unlock(&L->lock);
	return r;
}

/* Every link and its loop device, before every device is removed: busy ones
 * stay, as remove_all leaves open devices. */
static int release_all(struct udmd *d, bool force)
{
	pthread_mutex_lock(&d->links->lock);
	size_t n = 0;
	for (struct link *k = d->links->list; k; k = k->next)
		n++;
	char (*names)[UDM_NAME_LEN] = calloc(n ? n : 1, UDM_NAME_LEN);
	size_t i = 0;
	for (struct link *k = d->links->list; k && names; k = k->next)
		memcpy(names[i++], k->name, UDM_NAME_LEN);
	pthread_mutex_unlock(&d->links->lock);
	if (!names)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		udmd_devlinks_release(d, names[i], force, NULL);
	free(names);
	return 0;
}

static int on_event(struct udmd *d, const struct udmd_event *ev)
{
	if (!enabled(d) || in_links)
		return 0;
	switch (ev->kind) {
	case UDMD_EV_REMOVING:
		/* --deferred (force): the loop device goes at its last close, and
		 * with it the device */
		return ev->name ? udmd_devlinks_release(d, ev->name, ev->force, ev->out) : release_all(d, ev->force);
	case UDMD_EV_RESUMED:
	case UDMD_EV_RENAMED:
	case UDMD_EV_REMOVE_REFUSED:        /* still there: it gets its link back */
	case UDMD_EV_DEFERRED_CANCELLED:    /* the link comes back */
		udmd_devlinks_sync(d, ev->name);
		break;
	case UDMD_EV_REMOVED:
	case UDMD_EV_EXPORT_WITHDRAWN:
		udmd_devlinks_sync(d, "");      /* only drop what is stale */
		break;
	default:
		break;
	}
	return 0;
}

/* DIR/NAME -> /dev/loopN (or /dev/ublkbN) left by a udmd that died: the
 * loop device is unbound now (udmd_loop_clean_stale ran) or serves another
 * file; a ublk device a successor takes over gets its link again when its
 * table is resumed. */
static void clean_stale(struct udmd *d)
{
	struct udmd_devlinks *L = d->links;
	/* first the links the dead udmd said it made */
	FILE *f = fopen(L->record, "re");
	char line[UDM_NAME_LEN + 64];
	while (f && fgets(line, sizeof(line), f)) {
		char target[32];
		int n = 0;
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%31s %n", target, &n) != 1 || !n || !line[n] || strchr(line + n, '/') ||
		    strncmp(target, "/dev/", 5) != 0)
			continue;
		if (points_at(L, line + n, target)) {
			char p[PATH_MAX + UDM_NAME_LEN + 2];
			link_path(L, line + n, p, sizeof(p));
			udmd_log("removing stale link %s -> %s", p, target);
			unlink(p);
		}
	}
	if (f)
		fclose(f);
	DIR *dir = opendir(L->dir);
	if (!dir)
		return;
	size_t ml = strlen(d->mapper_dir);
	struct dirent *e;
	while ((e = readdir(dir))) {
		char p[PATH_MAX + 300], t[64], disk[32], back[4096];
		int minor;
		char tail;
		snprintf(p, sizeof(p), "%s/%s", L->dir, e->d_name);
		ssize_t n = readlink(p, t, sizeof(t) - 1);
		if (n < 0)
			continue;
		t[n] = '\0';
		if (sscanf(t, "/dev/loop%d%c", &minor, &tail) != 1)
			continue;
		snprintf(disk, sizeof(disk), "loop%d", minor);
		/* a loop device that still serves a file of our mapper dir is
		 * being cleared (deferred to its last close): the link goes too */
		if (udmd_loop_backing_file(disk, back, sizeof(back)) == 0 &&
		    !(strncmp(back, d->mapper_dir, ml) == 0 && back[ml] == '/'))
			continue;
		udmd_log("removing stale link %s -> %s", p, t);
		unlink(p);
	}
	closedir(dir);
}

int udmd_devlinks_start(struct udmd *d, char *err, size_t errlen)
{
	if (!d->cfg.dev_links)
		return 0;
	struct udmd_devlinks *L = calloc(1, sizeof(*L));
	if (!L) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&L->lock, NULL);
	snprintf(L->dir, sizeof(L->dir), "%s", d->cfg.dev_dir);
	int r = udmd_subscribe(on_event);
	if (!r)
		r = udmd_mkdirs(L->dir, 0755);
	if (r) {
		snprintf(err, errlen, "--dev-dir %.900s: %s", L->dir, strerror(-r));
		pthread_mutex_destroy(&L->lock);
		free(L);
		return r;
	}
	snprintf(L->record, sizeof(L->record), "%s/devlinks", d->cfg.runtime_dir);
	d->links = L;
	clean_stale(d);
	record_save(L);
	return 0;
}

void udmd_devlinks_stop(struct udmd *d)
{
	struct udmd_devlinks *L = d->links;
	if (!L)
		return;
	pthread_mutex_lock(&L->lock);
	while (L->list) {
		struct link *k = L->list;
		unlink_ours(L, k);
		L->list = k->next;
		free(k);
	}
	unlink(L->record);   /* every link it listed is gone */
	free(L->saved);
	pthread_mutex_unlock(&L->lock);
	pthread_mutex_destroy(&L->lock);
	free(L);
	d->links = NULL;
}
