/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm's BPF LSM: IPE's decisions in the kernel, from maps that udmd fills.
 *
 * Hooks (as security/ipe/hooks.c; a denied event fails with EACCES):
 *   bprm_check_security   EXECUTE          BPRM_CHECK   the program being executed
 *   bprm_creds_for_exec   EXECUTE          BPRM_CREDS_FOR_EXEC  only an execve check (AT_EXECVE_CHECK,
 *                                          6.14+: bprm->is_check); the check never reaches bprm_check
 *   mmap_file             EXECUTE          MMAP         only with PROT_EXEC; no file for anonymous memory
 *   file_mprotect         EXECUTE          MPROTECT     only adding PROT_EXEC to a mapping not yet VM_EXEC
 *   kernel_read_file      by read id       KERNEL_READ  firmware, modules, kexec, policy, x509 from a file
 *   kernel_load_data      by load id       KERNEL_LOAD  the same from a buffer: no file
 * Protection of the enforcement itself (only the owner, the udmd holding the
 * objects, passes; EPERM and a PROTECT event):
 *   file_ioctl, file_ioctl_compat  loop ioctls that rebind or reconfigure a loop device udmd attached
 *   bpf_map, bpf_prog     a new fd on one of udm's maps or programs (by id or from a pin);
 *                         with no owner (it exited), the opener adopts them unless --lock
 *   bpf                   BPF_LINK_GET_FD_BY_ID of one of udm's links
 *   inode_permission, inode_unlink, inode_rename   lookups in and changes of the pin directory
 *   sb_umount, sb_remount, sb_mount, move_mount    the pins' bpffs and the mounts above it
 *   ptrace_access_check, ptrace_traceme           ptrace of udmd, in both directions
 *   task_prctl            PR_SET_MM exe file changes by udmd or to udmd's executable
 *   file_open             (records the pins' mount when the owner opens the pin dir)
 *   tp_btf/sched_process_exit   the owner has exited: its objects may be adopted
 *
 * Kernel dm-verity devices (kverity.bpf.h): dm_swap_table, bdev_setintegrity,
 * bdev_free_security.
 * Files on overlayfs (overlay.bpf.h): decided by the layer that holds their
 * data, as IPE's d_real_inode(); the record stays the overlay file's.
 *
 * A decision is one lookup: (superblock dev_t, live generation) -> the
 * first-match decision of every op, which udmd computed with lib/ipe for the
 * properties that superblock has now (docs/enforcement.md). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "enforce_maps.h"

char LICENSE[] SEC("license") = "GPL";

#define EACCES 13
#define EPERM 1
#define PROT_EXEC 0x4
#define VM_EXEC 0x4UL

/* An LSM program's return value, as every kernel's verifier wants it: 0 or
 * -errno in [-4095, 0] (7.x checks the range at program exit). ret is the
 * previous program's value on the hook; anything outside the range (never
 * expected) fails closed. */
static __always_inline int udm_prev(int ret)
{
	long r = ret;   /* sign-extended: the verifier checks the 64-bit register */
	if (r < -4095 || r > 0)
		r = -EPERM;
	/* the clamped register itself is returned, not another holding the same
	 * low 32 bits (which the compiler may pick for an int) */
	asm volatile("" : "+r"(r));
	return r;
}

/* The kernel's structures, only the fields read here; CO-RE relocates each
 * access to the running kernel's layout (one object for 6.1 and 6.12). */
struct block_device;

struct super_block {
	__u32 s_dev;
	unsigned long s_magic;
	char s_id[32];
	struct block_device *s_bdev;
} __attribute__((preserve_access_index));

/* fs/verity/fsverity_private.h, only for file_mprotect (below) */
struct fsverity_hash_alg {
	unsigned int digest_size;
} __attribute__((preserve_access_index));

struct merkle_tree_params {
	const struct fsverity_hash_alg *hash_alg;
} __attribute__((preserve_access_index));

struct fsverity_info {
	struct merkle_tree_params tree_params;
	__u8 file_digest[64];
} __attribute__((preserve_access_index));

/* i_verity_info: up to 6.x; 7.x keeps the fs-verity info in a hash table
 * (not reachable from here), and udmd then reads the digest with the kfunc
 * where the verifier trusts vma->vm_file (udm_fsv_mprotect below). */
struct inode {
	struct super_block *i_sb;
	unsigned long i_ino;
	unsigned short i_mode;
	__u32 i_rdev;
	unsigned int i_flags;
	struct fsverity_info *i_verity_info;
} __attribute__((preserve_access_index));

#define S_VERITY (1 << 16)

struct hlist_bl_node {
	struct hlist_bl_node *next, **pprev;
} __attribute__((preserve_access_index));

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry_operations {
	void *d_dname;
} __attribute__((preserve_access_index));

struct dentry {
	struct hlist_bl_node d_hash;
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	const struct dentry_operations *d_op;
	void *d_fsdata;
} __attribute__((preserve_access_index));

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
} __attribute__((preserve_access_index));

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} __attribute__((preserve_access_index));

