/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF LSM enforcer's maps (see enforce_bpf.h): the compiled policy, the properties
 * of udm's devices and of the kernel's dm-verity devices, the scope. Loading, pins and
 * the audit ring are in enforce_bpf_load.c; the backend udmd chooses is enforce_bpf.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "daemon/enforce_bpf_int.h"

bool udmd_bpf_lsm_active(void)
{
	char buf[512] = "";
	int fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *save = NULL, *t = strtok_r(buf, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save))
		if (strcmp(t, "bpf") == 0)
			return true;
	return false;
}

/* ---- map writes (lock held) ---- */

void udmd_bpf_put_config(struct udmd_bpf *e)
{
	__u32 zero = 0;
	bpf_map_update_elem(e->fd_config, &zero, &e->cfg, BPF_ANY);
}

static void props_of(const struct udmd_bpf *e, __u32 kdev, const struct udm_integrity *blob,
		     struct ipe_eval_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->has_file = true;
	c->boot_verified = e->boot_kdev && kdev == e->boot_kdev;
	if (blob && blob->has_roothash) {
		c->dmv_present = true;
		c->dmv_alg = blob->alg;
		c->dmv_digest = blob->digest;
		c->dmv_digest_len = blob->digest_len;
		c->dmv_signed = blob->sig == UDM_SIG_VALID;
	}
}

/* The fs-verity algorithm number of an IPE digest that can match a file's
 * (0: none can: IPE compares the kernel's name and the full length). */
static __u16 fsv_alg(const struct ipe_digest *g)
{
	if (strcmp(g->alg, "sha256") == 0 && g->len == 32)
		return UDM_BPF_FSV_SHA256;
	if (strcmp(g->alg, "sha512") == 0 && g->len == 64)
		return UDM_BPF_FSV_SHA512;
	return 0;
}

static bool policy_has_fsv(const struct ipe_policy *pol)
{
	for (unsigned op = 0; pol && op < IPE_OP_COUNT; op++)
		for (size_t i = 0; i < pol->ops[op].nrules; i++)
			for (size_t k = 0; k < pol->ops[op].rules[i].nprops; k++)
				if (pol->ops[op].rules[i].props[k].type == IPE_PROP_FSV_DIGEST)
					return true;
	return false;
}

static void decision_of(const struct ipe_policy *pol, const struct ipe_eval_ctx *props, __u64 kseq,
			struct udm_bpf_decision *v)
{
	struct ipe_compiled c;
	memset(v, 0, sizeof(*v));
	ipe_compile(pol, props, &c);
	_Static_assert(IPE_COMPILED_OPS == UDM_BPF_OPS, "ops");
	for (int op = 0; op < UDM_BPF_OPS; op++) {
		v->action[op] = c.action[op];
		v->match[op] = c.match[op];
		v->rule[op] = c.rule[op];
	}
	v->kseq = kseq;
	v->fsv = policy_has_fsv(pol);
}

/* Every fsv entry of (dev, slot): one per digest the policy names, the
 * decision for a file with that digest and the superblock's properties
 * (props NULL: delete them). */
static int put_fsv(struct udmd_bpf *e, __u32 dev, __u32 slot, const struct ipe_eval_ctx *props,
		   __u64 kseq)
{
	const struct ipe_policy *pol = e->pol;
	for (unsigned op = 0; pol && op < IPE_OP_COUNT; op++)
		for (size_t i = 0; i < pol->ops[op].nrules; i++)
			for (size_t k = 0; k < pol->ops[op].rules[i].nprops; k++) {
				const struct ipe_prop *pr = &pol->ops[op].rules[i].props[k];
				__u16 alg = pr->type == IPE_PROP_FSV_DIGEST ? fsv_alg(&pr->digest) : 0;
				if (!alg)
					continue;
				struct udm_bpf_fsv_key fk;
				memset(&fk, 0, sizeof(fk));
				fk.dev = dev;
				fk.slot = slot;
				fk.alg = alg;
				fk.len = (__u16)pr->digest.len;
				memcpy(fk.digest, pr->digest.bytes, pr->digest.len);
				if (!props) {
					bpf_map_delete_elem(e->fd_fsv, &fk);
					continue;
				}
				struct ipe_eval_ctx c = *props;
				c.has_file = true;
				c.fsv_present = true;
				c.fsv_alg = pr->digest.alg;
				c.fsv_digest = pr->digest.bytes;
				c.fsv_digest_len = pr->digest.len;
				struct udm_bpf_decision v;
				decision_of(pol, &c, kseq, &v);
				if (bpf_map_update_elem(e->fd_fsv, &fk, &v, BPF_ANY))
					return -errno;
			}
	return 0;
}

