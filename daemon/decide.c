/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd's enforcement, one interface over two backends: fanotify (an exec
 * event on an enforced mount becomes an IPE evaluation of op=EXECUTE with the
 * properties of the file's device, read from the integrity blob of the udm
 * device object udmd bound its loop device to (identity.c) at that moment) and the BPF LSM (enforce_bpf.c: the kernel decides from maps that
 * are recompiled here whenever the policy, a switch or a device's blob
 * changes). Both write audit records in IPE's format. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fsverity.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/enforce_bpf.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

/* The kernel's s_id of a block device's superblock: its disk name ("loop3"). */
static void superblock_id(dev_t dev, char *out, size_t len)
{
	char p[96], link[256];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		const char *base = strrchr(link, '/');
		snprintf(out, len, "%.60s", base ? base + 1 : link);
	} else {
		snprintf(out, len, "%u:%u", major(dev), minor(dev));
	}
}

static void process_comm(pid_t pid, char *out, size_t len)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(p, "r");
	out[0] = '\0';
	if (f) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

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

void udmd_dev_integrity(struct udmd *d, dev_t st_dev, struct udm_integrity *blob)
{
	struct udmd_binding b;
	struct udm_integrity snap;
	memset(blob, 0, sizeof(*blob));
	if (udmd_binding_lookup(d, st_dev, &b)) {
		/* a kernel dm-verity device: what the BPF programs use for it now
		 * (kverity.c); the fanotify backend gives such devices none */
		udmd_kverity_props(d, st_dev, blob);
		return;
	}
	if (udm_dev_get_integrity(d->ctx, b.udm, &snap))
		return;
	/* Still the same binding after the read: the loop held the device object
	 * open all along, so b.udm named that object, not a later one. */
	if (udmd_binding_live(&b))
		*blob = snap;
}

/* What the backends decided since start, for udm status --daemon: every
 * fanotify decision; the BPF decisions that reached udmd (every denial the
 * ring carried, allows only with success_audit). */
static _Atomic unsigned long long n_denied, n_allowed;

void udmd_enforce_counts(unsigned long long *denied, unsigned long long *allowed)
{
	*denied = n_denied;
	*allowed = n_allowed;
}

