/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPE policy store: the securityfs lifecycle (new_policy, update, active,
 * delete, enforce, success_audit) with the kernel's errnos and audit records,
 * persisted in a state directory so a restarted daemon comes back with the
 * same policies, the same active one and the same switches.
 *
 * Layout of state_dir (every file replaced by write-temp + fsync + rename):
 *   policies/<sha256 hex of the policy name>   the blob as loaded (PKCS#7 DER,
 *                                               or plain text for the boot policy)
 *   state                                      enforce=0|1, success_audit=0|1,
 *                                               active=<hex of the active name>
 * Blobs were verified when loaded; on reopen only their text is extracted, so
 * a change of trusted certificates does not unload what was accepted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "ipe/ipe.h"
#include "util/hex.h"
#include "util/reason.h"

struct ipe_store {
	pthread_mutex_t lock;
	char *dir;
	struct ipe_store_opts o;
	struct ipe_policy **pols;
	size_t n, cap;
	struct ipe_policy *active;	/* one of pols, or NULL: everything allowed */
	bool enforce, success_audit;
};


/* The store's lock is not held: the callback may read the store. */
static void notify_changed(struct ipe_store *s)
{
	if (s->o.changed)
		s->o.changed(s->o.changed_arg);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void blob_path(const struct ipe_store *s, const char *name, char *out, size_t size)
{
	uint8_t md[32];
	char h[65];
	EVP_Digest(name, strlen(name), md, NULL, EVP_sha256(), NULL);
	hex(h, md, sizeof(md));
	snprintf(out, size, "%s/policies/%s", s->dir, h);
}

static int fsync_dir(const char *path)
{
	char d[4096];
	snprintf(d, sizeof(d), "%s", path);
	char *slash = strrchr(d, '/');
	if (slash)
		*slash = '\0';
	int fd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* Replace path atomically: a crash leaves the old or the new content. */
static int write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4200];
	const char *p = data;
	int rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len && !rc) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno != EINTR)
			rc = -errno;
		else if (w > 0)
			p += w, len -= (size_t)w;
	}
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc ? rc : fsync_dir(path);
}

static int save_state(struct ipe_store *s)
{
	char path[4096], buf[1024 + 64], h[2 * 256 + 1] = "";
	if (s->active)
		hex(h, (const uint8_t *)s->active->name, strlen(s->active->name));
	int n = snprintf(buf, sizeof(buf), "enforce=%d\nsuccess_audit=%d\nactive=%s\n",
			 s->enforce, s->success_audit, h);
	snprintf(path, sizeof(path), "%s/state", s->dir);
	return write_atomic(path, buf, (size_t)n);
}

static void emit(struct ipe_store *s, int type, const char *rec)
{
	if (s->o.audit)
		s->o.audit(s->o.audit_arg, type, rec);
}

static void ids(const struct ipe_actor *who, uint32_t *auid, uint32_t *ses)
{
	*auid = who ? who->auid : IPE_AUID_UNSET;
	*ses = who ? who->ses : IPE_AUID_UNSET;
}

static void audit_load(struct ipe_store *s, const struct ipe_policy *p, int rc,
		       const struct ipe_actor *who)
{
	char rec[1024];
	uint32_t auid, ses;
	if (rc && s->o.compat612)
		return;	/* 6.12 audited successful loads only */
	ids(who, &auid, &ses);
	ipe_audit_policy_load(rec, sizeof(rec), rc ? NULL : p, -rc, auid, ses, s->o.compat612);
	emit(s, IPE_AUDIT_POLICY_LOAD, rec);
}

static void audit_activation(struct ipe_store *s, const struct ipe_policy *old,
			     const struct ipe_policy *new, const struct ipe_actor *who)
{
	char rec[2048];
	uint32_t auid, ses;
	ids(who, &auid, &ses);
	ipe_audit_config_change(rec, sizeof(rec), old, new, auid, ses);
	emit(s, IPE_AUDIT_CONFIG_CHANGE, rec);
}

static ssize_t find(const struct ipe_store *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->pols[i]->name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static int add(struct ipe_store *s, struct ipe_policy *p)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct ipe_policy **np = realloc(s->pols, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		s->pols = np;
		s->cap = cap;
	}
	s->pols[s->n++] = p;
	return 0;
}

/* The securityfs directory a policy gets: names the VFS refuses fail here. */
static int check_name(const char *name, char *reason, size_t rsize)
{
	if (!name)
		return 0;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
		return udm_reason(reason, rsize, EACCES, "policy name '%s' cannot be a directory name", name);
	if (strlen(name) > 255)
		return udm_reason(reason, rsize, ENAMETOOLONG, "policy name is longer than 255 bytes");
	return 0;
}

