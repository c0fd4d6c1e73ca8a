/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files on overlayfs, decided by the layer that holds their data (included by
 * enforce.bpf.c; docs/enforcement.md "Overlay files").
 *
 * The kernel's IPE takes a file's dm-verity properties from d_real_inode() of
 * its dentry: for an overlay file, the inode of the layer that holds the data
 * (fs/overlayfs/super.c ovl_d_real, D_REAL_DATA):
 *   - the upper dentry, when there is one and it holds the data
 *     (OVL_UPPERDATA: a copied-up or new file);
 *   - else the lowest entry of the lower stack, which holds the data (for a
 *     metacopy file the upper holds metadata only; with data-only layers,
 *     lowerdir=A::B, the data is in the last entry);
 *   - on a lower that is itself an overlay, the same again.
 * This walks the same pointers at hook time, through CO-RE over the overlay
 * module's BTF, whose layout changed in 6.5:
 *   6.1   struct ovl_inode { ... flags; vfs_inode; __upperdentry; lowerpath; ... }
 *         dentry->d_fsdata: struct ovl_entry { ...; numlower; lowerstack[] }
 *   6.5+  struct ovl_inode { ... flags; vfs_inode; __upperdentry; oe; ... }
 *         oe: struct ovl_entry { __numlower; __lowerstack[] }   (6.12, 7.2)
 * Whatever is not found (no overlay module's BTF when the programs were
 * loaded, another layout, a lazy data-only entry not looked up yet, a stack
 * deeper than the kernel allows) gives no real inode: the file has no
 * properties (fail closed).
 *
 * No stale decision: copy-up only ever moves a file's data from a lower to
 * the upper, and the flag is set before the upper dentry is published
 * (ovl_copy_up_*: ovl_set_upperdata, then ovl_inode_update), so a hook that
 * sees no upper data decides a file whose data is in the lower now; overlay
 * maps a file's data from the real file it opened, which is never newer than
 * what the hook saw. */

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
/* FILESYSTEM_MAX_STACK_DEPTH is 2: an overlay over an overlay over a real
 * filesystem; one step more fails closed */
#define UDM_OVL_DEPTH 4
#define UDM_OVL_MAX_LOWER 500   /* OVL_MAX_STACK */
#define S_IFMT 00170000
#define S_IFREG 0100000

struct ovl_path {
	void *layer;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

/* 6.5+: hangs off the ovl_inode */
struct ovl_entry {
	unsigned int __numlower;
	struct ovl_path __lowerstack[];
} __attribute__((preserve_access_index));

/* before 6.5: the dentry's d_fsdata */
struct ovl_entry___v61 {
	unsigned int numlower;
	struct ovl_path lowerstack[];
} __attribute__((preserve_access_index));

struct ovl_inode {
	unsigned long flags;
	struct inode vfs_inode;
	struct dentry *__upperdentry;
	struct ovl_entry *oe;   /* 6.5+ */
} __attribute__((preserve_access_index));

enum ovl_inode_flag {
	OVL_IMPURE, OVL_WHITEOUTS, OVL_INDEX, OVL_UPPERDATA,
};

/* The dentry of the lowest lower entry of an overlay inode (its data when the
 * upper does not hold it), or NULL. */
static __always_inline struct dentry *ovl_lowerdata(struct ovl_inode *oi, struct dentry *d)
{
	struct ovl_entry *oe = NULL;
	struct ovl_entry___v61 *oe61 = NULL;
	void *base;
	__u32 n;
	__u64 off;
	if (bpf_core_field_exists(oi->oe)) {
		oe = BPF_CORE_READ(oi, oe);
		if (!oe)
			return NULL;
		n = BPF_CORE_READ(oe, __numlower);
		base = oe;
		off = bpf_core_field_offset(oe->__lowerstack);
	} else if (bpf_core_field_exists(oe61->numlower)) {
		oe61 = BPF_CORE_READ(d, d_fsdata);
		if (!oe61)
			return NULL;
		n = BPF_CORE_READ(oe61, numlower);
		base = oe61;
		off = bpf_core_field_offset(oe61->lowerstack);
	} else {
		return NULL;
	}
	if (n == 0 || n > UDM_OVL_MAX_LOWER)
		return NULL;
	struct dentry *lower = NULL;
	off += (__u64)(n - 1) * bpf_core_type_size(struct ovl_path) + bpf_core_field_offset(struct ovl_path, dentry);
	if (bpf_probe_read_kernel(&lower, sizeof(lower), (char *)base + off))
		return NULL;
	return lower;
}

/* One step down: the dentry holding the data of overlay dentry d (inode its
 * inode), or NULL. */
static __always_inline struct dentry *ovl_real_step(struct dentry *d, struct inode *inode)
{
	if (!bpf_core_type_exists(struct ovl_inode))
		return NULL;    /* no overlay BTF at load time */
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return NULL;    /* d_real gives the overlay's own dentry: no properties */
	struct ovl_inode *oi = (void *)((char *)inode - bpf_core_field_offset(struct ovl_inode, vfs_inode));
	/* the upper dentry, then the flag (as ovl_has_upperdata: copy-up sets the
	 * flag before it publishes the dentry) */
	struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
	if (upper) {
		asm volatile("" ::: "memory");
		if (BPF_CORE_READ(oi, flags) & (1UL << bpf_core_enum_value(enum ovl_inode_flag, OVL_UPPERDATA)))
			return upper;
		/* metacopy: the upper holds metadata only, the data is below */
	}
	return ovl_lowerdata(oi, d);
}

/* The inode that holds the data of file: file's own, or, on overlayfs, the
 * real one (*via set); NULL when it cannot be found (no properties). */
static __always_inline struct inode *real_inode(struct file *file, int *via)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	*via = 0;
	for (int i = 0; i < UDM_OVL_DEPTH; i++) {
		if (!inode)
			return NULL;
		if (BPF_CORE_READ(inode, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
			return inode;
		*via = 1;
		if (!d || BPF_CORE_READ(d, d_inode) != inode)
			return NULL;   /* not the dentry of this inode */
		d = ovl_real_step(d, inode);
		if (!d)
			return NULL;
		inode = BPF_CORE_READ(d, d_inode);
	}
	return NULL;
}
