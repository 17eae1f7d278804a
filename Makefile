# SPDX-License-Identifier: GPL-2.0-only
# meshgw build. Everything generated goes under $(OUT); sources are never written.
# `make help` lists the targets. Quiet unless V=1.

OUT      ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PROVE    ?= prove
PREFIX   ?= /usr/local
# BTF the BPF objects are compiled against (CO-RE: they relocate at load time).
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

# CFLAGS, CPPFLAGS and LDFLAGS from the environment are the host program's (the
# Debian package build passes its hardening flags here); the BPF objects get only
# BPF_CFLAGS: host flags (-fstack-protector, -D_FORTIFY_SOURCE...) mean nothing to
# the BPF target or break its build.
CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(OUT)/bpf -MMD -MP
LDLIBS   := -lbpf -lelf -lz -lmnl -lsodium -lqrencode
BPF_CFLAGS := -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -target bpf -D__TARGET_ARCH_x86 \
              -Iinclude -Ibpf -I$(OUT)/bpf

# user/ has one folder per subsystem; headers are included as "folder/name.h".
USER_SRCS  := $(wildcard user/*/*.c)
USER_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS   := $(filter-out $(OUT)/user/cmd/main.o,$(USER_OBJS))
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS  := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.skel.h,$(BPF_SRCS))
# Programs only tests and benchmarks load (a foreign XDP program, traffic
# generators and sinks, a reference router). Built beside meshgw's own in
# $(OUT)/bpf, where the scripts look for them.
TEST_BPF_SRCS  := $(wildcard selftests/bpf/*.bpf.c)
TEST_BPF_OBJS  := $(patsubst selftests/bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(TEST_BPF_SRCS))
TEST_BPF_SKELS := $(patsubst selftests/bpf/%.bpf.c,$(OUT)/bpf/%.skel.h,$(TEST_BPF_SRCS))
SHARED_HDRS := $(wildcard include/*.h) $(wildcard bpf/lib/*.h)
UNIT_SRCS  := $(wildcard selftests/unit/*.c)
UNIT_TESTS := $(patsubst selftests/unit/%.c,$(OUT)/selftests/%.t,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard selftests/helpers/*.c)
HELPERS    := $(patsubst selftests/helpers/%.c,$(OUT)/selftests/helpers/%,$(HELPER_SRCS))
SCRIPT_TESTS := $(sort $(wildcard selftests/*.t.sh))

.PHONY: all help check deps test demo bench fuzz install uninstall clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUT)/meshgw $(UNIT_TESTS) $(HELPERS) $(TEST_BPF_OBJS)

help:
	@echo 'meshgw make targets:'
	@echo '  all (default)  build $(OUT)/meshgw, the BPF objects and the tests'
	@echo '  check          install missing Debian packages, build, run every test (TAP via prove)'
	@echo '  demo           three-site, two-ISP failover demo in network namespaces (root; installs the build and demo packages only)'
	@echo '  deps           install missing Debian packages: DEPS=build|demo|test (default test)'
	@echo '  bench          benchmarks, printed as ratios measured side by side'
	@echo '  fuzz           run the config parser fuzzer on selftests/fuzz/corpus (FUZZ_SECONDS=60)'
	@echo '  install        install to $$(DESTDIR)$$(PREFIX)'
	@echo '  uninstall      remove what install installed (keeps /etc/meshgw)'
	@echo '  clean          remove $(OUT)'
	@echo 'variables: OUT=$(OUT) V=1 (verbose) VMLINUX_BTF=$(VMLINUX_BTF) TESTS="t1 t2" (subset for check) CHECK_JOBS=$(CHECK_JOBS)'

# Installs missing packages (apt) on Debian; a no-op when all are present.
# DEPS=build|demo|test (default test: everything check and bench use).
DEPS ?= test
deps:
	$(Q)./selftests/deps.sh $(DEPS)

$(OUT)/bpf $(OUT)/selftests $(OUT)/selftests/helpers $(OUT)/fuzz:
	$(Q)mkdir -p $@

# --- BPF: vmlinux.h from BTF, objects, skeletons -------------------------------
$(OUT)/bpf/vmlinux.h: | $(OUT)/bpf
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

# Every BPF object depends on every shared header: they are few and small.
$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(SHARED_HDRS) $(OUT)/bpf/vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bpf/%.bpf.o: selftests/bpf/%.bpf.c $(SHARED_HDRS) $(wildcard selftests/bpf/*.h) $(OUT)/bpf/vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# --- userspace ------------------------------------------------------------------
# User objects may include skeletons, so they wait for all of them.
$(OUT)/user/%.o: user/%.c $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/libmeshgw.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/meshgw: $(OUT)/user/cmd/main.o $(OUT)/libmeshgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- tests ------------------------------------------------------------------------
$(OUT)/selftests/%.t: selftests/unit/%.c selftests/tap.h $(OUT)/libmeshgw.a $(BPF_SKELS) | $(OUT)/selftests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests -o $@ $< $(OUT)/libmeshgw.a $(LDLIBS)

$(OUT)/selftests/helpers/%: selftests/helpers/%.c $(OUT)/libmeshgw.a $(BPF_SKELS) $(TEST_BPF_SKELS) | $(OUT)/selftests/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iselftests -o $@ $< $(OUT)/libmeshgw.a $(LDLIBS) -lpthread

# prove -j3 (CHECK_JOBS): every test names its namespaces, pins and files with its
# PID, so any may run side by side. The tests cost ~715 CPU seconds on two cores,
# but many mostly wait (timers, timeouts), so two at a time left the CPU a third
# idle (715 CPU s in 450 s) and the time was the sum of the walls over two (806 s).
# Three lanes start at once, each a chain (seq: one after the other):
#   VMLANE  vm_suite alone, the longest test (the VM tests that run on their own,
#           in one boot: selftests/lib/vm_jobs.sh), first, so it never starts late
#           (and nothing waits behind it: it took 497 s once, vm_dp 282 s of it,
#           under other work).
#   TIMED   kinds' topologies (four at once, both cores), the failover lab (its
#           timings; with its VM twin), the two-gateway switch (its restoration
#           bound) and uplinks (its failover bounds; with its twin): never two of
#           them at once. Beside a VM (kinds lost a ping there once) kinds runs with
#           its waits doubled (KINDS_TIME_SCALE=2; bounds only: a check that passes
#           takes no longer).
#   LIGHT   the light tests and the unit tests: little CPU, and they fill the
#           third slot while the other two lanes use the cores.
# Then every other test is its own rule, longest first: a lane that is done takes
# the next, so the end has no tail of one long test.
# A VM test keeps a core busy with QEMU's TCG, and runs only what needs kernel
# WireGuard or a module this kernel lacks (8021q, bonding): each vm_*.t.sh says
# what of its script the host runs instead. The two lab tests and uplinks mostly
# wait on timers: their VM twins (vm_lab_failover, vm_lab_plain_wg, vm_uplinks) run
# beside them, inside the same test (LAB_VM_BESIDE=1, selftests/lib/beside.sh).
# Seconds (prove --timer, three lanes, quiet, 2026-12-03 12:10 and 12:54: 274 and
# 248 s in all, 479 and 437 CPU s, the files' times adding up to 810 and 739 s):
# vm_suite 206 / 188, lab_failover 73 / 73, deb_package 73 / 60, up_keep 59 / 52,
# uplinks 58 / 56, kinds 41 / 36, ha 37 / 35, clients 33 / 32, lab_plain_wg 25 / 23,
# show_metrics 21 / 20, exit 20 / 19, the rest under 17. The VM (TCG) is most of
# the CPU: a run the day before, busier, took 329-375 s and 681 CPU s.
# CHECK_JOBS=1 runs everything in sequence; --timer prints each file's time.
VMLANE := vm_suite
TIMED := kinds lab_failover ha uplinks
LIGHT := spdx cli_keys config_check check_ha install export down_daemon dhcp_routes service_caps
HEAVY := deb_package up_keep clients lab_plain_wg show_metrics gateway_engine export_formats \
	 exit daemon_events vm_smoke service_unit up_userspace dp_netns egress_scale
BESIDE := vm_lab_failover vm_lab_plain_wg vm_uplinks
INSUITE := vm_dp vm_kernel_wg vm_show_metrics vm_kinds
script_tests = $(foreach t,$(1),$(filter selftests/$(t).t.sh,$(SCRIPT_TESTS)))
VMLANE_TESTS := $(call script_tests,$(VMLANE))
TIMED_TESTS := $(call script_tests,$(TIMED))
HEAVY_TESTS := $(call script_tests,$(HEAVY))
LIGHT_TESTS := $(call script_tests,$(LIGHT)) $(UNIT_TESTS)
OTHER_TESTS := $(filter-out $(VMLANE_TESTS) $(TIMED_TESTS) $(HEAVY_TESTS) $(LIGHT_TESTS) \
		 $(call script_tests,$(BESIDE) $(INSUITE)), $(SCRIPT_TESTS))
TESTS ?= $(VMLANE_TESTS) $(TIMED_TESTS) $(LIGHT_TESTS) $(HEAVY_TESTS) $(OTHER_TESTS)
CHECK_JOBS ?= 3
comma := ,
empty :=
lane = --rules='seq={$(subst $(empty) $(empty),$(comma),$(strip $(1)))}'
CHECK_RULES := $(call lane,$(VMLANE_TESTS)) $(call lane,$(TIMED_TESTS)) $(call lane,$(LIGHT_TESTS)) \
	       $(foreach t,$(filter-out $(VMLANE_TESTS) $(TIMED_TESTS) $(LIGHT_TESTS),$(TESTS)),--rules='seq=$(t)')
# LAB_NO_VM=1: lab_plain_wg's VM run after its own is replaced by the one beside it.
# The tests run with version managers' shim folders (pyenv, rbenv, asdf: */shims)
# left out of PATH, as selftests/vm/run.sh does for the guest: a shim is a script
# that starts a dozen processes before the real program (pyenv's python3: 0.37 s
# against 0.03 s here), and the tests start python3 hundreds of times (the uci
# model alone, once per uci command). The programs come from the Debian packages
# deps.sh installs, further down PATH.
# deps first (a fresh machine has no compiler libraries), then build, then prove.
check:
	$(Q)./selftests/deps.sh test
	$(Q)$(MAKE) --no-print-directory all
	$(Q)PATH="$$(printf '%s' "$$PATH" | tr ':' '\n' | grep -v '/shims/*$$' | paste -sd: -)" \
		MESHGW=$(abspath $(OUT)/meshgw) OUT=$(abspath $(OUT)) LAB_NO_VM=1 LAB_VM_BESIDE=1 KINDS_TIME_SCALE=2 $(PROVE) -v --timer -e '' \
		-j$(CHECK_JOBS) $(CHECK_RULES) $(TESTS)