static int put_entry(struct udmd_bpf *e, __u32 dev, __u32 slot, const struct ipe_eval_ctx *props,
		     __u64 kseq)
{
	struct udm_bpf_decision v;
	decision_of(e->pol, props, kseq, &v);
	/* the digests' entries first: the superblock's entry sends files there */
	int r = dev == UDM_BPF_DEV_NOFILE ? 0 : put_fsv(e, dev, slot, props, kseq);
	if (r)
		return r;
	struct udm_bpf_key k = { .dev = dev, .slot = slot };
	return bpf_map_update_elem(e->fd_decisions, &k, &v, BPF_ANY) ? -errno : 0;
}

static void del_entry(struct udmd_bpf *e, __u32 dev, __u32 slot)
{
	struct udm_bpf_key k = { .dev = dev, .slot = slot };
	bpf_map_delete_elem(e->fd_decisions, &k);
	put_fsv(e, dev, slot, NULL, 0);
}

/* Remove the fsv entries of a slot (all = false) or of every device but
 * NOPROPS (all = true: a restarted udmd knows no device yet). */
void udmd_bpf_clear_fsv(struct udmd_bpf *e, __u32 slot, bool devices)
{
	struct udm_bpf_fsv_key k, next, *prev = NULL;
	static struct udm_bpf_fsv_key del[1024];
	for (;;) {
		int n = 0;
		prev = NULL;
		while (n < 1024 && bpf_map_get_next_key(e->fd_fsv, prev, &next) == 0) {
			if (devices ? next.dev != UDM_BPF_DEV_NOPROPS : next.slot == slot)
				del[n++] = next;
			k = next;
			prev = &k;
		}
		for (int i = 0; i < n; i++)
			bpf_map_delete_elem(e->fd_fsv, &del[i]);
		if (n < 1024)
			return;
	}
}

/* Every entry of one slot for the current policy. */
static int fill_slot(struct udmd_bpf *e, __u32 slot)
{
	struct ipe_eval_ctx c;
	int r;
	props_of(e, 0, NULL, &c);
	if ((r = put_entry(e, UDM_BPF_DEV_NOPROPS, slot, &c, 0)))
		return r;
	memset(&c, 0, sizeof(c));
	if ((r = put_entry(e, UDM_BPF_DEV_NOFILE, slot, &c, 0)))
		return r;
	bool boot_done = false;
	for (int i = 0; i < MAX_DEVS; i++) {
		struct dev_entry *d = &e->devs[i];
		if (!d->udm_dev || !d->kdev)
			continue;
		props_of(e, d->kdev, &d->blob, &c);
		if ((r = put_entry(e, d->kdev, slot, &c, 0)))
			return r;
		boot_done |= d->kdev == e->boot_kdev;
	}
	for (int i = 0; i < MAX_DEVS; i++) {
		struct kdev_entry *k = &e->kdevs[i];
		if (!k->kdev)
			continue;
		props_of(e, k->kdev, &k->blob, &c);
		if ((r = put_entry(e, k->kdev, slot, &c, k->kseq)))
			return r;
		boot_done |= k->kdev == e->boot_kdev;
	}
	if (e->boot_kdev && !boot_done) {
		props_of(e, e->boot_kdev, NULL, &c);
		if ((r = put_entry(e, e->boot_kdev, slot, &c, 0)))
			return r;
	}
	return 0;
}

