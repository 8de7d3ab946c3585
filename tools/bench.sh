#!/usr/bin/env bash
# bench.sh - the benchmark of issues 2, 4 and 17: adbk against tar | zstd on the
# same data.
#
# usage: tools/bench.sh [--size MIB] [--runs N] [--big-gib G] [--keep]
#                       [--json FILE] [--workdir DIR] [--seed N] [--dcsim]
#                       [--no-setup] [--check] [--wait-idle S]
#                       [--backup-gib G] [--backup-only] [--profile]
#
# In one run, on the same data:
#   1. create   'adbk create -q -o X.adbk DATA'  vs  'tar -cf - DATA | zstd -3 -T2'
#               median of N runs (hyperfine); seconds, MB/s, speed ratio, and the
#               compression ratio (input bytes / output bytes) of both. For
#               information also 'tar | zstd' followed by an fsync of its output,
#               since adbk syncs its archive (and folder) before renaming it.
#   2. verify   'adbk-verify -q X.adbk'  vs  'zstd -t -q Y.tar.zst' (median of N);
#               for information also 'zstd -t' on the .adbk itself.
#      quick    'adbk-verify --quick X.adbk' (every stored byte against its
#               writer's checksums, nothing decompressed) vs the same zstd -t.
#      extract  'adbk extract -C DIR X.adbk' (the whole archive, to files) vs
#               'zstd -dc Y.tar.zst | tar -x', and against adbk-verify's time.
#      threads  'adbk create -T 1' vs '-T 2', 'adbk-verify -T 1' vs '-T 2' (median
#               of N): how they scale from one core to two.
#      limit    what the cores allow: 'zstd -b3 -T1 -B4194304 -i1 -r DATA' (zstd
#               level 3 on independent 4 MiB blocks, in memory, one core), its
#               compression and decompression MB/s times the number of cores,
#               in N rounds that alternate it with 'adbk create' and
#               'adbk-verify' (default threads): each round's create and verify
#               MB/s as a share of that round's limit, and the medians, so that
#               the machine's drift moves both sides of each ratio alike; and
#               the 1-thread runs as a share of one core's.
#   3. memory   peak RSS (GNU time %M) of adbk create, adbk-verify (and --quick),
#               adbk extract, adbk list, zstd in tar | zstd, zstd -t, and of adbk
#               create/verify on the big archive.
#   4. list     'adbk list' on a big archive of G GiB of content, made cheaply
#               from the data folder plus a sparse file (adbk create -1); hyperfine
#               -N, warm (--warmup 3) and cold-ish (the file's pages evicted with
#               posix_fadvise DONTNEED before each run; a VM's host cache may
#               still hold them, hence "cold-ish").
#   5. backup   'adbk backup' of a simulated DC of G GiB (dcsim provision, started)
#               vs 'tar -cf - FILES | zstd -3 -T2' over the same files (the
#               database and the logs the backup holds, taken from the archive's
#               listing), median of N; speed ratio, compression ratio, peak RSS.
#               Each backup rolls one log (as the real API does), so the backup's
#               log set can differ from tar's by one 10 MiB log: both byte counts
#               are reported. Then N rounds of 'zstd -b3 -T1 -B4194304 -i1' over
#               the same files and 'adbk backup': the backup's share of what the
#               cores allow on the DC's own data, per round and the median.
#               Then the DC is stopped and 'adbk restore' of the archive into
#               it (staged, every file fsync'd, placed, registered) is timed
#               against adbk-verify of the same archive and 'zstd -dc | tar -x'
#               of the tar.zst followed by 'sync -f', and against writing the
#               same bytes durably (cat | dd conv=fsync: the work folder's own
#               write speed, which bounds a restore);
#               peak RSS of the restore.
#   6. with --profile: 'perf record' of one adbk backup and one adbk-verify, and
#      the top symbols of each (where the time goes).
#   7. a table of the issues' targets with PASS/FAIL, machine info, and the same
#      as JSON (--json FILE, default build-bench/bench.json).
#
# The page cache cannot be dropped reliably here, so the data are read once
# before timing (warm cache) and every create/verify run is on a warm cache.
#
# Options:
#   --size MIB     data size in MiB (default 2048), made by tools/bench-data.sh
#   --runs N       timed runs per command (default 5); the median is reported
#   --big-gib G    content of the archive listed (default 10; 0 skips step 4)
#   --seed N       data seed (default 1)
#   --dcsim        make the data with 'dcsim provision DIR --size SIZE' (the
#                  simulated DC, built from dcsim/) instead of bench-data.sh
#   --workdir DIR  where data and archives go (default: a new folder under
#                  $TMPDIR or /tmp); needs about 3 x SIZE + 1 GiB free.
#                  adbk fsyncs what it writes, so on a disk the disk's write
#                  speed is in its figures; a tmpfs folder (/dev/shm/...)
#                  leaves it out, as the limit (zstd -b, in memory) does
#   --keep         keep the work folder (default: removed at the end)
#   --json FILE    also write the results as JSON to FILE
#   --no-setup     do not run tools/setup.sh --bench (hyperfine, GNU time)
#   --check        exit 1 when a target fails (default: exit 0 once measured)
#   --backup-gib G size of the simulated DC's database for step 5 (default 2;
#                  0 skips step 5)
#   --backup-only  run step 5 (and 6) only
#   --profile      step 6 (needs perf; kernel.perf_event_paranoid <= 1 or root)
#   --wait-idle S  before each timed phase, wait up to S seconds (default 60)
#                  for other processes to use under 10 % of the CPUs; the
#                  report gives the share other processes used during each
#                  phase anyway (from /proc/stat minus our own CPU time)
#   -h, --help     this text
#
# adbk is built in Release mode (-DADBK_TESTS=OFF) into build-bench/ beside
# the source; only the adbk and adbk-verify targets (and dcsim with --dcsim).
# Peak memory targets are checked at default settings (threads = all cores,
# chunk 4 MiB). Not part of ctest.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
size=2048
runs=5
big_gib=10
seed=1
keep=0
json=""
workdir=""
use_dcsim=0
backup_gib=2
backup_only=0
profile=0
do_setup=1
check=0
wait_idle=60

. "$root/tools/bench-lib.sh"