test: check

# --- fuzzing (clang libFuzzer + ASan) ---------------------------------------------
FUZZ_SECONDS ?= 60
FUZZ_SRCS := user/config/config.c user/config/config_local.c user/config/config_validate.c \
	     user/config/config_client.c user/config/config_exit.c \
	     user/lib/prefix.c user/wg/keys.c user/lib/log.c
$(OUT)/fuzz/fuzz_config: selftests/fuzz/fuzz_config.c $(wildcard $(FUZZ_SRCS)) $(wildcard user/*/*.h) | $(OUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iuser \
		-o $@ $< $(wildcard $(FUZZ_SRCS)) -lsodium

fuzz: $(OUT)/fuzz/fuzz_config
	$(Q)mkdir -p $(OUT)/fuzz/corpus && cp -n selftests/fuzz/corpus/* $(OUT)/fuzz/corpus/ 2>/dev/null || true
	$(Q)$(OUT)/fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=$(OUT)/fuzz/ $(OUT)/fuzz/corpus selftests/fuzz/corpus

clean:
	$(Q)rm -rf $(OUT)

-include $(USER_OBJS:.o=.d) $(UNIT_TESTS:.t=.d) $(HELPERS:=.d)

# --- benchmarks: every selftests/bench/*.sh, in order, each printing its ratios ---
BENCHES := $(sort $(wildcard selftests/bench/*.sh))
bench: all
	$(Q)for b in $(BENCHES); do echo "== $$b"; MESHGW=$(abspath $(OUT)/meshgw) OUT=$(abspath $(OUT)) $$b || exit 1; done

# --- install: PREFIX (default /usr/local) under DESTDIR ----------------------------
# The program, the systemd unit (ExecStart rewritten to the installed program), the
# examples (their published keys 0600, as meshgw demands of key files), the man page
# and the bash completion. /etc/meshgw is created 0700 when missing; nothing in it is
# ever written. The unit goes under the PREFIX too: systemd reads
# /usr/local/lib/systemd/system, and /lib/systemd/system (the same folder as
# /usr/lib/systemd/system on a merged /usr) is the Debian package's, which dpkg
# would overwrite and `make uninstall` would then delete.
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR  := $(PREFIX)/share/doc/meshgw
install: $(OUT)/meshgw
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(OUT)/meshgw $(DESTDIR)$(PREFIX)/sbin/meshgw
	$(Q)install -d -m 0755 $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|/usr/local/sbin/meshgw|$(PREFIX)/sbin/meshgw|g' packaging/meshgw.service \
		> $(DESTDIR)$(UNITDIR)/meshgw.service.tmp
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/meshgw.service.tmp
	$(Q)mv -f $(DESTDIR)$(UNITDIR)/meshgw.service.tmp $(DESTDIR)$(UNITDIR)/meshgw.service
	$(Q)install -D -m 0644 packaging/meshgw.8 $(DESTDIR)$(PREFIX)/share/man/man8/meshgw.8
	$(Q)install -D -m 0644 packaging/meshgw.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/meshgw
	$(Q)cd examples && find . -type f | while read -r f; do \
		case $$f in *.key) m=0600 ;; *) m=0644 ;; esac; \
		install -D -m $$m "$$f" "$(DESTDIR)$(DOCDIR)/examples/$$f" || exit 1; \
	done
	$(Q)[ -d $(DESTDIR)/etc/meshgw ] || install -d -m 0700 $(DESTDIR)/etc/meshgw

# Exactly the files install wrote (the examples by the list in examples/), then the
# documentation folder if that left it empty. /etc/meshgw holds the keys and the
# configuration: never removed, only named.
uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(PREFIX)/sbin/meshgw $(DESTDIR)$(UNITDIR)/meshgw.service \
		$(DESTDIR)$(PREFIX)/share/man/man8/meshgw.8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/meshgw
	$(Q)cd examples && find . -type f | while read -r f; do \
		rm -f "$(DESTDIR)$(DOCDIR)/examples/$$f" || exit 1; \
	done
	$(Q)[ ! -d $(DESTDIR)$(DOCDIR) ] || find $(DESTDIR)$(DOCDIR) -depth -type d -empty -delete
	$(Q)[ ! -d $(DESTDIR)/etc/meshgw ] || \
		echo "meshgw: kept $(DESTDIR)/etc/meshgw (configuration and keys); remove it yourself if unwanted"

# --- the demo: README's first command ---------------------------------------------
demo:
	$(Q)./selftests/deps.sh demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)MESHGW=$(abspath $(OUT)/meshgw) OUT=$(abspath $(OUT)) ./selftests/lab/demo.sh
