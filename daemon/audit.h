/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd's audit: every IPE record udmd writes (access decisions of both
 * enforcers, policy loads, activations, enforce changes) goes through
 * udmd_audit() or udmd_audit_access() to each sink chosen with --audit
 * (docs/udmd.md "Audit"). Each sink is one file behind struct
 * audit_sink_ops: audit_file.c (--audit-log), audit_log.c (udmd's log),
 * audit_journal.c (structured journal fields), audit_kernel.c (the kernel's
 * audit log through the audit netlink socket). audit.c chooses them, stamps
 * each record once (time, serial) and hands it to every sink; a sink that may
 * block (journal, kernel) is written from audit.c's own thread through a
 * bounded queue, so a decision never waits for it: what does not fit, or
 * cannot be sent, is counted as dropped (udm status --daemon). */
#ifndef UDMD_AUDIT_H
#define UDMD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct udmd;
struct udmd_config;
struct udmd_out;
struct ipe_decision;

/* One record on its way to the sinks. */
struct udmd_audit_rec {
	int type;                   /* IPE_AUDIT_* (1420 access, 1421, 1422, 1404) */
	const char *text;           /* IPE's record text: what follows "audit(...): " */
	struct timespec when;       /* stamped once, for every sink */
	unsigned serial;
	/* access records only (NULL otherwise): the structured fields */
	const char *decision;       /* "allow" or "deny": the action of the matched rule */
	const char *op, *hook;      /* "EXECUTE", "BPRM_CHECK" */
	const char *path;           /* NULL: unknown */
	const char *rule;           /* the rule text, e.g. "DEFAULT action=DENY" */
	int enforcing;              /* 1, 0 (permissive), -1 (not an access record) */
	int pid;
};

struct audit_sink_ops {
	const char *name;           /* as in --audit */
	/* Written from audit.c's thread, never from the decision path: may block. */
	bool async;
	/* 0, or -errno with a one-line reason in err (udmd does not start). */
	int (*open)(const struct udmd_config *cfg, void **state, char *err, size_t errlen);
	/* 0, or -errno: the record counts as dropped for this sink. */
	int (*write)(void *state, const struct udmd_audit_rec *r);
	/* SIGHUP (logrotate): reopen what the sink writes to. May be NULL. */
	int (*reopen)(void *state);
	/* Where it writes, for udm status --daemon ("" if nothing to say). May be NULL. */
	void (*describe)(void *state, char *buf, size_t len);
	void (*close)(void *state);
};

/* udm's own records besides IPE's: its self-protection's refusals (as a
 * user-space MAC's AUDIT_USER_AVC) and control requests that weaken
 * enforcement, adoptions and handovers (AUDIT_USER_MAC_CONFIG_CHANGE).
 * docs/enforcement.md. The kernel sink sends them with these types as they are. */
#define UDMD_AUDIT_PROTECT 1107
#define UDMD_AUDIT_CONTROL 2312

/* Open the sinks of cfg->audit_sinks (default: "file" with --audit-log,
 * else "log"). 0, or -errno with err set. */
int udmd_audit_start(const struct udmd_config *cfg, char *err, size_t errlen);
/* Writes what is queued, closes every sink. */
void udmd_audit_stop(void);
/* One record with no structured fields (policy load, activation, enforce).
 * d: the daemon (every sink is process-wide today). Thread-safe. */
void udmd_audit(struct udmd *d, int type, const char *text);
/* One access record (IPE_AUDIT_ACCESS) with its decision's fields. */
void udmd_audit_access(struct udmd *d, const char *text, const struct ipe_decision *dec, int hook,
		       bool enforcing, const char *path, int pid);
/* SIGHUP: each sink reopens its file. */
void udmd_audit_reopen(void);
/* The actor of a request for audit records: loginuid and sessionid of pid. */
void udmd_audit_ids(pid_t pid, uint32_t *auid, uint32_t *ses);
/* One line per sink: "audit: NAME[ WHERE]: N records, M dropped". */
void udmd_audit_status(struct udmd_out *out);

#endif
