/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control commands of the device-mapper family: dmsetup's verbs on the
 * daemon's udm context, with dmsetup's output formats (LVM2 tools/dmsetup.c),
 * plus attach/detach of loop devices. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "daemon/events.h"
#include "daemon/export.h"
#include "daemon/udmd.h"

#define ARG(i) (req->argc > (i) ? req->argv[i] : NULL)

static void msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Line number (1-based) of the idx-th table line of text, skipping blank and
 * comment-only lines as udm_table_text_parse does. */
static unsigned spec_line(const char *text, size_t idx)
{
	unsigned line = 0;
	size_t seen = 0;
	for (const char *p = text; p && *p;) {
		line++;
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool content = false;
		for (size_t i = 0; i < n && p[i] != '#'; i++)
			if (!isspace((unsigned char)p[i])) {
				content = true;
				break;
			}
		if (content && seen++ == idx)
			return line;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Parse and load table text as the inactive table of name. Relative paths in
 * the table are resolved against the client's working directory. On failure
 * the detail names the line of the target the library says is at fault. */
static int load_text(struct udmd *d, const char *name, const char *cwd, const char *text, unsigned flags,
		     struct udmd_out *out)
{
	struct udm_target_spec *specs = NULL;
	size_t count = 0;
	char *storage = NULL;
	unsigned bad = 0;
	int r = udm_table_text_parse(text, &specs, &count, &storage, &bad);
	if (r) {
		if (r == -EINVAL)
			udmd_printf(out, "line %u: invalid table line", bad);
		return r;
	}
	char err[512] = "";
	size_t bad_target = UDM_NO_TARGET;
	/* Relative paths resolve against the client's directory through a
	 * descriptor: no chdir, which every thread of udmd would see. Without an
	 * absolute cwd they resolve against "/", udmd's own directory. */
	int dirfd = open(cwd && cwd[0] == '/' ? cwd : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = -errno;
		udmd_printf(out, "working directory %s: %s", cwd, strerror(errno));
	} else {
		r = udm_table_load_at(d->ctx, UDM_BY_NAME(name), dirfd, specs, count, flags & UDM_F_READONLY, err,
				      sizeof(err), &bad_target, NULL);
		close(dirfd);
	}
	if (r && err[0]) {
		unsigned line = bad_target < count ? spec_line(text, bad_target) : 0;
		if (line)
			udmd_printf(out, "line %u: %s", line, err);
		else
			udmd_printf(out, "%s", err);
	}
	free(specs);
	free(storage);
	return r;
}

static int cmd_version(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)d;
	(void)req;
	unsigned v[3];
	udm_driver_version(v);
	udmd_printf(out, "Library version:   %s\nDriver version:    %u.%u.%u\n", UDM_LIB_VERSION, v[0], v[1], v[2]);
	return 0;
}

static int cmd_create(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	const char *name = ARG(0), *uuid = ARG(1), *cwd = ARG(2), *text = ARG(3);
	struct udm_info info;
	int r = udm_dev_create(d->ctx, name, uuid, 0, 0, &info);
	if (r)
		return r;
	if (!text || (req->flags & UDM_PROTO_F_NOTABLE))
		return 0;
	/* libdm: a device whose table does not load or resume is removed again */
	r = load_text(d, name, cwd, text, req->flags, out);
	if (!r && (r = udm_dev_resume(d->ctx, UDM_BY_NAME(name), 0, &info)))
		udmd_printf(out, "resume: %s", strerror(-r));
	if (r)
		udm_dev_remove(d->ctx, UDM_BY_NAME(name), 0);
	return r;
}

static int cmd_load(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return load_text(d, ARG(0), ARG(1), ARG(2), req->flags, out);
}

static int cmd_resume(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)out;
	return udm_dev_resume(d->ctx, UDM_BY_NAME(ARG(0)), req->flags & UDM_F_NOFLUSH, NULL);
}

static int cmd_suspend(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)out;
	return udm_dev_suspend(d->ctx, UDM_BY_NAME(ARG(0)),
			       UDM_F_SUSPEND | (req->flags & (UDM_F_NOFLUSH | UDM_F_SKIP_LOCKFS)), NULL);
}

/* Remove, waiting a little for the opener count to drop after a forced
 * detach (the loop driver releases its file asynchronously). */
