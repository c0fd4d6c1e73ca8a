# SPDX-License-Identifier: GPL-2.0-or-later
# udm top-level build. Sources are found by wildcard so that adding a file to a
# layer needs no edit here: lib/*/ -> libudm, cli/ -> udm, daemon/ -> udmd,
# tests/<layer>/test_*.c -> one cmocka binary each. daemon/bpf/*.bpf.c are
# BPF programs (clang -target bpf, CO-RE) embedded in udmd through bpftool
# skeletons.
#
#   make                  build everything into build/
#   make SAN=asan         ASan+UBSan build into build-asan/
#   make SAN=tsan         TSan build into build-tsan/
#   make check            build and run the whole test suite
#   make progs            only what is installed: libudm, udm, udmd, man pages
#   make install PREFIX=/usr/local DESTDIR=   (docs/packaging.md; debian/ uses it)

CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
# udev reads rules from /usr/lib/udev (or /lib/udev) and /etc/udev only
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,$(SYSCONFDIR)/udev/rules.d)
SAN     ?=
ifeq ($(SAN),)
B       ?= build
SANFLAGS :=
else ifeq ($(SAN),asan)
B       ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SAN),fuzz)
B       ?= build-fuzz
CC      := clang
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
else ifeq ($(SAN),tsan)
B       ?= build-tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
$(error SAN must be empty, asan, tsan or fuzz)
endif

PKGS    := libcrypto fuse3 libnbd
# Intel's multi-buffer library (libipsec-mb, no .pc file) hashes verity blocks on
# x86-64 (lib/verity/sha256_mb.c); other architectures build without it.
# IPSEC_MB=0 leaves it out on x86-64 too.
IPSEC_MB ?= $(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),1,0)
ifeq ($(IPSEC_MB),1)
IPSEC_MB_CFLAGS := -DUDM_HAVE_IPSEC_MB
IPSEC_MB_LIBS := -lIPSec_MB
endif
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC -pthread \
           -Iinclude -Ilib -I. $(shell pkg-config --cflags $(PKGS)) $(IPSEC_MB_CFLAGS) $(SANFLAGS)
LDFLAGS += -pthread $(SANFLAGS)
# libnbd is compiled against but not linked: lib/nbd/libnbd.c loads it at the first
# NBD URI (its twenty-odd libraries would cost every run of udm ~12 ms to load).
LINK_PKGS := $(filter-out libnbd,$(PKGS))
LIBS    := $(shell pkg-config --libs $(LINK_PKGS)) $(IPSEC_MB_LIBS) -lm -ldl
# What libudm itself needs; udm.pc says the same (Requires.private, Libs.private).
LIB_PKGS := libcrypto
LIB_LIBS := $(shell pkg-config --libs $(LIB_PKGS)) $(IPSEC_MB_LIBS) -ldl -pthread
TESTLIBS := $(shell pkg-config --libs cmocka)
# udmd alone: the BPF enforcer (libbpf), the journal and kernel audit sinks
# (libsystemd's sd_journal_sendv, libaudit's netlink socket: daemon/audit_*.c)
DAEMON_PKGS := libbpf libsystemd audit liburing
DAEMONLIBS := $(shell pkg-config --libs $(DAEMON_PKGS))

# BPF objects: one CO-RE object runs on every kernel with BTF (6.1, 6.12, 7.2).
BPF_CC   ?= clang
BPFTOOL  ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
              -I/usr/include/$(shell uname -m)-linux-gnu -Idaemon/bpf
