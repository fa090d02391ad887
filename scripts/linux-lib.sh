# A real third-party target: Debian's arm64 Linux kernels under QEMU, for
# tests/e2e/linux-*.sh, tests/e2e/kallsyms-*.sh and bench/. Sourced after
# scripts/qemu-lib.sh (bash).
#
#   linux_fetch [SUITE]
#                   downloads the current arm64 kernel of a Debian suite once into
#                   $FIXMAP_CACHE/linux-SUITE (default ~/.cache/fixmap) and
#                   extracts its Image and config. SUITE is bookworm (the default:
#                   Linux 6.1) or trixie (Linux 6.12). Sets LINUX_IMAGE (a plain
#                   arm64 Image), LINUX_CONFIG (the kernel's .config),
#                   LINUX_VERSION (the package, e.g.
#                   linux-image-6.1.0-57-arm64_6.1.192-3_arm64) and LINUX_SUITE,
#                   or returns 1 with the reason in LINUX_WHY. Nothing is
#                   installed: apt runs with a private configuration (its own
#                   sources list for the suite, lists, cache and an empty dpkg
#                   status, APT::Architecture=arm64), so the host's apt state and
#                   architectures are untouched. Parallel callers wait for one
#                   download (flock). The cached kernel is kept until the folder
#                   is removed: tests see the same kernel every run.
#   linux_boot [-i INITRD] [-w REGEX] [-a "extra append"] [-k]
#                   boots LINUX_IMAGE (2 CPUs, 1 GiB, kvm-arm.mode=protected
#                   nokaslr; -k: with KASLR, from the seed QEMU's device tree
#                   gives) with a gdbstub and guest RAM in a /dev/shm file.
#                   Without -w it waits until the kernel has finished booting (its
#                   root-fs panic), when its EL2, EL1 and host stage-2 tables are
#                   all live, and checks that protected KVM started; with -w it
#                   waits for a console line matching REGEX (grep -E) instead, e.g.
#                   a marker an initramfs's init prints. LINUX_QEMU names the QEMU
#                   binary (default qemu-system-aarch64), LINUX_BOOT_SECONDS the
#                   deadline (default 120), LINUX_KVM the kvm-arm.mode= it asks
#                   for (default protected; empty: a VHE host, whose own tables
#                   are the EL2&0 regime's, and no protected-KVM check). Sets
#                   QEMU_PID, QEMU_PORT, QEMU_SHM, QEMU_LOG like qemu_start
#                   (qemu_stop ends it).

FIXMAP_CACHE=${FIXMAP_CACHE:-${HOME:-/tmp}/.cache/fixmap}
LINUX_RAM_MB=1024

. "$(dirname "${BASH_SOURCE[0]}")/deb-lib.sh" # deb_sources

