/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd's exec enforcement: one interface over backends (docs/enforcement.md).
 * Each backend is one struct enforcer_ops in files of its own
 * (enforce_fanotify.c; enforce_bpf*.c and kverity.c); enforce.c picks one at
 * start (--enforcer) and is the only place that knows which. Adding a backend
 * touches its own files and the chooser's table in enforce.c. */
#ifndef UDMD_ENFORCE_H
#define UDMD_ENFORCE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "daemon/udmd.h"

struct ipe_policy;

/* Why a start failed: the line udmd stops with, and whether the chooser may
 * fall back to the next backend (--enforcer=auto) instead. */
struct enforcer_refusal {
	bool final;         /* never fall back (held by another udmd, locked, or it started and failed) */
	char why[512];      /* logged when falling back: "enforcer: NAME unavailable (WHY), using ..." */
	char err[1024];     /* udmd's start fails with this line */
};

struct enforcer_ops {
	const char *name;                 /* "bpf", "fanotify": --enforcer=NAME, the log */
	const char *counts_note;          /* after "decisions: N denied, M allowed" */
	/* Can it run on this kernel at all? NULL: always. false: why says why not. */
	bool (*available)(char *why, size_t len);
	/* Bring it up, logging which ("enforcer: ..."); *state is what the others
	 * get. 0, or -errno with *ref filled (nothing left behind). */
	int (*start)(struct udmd *d, void **state, struct enforcer_refusal *ref);
	/* udmd is going away; idempotent. The integrity and device calls may still
	 * come after it (no-ops then); free ends it. */
	void (*stop)(void *state);
	void (*free)(void *state);
	/* `udm enforce stop`: the authorised way to end enforcement. */
	int (*detach)(void *state, struct udmd_out *out);
	/* Hand what survives udmd to successor over sock (handover.c); NULL: nothing to hand. */
	int (*handover)(void *state, pid_t successor, int sock);
	/* The active policy or a switch may have changed. NULL: the backend reads
	 * the store at each decision. */
	void (*policy_changed)(void *state);
	/* 0, or -EOPNOTSUPP with reason when the backend cannot enforce pol. NULL: any. */
	int (*check_policy)(void *state, const struct ipe_policy *pol, char *reason, size_t rsize);
	/* udm device udm_dev's published integrity blob changed (the core's
	 * integrity callback, under the device's lock). NULL: not followed. */
	void (*integrity)(void *state, dev_t udm_dev, const struct udm_integrity *blob);
	/* A loop device now serves a udm device (published), or is about to stop
	 * serving it (withdrawn), as identity.c's observer. NULL: not followed. */
	void (*device)(void *state, const struct udmd_binding *b, bool published);
	/* ublk device id is udmd's (held) or no longer; id -1: no id it has not
	 * said is udmd's (identity.c's ublk observer). NULL: not followed. */
	void (*ublk)(void *state, int id, bool held);
	/* Properties of a block device that is not one of udmd's (a kernel
	 * dm-verity device): true with *blob filled. NULL: none. */
	bool (*props)(void *state, dev_t st_dev, struct udm_integrity *blob);
	/* Watches: as udmd_watch_add/remove/list below. */
	int (*watch_add)(void *state, const char *path, bool wait);
	int (*watch_remove)(void *state, const char *path);
	char *(*watch_list)(void *state);
	/* `udm enforce status`: "enforcer: NAME\n..." */
	void (*status)(void *state, struct udmd_out *out);
	/* Is it enforcing now (started, not detached)? */
	bool (*running)(void *state);
	/* Decisions since start. */
	void (*counts)(void *state, unsigned long long *denied, unsigned long long *allowed);
};

extern const struct enforcer_ops udmd_enforcer_fanotify;   /* enforce_fanotify.c */
extern const struct enforcer_ops udmd_enforcer_bpf;        /* enforce_bpf.c */

/* ---- enforce.c: the chooser and the interface the rest of udmd calls ---- */
/* May --enforcer name it (a backend, or auto)? names: "a, b or auto", for the error. */
bool udmd_enforce_known(const char *name, char *names, size_t len);
/* Pick the backend (--enforcer; auto: bpf where BPF LSM is active and the
 * programs load, else fanotify) and bring it up; says which in the log. */
int udmd_enforce_select(struct udmd *d, char *err, size_t errlen);
/* udmd is going away: fanotify stops (fails open), BPF stays pinned. */
void udmd_enforce_stop(struct udmd *d);
/* After the udm context is gone: the backend's state is freed. */
void udmd_enforce_free(struct udmd *d);
/* The authorised way to end enforcement (udm enforce stop). */
int udmd_enforce_detach(struct udmd *d, struct udmd_out *out);
/* Hand the enforcement to successor over sock (handover.c); 0 or -errno. */
int udmd_enforce_handover(struct udmd *d, pid_t successor, int sock);
/* What a handover would pass on: the backend's name ("bpf"), or "none". */
const char *udmd_enforce_handed_over(struct udmd *d);
/* An enforcer runs and a policy is active. */
bool udmd_enforcing(struct udmd *d);
void udmd_enforce_status(struct udmd *d, struct udmd_out *out);
/* Decisions since start (every fanotify one; of the BPF backend's, those the
 * audit ring brought); returns the backend's note on what is counted. */
const char *udmd_enforce_counts(struct udmd *d, unsigned long long *denied, unsigned long long *allowed);
/* The active policy or a switch may have changed (the BPF maps follow). */
void udmd_enforce_sync(struct udmd *d);
/* 0, or -EOPNOTSUPP with reason when the backend cannot enforce pol. */
int udmd_enforce_check_policy(struct udmd *d, const struct ipe_policy *pol, char *reason, size_t rsize);
/* The udm core's integrity callback (udm_ctx_set_integrity_callback). */
void udmd_enforce_integrity(void *arg, dev_t udm_dev, const struct udm_integrity *blob);
/* The integrity blob of the device behind a filesystem's st_dev: the udm
 * device of a loop device udmd attached (udmd_identity_integrity), else what
 * the backend knows (a kernel dm-verity device); zeroed when there is none.
 * What `udm policy eval --file` sees. */
void udmd_dev_integrity(struct udmd *d, dev_t st_dev, struct udm_integrity *blob);
/* A watch on the mount at path. !wait (udm watch add): path must be a mount
 * point now, else -EINVAL (-ENOENT, ...). wait (--enforce-mount, restored
 * watches): returns 1 when nothing is mounted there yet; the watch is then
 * listed inactive and becomes active when a filesystem is mounted there.
 * -EEXIST if watched and active, -EPERM for the filesystem of /. */
int udmd_watch_add(struct udmd *d, const char *path, bool wait);
int udmd_watch_remove(struct udmd *d, const char *path);
char *udmd_watch_list(struct udmd *d);      /* caller frees */
#endif
