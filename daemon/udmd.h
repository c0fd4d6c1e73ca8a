/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd internals: configuration, daemon state, the control-command table and
 * the services each part offers the others (FUSE export, loop attach).
 * Enforcement: enforce.h; device events: events.h; audit: audit.h. */
#ifndef UDMD_H
#define UDMD_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "udm/udm.h"
#include "util/proto.h"

/* Command-line configuration (docs/udmd.md, Options). Options the control core
 * does not use itself are kept here for the verity and IPE parts to read. */
struct udmd_config {
	char runtime_dir[256];      /* realpath after setup */
	char state_dir[4096];
	const char *trusted_certs;
	bool require_signatures;
	const char *boot_policy;
	const char *audit_log;
	const char *audit_sinks;    /* --audit LIST (audit.c); NULL: file with --audit-log, else log */
	const char **enforce_mounts;
	size_t n_enforce_mounts;
	bool foreground;
	const char *enforcer;       /* --enforcer: a backend's name (enforce.c); NULL or "auto": auto */
	const char *bpf_pin_dir;    /* --bpf-pin-dir, default UDMD_BPF_PIN_DIR */
	bool fanotify_system;       /* --fanotify-scope=system: mark every filesystem */
	uid_t allow_uid[16];
	size_t n_allow_uid;
	gid_t allow_gid[16];
	size_t n_allow_gid;
	const char *export;         /* --export (export.c); NULL: the first backend, fuse */
	bool dev_links;             /* DEV_DIR/NAME -> /dev/loopN (devlinks.c) */
	char dev_dir[4096];
	const char **log_dest;      /* --log: "stderr", "syslog" or a file (log.c) */
	size_t n_log_dest;
	bool adopt_never;           /* --adopt=never: pinned enforcement only by a handover */
	bool lock;                  /* --lock: nobody adopts the enforcement once udmd exits */
	bool takeover;              /* --takeover: take over from the running udmd (handover.c) */
};


struct udmd_fuse;
struct udmd_loops;
struct udmd_identity;
struct ipe_store;
struct udmd_ipe_fuse;
struct udmd_devlinks;
struct enforcer_ops;

struct udmd {
	struct udmd_config cfg;
	struct udm_ctx *ctx;
	char control_path[512];
	char mapper_dir[512];
	int listen_fd;
	int wake_fd[2];             /* written to stop the accept loop */
	struct udmd_fuse *fuse;
	struct udmd_loops *loops;
	struct udmd_identity *identity;   /* loop device -> udm device (identity.c) */
	struct ipe_store *ipe;      /* IPE policies, active one, switches (cmd_policy.c) */
	struct udmd_ipe_fuse *ipe_fuse;   /* RUNTIME/ipe (fuse_ipe.c) */
	/* exec enforcement (enforce.h): the backend chosen at start and its state,
	 * set once by udmd_enforce_select, freed by udmd_enforce_free */
	const struct enforcer_ops *enforcer;
	void *enforcer_state;
	dev_t boot_dev;             /* the superblock pinned at start for boot_verified */
	struct udmd_devlinks *links;      /* NULL unless --dev-links (devlinks.c) */
	struct udmd_handover_objs *handover;   /* --takeover: what the predecessor handed over (handover_objs.h) */
	pid_t successor;            /* a handover was granted to this process (handover.c) */
	int successor_fd;           /* ... which waits on this connection for the objects */
	int lock_fd;                /* STATE_DIR, flock()ed for udmd's life */
};

/* Output of a command: its output on success (records, daemon/reply.h, or
 * text), a detail line on failure. */
