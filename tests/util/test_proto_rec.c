/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control protocol's records (structured replies, split tables): round
 * trips, and every malformed, truncated or oversized stream refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "util/proto.h"

static void build(struct udm_rec_buf *b)
{
	udm_rec_begin(b, UDM_REC_DEV);
	udm_rec_str(b, UDM_K_NAME, "lin");
	udm_rec_str(b, UDM_K_UUID, "");
	udm_rec_u64(b, UDM_K_MAJOR, 253);
	udm_rec_u64(b, UDM_K_SECTORS, UINT64_MAX);
	udm_rec_begin(b, UDM_REC_TABLE);
	udm_rec_u64(b, UDM_K_START, 0);
	udm_rec_str(b, UDM_K_TYPE, "linear");
	udm_rec_str(b, UDM_K_PARAMS, "7:0  0");   /* verbatim, spaces and all */
	udm_rec_begin(b, UDM_REC_VERITY);
	udm_rec_bytes(b, UDM_K_V_SIG, "\0\1\2", 3);
	udm_rec_begin(b, UDM_REC_MESSAGE);   /* a record with no field */
}

static void round_trip(void **state)
{
	(void)state;
	struct udm_rec_buf b = { 0 };
	build(&b);
	assert_int_equal(b.err, 0);
	assert_memory_equal(b.buf, "UDMR\1\0\0\0", 8);

	struct udm_rec_reader rd;
	struct udm_rec rec;
	assert_int_equal(udm_rec_reader_init(&rd, b.buf, b.len), 0);
	assert_int_equal(udm_rec_next(&rd, &rec), 1);
	assert_int_equal(rec.kind, UDM_REC_DEV);
	assert_int_equal(rec.n, 4);
	assert_string_equal(udm_rec_get_str(&rec, UDM_K_NAME), "lin");
	assert_string_equal(udm_rec_get_str(&rec, UDM_K_UUID), "");
	assert_int_equal(udm_rec_get_u64(&rec, UDM_K_MAJOR, 0), 253);
	assert_true(udm_rec_get_u64(&rec, UDM_K_SECTORS, 0) == UINT64_MAX);
	assert_int_equal(udm_rec_get_u64(&rec, UDM_K_MINOR, 42), 42);   /* absent: the default */
	assert_null(udm_rec_get_str(&rec, UDM_K_MAJOR));                 /* not a string */
	assert_int_equal(udm_rec_next(&rd, &rec), 1);
	assert_int_equal(rec.kind, UDM_REC_TABLE);
	assert_string_equal(udm_rec_get_str(&rec, UDM_K_PARAMS), "7:0  0");
	assert_int_equal(udm_rec_next(&rd, &rec), 1);
	const struct udm_rec_field *f = udm_rec_get(&rec, UDM_K_V_SIG, UDM_REC_T_BYTES);
	assert_non_null(f);
	assert_int_equal(f->len, 3);
	assert_memory_equal(f->val, "\0\1\2", 3);
	assert_int_equal(udm_rec_next(&rd, &rec), 1);
	assert_int_equal(rec.kind, UDM_REC_MESSAGE);
	assert_int_equal(rec.n, 0);
	assert_int_equal(udm_rec_next(&rd, &rec), 0);
	assert_int_equal(udm_rec_next(&rd, &rec), 0);

	/* every truncation is refused somewhere (or is a shorter whole stream) */
	for (size_t l = 1; l < b.len; l++) {
		int r = udm_rec_reader_init(&rd, b.buf, l), n = 0;
		if (r == 0)
			while ((r = udm_rec_next(&rd, &rec)) == 1)
				n++;
		if (l < UDM_REC_PREAMBLE)
			assert_int_equal(r, -EBADMSG);
		else
			assert_true(r == -EBADMSG || (r == 0 && n < 4));
	}
	free(b.buf);

	/* no records at all: an empty payload */
	assert_int_equal(udm_rec_reader_init(&rd, "", 0), 0);
	assert_int_equal(udm_rec_next(&rd, &rec), 0);
}

