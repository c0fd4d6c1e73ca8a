/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control commands of the device-mapper family: dmsetup's verbs on the
 * daemon's udm context, plus attach/detach of loop devices. They answer with
 * records (daemon/reply.h): the CLI renders dmsetup's text from them. */
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
#include "daemon/reply.h"
#include "daemon/udmd.h"

#define ARG(i) (req->argc > (i) ? req->argv[i] : NULL)

static void msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The table of a create or load request: its TABLE records (sent already
 * split by the CLI, which parsed the text) as specs pointing into the request.
 * *lines: each entry's line in the text. 0, or -errno with the
 * detail said. */
static int table_from_records(const struct udmd_req *req, struct udm_target_spec **specs, unsigned **lines,
			      size_t *count, struct udmd_out *out)
{
	struct udm_rec_reader rd;
	struct udm_rec rec;
	size_t n = 0;
	int r;
	*specs = NULL;
	*lines = NULL;
	*count = 0;
	if ((r = udm_rec_reader_init(&rd, req->recs, req->recs_len)))
		goto bad;
	while ((r = udm_rec_next(&rd, &rec)) == 1)
		n++;
	if (r)
		goto bad;
	if (n == 0)
		return 0;
	*specs = calloc(n, sizeof(**specs));
	*lines = calloc(n, sizeof(**lines));
	if (!*specs || !*lines) {
		r = -ENOMEM;
		goto fail;
	}
	udm_rec_reader_init(&rd, req->recs, req->recs_len);
	for (size_t i = 0; udm_rec_next(&rd, &rec) == 1; i++) {
		struct udm_target_spec *t = &(*specs)[i];
		const char *type = udm_rec_get_str(&rec, UDM_K_TYPE), *params = udm_rec_get_str(&rec, UDM_K_PARAMS);
		const struct udm_rec_field *st = udm_rec_get(&rec, UDM_K_START, UDM_REC_T_U64),
					   *ln = udm_rec_get(&rec, UDM_K_LENGTH, UDM_REC_T_U64);
		if (rec.kind != UDM_REC_TABLE || !type || !params || !st || !ln || strlen(type) >= sizeof(t->type)) {
			r = -EBADMSG;
			goto bad;
		}
		t->start = st->u64;
		t->length = ln->u64;
		memcpy(t->type, type, strlen(type) + 1);
		t->params = params;
		/* without LINE: the line after the previous entry's */
		uint64_t line = udm_rec_get_u64(&rec, UDM_K_LINE, (i ? (*lines)[i - 1] : 0) + 1ull);
		(*lines)[i] = line <= UINT32_MAX ? (unsigned)line : 0;
	}
	*count = n;
	return 0;
bad:
	udmd_printf(out, "malformed table records");
	r = -EINVAL;
fail:
	free(*specs);
	free(*lines);
	*specs = NULL;
	*lines = NULL;
	return r;
}

/* Load the request's table as the inactive table of name. Relative paths in
 * the table are resolved against the client's working directory. On failure
 * the detail names the line of the target the library says is at fault. */
static int load_table(struct udmd *d, const char *name, const char *cwd, const struct udmd_req *req,
		      struct udmd_out *out)
{
	struct udm_target_spec *specs;
	unsigned *lines;
	size_t count;
	int r = table_from_records(req, &specs, &lines, &count, out);
	if (r)
		return r;
	if (count == 0) {
		udmd_printf(out, "populate_table: no targets specified");
		return -EINVAL;
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
		r = udm_table_load_at(d->ctx, UDM_BY_NAME(name), dirfd, specs, count, req->flags & UDM_F_READONLY, err,
				      sizeof(err), &bad_target, NULL);
		close(dirfd);
	}
	if (r && err[0]) {
		unsigned line = bad_target < count ? lines[bad_target] : 0;
		if (line)
			udmd_printf(out, "line %u: %s", line, err);
		else
			udmd_printf(out, "%s", err);
	}
	free(specs);
	free(lines);
	return r;
}

static int cmd_version(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)d;
	(void)req;
	unsigned v[3];
	udm_driver_version(v);
	struct udm_rec_buf b = { 0 };
	udm_rec_begin(&b, UDM_REC_VERSION);
	udm_rec_str(&b, UDM_K_NAME, "driver");
	udm_rec_u64(&b, UDM_K_MAJOR, v[0]);
	udm_rec_u64(&b, UDM_K_MINOR, v[1]);
	udm_rec_u64(&b, UDM_K_PATCH, v[2]);
	udm_rec_str(&b, UDM_K_LIBRARY, UDM_LIB_VERSION);
	return udmd_reply_records(out, &b);
}

