/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device identity: the record of which block device (loop or ublk) serves
 * which udm device object, made by udmd at attach and dropped at detach; what
 * every decision asks instead of a loop's backing file name
 * (docs/enforcement.md). Whether a binding is still live comes from the
 * identity cache (identity_cache.c) while it vouches for it, else from sysfs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/identity_cache.h"
#include "daemon/udmd.h"

struct entry {
	struct entry *next;
	struct udmd_binding b;
	/* May the cache vouch for it? A ublk binding: while there is a cache.
	 * A loop binding: while its udm device runs the table it had when the
	 * binding was made (table_id), if the loop device's size was that
	 * table's then. */
	bool cached;
	uint64_t table_id;
};

struct udmd_identity {
	/* Decisions read, attach/detach write: a decision never waits for a
	 * detach that waits for the kernel to unbind a loop device. */
	pthread_rwlock_t lock;
	struct entry *list;
	udmd_binding_fn observer;
	void *observer_arg;
	struct udmd_idcache *cache;   /* NULL: every liveness check reads sysfs */
	/* ublk device ids held (udmd_ublk_claim) */
	int *ublk;
	size_t n_ublk, cap_ublk;
	bool ublk_settled;
	udmd_ublk_fn ublk_observer;
	void *ublk_arg;
};

static dev_t export_of(void *arg, dev_t blockdev);

int udmd_identity_init(struct udmd *d)
{
	d->identity = calloc(1, sizeof(*d->identity));
	if (!d->identity)
		return -ENOMEM;
	pthread_rwlock_init(&d->identity->lock, NULL);
	int r = udmd_idcache_open(&d->identity->cache);
	if (r)
		udmd_log("identity: no uevent cache (%s): each decision reads the loop device's diskseq and offset "
			 "in sysfs", strerror(-r));
	/* the core asks which block devices are our exports (table stacking) */
	udm_ctx_set_export_callback(d->ctx, export_of, d);
	return 0;
}

void udmd_identity_free(struct udmd *d)
{
	struct udmd_identity *I = d->identity;
	if (!I)
		return;
	while (I->list) {
		struct entry *e = I->list;
		I->list = e->next;
		free(e);
	}
	udmd_idcache_close(I->cache);
	free(I->ublk);
	pthread_rwlock_destroy(&I->lock);
	free(I);
	d->identity = NULL;
}

/* One decimal number from a sysfs attribute of block device dev. */
static int sysfs_u64(dev_t dev, const char *attr, uint64_t *v)
{
	char p[96], buf[32];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/%s", major(dev), minor(dev), attr);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end != '\n' && *end != '\0'))
		return -EIO;
	*v = x;
	return 0;
}

bool udmd_binding_live(const struct udmd_binding *b)
{
	/* The kernel bumps a loop device's diskseq at every LOOP_CONFIGURE,
	 * LOOP_SET_FD, LOOP_CHANGE_FD and at detach: an equal number means the
	 * loop still holds the very file udmd bound it to, so the udm device
	 * object is still open and its number cannot have been reused. The
	 * offset is not part of diskseq: a LOOP_SET_STATUS that shifts the view
	 * would show other blocks than those the device serves at offset 0. */
	uint64_t seq, off;
	if (sysfs_u64(b->blk, "diskseq", &seq) || seq != b->diskseq)
		return false;
	/* A ublk device's diskseq is its disk's: udmd serves every block of it
	 * and there is nothing to shift (a takeover after a restart keeps it). */
	return b->kind == UDMD_BLK_UBLK || (sysfs_u64(b->blk, "loop/offset", &off) == 0 && off == 0);
}

static void notify(struct udmd_identity *I, const struct udmd_binding *b, bool added)
{
	if (I->observer)
		I->observer(I->observer_arg, b, added);
}

/* The udm device's live table, if the loop device's size is that table's
 * now (as attached: offset 0, no size limit), else 0. Then an offset change
 * always changes the loop device's size (a RESIZE uevent) for as long as
 * the table stays; after a table swap the cache no longer vouches. */
static uint64_t table_of_binding(struct udmd *d, const struct udmd_binding *b)
{
	struct udm_info info;
	uint64_t sectors, t = udm_dev_live_table_id(d->ctx, b->udm);
	if (!t || udm_dev_info(d->ctx, ((struct udm_dev_id){ .dev = b->udm }), 0, &info) ||
	    sysfs_u64(b->blk, "size", &sectors) || sectors != info.sectors ||
	    udm_dev_live_table_id(d->ctx, b->udm) != t)
		return 0;
	return t;
}

int udmd_binding_add(struct udmd *d, const struct udmd_binding *b)
{
	struct udmd_identity *I = d->identity;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->b = *b;
	/* a ublk disk serves every block of its device whatever its table (a
	 * table swap changes no identity); a loop device's view may not */
	if (I->cache && b->kind == UDMD_BLK_UBLK)
		e->cached = true;
	else if (I->cache && (e->table_id = table_of_binding(d, b)))
		e->cached = true;
	pthread_rwlock_wrlock(&I->lock);
	e->next = I->list;
	I->list = e;
	notify(I, &e->b, true);
	pthread_rwlock_unlock(&I->lock);
	return 0;
}

