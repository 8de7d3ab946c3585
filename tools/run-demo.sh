#!/bin/sh
# The main job on built-in data: installs what is missing, builds, then runs
# `adbk backup` of a simulated domain controller (dcsim, adbk's test double of
# the DsBackup API: 256 MiB database, provisioned in out/demo-dc on the first
# run and kept) into one archive, then lists and verifies the archive. adbk
# backs up the simulator only when told to, here with --dcsim. The archive
# lands in out/demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$(nproc 2>/dev/null || echo 2)" --target adbk adbk-verify dcsim
bin="$top/build/tools"
demo="$top/out/demo"

rm -rf "$demo"
mkdir -p "$demo"
dc="$top/out/demo-dc"
if [ ! -f "$dc/dcsim.ini" ]; then
    echo "== provisioning a simulated DC (256 MiB) in $dc"
    rm -rf "$dc"
    "$top/build/dcsim/dcsim" provision "$dc" --size 256M --seed 1 >/dev/null
fi
"$top/build/dcsim/dcsim" start "$dc" >/dev/null
echo "== backing up the simulated DC into $demo/demo.adbk"
"$bin/adbk" backup --dcsim "$dc" -o "$demo/demo.adbk" --xxh128
echo "== listing"
"$bin/adbk" list "$demo/demo.adbk"
echo "== verifying with the offsite tool"
"$bin/adbk-verify" "$demo/demo.adbk"
echo "== the stock tools agree"
zstd -t -q "$demo/demo.adbk" && echo "zstd -t: OK"
(cd "$demo" && xxhsum -c demo.adbk.xxh128)
