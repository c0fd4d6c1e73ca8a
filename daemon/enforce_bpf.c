/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF LSM backend behind struct enforcer_ops (enforce.h): the kernel
 * decides from maps (enforce_bpf_maps.c) that are recompiled here whenever
 * the policy, a switch or a device's blob changes; the programs stay pinned
 * when udmd exits (enforce_bpf_load.c). Its state is struct udmd_bpf_backend
 * (enforce_bpf.h), shared with its watched mounts (enforce_bpf_scope.c) and
 * the kernel's dm-verity devices (kverity.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/enforce_bpf.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

static bool enf_bpf_available(char *why, size_t len)
{
	if (udmd_bpf_lsm_active())
		return true;
	snprintf(why, len, "BPF LSM is not active on this kernel");
	return false;
}

/* The maps follow the active policy and switches: recompiled when they changed. */
static void enf_bpf_policy_changed(void *state)
{
	struct udmd_bpf_backend *b = state;
	struct udmd *d = b->d;
	pthread_mutex_lock(&b->lock);
	if (!b->maps) {
		pthread_mutex_unlock(&b->lock);
		return;
	}
	struct ipe_policy *pol = d->ipe ? ipe_store_get_active(d->ipe) : NULL;
	bool enf = d->ipe ? ipe_store_enforcing(d->ipe) : true;
	bool sa = d->ipe && ipe_store_success_audit(d->ipe);
	if (!b->synced_valid || pol != b->synced || enf != b->synced_enf || sa != b->synced_sa) {
		char reason[512] = "";
		int r = udmd_bpf_set_policy(b->maps, pol, enf, sa, reason, sizeof(reason));
		if (r) {
			/* the previous decisions stay in force */
			udmd_log("enforcer: bpf: policy '%s' not applied: %s", pol ? pol->name : "", reason);
		} else {
			if (b->synced)
				ipe_policy_put(b->synced);
			b->synced = pol;
			pol = NULL;
			b->synced_enf = enf;
			b->synced_sa = sa;
			b->synced_valid = true;
		}
	}
	if (pol)
		ipe_policy_put(pol);
	pthread_mutex_unlock(&b->lock);
}

/* The maps are gone from this udmd (detached, handed over, closed). Lock held. */
static void forget_maps(struct udmd_bpf_backend *b)
{
	b->maps = NULL;
	if (b->synced)
		ipe_policy_put(b->synced);
	b->synced = NULL;
	b->synced_valid = false;
}

