/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The contract between udmd and daemon/bpf/enforce.bpf.c: map keys, values and
 * the audit event, shared by both sides (fixed-width types only). */
#ifndef UDMD_BPF_ENFORCE_MAPS_H
#define UDMD_BPF_ENFORCE_MAPS_H

#ifndef __BPF__
#include <linux/types.h>
#endif

/* IPE's ops (lib/ipe/ipe.h enum ipe_op order), INVALID last. */
#define UDM_BPF_OPS 8
#define UDM_BPF_OP_EXECUTE 0
#define UDM_BPF_OP_FIRMWARE 1
#define UDM_BPF_OP_KMODULE 2
#define UDM_BPF_OP_KEXEC_IMAGE 3
#define UDM_BPF_OP_KEXEC_INITRAMFS 4
#define UDM_BPF_OP_POLICY 5
#define UDM_BPF_OP_X509 6
#define UDM_BPF_OP_INVALID 7

/* Hooks (enum ipe_hook order). */
#define UDM_BPF_HOOK_BPRM_CHECK 0
#define UDM_BPF_HOOK_MMAP 1
#define UDM_BPF_HOOK_MPROTECT 2
#define UDM_BPF_HOOK_KERNEL_READ 3
#define UDM_BPF_HOOK_KERNEL_LOAD 4
#define UDM_BPF_HOOK_BPRM_CREDS_FOR_EXEC 5

/* Pseudo devices of the decisions map: a file whose superblock has no entry
 * takes NOPROPS (no dm-verity, not boot_verified); no file takes NOFILE. Real
 * devices are kernel dev_t values (MAJOR << 20 | MINOR), never this large. */
#define UDM_BPF_DEV_NOPROPS 0xffffffffu
#define UDM_BPF_DEV_NOFILE 0xfffffffeu

/* Match kinds (enum ipe_match order). */
#define UDM_BPF_MATCH_RULE 0
#define UDM_BPF_MATCH_TABLE 1
#define UDM_BPF_MATCH_GLOBAL 2

#define UDM_BPF_ALLOW 0
#define UDM_BPF_DENY 1

/* decisions map key: a superblock (or pseudo device) in one of two
 * generations. udmd fills the generation that is not live, then flips
 * udm_config.gen: a policy switch changes every decision at one store. */
struct udm_bpf_key {
	__u32 dev;
	__u32 slot;   /* gen & 1 */
};

/* First-match decision of every op for the files of one superblock. */
struct udm_bpf_decision {
	__u8 action[UDM_BPF_OPS];
	__u8 match[UDM_BPF_OPS];
	__u32 rule[UDM_BPF_OPS];    /* index in the op's rule table (MATCH_RULE) */
	__u64 kseq;                 /* kernel dm device: the udm_kseq value of the table it
				     * was computed from (docs/kernel-verity.md); 0 otherwise */
	__u32 fsv;                  /* this generation's policy has fsverity_digest rules: a
				     * file with a digest looks up udm_fsv (same dev and slot) */
	__u32 pad;
};

/* fs-verity algorithm numbers (FS_VERITY_HASH_ALG_*) */
#define UDM_BPF_FSV_SHA256 1
#define UDM_BPF_FSV_SHA512 2

/* fsv map key: the decision for a file with this fs-verity digest on superblock
 * dev (a udm_decisions dev, NOPROPS included) in slot; a digest no rule names
 * has no entry (the dev's own entry decides, as for a file without fs-verity). */
struct udm_bpf_fsv_key {
	__u32 dev;
	__u32 slot;
	__u16 alg;                  /* UDM_BPF_FSV_* */
	__u16 len;
	__u8 digest[64];
};

/* udm_kseq values: the programs on dm_swap_table write (n << 1) | 1 before a
 * table is bound and (m << 1) after, n and m from one global counter
 * (UDM_KSEQ_COUNTER in udm_objs); udmd initialises a device it finds with no
 * value to an even value with the top bit set. Never the same value twice. */
#define UDM_KSEQ_BUSY 1ull
#define UDM_KSEQ_UDMD (1ull << 63)

/* What the kernel told the LSMs at a dm-verity device's preresume
 * (security_bdev_setintegrity, 6.12+), keyed by the device's dev_t. */
struct udm_bpf_kprops {
	__u64 seq;          /* udm_kseq of the device when it was told */
	__u64 bdev;         /* the struct block_device (bdev_free_security drops its own only) */
	__u32 digest_len;
	__u8 has_hash;      /* LSM_INT_DMVERITY_ROOTHASH with a value */
	__u8 sig_valid;     /* LSM_INT_DMVERITY_SIG_VALID with a value */
	__u8 pad[2];
	char alg[32];
	__u8 digest[64];
};

/* config map, one element, written by udmd (the holder of the map's fd) and, for
 * the owner fields only, by the programs (docs/enforcement.md "Self-protection"). */
struct udm_bpf_config {
	__u32 gen;            /* live generation; its low bit is the live slot */
	__u32 policy;         /* 0: no active policy, everything is allowed unaudited */
	__u32 enforcing;      /* 0: permissive (audit enforcing=0, allow) */
	__u32 success_audit;
	__u32 scoped;         /* 1: decide only files on superblocks in the scope map */
	__u32 boot_dev;       /* the boot superblock (kernel dev_t, 0: none): an overlay file
			       * whose data is there is not boot_verified (IPE: the file's
			       * own superblock is the overlay's) and gets no properties */
	__u64 owner_tgid;     /* the udmd that holds udm's objects (0: none, it has exited);
			       * only it may reach them, the pins and udm's loop devices
			       * (64 bits: the programs compare-and-swap it) */
	__u64 owner_start;    /* its start time (task start_time, ns): written by the programs
			       * at the owner's first check (0 until then), so a reused pid
			       * is never the owner */
	__u64 exe_ino;        /* udmd's executable (dev, ino): no process may make it its
			       * exe_file (prctl PR_SET_MM); not a credential */
	__u32 exe_dev;
	__u32 locked;         /* --lock: once the owner is gone nobody adopts the objects */
	__u64 policy_tag;     /* hash of the live policy's text: a restarted udmd that
			       * restores the same policy can still name its rules */
};

