/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal structures of the udm core: devices, tables, backing devices, and
 * the functions the core's files share. Nothing here names a target. */
#ifndef UDM_CORE_H
#define UDM_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include "udm/udm.h"

/* A backing device reached through a library rather than a file descriptor
 * (blockdev_nbd.c): byte offsets and lengths, already checked against the
 * device's size; 0 or -errno. */
struct udm_blockdev_ops {
	int (*read)(struct udm_blockdev *bd, void *buf, size_t len, uint64_t off);
	int (*write)(struct udm_blockdev *bd, const void *buf, size_t len, uint64_t off);
	int (*flush)(struct udm_blockdev *bd);
	int (*discard)(struct udm_blockdev *bd, uint64_t off, uint64_t len);
	void (*close)(struct udm_blockdev *bd);
};

/* A backing device opened by a table (dm_dev analog). Either a file
 * descriptor (regular file or block device), another udm device, or a
 * device behind ops (an NBD export). */
struct udm_blockdev {
	struct udm_blockdev *next;   /* table's list, most recently acquired first */
	int refs;                    /* udm_get_device calls within the table */
	int fd;                      /* -1 for a stacked udm device */
	struct udm_dev *lower;       /* stacked udm device (opened), or NULL */
	const struct udm_blockdev_ops *ops;   /* NULL for a file descriptor or udm device */
	void *priv;                  /* the ops' device */
	dev_t devt;                  /* 0 for a regular file */
	uint64_t sectors;
	unsigned lbs;                /* logical block size, bytes (BLKSSZGET; 512 for a file) */
	char name[4096];             /* "MAJ:MIN", the absolute path of a regular file, or the URI */
};

struct udm_table {
	struct udm_dev *md;
	uint64_t id;                 /* unique per context; the integrity blob names it */
	bool readonly;
	int dirfd;                   /* relative device paths resolve here (openat) while targets are built */
	struct udm_target *targets;
	size_t num_targets, alloc_targets;
	bool singleton;
	bool has_wildcard;
	const struct udm_target_type *immutable_type;
	struct udm_blockdev *devices;
	char dev_error[512];         /* why the last udm_get_device failed, when it knows more than an errno */
	bool bound;                  /* has been live: table events reach the device */
	int readers;                 /* under md->io_lock: I/O, status, message in progress */
};

struct udm_dev {
	struct udm_ctx *ctx;
	struct udm_dev *next;        /* ctx list */
	char name[UDM_NAME_LEN];
	char uuid[UDM_UUID_LEN];
	dev_t dev;
	int holders;                 /* under ctx->lock: pins from control calls */
	int open_count;              /* under ctx->lock */
	bool deleting, deferred_remove;

	pthread_mutex_t suspend_lock; /* serializes lifecycle operations on this device */

	pthread_mutex_t io_lock;     /* guards everything below */
	pthread_cond_t io_cond;      /* pending_io reached 0, I/O unblocked, readers gone */
	pthread_cond_t event_cond;
	struct udm_table *map;       /* live table */
	struct udm_table *new_map;   /* inactive table */
	bool block_io, suspended, noflush_suspending, freeing;
	unsigned pending_io;
	uint32_t event_nr;
	bool readonly;               /* disk RO bit, set at bind from the table's mode */
	uint64_t sectors;            /* capacity, set at bind */
	const struct udm_target_type *immutable_type;

	/* Integrity blob: 'blob' is what readers see (under blob_lock); 'staged'
	 * is being filled by preresume of 'staging_table'. */
	pthread_mutex_t blob_lock;
	struct udm_integrity blob;
	struct udm_integrity staged;
	struct udm_table *staging_table;
	int staging_error;
};

/* State a layer above the core keeps per context (the verity target's key
 * trust), which the core holds without knowing what it is: created on the
 * first udm_ctx_slot_get, destroyed by udm_ctx_free. */
struct udm_ctx_slot {
	void *(*create)(void);          /* NULL: out of memory */
	void (*destroy)(void *data);
};
#define UDM_CTX_SLOTS 8

struct udm_ctx {
	pthread_mutex_t lock;        /* device list, names, holders, open counts */
	pthread_cond_t holders_cond;
	struct udm_dev *devices;
	atomic_uint_fast64_t next_table_id;
	atomic_uint global_event;
	char mapper_dir[4096];
	void (*swap_fn)(void *arg, const char *name, dev_t dev);
	void *swap_arg;
	struct udm_ctx_slot_entry {
		const struct udm_ctx_slot *slot;
		void *data;
	} slots[UDM_CTX_SLOTS];              /* what layers above keep per context */
	pthread_mutex_t slot_lock;           /* guards slots; taken under no other lock */
	dev_t (*export_fn)(void *arg, dev_t blockdev);
	void *export_arg;
	void (*integrity_fn)(void *arg, dev_t dev, const struct udm_integrity *blob);
	void *integrity_arg;
	void (*event_fn)(void *arg, const struct udm_event *ev);
	void *event_arg;
};

