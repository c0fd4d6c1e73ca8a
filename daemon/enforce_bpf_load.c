/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BPF LSM enforcer (see enforce_bpf.h), its lifetime: skeleton load, attach, pins in bpffs,
 * re-adoption after a restart, the switch from objects of another map layout,
 * detach, and the audit ring buffer's thread. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "daemon/enforce_bpf_int.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* bpffs at /sys/fs/bpf (mounted if missing) and our directory in it. */
static int prepare_pin_dir(const char *dir)
{
	struct statfs fs;
	if (statfs("/sys/fs/bpf", &fs) < 0 || fs.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
			return -errno;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void pin_path(const struct udmd_bpf *e, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", e->pin_dir, name);
}

/* ---- audit ring buffer ---- */

static int on_event(void *ctx, void *data, size_t size)
{
	struct udmd_bpf *e = ctx;
	if (size < sizeof(struct udm_bpf_event))
		return 0;
	const struct udm_bpf_event *ev = data;
	struct ipe_policy *pol = NULL;
	pthread_mutex_lock(&e->lock);
	int slot = (int)(ev->gen % POLICY_HISTORY);
	if (e->hist[slot].gen == ev->gen && e->hist[slot].pol) {
		pol = e->hist[slot].pol;
		ipe_policy_get(pol);
	}
	pthread_mutex_unlock(&e->lock);
	e->audit(e->audit_arg, ev, pol);
	if (pol)
		ipe_policy_put(pol);
	return 0;
}

static void *audit_thread(void *arg)
{
	struct udmd_bpf *e = arg;
	struct pollfd p[2] = { { .fd = ring_buffer__epoll_fd(e->rb), .events = POLLIN },
			       { .fd = e->stop_fd, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		ring_buffer__consume(e->rb);
	}
	ring_buffer__consume(e->rb);
	return NULL;
}

int udmd_bpf_audit_start(struct udmd_bpf *e)
{
	if (e->thread_started)
		return 0;
	int r = pthread_create(&e->thread, NULL, audit_thread, e);
	if (r)
		return -r;
	e->thread_started = true;
	return 0;
}

/* ---- load, attach, pin, adopt ---- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("UDMD_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG && getenv("UDMD_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static struct bpf_map *skel_map(struct udm_enforce *s, const char *name)
{
	return bpf_object__find_map_by_name(s->obj, name);
}

static const char *const map_names[] = {
	"udm_decisions", "udm_config", "udm_stats", "udm_scope", "udm_loops", "udm_objs", "udm_audit",
	"udm_kseq", "udm_kprops", "udm_fsv", "udm_ublk",
};
enum { MAP_CONFIG = 1, MAP_AUDIT = 6 };   /* their places in map_names */

/* Is name a type of that kind in the BTF of vmlinux (module NULL) or of
 * module? The programs on it are loaded only then: one object for 6.1 and 6.12. */
static bool btf_has_type(const char *module, const char *name, int kind)
{
	struct btf *vm = btf__load_vmlinux_btf();
	if (!vm)
		return false;
	struct btf *b = vm;
	if (module) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "/sys/kernel/btf/%s", module);
		b = btf__parse_split(p, vm);
		if (!b) {
			btf__free(vm);
			return false;
		}
	}
	bool found = btf__find_by_name_kind(b, name, kind) >= 0;
	if (b != vm)
		btf__free(b);
	btf__free(vm);
	return found;
}

static bool btf_has_func(const char *module, const char *func)
{
	return btf_has_type(module, func, BTF_KIND_FUNC);
}

/* Does vmlinux's BTF have struct sname with a member mname? A kernel that
 * lacks one is a probe result: the programs that need it are left out. */
static bool btf_has_member(const char *sname, const char *mname)
{
	struct btf *vm = btf__load_vmlinux_btf();
	if (!vm)
		return false;
	bool found = false;
	__s32 id = btf__find_by_name_kind(vm, sname, BTF_KIND_STRUCT);
	if (id >= 0) {
		const struct btf_type *t = btf__type_by_id(vm, id);
		const struct btf_member *m = btf_members(t);
		for (int i = 0; i < btf_vlen(t) && !found; i++, m++)
			found = strcmp(btf__name_by_offset(vm, m->name_off), mname) == 0;
	}
	btf__free(vm);
	return found;
}

/* The kernel's features the programs depend on, found in its BTF; each one
 * missing is logged once and costs only what needs it. */
static void probe_fsv_mprotect(struct udmd_bpf *e)
{
	/* fs-verity digests on file_mprotect: the kfunc on vma->vm_file where the
	 * verifier trusts that pointer (6.17+: vm_area_struct__safe_trusted_or_null),
	 * else inode->i_verity_info (up to 6.x; 7.x keeps it elsewhere) */
	e->fsv_mprotect = 0;
	if (e->fsv_kfunc && btf_has_member("vm_area_struct__safe_trusted_or_null", "vm_file"))
		e->fsv_mprotect = 2;
	else if (e->fsv_kfunc && btf_has_member("inode", "i_verity_info"))
		e->fsv_mprotect = 1;
	else if (e->fsv_kfunc)
		fprintf(stderr, "udmd: enforcer: bpf: this kernel has neither inode->i_verity_info nor a trusted "
			"vma->vm_file: mprotect(PROT_EXEC) of an fs-verity file is denied when the policy names "
			"fs-verity digests\n");
}

/* The config udmd writes from now on: it owns the objects (the programs bind
 * its pid to its start time at its first check); its executable is recorded
 * only so that nobody may claim it through prctl (not a credential). */
static int ensure_config_defaults(struct udmd_bpf *e, bool lock)
{
	struct stat st;
	if (stat("/proc/self/exe", &st) < 0)
		return -errno;
	if (e->cfg.owner_tgid != (__u64)getpid())
		e->cfg.owner_start = 0;
	e->cfg.owner_tgid = (__u64)getpid();
	e->cfg.exe_ino = st.st_ino;
	e->cfg.exe_dev = kdev_of(st.st_dev);
	if (lock)
		e->cfg.locked = 1;   /* never unset: as the kernel's lockdown */
	return 0;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* Does the map behind fd (pinned or handed over) differ from m, this object's
 * map name? Then why says how (when given). */
static bool map_differs(int fd, const struct bpf_map *m, const char *name, char *why, size_t len)
{
	struct bpf_map_info info;
	__u32 ilen = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &ilen) < 0) {
		if (why)
			snprintf(why, len, "map %s: %s", name, fd < 0 ? "missing" : strerror(errno));
		return true;
	}
	if (info.type == (__u32)bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	    info.value_size == bpf_map__value_size(m) && info.max_entries == bpf_map__max_entries(m))
		return false;
	if (why)
		snprintf(why, len, "map %s: type %u key %u value %u entries %u, this udmd's %u %u %u %u", name,
			 info.type, info.key_size, info.value_size, info.max_entries, (unsigned)bpf_map__type(m),
			 bpf_map__key_size(m), bpf_map__value_size(m), bpf_map__max_entries(m));
	return true;
}

