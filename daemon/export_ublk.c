/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ublk export behind struct export_ops (export.h): each attached device
 * is a ublk device /dev/ublkbN that udmd serves itself (ublk.c), its requests
 * going straight to the device object (udm_dev_io), with no FUSE file and no
 * loop device between. RUNTIME/mapper stays mounted (fuse.c) for the files.
 *
 * Restart: ublk devices are added with user recovery, so they outlive a udmd
 * that dies. Each one has a record RUNTIME/ublk/ID (its device's name, uuid,
 * minor, read-only flag and live table); a udmd started on the same runtime
 * dir makes those devices again, resumes their tables and takes the ublk
 * devices over, and their readers see a pause. A detach, and so a graceful
 * shutdown, removes the device and its record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/events.h"
#include "daemon/export.h"
#include "daemon/ublk.h"
#include "daemon/udmd.h"

struct served {
	struct served *next;
	dev_t dev;                  /* the udm device object */
	struct udm_dev *h;          /* held open while served: the requests go through it */
	struct ublk_srv *srv;
	struct udmd_binding b;      /* as recorded in identity.c */
	uint64_t sectors;           /* the size the ublk device was given */
	int claimed;                /* the ublk id claimed at add (udmd_ublk_claim), or -1 */
};

/* One udmd per process: the export's state is this file's. */
static struct {
	pthread_mutex_t lock;
	struct served *list;
	char dir[600];              /* RUNTIME/ublk */
	struct udmd *d;
} U = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The kernel has added our device id: guarded from now on (before we open
 * its char device, which another process could otherwise open first). */
static void added(void *arg, int id)
{
	struct served *s = arg;
	s->claimed = id;
	udmd_ublk_claim(U.d, id, true);
}

static int serve(void *arg, enum ublk_srv_op op, uint64_t sector, uint32_t n, void *buf)
{
	struct served *s = arg;
	switch (op) {
	case UBLK_SRV_READ:
		return udm_dev_io(s->h, UDM_IO_READ, 0, sector, n, buf);
	case UBLK_SRV_WRITE:
		return udm_dev_io(s->h, UDM_IO_WRITE, 0, sector, n, buf);
	case UBLK_SRV_FLUSH:
		return udm_dev_io(s->h, UDM_IO_FLUSH, 0, 0, 0, NULL);
	default:
		return -EOPNOTSUPP;   /* no discard: the device is added without it */
	}
}

static void blk_of(const struct served *s, struct export_blk *blk)
{
	if (!blk)
		return;
	blk->rdev = s->b.blk;
	snprintf(blk->path, sizeof(blk->path), "/dev/ublkb%d", s->b.nr);
}

static struct served **find_locked(dev_t dev)
{
	for (struct served **pp = &U.list; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == dev)
			return pp;
	return NULL;
}

/* The device's limits from its live table: size, logical block size (a
 * verity device's data block size), read-only; no discard. */
static void params_of(struct udm_dev *h, bool ro, struct ublk_srv_params *p)
{
	unsigned bs = udm_dev_logical_block_size(h);
	memset(p, 0, sizeof(*p));
	p->sectors = udm_dev_sectors(h);
	p->logical_block_size = bs >= 512 && bs <= 4096 ? bs : 512;
	p->readonly = ro || udm_dev_readonly(h);
}

/* ---- records: RUNTIME/ublk/ID ------------------------------------------- */

static void record_path(int id, char *p, size_t len)
{
	snprintf(p, len, "%s/%d", U.dir, id);
}

