#!/bin/sh
# vsc batch end to end (docs/batch.md). batch_test.sh CASE VSC MOCK_REPLICATE
#   rows    20 rows (CSV with a BOM, quotes, an embedded newline): one bad colour, one text
#           that does not fit, one missing file: each reported at its row's line and the
#           script's line:col, the 17 others rendered (ffprobe), the report exact; a row's
#           colour reaches the picture; JSON lines too
#   strict  the same rows with --strict: exit 4, nothing rendered
#   resume  a pool killed mid-way, then --resume: only the missing rows render, the finished
#           videos are not touched
#   plan    plan --batch: the sum of the rows' single plans, and the batch price with the
#           shared shot once, equal to the single plans' own figures
#   lists   list params: rows (CSV 'a|b', JSON arrays) of different lengths make videos of as
#           many scenes (ffprobe length, decoded frames, a row's colour per scene); a wrong
#           item reported at its row:col (CSV) and JSON path; an empty list; too many items;
#           a warning every row gives said once with its rows; a column that is not a param
#           (a warning naming the closest, an error with --strict)
#   mock    against mock-replicate: every prediction created once (the shared shot once for
#           all rows), billing equal to the merged ledgers and within the batch budget; a
#           budget too small for every row is held
set -eu
export LC_ALL=C
case_name=$1
vsc=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
mock=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
mockpid=
cleanup() {
  [ -n "$mockpid" ] && kill "$mockpid" 2>/dev/null && wait "$mockpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp"
cp "$here/store.vscript" "$here/paid.vscript" .
ffmpeg -v error -f lavfi -i color=c=orange:s=320x180 -frames:v 1 card.png

# 20 rows: row 2 has a quoted newline and quotes, 5 a colour that is not one, 9 a headline
# that cannot fit, 13 a photo that does not exist.
rows_csv() {
  python3 - "$1" <<'EOP'
import csv, sys
rows = []
for i in range(1, 21):
    r = {'store': f'Store {i}', 'headline': '', 'bg': '#2a4d69', 'photo': ''}
    if i == 2: r['headline'] = 'Line one\nline two, "quoted"'
    if sys.argv[1] == 'bad':
        if i == 5: r['bg'] = 'blue'
        if i == 9: r['headline'] = 'An extraordinarily long headline that says far too much about coffee ' * 22
        if i == 13: r['photo'] = 'missing/shelf.png'
    if i == 7: r['bg'] = '#ff0000'
    rows.append(r)
with open('rows.csv', 'w', newline='', encoding='utf-8-sig') as f:
    w = csv.DictWriter(f, fieldnames=['store', 'headline', 'bg', 'photo'])
    w.writeheader()
    w.writerows(rows)
EOP
}

# ffprobe: an H.264 320x180 video of 3 s.
check_video() {
  got=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height -show_entries format=duration \
    -of default=nw=1:nk=1 "$1" | tr '\n' ' ')
  case $got in "h264 320 180 3."*) ;; *) fail "$1: $got (want h264 320x180, 3 s)" ;; esac
}

# The mean colour of the first frame's middle, as "R G B".
colour_of() {
  ffmpeg -v error -i "$1" -frames:v 1 -vf crop=16:16:8:8 -f rawvideo -pix_fmt rgb24 - |
    od -A n -t u1 -v | tr -s ' ' '\n' | awk 'NF { s[n % 3] += $1; n++ } END { printf "%d %d %d", s[0] / (n / 3), s[1] / (n / 3), s[2] / (n / 3) }'
}

report_field() { # report_field DIR PYTHON-EXPR-on-r
  python3 -c "import json,sys; r=json.load(open('$1/report.json')); print($2)"
}