while [ $# -gt 0 ]; do
    case $1 in
    --size) num "$1" "${2:-}"; size=$2; shift 2 ;;
    --runs) num "$1" "${2:-}"; runs=$2; shift 2 ;;
    --big-gib) num "$1" "${2:-}"; big_gib=$2; shift 2 ;;
    --seed) num "$1" "${2:-}"; seed=$2; shift 2 ;;
    --workdir) [ -n "${2:-}" ] || die "--workdir wants a folder"; workdir=$2; shift 2 ;;
    --json) [ -n "${2:-}" ] || die "--json wants a file"; json=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --dcsim) use_dcsim=1; shift ;;
    --backup-gib) num "$1" "${2:-}"; backup_gib=$2; shift 2 ;;
    --backup-only) backup_only=1; shift ;;
    --profile) profile=1; shift ;;
    --no-setup) do_setup=0; shift ;;
    --check) check=1; shift ;;
    --wait-idle) num "$1" "${2:-}"; wait_idle=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[ "$size" -ge 16 ] || die "--size must be at least 16 MiB"
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
[ -n "$json" ] || json="$root/build-bench/bench.json"
case $json in /*) ;; *) json="$PWD/$json" ;; esac

# ------------------------------------------------------------------ tools
if [ "$do_setup" = 1 ]; then
    say "checking the tools (tools/setup.sh --bench)"
    sh "$root/tools/setup.sh" --bench
fi
for t in hyperfine zstd tar python3 cmake cc df; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' is missing; run tools/setup.sh --bench"
done
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing; run tools/setup.sh --bench"

# ------------------------------------------------------------------ work folder
if [ -n "$workdir" ]; then
    mkdir -p "$workdir"
    work=$(cd "$workdir" && pwd)
    [ -z "$(ls -A "$work")" ] || die "--workdir $work is not empty"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/adbk-bench.XXXXXX")
fi
case $work in *"'"*) die "the work folder's path must not contain a quote: $work" ;; esac
cleanup() {
    local rc=$?
    if [ "$keep" = 1 ]; then
        say "kept the work folder $work"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_mib=$((size * 3 + 1024 + backup_gib * 2048))
[ "$backup_only" = 0 ] || need_mib=$((backup_gib * 2048 + 1024))
free_mib=$(df -Pm "$work" | awk 'NR == 2 { print $4 }')
[ "$free_mib" -ge "$need_mib" ] ||
    die "$work has $free_mib MiB free; the benchmark needs about $need_mib MiB (--workdir elsewhere, or a smaller --size)"
say "work folder $work ($free_mib MiB free, about $need_mib MiB needed)"

# ------------------------------------------------------------------ build
bdir="$root/build-bench"
targets="adbk adbk-verify"
{ [ "$use_dcsim" = 1 ] || [ "$backup_gib" -gt 0 ]; } && targets="$targets dcsim"
say "building $targets in Release mode into $bdir"
t0=$(date +%s)
# shellcheck disable=SC2086 # $targets is a list of target names
build() { # [LAUNCHER]; always from scratch, so the warnings (and the note) are current
    cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DADBK_TESTS=OFF \
        -DCMAKE_C_FLAGS= "-DCMAKE_C_COMPILER_LAUNCHER=${1:-}" &&
        cmake --build "$bdir" -j"$(nproc)" --clean-first --target $targets
}
build_note=""
if ! build "" >"$work/build.log" 2>&1; then
    # GCC at -O3 warns about things -O2 does not see (maybe-uninitialized,
    # format-truncation), and -Werror makes them fatal. The benchmark still
    # wants numbers: name the warnings, rebuild with a compiler launcher that
    # appends -Wno-error (it must come after the project's -Werror).
    if grep -q '\[-Werror=' "$work/build.log"; then
        grep '\[-Werror=' "$work/build.log" | sed 's/^/bench:   /' | sort -u >&2
        say "WARNING: the Release build fails on -Werror (above); rebuilding with -Wno-error"
        build_note="Release (-O3) build fails on -Werror: $(grep -o '\[-Werror=[a-z=-]*\]' "$work/build.log" | sort -u | tr '\n' ' ')- built with -Wno-error"
        mkdir -p "$bdir"
        printf '#!/bin/sh\nexec "$@" -Wno-error\n' >"$bdir/no-werror"
        chmod +x "$bdir/no-werror"
        build "$bdir/no-werror" >"$work/build.log" 2>&1 ||
            { tail -n 40 "$work/build.log" >&2; die "the build failed (log above)"; }
    else
        tail -n 40 "$work/build.log" >&2
        die "the build failed (log above)"
    fi
fi
say "built in $(( $(date +%s) - t0 )) s"
adbk="$bdir/tools/adbk"
verify="$bdir/tools/adbk-verify"
[ -x "$adbk" ] || adbk=$(find "$bdir" -name adbk -type f -perm -u+x | head -n 1)
[ -x "$verify" ] || verify=$(find "$bdir" -name adbk-verify -type f -perm -u+x | head -n 1)
if [ ! -x "$adbk" ] || [ ! -x "$verify" ]; then die "adbk or adbk-verify not found in $bdir"; fi

hf() { hyperfine --style basic "$@" >&2; }
# CPU accounting, to tell how much other processes disturbed a phase:
# busy and total jiffies of all CPUs (/proc/stat), and our children's CPU
# seconds (bash 'times'; hyperfine and what it runs are our descendants).
mark() { # PHASE_a / PHASE_b; 'times' must run in this shell, not in a subshell
    times >"$work/times.txt"
    put "cpu_$1" "$(cpu_jiffies) $(awk 'NR == 2 { gsub(/s/, ""); split($1, u, "m"); split($2, y, "m")
        print u[1] * 60 + u[2] + y[1] * 60 + y[2] }' "$work/times.txt")"
}
R="$work/results.env"
: >"$R"
put() { printf '%s=%s\n' "$1" "$2" >>"$R"; }
mem() { # KEY COMMAND...: runs COMMAND under GNU time, stores its max RSS
    local k=$1
    shift
    /usr/bin/time -f %M -o "$work/mem.$k" "$@"
    put "mem_$k" "$(tail -n 1 "$work/mem.$k")"
}
secs() { # COMMAND...: runs it, prints its wall seconds
    local t0
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || die "'$*' failed"
    python3 -c "print($(date +%s.%N) - $t0)"
}
zbench() { # PATH...: one core's zstd -3 on independent 4 MiB blocks, in memory: prints 'C D' MB/s
    zstd -b3 -T1 -B4194304 -i1 -r "$@" >"$work/zbench.txt" 2>&1 ||
        { cat "$work/zbench.txt" >&2; die "zstd -b failed"; }
    # The last line reads '3#NAME : IN -> OUT (xR), C MB/s, D MB/s' (after \r updates).
    local cd
    cd=$(tr '\r' '\n' <"$work/zbench.txt" | sed -n 's/.*, *\([0-9.]*\) MB\/s, *\([0-9.]*\) MB\/s.*/\1 \2/p' | tail -n 1)
    [ -n "$cd" ] || { cat "$work/zbench.txt" >&2; die "cannot read the MB/s of zstd -b (above)"; }
    echo "$cd"
}
put loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
put build_note "$build_note"

