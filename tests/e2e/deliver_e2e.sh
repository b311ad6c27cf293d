#!/bin/sh
# Delivery end to end: `vsc build` of a short 640x360 script with `deliver youtube { … }`, then
#   - ffprobe: H.264 High, the level the checker chose (3), a keyframe every 0.5 s (YouTube's
#     half the frame rate), the picture under its cap, AAC; the index (moov) before the media;
#   - the ffmpeg program's ebur128 (peak=true): integrated loudness at the target and the
#     true peak under the -1 dBTP ceiling;
#   - `vsc plan` shows the deliver line, the manifest records video.deliver;
#   - changing only the loudness re-runs the sound track and the mux, nothing else; changing
#     the cap re-encodes the picture but the generated clip and the speech stay cached;
#   - broadcast: -23 LUFS and -1 dBTP on the MP4, keyframes every 12 frames at 25 fps;
#   - a max_size the video cannot meet stops at check with the error at the size, and a mux
#     asked for less than the file takes fails (exit 5) and exports nothing.
#   deliver_e2e.sh VSC
set -eu
vsc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
src="$tmp/drop.vscript"
write() {
  cat >"$src" <<EOS
video "Deliver e2e" {
  size 640x360 fps 30 length 3s
  deliver youtube { crf 14 maxrate $1 loudness $2 }
  scene hero (3s) {
    shot video "a red sneaker spinning on a pedestal, studio light" camera push-in
    voice "Fresh drop. Out this Friday, grab yours now." at 0.2s
  }
}
EOS
}
build() { "$vsc" build "$src" --provider local --cache "$tmp/cache" -o "$tmp/out.mp4" --progress plain --jobs 2 >"$tmp/log" 2>&1 || {
  cat "$tmp/log"; fail "vsc build exited $?"; }; }
ran() { grep -E '^done +[a-z]+ ' "$tmp/log" | awk '{print $2}' | sort -u | tr '\n' ' '; }
probe() { ffprobe -v error -select_streams "$1" -show_entries "$2" -of default=nw=1:nk=1 "$tmp/out.mp4" | head -1; }

write 600k -14
build
[ "$(probe v:0 stream=profile)" = High ] || fail "profile $(probe v:0 stream=profile), want High"
[ "$(probe v:0 stream=level)" = 30 ] || fail "level $(probe v:0 stream=level), want 30 (3.0)"
[ "$(probe a:0 stream=codec_name)" = aac ] || fail "audio codec $(probe a:0 stream=codec_name)"
# Keyframes: exactly every 15 frames (0.5 s at 30 fps), however the body was cut into chunks.
keys=$(ffprobe -v error -select_streams v:0 -show_entries frame=key_frame -of csv=p=0 "$tmp/out.mp4" |
  awk -F, '/^[01]/ { if ($1 == 1) printf "%d,", n; n++ }')
[ "$keys" = "0,15,30,45,60,75," ] || fail "keyframes at $keys, want every 15 frames"
# The cap: the picture's bytes over its length, with the VBV buffer's slack for each segment start.
bits=$(ffprobe -v error -select_streams v:0 -show_entries packet=size -of csv=p=0 "$tmp/out.mp4" | awk '{s += $1} END {print s * 8}')
awk -v b="$bits" 'BEGIN { exit !(b / 3 <= 600000 * 1.1) }' || fail "picture at $(awk -v b="$bits" 'BEGIN{print b/3}') bit/s over the 600k cap"
# faststart: the first top-level box after ftyp is moov.
second=$(od -A n -t x1 -j "$(od -A n -t u4 --endian=big -N 4 "$tmp/out.mp4" | tr -d ' ')" -N 8 "$tmp/out.mp4" | tr -d ' \n')
case $second in *6d6f6f76) ;; *) fail "the box after ftyp is $second, not moov" ;; esac
ffmpeg -nostats -hide_banner -i "$tmp/out.mp4" -af ebur128=peak=true -f null - >"$tmp/r128" 2>&1
I=$(awk '/Summary:/ {s = 1} s && /I:/ {print $2}' "$tmp/r128")
TP=$(awk '/True peak:/ {s = 1} s && /Peak:/ {print $2}' "$tmp/r128")
awk -v i="$I" 'BEGIN { exit !(i >= -15 && i <= -13) }' || fail "loudness $I LUFS, want -14 +- 1"
awk -v p="$TP" 'BEGIN { exit !(p <= -0.95) }' || fail "true peak $TP dBTP over the -1 ceiling"
"$vsc" plan "$src" 2>/dev/null | grep -q '^deliver youtube: H.264 high profile level 3, crf 14, max 600k, keyframe every 0.5s, -14 LUFS, true peak -1 dBTP, AAC 384k, faststart$' ||
  { "$vsc" plan "$src"; fail "vsc plan has no deliver line"; }
