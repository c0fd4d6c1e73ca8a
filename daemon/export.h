/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How udmd makes its devices block devices: one interface over export
 * backends (docs/udmd.md "Exports"). Each backend is one struct export_ops in
 * a file of its own (export_fuse.c: RUNTIME/mapper/NAME through FUSE, a loop
 * device on it); export.c picks one at start (--export) and is the only place
 * that knows which there are. Adding a backend touches its own file and the
 * chooser's table in export.c. */
#ifndef UDMD_EXPORT_H
#define UDMD_EXPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct udmd;

/* The block device an export made for a device object. */
struct export_blk {
	dev_t rdev;                 /* its st_rdev */
	char path[32];              /* /dev/loopN, /dev/ublkbN */
};

struct export_ops {
	const char *name;           /* --export=NAME */
	const char *blk_noun;       /* what its block devices are, for messages: "loop device" */
	/* Early in the start, before the core's first device: 0 or -errno. */
	int (*init)(struct udmd *d);
	/* Leftovers of a udmd that was killed, once udmd holds its socket. */
	void (*clean_stale)(struct udmd *d);
	/* Serve the devices: 0, or -errno with err set. */
	int (*start)(struct udmd *d, char *err, size_t errlen);
	/* Attach the block device of device object dev (called name now);
	 * *blk: which it is. -EEXIST with *blk set if attached already,
	 * -EAGAIN if name was given to another device meanwhile. */
	int (*attach)(struct udmd *d, const char *name, dev_t dev, bool readonly, struct export_blk *blk);
	/* Detach it: -ENXIO if none, -EBUSY if in use and !force (force: at its last close). */
	int (*detach)(struct udmd *d, dev_t dev, bool force);
	void (*detach_all)(struct udmd *d);
	/* The block device attached to dev (*blk, NULL: only whether): 0 or -ENXIO. */
	int (*find)(struct udmd *d, dev_t dev, struct export_blk *blk);
	bool (*claimed)(struct udmd *d, dev_t dev);     /* mounted, or held O_EXCL */
	/* Rename a device with a live table so that its export follows it:
	 * -ENOENT (nothing of it exported) or -EEXIST; nothing done then. NULL: never. */
	int (*rename)(struct udmd *d, const char *name, const char *newname);
	void (*stop)(struct udmd *d);                   /* nothing is served any more */
	void (*free)(struct udmd *d);
};

extern const struct export_ops udmd_export_fuse;   /* export_fuse.c */
extern const struct export_ops udmd_export_ublk;   /* export_ublk.c */

/* ---- export.c: the chooser and the interface the rest of udmd calls ---- */
/* Is NAME a backend (--export)? names: "a, b or c", for the error. */
bool udmd_export_known(const char *name, char *names, size_t len);
/* Pick the backend (--export, default fuse; auto: the last of the table whose
 * init succeeds) and init it: 0 or -errno (-ENODEV: the kernel lacks it). */
int udmd_export_init(struct udmd *d);
void udmd_export_clean_stale(struct udmd *d);
int udmd_export_start(struct udmd *d, char *err, size_t errlen);
int udmd_export_attach(struct udmd *d, const char *name, dev_t dev, bool readonly, struct export_blk *blk);
int udmd_export_detach(struct udmd *d, dev_t dev, bool force);
void udmd_export_detach_all(struct udmd *d);
int udmd_export_find(struct udmd *d, dev_t dev, struct export_blk *blk);   /* 0 or -ENXIO */
const char *udmd_export_name(void);       /* the chosen backend's name; "none" before init */
const char *udmd_export_blk_noun(void);   /* its blk_noun */
bool udmd_export_claimed(struct udmd *d, dev_t dev);
int udmd_export_rename(struct udmd *d, const char *name, const char *newname);
void udmd_export_stop(struct udmd *d);
void udmd_export_free(struct udmd *d);
#endif
