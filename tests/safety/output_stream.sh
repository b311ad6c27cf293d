#!/bin/sh
# Non-regular outputs are streamed into, never renamed over: -o /dev/null leaves the device
# alone, a FIFO receives the complete MP4, -o - writes it to stdout (progress on stderr).
# Usage: output_stream.sh VSC DATA_DIR
. "$(dirname "$0")/../lib/harness.sh"
VSC=$1
reader=
cleanup() { [ -z "$reader" ] || kill "$reader" 2>/dev/null; }
cp "$2/tiny.vscript" "$WORK/"
S="$WORK/tiny.vscript"
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1" 2>/dev/null; }

# The reference render (a regular file).
rc=0; "$VSC" build "$S" --provider local --progress quiet 2>"$WORK/ref.log" || rc=$?
[ $rc -eq 0 ] || fail "reference build exited $rc: $(tail -3 "$WORK/ref.log")"
want=$(frames "$WORK/tiny.mp4")
[ "$want" = 30 ] || fail "reference has $want frames, expected 30"

# /dev/null stays a character device; the build succeeds and writes no manifest.
rc=0; "$VSC" build "$S" --provider local --progress plain -o /dev/null 2>"$WORK/null.log" || rc=$?
[ $rc -eq 0 ] || fail "-o /dev/null exited $rc: $(tail -3 "$WORK/null.log")"
[ -c /dev/null ] || fail "/dev/null is no longer a character device"
[ ! -e /dev/null.json ] || fail "a manifest was written beside /dev/null"
grep -q "^wrote /dev/null" "$WORK/null.log" || fail "no 'wrote /dev/null': $(tail -2 "$WORK/null.log")"

# A FIFO receives the whole video (the reader starts first, as a consumer would).
mkfifo "$WORK/pipe"
cat "$WORK/pipe" >"$WORK/from-fifo.mp4" &
reader=$!
rc=0; "$VSC" build "$S" --provider local --progress quiet -o "$WORK/pipe" 2>"$WORK/fifo.log" || rc=$?
# Never hang on a failure: release or stop the reader if vsc did not stream into the FIFO.
if [ ! -p "$WORK/pipe" ]; then kill "$reader" 2>/dev/null || true
elif [ $rc -ne 0 ]; then : >"$WORK/pipe"; fi
wait "$reader" || true
reader=
[ $rc -eq 0 ] || fail "-o FIFO exited $rc: $(tail -3 "$WORK/fifo.log")"
[ -p "$WORK/pipe" ] || fail "the FIFO was replaced"
cmp -s "$WORK/from-fifo.mp4" "$WORK/tiny.mp4" || fail "the FIFO delivered different bytes"
[ "$(frames "$WORK/from-fifo.mp4")" = "$want" ] || fail "the FIFO's MP4 does not decode to $want frames"
[ ! -e "$WORK/pipe.json" ] || fail "a manifest was written beside the FIFO"

# -o -: the MP4 on stdout, progress on stderr; edited script so that it really renders.
sed 's/"ONE"/"UNO"/' "$S" >"$WORK/edited.vscript"
rc=0; "$VSC" build "$WORK/edited.vscript" --provider local --progress plain -o - >"$WORK/stdout.mp4" 2>"$WORK/stdout.log" || rc=$?
[ $rc -eq 0 ] || fail "-o - exited $rc: $(tail -3 "$WORK/stdout.log")"
[ "$(frames "$WORK/stdout.mp4")" = "$want" ] || fail "stdout is not a $want-frame MP4"
grep -q "^ok: " "$WORK/stdout.log" || fail "no progress on stderr"
[ ! -e "$WORK/-" ] && [ ! -e "$WORK/-.json" ] && [ ! -e "./-" ] || fail "a file named '-' was written"
[ ! -e "$WORK/edited.mp4" ] || fail "-o - also wrote edited.mp4"
# Through a pipe too, byte for byte what the cache holds.
rc=0; "$VSC" build "$WORK/edited.vscript" --provider local --progress quiet -o - 2>/dev/null | cat >"$WORK/piped.mp4" || rc=$?
cmp -s "$WORK/piped.mp4" "$WORK/stdout.mp4" || fail "piped stdout differs"

finish
echo "ok"
