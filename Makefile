# pierce: XDP media relay, SIP proxy and redirect server.
# `make` builds everything into build/; `make test` installs the Debian
# packages, builds and runs every test; `make demo` runs a relayed call.

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH_INC := /usr/include/$(shell uname -m)-linux-gnu

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CPPFLAGS := -D_GNU_SOURCE -Iinclude -Iuser -Iuser/common -I$(BUILD)
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP $(CPPFLAGS)
LDLIBS   := -lbpf -lelf -lz -losip2 -losipparser2 -lev -lm -lpthread
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -Iinclude -I$(ARCH_INC)

# BPF objects and their skeletons
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# Each user/<dir> becomes build/lib<dir>.a (its main.c excluded); a program
# or test links its own library and what that one needs, so a change in one
# component never breaks the build of another.
COMPONENTS := $(notdir $(wildcard user/*))
DEPS_common    :=
DEPS_dataplane := common
DEPS_relay     := dataplane common
DEPS_proxy     := common
DEPS_redirect  := common
# which libraries each tools/<name> links
TOOL_DEPS_piercectl := dataplane common
TOOL_DEPS_rtpgen    := common
TOOL_DEPS_bench     := dataplane common

.DEFAULT_GOAL := all
.SECONDARY:
.PHONY: all deps test test-unit test-bpf test-e2e test-fuzz demo bench fuzz soak clean install

deps:
	@tools/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard include/pierce/*.h bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

libs_of = $(foreach d,$(1) $(DEPS_$(1)),$(BUILD)/$(2)/lib$(d).a)
srcs_of = $(filter-out %/main.c,$(wildcard user/$(1)/*.c))

define component
$(BUILD)/obj/lib$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(call srcs_of,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/asan/lib$(1).a: $(patsubst %.c,$(BUILD)/asan/%.o,$(call srcs_of,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach c,$(COMPONENTS),$(eval $(call component,$(c))))

DAEMONS  := $(notdir $(patsubst %/main.c,%,$(wildcard user/*/main.c)))
TOOLS    := $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/main.c))))
tool_bin  = $(if $(filter piercectl,$(1)),$(BUILD)/piercectl,$(BUILD)/pierce-$(1))
PROGS    := $(addprefix $(BUILD)/pierce-,$(DAEMONS)) $(foreach t,$(TOOLS),$(call tool_bin,$(t)))

define daemon
$(BUILD)/pierce-$(1): $(BUILD)/obj/user/$(1)/main.o $(call libs_of,$(1),obj)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(DAEMONS),$(eval $(call daemon,$(d))))

define tool
$(call tool_bin,$(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/$(1)/*.c)) $(foreach d,$(or $(TOOL_DEPS_$(1)),common),$(BUILD)/obj/lib$(d).a)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool,$(t))))

$(BUILD)/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SANFLAGS) -c $< -o $@

# tests/unit/test_<component>_*.c links that component and its needs, built
# with ASan and UBSan; tests/bpf/test_*.c links the data plane.
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
BPFT_SRCS  := $(wildcard tests/bpf/test_*.c)
BPFT_BINS  := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))
unit_comp   = $(word 2,$(subst _, ,$(1)))

define unit_test
$(BUILD)/tests/unit/$(1): $(BUILD)/asan/tests/unit/$(1).o $(call libs_of,$(call unit_comp,$(1)),asan)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(SANFLAGS) -o $$@ $$^ -lcmocka $$(LDLIBS)
endef
$(foreach t,$(notdir $(basename $(UNIT_SRCS))),$(eval $(call unit_test,$(t))))

$(BUILD)/tests/bpf/%: $(BUILD)/obj/tests/bpf/%.o $(call libs_of,dataplane,obj)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# ---- tests ------------------------------------------------------------------
# tests/run.sh runs each suite, fails loudly on anything that cannot run (no
# root, no XDP) and ends with the line "N passed, N failed".
test: deps
	$(MAKE) all
	tests/run.sh all

test-unit: all
	tests/run.sh unit

test-bpf: all
	tests/run.sh bpf

test-e2e: all
	tests/run.sh e2e

test-fuzz: all
	tests/run.sh fuzz

demo: deps
	$(MAKE) all
	tests/e2e/demo.sh

bench: deps
	$(MAKE) all
	tools/bench/run.sh

# long run at half the measured maximum call rate with 5 % SIP loss
# (SOAK_MINUTES, default 30)
VALGRIND ?= 0
soak: deps
	$(MAKE) all
	SOAK_VALGRIND=$(VALGRIND) tests/soak/run.sh

# the BPF program is embedded in pierce-relay and piercectl (skeletons):
# the binaries are all there is to install
PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf $(BUILD)

all: $(BPF_OBJS) $(SKELS) $(PROGS) $(UNIT_BINS) $(BPFT_BINS)

# libFuzzer targets (tests/fuzz/fuzz.mk defines `fuzz` and the fuzzer binaries)
-include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