int ipe_load_limits(size_t len, const char *name, char *reason, size_t rsize)
{
	if (len > IPE_WRITE_MAX)
		return udm_reason(reason, rsize, ENOMEM, "a write of %zu bytes: the kernel takes at most %zu",
				  len, IPE_WRITE_MAX);
	return check_name(name, reason, rsize);
}

/* Blob -> parsed policy carrying its blob. signed_only: the new_policy and
 * update files take PKCS#7 only, checked against the trusted certificates. */
static int policy_from_blob(struct ipe_store *s, const uint8_t *blob, size_t len, bool signed_only,
			    struct ipe_policy **out, char *reason, size_t rsize)
{
	struct ipe_blob b;
	struct ipe_parse_error pe;
	int rc;

	if (signed_only && (rc = ipe_load_limits(len, NULL, reason, rsize)) < 0)
		return rc;
	if (signed_only && !s->o.trust)
		return udm_reason(reason, rsize, ENOKEY, "no trusted certificates configured");
	rc = ipe_blob_open(blob, len, signed_only ? s->o.trust : NULL, &b, reason, rsize);
	if (rc < 0)
		return rc;
	if (signed_only && !b.is_signed) {
		ipe_blob_release(&b);
		return udm_reason(reason, rsize, EBADMSG,
			   "not a PKCS#7 message (plain text is accepted only as the boot policy)");
	}
	rc = ipe_policy_parse(b.text, b.textlen, out, &pe);
	ipe_blob_release(&b);
	if (rc < 0)
		return udm_reason(reason, rsize, pe.err, "line %u: %s", pe.line, pe.reason);
	if (b.is_signed) {
		if (!((*out)->pkcs7 = malloc(len))) {
			ipe_policy_put(*out);
			return udm_reason(reason, rsize, ENOMEM, "out of memory");
		}
		memcpy((*out)->pkcs7, blob, len);
		(*out)->pkcs7len = len;
		EVP_Digest(blob, len, (*out)->blob_sha256, NULL, EVP_sha256(), NULL);
	}
	return 0;
}

static int persist_policy(struct ipe_store *s, const struct ipe_policy *p)
{
	char path[4096];
	blob_path(s, p->name, path, sizeof(path));
	return p->pkcs7 ? write_atomic(path, p->pkcs7, p->pkcs7len)
			: write_atomic(path, p->text, p->textlen);
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !(*out = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t r = read(fd, *out, (size_t)st.st_size);
	close(fd);
	if (r != st.st_size) {
		free(*out);
		return -EIO;
	}
	*len = (size_t)r;
	return 0;
}

static int reload(struct ipe_store *s, char *reason, size_t rsize)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/policies", s->dir);
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return udm_reason(reason, rsize, errno, "%s: %s", path, strerror(errno));
	while (!rc && (e = readdir(d)) != NULL) {
		char full[4400];
		uint8_t *data = NULL;
		size_t len = 0;
		struct ipe_policy *p;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (strstr(e->d_name, ".tmp")) {	/* a write cut short by a crash */
			unlink(full);
			continue;
		}
		if ((rc = read_file(full, &data, &len)) < 0) {
			udm_reason(reason, rsize, -rc, "%s: %s", full, strerror(-rc));
			break;
		}
		rc = policy_from_blob(s, data, len, false, &p, reason, rsize);
		free(data);
		if (rc == 0 && (rc = add(s, p)) < 0)
			ipe_policy_put(p);
	}
	closedir(d);
	if (rc)
		return rc;

	snprintf(path, sizeof(path), "%s/state", s->dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : udm_reason(reason, rsize, errno, "%s: %s", path, strerror(errno));
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "enforce=", 8) == 0)
			s->enforce = line[8] == '1';
		else if (strncmp(line, "success_audit=", 14) == 0)
			s->success_audit = line[14] == '1';
		else if (strncmp(line, "active=", 7) == 0 && line[7]) {
			char name[260] = "";
			size_t nl;
			/* a damaged line names no policy, and so the missing one below */
			if (udm_hex_decode(line + 7, (uint8_t *)name, sizeof(name) - 1, &nl))
				nl = 0;
			name[nl] = '\0';
			ssize_t k = find(s, name);
			if (k < 0) {
				fclose(f);
				return udm_reason(reason, rsize, ENOENT, "%s: active policy '%s' is missing", path, name);
			}
			s->active = s->pols[k];
		}
	}
	fclose(f);
	return 0;
}

