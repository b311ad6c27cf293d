#!/bin/sh
# The cache touches only its own temp files: files of other programs in <cache>/tmp survive
# a build and `vsc cache gc`, a symlinked tmp/ is refused and nothing behind it is deleted,
# and a crashed vsc's temp file (its own name pattern, a dead pid) is still cleaned.
# Usage: cache_tmp.sh VSC DATA_DIR
. "$(dirname "$0")/../lib/harness.sh"
VSC=$1
cp "$2/tiny.vscript" "$WORK/"
S="$WORK/tiny.vscript"
C="$WORK/.vsc"

"$VSC" build "$S" --provider local --progress quiet 2>"$WORK/b0.log" || fail "first build: $(tail -3 "$WORK/b0.log")"
# Files that are not vsc's: any name with a dot, an old-style name, a near miss of the
# pattern (no 16-hex part), and a symlink of the right shape pointing at a user's file.
echo keep >"$WORK/victim.txt"
for f in notes.txt a.b.c 0123456789abcdef.999999999.1.mp4 vsc-tmp.999999999.zz.1.mp4 \
         vsc-tmp.999999999.0123456789ABCDEF.1.mp4 vsc-tmp.x.0123456789abcdef.1.mp4; do
  echo "user data $f" >"$C/tmp/$f"
done
ln -s "$WORK/victim.txt" "$C/tmp/vsc-tmp.999999999.0123456789abcdef.7.mp4"
# Debris of a crashed vsc (pid 999999999 cannot exist): ours, removed.
echo debris >"$C/tmp/vsc-tmp.999999999.0123456789abcdef.3.mp4"
echo debris >"$C/tmp/vsc-tmp.999999999.0123456789abcdef.3.mp4.json.12.tmp"
# A temp file of a live vsc (this shell's pid): kept.
echo live >"$C/tmp/vsc-tmp.$$.0123456789abcdef.4.mp4"

check_survivors() { # check_survivors WHEN
  for f in notes.txt a.b.c 0123456789abcdef.999999999.1.mp4 vsc-tmp.999999999.zz.1.mp4 \
           vsc-tmp.999999999.0123456789ABCDEF.1.mp4 vsc-tmp.x.0123456789abcdef.1.mp4; do
    [ "$(cat "$C/tmp/$f" 2>/dev/null)" = "user data $f" ] || fail "$1: $f was deleted or changed"
  done
  [ -L "$C/tmp/vsc-tmp.999999999.0123456789abcdef.7.mp4" ] || fail "$1: a symlink was removed"
  [ "$(cat "$WORK/victim.txt")" = keep ] || fail "$1: the file behind a symlink was touched"
  [ -f "$C/tmp/vsc-tmp.$$.0123456789abcdef.4.mp4" ] || fail "$1: a live process's temp file was removed"
}
"$VSC" cache ls --cache "$C" >/dev/null || fail "cache ls"
check_survivors "cache ls"
sed 's/"ONE"/"UNO"/' "$S" >"$WORK/edited.vscript"
"$VSC" build "$WORK/edited.vscript" --provider local --progress quiet 2>"$WORK/b1.log" || fail "build: $(tail -3 "$WORK/b1.log")"
check_survivors "build"
[ ! -e "$C/tmp/vsc-tmp.999999999.0123456789abcdef.3.mp4" ] || fail "a dead vsc's temp file was not cleaned"
[ ! -e "$C/tmp/vsc-tmp.999999999.0123456789abcdef.3.mp4.json.12.tmp" ] || fail "a dead vsc's derived temp file was not cleaned"
"$VSC" cache gc "$S" >"$WORK/gc.out" 2>&1 || fail "gc: $(cat "$WORK/gc.out")"
grep -Eq "^removed [1-9]" "$WORK/gc.out" || fail "gc removed nothing: $(cat "$WORK/gc.out")"
check_survivors "cache gc"
# Our own temp files of this build are gone (only the planted ones are left).
left=$(ls -A "$C/tmp" | grep -c '^vsc-tmp\.[0-9]*\.[0-9a-f]\{16\}\.' || true)
[ "$left" = 2 ] || fail "expected the 2 planted vsc-tmp names in tmp/, found $left: $(ls -A "$C/tmp")"

# A tmp/ that is a symlink: refused, and nothing behind it is touched.
C2="$WORK/c2"
mkdir -p "$C2" "$WORK/elsewhere"
echo "precious" >"$WORK/elsewhere/photo.2024.jpg"
echo "debris-shaped" >"$WORK/elsewhere/vsc-tmp.999999999.0123456789abcdef.1.mp4"
ln -s "$WORK/elsewhere" "$C2/tmp"
rc=0; "$VSC" build "$S" --provider local --cache "$C2" --progress quiet -o "$WORK/c2.mp4" 2>"$WORK/b2.log" || rc=$?
[ $rc -ne 0 ] || fail "a build through a symlinked tmp/ succeeded"
grep -q "tmp: not a directory (a symbolic link?)" "$WORK/b2.log" || fail "no clear error: $(cat "$WORK/b2.log")"
rc=0; "$VSC" cache gc "$S" --cache "$C2" >"$WORK/gc2.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "gc through a symlinked tmp/ succeeded"
[ "$(cat "$WORK/elsewhere/photo.2024.jpg")" = precious ] || fail "a file behind the symlinked tmp/ was deleted"
[ -e "$WORK/elsewhere/vsc-tmp.999999999.0123456789abcdef.1.mp4" ] || fail "a file behind the symlinked tmp/ was cleaned"
[ -L "$C2/tmp" ] || fail "the symlink was replaced"

finish
echo "ok"
