/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit sinks' chooser and the one entry every decision path calls
 * (audit.h). Records are stamped and written to the sinks that do not block
 * (file, log) under one lock, in serial order; the sinks that may block
 * (journal, kernel) get a copy through a bounded queue read by one thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/audit.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"
#include "udm/target.h"

/* The chooser: every sink udmd knows. A new sink is its own file and a line here. */
extern const struct audit_sink_ops audit_sink_file, audit_sink_log, audit_sink_journal, audit_sink_kernel;
static const struct audit_sink_ops *const known[] = {
	&audit_sink_file, &audit_sink_log, &audit_sink_journal, &audit_sink_kernel,
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

struct sink {
	const struct audit_sink_ops *ops;
	void *state;
	unsigned long long written, dropped;
};

#define QUEUE_MAX 1024

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static struct sink sinks[NKNOWN];
static size_t nsinks;
static bool any_async, thread_running, stopping;
static pthread_t thread;
static unsigned serial;
static struct udmd_audit_rec *queue[QUEUE_MAX];
static size_t q_head, q_len;

static uint32_t proc_u32(pid_t pid, const char *file)
{
	char path[64], buf[32];
	unsigned long v;
	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return IPE_AUID_UNSET;
	bool ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%lu", &v) == 1;
	fclose(f);
	return ok ? (uint32_t)v : IPE_AUID_UNSET;
}

void udmd_audit_ids(pid_t pid, uint32_t *auid, uint32_t *ses)
{
	*auid = pid > 0 ? proc_u32(pid, "loginuid") : IPE_AUID_UNSET;
	*ses = pid > 0 ? proc_u32(pid, "sessionid") : IPE_AUID_UNSET;
}

static const struct audit_sink_ops *find_sink(const char *name, size_t len)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strlen(known[i]->name) == len && strncmp(known[i]->name, name, len) == 0)
			return known[i];
	return NULL;
}

/* A copy of r that owns its strings (one allocation). */
static struct udmd_audit_rec *rec_copy(const struct udmd_audit_rec *r)
{
	const char *const *src[] = { &r->text, &r->decision, &r->op, &r->hook, &r->path, &r->rule };
	size_t need = sizeof(*r);
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (*src[i])
			need += strlen(*src[i]) + 1;
	struct udmd_audit_rec *c = malloc(need);
	if (!c)
		return NULL;
	*c = *r;
	char *p = (char *)(c + 1);
	const char **dst[] = { &c->text, &c->decision, &c->op, &c->hook, &c->path, &c->rule };
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		if (!*src[i])
			continue;
		size_t n = strlen(*src[i]) + 1;
		memcpy(p, *src[i], n);
		*dst[i] = p;
		p += n;
	}
	return c;
}

static void *async_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!q_len && !stopping)
			pthread_cond_wait(&queue_cond, &lock);
		if (!q_len)
			break;
		struct udmd_audit_rec *r = queue[q_head];
		q_head = (q_head + 1) % QUEUE_MAX;
		q_len--;
		pthread_mutex_unlock(&lock);
		for (size_t i = 0; i < nsinks; i++) {
			if (!sinks[i].ops->async)
				continue;
			/* UDM_FAULT=audit.async[:N]: a record a sink could not take (tests) */
			int e = udm_fault("audit.async") ? -EIO : sinks[i].ops->write(sinks[i].state, r);
			/* the counters are read under the lock (status) */
			pthread_mutex_lock(&lock);
			if (e)
				sinks[i].dropped++;
			else
				sinks[i].written++;
			pthread_mutex_unlock(&lock);
		}
		free(r);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void close_sinks(void)
{
	for (size_t i = 0; i < nsinks; i++)
		sinks[i].ops->close(sinks[i].state);
	nsinks = 0;
	any_async = false;
}

int udmd_audit_start(const struct udmd_config *cfg, char *err, size_t errlen)
{
	const char *list = cfg->audit_sinks ? cfg->audit_sinks : cfg->audit_log ? "file" : "log";
	const struct audit_sink_ops *want[NKNOWN];
	size_t n = 0;
	bool has_file = false;
	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");
		const struct audit_sink_ops *o = find_sink(s, len);
		if (!o) {
			snprintf(err, errlen, "--audit: unknown sink '%.*s' (file, log, journal, kernel)", (int)(len > 64 ? 64 : len), s);
			return -EINVAL;
		}
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= want[i] == o;
		if (!dup)
			want[n++] = o;
		has_file |= o == &audit_sink_file;
		s += len;
		if (*s == ',')
			s++;
	}
	if (n == 0) {
		snprintf(err, errlen, "--audit: no sink named (file, log, journal, kernel)");
		return -EINVAL;
	}
	if (has_file && !cfg->audit_log) {
		snprintf(err, errlen, "--audit=file: needs --audit-log FILE");
		return -EINVAL;
	}
	if (!has_file && cfg->audit_log) {
		snprintf(err, errlen, "--audit-log %.900s: the file sink is not in --audit=%.64s", cfg->audit_log, list);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		void *st = NULL;
		int r = want[i]->open(cfg, &st, err, errlen);
		if (r) {
			close_sinks();
			return r;
		}
		sinks[nsinks++] = (struct sink){ .ops = want[i], .state = st };
		any_async |= want[i]->async;
	}
	stopping = false;
	if (any_async) {
		int r = pthread_create(&thread, NULL, async_thread, NULL);
		if (r) {
			close_sinks();
			snprintf(err, errlen, "audit: thread: %s", strerror(r));
			return -r;
		}
		thread_running = true;
	}
	return 0;
}

