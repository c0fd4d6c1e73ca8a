/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A ublk block device served from this process (daemon/ublk.c): the kernel's
 * requests for /dev/ublkbN come up through io_uring, one queue and thread per
 * core, and go to the caller's io function. Knows nothing of udm's devices. */
#ifndef UDMD_UBLK_H
#define UDMD_UBLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ublk_srv_op { UBLK_SRV_READ, UBLK_SRV_WRITE, UBLK_SRV_FLUSH, UBLK_SRV_DISCARD };

/* One request: 0 or -errno. buf holds nsect sectors (NULL for flush, discard).
 * Called on the queue's thread; several queues call at once. */
typedef int (*ublk_srv_io_fn)(void *arg, enum ublk_srv_op op, uint64_t sector, uint32_t nsect, void *buf);

struct ublk_srv_params {
	uint64_t sectors;             /* device size in 512-byte sectors */
	unsigned logical_block_size;  /* 512 .. 4096, a power of two */
	bool readonly;
	bool discard;                 /* the table takes discards */
	unsigned queues;              /* 0: one per online CPU, at most 4 */
	unsigned depth;               /* requests in flight per queue; 0: 32 */
	/* ublk_srv_add: called with io's arg and the new device's id as soon as
	 * the kernel has added it, before its char device is opened (a guard
	 * against other openers goes up there). NULL: none. */
	void (*added)(void *arg, int id);
};

struct ublk_srv;

/* Does /dev/ublk-control open (module loaded, privileged)? */
bool ublk_srv_available(void);
/* Adds and starts a device with user recovery (a successor process takes it over
 * after a crash; requests in flight are issued again). */
int ublk_srv_add(const struct ublk_srv_params *p, ublk_srv_io_fn io, void *arg, struct ublk_srv **out,
		 char *err, size_t errlen);
/* Takes over device `id` left by a server that died (state QUIESCED). */
int ublk_srv_recover(int id, const struct ublk_srv_params *p, ublk_srv_io_fn io, void *arg,
		     struct ublk_srv **out, char *err, size_t errlen);
/* A new size (a table swap): 0, -EOPNOTSUPP before Linux 6.16, or -errno. */
int ublk_srv_resize(struct ublk_srv *s, uint64_t sectors);
/* Stop and delete device id that no server of ours serves (a dead server's,
 * which cannot be taken over): its users see it gone. */
void ublk_srv_delete(int id);
int ublk_srv_id(const struct ublk_srv *s);
dev_t ublk_srv_devt(const struct ublk_srv *s);
/* The disk sequence number of the device's disk (sysfs, by its name): 0 or
 * -errno (-ENXIO: the disk is not the one ublk_srv_devt names). */
int ublk_srv_diskseq(const struct ublk_srv *s, uint64_t *seq);
/* Stops and deletes the device (opened users then see it gone), frees s. */
void ublk_srv_remove(struct ublk_srv *s);

#endif