static int enf_bpf_detach(void *state, struct udmd_out *out)
{
	struct udmd_bpf_backend *b = state;
	udmd_kverity_stop(b);
	pthread_mutex_lock(&b->lock);
	int r = 0;
	if (b->maps) {
		r = udmd_bpf_detach(b->maps);
		forget_maps(b);
		udmd_scope_clear(b);
		udmd_log("enforcer: bpf detached (udm enforce stop)");
		udmd_printf(out, "bpf enforcement detached%s\n", r ? " (some pins could not be removed)" : "");
	} else {
		udmd_printf(out, "no enforcement is running\n");
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}

static void enf_bpf_free(void *state)
{
	struct udmd_bpf_backend *b = state;
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static int enf_bpf_start(struct udmd *d, void **state, struct enforcer_refusal *ref)
{
	struct udmd_bpf_backend *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(ref->why, sizeof(ref->why), "out of memory");
		snprintf(ref->err, sizeof(ref->err), "--enforcer=bpf: out of memory");
		return -ENOMEM;
	}
	b->d = d;
	pthread_mutex_init(&b->lock, NULL);
	bool adopted = false;
	struct udmd_bpf_opts o = {
		.pin_dir = d->cfg.bpf_pin_dir ? d->cfg.bpf_pin_dir : UDMD_BPF_PIN_DIR,
		.adopt_never = d->cfg.adopt_never, .lock = d->cfg.lock, .handover = d->handover,
	};
	const char *pins = o.pin_dir;
	int r = udmd_bpf_open(&b->maps, &o, &adopted, udmd_bpf_audit_event, b, ref->why, sizeof(ref->why));
	if (r) {
		if (r == -EBUSY) {
			char rec[768];
			snprintf(rec, sizeof(rec), "lsm=udm op=adopt pid=%ld res=0 reason=\"%.600s\"", (long)getpid(),
				 ref->why);
			udmd_audit(d, UDMD_AUDIT_CONTROL, rec);
			/* held by another udmd, or locked: never fall back to a weaker backend */
			ref->final = true;
		}
		snprintf(ref->err, sizeof(ref->err), "--enforcer=bpf: %s", ref->why);
		enf_bpf_free(b);
		return r;
	}
	b->fsv_kfunc = udmd_bpf_fsv_kfunc(b->maps);
	if (adopted) {
		char rec[256];
		snprintf(rec, sizeof(rec), "lsm=udm op=%s pins=\"%s\" pid=%ld locked=%d res=1",
			 d->handover ? "handover_receive" : "adopt_after_exit", pins, (long)getpid(), d->cfg.lock);
		udmd_audit(d, UDMD_AUDIT_CONTROL, rec);
	}
	udmd_bpf_set_boot_dev(b->maps, d->boot_dev);
	udmd_log("enforcer: bpf (%s, %s%s)", !adopted ? "attached" : d->handover ? "handed over by the previous udmd" :
		 "re-adopted the pinned programs", pins, d->cfg.lock ? ", locked" : "");
	/* the kernel dm-verity devices are known before the first generation is
	 * written: a successor's (or an adopter's) generation then carries their
	 * entries, and their files never lose their properties at the switch */
	bool setint = false;
	if (!udmd_bpf_kverity(b->maps, &setint))
		udmd_log("enforcer: bpf: dm-mod's dm_swap_table not found (dm-mod not loaded?): "
			 "kernel dm-verity devices have no properties");
	else if ((r = udmd_kverity_start(b)))
		udmd_log("enforcer: bpf: kernel dm-verity devices: %s (no properties)", strerror(-r));
	else
		udmd_log("enforcer: bpf: kernel dm-verity devices followed (table swaps%s)",
			 setint ? ", bdev_setintegrity" : "");
	enf_bpf_policy_changed(b);
	/* a layout switch: this object's programs take over from the old ones
	 * now that its maps hold the restored policy (the old ones decided until
	 * then, and stay if it fails) */
	bool relayout = udmd_bpf_relayout_pending(b->maps);
	char why[256] = "";
	r = b->synced_valid ? udmd_bpf_relayout_finish(b->maps, why, sizeof(why)) : -EOPNOTSUPP;
	if (relayout && r == 0) {
		char rec[256];
		snprintf(rec, sizeof(rec), "lsm=udm op=relayout pins=\"%s\" pid=%ld res=1", pins, (long)getpid());
		udmd_audit(d, UDMD_AUDIT_CONTROL, rec);
		udmd_log("enforcer: bpf: the maps of another layout are replaced, the old programs detached");
	}
	/* the ring is read only now that the restored policy is in the maps: what
	 * was decided while udmd was down is audited with that policy's rules */
	if (r == 0)
		r = udmd_bpf_audit_start(b->maps);
	if (r == 0) {
		*state = b;
		return 0;
	}
	/* the maps could not carry the active policy (or nothing would read the
	 * audit records): never run on stale ones. Programs this start attached go
	 * again, so a refused start leaves nothing behind; adopted ones keep the
	 * decisions they carried (the last policy udmd could enforce) */
	if (!adopted) {
		struct udmd_out out = { 0 };
		enf_bpf_detach(b, &out);
		free(out.buf);
	}
	udmd_kverity_stop(b);
	pthread_mutex_lock(&b->lock);
	if (b->maps)
		udmd_bpf_close(b->maps);
	forget_maps(b);
	pthread_mutex_unlock(&b->lock);
	ref->final = true;
	if (why[0])
		snprintf(ref->err, sizeof(ref->err), "--enforcer=bpf: another map layout: %s "
			 "(the old programs stay attached and enforcing)", why);
	else if (r == -EOPNOTSUPP)
		snprintf(ref->err, sizeof(ref->err), "--enforcer=bpf: the active policy cannot be enforced in BPF mode");
	else
		snprintf(ref->err, sizeof(ref->err), "--enforcer=bpf: audit ring buffer: %s", strerror(-r));
	enf_bpf_free(b);
	return r;
}

/* udmd is going away: the pinned programs keep deciding; only `udm enforce
 * stop` ends them. */
static void enf_bpf_stop(void *state)
{
	struct udmd_bpf_backend *b = state;
	udmd_kverity_stop(b);
	udmd_scope_stop(b);   /* its thread takes the lock */
	pthread_mutex_lock(&b->lock);
	if (b->maps) {
		/* its ublk devices are deleted next (a handover hands them, not this) */
		udmd_bpf_ublk_clear(b->maps);
		udmd_bpf_close(b->maps);
	}
	forget_maps(b);
	pthread_mutex_unlock(&b->lock);
}

static int enf_bpf_handover(void *state, pid_t successor, int sock)
{
	struct udmd_bpf_backend *b = state;
	udmd_kverity_stop(b);
	pthread_mutex_lock(&b->lock);
	int r = 0;
	if (b->maps) {
		r = udmd_bpf_handover(b->maps, successor, sock);
		forget_maps(b);
		udmd_log("enforcer: bpf handed over to pid %ld", (long)successor);
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}

static int enf_bpf_check_policy(void *state, const struct ipe_policy *pol, char *reason, size_t rsize)
{
	struct udmd_bpf_backend *b = state;
	return udmd_bpf_check_policy(pol, b->fsv_kfunc, reason, rsize);
}

/* Under a device's lock; the backend's lock only guards the maps against
 * `udm enforce stop` (nothing holding it takes a device's lock). */
static void enf_bpf_integrity(void *state, dev_t udm_dev, const struct udm_integrity *blob)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	if (b->maps)
		udmd_bpf_integrity(b->maps, udm_dev, blob);
	pthread_mutex_unlock(&b->lock);
}

/* Under the identity lock. A binding is published after udmd attached its
 * block device (loop or ublk) and withdrawn before it clears it (identity.c),
 * so properties go to that device only and a reused minor inherits nothing. */
static void enf_bpf_device(void *state, const struct udmd_binding *bd, bool published)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	if (b->maps && published) {
		int r = udmd_bpf_loop_attach(b->maps, bd->udm, bd->blk, bd->kind == UDMD_BLK_UBLK, bd->diskseq);
		if (r)
			udmd_log("enforcer: bpf: /dev/%s%d: %s (its files have no properties)",
				 bd->kind == UDMD_BLK_UBLK ? "ublkb" : "loop", bd->nr, strerror(-r));
	} else if (b->maps) {
		udmd_bpf_loop_detach(b->maps, bd->udm);
	}
	pthread_mutex_unlock(&b->lock);
}

