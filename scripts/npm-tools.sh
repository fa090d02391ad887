#!/bin/bash
# The npm packages that tests use as real consumers of fixmapctl's output,
# installed once into $FIXMAP_CACHE/npm (default ~/.cache/fixmap/npm), never
# into the repository:
#   speedscope                   imports Chrome trace-event JSON (export --perfetto),
#                                run in Debian's headless Chromium
#   @microsoft/sarif-multitool   validates SARIF 2.1.0 (lint --sarif): the schema
#                                and the SARIF validation rules
# Prints the directory (its node_modules/ holds them); on failure prints the
# reason on stderr and exits 1. Parallel runs wait for one another (flock).
set -u
FIXMAP_CACHE=${FIXMAP_CACHE:-${HOME:-/tmp}/.cache/fixmap}
DIR=$FIXMAP_CACHE/npm
PKGS="speedscope@1.25.0 @microsoft/sarif-multitool@5.7.0"
STAMP=$DIR/installed
command -v npm >/dev/null || { echo "npm is not installed" >&2; exit 1; }
mkdir -p "$DIR" || { echo "cannot create $DIR" >&2; exit 1; }
(
	flock 9
	[ "$(cat "$STAMP" 2>/dev/null)" = "$PKGS" ] && exit 0
	rm -f "$STAMP"
	# shellcheck disable=SC2086
	timeout 600 npm install --prefix "$DIR" --no-package-lock --no-save --no-audit --no-fund \
		--loglevel=error $PKGS >"$DIR/install.log" 2>&1 || exit 1
	# npm may skip the package's own postinstall (chmod u+x): do it here.
	chmod u+x "$DIR"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool 2>/dev/null
	echo "$PKGS" >"$STAMP"
) 9>"$DIR/.lock"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$PKGS" ]; then
	echo "npm install of $PKGS failed: $(tail -n 3 "$DIR/install.log" 2>/dev/null | tr '\n' ' ')" >&2
	exit 1
fi
echo "$DIR"