static int remove_dev(struct udmd *d, const char *name, unsigned flags, struct udmd_out *out)
{
	struct udm_info info;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(name), 0, &info);
	if (r)
		return r;
	int lo = udmd_export_find(d, info.dev);
	bool detached = false;
	if (lo >= 0) {
		if (!(flags & UDM_PROTO_F_FORCE) && !(flags & UDM_F_DEFERRED_REMOVE)) {
			udmd_printf(out, "attached to /dev/loop%d (detach it first or use --force)", lo);
			return -EBUSY;
		}
		if (flags & UDM_PROTO_F_FORCE) {
			if ((r = udmd_export_detach(d, info.dev, true)) && r != -ENXIO) {
				udmd_printf(out, "detach /dev/loop%d: %s", lo, strerror(-r));
				return r;
			}
			detached = true;
		}
	}
	unsigned dm_flags = flags & UDM_F_DEFERRED_REMOVE;
	/* dmsetup --retry: libdm retries a busy remove 25 times, 0.2 s apart */
	int tries = (flags & UDM_PROTO_F_RETRY) ? 25 * 4 : detached ? 100 : 0;
	for (int i = 0;; i++) {
		r = udm_dev_remove(d->ctx, UDM_BY_NAME(name), dm_flags);
		if (r != -EBUSY || i >= tries)
			break;
		msleep(50);
	}
	return r;
}

static int cmd_remove(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	/* what holds it for udmd's sake lets go first (--force detaches by itself) */
	int r = req->flags & UDM_PROTO_F_FORCE ? 0 : udmd_dev_removing(d, ARG(0), req->flags & UDM_F_DEFERRED_REMOVE, out);
	return r ? r : remove_dev(d, ARG(0), req->flags, out);
}

static int cmd_remove_all(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)out;
	if (udmd_dev_removing(d, NULL, req->flags & UDM_PROTO_F_FORCE, NULL) == -ENOMEM)
		return -ENOMEM;
	if (req->flags & UDM_PROTO_F_FORCE)
		udmd_export_detach_all(d);
	int left = 0;
	for (int i = 0; i < 40; i++) {
		left = udm_remove_all(d->ctx, req->flags & UDM_F_DEFERRED_REMOVE);
		if (left <= 0 || !(req->flags & UDM_PROTO_F_FORCE))
			break;
		msleep(50);
	}
	if (left > 0)
		udmd_log("remove_all left %d open device(s)", left);
	return left < 0 ? left : 0;
}

static int cmd_rename(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)out;
	if (!(req->flags & UDM_F_UUID)) {
		/* A device with a mapper file: its file is renamed with it. The
		 * kernel refuses a missing file (no live table) or an existing
		 * new name before asking us; the library answers those. */
		int r = udmd_export_rename(d, ARG(0), ARG(1));
		if (r != -ENOENT && r != -EEXIST)
			return r;
	}
	return udm_dev_rename(d->ctx, ARG(0), ARG(1), req->flags & UDM_F_UUID, NULL);
}

static int cmd_clear(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)out;
	return udm_table_clear(d->ctx, UDM_BY_NAME(ARG(0)), NULL);
}

/* Run fn for the named device, or for every device (in name order) with the
 * name passed so fn prefixes its lines; "No devices found" when there are none. */
typedef int (*per_dev_fn)(struct udmd *d, const char *name, bool prefix, unsigned flags, struct udmd_out *out);

static int for_devices(struct udmd *d, const struct udmd_req *req, per_dev_fn fn, struct udmd_out *out)
{
	if (ARG(0))
		return fn(d, ARG(0), false, req->flags, out);
	struct udm_name_entry *e;
	size_t n;
	int r = udm_list_devices(d->ctx, &e, &n);
	if (r)
		return r;
	if (n == 0)
		udmd_printf(out, "No devices found\n");
	for (size_t i = 0; i < n; i++) {
		r = fn(d, e[i].name, true, req->flags, out);
		if (r == -ENXIO)   /* removed meanwhile */
			r = 0;
		if (r)
			break;
	}
	free(e);
	return r;
}

static int table_one(struct udmd *d, const char *name, bool prefix, unsigned flags, struct udmd_out *out,
		     bool table)
{
	struct udm_target_status *st;
	size_t n;
	unsigned f = (flags & (UDM_F_QUERY_INACTIVE | UDM_F_NOFLUSH)) | (table ? UDM_F_STATUS_TABLE : 0);
	int r = udm_table_status(d->ctx, UDM_BY_NAME(name), f, &st, &n, NULL);
	if (r)
		return r;
	if (n == 0)
		udmd_printf(out, prefix ? "%s: \n" : "\n", name);
	for (size_t i = 0; i < n; i++) {
		if (prefix)
			udmd_printf(out, "%s: ", name);
		udmd_printf(out, "%" PRIu64 " %" PRIu64 " %s %s\n", st[i].start, st[i].length, st[i].type,
			    st[i].text);
	}
	udm_target_status_free(st, n);
	return 0;
}

