# SPDX-License-Identifier: GPL-2.0-or-later
# The VM tier's machinery (sourced by vm-run and vm-sign): packages, Debian kernels, test CA, initramfs, boot.
#
# Cache layout under $VM_CACHE (each part rebuilt only when what it was built from changes):
#   kernel/PKG/        vmlinuz, config, version, apt version, root/lib/modules/V (decompressed modules+depmod)
#   apt-sid/           the private apt state (sources.list, lists, cache) through which 7.x comes from sid
#   apt-memo/SERIES    the kernel package and version apt named, and the apt state it was asked in
#   ca/                cert.pem key.pem cert.der (the test CA), db.auth (its EFI db update)
#   vars-enrolled.fd   OVMF variable store whose db holds the CA (the kernel puts it in .platform)
#   initrd/KEY.gz      base initramfs (busybox, tools and their libraries, modules, /init) for one kernel
#   vm-write           the static one-write() helper
#   logs/              console logs of failed runs (the newest 20)
set -u

VM_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${UDM_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/udm-vm}
VM_FIRMWARE=/usr/share/OVMF/OVMF_CODE_4M.fd
VM_VARS_TEMPLATE=/usr/share/OVMF/OVMF_VARS_4M.fd
VM_TIMEOUT=${UDM_VM_TIMEOUT:-600}
VM_MEM=${UDM_VM_MEM:-1024}
# Modules loaded at boot when the kernel has them as modules (a missing one is skipped: 6.1 lacks some,
# 7.x has no crc32c_generic).
VM_MODULES="crc32c_generic virtio_pci virtio_blk efivarfs dm-mod dm-verity dm-flakey dm-delay dm-zero
 dm-crypt dm-integrity loop erofs squashfs fuse ext4 overlay nbd ublk_drv"
# Host programs copied into the initramfs with their libraries, at their host path (optional ones when absent).
VM_PROGRAMS="bash dmsetup veritysetup integritysetup losetup blockdev mkfs.erofs openssl keyctl fsverity mke2fs
 gzip xz"
# EFI_IMAGE_SECURITY_DATABASE_GUID (db) and the owner GUID recorded for our db entry
VM_DB_GUID=d719b2cb-3d3a-4596-a3bc-dad00e67656f
VM_OWNER_GUID=8be4df61-93ca-11d2-aa0d-00e098032b8c
VM_RECIPE=2  # bump when the initramfs recipe changes in a way the cache key cannot see

vm_log() { echo "vm-run: $*" >&2; }

# vm_packages: install what the harness needs (apt) when missing
vm_packages() {
	local need="" c
	for c in qemu-system-x86_64:qemu-system-x86 cpio:cpio dmsetup:dmsetup veritysetup:cryptsetup-bin \
		openssl:openssl cert-to-efi-sig-list:efitools sign-efi-sig-list:efitools mkfs.erofs:erofs-utils \
		keyctl:keyutils xz:xz-utils depmod:kmod gcc:gcc losetup:mount mke2fs:e2fsprogs bash:bash \
		zstd:zstd fsverity:fsverity; do
		command -v "${c%%:*}" >/dev/null 2>&1 || need="$need ${c#*:}"
	done
	[ -f "$VM_FIRMWARE" ] && [ -f "$VM_VARS_TEMPLATE" ] || need="$need ovmf"
	[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ! ldd /bin/busybox >/dev/null 2>&1 ||
		need="$need busybox-static"
	[ -z "$need" ] && return 0
	[ "$(id -u)" = 0 ] || { vm_log "missing packages ($need ) and not root to install them"; return 1; }
	vm_log "installing$need"
	mkdir -p "$VM_CACHE"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need; } \
		>"$VM_CACHE/apt.log" 2>&1 || { vm_log "apt-get failed, see $VM_CACHE/apt.log"; return 1; }
}

