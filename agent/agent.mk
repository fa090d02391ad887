# The EL2 agent (build/agent.elf) and its host unit tests (AGENT_UNIT_BIN).
#
#   make agent                          build/agent.elf (cross gcc, else clang + ld.lld)
#   make run [SMP=4] [MODE=local] [ITERS=0] [APPEND="..."]   boot it under QEMU, interactively
#
# Portable agent code (mmu.c, fixmap.c, ring.c, config.c, dtb.c) is also built
# for the host against agent/arch/fake and tested under ASan/UBSan.

ifneq ($(shell command -v aarch64-linux-gnu-gcc 2>/dev/null),)
AGENT_CC := aarch64-linux-gnu-gcc
AGENT_LD := aarch64-linux-gnu-ld
AGENT_OBJDUMP := aarch64-linux-gnu-objdump
AGENT_TC_FLAGS := -mno-outline-atomics -fno-tree-loop-distribute-patterns
AGENT_LDFLAGS := --no-warn-rwx-segments
else
AGENT_CC := clang --target=aarch64-none-elf
AGENT_LD := ld.lld
AGENT_OBJDUMP := llvm-objdump
AGENT_TC_FLAGS :=
AGENT_LDFLAGS :=
endif

AGENT_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -nostdlib -mgeneral-regs-only \
	-mstrict-align -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables \
	-fno-unwind-tables $(AGENT_TC_FLAGS) \
	-Iagent -Iagent/arch/aarch64 -Iinclude -Iproto
AGENT_SRC := $(sort $(wildcard agent/*.c))
AGENT_ASM := agent/start.S agent/vectors.S
AGENT_OBJ := $(AGENT_SRC:%.c=$(BUILD)/agent/%.o) $(AGENT_ASM:%.S=$(BUILD)/agent/%.o)

agent: $(BUILD)/agent.elf

$(BUILD)/agent.elf: $(AGENT_OBJ) agent/linker.ld
	$(call quiet,LD,$@)$(AGENT_LD) $(AGENT_LDFLAGS) -nostdlib -static -T agent/linker.ld \
		-o $@ $(AGENT_OBJ)

$(BUILD)/agent/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC-EL2,$<)$(AGENT_CC) $(AGENT_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/agent/%.o: %.S
	@mkdir -p $(dir $@)
	$(call quiet,AS-EL2,$<)$(AGENT_CC) $(AGENT_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c -o $@ $<

$(BUILD)/agent.dis: $(BUILD)/agent.elf
	$(call quiet,OBJDUMP,$@)$(AGENT_OBJDUMP) -d $< >$@

# Host unit tests of the portable agent code, through the fake arch layer.
AGENT_HOST_SRC := agent/mmu.c agent/fixmap.c agent/ring.c agent/config.c agent/dtb.c \
	agent/shared.c agent/arch/fake/fake.c
AGENT_HOST_OBJ := $(AGENT_HOST_SRC:%.c=$(BUILD)/agent-host/%.o)
AGENT_UNIT_SRC := $(sort $(wildcard agent/tests/test_*.c))
AGENT_UNIT_BIN := $(AGENT_UNIT_SRC:agent/tests/test_%.c=$(BUILD)/tests/agent_test_%)
AGENT_HOST_CFLAGS := -std=gnu11 -g $(WARN) -DAGENT_HOST -Iagent -Iagent/arch/fake -Iinclude \
	-Iproto -Itests/unit

$(BUILD)/agent-host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC-SAN,$<)$(CC) $(AGENT_HOST_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/agent_test_%: $(BUILD)/agent-host/agent/tests/test_%.o $(AGENT_HOST_OBJ)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(SAN_FLAGS) -o $@ $^

SMP ?= 4
MODE ?= broadcast
ITERS ?= 0
# The gdbstub listens on 127.0.0.1:$(GDB_PORT) and guest RAM is shared in
# $(RUN_SHM), so fixmapctl can use --gdb or --mem on the running agent.
GDB_PORT ?= 1234
RUN_SHM ?= /dev/shm/fixmap-run
run: agent
	qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max -smp $(SMP) -m 256M -nic none \
		-object memory-backend-file,id=mem,size=256M,mem-path=$(RUN_SHM),share=on \
		-machine memory-backend=mem -gdb tcp:127.0.0.1:$(GDB_PORT) \
		-nographic -semihosting -kernel $(BUILD)/agent.elf \
		-append "fixmap.mode=$(MODE) fixmap.iters=$(ITERS) $(APPEND)"; \
		rc=$$?; rm -f $(RUN_SHM); exit $$rc

.PHONY: run