static int table_fn(struct udmd *d, const char *name, bool prefix, unsigned flags, struct udmd_out *out)
{
	return table_one(d, name, prefix, flags, out, true);
}

static int status_fn(struct udmd *d, const char *name, bool prefix, unsigned flags, struct udmd_out *out)
{
	return table_one(d, name, prefix, flags, out, false);
}

static int cmd_table(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return for_devices(d, req, table_fn, out);
}

static int cmd_status(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return for_devices(d, req, status_fn, out);
}

/* _display_info_long() */
static int info_fn(struct udmd *d, const char *name, bool prefix, unsigned flags, struct udmd_out *out)
{
	(void)prefix;
	struct udm_info i;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &i);
	if (r)
		return r;
	bool live = i.flags & UDM_F_ACTIVE_PRESENT, inactive = i.flags & UDM_F_INACTIVE_PRESENT;
	udmd_printf(out, "Name:              %s\n", i.name);
	udmd_printf(out, "State:             %s%s%s\n", (i.flags & UDM_F_SUSPEND) ? "SUSPENDED" : "ACTIVE",
		    (i.flags & UDM_F_READONLY) ? " (READ-ONLY)" : "",
		    (i.flags & UDM_F_DEFERRED_REMOVE) ? " (DEFERRED REMOVE)" : "");
	udmd_printf(out, "Read Ahead:        %u\n", 256u);
	if (!live && !inactive)
		udmd_printf(out, "Tables present:    None\n");
	else
		udmd_printf(out, "Tables present:    %s%s%s\n", live ? "LIVE" : "", live && inactive ? " & " : "",
			    inactive ? "INACTIVE" : "");
	udmd_printf(out, "Open count:        %d\n", i.open_count);
	udmd_printf(out, "Event number:      %" PRIu32 "\n", i.event_nr);
	udmd_printf(out, "Major, minor:      %u, %u\n", major(i.dev), minor(i.dev));
	/* printed also without a table: "Number of targets: 0" (checked with the kernel oracle) */
	udmd_printf(out, "Number of targets: %" PRIu32 "\n", i.target_count);
	if (i.uuid[0])
		udmd_printf(out, "UUID: %s\n", i.uuid);
	udmd_printf(out, "\n");
	return 0;
}

static int cmd_info(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return for_devices(d, req, info_fn, out);
}

static int cmd_ls(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	struct udm_name_entry *e;
	size_t n;
	int r = udm_list_devices(d->ctx, &e, &n);
	if (r)
		return r;
	if (n == 0)
		udmd_printf(out, "No devices found\n");
	for (size_t i = 0; i < n; i++)
		udmd_printf(out, "%s\t(%u:%u)\n", e[i].name, major(e[i].dev), minor(e[i].dev));
	free(e);
	return 0;
}

/* "N dependencies\t: (maj, min) ..."; a backing regular file has no device
 * number and is shown by its path. */
static int deps_fn(struct udmd *d, const char *name, bool prefix, unsigned flags, struct udmd_out *out)
{
	dev_t *devs;
	char **names;
	size_t n;
	int r = udm_table_deps(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &devs, &names, &n, NULL);
	if (r)
		return r;
	if (prefix)
		udmd_printf(out, "%s: ", name);
	udmd_printf(out, "%zu dependencies\t:", n);
	for (size_t i = 0; i < n; i++) {
		if (devs[i])
			udmd_printf(out, " (%u, %u)", major(devs[i]), minor(devs[i]));
		else
			udmd_printf(out, " (%s)", names[i]);
	}
	udmd_printf(out, "\n");
	udm_deps_free(devs, names, n);
	return 0;
}

static int cmd_deps(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return for_devices(d, req, deps_fn, out);
}

static int cmd_message(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	uint64_t sector;
	if (!ARG(1) || udm_parse_u64(ARG(1), &sector)) {
		udmd_printf(out, "invalid sector %s", ARG(1));
		return -EINVAL;
	}
	char *result = calloc(1, 64 * 1024);
	if (!result)
		return -ENOMEM;
	int r = udm_dev_message(d->ctx, UDM_BY_NAME(ARG(0)), sector, ARG(2), result, 64 * 1024);
	if (r == 1 && result[0])
		udmd_printf(out, "%s\n", result);
	free(result);
	/* no live table: the kernel returns its internal value 2, which libdm takes as success */
	return r > 0 ? 0 : r;
}