int ipe_store_open(const struct ipe_store_opts *o, struct ipe_store **out, char *reason, size_t rsize)
{
	struct ipe_store *s = calloc(1, sizeof(*s));
	char path[4096];
	int rc;

	if (!s || !(s->dir = strdup(o->state_dir))) {
		free(s);
		return udm_reason(reason, rsize, ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->lock, NULL);
	s->o = *o;
	s->o.state_dir = s->dir;
	s->enforce = true;	/* the kernel's defaults: ipe.enforce=1, success_audit=0 */
	snprintf(path, sizeof(path), "%s/policies", s->dir);
	if ((mkdir(s->dir, 0700) < 0 && errno != EEXIST) || (mkdir(path, 0700) < 0 && errno != EEXIST)) {
		rc = udm_reason(reason, rsize, errno, "%s: %s", path, strerror(errno));
		ipe_store_close(s);
		return rc;
	}
	if ((rc = reload(s, reason, rsize)) < 0) {
		ipe_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ipe_store_close(struct ipe_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		ipe_policy_put(s->pols[i]);
	free(s->pols);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int ipe_store_boot_policy(struct ipe_store *s, const char *text, size_t len,
			  struct ipe_parse_error *perr)
{
	struct ipe_policy *p;
	int rc = ipe_policy_parse(text, len, &p, perr);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	if (s->active) {	/* a restart keeps what was activated since boot */
		pthread_mutex_unlock(&s->lock);
		ipe_policy_put(p);
		return 1;
	}
	ssize_t k = find(s, p->name);
	if ((rc = check_name(p->name, perr ? perr->reason : NULL, perr ? sizeof(perr->reason) : 0)) < 0 ||
	    (rc = persist_policy(s, p)) < 0 || (k < 0 && (rc = add(s, p)) < 0)) {
		pthread_mutex_unlock(&s->lock);
		if (perr)
			perr->err = -rc;
		ipe_policy_put(p);
		return rc;
	}
	if (k >= 0) {
		ipe_policy_put(s->pols[k]);
		s->pols[k] = p;
	}
	s->active = p;	/* directly: no version check, no audit record */
	rc = save_state(s);
	pthread_mutex_unlock(&s->lock);
	notify_changed(s);
	return rc;
}

int ipe_store_load(struct ipe_store *s, const uint8_t *blob, size_t len,
		   const struct ipe_actor *who, char *reason, size_t rsize)
{
	struct ipe_policy *p = NULL;
	int rc = policy_from_blob(s, blob, len, true, &p, reason, rsize);

	pthread_mutex_lock(&s->lock);
	if (!rc && (rc = check_name(p->name, reason, rsize)) == 0 && find(s, p->name) >= 0)
		rc = udm_reason(reason, rsize, EEXIST, "a policy named '%s' is already loaded", p->name);
	if (!rc && (rc = persist_policy(s, p)) < 0)
		udm_reason(reason, rsize, -rc, "cannot save policy: %s", strerror(-rc));
	if (!rc && (rc = add(s, p)) < 0)
		udm_reason(reason, rsize, -rc, "out of memory");
	audit_load(s, p, rc, who);
	pthread_mutex_unlock(&s->lock);
	if (rc && p)
		ipe_policy_put(p);	/* a new policy is never active by itself */
	return rc;
}

int ipe_store_update(struct ipe_store *s, const char *name, const uint8_t *blob, size_t len,
		     const struct ipe_actor *who, char *reason, size_t rsize)
{
	struct ipe_policy *p = NULL;
	int rc;

	pthread_mutex_lock(&s->lock);
	ssize_t k = find(s, name);
	if (k < 0)
		rc = udm_reason(reason, rsize, ENOENT, "no policy named '%s'", name);
	else
		rc = policy_from_blob(s, blob, len, true, &p, reason, rsize);
	if (!rc && strcmp(p->name, name) != 0)
		rc = udm_reason(reason, rsize, EINVAL, "update is for '%s' but the policy is named '%s'", name, p->name);
	if (!rc) {
		struct ipe_policy *old = s->pols[k];
		uint64_t ov = ipe_policy_version_key(old), nv = ipe_policy_version_key(p);
		if (s->o.compat612 ? ov > nv : ov >= nv)
			rc = udm_reason(reason, rsize, s->o.compat612 ? EINVAL : ESTALE,
				 "version %hu.%hu.%hu is not above the loaded %hu.%hu.%hu", p->version[0],
				 p->version[1], p->version[2], old->version[0], old->version[1], old->version[2]);
	}
	if (!rc && (rc = persist_policy(s, p)) < 0)
		udm_reason(reason, rsize, -rc, "cannot save policy: %s", strerror(-rc));
	if (rc) {
		/* an unknown NAME is the kernel's open() of a policies/NAME/update that
		 * does not exist: no write reaches IPE, so no record (seen on 6.12) */
		if (k >= 0)
			audit_load(s, NULL, rc, who);
		pthread_mutex_unlock(&s->lock);
		ipe_policy_put(p);
		return rc;
	}
	struct ipe_policy *old = s->pols[k];
	s->pols[k] = p;
	audit_load(s, p, 0, who);
	bool was_active = s->active == old;
	if (was_active) {
		s->active = p;	/* same name, so the state file needs no rewrite */
		audit_activation(s, old, p, who);
	}
	pthread_mutex_unlock(&s->lock);
	ipe_policy_put(old);
	if (was_active)
		notify_changed(s);
	return 0;
}

int ipe_store_activate(struct ipe_store *s, const char *name, const struct ipe_actor *who)
{
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	ssize_t k = find(s, name);
	if (k < 0) {
		rc = -ENOENT;
	} else if (s->active != s->pols[k]) {
		struct ipe_policy *old = s->active;
		/* a global anti-rollback floor, across policy names; equal is fine */
		if (old && ipe_policy_version_key(old) > ipe_policy_version_key(s->pols[k])) {
			rc = -EINVAL;
		} else {
			s->active = s->pols[k];
			if ((rc = save_state(s)) < 0)
				s->active = old;
			else
				audit_activation(s, old, s->active, who);
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (rc == 0)
		notify_changed(s);
	return rc;
}

int ipe_store_delete(struct ipe_store *s, const char *name)
{
	char path[4096];
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	ssize_t k = find(s, name);
	if (k < 0) {
		rc = -ENOENT;
	} else if (s->pols[k] == s->active) {
		rc = -EPERM;
	} else {
		blob_path(s, name, path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT)
			rc = -errno;
		else if ((rc = fsync_dir(path)) == 0) {
			ipe_policy_put(s->pols[k]);
			s->pols[k] = s->pols[--s->n];
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int ipe_store_set_enforce(struct ipe_store *s, bool on, const struct ipe_actor *who)
{
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	bool old = s->enforce;
	if (old != on) {
		s->enforce = on;
		if ((rc = save_state(s)) < 0) {
			s->enforce = old;
		} else {
			char rec[256];
			uint32_t auid, ses;
			ids(who, &auid, &ses);
			ipe_audit_enforce(rec, sizeof(rec), on, old, auid, ses);
			emit(s, IPE_AUDIT_MAC_STATUS, rec);
			/* ipe_audit_enforce() logs the record with audit_log() inside a
			 * buffer it opened itself, then ends that buffer: an empty 1404
			 * record follows (6.12 and the newest sources; seen on 6.12) */
			emit(s, IPE_AUDIT_MAC_STATUS, "");
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (rc == 0)
		notify_changed(s);
	return rc;
}

int ipe_store_set_success_audit(struct ipe_store *s, bool on)
{
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	bool old = s->success_audit;
	s->success_audit = on;	/* not audited, as in the kernel */
	if (old != on && (rc = save_state(s)) < 0)
		s->success_audit = old;
	pthread_mutex_unlock(&s->lock);
	if (rc == 0)
		notify_changed(s);
	return rc;
}

bool ipe_store_enforcing(struct ipe_store *s)
{
	pthread_mutex_lock(&s->lock);
	bool v = s->enforce;
	pthread_mutex_unlock(&s->lock);
	return v;
}

bool ipe_store_success_audit(struct ipe_store *s)
{
	pthread_mutex_lock(&s->lock);
	bool v = s->success_audit;
	pthread_mutex_unlock(&s->lock);
	return v;
}

struct ipe_policy *ipe_store_get(struct ipe_store *s, const char *name)
{
	pthread_mutex_lock(&s->lock);
	ssize_t k = find(s, name);
	struct ipe_policy *p = k < 0 ? NULL : s->pols[k];
	if (p)
		ipe_policy_get(p);
	pthread_mutex_unlock(&s->lock);
	return p;
}

struct ipe_policy *ipe_store_get_active(struct ipe_store *s)
{
	pthread_mutex_lock(&s->lock);
	struct ipe_policy *p = s->active;
	if (p)
		ipe_policy_get(p);
	pthread_mutex_unlock(&s->lock);
	return p;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ipe_store_list(struct ipe_store *s, char ***names, size_t *n)
{
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	char **v = calloc(s->n + 1, sizeof(*v));
	for (size_t i = 0; v && i < s->n; i++)
		if (!(v[i] = strdup(s->pols[i]->name)))
			rc = -ENOMEM;
	*n = s->n;
	pthread_mutex_unlock(&s->lock);
	if (!v || rc) {
		for (size_t i = 0; v && i < *n; i++)
			free(v[i]);
		free(v);
		return -ENOMEM;
	}
	qsort(v, *n, sizeof(*v), by_name);
	*names = v;
	return 0;
}
