/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend behind struct enforcer_ops (enforce.h): exec
 * enforcement with fanotify permission events (FAN_OPEN_EXEC_PERM), and its
 * decision: an IPE evaluation of op=EXECUTE with the properties of the file's
 * device, read from the integrity blob of the udm device object udmd bound
 * its loop or ublk device to (identity.c) at that moment. Its parts
 * (enforce_fanotify.h): the engine (the group, the event loop, the mount
 * thread), the marks (the watched paths), the mount table, the records.
 * The engine starts at the first watch (at start in system scope) and fails
 * open when udmd exits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fsverity.h>
#include <sys/ioctl.h>
#include "daemon/enforce.h"
#include "daemon/enforce_fanotify.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

struct fan_backend {
	struct udmd *d;
	pthread_mutex_t lock;       /* guards engine */
	struct fan_engine *engine;  /* NULL until the first watch (system scope: start) */
	_Atomic unsigned long long denied, allowed;   /* every decision since start */
};

/* fs-verity digest of the file itself, where the filesystem supports it. */
static bool fsverity_digest(int fd, char *alg, size_t alglen, uint8_t *digest, size_t *len)
{
	struct {
		struct fsverity_digest d;
		uint8_t buf[64];
	} m = { .d.digest_size = 64 };
	if (ioctl(fd, FS_IOC_MEASURE_VERITY, &m) < 0)
		return false;
	snprintf(alg, alglen, "%s", m.d.digest_algorithm == FS_VERITY_HASH_ALG_SHA512 ? "sha512" : "sha256");
	*len = m.d.digest_size;
	memcpy(digest, m.d.digest, m.d.digest_size);
	return true;
}

/* Each batch reads the identity cache once, after its events were taken:
 * every change made before one of its execs began is in it. */
static void batch_begins(void *arg)
{
	struct fan_backend *f = arg;
	udmd_identity_sync(f->d);
}

static bool decide_exec(void *arg, const struct fan_event *ev)
{
	struct fan_backend *f = arg;
	struct udmd *d = f->d;
	struct ipe_eval_ctx c = { .op = IPE_OP_EXECUTE, .hook = IPE_HOOK_BPRM_CHECK, .has_file = true };
	/* boot_verified, adapted: the file lives on the superblock pinned at start */
	c.boot_verified = d->boot_dev && ev->st->st_dev == d->boot_dev;

	/* Files on devices that are not udm verity devices have no dm-verity
	 * properties, as in the kernel. The blob read is one atomic snapshot of
	 * the table live now. */
	struct udm_integrity blob;
	udmd_identity_integrity(d, ev->st->st_dev, true, &blob);
	if (blob.has_roothash) {
		c.dmv_present = true;
		c.dmv_alg = blob.alg;
		c.dmv_digest = blob.digest;
		c.dmv_digest_len = blob.digest_len;
		c.dmv_signed = blob.sig == UDM_SIG_VALID;
	}
	char fsv_alg[16];
	uint8_t fsv_digest[64];
	size_t fsv_len = 0;
	/* only for a file with fs-verity, and not sent to a FUSE file: its
	 * server could hold the decision thread (and every exec waiting on it)
	 * forever */
	if (ev->fsverity && fsverity_digest(ev->fd, fsv_alg, sizeof(fsv_alg), fsv_digest, &fsv_len)) {
		c.fsv_present = true;
		c.fsv_alg = fsv_alg;
		c.fsv_digest = fsv_digest;
		c.fsv_digest_len = fsv_len;
	}

	struct ipe_policy *pol = d->ipe ? ipe_store_get_active(d->ipe) : NULL;
	struct ipe_decision dec;
	ipe_eval(pol, &c, &dec);
	bool enforcing = d->ipe ? ipe_store_enforcing(d->ipe) : true;
	bool success_audit = d->ipe && ipe_store_success_audit(d->ipe);
	bool allow = dec.action == IPE_ACTION_ALLOW;
	if (allow)
		f->allowed++;
	else
		f->denied++;
	/* the path, the command and the disk name only for a record */
	if (pol && (!allow || success_audit))
		fan_record(d, ev, &dec, enforcing);
	if (pol)
		ipe_policy_put(pol);
	/* permissive mode: audit the denial, let it run */
	return allow || !enforcing;
}