if [ "$backup_only" = 0 ]; then
# ------------------------------------------------------------------ data
mkdir -p "$work/data"
t0=$(date +%s.%N)
if [ "$use_dcsim" = 1 ]; then
    dcsim="$bdir/dcsim/dcsim"
    [ -x "$dcsim" ] || dcsim="$root/build/dcsim/dcsim"
    [ -x "$dcsim" ] || die "--dcsim: no dcsim binary was built"
    data="$work/data/NTDS"
    say "making $size MiB of data with dcsim provision (seed $seed)"
    "$dcsim" provision "$data" --size "${size}M" --seed "$seed" >"$work/dcsim.log" 2>&1 ||
        { cat "$work/dcsim.log" >&2; die "dcsim provision failed"; }
    datagen="dcsim provision --size ${size}M --seed $seed"
else
    data="$work/data/ifm"
    say "making $size MiB of IFM-like data with tools/bench-data.sh (seed $seed)"
    sh "$root/tools/bench-data.sh" "$data" "$size" "$seed"
    datagen="tools/bench-data.sh DIR $size $seed"
fi
gen_s=$(python3 -c "import sys; print(round($(date +%s.%N) - $t0, 2))")
in_bytes=$(python3 - "$data" <<'EOF'
import os, sys
print(sum(os.lstat(os.path.join(d, f)).st_size for d, _, fs in os.walk(sys.argv[1]) for f in fs))
EOF
)
in_files=$(find "$data" -type f | wc -l)
say "data: $in_files files, $in_bytes bytes, made in $gen_s s"

say "warming the page cache: reading the data once (no timing is done on a cold cache)"
find "$data" -type f -exec cat {} + >/dev/null

X="$work/X.adbk"
Y="$work/Y.tar.zst"
parent=$(dirname "$data")
base=$(basename "$data")
put in_bytes "$in_bytes"
put in_files "$in_files"
put datagen "$datagen"
put gen_s "$gen_s"

# ------------------------------------------------------------------ 1. create
say "1/4 create: adbk create vs tar | zstd -3 -T2, $runs runs each (+1 warmup)"
wait_for_idle
mark create_a
hf --warmup 1 --runs "$runs" --export-json "$work/create.json" \
    --prepare "rm -f '$X'" --prepare "rm -f '$Y'" --prepare "rm -f '$Y'" \
    -n "adbk create" "'$adbk' create -q -f -o '$X' '$data'" \
    -n "tar | zstd -3 -T2" "tar -cf - -C '$parent' '$base' | zstd -3 -T2 -q -f -o '$Y'" \
    -n "tar | zstd -3 -T2 + fsync" "tar -cf - -C '$parent' '$base' | zstd -3 -T2 -q -f -o '$Y' && sync '$Y'"
mark create_b
put x_bytes "$(stat -c %s "$X")"
put y_bytes "$(stat -c %s "$Y")"

# ------------------------------------------------------------------ 2. verify
say "2/4 verify: adbk-verify vs zstd -t, $runs runs each (+1 warmup)"
wait_for_idle
mark verify_a
hf --warmup 1 --runs "$runs" --export-json "$work/verify.json" \
    -n "adbk-verify" "'$verify' -q '$X'" \
    -n "adbk-verify --quick" "'$verify' -q --quick '$X'" \
    -n "zstd -t (tar.zst)" "zstd -t -q '$Y'" \
    -n "zstd -t (adbk)" "zstd -t -q '$X'"
mark verify_b

# ------------------------------------------------------------------ extract
EX="$work/ex"
say "2/4 extract: adbk extract vs zstd -dc | tar -x, $runs runs each (+1 warmup)"
wait_for_idle
mark extract_a
hf --warmup 1 --runs "$runs" --export-json "$work/extract.json" \
    --prepare "rm -rf '$EX' && mkdir '$EX'" --prepare "rm -rf '$EX' && mkdir '$EX'" \
    -n "adbk extract" "'$adbk' extract -q -C '$EX' '$X'" \
    -n "zstd -dc | tar -x" "zstd -dc -q '$Y' | tar -xf - -C '$EX'"
mark extract_b
rm -rf "$EX"

# ------------------------------------------------------------------ threads, limit
say "2/4 threads: adbk create and adbk-verify at -T 1 and -T 2, $runs runs each (+1 warmup)"
wait_for_idle
mark threads_a
hf --warmup 1 --runs "$runs" --export-json "$work/threads.json" \
    --prepare "rm -f '$X'" --prepare "rm -f '$X'" \
    -n "adbk create -T 1" "'$adbk' create -q -f -T 1 -o '$X' '$data'" \
    -n "adbk create -T 2" "'$adbk' create -q -f -T 2 -o '$X' '$data'"
hf --warmup 1 --runs "$runs" --export-json "$work/threads-verify.json" \
    -n "adbk-verify -T 1" "'$verify' -q -T 1 '$X'" \
    -n "adbk-verify -T 2" "'$verify' -q -T 2 '$X'"
mark threads_b
say "2/4 limit: $runs rounds of zstd -b3 -T1 -B4194304 -i1 -r DATA (one core, in memory), adbk create, adbk-verify"
wait_for_idle
mark limit_a
: >"$work/rounds.txt"
for round in $(seq 1 "$runs"); do
    zb=$(zbench "$data")
    rc_s=$(secs "$adbk" create -q -f -o "$X" "$data")
    rv_s=$(secs "$verify" -q "$X")
    echo "$zb $rc_s $rv_s" >>"$work/rounds.txt"
done
mark limit_b

# ------------------------------------------------------------------ 3. memory
say "3/4 peak memory (GNU time %M, KiB)"
mem create "$adbk" create -q -f -o "$X" "$data"
mem verify "$verify" -q "$X"
mem quick "$verify" -q --quick "$X"
rm -rf "$EX" && mkdir "$EX"
mem extract "$adbk" extract -q -C "$EX" "$X"
rm -rf "$EX"
mem list "$adbk" list "$X" >/dev/null
tar -cf - -C "$parent" "$base" | /usr/bin/time -f %M -o "$work/mem.zstd" zstd -3 -T2 -q -f -o "$Y"
put mem_zstd "$(tail -n 1 "$work/mem.zstd")"
mem zstd_t zstd -t -q "$Y"

