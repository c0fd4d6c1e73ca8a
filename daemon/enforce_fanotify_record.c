/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend's records (enforce_fanotify.h): the AUDIT_IPE_ACCESS
 * record of a decision, in the kernel's format, with what only a record
 * needs and a decision does not: the file's path, the command and the disk
 * name, read only when a record is written. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce_fanotify.h"
#include "daemon/udmd.h"

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

void fan_record(struct udmd *d, const struct fan_event *ev, const struct ipe_decision *dec, bool enforcing)
{
	char comm[32], dev[64], rec[2048];
	char link[64], path[PATH_MAX] = "?";
	snprintf(link, sizeof(link), "/proc/self/fd/%d", ev->fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n >= 0)
		path[n] = '\0';
	process_comm(ev->pid, comm, sizeof(comm));
	superblock_id(ev->st->st_dev, dev, sizeof(dev));
	struct ipe_audit_subject s = { .pid = ev->pid, .comm = comm, .has_file = true, .path = path,
				       .has_inode = true, .dev = dev, .ino = ev->st->st_ino };
	ipe_audit_access(rec, sizeof(rec), dec, IPE_HOOK_BPRM_CHECK, enforcing, &s);
	udmd_audit_access(d, rec, dec, IPE_HOOK_BPRM_CHECK, enforcing, path, ev->pid);
}
