/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudm: the device-mapper control interface in user space. Every function
 * returns 0 (or a count) on success and a negative errno on failure, with the
 * kernel's errno for each case (dm-ioctl.c); a failed call changes nothing. */
#ifndef UDM_UDM_H
#define UDM_UDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "udm/target.h"

#define UDM_VERSION_MAJOR 4
#define UDM_VERSION_MINOR 48
#define UDM_VERSION_PATCH 0
#define UDM_LIB_VERSION "0.1.0"

#define UDM_MAJOR 240            /* a LOCAL/EXPERIMENTAL block major: udm device numbers */
#define UDM_NAME_LEN 128         /* incl. NUL, like DM_NAME_LEN */
#define UDM_UUID_LEN 129
#define UDM_MAX_MINOR (1u << 20)
#define UDM_MAX_TARGETS 1048576u

struct udm_ctx;
struct udm_dev;

/* Flags: same meaning as the kernel's DM_*_FLAG where one exists. */
#define UDM_F_READONLY       (1u << 0)
#define UDM_F_SUSPEND        (1u << 1)
#define UDM_F_PERSISTENT_DEV (1u << 3)
#define UDM_F_STATUS_TABLE   (1u << 4)
#define UDM_F_ACTIVE_PRESENT (1u << 5)
#define UDM_F_INACTIVE_PRESENT (1u << 6)
#define UDM_F_SKIP_LOCKFS    (1u << 10)
#define UDM_F_NOFLUSH        (1u << 11)
#define UDM_F_QUERY_INACTIVE (1u << 12)
#define UDM_F_UUID           (1u << 14)
#define UDM_F_DATA_OUT       (1u << 16)
#define UDM_F_DEFERRED_REMOVE (1u << 17)

/* How a control call names its device: uuid beats name beats dev. */
struct udm_dev_id {
	const char *name;
	const char *uuid;
	dev_t dev;
};
#define UDM_BY_NAME(n) ((struct udm_dev_id){ .name = (n) })

struct udm_info {
	char name[UDM_NAME_LEN];
	char uuid[UDM_UUID_LEN];
	dev_t dev;
	uint32_t event_nr;
	int32_t open_count;
	uint32_t flags;          /* UDM_F_SUSPEND, READONLY, ACTIVE/INACTIVE_PRESENT, DEFERRED_REMOVE */
	uint32_t target_count;
	uint64_t sectors;        /* size of the live (or queried) table */
};

/* A table line already split by the caller (dmsetup does this in user space). */
struct udm_target_spec {
	uint64_t start;
	uint64_t length;
	char type[16 + 1];
	const char *params;
};

/* Whether name may name a device (the kernel's check_name): not empty, no
 * '/', not "control", "." or "..". Longer than UDM_NAME_LEN - 1 is truncated
 * by the control calls, as the ioctl header does. */
bool udm_name_is_valid(const char *name);

struct udm_ctx *udm_ctx_new(void);
void udm_ctx_free(struct udm_ctx *ctx);     /* removes every device */

/* Control operations (dm-ioctl.c). */
int udm_dev_create(struct udm_ctx *ctx, const char *name, const char *uuid, unsigned flags,
		   dev_t dev, struct udm_info *info);
int udm_dev_remove(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags);
int udm_remove_all(struct udm_ctx *ctx, unsigned flags);   /* returns #devices left open */
int udm_dev_rename(struct udm_ctx *ctx, const char *name, const char *newval, unsigned flags,
		   struct udm_info *info);
int udm_dev_suspend(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_info *info);
int udm_dev_resume(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_info *info);
int udm_dev_info(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_info *info);
/* Load specs as the inactive table. On failure errbuf (if given) receives one
 * line naming what is wrong, as the kernel logs it ("linear: Invalid argument
 * count"), and *bad_target (if given) the index into specs of the target the
 * failure is about (its constructor or its device area), or UDM_NO_TARGET
 * when it is about the table as a whole or the device. */
#define UDM_NO_TARGET SIZE_MAX
int udm_table_load(struct udm_ctx *ctx, struct udm_dev_id id, const struct udm_target_spec *specs,
		   size_t count, unsigned flags, char *errbuf, size_t errlen, size_t *bad_target,
		   struct udm_info *info);
