/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the control protocol's records (lib/util/proto.c, the
 * structured replies and split tables). Bytes -> records; what decodes must
 * re-encode to the same bytes. The same bytes after a request's arguments go
 * through udm_proto_req_decode, which must take them exactly when the
 * records' reader takes their preamble. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	struct udm_rec_reader rd;
	struct udm_rec rec;
	int init = udm_rec_reader_init(&rd, data, size);
	if (init && init != -EBADMSG && init != -EPROTO)
		abort();

	/* after one argument, as a create or load request carries them */
	uint8_t *req = malloc(6 + size);
	if (!req)
		return 0;
	memcpy(req, "\1\0\0\0a", 6);
	if (size)
		memcpy(req + 6, data, size);
	const char *argv[2];
	unsigned argc;
	const uint8_t *recs;
	size_t rlen;
	int r = udm_proto_req_decode(req, 6 + size, 2, &argc, argv, &recs, &rlen);
	if ((r == 0) != (init == 0) || (r && r != -EBADMSG))
		abort();
	if (r == 0 && (argc != 1 || strcmp(argv[0], "a") || rlen != size || (size && recs != req + 6)))
		abort();
	free(req);
	if (init)
		return 0;

	struct udm_rec_buf b = { 0 };
	size_t whole = 0;   /* bytes of the records decoded so far */
	while ((r = udm_rec_next(&rd, &rec)) == 1) {
		if (rec.n > UDM_REC_MAX_FIELDS)
			abort();
		udm_rec_begin(&b, rec.kind);
		for (unsigned i = 0; i < rec.n; i++) {
			const struct udm_rec_field *f = &rec.f[i];
			switch (f->type) {
			case UDM_REC_T_U64:
				udm_rec_u64(&b, f->key, f->u64);
				break;
			case UDM_REC_T_STR:
				if (strlen(f->val) + 1 != f->len || udm_rec_get_str(&rec, f->key) == NULL)
					abort();
				udm_rec_str(&b, f->key, f->val);
				break;
			case UDM_REC_T_BYTES:
				udm_rec_bytes(&b, f->key, f->val, f->len);
				break;
			default:
				abort();
			}
		}
		whole = rd.off;
	}
	if ((r && r != -EBADMSG) || b.err || (b.len && (b.len != whole || memcmp(b.buf, data, whole))))
		abort();
	free(b.buf);
	return 0;
}