static int cmd_create(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	const char *name = ARG(0), *uuid = ARG(1), *cwd = ARG(2);
	struct udm_info info;
	int r = udm_dev_create(d->ctx, name, uuid, 0, 0, &info);
	if (r)
		return r;
	if (!req->recs || (req->flags & UDM_PROTO_F_NOTABLE))
		return 0;
	/* libdm: a device whose table does not load or resume is removed again */
	r = load_table(d, name, cwd, req, out);
	if (!r && (r = udm_dev_resume(d->ctx, UDM_BY_NAME(name), 0, &info)))
		udmd_printf(out, "resume: %s", strerror(-r));
	if (r)
		udm_dev_remove(d->ctx, UDM_BY_NAME(name), 0);
	return r;
}

static int cmd_load(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return load_table(d, ARG(0), ARG(1), req, out);
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
	struct export_blk blk;
	bool detached = false;
	if (udmd_export_find(d, info.dev, &blk) == 0) {
		if (!(flags & UDM_PROTO_F_FORCE) && !(flags & UDM_F_DEFERRED_REMOVE)) {
			udmd_printf(out, "attached to %s (detach it first or use --force)", blk.path);
			return -EBUSY;
		}
		if (flags & UDM_PROTO_F_FORCE) {
			if ((r = udmd_export_detach(d, info.dev, true)) && r != -ENXIO) {
				udmd_printf(out, "detach %s: %s", blk.path, strerror(-r));
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

/* Run fn for the named device, or for every device (in name order); each
 * adds its records to b. With no device at all, no record: the CLI says so. */
typedef int (*per_dev_fn)(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b);

static int for_devices(struct udmd *d, const struct udmd_req *req, per_dev_fn fn, struct udmd_out *out)
{
	struct udm_rec_buf b = { 0 };
	int r = 0;
	if (ARG(0)) {
		r = fn(d, ARG(0), req->flags, &b);
	} else {
		struct udm_name_entry *e;
		size_t n;
		if ((r = udm_list_devices(d->ctx, &e, &n)))
			return r;
		for (size_t i = 0; i < n; i++) {
			r = fn(d, e[i].name, req->flags, &b);
			if (r == -ENXIO)   /* removed meanwhile */
				r = 0;
			if (r)
				break;
		}
		free(e);
	}
	if (r) {
		free(b.buf);
		return r;
	}
	return udmd_reply_records(out, &b);
}

/* The table (or status) entries of a device; its record first if dev. */
static int put_entries(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b, bool table,
		       bool dev)
{
	struct udm_target_status *st;
	struct udm_info info;
	size_t n;
	unsigned f = (flags & (UDM_F_QUERY_INACTIVE | UDM_F_NOFLUSH)) | (table ? UDM_F_STATUS_TABLE : 0);
	int r = udm_table_status(d->ctx, UDM_BY_NAME(name), f, &st, &n, &info);
	if (r)
		return r;
	if (dev)
		udmd_rec_dev(b, &info);
	for (size_t i = 0; i < n; i++) {
		udm_rec_begin(b, table ? UDM_REC_TABLE : UDM_REC_STATUS);
		udm_rec_u64(b, UDM_K_START, st[i].start);
		udm_rec_u64(b, UDM_K_LENGTH, st[i].length);
		udm_rec_str(b, UDM_K_TYPE, st[i].type);
		udm_rec_str(b, UDM_K_PARAMS, st[i].text);
	}
	udm_target_status_free(st, n);
	return 0;
}

static int table_fn(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b)
{
	return put_entries(d, name, flags, b, true, true);
}

static int status_fn(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b)
{
	return put_entries(d, name, flags, b, false, true);
}

static int cmd_table(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return for_devices(d, req, table_fn, out);
}

static int cmd_status(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return for_devices(d, req, status_fn, out);
}

static int info_fn(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b)
{
	struct udm_info i;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &i);
	if (!r)
		udmd_rec_dev(b, &i);
	return r;
}

static int cmd_info(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	return for_devices(d, req, info_fn, out);
}

/* Every device: name, uuid, number and event number only. */
static int cmd_ls(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	struct udm_name_entry *e;
	size_t n;
	int r = udm_list_devices(d->ctx, &e, &n);
	if (r)
		return r;
	struct udm_rec_buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		udm_rec_begin(&b, UDM_REC_DEV);
		udm_rec_str(&b, UDM_K_NAME, e[i].name);
		udm_rec_str(&b, UDM_K_UUID, e[i].uuid);
		udm_rec_u64(&b, UDM_K_MAJOR, major(e[i].dev));
		udm_rec_u64(&b, UDM_K_MINOR, minor(e[i].dev));
		udm_rec_u64(&b, UDM_K_EVENT, e[i].event_nr);
	}
	free(e);
	return udmd_reply_records(out, &b);
}

/* The devices a table uses: a backing regular file has no device number and
 * is named by its path. */
static int put_deps(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b)
{
	dev_t *devs;
	char **names;
	size_t n;
	int r = udm_table_deps(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &devs, &names, &n, NULL);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		udm_rec_begin(b, UDM_REC_DEP);
		udm_rec_u64(b, UDM_K_MAJOR, devs[i] ? major(devs[i]) : 0);
		udm_rec_u64(b, UDM_K_MINOR, devs[i] ? minor(devs[i]) : 0);
		if (!devs[i])
			udm_rec_str(b, UDM_K_PATH, names[i]);
	}
	udm_deps_free(devs, names, n);
	return 0;
}

static int deps_fn(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b)
{
	struct udm_info i;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &i);
	if (r)
		return r;
	udmd_rec_dev(b, &i);
	return put_deps(d, name, flags, b);
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
	struct udm_rec_buf b = { 0 };
	if (r == 1 && result[0]) {
		udm_rec_begin(&b, UDM_REC_MESSAGE);
		udm_rec_str(&b, UDM_K_TEXT, result);
	}
	free(result);
	if (r < 0) {
		free(b.buf);
		return r;
	}
	/* no live table: the kernel returns its internal value 2, which libdm takes as success */
	return udmd_reply_records(out, &b);
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
	struct udm_rec_buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		udm_rec_begin(&b, UDM_REC_VERSION);
		udm_rec_str(&b, UDM_K_NAME, v[i].name);
		udm_rec_u64(&b, UDM_K_MAJOR, v[i].version[0]);
		udm_rec_u64(&b, UDM_K_MINOR, v[i].version[1]);
		udm_rec_u64(&b, UDM_K_PATCH, v[i].version[2]);
	}
	free(v);
	return udmd_reply_records(out, &b);
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
	struct export_blk blk;
	if (udmd_export_find(d, info.dev, &blk) == 0) {   /* already attached: the same answer again */
		udmd_printf(out, "%s\n", blk.path);
		return 0;
	}
	/* The loop driver's first reads would wait for the resume, holding
	 * this request (and the attach would complete after the client gave
	 * up): refuse at once instead. */
	if (info.flags & UDM_F_SUSPEND) {
		udmd_printf(out, "device is suspended (resume it first)");
		return -EBUSY;
	}
	r = udmd_export_attach(d, info.name, info.dev, info.flags & UDM_F_READONLY, &blk);
	if (r == -EEXIST)   /* already attached: the same answer again */
		r = 0;
	else if (r == -EAGAIN)
		udmd_printf(out, "%s was renamed or replaced while being attached; nothing attached", info.name);
	if (r)
		return r;
	udmd_printf(out, "%s\n", blk.path);
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
		udmd_printf(out, "%s in use (unmount it first or use --force)", udmd_export_blk_noun());
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

