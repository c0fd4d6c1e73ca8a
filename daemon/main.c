/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd: the daemon that holds udm devices. Sets up the runtime directory, the
 * control socket and the mapper/ FUSE mount, reports readiness (to the parent
 * when daemonizing, to systemd through $NOTIFY_SOCKET), serves until
 * `udm shutdown` or SIGTERM, then tears everything down: loop devices it
 * attached, devices, the FUSE mount, the socket. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/events.h"
#include "daemon/export.h"
#include "daemon/udmd.h"
#include "udm/target.h"

/* The library's log lines (udm_set_log_fn) go where udmd's own do. */
static void library_log(void *arg, int priority, const char *line)
{
	(void)arg;
	(void)priority;
	udmd_log("%s", line);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: udmd [--runtime-dir DIR] [--state-dir DIR]\n"
		   "            [--trusted-certs PATH | --trusted-certs-dir DIR] [--require-signatures]\n"
		   "            [--boot-policy FILE] [--audit-log FILE] [--audit=file,log,journal,kernel]\n"
		   "            [--enforce-mount PATH]... [--allow-uid UID]... [--allow-gid GID]...\n"
		   "            [--enforcer=bpf|fanotify|auto] [--bpf-pin-dir DIR]\n"
		   "            [--export=fuse|ublk|auto] [--dev-links | --no-dev-links] [--dev-dir DIR] [--log DEST]...\n"
		   "            [--fanotify-scope=mounts|system] [--foreground]\n"
		   "            [--adopt=on-crash|never] [--lock] [--takeover]\n"
		   "       udmd --help | --version\n");
}

static int parse_id(const char *s, bool group, unsigned *out)
{
	unsigned v;
	if (udm_parse_uint(s, &v) == 0 && v < UINT_MAX) {   /* (uid_t)-1 is "no change" */
		*out = v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);
		if (g) {
			*out = g->gr_gid;
			return 0;
		}
	} else {
		struct passwd *pw = getpwnam(s);
		if (pw) {
			*out = pw->pw_uid;
			return 0;
		}
	}
	return -EINVAL;
}

/* --trusted-certs-dir DIR: DIR when it holds a *.pem file (loaded as
 * --trusted-certs DIR, which reads only those), NULL when it is missing or
 * has none: the packaged unit names /etc/udm/certs, empty until the
 * administrator adds a certificate, and an empty set trusts nobody. */
static const char *udmd_certs_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return NULL;
	while (!found && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		found = e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".pem") == 0;
	}
	closedir(d);
	return found ? dir : NULL;
}

/* An option taking one of two words: 0 for a, 1 for b, -1 (said) for anything else. */
static int one_of(const char *opt, const char *arg, const char *a, const char *b)
{
	if (strcmp(arg, a) == 0)
		return 0;
	if (strcmp(arg, b) == 0)
		return 1;
	fprintf(stderr, "udmd: %s: expected %s or %s, not '%s'\n", opt, a, b, arg);
	return -1;
}