# UDM_TEST_LAYOUT=1: a udmd whose maps have another layout, for the handover
# test across a layout change (tests/vm/t4170); never for a real build
ifneq ($(UDM_TEST_LAYOUT),)
CFLAGS     += -DUDM_TEST_LAYOUT
BPF_CFLAGS += -DUDM_TEST_LAYOUT
endif
BPF_SRCS := $(sort $(wildcard daemon/bpf/*.bpf.c))
BPF_SKELS := $(patsubst daemon/bpf/%.bpf.c,$(B)/bpf/%.skel.h,$(BPF_SRCS))

LIB_SRCS    := $(sort $(wildcard lib/*/*.c))
# What udm and udmd share beyond libudm's API: the IPE layer, the control
# protocol and verity's format/verify. libudm.{a,so} holds the rest, each
# object reachable from the installed headers (scripts/check-arch.sh checks).
PROG_SRCS   := $(filter lib/ipe/%,$(LIB_SRCS)) lib/util/proto.c lib/verity/build.c lib/verity/mapread.c
LIBUDM_SRCS := $(filter-out $(PROG_SRCS),$(LIB_SRCS))
CLI_SRCS    := $(sort $(wildcard cli/*.c))
DAEMON_SRCS := $(sort $(wildcard daemon/*.c))
TLIB_SRCS   := $(sort $(wildcard tests/lib/*.c))
TEST_SRCS   := $(sort $(wildcard tests/*/test_*.c))
BENCH_SRCS  := $(sort $(wildcard bench/*.c))
FUZZ_SRCS   := $(sort $(wildcard fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIB_OBJS    := $(call obj,$(LIB_SRCS))
LIBUDM_OBJS := $(call obj,$(LIBUDM_SRCS))
CLI_OBJS    := $(call obj,$(CLI_SRCS))
DAEMON_OBJS := $(call obj,$(DAEMON_SRCS))
TLIB_OBJS   := $(call obj,$(TLIB_SRCS))
TEST_BINS   := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRCS))
BENCH_BINS  := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
FUZZ_BINS   := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))

# man pages: scdoc sources in man/, roff in $(B)/man/
MAN_SRCS := $(sort $(wildcard man/*.scd))
MAN_PAGES := $(patsubst man/%.scd,$(B)/man/%,$(MAN_SRCS))
LIB_SOVERSION := 0
LIB_VERSION := 0.1.0

all: progs tests bench
progs: $(B)/libudm.a $(B)/libudm.so $(B)/udm $(B)/udmd $(MAN_PAGES)

# helpers the VM tests (tests/vm/) copy into the guest
VM_HELPERS := $(B)/tests/vm/udm-probe $(B)/tests/vm/udm-probe-static $(B)/tests/vm/libprobe.so \
              $(B)/tests/vm/udm-attack $(B)/tests/vm/libsteal.so $(B)/tests/vm/ublk-serve

tests: $(TEST_BINS) $(VM_HELPERS)
bench: $(BENCH_BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/bpf/%.bpf.o: daemon/bpf/%.bpf.c $(wildcard daemon/bpf/*.h)
	@mkdir -p $(dir $@)
	$(BPF_CC) $(BPF_CFLAGS) -c $< -o $@

$(B)/bpf/%.skel.h: $(B)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name udm_$* > $@.tmp && mv $@.tmp $@

.PRECIOUS: $(B)/bpf/%.bpf.o
# udmd's objects include the skeletons (the BPF enforcer's loader)
$(DAEMON_OBJS): $(BPF_SKELS)
$(DAEMON_OBJS): CFLAGS += -I$(B)/bpf $(shell pkg-config --cflags $(DAEMON_PKGS))

$(B)/libudm.a: $(LIBUDM_OBJS)
	@mkdir -p $(B); rm -f $@; ar rcs $@ $^

# The version script exports only the installed headers' API (lib/libudm.map).
$(B)/libudm.so: $(LIBUDM_OBJS) lib/libudm.map
	$(CC) -shared -Wl,-soname,libudm.so.$(LIB_SOVERSION) -Wl,--version-script=lib/libudm.map $(LDFLAGS) \
		-o $@ $(LIBUDM_OBJS) $(LIB_LIBS)

$(B)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp && mv $@.tmp $@

# Binaries link the library objects directly (libudm's and PROG_SRCS'): they
# use internal interfaces (lib/*/*.h) beyond the installed headers.
$(B)/udm: $(CLI_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/udmd: $(DAEMON_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMONLIBS)

$(B)/tests/%: tests/%.c $(TLIB_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib -o $@ $^ $(LDFLAGS) $(LIBS) $(TESTLIBS)

# The guest's helper programs run inside the VM, which has no sanitizer runtime:
# they are built without the sanitizer flags in every build.
VMCFLAGS = $(filter-out $(SANFLAGS),$(CFLAGS))
$(B)/tests/vm/udm-probe: tests/vm/udm-probe.c tests/vm/probe-result.h
	@mkdir -p $(dir $@)
	$(CC) $(VMCFLAGS) -o $@ $< -ldl

# static: runs where a policy denies the initramfs's loader and libc (t3210)
$(B)/tests/vm/udm-probe-static: tests/vm/udm-probe.c tests/vm/probe-result.h
	@mkdir -p $(dir $@)
	$(CC) $(VMCFLAGS) -DUDM_PROBE_STATIC -static -o $@ $<

$(B)/tests/vm/udm-attack: tests/vm/udm-attack.c tests/vm/probe-result.h daemon/ublk_uapi.h
	@mkdir -p $(dir $@)
	$(CC) $(VMCFLAGS) -o $@ $< $(shell pkg-config --libs liburing)

$(B)/tests/vm/ublk-serve: tests/vm/ublk-serve.c $(B)/obj/daemon/ublk.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(shell pkg-config --libs liburing) -pthread

$(B)/tests/vm/%.so: tests/vm/%.c
	@mkdir -p $(dir $@)
	$(CC) $(VMCFLAGS) -shared -o $@ $<

$(B)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LIBS)

# libFuzzer harnesses: `make fuzz` (clang, ASan+UBSan), run by tests/t/t9000-fuzz-smoke.sh
$(B)/fuzz/%: fuzz/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDFLAGS) $(LIBS)

fuzz:
	$(MAKE) SAN=fuzz fuzz-bins
fuzz-bins: $(FUZZ_BINS)

# udm.pc is written at install time, so that it names the PREFIX installed to.
UDM_PC = 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: udm\nDescription: user-space device-mapper, dm-verity and IPE\nVersion: 0.1.0\nRequires.private: $(LIB_PKGS)\nLibs: -L$${libdir} -ludm\nLibs.private: $(IPSEC_MB_LIBS) -ldl -pthread\nCflags: -I$${includedir}\n'

check: all
	B=$(B) tests/run

# the VM tier alone: Debian's 6.1, 6.12 and 7.2 kernels under QEMU (tests/vm/README.md)
vm-check: all
	B=$(B) tests/run vm/

# The same files as the Debian packages (debian/*.install); the units and the
# udev rule name /usr/bin and /usr/sbin, rewritten here to BINDIR and SBINDIR.
install: progs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/udm $(DESTDIR)$(LIBEXECDIR)/udm $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(SYSCONFDIR)/udm/certs \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m755 $(B)/udm $(DESTDIR)$(BINDIR)/udm
	install -m755 $(B)/udmd $(DESTDIR)$(SBINDIR)/udmd
	ln -sfr $(DESTDIR)$(BINDIR)/udm $(DESTDIR)$(LIBEXECDIR)/udm/dmsetup
	ln -sfr $(DESTDIR)$(BINDIR)/udm $(DESTDIR)$(LIBEXECDIR)/udm/veritysetup
	install -m644 $(B)/libudm.a $(DESTDIR)$(LIBDIR)/
	install -m644 $(B)/libudm.so $(DESTDIR)$(LIBDIR)/libudm.so.$(LIB_VERSION)
	ln -sf libudm.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libudm.so.$(LIB_SOVERSION)
	ln -sf libudm.so.$(LIB_SOVERSION) $(DESTDIR)$(LIBDIR)/libudm.so
	install -m644 include/udm/*.h $(DESTDIR)$(INCLUDEDIR)/udm/
	printf $(UDM_PC) '$(PREFIX)' '$(LIBDIR)' '$(INCLUDEDIR)' > $(DESTDIR)$(LIBDIR)/pkgconfig/udm.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/udm.pc
	for u in udmd.service udm-veritytab.service; do \
		sed -e 's|/usr/sbin/|$(SBINDIR)/|g' -e 's|/usr/bin/udm |$(BINDIR)/udm |g' \
		    -e 's|/etc/|$(SYSCONFDIR)/|g' daemon/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m644 daemon/udm.rules $(DESTDIR)$(UDEVRULESDIR)/60-udm.rules
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/udm ] || install -m644 daemon/udm.default $(DESTDIR)$(SYSCONFDIR)/default/udm
	[ -e $(DESTDIR)$(SYSCONFDIR)/udm/veritytab ] || install -m644 daemon/udm.veritytab $(DESTDIR)$(SYSCONFDIR)/udm/veritytab
	for m in $(MAN_PAGES); do \
		install -m644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; \
	done

clean:
	rm -rf build build-asan build-tsan build-fuzz

.PHONY: all progs tests bench check vm-check install clean fuzz fuzz-bins
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
