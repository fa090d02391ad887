# Shell helpers (bash) to run QEMU for the project, sourced by tests/e2e/*.sh,
# scripts/demo.sh and bench/*.sh. Every QEMU started here has no NIC (-nic none):
# the default virtio NIC needs ipxe-qemu's ROM, which a minimal install lacks.
#
#   qemu_start [-s SMP] [-m MODE] [-i ITERS] [-a "extra append"] [-- extra qemu args]
#       boots $BUILD/agent.elf with guest RAM in a /dev/shm file and a gdbstub on a
#       free port, and returns once QEMU is up (its gdbstub listens; the agent may
#       still be booting: see qemu_wait_agent). Returns QEMU's exit status if it
#       ended before that (a short finite run may; qemu_wait then returns it
#       too). Sets QEMU_PID, QEMU_PORT,
#       QEMU_SHM (file), QEMU_LOG (QEMU's output; the UART goes to $QEMU_LOG.serial).
#   qemu_launch LOG ARGS...
#       the QEMU part of qemu_start, for other guests: runs $QEMU_BIN (default
#       qemu-system-aarch64 from PATH) -nic none -gdb tcp:127.0.0.1:PORT ARGS with
#       its output in LOG and waits until its gdbstub listens. Sets QEMU_PID and
#       QEMU_PORT.
#   qemu_wait_agent [SECS]  waits until the agent has published its shared area
#                   (the UART's "fixmap: running" line, printed after the header's
#                   magic); 1 with the reason on stderr if QEMU ended or SECS passed
#   qemu_wait [SECS]  waits for QEMU to exit and returns its status; after SECS
#                   (default 300) it ends QEMU, says so and returns 124
#   qemu_stop       ends the QEMU this shell started (by PID) and removes its files;
#                   does nothing in a subshell that did not start it
#   this_shell PID  whether the shell running it is process PID (see below)
#   free_port       prints a TCP port on 127.0.0.1 nobody uses (no connection is
#                   made: connecting to someone's gdbstub would stop their VM)
#   pid_listens PID PORT   whether process PID listens on TCP 127.0.0.1:PORT
#
# Deadlines are generous (QEMU_START_TIMEOUT, default 120 s, for QEMU to come
# up): on a loaded machine everything is slow, and a deadline only bounds a hang.
#
# Guest RAM starts at 0x40000000: guest PA X is at offset X - 0x40000000 of QEMU_SHM.

BUILD=${BUILD:-build}
QEMU_RAM_MB=${QEMU_RAM_MB:-256}
QEMU_PHYSBASE=0x40000000
QEMU_START_TIMEOUT=${QEMU_START_TIMEOUT:-120}

# $BASHPID does not tell a subshell from its parent reliably: a subshell that a
# signal reaches while bash forks it runs the parent's traps (an EXIT trap's
# qemu_stop, rm -rf "$TMP") while its $BASHPID may still read the parent's PID,
# and a `return` there does not return (tests/e2e/harness.sh meets both).
# /proc/self/stat, read by the shell itself (a builtin, no fork), names the
# process that really runs; guard destructive steps with an if, not a return.
this_shell()
{
	local me _
	read -r me _ </proc/self/stat
	[ "$me" = "$1" ]
}

# TCP ports in use on this host (any state), from /proc/net/tcp{,6}, in decimal.
ports_in_use()
{
	awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		while read -r hex; do echo $((16#$hex)); done
}

free_port()
{
	local used p
	used=" $(ports_in_use | tr '\n' ' ') "
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		case $used in *" $p "*) continue ;; esac
		echo "$p"
		return
	done
}

pid_listens()
{
	local pid=$1 want inode fd
	want=$(printf '0100007F:%04X' "$2")
	# st 0A = LISTEN; field 10 is the socket's inode
	for inode in $(awk -v w="$want" '$2 == w && $4 == "0A" { print $10 }' /proc/net/tcp 2>/dev/null); do
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ] && return 0
		done
	done
	return 1
}

