/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control commands of the daemon itself: ping (liveness, for scripts),
 * status (udm status --daemon: what udmd runs with, the enforcer it picked)
 * and shutdown (the client keeps its connection and sees EOF once udmd is gone).
 * A shutdown that would pull devices from under a mount or an opener is
 * refused (EBUSY) unless forced, like remove of an open device. */
#include <errno.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/export.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

static int cmd_ping(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)d;
	(void)req;
	udmd_printf(out, "udmd %s pid %ld\n", UDM_LIB_VERSION, (long)getpid());
	return 0;
}

static int cmd_daemon_status(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	udmd_printf(out, "udmd: %s pid %ld\nruntime dir: %s\n", UDM_LIB_VERSION, (long)getpid(), d->cfg.runtime_dir);
	udmd_printf(out, "export: %s\n", udmd_export_name());
	struct ipe_policy *pol = d->ipe ? ipe_store_get_active(d->ipe) : NULL;
	udmd_printf(out, "active policy: %s\nenforcing: %s\n", pol ? pol->name : "none",
		    !d->ipe || ipe_store_enforcing(d->ipe) ? "yes" : "no (permissive)");
	if (pol)
		ipe_policy_put(pol);
	unsigned long long denied, allowed;
	const char *note = udmd_enforce_counts(d, &denied, &allowed);
	udmd_printf(out, "decisions: %llu denied, %llu allowed%s\n", denied, allowed, note);
	udmd_audit_status(out);
	udmd_ipe_trust_status(out);
	/* "enforcer: bpf|fanotify" and that backend's state */
	udmd_enforce_status(d, out);
	return 0;
}

/* Devices in use: a claimed (mounted) loop device, or openers besides the
 * loop device udmd attached. Prints "NAME (why)" for each into out, separated
 * by ", " (list) or one per line (!list). Returns how many. */
static int busy_devices(struct udmd *d, struct udmd_out *out, bool list)
{
	struct udm_name_entry *e;
	size_t n;
	if (udm_list_devices(d->ctx, &e, &n))
		return 0;
	int busy = 0;
	for (size_t i = 0; i < n; i++) {
		struct udm_info info;
		if (udm_dev_info(d->ctx, UDM_BY_NAME(e[i].name), 0, &info))
			continue;
		struct export_blk blk;
		bool attached = udmd_export_find(d, info.dev, &blk) == 0;
		bool claimed = attached && udmd_export_claimed(d, info.dev);
		int others = info.open_count - (attached ? 1 : 0);
		if (!claimed && others <= 0)
			continue;
		if (list)
			udmd_printf(out, "%s%s (", busy ? ", " : "", info.name);
		else
			udmd_printf(out, "tearing down %s (", info.name);
		if (claimed)
			udmd_printf(out, "%s mounted or claimed%s", blk.path, others > 0 ? ", " : "");
		if (others > 0)
			udmd_printf(out, "open %d time%s", others, others > 1 ? "s" : "");
		udmd_printf(out, list ? ")" : ")\n");
		busy++;
	}
	free(e);
	return busy;
}

static int cmd_shutdown(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	if (!(req->flags & UDM_PROTO_F_FORCE)) {
		struct udmd_out tmp = { 0 };
		int busy = busy_devices(d, &tmp, true);
		if (busy) {
			udmd_printf(out, "%d device%s in use: %s; unmount or close %s, or use --force", busy,
				    busy > 1 ? "s" : "", tmp.buf ? tmp.buf : "", busy > 1 ? "them" : "it");
			free(tmp.buf);
			return -EBUSY;
		}
		free(tmp.buf);
	} else if (busy_devices(d, out, false)) {
		udmd_log("shutdown --force: tearing down devices in use");
	}
	udmd_request_stop(d);
	return 0;
}

static const struct udmd_cmd sys_cmds[] = {
	{ .id = UDM_CMD_PING, .name = "ping", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_ping },
	{ .id = UDM_CMD_SHUTDOWN, .name = "shutdown", .min_args = 0, .max_args = 0, .mutating = true, .fn = cmd_shutdown, .weakens = udmd_weakens_if_enforcing, .hold = true },
	{ .id = UDM_CMD_DAEMON_STATUS, .name = "status --daemon", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_daemon_status },
	{ 0 }
};
UDMD_COMMANDS(sys_cmds);
