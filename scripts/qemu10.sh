#!/bin/sh
# QEMU 10 for the TCG plugin (fixmap-plugin.so needs plugin API version 4, which
# Debian 12's QEMU 7.2 does not have). Nothing is installed: Debian's
# bookworm-backports packages are unpacked into $FIXMAP_CACHE/qemu10 (default
# ~/.cache/fixmap/qemu10), once, with apt run on a private configuration (its
# own sources list, lists, cache and an empty dpkg status), so the system's
# QEMU and apt state stay untouched. The same as scripts/linux-lib.sh does for
# Debian's arm64 kernel.
#
#   qemu10.sh fetch     unpacks qemu-system-arm, -common and -data 10.x and
#                       writes the launcher $FIXMAP_CACHE/qemu10/qemu-system-aarch64
#   qemu10.sh header    downloads the source package's orig tarball and extracts
#                       include/qemu/qemu-plugin.h (GPL-2.0-or-later: fetched at
#                       build time, never committed); prints its directory
#   qemu10.sh bin       prints a qemu-system-aarch64 of version 10 or later:
#                       $FIXMAP_QEMU10 if set, the system's if it is new enough,
#                       else the unpacked one (fetching it first)
#
# Exit status 0 on success; 1 with the reason on stderr (offline, no apt).
#
# The launcher: an unpacked QEMU looks for its loadable modules first in
# $QEMU_MODULE_DIR and then in the fixed directory it was built with
# (util/module.c: Debian builds it non-relocatable, so that is the system's
# /usr/lib/x86_64-linux-gnu/qemu, where 7.2's modules are). A module that is
# missing from the first is taken from the second and refused there ("Only
# modules from the same build can be loaded"). The modules it tries are the
# audio drivers that audio_create_default_audiodevs() probes when no audio
# backend is given (audio-spice pulls ui-opengl): the launcher points
# QEMU_MODULE_DIR at the unpacked modules and adds `-audio none` unless the
# command line chooses audio itself. Firmware and data files come from the
# unpacked share/qemu (-L).
set -e

CACHE=${FIXMAP_CACHE:-${HOME:-/tmp}/.cache/fixmap}
DIR=$CACHE/qemu10
SUITE=bookworm-backports
MIRROR=${FIXMAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die()
{
	echo "qemu10: $*" >&2
	exit 1
}

# apt on a private configuration under $DIR/apt: sets "$@" for apt-get/apt-cache.
apt_setup()
{
	a=$DIR/apt
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/etc/sources.list.d"
	: >"$a/status"
	printf 'deb %s %s main\ndeb-src %s %s main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" \
		>"$a/etc/sources.list"
	APT_OPTS="-q -o Dir::Etc::SourceList=$a/etc/sources.list
		-o Dir::Etc::SourceParts=$a/etc/sources.list.d -o Dir::State::Lists=$a/lists
		-o Dir::Cache=$a/cache -o Dir::State::status=$a/status -o Debug::NoLocking=1
		-o APT::Sandbox::User=$(id -un)"
	candidate
	if [ -z "$VERSION" ]; then
		# shellcheck disable=SC2086
		apt-get $APT_OPTS update >"$a/update.log" 2>&1 ||
			die "apt-get update for $SUITE failed (offline?): $(tail -n1 "$a/update.log")"
		candidate
	fi
	case $VERSION in
	*:1[0-9].* | 1[0-9].*) ;;
	*) die "no qemu-system-arm 10 in $SUITE (candidate: ${VERSION:-none}; $(grep -m1 -E '^(E|W|Err):' "$a/update.log" 2>/dev/null))" ;;
	esac
}

# The version of qemu-system-arm the private lists offer (empty without lists).
candidate()
{
	# shellcheck disable=SC2086
	VERSION=$(apt-cache $APT_OPTS policy qemu-system-arm 2>/dev/null |
		sed -n 's/^ *Candidate: *\([^ ]*\)$/\1/p')
	[ "$VERSION" = "(none)" ] && VERSION=
	return 0
}

