#!/bin/sh
# The main job on built-in data: installs what is missing, builds, makes a
# simulated domain controller's NTDS folder, packs it into one archive, then
# lists and verifies the archive. Everything lands in out/demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$(nproc 2>/dev/null || echo 2)" --target adbk adbk-verify dcsim
bin="$top/build/tools"
demo="$top/out/demo"
size=${ADBK_DEMO_SIZE:-256M}

rm -rf "$demo"
mkdir -p "$demo"
echo "== provisioning a simulated DC ($size database) in $demo/NTDS"
"$bin/dcsim/dcsim" provision "$demo/NTDS" --size "$size" --seed 1
echo "== packing it into $demo/demo.adbk"
"$bin/adbk" create -o "$demo/demo.adbk" --xxh128 "$demo/NTDS"
echo "== listing"
"$bin/adbk" list "$demo/demo.adbk"
echo "== verifying with the offsite tool"
"$bin/adbk-verify" "$demo/demo.adbk"
echo "== the stock tools agree"
zstd -t -q "$demo/demo.adbk" && echo "zstd -t: OK"
(cd "$demo" && xxhsum -c demo.adbk.xxh128)
