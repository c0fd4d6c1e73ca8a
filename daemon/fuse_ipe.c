/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RUNTIME/ipe: a FUSE file system that behaves like the kernel's securityfs
 * /sys/kernel/security/ipe/ (security/ipe/fs.c, policy_fs.c), so scripts
 * written for the kernel work with the path changed:
 *
 *   success_audit 0600  enforce 0600  new_policy 0200  policies/ 0755
 *   policies/NAME/ 0755: pkcs7 0444  policy 0444  name 0444  version 0444
 *                        active 0600  update 0200  delete 0200
 *
 * Every write first checks that the opener had CAP_MAC_ADMIN (EPERM), as
 * file_ns_capable() on the opener's credentials does; the mode bits are
 * checked by the kernel (default_permissions). Each write() is one whole
 * message, whatever the offset, as in securityfs; writes are direct_io so one
 * write() up to 1 MiB arrives as one request. State lives in d->ipe. */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/fuse_mount.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "daemon/udmd.h"
#include "daemon/peer.h"
#include "ipe/ipe.h"

#define MAX_WRITE (1u << 20)

struct udmd_ipe_fuse {
	struct udmd *d;
	struct udmd_fuse_mount m;
	time_t start;
};

enum kind {
	K_ROOT, K_POLICIES, K_POLDIR,	/* directories */
	K_NEW_POLICY, K_ENFORCE, K_SAUDIT,
	K_PKCS7, K_POLICY, K_NAME, K_VERSION, K_ACTIVE, K_UPDATE, K_DELETE,
};

