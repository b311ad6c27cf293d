#!/bin/sh
# File facts (base/file/facts.c): a build keeps each named file's hash and probe in its cache
# (files/), the next compile uses them while the file keeps its identity, and takes them
# again when it changed. A check never creates a cache; a file changed in the last two
# seconds is hashed but not remembered.
# Usage: facts.sh VSC
. "$(dirname "$0")/../lib/harness.sh"
VSC=$1
cd "$WORK"
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=s=160x90:r=25:d=1" -c:v libx264 -pix_fmt yuv420p -y clip.mp4
ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=440:duration=2" -y music.wav
touch -d '2026-01-01 00:00:00' clip.mp4 music.wav
cat > s.vscript <<'VS'
video "facts" {
  size 160x90  fps 25
  provider local
  music "music.wav" { tempo 120 }
  scene one { shot file "clip.mp4" }
}
VS
# jget FILE EXPR: a Python expression over the JSON file's value `j`, printed compactly.
jget() { /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); v = eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$1" "$2"; }
# The sha256 the IR records for the asset at PATH.
ir_sha() { "$VSC" ir s.vscript > ir.json 2>/dev/null; jget ir.json "[n['params']['sha256'] for n in j['nodes'] if n['op'] == 'asset' and n['params']['path'] == '$1'][0]"; }
fact_file() { grep -l "\"identity\":\"$WORK/$1 " .vsc/files/*.json 2>/dev/null || true; }

"$VSC" check s.vscript >/dev/null 2>&1 || fail "check failed"
[ ! -e .vsc ] || fail "check created a cache"

"$VSC" build s.vscript >/dev/null 2>&1 || fail "build failed"
[ "$(ls .vsc/files | wc -l)" = 2 ] || fail "expected the facts of 2 files, got: $(ls .vsc/files)"
for f in clip.mp4 music.wav; do
  ff=$(fact_file $f)
  [ -n "$ff" ] || { fail "no facts for $f"; continue; }
  want=$(sha256sum $f | cut -d' ' -f1)
  [ "$(jget "$ff" "j['sha256']['hex']")" = "$want" ] || fail "$f: remembered hash $(jget "$ff" "j['sha256']['hex']"), file's $want"
  [ "$(jget "$ff" "j['sha256']['size']")" = "$(stat -c %s $f)" ] || fail "$f: remembered size"
  case $(jget "$ff" "j['identity']") in
    "$WORK/$f $(stat -c '%d %i %s' $f) 1767225600.000000000") ;;
    *) fail "$f: identity $(jget "$ff" "j['identity']")" ;;
  esac
done
ff=$(fact_file clip.mp4)
p="j['probe'][k] for k in"
[ "$(jget "$ff" "[$p ('has_video', 'width', 'height', 'fps', 'duration')]")" = "[1,160,90,25.0,1.0]" ] ||
  fail "clip probe: $(jget "$ff" "j['probe']")"
[ "$(jget "$(fact_file music.wav)" "[$p ('has_video', 'has_audio', 'duration')]")" = "[0,1,2.0]" ] ||
  fail "music probe: $(jget "$(fact_file music.wav)" "j['probe']")"

# The next compile takes the remembered hash and probe, not the file's.
fake=$(printf 'a%.0s' $(seq 64))
/usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); j["sha256"]["hex"] = sys.argv[2]; j["probe"]["duration"] = 0.5; json.dump(j, open(sys.argv[1], "w"))' "$ff" "$fake"
[ "$(ir_sha clip.mp4)" = "$fake" ] || fail "the remembered hash was not used: $(ir_sha clip.mp4)"
"$VSC" check s.vscript 2>&1 | grep -q "has 0.5s" || fail "the remembered probe was not used"

# A changed file (other content, other mtime) is hashed and probed again, and remembered.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=s=160x90:r=25:d=2" -c:v libx264 -pix_fmt yuv420p -y clip.mp4
touch -d '2026-01-01 00:00:01' clip.mp4
want=$(sha256sum clip.mp4 | cut -d' ' -f1)
[ "$(ir_sha clip.mp4)" = "$want" ] || fail "changed clip: IR has $(ir_sha clip.mp4), file is $want"
[ "$(jget "$(fact_file clip.mp4)" "j['sha256']['hex']")" = "$want" ] || fail "changed clip: facts not replaced"
[ "$(jget "$(fact_file clip.mp4)" "j['probe']['duration']")" = 2.0 ] || fail "changed clip: probe not replaced"

# Changed just now: hashed, not remembered (a write in the same timestamp tick would not
# change its identity).
touch clip.mp4
[ "$(ir_sha clip.mp4)" = "$want" ] || fail "touched clip: wrong hash"
case $(jget "$(fact_file clip.mp4)" "j['identity']") in
  *" 1767225601.000000000") ;;
  *) fail "a file changed just now was remembered: $(jget "$(fact_file clip.mp4)" "j['identity']")" ;;
esac
# Facts that do not parse cost time only.
echo "{" > "$(fact_file music.wav)"
[ "$(ir_sha music.wav)" = "$(sha256sum music.wav | cut -d' ' -f1)" ] || fail "corrupt facts: wrong hash"

# `cache gc` deletes the facts of files gone or changed, and writers' leftovers.
cp clip.mp4 gone.mp4
touch -d '2026-01-01 00:00:02' gone.mp4
sed 's/clip.mp4/gone.mp4/' s.vscript > s2.vscript
"$VSC" ir s2.vscript >/dev/null 2>&1 || fail "ir of s2 failed"
[ -n "$(fact_file gone.mp4)" ] || fail "no facts for gone.mp4"
rm gone.mp4
: > .vsc/files/0123.json.77.1.tmp
touch -d '-2 minutes' .vsc/files/0123.json.77.1.tmp
: > .vsc/files/0124.json.78.1.tmp # being written now: kept
touch -d '2026-01-01 00:00:03' clip.mp4 # settled again: gc's compile remembers it anew
"$VSC" cache gc s.vscript --cache .vsc > gc.out || fail "gc failed"
grep -q "removed the remembered facts of 2 file(s) gone or changed" gc.out || fail "gc: $(cat gc.out)"
[ "$(ls .vsc/files | wc -l)" = 3 ] || fail "gc left: $(ls .vsc/files)"
[ -e .vsc/files/0124.json.78.1.tmp ] || fail "gc deleted a temporary file being written"
[ -n "$(fact_file music.wav)" ] || fail "gc deleted the facts of music.wav"
finish
