/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF enforcer's state, shared by its two halves: enforce_bpf_maps.c (what goes into the
 * maps: policies, devices, kernel dm devices) and enforce_bpf_load.c (load, attach, pins,
 * adoption after a restart, the audit ring buffer). Private to udmd. */
#ifndef UDMD_ENFORCE_BPF_INT_H
#define UDMD_ENFORCE_BPF_INT_H
#include <pthread.h>
#include <stdbool.h>
#include <sys/sysmacros.h>
#include <bpf/libbpf.h>
#include "daemon/enforce_bpf.h"
#include "enforce.skel.h"

#define MAX_DEVS 256
#define POLICY_HISTORY 4    /* generations whose rule texts late audit events may still name */

/* A superblock with an entry of its own: a loop device serving a udm device. */
struct dev_entry {
	dev_t udm_dev;              /* 0: free slot */
	__u32 kdev;                 /* kernel dev_t of the loop device, 0 until attached */
	struct udm_integrity blob;  /* the published blob, has_roothash false when cleared */
};

/* A kernel dm device whose entry udmd wrote, for the kseq it was read at. */
struct kdev_entry {
	__u32 kdev;                 /* 0: free slot */
	__u64 kseq;
	struct udm_integrity blob;
};

struct udmd_bpf {
	struct udm_enforce *skel;
	char pin_dir[256];
	int link_fds[48];
	char link_names[48][40];    /* their pin names: "link_PROG" */
	int nlinks;
	int lock_fd;                /* the pin directory, flock()ed for udmd's life */
	int fd_decisions, fd_config, fd_stats, fd_scope, fd_loops, fd_objs, fd_audit, fd_kseq, fd_kprops;
	int fd_fsv;
	int fd_ublk;                /* udm_ublk: the ublk devices udmd serves (protect.bpf.h) */
	bool fsv_kfunc;             /* the programs read fs-verity digests (bpf_get_fsverity_digest) */
	int fsv_mprotect;           /* how file_mprotect reads one: 0 not, 1 i_verity_info, 2 the kfunc */
	bool execve_check;          /* bprm_creds_for_exec decides AT_EXECVE_CHECK (6.14+) */
	bool policy_set;            /* this process wrote a generation (set_policy) */

	pthread_mutex_t lock;       /* everything below; leaf lock (called under device locks) */
	struct udm_bpf_config cfg;
	struct ipe_policy *pol;     /* referenced, the live generation's */
	struct { __u32 gen; struct ipe_policy *pol; } hist[POLICY_HISTORY];
	__u32 boot_kdev;
	struct dev_entry devs[MAX_DEVS];
	struct kdev_entry kdevs[MAX_DEVS];
	int ublk_ids[MAX_DEVS];     /* the ublk ids this udmd holds (udmd_bpf_ublk) */
	int n_ublk;
	bool kswap;                 /* the dm_swap_table programs are attached */
	bool ksetintegrity;         /* the bdev_setintegrity programs are attached (6.12+) */
	__u64 kinit_last;           /* the last udm_kseq value udmd made up */
	long last_update_us;        /* the last policy compile + map update + switch */

	struct ring_buffer *rb;
	udmd_bpf_audit_fn audit;
	void *audit_arg;
	pthread_t thread;
	int stop_fd;
	bool thread_started;
	/* a layout switch: the objects handed over (or pinned) came from a udmd whose
	 * maps have another layout; they keep deciding until udmd_bpf_relayout_finish
	 * attaches this object's programs on its filled maps and replaces them */
	bool relayout;
	int old_links[64];          /* the old links (detached at the switch) */
	int nold;
	int old_audit;              /* the old audit ring, drained once at the switch (-1) */
};

static inline __u32 kdev_of(dev_t st_dev)
{
	return (__u32)((major(st_dev) << 20) | minor(st_dev));
}

/* map writes, lock held (enforce_bpf_maps.c) */
void udmd_bpf_put_config(struct udmd_bpf *e);
void udmd_bpf_clear_fsv(struct udmd_bpf *e, __u32 slot, bool devices);
#endif