# ------------------------------------------------------------------ 4. list
if [ "$big_gib" -gt 0 ]; then
    B="$work/big.adbk"
    big_bytes=$((big_gib * 1024 * 1024 * 1024))
    sparse_bytes=$((big_bytes - in_bytes))
    [ "$sparse_bytes" -gt 0 ] || sparse_bytes=0
    mkdir -p "$work/big"
    truncate -s "$sparse_bytes" "$work/big/sparse.bin"
    say "4/4 list: packing $big_gib GiB (the data + a $sparse_bytes-byte sparse file) with adbk create -1"
    /usr/bin/time -f '%e %M' -o "$work/big.time" \
        "$adbk" create -1 -q -f -o "$B" "$data" "$work/big/sparse.bin"
    read -r big_create_s big_create_kib <"$work/big.time"
    put big_content_bytes "$((in_bytes + sparse_bytes))"
    put big_create_s "$big_create_s"
    put mem_big_create "$big_create_kib"
    put big_file_bytes "$(stat -c %s "$B")"
    put big_disk_bytes "$(( $(stat -c %b "$B") * $(stat -c %B "$B") ))"
    "$adbk" list --json "$B" >"$work/big.list.json"
    put big_members "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["members"]))' "$work/big.list.json")"
    put big_chunks "$(python3 -c 'import json,sys; print(sum(m["chunks"] for m in json.load(open(sys.argv[1]))["members"]))' "$work/big.list.json")"
    say "   packed in $big_create_s s; verifying it once for its peak memory"
    /usr/bin/time -f '%e %M' -o "$work/bigv.time" "$verify" -q "$B"
    read -r big_verify_s big_verify_kib <"$work/bigv.time"
    put big_verify_s "$big_verify_s"
    put mem_big_verify "$big_verify_kib"
    /usr/bin/time -f '%e %M' -o "$work/bigq.time" "$verify" -q --quick "$B"
    read -r big_quick_s big_quick_kib <"$work/bigq.time"
    put big_quick_s "$big_quick_s"
    put mem_big_quick "$big_quick_kib"
    cat >"$work/evict.py" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
EOF
    sync "$B"
    say "   timing adbk list (warm: --warmup 3, 200 runs; cold-ish: pages evicted, 30 runs)"
    wait_for_idle
    mark list_a
    hf -N --warmup 3 --runs 200 --export-json "$work/list.json" \
        -n "adbk list (warm)" "'$adbk' list '$B'"
    hf -N --runs 30 --export-json "$work/list-cold.json" \
        --prepare "python3 '$work/evict.py' '$B'" \
        -n "adbk list (cold-ish)" "'$adbk' list '$B'"
    mark list_b
    rm -f "$work/big/sparse.bin"
fi
fi # not --backup-only

# ------------------------------------------------------------------ 5. backup
if [ "$backup_gib" -gt 0 ]; then
    dcsim="$bdir/dcsim/dcsim"
    [ -x "$dcsim" ] || die "no dcsim binary was built in $bdir"
    dc="$work/dc"
    BK="$work/B.adbk"
    BT="$work/B.tar.zst"
    say "5/6 backup: provisioning a simulated DC of $backup_gib GiB (dcsim provision, seed $seed)"
    t0=$(date +%s.%N)
    "$dcsim" provision "$dc" --size "${backup_gib}G" --seed "$seed" >"$work/dcsim.log" 2>&1 &&
        "$dcsim" start "$dc" >>"$work/dcsim.log" 2>&1 ||
        { cat "$work/dcsim.log" >&2; die "dcsim provision/start failed"; }
    put dc_gen_s "$(python3 -c "print(round($(date +%s.%N) - $t0, 2))")"
    put dc_gib "$backup_gib"
    # One backup first: it names the files a backup holds, which tar then packs.
    "$adbk" backup --dcsim "$dc" -o "$BK" -f -q --no-truncate-logs ||
        die "adbk backup of the simulated DC failed"
    "$adbk" list --json "$BK" >"$work/B.list.json"
    python3 - "$work/B.list.json" "$dc" >"$work/B.files" <<'PY'
import json, os, sys
ms = json.load(open(sys.argv[1]))["members"]
for m in ms:
    if m["kind"] in ("database", "log", "patch"):
        base = m["source_path"].replace("\\", "/").rsplit("/", 1)[-1]
        if os.path.exists(os.path.join(sys.argv[2], base)):
            print(base)
PY
    [ -s "$work/B.files" ] || die "the backup's listing names no file of $dc"
    # Hard links keep tar's set fixed: the DC recycles old logs as later
    # backups roll new ones (no churn runs, so the database does not change).
    mkdir "$work/tarset"
    while read -r f; do ln "$dc/$f" "$work/tarset/$f"; done <"$work/B.files"
    files=$(tr '\n' ' ' <"$work/B.files")
    put backup_tar_files "$(wc -l <"$work/B.files")"
    put backup_tar_in_bytes "$(cd "$work/tarset" && cat $files | wc -c)"
    (cd "$work/tarset" && cat $files >/dev/null) # warm cache for both
    say "   timing adbk backup vs tar -cf - FILES | zstd -3 -T2 over $(wc -l <"$work/B.files") files, $runs runs each (+1 warmup)"
    wait_for_idle
    mark backup_a
    hf --warmup 1 --runs "$runs" --export-json "$work/backup.json" \
        -n "adbk backup" "'$adbk' backup --dcsim '$dc' -o '$BK' -f -q --no-truncate-logs" \
        -n "tar | zstd -3 -T2 (same files)" "tar -cf - -C '$work/tarset' $files | zstd -3 -T2 -q -f -o '$BT'"
    mark backup_b
    say "   the DC's own limit: $runs rounds of zstd -b3 -T1 -B4194304 -i1 over the same files, then adbk backup"
    : >"$work/brounds.txt"
    for round in $(seq 1 "$runs"); do
        zb=$(cd "$work/tarset" && zbench $files)
        echo "$zb $(secs "$adbk" backup --dcsim "$dc" -o "$BK" -f -q --no-truncate-logs)" >>"$work/brounds.txt"
    done
    "$adbk" list --json "$BK" >"$work/B.list.json"
    put backup_in_bytes "$(python3 -c 'import json,sys; print(sum(m["size"] for m in json.load(open(sys.argv[1]))["members"]))' "$work/B.list.json")"
    put backup_bytes "$(stat -c %s "$BK")"
    put backup_tar_bytes "$(stat -c %s "$BT")"
    mem backup "$adbk" backup --dcsim "$dc" -o "$BK" -f -q --no-truncate-logs
    tar -cf - -C "$work/tarset" $files | /usr/bin/time -f %M -o "$work/mem.bzstd" zstd -3 -T2 -q -f -o "$BT"
    put mem_backup_zstd "$(tail -n 1 "$work/mem.bzstd")"

    # Restore: into the stopped DC (staged, checked, each file fsync'd,
    # then placed and registered), against verify of the same archive and
    # against unpacking the tar.zst of the same files and syncing them.
    "$dcsim" stop "$dc" >>"$work/dcsim.log" 2>&1 || die "dcsim stop failed"
    RX="$work/rx"
    say "   timing adbk restore vs adbk-verify and zstd -dc | tar -x + sync, $runs runs each (+1 warmup)"
    wait_for_idle
    mark restore_a
    hf --warmup 1 --runs "$runs" --export-json "$work/restore.json" \
        --prepare true --prepare true --prepare "rm -rf '$RX' && mkdir '$RX'" \
        --prepare "rm -rf '$RX' && mkdir '$RX'" \
        -n "adbk restore" "'$adbk' restore '$BK' --dcsim '$dc' -q" \
        -n "adbk-verify (backup)" "'$verify' -q '$BK'" \
        -n "zstd -dc | tar -x + sync" "sh -c \"zstd -dc -q '$BT' | tar -xf - -C '$RX' && sync -f '$RX'\"" \
        -n "durable write" "sh -c \"cd '$work/tarset' && cat $files | dd of='$RX/all' bs=4M iflag=fullblock conv=fsync status=none\""
    mark restore_b
    rm -rf "$RX"
    mem restore "$adbk" restore "$BK" --dcsim "$dc" -q
