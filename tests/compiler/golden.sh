#!/bin/sh
# Golden tests of the compiler, run through the real CLI.
#   golden.sh VSC ir   SCRIPT GOLDEN.ir.json   -- `vsc ir SCRIPT` must equal the golden file
#   golden.sh VSC diag SCRIPT GOLDEN.diag      -- `vsc check SCRIPT` stderr + exit code must equal it
#   golden.sh VSC fmt  SCRIPT                  -- fmt is idempotent and does not change the IR
#   golden.sh VSC roundtrip GOLDEN.ir.json     -- reader -> writer gives the same bytes
#   golden.sh VSC plan SCRIPT GOLDEN.plan.txt  -- `vsc plan` (priced for replicate, no cache) must
#                                                 equal it, its rows add up to its total and its
#                                                 cost column lines up
#   golden.sh VSC graph SCRIPT GOLDEN.dot      -- `vsc graph` must equal it: one box per IR node,
#                                                 one edge per input, every edge between boxes
# VSC_UPDATE_GOLDEN=1 rewrites the golden file instead of comparing.
set -u
vsc=$1 mode=$2
shift 2
export NO_COLOR=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compare() { # expected actual
  if [ "${VSC_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$2" "$1"
    echo "updated $1"
    return 0
  fi
  if ! cmp -s "$1" "$2"; then
    echo "FAIL: output differs from $1:"
    diff -u "$1" "$2" | head -60
    return 1
  fi
}

case $mode in
ir)
  script=$1 golden=$2
  "$vsc" ir "$script" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; echo "FAIL: vsc ir exited $?"; exit 1; }
  compare "$golden" "$tmp/out" || exit 1
  # The same script twice gives the same bytes.
  "$vsc" ir "$script" >"$tmp/out2" 2>/dev/null
  cmp -s "$tmp/out" "$tmp/out2" || { echo "FAIL: IR not deterministic"; exit 1; }
  "$vsc" ir --validate "$tmp/out" >/dev/null || { echo "FAIL: emitted IR does not validate"; exit 1; }
  ;;
diag)
  script=$1 golden=$2
  # SCRIPT.args (beside the script), if any: more arguments, one a line (e.g. --param x=a|b).
  argsf=${script%.vscript}.args
  set --
  if [ -f "$argsf" ]; then
    while IFS= read -r a; do set -- "$@" "$a"; done <"$argsf"
  fi
  "$vsc" check "$script" "$@" >/dev/null 2>"$tmp/err"
  echo "exit $?" >>"$tmp/err"
  compare "$golden" "$tmp/err" || exit 1
  ;;
fmt)
  script=$1
  dir=$(dirname "$script")
  base=$(basename "$script")
  # Work on a copy of the script's directory so relative imports and assets still resolve.
  cp -R "$dir" "$tmp/src"
  "$vsc" fmt "$tmp/src/$base" >"$tmp/f1" || { echo "FAIL: fmt failed"; exit 1; }
  cp "$tmp/f1" "$tmp/src/fmt1-$base"
  "$vsc" fmt "$tmp/src/fmt1-$base" >"$tmp/f2" || { echo "FAIL: fmt of formatted text failed"; exit 1; }
  cmp -s "$tmp/f1" "$tmp/f2" || { echo "FAIL: fmt is not idempotent"; diff -u "$tmp/f1" "$tmp/f2" | head -40; exit 1; }
  "$vsc" fmt --check "$tmp/src/fmt1-$base" || { echo "FAIL: fmt --check rejects formatted text"; exit 1; }
  # Comments survive: every comment line of the input appears in the output.
  grep -o '//.*' "$tmp/src/$base" | sed 's/[[:space:]]*$//' | sort >"$tmp/c1"
  grep -o '//.*' "$tmp/f1" | sed 's/[[:space:]]*$//' | sort >"$tmp/c2"
  cmp -s "$tmp/c1" "$tmp/c2" || { echo "FAIL: comments changed"; diff -u "$tmp/c1" "$tmp/c2" | head -20; exit 1; }
  "$vsc" ir "$tmp/src/$base" 2>/dev/null | grep -v '"src":' >"$tmp/ir1"
  "$vsc" ir "$tmp/src/fmt1-$base" 2>/dev/null | grep -v '"src":' | sed "s/fmt1-$base/$base/g" >"$tmp/ir2"
  # Node ids do not cover src, so the graphs must match exactly apart from positions.
  cmp -s "$tmp/ir1" "$tmp/ir2" || { echo "FAIL: fmt changed the IR"; diff -u "$tmp/ir1" "$tmp/ir2" | head -40; exit 1; }
  ;;