static const struct { const char *name; enum kind kind; mode_t mode; } top_files[] = {
	{ "success_audit", K_SAUDIT, 0600 },
	{ "enforce", K_ENFORCE, 0600 },
	{ "new_policy", K_NEW_POLICY, 0200 },
	{ "policies", K_POLICIES, 0755 },
}, pol_files[] = {	/* policy_subdir order */
	{ "pkcs7", K_PKCS7, 0444 },
	{ "policy", K_POLICY, 0444 },
	{ "name", K_NAME, 0444 },
	{ "version", K_VERSION, 0444 },
	{ "active", K_ACTIVE, 0600 },
	{ "update", K_UPDATE, 0200 },
	{ "delete", K_DELETE, 0200 },
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct node {
	enum kind kind;
	mode_t mode;
	struct ipe_policy *pol;	/* referenced, for policies/NAME and below */
	char pname[256];	/* policies/NAME even once it is gone */
};

static struct udmd *D(void)
{
	return fuse_get_context()->private_data;
}

static void node_put(struct node *n)
{
	ipe_policy_put(n->pol);
	n->pol = NULL;
}

/* Path -> node. missing_ok: a policy node of a deleted policy resolves with
 * pol NULL (an open file of a deleted policy gives ENOENT at use, as the
 * kernel's i_private == NULL does). */
static int resolve(const char *path, struct node *n, bool missing_ok)
{
	memset(n, 0, sizeof(*n));
	if (!path || path[0] != '/')
		return -ENOENT;
	if (!path[1]) {
		n->kind = K_ROOT, n->mode = 0755;
		return 0;
	}
	const char *p = path + 1, *slash = strchr(p, '/');
	if (!slash) {
		for (size_t i = 0; i < N(top_files); i++)
			if (strcmp(p, top_files[i].name) == 0) {
				n->kind = top_files[i].kind, n->mode = top_files[i].mode;
				return 0;
			}
		return -ENOENT;
	}
	if ((size_t)(slash - p) != 8 || strncmp(p, "policies", 8) != 0)
		return -ENOENT;
	p = slash + 1;
	slash = strchr(p, '/');
	size_t nl = slash ? (size_t)(slash - p) : strlen(p);
	if (nl == 0 || nl >= sizeof(n->pname))
		return -ENOENT;
	memcpy(n->pname, p, nl);
	n->pname[nl] = '\0';
	n->pol = ipe_store_get(D()->ipe, n->pname);
	if (!n->pol && !missing_ok)
		return -ENOENT;
	if (!slash) {
		n->kind = K_POLDIR, n->mode = 0755;
		return 0;
	}
	for (size_t i = 0; i < N(pol_files); i++)
		if (strcmp(slash + 1, pol_files[i].name) == 0) {
			n->kind = pol_files[i].kind, n->mode = pol_files[i].mode;
			return 0;
		}
	node_put(n);
	return -ENOENT;
}

static bool is_dir(enum kind k)
{
	return k == K_ROOT || k == K_POLICIES || k == K_POLDIR;
}

/* What a read returns: *out malloc'd. Write-only files have no read (EINVAL). */
static int content(const struct node *n, char **out, size_t *len)
{
	char small[64];
	const void *src = small;
	size_t l = 1;
	struct ipe_store *s = D()->ipe;

	if (n->kind >= K_PKCS7 && !n->pol)
		return -ENOENT;
	switch (n->kind) {
	case K_ENFORCE:
		small[0] = ipe_store_enforcing(s) ? '1' : '0';
		break;
	case K_SAUDIT:
		small[0] = ipe_store_success_audit(s) ? '1' : '0';
		break;
	case K_ACTIVE: {
		struct ipe_policy *a = ipe_store_get_active(s);
		small[0] = a == n->pol ? '1' : '0';
		ipe_policy_put(a);
		break;
	}
	case K_PKCS7:
		if (!n->pol->pkcs7)
			return -ENOENT;
		src = n->pol->pkcs7, l = n->pol->pkcs7len;
		break;
	case K_POLICY:
		src = n->pol->text, l = n->pol->textlen;
		break;
	case K_NAME:
		src = n->pol->name, l = strlen(n->pol->name);
		break;
	case K_VERSION:
		l = (size_t)snprintf(small, sizeof(small), "%hu.%hu.%hu", n->pol->version[0],
				     n->pol->version[1], n->pol->version[2]);
		break;
	default:
		return is_dir(n->kind) ? -EISDIR : -EINVAL;
	}
	if (!(*out = malloc(l ? l : 1)))
		return -ENOMEM;
	memcpy(*out, src, l);
	*len = l;
	return 0;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	struct node n;
	int r = resolve(path, &n, false);
	if (r)
		return r;
	memset(st, 0, sizeof(*st));
	st->st_mode = (is_dir(n.kind) ? S_IFDIR : S_IFREG) | n.mode;
	st->st_nlink = is_dir(n.kind) ? 2 : 1;
	st->st_atime = st->st_mtime = st->st_ctime = D()->ipe_fuse->start;
	char *c;
	size_t len;
	if (!is_dir(n.kind) && content(&n, &c, &len) == 0) {
		st->st_size = (off_t)len;
		free(c);
	}
	node_put(&n);
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off, (void)fi, (void)flags;
	struct node n;
	int r = resolve(path, &n, false);
	if (r)
		return r;
	if (!is_dir(n.kind)) {
		node_put(&n);
		return -ENOTDIR;
	}
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	if (n.kind == K_ROOT) {
		for (size_t i = 0; i < N(top_files); i++)
			filler(buf, top_files[i].name, NULL, 0, 0);
	} else if (n.kind == K_POLDIR) {
		for (size_t i = 0; i < N(pol_files); i++)
			filler(buf, pol_files[i].name, NULL, 0, 0);
	} else {
		char **names;
		size_t k;
		if (ipe_store_list(D()->ipe, &names, &k) == 0) {
			for (size_t i = 0; i < k; i++) {
				filler(buf, names[i], NULL, 0, 0);
				free(names[i]);
			}
			free(names);
		}
	}
	node_put(&n);
	return 0;
}

/* CAP_MAC_ADMIN in the effective set of the opener (uid 0 if unknown). */
static bool mac_admin(void)
{
	struct fuse_context *c = fuse_get_context();
	struct udmd_peer p;
	if (udmd_peer_read(-1, c->pid, &p))
		return c->uid == 0;
	return udmd_peer_mac_admin(&p);
}

/* fh: 1 = opened, 2 = opened by a CAP_MAC_ADMIN holder for writing */
static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct node n;
	int r = resolve(path, &n, false);
	if (r)
		return r;
	node_put(&n);
	if (is_dir(n.kind))
		return -EISDIR;
	fi->fh = ((fi->flags & O_ACCMODE) != O_RDONLY && mac_admin()) ? 2 : 1;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	struct node n;
	char *c = NULL;
	size_t len = 0;
	int r = resolve(path, &n, true);
	if (r)
		return r;
	r = content(&n, &c, &len);
	node_put(&n);
	if (r)
		return r;
	if (off < 0) {
		free(c);
		return -EINVAL;
	}
	size_t got = (uint64_t)off >= len ? 0 : len - (size_t)off;
	if (got > size)
		got = size;
	memcpy(buf, c + (got ? off : 0), got);
	free(c);
	return (int)got;
}

