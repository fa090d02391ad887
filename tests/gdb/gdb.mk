# GDB remote-protocol test programs (sanitized, like the unit tests):
#   gdbprobe   drives the gdb target from tests/e2e/gdb-*.sh and bench/gdb.sh
GDB_TEST_BIN := $(BUILD)/tests/gdbprobe
CHECK_EXTRA += $(GDB_TEST_BIN)

$(BUILD)/tests/gdbprobe: $(BUILD)/san/tests/gdb/gdbprobe.o $(CLI_SAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# Optimised build for bench/gdb.sh (no sanitizers in the timings).
$(BUILD)/bench/gdbprobe: $(BUILD)/obj/tests/gdb/gdbprobe.o $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJ))
	@mkdir -p $(dir $@)
	$(call quiet,LINK,$@)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