case $case_name in
rows)
  rows_csv bad
  rc=0
  "$vsc" batch store.vscript --data rows.csv -o b --jobs 2 --progress plain >out.txt 2>err.txt || rc=$?
  [ $rc = 6 ] || { cat err.txt; fail "exit $rc, want 6 (some rows not rendered)"; }
  for want in "rows.csv:7: error: row 5: 1 error" \
    "rows.csv:7:10: error: 'blue' is not a colour like #1b1b1b" \
    "store.vscript:5:7: note: 'bg' is declared here" \
    "rows.csv:11: error: row 9: 1 error" \
    "store.vscript:13:10: error: text \"An extraordinarily long headline" \
    "rows.csv:15: error: row 13: 1 error" \
    "rows.csv:15:19: error: file 'missing/shelf.png' not found" \
    "store.vscript:15:34: note: param 'photo' is used here" \
    "3 of 20 rows have errors and are left out; the other 17 go on"; do
    grep -qF "$want" err.txt || { cat err.txt; fail "stderr lacks: $want"; }
  done
  grep -q "does not fit" err.txt || fail "the long headline is not said not to fit"
  [ "$(report_field b "r['totals']['ok'], r['totals']['invalid'], r['totals']['rows']")" = "17 3 20" ] ||
    fail "report totals: $(report_field b "r['totals']")"
  [ "$(report_field b "' '.join(x['where'] for x in r['rows'] if x['status'] == 'invalid')")" = "rows.csv:7 rows.csv:11 rows.csv:15" ] ||
    fail "invalid rows: $(report_field b "[x for x in r['rows'] if x['status'] == 'invalid']")"
  [ "$(report_field b "[(d['file'], d['line'], d['column']) for d in r['rows'][12]['diagnostics'] if d['severity'] == 'error']")" = \
    "[('rows.csv', 15, 19)]" ] || fail "row 13's diagnostics: $(report_field b "r['rows'][12]")"
  grep -q "20 rows: 17 ok, 0 partial, 0 failed, 0 not run, 3 invalid" out.txt || { cat out.txt; fail "no summary line"; }
  n=0
  for i in $(seq 1 20); do
    f=$(printf 'b/out/%06d.mp4' "$i")
    case $i in 5 | 9 | 13) [ ! -e "$f" ] || fail "$f rendered from an invalid row"; continue ;; esac
    check_video "$f"
    n=$((n + 1))
  done
  [ $n = 17 ] || fail "$n videos"
  # The row's own colour reaches the picture: row 7 red, row 1 the dark blue #2a4d69.
  set -- $(colour_of b/out/000007.mp4)
  [ "$1" -gt 200 ] && [ "$2" -lt 60 ] && [ "$3" -lt 60 ] || fail "row 7 is $* (want red)"
  set -- $(colour_of b/out/000001.mp4)
  [ "$1" -lt 70 ] && [ "$3" -gt 80 ] || fail "row 1 is $* (want #2a4d69)"
  # JSON lines: a null is the param's default, a number is its text.
  printf '{"store": "A", "bg": "#00ff00"}\n\n{"store": 42, "bg": null}\n' >rows.jsonl
  "$vsc" batch store.vscript --data rows.jsonl -o j --progress json 2>events.txt || fail "jsonl batch exit $?"
  [ "$(grep -c '^{"done":[12],"event":"row","row":[12],"spent":0.0,"status":"ok","total":2}$' events.txt)" = 2 ] ||
    { cat events.txt; fail "--progress json: one row event per row"; }
  check_video j/out/000001.mp4
  check_video j/out/000002.mp4
  set -- $(colour_of j/out/000001.mp4)
  [ "$2" -gt 200 ] && [ "$1" -lt 60 ] || fail "jsonl row 1 is $* (want green)"
  set -- $(colour_of j/out/000002.mp4)
  [ "$1" -lt 50 ] && [ "$2" -lt 50 ] && [ "$3" -lt 50 ] || fail "jsonl row 2 is $* (want the default #1b1b1b)"
  # An existing batch is not overwritten by accident.
  rc=0
  "$vsc" batch store.vscript --data rows.jsonl -o j --progress quiet 2>err2.txt || rc=$?
  [ $rc = 1 ] && grep -q "holds a batch already" err2.txt || fail "a second batch into j: exit $rc"
  # A script of several formats: one video per format and row, each its own frame.
  sed 's/size 320x180 fps 10/size 320x180 fps 10 formats 16:9 9:16/' store.vscript >formats.vscript
  printf 'store\nA\nB\n' >two.csv
  "$vsc" batch formats.vscript --data two.csv -o f --jobs 2 --progress quiet || fail "formats batch exit $?"
  for i in 1 2; do
    [ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "f/out/00000$i.16x9.mp4")" = "320,180" ] || fail "row $i 16:9"
    [ "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "f/out/00000$i.9x16.mp4")" = "180,320" ] || fail "row $i 9:16"
  done
  [ "$(report_field f "len(r['rows'][1]['outputs'])")" = 2 ] || fail "the report lists the formats' videos"
  # --name: videos named by a field; a name two rows give keeps their numbers.
  printf 'store\nLyon Part-Dieu\nNice/Côte\nLyon Part-Dieu\n' >named.csv
  "$vsc" batch store.vscript --data named.csv -o n --name store --progress quiet || fail "--name batch exit $?"
  [ "$(cd n/out && ls *.mp4 | tr '\n' ' ')" = "Lyon-Part-Dieu-000001.mp4 Lyon-Part-Dieu-000003.mp4 Nice-Côte.mp4 " ] ||
    fail "--name made: $(ls n/out)"
  echo "rows: 17 rendered, 3 reported at their rows"
  ;;