fi

# ------------------------------------------------------------------ 6. profile
if [ "$profile" = 1 ]; then
    command -v perf >/dev/null 2>&1 || die "--profile needs perf (Debian: linux-perf)"
    prof() { # NAME COMMAND...: perf record, then the top symbols by self time
        local n=$1
        shift
        perf record -q -F 999 -g -o "$work/$n.perf" -- "$@" >/dev/null 2>&1 ||
            { say "   perf record of $n failed (perf_event_paranoid?)"; return 0; }
        perf report -i "$work/$n.perf" --no-children --percent-limit 1 --stdio \
            --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 12 >"$work/$n.dso"
        perf report -i "$work/$n.perf" --no-children --percent-limit 1.5 --stdio \
            --sort dso,sym -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 25 >"$work/$n.top"
        say "   where the time goes in $n, by library (self time, above 1 %):"
        sed 's/^/bench:     /' "$work/$n.dso" >&2
        say "   and by symbol (above 1.5 %; a stripped libzstd shows addresses only):"
        sed 's/^/bench:     /' "$work/$n.top" >&2
    }
    say "6/6 profile (perf record -g, 999 Hz)"
    if [ "$backup_gib" -gt 0 ]; then
        prof backup "$adbk" backup --dcsim "$dc" -o "$BK" -f -q --no-truncate-logs
        prof verify_backup "$verify" -q "$BK"
    fi
    [ "$backup_only" = 1 ] || prof verify "$verify" -q "$X"
fi

put loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ 5. report
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mkdir -p "$(dirname "$json")"
python3 - "$work" "$json" "$runs" "$big_gib" "$check" \
    "$(nproc)" "${cpu:-unknown}" "$(zstd --version | sed 's/^\*\*\* //; s/ \*\*\*$//')" \
    "$("$adbk" --version)" "$(uname -sr)" "$(hyperfine --version)" <<'EOF'
import json, os, sys
from statistics import median as med
work, out, runs, big_gib, check = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
nproc, cpu, zver, aver, kernel, hver = sys.argv[6:12]
r = {}
for line in open(os.path.join(work, "results.env")):
    k, _, v = line.rstrip("\n").partition("=")
    r[k] = v
def hyper(name):
    p = os.path.join(work, name)
    if not os.path.exists(p):
        return {}
    return {x["command"]: x for x in json.load(open(p))["results"]}
cr, vr, lr, lc = hyper("create.json"), hyper("verify.json"), hyper("list.json"), hyper("list-cold.json")
xr = hyper("extract.json")
br = hyper("backup.json")
rr = hyper("restore.json")
tr = {**hyper("threads.json"), **hyper("threads-verify.json")}
inb = int(r.get("in_bytes", 0))
mem = {k[4:]: int(v) for k, v in r.items() if k.startswith("mem_")}
clk = int(os.sysconf("SC_CLK_TCK"))
def others(phase):
    if f"cpu_{phase}_a" not in r or f"cpu_{phase}_b" not in r:
        return None
    a = [float(x) for x in r[f"cpu_{phase}_a"].split()]
    b = [float(x) for x in r[f"cpu_{phase}_b"].split()]
    total = (b[1] - a[1]) / clk
    other = (b[0] - a[0]) / clk - (b[2] - a[2])
    return max(0.0, other / total * 100) if total > 0 else None