/* The fd of name in a handover (map "udm_config", link "link_udm_bprm_check"), or -1. */
static int handed(const struct udmd_handover_objs *h, const char *name)
{
	for (int i = 0; h && i < h->n; i++)
		if (strcmp(h->names[i], name) == 0)
			return h->fds[i];
	return -1;
}

/* A layout switch: the old links, as handed over, else from their pins (the
 * programs let their adopter open them). Held until the switch detaches them. */
static int hold_old_links(struct udmd_bpf *e, struct udmd_handover_objs *h)
{
	int cap = (int)(sizeof(e->old_links) / sizeof(e->old_links[0]));
	if (h) {
		/* taken, not copied: these must be the old links' last fds */
		for (int i = 0; i < h->n && e->nold < cap; i++)
			if (strncmp(h->names[i], "link_", 5) == 0 && h->fds[i] >= 0) {
				e->old_links[e->nold++] = h->fds[i];
				h->fds[i] = -1;
			}
		return 0;
	}
	DIR *d = opendir(e->pin_dir);
	if (!d)
		return -errno;
	struct dirent *de;
	int r = 0;
	char p[PATH_MAX];
	while (!r && (de = readdir(d)) && e->nold < cap) {
		if (strncmp(de->d_name, "link_", 5) != 0)
			continue;
		pin_path(e, de->d_name, p, sizeof(p));
		int fd = bpf_obj_get(p);
		if (fd < 0)
			r = -errno;
		else
			e->old_links[e->nold++] = fd;
	}
	closedir(d);
	return r;
}

