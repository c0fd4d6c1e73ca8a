/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy family of udmd: the IPE store (opened on --state-dir, trusting
 * --trusted-certs, with --boot-policy made active before udmd reports ready),
 * and the control commands
 * behind `udm policy load|update|activate|delete|list|show|enforce|success-audit`,
 * with the rules and errnos of the kernel's securityfs files (security/ipe/fs.c,
 * policy_fs.c; docs/udm-policy.md "Verbs through udmd"). */
#include <errno.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util/hex.h"
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/events.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

/* One daemon per process: the trust set lives here. */
static struct udm_trust *trust;

/* The store's records (load, activation, enforce) go to the audit sinks. */
static void store_audit(void *arg, int type, const char *record)
{
	(void)arg;
	udmd_audit(arg, type, record);
}

static int read_boot_policy(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	while (b) {
		if (n == cap) {
			char *nb = realloc(b, cap *= 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = !b ? -ENOMEM : ferror(f) ? -EIO : 0;
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	*text = b;
	*len = n;
	return 0;
}

int udmd_ipe_start(struct udmd *d, char *err, size_t errlen)
{
	const struct udmd_config *c = &d->cfg;
	char reason[512] = "";
	int r;

	if (c->trusted_certs && (r = udm_trust_load(c->trusted_certs, &trust, reason, sizeof(reason))) < 0) {
		snprintf(err, errlen, "--trusted-certs %s: %s", c->trusted_certs, reason);
		return r;
	}
	struct ipe_store_opts o = {
		.state_dir = c->state_dir, .trust = trust, .audit = store_audit, .audit_arg = d,
		.changed = udmd_events_policy_changed, .changed_arg = d,
	};
	if ((r = ipe_store_open(&o, &d->ipe, reason, sizeof(reason))) < 0) {
		snprintf(err, errlen, "policy store: %s", reason);
		return r;
	}
	if (c->boot_policy) {
		char *text = NULL;
		size_t len = 0;
		struct ipe_parse_error pe = { 0 };
		if ((r = read_boot_policy(c->boot_policy, &text, &len)) < 0) {
			snprintf(err, errlen, "--boot-policy %s: %s", c->boot_policy, strerror(-r));
			return r;
		}
		r = ipe_store_boot_policy(d->ipe, text, len, &pe);
		free(text);
		if (r < 0) {
			snprintf(err, errlen, "--boot-policy %s:%u: %s: %s", c->boot_policy, pe.line,
				 udm_errno_name(-r), pe.reason);
			return r;
		}
	}
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/ipe", c->runtime_dir);
	udmd_fuse_clean_stale(dir);
	return udmd_fuse_ipe_start(d, dir, err, errlen);
}

void udmd_ipe_stop(struct udmd *d)
{
	udmd_fuse_ipe_stop(d);
	ipe_store_close(d->ipe);
	d->ipe = NULL;
	udm_trust_free(trust);
	trust = NULL;
}

void udmd_ipe_trust_status(struct udmd_out *out)
{
	size_t n = udm_trust_count(trust);
	if (n == 0)
		udmd_printf(out, "trusted certificates: none\n");
	for (size_t i = 0; i < n; i++) {
		char subject[512];
		if (udm_trust_subject(trust, i, subject, sizeof(subject)) == 0)
			udmd_printf(out, "trusted certificate: %s\n", subject[0] ? subject : "(no subject)");
	}
}

/* ---- control commands ---- */

static int unhex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s);
	uint8_t *b = malloc(n / 2 + 1);
	if (!b)
		return -ENOMEM;
	int r = udm_hex_decode(s, b, n / 2, len);
	if (r) {
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

static struct ipe_actor actor(const struct udmd_req *req)
{
	struct ipe_actor a;
	udmd_audit_ids(req->pid, &a.auid, &a.ses);
	return a;
}

static int cmd_load(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	bool update = req->cmd == UDM_CMD_POLICY_UPDATE;
	uint8_t *blob = NULL;
	size_t len;
	char reason[512] = "";
	int r = unhex(req->argv[update ? 1 : 0], &blob, &len);
	if (r < 0) {
		udmd_printf(out, "malformed request (policy blob is not hex)");
		return r;
	}
	struct ipe_actor a = actor(req);
	r = update ? ipe_store_update(d->ipe, req->argv[0], blob, len, &a, reason, sizeof(reason))
		   : ipe_store_load(d->ipe, blob, len, &a, reason, sizeof(reason));
	free(blob);
	if (r < 0 && reason[0])
		udmd_printf(out, "%s", reason);
	return r;
}

static void print_version(struct udmd_out *out, const struct ipe_policy *p)
{
	udmd_printf(out, "%hu.%hu.%hu", p->version[0], p->version[1], p->version[2]);
}

static int cmd_activate(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	struct ipe_actor a = actor(req);
	struct ipe_policy *want = ipe_store_get(d->ipe, req->argv[0]);
	char reason[512];
	if (want && udmd_enforce_check_policy(d, want, reason, sizeof(reason))) {
		udmd_printf(out, "%s", reason);
		ipe_policy_put(want);
		return -EOPNOTSUPP;
	}
	if (want)
		ipe_policy_put(want);
	int r = ipe_store_activate(d->ipe, req->argv[0], &a);
	if (r == -ENOENT) {
		udmd_printf(out, "no policy named '%s'", req->argv[0]);
	} else if (r == -EINVAL) {
		struct ipe_policy *act = ipe_store_get_active(d->ipe), *p = ipe_store_get(d->ipe, req->argv[0]);
		if (act && p) {
			udmd_printf(out, "version ");
			print_version(out, p);
			udmd_printf(out, " is below the active policy '%s' ", act->name);
			print_version(out, act);
		}
		ipe_policy_put(act);
		ipe_policy_put(p);
	}
	return r;
}

static int cmd_delete(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	int r = ipe_store_delete(d->ipe, req->argv[0]);
	if (r == -ENOENT)
		udmd_printf(out, "no policy named '%s'", req->argv[0]);
	else if (r == -EPERM)
		udmd_printf(out, "'%s' is the active policy", req->argv[0]);
	return r;
}

static int cmd_list(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	char **names;
	size_t n;
	int r = ipe_store_list(d->ipe, &names, &n);
	if (r < 0)
		return r;
	struct ipe_policy *act = ipe_store_get_active(d->ipe);
	for (size_t i = 0; i < n; i++) {
		struct ipe_policy *p = ipe_store_get(d->ipe, names[i]);
		if (p) {
			udmd_printf(out, "%s ", p->name);
			print_version(out, p);
			udmd_printf(out, "%s\n", p == act ? " active" : "");
			ipe_policy_put(p);
		}
		free(names[i]);
	}
	free(names);
	ipe_policy_put(act);
	return 0;
}

static int cmd_show(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	struct ipe_policy *p = ipe_store_get(d->ipe, req->argv[0]);
	if (!p) {
		udmd_printf(out, "no policy named '%s'", req->argv[0]);
		return -ENOENT;
	}
	struct ipe_policy *act = ipe_store_get_active(d->ipe);
	udmd_printf(out, "name: %s\nversion: ", p->name);
	print_version(out, p);
	udmd_printf(out, "\nactive: %s\nsigned: %s\nrules: %zu\ndigest: sha256:", p == act ? "yes" : "no",
		    p->pkcs7 ? "yes" : "no (boot policy)", p->nrules);
	for (size_t i = 0; i < sizeof(p->blob_sha256); i++)
		udmd_printf(out, "%02X", p->blob_sha256[i]);
	size_t tl = strnlen(p->text, p->textlen);
	udmd_printf(out, "\n\n%.*s%s", (int)tl, p->text, tl && p->text[tl - 1] != '\n' ? "\n" : "");
	ipe_policy_put(act);
	ipe_policy_put(p);
	return 0;
}

static int cmd_switch(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	bool enforce = req->cmd == UDM_CMD_POLICY_ENFORCE_GET || req->cmd == UDM_CMD_POLICY_ENFORCE_SET;
	if (req->cmd == UDM_CMD_POLICY_ENFORCE_GET || req->cmd == UDM_CMD_POLICY_SAUDIT_GET) {
		bool v = enforce ? ipe_store_enforcing(d->ipe) : ipe_store_success_audit(d->ipe);
		udmd_printf(out, "%s\n", v ? "on" : "off");
		return 0;
	}
	bool on;
	if (ipe_parse_bool(req->argv[0], strlen(req->argv[0]), &on) < 0) {
		udmd_printf(out, "'%s' is not a boolean (on, off, 1, 0, y, n)", req->argv[0]);
		return -EINVAL;
	}
	struct ipe_actor a = actor(req);
	return enforce ? ipe_store_set_enforce(d->ipe, on, &a) : ipe_store_set_success_audit(d->ipe, on);
}

/* The dm-verity properties a decision would see for a file on device MAJ:MIN
 * (udm policy eval --file): "dmverity_roothash=ALG:HEX dmverity_signature=0|1",
 * or nothing when no udm verity device is behind it. */
static int cmd_file_props(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	unsigned maj, min;
	char tail;
	if (sscanf(req->argv[0], "%u:%u%c", &maj, &min, &tail) != 2) {
		udmd_printf(out, "'%s' is not MAJ:MIN", req->argv[0]);
		return -EINVAL;
	}
	struct udm_integrity b;
	udmd_dev_integrity(d, makedev(maj, min), &b);
	if (!b.has_roothash)
		return 0;
	udmd_printf(out, "dmverity_roothash=%s:", b.alg);
	for (size_t i = 0; i < b.digest_len; i++)
		udmd_printf(out, "%02x", b.digest[i]);
	udmd_printf(out, " dmverity_signature=%d\n", b.sig == UDM_SIG_VALID);
	return 0;
}

static const struct udmd_cmd policy_cmds[] = {
	{ .id = UDM_CMD_POLICY_LOAD, .name = "policy load", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_load, .weakens = udmd_weakens_always, .ipe_audited = true },
	{ .id = UDM_CMD_POLICY_UPDATE, .name = "policy update", .min_args = 2, .max_args = 2, .mutating = true, .fn = cmd_load, .weakens = udmd_weakens_always, .ipe_audited = true },
	{ .id = UDM_CMD_POLICY_ACTIVATE, .name = "policy activate", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_activate, .weakens = udmd_weakens_always, .ipe_audited = true },
	{ .id = UDM_CMD_POLICY_DELETE, .name = "policy delete", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_delete, .weakens = udmd_weakens_always, .ipe_audited = true },
	{ .id = UDM_CMD_POLICY_LIST, .name = "policy list", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_list },
	{ .id = UDM_CMD_POLICY_SHOW, .name = "policy show", .min_args = 1, .max_args = 1, .mutating = false, .fn = cmd_show },
	{ .id = UDM_CMD_POLICY_ENFORCE_GET, .name = "policy enforce", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_switch },
	{ .id = UDM_CMD_POLICY_ENFORCE_SET, .name = "policy enforce", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_switch, .weakens = udmd_weakens_always, .ipe_audited = true },
	{ .id = UDM_CMD_POLICY_SAUDIT_GET, .name = "policy success-audit", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_switch },
	{ .id = UDM_CMD_POLICY_SAUDIT_SET, .name = "policy success-audit", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_switch, .weakens = udmd_weakens_always, .ipe_audited = true },
	{ .id = UDM_CMD_POLICY_FILE_PROPS, .name = "policy file-props", .min_args = 1, .max_args = 1, .mutating = false, .fn = cmd_file_props },
	{ 0 }
};
UDMD_COMMANDS(policy_cmds);