/* fs/mount.h: a vfsmount is the mnt member of its struct mount */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
} __attribute__((preserve_access_index));

struct fs_struct {
	struct path root;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
	struct inode *f_inode;
} __attribute__((preserve_access_index));

/* is_check: 6.14+ (AT_EXECVE_CHECK), a bitfield (CO-RE reads it probed) */
struct linux_binprm {
	unsigned int is_check: 1;
	struct file *file;
} __attribute__((preserve_access_index));

struct vm_area_struct {
	unsigned long vm_flags;
	struct file *vm_file;
} __attribute__((preserve_access_index));

struct mm_struct {
	struct file *exe_file;
} __attribute__((preserve_access_index));

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct task_struct {
	struct mm_struct *mm;
	struct fs_struct *fs;
	int pid;
	int tgid;
	unsigned int ptrace;
	struct task_struct *group_leader;
	__u64 start_time;
	struct signal_struct *signal;
	struct files_struct *files;
} __attribute__((preserve_access_index));

/* drivers/block/loop.c (the loop module's BTF, or vmlinux's) */
struct loop_device {
	__s64 lo_offset;
	__s64 lo_sizelimit;
} __attribute__((preserve_access_index));

struct bpf_map {
	char name[16];
} __attribute__((preserve_access_index));

struct bpf_prog_aux {
	char name[16];
} __attribute__((preserve_access_index));

struct bpf_prog {
	struct bpf_prog_aux *aux;
} __attribute__((preserve_access_index));

enum kernel_read_file_id {
	READING_UNKNOWN, READING_FIRMWARE, READING_MODULE, READING_KEXEC_IMAGE,
	READING_KEXEC_INITRAMFS, READING_POLICY, READING_X509_CERTIFICATE,
	READING_MODULE_COMPRESSED,
};

enum kernel_load_data_id {
	LOADING_UNKNOWN, LOADING_FIRMWARE, LOADING_MODULE, LOADING_KEXEC_IMAGE,
	LOADING_KEXEC_INITRAMFS, LOADING_POLICY, LOADING_X509_CERTIFICATE,
};

/* Decisions, written by udmd: a policy (re)compile fills the slot that is not
 * live and then flips config.gen; a device's entry is deleted when a new table
 * is bound and rewritten when its resume publishes (both slots). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);   /* an update replaces, readers never see a half-written entry */
	__type(key, struct udm_bpf_key);
	__type(value, struct udm_bpf_decision);
} udm_decisions SEC(".maps");

