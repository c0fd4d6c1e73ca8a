/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm's BPF LSM protecting itself (included by enforce.bpf.c, whose maps,
 * owner checks and audit ring it shares; docs/enforcement.md "Self-protection"). */

/* ---- protection of the enforcement itself ----
 * Only the owner (is_owner above) reaches udm's maps, programs, links and
 * pins, and reconfigures its loop devices; every refusal is an EPERM and a
 * PROTECT event in the audit ring. When the owner has exited, the first
 * process to open one of udm's objects adopts them (ADOPT event), unless the
 * owner set config.locked (--lock) or the process is traced. */

/* The hook before us already refused: pass its verdict on, bounded as the
 * verifier of every kernel wants an LSM program's return value. */
static __always_inline int prev(int ret)
{
	return udm_prev(ret);   /* the clamp in the register returned (7.x checks it) */
}

static __always_inline void protect_event(__u32 kind, __u32 what, __u32 detail, __u32 dev)
{
	struct udm_bpf_event *ev = event_reserve();
	if (!ev)
		return;
	__builtin_memset(ev, 0, __builtin_offsetof(struct udm_bpf_event, path));
	ev->kind = kind;
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	ev->hook = what;
	ev->rule = detail;
	ev->dev = dev;
	ev->action = UDM_BPF_DENY;
	ev->path[0] = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
}

/* The verdict for the current process on one of udm's objects. */
static __always_inline int guard(struct udm_bpf_config *cfg, __u32 what, __u32 detail, __u32 dev)
{
	if (is_owner(cfg))
		return 0;
	protect_event(UDM_BPF_EV_PROTECT, what, detail, dev);
	return -EPERM;
}

/* A new fd on one of udm's objects: the owner's; or, with no owner, the
 * adoption by this process (one of two racing processes wins). */
static __always_inline int object_open(struct udm_bpf_config *cfg, __u32 what)
{
	if (is_owner(cfg))
		return 0;
	__u64 gone = cfg->owner_tgid;
	struct task_struct *t = bpf_get_current_task_btf();
	if (!gone && !cfg->locked && !BPF_CORE_READ(t, ptrace)) {
		__u64 me = (__u32)BPF_CORE_READ(t, tgid);
		if (__sync_val_compare_and_swap(&cfg->owner_tgid, 0, me) == 0) {
			cfg->owner_start = BPF_CORE_READ(t, group_leader, start_time);
			protect_event(UDM_BPF_EV_ADOPT, what, 0, 0);
			return 0;
		}
	}
	protect_event(UDM_BPF_EV_PROTECT, gone ? what : UDM_BPF_PROT_ADOPT, 0, 0);
	return -EPERM;
}

/* The owner's last thread has exited: nobody holds the objects but the pins. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(udm_owner_exit, struct task_struct *p)
{
	struct udm_bpf_config *cfg = config();
	__u64 owner = cfg ? cfg->owner_tgid : 0;
	if (!owner || (__u64)(__u32)BPF_CORE_READ(p, tgid) != owner)
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;       /* other threads of the owner still run */
	__u64 start = BPF_CORE_READ(p, group_leader, start_time);
	if (cfg->owner_start && cfg->owner_start != start)
		return 0;       /* an earlier process with the same pid */
	cfg->owner_start = 0;
	__sync_val_compare_and_swap(&cfg->owner_tgid, owner, 0);
	return 0;
}

#define LOOP_SET_FD 0x4C00
#define LOOP_CLR_FD 0x4C01
#define LOOP_SET_STATUS 0x4C02
#define LOOP_SET_STATUS64 0x4C04
#define LOOP_CHANGE_FD 0x4C06
#define LOOP_SET_CAPACITY 0x4C07
#define LOOP_SET_DIRECT_IO 0x4C08
#define LOOP_SET_BLOCK_SIZE 0x4C09
#define LOOP_CONFIGURE 0x4C0A

