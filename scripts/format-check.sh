#!/bin/sh
# Checks that every git-tracked C file is formatted as .clang-format says, with Debian's
# clang-format (scripts/setup.sh installs it; other versions may format differently).
# Generated code never enters git; the generated files that do, the beat
# and bar models' weights (media/audio/beatnet_weights.c and barnet_weights.c, written by
# tests/audio/train_*.py), are data and are left out.
#   sh scripts/format-check.sh          list every file that differs, exit 1 if any does
#   sh scripts/format-check.sh --fix    rewrite those files in place
set -eu
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
  echo "format-check: clang-format not found (run scripts/setup.sh)" >&2
  exit 1
fi
files=$(git ls-files '*.c' '*.h' | grep -Ev '/(beatnet|barnet)_weights\.c$')
if [ "${1:-}" = "--fix" ]; then
  # clang-format 14 settles a few lines (a case label with a nested ?:) only on a second pass.
  for pass in 1 2 3; do
    printf '%s\n' $files | xargs clang-format -i
    printf '%s\n' $files | xargs clang-format --dry-run -Werror 2>/dev/null && exit 0
  done
  echo "format-check: clang-format does not settle on some file; run it again" >&2
  exit 1
fi
if printf '%s\n' $files | xargs clang-format --dry-run -Werror 2>/dev/null; then
  echo "format-check: $(printf '%s\n' $files | wc -l) files formatted as .clang-format says"
  exit 0
fi
bad=0
for f in $files; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "format-check: $f differs from .clang-format (sh scripts/format-check.sh --fix)" >&2
    bad=$((bad + 1))
  fi
done
echo "format-check: $bad file(s) not formatted" >&2
exit 1