qemu_launch()
{
	local log=$1 attempt n rc
	shift
	QEMU_EXITED=
	for attempt in 1 2 3 4 5; do
		QEMU_PORT=$(free_port)
		"${QEMU_BIN:-qemu-system-aarch64}" -nic none -gdb "tcp:127.0.0.1:$QEMU_PORT" "$@" \
			>"$log" 2>&1 </dev/null &
		QEMU_PID=$!
		read -r QEMU_OWNER _ </proc/self/stat
		n=$((QEMU_START_TIMEOUT * 20))
		until pid_listens "$QEMU_PID" "$QEMU_PORT"; do
			if ! kill -0 "$QEMU_PID" 2>/dev/null; then
				wait "$QEMU_PID"
				rc=$?
				# Someone took the port between free_port and QEMU's bind: another one.
				grep -Eq 'Address already in use|available port' "$log" && continue 2
				QEMU_EXITED=$rc # for qemu_wait
				return $rc
			fi
			if [ $((n -= 1)) -le 0 ]; then
				echo "qemu_launch: QEMU's gdbstub did not listen within $QEMU_START_TIMEOUT s" >&2
				return 1
			fi
			sleep 0.05
		done
		return 0
	done
	echo "qemu_launch: no free port after 5 attempts" >&2
	return 1
}

qemu_start()
{
	local smp=4 mode=broadcast iters=0 extra_append=""
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
	# An empty file of our own: QEMU sizes it (and it is zero, as fresh RAM is).
	QEMU_SHM=$(mktemp "/dev/shm/fixmap-$(id -u)-XXXXXXXX") || return 1
	if [ -z "$QEMU_LOG" ]; then
		QEMU_LOG=$(mktemp /tmp/fixmap-qemu-XXXXXX.log) || return 1
		QEMU_LOG_OWNED=1
	fi
	: >"$QEMU_LOG.serial"
	qemu_launch "$QEMU_LOG" -M virt,virtualization=on,gic-version=3 -cpu max -smp "$smp" \
		-m "${QEMU_RAM_MB}M" -nographic -monitor none -serial "file:$QEMU_LOG.serial" \
		-object "memory-backend-file,id=mem,size=${QEMU_RAM_MB}M,mem-path=$QEMU_SHM,share=on" \
		-machine memory-backend=mem -semihosting -kernel "$BUILD/agent.elf" \
		-append "fixmap.mode=$mode fixmap.iters=$iters $extra_append" "$@"
}

qemu_wait_agent()
{
	local secs=${1:-120} n
	n=$((secs * 10))
	until grep -q '^fixmap: running ' "$QEMU_LOG.serial" 2>/dev/null; do
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			echo "qemu_wait_agent: QEMU ended before the agent ran: $(tr '\r\n' '  ' <"$QEMU_LOG.serial" | tail -c 300)" >&2
			return 1
		fi
		if [ $((n -= 1)) -le 0 ]; then
			echo "qemu_wait_agent: no 'fixmap: running' on the UART within $secs s" >&2
			return 1
		fi
		sleep 0.1
	done
}

qemu_wait()
{
	local secs=${1:-300} n
	[ -n "$QEMU_EXITED" ] && return "$QEMU_EXITED"
	n=$((secs * 10))
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		if [ $((n -= 1)) -le 0 ]; then
			echo "qemu_wait: QEMU still running after $secs s: ending it" >&2
			kill "$QEMU_PID" 2>/dev/null
			wait "$QEMU_PID" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$QEMU_PID"
}

qemu_stop()
{
	# A subshell (a worker, a watchdog) inherits the variables and the EXIT trap,
	# not the QEMU: only the shell that started it ends it and removes its files.
	# (No early `return`: in a trap run in that fork window it does not return.)
	if [ -z "$QEMU_OWNER" ] || this_shell "$QEMU_OWNER"; then
		if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
			kill "$QEMU_PID" 2>/dev/null
			wait "$QEMU_PID" 2>/dev/null
		fi
		[ -n "$QEMU_SHM" ] && rm -f "$QEMU_SHM"
		if [ -n "$QEMU_LOG_OWNED" ]; then
			rm -f "$QEMU_LOG" "$QEMU_LOG.serial"
			QEMU_LOG= QEMU_LOG_OWNED=
		fi
		QEMU_PID= QEMU_SHM= QEMU_OWNER=
	fi
}
