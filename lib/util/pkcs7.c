/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PKCS#7 signatures and trusted certificates, shared by signed IPE policies
 * (content attached) and dm-verity root-hash signatures (content detached),
 * with the errno the kernel's verify_pkcs7_signature gives for each failure. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include "util/pkcs7.h"
#include "util/reason.h"

/* A reason, with OpenSSL's error queue emptied so no stale error leaks into later calls. */
#define why(...) (ERR_clear_error(), udm_reason(__VA_ARGS__))

struct udm_trust {
	STACK_OF(X509) *certs;
	X509_STORE *store;
};


static int add_pem_file(struct udm_trust *t, const char *path, char *reason, size_t rsize)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	int n = 0;

	if (!f)
		return why(reason, rsize, errno, "%s: %s", path, strerror(errno));
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(t->certs, x) || !X509_STORE_add_cert(t->store, x)) {
			if (sk_X509_value(t->certs, sk_X509_num(t->certs) - 1) != x)
				X509_free(x);
			fclose(f);
			return why(reason, rsize, ENOMEM, "%s: cannot add certificate", path);
		}
		n++;
	}
	fclose(f);
	ERR_clear_error();	/* the read loop ends on "no start line" */
	return n;
}

int udm_trust_load(const char *path, struct udm_trust **out, char *reason, size_t rsize)
{
	struct udm_trust *t = calloc(1, sizeof(*t));
	struct stat st;
	int n = 0, rc;

	if (!t || !(t->certs = sk_X509_new_null()) || !(t->store = X509_STORE_new())) {
		udm_trust_free(t);
		return why(reason, rsize, ENOMEM, "out of memory");
	}
	/* The kernel keyring analog: a listed certificate is a trust anchor in
	 * itself (partial chain), and key usage or validity dates are not policy. */
	X509_STORE_set_flags(t->store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
	X509_STORE_set_purpose(t->store, X509_PURPOSE_ANY);
	if (stat(path, &st) < 0) {
		rc = why(reason, rsize, errno, "%s: %s", path, strerror(errno));
		goto err;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int ne = scandir(path, &ents, NULL, alphasort);
		if (ne < 0) {
			rc = why(reason, rsize, errno, "%s: %s", path, strerror(errno));
			goto err;
		}
		rc = 0;
		for (int i = 0; i < ne; i++) {
			char full[4096];
			struct stat fs;
			snprintf(full, sizeof(full), "%s/%s", path, ents[i]->d_name);
			size_t nl = strlen(ents[i]->d_name);
			/* only *.pem: leftovers such as x.pem.dpkg-old, a README, are not certificates */
			if (rc >= 0 && ents[i]->d_name[0] != '.' && nl > 4 &&
			    strcmp(ents[i]->d_name + nl - 4, ".pem") == 0 && stat(full, &fs) == 0 &&
			    S_ISREG(fs.st_mode)) {
				rc = add_pem_file(t, full, reason, rsize);
				n += rc > 0 ? rc : 0;
			}
			free(ents[i]);
		}
		free(ents);
		if (rc < 0)
			goto err;
	} else {
		if ((rc = add_pem_file(t, path, reason, rsize)) < 0)
			goto err;
		n = rc;
	}
	if (n == 0) {
		rc = why(reason, rsize, ENOKEY, "%s: no PEM certificate found", path);
		goto err;
	}
	*out = t;
	return n;
err:
	udm_trust_free(t);
	return rc;
}

void udm_trust_free(struct udm_trust *t)
{
	if (!t)
		return;
	sk_X509_pop_free(t->certs, X509_free);
	X509_STORE_free(t->store);
	free(t);
}

static void subject_of(X509 *x, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	buf[0] = '\0';
	if (!b)
		return;
	X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(b, &p);
	if (n > 0)
		snprintf(buf, size, "%.*s", (int)n, p);
	BIO_free(b);
}

size_t udm_trust_count(const struct udm_trust *t)
{
	return t ? (size_t)sk_X509_num(t->certs) : 0;
}

int udm_trust_subject(const struct udm_trust *t, size_t i, char *buf, size_t size)
{
	if (!t || i >= (size_t)sk_X509_num(t->certs))
		return -ENOENT;
	subject_of(sk_X509_value(t->certs, (int)i), buf, size);
	return 0;
}

int udm_pkcs7_verify(const uint8_t *data, size_t len, const uint8_t *detached, size_t dlen,
		     const struct udm_trust *trust, struct udm_pkcs7 *out, char *reason, size_t rsize)
{
	const unsigned char *p = data;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	STACK_OF(X509) *signers = NULL;
	BIO *content = NULL;
	int rc;

	/* every field is reported, whatever the caller left in *out */
	memset(out, 0, sizeof(*out));
	/* asn1_ber_decoder() refuses more than 65535 bytes before parsing anything */
	if (len > UDM_PKCS7_MAX) {
		rc = why(reason, rsize, EMSGSIZE, "PKCS#7 message of %zu bytes: the kernel parses at most %d",
			 len, UDM_PKCS7_MAX);
		goto out;
	}
	if (!p7 || p != data + len) {
		rc = why(reason, rsize, EBADMSG, "not a valid PKCS#7 message (truncated or corrupt)");
		goto out;
	}
	if (!PKCS7_type_is_signed(p7)) {
		rc = why(reason, rsize, EBADMSG, "PKCS#7 message is not signed-data");
		goto out;
	}
	bool has_content = !PKCS7_get_detached(p7) && p7->d.sign->contents->d.ptr;
	if (!detached && !has_content) {
		/* the kernel (6.12) digests the absent content as empty data, so the signature
		 * fails to verify: EKEYREJECTED, not ENODATA (checked in tests/vm/t3200) */
		rc = why(reason, rsize, EKEYREJECTED, "PKCS#7 signature is detached: it carries no content");
		goto out;
	}
	if (detached && has_content) {
		/* pkcs7_supply_detached_data: "Data already supplied" */
		rc = why(reason, rsize, EINVAL, "PKCS#7 message carries its own content; a detached signature is expected");
		goto out;
	}
	out->is_signed = true;
	signers = PKCS7_get0_signers(p7, trust ? trust->certs : NULL, 0);
	if (!signers || sk_X509_num(signers) == 0) {
		/* no certificate for the signer: in the message nor in the trust set */
		ERR_clear_error();
		if (trust) {
			rc = why(reason, rsize, ENOKEY, "no trusted certificate for the signer");
			goto out;
		}
	} else {
		subject_of(sk_X509_value(signers, 0), out->signer, sizeof(out->signer));
	}
	if (!(content = BIO_new(BIO_s_mem()))) {
		rc = why(reason, rsize, ENOMEM, "out of memory");
		goto out;
	}
	if (signers && sk_X509_num(signers) > 0) {
		/* the signature over the content first, trust second: the kernel's order */
		BIO *in = NULL;
		if (detached) {
			/* Behind a buffer filter, not a bare memory BIO: PKCS7_verify copies a
			 * memory BIO into one of its own and leaks that copy when the message
			 * cannot be set up for digesting (OpenSSL 3.0; found by fuzz_pkcs7). */
			BIO *mem = dlen <= INT_MAX ? BIO_new_mem_buf(detached, (int)dlen) : NULL;
			in = mem ? BIO_new(BIO_f_buffer()) : NULL;
			if (in)
				BIO_push(in, mem);
			else
				BIO_free(mem);
		}
		int ok = (!detached || in) && PKCS7_verify(p7, trust ? trust->certs : NULL, NULL, in, content,
							   PKCS7_NOVERIFY | PKCS7_BINARY) == 1;
		BIO_free_all(in);
		if (!ok) {
			rc = why(reason, rsize, EKEYREJECTED,
				 "signature does not match the content (forged or altered)");
			goto out;
		}
	} else if (detached) {
		rc = why(reason, rsize, ENOKEY, "no certificate for the signer");
		goto out;
	} else {
		ASN1_OCTET_STRING *os = p7->d.sign->contents->d.data;
		if (!PKCS7_type_is_data(p7->d.sign->contents) || !os) {
			rc = why(reason, rsize, EBADMSG, "PKCS#7 content is not data");
			goto out;
		}
		BIO_write(content, os->data, os->length);
	}
	if (trust) {
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		int ok = ctx && X509_STORE_CTX_init(ctx, trust->store, sk_X509_value(signers, 0),
						    p7->d.sign->cert) == 1 &&
			 X509_verify_cert(ctx) == 1;
		X509_STORE_CTX_free(ctx);
		if (!ok) {
			rc = why(reason, rsize, ENOKEY, "signer %s is not trusted",
				 out->signer[0] ? out->signer : "(unknown)");
			goto out;
		}
		out->verified = true;
	}
	char *mem;
	long n = BIO_get_mem_data(content, &mem);
	if (!(out->content = malloc((size_t)n + 1))) {
		rc = why(reason, rsize, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(out->content, mem, (size_t)n);
	out->content[n] = '\0';
	out->content_len = (size_t)n;
	rc = 0;
out:
	sk_X509_free(signers);
	BIO_free(content);
	PKCS7_free(p7);
	ERR_clear_error();
	return rc;
}

void udm_pkcs7_release(struct udm_pkcs7 *p)
{
	free(p->content);
	p->content = NULL;
	p->content_len = 0;
}
