/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF LSM enforcer's loader (daemon/bpf/enforce.bpf.c): load or re-adopt
 * the pinned programs, fill their decision maps from the active policy and
 * each udm device's published integrity, and read their audit ring buffer. */
#ifndef UDMD_ENFORCE_BPF_H
#define UDMD_ENFORCE_BPF_H
#include <stdbool.h>
#include <sys/types.h>
#include "udm/udm.h"
#include "ipe/ipe.h"
#include "daemon/bpf/enforce_maps.h"

#define UDMD_BPF_PIN_DIR "/sys/fs/bpf/udm"

struct bpf_enforcer;

/* One audited decision; pol is the policy of the generation that decided
 * (NULL if it is no longer known), valid during the call. */
typedef void (*bpf_audit_fn)(void *arg, const struct udm_bpf_event *ev, const struct ipe_policy *pol);

/* The objects a running udmd hands to its successor (SCM_RIGHTS), by name:
 * maps by their names, links by their pin names ("link_PROG"). */
#define BPF_HANDOVER_MAX 64
struct bpf_handover {
	int n;
	int fds[BPF_HANDOVER_MAX];
	char names[BPF_HANDOVER_MAX][40];
};

struct bpf_enforcer_opts {
	const char *pin_dir;
	bool adopt_never;           /* --adopt=never: pinned objects are only taken by a handover */
	bool lock;                  /* --lock: once this udmd has exited nobody may adopt them */
	const struct bpf_handover *handover;   /* from the predecessor (--takeover), or NULL */
};

/* Load the programs and attach them, or take over the links and maps of an
 * earlier udmd (*adopted): handed over, else re-adopted from the pins when the
 * programs allow it (its udmd has exited, not --lock). The pin directory stays
 * locked (flock) while the enforcer is open. Nothing is decided until
 * bpf_enforcer_set_policy. 0 or -errno with err set (-EBUSY: held by another
 * udmd, or locked). */
int bpf_enforcer_open(struct bpf_enforcer **out, const struct bpf_enforcer_opts *o, bool *adopted,
		      bpf_audit_fn audit, void *audit_arg, char *err, size_t errlen);
/* Hand everything to process successor over sock: from then on it is the owner
 * the programs trust, not this process. Frees e (nothing is detached). */
int bpf_enforcer_handover(struct bpf_enforcer *e, pid_t successor, int sock);
int bpf_handover_send(int sock, const struct bpf_handover *h);
int bpf_handover_recv(int sock, struct bpf_handover *h);
void bpf_handover_free(struct bpf_handover *h);
/* Start reading the audit ring. Not done by open: events the dead udmd's generation
 * decided wait in the ring until the restored policy is set (bpf_enforcer_set_policy
 * remembers it for that generation), so that their records name its rules. 0 or -errno. */
int bpf_enforcer_audit_start(struct bpf_enforcer *e);
/* Stop reading audit events and free; enforcement stays in force (pinned). */
void bpf_enforcer_close(struct bpf_enforcer *e);
/* The authorised way out: detach every link, remove the pins, free. */
int bpf_enforcer_detach(struct bpf_enforcer *e);

/* The superblock whose files are boot_verified (kernel dev_t), 0 for none. */
void bpf_enforcer_set_boot_dev(struct bpf_enforcer *e, dev_t st_dev);
/* Compile pol (NULL: no active policy) for every known superblock into the
 * spare generation and make it live at once. -EOPNOTSUPP (reason) when the
 * policy needs properties the maps cannot carry; nothing changes then. */
int bpf_enforcer_set_policy(struct bpf_enforcer *e, struct ipe_policy *pol, bool enforcing,
			    bool success_audit, char *reason, size_t rsize);
/* Check only: would set_policy accept pol? */
int bpf_enforcer_check_policy(const struct ipe_policy *pol, char *reason, size_t rsize);

/* udm device dev is served by loop device st_dev (attach) / no longer (detach:
 * its entry goes before the loop device is cleared). */
int bpf_enforcer_loop_attach(struct bpf_enforcer *e, dev_t udm_dev, dev_t loop_st_dev, __u64 diskseq);
void bpf_enforcer_loop_detach(struct bpf_enforcer *e, dev_t udm_dev);
/* The published integrity blob of udm device dev changed (cleared at bind,
 * set at resume). Called under the device's lock: never blocks for long. */
void bpf_enforcer_integrity(struct bpf_enforcer *e, dev_t udm_dev, const struct udm_integrity *blob);

/* Kernel dm devices (docs/kernel-verity.md). Are table swaps watched (the
 * dm_swap_table programs attached; *setintegrity: the bdev_setintegrity ones
 * too)? Without that, kernel devices get no properties. */
bool bpf_enforcer_kverity(struct bpf_enforcer *e, bool *setintegrity);
/* The device's udm_kseq now (init: make one up if it has none). Odd while a
 * table is being bound. 0 or -errno. */
int bpf_enforcer_kseq(struct bpf_enforcer *e, dev_t dev, __u64 *seq, bool init);
/* What bdev_setintegrity told for the table of kseq seq: 0, or -ENOENT when
 * it told nothing for that table. */
int bpf_enforcer_kprops(struct bpf_enforcer *e, dev_t dev, __u64 seq, struct udm_integrity *out);
/* The live table of dev, read after its kseq was seq, has these properties
 * (none: the entry goes). The entry is used only while the kseq is still seq. */
int bpf_enforcer_kdev_set(struct bpf_enforcer *e, dev_t dev, __u64 seq, const struct udm_integrity *blob);
/* The properties the programs use for dev now: those of its entry while its
 * kseq is live, 0; else -ENOENT (no properties). */
int bpf_enforcer_kdev_get(struct bpf_enforcer *e, dev_t dev, struct udm_integrity *out);
/* dev has no properties now (removed: the device is gone, its kseq goes too). */
void bpf_enforcer_kdev_drop(struct bpf_enforcer *e, dev_t dev, bool removed);

/* Mount-scoped mode: decide only files on the superblocks added here. */
int bpf_enforcer_scope_add(struct bpf_enforcer *e, dev_t st_dev);
int bpf_enforcer_scope_remove(struct bpf_enforcer *e, dev_t st_dev);
/* Mount-scoped mode with nothing in scope yet (a watch waiting for its mount). */
void bpf_enforcer_scope_on(struct bpf_enforcer *e);

/* One line of state for `udm enforce status`. */
void bpf_enforcer_describe(struct bpf_enforcer *e, char *buf, size_t len);

/* Is BPF LSM active on this kernel (/sys/kernel/security/lsm lists bpf)? */
bool bpf_lsm_active(void);
#endif