/* Every loop ioctl that changes what a loop device serves or how. */
static __always_inline int loop_ioctl(struct file *file, unsigned int cmd, __u32 what)
{
	if (cmd != LOOP_SET_FD && cmd != LOOP_CLR_FD && cmd != LOOP_CHANGE_FD && cmd != LOOP_CONFIGURE &&
	    cmd != LOOP_SET_STATUS && cmd != LOOP_SET_STATUS64 && cmd != LOOP_SET_CAPACITY &&
	    cmd != LOOP_SET_DIRECT_IO && cmd != LOOP_SET_BLOCK_SIZE)
		return 0;
	__u32 rdev = BPF_CORE_READ(file, f_inode, i_rdev);
	if (!bpf_map_lookup_elem(&udm_loops, &rdev))
		return 0;
	struct udm_bpf_config *cfg = config();
	return cfg ? guard(cfg, what, cmd, rdev) : -EPERM;
}

SEC("lsm.s/file_ioctl")
int BPF_PROG(udm_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return prev(ret);
	return loop_ioctl(file, cmd, UDM_BPF_PROT_LOOP_IOCTL);
}

/* 6.8+: a 32-bit ioctl (compat_sys_ioctl, also int $0x80 from a 64-bit
 * process) comes here, not to file_ioctl. Loaded where the hook exists. */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(udm_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return prev(ret);
	return loop_ioctl(file, cmd, UDM_BPF_PROT_LOOP_IOCTL_COMPAT);
}

static __always_inline int udm_name(const char *name)
{
	char n[4];
	if (bpf_probe_read_kernel(n, sizeof(n), name))
		return 0;
	return n[0] == 'u' && n[1] == 'd' && n[2] == 'm' && n[3] == '_';
}

SEC("lsm/bpf_map")
int BPF_PROG(udm_bpf_map, struct bpf_map *map, unsigned int fmode, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !udm_name(map->name))
		return 0;
	return object_open(cfg, UDM_BPF_PROT_BPF_MAP);
}

SEC("lsm/bpf_prog")
int BPF_PROG(udm_bpf_prog, struct bpf_prog *prog, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !udm_name(BPF_CORE_READ(prog, aux)->name))
		return 0;
	return object_open(cfg, UDM_BPF_PROT_BPF_PROG);
}

#define CMD_LINK_GET_FD_BY_ID 30   /* enum bpf_cmd, uapi */

SEC("lsm/bpf")
int BPF_PROG(udm_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	if (ret)
		return prev(ret);
	if (cmd != CMD_LINK_GET_FD_BY_ID)
		return 0;
	__u32 id = BPF_CORE_READ(attr, link_id);
	if (!bpf_map_lookup_elem(&udm_objs, &id))
		return 0;
	struct udm_bpf_config *cfg = config();
	return cfg ? guard(cfg, UDM_BPF_PROT_LINK, id, 0) : -EPERM;
}

/* The pins: a link pinned in bpffs and held by nobody else is detached when
 * its last name goes, so the names are protected like the links. */
static __always_inline __u64 obj(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&udm_objs, &key);
	return v ? *v : 0;
}

static __always_inline int pin_dir(struct inode *dir)
{
	__u64 ino = obj(UDM_OBJ_PIN_INO);
	return ino && BPF_CORE_READ(dir, i_ino) == ino &&
	       BPF_CORE_READ(dir, i_sb, s_dev) == obj(UDM_OBJ_PIN_DEV);
}

/* Every name in the pin directory is reached through a lookup in it (MAY_EXEC
 * on the directory): BPF_OBJ_GET of a pinned link (which no bpf_* hook sees),
 * stat, unlink. Listing the names is not refused. */
#define MAY_EXEC 0x1

SEC("lsm/inode_permission")
int BPF_PROG(udm_inode_permission, struct inode *inode, int mask, int ret)
{
	if (ret)
		return prev(ret);
	if (!(mask & MAY_EXEC) || !pin_dir(inode))
		return 0;
	struct udm_bpf_config *cfg = config();
	if (!cfg)
		return -EPERM;
	if (!cfg->owner_tgid && !cfg->locked && !BPF_CORE_READ(bpf_get_current_task_btf(), ptrace))
		return 0;       /* the owner has exited: the lookup of an adoption (bpf_map decides) */
	return guard(cfg, UDM_BPF_PROT_PIN_LOOKUP, 0, obj(UDM_OBJ_PIN_DEV));
}

