#!/bin/sh
# Sets up, builds (warnings are errors) and runs every test with ctest.
# VSC_SANITIZE=1 builds into build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
dir=build
flags="-DVSC_WERROR=ON"
if [ "${VSC_SANITIZE:-0}" = 1 ]; then
  dir=build-asan
  flags="$flags -DVSC_SANITIZE=ON"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo $flags >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 600