/* One element, written by udmd at start and at every policy or switch change. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct udm_bpf_config);
} udm_config SEC(".maps");

/* Written by the programs, read by udmd. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct udm_bpf_stats);
} udm_stats SEC(".maps");

/* Mount-scoped mode: the superblocks decided (udmd: watch add/remove). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
} udm_scope SEC(".maps");

/* Loop devices udmd attached (kernel dev_t), written at attach and detach:
 * nobody else may rebind or reconfigure them, and their files have
 * properties only while they still serve the recorded binding. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct udm_bpf_loop);
} udm_loops SEC(".maps");

/* udm's own objects: link ids (key) that only udmd may open by id, and the
 * pin directory (key UDM_OBJ_PIN_INO: its inode number, UDM_OBJ_PIN_DEV: its
 * superblock). Written by udmd after attach. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} udm_objs SEC(".maps");

/* Decisions for files with an fs-verity digest that the policy names (6.8+:
 * bpf_get_fsverity_digest), written by udmd with the udm_decisions entry of
 * the same (dev, slot) and before it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct udm_bpf_fsv_key);
	__type(value, struct udm_bpf_decision);
} udm_fsv SEC(".maps");

/* Set by udmd before the load where the kernel has bpf_get_fsverity_digest
 * (its BTF): a read-only constant, so the verifier drops the kfunc call as dead
 * code elsewhere (libbpf 1.1 has no bpf_ksym_exists for kfuncs; the call is
 * an unresolved __weak kfunc there, which the kernel accepts only as dead code). */
const volatile __u32 udm_fsv_kfunc = 0;

/* How file_mprotect reads a digest, set by udmd from the kernel's BTF:
 * UDM_FSV_MPROTECT_FIELD reads inode->i_verity_info (6.x), UDM_FSV_MPROTECT_KFUNC
 * calls the kfunc on vma->vm_file (the verifier trusts it: 6.17+, 7.x),
 * UDM_FSV_MPROTECT_NONE has neither: an fs-verity file there fails closed. */
#define UDM_FSV_MPROTECT_NONE 0
#define UDM_FSV_MPROTECT_FIELD 1
#define UDM_FSV_MPROTECT_KFUNC 2
const volatile __u32 udm_fsv_mprotect = 0;

struct bpf_dynptr;
extern int bpf_get_fsverity_digest(struct file *file, struct bpf_dynptr *digest_ptr) __ksym __weak;

/* Audited decisions to udmd (AUDIT_IPE_ACCESS records). While udmd is down
 * they wait here; once it is full, new ones are counted in stats.dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);
} udm_audit SEC(".maps");


/* ---- the path of a file, for hooks that cannot call bpf_d_path ----
 * bpf_d_path is allowed in an LSM program only on a sleepable hook
 * (bpf_d_path_allowed: bpf_lsm_is_sleepable_hook; btf_allowlist_d_path lists
 * no LSM hook), and file_mprotect is not one on 6.1 nor 6.12. Reading the path
 * afterwards (/proc/PID/maps) races with the process's exit, so the program
 * rebuilds it at hook time as d_path does (fs/d_path.c prepend_path): the
 * names from the dentry up to the caller's root, crossing mounts, backwards
 * from the end of the event's buffer (no scratch memory another CPU or a
 * preempting program could share), with " (deleted)" for an unlinked file.
 * Renames racing with the walk are not excluded (d_path retries under
 * rename_lock). A path deeper than UDM_WALK_DEPTH steps or longer than the
 * buffer, or a pseudo file with a d_dname other than simple_dname, is left to
 * udmd's fallback. */
#define UDM_WALK_DEPTH 64
#define UDM_PMASK (UDM_BPF_PATH_MAX - 1)

/* fs/libfs.c: the d_dname of alloc_file_pseudo's files (memfd): "/NAME (deleted)" */
extern const void simple_dname __ksym __weak;

/* The walk runs under bpf_loop (one verification of the step, whatever the
 * depth) and builds in a per-CPU buffer; a non-sleepable program can still be
 * preempted by another on the same CPU, so the buffer carries an owner tag
 * (checked after the copy: a clobbered path is dropped, never printed). */
struct udm_pathbuf {
	__u64 owner;
	char buf[UDM_BPF_PATH_MAX + 256];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct udm_pathbuf);
} udm_pathbuf SEC(".maps");

struct walk_ctx {
	struct udm_pathbuf *pb;
	struct dentry *d, *root_d;
	struct vfsmount *m, *root_m;
	struct mount *mnt;
	__u64 mnt_off;
	__u32 pos, names;
	int state;          /* 0 walking, 1 done, -1 give up */
};