strict)
  rows_csv bad
  rc=0
  "$vsc" batch store.vscript --data rows.csv -o b --strict --progress quiet 2>err.txt || rc=$?
  [ $rc = 4 ] || fail "exit $rc, want 4"
  grep -q "3 of 20 rows have errors: nothing was run (--strict)" err.txt || { cat err.txt; fail "no --strict line"; }
  [ -z "$(ls b/out 2>/dev/null)" ] || fail "--strict rendered something: $(ls b/out)"
  # One row is a set of --param values: a value's mistakes are shown where it was given, with
  # the place the script uses it (here through a template's argument).
  cat >tpl.vscript <<'EOS'
param photo file
param n number default 2
template t(p) { shot file p }
video "T" {
  size 320x180
  scene x (1s) use t(photo)
}
EOS
  rc=0
  NO_COLOR=1 "$vsc" check tpl.vscript --param photo=missing.png --param n=two --param nn=1 2>err.txt || rc=$?
  [ $rc = 4 ] || fail "check --param exit $rc"
  for want in "--param:1:7: error: file 'missing.png' not found" "tpl.vscript:6:22: note: param 'photo' is used here" \
    "--param:1:3: error: 'two' is not a number like 0.6" "--param:1:1: error: the script has no param 'nn'" "did you mean 'n'?"; do
    grep -qF -- "$want" err.txt || { cat err.txt; fail "check --param lacks: $want"; }
  done
  rc=0
  "$vsc" check tpl.vscript 2>err.txt || rc=$?
  [ $rc = 4 ] && grep -qF "tpl.vscript:1:7: error: param 'photo' has no value" err.txt || { cat err.txt; fail "a missing param"; }
  "$vsc" check tpl.vscript --param photo=card.png >/dev/null || fail "check --param photo=card.png"
  echo "strict: stopped before anything ran"
  ;;
resume)
  rows_csv good
  head -n 13 rows.csv >twelve.csv # the header and 11 records: rows 1-11 (row 2 is two lines)
  mv twelve.csv rows.csv
  "$vsc" batch store.vscript --data rows.csv -o b --jobs 1 --progress plain >/dev/null 2>log1.txt &
  pid=$!
  i=0
  while [ "$(ls b/rows 2>/dev/null | grep -c result)" -lt 3 ]; do
    i=$((i + 1))
    [ $i -lt 600 ] || fail "no rows finished in 30 s"
    sleep 0.05
  done
  kill -TERM $pid
  rc=0
  wait $pid || rc=$?
  [ $rc = 130 ] || { cat log1.txt; fail "killed batch exit $rc, want 130"; }
  done1=$(report_field b "r['totals']['ok']")
  [ "$done1" -ge 3 ] && [ "$done1" -lt 11 ] || fail "$done1 rows finished before the kill"
  ls -i b/out/*.mp4 | sort -k2 >before.txt
  "$vsc" batch store.vscript --data rows.csv -o b --jobs 2 --resume --progress plain >/dev/null 2>log2.txt ||
    { cat log2.txt; fail "resume exit $?"; }
  ran=$(grep -c '^\[[0-9]*/[0-9]*\] row' log2.txt)
  [ "$ran" = $((11 - done1)) ] || { cat log2.txt; fail "resume ran $ran rows, want $((11 - done1))"; }
  # The videos made before the kill are the same files (not rendered again).
  while read -r ino f; do
    [ "$(ls -i "$f" | awk '{print $1}')" = "$ino" ] || fail "$f was rendered again"
  done <before.txt
  [ "$(report_field b "r['totals']['ok'], r['totals']['rows']")" = "11 11" ] || fail "after resume: $(report_field b "r['totals']")"
  for i in $(seq 1 11); do check_video "$(printf 'b/out/%06d.mp4' "$i")"; done
  echo "resume: $done1 rows before the kill, $ran after"
  ;;
