#!/bin/sh
# `vsc explain` through the real CLI: build a small spot offline, then change one thing at a
# time and compare what explain says with a golden text, exactly (after replacing the temp
# directory, hashes and times, which differ per run and per compiler version); then check
# that the build does what explain said.
#   explain.sh VSC DATA_DIR EXPECTED_DIR
# VSC_UPDATE_GOLDEN=1 rewrites the goldens instead of comparing.
set -u
vsc=$1 data=$2 expected=$3
export NO_COLOR=1
work=$(mktemp -d "${TMPDIR:-/tmp}/vsc-explain.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
cp "$data/spot.vscript" spot.vscript
cp spot.vscript orig.vscript
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The run-specific parts of explain's text: the temp dir, 64-hex keys, cache object
# directories, 10-hex node ids, content hashes and UTC times.
normalize() {
  sed -E -e "s|$work|TMP|g" -e 's/[0-9a-f]{64}/KEY/g' -e 's|objects/[0-9a-f]{2}/|objects/xx/|g' \
    -e 's/\b[0-9a-f]{10}\b/ID/g' -e 's/[0-9a-f]{12}…/HASH…/g' \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g'
}

golden() { # NAME FILE: the normalized FILE must equal expected/NAME.txt
  normalize <"$2" >"$work/$1.txt"
  if [ "${VSC_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$work/$1.txt" "$expected/$1.txt"
    echo "updated $1.txt"
  elif ! cmp -s "$expected/$1.txt" "$work/$1.txt"; then
    fail "$1: explain's text differs from $expected/$1.txt:"
    diff -u "$expected/$1.txt" "$work/$1.txt" | head -60
  fi
}

build() { # builds spot.vscript; sets ran (nodes run)
  "$vsc" build spot.vscript --provider local --cache cache -o out.mp4 --progress plain --jobs 2 >build.log 2>&1 ||
    { cat build.log; echo "FAIL: vsc build exited $?"; exit 1; }
  ran=$(sed -n -E 's/^ok: ([0-9]+) run.*/\1/p' build.log | tail -1)
}

explain_rc() { # NAME [ARGS...]: runs explain, exit status in rc, stdout in NAME.out
  name=$1
  shift
  rc=0
  "$vsc" explain spot.vscript --cache cache -o out.mp4 "$@" >"$name.out" 2>"$name.err" || rc=$?
}
explain() { # the same, for a call that must succeed (a sanitizer's report fails it too)
  explain_rc "$@"
  [ $rc -eq 0 ] || fail "explain $* exited $rc: $(cat "$name.err")"
}

# 1. Built, nothing changed: every node is cached.
build
explain noop
golden noop noop.out
explain noop_scene two
golden noop_scene noop_scene.out

# 2. One scene's text: its segment and the transition that shows it run again, and the
# join and the video because of them; no generation.
sed -i 's/text "ONE"/text "UNO"/' spot.vscript
explain text_edit
golden text_edit text_edit.out
explain text_json --json
grep -q '"field": "a.texts\[0\].text"' text_json.out || fail "--json: no change of a.texts[0].text"
grep -q '"old": "ONE"' text_json.out && grep -q '"new": "UNO"' text_json.out || fail "--json: old/new values"
grep -q '"dirty": 4' text_json.out || fail "--json: counts.dirty is not 4"
grep -q '"kind": "input-dirty"' text_json.out || fail "--json: no input-dirty reason"
# The build runs exactly what explain said; then nothing is left to run.
build
[ "$ran" = 4 ] || fail "explain said 4 nodes run, the build ran $ran"
explain rebuilt
golden noop rebuilt.out

# 3. A prompt: the generation runs again, and what uses it.
sed 's/a cup of coffee on a table/a cup of tea on a table/' spot.vscript >edited && cp edited spot.vscript
explain prompt_edit
golden prompt_edit prompt_edit.out
# A node of the last build, named by its id: explained as what replaces it now.
old=$("$vsc" cache ls --cache cache | awk '$2 == "generate" && $3 == "one" { print $1 }')
explain old_id "$(printf %.8s "$old")"
grep '^vsc:' old_id.err | sed -E "s/'[0-9a-f]+'/'PREFIX'/" >old_id.msg
golden old_id old_id.msg
sed -i 's/a cup of tea on a table/a cup of coffee on a table/' spot.vscript

# 4. Another provider: generations are new under it, and cost money.
explain provider one --provider replicate
golden provider provider.out

# 5. The cache: the video's object deleted, the join's object corrupted, and an object no
# one needs any more (everything that uses it is cached) deleted.
key_of() { # OP WHAT: the current plan's key of the node whose line names OP and WHAT
  "$vsc" explain spot.vscript --cache cache -o out.mp4 --all 2>/dev/null |
    awk -v op="$1" -v what="$2" '$1 == op && index($0, what) { getline; print $2; exit }'
}
obj() { ls cache/objects/*/"$(key_of "$1" "$2")".* | grep -v '[.]json$'; }
gen=$(key_of generate "scene one:")
rm "$(obj mux "the video")" "$(obj generate "scene one:")"
printf 'X' | dd of="$(obj concat "the scenes joined")" bs=1 seek=100 conv=notrunc 2>/dev/null
explain damaged
golden damaged damaged.out
explain unneeded "$gen"
golden unneeded unneeded.out
build
[ "$ran" = 2 ] || fail "explain said 2 nodes run, the build ran $ran"

# 6. Targets that name nothing: a suggestion, the usage exit code.
explain_rc typo ono
[ $rc -eq 1 ] || fail "unknown scene: exit $rc, expected 1"
grep '^vsc:' typo.err >typo.msg
golden typo typo.msg
explain_rc unknown zzzz
[ $rc -eq 1 ] || fail "unknown target: exit $rc, expected 1"
grep '^vsc:' unknown.err >unknown.msg
golden unknown unknown.msg

# 7. A scene added at the end: its nodes are new, and the join takes them.
cp spot.vscript before.vscript
sed -i 's/^}$//' spot.vscript
printf '  scene four (1s) {\n    shot color #1b1b1b\n  }\n}\n' >>spot.vscript
explain scene_added
golden scene_added scene_added.out
cp before.vscript spot.vscript

# 8. A build that stopped (the provider refused our credentials): what it did not make.
export VSC_TEST_PROVIDER="{\"latency\":0.02,\"state\":\"$work/server\",\"rules\":[{\"fail\":\"auth\"}]}"
rc=0
"$vsc" build spot.vscript --provider test --cache cache2 -o out2.mp4 --progress plain >auth.log 2>&1 || rc=$?
[ $rc -eq 5 ] || fail "a build refused by the provider exited $rc, expected 5"
"$vsc" explain spot.vscript one --provider test --cache cache2 -o out2.mp4 >auth.out 2>auth.err || fail "explain exited $?: $(cat auth.err)"
grep -A2 '^generate' auth.out | grep -q '^  dirty    the last build (auth) did not make it$' ||
  fail "after a stopped build: $(cat auth.out)"

# 9. Another target of the same cache: nothing recorded for it, the recorded one named.
"$vsc" explain spot.vscript --cache cache -o other.mp4 >other.out 2>other.err || fail "explain exited $?: $(cat other.err)"
golden other_target other.out

# 10. A plan graph run by `vsc run` is explained from the same plan file.
"$vsc" ir spot.vscript -o plan.json 2>/dev/null
"$vsc" run plan.json --cache cache -o plan.mp4 --provider local --progress quiet || fail "vsc run exited $?"
"$vsc" explain plan.json --cache cache >plan.out 2>&1 || fail "explain of a plan exited $?"
head -2 plan.out | normalize >plan.head
printf 'TMP/plan.mp4: 0 of 12 nodes to run, 11 cached, 1 not needed (provider local)\nlast build: ok, provider local, recorded TIME\n' |
  cmp -s - plan.head || fail "explain of a plan: $(cat plan.out)"

# 11. A transition is named by the two scenes it joins (its `between`), also where a scene
# shows only inside its two transitions (no body of its own between them), and in a plan
# without `between` (another tool's, an older build's record) by the bodies around it.
printf 'video "Edge" {\n  size 160x90  fps 10\n  scene a (2s) { shot color #100000 then fade 2s }\n  scene b (2s) { shot color #200000 then fade 2s }\n  scene c (2s) { shot color #300000 }\n}\n' >edge.vscript
"$vsc" explain edge.vscript b --cache cache3 >edge.out 2>edge.err || fail "explain edge.vscript b exited $?: $(cat edge.err)"
[ "$(grep -c '^segment [0-9a-f]*  transition a -> b, fade 2s$' edge.out)" = 1 ] &&
  [ "$(grep -c '^segment [0-9a-f]*  transition b -> c, fade 2s$' edge.out)" = 1 ] ||
  fail "the transitions around scene b: $(grep '^segment' edge.out)"
sed '/"between": \[/,/\]/d' plan.json >nobetween.json
! grep -q '"between"' nobetween.json && grep -q '"between"' plan.json || fail "could not strip between from plan.json"
"$vsc" explain nobetween.json --cache cache --all >nobetween.out 2>&1 || fail "explain of a plan without between exited $?"
grep -q '^segment [0-9a-f]*  transition one -> two, fade 0.4s$' nobetween.out &&
  grep -q '^segment [0-9a-f]*  transition two -> three, wipeleft 0.4s$' nobetween.out ||
  fail "a plan without between: $(grep '^segment' nobetween.out)"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok: vsc explain"
