/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF LSM backend of udmd's enforcement (daemon/bpf/enforce.bpf.c's
 * programs). Its files: enforce_bpf.c (the backend behind struct enforcer_ops,
 * its state below), enforce_bpf_load.c (load or re-adopt the pinned programs,
 * the audit ring buffer), enforce_bpf_maps.c (the decision maps from the active
 * policy and each udm device's published integrity), enforce_bpf_audit.c (the
 * audit records of what the programs decided), enforce_bpf_scope.c (the watched
 * mounts), kverity.c (the kernel's own dm-verity devices). Private to them. */
#ifndef UDMD_ENFORCE_BPF_H
#define UDMD_ENFORCE_BPF_H
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include "udm/udm.h"
#include "ipe/ipe.h"
#include "daemon/bpf/enforce_maps.h"
#include "daemon/handover_objs.h"

#define UDMD_BPF_PIN_DIR "/sys/fs/bpf/udm"

struct udmd_bpf;

/* One audited decision; pol is the policy of the generation that decided
 * (NULL if it is no longer known), valid during the call. */
typedef void (*udmd_bpf_audit_fn)(void *arg, const struct udm_bpf_event *ev, const struct ipe_policy *pol);


struct udmd_bpf_opts {
	const char *pin_dir;
	bool adopt_never;           /* --adopt=never: pinned objects are only taken by a handover */
	bool lock;                  /* --lock: once this udmd has exited nobody may adopt them */
	struct udmd_handover_objs *handover;   /* from the predecessor (--takeover), or NULL; a layout
	                                       * switch takes its links' fds (-1 left) */
};

/* Load the programs and attach them, or take over the links and maps of an
 * earlier udmd (*adopted): handed over, else re-adopted from the pins when the
 * programs allow it (its udmd has exited, not --lock). The pin directory stays
 * locked (flock) while the enforcer is open. Nothing is decided until
 * udmd_bpf_set_policy. 0 or -errno with err set (-EBUSY: held by another
 * udmd, or locked). */
int udmd_bpf_open(struct udmd_bpf **out, const struct udmd_bpf_opts *o, bool *adopted,
		      udmd_bpf_audit_fn audit, void *audit_arg, char *err, size_t errlen);
/* Hand everything to process successor over sock: from then on it is the owner
 * the programs trust, not this process. Frees e (nothing is detached). */
int udmd_bpf_handover(struct udmd_bpf *e, pid_t successor, int sock);
/* Start reading the audit ring. Not done by open: events the dead udmd's generation
 * decided wait in the ring until the restored policy is set (udmd_bpf_set_policy
 * remembers it for that generation), so that their records name its rules. 0 or -errno. */
int udmd_bpf_audit_start(struct udmd_bpf *e);
/* A layout switch is pending (the earlier udmd's maps have another layout):
 * nothing of this object is attached yet, the old programs decide. */
bool udmd_bpf_relayout_pending(const struct udmd_bpf *e);
/* The switch, once the policy is in this object's maps: drain the old audit
 * ring, attach this object's programs beside the old ones, detach the old
 * links, replace every pin with this object's. No-op without a pending switch.
 * 0, or -errno with err set and the old programs still attached. */
int udmd_bpf_relayout_finish(struct udmd_bpf *e, char *err, size_t errlen);
/* Stop reading audit events and free; enforcement stays in force (pinned). */
void udmd_bpf_close(struct udmd_bpf *e);
/* The authorised way out: detach every link, remove the pins, free. */
int udmd_bpf_detach(struct udmd_bpf *e);

/* The superblock whose files are boot_verified (kernel dev_t), 0 for none. */
void udmd_bpf_set_boot_dev(struct udmd_bpf *e, dev_t st_dev);
/* Compile pol (NULL: no active policy) for every known superblock into the
 * spare generation and make it live at once. -EOPNOTSUPP (reason) when the
 * policy needs properties the maps cannot carry; nothing changes then. */
int udmd_bpf_set_policy(struct udmd_bpf *e, struct ipe_policy *pol, bool enforcing,
			    bool success_audit, char *reason, size_t rsize);
/* Check only: would set_policy accept pol? fsv_kfunc: the programs read
 * fs-verity digests (udmd_bpf_fsv_kfunc of the loaded ones). */
int udmd_bpf_check_policy(const struct ipe_policy *pol, bool fsv_kfunc, char *reason, size_t rsize);
bool udmd_bpf_fsv_kfunc(const struct udmd_bpf *e);

/* udm device dev is served by block device st_dev, a loop device or (ublk) a
 * ublk device (attach) / no longer (detach: its entry goes before the block
 * device is cleared). */
int udmd_bpf_loop_attach(struct udmd_bpf *e, dev_t udm_dev, dev_t loop_st_dev, bool ublk, __u64 diskseq);
void udmd_bpf_loop_detach(struct udmd_bpf *e, dev_t udm_dev);
/* ublk device id is udmd's (held: guarded against other processes) or no
 * longer; id -1: every other id in the map is not (a dead udmd's devices that
 * were not taken over). udm_ublk keeps its entries across a restart. */
void udmd_bpf_ublk(struct udmd_bpf *e, int id, bool held);
/* udmd is going away gracefully and deletes its ublk devices: no guard stays
 * on ids the kernel will give to others. */
void udmd_bpf_ublk_clear(struct udmd_bpf *e);
/* The published integrity blob of udm device dev changed (cleared at bind,
 * set at resume). Called under the device's lock: never blocks for long. */
void udmd_bpf_integrity(struct udmd_bpf *e, dev_t udm_dev, const struct udm_integrity *blob);

/* Kernel dm devices (docs/kernel-verity.md). Are table swaps watched (the
 * dm_swap_table programs attached; *setintegrity: the bdev_setintegrity ones
 * too)? Without that, kernel devices get no properties. */
bool udmd_bpf_kverity(struct udmd_bpf *e, bool *setintegrity);
/* The device's udm_kseq now (init: make one up if it has none). Odd while a
 * table is being bound. 0 or -errno. */
int udmd_bpf_kseq(struct udmd_bpf *e, dev_t dev, __u64 *seq, bool init);
/* What bdev_setintegrity told for the table of kseq seq: 0, or -ENOENT when
 * it told nothing for that table. */
int udmd_bpf_kprops(struct udmd_bpf *e, dev_t dev, __u64 seq, struct udm_integrity *out);
/* The live table of dev, read after its kseq was seq, has these properties
 * (none: the entry goes). The entry is used only while the kseq is still seq. */
int udmd_bpf_kdev_set(struct udmd_bpf *e, dev_t dev, __u64 seq, const struct udm_integrity *blob);
/* The properties the programs use for dev now: those of its entry while its
 * kseq is live, 0; else -ENOENT (no properties). */
int udmd_bpf_kdev_get(struct udmd_bpf *e, dev_t dev, struct udm_integrity *out);
/* dev has no properties now (removed: the device is gone, its kseq goes too). */
void udmd_bpf_kdev_drop(struct udmd_bpf *e, dev_t dev, bool removed);

/* Mount-scoped mode: decide only files on the superblocks added here. */
int udmd_bpf_scope_add(struct udmd_bpf *e, dev_t st_dev);
int udmd_bpf_scope_remove(struct udmd_bpf *e, dev_t st_dev);
/* Mount-scoped mode with nothing in scope yet (a watch waiting for its mount). */
void udmd_bpf_scope_on(struct udmd_bpf *e);

/* One line of state for `udm enforce status`. */
void udmd_bpf_describe(struct udmd_bpf *e, char *buf, size_t len);

/* Is BPF LSM active on this kernel (/sys/kernel/security/lsm lists bpf)? */
bool udmd_bpf_lsm_active(void);

/* ---- the backend's state (enforce_bpf.c), shared with its helpers ---- */
struct udmd;
struct udmd_out;
struct udmd_scope;
struct udmd_kverity;
struct udmd_bpf_backend {
	struct udmd *d;
	/* guards maps against `udm enforce stop`; also held by the scope's thread
	 * and kverity's refreshes; taken under the identity lock and device locks */
	pthread_mutex_t lock;
	struct udmd_bpf *maps;          /* NULL once detached, handed over or stopped */
	bool fsv_kfunc;                 /* as loaded: what check_policy checks against */
	struct udmd_scope *scope;       /* mount-scoped mode: the watched mounts */
	struct udmd_kverity *kverity;   /* kernel dm-verity devices followed */
	struct ipe_policy *synced;      /* what the maps were last compiled from */
	bool synced_enf, synced_sa, synced_valid;
	/* decisions the audit ring brought (every denial, allows with success_audit) */
	_Atomic unsigned long long denied, allowed;
};

/* enforce_bpf_audit.c: the audit ring's callback (arg: the backend): each
 * decision of the programs as IPE's record, their self-protection as udm's. */
void udmd_bpf_audit_event(void *arg, const struct udm_bpf_event *ev, const struct ipe_policy *pol);

/* enforce_bpf_scope.c: the watches (mount-scoped mode), as udmd_watch_add/
 * remove/list; called with b->lock held, but stop. */
int udmd_scope_add(struct udmd_bpf_backend *b, const char *path, bool wait);
int udmd_scope_remove(struct udmd_bpf_backend *b, const char *path);
char *udmd_scope_list(struct udmd_bpf_backend *b);
void udmd_scope_clear(struct udmd_bpf_backend *b);   /* udm enforce stop: every watch forgotten */
void udmd_scope_stop(struct udmd_bpf_backend *b);    /* without b->lock: the thread ends, all freed */

/* kverity.c: the kernel's own dm-verity devices (docs/kernel-verity.md):
 * found with DM_LIST_DEVICES, followed through uevents, each live table's
 * properties written to the maps. start: 0 or -errno. */
int udmd_kverity_start(struct udmd_bpf_backend *b);
void udmd_kverity_stop(struct udmd_bpf_backend *b);
/* The live table of kernel dm device dev: its properties (zeroed unless it
 * is one verity target), its name. 0 or -errno (-ENXIO: no such device). */
int udmd_kverity_read(dev_t dev, struct udm_integrity *blob, char *name, size_t namelen);
/* The properties a BPF decision uses for a file on dev now (false: none). */
bool udmd_kverity_props(struct udmd_bpf_backend *b, dev_t dev, struct udm_integrity *blob);
/* One line per kernel dm-verity device with properties (udm enforce status). */
void udmd_kverity_status(struct udmd_bpf_backend *b, struct udmd_out *out);
#endif
