/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signed IPE policies: split bytes into policy text, verifying a PKCS#7
 * (DER, attached content) signature with the shared verifier (util/pkcs7). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ipe/ipe.h"

/* A DER SEQUENCE whose length is in long form: no policy text starts so
 * (its second byte would be >= 0x80), so a failure to decode is a broken
 * message, not text. */
static bool looks_like_der(const uint8_t *d, size_t len)
{
	return len >= 2 && d[0] == 0x30 && d[1] >= 0x80;
}

int ipe_blob_open(const uint8_t *data, size_t len, const struct udm_trust *trust,
		  struct ipe_blob *out, char *reason, size_t rsize)
{
	memset(out, 0, sizeof(*out));
	if (reason && rsize)
		reason[0] = '\0';
	if (looks_like_der(data, len)) {
		struct udm_pkcs7 p7 = { 0 };
		int rc = udm_pkcs7_verify(data, len, NULL, 0, trust, &p7, reason, rsize);
		out->is_signed = p7.is_signed;
		out->verified = p7.verified;
		memcpy(out->signer, p7.signer, sizeof(out->signer));
		if (rc < 0) {
			udm_pkcs7_release(&p7);
			return rc;
		}
		out->text = p7.content;
		out->textlen = p7.content_len;
		return 0;
	}
	if (!(out->text = malloc(len + 1))) {
		if (reason && rsize)
			strncpy(reason, "out of memory", rsize - 1);
		return -ENOMEM;
	}
	memcpy(out->text, data, len);
	out->text[len] = '\0';
	out->textlen = len;
	return 0;
}

void ipe_blob_release(struct ipe_blob *b)
{
	free(b->text);
	b->text = NULL;
	b->textlen = 0;
}