static int cmd_targets(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)d;
	(void)req;
	struct udm_version_entry *v;
	size_t n;
	int r = udm_list_versions(&v, &n);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++)
		udmd_printf(out, "%-16s v%u.%u.%u\n", v[i].name, v[i].version[0], v[i].version[1], v[i].version[2]);
	free(v);
	return 0;
}

static bool client_gone(int fd)
{
	struct pollfd p = { fd, POLLRDHUP, 0 };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static int cmd_wait(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	uint64_t ev = 0;
	if (ARG(1) && (udm_parse_u64(ARG(1), &ev) || ev > UINT32_MAX)) {
		udmd_printf(out, "invalid event number %s", ARG(1));
		return -EINVAL;
	}
	for (;;) {
		int r = udm_dev_wait(d->ctx, UDM_BY_NAME(ARG(0)), (uint32_t)ev, 500, NULL);
		if (r != -ETIMEDOUT)
			return r;
		if (client_gone(req->conn_fd) || udmd_stop_requested())
			return -EINTR;
	}
}

static int cmd_attach(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	struct udm_info info;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(ARG(0)), 0, &info);
	if (r)
		return r;
	if (!(info.flags & UDM_F_ACTIVE_PRESENT)) {
		udmd_printf(out, "device has no live table");
		return -ENXIO;
	}
	int lo = udmd_export_find(d, info.dev);
	if (lo >= 0) {   /* already attached: the same answer again */
		udmd_printf(out, "/dev/loop%d\n", lo);
		return 0;
	}
	/* The loop driver's first reads would wait for the resume, holding
	 * this request (and the attach would complete after the client gave
	 * up): refuse at once instead. */
	if (info.flags & UDM_F_SUSPEND) {
		udmd_printf(out, "device is suspended (resume it first)");
		return -EBUSY;
	}
	r = udmd_export_attach(d, info.name, info.dev, info.flags & UDM_F_READONLY, &lo);
	if (r == -EEXIST)   /* already attached: the same answer again */
		r = 0;
	else if (r == -EAGAIN)
		udmd_printf(out, "%s was renamed or replaced while being attached; nothing attached", info.name);
	if (r)
		return r;
	udmd_printf(out, "/dev/loop%d\n", lo);
	return 0;
}

static int cmd_detach(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	struct udm_info info;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(ARG(0)), 0, &info);
	if (r)
		return r;
	r = udmd_export_detach(d, info.dev, req->flags & UDM_PROTO_F_FORCE);
	if (r == -ENXIO)
		udmd_printf(out, "not attached");
	else if (r == -EBUSY)
		udmd_printf(out, "loop device in use (unmount it first or use --force)");
	return r;
}

/* dmsetup mknodes [NAME...]: the links of the named devices (all: every
 * device) made again, stale ones removed. Nothing to do without --dev-links. */
static int cmd_mknodes(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)out;
	if (req->argc == 0)
		udmd_devlinks_sync(d, NULL);
	for (unsigned i = 0; i < req->argc; i++)
		udmd_devlinks_sync(d, req->argv[i]);
	return 0;
}

/* Raw fields of one device for the CLI's reports (info -c, -o, ls --tree,
 * --target, -u/-j/-m): each field ends with a NUL, 11 fields per device:
 * name, uuid, major, minor, flags (hex UDM_F_*), open count, target count,
 * event number, target types of the live table (comma-separated), deps
 * (comma-separated MAJ:MIN or file paths), the link or "" */
static int report_fn(struct udmd *d, const char *name, bool prefix, unsigned flags, struct udmd_out *out)
{
	(void)prefix;
	struct udm_info i;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &i);
	if (r)
		return r;
	udmd_printf(out, "%s%c%s%c%u%c%u%c%x%c%d%c%u%c%u%c", i.name, 0, i.uuid, 0, major(i.dev), 0, minor(i.dev), 0,
		    i.flags, 0, i.open_count, 0, i.target_count, 0, i.event_nr, 0);
	struct udm_target_status *st = NULL;
	size_t n = 0;
	if ((i.flags & UDM_F_ACTIVE_PRESENT) &&
	    udm_table_status(d->ctx, UDM_BY_NAME(name), UDM_F_STATUS_TABLE, &st, &n, NULL) == 0) {
		for (size_t k = 0; k < n; k++)
			udmd_printf(out, "%s%s", k ? "," : "", st[k].type);
		udm_target_status_free(st, n);
	}
	udmd_printf(out, "%c", 0);
	dev_t *devs;
	char **names;
	if (udm_table_deps(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &devs, &names, &n, NULL) == 0) {
		for (size_t k = 0; k < n; k++) {
			if (devs[k])
				udmd_printf(out, "%s%u:%u", k ? "," : "", major(devs[k]), minor(devs[k]));
			else
				udmd_printf(out, "%s%s", k ? "," : "", names[k]);
		}
		udm_deps_free(devs, names, n);
	}
	int lo = udmd_export_find(d, i.dev);
	if (lo >= 0)
		udmd_printf(out, "%c/dev/loop%d%c", 0, lo, 0);
	else
		udmd_printf(out, "%c%c", 0, 0);
	return 0;
}