int udmd_binding_drop(struct udmd *d, dev_t blk)
{
	struct udmd_identity *I = d->identity;
	int r = -ENOENT;
	pthread_rwlock_wrlock(&I->lock);
	for (struct entry **pp = &I->list; *pp; pp = &(*pp)->next) {
		struct entry *e = *pp;
		if (e->b.blk == blk) {
			notify(I, &e->b, false);
			*pp = e->next;
			free(e);
			r = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&I->lock);
	return r;
}

static int find_entry(struct udmd *d, bool by_blk, dev_t key, struct entry *out)
{
	struct udmd_identity *I = d->identity;
	int r = -ENODEV;
	if (!I)
		return r;
	pthread_rwlock_rdlock(&I->lock);
	for (struct entry *e = I->list; e; e = e->next)
		if ((by_blk ? e->b.blk : e->b.udm) == key) {
			*out = *e;
			out->next = NULL;
			r = 0;
			break;
		}
	pthread_rwlock_unlock(&I->lock);
	return r;
}

static int find(struct udmd *d, bool by_blk, dev_t key, struct udmd_binding *out)
{
	struct entry e;
	int r = find_entry(d, by_blk, key, &e);
	if (!r)
		*out = e.b;
	return r;
}

/* Is binding e live now, known without reading sysfs? No uevent queued
 * until now says that its block device changed, and a loop binding's udm
 * device still runs the table it had at attach (live_table, read by the
 * caller). false: ask sysfs (udmd_binding_live). */
static bool vouched(struct udmd *d, const struct entry *e, uint64_t live_table, bool synced)
{
	return e->cached && (e->b.kind == UDMD_BLK_UBLK || live_table == e->table_id) &&
	       udmd_idcache_unchanged(d->identity->cache, e->b.blk, e->b.diskseq, e->b.cache_epoch, !synced);
}

void udmd_identity_sync(struct udmd *d)
{
	if (d->identity)
		udmd_idcache_sync(d->identity->cache);
}

/* Is binding e still recorded as it was? Then udmd has not dropped it, and
 * its udm device object, which udmd removes only after the drop, is the
 * one e.b.udm named when e was copied. */
static bool still_recorded(struct udmd *d, const struct entry *e)
{
	struct entry now;
	return find_entry(d, true, e->b.blk, &now) == 0 && now.b.kind == e->b.kind && now.b.diskseq == e->b.diskseq &&
	       now.b.udm == e->b.udm && now.b.cache_epoch == e->b.cache_epoch;
}

int udmd_binding_lookup(struct udmd *d, dev_t st_dev, struct udmd_binding *out)
{
	struct entry e;
	/* Fail closed: a block device udmd did not attach, or one whose binding
	 * changed since (detached and reused, rebound, shifted), serves no udm
	 * device as far as a decision is concerned. */
	if (find_entry(d, true, st_dev, &e))
		return -ENODEV;
	if (!vouched(d, &e, udm_dev_live_table_id(d->ctx, e.b.udm), false) && !udmd_binding_live(&e.b))
		return -ENODEV;
	*out = e.b;
	return 0;
}

/* One line of /sys/dev/block/MAJ:MIN/ATTR into buf, or false. */
static bool sysfs_line(dev_t dev, const char *attr, char *buf, size_t len)
{
	char p[96];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/%s", major(dev), minor(dev), attr);
	FILE *f = fopen(p, "re");
	if (!f)
		return false;
	bool got = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (got)
		buf[strcspn(buf, "\n")] = '\0';
	return got;
}

/* For the core (udm_ctx_set_export_callback): which udm device a block
 * device a table names is, so that the table stacks on the device itself:
 * a ublk device udmd serves, a whole loop device (offset and size limit 0)
 * udmd attached and still bound (the bindings), or one somebody else set up on a mapper file of ours
 * (losetup RUNTIME/mapper/NAME), whose I/O would otherwise come round
 * through FUSE back into udmd. The second is no security decision (those
 * read the bindings only): it keeps udmd from mapping a device onto itself
 * through a loop. 0: the block device is no export. */
static dev_t export_of(void *arg, dev_t blockdev)
{
	struct udmd *d = arg;
	struct udmd_binding b;
	uint64_t limit, off;
	char file[4096];
	size_t n = strlen(d->mapper_dir);
	struct udm_info info;
	int bound = udmd_binding_lookup(d, blockdev, &b);
	if (bound == 0 && b.kind == UDMD_BLK_UBLK)
		return b.udm;   /* udmd serves it itself: a table on it would wait on itself */
	if (sysfs_u64(blockdev, "loop/sizelimit", &limit) || limit ||
	    sysfs_u64(blockdev, "loop/offset", &off) || off)
		return 0;   /* not a loop device, or not a whole one */
	if (bound == 0)
		return b.udm;
	if (n && sysfs_line(blockdev, "loop/backing_file", file, sizeof(file)) &&
	    strncmp(file, d->mapper_dir, n) == 0 && file[n] == '/' &&
	    udm_dev_info(d->ctx, UDM_BY_NAME(file + n + 1), 0, &info) == 0)
		return info.dev;
	return 0;
}

uint64_t udmd_identity_epoch(struct udmd *d)
{
	return d->identity ? udmd_idcache_epoch(d->identity->cache) : 0;
}

int udmd_binding_of_udm(struct udmd *d, dev_t udm, struct udmd_binding *out)
{
	return find(d, false, udm, out);
}

int udmd_binding_observe(struct udmd *d, udmd_binding_fn fn, void *arg)
{
	struct udmd_identity *I = d->identity;
	int r = 0;
	pthread_rwlock_wrlock(&I->lock);
	if (I->observer && fn) {
		r = -EBUSY;
	} else {
		I->observer = fn;
		I->observer_arg = arg;
		/* what exists already, so the observer starts complete */
		for (struct entry *e = I->list; fn && e; e = e->next)
			notify(I, &e->b, true);
	}
	pthread_rwlock_unlock(&I->lock);
	return r;
}

/* ---- ublk claims ---- */

void udmd_ublk_claim(struct udmd *d, int id, bool held)
{
	struct udmd_identity *I = d->identity;
	if (id < 0)
		return;
	pthread_rwlock_wrlock(&I->lock);
	size_t i = 0;
	while (i < I->n_ublk && I->ublk[i] != id)
		i++;
	if (held && i == I->n_ublk) {
		if (I->n_ublk == I->cap_ublk) {
			size_t cap = I->cap_ublk ? 2 * I->cap_ublk : 16;
			int *v = realloc(I->ublk, cap * sizeof(*v));
			if (v) {
				I->ublk = v;
				I->cap_ublk = cap;
			}
		}
		if (I->n_ublk < I->cap_ublk)
			I->ublk[I->n_ublk++] = id;
	} else if (!held && i < I->n_ublk) {
		I->ublk[i] = I->ublk[--I->n_ublk];
	}
	/* the observer hears of it even when out of memory: the guard holds */
	if (I->ublk_observer)
		I->ublk_observer(I->ublk_arg, id, held);
	pthread_rwlock_unlock(&I->lock);
}

void udmd_ublk_settle(struct udmd *d)
{
	struct udmd_identity *I = d->identity;
	pthread_rwlock_wrlock(&I->lock);
	I->ublk_settled = true;
	if (I->ublk_observer)
		I->ublk_observer(I->ublk_arg, -1, false);
	pthread_rwlock_unlock(&I->lock);
}

int udmd_ublk_observe(struct udmd *d, udmd_ublk_fn fn, void *arg)
{
	struct udmd_identity *I = d->identity;
	int r = 0;
	pthread_rwlock_wrlock(&I->lock);
	if (I->ublk_observer && fn) {
		r = -EBUSY;
	} else {
		I->ublk_observer = fn;
		I->ublk_arg = arg;
		for (size_t i = 0; fn && i < I->n_ublk; i++)
			fn(arg, I->ublk[i], true);
		if (fn && I->ublk_settled)
			fn(arg, -1, false);
	}
	pthread_rwlock_unlock(&I->lock);
	return r;
}

int udmd_identity_integrity(struct udmd *d, dev_t st_dev, bool synced, struct udm_integrity *blob)
{
	struct entry e;
	struct udm_integrity snap;
	memset(blob, 0, sizeof(*blob));
	if (find_entry(d, true, st_dev, &e))
		return -ENODEV;
	if (udm_dev_get_integrity(d->ctx, e.b.udm, &snap)) {
		/* no blob to give; -ENODEV only if the binding is gone */
		return vouched(d, &e, udm_dev_live_table_id(d->ctx, e.b.udm), synced) || udmd_binding_live(&e.b) ?
			       0 : -ENODEV;
	}
	/* Live after the read (the cache is read after it, the blob names the
	 * table it describes): the loop held the device object open all along,
	 * so e.b.udm named that object, not a later one. In a batch the cache
	 * was read before the blob, after the event was taken; the blob is
	 * still that object's: a loop binding's names the very table the
	 * object had at attach (table ids are never reused), and a ublk
	 * binding's object is held open by udmd until after its binding is
	 * dropped, which the binding still recorded after the read rules out. */
	if (vouched(d, &e, snap.table_id, synced) && (!synced || still_recorded(d, &e))) {
		*blob = snap;
		return 0;
	}
	if (!udmd_binding_live(&e.b))
		return -ENODEV;
	/* read sysfs before and after the blob, as the blob may be a later
	 * object's if the binding was dead before */
	if (udm_dev_get_integrity(d->ctx, e.b.udm, &snap) == 0 && udmd_binding_live(&e.b))
		*blob = snap;
	return 0;
}
