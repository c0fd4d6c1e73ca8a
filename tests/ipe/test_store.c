/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPE policy store: the securityfs lifecycle rules with the kernel's errnos
 * and audit records, persistence across reopen, the boot policy, v6.12 mode. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "ipe/ipe.h"
#include "tests/ipe/sign.h"

/* audit records captured in order */
static char recs[16][2048];
static int rec_types[16], nrecs;
static void capture(void *arg, int type, const char *rec)
{
	(void)arg;
	assert_true(nrecs < 16);
	rec_types[nrecs] = type;
	snprintf(recs[nrecs++], sizeof(recs[0]), "%s", rec);
}

static struct udm_trust *trust;
static char state_dir[300];

static uint8_t *policy_blob(const char *name, const char *ver, size_t *len)
{
	char text[512];
	snprintf(text, sizeof(text), "policy_name=%s policy_version=%s\nDEFAULT action=ALLOW\n"
		 "op=EXECUTE boot_verified=TRUE action=DENY\n", name, ver);
	return sign_policy(text, "trusted", "-nodetach -binary", len);
}

static struct ipe_store *open_store(bool compat)
{
	struct ipe_store_opts o = { .state_dir = state_dir, .trust = trust, .compat612 = compat,
				    .audit = capture };
	struct ipe_store *s = NULL;
	char reason[256];
	if (ipe_store_open(&o, &s, reason, sizeof(reason)) < 0)
		fail_msg("open: %s", reason);
	return s;
}

static void fresh_dir(const char *tag)
{
	snprintf(state_dir, sizeof(state_dir), "%s/state-%s", sign_dir, tag);
	nrecs = 0;
}

static int setup(void **state)
{
	if (sign_setup(state))
		return -1;
	char reason[256];
	return udm_trust_load(sign_path("trusted.pem"), &trust, reason, sizeof(reason)) == 1 ? 0 : -1;
}

static int teardown(void **state)
{
	udm_trust_free(trust);
	return sign_teardown(state);
}

static void sha256_hex(const uint8_t *p, size_t n, char *out)
{
	uint8_t md[32];
	EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02X", md[i]);
}

static int load(struct ipe_store *s, const char *name, const char *ver)
{
	size_t len;
	uint8_t *b = policy_blob(name, ver, &len);
	char reason[256];
	int rc = ipe_store_load(s, b, len, NULL, reason, sizeof(reason));
	free(b);
	return rc;
}

static int update(struct ipe_store *s, const char *target, const char *name, const char *ver)
{
	size_t len;
	uint8_t *b = policy_blob(name, ver, &len);
	char reason[256];
	int rc = ipe_store_update(s, target, b, len, NULL, reason, sizeof(reason));
	free(b);
	return rc;
}