/* Remove every entry of a slot (stale devices included). */
static void clear_slot(struct udmd_bpf *e, __u32 slot)
{
	struct udm_bpf_key k, next, *prev = NULL;
	struct udm_bpf_key del[512];
	int n = 0;
	while (n < 512 && bpf_map_get_next_key(e->fd_decisions, prev, &next) == 0) {
		if (next.slot == slot)
			del[n++] = next;
		k = next;
		prev = &k;
	}
	for (int i = 0; i < n; i++)
		bpf_map_delete_elem(e->fd_decisions, &del[i]);
	udmd_bpf_clear_fsv(e, slot, false);
}

/* FNV-1a of the policy text (0: no policy). */
static __u64 policy_tag(const struct ipe_policy *pol)
{
	if (!pol)
		return 0;
	__u64 h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < pol->textlen; i++)
		h = (h ^ (unsigned char)pol->text[i]) * 0x100000001b3ULL;
	return h | 1;
}

static void remember_policy(struct udmd_bpf *e, __u32 gen, struct ipe_policy *pol)
{
	int slot = (int)(gen % POLICY_HISTORY);
	if (e->hist[slot].pol)
		ipe_policy_put(e->hist[slot].pol);
	if (pol)
		ipe_policy_get(pol);
	e->hist[slot].gen = gen;
	e->hist[slot].pol = pol;
}

int udmd_bpf_check_policy(const struct ipe_policy *pol, bool fsv_kfunc, char *reason, size_t rsize)
{
	/* fsverity_digest through bpf_get_fsverity_digest (6.8+) where the
	 * programs were loaded with it; the built-in signature state has no kfunc:
	 * fsverity_signature is always refused in BPF mode */
	return ipe_policy_check_compilable_fsv(pol, fsv_kfunc, reason, rsize);
}

int udmd_bpf_set_policy(struct udmd_bpf *e, struct ipe_policy *pol, bool enforcing,
			    bool success_audit, char *reason, size_t rsize)
{
	int r = udmd_bpf_check_policy(pol, e->fsv_kfunc, reason, rsize);
	if (r)
		return r;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&e->lock);
	struct ipe_policy *old = e->pol;
	if (pol)
		ipe_policy_get(pol);
	e->pol = pol;
	__u32 next = e->cfg.gen + 1;
	clear_slot(e, next & 1);
	r = fill_slot(e, next & 1);
	if (r) {
		/* the live generation is untouched: keep it */
		if (reason)
			snprintf(reason, rsize, "decision map: %s", strerror(-r));
		clear_slot(e, next & 1);
		e->pol = old;
		if (pol)
			ipe_policy_put(pol);
		pthread_mutex_unlock(&e->lock);
		return r;
	}
	remember_policy(e, next, pol);
	/* events the live generation audited while udmd was down name its rules
	 * too, if it is the policy restored from the state directory */
	if (e->cfg.policy && e->cfg.policy_tag == policy_tag(pol) && !e->hist[e->cfg.gen % POLICY_HISTORY].pol)
		remember_policy(e, e->cfg.gen, pol);
	/* one store makes the new generation live: every decision switches at once */
	e->cfg.policy_tag = policy_tag(pol);
	e->cfg.gen = next;
	e->cfg.policy = pol != NULL;
	e->cfg.enforcing = enforcing;
	e->cfg.success_audit = success_audit;
	udmd_bpf_put_config(e);
	e->policy_set = true;
	clear_slot(e, (next + 1) & 1);
	if (old)
		ipe_policy_put(old);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	e->last_update_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

void udmd_bpf_set_boot_dev(struct udmd_bpf *e, dev_t st_dev)
{
	pthread_mutex_lock(&e->lock);
	e->boot_kdev = st_dev ? kdev_of(st_dev) : 0;
	e->cfg.boot_dev = e->boot_kdev;   /* written with the next config (overlay files) */
	pthread_mutex_unlock(&e->lock);
}