/* Write the record of s (lock held): its device as it is now. */
static void record_save(struct udmd *d, const struct served *s)
{
	struct udm_target_status *st = NULL;
	size_t n = 0;
	struct udm_info info;
	if (udm_table_status(d->ctx, (struct udm_dev_id){ .dev = s->dev }, UDM_F_STATUS_TABLE, &st, &n, &info))
		return;
	char p[700], tmp[720];
	record_path(s->b.nr, p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	FILE *f = NULL;
	bool ok = !strchr(info.name, '\n') && !strchr(info.uuid, '\n') && (f = fopen(tmp, "we"));
	if (ok) {
		fprintf(f, "udm-ublk 1\nname %s\nuuid %s\nminor %u\nro %d\n", info.name, info.uuid, minor(info.dev),
			(info.flags & UDM_F_READONLY) ? 1 : 0);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "table %" PRIu64 " %" PRIu64 " %s %s\n", st[i].start, st[i].length, st[i].type,
				st[i].text ? st[i].text : "");
		ok = fclose(f) == 0 && rename(tmp, p) == 0;
	}
	if (!ok) {
		udmd_log("ublk: %s: the record of /dev/ublkb%d not written: a restart will not take it over", p,
			 s->b.nr);
		unlink(tmp);
	}
	udm_target_status_free(st, n);
}

static void record_drop(int id)
{
	char p[700];
	record_path(id, p, sizeof(p));
	unlink(p);
}

/* ---- attach, detach ----------------------------------------------------- */

/* Serve device object dev as a new ublk device, or (id >= 0) take over
 * device id that a dead udmd served. Lock held. */
static int serve_dev(struct udmd *d, dev_t dev, bool ro, int id, struct served **out)
{
	struct served *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dev = dev;
	s->claimed = -1;
	int r = udm_dev_open(d->ctx, (struct udm_dev_id){ .dev = dev }, &s->h);
	if (r) {
		free(s);
		return r;
	}
	struct ublk_srv_params p;
	params_of(s->h, ro, &p);
	p.added = added;
	char err[256] = "";
	if (id >= 0)   /* a dead udmd's: claimed already (kept in the pinned map), said again */
		udmd_ublk_claim(d, id, true);
	/* Before the device is made (or taken over): a uevent lost from here on
	 * keeps the identity cache from vouching for this binding, so a removal
	 * of this disk, and a new disk given its number, are never missed. */
	s->b.cache_epoch = udmd_identity_epoch(d);
	r = id >= 0 ? ublk_srv_recover(id, &p, serve, s, &s->srv, err, sizeof(err))
		    : ublk_srv_add(&p, serve, s, &s->srv, err, sizeof(err));
	if (r) {
		/* an added device was deleted again; one to take over stays claimed
		 * until it is served or deleted (restore) */
		udmd_ublk_claim(d, s->claimed, false);
		udmd_log("%s", err);
		udm_dev_close(s->h);
		free(s);
		return r;
	}
	s->sectors = p.sectors;
	s->b.kind = UDMD_BLK_UBLK;
	s->b.blk = ublk_srv_devt(s->srv);
	s->b.nr = ublk_srv_id(s->srv);
	s->b.udm = dev;
	/* our disk's, read by its name (the id we hold), not by its number:
	 * were it removed meanwhile, another disk could have the number */
	if ((r = ublk_srv_diskseq(s->srv, &s->b.diskseq)) || (r = udmd_binding_add(d, &s->b))) {
		udmd_log("ublk: /dev/ublkb%d: %s", s->b.nr, strerror(-r));
		ublk_srv_remove(s->srv);
		udmd_ublk_claim(d, s->b.nr, false);
		udm_dev_close(s->h);
		free(s);
		return r;
	}
	s->next = U.list;
	U.list = s;
	*out = s;
	return 0;
}

static int ublk_attach(struct udmd *d, const char *name, dev_t dev, bool readonly, struct export_blk *blk)
{
	pthread_mutex_lock(&U.lock);
	struct served **pp = find_locked(dev), *s;
	int r = -EEXIST;
	if (pp) {
		blk_of(*pp, blk);
		goto out;
	}
	struct udm_info info;
	if ((r = udm_dev_info(d->ctx, UDM_BY_NAME(name), 0, &info)))
		goto out;
	if (info.dev != dev) {
		r = -EAGAIN;   /* name moved to another device meanwhile */
		goto out;
	}
	if ((r = serve_dev(d, dev, readonly, -1, &s)))
		goto out;
	record_save(d, s);
	blk_of(s, blk);
	udmd_log("attached %s to /dev/ublkb%d%s", name, s->b.nr, readonly ? " (read-only)" : "");
out:
	pthread_mutex_unlock(&U.lock);
	return r;
}