static bool decide_exec(void *arg, const struct enforce_event *ev)
{
	struct udmd *d = arg;
	struct ipe_eval_ctx c = { .op = IPE_OP_EXECUTE, .hook = IPE_HOOK_BPRM_CHECK, .has_file = true };
	/* boot_verified, adapted: the file lives on the superblock pinned at start */
	c.boot_verified = d->boot_dev && ev->st->st_dev == d->boot_dev;

	/* Files on devices that are not udm verity devices have no dm-verity
	 * properties, as in the kernel. The blob read is one atomic snapshot of
	 * the table live now. */
	struct udm_integrity blob;
	udmd_dev_integrity(d, ev->st->st_dev, &blob);
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
	/* not sent to a FUSE file: its server could hold the decision thread
	 * (and every exec waiting on it) forever */
	if (ev->may_ask_fs && fsverity_digest(ev->fd, fsv_alg, sizeof(fsv_alg), fsv_digest, &fsv_len)) {
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
		n_allowed++;
	else
		n_denied++;
	if (pol && (!allow || success_audit)) {
		char comm[32], dev[64], rec[2048];
		process_comm(ev->pid, comm, sizeof(comm));
		superblock_id(ev->st->st_dev, dev, sizeof(dev));
		struct ipe_audit_subject s = { .pid = ev->pid, .comm = comm, .has_file = true, .path = ev->path,
					       .has_inode = true, .dev = dev, .ino = ev->st->st_ino };
		ipe_audit_access(rec, sizeof(rec), &dec, IPE_HOOK_BPRM_CHECK, enforcing, &s);
		udmd_audit_access(d, rec, &dec, IPE_HOOK_BPRM_CHECK, enforcing, ev->path, ev->pid);
	}
	if (pol)
		ipe_policy_put(pol);
	/* permissive mode: audit the denial, let it run */
	return allow || !enforcing;
}

/* ---- the BPF backend ---- */

/* The path of a mapping of (dev, ino) in /proc/PID/maps: what d_path gives.
 * Only a fallback, for the rare path the program could not rebuild itself:
 * the process may have exited before the event is read. */
static bool path_from_maps(pid_t pid, __u32 kdev, __u64 ino, char *out, size_t len)
{
	char p[64], line[PATH_MAX + 128];
	snprintf(p, sizeof(p), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return false;
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned ma, mi;
		unsigned long long in;
		int n = 0;
		if (sscanf(line, "%*s %*s %*s %x:%x %llu %n", &ma, &mi, &in, &n) < 3 || !n)
			continue;
		if (ma == (kdev >> 20) && mi == (kdev & 0xfffff) && in == ino && line[n] == '/') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line + n);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* What a PROTECT event refused, by the hook that refused it. */
static const char *protect_what(__u32 what)
{
	static const char *const names[] = {
		[UDM_BPF_PROT_LOOP_IOCTL] = "file_ioctl", [UDM_BPF_PROT_LOOP_IOCTL_COMPAT] = "file_ioctl_compat",
		[UDM_BPF_PROT_BPF_MAP] = "bpf_map", [UDM_BPF_PROT_BPF_PROG] = "bpf_prog",
		[UDM_BPF_PROT_LINK] = "bpf_link", [UDM_BPF_PROT_PIN_LOOKUP] = "pin_lookup",
		[UDM_BPF_PROT_PIN_UNLINK] = "pin_unlink", [UDM_BPF_PROT_PIN_RENAME] = "pin_rename",
		[UDM_BPF_PROT_UMOUNT] = "sb_umount", [UDM_BPF_PROT_REMOUNT] = "sb_remount",
		[UDM_BPF_PROT_MOUNT] = "sb_mount", [UDM_BPF_PROT_MOVE_MOUNT] = "move_mount",
		[UDM_BPF_PROT_PTRACE] = "ptrace", [UDM_BPF_PROT_TRACEME] = "ptrace_traceme",
		[UDM_BPF_PROT_PRCTL] = "prctl", [UDM_BPF_PROT_ADOPT] = "adopt",
	};
	return what < sizeof(names) / sizeof(names[0]) && names[what] ? names[what] : "unknown";
}

/* udm's own records of its self-protection (docs/enforcement.md
 * "Self-protection"): AUDIT_USER_AVC, as a user-space MAC's denial. */
static void audit_protect(struct udmd *d, const struct udm_bpf_event *ev)
{
	char comm[sizeof(ev->comm) + 1], rec[512];
	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(ev->comm), ev->comm);
	if (ev->kind == UDM_BPF_EV_ADOPT) {
		snprintf(rec, sizeof(rec), "lsm=udm op=adopt hook=%s pid=%u comm=\"%s\" res=1",
			 protect_what(ev->hook), ev->tgid, comm);
		udmd_audit(d, UDMD_AUDIT_CONTROL, rec);
		return;
	}
	snprintf(rec, sizeof(rec), "lsm=udm op=protect hook=%s detail=0x%x pid=%u comm=\"%s\" dev=%u:%u action=DENY",
		 protect_what(ev->hook), ev->rule, ev->tgid, comm, ev->dev >> 20, ev->dev & 0xfffff);
	udmd_audit(d, UDMD_AUDIT_PROTECT, rec);
}

static void audit_bpf_event(void *arg, const struct udm_bpf_event *ev, const struct ipe_policy *pol)
{
	struct udmd *d = arg;
	if (ev->kind != UDM_BPF_EV_ACCESS) {
		audit_protect(d, ev);
		return;
	}
	struct ipe_compiled c;
	memset(&c, 0, sizeof(c));
	unsigned op = ev->op < IPE_COMPILED_OPS ? ev->op : IPE_COMPILED_OPS - 1;
	c.action[op] = ev->action == UDM_BPF_DENY ? IPE_ACTION_DENY : IPE_ACTION_ALLOW;
	c.match[op] = ev->match;
	c.rule[op] = ev->rule;
	struct ipe_decision dec;
	ipe_compiled_decision(pol, &c, op, &dec);
	if (ev->action == UDM_BPF_DENY)
		n_denied++;
	else
		n_allowed++;
	if (!pol)   /* a generation from before a restart: its rule text is gone */
		dec.match = IPE_MATCH_GLOBAL;
	char comm[sizeof(ev->comm) + 1], sid[sizeof(ev->s_id) + 1], path[PATH_MAX];
	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(ev->comm), ev->comm);
	snprintf(sid, sizeof(sid), "%.*s", (int)sizeof(ev->s_id), ev->s_id);
	bool have_path = false;
	if (ev->has_file) {
		if (ev->path_ok && ev->path_off < UDM_BPF_PATH_MAX) {
			/* taken at hook time (bpf_d_path, or the program's own walk) */
			snprintf(path, sizeof(path), "%.*s", (int)(UDM_BPF_PATH_MAX - ev->path_off),
				 ev->path + ev->path_off);
			have_path = true;
		} else {
			/* the program could not take it (deeper than its walk, a pseudo
			 * file): the process may be gone by now, then IPE's "<too_long>" */
			have_path = path_from_maps((pid_t)ev->tgid, ev->dev, ev->ino, path, sizeof(path));
		}
	}
	struct ipe_audit_subject s = {
		.pid = (int)ev->tgid, .comm = comm, .has_file = ev->has_file,
		.path = have_path ? path : NULL, .has_inode = ev->has_inode, .dev = sid,
		.ino = (unsigned long)ev->ino,
	};
	char rec[PATH_MAX + 1024];
	ipe_audit_access(rec, sizeof(rec), &dec, (enum ipe_hook)ev->hook, ev->enforcing, &s);
	udmd_audit_access(d, rec, &dec, ev->hook, ev->enforcing, have_path ? path : NULL, (int)ev->tgid);
}