struct udmd_out {
	char *buf;
	size_t len, cap;
	bool oom;
};
void udmd_printf(struct udmd_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One decoded request, as handed to a command. */
struct udmd_req {
	uint16_t cmd;
	uint32_t flags;
	unsigned argc;
	const char **argv;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int conn_fd;                /* to notice a client that went away during a long wait */
	const uint8_t *recs;        /* the records after the arguments (a table), NULL if none */
	size_t recs_len;
};

/* A control command. Commands are gathered from every daemon/cmd_*.c file
 * through a linker section: a new family needs a new file and its command
 * numbers in lib/util/proto.h, and no edit anywhere else. */
struct udmd_cmd {
	uint16_t id;
	const char *name;
	unsigned min_args, max_args;
	bool mutating;              /* refused (EACCES) for unprivileged clients */
	/* Returns 0 or -errno; writes output or an error detail to out. */
	int (*fn)(struct udmd *d, const struct udmd_req *req, struct udmd_out *out);
	/* The request weakens enforcement: the caller needs CAP_MAC_ADMIN (EPERM
	 * otherwise, as IPE's securityfs files), and it is audited either way with
	 * the caller's pid, uid and capabilities. NULL: never. */
	bool (*weakens)(struct udmd *d, const struct udmd_req *req);
	bool ipe_audited;           /* the IPE store records what the request changes (1404,
				     * 1421, 1422, as the kernel): the gate records only refusals */
	bool hold;                  /* on success the client's connection stays open until udmd exits */
	/* on success, called once the reply has been sent (what must follow it on the
	 * connection, e.g. a handover's objects, can then not overtake it) */
	void (*after_reply)(struct udmd *d);
};

/* For the weakens field: always; while enforcement runs (control.c). */
bool udmd_weakens_always(struct udmd *d, const struct udmd_req *req);
bool udmd_weakens_if_enforcing(struct udmd *d, const struct udmd_req *req);

#define UDMD_COMMANDS(table_) \
	__attribute__((used, section("udmd_cmds"), aligned(sizeof(void *)))) \
	static const struct udmd_cmd *const udmd_cmds_ptr_##table_ = (table_)
/* Each table ends with an entry whose fn is NULL. */

const struct udmd_cmd *udmd_cmd_find(uint16_t id);

/* control.c */
int udmd_control_listen(struct udmd *d, char *err, size_t errlen);
void udmd_control_run(struct udmd *d);      /* until udmd_request_stop() */
void udmd_request_stop(struct udmd *d);
bool udmd_stop_requested(void);
void udmd_control_close(struct udmd *d);

/* fuse.c: RUNTIME/mapper; with loop.c the FUSE export (export_fuse.c):
 * the rest of udmd reaches both through export.h */
int udmd_fuse_start(struct udmd *d, char *err, size_t errlen);
void udmd_fuse_stop(struct udmd *d);
/* Open RUNTIME/mapper/NAME (flags as for open(2)) and learn which device
 * object the open landed on (*obj: its dev_t), from the FUSE open itself, so a
 * rename between looking NAME up and opening it cannot go unnoticed. The file
 * serves that object for as long as it is open, whatever it is called later.
 * Returns the fd or -errno. */
int udmd_fuse_open(struct udmd *d, const char *name, int flags, dev_t *obj);
/* Rename a device that has a live table through the mount, so that the FUSE
 * file (and a loop device on it) moves with the device (see op_rename).
 * -ENOENT (no such file, or a name only the library may judge) or -EEXIST
 * (new name taken): nothing done, rename with udm_dev_rename instead. */
int udmd_fuse_rename(struct udmd *d, const char *name, const char *newname);
/* Clean a mapper mount left by a udmd that was killed. */
void udmd_fuse_clean_stale(const char *mapper_dir);

/* loop.c: loop devices on RUNTIME/mapper/NAME */
int udmd_loop_init(struct udmd *d);
/* Attach the device object dev (currently called name); *blk receives the
 * loop device. Returns -EEXIST with *blk set if already attached, -EAGAIN if
 * name was given to another device meanwhile. Records the binding (identity.c). */
struct export_blk;
int udmd_loop_attach(struct udmd *d, const char *name, dev_t dev, bool readonly, struct export_blk *blk);
/* Detach what is attached to dev; -ENXIO if nothing, -EBUSY if the loop
 * device is in use and !force (force: detach when its last user goes). The
 * binding is dropped before the loop device is cleared: a file on a mount
 * that outlives a forced detach has no udm device behind it. */
int udmd_loop_detach(struct udmd *d, dev_t dev, bool force);
int udmd_loop_find(struct udmd *d, dev_t dev, struct export_blk *blk);   /* 0 or -ENXIO */
/* The loop device attached to dev is claimed (mounted, or held O_EXCL). */
bool udmd_loop_claimed(struct udmd *d, dev_t dev);
void udmd_loop_detach_all(struct udmd *d);
void udmd_loop_free(struct udmd *d);
void udmd_loop_clean_stale(const char *mapper_dir);
/* The one reader of a loop device's backing file name (sysfs loop/backing_file)
 * of disk "loopN": for display and for stale-loop cleanup only, never for a
 * security decision (names move; see identity.c). 0 or -errno. */
int udmd_loop_backing_file(const char *disk, char *path, size_t len);

/* identity.c: which block device (a loop device, or a ublk device) serves
 * which udm device object. An export makes a binding when it attaches its
 * block device (loop.c, export_ublk.c) and drops it when it detaches it;
 * nothing else makes one. A block device udmd did not attach -- even a loop
 * device on RUNTIME/mapper/NAME set up with losetup, or a ublk device someone
 * else added -- has no udm device behind it, so its files have no dm-verity
 * properties. Keyed by the block device's dev_t (the st_dev of files on it),
 * which is what a BPF LSM backend keys its maps by; the diskseq tells this
 * binding from any later use of the same device number. */
enum udmd_blk_kind {
	UDMD_BLK_LOOP,              /* /dev/loopN on RUNTIME/mapper/NAME */
	UDMD_BLK_UBLK,              /* /dev/ublkbN served by udmd itself */
};
struct udmd_binding {
	enum udmd_blk_kind kind;
	dev_t blk;                  /* st_rdev of the block device */
	int nr;                     /* N of /dev/loopN or /dev/ublkbN */
	uint64_t diskseq;           /* the block device's disk sequence number for this binding */
	dev_t udm;                  /* the udm device object (UDM_MAJOR:minor); a rename keeps it */
	uint64_t cache_epoch;       /* udmd_identity_epoch() before the block device was configured or made */
};
int udmd_identity_init(struct udmd *d);
void udmd_identity_free(struct udmd *d);
/* The identity cache's epoch (identity_cache.h), to keep in a binding: taken
 * before its loop device is configured. */
uint64_t udmd_identity_epoch(struct udmd *d);
/* The binding behind block device st_dev, if it is one udmd made and it is
 * still live (the identity cache vouches for it, else udmd_binding_live):
 * 0, else -ENODEV. Any thread; never waits
 * for an attach or detach in progress. */
int udmd_binding_lookup(struct udmd *d, dev_t st_dev, struct udmd_binding *b);
/* The block device still serves the binding: same diskseq (not detached,
 * rebound or reused since) and, for a loop device, offset 0. Reads sysfs; no lock. */
bool udmd_binding_live(const struct udmd_binding *b);
/* The binding recorded for udm device object udm (live or not): 0 or -ENODEV. */
int udmd_binding_of_udm(struct udmd *d, dev_t udm, struct udmd_binding *b);
/* Exports only: record a binding / drop the one of block device blk. */
int udmd_binding_add(struct udmd *d, const struct udmd_binding *b);
int udmd_binding_drop(struct udmd *d, dev_t blk);
/* One observer of bindings (a backend that mirrors them, e.g. into BPF maps):
 * called with added=true for each existing binding at registration and after
 * each new one, added=false before a binding is dropped (so before its block
 * device is cleared). Runs with the identity lock held for writing: it must
 * not block nor call back into identity. fn NULL unregisters; -EBUSY if
 * another observer is registered. */
typedef void (*udmd_binding_fn)(void *arg, const struct udmd_binding *b, bool added);
int udmd_binding_observe(struct udmd *d, udmd_binding_fn fn, void *arg);
/* The ublk devices udmd holds, by id, binding or not (the BPF guards of
 * /dev/ublk-control and /dev/ublkcN follow them): claimed by the export as
 * soon as the kernel added the device (before its char device is opened) or
 * before it takes a dead udmd's device over, released once it deleted it.
 * Settled once the export has started: from then on no id unclaimed is
 * udmd's (a dead udmd's device not taken over). One observer, as above:
 * fn(arg, id, held) for each claim and release (for each held id at
 * registration), fn(arg, -1, false) when settled (at registration too, if
 * settled already). */
typedef void (*udmd_ublk_fn)(void *arg, int id, bool held);
void udmd_ublk_claim(struct udmd *d, int id, bool held);
void udmd_ublk_settle(struct udmd *d);
int udmd_ublk_observe(struct udmd *d, udmd_ublk_fn fn, void *arg);
/* The integrity blob of the udm device behind block device st_dev, read now
 * (one snapshot of its live table): 0, or -ENODEV (zeroed) when st_dev is no
 * live binding udmd made. synced: the caller called udmd_identity_sync after
 * it took the event this is for, and the identity cache is not read again
 * (a batch of decisions reads it once); else it is read after the blob. */
int udmd_identity_integrity(struct udmd *d, dev_t st_dev, bool synced, struct udm_integrity *blob);
/* A batch of decisions begins: the identity cache reads every uevent queued
 * now, once for the events the caller has taken (docs/enforcement.md). */
void udmd_identity_sync(struct udmd *d);

/* cmd_verity.c: trusted certificates, require_signatures, restart/panic action */
int udmd_verity_init(struct udmd *d, char *err, size_t errlen);

/* cmd_policy.c: the IPE store on --state-dir with --trusted-certs, the
 * --boot-policy and the RUNTIME/ipe mount. start: 0 or -errno with err set;
 * stop is safe after a failed start. Audit records: daemon/audit.h. */
int udmd_ipe_start(struct udmd *d, char *err, size_t errlen);
void udmd_ipe_stop(struct udmd *d);
/* The subjects of the trusted certificates (--trusted-certs), one
 * "trusted certificate: SUBJECT" line each (udm status --daemon). */
void udmd_ipe_trust_status(struct udmd_out *out);

/* fuse_ipe.c: RUNTIME/ipe, the kernel's securityfs ipe/ tree */
int udmd_fuse_ipe_start(struct udmd *d, const char *dir, char *err, size_t errlen);
void udmd_fuse_ipe_stop(struct udmd *d);

/* cmd_watch.c: the watches `udm watch add` made before a restart, back */
void udmd_watch_restore(struct udmd *d);

/* handover.c: udmd --takeover asks the running udmd for its enforcement
 * (d->handover); the running one, once its devices are down, hands it over. */
int udmd_takeover(struct udmd *d, char *err, size_t errlen);
void udmd_takeover_free(struct udmd *d);
void udmd_handover_finish(struct udmd *d);

/* log.c: one line "udmd[PID]: ..." to each --log destination (default:
 * standard error, and syslog when daemonized). setup: 0 or -errno with err set. */
void udmd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int udmd_log_setup(const struct udmd_config *cfg, char *err, size_t errlen);
/* SIGHUP: reopen the --log file (logrotate). 0 or -errno (logged; the old one stays). */
int udmd_log_reopen(void);
void udmd_log_close(void);

/* mkdirs.c: mkdir -p (the last component with mode) */
int udmd_mkdirs(const char *path, mode_t mode);

/* devlinks.c: DEV_DIR/NAME symlinks to the loop device of each device with a
 * live table (udmd --dev-links). All no-ops when links are off. */
int udmd_devlinks_start(struct udmd *d, char *err, size_t errlen);
void udmd_devlinks_stop(struct udmd *d);      /* removes every link it made */
/* Drop stale links; then give name ("" none, NULL every device) its loop
 * device and link. */
void udmd_devlinks_sync(struct udmd *d, const char *name);
/* The loop device of dev was attached for a link. */
bool udmd_devlinks_owns(struct udmd *d, dev_t dev);
/* Take name's link and loop device away before it is removed: -EBUSY (with a
 * detail in out) if the loop device is in use and !force. */
int udmd_devlinks_release(struct udmd *d, const char *name, bool force, struct udmd_out *out);

#endif
