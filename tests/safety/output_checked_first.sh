#!/bin/sh
# The output location is checked before any paid work: a missing or unusable directory, or a
# refused target, stops the build before the provider is called once (counted in the test
# provider's call log). The API token appears in no file vsc writes.
# Usage: output_checked_first.sh VSC DATA_DIR
. "$(dirname "$0")/../lib/harness.sh"
VSC=$1
cp "$2/tiny.vscript" "$WORK/"
S="$WORK/tiny.vscript"
ffmpeg -v error -f lavfi -i testsrc=size=320x180:rate=10:duration=5 -pix_fmt yuv420p "$WORK/clip.mp4"
ffmpeg -v error -f lavfi -i testsrc=size=320x180:rate=1:duration=1 -frames:v 1 "$WORK/still.png"
ffmpeg -v error -f lavfi -i sine=frequency=440:duration=3 -ar 48000 "$WORK/tone.wav"
FIX="{\"kind\":\"video\",\"output\":\"$WORK/clip.mp4\"},{\"kind\":\"image\",\"output\":\"$WORK/still.png\"},{\"kind\":\"music\",\"output\":\"$WORK/tone.wav\"},{\"kind\":\"tts\",\"output\":\"$WORK/tone.wav\"}"
export VSC_TEST_PROVIDER="{\"latency\":0.02,\"log\":\"$WORK/calls.jsonl\",\"state\":\"$WORK/server\",\"rules\":[$FIX]}"
TOKEN=r8_SAFETYtestTOKEN0123456789
export REPLICATE_API_TOKEN=$TOKEN
calls() { if [ -f "$WORK/calls.jsonl" ]; then grep -c '"call":"start"' "$WORK/calls.jsonl" || true; else echo 0; fi; }

stopped() { # stopped WHAT CODE MESSAGE -o PATH...: the build fails with CODE before any call
  what=$1 code=$2 msg=$3; shift 3
  rc=0; "$VSC" build "$S" --provider test --progress plain "$@" 2>"$WORK/log" || rc=$?
  [ $rc -eq "$code" ] || fail "$what: exit $rc, expected $code: $(tail -2 "$WORK/log")"
  grep -q "^vsc: output .*$msg" "$WORK/log" || fail "$what: unclear error: $(cat "$WORK/log")"
  [ "$(calls)" = 0 ] || fail "$what: $(calls) provider call(s) before the output was refused"
  [ ! -d "$WORK/.vsc/objects" ] || fail "$what: the run started (a cache was made)"
}
stopped "missing directory" 5 "its directory: No such file or directory" -o "$WORK/missing/out.mp4"
echo "a file" >"$WORK/afile"
stopped "directory is a file" 5 "Not a directory" -o "$WORK/afile/out.mp4"
echo "mine" >"$WORK/mine.mp4"
stopped "user's file" 1 "vsc did not write it" -o "$WORK/mine.mp4"
if [ "$(id -u)" != 0 ]; then
  mkdir "$WORK/ro" && chmod 555 "$WORK/ro"
  stopped "read-only directory" 5 "cannot create a file there" -o "$WORK/ro/out.mp4"
fi
ls -A "$WORK" | grep -q vsc-tmp && fail "a probe file was left: $(ls -A "$WORK")"

# The same build with a good -o does call the provider (the count above means something).
rc=0; "$VSC" build "$S" --provider test --progress plain -o "$WORK/good.mp4" 2>"$WORK/good.log" || rc=$?
[ $rc -eq 0 ] || fail "good build exited $rc: $(tail -3 "$WORK/good.log")"
[ "$(calls)" -ge 2 ] || fail "expected >= 2 provider calls, got $(calls)"

# No file vsc wrote holds the token.
if grep -rl "$TOKEN" "$WORK" >"$WORK/leaks" 2>/dev/null; then fail "the token is in: $(cat "$WORK/leaks")"; fi
if grep -q "$TOKEN" "$WORK/good.log"; then fail "the token was printed"; fi

finish
echo "ok"