static struct dev_entry *find_dev(struct udmd_bpf *e, dev_t udm_dev, bool create)
{
	struct dev_entry *free_slot = NULL;
	for (int i = 0; i < MAX_DEVS; i++) {
		if (e->devs[i].udm_dev == udm_dev)
			return &e->devs[i];
		if (!e->devs[i].udm_dev && !free_slot)
			free_slot = &e->devs[i];
	}
	if (create && free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->udm_dev = udm_dev;
	}
	return create ? free_slot : NULL;
}

/* Both slots: the live one and the spare one (set_policy refills the spare). */
static void write_dev(struct udmd_bpf *e, struct dev_entry *d)
{
	struct ipe_eval_ctx c;
	props_of(e, d->kdev, &d->blob, &c);
	for (__u32 slot = 0; slot < 2; slot++)
		if (put_entry(e, d->kdev, slot, &c, 0)) {
			/* no entry would mean "no properties"; a stale one is worse */
			del_entry(e, d->kdev, slot);
		}
}

int udmd_bpf_loop_attach(struct udmd_bpf *e, dev_t udm_dev, dev_t loop_st_dev, bool ublk, __u64 diskseq)
{
	pthread_mutex_lock(&e->lock);
	struct dev_entry *d = find_dev(e, udm_dev, true);
	int r = 0;
	if (!d) {
		r = -ENOSPC;
	} else {
		struct udm_bpf_loop lv = { .diskseq = diskseq, .kind = ublk ? UDM_BPF_BLK_UBLK : UDM_BPF_BLK_LOOP };
		d->kdev = kdev_of(loop_st_dev);
		bpf_map_update_elem(e->fd_loops, &d->kdev, &lv, BPF_ANY);
		write_dev(e, d);
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

void udmd_bpf_loop_detach(struct udmd_bpf *e, dev_t udm_dev)
{
	pthread_mutex_lock(&e->lock);
	struct dev_entry *d = find_dev(e, udm_dev, false);
	if (d && d->kdev) {
		/* a loop device that is not udm's keeps nothing of it */
		if (d->kdev == e->boot_kdev) {
			struct udm_integrity none;
			memset(&none, 0, sizeof(none));
			d->blob = none;
			write_dev(e, d);
		} else {
			del_entry(e, d->kdev, 0);
			del_entry(e, d->kdev, 1);
		}
		bpf_map_delete_elem(e->fd_loops, &d->kdev);
		d->kdev = 0;
	}
	if (d && !d->blob.has_roothash)
		d->udm_dev = 0;
	pthread_mutex_unlock(&e->lock);
}

void udmd_bpf_integrity(struct udmd_bpf *e, dev_t udm_dev, const struct udm_integrity *blob)
{
	pthread_mutex_lock(&e->lock);
	struct dev_entry *d = find_dev(e, udm_dev, blob->has_roothash);
	if (d) {
		d->blob = *blob;
		if (d->kdev)
			write_dev(e, d);
		else if (!blob->has_roothash)
			d->udm_dev = 0;
	}
	pthread_mutex_unlock(&e->lock);
}

/* ---- kernel dm devices (docs/kernel-verity.md) ---- */

bool udmd_bpf_kverity(struct udmd_bpf *e, bool *setintegrity)
{
	pthread_mutex_lock(&e->lock);
	bool ok = e->kswap;
	if (setintegrity)
		*setintegrity = e->ksetintegrity;
	pthread_mutex_unlock(&e->lock);
	return ok;
}

/* A value no program and no earlier call ever wrote: even, top bit set
 * (the programs' values have it clear), from the monotonic clock. */
static __u64 kseq_made_up(struct udmd_bpf *e)
{
	struct timespec t;
	clock_gettime(CLOCK_BOOTTIME, &t);
	__u64 v = ((((__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec) << 1) & ~UDM_KSEQ_UDMD);
	if (v <= e->kinit_last)
		v = e->kinit_last + 2;
	e->kinit_last = v;
	return v | UDM_KSEQ_UDMD;
}

int udmd_bpf_kseq(struct udmd_bpf *e, dev_t dev, __u64 *seq, bool init)
{
	__u32 k = kdev_of(dev);
	if (bpf_map_lookup_elem(e->fd_kseq, &k, seq) == 0)
		return 0;
	if (!init)
		return -ENOENT;
	pthread_mutex_lock(&e->lock);
	__u64 v = kseq_made_up(e);
	pthread_mutex_unlock(&e->lock);
	/* a program that wrote meanwhile wins: its value is the newer truth */
	bpf_map_update_elem(e->fd_kseq, &k, &v, BPF_NOEXIST);
	return bpf_map_lookup_elem(e->fd_kseq, &k, seq) ? -errno : 0;
}

int udmd_bpf_kprops(struct udmd_bpf *e, dev_t dev, __u64 seq, struct udm_integrity *out)
{
	struct udm_bpf_kprops p;
	__u32 k = kdev_of(dev);
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(e->fd_kprops, &k, &p) || p.seq != seq)
		return -ENOENT;
	if (p.has_hash && p.digest_len && p.digest_len <= sizeof(out->digest)) {
		out->has_roothash = true;
		snprintf(out->alg, sizeof(out->alg), "%.*s", (int)sizeof(p.alg), p.alg);
		memcpy(out->digest, p.digest, p.digest_len);
		out->digest_len = p.digest_len;
		out->sig = p.sig_valid ? UDM_SIG_VALID : UDM_SIG_NONE;
	}
	return 0;
}

static struct kdev_entry *find_kdev(struct udmd_bpf *e, __u32 kdev, bool create)
{
	struct kdev_entry *free_slot = NULL;
	for (int i = 0; i < MAX_DEVS; i++) {
		if (e->kdevs[i].kdev == kdev)
			return &e->kdevs[i];
		if (!e->kdevs[i].kdev && !free_slot)
			free_slot = &e->kdevs[i];
	}
	if (create && free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->kdev = kdev;
	}
	return create ? free_slot : NULL;
}

/* The entry the device has when it has no entry of its own: none, or the
 * boot superblock's. */
static void kdev_clear(struct udmd_bpf *e, __u32 kdev)
{
	if (kdev == e->boot_kdev) {
		struct ipe_eval_ctx c;
		props_of(e, kdev, NULL, &c);
		for (__u32 slot = 0; slot < 2; slot++)
			if (put_entry(e, kdev, slot, &c, 0))
				del_entry(e, kdev, slot);
	} else {
		del_entry(e, kdev, 0);
		del_entry(e, kdev, 1);
	}
}

int udmd_bpf_kdev_set(struct udmd_bpf *e, dev_t dev, __u64 seq, const struct udm_integrity *blob)
{
	__u32 k = kdev_of(dev);
	int r = 0;
	pthread_mutex_lock(&e->lock);
	if (!e->kswap) {
		r = -EOPNOTSUPP;   /* no program would notice the next swap */
	} else if (!blob->has_roothash) {
		struct kdev_entry *ke = find_kdev(e, k, false);
		if (ke)
			ke->kdev = 0;
		kdev_clear(e, k);
	} else {
		struct kdev_entry *ke = find_kdev(e, k, true);
		if (!ke) {
			r = -ENOSPC;
			kdev_clear(e, k);
		} else {
			ke->kseq = seq;
			ke->blob = *blob;
			struct ipe_eval_ctx c;
			props_of(e, k, &ke->blob, &c);
			/* seq was read before the table: if a swap began since, the
			 * entry is dead on arrival (the program compares kseq). Before
			 * this process wrote its first generation (a successor, an
			 * adopter: the live one is its predecessor's) the device is
			 * only recorded; that generation writes its entries */
			for (__u32 slot = 0; e->policy_set && slot < 2; slot++)
				if ((r = put_entry(e, k, slot, &c, seq)))
					break;
			if (r) {
				ke->kdev = 0;
				kdev_clear(e, k);
			}
		}
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

int udmd_bpf_kdev_get(struct udmd_bpf *e, dev_t dev, struct udm_integrity *out)
{
	__u32 k = kdev_of(dev);
	__u64 now;
	int r = -ENOENT;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&e->lock);
	struct kdev_entry *ke = find_kdev(e, k, false);
	if (ke && bpf_map_lookup_elem(e->fd_kseq, &k, &now) == 0 && now == ke->kseq) {
		*out = ke->blob;
		r = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

void udmd_bpf_kdev_drop(struct udmd_bpf *e, dev_t dev, bool removed)
{
	__u32 k = kdev_of(dev);
	pthread_mutex_lock(&e->lock);
	struct kdev_entry *ke = find_kdev(e, k, false);
	if (ke)
		ke->kdev = 0;
	kdev_clear(e, k);
	/* the device is gone: its kseq too (the map is bounded). A new device
	 * with the same number gets a new value at its first swap, or from
	 * udmd's refresh, never this one again. */
	if (removed)
		bpf_map_delete_elem(e->fd_kseq, &k);
	pthread_mutex_unlock(&e->lock);
}

int udmd_bpf_scope_add(struct udmd_bpf *e, dev_t st_dev)
{
	__u32 k = kdev_of(st_dev), one = 1;
	pthread_mutex_lock(&e->lock);
	int r = bpf_map_update_elem(e->fd_scope, &k, &one, BPF_NOEXIST) ? -errno : 0;
	if (!r && !e->cfg.scoped) {
		e->cfg.scoped = 1;
		udmd_bpf_put_config(e);
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

void udmd_bpf_scope_on(struct udmd_bpf *e)
{
	pthread_mutex_lock(&e->lock);
	if (!e->cfg.scoped) {
		e->cfg.scoped = 1;
		udmd_bpf_put_config(e);
	}
	pthread_mutex_unlock(&e->lock);
}

int udmd_bpf_scope_remove(struct udmd_bpf *e, dev_t st_dev)
{
	__u32 k = kdev_of(st_dev);
	pthread_mutex_lock(&e->lock);
	int r = bpf_map_delete_elem(e->fd_scope, &k) ? -errno : 0;
	pthread_mutex_unlock(&e->lock);
	return r;
}

bool udmd_bpf_fsv_kfunc(const struct udmd_bpf *e)
{
	return e->fsv_kfunc;
}

void udmd_bpf_describe(struct udmd_bpf *e, char *buf, size_t len)
{
	struct udm_bpf_stats st;
	__u32 zero = 0;
	memset(&st, 0, sizeof(st));
	bpf_map_lookup_elem(e->fd_stats, &zero, &st);
	pthread_mutex_lock(&e->lock);
	int ndev = 0, nk = 0;
	for (int i = 0; i < MAX_DEVS; i++) {
		ndev += e->devs[i].udm_dev && e->devs[i].kdev;
		nk += e->kdevs[i].kdev != 0;
	}
	snprintf(buf, len, "enforcer: bpf\nscope: %s\npins: %s\ngeneration: %u\npolicy: %s\ndevices: %d\n"
		 "kernel dm-verity devices: %d (table swaps: %s, bdev_setintegrity: %s)\n"
		 "last map update: %ld us\naudit dropped: %llu\nmissing entries: %llu\n",
		 e->cfg.scoped ? "mounts" : "system", e->pin_dir, e->cfg.gen,
		 e->pol ? e->pol->name : "(none)", ndev, nk, e->kswap ? "watched" : "not watched, no properties",
		 e->ksetintegrity ? "yes" : "no", e->last_update_us, (unsigned long long)st.dropped,
		 (unsigned long long)st.missing);
	pthread_mutex_unlock(&e->lock);
	/* kernel.bpf_stats_enabled=1: what each program has cost so far
	 * (bench/bpf-exec.sh; nobody else may open udm's programs) */
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, e->skel->obj) {
		struct bpf_prog_info info;
		__u32 ilen = sizeof(info);
		int fd = bpf_program__fd(prog);
		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &ilen) || !info.run_cnt)
			continue;
		size_t used = strlen(buf);
		if (used + 1 >= len)
			break;
		snprintf(buf + used, len - used, "program %s: runs %llu, run time %llu ns\n", bpf_program__name(prog),
			 (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
	}
}