/* Put len bytes of src before pos; 0 when they do not fit. */
static __always_inline int prepend(struct udm_pathbuf *pb, __u32 *pos, const void *src, __u32 len)
{
	if (len > 255 || len + 1 > *pos)
		return 0;
	*pos -= len;
	return bpf_probe_read_kernel(&pb->buf[*pos & UDM_PMASK], len & 255, src) == 0;
}

static long walk_step(__u32 i, void *arg)
{
	/* locals only inside BPF_CORE_READ: a field of walk_ctx there would be
	 * relocated against the kernel's types */
	struct walk_ctx *c = arg;
	struct udm_pathbuf *pb = c->pb;
	struct dentry *d = c->d;
	struct vfsmount *m = c->m;
	struct mount *mnt = c->mnt;
	__u32 pos = c->pos;
	if (!pb)
		return 1;
	if (d == c->root_d && m == c->root_m) {
		c->state = 1;
		return 1;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == BPF_CORE_READ(m, mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt) {   /* the global root (or a detached mount) */
			c->state = 1;
			return 1;
		}
		c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = up;
		c->m = (struct vfsmount *)((char *)up + c->mnt_off);
		return 0;
	}
	if (d == parent) {   /* escaped the root: d_path stops here too */
		c->state = 1;
		return 1;
	}
	if (!prepend(pb, &pos, BPF_CORE_READ(d, d_name.name), BPF_CORE_READ(d, d_name.len)) || pos < 1) {
		c->state = -1;
		return 1;
	}
	pos--;
	pb->buf[pos & UDM_PMASK] = '/';
	c->pos = pos;
	c->names++;
	c->d = parent;
	return 0;
}

static __always_inline int walk_path(struct file *file, char *out, __u32 *start)
{
	static const char deleted[] = " (deleted)";
	__u32 zero = 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	struct walk_ctx c = {};
	struct udm_pathbuf *pb = bpf_map_lookup_elem(&udm_pathbuf, &zero);
	if (!pb)
		return 0;
	__u64 owner = bpf_ktime_get_ns() ^ ((__u64)bpf_get_prandom_u32() << 32);
	pb->owner = owner;
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *m = BPF_CORE_READ(file, f_path.mnt);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	void *dname = BPF_CORE_READ(d, d_op, d_dname);
	__u32 pos = UDM_BPF_PATH_MAX - 1;
	int pseudo = 0;
	c.pb = pb;
	c.root_d = BPF_CORE_READ(t, fs, root.dentry);
	c.root_m = BPF_CORE_READ(t, fs, root.mnt);
	c.d = d;
	c.m = m;
	c.mnt_off = bpf_core_field_offset(struct mount, mnt);
	c.mnt = (struct mount *)((char *)m - c.mnt_off);

	pb->buf[pos & UDM_PMASK] = 0;
	/* d_path gives d_dname's text unless the dentry is the root of its
	 * mount and of its tree */
	if (dname && !(d == parent && d == BPF_CORE_READ(m, mnt_root))) {
		if (!&simple_dname || dname != &simple_dname)
			return 0;
		if (!prepend(pb, &pos, deleted, sizeof(deleted) - 1) ||
		    !prepend(pb, &pos, BPF_CORE_READ(d, d_name.name), BPF_CORE_READ(d, d_name.len)))
			return 0;
		c.names = 1;
		c.state = 1;
		pseudo = 1;
	} else {
		/* d_unlinked: unhashed and not a root */
		if (!BPF_CORE_READ(d, d_hash.pprev) && d != parent &&
		    !prepend(pb, &pos, deleted, sizeof(deleted) - 1))
			return 0;
		c.pos = pos;
		bpf_loop(UDM_WALK_DEPTH, walk_step, &c, 0);
		pos = c.pos;
	}
	if (c.state != 1 || pos < 1)
		return 0;
	if (!c.names || pseudo)   /* "/" alone, or "/NAME (deleted)" */
		pb->buf[--pos & UDM_PMASK] = '/';
	if (bpf_probe_read_kernel(out, UDM_BPF_PATH_MAX, pb->buf))
		return 0;
	*start = pos & UDM_PMASK;
	return pb->owner == owner;
}

