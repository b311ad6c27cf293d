#!/bin/sh
# `-o` never destroys what vsc did not write: the script, the journal and anything in the
# cache are refused (even with --force); a user's file and a foreign OUT.json are refused
# unless --force; vsc's own previous output is replaced without it.
# Usage: output.sh VSC DATA_DIR
. "$(dirname "$0")/../lib/harness.sh"
VSC=$1
cp "$2/tiny.vscript" "$WORK/"
S="$WORK/tiny.vscript"
cp "$S" "$WORK/script.orig"
build() { # build LOG [args...]: sets rc
  log=$1; shift
  rc=0
  "$VSC" build "$S" --provider local --progress plain "$@" 2>"$WORK/$log" || rc=$?
}
is_mp4() { ffprobe -v error -show_entries format=format_name -of csv=p=0 "$1" 2>/dev/null | grep -q "mp4"; }
refused() { # refused LOG WHAT: exit 1 with a message naming the output
  [ $rc -eq 1 ] || fail "$2: exit $rc, expected 1 (usage): $(tail -2 "$WORK/$1")"
  grep -q "^vsc: output .*$3" "$WORK/$1" || fail "$2: unclear error: $(cat "$WORK/$1")"
  ! grep -q "^ok:" "$WORK/$1" || fail "$2: the build ran"
}

build b0.log
[ $rc -eq 0 ] || fail "first build exited $rc: $(tail -3 "$WORK/b0.log")"
is_mp4 "$WORK/tiny.mp4" || fail "no tiny.mp4"
size=$(stat -c %s "$WORK/tiny.mp4")
sha=$(sha256sum "$WORK/tiny.mp4" | cut -d' ' -f1)
grep -q "\"output_size\": $size" "$WORK/tiny.mp4.json" || fail "the manifest lacks output_size $size"
grep -q "\"output_sha256\": \"$sha\"" "$WORK/tiny.mp4.json" || fail "the manifest lacks output_sha256"
# A manifest from before output_size/output_sha256 existed: the file is still the cache's
# object (a hard link), so it is vsc's and a rebuild replaces it without --force.
sed -i '/"output_object"\|"output_sha256"\|"output_size"/d' "$WORK/tiny.mp4.json"
build l1.log
[ $rc -eq 0 ] || fail "rebuild over an older manifest exited $rc: $(tail -2 "$WORK/l1.log")"
grep -q "\"output_sha256\": \"$sha\"" "$WORK/tiny.mp4.json" || fail "the manifest was not brought up to date"
journal="$WORK/.vsc/journal.jsonl"
cp "$journal" "$WORK/journal.orig"

# The script itself, by name and through a symlink; --force does not help.
build s1.log -o "$S"
refused s1.log "-o SCRIPT" "is the input itself"
build s2.log -o "$S" --force
refused s2.log "-o SCRIPT --force" "is the input itself"
ln -s tiny.vscript "$WORK/link.mp4"
build s3.log -o "$WORK/link.mp4" --force
refused s3.log "-o LINK-TO-SCRIPT" "is the input itself"
rc=0; "$VSC" ir "$S" -o "$S" 2>"$WORK/ir.log" || rc=$?
[ $rc -eq 1 ] && grep -q "is the script itself" "$WORK/ir.log" || fail "vsc ir -o SCRIPT: exit $rc: $(cat "$WORK/ir.log")"
cmp -s "$S" "$WORK/script.orig" || fail "the script was changed"
[ -L "$WORK/link.mp4" ] || fail "the symlink was replaced"

