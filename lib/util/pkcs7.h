/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PKCS#7 signed-data verification against a set of trusted certificates (the
 * kernel keyring analog), for signed IPE policies and verity root hashes. */
#ifndef UDM_UTIL_PKCS7_H
#define UDM_UTIL_PKCS7_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct udm_trust;	/* a set of trusted certificates */
/* The largest PKCS#7 message the kernel parses (asn1_ber_decoder: EMSGSIZE beyond) */
#define UDM_PKCS7_MAX 65535
/* path: one PEM file (any number of certificates) or a directory of them (its *.pem files).
 * Returns the number of certificates or -errno. */
int udm_trust_load(const char *path, struct udm_trust **out, char *reason, size_t rsize);
void udm_trust_free(struct udm_trust *t);
/* The certificates of a set (0 for NULL) and the subject of the i-th
 * ("CN=..., O=..."): 0 or -ENOENT. */
size_t udm_trust_count(const struct udm_trust *t);
int udm_trust_subject(const struct udm_trust *t, size_t i, char *buf, size_t size);

struct udm_pkcs7 {
	bool is_signed;		/* a signed-data message */
	bool verified;		/* signature checked against a trust set */
	char *content;		/* the signed content, NUL-terminated (a copy of it when detached) */
	size_t content_len;
	char signer[256];	/* subject of the signer certificate, if known */
};
/* Verify DER signed-data. detached == NULL: the content is inside and is
 * returned; otherwise the signature must be detached and cover `detached`.
 * trust NULL: only the signature is checked, with the embedded certificate.
 * Errors as verify_pkcs7_signature: EMSGSIZE over UDM_PKCS7_MAX bytes,
 * EBADMSG malformed, EKEYREJECTED no content (the kernel digests none),
 * EINVAL content both attached and supplied, EKEYREJECTED signature does not
 * match, ENOKEY signer not trusted. */
int udm_pkcs7_verify(const uint8_t *der, size_t len, const uint8_t *detached, size_t dlen,
		     const struct udm_trust *trust, struct udm_pkcs7 *out, char *reason, size_t rsize);
void udm_pkcs7_release(struct udm_pkcs7 *p);
#endif
