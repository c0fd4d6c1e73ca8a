/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPE audit records byte for byte: access (file, no file, no inode, hex
 * escaping), policy load (success, failure, v6.12), config change, enforce. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ipe/ipe.h"

static struct ipe_policy *parse(const char *t)
{
	struct ipe_policy *p = NULL;
	assert_int_equal(ipe_policy_parse(t, strlen(t), &p, NULL), 0);
	return p;
}

static void test_access_records(void **state)
{
	(void)state;
	struct ipe_policy *p = parse("policy_name=a policy_version=0.0.0\nDEFAULT action=DENY\n"
				     "op=EXECUTE dmverity_roothash=sha256:0a1b action=ALLOW\n");
	struct ipe_eval_ctx c = { .op = IPE_OP_EXECUTE, .has_file = true };
	struct ipe_decision d;
	char rec[1024];

	/* the admin guide's examples */
	ipe_eval(p, &c, &d);
	struct ipe_audit_subject sub = { .pid = 2241, .comm = "ld-linux.so", .has_file = true,
					 .path = "/deny/lib/libc.so.6", .has_inode = true,
					 .dev = "sda2", .ino = 14549020 };
	size_t n = ipe_audit_access(rec, sizeof(rec), &d, IPE_HOOK_MMAP, true, &sub);
	assert_string_equal(rec, "ipe_op=EXECUTE ipe_hook=MMAP enforcing=1 pid=2241 comm=\"ld-linux.so\" "
				 "path=\"/deny/lib/libc.so.6\" dev=\"sda2\" ino=14549020 rule=\"DEFAULT action=DENY\"");
	assert_int_equal(n, strlen(rec));
	struct ipe_audit_subject anon = { .pid = 7, .comm = "mmap_test" };
	c.has_file = false;
	ipe_eval(p, &c, &d);
	ipe_audit_access(rec, sizeof(rec), &d, IPE_HOOK_MMAP, false, &anon);
	assert_string_equal(rec, "ipe_op=EXECUTE ipe_hook=MMAP enforcing=0 pid=7 comm=\"mmap_test\" "
				 "path=? dev=? ino=? rule=\"DEFAULT action=DENY\"");

	/* a matched rule, a comm with a space (hex), a file without an inode */
	c.has_file = true, c.dmv_present = true, c.dmv_alg = "sha256";
	c.dmv_digest = (const uint8_t *)"\x0a\x1b", c.dmv_digest_len = 2;
	ipe_eval(p, &c, &d);
	struct ipe_audit_subject odd = { .pid = 1, .comm = "a b", .has_file = true, .path = "/x\"y" };
	ipe_audit_access(rec, sizeof(rec), &d, IPE_HOOK_BPRM_CHECK, true, &odd);
	assert_string_equal(rec, "ipe_op=EXECUTE ipe_hook=BPRM_CHECK enforcing=1 pid=1 comm=612062 "
				 "path=2F782279 dev=? ino=? rule=\"op=EXECUTE dmverity_roothash=\"sha256\":0A1B action=ALLOW\"");
	odd.path = NULL;	/* d_path failed */
	ipe_audit_access(rec, sizeof(rec), &d, IPE_HOOK_BPRM_CHECK, true, &odd);
	assert_non_null(strstr(rec, " path=\"<too_long>\" dev=? ino=? "));

	/* INVALID op: UNKNOWN, global default */
	c.op = IPE_OP_INVALID;
	ipe_eval(p, &c, &d);
	ipe_audit_access(rec, sizeof(rec), &d, IPE_HOOK_KERNEL_LOAD, true, &anon);
	assert_string_equal(rec, "ipe_op=UNKNOWN ipe_hook=KERNEL_LOAD enforcing=1 pid=7 comm=\"mmap_test\" "
				 "path=? dev=? ino=? rule=\"DEFAULT action=DENY\"");
	/* the longest op and hook names with the largest pid: the header is whole (7.2's
	 * AT_EXECVE_CHECK hook; a 64-byte header buffer cut " comm=" off) */
	struct ipe_audit_subject big = { .pid = 2147483647, .comm = "c" };
	c.op = IPE_OP_KEXEC_INITRAMFS;
	ipe_eval(p, &c, &d);
	ipe_audit_access(rec, sizeof(rec), &d, IPE_HOOK_BPRM_CREDS_FOR_EXEC, true, &big);
	assert_non_null(strstr(rec, "ipe_op=KEXEC_INITRAMFS ipe_hook=BPRM_CREDS_FOR_EXEC enforcing=1 "
				    "pid=2147483647 comm=\"c\" path=? dev=? ino=? "));
	/* per-op default record */
	struct ipe_policy *q = parse("policy_name=b policy_version=0.0.0\nDEFAULT action=DENY\n"
				     "DEFAULT op=FIRMWARE action=ALLOW\n");
	c.op = IPE_OP_FIRMWARE;
	ipe_eval(q, &c, &d);
	ipe_audit_access(rec, sizeof(rec), &d, IPE_HOOK_KERNEL_READ, true, &sub);
	assert_string_equal(rec + strlen(rec) - 40, " rule=\"DEFAULT op=FIRMWARE action=ALLOW\"");
	/* truncation keeps a terminated prefix and reports the full size */
	char small[20];
	n = ipe_audit_access(small, sizeof(small), &d, IPE_HOOK_KERNEL_READ, true, &sub);
	assert_int_equal(n, strlen(rec));
	assert_int_equal(strlen(small), 19);
	ipe_policy_put(q);
	ipe_policy_put(p);
}