busy = {ph: others(ph) for ph in ("create", "verify", "extract", "threads", "limit", "list", "backup", "restore")}
mb = lambda t: inb / t / 1e6
res = {
    "machine": {"nproc": int(nproc), "cpu": cpu, "kernel": kernel, "zstd": zver, "adbk": aver,
                "hyperfine": hver, "build_note": r.get("build_note", ""), "loadavg_start": r["loadavg_start"], "loadavg_end": r["loadavg_end"],
                "others_cpu_pct": busy},
    "params": {"runs": runs, "big_gib": big_gib, "cache": "warm (data read once before timing)"},
    "memory_kib": mem,
}
targets = []
if cr:
    t_adbk = cr["adbk create"]["median"]
    t_tz = cr["tar | zstd -3 -T2"]["median"]
    t_tzs = cr["tar | zstd -3 -T2 + fsync"]["median"]
    ratio_adbk = inb / int(r["x_bytes"])
    ratio_tz = inb / int(r["y_bytes"])
    ratio_diff = (ratio_adbk - ratio_tz) / ratio_tz * 100
    v_adbk = vr["adbk-verify"]["median"]
    v_zt = vr["zstd -t (tar.zst)"]["median"]
    v_zta = vr["zstd -t (adbk)"]["median"]
    v_q = vr["adbk-verify --quick"]["median"]
    res["params"].update({"data": r["datagen"], "input_bytes": inb, "input_files": int(r["in_files"]),
                          "data_seconds": float(r["gen_s"])})
    res["create"] = {"adbk_s": t_adbk, "tar_zstd_s": t_tz, "tar_zstd_fsync_s": t_tzs,
               "adbk_MBps": mb(t_adbk), "tar_zstd_MBps": mb(t_tz),
               "speed_ratio": t_tz / t_adbk, "speed_ratio_vs_fsync": t_tzs / t_adbk,
               "adbk_bytes": int(r["x_bytes"]), "tar_zstd_bytes": int(r["y_bytes"]),
               "adbk_ratio": ratio_adbk, "tar_zstd_ratio": ratio_tz, "ratio_diff_pct": ratio_diff,
               "adbk_all_s": cr["adbk create"]["times"], "tar_zstd_all_s": cr["tar | zstd -3 -T2"]["times"]}
    res["verify"] = {"adbk_verify_s": v_adbk, "zstd_t_s": v_zt, "zstd_t_on_adbk_s": v_zta,
               "adbk_verify_MBps": mb(v_adbk), "zstd_t_MBps": mb(v_zt), "speed_ratio": v_zt / v_adbk,
               "quick_s": v_q, "quick_archive_MBps": int(r["x_bytes"]) / v_q / 1e6,
               "quick_speed_ratio": v_zt / v_q}
    targets += [
        ("create speed: tar|zstd time / adbk time", ">= 1.00", f"{t_tz / t_adbk:.3f}", t_tz / t_adbk >= 1.0),
        ("compression ratio: adbk vs tar|zstd", ">= -1.00 %", f"{ratio_diff:+.2f} %", ratio_diff >= -1.0),
        ("verify speed: zstd -t time / adbk-verify time", ">= 1.70", f"{v_zt / v_adbk:.3f}", v_zt / v_adbk >= 1.7),
        ("quick check speed: zstd -t time / adbk-verify --quick time", ">= 4.00", f"{v_zt / v_q:.3f}", v_zt / v_q >= 4.0),
    ]
if xr and cr:
    x_adbk = xr["adbk extract"]["median"]
    x_tz = xr["zstd -dc | tar -x"]["median"]
    res["extract"] = {"adbk_s": x_adbk, "zstd_tar_s": x_tz, "adbk_MBps": mb(x_adbk),
                      "zstd_tar_MBps": mb(x_tz), "speed_ratio": x_tz / x_adbk,
                      "vs_verify": v_adbk / x_adbk}
    targets += [
        ("extract speed: adbk-verify time / adbk extract time", ">= 1.00", f"{v_adbk / x_adbk:.3f}", v_adbk / x_adbk >= 1.0),
    ]
if br:
    b_adbk = br["adbk backup"]["median"]
    b_tz = br["tar | zstd -3 -T2 (same files)"]["median"]
    b_in, b_tin = int(r["backup_in_bytes"]), int(r["backup_tar_in_bytes"])
    b_ratio = b_in / int(r["backup_bytes"])
    b_tratio = b_tin / int(r["backup_tar_bytes"])
    b_diff = (b_ratio - b_tratio) / b_tratio * 100
    res["backup"] = {"dc_gib": int(r["dc_gib"]), "adbk_s": b_adbk, "tar_zstd_s": b_tz,
                     "speed_ratio": b_tz / b_adbk, "adbk_in_bytes": b_in, "tar_in_bytes": b_tin,
                     "tar_files": int(r["backup_tar_files"]),
                     "adbk_bytes": int(r["backup_bytes"]), "tar_zstd_bytes": int(r["backup_tar_bytes"]),
                     "adbk_ratio": b_ratio, "tar_zstd_ratio": b_tratio, "ratio_diff_pct": b_diff,
                     "adbk_MBps": b_in / b_adbk / 1e6, "tar_zstd_MBps": b_tin / b_tz / 1e6,
                     "adbk_all_s": br["adbk backup"]["times"],
                     "tar_zstd_all_s": br["tar | zstd -3 -T2 (same files)"]["times"]}
    targets += [
        ("backup speed: tar|zstd time / adbk backup time", ">= 1.00", f"{b_tz / b_adbk:.3f}", b_tz / b_adbk >= 1.0),
        ("backup compression ratio vs tar|zstd", "within 1 %", f"{b_diff:+.2f} %", abs(b_diff) <= 1.0),
        ("peak memory adbk backup", "< 64 MiB", f"{mem.get('backup', 0) / 1024:.1f} MiB", mem.get("backup", 0) < 64 * 1024),
    ]
if rr:
    r_adbk = rr["adbk restore"]["median"]
    r_v = rr["adbk-verify (backup)"]["median"]
    r_tz = rr["zstd -dc | tar -x + sync"]["median"]
    r_dw = rr["durable write"]["median"]
    res["restore"] = {"adbk_s": r_adbk, "verify_s": r_v, "zstd_tar_sync_s": r_tz,
                      "durable_write_s": r_dw, "vs_durable_write": r_dw / r_adbk,
                      "adbk_MBps": b_in / r_adbk / 1e6, "vs_verify": r_v / r_adbk,
                      "speed_ratio": r_tz / r_adbk, "adbk_all_s": rr["adbk restore"]["times"]}
    targets += [
        ("restore speed: adbk-verify time / adbk restore time", ">= 1.00", f"{r_v / r_adbk:.3f}", r_v / r_adbk >= 1.0),
    ]
if lr:
    lw, lcold = lr["adbk list (warm)"], lc.get("adbk list (cold-ish)")
    res["list"] = {"content_bytes": int(r["big_content_bytes"]), "file_bytes": int(r["big_file_bytes"]),
                   "disk_bytes": int(r["big_disk_bytes"]), "members": int(r["big_members"]),
                   "chunks": int(r["big_chunks"]), "create_s": float(r["big_create_s"]),
                   "verify_s": float(r["big_verify_s"]), "quick_s": float(r["big_quick_s"]),
                   "warm_mean_ms": lw["mean"] * 1e3, "warm_median_ms": lw["median"] * 1e3,
                   "warm_max_ms": lw["max"] * 1e3}
    if lcold:
        res["list"].update({"cold_mean_ms": lcold["mean"] * 1e3, "cold_median_ms": lcold["median"] * 1e3,
                            "cold_max_ms": lcold["max"] * 1e3})
    targets.append((f"list on a {big_gib} GiB archive (warm median)", "< 10 ms",
                    f"{lw['median'] * 1e3:.2f} ms", lw["median"] * 1e3 < 10))