static bool claimed_blk(const struct served *s)
{
	char p[48];
	snprintf(p, sizeof(p), "/dev/ublkb%d", s->b.nr);
	int fd = open(p, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd < 0 && errno == EBUSY;
}

/* Stop serving s (unlinked, lock held): the binding goes first, then the device. */
static void unserve(struct udmd *d, struct served *s)
{
	udmd_binding_drop(d, s->b.blk);
	ublk_srv_remove(s->srv);
	udmd_ublk_claim(d, s->b.nr, false);   /* deleted: the id is the kernel's to give again */
	udm_dev_close(s->h);
	record_drop(s->b.nr);
	udmd_log("detached /dev/ublkb%d", s->b.nr);
	free(s);
}

static int ublk_detach(struct udmd *d, dev_t dev, bool force)
{
	pthread_mutex_lock(&U.lock);
	struct served **pp = find_locked(dev);
	int r = -ENXIO;
	if (pp) {
		struct served *s = *pp;
		/* force: removed now; a file system on it sees the device gone */
		if (!force && claimed_blk(s)) {
			r = -EBUSY;
		} else {
			*pp = s->next;
			unserve(d, s);
			r = 0;
		}
	}
	pthread_mutex_unlock(&U.lock);
	if (r == 0) {
		struct udmd_event ev = { .kind = UDMD_EV_EXPORT_WITHDRAWN, .dev = dev };
		udmd_publish(d, &ev);
	}
	return r;
}

static void ublk_detach_all(struct udmd *d)
{
	pthread_mutex_lock(&U.lock);
	while (U.list) {
		struct served *s = U.list;
		U.list = s->next;
		unserve(d, s);
	}
	pthread_mutex_unlock(&U.lock);
}

static int ublk_find(struct udmd *d, dev_t dev, struct export_blk *blk)
{
	(void)d;
	pthread_mutex_lock(&U.lock);
	struct served **pp = find_locked(dev);
	if (pp)
		blk_of(*pp, blk);
	pthread_mutex_unlock(&U.lock);
	return pp ? 0 : -ENXIO;
}

static bool ublk_claimed(struct udmd *d, dev_t dev)
{
	(void)d;
	pthread_mutex_lock(&U.lock);
	struct served **pp = find_locked(dev);
	bool c = pp && claimed_blk(*pp);
	pthread_mutex_unlock(&U.lock);
	return c;
}

/* A new live table: its size reaches the ublk device (Linux 6.16 and later;
 * before, the device keeps its size and requests beyond the table fail),
 * cached blocks of the old table go, and the record follows. A rename: the
 * record follows. */
static int on_event(struct udmd *d, const struct udmd_event *ev)
{
	if (!(ev->kind == UDMD_EV_RESUMED && ev->swapped) && ev->kind != UDMD_EV_RENAMED)
		return 0;
	pthread_mutex_lock(&U.lock);
	struct served **pp = find_locked(ev->dev);
	if (pp && ev->kind == UDMD_EV_RESUMED) {
		struct served *s = *pp;
		uint64_t n = udm_dev_sectors(s->h);
		if (n != s->sectors) {
			int r = ublk_srv_resize(s->srv, n);
			if (r)
				udmd_log("/dev/ublkb%d: the new table's size (%" PRIu64 " sectors) not applied: %s",
					 s->b.nr, n, r == -EOPNOTSUPP ? "this kernel cannot resize a ublk device"
								      : strerror(-r));
			else
				s->sectors = n;
		}
		char p[48];
		snprintf(p, sizeof(p), "/dev/ublkb%d", s->b.nr);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (ioctl(fd, BLKFLSBUF, 0) < 0)
				udmd_log("%s: BLKFLSBUF: %s", p, strerror(errno));
			close(fd);
		}
	}
	if (pp)
		record_save(d, *pp);
	pthread_mutex_unlock(&U.lock);
	return 0;
}

