#!/bin/sh
# The main job on built-in data: installs what is missing, builds, then runs
# `adbk backup` of the built-in simulated domain controller (made on first
# use in ~/.cache/adbk/builtin-dc, or $XDG_CACHE_HOME/adbk/builtin-dc) into
# one archive, then lists and verifies the archive. The archive lands in
# out/demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$(nproc 2>/dev/null || echo 2)" --target adbk adbk-verify dcsim
bin="$top/build/tools"
demo="$top/out/demo"

rm -rf "$demo"
mkdir -p "$demo"
echo "== backing up the built-in simulated DC into $demo/demo.adbk"
"$bin/adbk" backup -o "$demo/demo.adbk" --xxh128
echo "== listing"
"$bin/adbk" list "$demo/demo.adbk"
echo "== verifying with the offsite tool"
"$bin/adbk-verify" "$demo/demo.adbk"
echo "== the stock tools agree"
zstd -t -q "$demo/demo.adbk" && echo "zstd -t: OK"
(cd "$demo" && xxhsum -c demo.adbk.xxh128)