static int start_bpf(struct udmd *d, bool *adopted_out, char *err, size_t errlen)
{
	bool adopted = false;
	struct udmd_bpf_opts o = {
		.pin_dir = d->cfg.bpf_pin_dir ? d->cfg.bpf_pin_dir : UDMD_BPF_PIN_DIR,
		.adopt_never = d->cfg.adopt_never, .lock = d->cfg.lock, .handover = d->handover,
	};
	const char *pins = o.pin_dir;
	int r = udmd_bpf_open(&d->bpf, &o, &adopted, audit_bpf_event, d, err, errlen);
	if (r)
		return r;
	if (adopted) {
		char rec[256];
		snprintf(rec, sizeof(rec), "lsm=udm op=%s pins=\"%s\" pid=%ld locked=%d res=1",
			 d->handover ? "handover_receive" : "adopt_after_exit", pins, (long)getpid(), d->cfg.lock);
		udmd_audit(d, UDMD_AUDIT_CONTROL, rec);
	}
	udmd_bpf_set_boot_dev(d->bpf, d->boot_dev);
	*adopted_out = adopted;
	udmd_log("enforcer: bpf (%s, %s%s)", !adopted ? "attached" : d->handover ? "handed over by the previous udmd" :
		 "re-adopted the pinned programs", pins, d->cfg.lock ? ", locked" : "");
	return 0;
}

/* The two below run under the identity or a device's lock; enforce_lock
 * only guards d->bpf against `udm enforce stop` (nothing holding it takes
 * those locks). A binding is observed after udmd attached its loop device and
 * before it clears it (identity.c), so properties go to that loop only and a
 * reused minor inherits nothing. */
static void binding_observed(void *arg, const struct udmd_binding *b, bool added)
{
	struct udmd *d = arg;
	pthread_mutex_lock(&d->enforce_lock);
	if (d->bpf && added) {
		int r = udmd_bpf_loop_attach(d->bpf, b->udm, b->loop, b->diskseq);
		if (r)
			udmd_log("enforcer: bpf: /dev/loop%d: %s (its files have no properties)", b->loop_nr,
				 strerror(-r));
	} else if (d->bpf) {
		udmd_bpf_loop_detach(d->bpf, b->udm);
	}
	pthread_mutex_unlock(&d->enforce_lock);
}