static void test_load_rules(void **state)
{
	(void)state;
	fresh_dir("load");
	struct ipe_store *s = open_store(false);
	struct ipe_actor who = { 1000, 3 };
	size_t len;
	uint8_t *b = policy_blob("p1", "1.0.0", &len);
	char reason[256], want[512], hx[65];

	assert_null(ipe_store_get_active(s));
	assert_true(ipe_store_enforcing(s));
	assert_false(ipe_store_success_audit(s));
	assert_int_equal(ipe_store_load(s, b, len, &who, reason, sizeof(reason)), 0);
	sha256_hex(b, len, hx);
	snprintf(want, sizeof(want), "policy_name=\"p1\" policy_version=1.0.0 policy_digest=sha256:%s "
		 "auid=1000 ses=3 lsm=ipe res=1 errno=0", hx);
	assert_int_equal(nrecs, 1);
	assert_int_equal(rec_types[0], 1422);
	assert_string_equal(recs[0], want);
	assert_null(ipe_store_get_active(s));	/* loading never activates */
	assert_int_equal(ipe_store_load(s, b, len, NULL, reason, sizeof(reason)), -EEXIST);
	assert_string_equal(recs[1], "policy_name=? policy_version=? policy_digest=? "
				     "auid=4294967295 ses=4294967295 lsm=ipe res=0 errno=-17");
	const char *plain = "policy_name=p9 policy_version=0.0.0\nDEFAULT action=ALLOW";
	assert_int_equal(ipe_store_load(s, (const uint8_t *)plain, strlen(plain), NULL, reason,
					sizeof(reason)), -EBADMSG);
	size_t flen;
	uint8_t *f = sign_policy(plain, "foreign", "-nodetach", &flen);
	assert_int_equal(ipe_store_load(s, f, flen, NULL, reason, sizeof(reason)), -ENOKEY);
	free(f);
	f = sign_policy("policy_name=bad policy_version=0.1\nDEFAULT action=ALLOW", "trusted", "-nodetach", &flen);
	assert_int_equal(ipe_store_load(s, f, flen, NULL, reason, sizeof(reason)), -EBADMSG);
	assert_non_null(strstr(reason, "line 1"));
	free(f);
	assert_int_equal(load(s, "..", "0.0.0"), -EACCES);
	char longname[300];
	memset(longname, 'n', 299), longname[299] = 0;
	assert_int_equal(load(s, longname, "0.0.0"), -ENAMETOOLONG);
	assert_int_equal(nrecs, 7);	/* every failure is audited too */
	assert_string_equal(recs[6] + strlen(recs[6]) - 9, "errno=-36");
	char **names;
	size_t n;
	assert_int_equal(ipe_store_list(s, &names, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "p1");
	free(names[0]), free(names);
	struct ipe_policy *p = ipe_store_get(s, "p1");
	assert_non_null(p);
	assert_int_equal(p->pkcs7len, len);
	assert_memory_equal(p->pkcs7, b, len);
	ipe_policy_put(p);
	assert_null(ipe_store_get(s, "nope"));
	free(b);
	ipe_store_close(s);
}

static void test_activate_update_delete(void **state)
{
	(void)state;
	fresh_dir("life");
	struct ipe_store *s = open_store(false);
	assert_int_equal(load(s, "p1", "1.0.0"), 0);
	assert_int_equal(load(s, "p2", "0.5.0"), 0);
	assert_int_equal(load(s, "p3", "1.0.0"), 0);
	nrecs = 0;
	assert_int_equal(ipe_store_activate(s, "nope", NULL), -ENOENT);
	assert_int_equal(ipe_store_activate(s, "p1", NULL), 0);
	assert_int_equal(nrecs, 1);
	assert_int_equal(rec_types[0], 1421);
	static const char first[] = "old_active_pol_name=? old_active_pol_version=? old_policy_digest=? "
		"new_active_pol_name=\"p1\" new_active_pol_version=1.0.0 new_policy_digest=sha256:";
	assert_memory_equal(recs[0], first, sizeof(first) - 1);
	assert_string_equal(recs[0] + sizeof(first) - 1 + 64, " auid=4294967295 ses=4294967295 lsm=ipe res=1");
	assert_int_equal(ipe_store_activate(s, "p1", NULL), 0);	/* already active: no record */
	assert_int_equal(nrecs, 1);
	assert_int_equal(ipe_store_activate(s, "p2", NULL), -EINVAL);	/* below the active version */
	assert_int_equal(ipe_store_activate(s, "p3", NULL), 0);	/* equal version, other name */
	assert_non_null(strstr(recs[1], "old_active_pol_name=\"p1\" old_active_pol_version=1.0.0"));
	assert_int_equal(ipe_store_activate(s, "p1", NULL), 0);

	/* update: same name, strictly higher version */
	nrecs = 0;
	assert_int_equal(update(s, "nope", "nope", "2.0.0"), -ENOENT);
	assert_int_equal(update(s, "p1", "p1", "1.0.0"), -ESTALE);
	assert_int_equal(update(s, "p1", "p1", "0.9.9"), -ESTALE);
	assert_int_equal(update(s, "p1", "p2", "9.0.0"), -EINVAL);
	assert_int_equal(nrecs, 3);	/* an unknown name: no record, as no update file to write */
	assert_string_equal(recs[0] + strlen(recs[0]) - 10, "errno=-116");
	nrecs = 0;
	assert_int_equal(update(s, "p1", "p1", "1.0.1"), 0);
	assert_int_equal(nrecs, 2);	/* load record, then the activation */
	assert_int_equal(rec_types[0], 1422);
	assert_int_equal(rec_types[1], 1421);
	assert_non_null(strstr(recs[1], "old_active_pol_version=1.0.0"));
	assert_non_null(strstr(recs[1], "new_active_pol_version=1.0.1"));
	struct ipe_policy *a = ipe_store_get_active(s);
	assert_int_equal(a->version[2], 1);
	ipe_policy_put(a);
	nrecs = 0;
	assert_int_equal(update(s, "p2", "p2", "0.6.0"), 0);	/* not active: load record only */
	assert_int_equal(nrecs, 1);

	assert_int_equal(ipe_store_delete(s, "p1"), -EPERM);
	assert_int_equal(ipe_store_delete(s, "p2"), 0);
	assert_int_equal(ipe_store_delete(s, "p2"), -ENOENT);
	assert_null(ipe_store_get(s, "p2"));

	/* switches */
	nrecs = 0;
	struct ipe_actor who = { 0, 1 };
	assert_int_equal(ipe_store_set_enforce(s, false, &who), 0);
	assert_int_equal(nrecs, 2);
	assert_int_equal(rec_types[0], 1404);
	assert_string_equal(recs[0], "enforcing=0 old_enforcing=1 auid=0 ses=1 enabled=1 old-enabled=1 lsm=ipe res=1");
	assert_int_equal(rec_types[1], 1404);	/* the kernel's empty second record */
	assert_string_equal(recs[1], "");
	assert_int_equal(ipe_store_set_enforce(s, false, &who), 0);
	assert_int_equal(ipe_store_set_success_audit(s, true), 0);
	assert_int_equal(nrecs, 2);	/* unchanged enforce and success_audit: no record */
	ipe_store_close(s);

	/* reopen: same policies, same active, same switches; no temp files left */
	s = open_store(false);
	a = ipe_store_get_active(s);
	assert_non_null(a);
	assert_string_equal(a->name, "p1");
	assert_int_equal(a->version[2], 1);
	assert_non_null(a->pkcs7);
	ipe_policy_put(a);
	assert_false(ipe_store_enforcing(s));
	assert_true(ipe_store_success_audit(s));
	char **names;
	size_t n;
	assert_int_equal(ipe_store_list(s, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "p1");
	assert_string_equal(names[1], "p3");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int_equal(ipe_store_activate(s, "p3", NULL), -EINVAL);	/* 1.0.0 < active 1.0.1 */
	ipe_store_close(s);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "test -z \"$(find %s -name '*.tmp')\"", state_dir);
	assert_int_equal(system(cmd), 0);
}

static void test_compat612(void **state)
{
	(void)state;
	fresh_dir("compat");
	struct ipe_store *s = open_store(true);
	assert_int_equal(load(s, "p", "1.0.0"), 0);
	assert_string_equal(recs[0] + strlen(recs[0]) - 5, "res=1");	/* no errno field */
	assert_int_equal(update(s, "p", "p", "0.9.0"), -EINVAL);
	assert_int_equal(nrecs, 1);	/* failures were not audited */
	assert_int_equal(update(s, "p", "p", "1.0.0"), 0);	/* equal version allowed */
	ipe_store_close(s);
}

static void test_boot_policy(void **state)
{
	(void)state;
	fresh_dir("boot");
	struct ipe_store *s = open_store(false);
	struct ipe_parse_error pe;
	const char *bad = "policy_name=boot policy_version=0.0.0\n";
	assert_int_equal(ipe_store_boot_policy(s, bad, strlen(bad), &pe), -EBADMSG);
	assert_null(ipe_store_get_active(s));
	const char *text = "policy_name=boot policy_version=0.0.0\nDEFAULT action=ALLOW\n";
	assert_int_equal(ipe_store_boot_policy(s, text, strlen(text), &pe), 0);
	assert_int_equal(nrecs, 0);	/* no audit for the boot policy */
	struct ipe_policy *a = ipe_store_get_active(s);
	assert_string_equal(a->name, "boot");
	assert_null(a->pkcs7);
	ipe_policy_put(a);
	ipe_store_close(s);
	s = open_store(false);
	a = ipe_store_get_active(s);
	assert_string_equal(a->name, "boot");
	assert_null(a->pkcs7);
	ipe_policy_put(a);
	/* a restart keeps what is active */
	assert_int_equal(ipe_store_boot_policy(s, text, strlen(text), &pe), 1);
	assert_int_equal(load(s, "next", "0.0.1"), 0);
	assert_int_equal(ipe_store_activate(s, "next", NULL), 0);
	/* the boot policy's digest is that of the empty buffer */
	assert_non_null(strstr(recs[1], "old_policy_digest=sha256:"
				"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	assert_int_equal(ipe_store_delete(s, "boot"), 0);
	ipe_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_rules),
		cmocka_unit_test(test_activate_update_delete),
		cmocka_unit_test(test_compat612),
		cmocka_unit_test(test_boot_policy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
