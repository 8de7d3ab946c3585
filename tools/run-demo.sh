#!/bin/sh
# The main job on built-in data: installs what is missing, builds, then
#  1. backs up a real Samba AD DC with `adbk backup` (the DC is provisioned
#     by samba-tool in out/demo-samba on the first run, with 1,000 users, and
#     kept; no daemon is started), lists the archive, checks it with the
#     offsite tool and the stock zstd and xxhsum, restores it into a new
#     folder and has Samba's dbcheck check the restored directory;
#  2. backs up adbk's simulated DC (dcsim, the test double of the Windows
#     DsBackup API, 256 MiB, provisioned in out/demo-dc and kept), named with
#     --dcsim as it must be.
# The archives land in out/demo/. Run as root (Samba's files are root's).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$(nproc 2>/dev/null || echo 2)" --target adbk adbk-verify dcsim
bin="$top/build/tools"
demo="$top/out/demo"
rm -rf "$demo"
mkdir -p "$demo"

samba="$top/out/demo-samba"
if [ ! -f "$samba/etc/smb.conf" ]; then
    echo "== provisioning a Samba AD DC in $samba (samba-tool, LMDB partitions, 1,000 users)"
    rm -rf "$samba"
    /usr/bin/python3 "$top/tests/samba/sambadc.py" provision "$samba" mdb DEMO.EXAMPLE.COM >/dev/null
    /usr/bin/python3 "$top/tests/samba/sambadc.py" populate "$samba" 1000
fi
echo "== backing up the Samba DC into $demo/samba-dc.adbk"
"$bin/adbk" backup --samba-conf "$samba/etc/smb.conf" -o "$demo/samba-dc.adbk" --xxh128
echo "== listing"
"$bin/adbk" list "$demo/samba-dc.adbk"
echo "== verifying with the offsite tool"
"$bin/adbk-verify" "$demo/samba-dc.adbk"
echo "== the stock tools agree"
zstd -t -q "$demo/samba-dc.adbk" && echo "zstd -t: OK"
(cd "$demo" && xxhsum -c samba-dc.adbk.xxh128)
echo "== restoring it into a new folder, $demo/restored-dc, and checking it with samba-tool dbcheck"
"$bin/adbk" restore --samba-target "$demo/restored-dc" "$demo/samba-dc.adbk"
samba-tool dbcheck --cross-ncs -s "$demo/restored-dc/etc/smb.conf" 2>&1 | tail -n 1

dc="$top/out/demo-dc"
if [ ! -f "$dc/dcsim.ini" ]; then
    echo "== provisioning a simulated DC (256 MiB) in $dc"
    rm -rf "$dc"
    "$top/build/dcsim/dcsim" provision "$dc" --size 256M --seed 1 >/dev/null
fi
"$top/build/dcsim/dcsim" start "$dc" >/dev/null
echo "== backing up the simulated DC (a test double of the Windows API) into $demo/dcsim.adbk"
"$bin/adbk" backup --dcsim "$dc" -o "$demo/dcsim.adbk"
"$bin/adbk-verify" "$demo/dcsim.adbk"
