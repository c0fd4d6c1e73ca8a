/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPE audit records (AUDIT_IPE_ACCESS, _CONFIG_CHANGE, _POLICY_LOAD,
 * AUDIT_MAC_STATUS) as pure string builders, byte for byte as security/ipe/audit.c. */
#include <stdio.h>
#include "ipe/ipe.h"
#include "ipe/sbuf.h"


size_t ipe_audit_access(char *buf, size_t size, const struct ipe_decision *d,
			enum ipe_hook hook, bool enforcing, const struct ipe_audit_subject *s)
{
	struct sbuf b = { buf, size, 0 };
	char num[128];   /* the longest op and hook names, two ints */

	if (size)
		buf[0] = '\0';
	snprintf(num, sizeof(num), "ipe_op=%s ipe_hook=%s enforcing=%d pid=%d comm=",
		 ipe_op_name(d->op), ipe_hook_name(hook), enforcing ? 1 : 0, s->pid);
	sb_str(&b, num);
	sb_untrusted(&b, s->comm ? s->comm : "");
	if (s->has_file) {
		sb_str(&b, " path=");
		if (s->path)
			sb_untrusted(&b, s->path);
		else
			sb_str(&b, "\"<too_long>\"");
		if (s->has_inode) {
			sb_str(&b, " dev=");
			sb_untrusted(&b, s->dev ? s->dev : "");
			snprintf(num, sizeof(num), " ino=%lu", s->ino);
			sb_str(&b, num);
		} else {
			sb_str(&b, " dev=? ino=?");
		}
	} else {
		sb_str(&b, " path=? dev=? ino=?");
	}
	sb_put(&b, " ", 1);
	b.len += ipe_decision_format(d, b.len < size ? buf + b.len : NULL,
				     b.len < size ? size - b.len : 0);
	return b.len;
}

/* NAME VERSION DIGEST triple shared by the load and activation records. */
static void sb_policy(struct sbuf *b, const char *prefix_name, const char *prefix_ver,
		      const char *prefix_digest, const struct ipe_policy *p)
{
	char tmp[64];
	sb_str(b, prefix_name);
	sb_put(b, "\"", 1);
	sb_str(b, p->name);	/* %s: raw, no escaping */
	sb_put(b, "\" ", 2);
	snprintf(tmp, sizeof(tmp), "%s%hu.%hu.%hu ", prefix_ver,
		 p->version[0], p->version[1], p->version[2]);
	sb_str(b, tmp);
	sb_str(b, prefix_digest);
	sb_str(b, "sha256:");
	sb_hex(b, p->blob_sha256, sizeof(p->blob_sha256));
}

size_t ipe_audit_policy_load(char *buf, size_t size, const struct ipe_policy *p, int err,
			     uint32_t auid, uint32_t ses, bool compat612)
{
	struct sbuf b = { buf, size, 0 };
	char tmp[96];

	if (size)
		buf[0] = '\0';
	if (p)
		sb_policy(&b, "policy_name=", "policy_version=", "policy_digest=", p);
	else
		sb_str(&b, "policy_name=? policy_version=? policy_digest=?");
	if (compat612)
		snprintf(tmp, sizeof(tmp), " auid=%u ses=%u lsm=ipe res=%d", auid, ses, p ? 1 : 0);
	else
		snprintf(tmp, sizeof(tmp), " auid=%u ses=%u lsm=ipe res=%d errno=%d",
			 auid, ses, p ? 1 : 0, p ? 0 : -err);
	sb_str(&b, tmp);
	return b.len;
}

size_t ipe_audit_config_change(char *buf, size_t size, const struct ipe_policy *old_active,
			       const struct ipe_policy *new_active, uint32_t auid, uint32_t ses)
{
	struct sbuf b = { buf, size, 0 };
	char tmp[64];

	if (size)
		buf[0] = '\0';
	if (old_active)
		sb_policy(&b, "old_active_pol_name=", "old_active_pol_version=",
			  "old_policy_digest=", old_active);
	else
		sb_str(&b, "old_active_pol_name=? old_active_pol_version=? old_policy_digest=?");
	sb_put(&b, " ", 1);
	sb_policy(&b, "new_active_pol_name=", "new_active_pol_version=",
		  "new_policy_digest=", new_active);
	snprintf(tmp, sizeof(tmp), " auid=%u ses=%u lsm=ipe res=1", auid, ses);
	sb_str(&b, tmp);
	return b.len;
}

size_t ipe_audit_enforce(char *buf, size_t size, bool new_enforce, bool old_enforce,
			 uint32_t auid, uint32_t ses)
{
	return (size_t)snprintf(buf, size,
		"enforcing=%d old_enforcing=%d auid=%u ses=%u enabled=1 old-enabled=1 lsm=ipe res=1",
		new_enforce, old_enforce, auid, ses);
}