#include "kverity.bpf.h"
#include "overlay.bpf.h"

static __always_inline struct udm_bpf_config *config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&udm_config, &zero);
}

static __always_inline struct udm_bpf_stats *stats(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&udm_stats, &zero);
}

/* ---- who udmd is: the owner of udm's objects ----
 * Not a binary's identity: the process that holds the maps' fds names itself
 * (or its successor, at a handover) in config.owner_tgid, and the programs
 * bind that to the process's start time at its first check, so a reused pid
 * is nobody. A traced process is never the owner: a tracer could act through it. */
static __always_inline int task_is_owner(struct udm_bpf_config *cfg, struct task_struct *t)
{
	__u64 owner = cfg->owner_tgid;
	if (!owner || (__u64)BPF_CORE_READ(t, tgid) != owner)
		return 0;
	__u64 start = BPF_CORE_READ(t, group_leader, start_time);
	if (!cfg->owner_start)
		cfg->owner_start = start;   /* the owner's first check since it was named */
	return cfg->owner_start == start;
}

static __always_inline int is_owner(struct udm_bpf_config *cfg)
{
	struct task_struct *t = bpf_get_current_task_btf();
	return !BPF_CORE_READ(t, ptrace) && task_is_owner(cfg, t);
}

/* A slot in the audit ring, or NULL with the loss counted (stats.dropped). */
static __always_inline struct udm_bpf_event *event_reserve(void)
{
	struct udm_bpf_event *ev = bpf_ringbuf_reserve(&udm_audit, sizeof(*ev), 0);
	if (!ev) {
		struct udm_bpf_stats *s = stats();
		if (s)
			__sync_fetch_and_add(&s->dropped, 1);
	}
	return ev;
}

static __always_inline void audit(struct file *file, __u32 op, __u32 hook, __u32 gen, __u8 action,
				  __u8 match, __u32 rule, __u32 enforcing)
{
	struct udm_bpf_event *ev = event_reserve();
	if (!ev)
		return;
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	ev->gen = gen;
	ev->op = op;
	ev->hook = hook;
	ev->action = action;
	ev->match = match;
	ev->rule = rule;
	ev->enforcing = enforcing;
	ev->has_file = file != NULL;
	ev->has_inode = 0;
	ev->path_ok = 0;
	ev->dev = 0;
	ev->ino = 0;
	ev->s_id[0] = 0;
	ev->path[0] = 0;
	ev->path_off = 0;
	ev->kind = UDM_BPF_EV_ACCESS;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	if (file) {
		struct inode *inode = BPF_CORE_READ(file, f_inode);
		if (hook == UDM_BPF_HOOK_MPROTECT)
			ev->path_ok = walk_path(file, ev->path, &ev->path_off);
		else if (bpf_d_path(&file->f_path, ev->path, sizeof(ev->path)) > 0)
			ev->path_ok = 1;
		if (inode) {
			ev->has_inode = 1;
			ev->ino = BPF_CORE_READ(inode, i_ino);
			ev->dev = BPF_CORE_READ(inode, i_sb, s_dev);
			BPF_CORE_READ_STR_INTO(&ev->s_id, inode, i_sb, s_id);
		}
	}
	bpf_ringbuf_submit(ev, 0);
}

/* The kfunc writes into a dynptr over map memory (not the stack). Per-task
 * storage, not a per-CPU buffer: a sleepable program can be preempted between
 * the kfunc's write and the read below, and another task's digest must never
 * decide this file. */
struct udm_fsv_buf {
	__u16 alg;      /* struct fsverity_digest */
	__u16 size;
	__u8 digest[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct udm_fsv_buf);
} udm_fsvbuf SEC(".maps");

#define ENODATA 61

/* The decision for a file's fs-verity digest on superblock dev, if the policy
 * names that digest (NULL: the superblock's own entry decides). *fail: the
 * digest could not be read for another reason than "not an fs-verity file"
 * (decided as a missing entry: denied). Not inlined: the dynptr's stack slot
 * must not be reused by the caller's code (the verifier refuses that). */