grep -q '"preset": "youtube"' "$tmp/out.mp4.json" || fail "the manifest does not record the delivery"
echo "youtube: High@3.0, keyframes $keys $(awk -v b="$bits" 'BEGIN{printf "%.0f", b/3}') bit/s, $I LUFS, $TP dBTP"

# The loudness is the sound track's and the mux's business only.
write 600k -16
build
[ "$(ran)" = "audio mux " ] || fail "a loudness change ran: $(ran)"
ffmpeg -nostats -hide_banner -i "$tmp/out.mp4" -af ebur128=peak=true -f null - >"$tmp/r128" 2>&1
I=$(awk '/Summary:/ {s = 1} s && /I:/ {print $2}' "$tmp/r128")
awk -v i="$I" 'BEGIN { exit !(i >= -17 && i <= -15) }' || fail "loudness $I LUFS, want -16 +- 1"
# The cap re-encodes the picture; the generated clip and the speech stay cached.
write 400k -16
build
case $(ran) in *generate* | *tts*) fail "a cap change generated again: $(ran)" ;; *segment*) ;; *) fail "a cap change did not re-encode: $(ran)" ;; esac
echo "changes: loudness ran audio+mux, cap ran $(ran)"

# Broadcast: EBU R128's -23 LUFS and -1 dBTP on the finished MP4, a keyframe every 12 frames
# (0.5 s at 25 fps).
cat >"$tmp/bc.vscript" <<EOS
video "Broadcast e2e" {
  size 640x360 fps 25 length 2s
  deliver broadcast
  scene one (2s) { shot color #203040 voice "Good evening, and welcome." at 0.1s }
}
EOS
"$vsc" build "$tmp/bc.vscript" --provider local --cache "$tmp/cache" -o "$tmp/bc.mp4" --progress plain >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "broadcast build"; }
keys=$(ffprobe -v error -select_streams v:0 -show_entries frame=key_frame -of csv=p=0 "$tmp/bc.mp4" |
  awk -F, '/^[01]/ { if ($1 == 1) printf "%d,", n; n++ }')
[ "$keys" = "0,12,24,36,48," ] || fail "broadcast keyframes at $keys, want every 12 frames"
ffmpeg -nostats -hide_banner -i "$tmp/bc.mp4" -af ebur128=peak=true -f null - >"$tmp/r128" 2>&1
I=$(awk '/Summary:/ {s = 1} s && /I:/ {print $2}' "$tmp/r128")
TP=$(awk '/True peak:/ {s = 1} s && /Peak:/ {print $2}' "$tmp/r128")
awk -v i="$I" 'BEGIN { exit !(i >= -23.5 && i <= -22.5) }' || fail "broadcast loudness $I LUFS, want -23 +- 0.5"
awk -v p="$TP" 'BEGIN { exit !(p <= -0.95) }' || fail "broadcast true peak $TP dBTP over -1"
echo "broadcast: keyframes $keys $I LUFS, $TP dBTP"

# A max_size the length cannot meet is a check error at the size.
sed -i 's/deliver youtube {/deliver youtube { max_size 100KB/' "$src"
if "$vsc" check "$src" >"$tmp/check" 2>&1; then fail "max_size 100KB passed the check"; fi
grep -q "drop.vscript:3:30: error: max_size 0.1MB cannot hold 3s of video: the sound alone" "$tmp/check" || { cat "$tmp/check"; fail "max_size error"; }
# The runtime holds the line too: an IR whose mux allows less than the video takes (its id
# recomputed, as the reader checks ids) fails at the mux and leaves no MP4 and no manifest.
write 600k -14
(cd "$tmp" && "$vsc" ir drop.vscript 2>/dev/null) >"$tmp/ir.json"
python3 - "$tmp/ir.json" "$tmp/small.json" <<'EOP'
import hashlib, json, sys
ir = json.load(open(sys.argv[1]))
for n in ir["nodes"]:
    if n["op"] == "mux":
        n["params"]["max_size"] = 50000
        key = {"inputs": n["inputs"], "op": "mux", "params": n["params"], "model": n.get("model")}
        n["id"] = hashlib.sha256(json.dumps(key, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        ir["outputs"]["video"] = n["id"]
json.dump(ir, open(sys.argv[2], "w"), indent=2, sort_keys=True)
EOP
rc=0
(cd "$tmp" && "$vsc" run small.json --provider local --cache cache -o small.mp4 --progress plain) >"$tmp/log" 2>&1 || rc=$?
[ "$rc" = 5 ] || { cat "$tmp/log"; fail "a mux over max_size exited $rc, want 5"; }
grep -q "over its max_size of 0.05 MB" "$tmp/log" || { cat "$tmp/log"; fail "no max_size message"; }
[ ! -e "$tmp/small.mp4" ] && [ ! -e "$tmp/small.mp4.json" ] || fail "a file over max_size was exported"
echo "max_size: the runtime refused the oversized MP4"
echo "deliver_e2e: ok"
