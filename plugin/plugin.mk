# The QEMU TCG plugin, build/fixmap-plugin.so (plugin/plugin.c).
#
#   make plugin      builds it when qemu-plugin.h can be had: the header comes from
#                    Debian's qemu source package at build time (scripts/qemu10.sh
#                    header; GPL-2.0-or-later, never committed) and glib from
#                    libglib2.0-dev. Without them it says SKIP and builds nothing.
#
# The plugin compiles the project's decoder (cli/arm64.c) and trace writer
# (cli/trace_text.c) into itself: one decoder, one printer. plugin/ptrack.c
# (table tracking) has no QEMU dependency and is unit-tested on the host.

PLUGIN_SRC := plugin/plugin.c plugin/ptrack.c cli/trace_text.c cli/arm64.c cli/desc.c cli/print.c \
	cli/err.c
PLUGIN_OBJ := $(PLUGIN_SRC:%.c=$(BUILD)/plugin-obj/%.o)

plugin: $(BUILD)/fixmap-plugin.so

# The header's folder (fetched once; after a failed fetch, tried again an hour
# later: scripts/qemu10.sh), and glib; evaluated once per make.
QEMU_PLUGIN_INC := $(shell pkg-config --exists glib-2.0 && scripts/qemu10.sh header 2>/dev/null)

ifneq ($(QEMU_PLUGIN_INC),)
PLUGIN_CFLAGS := -std=gnu11 -g -O2 $(WARN) -fPIC -fvisibility=hidden -Iinclude -Icli -Iplugin \
	-I$(QEMU_PLUGIN_INC) $(shell pkg-config --cflags glib-2.0) -D_GNU_SOURCE

# Every symbol must come from the plugin, QEMU (qemu_plugin_*), glib or libc: an
# unresolved one would make QEMU refuse the plugin only when it loads it.
PLUGIN_LIBS_SO = $(shell $(CC) -print-file-name=libc.so.6) \
	$(shell pkg-config --variable=libdir glib-2.0)/libglib-2.0.so
$(BUILD)/fixmap-plugin.so: $(PLUGIN_OBJ)
	$(call quiet,LINK,$@)$(CC) -shared -o $@.tmp $^ $(shell pkg-config --libs glib-2.0) && \
	nm -D --defined-only --without-symbol-versions $(PLUGIN_LIBS_SO) | awk '{print $$3}' >$@.known && \
	undef=$$(nm -u --without-symbol-versions $@.tmp | awk '$$1 == "U" {print $$2}' | \
		grep -v '^qemu_plugin_' | grep -v -x -F -f $@.known); \
	rm -f $@.known; \
	if [ -n "$$undef" ]; then echo "fixmap-plugin.so: undefined:" $$undef >&2; rm -f $@.tmp; exit 1; fi; \
	mv $@.tmp $@

$(BUILD)/plugin-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(PLUGIN_CFLAGS) -MMD -MP -c -o $@ $<
else
$(BUILD)/fixmap-plugin.so:
	@echo "  SKIP    fixmap-plugin.so (no qemu-plugin.h: scripts/qemu10.sh header, or no glib-2.0)"
endif

# Host unit test of the table tracker.
$(BUILD)/tests/test_ptrack: $(BUILD)/san/tests/unit/test_ptrack.o $(BUILD)/san/plugin/ptrack.o \
		$(BUILD)/san/cli/desc.o $(BUILD)/san/cli/print.o $(BUILD)/san/cli/err.o
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(SAN_FLAGS) -o $@ $^

# Guests that misuse their tables (tests/e2e/record-bad.sh), one ELF per case.
BADGUEST_CASES := nommu 16k loop switch narrow fetch remap
BADGUEST_ELF := $(BADGUEST_CASES:%=$(BUILD)/tests/badguest-%.elf)
CHECK_EXTRA += $(BADGUEST_ELF)

$(BUILD)/tests/badguest-%.elf: tests/plugin/badguest.S
	@mkdir -p $(dir $@)
	$(call quiet,AS-EL2,$@)$(AGENT_CC) $(AGENT_CFLAGS) -D__ASSEMBLY__ \
		-DCASE=CASE_$(shell echo $* | tr a-z A-Z) -c -o $@.o $< && \
		$(AGENT_LD) $(AGENT_LDFLAGS) -nostdlib -static -Ttext=0x40200000 -e _start -o $@ $@.o

# Fuzzing the table tracker (tests/fuzz/fuzz_ptrack.c): its object beside the
# fuzz library (the pattern rule in tests/fuzz/fuzz.mk links it in).
$(BUILD)/fuzz/obj/plugin/%.o: plugin/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC-FUZZ,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) -Iplugin $(FUZZ_LIB_WARN) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(BUILD)/fuzz/obj/tests/fuzz/fuzz_ptrack.o: FUZZ_CFLAGS += -Iplugin
$(BUILD)/fuzz/fuzz_ptrack: $(BUILD)/fuzz/obj/plugin/ptrack.o