static __noinline struct udm_bpf_decision *fsv_decision(struct file *file, struct inode *inode, __u64 devslot,
							int trusted, int *fail)
{
	__u32 dev = (__u32)devslot, slot = devslot >> 32;   /* a BPF call has five arguments at most */
	struct bpf_dynptr p;
	if (!udm_fsv_kfunc)
		return NULL;
	struct udm_fsv_buf *m = bpf_task_storage_get(&udm_fsvbuf, bpf_get_current_task_btf(), 0,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!m) {
		*fail = 1;
		return NULL;
	}
	m->size = 0;
	if (trusted) {
		if (bpf_dynptr_from_mem(m, sizeof(*m), 0, &p)) {
			*fail = 1;
			return NULL;
		}
		int r = bpf_get_fsverity_digest(file, &p);
		if (r == -ENODATA)
			return NULL;    /* not an fs-verity file */
		if (r < 0) {
			*fail = 1;
			return NULL;
		}
	} else {
		/* file_mprotect before 6.17: vma->vm_file is not a pointer the
		 * verifier trusts, so the kfunc refuses it; read what it reads
		 * (fsverity_get_info: S_VERITY, then i_verity_info's file digest;
		 * only SHA-256 and SHA-512 exist, told apart by their size). Where
		 * the field is gone the read is dead code (CO-RE), and an fs-verity
		 * file is not decided by its digest: it fails closed. The same read
		 * serves an overlay file (inode: its real one; the kfunc would ask
		 * the overlay inode, which has no fs-verity). */
		if (!(BPF_CORE_READ(inode, i_flags) & S_VERITY))
			return NULL;
		if (udm_fsv_mprotect != UDM_FSV_MPROTECT_FIELD || !bpf_core_field_exists(inode->i_verity_info)) {
			*fail = 1;
			return NULL;
		}
		struct fsverity_info *vi = BPF_CORE_READ(inode, i_verity_info);
		__u32 size = BPF_CORE_READ(vi, tree_params.hash_alg, digest_size);
		if (!vi || (size != 32 && size != 64) ||
		    bpf_probe_read_kernel(m->digest, sizeof(m->digest), &vi->file_digest)) {
			*fail = 1;
			return NULL;
		}
		m->alg = size == 32 ? UDM_BPF_FSV_SHA256 : UDM_BPF_FSV_SHA512;
		m->size = size;
	}
	if (!m->size || m->size > sizeof(m->digest)) {
		*fail = 1;
		return NULL;
	}
	struct udm_bpf_fsv_key fk = { .dev = dev, .slot = slot, .alg = m->alg, .len = m->size };
	__builtin_memcpy(fk.digest, m->digest, sizeof(fk.digest));
	if (m->size < sizeof(fk.digest))   /* the kfunc zero-fills; so does this */
		__builtin_memset(fk.digest + 32, 0, 32);
	return bpf_map_lookup_elem(&udm_fsv, &fk);
}

/* Does the block device under superblock sb still serve udmd's binding: a
 * ublk device's diskseq, or for a loop device the
 * recorded diskseq (bumped by every LOOP_CONFIGURE, SET_FD, CHANGE_FD and
 * detach), offset 0 and no size limit (LOOP_SET_STATUS changes those without a
 * new diskseq)? The ioctls are refused to others anyway (file_ioctl below);
 * this holds even if one got through. No loop type in the BTF: not live. */
static __always_inline int loop_live(struct super_block *sb, const struct udm_bpf_loop *lp)
{
	struct gendisk *disk = BPF_CORE_READ(sb, s_bdev, bd_disk);
	if (!disk || BPF_CORE_READ(disk, diskseq) != lp->diskseq)
		return 0;
	/* udmd serves every block of a ublk device itself: its diskseq is the
	 * disk's, and a takeover after a restart keeps it */
	if (lp->kind == UDM_BPF_BLK_UBLK)
		return 1;
	if (!bpf_core_type_exists(struct loop_device))
		return 0;
	struct loop_device *lo = BPF_CORE_READ(disk, private_data);
	return lo && BPF_CORE_READ(lo, lo_offset) == 0 && BPF_CORE_READ(lo, lo_sizelimit) == 0;
}

