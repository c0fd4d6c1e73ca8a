/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Root-hash signatures: the user-key "keyring" that carries a signature from
 * `udm verity open --root-hash-signature` to the table's root_hash_sig_key_desc,
 * the trusted certificates (the kernel's .dm-verity / builtin keyrings), the
 * require_signatures switch, and the check itself: a detached PKCS#7 over the
 * root hash hex string exactly as it appears in the table. All of it is held
 * in a struct verity_keyring, one per udm context (as IPE keeps its trust per
 * store), so two contexts in one process trust independently. */
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

struct verity_keyring {
	pthread_mutex_t lock;
	struct key *keys;
	struct udm_trust *trusted;   /* NULL: an empty keyring, which trusts nobody */
	bool require_signatures;
};

struct verity_keyring *verity_keyring_new(void)
{
	struct verity_keyring *kr = calloc(1, sizeof(*kr));
	if (kr)
		pthread_mutex_init(&kr->lock, NULL);
	return kr;
}

static void free_key(struct key *k)
{
	free(k->desc);
	free(k->data);
	free(k);
}

void verity_keyring_free(struct verity_keyring *kr)
{
	if (!kr)
		return;
	while (kr->keys) {
		struct key *k = kr->keys;
		kr->keys = k->next;
		free_key(k);
	}
	udm_trust_free(kr->trusted);
	pthread_mutex_destroy(&kr->lock);
	free(kr);
}

int verity_key_add(struct verity_keyring *kr, const char *desc, const void *data, size_t len)
{
	if (!kr)
		return -ENOMEM;   /* the keyring could not be made */
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
	pthread_mutex_lock(&kr->lock);
	for (struct key **pp = &kr->keys; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->desc, desc) == 0) {   /* a new payload replaces the old */
			struct key *old = *pp;
			*pp = old->next;
			free_key(old);
			break;
		}
	k->next = kr->keys;
	kr->keys = k;
	pthread_mutex_unlock(&kr->lock);
	return 0;
}

int verity_key_remove(struct verity_keyring *kr, const char *desc)
{
	int r = -ENOKEY;
	if (!kr)
		return r;
	pthread_mutex_lock(&kr->lock);
	for (struct key **pp = &kr->keys; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->desc, desc) == 0) {
			struct key *k = *pp;
			*pp = k->next;
			free_key(k);
			r = 0;
			break;
		}
	pthread_mutex_unlock(&kr->lock);
	return r;
}

int verity_key_get(struct verity_keyring *kr, const char *desc, uint8_t **data, size_t *len)
{
	int r = -ENOKEY;
	if (!kr)
		return -ENOMEM;
	pthread_mutex_lock(&kr->lock);
	for (struct key *k = kr->keys; k; k = k->next)
		if (strcmp(k->desc, desc) == 0) {
			*data = malloc(k->len);
			r = *data ? 0 : -ENOMEM;
			if (!r) {
				memcpy(*data, k->data, k->len);
				*len = k->len;
			}
			break;
		}
	pthread_mutex_unlock(&kr->lock);
	return r;
}

int verity_sig_configure(struct verity_keyring *kr, const char *trusted_certs, bool require, char *reason,
			 size_t rsize)
{
	struct udm_trust *t = NULL;
	if (!kr)
		return -ENOMEM;
	if (trusted_certs) {
		int r = udm_trust_load(trusted_certs, &t, reason, rsize);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&kr->lock);
	udm_trust_free(kr->trusted);
	kr->trusted = t;
	kr->require_signatures = require;
	pthread_mutex_unlock(&kr->lock);
	return 0;
}

bool verity_sig_required(struct verity_keyring *kr)
{
	if (!kr)
		return true;   /* no keyring, no knowing: fail closed */
	pthread_mutex_lock(&kr->lock);
	bool r = kr->require_signatures;
	pthread_mutex_unlock(&kr->lock);
	return r;
}

int verity_sig_verify(struct verity_keyring *kr, const char *root_hex, const uint8_t *sig, size_t sig_len,
		      char *reason, size_t rsize)
{
	struct udm_pkcs7 p7 = { 0 };
	if (!kr) {
		snprintf(reason, rsize, "no keyring (out of memory)");
		return -ENOMEM;
	}
	pthread_mutex_lock(&kr->lock);
	int r;
	if (!kr->trusted) {
		/* an empty keyring trusts nobody */
		snprintf(reason, rsize, "no trusted certificates configured");
		r = -ENOKEY;
	} else {
		r = udm_pkcs7_verify(sig, sig_len, (const uint8_t *)root_hex, strlen(root_hex), kr->trusted, &p7,
				     reason, rsize);
	}
	pthread_mutex_unlock(&kr->lock);
	udm_pkcs7_release(&p7);
	return r;
}
