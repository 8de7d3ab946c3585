#!/bin/sh
# Installs what is missing, then builds and runs the whole test suite twice:
# gcc (-O2, warnings are errors) and clang with AddressSanitizer + UBSan; in
# between, the Debian packages built, installed and run (ADBK_PACKAGES=0
# leaves that out), and a gcc -O3 build without tests, since -O3 warns about
# more. Then valgrind on the archive-reading tests, a short run of every fuzz
# target, and the Windows build under Wine (ADBK_WINE=0 leaves that out).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build "$top/build" -j "$jobs"
(cd "$top/build" && ctest --output-on-failure -j "$jobs")

# The Debian packages (issue 16): dpkg-buildpackage, lintian (no error),
# apt-get install, then the installed programs on the golden archives and on
# fresh ones (a folder; a backup and a restore of the simulated DC, whose
# dcsim program comes from build/), and a program outside the tree built
# against the installed library with pkg-config alone. About a minute and a
# half on two cores; the packages are removed afterwards.
if [ "${ADBK_PACKAGES:-1}" = 1 ]; then
    "$top/tests/install/packages.sh" "$top/build-packages" "$top/build"
fi

# The optimised build the benchmark uses: -O3 finds warnings -O2 does not.
cmake -S "$top" -B "$top/build-release" -DCMAKE_BUILD_TYPE=Release -DADBK_TESTS=OFF >/dev/null
cmake --build "$top/build-release" -j "$jobs"

cmake -S "$top" -B "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DADBK_SANITIZE=ON >/dev/null
cmake --build "$top/build-asan" -j "$jobs"
(cd "$top/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs" -LE slow)

# Hostile archives (issue 6). The clang ASan + UBSan run above already covers
# the whole suite, fixtures included. Then valgrind on the gcc build, for the
# container and the hostile fixtures (memcheck sees uninitialised reads that
# ASan does not): about a minute on two cores. The simulator's and the backup
# tests are left to ASan: under valgrind they take another two and a half
# minutes and read no archive a stranger wrote.
(cd "$top/build" && ctest -N -R '^(test_container|test_vectors|hostile)\.') |
  sed -n 's/^ *Test *#[0-9]*: *//p' | sed 's/^hostile\./test_hostile./; s/\./ /' |
  ADBK_TEST_TMP="$top/build/tests/tmp" ADBK_TEST_VALGRIND=1 xargs -P "$jobs" -n 2 sh -c \
    'out=$(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
       "$0/tests/$1" "$2" 2>&1) || { printf "%s\nvalgrind: %s %s failed\n" "$out" "$1" "$2" >&2; exit 1; }' \
    "$top/build"
echo "valgrind: container and hostile-archive tests clean" >&2

# The libFuzzer targets, a minute each (tests/fuzz/README.md has the long
# run); ADBK_FUZZ_SECONDS sets the time per target.
"$top/tests/fuzz/run.sh" "${ADBK_FUZZ_SECONDS:-60}"

# Windows (issue 7): a mingw-w64 cross-build (zstd, xxHash and libsodium
# built from Debian's source packages), then adbk.exe and adbk-verify.exe
# under Wine against the simulated DC built as ntdsbcli.dll: backup, verify,
# extract and restore, and archives crossing between Linux and Windows both
# ways, plain, encrypted and signed.
if [ "${ADBK_WINE:-1}" = 1 ]; then
    "$top/tools/win/build.sh" "$top/build-win"
    "$top/tests/wine/run.sh" "$top/build" "$top/build-win/adbk"
fi
