# libFuzzer targets (included by the top Makefile).
#
#   make fuzz                  runs every target for FUZZ_SECONDS (default 60) each
#   make fuzz FUZZ=walk        runs one target
#   make check                 runs every target for a fixed number of inputs
#                              (tests/fuzz/check-runs), the same ones every time
#
# A target is tests/fuzz/fuzz_NAME.c defining LLVMFuzzerTestOneInput; its seed
# corpus is tests/fuzz/NAME/ (committed; inputs that once crashed stay there as
# regressions). New inputs a run finds go to $(BUILD)/fuzz/corpus/NAME/, crashes
# to $(BUILD)/fuzz/artifacts/. The library is built again with clang and the
# fuzzer's coverage instrumentation in $(BUILD)/fuzz/obj/, apart from the gcc
# objects; clang-only warnings there are shown but do not fail the build (gcc
# with -Werror is the build of record).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -Iinclude -Iproto -Icli $(PKG_CFLAGS) -D_GNU_SOURCE $(FUZZ_SAN)
FUZZ_LIB_WARN := $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_LIB_OBJ := $(CLI_LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)

$(BUILD)/fuzz/obj/cli/%.o: cli/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC-FUZZ,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LIB_WARN) -fsanitize=fuzzer-no-link \
		-MMD -MP -c -o $@ $<

$(BUILD)/fuzz/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC-FUZZ,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -fsanitize=fuzzer-no-link \
		-MMD -MP -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(call quiet,LINK,$@)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz-build: $(FUZZ_BIN)

FUZZ ?= $(FUZZ_NAMES)
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz.sh $(FUZZ)

CHECK_EXTRA += $(FUZZ_BIN)
CHECK_EXTRA_TESTS += tests/fuzz/run-fuzz.sh

.PHONY: fuzz fuzz-build
