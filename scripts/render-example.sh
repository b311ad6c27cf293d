#!/bin/sh
# Sets up, builds and renders examples/ad.vscript offline with the local provider.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
sh scripts/build.sh
./build/cli/vsc build examples/ad.vscript --provider local -o ad.mp4
echo "rendered ad.mp4"
