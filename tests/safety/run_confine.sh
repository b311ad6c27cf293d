#!/bin/sh
# `vsc run plan.json` stays inside its project root (the directory it runs in, or --root):
# an IR root or asset path that is absolute outside it, climbs out with '..', or is a
# symlink out is refused before anything runs, with the JSON path; the cache is never an
# asset or a root. Plans whose paths stay inside run as before.
# Usage: run_confine.sh VSC DATA_DIR
. "$(dirname "$0")/../lib/harness.sh"
VSC=$1
P="$WORK/proj"
mkdir -p "$P" "$WORK/outside"
ffmpeg -v error -f lavfi -i sine=frequency=440:duration=2 -ar 48000 "$WORK/outside/theme.wav"
cp "$WORK/outside/theme.wav" "$P/theme.wav"
ln -s ../outside/theme.wav "$P/link.wav"
plan() { # plan NAME MUSIC_PATH: a one-scene script with that music, compiled in $P
  printf 'video "Confined" {\n  size 160x90  fps 10\n  music "%s"\n  scene one (1s) { shot color #102030 }\n}\n' "$2" >"$P/$1.vscript"
  (cd "$P" && "$VSC" ir "$1.vscript" -o "$1.json" 2>"$1.irlog") || fail "vsc ir $1: $(cat "$P/$1.irlog")"
}
asset_index() { # the index in $.nodes of the asset node of a plan
  awk '/^    \{/ { n++ } /"op": "asset"/ { print n - 1; exit }' "$1"
}
refused() { # refused WHAT JSONPATH WHY PLAN [args...]: exit 1, error names the JSON path
  what=$1 jpath=$2 why=$3 planf=$4; shift 4
  rc=0; (cd "$P" && "$VSC" run "$planf" --provider local --progress plain "$@" 2>"$WORK/log") || rc=$?
  [ $rc -eq 1 ] || fail "$what: exit $rc, expected 1: $(tail -2 "$WORK/log")"
  grep -qF "$planf: $jpath: " "$WORK/log" || fail "$what: the error does not name $jpath: $(cat "$WORK/log")"
  grep -qF "$why" "$WORK/log" || fail "$what: the error does not say '$why': $(cat "$WORK/log")"
  ! grep -q "^run:" "$WORK/log" || fail "$what: the run started"
}

# Inside: runs, with the cache at <root>/.vsc.
plan inside theme.wav
rc=0; (cd "$P" && "$VSC" run inside.json --provider local --progress plain 2>"$WORK/in.log") || rc=$?
[ $rc -eq 0 ] || fail "a confined plan exited $rc: $(tail -3 "$WORK/in.log")"
[ -s "$P/inside.mp4" ] && [ -d "$P/.vsc/objects" ] || fail "no output or no cache in the project"

# root "/" (and its cache /.vsc) and a root that climbs out; root inside the cache.
existed=no; [ -e /.vsc ] && existed=yes
sed 's|"root": "\."|"root": "/"|' "$P/inside.json" >"$P/rootslash.json"
refused 'root "/"' '$.root' "outside the project root" rootslash.json
[ $existed = yes ] || [ ! -e /.vsc ] || fail "/.vsc was created"
sed 's|"root": "\."|"root": "../outside"|' "$P/inside.json" >"$P/rootup.json"
refused 'root "../outside"' '$.root' "climbs out of the project root with '..'" rootup.json
sed 's|"root": "\."|"root": ".vsc"|' "$P/inside.json" >"$P/rootcache.json"
refused 'root ".vsc"' '$.root' "inside a .vsc cache directory" rootcache.json

# Asset paths: '..', absolute outside, a symlink out; /etc/passwd.
plan up ../outside/theme.wav
i=$(asset_index "$P/up.json")
refused "asset ../" "\$.nodes[$i].params.path" "climbs out of the project root with '..'" up.json
plan abs "$WORK/outside/theme.wav"
i=$(asset_index "$P/abs.json")
refused "asset absolute" "\$.nodes[$i].params.path" "is an absolute path outside the project root" abs.json
plan link link.wav
i=$(asset_index "$P/link.json")
refused "asset symlink" "\$.nodes[$i].params.path" "(a symbolic link?), outside the project root" link.json
# /etc/passwd as the music: the checker refuses it (not media), so no plan names it; a plan
# naming any absolute path outside the root is refused by the runtime ("asset absolute").
printf 'video "Confined" {\n  size 160x90  fps 10\n  music "/etc/passwd"\n  scene one (1s) { shot color #102030 }\n}\n' >"$P/passwd.vscript"
rc=0; (cd "$P" && "$VSC" ir passwd.vscript -o passwd.json 2>"$WORK/pw.log") || rc=$?
[ $rc -eq 4 ] && grep -qF "'/etc/passwd' is not a media file" "$WORK/pw.log" || fail "check took /etc/passwd as music: exit $rc"
[ ! -e "$P/passwd.json" ] || fail "a plan was written for /etc/passwd"

# --root names the project: the plan's relative root is resolved against it, and '..'
# that stays inside it is fine (proj/../outside is inside $WORK).
sed 's|"root": "\."|"root": "proj"|' "$P/up.json" >"$P/up-proj.json"
rc=0; (cd "$WORK/outside" && "$VSC" run "$P/up-proj.json" --root "$WORK" --provider local -o "$WORK/o1.mp4" --progress plain 2>"$WORK/r.log") || rc=$?
[ $rc -eq 0 ] || fail "--root: exit $rc: $(tail -3 "$WORK/r.log")"
[ -d "$P/.vsc/objects" ] && [ ! -e "$WORK/outside/.vsc" ] || fail "--root: the cache is not at <root>/.vsc"
rc=0; (cd "$WORK/outside" && "$VSC" run "$P/inside.json" --root "$P" --provider local -o "$WORK/o2.mp4" --progress plain 2>"$WORK/r2.log") || rc=$?
[ $rc -eq 0 ] || fail "--root from elsewhere: exit $rc: $(tail -3 "$WORK/r2.log")"
[ ! -e "$WORK/outside/.vsc" ] || fail "the cache was made outside the root"
# Without --root, the same plans from elsewhere are refused (their root is not there).
i=$(asset_index "$P/up.json")
refused "up.json from proj (root . = proj)" "\$.nodes[$i].params.path" "climbs out of the project root with '..'" up.json

finish
echo "ok"
