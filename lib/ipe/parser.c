/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPE policy parser: the kernel's grammar (security/ipe/policy_parser.c) with
 * its errno for every malformed input, plus the line and a reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "ipe/ipe.h"
#include "udm/target.h"
#include "util/hex.h"

static const char *const op_names[IPE_OP_COUNT + 1] = {
	"EXECUTE", "FIRMWARE", "KMODULE", "KEXEC_IMAGE", "KEXEC_INITRAMFS",
	"POLICY", "X509_CERT", "UNKNOWN",
};

static const char *const hook_names[] = {
	"BPRM_CHECK", "MMAP", "MPROTECT", "KERNEL_READ", "KERNEL_LOAD", "BPRM_CREDS_FOR_EXEC",
};

/* Whole-token property keywords; the two digest ones are prefixes ("%s"). */
static const struct { const char *tok; enum ipe_prop_type type; bool digest; } prop_tokens[] = {
	{ "boot_verified=FALSE", IPE_PROP_BOOT_VERIFIED_FALSE, false },
	{ "boot_verified=TRUE", IPE_PROP_BOOT_VERIFIED_TRUE, false },
	{ "dmverity_roothash=", IPE_PROP_DMV_ROOTHASH, true },
	{ "dmverity_signature=FALSE", IPE_PROP_DMV_SIG_FALSE, false },
	{ "dmverity_signature=TRUE", IPE_PROP_DMV_SIG_TRUE, false },
	{ "fsverity_digest=", IPE_PROP_FSV_DIGEST, true },
	{ "fsverity_signature=FALSE", IPE_PROP_FSV_SIG_FALSE, false },
	{ "fsverity_signature=TRUE", IPE_PROP_FSV_SIG_TRUE, false },
};

const char *ipe_op_name(enum ipe_op op)
{
	return op_names[(unsigned)op <= IPE_OP_INVALID ? op : IPE_OP_INVALID];
}

int ipe_op_from_name(const char *name)
{
	for (int i = 0; i < IPE_OP_COUNT; i++)
		if (strcmp(name, op_names[i]) == 0)
			return i;
	return -1;
}

const char *ipe_hook_name(enum ipe_hook hook)
{
	return (unsigned)hook < sizeof(hook_names) / sizeof(hook_names[0]) ? hook_names[hook] : "?";
}

int ipe_parse_bool(const char *s, size_t len, bool *out)
{
	char b[4] = { 0 };	/* kstrtobool_from_user looks at 3 bytes at most */

	memcpy(b, s, len < 3 ? len : 3);
	switch (b[0]) {
	case 'y': case 'Y': case '1': *out = true; return 0;
	case 'n': case 'N': case '0': *out = false; return 0;
	case 'o': case 'O':
		if (b[1] == 'n' || b[1] == 'N') { *out = true; return 0; }
		if (b[1] == 'f' || b[1] == 'F') { *out = false; return 0; }
		break;
	}
	return -EINVAL;
}

uint64_t ipe_policy_version_key(const struct ipe_policy *p)
{
	return ((uint64_t)p->version[0] << 32) | ((uint64_t)p->version[1] << 16) | p->version[2];
}

/* ---- lifetime ---- */

static void rule_free_props(struct ipe_rule *r)
{
	for (size_t i = 0; i < r->nprops; i++) {
		free(r->props[i].digest.alg);
		free(r->props[i].digest.bytes);
	}
	free(r->props);
	r->props = NULL;
	r->nprops = 0;
}

static void policy_free(struct ipe_policy *p)
{
	ipe_index_free(p);
	for (int op = 0; op < IPE_OP_COUNT; op++) {
		for (size_t i = 0; i < p->ops[op].nrules; i++)
			rule_free_props(&p->ops[op].rules[i]);
		free(p->ops[op].rules);
	}
	free(p->name);
	free(p->text);
	free(p->pkcs7);
	free(p);
}

void ipe_policy_get(struct ipe_policy *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

void ipe_policy_put(struct ipe_policy *p)
{
	if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0)
		policy_free(p);
}

/* ---- parsing ---- */

