# tests/lib/harness.sh — what the shell tests share. Source it first:
#   . "$(dirname "$0")/../lib/harness.sh"
# It sets -eu and gives
#   WORK          a fresh directory under $TMPDIR, removed on exit (made writable first),
#                 after the script's own cleanup() when it defines one
#   fail MESSAGE  reports "FAIL: MESSAGE" on stderr and counts it
#   finish        the last line: exits 1 when anything failed
set -eu
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsc-$(basename "$0" .sh).XXXXXX")
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
finish() { [ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }; }
harness_exit() {
  if command -v cleanup >/dev/null 2>&1; then cleanup || :; fi
  chmod -R u+w "$WORK" 2>/dev/null || :
  rm -rf "$WORK"
}
trap harness_exit EXIT
