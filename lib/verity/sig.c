/* Root-hash signatures: the user-key "keyring" that carries a signature from
 * `udm verity open --root-hash-signature` to the table's root_hash_sig_key_desc,
 * the trusted certificates (the kernel's .dm-verity / builtin keyrings), the
 * require_signatures switch, and the check itself: a detached PKCS#7 over the
 * root hash hex string exactly as it appears in the table. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/pkcs7.h"
#include "verity/verity.h"

struct key {
	struct key *next;
	char *desc;
	uint8_t *data;
	size_t len;
};

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static struct key *keys;
static struct udm_trust *trusted;
static bool require_signatures;

int verity_key_add(const char *desc, const void *data, size_t len)
{
	if (!desc || !*desc || !len || len > VERITY_MAX_SIG_SIZE)
		return -EINVAL;
	struct key *k = calloc(1, sizeof(*k));
	if (!k || !(k->desc = strdup(desc)) || !(k->data = malloc(len))) {
		if (k)
			free(k->desc);
		free(k);
		return -ENOMEM;
	}
	memcpy(k->data, data, len);
	k->len = len;
	pthread_mutex_lock(&sig_lock);
	for (struct key **pp = &keys; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->desc, desc) == 0) {   /* a new payload replaces the old */
			struct key *old = *pp;
			*pp = old->next;
			free(old->desc);
			free(old->data);
			free(old);
			break;
		}
	k->next = keys;
	keys = k;
	pthread_mutex_unlock(&sig_lock);
	return 0;
}

int verity_key_remove(const char *desc)
{
	int r = -ENOKEY;
	pthread_mutex_lock(&sig_lock);
	for (struct key **pp = &keys; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->desc, desc) == 0) {
			struct key *k = *pp;
			*pp = k->next;
			free(k->desc);
			free(k->data);
			free(k);
			r = 0;
			break;
		}
	pthread_mutex_unlock(&sig_lock);
	return r;
}

int verity_key_get(const char *desc, uint8_t **data, size_t *len)
{
	int r = -ENOKEY;
	pthread_mutex_lock(&sig_lock);
	for (struct key *k = keys; k; k = k->next)
		if (strcmp(k->desc, desc) == 0) {
			*data = malloc(k->len);
			r = *data ? 0 : -ENOMEM;
			if (!r) {
				memcpy(*data, k->data, k->len);
				*len = k->len;
			}
			break;
		}
	pthread_mutex_unlock(&sig_lock);
	return r;
}

int verity_sig_configure(const char *trusted_certs, bool require, char *reason, size_t rsize)
{
	struct udm_trust *t = NULL;
	if (trusted_certs) {
		int r = udm_trust_load(trusted_certs, &t, reason, rsize);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&sig_lock);
	udm_trust_free(trusted);
	trusted = t;
	require_signatures = require;
	pthread_mutex_unlock(&sig_lock);
	return 0;
}

bool verity_sig_required(void)
{
	pthread_mutex_lock(&sig_lock);
	bool r = require_signatures;
	pthread_mutex_unlock(&sig_lock);
	return r;
}

int verity_sig_verify(const char *root_hex, const uint8_t *sig, size_t sig_len, char *reason, size_t rsize)
{
	struct udm_pkcs7 p7 = { 0 };
	pthread_mutex_lock(&sig_lock);
	int r;
	if (!trusted) {
		/* an empty keyring trusts nobody */
		snprintf(reason, rsize, "no trusted certificates configured");
		r = -ENOKEY;
	} else {
		r = udm_pkcs7_verify(sig, sig_len, (const uint8_t *)root_hex, strlen(root_hex), trusted, &p7, reason,
				     rsize);
	}
	pthread_mutex_unlock(&sig_lock);
	udm_pkcs7_release(&p7);
	return r;
}

void verity_sig_cleanup(void)
{
	pthread_mutex_lock(&sig_lock);
	while (keys) {
		struct key *k = keys;
		keys = k->next;
		free(k->desc);
		free(k->data);
		free(k);
	}
	udm_trust_free(trusted);
	trusted = NULL;
	require_signatures = false;
	pthread_mutex_unlock(&sig_lock);
}