linux_fetch()
{
	LINUX_SUITE=${1:-bookworm}
	LINUX_WHY=
	case $LINUX_SUITE in
	bookworm | trixie) ;;
	*)
		LINUX_WHY="linux_fetch: unknown suite '$LINUX_SUITE' (bookworm or trixie)"
		return 1
		;;
	esac
	LINUX_DIR=$FIXMAP_CACHE/linux-$LINUX_SUITE
	LINUX_IMAGE=$LINUX_DIR/Image
	LINUX_CONFIG=$LINUX_DIR/config
	if [ -s "$LINUX_IMAGE" ] && [ -s "$LINUX_DIR/version" ]; then
		LINUX_VERSION=$(cat "$LINUX_DIR/version")
		return 0
	fi
	if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
		LINUX_WHY="apt-get and dpkg-deb are needed to download Debian's arm64 kernel"
		return 1
	fi
	mkdir -p "$LINUX_DIR" || { LINUX_WHY="cannot create $LINUX_DIR"; return 1; }
	(
		# One download at a time (tests and bench may run together).
		flock 9
		[ -s "$LINUX_DIR/Image" ] && [ -s "$LINUX_DIR/version" ] && exit 0
		a=$LINUX_DIR/apt
		rm -rf "$a"
		mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/dl" "$a/sources.d" ||
			exit 1
		: >"$a/status"
		deb_sources "$LINUX_SUITE" >"$a/sources.list"
		set -- -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
			-o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts="$a/sources.d" \
			-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" \
			-o Dir::State::status="$a/status" -o Debug::NoLocking=1 \
			-o APT::Sandbox::User="$(id -un)"
		apt-get "$@" update >"$a/update.log" 2>&1 ||
			{ echo "apt-get update for $LINUX_SUITE failed: $(grep -m1 -E '^(E|W):' "$a/update.log")"; exit 1; }
		# linux-image-arm64 depends on the current linux-image-VERSION-arm64
		# (trixie's may name the -unsigned package: either is the same Image).
		pkg=$(apt-cache "$@" depends linux-image-arm64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\(-unsigned\)\{0,1\}\)$/\1/p' | head -n1)
		[ -n "$pkg" ] || { echo "no linux-image-arm64 in $LINUX_SUITE's arm64 package lists"; exit 1; }
		(cd "$a/dl" && apt-get "$@" download "$pkg") >"$a/download.log" 2>&1 ||
			{ echo "apt-get download $pkg failed (see $a/download.log)"; exit 1; }
		deb=$(ls "$a/dl"/*.deb 2>/dev/null | head -n1)
		x=$LINUX_DIR/extract
		rm -rf "$x" && mkdir -p "$x"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards './boot/vmlinuz-*' './boot/config-*' ||
			{ echo "no boot/vmlinuz or boot/config in $deb"; exit 1; }
		img=$(ls "$x"/boot/vmlinuz-* | head -n1)
		# Debian's arm64 vmlinuz is a plain Image; accept a gzipped one too.
		if gzip -t "$img" 2>/dev/null; then
			gzip -dc "$img" >"$LINUX_DIR/Image.tmp"
		else
			cp "$img" "$LINUX_DIR/Image.tmp"
		fi
		cp "$x"/boot/config-* "$LINUX_DIR/config" &&
			mv "$LINUX_DIR/Image.tmp" "$LINUX_DIR/Image" &&
			basename "$deb" .deb >"$LINUX_DIR/version" || exit 1
		rm -rf "$x" "$a"
	) 9>"$LINUX_DIR/.lock" >"$LINUX_DIR/fetch.out" 2>&1
	if [ ! -s "$LINUX_IMAGE" ] || [ ! -s "$LINUX_DIR/version" ]; then
		LINUX_WHY="could not download Debian $LINUX_SUITE's arm64 kernel: $(tail -n1 "$LINUX_DIR/fetch.out")"
		return 1
	fi
	LINUX_VERSION=$(cat "$LINUX_DIR/version")
	return 0
}

linux_boot()
{
	local initrd=() wait_re= extra_append= nokaslr=" nokaslr" n limit
	local kvm=${LINUX_KVM-protected}
	while [ $# -gt 0 ]; do
		case $1 in
		-k) nokaslr=; shift ;;
		-i) initrd=(-initrd "$2"); shift 2 ;;
		-w) wait_re=$2; shift 2 ;;
		-a) extra_append=" $2"; shift 2 ;;
		*) echo "linux_boot: bad option $1" >&2; return 2 ;;
		esac
	done
	QEMU_SHM=$(mktemp "/dev/shm/fixmap-linux-$(id -u)-XXXXXXXX") || return 1
	QEMU_LOG=$(mktemp "${TMP:-/tmp}/fixmap-linux-XXXXXX.log") || return 1
	# qemu_launch (scripts/qemu-lib.sh) adds -nic none and the gdbstub
	QEMU_BIN=${LINUX_QEMU:-qemu-system-aarch64} qemu_launch "$QEMU_LOG" \
		-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on \
		-smp 2 -m "${LINUX_RAM_MB}M" -nographic -monitor none \
		-object "memory-backend-file,id=mem,size=${LINUX_RAM_MB}M,mem-path=$QEMU_SHM,share=on" \
		-machine memory-backend=mem -kernel "$LINUX_IMAGE" "${initrd[@]}" \
		-append "console=ttyAMA0 earlycon ${kvm:+kvm-arm.mode=$kvm }panic=0$nokaslr$extra_append" ||
		{ echo "linux_boot: QEMU did not start: $(tail -n3 "$QEMU_LOG")" >&2; return 1; }
	# Without -w the boot ends in a root-fs panic within seconds; allow for a
	# loaded machine.
	limit=$((${LINUX_BOOT_SECONDS:-300} * 10)) n=0
	while ! grep -q -E "${wait_re:-Kernel panic}" "$QEMU_LOG"; do
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			# It may have printed the line and powered off since the grep.
			grep -q -E "${wait_re:-Kernel panic}" "$QEMU_LOG" && break
			echo "linux_boot: QEMU exited: $(tail -n3 "$QEMU_LOG")" >&2
			return 1
		fi
		n=$((n + 1))
		[ $n -gt $limit ] && {
			echo "linux_boot: no line matching '${wait_re:-Kernel panic}' after $((limit / 10)) s" >&2
			return 1
		}
		sleep 0.1
	done
	[ -n "$wait_re" ] && return 0
	# nVHE on 6.1; 6.12 runs its hypervisor with E2H = 1 (hVHE) where the CPU can.
	if [ "$kvm" = protected ] &&
		! grep -q -E 'Protected [nh]VHE mode initialized successfully' "$QEMU_LOG"; then
		echo "linux_boot: protected KVM did not start: $(grep -m3 'kvm' "$QEMU_LOG")" >&2
		return 1
	fi
	return 0
}