SEC("lsm/inode_unlink")
int BPF_PROG(udm_inode_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !pin_dir(dir))
		return 0;
	return guard(cfg, UDM_BPF_PROT_PIN_UNLINK, 0, obj(UDM_OBJ_PIN_DEV));
}

SEC("lsm/inode_rename")
int BPF_PROG(udm_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !(pin_dir(old_dir) || pin_dir(new_dir)))
		return 0;
	return guard(cfg, UDM_BPF_PROT_PIN_RENAME, 0, obj(UDM_OBJ_PIN_DEV));
}

/* The mount of the pins' bpffs, learnt when the owner opens the pin directory
 * (udmd does at start): an unmount of it, or of any mount above it (umount -l
 * /sys), would free the pins once udmd is gone. */
SEC("lsm/file_open")
int BPF_PROG(udm_file_open, struct file *file, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !cfg->owner_tgid || (bpf_get_current_pid_tgid() >> 32) != cfg->owner_tgid)
		return 0;
	if (!pin_dir(BPF_CORE_READ(file, f_inode)) || !is_owner(cfg))
		return 0;
	__u32 k = UDM_OBJ_PIN_MNT;
	__u64 m = (__u64)BPF_CORE_READ(file, f_path.mnt) - bpf_core_field_offset(struct mount, mnt);
	bpf_map_update_elem(&udm_objs, &k, &m, BPF_ANY);
	return 0;
}

struct mnt_walk {
	struct mount *m;
	struct mount *target;
	int found;
};

static long mnt_up(__u32 i, void *arg)
{
	struct mnt_walk *w = arg;
	struct mount *m = w->m;
	if (m == w->target) {
		w->found = 1;
		return 1;
	}
	struct mount *up = BPF_CORE_READ(m, mnt_parent);
	if (!up || up == m)
		return 1;
	w->m = up;
	return 0;
}

/* Is vfsmount mnt the pins' mount or one of its ancestors? */
static __always_inline int holds_pins(struct vfsmount *mnt)
{
	if (BPF_CORE_READ(mnt, mnt_sb, s_dev) == obj(UDM_OBJ_PIN_DEV))
		return 1;
	struct mnt_walk w = { .m = (struct mount *)obj(UDM_OBJ_PIN_MNT),
			      .target = (struct mount *)((char *)mnt - bpf_core_field_offset(struct mount, mnt)) };
	if (!w.m)
		return 0;
	bpf_loop(32, mnt_up, &w, 0);
	return w.found;
}

SEC("lsm/sb_umount")
int BPF_PROG(udm_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !obj(UDM_OBJ_PIN_INO) || !holds_pins(mnt))
		return 0;
	return guard(cfg, UDM_BPF_PROT_UMOUNT, flags, BPF_CORE_READ(mnt, mnt_sb, s_dev));
}

SEC("lsm/sb_remount")
int BPF_PROG(udm_sb_remount, struct super_block *sb, void *mnt_opts, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	__u32 dev = BPF_CORE_READ(sb, s_dev);
	if (!cfg || !obj(UDM_OBJ_PIN_INO) || dev != obj(UDM_OBJ_PIN_DEV))
		return 0;
	return guard(cfg, UDM_BPF_PROT_REMOUNT, 0, dev);
}

/* mount(2) onto a directory of the pins' bpffs (its root included: a mount
 * over /sys/fs/bpf lands there), and a reconfiguring mount(2) of it. */
#define MS_REMOUNT 32

SEC("lsm/sb_mount")
int BPF_PROG(udm_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	__u32 dev = BPF_CORE_READ(path, dentry, d_inode, i_sb, s_dev);
	if (!cfg || !obj(UDM_OBJ_PIN_INO) || dev != obj(UDM_OBJ_PIN_DEV))
		return 0;
	return guard(cfg, flags & MS_REMOUNT ? UDM_BPF_PROT_REMOUNT : UDM_BPF_PROT_MOUNT, 0, dev);
}

SEC("lsm/move_mount")
int BPF_PROG(udm_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !obj(UDM_OBJ_PIN_INO))
		return 0;
	__u32 pins = obj(UDM_OBJ_PIN_DEV);
	if (BPF_CORE_READ(to_path, dentry, d_inode, i_sb, s_dev) != pins &&
	    BPF_CORE_READ(from_path, mnt, mnt_sb, s_dev) != pins)
		return 0;
	return guard(cfg, UDM_BPF_PROT_MOVE_MOUNT, 0, pins);
}

