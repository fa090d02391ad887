# A real third-party target: Debian's arm64 Linux kernel under QEMU with
# protected KVM, for tests/e2e/linux-*.sh and bench/dump.sh. Sourced after
# scripts/qemu-lib.sh (bash).
#
#   linux_fetch     downloads Debian's arm64 kernel package once into
#                   $FIXMAP_CACHE (default ~/.cache/fixmap) and extracts the
#                   Image; sets LINUX_IMAGE and LINUX_VERSION, or returns 1 with
#                   the reason in LINUX_WHY. Nothing is installed: apt runs with a
#                   private configuration (APT::Architecture=arm64, its own lists,
#                   cache and an empty dpkg status), so the host's apt state and
#                   architectures are untouched.
#   linux_boot      boots it (2 CPUs, 1 GiB, kvm-arm.mode=protected nokaslr) with a
#                   gdbstub and guest RAM in a /dev/shm file, and waits until the
#                   kernel has finished booting (its root-fs panic), when its EL2,
#                   EL1 and host stage-2 tables are all live; sets QEMU_PID,
#                   QEMU_PORT, QEMU_SHM, QEMU_LOG like qemu_start (qemu_stop ends it).

#   linux_fetch SUITE  (trixie) takes the suite's kernel from
#                   $FIXMAP_CACHE/linux-SUITE/Image when it is there.
#   LINUX_QEMU      the QEMU binary linux_boot runs (default qemu-system-aarch64);
#   LINUX_KVM       the kvm-arm.mode= linux_boot asks for (default protected;
#                   empty: a VHE host, whose own tables are the EL2&0 regime's).

FIXMAP_CACHE=${FIXMAP_CACHE:-${HOME:-/tmp}/.cache/fixmap}
LINUX_DIR=$FIXMAP_CACHE/linux
LINUX_RAM_MB=1024

linux_fetch()
{
	LINUX_WHY=
	if [ -n "$1" ] && [ "$1" != bookworm ]; then
		if [ -s "$FIXMAP_CACHE/linux-$1/Image" ] && [ -s "$FIXMAP_CACHE/linux-$1/version" ]; then
			LINUX_IMAGE=$FIXMAP_CACHE/linux-$1/Image
			LINUX_VERSION=$(cat "$FIXMAP_CACHE/linux-$1/version")
			return 0
		fi
		LINUX_WHY="no $1 kernel in $FIXMAP_CACHE/linux-$1"
		return 1
	fi
	if [ -s "$LINUX_DIR/Image" ] && [ -s "$LINUX_DIR/version" ]; then
		LINUX_IMAGE=$LINUX_DIR/Image
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
		[ -s "$LINUX_DIR/Image" ] && exit 0
		a=$LINUX_DIR/apt
		mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/dl" || exit 1
		: >"$a/status"
		set -- -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
			-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" \
			-o Dir::State::status="$a/status" -o Debug::NoLocking=1 \
			-o APT::Sandbox::User="$(id -un)"
		apt-get "$@" update >"$a/update.log" 2>&1 || { echo "apt-get update failed (see $a/update.log)"; exit 1; }
		# linux-image-arm64 depends on the current linux-image-VERSION-arm64.
		pkg=$(apt-cache "$@" depends linux-image-arm64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -n1)
		[ -n "$pkg" ] || { echo "no linux-image-arm64 in the arm64 package lists"; exit 1; }
		rm -f "$a/dl"/*.deb
		(cd "$a/dl" && apt-get "$@" download "$pkg") >"$a/download.log" 2>&1 ||
			{ echo "apt-get download $pkg failed (see $a/download.log)"; exit 1; }
		deb=$(ls "$a/dl"/*.deb 2>/dev/null | head -n1)
		x=$LINUX_DIR/extract
		rm -rf "$x" && mkdir -p "$x"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards './boot/vmlinuz-*' ||
			{ echo "no boot/vmlinuz in $deb"; exit 1; }
		img=$(ls "$x"/boot/vmlinuz-* | head -n1)
		# Debian's arm64 vmlinuz is a plain Image; accept a gzipped one too.
		if gzip -t "$img" 2>/dev/null; then
			gzip -dc "$img" >"$LINUX_DIR/Image.tmp"
		else
			cp "$img" "$LINUX_DIR/Image.tmp"
		fi
		mv "$LINUX_DIR/Image.tmp" "$LINUX_DIR/Image"
		basename "$deb" .deb >"$LINUX_DIR/version"
		rm -rf "$x" "$a"
	) 9>"$LINUX_DIR/.lock" >"$LINUX_DIR/fetch.out" 2>&1
	if [ ! -s "$LINUX_DIR/Image" ]; then
		LINUX_WHY="could not download Debian's arm64 kernel: $(tail -n1 "$LINUX_DIR/fetch.out")"
		return 1
	fi
	LINUX_IMAGE=$LINUX_DIR/Image
	LINUX_VERSION=$(cat "$LINUX_DIR/version")
	return 0
}

linux_boot()
{
	local kvm=${LINUX_KVM-protected} n
	QEMU_SHM=$(mktemp "/dev/shm/fixmap-linux-$(id -u)-XXXXXXXX") || return 1
	QEMU_LOG=$(mktemp "${TMP:-/tmp}/fixmap-linux-XXXXXX.log") || return 1
	QEMU_BIN=${LINUX_QEMU:-qemu-system-aarch64} qemu_launch "$QEMU_LOG" \
		-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on \
		-smp 2 -m "${LINUX_RAM_MB}M" -nographic -monitor none \
		-object "memory-backend-file,id=mem,size=${LINUX_RAM_MB}M,mem-path=$QEMU_SHM,share=on" \
		-machine memory-backend=mem -kernel "$LINUX_IMAGE" \
		-append "console=ttyAMA0 earlycon ${kvm:+kvm-arm.mode=$kvm }nokaslr panic=0" ||
		{ echo "linux_boot: QEMU did not start: $(tail -n3 "$QEMU_LOG")" >&2; return 1; }
	# The boot ends in a root-fs panic within seconds; allow for a loaded machine.
	n=0
	while ! grep -q 'Kernel panic' "$QEMU_LOG"; do
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then
			echo "linux_boot: QEMU exited: $(tail -n3 "$QEMU_LOG")" >&2
			return 1
		fi
		n=$((n + 1))
		[ $n -gt 3000 ] && { echo "linux_boot: no kernel panic (the end of its boot) within 300 s" >&2; return 1; }
		sleep 0.1
	done
	if [ "$kvm" = protected ] && ! grep -q 'Protected [nh]*VHE mode initialized successfully' "$QEMU_LOG"; then
		echo "linux_boot: protected KVM did not start: $(grep -m3 'kvm' "$QEMU_LOG")" >&2
		return 1
	fi
	return 0
}
