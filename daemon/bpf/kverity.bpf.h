/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's own dm-verity devices as a property source (included by
 * enforce.bpf.c, whose maps it shares; docs/kernel-verity.md).
 *
 *   fentry/fexit dm_swap_table   every kernel: a device's udm_kseq is odd while a
 *                                new table is being bound, a new even value after;
 *                                its decision entries are deleted before the bind
 *   lsm/bdev_setintegrity        6.12+: the root hash and signature state dm-verity
 *                                tells the LSMs at preresume, as IPE takes them
 *   lsm/bdev_free_security       6.12+: the block device is gone, so is what it was told
 *
 * A decision uses a kernel device's entry only while its kseq equals the
 * device's udm_kseq now: an entry computed from one table is never used once
 * another table has started to be bound, whenever udmd gets to delete it. */

/* device-mapper's structures (dm-mod's BTF), only what is read */
struct gendisk;

struct block_device {
	__u32 bd_dev;
	struct gendisk *bd_disk;
} __attribute__((preserve_access_index));

struct gendisk {
	struct block_device *part0;
	void *private_data;
	__u64 diskseq;
} __attribute__((preserve_access_index));

struct mapped_device {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct dm_table;

struct dm_verity_digest {
	const char *alg;
	const __u8 *digest;
	__u64 digest_len;
} __attribute__((preserve_access_index));

enum lsm_integrity_type {
	LSM_INT_DMVERITY_SIG_VALID,
	LSM_INT_DMVERITY_ROOTHASH,
	LSM_INT_FSVERITY_BUILTINSIG_VALID,
};

/* device dev_t -> the kseq value (see enforce_maps.h) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} udm_kseq SEC(".maps");

/* device dev_t -> what bdev_setintegrity said (6.12+) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct udm_bpf_kprops);
} udm_kprops SEC(".maps");

/* An entry of a kernel dm device is live while its table is. */
static __always_inline int kentry_live(__u32 dev, const struct udm_bpf_decision *d)
{
	if (!d->kseq)
		return 1;       /* udm's own devices and the pseudo devices */
	__u64 *s = bpf_map_lookup_elem(&udm_kseq, &dev);
	return s && *s == d->kseq;
}

static __always_inline __u64 kseq_next(__u64 busy)
{
	__u32 k = UDM_OBJ_KSEQ_COUNTER;
	__u64 *c = bpf_map_lookup_elem(&udm_objs, &k), n;
	if (c)
		n = __sync_fetch_and_add(c, 1) + 1;
	else
		n = bpf_ktime_get_ns() | (1ull << 62);   /* udmd creates the counter; never reached */
	return ((n << 1) & ~UDM_KSEQ_UDMD) | busy;
}

static __always_inline void kseq_set(__u32 dev, __u64 busy)
{
	__u64 v = kseq_next(busy);
	bpf_map_update_elem(&udm_kseq, &dev, &v, BPF_ANY);
}

/* dm_swap_table runs with the device suspended and its suspend_lock held, in
 * do_resume, before the new table is bound and I/O resumes. */
SEC("fentry/dm_swap_table")
int BPF_PROG(udm_dm_swap_enter, struct mapped_device *md, struct dm_table *t)
{
	__u32 dev = BPF_CORE_READ(md, disk, part0, bd_dev);
	kseq_set(dev, UDM_KSEQ_BUSY);
	struct udm_bpf_key k = { .dev = dev, .slot = 0 };
	bpf_map_delete_elem(&udm_decisions, &k);
	k.slot = 1;
	bpf_map_delete_elem(&udm_decisions, &k);
	return 0;
}

SEC("fexit/dm_swap_table")
int BPF_PROG(udm_dm_swap_exit, struct mapped_device *md, struct dm_table *t, void *old)
{
	__u32 dev = BPF_CORE_READ(md, disk, part0, bd_dev);
	kseq_set(dev, 0);
	return 0;
}

/* security/ipe/hooks.c ipe_bdev_setintegrity: ROOTHASH carries a struct
 * dm_verity_digest (NULL: none), SIG_VALID a signature that was verified
 * (NULL or size 0: none). dm-verity calls ROOTHASH then SIG_VALID. */
SEC("lsm/bdev_setintegrity")
int BPF_PROG(udm_bdev_setintegrity, struct block_device *bdev, enum lsm_integrity_type type,
	     __u64 value_arg, __u64 size, int ret)
{
	if (ret)
		return udm_prev(ret);
	/* the verifier refuses a direct read of a `const void *` argument
	 * ("arg2 type UNKNOWN is not a struct"): read it as a number */
	__u64 raw = 0;
	bpf_probe_read_kernel(&raw, sizeof(raw), &ctx[2]);
	const void *value = (const void *)raw;
	__u32 dev = BPF_CORE_READ(bdev, bd_dev);
	int is_sig = type == bpf_core_enum_value(enum lsm_integrity_type, LSM_INT_DMVERITY_SIG_VALID);
	int is_hash = type == bpf_core_enum_value(enum lsm_integrity_type, LSM_INT_DMVERITY_ROOTHASH);
	if (!is_sig && !is_hash)
		return 0;
	struct udm_bpf_kprops p = {}, *old = bpf_map_lookup_elem(&udm_kprops, &dev);
	__u64 *s = bpf_map_lookup_elem(&udm_kseq, &dev);
	__u64 seq = s ? *s : 0;
	if (old && old->seq == seq && old->bdev == (__u64)bdev)
		p = *old;
	p.seq = seq;
	p.bdev = (__u64)bdev;
	if (is_sig) {
		p.sig_valid = value && size > 0;
	} else if (!value) {
		p.has_hash = 0;
		p.digest_len = 0;
	} else {
		const struct dm_verity_digest *dg = value;
		const char *alg = BPF_CORE_READ(dg, alg);
		const __u8 *digest = BPF_CORE_READ(dg, digest);
		__u64 len = BPF_CORE_READ(dg, digest_len);
		if (len > sizeof(p.digest))
			return 0;   /* nothing dm-verity makes; no properties then */
		bpf_probe_read_kernel_str(p.alg, sizeof(p.alg), alg);
		if (bpf_probe_read_kernel(p.digest, len, digest))
			return 0;
		p.digest_len = len;
		p.has_hash = 1;
	}
	bpf_map_update_elem(&udm_kprops, &dev, &p, BPF_ANY);
	return 0;
}

SEC("lsm/bdev_free_security")
int BPF_PROG(udm_bdev_free_security, struct block_device *bdev)
{
	__u32 dev = BPF_CORE_READ(bdev, bd_dev);
	struct udm_bpf_kprops *p = bpf_map_lookup_elem(&udm_kprops, &dev);
	if (p && p->bdev == (__u64)bdev)
		bpf_map_delete_elem(&udm_kprops, &dev);
	return 0;
}
