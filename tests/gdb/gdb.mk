# GDB remote-protocol test programs (sanitized, like the unit tests):
#   gdbprobe   drives the gdb target from tests/e2e/gdb-*.sh and bench/gdb.sh
#   faultstub  a misbehaving stand-in for QEMU's gdbstub
GDB_TEST_BIN := $(BUILD)/tests/gdbprobe $(BUILD)/tests/faultstub
CHECK_EXTRA += $(GDB_TEST_BIN)

$(BUILD)/tests/gdbprobe: $(BUILD)/san/tests/gdb/gdbprobe.o $(CLI_SAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/faultstub: $(BUILD)/san/tests/gdb/faultstub.o
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(SAN_FLAGS) -o $@ $^

# Optimised build for bench/gdb.sh (no sanitizers in the timings).
$(BUILD)/bench/gdbprobe: $(BUILD)/obj/tests/gdb/gdbprobe.o $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJ))
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
