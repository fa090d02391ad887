# fixmap: build, test, demo, bench.  `make V=1` shows full commands.
#
#   make            build/fixmapctl and build/agent.elf
#   make check      every test (unit tests under ASan+UBSan, QEMU end-to-end, man lint)
#   make fetch      download the third-party targets the tests use (kernels, QEMU 10)
#   make mutate     mutation testing of the checker and lint (tests/mutate/)
#   make demo       boot the agent under QEMU and show fixmapctl on it
#   make bench      performance figures
#   make install PREFIX=/usr/local

BUILD ?= build
PREFIX ?= /usr/local
V ?= 0
ifeq ($(V),0)
Q := @
quiet = @printf '  %-7s %s\n' $(1) $(2);
else
Q :=
quiet =
endif

CC ?= cc
ifeq ($(origin CC),default)
CC := cc
endif
PKGS := libelf capstone ncursesw
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
HOST_CFLAGS := -std=gnu11 -g $(WARN) -Iinclude -Iproto -Icli -Iplugin $(PKG_CFLAGS) -D_GNU_SOURCE
CFLAGS ?= -O2
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CLI_SRC := $(sort $(wildcard cli/*.c))
CLI_LIB_SRC := $(filter-out cli/main.c,$(CLI_SRC))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SAN_LIB_OBJ := $(CLI_LIB_SRC:%.c=$(BUILD)/san/%.o)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/fixmapctl agent plugin

$(BUILD)/fixmapctl: $(CLI_OBJ)
	$(call quiet,LINK,$@)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(HOST_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC-SAN,$<)$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

# Sanitized fixmapctl for end-to-end tests.
$(BUILD)/fixmapctl-san: $(CLI_SAN_LIB_OBJ) $(BUILD)/san/cli/main.o
	$(call quiet,LINK,$@)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# Unit tests: one program per module, linked with every library object.
$(BUILD)/tests/test_%: $(BUILD)/san/tests/unit/test_%.o $(CLI_SAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# The agent and its host-side unit tests.
include agent/agent.mk
# Fuzz targets.
-include tests/fuzz/fuzz.mk
include tests/gdb/gdb.mk # gdbstub test driver and fault-injecting stub
include tests/initramfs/initramfs.mk # initramfs images for Linux guests (tests)
# The QEMU TCG plugin.
include plugin/plugin.mk

MAN_PAGES := $(wildcard man/*.[1-9])

deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/fixmapctl-san $(UNIT_BIN) $(AGENT_UNIT_BIN) $(CHECK_EXTRA)
	$(Q)BUILD=$(BUILD) tests/run-tests.sh $(UNIT_BIN) $(AGENT_UNIT_BIN) $(CHECK_EXTRA_TESTS) \
		tests/man-lint.sh $(sort $(wildcard tests/e2e/*.sh))

fetch:
	$(Q)scripts/fetch.sh

# Mutation testing (tests/mutate/catalogue): MUTATE=ID... runs some of them.
mutate:
	$(Q)BUILD=$(BUILD) tests/mutate/mutate.py $(MUTATE)

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/initramfs/kvm.cpio
	$(Q)BUILD=$(BUILD) scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/bench.sh

install: $(BUILD)/fixmapctl
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BUILD)/fixmapctl $(DESTDIR)$(PREFIX)/bin/fixmapctl
	for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

clean:
	rm -rf $(BUILD)

.PHONY: all deps check fetch mutate demo bench install clean agent plugin
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