static void test_policy_records(void **state)
{
	(void)state;
	struct ipe_policy *p = parse("policy_name=Allow_All policy_version=+007.0.01\nDEFAULT action=ALLOW");
	struct ipe_policy *q = parse("policy_name=n\"q policy_version=1.2.3\nDEFAULT action=ALLOW");
	static const char empty[] = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
	char rec[1024], want[1024];

	ipe_audit_policy_load(rec, sizeof(rec), p, 0, 4294967295u, 4294967295u, false);
	snprintf(want, sizeof(want), "policy_name=\"Allow_All\" policy_version=7.0.1 policy_digest=sha256:%s "
		 "auid=4294967295 ses=4294967295 lsm=ipe res=1 errno=0", empty);
	assert_string_equal(rec, want);
	ipe_audit_policy_load(rec, sizeof(rec), NULL, EBADMSG, 0, 2, false);
	assert_string_equal(rec, "policy_name=? policy_version=? policy_digest=? auid=0 ses=2 lsm=ipe res=0 errno=-74");
	ipe_audit_policy_load(rec, sizeof(rec), q, 0, 0, 2, true);
	snprintf(want, sizeof(want), "policy_name=\"n\"q\" policy_version=1.2.3 policy_digest=sha256:%s "
		 "auid=0 ses=2 lsm=ipe res=1", empty);	/* the name is raw: no escaping */
	assert_string_equal(rec, want);

	ipe_audit_config_change(rec, sizeof(rec), p, q, 5, 6);
	snprintf(want, sizeof(want),
		 "old_active_pol_name=\"Allow_All\" old_active_pol_version=7.0.1 old_policy_digest=sha256:%s "
		 "new_active_pol_name=\"n\"q\" new_active_pol_version=1.2.3 new_policy_digest=sha256:%s "
		 "auid=5 ses=6 lsm=ipe res=1", empty, empty);
	assert_string_equal(rec, want);
	ipe_audit_config_change(rec, sizeof(rec), NULL, q, 5, 6);
	assert_true(strncmp(rec, "old_active_pol_name=? old_active_pol_version=? old_policy_digest=? "
			    "new_active_pol_name=\"n\"q\"", 86) == 0);
	ipe_audit_enforce(rec, sizeof(rec), true, false, 0, 1);
	assert_string_equal(rec, "enforcing=1 old_enforcing=0 auid=0 ses=1 enabled=1 old-enabled=1 lsm=ipe res=1");
	ipe_policy_put(p);
	ipe_policy_put(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_records),
		cmocka_unit_test(test_policy_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