static int parse_options(int argc, char **argv, struct udmd_config *cfg)
{
	enum { O_RUNTIME = 256, O_STATE, O_CERTS, O_REQSIG, O_BOOTPOL, O_AUDIT, O_ENFORCE, O_FG, O_AUID, O_AGID, O_HELP, O_ENFORCER,
	       O_PINS, O_LINKS, O_NOLINKS, O_DEVDIR, O_LOG, O_FANSCOPE, O_CERTSDIR, O_ADOPT, O_LOCK, O_TAKEOVER,
	       O_SINKS, O_VERSION, O_EXPORT };
	static const struct option opts[] = {
		{ "runtime-dir", required_argument, NULL, O_RUNTIME },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "trusted-certs", required_argument, NULL, O_CERTS },
		{ "trusted-certs-dir", required_argument, NULL, O_CERTSDIR },
		{ "require-signatures", no_argument, NULL, O_REQSIG },
		{ "boot-policy", required_argument, NULL, O_BOOTPOL },
		{ "audit-log", required_argument, NULL, O_AUDIT },
		{ "enforce-mount", required_argument, NULL, O_ENFORCE },
		{ "foreground", no_argument, NULL, O_FG },
		{ "allow-uid", required_argument, NULL, O_AUID },
		{ "allow-gid", required_argument, NULL, O_AGID },
		{ "help", no_argument, NULL, O_HELP },
		{ "enforcer", required_argument, NULL, O_ENFORCER },
		{ "bpf-pin-dir", required_argument, NULL, O_PINS },
		{ "fanotify-scope", required_argument, NULL, O_FANSCOPE },
		{ "dev-links", no_argument, NULL, O_LINKS },
		{ "no-dev-links", no_argument, NULL, O_NOLINKS },
		{ "dev-dir", required_argument, NULL, O_DEVDIR },
		{ "log", required_argument, NULL, O_LOG },
		{ "adopt", required_argument, NULL, O_ADOPT },
		{ "lock", no_argument, NULL, O_LOCK },
		{ "takeover", no_argument, NULL, O_TAKEOVER },
		{ "audit", required_argument, NULL, O_SINKS },
		{ "version", no_argument, NULL, O_VERSION },
		{ "export", required_argument, NULL, O_EXPORT },
		{ 0 }
	};
	const char *rt = getenv("UDM_RUNTIME_DIR");
	snprintf(cfg->runtime_dir, sizeof(cfg->runtime_dir), "%s", rt && *rt ? rt : "/run/udm");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/udm");
	snprintf(cfg->dev_dir, sizeof(cfg->dev_dir), "/dev/mapper");
	/* Links by default only for the system's udmd (root, default runtime
	 * dir): a udmd on a private runtime dir (tests, a user's) never puts
	 * anything in the system's /dev/mapper unless asked to. */
	int links = -1;
	const char *certs_dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned id;
		switch (c) {
		case O_RUNTIME:
			if (snprintf(cfg->runtime_dir, sizeof(cfg->runtime_dir), "%s", optarg) >=
			    (int)sizeof(cfg->runtime_dir)) {
				fprintf(stderr, "udmd: --runtime-dir: %s\n", strerror(ENAMETOOLONG));
				return -1;
			}
			break;
		case O_STATE:
			snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", optarg);
			break;
		case O_CERTS: cfg->trusted_certs = optarg; break;
		case O_CERTSDIR: certs_dir = optarg; break;
		case O_REQSIG: cfg->require_signatures = true; break;
		case O_BOOTPOL: cfg->boot_policy = optarg; break;
		case O_AUDIT: cfg->audit_log = optarg; break;
		case O_SINKS: cfg->audit_sinks = optarg; break;
		case O_ENFORCE: {
			const char **v = realloc(cfg->enforce_mounts, (cfg->n_enforce_mounts + 1) * sizeof(*v));
			if (!v)
				return -1;
			v[cfg->n_enforce_mounts++] = optarg;
			cfg->enforce_mounts = v;
			break;
		}
		case O_FG: cfg->foreground = true; break;
		case O_ENFORCER: {
			char names[128] = "";
			if (!udmd_enforce_known(optarg, names, sizeof(names))) {
				fprintf(stderr, "udmd: --enforcer: expected %s, not '%s'\n", names, optarg);
				return -1;
			}
			cfg->enforcer = optarg;
			break;
		}
		case O_EXPORT: {
			char names[128] = "";
			if (!udmd_export_known(optarg, names, sizeof(names))) {
				fprintf(stderr, "udmd: --export: expected %s, not '%s'\n", names, optarg);
				return -1;
			}
			cfg->export = optarg;
			break;
		}
		case O_FANSCOPE: {
			int k = one_of("--fanotify-scope", optarg, "system", "mounts");
			if (k < 0)
				return -1;
			cfg->fanotify_system = k == 0;
			break;
		}
		case O_PINS:
			if (optarg[0] != '/' || strlen(optarg) >= 200) {
				fprintf(stderr, "udmd: --bpf-pin-dir: an absolute path under /sys/fs/bpf expected: %s\n", optarg);
				return -1;
			}
			cfg->bpf_pin_dir = optarg;
			break;
		case O_ADOPT: {
			int k = one_of("--adopt", optarg, "on-crash", "never");
			if (k < 0)
				return -1;
			cfg->adopt_never = k == 1;
			break;
		}
		case O_LOCK: cfg->lock = true; break;
		case O_TAKEOVER: cfg->takeover = true; break;
		case O_LINKS: links = 1; break;
		case O_NOLINKS: links = 0; break;
		case O_DEVDIR:
			if (optarg[0] != '/' || snprintf(cfg->dev_dir, sizeof(cfg->dev_dir), "%s", optarg) >=
			    (int)sizeof(cfg->dev_dir)) {
				fprintf(stderr, "udmd: --dev-dir: an absolute directory name is needed: %s\n", optarg);
				return -1;
			}
			if (links < 0)
				links = 1;
			break;
		case O_LOG: {
			const char **v = realloc(cfg->log_dest, (cfg->n_log_dest + 1) * sizeof(*v));
			if (!v)
				return -1;
			v[cfg->n_log_dest++] = optarg;
			cfg->log_dest = v;
			break;
		}
		case O_AUID:
		case O_AGID: {
			bool g = c == O_AGID;
			size_t *n = g ? &cfg->n_allow_gid : &cfg->n_allow_uid;
			if (parse_id(optarg, g, &id) || *n >= 16) {
				fprintf(stderr, "udmd: --allow-%s: invalid or too many: %s\n", g ? "gid" : "uid", optarg);
				return -1;
			}
			if (g)
				cfg->allow_gid[(*n)++] = id;
			else
				cfg->allow_uid[(*n)++] = id;
			break;
		}
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("udmd %s\n", UDM_LIB_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "udmd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	if (certs_dir && cfg->trusted_certs) {
		fprintf(stderr, "udmd: --trusted-certs and --trusted-certs-dir: give one of them\n");
		return -1;
	}
	if (certs_dir && !(cfg->trusted_certs = udmd_certs_dir(certs_dir)))
		fprintf(stderr, "udmd: --trusted-certs-dir %s: no *.pem certificate: no signature is trusted\n",
			certs_dir);
	cfg->dev_links = links >= 0 ? links : geteuid() == 0 && strcmp(cfg->runtime_dir, "/run/udm") == 0;
	return 0;
}

/* sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET ('@' = abstract). */
static void sd_notify_msg(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		udmd_log("sd_notify: %s", strerror(errno));
	close(fd);
}

static int ready_fd = -1;

/* Tell the waiting parent: "" = ready, else the one-line reason it failed. */
static void report(const char *reason)
{
	if (ready_fd < 0) {
		if (*reason)
			fprintf(stderr, "udmd: %s\n", reason);
		return;
	}
	if (write(ready_fd, reason, strlen(reason) + 1) < 0) {
		/* the parent is gone: nothing to tell */
	}
	close(ready_fd);
	ready_fd = -1;
}

/* Parent side of daemonizing: exit with the child's verdict. */
static void daemonize(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "udmd: pipe: %s\n", strerror(errno));
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "udmd: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		char msg[1024];
		size_t len = 0;
		ssize_t n;
		while (len < sizeof(msg) - 1 && (n = read(p[0], msg + len, sizeof(msg) - 1 - len)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			len += (size_t)n;
		}
		msg[len] = '\0';
		if (len == 0) {
			fprintf(stderr, "udmd: exited before it was ready\n");
			_exit(1);
		}
		if (msg[0]) {
			fprintf(stderr, "udmd: %s\n", msg);
			_exit(1);
		}
		_exit(0);
	}
	close(p[0]);
	ready_fd = p[1];
	setsid();
}

/* SIGTERM, SIGINT: stop. SIGHUP: reopen the log and audit files (logrotate). */
static void *signal_thread(void *arg)
{
	struct udmd *d = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	int sig;
	while (sigwait(&set, &sig) == 0) {
		if (sig == SIGHUP) {
			udmd_log_reopen();
			udmd_audit_reopen();
			udmd_log("signal %d: log files reopened", sig);
			continue;
		}
		udmd_log("signal %d: shutting down", sig);
		udmd_request_stop(d);
		break;
	}
	return NULL;
}

static bool pidfile_written;

