#!/bin/bash
# Benchmark of recording: Debian's arm64 Linux kernel (scripts/linux-lib.sh)
# booted under QEMU 10 with protected KVM to its root-fs panic (panic=-1
# -no-reboot: QEMU exits), side by side in one run: plain, with the plugin
# writing to /dev/null (access=off, store, fetch, all), and through `fixmapctl record`
# (plugin + live checker). Prints wall and CPU seconds, the ratio to the plain
# boot, and events per second through the live checker. Figures only: RUNS
# rounds (default 3) of every configuration in turn, the best wall time of each.
cd "$(dirname "$0")/.." || exit 1
. scripts/qemu-lib.sh
. scripts/linux-lib.sh
B=${BUILD:-build}
RUNS=${RUNS:-3}
if ! Q=$(scripts/qemu10.sh bin 2>/dev/null); then
	echo "record: SKIP (no QEMU 10)"
	exit 0
fi
if ! linux_fetch; then
	echo "record: SKIP ($LINUX_WHY)"
	exit 0
fi
[ -f "$B/fixmap-plugin.so" ] || { echo "record: SKIP (no $B/fixmap-plugin.so)"; exit 0; }
shm=/dev/shm/fixmap-bench-$(id -u)-$$
trap 'rm -f "$shm"' EXIT
K=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 1G -nographic
	-monitor none -nic none -kernel "$LINUX_IMAGE" -no-reboot
	-append "console=ttyAMA0 earlycon kvm-arm.mode=protected nokaslr panic=-1")
RAM=(-object "memory-backend-file,id=mem,size=1G,mem-path=$shm,share=on" -machine memory-backend=mem)
T=$B/bench/record.time
mkdir -p "$B/bench"

# Every configuration once per round, RUNS rounds (the machine is shared: its
# load drifts, so the configurations take turns rather than running in blocks);
# each keeps its best wall time, with that run's CPU time.
NAMES=(plain plugin_noaccess plugin plugin_fetch plugin_all record)
cmd()
{
	case $1 in
	plain) CMD=("$Q" "${K[@]}") ;;
	plugin_noaccess) CMD=("$Q" "${K[@]}" "${RAM[@]}" -plugin "$B/fixmap-plugin.so,out=/dev/null,access=off") ;;
	plugin) CMD=("$Q" "${K[@]}" "${RAM[@]}" -plugin "$B/fixmap-plugin.so,out=/dev/null") ;;
	plugin_fetch) CMD=("$Q" "${K[@]}" "${RAM[@]}" -plugin "$B/fixmap-plugin.so,out=/dev/null,access=fetch") ;;
	plugin_all) CMD=("$Q" "${K[@]}" "${RAM[@]}" -plugin "$B/fixmap-plugin.so,out=/dev/null,access=all") ;;
	record) CMD=("$B/fixmapctl" record -q -- "$Q" "${K[@]}") ;;
	esac
}
for i in $(seq "$RUNS"); do
	for name in "${NAMES[@]}"; do
		cmd "$name"
		rm -f "$shm"
		/usr/bin/time -f '%e %U %S' -o "$T" "${CMD[@]}" >"$B/bench/$name.out" 2>"$B/bench/$name.err" </dev/null
		read -r w u s < <(tail -n1 "$T")
		eval "best=\${wall_$name:-}"
		if [ -z "$best" ] || [ "$(echo "$w < $best" | bc)" = 1 ]; then
			eval "wall_$name=$w cpu_$name=$(echo "$u + $s" | bc)"
		fi
	done
done

events=$(sed -n 's/^\([0-9]*\) events, .*/\1/p' "$B/bench/record.out")
stats=$(sed -n 's/^fixmapctl: record: fixmap-plugin: //p' "$B/bench/record.err")
echo "Linux $LINUX_VERSION, 2 vCPUs, pKVM, boot to root-fs panic under $($Q --version | head -n1)"
printf '  %-36s %8s %8s %8s\n' "" "wall s" "CPU s" "x plain"
for n in "${NAMES[@]}"; do
	eval "w=\$wall_$n c=\$cpu_$n"
	case $n in
	plain) label="plain boot" ;;
	plugin_noaccess) label="plugin (access=off) to /dev/null" ;;
	plugin) label="plugin (access=store) to /dev/null" ;;
	plugin_fetch) label="plugin (access=fetch) to /dev/null" ;;
	plugin_all) label="plugin (access=all) to /dev/null" ;;
	record) label="fixmapctl record (live checking)" ;;
	esac
	printf '  %-36s %8s %8s %8.2f\n' "$label" "$w" "$c" "$(echo "$w / $wall_plain" | bc -l)"
done
echo "  events through the live checker: ${events:-?} ($(echo "${events:-0} / $wall_record" | bc) events/s)"
echo "  recorder: $stats"
