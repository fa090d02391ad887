# Shell helpers to run the agent under QEMU, sourced by tests/e2e/*.sh,
# scripts/demo.sh and bench/*.sh.
#
#   qemu_start [-s SMP] [-m MODE] [-i ITERS] [-a "extra append"] [-- extra qemu args]
#       boots $BUILD/agent.elf with guest RAM in a /dev/shm file and a gdbstub on a
#       free port; sets QEMU_PID, QEMU_PORT, QEMU_SHM (file), QEMU_LOG (serial+stderr).
#   qemu_wait       waits for QEMU to exit (finite ITERS), prints nothing, returns its status
#   qemu_stop       ends the QEMU this shell started (by PID) and removes its files
#   free_port       prints a TCP port on 127.0.0.1 nobody listens on
#
# Guest RAM starts at 0x40000000: guest PA X is at offset X - 0x40000000 of QEMU_SHM.

BUILD=${BUILD:-build}
QEMU_RAM_MB=${QEMU_RAM_MB:-256}
QEMU_PHYSBASE=0x40000000

free_port()
{
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

qemu_start()
{
	smp=4 mode=broadcast iters=0 extra_append=""
	while [ $# -gt 0 ]; do
		case $1 in
		-s) smp=$2; shift 2 ;;
		-m) mode=$2; shift 2 ;;
		-i) iters=$2; shift 2 ;;
		-a) extra_append=$2; shift 2 ;;
		--) shift; break ;;
		*) echo "qemu_start: bad option $1" >&2; return 2 ;;
		esac
	done
	QEMU_PORT=$(free_port)
	QEMU_SHM=/dev/shm/fixmap-$(id -u)-$$-$QEMU_PORT
	QEMU_LOG=${QEMU_LOG:-$(mktemp /tmp/fixmap-qemu-XXXXXX.log)}
	rm -f "$QEMU_SHM"
	qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max -smp "$smp" \
		-m "${QEMU_RAM_MB}M" -nographic -monitor none -serial "file:$QEMU_LOG.serial" \
		-object "memory-backend-file,id=mem,size=${QEMU_RAM_MB}M,mem-path=$QEMU_SHM,share=on" \
		-machine memory-backend=mem -semihosting -nic none \
		-gdb "tcp:127.0.0.1:$QEMU_PORT" -kernel "$BUILD/agent.elf" \
		-append "fixmap.mode=$mode fixmap.iters=$iters $extra_append" "$@" \
		>"$QEMU_LOG" 2>&1 </dev/null &
	QEMU_PID=$!
	# Wait until the gdbstub listens (QEMU is up) or QEMU died. Connecting stops
	# the VM, so the probe resumes it (`c`) before it hangs up.
	n=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$QEMU_PORT" && printf '+$c#63' >&3) 2>/dev/null; do
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			wait "$QEMU_PID"
			return $?
		fi
		n=$((n + 1))
		[ $n -gt 600 ] && { echo "qemu_start: gdbstub never came up" >&2; return 1; }
		sleep 0.05
	done
	return 0
}

qemu_wait()
{
	wait "$QEMU_PID"
}

qemu_stop()
{
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill "$QEMU_PID" 2>/dev/null
		wait "$QEMU_PID" 2>/dev/null
	fi
	[ -n "$QEMU_SHM" ] && rm -f "$QEMU_SHM"
	QEMU_PID=
}