void udmd_audit_stop(void)
{
	if (thread_running) {
		pthread_mutex_lock(&lock);
		stopping = true;
		pthread_cond_signal(&queue_cond);
		pthread_mutex_unlock(&lock);
		pthread_join(thread, NULL);   /* after writing what was queued */
		thread_running = false;
	}
	pthread_mutex_lock(&lock);
	close_sinks();
	pthread_mutex_unlock(&lock);
}

static void submit(struct udmd_audit_rec *r)
{
	pthread_mutex_lock(&lock);
	clock_gettime(CLOCK_REALTIME, &r->when);
	r->serial = ++serial;
	for (size_t i = 0; i < nsinks; i++) {
		if (sinks[i].ops->async)
			continue;
		if (sinks[i].ops->write(sinks[i].state, r))
			sinks[i].dropped++;
		else
			sinks[i].written++;
	}
	/* the empty 1404 record that follows an enforce change (the kernel's
	 * quirk, kept byte for byte in the file) says nothing to a journal or to
	 * the kernel's audit log */
	if (any_async && r->text[0]) {
		struct udmd_audit_rec *c = q_len < QUEUE_MAX ? rec_copy(r) : NULL;
		if (c) {
			queue[(q_head + q_len) % QUEUE_MAX] = c;
			q_len++;
			pthread_cond_signal(&queue_cond);
		} else {
			for (size_t i = 0; i < nsinks; i++)
				sinks[i].dropped += sinks[i].ops->async;
		}
	}
	pthread_mutex_unlock(&lock);
}

void udmd_audit(struct udmd *d, int type, const char *text)
{
	(void)d;
	struct udmd_audit_rec r = { .type = type, .text = text, .enforcing = -1 };
	submit(&r);
}

void udmd_audit_access(struct udmd *d, const char *text, const struct ipe_decision *dec, int hook, bool enforcing,
		       const char *path, int pid)
{
	(void)d;
	/* rule="DEFAULT action=DENY" as in the record; the field holds what is quoted */
	char rule[2048];
	ipe_decision_format(dec, rule, sizeof(rule));
	const char *rt = rule;
	size_t rl = strlen(rule);
	if (strncmp(rule, "rule=\"", 6) == 0 && rl > 6 && rule[rl - 1] == '"') {
		rule[rl - 1] = '\0';
		rt = rule + 6;
	}
	struct udmd_audit_rec r = {
		.type = IPE_AUDIT_ACCESS, .text = text,
		.decision = dec->action == IPE_ACTION_DENY ? "deny" : "allow",
		.op = ipe_op_name(dec->op), .hook = ipe_hook_name((enum ipe_hook)hook),
		.path = path, .rule = rt, .enforcing = enforcing ? 1 : 0, .pid = pid,
	};
	submit(&r);
}

void udmd_audit_reopen(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsinks; i++)
		if (sinks[i].ops->reopen) {
			int r = sinks[i].ops->reopen(sinks[i].state);
			if (r)
				udmd_log("audit: %s: reopen: %s (still writing to the old file)", sinks[i].ops->name,
					 strerror(-r));
		}
	pthread_mutex_unlock(&lock);
}

void udmd_audit_status(struct udmd_out *out)
{
	/* the sinks are fixed from start to stop; a describe may ask the kernel,
	 * so it runs outside the lock the decision path takes */
	for (size_t i = 0; i < nsinks; i++) {
		char where[1200] = "";
		if (sinks[i].ops->describe)
			sinks[i].ops->describe(sinks[i].state, where, sizeof(where));
		pthread_mutex_lock(&lock);
		unsigned long long w = sinks[i].written, dr = sinks[i].dropped;
		pthread_mutex_unlock(&lock);
		udmd_printf(out, "audit: %s%s%s: %llu records, %llu dropped\n", sinks[i].ops->name, where[0] ? " " : "",
			    where, w, dr);
	}
}