static int fan_engine_up(struct fan_backend *f, char *err, size_t errlen)
{
	pthread_mutex_lock(&f->lock);
	int r = 0;
	if (!f->engine) {
		r = fan_engine_start(&f->engine, batch_begins, decide_exec, f, f->d->boot_dev, f->d->cfg.fanotify_system);
		if (r && err)
			snprintf(err, errlen, "fanotify: %s", strerror(-r));
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void fan_free(void *state)
{
	struct fan_backend *f = state;
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static int fan_start(struct udmd *d, void **state, struct enforcer_refusal *ref)
{
	struct fan_backend *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(ref->err, sizeof(ref->err), "out of memory");
		return -ENOMEM;
	}
	f->d = d;
	pthread_mutex_init(&f->lock, NULL);
	if (d->cfg.fanotify_system) {
		/* every filesystem is marked before udmd reports ready */
		int r = fan_engine_up(f, ref->err, sizeof(ref->err));
		if (r) {
			snprintf(ref->why, sizeof(ref->why), "%.500s", ref->err);
			fan_free(f);
			return r;
		}
		udmd_log("enforcer: fanotify (system scope: every filesystem of udmd's mount namespace)");
	} else {
		udmd_log("enforcer: fanotify (mount scope: the filesystems of the watched mounts)");
	}
	*state = f;
	return 0;
}

/* executions are no longer checked from here on */
static void fan_stop(void *state)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	fan_engine_stop(f->engine);
	f->engine = NULL;
	pthread_mutex_unlock(&f->lock);
}

static int fan_detach(void *state, struct udmd_out *out)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	if (f->engine) {
		fan_engine_stop(f->engine);
		f->engine = NULL;
		udmd_log("enforcer: fanotify stopped (udm enforce stop)");
		udmd_printf(out, "fanotify enforcement stopped\n");
	} else {
		udmd_printf(out, "no enforcement is running\n");
	}
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int fan_watch_add(void *state, const char *path, bool wait)
{
	struct fan_backend *f = state;
	int r = fan_engine_up(f, NULL, 0);
	if (r)
		return r;
	return fan_marks_watch(fan_engine_marks(f->engine), path, wait);
}

static int fan_watch_remove(void *state, const char *path)
{
	struct fan_backend *f = state;
	int r = -ENOENT;
	pthread_mutex_lock(&f->lock);
	if (f->engine)
		r = fan_marks_unwatch(fan_engine_marks(f->engine), path);
	pthread_mutex_unlock(&f->lock);
	return r;
}

static char *fan_watch_list(void *state)
{
	struct fan_backend *f = state;
	char *list = NULL;
	pthread_mutex_lock(&f->lock);
	if (f->engine)
		list = fan_marks_list(fan_engine_marks(f->engine));
	pthread_mutex_unlock(&f->lock);
	return list;
}

static void fan_status(void *state, struct udmd_out *out)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	if (f->engine) {
		char buf[256];
		fan_marks_describe(fan_engine_marks(f->engine), buf, sizeof(buf));
		udmd_printf(out, "enforcer: fanotify\n%srunning: yes\n", buf);
	} else {
		udmd_printf(out, "enforcer: fanotify\nscope: %s\nrunning: no\n",
			    f->d->cfg.fanotify_system ? "system" : "mounts");
	}
	pthread_mutex_unlock(&f->lock);
}

static bool fan_running(void *state)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	bool on = f->engine != NULL;
	pthread_mutex_unlock(&f->lock);
	return on;
}

static void fan_counts(void *state, unsigned long long *denied, unsigned long long *allowed)
{
	struct fan_backend *f = state;
	*denied = f->denied;
	*allowed = f->allowed;
}

const struct enforcer_ops udmd_enforcer_fanotify = {
	.name = "fanotify",
	.counts_note = "",
	.start = fan_start,
	.stop = fan_stop,
	.free = fan_free,
	.detach = fan_detach,
	.watch_add = fan_watch_add,
	.watch_remove = fan_watch_remove,
	.watch_list = fan_watch_list,
	.status = fan_status,
	.running = fan_running,
	.counts = fan_counts,
};