/* A boolean write that must be true (active, delete): kstrtobool, false is EINVAL. */
static int want_true(const char *buf, size_t size)
{
	bool v;
	if (ipe_parse_bool(buf, size, &v) < 0 || !v)
		return -EINVAL;
	return 0;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)off;	/* securityfs handlers ignore the position */
	struct node n;
	struct ipe_store *s = D()->ipe;
	struct ipe_actor who;
	char reason[512];
	bool v;
	int r = resolve(path, &n, true);
	if (r)
		return r;
	if (fi->fh != 2) {
		node_put(&n);
		return -EPERM;
	}
	udmd_audit_ids(fuse_get_context()->pid, &who.auid, &who.ses);
	switch (n.kind) {
	case K_NEW_POLICY:
		r = ipe_store_load(s, (const uint8_t *)buf, size, &who, reason, sizeof(reason));
		break;
	case K_UPDATE:
		r = ipe_store_update(s, n.pname, (const uint8_t *)buf, size, &who, reason, sizeof(reason));
		break;
	case K_ENFORCE:
		if ((r = ipe_parse_bool(buf, size, &v)) == 0)
			r = ipe_store_set_enforce(s, v, &who);
		break;
	case K_SAUDIT:
		if ((r = ipe_parse_bool(buf, size, &v)) == 0)
			r = ipe_store_set_success_audit(s, v);
		break;
	case K_ACTIVE:
		if ((r = want_true(buf, size)) == 0)
			r = !n.pol ? -ENOENT
			    : udmd_enforce_check_policy(D(), n.pol, reason, sizeof(reason)) ? -EOPNOTSUPP
			    : ipe_store_activate(s, n.pname, &who);
		break;
	case K_DELETE:
		if ((r = want_true(buf, size)) == 0)
			r = n.pol ? ipe_store_delete(s, n.pname) : -ENOENT;
		break;
	default:
		r = is_dir(n.kind) ? -EISDIR : -EINVAL;	/* no write handler */
		break;
	}
	node_put(&n);
	return r < 0 ? r : (int)size;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)size, (void)fi;
	struct node n;
	int r = resolve(path, &n, fi != NULL);
	if (r)
		return r;
	node_put(&n);
	return is_dir(n.kind) ? -EISDIR : 0;	/* O_TRUNC, as simple_setattr allows */
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path, (void)mode, (void)fi;
	return -EACCES;		/* securityfs directories have no ->create */
}

static int op_mkdir(const char *path, mode_t mode)
{
	(void)path, (void)mode;
	return -EPERM;
}

static int op_unlink(const char *path)
{
	(void)path;
	return -EPERM;
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	(void)from, (void)to, (void)flags;
	return -EPERM;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	conn->max_write = MAX_WRITE;
	udmd_fuse_uncached(cfg);
	return fuse_get_context()->private_data;
}

static const struct fuse_operations ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.truncate = op_truncate,
	.create = op_create,
	.mkdir = op_mkdir,
	.rmdir = op_unlink,
	.unlink = op_unlink,
	.rename = op_rename,
};

int udmd_fuse_ipe_start(struct udmd *d, const char *dir, char *err, size_t errlen)
{
	struct udmd_ipe_fuse *F = calloc(1, sizeof(*F));
	if (!F) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	F->d = d;
	F->start = time(NULL);
	F->m.max_threads = 8;
	F->m.idle_threads = 2;
	d->ipe_fuse = F;
	return udmd_fuse_mount_start(&F->m, dir, "fsname=udm-ipe,subtype=udm,allow_other,default_permissions", &ops,
				     d, err, errlen);
}

void udmd_fuse_ipe_stop(struct udmd *d)
{
	struct udmd_ipe_fuse *F = d->ipe_fuse;
	if (!F)
		return;
	if (udmd_fuse_mount_stop(&F->m))
		free(F);
	d->ipe_fuse = NULL;
}
