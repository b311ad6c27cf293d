#!/bin/sh
# End-to-end tests of `vsc build`, `vsc run`, `vsc cache` and `vsc ledger` on a tiny script,
# with the local provider (PART=local) or the scripted test provider (PART=test).
# Usage: cli_e2e.sh VSC DATA_DIR PART
. "$(dirname "$0")/../lib/harness.sh"
VSC=$1
DATA=$2
PART=$3
cp "$DATA/tiny.vscript" "$WORK/"
S="$WORK/tiny.vscript"
# The value of "key" in the NDJSON "end" event of a progress log.
end_field() { grep '"event":"end"' "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" | tr -d '"'; }

build() { # build LOG [args...]; sets rc
  log=$1; shift
  rc=0
  "$VSC" build "$S" --progress json "$@" 2>"$log" || rc=$?
}

if [ "$PART" = local ]; then
  build "$WORK/b1.log" --provider local
  [ $rc -eq 0 ] || fail "first build exited $rc: $(tail -3 "$WORK/b1.log")"
  [ -s "$WORK/tiny.mp4" ] || fail "no tiny.mp4 next to the script"
  [ -s "$WORK/tiny.mp4.json" ] || fail "no manifest"
  dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/tiny.mp4")
  awk -v d="$dur" 'BEGIN { exit !(d > 2.8 && d < 3.3) }' || fail "duration $dur, expected 3 s"
  grep -q '"name": "one"' "$WORK/tiny.mp4.json" || fail "manifest lacks scene one"
  # The fade between the two scenes names them: in JSON events ("between"), plain lines
  # ("transition one -> two", where a scene's say "scene one") and the cache listing.
  tid=$("$VSC" ir "$S" 2>/dev/null | tr -d ' \n' | grep -o '"between":\["one","two"\],"id":"[0-9a-f]*"' | sed 's/.*"id":"//; s/"$//')
  [ ${#tid} = 64 ] || fail "no transition segment with \"between\": [\"one\", \"two\"] in the IR"
  grep -q "^{\"between\":\[\"one\",\"two\"\],.*\"event\":\"node\",\"node\":\"$tid\",\"op\":\"segment\",.*\"state\":\"done\"}\$" "$WORK/b1.log" ||
    fail "no JSON done event with between for the transition: $(grep "$tid" "$WORK/b1.log")"
  rm -rf "$WORK/plain"
  "$VSC" build "$S" --provider local --cache "$WORK/plain" -o "$WORK/plain.mp4" --progress plain 2>"$WORK/plain.log" ||
    fail "plain build: $(tail -3 "$WORK/plain.log")"
  short=$(printf %.10s "$tid")
  grep -qx "running   segment  $short transition one -> two" "$WORK/plain.log" &&
    grep -Eqx "done      segment  $short transition one -> two [0-9]+\.[0-9]s" "$WORK/plain.log" ||
    fail "plain lines of the transition: $(grep "$short" "$WORK/plain.log")"
  grep -Eqx "done      segment  [0-9a-f]{10} scene one [0-9]+\.[0-9]s" "$WORK/plain.log" || fail "plain lines of scene one's body"
  [ "$("$VSC" cache ls --cache "$WORK/plain" | awk '$2 == "segment" && $3 == "one->two"' | wc -l)" = 1 ] ||
    fail "cache ls: $("$VSC" cache ls --cache "$WORK/plain" | grep segment)"
  # "running" means a worker took the node: with one worker, one node at a time runs (the
  # join of a body's parts has a light worker of its own). Jobs waiting their turn are not
  # told as running.
  rm -rf "$WORK/j1"
  build "$WORK/j1.log" --provider local --jobs 1 --cache "$WORK/j1" -o "$WORK/j1.mp4"
  [ $rc -eq 0 ] || fail "--jobs 1 build exited $rc"
  most=$(awk '
    /"state":"running"/ { match($0, /"node":"[^"]*"/); id = substr($0, RSTART + 8, RLENGTH - 9)
                          if (!(id in part_of)) { run[id] = 1; if (++now > most) most = now } }
    /"of":"/ { match($0, /"of":"[^"]*"/); part_of[substr($0, RSTART + 6, RLENGTH - 7)] = 1 }
    /"state":"(done|failed)"/ { match($0, /"node":"[^"]*"/); id = substr($0, RSTART + 8, RLENGTH - 9)
                                if (id in run) { delete run[id]; now-- } }
    END { print most + 0 }' "$WORK/j1.log")
  [ "$most" = 1 ] || fail "--jobs 1: $most nodes told as running at once"
  # On a terminal the status line counts the seconds of picture composed: none at the first
  # drawing (before anything is composed), the whole 3 s at the end.
  rm -rf "$WORK/tty"
  script -qec "'$VSC' build '$S' --provider local --cache '$WORK/tty' -o '$WORK/tty.mp4'" /dev/null >"$WORK/tty.log" 2>&1 ||
    fail "build on a terminal failed: $(tail -3 "$WORK/tty.log")"
  tr '\r' '\n' <"$WORK/tty.log" | grep -q '\[vsc\] .* video 3\.0/3\.0s' || fail "no 'video 3.0/3.0s' on the status line"
  tr '\r' '\n' <"$WORK/tty.log" | grep -m1 '\[vsc\]' | grep -q ' video 0\.0/3\.0s' || fail "the first status line: $(tr '\r' '\n' <"$WORK/tty.log" | grep -m1 '\[vsc\]')"

  # Bodies rendered in parts: the run's first line counts IR nodes and jobs apart, and the
  # nodes an edit does not need are the IR's (the uncut clip's asset), not nodes minus jobs.
  mkdir -p "$WORK/parts"
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=320x180:r=10:d=5 -pix_fmt yuv420p -y "$WORK/parts/a.mp4"
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=320x180:r=10:d=2 -pix_fmt yuv420p -y "$WORK/parts/b.mp4"
  printf 'video "Parts" {\n  size 320x180  fps 10\n  provider local\n  scene long { shot file "a.mp4"  text "ONE" at center }\n  scene short { shot file "b.mp4" }\n}\n' >"$WORK/parts/p.vscript"
  "$VSC" build "$WORK/parts/p.vscript" --progress plain 2>"$WORK/parts/1.log" || fail "parts build: $(tail -3 "$WORK/parts/1.log")"
  grep -qx 'run: 7 nodes, 11 jobs (2 bodies in 4 parts): 0 cached, 11 to run; provider local' "$WORK/parts/1.log" ||
    fail "parts build: $(grep '^run:' "$WORK/parts/1.log")"
  sed -i 's/"ONE"/"TWO"/' "$WORK/parts/p.vscript"
  "$VSC" build "$WORK/parts/p.vscript" --progress plain 2>"$WORK/parts/2.log" || fail "parts edit: $(tail -3 "$WORK/parts/2.log")"
  grep -qx 'run: 7 nodes, 8 jobs (1 body in 2 parts): 3 cached, 5 to run, 1 node not needed (what uses it is cached); provider local' \
    "$WORK/parts/2.log" || fail "parts edit: $(grep '^run:' "$WORK/parts/2.log")"
  grep -q '^ok: 5 run, 3 cached' "$WORK/parts/2.log" || fail "parts edit: $(grep '^ok:' "$WORK/parts/2.log")"

  # Second build: nothing generated or encoded.
  ino1=$(stat -c %i "$WORK/tiny.mp4")
  build "$WORK/b2.log" --provider local
  [ $rc -eq 0 ] || fail "no-op build exited $rc"
  [ "$(end_field "$WORK/b2.log" executed)" = 0 ] || fail "no-op build executed $(end_field "$WORK/b2.log" executed) nodes"
  [ "$(stat -c %i "$WORK/tiny.mp4")" = "$ino1" ] || fail "no-op build rewrote the output"

  "$VSC" cache verify --cache "$WORK/.vsc" >"$WORK/verify.out" || fail "verify of a sound cache failed"
  grep -q ", 0 corrupt" "$WORK/verify.out" || fail "verify: $(cat "$WORK/verify.out")"

  # A truncated mux object is detected, deleted and re-made; nothing else re-runs.
  key=$("$VSC" cache ls --cache "$WORK/.vsc" | awk '$2 == "mux" { print $1 }')
  obj=$(ls "$WORK"/.vsc/objects/*/"$key"*.mp4)
  truncate -s 100 "$obj"
  build "$WORK/b3.log" --provider local
  [ $rc -eq 0 ] || fail "rebuild after corruption exited $rc"
  [ "$(end_field "$WORK/b3.log" executed)" = 1 ] || fail "corrupt mux: executed $(end_field "$WORK/b3.log" executed), expected 1"
  grep -q '"event":"warning".*corrupt' "$WORK/b3.log" || fail "corruption not reported"
  cmp -s "$obj" "$WORK/tiny.mp4" || fail "the re-made output differs from its object"

  # A flipped byte in the cache is caught by verify and removed.
  printf 'X' | dd of="$obj" bs=1 seek=200 conv=notrunc 2>/dev/null
  rc=0; "$VSC" cache verify --cache "$WORK/.vsc" >"$WORK/verify2.out" || rc=$?
  [ $rc -eq 5 ] || fail "verify of a corrupt cache exited $rc"
  grep -q "^corrupt: $key" "$WORK/verify2.out" || fail "verify did not name the object: $(cat "$WORK/verify2.out")"

  # gc keeps what the script references and drops the rest.
  n_before=$("$VSC" cache ls --cache "$WORK/.vsc" | tail -1 | cut -d' ' -f1)
  "$VSC" cache gc "$S" >"$WORK/gc1.out" || fail "gc failed"
  grep -q "^removed 0 object" "$WORK/gc1.out" || fail "gc removed live objects: $(cat "$WORK/gc1.out")"
  sed 's/"ONE"/"UNO"/' "$S" >"$WORK/edited.vscript"
  "$VSC" cache gc "$WORK/edited.vscript" --cache "$WORK/.vsc" >"$WORK/gc2.out" || fail "gc 2 failed"
  grep -Eq "^removed [1-9]" "$WORK/gc2.out" || fail "gc kept objects no plan references: $(cat "$WORK/gc2.out")"
  n_after=$("$VSC" cache ls --cache "$WORK/.vsc" | tail -1 | cut -d' ' -f1)
  [ "$n_after" -lt "$n_before" ] || fail "gc: $n_before -> $n_after objects"

  # The compositor's kept last pictures go with their clips: a picture of a clip that is gone
  # and a writer's leftover are removed, the picture of a clip still cached stays.
  kept=$(ls "$WORK"/.vsc/frames/*.pic 2>/dev/null | wc -l)
  [ "$kept" -ge 1 ] || fail "no last picture kept in frames/"
  printf 'vsc-last-picture 1\n%s/gone.mp4 1 2 3 4.000000005\n' "$WORK" >"$WORK/.vsc/frames/0123.pic"
  : >"$WORK/.vsc/frames/0123.pic.99.1.tmp"
  "$VSC" cache gc "$WORK/edited.vscript" --cache "$WORK/.vsc" >"$WORK/gc3.out" || fail "gc 3 failed"
  grep -q "^removed 2 last picture(s)" "$WORK/gc3.out" || fail "gc left stale pictures: $(cat "$WORK/gc3.out")"
  [ "$(ls "$WORK"/.vsc/frames | wc -l)" = "$kept" ] || fail "gc: frames/ holds $(ls "$WORK"/.vsc/frames)"

  # vsc run on the IR shares the cache next to the script.
  "$VSC" ir "$S" -o "$WORK/plan.json" 2>/dev/null || fail "vsc ir"
  rc=0; (cd "$WORK" && "$VSC" run plan.json --provider local --progress json -o run.mp4 2>run.log) || rc=$?
  [ $rc -eq 0 ] || fail "vsc run exited $rc: $(tail -3 "$WORK/run.log")"
  [ -s "$WORK/run.mp4" ] || fail "vsc run wrote no output"
  "$VSC" ledger "$S" | grep -q "no paid calls" || fail "ledger of a local build"

  # A script's own file is copied into the cache, never linked: rewritten in place (the same
  # inode, as `ffmpeg -y` writes it), it leaves the object kept under its old hash intact.
  ffmpeg -v error -f lavfi -i sine=frequency=440:duration=2 -ar 48000 -y "$WORK/bed.wav"
  printf 'video "bed" {\n  size 160x90  fps 10\n  length 2s\n  music "bed.wav"\n  scene a (rest) {\n    shot color #203040\n  }\n}\n' >"$WORK/bed.vscript"
  "$VSC" build "$WORK/bed.vscript" --provider local 2>"$WORK/bed.log" || fail "build with a music file: $(tail -3 "$WORK/bed.log")"
  "$VSC" ir "$WORK/bed.vscript" -o "$WORK/bed.plan.json" 2>/dev/null || fail "vsc ir of bed.vscript"
  ino=$(stat -c %i "$WORK/bed.wav")
  ffmpeg -v error -f lavfi -i sine=frequency=880:duration=2 -ar 48000 -y "$WORK/bed.wav"
  [ "$(stat -c %i "$WORK/bed.wav")" = "$ino" ] || fail "ffmpeg -y did not rewrite bed.wav in place"
  "$VSC" cache verify --cache "$WORK/.vsc" >"$WORK/verify3.out" || fail "verify after an asset changed in place: $(cat "$WORK/verify3.out")"
  grep -q ", 0 corrupt" "$WORK/verify3.out" || fail "verify: $(cat "$WORK/verify3.out")"
  # A plan made before the change, run on a fresh cache, stops at the file and writes nothing.
  rc=0; (cd "$WORK" && "$VSC" run bed.plan.json --provider local --cache fresh -o bed2.mp4 2>bed2.log) || rc=$?
  [ $rc -ne 0 ] || fail "a plan whose file changed since ir ran"
  grep -q "bed.wav changed since the script was compiled (recompile)" "$WORK/bed2.log" || fail "no clear error: $(tail -3 "$WORK/bed2.log")"
  [ ! -e "$WORK/bed2.mp4" ] || fail "a partial bed2.mp4 was written"
fi

if [ "$PART" = test ]; then
  # Media fixtures the test provider hands back as its "generations".
  ffmpeg -v error -f lavfi -i testsrc=size=320x180:rate=10:duration=5 -pix_fmt yuv420p "$WORK/clip.mp4"
  ffmpeg -v error -f lavfi -i testsrc=size=320x180:rate=1:duration=1 -frames:v 1 "$WORK/still.png"
  ffmpeg -v error -f lavfi -i sine=frequency=440:duration=3 -ar 48000 "$WORK/tone.wav"
  FIX="{\"kind\":\"video\",\"output\":\"$WORK/clip.mp4\"},{\"kind\":\"image\",\"output\":\"$WORK/still.png\"},{\"kind\":\"music\",\"output\":\"$WORK/tone.wav\"},{\"kind\":\"tts\",\"output\":\"$WORK/tone.wav\"}"
  export VSC_TEST_PROVIDER="{\"latency\":0.05,\"log\":\"$WORK/calls.jsonl\",\"state\":\"$WORK/server\",\"rules\":[$FIX]}"
  build "$WORK/t1.log" --provider test
  [ $rc -eq 0 ] || fail "test-provider build exited $rc: $(tail -3 "$WORK/t1.log")"
  calls=$(grep -c '"call":"start"' "$WORK/calls.jsonl" || true)
  [ "$calls" -ge 2 ] || fail "expected >= 2 provider calls, got $calls"
  build "$WORK/t2.log" --provider test
  [ $rc -eq 0 ] || fail "second build exited $rc"
  [ "$(grep -c '"call":"start"' "$WORK/calls.jsonl")" = "$calls" ] || fail "second build called the provider"
  grep -q '"prediction": "t' "$WORK/tiny.mp4.json" || fail "manifest lacks prediction ids"
  "$VSC" ledger "$S" >"$WORK/ledger.out"
  grep -q "status ok" "$WORK/ledger.out" || fail "ledger: $(cat "$WORK/ledger.out")"
  grep -Eq 'total spent: \$0\.0[1-9]' "$WORK/ledger.out" || fail "ledger total: $(tail -1 "$WORK/ledger.out")"

  # Every model of scene one refuses: the shot becomes a placeholder card, exit 6, report.
  rm -rf "$WORK/.vsc"
  export VSC_TEST_PROVIDER="{\"latency\":0.02,\"state\":\"$WORK/server\",\"rules\":[{\"label\":\"one\",\"fail\":\"policy\"},$FIX]}"
  rc=0; "$VSC" build "$S" --provider test --progress plain 2>"$WORK/d.log" || rc=$?
  [ $rc -eq 6 ] || fail "degraded build exited $rc: $(tail -3 "$WORK/d.log")"
  grep -q "^degraded: scene one: .*policy" "$WORK/d.log" || fail "no degrade report: $(tail -5 "$WORK/d.log")"
  [ -s "$WORK/tiny.mp4" ] || fail "no partial video"
  grep -q '"degraded": true' "$WORK/tiny.mp4.json" || fail "manifest does not mark the scene"

  # An auth failure stops the build with exit 5.
  rm -rf "$WORK/.vsc"
  export VSC_TEST_PROVIDER="{\"latency\":0.02,\"state\":\"$WORK/server\",\"rules\":[{\"fail\":\"auth\"}]}"
  rc=0; "$VSC" build "$S" --provider test --progress plain 2>"$WORK/a.log" || rc=$?
  [ $rc -eq 5 ] || fail "auth failure exited $rc"

  # A budget too small for one call stops before spending: exit 7, nothing paid. (The
  # checker refuses such a script, so the IR is edited: the budget is not part of any id.)
  rm -rf "$WORK/.vsc"
  "$VSC" ir "$S" -o "$WORK/plan.json" 2>/dev/null || fail "vsc ir"
  sed 's/"budget": [0-9.]*/"budget": 0.001/' "$WORK/plan.json" >"$WORK/poor.json"
  grep -q '"budget": 0.001' "$WORK/poor.json" || fail "could not edit the budget"
  export VSC_TEST_PROVIDER="{\"latency\":0.02,\"log\":\"$WORK/poor.jsonl\",\"state\":\"$WORK/server\",\"rules\":[$FIX]}"
  rc=0; (cd "$WORK" && "$VSC" run poor.json --provider test --progress plain 2>p.log) || rc=$?
  [ $rc -eq 7 ] || fail "budget stop exited $rc: $(tail -3 "$WORK/p.log")"
  [ ! -s "$WORK/poor.jsonl" ] || fail "a call was started beyond the budget"
  grep -q '"t":"budget-stop"' "$WORK/.vsc/journal.jsonl" || fail "budget stop not journaled"
fi

finish
echo "ok"