/* The same, with relative device paths in the table resolved against the
 * directory dirfd (as openat does; AT_FDCWD: the working directory), so that
 * a server can load a client's table without changing its own directory. */
int udm_table_load_at(struct udm_ctx *ctx, struct udm_dev_id id, int dirfd, const struct udm_target_spec *specs,
		      size_t count, unsigned flags, char *errbuf, size_t errlen, size_t *bad_target,
		      struct udm_info *info);
int udm_table_clear(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_info *info);

/* Status of each target of the live (or, with UDM_F_QUERY_INACTIVE, inactive)
 * table. With UDM_F_STATUS_TABLE: the TABLE form. */
struct udm_target_status {
	uint64_t start, length;
	char type[17];
	char *text;
};
int udm_table_status(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags,
		     struct udm_target_status **out, size_t *count, struct udm_info *info);
void udm_target_status_free(struct udm_target_status *st, size_t count);

/* I/O hints of the live (or, with UDM_F_QUERY_INACTIVE, inactive) table:
 * each target's io_hints, stacked as the block layer stacks limits (the
 * largest block sizes and io_min win). A device without that table has the
 * defaults: 512-byte blocks. */
int udm_dev_io_limits(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_io_limits *out);

int udm_table_deps(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, dev_t **devs,
		   char ***names, size_t *count, struct udm_info *info);
void udm_deps_free(dev_t *devs, char **names, size_t count);

/* Target message. Returns 0, or 1 when the target wrote text into result. */
int udm_dev_message(struct udm_ctx *ctx, struct udm_dev_id id, uint64_t sector, const char *msg,
		    char *result, size_t maxlen);

/* Wait until event_nr differs from the given one (timeout_ms < 0: forever);
 * -ETIMEDOUT on timeout. */
int udm_dev_wait(struct udm_ctx *ctx, struct udm_dev_id id, uint32_t event_nr, int timeout_ms,
		 struct udm_info *info);

struct udm_name_entry {
	char name[UDM_NAME_LEN];
	char uuid[UDM_UUID_LEN];
	dev_t dev;
	uint32_t event_nr;
};
int udm_list_devices(struct udm_ctx *ctx, struct udm_name_entry **out, size_t *count);

struct udm_version_entry {
	char name[17];
	unsigned version[3];
};
int udm_list_versions(struct udm_version_entry **out, size_t *count);
void udm_driver_version(unsigned version[3]);

/* Data path. Open/close count like the block device's opener count. */
int udm_dev_open(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **dev);
void udm_dev_close(struct udm_dev *dev);
/* Synchronous request: blocks while the device is suspended or has no live table. */
int udm_dev_io(struct udm_dev *dev, enum udm_io_op op, unsigned flags, uint64_t sector,
	       uint32_t nr_sectors, void *data);
uint64_t udm_dev_sectors(struct udm_dev *dev);
bool udm_dev_readonly(struct udm_dev *dev);
/* The smallest request the live table serves (512 without a table), as the kernel's
 * logical_block_size: requests must be aligned to it. */
unsigned udm_dev_logical_block_size(struct udm_dev *dev);
/* Called on every table swap (new table live), e.g. to invalidate a page cache. */
/* Paths under this directory name udm devices of this context (RUNTIME/mapper). */
int udm_ctx_set_mapper_dir(struct udm_ctx *ctx, const char *dir);
void udm_ctx_set_swap_callback(struct udm_ctx *ctx, void (*fn)(void *arg, const char *name, dev_t dev),
			       void *arg);

/* Lifecycle events of the devices of this context, for a program that follows
 * them (udmd: its device links and exports). fn is called by the thread that
 * made the change, once it is made, holding no lock of ctx: it may look
 * devices up, open and close them, but must not remove or rename one. */
