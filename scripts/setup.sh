#!/bin/sh
# Installs every Debian package vsc needs to build, render and test.
# Run as root on Debian 12 (bookworm). Safe to run again.
set -eu
PKGS="build-essential cmake pkg-config re2c lemon clang libclang-rt-14-dev
  libjansson-dev libcurl4-openssl-dev libssl-dev
  libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
  libaubio-dev libespeak-ng-dev espeak-ng-data libmicrohttpd-dev
  ffmpeg fonts-dejavu-core fontconfig time"
PKGS="$PKGS fluidsynth fluid-soundfont-gm python3-mido python3-numpy aubio-tools planetblupi-music-midi"
# The studio's front end is built with node/npm (any node >= 18; Debian 12 ships 18). A node
# already on the machine is used as it is.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
# The studio's browser tests drive Debian's Chromium (never a downloaded browser).
PKGS="$PKGS chromium"
PKGS="$PKGS libass-dev fonts-noto-cjk fonts-noto-color-emoji fonts-symbola"
PKGS="$PKGS clang-format" # scripts/format-check.sh
# vsc batch --slurm; the tests start a one-node cluster of their own (tests/slurm/cluster.sh).
PKGS="$PKGS slurmctld slurmd slurm-client munge"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages:$missing (run this script as root)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
fi
# The conformance test of the mock against the official npm client (tests/npm_client): its
# packages come from the npm registry, pinned by the lockfile, and only where node exists
# (Debian's nodejs 18 or a newer one). Reinstalled only when the lockfile changed.
npm_dir="$(dirname "$0")/../tests/npm_client"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -f "$npm_dir/node_modules/.package-lock.json" ] ||
     [ "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.package-lock.json" ]; then
    (cd "$npm_dir" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null) ||
      echo "setup: npm ci in tests/npm_client failed; mock.npm_client will be skipped" >&2
  fi
fi
