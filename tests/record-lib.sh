# Sourced by tests/e2e/record-*.sh after tests/lib.sh: QEMU 10 and the plugin.
#   record_setup NAME   sets Q10 (a qemu-system-aarch64 >= 10) and PLUGIN, or says
#                       SKIP NAME (skip_real: a failure under CI=true) and returns 1
#   AGENT=(...)         QEMU arguments that boot the agent (add -smp and -append)
PLUGIN=$BUILD/fixmap-plugin.so
AGENT=(-M virt,virtualization=on,gic-version=3 -cpu max -m 256M -nographic -monitor none
	-nic none -semihosting -kernel "$BUILD/agent.elf")

record_setup()
{
	if ! Q10=$(scripts/qemu10.sh bin 2>"$TMP/qemu10.err"); then
		skip_real "$1" "no QEMU 10: $(tail -n1 "$TMP/qemu10.err")"
		return 1
	fi
	if [ ! -f "$PLUGIN" ]; then
		skip_real "$1" "no $PLUGIN (no qemu-plugin.h at build time?)"
		return 1
	fi
	if [ ! -f "$BUILD/agent.elf" ]; then
		fail "$1" "no $BUILD/agent.elf"
		return 1
	fi
	return 0
}

# wait_lines FILE N: until FILE has N lines (deadline 120 s); 1 if it never does.
wait_lines()
{
	local n=0
	while [ "$( (cat "$1" 2>/dev/null || :) | wc -l)" -lt "$2" ]; do
		n=$((n + 1))
		[ $n -gt 1200 ] && return 1
		sleep 0.1
	done
	return 0
}

# A guest driven through its serial console (firmware prompts): the console on
# the FIFOs $TMP/NAME-serial.in and .out (QEMU's -serial pipe:, opened
# read-write by QEMU, so neither side blocks), copied to $TMP/NAME.console.
#   serial_record NAME QEMU-ARGS...   starts "$FM" record --save $TMP/NAME.trace
#                                     (stdout $TMP/NAME.out, stderr $TMP/NAME.err)
#   serial_wait NAME COUNT REGEX      until COUNT console lines match REGEX
#                                     (grep -E; deadline 3 x TEST_WAIT); 1 if never
#   serial_send NAME TEXT             types TEXT (printf %b: \r for Enter)
#   serial_end NAME                   waits for record to end: SERIAL_RC, SERIAL_SECS
serial_record()
{
	local name=$1
	shift
	rm -f "$TMP/$name-serial.in" "$TMP/$name-serial.out" "$TMP/$name.console"
	mkfifo "$TMP/$name-serial.in" "$TMP/$name-serial.out" || return 1
	cat "$TMP/$name-serial.out" >"$TMP/$name.console" &
	SERIAL_START=${EPOCHREALTIME/./}
	"$FM" record --save "$TMP/$name.trace" -- "$Q10" "$@" -display none -monitor none \
		-serial "pipe:$TMP/$name-serial" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	SERIAL_PID=$!
}

serial_wait()
{
	local n=$((TEST_WAIT * 30))
	until [ "$(grep -c -E -- "$3" "$TMP/$1.console" 2>/dev/null)" -ge "$2" ]; do
		kill -0 "$SERIAL_PID" 2>/dev/null || return 1
		[ $((n -= 1)) -le 0 ] && return 1
		sleep 0.1
	done
	return 0
}

serial_send() { printf '%b' "$2" >"$TMP/$1-serial.in"; }

serial_end()
{
	local n=$((TEST_WAIT * 30)) us
	while kill -0 "$SERIAL_PID" 2>/dev/null && [ $((n -= 1)) -gt 0 ]; do
		sleep 0.1
	done
	kill "$SERIAL_PID" 2>/dev/null
	wait "$SERIAL_PID"
	SERIAL_RC=$?
	us=$((${EPOCHREALTIME/./} - SERIAL_START))
	SERIAL_SECS=$((us / 1000000)).$(((us / 100000) % 10))
}
