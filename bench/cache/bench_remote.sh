#!/bin/sh
# Bench: the shared cache, with the real CLI. A first machine renders a script from nothing
# with and without a shared cache (the cost of storing everything it makes), then a second
# machine (an empty local cache) builds the same script from the shared cache, in a shared
# directory and, when nginx is installed, over HTTP. Prints medians and their ratios
# against the plain cold build of the same run.
# Usage: bench_remote.sh VSC_BINARY [SCRIPT] [RUNS] [SIZE]   (SIZE: preview (default) or full)
set -eu
VSC=$1
SRC=${2:-$(dirname "$0")/../../examples/ad.vscript}
RUNS=${3:-3}
SIZE=${4:-preview}
PREVIEW=--preview
[ "$SIZE" = full ] && PREVIEW=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsc-bench-rcache.XXXXXX")
NGINX_PID=
cleanup() { [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
cp -R "$(dirname "$SRC")/." "$WORK/"
SCRIPT="$WORK/$(basename "$SRC")"
unset REPLICATE_API_TOKEN VSC_REMOTE_CACHE || true
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# build LABEL CACHE [--remote-cache URL]: one timed build into a fresh output.
build() {
  label=$1; cache=$2; shift 2
  t0=$(now)
  "$VSC" build "$SCRIPT" $PREVIEW --progress quiet --cache "$cache" -o "$WORK/out.mp4" "$@" >/dev/null 2>"$WORK/err" || {
    echo "bench_remote: $label build failed:" >&2; cat "$WORK/err" >&2; exit 1; }
  t1=$(now)
  echo $((t1 - t0)) >>"$WORK/$label.t"
}

URL=
if [ -x /usr/sbin/nginx ]; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$WORK/nginx/root/cache"
  cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$PORT; root $WORK/nginx/root; client_max_body_size 0;
    location /cache/ { dav_methods PUT DELETE; create_full_put_path on; }
  }
}
CONF
  /usr/sbin/nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
  NGINX_PID=$!
  sleep 0.3
  URL=http://127.0.0.1:$PORT/cache
fi

i=0
while [ "$i" -lt "$RUNS" ]; do
  build cold "$WORK/c.cold.$i"
  build store-dir "$WORK/c.sd.$i" --remote-cache "$WORK/shared.$i"
  build fetch-dir "$WORK/c.fd.$i" --remote-cache "$WORK/shared.$i"
  build noop "$WORK/c.cold.$i"
  if [ -n "$URL" ]; then
    build store-http "$WORK/c.sh.$i" --remote-cache "$URL/$i"
    build fetch-http "$WORK/c.fh.$i" --remote-cache "$URL/$i"
  fi
  i=$((i + 1))
done
cold=$(median <"$WORK/cold.t")
report() {
  [ -f "$WORK/$1.t" ] || return 0
  awk -v c="$cold" -v t="$(median <"$WORK/$1.t")" -v l="$2" 'BEGIN { printf "%-52s %8.1f ms  ratio %.3f\n", l, t / 1e6, t / c }'
}
echo "shared cache: $(basename "$SRC") ($SIZE), medians of $RUNS, ratios against the cold build"
report cold "cold build, no shared cache (baseline)"
report store-dir "cold build storing into a shared directory"
report store-http "cold build storing over HTTP (nginx on loopback)"
report fetch-dir "second machine, from the shared directory"
report fetch-http "second machine, over HTTP"
report noop "no-op rebuild on the first machine (local cache)"