plan)
  printf 'product\n"a red mug"\na blue mug\na red mug\na green teapot\na blue mug\n' >products.csv
  "$vsc" plan --batch paid.vscript --data products.csv --provider replicate --json >plan.json || fail "plan --batch exit $?"
  "$vsc" plan --batch paid.vscript --data products.csv --provider replicate >plan.txt || fail "plan --batch exit $?"
  for p in "a red mug" "a blue mug" "a red mug" "a green teapot" "a blue mug"; do
    "$vsc" plan paid.vscript --param "product=$p" --provider replicate --json >>singles.jsonl || fail "plan --param exit $?"
  done
  python3 - <<'EOP' || exit 1
import json
singles = []
dec = json.JSONDecoder()
text = open('singles.jsonl').read()
pos = 0
while pos < len(text.strip()):
    while text[pos].isspace(): pos += 1
    obj, pos = dec.raw_decode(text, pos)
    singles.append(obj)
b = json.load(open('plan.json'))
sum_single = sum(s['estimated_cost'] for s in singles)
cost = lambda s, name: [x for x in s['scenes'] if x['name'] == name][0]['estimated_cost']
hero = cost(singles[0], 'hero')
assert all(abs(cost(s, 'hero') - hero) < 1e-12 for s in singles)
items = {}
for s, p in zip(singles, ['a red mug', 'a blue mug', 'a red mug', 'a green teapot', 'a blue mug']):
    items[p] = cost(s, 'item')
batch = hero + sum(items.values())
ok = abs(b['sum_of_single_plans'] - sum_single) < 1e-9 and abs(b['batch_cost'] - batch) < 1e-9 \
    and abs(b['saving'] - (sum_single - batch)) < 1e-9 and b['paid_nodes'] == 4 and b['shared_paid_nodes'] == 3 \
    and b['rows'] == 5 and b['saving'] > 0 and hero > 0
if not ok:
    print('FAIL: plan --batch', b, 'want singles', sum_single, 'batch', batch)
    raise SystemExit(1)
print('plan: singles $%.3f, batch $%.3f, saving $%.3f' % (sum_single, batch, sum_single - batch))
EOP
  grep -q "^  saving: " plan.txt || { cat plan.txt; fail "no saving line"; }
  ;;
lists)
  cat >lists.vscript <<'EOS'
