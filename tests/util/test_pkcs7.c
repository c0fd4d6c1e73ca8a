/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm_pkcs7_verify reports every field of its result, whatever the caller left
 * in it (fuzz_pkcs7 finding: `verified` was left untouched without a trust set). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/pkcs7.h"
#include "tests/ipe/sign.h"

static void result_fully_set(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = sign_policy("hello", "trusted", "-nodetach -binary", &len);
	struct udm_pkcs7 out;
	char reason[256];
	/* success without a trust set: signed, not verified, whatever was there before */
	memset(&out, 0xff, sizeof(out));
	assert_int_equal(udm_pkcs7_verify(der, len, NULL, 0, NULL, &out, reason, sizeof(reason)), 0);
	assert_true(out.is_signed);
	assert_false(out.verified);
	assert_string_equal(out.content, "hello");
	udm_pkcs7_release(&out);
	/* failure: nothing stale either */
	memset(&out, 0xff, sizeof(out));
	assert_int_equal(udm_pkcs7_verify(der, len / 2, NULL, 0, NULL, &out, reason, sizeof(reason)), -EBADMSG);
	assert_false(out.is_signed);
	assert_false(out.verified);
	assert_null(out.content);
	free(der);
	(void)sign_path;
}

/* detached content goes in through a buffer filter (the OpenSSL leak workaround):
 * it must still verify, and fail on other content */
static void detached_verifies(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = sign_policy("0123abcd", "trusted", "-binary", &len);
	struct udm_pkcs7 out;
	char reason[256];
	assert_int_equal(udm_pkcs7_verify(der, len, (const uint8_t *)"0123abcd", 8, NULL, &out, reason,
					  sizeof(reason)), 0);
	assert_true(out.is_signed);
	udm_pkcs7_release(&out);
	assert_int_equal(udm_pkcs7_verify(der, len, (const uint8_t *)"0123abce", 8, NULL, &out, reason,
					  sizeof(reason)), -EKEYREJECTED);
	assert_int_equal(udm_pkcs7_verify(der, len, NULL, 0, NULL, &out, reason, sizeof(reason)), -EKEYREJECTED);
	free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(result_fully_set),
		cmocka_unit_test(detached_verifies),
	};
	return cmocka_run_group_tests(tests, sign_setup, sign_teardown);
}
