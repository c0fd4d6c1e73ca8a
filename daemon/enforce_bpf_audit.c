/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF backend's audit records: each event its programs put in the audit
 * ring (enforce_bpf_load.c reads it) becomes IPE's access record, with the
 * rule text of the policy generation that decided, or udm's own record of its
 * self-protection; both go to daemon/audit.c's sinks. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce_bpf.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

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
		[UDM_BPF_PROT_UBLK_CMD] = "uring_cmd", [UDM_BPF_PROT_UBLK_OPEN] = "file_open",
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

void udmd_bpf_audit_event(void *arg, const struct udm_bpf_event *ev, const struct ipe_policy *pol)
{
	struct udmd_bpf_backend *b = arg;
	struct udmd *d = b->d;
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
		b->denied++;
	else
		b->allowed++;
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
