# libFuzzer targets: tests/fuzz/fuzz_<component>_<what>.c becomes
# $(BUILD)/fuzz/fuzz_<component>_<what>, linked against that component's
# libraries rebuilt with clang and coverage instrumentation (fuzzer-no-link)
# plus ASan and UBSan into $(BUILD)/fuzz/.
#
#   make BUILD=... fuzz-build            build every target
#   make BUILD=... fuzz FUZZ_TIME=600    run each target that long (seconds)
#   make BUILD=... fuzz FUZZ_TARGETS=fuzz_common_bencode
#
# A run starts from the committed corpus (tests/fuzz/corpus/<target>) and
# keeps what it discovers in $(BUILD)/fuzz/work/<target>, never in the tree;
# a crash lands in $(BUILD)/fuzz/artifacts/<target>/ and fails the run.

FUZZ_TIME    ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# others' sources are compiled by gcc with -Werror; clang's extra warnings on
# them must not stop a fuzz build, so only the targets keep -Werror
FUZZ_CFLAGS  := -O1 -g -std=gnu11 -MMD -MP $(CPPFLAGS) -Itests/fuzz
FUZZ_LIBWARN := $(filter-out -Werror,$(WARN))
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_TARGETS ?= $(notdir $(FUZZ_BINS))
fuzz_comp     = $(word 2,$(subst _, ,$(1)))

# The proxy's message path runs with its sockets replaced at the syscall
# boundary (tests/fuzz/fuzz_proxy_message.c defines the wrappers).
FUZZ_LDFLAGS_fuzz_proxy_message := -Wl,--wrap=sendto,--wrap=recvfrom

define fuzz_component
$(BUILD)/fuzz/lib$(1).a: $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(call srcs_of,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach c,$(COMPONENTS),$(eval $(call fuzz_component,$(c))))

$(BUILD)/fuzz/obj/user/%.o: user/%.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_LIBWARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/obj/tests/fuzz/%.o: tests/fuzz/%.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

define fuzz_target
$(BUILD)/fuzz/$(1): $(BUILD)/fuzz/obj/tests/fuzz/$(1).o $(call libs_of,$(call fuzz_comp,$(1)),fuzz)
	$$(CLANG) -g $$(FUZZ_SAN) -fsanitize=fuzzer $$(FUZZ_LDFLAGS_$(1)) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach t,$(notdir $(basename $(FUZZ_SRCS))),$(eval $(call fuzz_target,$(t))))

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_TIME seconds over its corpus and its dictionary.
fuzz: fuzz-build
	@BUILD=$(BUILD) FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh $(FUZZ_TARGETS)

# Inputs that showed a bug not fixed yet (tests/fuzz/regressions/<target>/,
# described in tests/fuzz/README.md). Kept out of `make test` until the fix
# lands; then the input moves to the corpus, which `make test` replays.
.PHONY: fuzz-regressions
fuzz-regressions: fuzz-build
	@BUILD=$(BUILD) tests/fuzz/run.sh --replay tests/fuzz/regressions