plan)
  script=$1 golden=$2
  "$vsc" plan "$script" --provider replicate --cache "$tmp/no-cache" >"$tmp/out" 2>"$tmp/err" ||
    { cat "$tmp/err"; echo "FAIL: vsc plan exited $?"; exit 1; }
  compare "$golden" "$tmp/out" || exit 1
  # The table: every row's cost ends in the same column, and the rows add up to the total
  # (each row rounded to 0.001).
  awk '/^total/ { total = $2; sub(/^\$/, "", total); tcol = index($0, $2) + length($2); done = 1; next }
       done { next }
       match($0, /\$[0-9]+\.[0-9]+ /) { sum += substr($0, RSTART + 1, RLENGTH - 2); rows++; col[RSTART + RLENGTH - 1] = 1 }
       END {
         n = 0; for (c in col) { n++; last = c }
         if (!done) { print "FAIL: no total row"; exit 1 }
         if (n != 1 || last != tcol) { print "FAIL: the cost column does not line up"; exit 1 }
         d = sum - total; if (d < 0) d = -d
         if (d > 0.0005 * rows + 1e-9) { printf "FAIL: rows add up to %.3f, total says %.3f\n", sum, total; exit 1 }
       }' "$tmp/out" || exit 1
  ;;
graph)
  script=$1 golden=$2
  "$vsc" graph "$script" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; echo "FAIL: vsc graph exited $?"; exit 1; }
  compare "$golden" "$tmp/out" || exit 1
  "$vsc" ir "$script" >"$tmp/ir" 2>/dev/null || { echo "FAIL: vsc ir exited $?"; exit 1; }
  nodes=$(grep -c '"op":' "$tmp/ir") inputs=$(awk '/"inputs": \[$/ { in_list = 1; next } in_list && /\]/ { in_list = 0 } in_list { n++ } END { print n + 0 }' "$tmp/ir")
  awk -v nodes="$nodes" -v inputs="$inputs" '
    /^  n[0-9a-f]+ \[label=/ { box[$1] = 1; nbox++; next }
    /^  n[0-9a-f]+ -> n[0-9a-f]+;$/ { e = $3; sub(/;$/, "", e); if (!($1 in box) || !(e in box)) { print "FAIL: edge " $0 " before its boxes"; bad = 1 } nedge++ }
    END {
      if (nbox != nodes) { printf "FAIL: %d boxes for %d IR nodes\n", nbox, nodes; bad = 1 }
      if (nedge != inputs) { printf "FAIL: %d edges for %d inputs\n", nedge, inputs; bad = 1 }
      exit bad
    }' "$tmp/out" || exit 1
  ;;
roundtrip)
  golden=$1
  "$vsc" ir --canon "$golden" >"$tmp/out" || { echo "FAIL: reader rejected $golden"; exit 1; }
  cmp -s "$golden" "$tmp/out" || { echo "FAIL: round trip changed the bytes"; diff -u "$golden" "$tmp/out" | head -40; exit 1; }
  ;;
*)
  echo "usage: golden.sh VSC ir|diag|fmt|roundtrip|plan|graph ..." >&2
  exit 2
  ;;
esac
echo ok