static int cmd_report(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	if (req->argc == 0) {
		struct udm_name_entry *e;
		size_t n;
		int r = udm_list_devices(d->ctx, &e, &n);
		if (r)
			return r;
		for (size_t i = 0; i < n && !r; i++)
			if ((r = report_fn(d, e[i].name, true, req->flags, out)) == -ENXIO)
				r = 0;   /* removed meanwhile */
		free(e);
		return r;
	}
	for (unsigned i = 0; i < req->argc; i++) {
		int r = report_fn(d, req->argv[i], false, req->flags, out);
		if (r) {
			udmd_printf(out, "%s", req->argv[i]);   /* which one */
			return r;
		}
	}
	return 0;
}

static const struct udmd_cmd dm_cmds[] = {
	{ .id = UDM_CMD_DM_VERSION, .name = "version", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_version },
	{ .id = UDM_CMD_DM_CREATE, .name = "create", .min_args = 3, .max_args = 4, .mutating = true, .fn = cmd_create },
	{ .id = UDM_CMD_DM_LOAD, .name = "load", .min_args = 3, .max_args = 3, .mutating = true, .fn = cmd_load },
	{ .id = UDM_CMD_DM_RESUME, .name = "resume", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_resume },
	{ .id = UDM_CMD_DM_SUSPEND, .name = "suspend", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_suspend },
	{ .id = UDM_CMD_DM_REMOVE, .name = "remove", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_remove },
	{ .id = UDM_CMD_DM_REMOVE_ALL, .name = "remove_all", .min_args = 0, .max_args = 0, .mutating = true, .fn = cmd_remove_all },
	{ .id = UDM_CMD_DM_RENAME, .name = "rename", .min_args = 2, .max_args = 2, .mutating = true, .fn = cmd_rename },
	{ .id = UDM_CMD_DM_CLEAR, .name = "clear", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_clear },
	{ .id = UDM_CMD_DM_TABLE, .name = "table", .min_args = 0, .max_args = 1, .mutating = false, .fn = cmd_table },
	{ .id = UDM_CMD_DM_STATUS, .name = "status", .min_args = 0, .max_args = 1, .mutating = false, .fn = cmd_status },
	{ .id = UDM_CMD_DM_INFO, .name = "info", .min_args = 0, .max_args = 1, .mutating = false, .fn = cmd_info },
	{ .id = UDM_CMD_DM_LS, .name = "ls", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_ls },
	{ .id = UDM_CMD_DM_DEPS, .name = "deps", .min_args = 0, .max_args = 1, .mutating = false, .fn = cmd_deps },
	{ .id = UDM_CMD_DM_MESSAGE, .name = "message", .min_args = 3, .max_args = 3, .mutating = true, .fn = cmd_message },
	{ .id = UDM_CMD_DM_TARGETS, .name = "targets", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_targets },
	{ .id = UDM_CMD_DM_WAIT, .name = "wait", .min_args = 1, .max_args = 2, .mutating = false, .fn = cmd_wait },
	{ .id = UDM_CMD_DM_ATTACH, .name = "attach", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_attach },
	{ .id = UDM_CMD_DM_DETACH, .name = "detach", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_detach },
	{ .id = UDM_CMD_DM_MKNODES, .name = "mknodes", .min_args = 0, .max_args = UDM_PROTO_MAX_ARGS, .mutating = true, .fn = cmd_mknodes },
	{ .id = UDM_CMD_DM_REPORT, .name = "report", .min_args = 0, .max_args = UDM_PROTO_MAX_ARGS, .mutating = false, .fn = cmd_report },
	{ 0 }
};
UDMD_COMMANDS(dm_cmds);