struct parse {
	struct ipe_policy *pol;
	struct ipe_parse_error *perr;
	unsigned line;
};

static int fail(struct parse *ps, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct parse *ps, int err, const char *fmt, ...)
{
	if (ps->perr) {
		va_list ap;
		ps->perr->err = err;
		ps->perr->line = ps->line;
		va_start(ap, fmt);
		vsnprintf(ps->perr->reason, sizeof(ps->perr->reason), fmt, ap);
		va_end(ap);
	}
	return -err;
}

/* The kernel's isspace: the C locale set plus 0xA0 (its ctype table says so). */
static bool kernel_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0;
}

/* Cut a line into space/tab separated pieces, like repeated strsep(" \t"):
 * empty pieces are kept so the caller can tell "the last piece" apart. */
static size_t split_pieces(char *line, char ***out)
{
	size_t n = 1, i = 0;
	for (char *c = line; *c; c++)
		n += (*c == ' ' || *c == '\t');
	char **v = malloc(n * sizeof(*v));
	if (!v)
		return 0;
	v[i++] = line;
	for (char *c = line; *c; c++)
		if (*c == ' ' || *c == '\t') {
			*c = '\0';
			v[i++] = c + 1;
		}
	*out = v;
	return n;
}

static bool has_value(const char *tok, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(tok, prefix, n) == 0 && tok[n] != '\0';
}

/* kstrtou16(s, 10): optional '+', digits, optional '\n'; -ERANGE above 65535. */
static int parse_u16(const char *s, uint16_t *out)
{
	uint64_t v;
	int r = udm_parse_num(s, UDM_NUM_KSTRTOX, 16, &v);
	if (!r)
		*out = (uint16_t)v;
	return r;
}

static int parse_version(struct parse *ps, char *ver)
{
	size_t count = 0;
	char *piece;

	while ((piece = strsep(&ver, ".")) != NULL) {
		if (count >= 3)
			return fail(ps, EBADMSG, "policy_version has more than 3 parts");
		int rc = parse_u16(piece, &ps->pol->version[count]);
		if (rc == -ERANGE)
			return fail(ps, ERANGE, "policy_version part '%s' is above 65535", piece);
		if (rc)
			return fail(ps, EINVAL, "policy_version part '%s' is not a decimal number", piece);
		count++;
	}
	if (count != 3)
		return fail(ps, EBADMSG, "policy_version needs 3 parts MAJOR.MINOR.REV, has %zu", count);
	return 0;
}

static int parse_header(struct parse *ps, char *line)
{
	static const char *const keys[2] = { "policy_name=", "policy_version=" };
	char **pieces;
	size_t n = split_pieces(line, &pieces), idx = 0;
	int rc = 0;

	if (!n)
		return fail(ps, ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		char *t = pieces[i];
		if (!*t)
			continue;
		if (idx >= 2) {
			rc = fail(ps, EBADMSG, "header has an extra token '%s'", t);
			break;
		}
		if (!has_value(t, keys[idx])) {
			rc = fail(ps, EBADMSG, "header token %zu must be %s<value>, found '%s'",
				  idx + 1, keys[idx], t);
			break;
		}
		t += strlen(keys[idx]);
		if (idx == 0) {
			if (!(ps->pol->name = strdup(t)))
				rc = fail(ps, ENOMEM, "out of memory");
		} else {
			rc = parse_version(ps, t);
		}
		idx++;
	}
	if (!rc && idx != 2)
		rc = fail(ps, EBADMSG, "header needs policy_name=NAME policy_version=X.Y.Z");
	free(pieces);
	return rc;
}

/* ipe_digest_parse: ALG ":" HEX, ALG unchecked, HEX of even length. */
static int parse_digest(struct parse *ps, const char *tok, const char *val, struct ipe_digest *d)
{
	const char *sep = strchr(val, ':');
	if (!sep)
		return fail(ps, EBADMSG, "'%s' needs ALG:HEX", tok);
	size_t len = (strlen(sep + 1) + 1) / 2;
	d->alg = strndup(val, (size_t)(sep - val));
	d->bytes = malloc(len ? len : 1);
	if (!d->alg || !d->bytes)
		return fail(ps, ENOMEM, "out of memory");
	d->len = len;
	if (udm_hex_decode(sep + 1, d->bytes, len, &d->len))
		return fail(ps, EINVAL, "'%s': digest is not an even number of hex digits", tok);
	return 0;
}

