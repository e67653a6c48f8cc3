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

# Everything under user/ except each daemon's main.c goes into libpierce.a;
# programs are a main plus the library.
LIB_SRCS := $(filter-out %/main.c,$(wildcard user/*/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
ASAN_OBJS := $(patsubst %.c,$(BUILD)/asan/%.o,$(LIB_SRCS))
LIB      := $(BUILD)/libpierce.a
ASAN_LIB := $(BUILD)/libpierce-asan.a

DAEMONS  := $(notdir $(patsubst %/main.c,%,$(wildcard user/*/main.c)))
TOOLS    := $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/main.c))))
PROGS    := $(addprefix $(BUILD)/pierce-,$(DAEMONS)) \
            $(patsubst %,$(BUILD)/%,$(filter piercectl,$(TOOLS))) \
            $(patsubst %,$(BUILD)/pierce-%,$(filter-out piercectl,$(TOOLS)))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
BPFT_SRCS  := $(wildcard tests/bpf/test_*.c)
BPFT_BINS  := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))
TEST_HELPERS := $(wildcard tests/lib/*.c)

.PHONY: all deps test test-unit test-bpf test-e2e test-torture demo bench fuzz soak clean install
all: $(BPF_OBJS) $(SKELS) $(PROGS) $(UNIT_BINS) $(BPFT_BINS)

deps:
	@tools/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard include/pierce/*.h bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SANFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(ASAN_LIB): $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

.SECONDEXPANSION:
$(BUILD)/pierce-%: $$(patsubst %.c,$(BUILD)/obj/%.o,$$(wildcard user/$$*/main.c tools/$$*/*.c)) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/piercectl: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/piercectl/*.c)) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/asan/tests/unit/%.o $(patsubst %.c,$(BUILD)/asan/%.o,$(TEST_HELPERS)) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD)/tests/bpf/%: $(BUILD)/obj/tests/bpf/%.o $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_HELPERS)) $(LIB)
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

demo: deps
	$(MAKE) all
	tests/e2e/demo.sh

bench: deps
	$(MAKE) all
	tools/bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