param products list string
param swatches list colour default [#0000ff]
video "Lists" {
  size 320x180 fps 10
  scene intro (1s) { shot color #000000 model video.fast }
  for p in products { scene item (1s) { shot color #202020 text p at center } }
  for c in swatches { scene swatch (1s) { shot color c } }
}
EOS
  # Rows of 1, 3 and 5 products and 1-2 swatches (CSV: one field, items split at '|'), a
  # colour that is not one (row 4), an empty list (row 5), too many for a 'length' (below).
  printf '%s\n' 'products,swatches,produts' '"Mug",#ff0000,x' '"Mug|Beans|Grinder","#00ff00|#ff0000",' \
    'a|b|c|d|e,,' 'Mug,#ff0000|blue,' ',#ff0000,' >lists.csv
  rc=0
  NO_COLOR=1 "$vsc" batch lists.vscript --data lists.csv -o l --jobs 2 --progress plain >out.txt 2>err.txt || rc=$?
  [ $rc = 6 ] || { cat err.txt; fail "lists: exit $rc, want 6"; }
  for want in "lists.csv:1: warning: column 'produts' is not a param of lists.vscript: its values are not used (did you mean 'products'?)" \
    "lists.csv:5:13: error: item 2 of 'swatches' is not a colour like #1b1b1b: 'blue'" \
    "lists.csv:6:1: error: 'products' is empty: the 'for' block makes no scenes from it" \
    "lists.vscript:5:41: warning: 'model' has no effect on a colour card (in 5 rows: 1–5)"; do
    grep -qF -- "$want" err.txt || { cat err.txt; fail "lists: stderr lacks: $want"; }
  done
  [ "$(grep -c "has no effect on a colour card" err.txt)" = 1 ] || { cat err.txt; fail "the warning every row gives is said more than once"; }
  # Each video has the intro, one scene per product and one per swatch.
  for want in "1 3" "2 6" "3 7"; do # row, scenes
    set -- $want
    f=$(printf 'l/out/%06d.mp4' "$1")
    frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$f")
    [ "$frames" = "$(($2 * 10))" ] || fail "row $1: $frames frames, want $(($2 * 10)) ($2 scenes of 1 s)"
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
    case $dur in "$2."*) ;; *) fail "row $1 lasts $dur s, want $2 s" ;; esac
  done
  [ "$(python3 -c "import json; print([s['name'] for s in json.load(open('l/rows/000002.json'))['scenes']])")" = \
    "['intro', 'item_1', 'item_2', 'item_3', 'swatch_1', 'swatch_2']" ] || fail "row 2's scene names"
  # Row 2's swatches: green then red, in that order (the middle of each 1 s scene).
  ffmpeg -v error -ss 4.5 -i l/out/000002.mp4 -frames:v 1 -update 1 s1.png
  ffmpeg -v error -ss 5.5 -i l/out/000002.mp4 -frames:v 1 -update 1 s2.png
  set -- $(colour_of s1.png)
  [ "$2" -gt 200 ] && [ "$1" -lt 60 ] || fail "row 2 swatch 1 is $* (want green)"
  set -- $(colour_of s2.png)
  [ "$1" -gt 200 ] && [ "$2" -lt 60 ] || fail "row 2 swatch 2 is $* (want red)"
  # JSON lines: arrays, a wrong item at its JSON path, too many items for a 'length'.
  sed 's/size 320x180 fps 10/size 320x180 fps 10 length 5s/; s/ model video.fast//; s/(1s) { shot color c }/(rest) { shot color c }/' \
    lists.vscript >fixed.vscript
  printf '%s\n' '{"products": ["Mug", "Beans"], "swatches": ["#ff0000", "#00ff00"]}' \
    '{"products": ["a", "b", "c", "d", "e"]}' '{"products": ["Mug"], "swatches": ["#ff0000", 7]}' >lists.jsonl
  rc=0
  NO_COLOR=1 "$vsc" batch fixed.vscript --data lists.jsonl -o lj --progress quiet 2>errj.txt || rc=$?
  [ $rc = 6 ] || { cat errj.txt; fail "lists jsonl: exit $rc, want 6"; }
  for want in "lists.jsonl:2:14: error: too many scenes for the video's length: with the 5 items of 'products' the scenes take 6s, the video is 5s" \
    "lists.jsonl:3:47: error: item 2 of 'swatches' (\$.swatches[1]) is not a colour like #1b1b1b: '7'"; do
    grep -qF -- "$want" errj.txt || { cat errj.txt; fail "lists jsonl: stderr lacks: $want"; }
  done
  frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 lj/out/000001.mp4)
  [ "$frames" = 50 ] || fail "jsonl row 1: $frames frames, want 50 (the swatches share the rest)"
  # --strict: a column that is not a param stops the batch.
  rc=0
  "$vsc" batch lists.vscript --data lists.csv -o ls --strict --progress quiet 2>errs.txt || rc=$?
  [ $rc = 4 ] && grep -qF "lists.csv:1: error: column 'produts' is not a param" errs.txt || { cat errs.txt; fail "--strict: exit $rc"; }
  echo "lists: 3 rows of 3, 6 and 7 scenes"
  ;;
mock)
  token=r8_batch_secret_token_3d9f01
  "$mock" --port 0 --latency 0.3 --token "$token" >mock.out 2>mock.err &
  mockpid=$!
  i=0
  until grep -q listening mock.out 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "mock-replicate did not start"
    sleep 0.05
  done
  base=$(sed -n 's/.*listening on //p' mock.out)
  export REPLICATE_API_BASE="$base/v1" REPLICATE_API_TOKEN="$token" VSC_REPLICATE_SETTLE=2
  billing() { curl -s -H "Authorization: Bearer $token" "$base/_mock/billing"; }
  printf 'product\na red mug\na blue mug\na red mug\na green teapot\na blue mug\na steel kettle\n' >products.csv
  "$vsc" plan --batch paid.vscript --data products.csv --provider replicate --json >plan.json
  need=$(python3 -c "import json; print(json.load(open('plan.json'))['batch_cost'])")
  "$vsc" batch paid.vscript --data products.csv -o m --jobs 3 --provider replicate --budget '$2.00' \
    --cache "$tmp/cache" --progress plain >out.txt 2>err.txt || { cat err.txt out.txt; fail "batch exit $?"; }
  billing >billing1.json
  python3 - "$need" <<'EOP' || { cat out.txt; exit 1; }
