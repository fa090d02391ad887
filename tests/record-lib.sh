# Sourced by tests/e2e/record-*.sh after tests/lib.sh: QEMU 10 and the plugin.
#   record_setup NAME   sets Q10 (a qemu-system-aarch64 >= 10) and PLUGIN, or says
#                       SKIP NAME (FAIL under CI=true) and returns 1
#   AGENT=(...)         QEMU arguments that boot the agent (add -smp and -append)
PLUGIN=$BUILD/fixmap-plugin.so
AGENT=(-M virt,virtualization=on,gic-version=3 -cpu max -m 256M -nographic -monitor none
	-nic none -semihosting -kernel "$BUILD/agent.elf")

skip_or_fail()
{
	if [ "$CI" = true ]; then fail "$1" "$2"; else skip "$1" "$2"; fi
}

record_setup()
{
	if ! Q10=$(scripts/qemu10.sh bin 2>"$TMP/qemu10.err"); then
		skip_or_fail "$1" "no QEMU 10: $(tail -n1 "$TMP/qemu10.err")"
		return 1
	fi
	if [ ! -f "$PLUGIN" ]; then
		skip_or_fail "$1" "no $PLUGIN (no qemu-plugin.h at build time?)"
		return 1
	fi
	if [ ! -f "$BUILD/agent.elf" ]; then
		skip_or_fail "$1" "no $BUILD/agent.elf"
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
