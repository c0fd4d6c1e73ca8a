#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Added latency and daemon CPU of one exec under enforcement, udm beside
# fapolicyd in one run: N execs of a small static program on an erofs mount
# from a udm verity device per round, each round (a) unwatched, (b) watched by
# udmd (fanotify, root-hash policy), (c) decided by fapolicyd (Debian's package,
# watch_fs = erofs only, a rule that denies one marker file, everything else
# allowed); the three alternate within each round, ROUNDS rounds, once with
# every process pinned to one CPU and once unpinned.
#   bench/exec-enforce.sh [N_EXECS]     (root; ROUNDS=5, STRACE=1 also counts
#                                        udmd's system calls per exec)
# Prints per mode: µs per exec (the median exec of each round, then the
# median over the rounds), added µs, the ratio udm/fapolicyd, and each
# daemon's CPU per exec (all its threads: /proc/PID/task/*/schedstat, and
# utime+stime of /proc/PID/stat as a check), with the CPU model and load.
# fapolicyd's /etc/fapolicyd is backed up and restored.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
ROUNDS=${ROUNDS:-5}
[ "$(id -u)" = 0 ] || { echo "exec-enforce: needs root" >&2; exit 1; }
command -v fapolicyd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fapolicyd >/dev/null
command -v mkfs.erofs >/dev/null || ./scripts/deps.sh
make -s -j"$(nproc)" build/udm build/udmd >/dev/null
UDM=$PWD/build/udm
W=$(mktemp -d /tmp/udm-execbench.XXXXXX)
RT=$W/run
udm() { "$UDM" --runtime-dir "$RT" "$@"; }
FAPO_BACKUP="" FAPO_PID="" UDMD_PID=""
fapo_stop() {
	[ -n "$FAPO_PID" ] || return 0
	kill "$FAPO_PID" 2>/dev/null || true
	while kill -0 "$FAPO_PID" 2>/dev/null; do sleep 0.05; done
	FAPO_PID=""
}
cleanup() {
	set +e
	fapo_stop
	if [ -n "$FAPO_BACKUP" ]; then rm -rf /etc/fapolicyd; mv "$FAPO_BACKUP" /etc/fapolicyd; fi
	rm -rf /run/fapolicyd/fapolicyd.fifo
	umount "$W/m" 2>/dev/null
	[ -S "$RT/control" ] && udm shutdown
	rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/src" "$W/m"
printf 'int main(void) { return 0; }\n' | gcc -static -O2 -x c - -o "$W/src/nop"
cp "$W/src/nop" "$W/src/marker"
mkfs.erofs "$W/img" "$W/src" >/dev/null
ROOT=$("$UDM" verity format "$W/img" "$W/hash" | sed -n 's/^Root hash:[[:space:]]*//p')
./build/udmd --runtime-dir "$RT" --state-dir "$W/state" --enforcer fanotify --boot-policy <(printf '%s\n' \
	"policy_name=bench policy_version=0.0.1" "DEFAULT action=ALLOW" "DEFAULT op=EXECUTE action=DENY" \
	"op=EXECUTE dmverity_roothash=sha256:$ROOT action=ALLOW") --audit-log "$W/audit.log"
UDMD_PID=$(cat "$RT/udmd.pid" 2>/dev/null || pgrep -n -f "udmd --runtime-dir $RT")
udm verity open "$W/img" bench "$W/hash" "$ROOT"
mount -t erofs -o ro "$(udm attach bench)" "$W/m"

# N execs from one process, so only exec cost is measured (not a shell's fork
# per iteration); each exec is timed and the median is printed: on a shared
# machine the preemptions of other work land in the tail, not the median
cat >"$W/loop.c" <<'EOF'
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
int main(int argc, char **argv)
{
	int n = atoi(argv[2]);
	double *t = calloc(n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		pid_t pid;
		int st;
		char *args[] = { argv[1], NULL };
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (posix_spawn(&pid, argv[1], NULL, NULL, args, environ) || waitpid(pid, &st, 0) < 0 || st) {
			fprintf(stderr, "exec %d failed\n", i);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1000.0;
	}
	qsort(t, n, sizeof(*t), cmp);
	printf("%.1f\n", t[n / 2]);
	return 0;
}
EOF
gcc -O2 -o "$W/loop" "$W/loop.c"

# fapolicyd: watch only erofs, deny executing the marker file, allow the rest
FAPO_BACKUP=$W/fapolicyd.etc
cp -a /etc/fapolicyd "$FAPO_BACKUP"
sed -i -e 's/^watch_fs.*/watch_fs = erofs/' -e 's/^permissive.*/permissive = 0/' -e 's/^integrity.*/integrity = none/' \
	-e 's/^trust.*/trust = file/' -e 's/^uid.*/uid = root/' -e 's/^gid.*/gid = root/' \
	-e 's/^nice_val.*/nice_val = 0/' /etc/fapolicyd/fapolicyd.conf
rm -f /etc/fapolicyd/rules.d/*.rules /etc/fapolicyd/fapolicyd.rules
printf '%s\n' "deny_audit perm=execute all : path=$W/m/marker" "allow perm=any all : all" \
	>/etc/fapolicyd/rules.d/10-bench.rules
cp /etc/fapolicyd/rules.d/10-bench.rules /etc/fapolicyd/compiled.rules
fapo_start() {
	: >"$W/fapolicyd.log"
	fapolicyd --debug-deny >>"$W/fapolicyd.log" 2>&1 &
	FAPO_PID=$!
	for _ in $(seq 100); do grep -q "Starting to listen" "$W/fapolicyd.log" 2>/dev/null && break; sleep 0.1; done
	grep -q "Starting to listen" "$W/fapolicyd.log" || { echo "fapolicyd did not start:"; cat "$W/fapolicyd.log"; exit 1; }
	taskset -a -p -c "$CPUS" "$FAPO_PID" >/dev/null
	# it enforces: the marker is denied, the program runs
	if "$W/m/marker" 2>/dev/null; then echo "fapolicyd does not deny the marker" >&2; exit 1; fi
	"$W/m/nop"
}

# CPU time of every thread of a process, in ns
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d\n", s}'; }
ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; }
HZ=$(getconf CLK_TCK)
measure() { taskset -c "$CPUS" "$W/loop" "$W/m/nop" 100 >/dev/null; taskset -c "$CPUS" "$W/loop" "$W/m/nop" "$N"; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# one daemon-watched round: the time per exec, then the daemon's CPU per exec (schedstat, stat)
daemon_round() {
	local pid=$1 c0 t0 us c1 t1
	taskset -c "$CPUS" "$W/loop" "$W/m/nop" 100 >/dev/null
	c0=$(cpu_ns "$pid"); t0=$(ticks "$pid")
	us=$(taskset -c "$CPUS" "$W/loop" "$W/m/nop" "$N")
	c1=$(cpu_ns "$pid"); t1=$(ticks "$pid")
	echo "$us $(( (c1 - c0) / N )) $(( (t1 - t0) * 1000000000 / HZ / N ))"
}

run_mode() {
	local label=$1
	CPUS=$2
	taskset -a -p -c "$CPUS" "$UDMD_PID" >/dev/null
	: >"$W/plain"; : >"$W/udm"; : >"$W/fapo"
	for _ in $(seq "$ROUNDS"); do
		measure >>"$W/plain"
		udm watch add "$W/m"
		daemon_round "$UDMD_PID" >>"$W/udm"
		udm watch remove "$W/m"
		fapo_start
		daemon_round "$FAPO_PID" >>"$W/fapo"
		fapo_stop
	done
	local plain u f ucpu fcpu ustat fstat
	plain=$(median <"$W/plain")
	u=$(cut -d' ' -f1 "$W/udm" | median); f=$(cut -d' ' -f1 "$W/fapo" | median)
	ucpu=$(cut -d' ' -f2 "$W/udm" | median); fcpu=$(cut -d' ' -f2 "$W/fapo" | median)
	ustat=$(awk '{s += $3} END {print s / NR}' "$W/udm"); fstat=$(awk '{s += $3} END {print s / NR}' "$W/fapo")
	{
		echo "raw rounds ($label): unwatched µs | udm µs, udmd CPU ns (schedstat, stat) | fapolicyd µs, CPU ns"
		paste -d'|' "$W/plain" "$W/udm" "$W/fapo"
	} >&2
	printf '\n%s: median of %d rounds of %d execs\n' "$label" "$ROUNDS" "$N"
	printf '%-28s %9s %8s %16s\n' "decision by" "µs/exec" "added" "daemon CPU/exec"
	printf '%-28s %9s %8s %16s\n' "none (unwatched)" "$plain" "-" "-"
	printf '%-28s %9s %8.1f %13.1f µs\n' "udm (fanotify + IPE)" "$u" "$(echo "$u - $plain" | bc -l)" "$(echo "$ucpu / 1000" | bc -l)"
	printf '%-28s %9s %8.1f %13.1f µs\n' "fapolicyd $(dpkg-query -W -f '${Version}' fapolicyd 2>/dev/null)" "$f" \
		"$(echo "$f - $plain" | bc -l)" "$(echo "$fcpu / 1000" | bc -l)"
	printf 'udm/fapolicyd: added time %.2f, daemon CPU %.2f (utime+stime: udmd %.1f µs, fapolicyd %.1f µs per exec)\n' \
		"$(echo "($u - $plain) / ($f - $plain)" | bc -l)" "$(echo "$ucpu / $fcpu" | bc -l)" \
		"$(echo "$ustat / 1000" | bc -l)" "$(echo "$fstat / 1000" | bc -l)"
}

echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs; kernel $(uname -r)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_mode "pinned (every process on CPU 0)" 0
run_mode "unpinned" "0-$(($(nproc) - 1))"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${STRACE:-0}" = 1 ] && command -v strace >/dev/null; then
	# udmd's system calls per exec (strace slows it: a count, not a time)
	udm watch add "$W/m"
	"$W/loop" "$W/m/nop" 100 >/dev/null
	strace -f -c -o "$W/strace" -p "$UDMD_PID" & SP=$!
	sleep 1
	"$W/loop" "$W/m/nop" 1000 >/dev/null
	sleep 0.5
	kill -INT "$SP"; wait "$SP" || true
	udm watch remove "$W/m"
	echo; echo "udmd system calls over 1000 execs (strace -f -c):"
	cat "$W/strace"
fi