static void refusals(void **state)
{
	(void)state;
	struct udm_rec_reader rd;
	struct udm_rec rec;
	assert_int_equal(udm_rec_reader_init(&rd, "UDMX\1\0\0\0", 8), -EBADMSG);
	assert_int_equal(udm_rec_reader_init(&rd, "UDMR\2\0\0\0", 8), -EPROTO);
	assert_int_equal(udm_rec_reader_init(&rd, "UDMR\1\0\1\0", 8), -EBADMSG);
	/* a field before any record */
	static const uint8_t orphan[] = "UDMR\1\0\0\0" "\1\0\3\0\1\0\0\0";
	assert_int_equal(udm_rec_reader_init(&rd, orphan, sizeof(orphan) - 1), 0);
	assert_int_equal(udm_rec_next(&rd, &rec), -EBADMSG);
#define ONE(field) "UDMR\1\0\0\0" "\1\0\1\0\0\0\0\0" field
	/* a string without its NUL, or with one inside */
	static const uint8_t s1[] = ONE("\1\0\3\0\2\0\0\0ab");
	static const uint8_t s2[] = ONE("\1\0\3\0\3\0\0\0a\0\0");
	static const uint8_t s3[] = ONE("\1\0\3\0\0\0\0\0");
	/* a u64 of 4 bytes, a BEGIN with a value, an unknown type, a length past the end */
	static const uint8_t u[] = ONE("\3\0\2\0\4\0\0\0abcd");
	static const uint8_t bg[] = ONE("\1\0\1\0\1\0\0\0x");
	static const uint8_t ty[] = ONE("\1\0\x09\0\0\0\0\0");
	static const uint8_t ln[] = ONE("\1\0\4\0\xff\xff\xff\xff" "abc");
	const uint8_t *bad[] = { s1, s2, s3, u, bg, ty, ln };
	const size_t blen[] = { sizeof(s1), sizeof(s2), sizeof(s3), sizeof(u), sizeof(bg), sizeof(ty), sizeof(ln) };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(udm_rec_reader_init(&rd, bad[i], blen[i] - 1), 0);
		assert_int_equal(udm_rec_next(&rd, &rec), -EBADMSG);
	}
	/* more fields than a record holds */
	struct udm_rec_buf b = { 0 };
	udm_rec_begin(&b, UDM_REC_DEV);
	for (unsigned i = 0; i <= UDM_REC_MAX_FIELDS; i++)
		udm_rec_u64(&b, UDM_K_MAJOR, i);
	assert_int_equal(udm_rec_reader_init(&rd, b.buf, b.len), 0);
	assert_int_equal(udm_rec_next(&rd, &rec), -EBADMSG);
	free(b.buf);
}

static void limits(void **state)
{
	(void)state;
	/* past max: the error sticks and nothing more is written */
	struct udm_rec_buf b = { .max = 40 };
	udm_rec_begin(&b, UDM_REC_DEV);
	udm_rec_str(&b, UDM_K_NAME, "0123456789012345678901234567890123456789");
	assert_int_equal(b.err, -EMSGSIZE);
	size_t len = b.len;
	udm_rec_u64(&b, UDM_K_MAJOR, 1);
	assert_int_equal(b.len, len);
	free(b.buf);
}

static void request_with_records(void **state)
{
	(void)state;
	struct udm_rec_buf b = { 0 };
	udm_rec_begin(&b, UDM_REC_TABLE);
	udm_rec_u64(&b, UDM_K_LENGTH, 8);
	const char *in[] = { "name", "/" };
	uint8_t *buf;
	size_t len;
	assert_int_equal(udm_proto_req_encode(2, in, b.buf, b.len, &buf, &len), 0);
	const char *out[4];
	unsigned n;
	const uint8_t *recs;
	size_t rlen;
	assert_int_equal(udm_proto_req_decode(buf, len, 4, &n, out, &recs, &rlen), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[1], "/");
	assert_int_equal(rlen, b.len);
	assert_memory_equal(recs, b.buf, b.len);
	/* the plain decoder still wants nothing after the arguments */
	assert_int_equal(udm_proto_args_decode(buf, len, 4, &n, out), -EBADMSG);
	/* trailing bytes that are no record stream */
	buf[len - b.len] = 'X';
	assert_int_equal(udm_proto_req_decode(buf, len, 4, &n, out, &recs, &rlen), -EBADMSG);
	free(buf);
	/* without records */
	assert_int_equal(udm_proto_req_encode(2, in, NULL, 0, &buf, &len), 0);
	assert_int_equal(udm_proto_req_decode(buf, len, 4, &n, out, &recs, &rlen), 0);
	assert_null(recs);
	assert_int_equal(rlen, 0);
	free(buf);
	free(b.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refusals),
		cmocka_unit_test(limits),
		cmocka_unit_test(request_with_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