/* One device for the CLI's reports (info -c, -o, ls --tree, --target,
 * -u/-j/-m): its record with the loop device it is attached to, the entries of
 * its live table, the devices its table uses. */
static int report_fn(struct udmd *d, const char *name, unsigned flags, struct udm_rec_buf *b)
{
	struct udm_info i;
	int r = udm_dev_info(d->ctx, UDM_BY_NAME(name), flags & UDM_F_QUERY_INACTIVE, &i);
	if (r)
		return r;
	udmd_rec_dev(b, &i);
	struct export_blk blk;
	if (udmd_export_find(d, i.dev, &blk) == 0)
		udm_rec_str(b, UDM_K_LOOP, blk.path);
	if (i.flags & UDM_F_ACTIVE_PRESENT)
		put_entries(d, name, 0, b, true, false);   /* a live table gone meanwhile: none */
	put_deps(d, name, flags, b);
	return 0;
}

static int cmd_report(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	if (req->argc == 0)
		return for_devices(d, req, report_fn, out);
	struct udm_rec_buf b = { 0 };
	for (unsigned i = 0; i < req->argc; i++) {
		int r = report_fn(d, req->argv[i], req->flags, &b);
		if (r) {
			free(b.buf);
			udmd_printf(out, "%s", req->argv[i]);   /* which one */
			return r;
		}
	}
	return udmd_reply_records(out, &b);
}

static const struct udmd_cmd dm_cmds[] = {
	{ .id = UDM_CMD_DM_VERSION, .name = "version", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_version },
	{ .id = UDM_CMD_DM_CREATE, .name = "create", .min_args = 3, .max_args = 3, .mutating = true, .fn = cmd_create },
	{ .id = UDM_CMD_DM_LOAD, .name = "load", .min_args = 2, .max_args = 2, .mutating = true, .fn = cmd_load },
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