int udmd_enforce_select(struct udmd *d, char *err, size_t errlen)
{
	int want = d->cfg.enforcer;
	if (want == UDMD_ENFORCER_BPF || (want == UDMD_ENFORCER_AUTO && udmd_bpf_lsm_active())) {
		char why[512] = "";
		bool adopted = false;
		int r = start_bpf(d, &adopted, why, sizeof(why));
		if (r == 0) {
			d->enforcer_kind = UDMD_ENFORCER_BPF;
			udmd_binding_observe(d, binding_observed, d);
			udmd_enforce_sync(d);
			bool setint = false;
			if (!udmd_bpf_kverity(d->bpf, &setint))
				udmd_log("enforcer: bpf: dm-mod's dm_swap_table not found (dm-mod not loaded?): "
					 "kernel dm-verity devices have no properties");
			else if ((r = udmd_kverity_start(d)))
				udmd_log("enforcer: bpf: kernel dm-verity devices: %s (no properties)", strerror(-r));
			else
				udmd_log("enforcer: bpf: kernel dm-verity devices followed (table swaps%s)",
					 setint ? ", bdev_setintegrity" : "");
			/* the ring is read only now that the restored policy is in the maps: what
			 * was decided while udmd was down is audited with that policy's rules */
			r = d->bpf_synced_valid ? udmd_bpf_audit_start(d->bpf) : -EOPNOTSUPP;
			if (r == 0)
				return 0;
			/* the maps could not carry the active policy (or nothing would read the
			 * audit records): never run on stale ones. Programs this start attached go
			 * again, so a refused start leaves nothing behind; adopted ones keep the
			 * decisions they carried (the last policy udmd could enforce) */
			if (!adopted) {
				struct udmd_out o = { 0 };
				udmd_enforce_detach(d, &o);
				free(o.buf);
			}
			if (r == -EOPNOTSUPP)
				snprintf(err, errlen, "--enforcer=bpf: the active policy cannot be enforced in BPF mode");
			else
				snprintf(err, errlen, "--enforcer=bpf: audit ring buffer: %s", strerror(-r));
			return r;
		}
		if (r == -EBUSY) {
			char rec[768];
			snprintf(rec, sizeof(rec), "lsm=udm op=adopt pid=%ld res=0 reason=\"%.600s\"", (long)getpid(), why);
			udmd_audit(d, UDMD_AUDIT_CONTROL, rec);
		}
		if (want == UDMD_ENFORCER_BPF || r == -EBUSY) {
			/* held by another udmd, or locked: never fall back to a weaker backend */
			snprintf(err, errlen, "--enforcer=bpf: %s", why);
			return r;
		}
		udmd_log("enforcer: bpf unavailable (%s), using fanotify", why);
	} else if (want == UDMD_ENFORCER_AUTO) {
		udmd_log("enforcer: BPF LSM is not active on this kernel, using fanotify");
	}
	d->enforcer_kind = UDMD_ENFORCER_FANOTIFY;
	if (d->cfg.fanotify_system) {
		/* every filesystem is marked before udmd reports ready */
		int r = udmd_enforce_start(d, err, errlen);
		if (r)
			return r;
		udmd_log("enforcer: fanotify (system scope: every filesystem of udmd's mount namespace)");
	} else {
		udmd_log("enforcer: fanotify (mount scope: the filesystems of the watched mounts)");
	}
	return 0;
}

int udmd_enforce_check_policy(struct udmd *d, const struct ipe_policy *pol, char *reason, size_t rsize)
{
	if (d->enforcer_kind != UDMD_ENFORCER_BPF)
		return 0;
	return udmd_bpf_check_policy(pol, reason, rsize);
}