/* ---- restart: take the devices of a dead udmd over ------------------------ */

struct record {
	char name[UDM_NAME_LEN], uuid[UDM_UUID_LEN];
	unsigned minor;
	bool ro;
	struct udm_target_spec *specs;
	char **params;
	size_t n;
};

static void record_free(struct record *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		free(rec->params[i]);
	free(rec->params);
	free(rec->specs);
}

static int record_read(const char *path, struct record *rec)
{
	memset(rec, 0, sizeof(*rec));
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int r = 0, version = 0;
	while (!r && (len = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *sp = strchr(line, ' ');
		const char *v = sp ? sp + 1 : "";
		if (sp)
			*sp = '\0';
		if (!strcmp(line, "udm-ublk"))
			version = atoi(v);
		else if (!strcmp(line, "name"))
			snprintf(rec->name, sizeof(rec->name), "%s", v);
		else if (!strcmp(line, "uuid"))
			snprintf(rec->uuid, sizeof(rec->uuid), "%s", v);
		else if (!strcmp(line, "minor"))
			rec->minor = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(line, "ro"))
			rec->ro = atoi(v) != 0;
		else if (!strcmp(line, "table")) {
			struct udm_target_spec sp1 = { 0 };
			int off = 0;
			if (sscanf(v, "%" SCNu64 " %" SCNu64 " %16s %n", &sp1.start, &sp1.length, sp1.type, &off) < 3) {
				r = -EINVAL;
				break;
			}
			struct udm_target_spec *ns = realloc(rec->specs, (rec->n + 1) * sizeof(*ns));
			char **np = ns ? realloc(rec->params, (rec->n + 1) * sizeof(*np)) : NULL;
			if (ns)
				rec->specs = ns;
			if (np)
				rec->params = np;
			char *pv = np ? strdup(v + off) : NULL;
			if (!pv) {
				r = -ENOMEM;
				break;
			}
			rec->params[rec->n] = pv;
			sp1.params = pv;
			rec->specs[rec->n++] = sp1;
		}
	}
	free(line);
	fclose(f);
	if (!r && (version != 1 || !rec->name[0] || !rec->n))
		r = -EINVAL;
	if (r)
		record_free(rec);
	return r;
}

/* Make the device of record rec (RUNTIME/ublk/id) again and take ublk device
 * id over. 0, -EAGAIN (its table names a device not there yet), or -errno. */
static int restore_one(struct udmd *d, int id, const struct record *rec)
{
	struct udm_info info;
	char why[256] = "";
	unsigned fl = rec->ro ? UDM_F_READONLY : 0;
	int r = udm_dev_create(d->ctx, rec->name, rec->uuid[0] ? rec->uuid : NULL, fl | UDM_F_PERSISTENT_DEV,
			       makedev(UDM_MAJOR, rec->minor), &info);
	if (r == -EBUSY)   /* its old number is taken: any will do */
		r = udm_dev_create(d->ctx, rec->name, rec->uuid[0] ? rec->uuid : NULL, fl, 0, &info);
	if (r) {
		udmd_log("ublk: /dev/ublkb%d: cannot make %s again: %s", id, rec->name, strerror(-r));
		return r;
	}
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = udm_table_load_at(d->ctx, UDM_BY_NAME(rec->name), root, rec->specs, rec->n, fl, why, sizeof(why), NULL,
			      NULL);
	if (root >= 0)
		close(root);
	if (!r)
		r = udm_dev_resume(d->ctx, UDM_BY_NAME(rec->name), 0, NULL);
	struct served *s;
	if (!r) {
		/* not across the resume: its event comes back here (on_event) */
		pthread_mutex_lock(&U.lock);
		if (!(r = serve_dev(d, info.dev, rec->ro, id, &s)))
			record_save(d, s);
		pthread_mutex_unlock(&U.lock);
	}
	if (!r) {
		udmd_log("took over /dev/ublkb%d (%s)", id, rec->name);
		return 0;
	}
	if (r != -ENODEV && r != -ENOENT && r != -ENXIO)
		udmd_log("ublk: /dev/ublkb%d: cannot serve %s again: %s%s%s", id, rec->name, strerror(-r),
			 why[0] ? ": " : "", why);
	udm_dev_remove(d->ctx, UDM_BY_NAME(rec->name), 0);
	return r == -ENODEV || r == -ENOENT || r == -ENXIO ? -EAGAIN : r;
}