# The kernel series the tier knows: 6.1 and 6.12 come from the host's own apt state (Debian 12),
# 7.2 from Debian sid through a private apt state (vm_apt_sid), the host's apt configuration untouched.
VM_SERIES="6.1 6.12 7.2"
vm_series_ok() { case " $VM_SERIES " in *" $1 "*) return 0;; esac; return 1; }

# vm_mirror: the Debian mirror the host's apt sources name (deb822 URIs: or one-line deb), else deb.debian.org
vm_mirror() {
	local f u
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		u=$(sed -n -e 's/^[[:space:]]*URIs:[[:space:]]*//p' \
			-e 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' "$f" |
			tr ' ' '\n' | grep -E '^(https?|file)://.*/debian/?$' | head -1)
		[ -n "$u" ] && { echo "${u%/}"; return 0; }
	done
	echo http://deb.debian.org/debian
}

# vm_apt SERIES apt-get|apt-cache ARGS...: apt with the state that series comes from. For 7.x: a private
# sources list (sid, main, the host's mirror), lists and cache under $VM_CACHE/apt-sid, refreshed once a day.
vm_apt() {
	local series=$1 cmd=$2 d=$VM_CACHE/apt-sid; shift 2
	case $series in
	7.*) "$cmd" -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" "$@";;
	*) "$cmd" "$@";;
	esac
}
vm_apt_sid() {
	local d=$VM_CACHE/apt-sid src
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" || return 1
	src="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(vm_mirror) sid main"
	[ "$(cat "$d/sources.list" 2>/dev/null)" = "$src" ] || { echo "$src" >"$d/sources.list"; rm -f "$d/stamp"; }
	[ -f "$d/stamp" ] && [ -z "$(find "$d/stamp" -mmin +1440)" ] && return 0
	if vm_apt 7.2 apt-get update -qq >"$d/update.log" 2>&1; then touch "$d/stamp"
	else vm_log "apt-get update (sid) failed, using what is cached: $(tail -1 "$d/update.log")"
	fi
}

# vm_kpkg SERIES: the Debian package of that kernel series (newest known to apt), or the newest one cached
vm_kpkg() {
	local series=$1 re pinned pkg
	case $series in
	6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$'; pinned=${UDM_VM_KPKG_6_1:-};;
	6.12) re='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$'; pinned=${UDM_VM_KPKG_6_12:-};;
	7.2) re='^linux-image-7\.2\.[0-9]+\+deb[0-9]+-amd64$'; pinned=${UDM_VM_KPKG_7_2:-}
		[ -n "$pinned" ] || vm_apt_sid;;
	*) vm_log "unknown kernel '$series' ($VM_SERIES)"; return 1;;
	esac
	[ -n "$pinned" ] && { echo "$pinned"; return 0; }
	pkg=$(vm_apt "$series" apt-cache search --names-only "$re" 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ] && [ "${series%%.*}" = 6 ]; then
		apt-get update -qq >/dev/null 2>&1
		pkg=$(apt-cache search --names-only "$re" 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
	fi
	[ -z "$pkg" ] && pkg=$(ls "$VM_CACHE/kernel" 2>/dev/null | grep -E "$re" | sort -V | tail -1)
	[ -n "$pkg" ] || { vm_log "no Debian package for kernel $series (apt-cache search found none)"; return 1; }
	echo "$pkg"
}