fetch()
{
	[ -x "$DIR/qemu-system-aarch64" ] && [ -s "$DIR/version" ] && return 0
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		die "apt-get and dpkg-deb are needed to unpack QEMU 10"
	mkdir -p "$DIR"
	(
		flock 9
		[ -x "$DIR/qemu-system-aarch64" ] && exit 0
		apt_setup
		dl=$DIR/apt/dl
		rm -rf "$dl" "$DIR/root.tmp" && mkdir -p "$dl" "$DIR/root.tmp"
		# shellcheck disable=SC2086
		(cd "$dl" && apt-get $APT_OPTS download "qemu-system-arm=$VERSION" \
			"qemu-system-common=$VERSION" "qemu-system-data=$VERSION") \
			>"$DIR/apt/download.log" 2>&1 ||
			die "apt-get download qemu-system-arm=$VERSION failed: $(tail -n1 "$DIR/apt/download.log")"
		for deb in "$dl"/*.deb; do
			dpkg-deb -x "$deb" "$DIR/root.tmp" || die "cannot unpack $deb"
		done
		rm -rf "$DIR/root" && mv "$DIR/root.tmp" "$DIR/root"
		r=$DIR/root
		"$r/usr/bin/qemu-system-aarch64" --version >/dev/null 2>"$DIR/ldd.log" ||
			die "the unpacked QEMU does not run: $(head -n1 "$DIR/ldd.log")"
		cat >"$DIR/qemu-system-aarch64.tmp" <<EOF
#!/bin/sh
# QEMU $VERSION from $SUITE, unpacked by fixmap's scripts/qemu10.sh (see there).
audio="-audio none"
for a in "\$@"; do
	case \$a in -audio | -audiodev | -audio=* | -audiodev=*) audio= ;; esac
done
QEMU_MODULE_DIR=$r/usr/lib/x86_64-linux-gnu/qemu
export QEMU_MODULE_DIR
# shellcheck disable=SC2086
exec $r/usr/bin/qemu-system-aarch64 -L $r/usr/share/qemu \$audio "\$@"
EOF
		chmod +x "$DIR/qemu-system-aarch64.tmp"
		mv "$DIR/qemu-system-aarch64.tmp" "$DIR/qemu-system-aarch64"
		echo "$VERSION" >"$DIR/version"
		rm -rf "$dl"
	) 9>"$DIR/.lock"
	[ -x "$DIR/qemu-system-aarch64" ] || die "QEMU 10 was not unpacked"
}

header()
{
	h=$DIR/include/qemu-plugin.h
	failed=$DIR/header.failed
	[ -s "$h" ] || command -v xz >/dev/null ||
		die "xz is needed to unpack the qemu source for qemu-plugin.h (apt-get install xz-utils)"
	# Offline, every make would wait for apt again: a failure is kept an hour.
	if [ ! -s "$h" ] && [ -n "$(find "$failed" -mmin -60 2>/dev/null)" ]; then
		die "fetching qemu-plugin.h failed less than an hour ago ($(cat "$failed"))"
	fi
	if [ ! -s "$h" ]; then
		command -v apt-get >/dev/null || die "apt-get is needed to fetch qemu-plugin.h"
		mkdir -p "$DIR"
		(
			flock 9
			[ -s "$h" ] && exit 0
			apt_setup
			src=$DIR/apt/src
			rm -rf "$src" && mkdir -p "$src"
			# Only the orig tarball is needed; apt checks its hash. The mirror
			# may lack the Debian-revision files, so judge by the tarball.
			# shellcheck disable=SC2086
			(cd "$src" && apt-get $APT_OPTS source --download-only "qemu=$VERSION") \
				>"$DIR/apt/source.log" 2>&1 || true
			tarball=$(ls "$src"/qemu_*.orig.tar.* 2>/dev/null | head -n1)
			[ -n "$tarball" ] ||
				die "cannot download the qemu $VERSION source: $(tail -n1 "$DIR/apt/source.log")"
			mkdir -p "$DIR/include"
			tar -xf "$tarball" -O --wildcards '*/include/qemu/qemu-plugin.h' >"$h.tmp" ||
				die "no include/qemu/qemu-plugin.h in $tarball"
			[ -s "$h.tmp" ] || die "empty qemu-plugin.h in $tarball"
			mv "$h.tmp" "$h"
			rm -rf "$src"
		) 9>"$DIR/.lock" 2>"$DIR/header.err" || true
		if [ ! -s "$h" ]; then
			tail -n1 "$DIR/header.err" | sed "s/^qemu10: //" >"$failed"
			die "$(cat "$failed")"
		fi
		rm -f "$failed"
	fi
	echo "$DIR/include"
}

# Major version of a qemu-system-aarch64 (empty if it does not run).
qemu_major()
{
	"$1" --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p' | head -n1
}

bin()
{
	if [ -n "$FIXMAP_QEMU10" ]; then
		echo "$FIXMAP_QEMU10"
		return 0
	fi
	sys=$(command -v qemu-system-aarch64 || true)
	if [ -n "$sys" ] && [ "$(qemu_major "$sys")" -ge 10 ] 2>/dev/null; then
		echo "$sys"
		return 0
	fi
	fetch
	echo "$DIR/qemu-system-aarch64"
}

case $1 in
fetch) fetch ;;
header) header ;;
bin) bin ;;
*) die "usage: qemu10.sh fetch|header|bin" ;;
esac