int udmd_bpf_open(struct udmd_bpf **out, const struct udmd_bpf_opts *o, bool *adopted,
		      udmd_bpf_audit_fn audit, void *audit_arg, char *err, size_t errlen)
{
	const char *pin_dir = o->pin_dir;
	struct udmd_handover_objs *h = o->handover;
	struct udmd_bpf *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->stop_fd = -1;
	e->lock_fd = -1;
	e->old_audit = -1;
	e->audit = audit;
	e->audit_arg = audit_arg;
	snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", pin_dir);
	libbpf_set_print(libbpf_quiet);
	*adopted = false;
	char p[PATH_MAX];
	int r = prepare_pin_dir(pin_dir);
	if (r) {
		snprintf(err, errlen, "bpffs %s: %s", pin_dir, strerror(-r));
		goto fail;
	}
	/* One udmd per pin directory, for its whole life: held before anything
	 * pinned is touched, so an adoption is never shared (a successor waits
	 * for its predecessor's exit). */
	e->lock_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->lock_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", pin_dir, strerror(-r));
		goto fail;
	}
	for (int i = 0; flock(e->lock_fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i == (h ? 100 : 30)) {
			r = -EBUSY;
			snprintf(err, errlen, "%s: held by another udmd (its lock)", pin_dir);
			goto fail;
		}
		usleep(100 * 1000);   /* a predecessor exiting (killed, or handing over) */
	}
	/* fs-verity digests: the kfunc is in vmlinux's BTF from 6.8 */
	e->fsv_kfunc = btf_has_func(NULL, "bpf_get_fsverity_digest");
	/* AT_EXECVE_CHECK: the bprm_creds_for_exec hook and bprm->is_check (6.14+) */
	e->execve_check = btf_has_func(NULL, "bpf_lsm_bprm_creds_for_exec") &&
			  btf_has_member("linux_binprm", "is_check");
	if (!e->execve_check)
		fprintf(stderr, "udmd: enforcer: bpf: no AT_EXECVE_CHECK in this kernel (6.14+): "
			"execve checks are not decided\n");
	/* overlay files are decided by the layer holding their data, read through
	 * the overlay module's BTF (bpf/overlay.bpf.h): without it at load time
	 * they have no properties */
	if (!btf_has_type(NULL, "ovl_inode", BTF_KIND_STRUCT) && !btf_has_type("overlay", "ovl_inode", BTF_KIND_STRUCT))
		fprintf(stderr, "udmd: enforcer: bpf: overlay module not loaded: files on overlayfs get no properties "
			"(load it before udmd)\n");
	int reused = 0;
	for (;;) {
		if (!(e->skel = udm_enforce__open())) {
			r = -errno ? -errno : -EINVAL;
			snprintf(err, errlen, "BPF object: %s", strerror(-r));
			goto fail;
		}
		/* pinned maps of an earlier udmd: the new programs decide from the same
		 * state, when the maps have this object's layout */
		reused = 0;
		int fds[sizeof(map_names) / sizeof(map_names[0])];
		size_t nmaps = sizeof(map_names) / sizeof(map_names[0]), present = 0;
		for (size_t i = 0; i < nmaps; i++)
			fds[i] = -1;
		for (size_t i = 0; i < nmaps; i++) {
			pin_path(e, map_names[i], p, sizeof(p));
			int fd = handed(h, map_names[i]);
			if (fd >= 0) {
				fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
			} else if (access(p, F_OK) < 0 && errno == ENOENT) {
				continue;
			} else if (o->adopt_never && !h) {
				r = -EBUSY;
				snprintf(err, errlen, "%s: enforcement is pinned and --adopt=never: "
					 "hand it over (udmd --takeover) or reboot", p);
				close_fds(fds, nmaps);
				goto fail;
			} else {
				fd = bpf_obj_get(p);   /* adoption: the programs let it only if no udmd holds them */
			}
			if (fd < 0) {
				r = errno == EPERM || errno == EACCES ? -EBUSY : -errno;
				snprintf(err, errlen, "%s: %s", p, r == -EBUSY ?
					 "refused: another udmd holds the enforcement, or it is locked (--lock) "
					 "since its udmd exited; decisions stay in force until reboot" : strerror(-r));
				close_fds(fds, nmaps);
				goto fail;
			}
			fds[i] = fd;
			present++;
		}
		/* another layout (a map added, or one whose type, key, value or size
		 * changed): this object gets maps of its own and the old objects
		 * decide until it is filled (udmd_bpf_relayout_finish) */
		char why[256] = "";
		for (size_t i = 0; present && i < nmaps && !why[0]; i++)
			if (fds[i] < 0)
				snprintf(why, sizeof(why), "map %s is new", map_names[i]);
			else
				map_differs(fds[i], skel_map(e->skel, map_names[i]), map_names[i], why, sizeof(why));
		if (why[0]) {
			if (!e->relayout) {
				fprintf(stderr, "udmd: enforcer: bpf: the earlier udmd's maps have another layout (%s): "
					"loading a fresh set; the old programs decide until it holds the policy\n", why);
				/* what --lock set stays set */
				struct udm_bpf_config oc;
				__u32 zero = 0;
				if (!map_differs(fds[MAP_CONFIG], skel_map(e->skel, "udm_config"), "udm_config", NULL, 0) &&
				    bpf_map_lookup_elem(fds[MAP_CONFIG], &zero, &oc) == 0 && oc.locked)
					e->cfg.locked = 1;
				if (fds[MAP_AUDIT] >= 0)
					e->old_audit = fcntl(fds[MAP_AUDIT], F_DUPFD_CLOEXEC, 0);
			}
			e->relayout = true;
			close_fds(fds, nmaps);
		}
		for (size_t i = 0; i < nmaps; i++) {
			if (fds[i] < 0)
				continue;
			pin_path(e, map_names[i], p, sizeof(p));
			r = bpf_map__reuse_fd(skel_map(e->skel, map_names[i]), fds[i]);
			close(fds[i]);
			fds[i] = -1;
			if (r) {
				snprintf(err, errlen, "%s: %s", p, strerror(-r));
				close_fds(fds, nmaps);
				goto fail;
			}
			reused++;
		}
		/* kernel dm devices: the table swap lives in dm-mod (its own BTF; loaded
		 * before udmd, else those devices get no properties), the integrity
		 * hooks exist from 6.12 */
		e->kswap = btf_has_func("dm_mod", "dm_swap_table");
		e->ksetintegrity = btf_has_func(NULL, "bpf_lsm_bdev_setintegrity") &&
				   btf_has_func(NULL, "bpf_lsm_bdev_free_security");
		bpf_program__set_autoload(e->skel->progs.udm_dm_swap_enter, e->kswap);
		bpf_program__set_autoload(e->skel->progs.udm_dm_swap_exit, e->kswap);
		bpf_program__set_autoload(e->skel->progs.udm_bdev_setintegrity, e->ksetintegrity);
		bpf_program__set_autoload(e->skel->progs.udm_bdev_free_security, e->ksetintegrity);
		probe_fsv_mprotect(e);
		bpf_program__set_autoload(e->skel->progs.udm_bprm_creds_for_exec, e->execve_check);
		/* 6.8+: 32-bit ioctls reach LSMs through file_ioctl_compat (file_ioctl before) */
		bpf_program__set_autoload(e->skel->progs.udm_file_ioctl_compat,
					  btf_has_func(NULL, "bpf_lsm_file_ioctl_compat"));
		e->skel->rodata->udm_fsv_kfunc = e->fsv_kfunc;
		e->skel->rodata->udm_fsv_mprotect = e->fsv_mprotect;
		if ((r = udm_enforce__load(e->skel))) {
			if (e->fsv_kfunc) {
				/* the kfunc is there but the verifier refused its use: load
				 * without it (fsverity_digest policies are then refused) */
				fprintf(stderr, "udmd: enforcer: bpf: programs with bpf_get_fsverity_digest refused (%s): "
					"loading without fs-verity digests\n", strerror(-r));
				udm_enforce__destroy(e->skel);
				e->skel = NULL;
				e->fsv_kfunc = false;
				continue;
			}
			snprintf(err, errlen, "BPF load: %s%s", strerror(-r),
				 reused ? " (pinned maps of another udmd version: udm enforce stop, then restart)" : "");
			goto fail;
		}
		break;
	}
	e->fd_decisions = bpf_map__fd(e->skel->maps.udm_decisions);
	e->fd_config = bpf_map__fd(e->skel->maps.udm_config);
	e->fd_stats = bpf_map__fd(e->skel->maps.udm_stats);
	e->fd_scope = bpf_map__fd(e->skel->maps.udm_scope);
	e->fd_loops = bpf_map__fd(e->skel->maps.udm_loops);
	e->fd_objs = bpf_map__fd(e->skel->maps.udm_objs);
	e->fd_audit = bpf_map__fd(e->skel->maps.udm_audit);
	e->fd_kseq = bpf_map__fd(e->skel->maps.udm_kseq);
	e->fd_kprops = bpf_map__fd(e->skel->maps.udm_kprops);
	e->fd_fsv = bpf_map__fd(e->skel->maps.udm_fsv);
	e->fd_ublk = bpf_map__fd(e->skel->maps.udm_ublk);
	{
		__u32 kc = UDM_OBJ_KSEQ_COUNTER;
		__u64 zero64 = 0;
		bpf_map_update_elem(e->fd_objs, &kc, &zero64, BPF_NOEXIST);
	}

	/* The state decided before anything is attached: a fresh config says
	 * "no policy" (allow), an adopted one keeps deciding as before. */
	__u32 zero = 0;
	if (reused)
		bpf_map_lookup_elem(e->fd_config, &zero, &e->cfg);
	if ((r = ensure_config_defaults(e, o->lock))) {
		snprintf(err, errlen, "/proc/self/exe: %s", strerror(-r));
		goto fail;
	}
	/* The restarted udmd knows none of the dead one's loop devices yet: their
	 * entries go (a reused minor must inherit nothing). Every other entry stays
	 * until the first generation this process writes replaces the live one:
	 * the kernel dm-verity devices' (each bound to its table's kseq, which the
	 * programs compare) and the boot superblock's. Deleting those too left
	 * their files without properties until then, so a handover, which
	 * leaves no loop device behind, denied verified code for a moment. */
	if (reused) {
		__u32 lk, lnext, *lprev = NULL;
		static __u32 ldel[1024];
		int nl = 0;
		while (nl < 1024 && bpf_map_get_next_key(e->fd_loops, lprev, &lnext) == 0) {
			ldel[nl++] = lnext;
			lk = lnext;
			lprev = &lk;
		}
		struct udm_bpf_key k, next, *prev = NULL, del[512];
		int n = 0;
		while (n < 512 && bpf_map_get_next_key(e->fd_decisions, prev, &next) == 0) {
			for (int i = 0; i < nl; i++)
				if (next.dev == ldel[i]) {
					del[n++] = next;
					break;
				}
			k = next;
			prev = &k;
		}
		for (int i = 0; i < n; i++)
			bpf_map_delete_elem(e->fd_decisions, &del[i]);
		for (int i = 0; i < nl; i++)
			bpf_map_delete_elem(e->fd_loops, &ldel[i]);
		udmd_bpf_clear_fsv(e, 0, true);
	}
	udmd_bpf_put_config(e);

	/* a layout switch: the old links are held until the switch, this
	 * object's programs are attached only then (udmd_bpf_relayout_finish) */
	if (e->relayout && (r = hold_old_links(e, h))) {
		snprintf(err, errlen, "%s: the old links: %s", pin_dir, strerror(-r));
		goto fail;
	}
	/* links: adopt a pinned one, else attach and pin */
	struct bpf_program *prog;
	int attached = 0, kept = 0;
	bpf_object__for_each_program(prog, e->skel->obj) {
		if (e->relayout)
			break;
		if (e->nlinks == (int)(sizeof(e->link_fds) / sizeof(e->link_fds[0]))) {
			r = -E2BIG;
			snprintf(err, errlen, "too many programs");
			goto fail;
		}
		if (!bpf_program__autoload(prog))
			continue;
		snprintf(p, sizeof(p), "%s/link_%s", pin_dir, bpf_program__name(prog));
		int fd = handed(h, p + strlen(pin_dir) + 1);
		fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : bpf_obj_get(p);
		if (fd >= 0) {
			snprintf(e->link_names[e->nlinks], sizeof(e->link_names[0]), "link_%s", bpf_program__name(prog));
			e->link_fds[e->nlinks++] = fd;
			kept++;
			continue;
		}
		struct bpf_link *l = bpf_program__attach(prog);   /* lsm, fentry or fexit */
		if (!l) {
			r = -errno;
			snprintf(err, errlen, "attach %s: %s", bpf_program__name(prog), strerror(-r));
			goto fail;
		}
		if ((r = bpf_link__pin(l, p))) {
			snprintf(err, errlen, "pin %s: %s", p, strerror(-r));
			bpf_link__destroy(l);
			goto fail;
		}
		snprintf(e->link_names[e->nlinks], sizeof(e->link_names[0]), "link_%s", bpf_program__name(prog));
		/* keep libbpf's own fd (close-on-exec): a disconnected link is freed
		 * without closing it, and the pin keeps it attached after we close */
		e->link_fds[e->nlinks++] = bpf_link__fd(l);
		bpf_link__disconnect(l);
		bpf_link__destroy(l);
		attached++;
	}
	/* maps are pinned once the programs hold them */
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]) && !e->relayout; i++) {
		struct bpf_map *m = skel_map(e->skel, map_names[i]);
		pin_path(e, map_names[i], p, sizeof(p));
		if (access(p, F_OK) == 0)
			continue;
		if ((r = bpf_map__pin(m, p))) {
			snprintf(err, errlen, "pin %s: %s", p, strerror(-r));
			goto fail;
		}
	}
	/* udm's objects, for the programs that guard them */
	struct stat dst;
	if (stat(pin_dir, &dst) == 0) {
		__u32 ki = UDM_OBJ_PIN_INO, kd = UDM_OBJ_PIN_DEV;
		__u64 ino = dst.st_ino, dev = kdev_of(dst.st_dev);
		bpf_map_update_elem(e->fd_objs, &ki, &ino, BPF_ANY);
		bpf_map_update_elem(e->fd_objs, &kd, &dev, BPF_ANY);
	}
	for (int i = 0; i < e->nlinks; i++) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(e->link_fds[i], &info, &len) == 0) {
			__u64 one = 1;
			bpf_map_update_elem(e->fd_objs, &info.id, &one, BPF_ANY);
		}
	}
	/* the programs learn the pins' mount from the owner's open of the directory */
	int mfd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd >= 0)
		close(mfd);
	*adopted = kept > 0 || e->relayout;

	e->rb = ring_buffer__new(e->fd_audit, on_event, e, NULL);
	e->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!e->rb || e->stop_fd < 0) {
		r = -ENOMEM;
		snprintf(err, errlen, "audit ring buffer: %s", strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	(void)attached;
	*out = e;
	return 0;
fail:
	udmd_bpf_close(e);
	return r;
}

bool udmd_bpf_relayout_pending(const struct udmd_bpf *e)
{
	return e->relayout;
}

/* A record of the old ring: read only when it has this udmd's event layout;
 * its generation is the old udmd's, so no rule text is named. */
static int on_old_event(void *ctx, void *data, size_t size)
{
	struct udmd_bpf *e = ctx;
	if (size == sizeof(struct udm_bpf_event))
		e->audit(e->audit_arg, data, NULL);
	return 0;
}

int udmd_bpf_relayout_finish(struct udmd_bpf *e, char *err, size_t errlen)
{
	if (!e->relayout)
		return 0;
	char p[PATH_MAX];
	int r = 0;
	/* 1. what the old programs recorded that nobody has read (their records
	 * from here to their detaching, a moment, also come from ours: dropped) */
	if (e->old_audit >= 0) {
		struct ring_buffer *orb = ring_buffer__new(e->old_audit, on_old_event, e, NULL);
		if (orb) {
			ring_buffer__consume(orb);
			ring_buffer__free(orb);
		}
	}
	/* 2. this object's programs, on maps that hold the policy, beside the old
	 * ones: both decide and a refusal of either stands (LSM programs stack) */
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, e->skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		if (e->nlinks == (int)(sizeof(e->link_fds) / sizeof(e->link_fds[0]))) {
			r = -E2BIG;
			snprintf(err, errlen, "too many programs");
			goto undo;
		}
		struct bpf_link *l = bpf_program__attach(prog);
		if (!l) {
			r = -errno;
			snprintf(err, errlen, "attach %s: %s", bpf_program__name(prog), strerror(-r));
			goto undo;
		}
		snprintf(e->link_names[e->nlinks], sizeof(e->link_names[0]), "link_%s", bpf_program__name(prog));
		e->link_fds[e->nlinks++] = bpf_link__fd(l);
		bpf_link__disconnect(l);
		bpf_link__destroy(l);
		struct bpf_link_info info;   /* guarded from now on */
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(e->link_fds[e->nlinks - 1], &info, &len) == 0) {
			__u64 one = 1;
			bpf_map_update_elem(e->fd_objs, &info.id, &one, BPF_ANY);
		}
	}
	/* 3. the old links go: an LSM link cannot be detached (BPF_LINK_DETACH is
	 * not for tracing links), it goes with its last reference: its pin, then
	 * the fd this process holds. This process is their owner (handed over,
	 * or adopted), so their own guards let it unlink. */
	DIR *d = opendir(e->pin_dir);
	struct dirent *de;
	int gone = 0;
	for (int pass = 0; d && pass < 2; pass++) {   /* the links' pins first, then the maps' */
		rewinddir(d);
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || (strncmp(de->d_name, "link_", 5) == 0) != (pass == 0))
				continue;
			pin_path(e, de->d_name, p, sizeof(p));
			if (unlink(p) == 0) {
				gone++;
			} else if (!gone) {
				/* nothing unlinked yet: the old set stays whole, ours goes */
				r = -errno;
				snprintf(err, errlen, "unpin the old objects: %s: %s", p, strerror(-r));
				closedir(d);
				goto undo;
			}
		}
	}
	if (d)
		closedir(d);
	for (int i = 0; i < e->nold; i++)
		close(e->old_links[i]);
	e->nold = 0;
	if (e->old_audit >= 0)
		close(e->old_audit);
	e->old_audit = -1;
	e->relayout = false;
	/* 4. our pins take their places (this process holds every link meanwhile,
	 * and the directory's lock) */
	for (int i = 0; i < e->nlinks && !r; i++) {
		pin_path(e, e->link_names[i], p, sizeof(p));
		if (bpf_obj_pin(e->link_fds[i], p) < 0)
			r = -errno;
	}
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]) && !r; i++) {
		pin_path(e, map_names[i], p, sizeof(p));
		r = bpf_map__pin(skel_map(e->skel, map_names[i]), p);
	}
	int mfd = open(e->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd >= 0)
		close(mfd);
	if (r)   /* enforcing, but only while this process lives: never undone now */
		fprintf(stderr, "udmd: enforcer: bpf: %s: the new pins: %s (enforcing while this udmd runs)\n",
			e->pin_dir, strerror(-r));
	return 0;
