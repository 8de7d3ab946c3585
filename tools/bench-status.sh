#!/usr/bin/env bash
# bench-status.sh - the benchmark of issue 16: how long 'adbk status' takes
# over a folder of many archives, which it reads from their tails (and seek
# tables), not their content.
#
# usage: tools/bench-status.sh [--archives N] [--dcs D] [--size BYTES] [--runs R]
#                              [--workdir DIR]
#
# Makes N archives (default 500) of D domain controllers (default 50), each of
# one member of BYTES (default 262144, in 4 KiB chunks: 66 frames), a day
# apart, each DC's newest 0 to 80 days old with a tombstone lifetime of 60
# days, so that every verdict occurs;
# they are written by tests/status/mkarchive (the writer API with a chosen
# creation time and properties). Then times 'adbk status DIR' and
# 'adbk status --json DIR' with hyperfine (R runs, default 10, after a
# warmup: the page cache is warm) and prints their mean times. The archives
# stay in the work folder (default build-bench-status/fleet) for reruns.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

archives=500 dcs=50 size=262144 runs=10 workdir=""
while [ $# -gt 0 ]; do
    case $1 in
    --archives) num "$1" "${2:-}"; archives=$2; shift 2 ;;
    --dcs) num "$1" "${2:-}"; dcs=$2; shift 2 ;;
    --size) num "$1" "${2:-}"; size=$2; shift 2 ;;
    --runs) num "$1" "${2:-}"; runs=$2; shift 2 ;;
    --workdir) [ -n "${2:-}" ] || die "--workdir wants a folder"; workdir=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[ "$dcs" -ge 1 ] || die "--dcs wants at least 1"
command -v hyperfine >/dev/null || die "hyperfine is not installed (tools/setup.sh --bench)"

bdir="$root/build-bench-status"
[ -n "$workdir" ] || workdir="$bdir/fleet"
cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$bdir" -j2 --target adbk mkarchive >/dev/null
adbk="$bdir/tools/adbk" mkarchive="$bdir/tests/mkarchive"

now=$(date +%s)
fleet="$workdir/$archives-$dcs-$size"
if [ ! -f "$fleet/.complete" ]; then
    say "writing $archives archives of $dcs domain controllers ($size bytes each) into $fleet"
    rm -rf "$fleet"
    mkdir -p "$fleet"
    for i in $(seq 0 $((archives - 1))); do
        # a DC's archives are a day apart, its newest 0 to 80 days old
        dc=$((i % dcs)) days=$(((i % dcs) % 9 * 10 + i / dcs))
        mkdir -p "$fleet/dc$dc"
        "$mkarchive" "$fleet/dc$dc/dc$dc-$i.adbk" $((now - days * 86400)) -s "$size" \
            -p source=dsbackup -p "server=DC$dc" -p domain=corp.example.com \
            -p tombstone.lifetime.days=60
    done
    touch "$fleet/.complete"
fi

set +e
"$adbk" status -q "$fleet"
rc=$?
set -e
say "adbk status exited $rc (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"
json="$bdir/bench-status.json"
hyperfine --warmup 2 --runs "$runs" -N -i --export-json "$json" \
    -n "status" "$adbk status $fleet" \
    -n "status --json" "$adbk status --json $fleet" >&2
python3 - "$json" "$archives" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for x in r["results"]:
    print(f"adbk {x['command']}: {sys.argv[2]} archives in {x['mean'] * 1000:.1f} ms "
          f"(± {x['stddev'] * 1000:.1f} ms, min {x['min'] * 1000:.1f} ms)")
EOF