# vm_apt_state SERIES: what apt's answers for that series depend on (its lists, dpkg's status, its
# configuration, the pins), as names, times and sizes
vm_apt_state() {
	local d=$VM_CACHE/apt-sid
	echo "$1 ${UDM_VM_KPKG_6_1:-} ${UDM_VM_KPKG_6_12:-} ${UDM_VM_KPKG_7_2:-}"
	case $1 in
	7.*) stat -c '%n %Y %s' "$d/sources.list" "$d/lists" "$d/lists"/* 2>/dev/null;;
	*) stat -c '%n %Y %s' /var/lib/apt/lists /var/lib/apt/lists/* /var/lib/dpkg/status /etc/apt /etc/apt/* \
		/etc/apt/sources.list.d/* /etc/apt/preferences.d/* /etc/apt/apt.conf.d/* 2>/dev/null;;
	esac
}

# vm_kpkg_aver SERIES: "PKG VERSION": vm_kpkg's package and the version apt has of it (empty when apt
# knows none). apt-cache costs seconds of CPU, every boot: the answer is kept in $VM_CACHE/apt-memo/SERIES
# and reused while vm_apt_state is the same.
vm_kpkg_aver() {
	local series=$1 memo=$VM_CACHE/apt-memo/$1 key k pkg aver
	case $series in 7.*) [ -n "${UDM_VM_KPKG_7_2:-}" ] || vm_apt_sid;; esac
	key=$(vm_apt_state "$series" | sha256sum | cut -c1-16)
	if read -r k pkg aver 2>/dev/null <"$memo" && [ "$k" = "$key" ] && [ -n "$pkg" ] && [ -n "$aver" ]; then
		echo "$pkg $aver"; return 0
	fi
	pkg=$(vm_kpkg "$series") || return 1
	aver=$(vm_apt "$series" apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	# only what apt knew (not a cached kernel that apt no longer lists)
	[ -n "$aver" ] && mkdir -p "${memo%/*}" && echo "$key $pkg $aver" >"$memo.$$" && mv "$memo.$$" "$memo"
	echo "$pkg $aver"
}

# vm_kernel SERIES PKG [VERSION]: fill $VM_CACHE/kernel/PKG (vmlinuz, decompressed modules with depmod
# data). VERSION: apt's version of PKG (asked from apt when not given; empty: apt knows none).
# From 7.x linux-image-V is empty and depends on linux-binary-V (/usr/lib/modules/V/vmlinuz),
# linux-modules-V and linux-base-V (config, modules.order, modules.builtin): all four are unpacked.
vm_kernel() {
	local series=$1 pkg=$2 kd=$VM_CACHE/kernel/$2 aver t x deb debs p V m f rel mods
	if [ $# -ge 3 ]; then aver=$3
	else aver=$(vm_apt "$series" apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	fi
	if [ -f "$kd/vmlinuz" ] && [ -f "$kd/version" ]; then
		# rebuilt only when apt knows a different version of the same package
		[ -z "$aver" ] || [ "$aver" = "$(cat "$kd/apt-version" 2>/dev/null)" ] && return 0
	fi
	debs=$pkg
	case $pkg in linux-image-7.*)
		for p in binary modules base; do debs="$debs linux-$p-${pkg#linux-image-}"; done;;
	esac
	t=$(mktemp -d "$VM_CACHE/kpkg.XXXXXX"); x=$t/x; mkdir -p "$x"; chmod 755 "$t"
	for p in $debs; do
		deb=$(ls /var/cache/apt/archives/"${p}_${aver//:/%3a}"_*.deb 2>/dev/null | head -1)
		if [ -z "$deb" ]; then
			vm_log "downloading $p $aver"
			(cd "$t" && vm_apt "$series" apt-get download "$p${aver:+=$aver}" >"$t/dl.log" 2>&1) ||
				{ vm_log "apt-get download $p failed: $(tail -1 "$t/dl.log")"; rm -rf "$t"; return 1; }
			deb=$(ls "$t/${p}_"*.deb | head -1)
		fi
		dpkg-deb -x "$deb" "$x" || { rm -rf "$t"; return 1; }
		rm -f "$t/${p}_"*.deb
	done
	# 7.x keeps everything under /usr/lib/modules (vmlinuz and config included)
	[ -d "$x/usr/lib/modules" ] && [ ! -d "$x/lib/modules" ] && mkdir -p "$x/lib" && mv "$x/usr/lib/modules" "$x/lib/"
	V=$(ls "$x/lib/modules" | head -1)
	mods=$x/lib/modules/$V
	[ -n "$V" ] && { [ -f "$x/boot/vmlinuz-$V" ] || [ -f "$mods/vmlinuz" ]; } ||
		{ vm_log "no kernel in $debs"; rm -rf "$t"; return 1; }
	rm -rf "$kd.new"; mkdir -p "$kd.new/root/lib/modules/$V"
	cp "$x/boot/vmlinuz-$V" "$kd.new/vmlinuz" 2>/dev/null || cp "$mods/vmlinuz" "$kd.new/vmlinuz"
	cp "$x/boot/config-$V" "$kd.new/config" 2>/dev/null || cp "$mods/config" "$kd.new/config"
	depmod -b "$x" "$V"
	for m in $VM_MODULES; do
		modprobe -d "$x" -S "$V" --show-depends "$m" 2>/dev/null | awk '/^insmod/{print $2}'
	done | sort -u | while read -r f; do
		rel=${f#"$x"}; rel=${rel%.xz}; rel=${rel%.zst}; rel=${rel%.gz}
		mkdir -p "$kd.new/root$(dirname "$rel")"
		# busybox modprobe cannot read compressed modules
		case "$f" in *.xz) xz -dc "$f";; *.zst) zstd -qdc "$f";; *.gz) gzip -dc "$f";; *) cat "$f";; esac \
			>"$kd.new/root$rel"
	done
	cp "$mods/modules.order" "$mods"/modules.builtin* "$kd.new/root/lib/modules/$V/"
	depmod -b "$kd.new/root" "$V"
	echo "$V" >"$kd.new/version"; echo "$aver" >"$kd.new/apt-version"
	rm -rf "$t" "$kd"; mv "$kd.new" "$kd"
}

vm_certfp() { openssl x509 -in "$VM_CACHE/ca/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :; }

# vm_ca: the test CA (self-signed, may sign further certificates) and its EFI db update
vm_ca() {
	local d=$VM_CACHE/ca
	[ -f "$d/cert.pem" ] && [ -f "$d/key.pem" ] && [ -f "$d/cert.der" ] && [ -f "$d/db.auth" ] && return 0
	rm -rf "$d.new"; mkdir -p "$d.new"; chmod 700 "$d.new"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 36500 -subj "/CN=udm VM tier test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
		-addext "subjectKeyIdentifier=hash" -keyout "$d.new/key.pem" -out "$d.new/cert.pem" >/dev/null 2>&1 &&
	openssl x509 -in "$d.new/cert.pem" -outform DER -out "$d.new/cert.der" &&
	# an EFI_SIGNATURE_LIST holding the certificate, then the EFI_VARIABLE_AUTHENTICATION_2 form SetVariable
	# wants for db (in setup mode the firmware checks only its header, not the signature)
	cert-to-efi-sig-list -g "$VM_OWNER_GUID" "$d.new/cert.pem" "$d.new/db.esl" >/dev/null &&
	sign-efi-sig-list -g "$VM_OWNER_GUID" -t "2024-01-01 00:00:00" -c "$d.new/cert.pem" \
		-k "$d.new/key.pem" db "$d.new/db.esl" "$d.new/db.auth" >/dev/null || { rm -rf "$d.new"; return 1; }
	rm -rf "$d"; mv "$d.new" "$d"
	rm -f "$VM_CACHE/vars-enrolled.fd"
}

vm_writer() {
	local src=$VM_TESTS_DIR/vm-write.c out=$VM_CACHE/vm-write
	[ -x "$out" ] && [ "$(cat "$out.src" 2>/dev/null)" = "$(sha256sum <"$src")" ] && return 0
	gcc -O2 -static -o "$out.tmp" "$src" || return 1
	mv "$out.tmp" "$out"; sha256sum <"$src" >"$out.src"
}

# copy a host file and the shared libraries it needs to the same paths under ROOT
vm_copy_with_libs() {  # ROOT FILE
	local r=$1 f=$2 l
	mkdir -p "$r$(dirname "$f")" && cp -L "$f" "$r$f" || return 1
	for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$r$l" ] && continue
		mkdir -p "$r$(dirname "$l")" && cp -L "$l" "$r$l" || return 1
	done
}

vm_init_script() {  # the guest's /init
	cat <<'INIT'
#!/bin/sh
# udm VM tier guest init: mount, load modules, unpack /dev/vda (the run's files) onto /, run the script.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/pts /dev/mapper /run/cryptsetup /tmp
mount -t tmpfs tmp /tmp; mount -t tmpfs shm /dev/shm; mount -t tmpfs run /run
mkdir -p /run/cryptsetup
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t configfs configfs /sys/kernel/config 2>/dev/null
for m in $(cat /etc/vm-modules); do modprobe "$m" 2>/dev/null; done
[ -d /sys/firmware/efi/efivars ] && mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
# kauditd prints audit records (no auditd here) under printk_ratelimit(): keep every one
echo 0 > /proc/sys/kernel/printk_ratelimit
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -b /dev/vda ] && break; sleep 0.1; done
tar -xf /dev/vda -C / 2>/dev/null
stty -F /dev/ttyS1 raw -echo 2>/dev/null; stty -F /dev/ttyS2 raw -echo 2>/dev/null
cd /tmp
# the firmware writes to the serial ports too: the host keeps only what follows these markers
echo @@VM-BEGIN@@ >/dev/ttyS1; echo @@VM-BEGIN@@ >/dev/ttyS2
bash /vm/script </dev/null >/dev/ttyS1 2>/dev/ttyS2
rc=$?
printf '\n@@VM-END rc=%d@@\n' "$rc" >/dev/ttyS1
sync
echo o > /proc/sysrq-trigger
sleep 30
INIT
}

# vm_initrd PKG: print the path of the base initramfs for that kernel, building it when its inputs changed
vm_initrd() {
	local pkg=$1 kd=$VM_CACHE/kernel/$1 V key p out r a l
	V=$(cat "$kd/version")
	key=$( {
		echo "recipe $VM_RECIPE $pkg $(cat "$kd/apt-version")"
		vm_init_script; echo "$VM_MODULES $VM_PROGRAMS"
		sha256sum /bin/busybox "$VM_CACHE/vm-write"
		for p in $VM_PROGRAMS; do p=$(command -v "$p") && stat -L -c '%n %s %Y' "$p"; done
	} | sha256sum | cut -c1-16)
	out=$VM_CACHE/initrd/$key.gz
	if [ ! -f "$out" ]; then
		mkdir -p "$VM_CACHE/initrd"
		r=$(mktemp -d "$VM_CACHE/root.XXXXXX")
		mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt,run,etc,root,vm,lib/modules}
		cp -a "$kd/root/lib/modules/$V" "$r/lib/modules/"
		cp /bin/busybox "$r/bin/"
		for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
		for p in $VM_PROGRAMS; do
			p=$(command -v "$p") || continue
			vm_copy_with_libs "$r" "$(readlink -f "$p")" || { rm -rf "$r"; return 1; }
			[ "$(readlink -f "$p")" = "$p" ] || { mkdir -p "$r$(dirname "$p")"; ln -sf "$(readlink -f "$p")" "$r$p"; }
		done
		ln -sf mke2fs "$r/usr/sbin/mkfs.ext4" 2>/dev/null || ln -sf /sbin/mke2fs "$r/sbin/mkfs.ext4"
		cp "$VM_CACHE/vm-write" "$r/usr/bin/vm-write"
		# glibc loads libgcc_s at run time for pthread_cancel (udmd's shutdown); ldd cannot see that
		l=$(gcc -print-file-name=libgcc_s.so.1) && l=$(readlink -f "$l") && [ -f "$l" ] &&
			mkdir -p "$r/lib/x86_64-linux-gnu" && cp -L "$l" "$r/lib/x86_64-linux-gnu/libgcc_s.so.1"
		[ -d /usr/lib/x86_64-linux-gnu/ossl-modules ] && mkdir -p "$r/usr/lib/x86_64-linux-gnu" &&
			cp -a /usr/lib/x86_64-linux-gnu/ossl-modules "$r/usr/lib/x86_64-linux-gnu/"
		mkdir -p "$r/usr/lib/ssl"; cp -L /usr/lib/ssl/openssl.cnf "$r/usr/lib/ssl/" 2>/dev/null
		echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"; echo 'root:x:0:' >"$r/etc/group"
		echo "$VM_MODULES" | tr ' ' '\n' | grep . >"$r/etc/vm-modules"
		vm_init_script >"$r/init"; chmod +x "$r/init"
		# bash, not busybox sh, runs the scripts: busybox sh runs its own applets before PATH's programs
		(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$out.tmp") && mv "$out.tmp" "$out"
		rm -rf "$r"
		[ -f "$out" ] || return 1
	fi
	echo "$out"
}

# vm_qemu VARS KERNEL INITRD WORKDIR DISK...: one boot; guest stdout/stderr in WORKDIR/out, err, console.log
vm_qemu() {
	local vars=$1 kernel=$2 initrd=$3 w=$4 f; shift 4
	local drives=(-drive "file=$w/vda.tar,format=raw,if=virtio,readonly=on")
	for f in "$@"; do drives+=(-drive "file=$f,format=raw,if=virtio"); done
	: >"$w/out"; : >"$w/err"; : >"$w/console.log"
	timeout "$VM_TIMEOUT" qemu-system-x86_64 -machine q35 -m "$VM_MEM" -smp 1 -accel tcg -no-reboot \
		-display none -vga none -nodefaults -monitor none \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_FIRMWARE" \
		-drive "if=pflash,format=raw,unit=1,file=$vars" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 quiet audit=1 log_buf_len=8M panic=-1 ${UDM_VM_APPEND:-}" \
		-serial "file:$w/console.log" -serial "file:$w/out" -serial "file:$w/err" \
		"${drives[@]}" </dev/null >"$w/qemu.log" 2>&1
	local rc=$?
	grep -aq '@@VM-END rc=[0-9]*@@' "$w/out" && return 0
	vm_log "the guest did not finish the script (qemu exit $rc$([ $rc = 124 ] && echo ", timeout ${VM_TIMEOUT}s"))"
	tr -d '\r' <"$w/console.log" | tail -12 >&2; cat "$w/qemu.log" >&2
	return 125
}

# The run's files travel on /dev/vda, a tar unpacked onto the guest's / before the script runs:
#   vm_pack_begin WORKDIR SCRIPT      start WORKDIR/pack with /vm/script and the CA (/vm/cert.pem, cert.der)
#   vm_pack_file WORKDIR SRC DEST     add host file SRC as guest file DEST, with the libraries it needs
#   vm_pack_end WORKDIR               write WORKDIR/vda.tar
vm_pack_begin() {
	rm -rf "$1/pack"; mkdir -p "$1/pack/vm" &&
	cp "$2" "$1/pack/vm/script" && cp "$VM_CACHE/ca/cert.pem" "$VM_CACHE/ca/cert.der" "$1/pack/vm/"
}
# libraries udm's programs load at run time (dlopen), which ldd cannot see: libnbd at the first NBD URI
VM_DLOPEN_LIBS="libnbd.so.0"
vm_pack_file() {
	local p=$1/pack l so f libs=()
	mkdir -p "$p$(dirname "$3")" && cp -L "$2" "$p$3" || return 1
	for l in $(ldd "$2" 2>/dev/null | grep -o '/[^ ]*'); do [ -e "$p$l" ] || libs+=("$l"); done
	for so in $VM_DLOPEN_LIBS; do
		grep -qaF "$so" "$2" || continue
		f=$(ldconfig -p | awk -v n="$so" '$1 == n && /x86-64/ { print $NF; exit }')
		[ -n "$f" ] || continue
		for l in "$f" $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do [ -e "$p$l" ] || libs+=("$l"); done
	done
	# one cp for all of them (each at its own path under the pack; a process per library costs seconds a boot)
	[ ${#libs[@]} = 0 ] || printf '%s\n' "${libs[@]}" | sort -u | xargs -d '\n' cp -L --parents -t "$p/"
}
vm_pack_end() { (cd "$1/pack" && tar -cf "$1/vda.tar" .) && truncate -s %4096 "$1/vda.tar"; }

# vm_enroll PKG INITRD: a variable store whose db holds the test CA (two boots, once per CA)
vm_enroll() {
	local pkg=$1 initrd=$2 w
	[ -f "$VM_CACHE/vars-enrolled.fd" ] && [ "$(cat "$VM_CACHE/vars-enrolled.cert" 2>/dev/null)" = "$(vm_certfp)" ] &&
		return 0
	vm_log "enrolling the test CA into the UEFI db (two boots, once)"
	w=$(mktemp -d "$VM_CACHE/enroll.XXXXXX")
	cp "$VM_VARS_TEMPLATE" "$w/vars.fd"
	# one write() = one SetVariable: 4 bytes of attributes (NV|BS|RT|TIME_BASED_AUTH), then the AUTH_2 data
	{ printf '\x27\x00\x00\x00'; cat "$VM_CACHE/ca/db.auth"; } >"$w/db.var"
	cat >"$w/enroll.sh" <<EOS
[ -d /sys/firmware/efi/efivars ] || { echo "no efivarfs"; exit 1; }
vm-write -c /vm/db.var /sys/firmware/efi/efivars/db-$VM_DB_GUID
EOS
	vm_pack_begin "$w" "$w/enroll.sh" && cp "$w/db.var" "$w/pack/vm/" && vm_pack_end "$w" &&
	vm_qemu "$w/vars.fd" "$VM_CACHE/kernel/$pkg/vmlinuz" "$initrd" "$w" || { vm_log "enrollment boot failed ($w)"; return 1; }
	grep -aq 'vm-write: ok' "$w/out" || { vm_log "writing db failed ($w): $(cat "$w/out" "$w/err")"; return 1; }
	printf 'grep -i "udm VM tier test CA" /proc/keys\n' >"$w/check.sh"
	vm_pack_begin "$w" "$w/check.sh" && vm_pack_end "$w" &&
	vm_qemu "$w/vars.fd" "$VM_CACHE/kernel/$pkg/vmlinuz" "$initrd" "$w" || { vm_log "check boot failed ($w)"; return 1; }
	grep -aq 'udm VM tier test CA' "$w/out" ||
		{ vm_log "the CA did not reach the .platform keyring ($w):"; cat "$w/out" "$w/err" >&2; return 1; }
	cp "$w/vars.fd" "$VM_CACHE/vars-enrolled.fd.tmp" && mv "$VM_CACHE/vars-enrolled.fd.tmp" "$VM_CACHE/vars-enrolled.fd"
	vm_certfp >"$VM_CACHE/vars-enrolled.cert"
	rm -rf "$w"
}

# vm_prepare SERIES: sets VM_KPKG, VM_KERNEL, VM_INITRD (everything cached, built under a lock)
vm_prepare() {
	local series=$1 lk rc=0 pa
	mkdir -p "$VM_CACHE" || return 1
	exec {lk}>"$VM_CACHE/.lock"; flock "$lk"
	if ! vm_packages; then rc=1
	elif ! pa=$(vm_kpkg_aver "$series"); then rc=1
	elif VM_KPKG=${pa%% *} && ! vm_kernel "$series" "$VM_KPKG" "${pa#* }"; then vm_log "kernel setup failed"; rc=1
	elif ! vm_ca; then vm_log "test CA setup failed"; rc=1
	elif ! vm_writer; then vm_log "building vm-write failed"; rc=1
	elif ! VM_INITRD=$(vm_initrd "$VM_KPKG"); then vm_log "initramfs build failed"; rc=1
	elif ! vm_enroll "$VM_KPKG" "$VM_INITRD"; then rc=1
	fi
	flock -u "$lk"; exec {lk}>&-
	VM_KERNEL=$VM_CACHE/kernel/${VM_KPKG:-none}/vmlinuz
	return $rc
}
