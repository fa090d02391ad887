#!/bin/sh
# The examples and the rule list in the manual pages are what fixmapctl prints
# (tests/man-examples.py; `tests/e2e/man-examples.sh --update` rewrites them).
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
exec python3 tests/man-examples.py "${FM:-$BUILD/fixmapctl}" "$@"