static bool served_id(long id)
{
	pthread_mutex_lock(&U.lock);
	bool ours = false;
	for (struct served *s = U.list; s && !ours; s = s->next)
		ours = s->b.nr == id;
	pthread_mutex_unlock(&U.lock);
	return ours;
}

/* The device id a record's file name gives, if no device serves it yet; else -1. */
static long unserved_record(const struct dirent *e)
{
	char *end;
	long id = strtol(e->d_name, &end, 10);
	return *end || end == e->d_name || id < 0 || served_id(id) ? -1 : id;
}

/* Every record: devices whose table stacks on another restored one come
 * after it (passes until one makes no progress). What cannot be taken over
 * is deleted, so its readers fail instead of waiting for ever. */
static void restore(struct udmd *d)
{
	for (bool progress = true; progress;) {
		progress = false;
		DIR *dir = opendir(U.dir);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			long id = unserved_record(e);
			if (id < 0)
				continue;
			char p[700];
			record_path((int)id, p, sizeof(p));
			struct record rec;
			if (record_read(p, &rec)) {
				udmd_log("ublk: %s: unreadable record; /dev/ublkb%ld is deleted", p, id);
				udmd_ublk_claim(d, (int)id, true);   /* ours to delete */
				ublk_srv_delete((int)id);
				udmd_ublk_claim(d, (int)id, false);
				unlink(p);
				continue;
			}
			int r = restore_one(d, (int)id, &rec);
			record_free(&rec);
			if (r == 0)
				progress = true;
		}
		if (dir)
			closedir(dir);
	}
	/* what is left cannot be served again */
	DIR *dir = opendir(U.dir);
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		long id = unserved_record(e);
		if (id < 0)
			continue;
		udmd_log("ublk: /dev/ublkb%ld cannot be taken over: deleted", id);
		ublk_srv_delete((int)id);
		udmd_ublk_claim(d, (int)id, false);
		char p[700];
		record_path((int)id, p, sizeof(p));
		unlink(p);
	}
	if (dir)
		closedir(dir);
}

/* ---- the export ----------------------------------------------------------- */

static int ublk_init(struct udmd *d)
{
	if (!ublk_srv_available())
		return -ENODEV;
	snprintf(U.dir, sizeof(U.dir), "%s/ublk", d->cfg.runtime_dir);
	U.d = d;
	return udmd_subscribe(on_event);
}

static void ublk_clean_stale(struct udmd *d)
{
	/* a FUSE udmd's loop devices; the ublk devices are taken over at start */
	udmd_loop_clean_stale(d->mapper_dir);
	udmd_fuse_clean_stale(d->mapper_dir);
}

static int ublk_start(struct udmd *d, char *err, size_t errlen)
{
	int r = udmd_mkdirs(U.dir, 0700);
	if (r) {
		snprintf(err, errlen, "%s: %s", U.dir, strerror(-r));
		return r;
	}
	if ((r = udmd_fuse_start(d, err, errlen)))
		return r;
	restore(d);
	return 0;
}

static void ublk_free(struct udmd *d)
{
	ublk_detach_all(d);
}

const struct export_ops udmd_export_ublk = {
	.name = "ublk",
	.blk_noun = "ublk device",
	.init = ublk_init,
	.clean_stale = ublk_clean_stale,
	.start = ublk_start,
	.attach = ublk_attach,
	.detach = ublk_detach,
	.detach_all = ublk_detach_all,
	.find = ublk_find,
	.claimed = ublk_claimed,
	.rename = udmd_fuse_rename,
	.stop = udmd_fuse_stop,
	.free = ublk_free,
};