void udmd_enforce_sync(struct udmd *d)
{
	if (d->enforcer_kind != UDMD_ENFORCER_BPF)
		return;
	pthread_mutex_lock(&d->enforce_lock);
	if (!d->bpf) {
		pthread_mutex_unlock(&d->enforce_lock);
		return;
	}
	struct ipe_policy *pol = d->ipe ? ipe_store_get_active(d->ipe) : NULL;
	bool enf = d->ipe ? ipe_store_enforcing(d->ipe) : true;
	bool sa = d->ipe && ipe_store_success_audit(d->ipe);
	if (!d->bpf_synced_valid || pol != d->bpf_synced || enf != d->bpf_synced_enf || sa != d->bpf_synced_sa) {
		char reason[512] = "";
		int r = udmd_bpf_set_policy(d->bpf, pol, enf, sa, reason, sizeof(reason));
		if (r) {
			/* the previous decisions stay in force */
			udmd_log("enforcer: bpf: policy '%s' not applied: %s", pol ? pol->name : "", reason);
		} else {
			if (d->bpf_synced)
				ipe_policy_put(d->bpf_synced);
			d->bpf_synced = pol;
			pol = NULL;
			d->bpf_synced_enf = enf;
			d->bpf_synced_sa = sa;
			d->bpf_synced_valid = true;
		}
	}
	if (pol)
		ipe_policy_put(pol);
	pthread_mutex_unlock(&d->enforce_lock);
}

void udmd_enforce_integrity(void *arg, dev_t udm_dev, const struct udm_integrity *blob)
{
	struct udmd *d = arg;
	pthread_mutex_lock(&d->enforce_lock);
	if (d->bpf)
		udmd_bpf_integrity(d->bpf, udm_dev, blob);
	pthread_mutex_unlock(&d->enforce_lock);
}

/* ---- the interface ---- */

int udmd_enforce_start(struct udmd *d, char *err, size_t errlen)
{
	pthread_mutex_lock(&d->enforce_lock);
	int r = 0;
	if (!d->enforcer) {
		r = enforcer_start(&d->enforcer, decide_exec, d, d->boot_dev, d->cfg.fanotify_system);
		if (r && err)
			snprintf(err, errlen, "fanotify: %s", strerror(-r));
	}
	pthread_mutex_unlock(&d->enforce_lock);
	return r;
}

int udmd_watch_add(struct udmd *d, const char *path, bool wait)
{
	if (d->enforcer_kind == UDMD_ENFORCER_BPF) {
		pthread_mutex_lock(&d->enforce_lock);
		int r = udmd_scope_add(d, path, wait);
		pthread_mutex_unlock(&d->enforce_lock);
		return r;
	}
	int r = udmd_enforce_start(d, NULL, 0);
	if (r)
		return r;
	return wait ? enforcer_watch_add_waiting(d->enforcer, path) : enforcer_watch_add(d->enforcer, path);
}

int udmd_watch_remove(struct udmd *d, const char *path)
{
	int r = -ENOENT;
	pthread_mutex_lock(&d->enforce_lock);
	if (d->enforcer_kind == UDMD_ENFORCER_BPF)
		r = udmd_scope_remove(d, path);
	else if (d->enforcer)
		r = enforcer_watch_remove(d->enforcer, path);
	pthread_mutex_unlock(&d->enforce_lock);
	return r;
}

char *udmd_watch_list(struct udmd *d)
{
	pthread_mutex_lock(&d->enforce_lock);
	char *list = NULL;
	if (d->enforcer_kind == UDMD_ENFORCER_BPF)
		list = udmd_scope_list(d);
	else if (d->enforcer)
		list = enforcer_watch_list(d->enforcer);
	pthread_mutex_unlock(&d->enforce_lock);
	return list;
}

/* Outside enforce_lock: the observer runs under the identity lock and takes it. */
static void stop_observing(struct udmd *d)
{
	if (d->enforcer_kind == UDMD_ENFORCER_BPF && d->identity)
		udmd_binding_observe(d, NULL, NULL);
}

