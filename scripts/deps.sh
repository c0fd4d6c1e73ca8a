#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages udm needs to build, test and run its demo (idempotent).
set -euo pipefail
pkgs=(build-essential pkg-config libssl-dev openssl libfuse3-dev fuse3 libcmocka-dev
      cryptsetup-bin erofs-utils squashfs-tools e2fsprogs util-linux valgrind hyperfine clang libclang-rt-14-dev
      libbpf-dev bpftool libsystemd-dev libaudit-dev liburing-dev libnbd-dev nbdkit python3 curl xz-utils scdoc man-db systemd debhelper lintian fakeroot)
# libipsec-mb (Intel's multi-buffer crypto, verity's SHA-256) exists for x86-64 only
[ "$(dpkg --print-architecture)" = amd64 ] && pkgs+=(libipsec-mb-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
