#!/bin/sh
# Configures and builds vsc into build/ (extra arguments go to CMake's configure step).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