void udmd_enforce_stop(struct udmd *d)
{
	udmd_kverity_stop(d);
	stop_observing(d);
	udmd_scope_stop(d);   /* its thread takes enforce_lock */
	pthread_mutex_lock(&d->enforce_lock);
	enforcer_stop(d->enforcer);   /* fanotify: executions are no longer checked from here on */
	d->enforcer = NULL;
	/* BPF: the pinned programs keep deciding; only `udm enforce stop` ends them */
	udmd_bpf_close(d->bpf);
	d->bpf = NULL;
	if (d->bpf_synced)
		ipe_policy_put(d->bpf_synced);
	d->bpf_synced = NULL;
	d->bpf_synced_valid = false;
	pthread_mutex_unlock(&d->enforce_lock);
}

int udmd_enforce_handover(struct udmd *d, pid_t successor, int sock)
{
	udmd_kverity_stop(d);
	stop_observing(d);
	pthread_mutex_lock(&d->enforce_lock);
	int r = 0;
	if (d->bpf) {
		r = udmd_bpf_handover(d->bpf, successor, sock);
		d->bpf = NULL;
		if (d->bpf_synced)
			ipe_policy_put(d->bpf_synced);
		d->bpf_synced = NULL;
		d->bpf_synced_valid = false;
		udmd_log("enforcer: bpf handed over to pid %ld", (long)successor);
	}
	pthread_mutex_unlock(&d->enforce_lock);
	return r;
}

bool udmd_enforcing(struct udmd *d)
{
	pthread_mutex_lock(&d->enforce_lock);
	bool on = d->bpf != NULL || d->enforcer != NULL;
	pthread_mutex_unlock(&d->enforce_lock);
	struct ipe_policy *pol = on && d->ipe ? ipe_store_get_active(d->ipe) : NULL;
	if (pol)
		ipe_policy_put(pol);
	return pol != NULL;
}

int udmd_enforce_detach(struct udmd *d, struct udmd_out *out)
{
	udmd_kverity_stop(d);
	stop_observing(d);
	pthread_mutex_lock(&d->enforce_lock);
	int r = 0;
	if (d->bpf) {
		r = udmd_bpf_detach(d->bpf);
		d->bpf = NULL;
		if (d->bpf_synced)
			ipe_policy_put(d->bpf_synced);
		d->bpf_synced = NULL;
		d->bpf_synced_valid = false;
		udmd_scope_clear(d);
		udmd_log("enforcer: bpf detached (udm enforce stop)");
		udmd_printf(out, "bpf enforcement detached%s\n", r ? " (some pins could not be removed)" : "");
	} else if (d->enforcer) {
		enforcer_stop(d->enforcer);
		d->enforcer = NULL;
		udmd_log("enforcer: fanotify stopped (udm enforce stop)");
		udmd_printf(out, "fanotify enforcement stopped\n");
	} else {
		udmd_printf(out, "no enforcement is running\n");
	}
	pthread_mutex_unlock(&d->enforce_lock);
	return r;
}

void udmd_enforce_status(struct udmd *d, struct udmd_out *out)
{
	pthread_mutex_lock(&d->enforce_lock);
	if (d->bpf) {
		char buf[4096];
		udmd_bpf_describe(d->bpf, buf, sizeof(buf));
		udmd_printf(out, "%s", buf);
		pthread_mutex_unlock(&d->enforce_lock);
		udmd_kverity_status(d, out);   /* takes enforce_lock itself */
		return;
	} else if (d->enforcer_kind == UDMD_ENFORCER_BPF) {
		udmd_printf(out, "enforcer: bpf (detached)\n");
	} else if (d->enforcer) {
		char buf[256];
		enforcer_describe(d->enforcer, buf, sizeof(buf));
		udmd_printf(out, "enforcer: fanotify\n%srunning: yes\n", buf);
	} else {
		udmd_printf(out, "enforcer: fanotify\nscope: %s\nrunning: no\n", d->cfg.fanotify_system ? "system" : "mounts");
	}
	pthread_mutex_unlock(&d->enforce_lock);
}