/* loops map value: a block device udmd attached (a loop device, or a ublk
 * device it serves), as it recorded the binding. The programs give its files
 * properties only while the device still serves exactly that binding: same
 * diskseq and, for a loop device, offset 0 and no size limit. */
#define UDM_BPF_BLK_LOOP 0
#define UDM_BPF_BLK_UBLK 1
struct udm_bpf_loop {
	__u64 diskseq;
	__u32 kind;           /* UDM_BPF_BLK_* */
	__u32 pad;
};

/* stats map, one element, written by the programs. */
struct udm_bpf_stats {
#ifdef UDM_TEST_LAYOUT
	__u64 test_pad;       /* test builds only (make UDM_TEST_LAYOUT=1): another layout (t4170) */
#endif
	__u64 dropped;        /* audit events lost to a full ring buffer */
	__u64 missing;        /* decisions with no entry (denied: fail closed) */
};

/* udm_objs keys besides link ids (ids start at 1) */
#define UDM_OBJ_PIN_INO 0u
#define UDM_OBJ_PIN_DEV 0xffffffffu
#define UDM_OBJ_KSEQ_COUNTER 0xfffffffeu   /* the global counter of udm_kseq values */
#define UDM_OBJ_PIN_MNT 0xfffffffdu        /* the struct mount of the pins' bpffs (written by
					    * the programs when the owner opens the pin dir) */
#define UDM_OBJ_UBLK_CTL 0xfffffffcu       /* the dev_t of /dev/ublk-control, while udm_ublk
					    * has entries (udmd writes it before the first) */
#define UDM_OBJ_UBLKC_MAJOR 0xfffffffbu    /* the major of /dev/ublkcN (ublk-char), likewise */

#define UDM_BPF_PATH_MAX 4096
#define UDM_BPF_SID_LEN 32

/* Event kinds. ACCESS: an audited decision (op, hook, action, match, rule, file).
 * PROTECT: a refused attempt on udm's own objects (hook: UDM_BPF_PROT_*, rule: the
 * ioctl command, prctl option, ublk command or open flags, dev: the loop device,
 * bpffs superblock or /dev/ublkcN).
 * ADOPT: the programs let this process adopt the objects of an owner that had
 * exited (dev: the former owner's tgid). */
#define UDM_BPF_EV_ACCESS 0
#define UDM_BPF_EV_PROTECT 1
#define UDM_BPF_EV_ADOPT 2

/* What a PROTECT event refused (the hook it came from). */
#define UDM_BPF_PROT_LOOP_IOCTL 1        /* file_ioctl on a udm loop device */
#define UDM_BPF_PROT_LOOP_IOCTL_COMPAT 2 /* file_ioctl_compat on a udm loop device */
#define UDM_BPF_PROT_BPF_MAP 3           /* a new fd on a udm map (bpf_map) */
#define UDM_BPF_PROT_BPF_PROG 4          /* a new fd on a udm program (bpf_prog) */
#define UDM_BPF_PROT_LINK 5              /* a udm link by id (bpf) */
#define UDM_BPF_PROT_PIN_LOOKUP 6        /* a lookup in the pin directory (inode_permission) */
#define UDM_BPF_PROT_PIN_UNLINK 7        /* inode_unlink in the pin directory */
#define UDM_BPF_PROT_PIN_RENAME 8        /* inode_rename from or into it */
#define UDM_BPF_PROT_UMOUNT 9            /* sb_umount of the pins' bpffs or a mount above it */
#define UDM_BPF_PROT_REMOUNT 10          /* sb_remount of the pins' bpffs */
#define UDM_BPF_PROT_MOUNT 11            /* sb_mount onto the pins' bpffs */
#define UDM_BPF_PROT_MOVE_MOUNT 12       /* move_mount onto or of it */
#define UDM_BPF_PROT_PTRACE 13           /* ptrace_access_check of udmd */
#define UDM_BPF_PROT_TRACEME 14          /* PTRACE_TRACEME by udmd */
#define UDM_BPF_PROT_PRCTL 15            /* PR_SET_MM exe file by udmd, or to udmd's file */
#define UDM_BPF_PROT_ADOPT 16            /* adoption refused: --lock, or a traced process */
#define UDM_BPF_PROT_UBLK_CMD 17         /* uring_cmd: a /dev/ublk-control command on a udm ublk device */
#define UDM_BPF_PROT_UBLK_OPEN 18        /* file_open of the /dev/ublkcN of a udm ublk device */

/* One audited event, for udmd to format (ACCESS: as AUDIT_IPE_ACCESS). */
struct udm_bpf_event {
	__u32 tgid;
	__u32 gen;            /* the policy generation that decided */
	__u64 ino;
	__u32 dev;
	__u32 rule;
	__u8 op, hook, action, match;
	__u8 enforcing, has_file, has_inode, path_ok;
	char comm[16];
	char s_id[UDM_BPF_SID_LEN];
	__u32 path_off;       /* the path starts at path[path_off] (built backwards) */
	__u32 kind;           /* UDM_BPF_EV_* */
	char path[UDM_BPF_PATH_MAX];
};

#endif