static void teardown(struct udmd *d)
{
	udmd_control_close(d);
	/* First: from here on no execution waits for a daemon that is going away.
	 * A handover keeps the BPF enforcer until the devices are down (their loop
	 * devices are udmd's to clear only while it is the owner). */
	if (!d->successor)
		udmd_enforce_stop(d);
	udmd_devlinks_stop(d);
	udmd_export_detach_all(d);
	if (d->ctx) {
		/* Openers released by the detach above arrive asynchronously. */
		int left = 0;
		for (int i = 0; i < 60; i++) {
			left = udm_remove_all(d->ctx, 0);
			if (left <= 0)
				break;
			struct timespec ts = { 0, 50 * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (left > 0)
			udmd_log("%d device(s) still open at shutdown", left);
	}
	udmd_handover_finish(d);
	udmd_enforce_stop(d);
	udmd_export_stop(d);
	udmd_ipe_stop(d);
	udmd_audit_stop();
	udmd_export_free(d);
	udmd_identity_free(d);
	if (d->ctx)
		udm_ctx_free(d->ctx);
	d->ctx = NULL;
	udmd_enforce_free(d);   /* no integrity callback can come any more */
	if (pidfile_written) {
		char pidfile[600];
		snprintf(pidfile, sizeof(pidfile), "%s/udmd.pid", d->cfg.runtime_dir);
		unlink(pidfile);
	}
	udmd_takeover_free(d);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	d->lock_fd = -1;
}

/* One udmd per state folder, for its whole life. */
static int lock_state_dir(struct udmd *d, char *err, size_t errlen)
{
	d->lock_fd = open(d->cfg.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->lock_fd < 0) {
		snprintf(err, errlen, "%.900s: %s", d->cfg.state_dir, strerror(errno));
		return -1;
	}
	/* a killed udmd holds it until its last thread is gone (its leader can be a
	 * zombie before that): wait a little, longer for a predecessor handing over */
	for (int i = 0; flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i == (d->cfg.takeover ? 100 : 30)) {
			snprintf(err, errlen, "%.900s: another udmd is running (it holds this state folder)", d->cfg.state_dir);
			return -1;
		}
		usleep(100 * 1000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct udmd D = { .listen_fd = -1, .wake_fd = { -1, -1 }, .successor_fd = -1, .lock_fd = -1 };
	struct udmd *d = &D;
	if (parse_options(argc, argv, &d->cfg))
		return 1;
	char err[1024] = "";
	if (udmd_log_setup(&d->cfg, err, sizeof(err))) {
		fprintf(stderr, "udmd: %s\n", err);
		return 1;
	}
	if (!d->cfg.foreground)
		daemonize();

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	udm_set_log_fn(library_log, NULL);

	int r;
	if ((r = udmd_mkdirs(d->cfg.runtime_dir, 0755))) {
		snprintf(err, sizeof(err), "%s: %s", d->cfg.runtime_dir, strerror(-r));
		goto fail;
	}
	if ((r = udmd_mkdirs(d->cfg.state_dir, 0700))) {
		snprintf(err, sizeof(err), "%.900s: %s", d->cfg.state_dir, strerror(-r));
		goto fail;
	}
	/* --takeover: the running udmd hands its enforcement over, then exits */
	if (d->cfg.takeover && udmd_takeover(d, err, sizeof(err)))
		goto fail;
	if (lock_state_dir(d, err, sizeof(err)))
		goto fail;
	char real[PATH_MAX];
	if (!realpath(d->cfg.runtime_dir, real) || strlen(real) >= sizeof(d->cfg.runtime_dir)) {
		snprintf(err, sizeof(err), "%s: %s", d->cfg.runtime_dir, strerror(errno ? errno : ENAMETOOLONG));
		goto fail;
	}
	strcpy(d->cfg.runtime_dir, real);
	snprintf(d->mapper_dir, sizeof(d->mapper_dir), "%s/mapper", d->cfg.runtime_dir);

	if (!(d->ctx = udm_ctx_new()) || udmd_identity_init(d)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if ((r = udmd_export_init(d))) {
		snprintf(err, sizeof(err), "--export=%s: %s", d->cfg.export ? d->cfg.export : "fuse",
			 r == -ENODEV ? "this kernel has no such block devices (no /dev/ublk-control?)" : strerror(-r));
		goto fail;
	}
	udm_ctx_set_mapper_dir(d->ctx, d->mapper_dir);
	udm_ctx_set_event_callback(d->ctx, udmd_events_core, d);
	udm_ctx_set_integrity_callback(d->ctx, udmd_enforce_integrity, d);
	if (udmd_verity_init(d, err, sizeof(err)))
		goto fail;
	if (udmd_control_listen(d, err, sizeof(err)))
		goto fail;
	/* Every sink is open before the first record (a policy store's). */
	if (udmd_audit_start(&d->cfg, err, sizeof(err)))
		goto fail;
	/* The active policy is back before anything can ask for a decision. */
	if (udmd_ipe_start(d, err, sizeof(err)))
		goto fail;
	/* boot_verified, adapted: the superblock of / pinned now (docs/enforcement.md) */
	struct stat root_st;
	if (stat("/", &root_st) == 0)
		d->boot_dev = root_st.st_dev;
	/* The backend, with the restored policy compiled in. A re-adopted BPF
	 * enforcer forgets the dead udmd's loop devices before they are cleared
	 * below, so a reused minor never inherits their properties. */
	if (udmd_enforce_select(d, err, sizeof(err)))
		goto fail;
	/* Only now, holding the socket, is it safe to call leftovers stale. */
	udmd_export_clean_stale(d);
	if (udmd_export_start(d, err, sizeof(err)))
		goto fail;
	if (udmd_devlinks_start(d, err, sizeof(err)))
		goto fail;
	udmd_devlinks_sync(d, NULL);   /* the links of devices the export took over */
	/* UDM_FAULT=udmd.start: a start that fails right after the mapper mount */
	if (udm_fault("udmd.start")) {
		snprintf(err, sizeof(err), "fault injected at udmd.start");
		goto fail;
	}
	for (size_t i = 0; i < d->cfg.n_enforce_mounts; i++) {
		/* a mount that comes later (udmd starts before local-fs) is waited for */
		if ((r = udmd_watch_add(d, d->cfg.enforce_mounts[i], true)) < 0 && r != -EEXIST) {
			snprintf(err, sizeof(err), "--enforce-mount %.900s: %s", d->cfg.enforce_mounts[i],
				 r == -EPERM ? "refusing to enforce on /" : strerror(-r));
			goto fail;
		}
		if (r == 1)
			udmd_log("--enforce-mount %s: nothing is mounted there yet; the watch waits for its mount",
				 d->cfg.enforce_mounts[i]);
	}
	udmd_watch_restore(d);
	if (chdir("/") < 0)
		udmd_log("chdir /: %s", strerror(errno));

	char pidfile[600];
	snprintf(pidfile, sizeof(pidfile), "%s/udmd.pid", d->cfg.runtime_dir);
	FILE *pf = fopen(pidfile, "we");
	if (pf) {
		fprintf(pf, "%ld\n", (long)getpid());
		fclose(pf);
		pidfile_written = true;
	}
	pthread_t sth;
	pthread_create(&sth, NULL, signal_thread, d);
	pthread_detach(sth);

	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		close(nul);
	}
	udmd_log("ready: %s", d->cfg.runtime_dir);
	/* A successor started by `systemctl reload udmd` (ExecReload, udmd.service)
	 * is the unit's new main process: systemd learns it before the reload
	 * command (this process's parent, waiting for report()) ends. */
	if (d->cfg.takeover) {
		char msg[64];
		snprintf(msg, sizeof(msg), "MAINPID=%ld\nREADY=1", (long)getpid());
		sd_notify_msg(msg);
	} else {
		sd_notify_msg("READY=1");
	}
	report("");

	udmd_control_run(d);

	sd_notify_msg("STOPPING=1");
	udmd_log("shutting down");
	teardown(d);
	udmd_log("stopped");
	udmd_log_close();
	free(d->cfg.enforce_mounts);
	free(d->cfg.log_dest);
	return 0;

fail:
	report(err[0] ? err : "failed to start");
	teardown(d);
	udmd_log_close();
	free(d->cfg.enforce_mounts);
	free(d->cfg.log_dest);
	return 1;
}
