/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dmsetup's text (LVM2 tools/dmsetup.c) rendered from udmd's records: the
 * info block, the ls line, table and status lines, deps, versions. The only
 * place these formats are written; udmd sends data (cli/reply.c reads it). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/dmsetup.h"
#include "udm/udm.h"
#include "util/proto.h"

/* _display_info_long() */
void dms_print_info(const struct cli_dev *i)
{
	bool live = i->flags & UDM_F_ACTIVE_PRESENT, inactive = i->flags & UDM_F_INACTIVE_PRESENT;
	printf("Name:              %s\n", i->name);
	printf("State:             %s%s%s\n", (i->flags & UDM_F_SUSPEND) ? "SUSPENDED" : "ACTIVE",
	       (i->flags & UDM_F_READONLY) ? " (READ-ONLY)" : "",
	       (i->flags & UDM_F_DEFERRED_REMOVE) ? " (DEFERRED REMOVE)" : "");
	printf("Read Ahead:        %u\n", 256u);
	if (!live && !inactive)
		printf("Tables present:    None\n");
	else
		printf("Tables present:    %s%s%s\n", live ? "LIVE" : "", live && inactive ? " & " : "",
		       inactive ? "INACTIVE" : "");
	printf("Open count:        %d\n", i->open);
	printf("Event number:      %" PRIu32 "\n", i->events);
	printf("Major, minor:      %u, %u\n", i->major, i->minor);
	/* printed also without a table: "Number of targets: 0" (checked with the kernel oracle) */
	printf("Number of targets: %" PRIu32 "\n", i->targets);
	if (i->uuid[0])
		printf("UUID: %s\n", i->uuid);
	printf("\n");
}

void dms_print_ls_line(const char *name, unsigned major, unsigned minor)
{
	printf("%s\t(%u:%u)\n", name, major, minor);
}

/* "START LEN TYPE PARAMS" per entry (only those of type, if given); a device
 * without a table: an empty line, unless a type is asked for. */
void dms_print_entries(const struct cli_dev *d, bool table, const char *type, bool prefix)
{
	const struct cli_entry *e = table ? d->table : d->status;
	size_t n = table ? d->ntable : d->nstatus;
	if (n == 0 && !type)
		printf(prefix ? "%s: \n" : "\n", d->name);
	for (size_t i = 0; i < n; i++) {
		if (type && strcmp(e[i].type, type) != 0)
			continue;
		if (prefix)
			printf("%s: ", d->name);
		printf("%" PRIu64 " %" PRIu64 " %s %s\n", e[i].start, e[i].length, e[i].type, e[i].params);
	}
}

/* "N dependencies\t: (maj, min) ..."; a backing regular file is shown by its path. */
void dms_print_deps(const struct cli_dev *d, bool prefix)
{
	if (prefix)
		printf("%s: ", d->name);
	printf("%zu dependencies\t:", d->ndeps);
	for (size_t i = 0; i < d->ndeps; i++) {
		const struct cli_dep *p = &d->deps[i];
		if (p->major || p->minor || !p->path)
			printf(" (%u, %u)", p->major, p->minor);
		else
			printf(" (%s)", p->path);
	}
	printf("\n");
}

/* The versions of a version or targets reply: each record to fn; 0, or 1
 * after saying the reply is malformed. */
static int each_version(const char *what, const char *reply, size_t len,
			void (*fn)(const struct udm_rec *rec, void *arg), void *arg)
{
	struct udm_rec_reader rd;
	struct udm_rec rec;
	int r = udm_rec_reader_init(&rd, reply, len);
	while (r == 0 && (r = udm_rec_next(&rd, &rec)) == 1) {
		if (rec.kind != UDM_REC_VERSION) {
			r = -EBADMSG;
			break;
		}
		fn(&rec, arg);
		r = 0;
	}
	if (r) {
		cli_error(what, "malformed reply from udmd");
		return 1;
	}
	return 0;
}

