/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The identity cache (identity_cache.c): what the kernel's uevents say about
 * block devices since a binding was made, so that a decision can trust the
 * binding's diskseq and offset without reading sysfs. It only ever withdraws
 * trust: a uevent can make a binding untrusted (then identity.c reads sysfs
 * for it, as without the cache), never trusted again. docs/enforcement.md
 * gives the reasoning. */
#ifndef UDMD_IDENTITY_CACHE_H
#define UDMD_IDENTITY_CACHE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct udmd_idcache;

/* Open the kernel uevent socket and start the thread that drains it. 0, or
 * -errno (then there is no cache: every binding is checked in sysfs). */
int udmd_idcache_open(struct udmd_idcache **out);
void udmd_idcache_close(struct udmd_idcache *c);
/* The epoch to keep with a binding, taken before the loop device is
 * configured or the ublk device made: a binding is trusted only while the epoch is unchanged (it
 * moves when uevents may have been lost). NULL cache: 0. */
uint64_t udmd_idcache_epoch(struct udmd_idcache *c);
/* Read every uevent the kernel has queued until now (one non-blocking recv
 * when there is none). NULL cache: nothing. Any thread. */
void udmd_idcache_sync(struct udmd_idcache *c);
/* Has nothing happened to block device dev since it got diskseq (a binding
 * of epoch epoch)? sync: udmd_idcache_sync first; else as the last sync
 * (or the cache's thread) read them. false: read sysfs instead. NULL
 * cache: false. Any thread. */
bool udmd_idcache_unchanged(struct udmd_idcache *c, dev_t dev, uint64_t diskseq, uint64_t epoch, bool sync);
#endif
