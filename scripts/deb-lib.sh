# Debian's arm64 packages for tests, the demo and bench: downloaded once into
# ${FIXMAP_CACHE:-~/.cache/fixmap}, unpacked, never installed. Sourced (bash).
#
#   deb_sources SUITE
#                   prints the private sources list of a suite: its main,
#                   -updates and -security archives, arm64 only
#   deb_fetch SUITE PACKAGE[=PATH,...]...
#                   downloads the current version of each PACKAGE (arm64 or
#                   all) of Debian SUITE (bookworm, trixie) and unpacks it into
#                   $FIXMAP_CACHE/debian-SUITE/root: all of it, or the PATHs
#                   given (tar patterns, such as ./usr/share/qemu-efi-aarch64/*:
#                   qemu-efi-aarch64 also holds 256 MiB of padded images the
#                   tests do not use). apt runs on
#                   a private configuration (its own sources list, lists, cache
#                   and an empty dpkg status, APT::Architecture=arm64), so the
#                   host's apt state and architectures are untouched; the lists
#                   are kept for the next package. Parallel callers wait for one
#                   another (flock). A package unpacked once is kept until the
#                   folder is removed: tests see the same files every run. Sets
#                   DEB_ROOT and DEB_VERSIONS (one package_version per line), or
#                   returns 1 with the reason in DEB_WHY (offline, no apt).

FIXMAP_CACHE=${FIXMAP_CACHE:-${HOME:-/tmp}/.cache/fixmap}

deb_sources()
{
	local k=/usr/share/keyrings/debian-archive-keyring.gpg o=arch=arm64
	[ -r "$k" ] && o="$o signed-by=$k"
	echo "deb [$o] http://deb.debian.org/debian $1 main"
	echo "deb [$o] http://deb.debian.org/debian $1-updates main"
	echo "deb [$o] http://deb.debian.org/debian-security $1-security main"
}

deb_fetch()
{
	local suite=$1 dir missing=() p
	shift
	DEB_WHY=
	case $suite in
	bookworm | trixie) ;;
	*)
		DEB_WHY="deb_fetch: unknown suite '$suite' (bookworm or trixie)"
		return 1
		;;
	esac
	dir=$FIXMAP_CACHE/debian-$suite
	DEB_ROOT=$dir/root
	for p in "$@"; do
		[ -s "$dir/pkgs/${p%%=*}" ] || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
			DEB_WHY="apt-get and dpkg-deb are needed to download Debian's arm64 packages"
			return 1
		fi
		mkdir -p "$dir/pkgs" || { DEB_WHY="cannot create $dir"; return 1; }
		(
			flock 9
			a=$dir/apt
			mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/sources.d" || exit 1
			: >"$a/status"
			deb_sources "$suite" >"$a/sources.list"
			set -- -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
				-o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts="$a/sources.d" \
				-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" \
				-o Dir::State::status="$a/status" -o Debug::NoLocking=1 \
				-o APT::Sandbox::User="$(id -un)"
			if [ -z "$(ls "$a/lists" 2>/dev/null | grep -v partial)" ]; then
				apt-get "$@" update >"$a/update.log" 2>&1 ||
					{ echo "apt-get update for $suite failed: $(grep -m1 -E '^(E|W):' "$a/update.log")"; exit 1; }
			fi
			for spec in "${missing[@]}"; do
				p=${spec%%=*} paths=()
				[ "$spec" != "$p" ] && IFS=, read -r -a paths <<<"${spec#*=}"
				[ -s "$dir/pkgs/$p" ] && continue
				rm -rf "$a/dl" && mkdir -p "$a/dl" || exit 1
				# Lists from an earlier run may name a version the archive no longer has.
				(cd "$a/dl" && apt-get "$@" download "$p") >"$a/download.log" 2>&1 ||
					{ apt-get "$@" update >"$a/update.log" 2>&1 &&
						(cd "$a/dl" && apt-get "$@" download "$p") >"$a/download.log" 2>&1; } ||
					{ echo "apt-get download $p failed: $(grep -m1 -E '^(E|W):' "$a/download.log" "$a/update.log")"; exit 1; }
				deb=$(ls "$a/dl"/*.deb 2>/dev/null | head -n1)
				mkdir -p "$dir/root" &&
					dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" --wildcards "${paths[@]}" ||
					{ echo "unpacking $deb${paths[*]:+ (${paths[*]})} failed"; exit 1; }
				basename "$deb" .deb >"$dir/pkgs/$p"
				rm -rf "$a/dl"
			done
		) 9>"$dir/.lock" >"$dir/fetch.out" 2>&1
		for p in "${missing[@]%%=*}"; do
			if [ ! -s "$dir/pkgs/$p" ]; then
				DEB_WHY="could not download Debian $suite's $p: $(tail -n1 "$dir/fetch.out")"
				return 1
			fi
		done
	fi
	DEB_VERSIONS=$(for p in "$@"; do cat "$dir/pkgs/${p%%=*}"; done)
	return 0
}