/* events.c: tell the program (udm_ctx_set_event_callback, udm_ctx_set_swap_callback);
 * no lock of ctx held. */
void udm_ctx_event(struct udm_ctx *ctx, enum udm_event_kind kind, const char *name, const char *old_name,
		   dev_t dev, bool swapped);
void udm_ctx_swapped(struct udm_ctx *ctx, const char *name, dev_t dev);
/* A table event (dm_table_event): the device's event counter, the context's. */
void udm_dev_table_event(struct udm_dev *md);
/* The same only if the device has a live table (dm_table_event on md->map). */
void udm_dev_live_table_event(struct udm_dev *md);

/* table.c */
struct udm_table *udm_table_create(struct udm_dev *md, bool readonly);
int udm_table_add_target(struct udm_table *t, const struct udm_target_spec *spec, char *errbuf, size_t errlen);
void udm_table_destroy(struct udm_table *t);
uint64_t udm_table_size(const struct udm_table *t);
struct udm_target *udm_table_find_target(struct udm_table *t, uint64_t sector);
/* 0, or the first bad area's error; *bad (if given) is its target's index. */
int udm_table_validate_areas(struct udm_table *t, char *errbuf, size_t errlen, size_t *bad);
/* The logical block size a table gives its device (stacked limits), bytes. */
unsigned udm_table_logical_block_size(struct udm_table *t);
/* The same for a device's live table (512 without one). */
unsigned udm_blockdev_logical_block_size(const struct udm_blockdev *dev);
void udm_table_presuspend(struct udm_table *t);
void udm_table_presuspend_undo(struct udm_table *t);
void udm_table_postsuspend(struct udm_table *t);

/* registry.c: the registry itself; the public udm_target_register,
 * udm_target_find and udm_list_versions (lib/libudm/entry.c) add the
 * built-in targets first. */
int udm_registry_add(const struct udm_target_type *type);
const struct udm_target_type *udm_registry_find(const char *name);
int udm_registry_list(struct udm_version_entry **out, size_t *count);

/* ctx.c: a context without targets registered (udm_ctx_new adds them). */
struct udm_ctx *udm_ctx_create(void);
/* The context's data for slot (made on first use); NULL if it cannot be made. */
void *udm_ctx_slot_get(struct udm_ctx *ctx, const struct udm_ctx_slot *slot);

/* blockdev.c */
void udm_blockdev_close(struct udm_blockdev *bd);

/* blockdev_nbd.c: an NBD URI (nbd://, nbds://, nbd+unix://) as a backing
 * device; -ENOENT if path is not one (then it is a path). On another failure
 * t->dev_error says which URI and why. */
int udm_blockdev_nbd_open(struct udm_target *ti, const char *path, struct udm_blockdev *bd);

/* devices.c */
/* Over-long strings in the ioctl header are truncated, not refused. */
void udm_copy_trunc(char *dst, size_t size, const char *src);
/* ctx->lock held: the device of that name, uuid (non-empty) or number, or NULL. */
struct udm_dev *udm_dev_find_name(struct udm_ctx *ctx, const char *name);
struct udm_dev *udm_dev_find_uuid(struct udm_ctx *ctx, const char *uuid);
struct udm_dev *udm_dev_find_devt(struct udm_ctx *ctx, dev_t dev);
/* ctx->lock held: the device id names (uuid beats name beats dev); -ENXIO, -EINVAL. */
int udm_dev_find_locked(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **out);
/* ctx->lock held: the context's devices in name order (free the array); NULL: no memory. */
struct udm_dev **udm_dev_sorted(struct udm_ctx *ctx, size_t *count);
/* Find and pin a device so it is not freed under the caller (udm_dev_unpin). */
int udm_dev_pin(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **out);
struct udm_dev *udm_dev_lookup_devt(struct udm_ctx *ctx, dev_t dev);  /* pinned */
void udm_dev_unpin(struct udm_dev *md);
void udm_dev_fill_info(struct udm_dev *md, unsigned flags, struct udm_info *info);
int udm_dev_open_md(struct udm_dev *md);

/* table_slots.c: empty the inactive slot; its table goes once no reader holds it. */
void udm_dev_drop_inactive(struct udm_dev *md);

/* io.c */
void udm_table_get_reader(struct udm_table *t);      /* md->io_lock held */
void udm_table_put_reader(struct udm_table *t);      /* md->io_lock not held */
void udm_table_sync(struct udm_table *t);            /* wait until no reader; md->io_lock not held */

#endif