/* Attaching to udmd, or reading or writing its memory (/proc/PID/mem,
 * process_vm_readv/writev, pidfd_getfd: all PTRACE_MODE_ATTACH). Read-mode
 * checks are let through: they guard /proc/PID/exe, environ, maps and the fd
 * links, which journald reads for every line udmd logs (refusing them made
 * each record produce another) and ps, lsof and systemd read too. None of them
 * gives a handle on what enforcement rests on: the BPF objects are anonymous
 * inodes that a reopen through /proc does not give back, the pin directory is
 * guarded by inode_permission whatever path reaches it, and udm's loop
 * devices by their ioctl guards (docs/enforcement.md "Threat model"). */
#define UDM_PTRACE_MODE_ATTACH 0x02
SEC("lsm/ptrace_access_check")
int BPF_PROG(udm_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
	if (ret)
		return prev(ret);
	if (!(mode & UDM_PTRACE_MODE_ATTACH))
		return 0;
	struct udm_bpf_config *cfg = config();
	if (!cfg || !task_is_owner(cfg, child))
		return 0;
	return guard(cfg, UDM_BPF_PROT_PTRACE, mode, BPF_CORE_READ(child, tgid));
}

/* PTRACE_TRACEME by udmd itself: its parent would trace it. (A process traced
 * before it runs udmd's binary is never the owner: is_owner.) */
SEC("lsm/ptrace_traceme")
int BPF_PROG(udm_ptrace_traceme, struct task_struct *parent, int ret)
{
	if (ret)
		return prev(ret);
	struct udm_bpf_config *cfg = config();
	if (!cfg || !task_is_owner(cfg, bpf_get_current_task_btf()))
		return 0;
	protect_event(UDM_BPF_EV_PROTECT, UDM_BPF_PROT_TRACEME, 0, BPF_CORE_READ(parent, tgid));
	return -EPERM;
}

/* prctl(PR_SET_MM, PR_SET_MM_EXE_FILE or PR_SET_MM_MAP): refused to udmd, and
 * to anyone naming udmd's executable (the fd is read from the caller's own
 * table; exe_file is no credential here, so this only keeps claims honest). */
#define PR_SET_MM 35
#define PR_SET_MM_EXE_FILE 13
#define PR_SET_MM_MAP 14

struct prctl_mm_map_head {   /* uapi struct prctl_mm_map, up to exe_fd */
	__u64 start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	__u64 arg_start, arg_end, env_start, env_end;
	__u64 *auxv;
	__u32 auxv_size;
	__u32 exe_fd;
};

static __always_inline int fd_is_udmd(struct udm_bpf_config *cfg, int fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	struct inode *i = BPF_CORE_READ(f, f_inode);
	return cfg->exe_ino && BPF_CORE_READ(i, i_ino) == cfg->exe_ino &&
	       BPF_CORE_READ(i, i_sb, s_dev) == cfg->exe_dev;
}

SEC("lsm/task_prctl")
int BPF_PROG(udm_task_prctl, int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
	     unsigned long arg5, int ret)
{
	if (ret)
		return prev(ret);
	if (option != PR_SET_MM || (arg2 != PR_SET_MM_EXE_FILE && arg2 != PR_SET_MM_MAP))
		return 0;
	struct udm_bpf_config *cfg = config();
	if (!cfg)
		return 0;
	int fd = -1;
	if (arg2 == PR_SET_MM_EXE_FILE) {
		fd = (int)arg3;
	} else {
		struct prctl_mm_map_head h;
		if (arg4 < sizeof(h) || bpf_probe_read_user(&h, sizeof(h), (void *)arg3))
			return 0;   /* the kernel refuses it too */
		fd = (int)h.exe_fd;
	}
	if (!task_is_owner(cfg, bpf_get_current_task_btf()) && !fd_is_udmd(cfg, fd))
		return 0;
	protect_event(UDM_BPF_EV_PROTECT, UDM_BPF_PROT_PRCTL, (__u32)arg2, 0);
	return -EPERM;
}
