/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signed policies: text extraction, trust, and each refusal (truncated,
 * forged, foreign signer, detached) with the kernel's errno. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "ipe/ipe.h"
#include "tests/ipe/sign.h"

static const char POLICY[] = "policy_name=signed policy_version=1.2.3\nDEFAULT action=DENY\n"
			     "op=EXECUTE dmverity_signature=TRUE action=ALLOW\n";

static struct udm_trust *trust_of(const char *name)
{
	struct udm_trust *t = NULL;
	char reason[256];
	int n = udm_trust_load(sign_path(name), &t, reason, sizeof(reason));
	if (n < 1)
		fail_msg("trust %s: %s", name, reason);
	return t;
}

static void test_plain_text_passes_through(void **state)
{
	(void)state;
	struct ipe_blob b;
	assert_int_equal(ipe_blob_open((const uint8_t *)POLICY, strlen(POLICY), NULL, &b, NULL, 0), 0);
	assert_false(b.is_signed);
	assert_false(b.verified);
	assert_string_equal(b.text, POLICY);
	ipe_blob_release(&b);
}

static void test_signed_trusted(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = sign_policy(POLICY, "trusted", "-nodetach", &len);
	struct udm_trust *t = trust_of("trusted.pem");
	struct ipe_blob b;
	char reason[256];
	assert_int_equal(ipe_blob_open(der, len, t, &b, reason, sizeof(reason)), 0);
	assert_true(b.is_signed);
	assert_true(b.verified);
	assert_string_equal(b.signer, "CN=udm-test-trusted");
	/* smime without -binary signs the canonical (CRLF) form; CR is a line break to IPE */
	struct ipe_policy *p;
	assert_int_equal(ipe_policy_parse(b.text, b.textlen, &p, NULL), 0);
	assert_string_equal(p->name, "signed");
	assert_int_equal(p->nrules, 1);
	ipe_policy_put(p);
	ipe_blob_release(&b);
	/* no trust set: extracted and self-consistent, not verified */
	assert_int_equal(ipe_blob_open(der, len, NULL, &b, reason, sizeof(reason)), 0);
	assert_true(b.is_signed);
	assert_false(b.verified);
	assert_string_equal(b.signer, "CN=udm-test-trusted");
	ipe_blob_release(&b);
	udm_trust_free(t);
	free(der);
}

static void test_refusals(void **state)
{
	(void)state;
	size_t len, flen, dlen;
	uint8_t *der = sign_policy(POLICY, "trusted", "-nodetach -binary", &len);
	uint8_t *foreign = sign_policy(POLICY, "foreign", "-nodetach", &flen);
	uint8_t *detached = sign_policy(POLICY, "trusted", "", &dlen);
	struct udm_trust *t = trust_of("trusted.pem");
	struct ipe_blob b;
	char reason[256];

	assert_int_equal(ipe_blob_open(foreign, flen, t, &b, reason, sizeof(reason)), -ENOKEY);
	assert_non_null(strstr(reason, "udm-test-foreign"));
	assert_int_equal(ipe_blob_open(der, len - 7, t, &b, reason, sizeof(reason)), -EBADMSG);
	assert_int_equal(ipe_blob_open(der, 40, t, &b, reason, sizeof(reason)), -EBADMSG);
	assert_int_equal(ipe_blob_open(detached, dlen, t, &b, reason, sizeof(reason)), -EKEYREJECTED);
	/* forge: change the version inside the signed content */
	uint8_t *hit = memmem(der, len, "1.2.3", 5);
	assert_non_null(hit);
	hit[0] = '9';
	assert_int_equal(ipe_blob_open(der, len, t, &b, reason, sizeof(reason)), -EKEYREJECTED);
	assert_int_equal(ipe_blob_open(der, len, NULL, &b, reason, sizeof(reason)), -EKEYREJECTED);
	udm_trust_free(t);
	free(der), free(foreign), free(detached);
}

static void test_trust_sets(void **state)
{
	(void)state;
	struct udm_trust *t;
	char reason[256];
	/* a directory holds both certificates: the foreign signer is then trusted */
	sign_run("mkdir -p certs && cp trusted.pem foreign.pem certs/ && cat trusted.pem foreign.pem > both.pem "
		 "&& echo junk > nocert.pem");
	assert_int_equal(udm_trust_load(sign_path("certs"), &t, reason, sizeof(reason)), 2);
	size_t flen;
	uint8_t *foreign = sign_policy(POLICY, "foreign", "-nodetach", &flen);
	struct ipe_blob b;
	assert_int_equal(ipe_blob_open(foreign, flen, t, &b, reason, sizeof(reason)), 0);
	assert_true(b.verified);
	ipe_blob_release(&b);
	udm_trust_free(t);
	assert_int_equal(udm_trust_load(sign_path("both.pem"), &t, reason, sizeof(reason)), 2);
	udm_trust_free(t);
	assert_int_equal(udm_trust_load(sign_path("nocert.pem"), &t, reason, sizeof(reason)), -ENOKEY);
	assert_int_equal(udm_trust_load(sign_path("missing.pem"), &t, reason, sizeof(reason)), -ENOENT);
	/* a message without its certificate verifies from the trust set alone */
	size_t nlen;
	uint8_t *nocerts = sign_policy(POLICY, "trusted", "-nodetach -nocerts", &nlen);
	t = trust_of("trusted.pem");
	assert_int_equal(ipe_blob_open(nocerts, nlen, t, &b, reason, sizeof(reason)), 0);
	assert_true(b.verified);
	assert_string_equal(b.signer, "CN=udm-test-trusted");
	ipe_blob_release(&b);
	udm_trust_free(t);
	t = trust_of("foreign.pem");
	assert_int_equal(ipe_blob_open(nocerts, nlen, t, &b, reason, sizeof(reason)), -ENOKEY);
	udm_trust_free(t);
	free(foreign), free(nocerts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_passes_through),
		cmocka_unit_test(test_signed_trusted),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_trust_sets),
	};
	return cmocka_run_group_tests(tests, sign_setup, sign_teardown);
}
