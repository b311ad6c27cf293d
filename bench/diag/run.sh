#!/bin/sh
# Check-time bench: `vsc check` on ten hostile inputs at N and 10N (docs/diagnostics.md,
# "Linear time"), as the diag.linear_time test runs it. Prints each input's least user CPU
# time of three runs and the ratio of the work beyond start-up (target: at most 12).
#   usage: bench/diag/run.sh [BUILD_DIR] [PATTERN]     (default: build, every pattern)
set -eu
BUILD=${1:-build}
[ -x "$BUILD/tests/mistakes/linear_time" ] && [ -x "$BUILD/cli/vsc" ] ||
  { echo "run.sh: build the vsc and linear_time targets first" >&2; exit 1; }
exec "$BUILD/tests/mistakes/linear_time" "$BUILD/cli/vsc" ${2:+"$2"}