mc = max(mem.get("create", 0), mem.get("big_create", 0))
mv = max(mem.get("verify", 0), mem.get("big_verify", 0))
mq = max(mem.get("quick", 0), mem.get("big_quick", 0))
if cr:
    targets.append(("peak memory adbk create" + (" (max of both sizes)" if "big_create" in mem else ""),
                    "< 64 MiB", f"{mc / 1024:.1f} MiB", mc < 64 * 1024))
    targets.append(("peak memory adbk-verify" + (" (max of both sizes)" if "big_verify" in mem else ""),
                    "< 64 MiB", f"{mv / 1024:.1f} MiB", mv < 64 * 1024))
    targets.append(("peak memory adbk-verify --quick" + (" (max of both sizes)" if "big_quick" in mem else ""),
                    "< 64 MiB", f"{mq / 1024:.1f} MiB", mq < 64 * 1024))
    for k, name in (("extract", "adbk extract"), ("list", "adbk list")):
        if k in mem:
            targets.append((f"peak memory {name}", "< 64 MiB", f"{mem[k] / 1024:.1f} MiB", mem[k] < 64 * 1024))
def rounds_of(name):
    """The alternating rounds' lines of numbers (zstd -b's C and D MB/s, then seconds)."""
    p = os.path.join(work, name)
    return [[float(x) for x in l.split()] for l in open(p) if l.strip()] if os.path.exists(p) else []
limit = None
rounds = rounds_of("rounds.txt")
if rounds and cr:
    n = int(nproc)
    cs = [mb(c) / (zc * n) for zc, zd, c, v in rounds]
    vs = [mb(v) / (zd * n) for zc, zd, c, v in rounds]
    limit = {"command": "zstd -b3 -T1 -B4194304 -i1 -r DATA", "cores": n, "rounds": len(rounds),
             "compress_1core_MBps": med([x[0] for x in rounds]),
             "decompress_1core_MBps": med([x[1] for x in rounds]),
             "create_share": med(cs), "verify_share": med(vs),
             "create_shares": cs, "verify_shares": vs,
             "create_MBps": [mb(x[2]) for x in rounds], "verify_MBps": [mb(x[3]) for x in rounds]}
    limit["compress_limit_MBps"] = limit["compress_1core_MBps"] * n
    limit["decompress_limit_MBps"] = limit["decompress_1core_MBps"] * n
    targets += [
        ("create: share of what the cores allow (median of rounds)", ">= 90 %", f"{limit['create_share'] * 100:.1f} %", limit["create_share"] >= 0.9),
        ("verify: share of what the cores allow (median of rounds)", ">= 90 %", f"{limit['verify_share'] * 100:.1f} %", limit["verify_share"] >= 0.9),
    ]
    res["limit"] = limit
brounds = rounds_of("brounds.txt")
if brounds and br:
    n = int(nproc)
    b_in = int(r["backup_in_bytes"])
    bs = [b_in / t / 1e6 / (zc * n) for zc, zd, t in brounds]
    res["backup"]["limit"] = {"command": "zstd -b3 -T1 -B4194304 -i1 (the DC's files)", "rounds": len(brounds),
                              "compress_1core_MBps": med([x[0] for x in brounds]), "shares": bs, "share": med(bs)}
    targets.append(("backup: share of what the cores allow on the DC's files (median of rounds)", ">= 90 %",
                    f"{med(bs) * 100:.1f} %", med(bs) >= 0.9))
if tr:
    th = {}
    for what, key, one in (("create", "adbk create", "compress"), ("verify", "adbk-verify", "decompress")):
        a, b = tr.get(f"{key} -T 1"), tr.get(f"{key} -T 2")
        if not a or not b:
            continue
        th[what] = {"T1_s": a["median"], "T2_s": b["median"], "T1_MBps": mb(a["median"]),
                    "T2_MBps": mb(b["median"]), "speedup": a["median"] / b["median"]}
        if limit:
            z = limit[f"{one}_1core_MBps"]
            th[what]["T1_share_of_1core"] = mb(a["median"]) / z
            th[what]["T2_share_of_2cores"] = mb(b["median"]) / (2 * z)
    res["threads"] = th
res["targets"] = [{"target": n, "goal": g, "value": v, "pass": p} for n, g, v, p in targets]

L = []
p = L.append
m = res["machine"]
p("")
p("adbk benchmark (issues 2, 4 and 17)")
p(f"machine   {m['nproc']} cores, {m['cpu']}, {m['kernel']}")
p(f"tools     {m['adbk']}; {m['zstd']}; {m['hyperfine']}")
p(f"load      {m['loadavg_start']} at start, {m['loadavg_end']} at end (1/5/15 min)")
p("others    CPU share used by other processes while timing: " + ", ".join(
    f"{k} {v:.0f} %" for k, v in busy.items() if v is not None) +
    ("   << DISTURBED, numbers unreliable" if any(v is not None and v > 10 for v in busy.values()) else ""))
if cr:
    p(f"data      {inb} bytes ({inb / 2**20:.0f} MiB) in {r['in_files']} files: {r['datagen']}, made in {r['gen_s']} s")
p(f"method    median of {runs} runs (hyperfine), warm page cache")
if r.get("build_note"):
    p(f"build     NOTE: {r['build_note']}")
p("")
if cr:
    c = res["create"]
    p(f"create    adbk create       {t_adbk:8.3f} s  {mb(t_adbk):8.1f} MB/s  {int(r['x_bytes']):>13} bytes  ratio {ratio_adbk:.4f}")
    p(f"          tar | zstd -3 -T2 {t_tz:8.3f} s  {mb(t_tz):8.1f} MB/s  {int(r['y_bytes']):>13} bytes  ratio {ratio_tz:.4f}")
    p(f"          tar | zstd + fsync{t_tzs:8.3f} s  {mb(t_tzs):8.1f} MB/s  (information: adbk fsyncs its archive)")
    p(f"          speed ratio {t_tz / t_adbk:.3f} (vs fsync'd: {t_tzs / t_adbk:.3f}); compression ratio difference {ratio_diff:+.2f} %")
    p(f"verify    adbk-verify       {v_adbk:8.3f} s  {mb(v_adbk):8.1f} MB/s")
    p(f"          zstd -t (tar.zst) {v_zt:8.3f} s  {mb(v_zt):8.1f} MB/s")
    p(f"          zstd -t (adbk)    {v_zta:8.3f} s  {mb(v_zta):8.1f} MB/s  (information)")
    p(f"          speed ratio {v_zt / v_adbk:.3f}")
    p(f"quick     adbk-verify --quick {v_q:6.3f} s  {int(r['x_bytes']) / v_q / 1e6:8.1f} MB/s of archive, nothing decompressed;"
      f" {v_zt / v_q:.2f}x zstd -t's speed")