static void driver_line(const struct udm_rec *rec, void *arg)
{
	bool *lib = arg;
	if (*lib)
		printf("Library version:   %s\n", udm_rec_get_str(rec, UDM_K_LIBRARY) ? udm_rec_get_str(rec, UDM_K_LIBRARY)
										: UDM_LIB_VERSION);
	printf("Driver version:    %" PRIu64 ".%" PRIu64 ".%" PRIu64 "\n", udm_rec_get_u64(rec, UDM_K_MAJOR, 0),
	       udm_rec_get_u64(rec, UDM_K_MINOR, 0), udm_rec_get_u64(rec, UDM_K_PATCH, 0));
}

int dms_print_version(const char *what, const char *reply, size_t len, bool library)
{
	return each_version(what, reply, len, driver_line, &library);
}

struct target_filter {
	const char *name;   /* NULL: every target */
	bool found;
};

static void target_line(const struct udm_rec *rec, void *arg)
{
	struct target_filter *f = arg;
	const char *name = udm_rec_get_str(rec, UDM_K_NAME);
	if (!name || (f->name && strcmp(name, f->name) != 0))
		return;
	f->found = true;
	printf("%-16s v%" PRIu64 ".%" PRIu64 ".%" PRIu64 "\n", name, udm_rec_get_u64(rec, UDM_K_MAJOR, 0),
	       udm_rec_get_u64(rec, UDM_K_MINOR, 0), udm_rec_get_u64(rec, UDM_K_PATCH, 0));
}

int dms_print_targets(const char *what, const char *reply, size_t len, const char *only, bool *found)
{
	struct target_filter f = { only, false };
	int r = each_version(what, reply, len, target_line, &f);
	if (found)
		*found = f.found;
	return r;
}

int dms_print_reply(const char *what, uint16_t cmd, const char *name, const char *reply, size_t len)
{
	switch (cmd) {
	case UDM_CMD_DM_VERSION:
		return dms_print_version(what, reply, len, true);
	case UDM_CMD_DM_TARGETS:
		return dms_print_targets(what, reply, len, NULL, NULL);
	case UDM_CMD_DM_MESSAGE: {
		struct udm_rec_reader rd;
		struct udm_rec rec;
		int r = udm_rec_reader_init(&rd, reply, len);
		while (r == 0 && (r = udm_rec_next(&rd, &rec)) == 1) {
			const char *t = udm_rec_get_str(&rec, UDM_K_TEXT);
			if (rec.kind != UDM_REC_MESSAGE || !t) {
				r = -EBADMSG;
				break;
			}
			printf("%s\n", t);
			r = 0;
		}
		if (r)
			cli_error(what, "malformed reply from udmd");
		return r ? 1 : 0;
	}
	case UDM_CMD_DM_TABLE:
	case UDM_CMD_DM_STATUS:
	case UDM_CMD_DM_INFO:
	case UDM_CMD_DM_LS:
	case UDM_CMD_DM_DEPS: {
		struct cli_devs devs;
		if (cli_devs_parse(what, reply, len, &devs))
			return 1;
		if (devs.n == 0 && !name)
			printf("No devices found\n");
		for (size_t i = 0; i < devs.n; i++) {
			const struct cli_dev *d = &devs.dev[i];
			switch (cmd) {
			case UDM_CMD_DM_TABLE: dms_print_entries(d, true, NULL, !name); break;
			case UDM_CMD_DM_STATUS: dms_print_entries(d, false, NULL, !name); break;
			case UDM_CMD_DM_INFO: dms_print_info(d); break;
			case UDM_CMD_DM_LS: dms_print_ls_line(d->name, d->major, d->minor); break;
			default: dms_print_deps(d, !name); break;
			}
		}
		cli_devs_free(&devs);
		return 0;
	}
	default:   /* text: udm's own verbs */
		if (len && fwrite(reply, 1, len, stdout) != len) {
			cli_error(what, "writing output: %s", strerror(errno));
			return 1;
		}
		return 0;
	}
}