static int parse_property(struct parse *ps, const char *tok, struct ipe_rule *r)
{
	for (size_t i = 0; i < sizeof(prop_tokens) / sizeof(prop_tokens[0]); i++) {
		bool hit = prop_tokens[i].digest ? has_value(tok, prop_tokens[i].tok)
						 : strcmp(tok, prop_tokens[i].tok) == 0;
		if (!hit)
			continue;
		struct ipe_prop *np = realloc(r->props, (r->nprops + 1) * sizeof(*np));
		if (!np)
			return fail(ps, ENOMEM, "out of memory");
		r->props = np;
		struct ipe_prop *p = &np[r->nprops++];
		memset(p, 0, sizeof(*p));
		p->type = prop_tokens[i].type;
		if (prop_tokens[i].digest)
			return parse_digest(ps, tok, tok + strlen(prop_tokens[i].tok), &p->digest);
		return 0;
	}
	/* The kernel takes every token between op= and the last as a property, so
	 * a second op= or an early action= is EBADMSG as an unknown property is;
	 * the message says what it really is. */
	if (strncmp(tok, "op=", 3) == 0)
		return fail(ps, EBADMSG, "duplicate op= ('%s'): a rule has exactly one op=", tok);
	if (strncmp(tok, "action=", 7) == 0)
		return fail(ps, EBADMSG, "duplicate action= ('%s'): a rule ends with exactly one action=", tok);
	return fail(ps, EBADMSG, "unknown property '%s'", tok);
}

static enum ipe_op parse_op_token(const char *t)
{
	if (strncmp(t, "op=", 3) != 0)
		return IPE_OP_INVALID;
	int op = ipe_op_from_name(t + 3);
	return op < 0 ? IPE_OP_INVALID : (enum ipe_op)op;
}

static int append_rule(struct parse *ps, struct ipe_op_table *t, struct ipe_rule *r)
{
	if (t->nrules == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct ipe_rule *nr = realloc(t->rules, cap * sizeof(*nr));
		if (!nr)
			return fail(ps, ENOMEM, "out of memory");
		t->rules = nr;
		t->cap = cap;
	}
	t->rules[t->nrules++] = *r;
	ps->pol->nrules++;
	return 0;
}

static int parse_rule(struct parse *ps, char *line)
{
	struct ipe_rule r = { .op = IPE_OP_INVALID, .action = IPE_ACTION_UNSET, .line = ps->line };
	bool is_default = false, first = true, op_parsed = false;
	char **pieces;
	size_t n = split_pieces(line, &pieces);
	int rc = 0;

	if (!n)
		return fail(ps, ENOMEM, "out of memory");
	/* every piece but the last: [DEFAULT] op=OP property... */
	for (size_t i = 0; i + 1 < n && !rc; i++) {
		char *t = pieces[i];
		if (!*t)
			continue;
		if (first && strcmp(t, "DEFAULT") == 0) {
			is_default = true;
		} else if (!op_parsed) {
			r.op = parse_op_token(t);
			if (r.op == IPE_OP_INVALID)
				rc = fail(ps, EBADMSG, "expected op=OPERATION, found '%s'", t);
			op_parsed = true;
		} else {
			rc = parse_property(ps, t, &r);
		}
		first = false;
	}
	const char *act = pieces[n - 1];
	if (!rc) {
		if (strcmp(act, "action=ALLOW") == 0)
			r.action = IPE_ACTION_ALLOW;
		else if (strcmp(act, "action=DENY") == 0)
			r.action = IPE_ACTION_DENY;
		else
			rc = fail(ps, EBADMSG, "last token must be action=ALLOW or action=DENY, found '%s'", act);
	}
	if (!rc && is_default) {
		if (r.nprops)
			rc = fail(ps, EBADMSG, "DEFAULT takes no properties");
		else if (r.op == IPE_OP_INVALID && ps->pol->global_default != IPE_ACTION_UNSET)
			rc = fail(ps, EBADMSG, "second global DEFAULT");
		else if (r.op == IPE_OP_INVALID)
			ps->pol->global_default = r.action;
		else if (ps->pol->ops[r.op].default_action != IPE_ACTION_UNSET)
			rc = fail(ps, EBADMSG, "second DEFAULT for op=%s", ipe_op_name(r.op));
		else
			ps->pol->ops[r.op].default_action = r.action;
	} else if (!rc) {
		if (r.op == IPE_OP_INVALID)
			rc = fail(ps, EBADMSG, "rule has no op=OPERATION");
		else
			rc = append_rule(ps, &ps->pol->ops[r.op], &r);
	}
	if (rc || is_default)
		rule_free_props(&r);
	free(pieces);
	return rc;
}