undo:
	/* ours were never pinned: closed, they are detached; the old ones decide */
	for (int i = 0; i < e->nlinks; i++)
		close(e->link_fds[i]);
	e->nlinks = 0;
	return r;
}

static void free_enforcer(struct udmd_bpf *e)
{
	if (e->thread_started) {
		uint64_t one = 1;
		if (write(e->stop_fd, &one, sizeof(one)) < 0)
			perror("bpf enforcer stop");
		pthread_join(e->thread, NULL);
	}
	if (e->stop_fd >= 0)
		close(e->stop_fd);
	ring_buffer__free(e->rb);
	for (int i = 0; i < e->nlinks; i++)
		close(e->link_fds[i]);
	for (int i = 0; i < e->nold; i++)
		close(e->old_links[i]);   /* an unfinished switch: their pins keep them */
	if (e->old_audit >= 0)
		close(e->old_audit);
	udm_enforce__destroy(e->skel);   /* programs stay attached through the pinned links */
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	if (e->pol)
		ipe_policy_put(e->pol);
	for (int i = 0; i < POLICY_HISTORY; i++)
		if (e->hist[i].pol)
			ipe_policy_put(e->hist[i].pol);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

void udmd_bpf_close(struct udmd_bpf *e)
{
	if (e)
		free_enforcer(e);
}

int udmd_bpf_detach(struct udmd_bpf *e)
{
	char p[PATH_MAX];
	int r = 0;
	if (e->relayout) {
		/* nothing of ours is attached or pinned: the pins are the old udmd's */
		free_enforcer(e);
		return 0;
	}
	/* links first: from here on nothing is decided */
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, e->skel->obj) {
		snprintf(p, sizeof(p), "%s/link_%s", e->pin_dir, bpf_program__name(prog));
		if (unlink(p) < 0 && errno != ENOENT)
			r = -errno;
	}
	for (int i = 0; i < e->nlinks; i++)
		bpf_link_detach(e->link_fds[i]);
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		pin_path(e, map_names[i], p, sizeof(p));
		if (unlink(p) < 0 && errno != ENOENT)
			r = -errno;
	}
	rmdir(e->pin_dir);
	free_enforcer(e);
	return r;
}

/* ---- handover to a successor (udmd --takeover) ---- */

int udmd_bpf_handover(struct udmd_bpf *e, pid_t successor, int sock)
{
	struct udmd_handover_objs h = { .n = 0 };
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		snprintf(h.names[h.n], sizeof(h.names[0]), "%s", map_names[i]);
		h.fds[h.n++] = bpf_map__fd(skel_map(e->skel, map_names[i]));
	}
	for (int i = 0; i < e->nlinks && h.n < UDMD_HANDOVER_MAX; i++) {
		snprintf(h.names[h.n], sizeof(h.names[0]), "%s", e->link_names[i]);
		h.fds[h.n++] = e->link_fds[i];
	}
	/* From this store on the successor is the owner: this process no longer is. */
	pthread_mutex_lock(&e->lock);
	e->cfg.owner_tgid = (__u64)successor;
	e->cfg.owner_start = 0;
	udmd_bpf_put_config(e);
	pthread_mutex_unlock(&e->lock);
	int r = udmd_handover_send(sock, &h);
	free_enforcer(e);
	return r;
}