/* ipe_evaluate_event: the decision of op for file (NULL: no file). */
static __always_inline int evaluate(struct file *file, __u32 op, __u32 hook)
{
	struct udm_bpf_config *cfg = config();
	if (!cfg || !cfg->policy)
		return 0;       /* no active policy: IPE allows and audits nothing */
	__u32 gen = cfg->gen, enforcing = cfg->enforcing;
	struct udm_bpf_key k = { .dev = UDM_BPF_DEV_NOFILE, .slot = gen & 1 };
	struct inode *real = NULL;
	int via_ovl = 0;
	if (file)
		k.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	if (cfg->scoped && (!file || !bpf_map_lookup_elem(&udm_scope, &k.dev)))
		return 0;       /* mount-scoped roll-out: not one of the watched superblocks */
	if (file) {
		/* the properties are the real file's (overlay.bpf.h): the scope and
		 * the record stay the file's own superblock's, as IPE's record */
		real = real_inode(file, &via_ovl);
		k.dev = real ? BPF_CORE_READ(real, i_sb, s_dev) : UDM_BPF_DEV_NOPROPS;
		if (via_ovl && k.dev == cfg->boot_dev)
			k.dev = UDM_BPF_DEV_NOPROPS;
	}
	struct udm_bpf_loop *lp = file ? bpf_map_lookup_elem(&udm_loops, &k.dev) : NULL;
	if (lp && !loop_live(BPF_CORE_READ(real, i_sb), lp))
		k.dev = UDM_BPF_DEV_NOPROPS;   /* rebound, shifted or cut: not udmd's binding */
	struct udm_bpf_decision *d = bpf_map_lookup_elem(&udm_decisions, &k);
	if (d && !kentry_live(k.dev, d))
		d = NULL;       /* a kernel dm device's entry of a table no longer live */
	if (!d && file) {
		k.dev = UDM_BPF_DEV_NOPROPS;
		d = bpf_map_lookup_elem(&udm_decisions, &k);
	}
	if (d && d->fsv && file && real) {
		/* this generation's policy names fs-verity digests */
		int fail = 0;
		int trusted = !via_ovl &&
			      (hook != UDM_BPF_HOOK_MPROTECT || udm_fsv_mprotect == UDM_FSV_MPROTECT_KFUNC);
		struct udm_bpf_decision *f = fsv_decision(file, real, k.dev | (__u64)k.slot << 32, trusted, &fail);
		if (f && kentry_live(k.dev, f))
			d = f;
		else if (f || fail)
			d = NULL;   /* a kernel dm table no longer live, an unreadable digest: fail closed */
	}
	if (!d) {
		/* udmd always writes both defaults before it flips gen: a missing
		 * entry is a bug or tampering, and it fails closed */
		struct udm_bpf_stats *s = stats();
		if (s)
			__sync_fetch_and_add(&s->missing, 1);
		return enforcing ? -EACCES : 0;
	}
	if (op >= UDM_BPF_OPS)
		op = UDM_BPF_OP_INVALID;
	__u8 action = d->action[op], match = d->match[op];
	__u32 rule = d->rule[op];
	if (action != UDM_BPF_ALLOW || cfg->success_audit)
		audit(file, op, hook, gen, action, match, rule, enforcing);
	return action != UDM_BPF_ALLOW && enforcing ? -EACCES : 0;
}

SEC("lsm.s/bprm_check_security")
int BPF_PROG(udm_bprm_check, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return udm_prev(ret);
	return evaluate(bprm->file, UDM_BPF_OP_EXECUTE, UDM_BPF_HOOK_BPRM_CHECK);
}

/* AT_EXECVE_CHECK (6.14+): execveat(fd, "", ..., AT_EMPTY_PATH | AT_EXECVE_CHECK)
 * asks whether the file may be executed and stops after this hook, so
 * bprm_check_security never sees it. As IPE: only a check is decided here,
 * an ordinary exec is decided at bprm_check_security. udmd loads this
 * program only where the hook and bprm->is_check exist. */