/* Under the identity lock: a ublk device udmd added or is about to take over
 * (held), or deleted; -1: the export has started (identity.c). */
static void enf_bpf_ublk(void *state, int id, bool held)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	if (b->maps)
		udmd_bpf_ublk(b->maps, id, held);
	pthread_mutex_unlock(&b->lock);
}

static bool enf_bpf_props(void *state, dev_t st_dev, struct udm_integrity *blob)
{
	return udmd_kverity_props(state, st_dev, blob);
}

static int enf_bpf_watch_add(void *state, const char *path, bool wait)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	int r = udmd_scope_add(b, path, wait);
	pthread_mutex_unlock(&b->lock);
	return r;
}

static int enf_bpf_watch_remove(void *state, const char *path)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	int r = udmd_scope_remove(b, path);
	pthread_mutex_unlock(&b->lock);
	return r;
}

static char *enf_bpf_watch_list(void *state)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	char *list = udmd_scope_list(b);
	pthread_mutex_unlock(&b->lock);
	return list;
}

static void enf_bpf_status(void *state, struct udmd_out *out)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	if (b->maps) {
		char buf[4096];
		udmd_bpf_describe(b->maps, buf, sizeof(buf));
		udmd_printf(out, "%s", buf);
		pthread_mutex_unlock(&b->lock);
		udmd_kverity_status(b, out);   /* takes the lock itself */
		return;
	}
	udmd_printf(out, "enforcer: bpf (detached)\n");
	pthread_mutex_unlock(&b->lock);
}

static bool enf_bpf_running(void *state)
{
	struct udmd_bpf_backend *b = state;
	pthread_mutex_lock(&b->lock);
	bool on = b->maps != NULL;
	pthread_mutex_unlock(&b->lock);
	return on;
}

static void enf_bpf_counts(void *state, unsigned long long *denied, unsigned long long *allowed)
{
	struct udmd_bpf_backend *b = state;
	*denied = b->denied;
	*allowed = b->allowed;
}

const struct enforcer_ops udmd_enforcer_bpf = {
	.name = "bpf",
	.counts_note = " (bpf: allows counted with success_audit only)",
	.available = enf_bpf_available,
	.start = enf_bpf_start,
	.stop = enf_bpf_stop,
	.free = enf_bpf_free,
	.detach = enf_bpf_detach,
	.handover = enf_bpf_handover,
	.policy_changed = enf_bpf_policy_changed,
	.check_policy = enf_bpf_check_policy,
	.integrity = enf_bpf_integrity,
	.device = enf_bpf_device,
	.ublk = enf_bpf_ublk,
	.props = enf_bpf_props,
	.watch_add = enf_bpf_watch_add,
	.watch_remove = enf_bpf_watch_remove,
	.watch_list = enf_bpf_watch_list,
	.status = enf_bpf_status,
	.running = enf_bpf_running,
	.counts = enf_bpf_counts,
};
