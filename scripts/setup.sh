#!/bin/sh
# Installs every Debian package vsc needs to build, render and test.
# Run as root on Debian 12 (bookworm). Safe to run again.
set -eu
PKGS="build-essential cmake pkg-config re2c lemon clang libclang-rt-14-dev
  libjansson-dev libcurl4-openssl-dev libssl-dev
  libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
  libaubio-dev libespeak-ng-dev espeak-ng-data libmicrohttpd-dev
  ffmpeg fonts-dejavu-core fontconfig time"
PKGS="$PKGS libass-dev fonts-noto-cjk fonts-noto-color-emoji fonts-symbola"
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