SEC("lsm.s/bprm_creds_for_exec")
int BPF_PROG(udm_bprm_creds_for_exec, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return udm_prev(ret);
	if (!bpf_core_field_exists(bprm->is_check) || !BPF_CORE_READ_BITFIELD_PROBED(bprm, is_check))
		return 0;
	return evaluate(bprm->file, UDM_BPF_OP_EXECUTE, UDM_BPF_HOOK_BPRM_CREDS_FOR_EXEC);
}

/* The verifier takes a hook's pointer arguments as never NULL and removes
 * the "no file" branches as dead code, but mmap_file gets NULL for anonymous
 * memory: the argument's value is read as a number to decide. */
static __always_inline struct file *nullable_arg(unsigned long long *ctx, int i, struct file *file)
{
	__u64 raw = 0;
	bpf_probe_read_kernel(&raw, sizeof(raw), &ctx[i]);
	return raw ? file : NULL;
}

SEC("lsm.s/mmap_file")
int BPF_PROG(udm_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return udm_prev(ret);
	if (!(prot & PROT_EXEC))
		return 0;
	return evaluate(nullable_arg(ctx, 0, file), UDM_BPF_OP_EXECUTE, UDM_BPF_HOOK_MMAP);
}

/* not a sleepable hook: no bpf_d_path, the path is rebuilt by walk_path */
SEC("lsm/file_mprotect")
int BPF_PROG(udm_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	if (ret)
		return udm_prev(ret);
	if (BPF_CORE_READ(vma, vm_flags) & VM_EXEC)
		return 0;       /* already executable */
	if (!(prot & PROT_EXEC))
		return 0;
	/* a direct load (not BPF_CORE_READ): the verifier then knows vm_file as
	 * a kernel pointer it trusts (or NULL), which the fs-verity kfunc needs */
	return evaluate(vma->vm_file, UDM_BPF_OP_EXECUTE, UDM_BPF_HOOK_MPROTECT);
}

static __always_inline __u32 read_op(int id)
{
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_FIRMWARE))
		return UDM_BPF_OP_FIRMWARE;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE))
		return UDM_BPF_OP_KMODULE;
	if (bpf_core_enum_value_exists(enum kernel_read_file_id, READING_MODULE_COMPRESSED) &&
	    id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE_COMPRESSED))
		return UDM_BPF_OP_KMODULE;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_INITRAMFS))
		return UDM_BPF_OP_KEXEC_INITRAMFS;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_IMAGE))
		return UDM_BPF_OP_KEXEC_IMAGE;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_POLICY))
		return UDM_BPF_OP_POLICY;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_X509_CERTIFICATE))
		return UDM_BPF_OP_X509;
	return UDM_BPF_OP_INVALID;
}

static __always_inline __u32 load_op(int id)
{
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_FIRMWARE))
		return UDM_BPF_OP_FIRMWARE;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return UDM_BPF_OP_KMODULE;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_INITRAMFS))
		return UDM_BPF_OP_KEXEC_INITRAMFS;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_IMAGE))
		return UDM_BPF_OP_KEXEC_IMAGE;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_POLICY))
		return UDM_BPF_OP_POLICY;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_X509_CERTIFICATE))
		return UDM_BPF_OP_X509;
	return UDM_BPF_OP_INVALID;
}

SEC("lsm.s/kernel_read_file")
int BPF_PROG(udm_kernel_read_file, struct file *file, int id, _Bool contents, int ret)
{
	if (ret)
		return udm_prev(ret);
	return evaluate(nullable_arg(ctx, 0, file), read_op(id), UDM_BPF_HOOK_KERNEL_READ);
}

SEC("lsm/kernel_load_data")
int BPF_PROG(udm_kernel_load_data, int id, _Bool contents, int ret)
{
	if (ret)
		return udm_prev(ret);
	return evaluate(NULL, load_op(id), UDM_BPF_HOOK_KERNEL_LOAD);
}

#include "protect.bpf.h"