# The journal, an object, a new file in the cache, another project's .vsc.
build j1.log -o "$journal" --force
refused j1.log "-o JOURNAL" "inside the cache directory"
cmp -s "$journal" "$WORK/journal.orig" || fail "the journal was changed"
obj=$(ls "$WORK"/.vsc/objects/*/*.mp4 | head -1)
cp "$obj" "$WORK/obj.orig"
build c1.log -o "$obj"
refused c1.log "-o OBJECT" "inside the cache directory"
cmp -s "$obj" "$WORK/obj.orig" || fail "a cache object was changed"
build c2.log -o "$WORK/.vsc/new.mp4"
refused c2.log "-o CACHE/new.mp4" "inside the cache directory"
[ ! -e "$WORK/.vsc/new.mp4" ] || fail "a file was written into the cache"
mkdir -p "$WORK/other/.vsc"
build c3.log -o "$WORK/other/.vsc/x.mp4" --force
refused c3.log "-o OTHER/.vsc/x.mp4" "inside a .vsc cache directory"

# A user's file: refused, then replaced with --force; then it is vsc's and a rebuild
# replaces it without --force.
echo "my own cut" >"$WORK/user.mp4"
build u1.log -o "$WORK/user.mp4"
refused u1.log "-o USER-FILE" "vsc did not write it"
[ "$(cat "$WORK/user.mp4")" = "my own cut" ] || fail "the user's file was changed"
[ ! -e "$WORK/user.mp4.json" ] || fail "a manifest was written for a refused output"
build u2.log -o "$WORK/user.mp4" --force
[ $rc -eq 0 ] || fail "--force exited $rc: $(tail -3 "$WORK/u2.log")"
is_mp4 "$WORK/user.mp4" || fail "--force did not write the video"
sed 's/"ONE"/"UNO"/' "$WORK/script.orig" >"$S"
build u3.log -o "$WORK/user.mp4"
[ $rc -eq 0 ] || fail "rebuild onto vsc's own output exited $rc: $(tail -3 "$WORK/u3.log")"
grep -q "^ok: [1-9]" "$WORK/u3.log" || fail "the edited script did not re-render"
cmp -s "$WORK/user.mp4" "$WORK/tiny.mp4" && fail "the output was not replaced"
# The same bytes copied over it by someone else (a new file): no longer vsc's.
cp "$WORK/user.mp4" "$WORK/copy.tmp" && mv "$WORK/copy.tmp" "$WORK/user.mp4"
printf 'x' >>"$WORK/user.mp4"
build u4.log -o "$WORK/user.mp4"
refused u4.log "-o EDITED-OUTPUT" "vsc did not write it"
cp "$WORK/script.orig" "$S"

# A foreign file where the manifest goes: refused unless --force.
echo '{"mine": true}' >"$WORK/side.mp4.json"
build m1.log -o "$WORK/side.mp4"
refused m1.log "-o with a foreign OUT.json" "is not a vsc manifest"
[ "$(cat "$WORK/side.mp4.json")" = '{"mine": true}' ] || fail "the foreign OUT.json was changed"
[ ! -e "$WORK/side.mp4" ] || fail "the video was written although its manifest was refused"
build m2.log -o "$WORK/side.mp4" --force
[ $rc -eq 0 ] || fail "--force over a foreign OUT.json exited $rc"
grep -q '"format": "vsc-manifest"' "$WORK/side.mp4.json" || fail "the manifest was not written"

# vsc run: -o whose manifest would land on the plan itself.
(cd "$WORK" && "$VSC" ir tiny.vscript -o plan.json 2>/dev/null) || fail "vsc ir"
cp "$WORK/plan.json" "$WORK/plan.orig"
rc=0; (cd "$WORK" && "$VSC" run plan.json --provider local -o plan --force 2>r1.log) || rc=$?
refused r1.log "vsc run -o plan" "its manifest is the input itself"
cmp -s "$WORK/plan.json" "$WORK/plan.orig" || fail "the plan was overwritten"

# A directory, and an existing directory as the target.
build d1.log -o "$WORK/other"
refused d1.log "-o DIR" "is a directory"

# No temp file of ours is left in the output directory.
! ls -A "$WORK" | grep -q 'vsc-tmp' || fail "temp files left: $(ls -A "$WORK" | grep vsc-tmp)"
finish
echo "ok"