static struct ipe_policy *policy_new(void)
{
	struct ipe_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->refs = 1;
	p->global_default = IPE_ACTION_UNSET;
	for (int i = 0; i < IPE_OP_COUNT; i++)
		p->ops[i].default_action = IPE_ACTION_UNSET;
	/* an unsigned policy's audit digest is that of the empty buffer */
	EVP_Digest("", 0, p->blob_sha256, NULL, EVP_sha256(), NULL);
	return p;
}

static int parse_lines(struct parse *ps, char *buf, size_t len)
{
	bool header = false;
	unsigned line = 1;

	for (size_t start = 0; start <= len;) {
		size_t end = start;
		while (end < len && buf[end] != '\n' && buf[end] != '\r')
			end++;
		bool crlf = end + 1 < len && buf[end] == '\r' && buf[end + 1] == '\n';
		buf[end] = '\0';	/* buf has len+1 bytes */
		char *l = buf + start, *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		size_t n = strlen(l);
		while (n > 0 && kernel_isspace((unsigned char)l[n - 1]))
			l[--n] = '\0';
		ps->line = line;
		if (n) {
			int rc = header ? parse_rule(ps, l) : parse_header(ps, l);
			if (rc)
				return rc;
			header = true;
		}
		if (end < len && !crlf)
			line++;	/* CR of a CRLF: the LF counts the line */
		start = end + 1;
	}
	if (!header)
		return fail(ps, EBADMSG, "no policy header (policy_name=... policy_version=...)");
	if (ps->pol->global_default == IPE_ACTION_UNSET)
		for (int op = 0; op < IPE_OP_COUNT; op++)
			if (ps->pol->ops[op].default_action == IPE_ACTION_UNSET)
				return fail(ps, EBADMSG,
					    "no global DEFAULT and no DEFAULT for op=%s", ipe_op_name(op));
	return 0;
}

int ipe_policy_parse(const char *text, size_t len, struct ipe_policy **out,
		     struct ipe_parse_error *perr)
{
	struct parse ps = { .perr = perr, .line = 1 };
	int rc;

	if (perr)
		memset(perr, 0, sizeof(*perr));
	if (len == 0)
		return fail(&ps, EBADMSG, "empty policy");
	if (!(ps.pol = policy_new()))
		return fail(&ps, ENOMEM, "out of memory");
	/* the policy file shows all len bytes; the parser sees a C string */
	size_t clen = strnlen(text, len);
	char *work = malloc(clen + 1);
	ps.pol->text = malloc(len + 1);
	if (!work || !ps.pol->text) {
		free(work);
		ipe_policy_put(ps.pol);
		return fail(&ps, ENOMEM, "out of memory");
	}
	memcpy(ps.pol->text, text, len);
	ps.pol->text[len] = '\0';
	ps.pol->textlen = len;
	memcpy(work, text, clen);
	work[clen] = '\0';
	rc = parse_lines(&ps, work, clen);
	free(work);
	if (!rc && ipe_index_build(ps.pol) < 0)
		rc = fail(&ps, ENOMEM, "out of memory");
	if (rc) {
		ipe_policy_put(ps.pol);
		return rc;
	}
	*out = ps.pol;
	return 0;
}
