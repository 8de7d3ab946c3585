#!/bin/sh
# Installs what is missing, then builds and runs the whole test suite twice:
# gcc (-O2, warnings are errors) and clang with AddressSanitizer + UBSan; in
# between, a gcc -O3 build without tests, since -O3 warns about more.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build "$top/build" -j "$jobs"
(cd "$top/build" && ctest --output-on-failure -j "$jobs")

# The optimised build the benchmark uses: -O3 finds warnings -O2 does not.
cmake -S "$top" -B "$top/build-release" -DCMAKE_BUILD_TYPE=Release -DADBK_TESTS=OFF >/dev/null
cmake --build "$top/build-release" -j "$jobs"

cmake -S "$top" -B "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DADBK_SANITIZE=ON >/dev/null
cmake --build "$top/build-asan" -j "$jobs"
(cd "$top/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs" -LE slow)