enum udm_event_kind {
	UDM_EVENT_RESUMED,              /* a resume succeeded: a live table runs, not suspended */
	UDM_EVENT_RENAMED,              /* name: the new name; old_name: the previous one */
	UDM_EVENT_REMOVED,              /* gone (also a deferred removal, at the last close) */
	UDM_EVENT_REMOVE_REFUSED,       /* a removal found it open (EBUSY, not deferred): still there */
	UDM_EVENT_DEFERRED_CANCELLED,   /* @cancel_deferred_remove */
};
struct udm_event {
	enum udm_event_kind kind;
	const char *name;
	const char *old_name;           /* UDM_EVENT_RENAMED only, else NULL */
	dev_t dev;
	bool swapped;                   /* UDM_EVENT_RESUMED: a new table became live */
};
void udm_ctx_set_event_callback(struct udm_ctx *ctx, void (*fn)(void *arg, const struct udm_event *ev),
				void *arg);

/* Which device of this context a block device is, for a program that exports
 * its devices as block devices (udmd: a loop device it attached to
 * RUNTIME/mapper/NAME): fn returns that device's number, or 0 for a block
 * device that is not one of its exports. A table naming an export stacks on
 * the device itself, as a kernel table naming /dev/mapper/NAME does (the
 * lower device's opener count rises; the I/O does not go round through the
 * export). Without fn (the default) a block device is only itself. fn is
 * called by the thread that loads the table, holding no lock of ctx: it may
 * look devices up (udm_dev_info) but must not change any. */
void udm_ctx_set_export_callback(struct udm_ctx *ctx, dev_t (*fn)(void *arg, dev_t blockdev), void *arg);

/* Published integrity blob of a device: it always describes the live table. */
enum udm_sig_state { UDM_SIG_NONE = 0, UDM_SIG_VALID = 1 };
struct udm_integrity {
	bool has_roothash;
	char alg[32];
	uint8_t digest[64];
	size_t digest_len;
	enum udm_sig_state sig;
	uint64_t table_id;       /* which table this describes (udm_info-independent id) */
};
int udm_dev_get_integrity(struct udm_ctx *ctx, dev_t dev, struct udm_integrity *out);
/* Called with every change of a device's published blob (cleared when a new
 * table is bound or a resume fails, set when a resume publishes), in order,
 * under the device's blob lock: an in-kernel copy of the blob (udmd's BPF
 * maps) changes at the same points. fn must not call back into the device. */
void udm_ctx_set_integrity_callback(struct udm_ctx *ctx,
				     void (*fn)(void *arg, dev_t dev, const struct udm_integrity *blob),
				     void *arg);
/* id of the table currently live on dev, 0 if none: tests check blob.table_id against it */
uint64_t udm_dev_live_table_id(struct udm_ctx *ctx, dev_t dev);

/* Split target arguments like dm_split_args(): whitespace-separated, backslash
 * escapes the next character. *argv is one allocation; free(*argv) frees all. */
int udm_split_args(const char *params, unsigned *argc, char ***argv);

/* Parse dmsetup table text (one target per line, '#' comments, blank lines) into
 * specs. On error, -EINVAL and *bad_line is the 1-based failing line. */
int udm_table_text_parse(const char *text, struct udm_target_spec **specs, size_t *count,
			 char **storage, unsigned *bad_line);

/* "EINVAL" for EINVAL or -EINVAL, "OK" for 0, "EUNKNOWN" for what it does not know. */
const char *udm_errno_name(int err);

/* Where the library's log lines go (a corrupted verity block, a refused
 * root-hash signature): fn(arg, priority, line), priority a syslog(3) level,
 * line one line without newline; fn may be called from any thread. NULL (the
 * default) writes them to stderr. The library never calls syslog itself. */
typedef void (*udm_log_fn)(void *arg, int priority, const char *line);
void udm_set_log_fn(udm_log_fn fn, void *arg);

/* What the verity target's restart_on_corruption / panic_on_corruption (and
 * _on_error) do in user space, where there is no machine to restart: fn is
 * called with one line saying why; NULL (the default) only logs, and the
 * read fails with EIO either way. Defined with the target (lib/targets). */
void udm_verity_set_fatal_action(void (*fn)(const char *why));

/* Fault injection control for tests: "SITE[:N][,SITE[:N]...]" (same as UDM_FAULT). */
void udm_fault_configure(const char *spec);

#endif