if xr and cr:
    x = res["extract"]
    p(f"extract   adbk extract      {x_adbk:8.3f} s  {mb(x_adbk):8.1f} MB/s")
    p(f"          zstd -dc | tar -x {x_tz:8.3f} s  {mb(x_tz):8.1f} MB/s")
    p(f"          speed ratio {x_tz / x_adbk:.3f}; adbk-verify time / extract time {v_adbk / x_adbk:.3f}")
if br:
    b = res["backup"]
    p(f"backup    adbk backup       {b_adbk:8.3f} s  {b['adbk_MBps']:8.1f} MB/s  {b_in:>13} bytes in -> {int(r['backup_bytes']):>12}  ratio {b_ratio:.4f}")
    p(f"          tar | zstd -3 -T2 {b_tz:8.3f} s  {b['tar_zstd_MBps']:8.1f} MB/s  {b_tin:>13} bytes in -> {int(r['backup_tar_bytes']):>12}  ratio {b_tratio:.4f}")
    p(f"          simulated DC of {r['dc_gib']} GiB; tar packs the {r['backup_tar_files']} files the backup holds (database, logs)")
    p(f"          speed ratio {b_tz / b_adbk:.3f}; compression ratio difference {b_diff:+.2f} %")
if rr:
    p(f"restore   adbk restore      {r_adbk:8.3f} s  {b_in / r_adbk / 1e6:8.1f} MB/s  (into the stopped DC; every file fsync'd)")
    p(f"          adbk-verify       {r_v:8.3f} s  {b_in / r_v / 1e6:8.1f} MB/s  (the same archive)")
    p(f"          zstd -dc | tar -x + sync {r_tz:5.3f} s  {b_tin / r_tz / 1e6:8.1f} MB/s  (the same files, then sync -f)")
    p(f"          durable write     {r_dw:8.3f} s  {b_tin / r_dw / 1e6:8.1f} MB/s  (the same files' bytes, cat | dd conv=fsync: what writing them durably costs here)")
    p(f"          speed ratio {r_tz / r_adbk:.3f}; adbk-verify time / restore time {r_v / r_adbk:.3f}; "
      f"durable write time / restore time {r_dw / r_adbk:.3f}")
if limit:
    p(f"limit     {limit['command']}: {limit['compress_1core_MBps']:.1f} MB/s compressing, "
      f"{limit['decompress_1core_MBps']:.1f} MB/s decompressing on one core;")
    p(f"          x {limit['cores']} cores: {limit['compress_limit_MBps']:.1f} MB/s for create, "
      f"{limit['decompress_limit_MBps']:.1f} MB/s for verify")
    if "create_share" in limit:
        p(f"          medians of {limit['rounds']} rounds, each zstd -b then adbk create then adbk-verify: adbk create "
          f"{limit['create_share'] * 100:.1f} % of it, adbk-verify {limit['verify_share'] * 100:.1f} %")
        p("          per round: create " + ", ".join(f"{x * 100:.0f} %" for x in limit["create_shares"]) +
          "; verify " + ", ".join(f"{x * 100:.0f} %" for x in limit["verify_shares"]))
if br and "limit" in res["backup"]:
    bl = res["backup"]["limit"]
    p(f"          the DC's files: {bl['compress_1core_MBps']:.1f} MB/s compressing on one core (median of {bl['rounds']}); adbk backup "
      f"{bl['share'] * 100:.1f} % of {int(nproc)} cores' (per round: " + ", ".join(f"{x * 100:.0f} %" for x in bl["shares"]) + ")")
for what, t in res.get("threads", {}).items():
    shares = ""
    if "T1_share_of_1core" in t:
        shares = f"; {t['T1_share_of_1core'] * 100:.1f} % of one core, {t['T2_share_of_2cores'] * 100:.1f} % of two"
    p(f"threads   {what:<6} -T 1 {t['T1_s']:7.3f} s {t['T1_MBps']:8.1f} MB/s, -T 2 {t['T2_s']:7.3f} s "
      f"{t['T2_MBps']:8.1f} MB/s: x{t['speedup']:.2f}{shares}")
names = {"create": "adbk create", "verify": "adbk-verify", "quick": "adbk-verify --quick",
         "extract": "adbk extract", "list": "adbk list", "zstd": "zstd -3 -T2 (in tar|zstd)",
         "backup": "adbk backup", "restore": "adbk restore", "backup_zstd": "zstd -3 -T2 (tar|zstd of the DC files)",
         "zstd_t": "zstd -t", "big_create": f"adbk create -1, {big_gib} GiB", "big_verify": f"adbk-verify, {big_gib} GiB",
         "big_quick": f"adbk-verify --quick, {big_gib} GiB"}
p("memory    " + "; ".join(f"{names.get(k, k)} {v / 1024:.1f} MiB" for k, v in mem.items()))
if lr:
    l = res["list"]
    p(f"list      archive: {l['content_bytes']} bytes of content in {l['members']} members, {l['chunks']} chunks;")
    p(f"          {l['file_bytes']} bytes long, {l['disk_bytes']} on disk; packed in {l['create_s']:.1f} s, verified in {l['verify_s']:.1f} s"
      f" (--quick {l['quick_s']:.1f} s)")
    p(f"          adbk list warm: mean {l['warm_mean_ms']:.2f} ms, median {l['warm_median_ms']:.2f} ms, max {l['warm_max_ms']:.2f} ms")
    if "cold_mean_ms" in l:
        p(f"          adbk list cold-ish (fadvise DONTNEED): mean {l['cold_mean_ms']:.2f} ms, median {l['cold_median_ms']:.2f} ms")
p("")
w = max(len(t[0]) for t in targets)
p(f"{'TARGET':<{w}}  {'GOAL':<11} {'MEASURED':<12} RESULT")
for n, g, v, ok in targets:
    p(f"{n:<{w}}  {g:<11} {v:<12} {'PASS' if ok else 'FAIL'}")
p("")
print("\n".join(L))
with open(out, "w") as f:
    json.dump(res, f, indent=2)
print(f"JSON written to {out}")
sys.exit(1 if check and not all(t[3] for t in targets) else 0)
EOF