import json, sys
b = json.load(open('billing1.json'))
r = json.load(open('m/report.json'))
recs = b['records']
ids = [x['id'] for x in recs]
models = {}
for x in recs: models[x['model']] = models.get(x['model'], 0) + 1
errs = []
if len(ids) != len(set(ids)): errs.append('a prediction billed twice')
# one video shot for all six rows, one still per distinct product (four)
if sorted(models.values()) != [1, 4]: errs.append('creates per model %s' % models)
if abs(b['total'] - r['totals']['spent']) > 1e-9: errs.append('billing %s != ledgers %s' % (b['total'], r['totals']['spent']))
if abs(sum(x['cost'] for x in r['rows']) - r['totals']['spent']) > 1e-9: errs.append('rows do not add up')
if b['total'] > 2.0 + 1e-9: errs.append('over the budget')
if abs(b['total'] - float(sys.argv[1])) > 1e-6: errs.append('spent %s, plan --batch said %s' % (b['total'], sys.argv[1]))
preds = [p for x in r['rows'] for p in x['predictions']]
if sorted(preds) != sorted(ids): errs.append('report predictions %s != billed %s' % (preds, ids))
if r['totals']['ok'] != 6: errs.append('rows ok: %s' % r['totals'])
if errs:
    print('FAIL:', '; '.join(errs)); raise SystemExit(1)
print('mock: %d predictions, $%.4f billed = merged ledgers' % (len(ids), b['total']))
EOP
  ! grep -rl "$token" m "$tmp/cache" >/dev/null 2>&1 || fail "the token is written in the batch or the cache"
  # A budget that cannot pay every row: held, the rows beyond it stop before paying.
  printf 'product\na brass lamp\na glass vase\na wool scarf\na clay pot\n' >more.csv
  "$vsc" plan --batch paid.vscript --data more.csv --provider replicate --cache "$tmp/cache" --json >plan2.json
  small=$(python3 -c "import json; p = json.load(open('plan2.json')); print('%.4f' % (p['to_spend'] / 2))")
  rc=0
  "$vsc" batch paid.vscript --data more.csv -o m2 --jobs 2 --provider replicate --budget "\$$small" \
    --cache "$tmp/cache" --progress plain >out2.txt 2>err2.txt || rc=$?
  [ $rc = 6 ] || { cat err2.txt out2.txt; fail "small budget: exit $rc, want 6"; }
  billing >billing2.json
  python3 - "$small" <<'EOP' || exit 1
import json, sys
b1 = json.load(open('billing1.json'))['total']
b2 = json.load(open('billing2.json'))['total']
r = json.load(open('m2/report.json'))
spent = b2 - b1
errs = []
if spent > float(sys.argv[1]) + 1e-9: errs.append('spent %s over the %s budget' % (spent, sys.argv[1]))
if abs(spent - r['totals']['spent']) > 1e-9: errs.append('billing %s != ledgers %s' % (spent, r['totals']['spent']))
st = [x['status'] for x in r['rows']]
if 'budget' not in st or r['totals']['ok'] < 1: errs.append('statuses %s' % st)
if errs:
    print('FAIL:', '; '.join(errs)); raise SystemExit(1)
print('budget $%s held: spent $%.4f, rows %s' % (sys.argv[1], spent, st))
EOP
  ;;
*) fail "unknown case $case_name" ;;
esac
