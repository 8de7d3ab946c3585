#!/usr/bin/env bash
# bench-samba.sh - the benchmark of issue 14: `adbk backup` of a real Samba AD
# DC against Samba's own `samba-tool domain backup offline`, on the same DC,
# in the same run, alternating.
#
# usage: tools/bench-samba.sh [--users N] [--backend mdb|tdb] [--runs N]
#                             [--freeze-runs N] [--dc DIR] [--json FILE]
#                             [--wait-idle S] [--check]
#
#   1. the DC: provisioned by samba-tool in DIR (default out/bench-samba-BACKEND;
#      kept, and reused while it has the users), then N users (default 6000)
#      added with ldbadd from a generated LDIF: names, mail, a description and
#      a password each, so that Samba stores hashes and Kerberos keys as it
#      does for real users. No daemon runs.
#   2. time and size: 'adbk backup --samba-conf DIR/etc/smb.conf -o X.adbk'
#      against 'samba-tool domain backup offline -s DIR/etc/smb.conf
#      --targetdir T', alternating, RUNS times each (default 5), nothing else
#      writing: medians of wall time, output size and peak RSS (GNU time).
#   3. freeze: the same two, FREEZE_RUNS times each (default 3), each while an
#      in-process writer adds pairs of objects spanning two partitions, one
#      transaction per pair (tests/samba/sambadc.py writer local): the writer's
#      longest wait for a commit during each backup, against its longest wait
#      with no backup running; and adbk's own report of how long it held
#      directory commits. A samba-tool run still going after 120 s is killed
#      and counted as hung (its LMDB copy can deadlock against a writer).
#   4. a table with the issue's targets: adbk at least 10x faster, its output
#      no larger, writes frozen under one second; the same as JSON (--json
#      FILE, default build-bench/bench-samba.json). --check: exit 1 when a
#      target fails.
# Run it with nothing else on the machine: before each phase it waits up to
# --wait-idle seconds (default 60) for the CPUs to be idle.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tools/bench-lib.sh"

users=6000 backend=mdb runs=5 freeze_runs=3 dc="" json="" wait_idle=60 check=0
while [ $# -gt 0 ]; do
    case $1 in
    --users) num "$1" "${2:-}"; users=$2; shift 2 ;;
    --backend) case ${2:-} in mdb | tdb) backend=$2 ;; *) die "--backend is mdb or tdb" ;; esac; shift 2 ;;
    --runs) num "$1" "${2:-}"; runs=$2; shift 2 ;;
    --freeze-runs) num "$1" "${2:-}"; freeze_runs=$2; shift 2 ;;
    --dc) [ -n "${2:-}" ] || die "--dc wants a folder"; dc=$2; shift 2 ;;
    --json) [ -n "${2:-}" ] || die "--json wants a file"; json=$2; shift 2 ;;
    --wait-idle) num "$1" "${2:-}"; wait_idle=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
[ -n "$dc" ] || dc="$root/out/bench-samba-$backend"
[ -n "$json" ] || json="$root/build-bench/bench-samba.json"
case $json in /*) ;; *) json="$PWD/$json" ;; esac
mkdir -p "$(dirname "$json")"
[ "$(id -u)" = 0 ] || die "run as root: Samba's databases are root's"

sh "$root/tools/setup.sh" --bench
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target adbk >/dev/null
adbk="$root/build/tools/adbk"
sambadc() { /usr/bin/python3 "$root/tests/samba/sambadc.py" "$@"; }
conf="$dc/etc/smb.conf"

work=$(mktemp -d "${TMPDIR:-/tmp}/adbk-bench-samba.XXXXXX")
writer_pid=""
cleanup() {
    local rc=$?
    [ -z "$writer_pid" ] || { : >"$dc/stop-writer"; wait "$writer_pid" 2>/dev/null || true; }
    rm -f "$dc/stop-writer"
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ the DC
count_users() {
    ldbsearch -H "$dc/private/sam.ldb" --configfile="$conf" -b "CN=Users,$(domain_dn)" \
        '(sAMAccountName=benchuser*)' dn 2>/dev/null | grep -c '^dn: ' || true
}
domain_dn() { sed -n 's/^[[:space:]]*realm = //p' "$conf" | head -n 1 | tr 'A-Z' 'a-z' |
    awk -F. '{ for (i = 1; i <= NF; i++) printf "%sDC=%s", (i > 1 ? "," : ""), $i }'; }
if [ ! -f "$conf" ] || [ "$(count_users)" -lt "$users" ]; then
    say "provisioning a Samba AD DC ($backend) in $dc and adding $users users with ldbadd"
    rm -rf "$dc"
    sambadc provision "$dc" "$backend" >"$work/provision.log" 2>&1 ||
        { tail -n 20 "$work/provision.log" >&2; die "samba-tool provision failed"; }
    /usr/bin/python3 - "$users" "$(domain_dn)" >"$work/users.ldif" <<'EOF'
import base64, sys
n, dom = int(sys.argv[1]), sys.argv[2]
realm = dom.replace("DC=", "").replace(",", ".")
for i in range(n):
    u = "benchuser%05d" % i
    pw = base64.b64encode(('"Bench.pass-%05d"' % i).encode("utf-16-le")).decode()
    print("dn: CN=%s,CN=Users,%s\nobjectClass: user\nsAMAccountName: %s\ngivenName: Given%d\n"
          "sn: Family%d\ndisplayName: Given%d Family%d\nmail: %s@%s\nuserPrincipalName: %s@%s\n"
          "description: a user of the adbk benchmark, number %d\nunicodePwd:: %s\n"
          % (u, dom, u, i, i, i, i, u, realm, u, realm, i, pw))
EOF
    t0=$(date +%s)
    ldbadd -H "$dc/private/sam.ldb" --configfile="$conf" "$work/users.ldif" >"$work/ldbadd.log" 2>&1 ||
        { tail -n 5 "$work/ldbadd.log" >&2; die "ldbadd failed"; }
    say "added $users users in $(( $(date +%s) - t0 )) s"
fi
[ "$(count_users)" -ge "$users" ] || die "the DC in $dc has fewer than $users users"
private_mb=$(du -sm "$dc/private" | cut -f1)
domain_part=$(ls -S "$dc/private/sam.ldb.d/"DC=*.ldb | grep -v DNSZONES | head -n 1)
say "DC: $users users, private/ $private_mb MB (du), domain partition $(du -m "$domain_part" | cut -f1) MB"

# ------------------------------------------------------------------ runs
# run_adbk OUT.adbk TAG / run_samba_tool DIR TAG: one timed run each, appending
# "seconds rss_kb bytes" to $work/TAG.
run_adbk() {
    rm -f "$1"
    /usr/bin/time -f '%e %M' -o "$work/time" "$adbk" backup --samba-conf "$conf" -o "$1" -q --json \
        >"$work/adbk.json" || die "adbk backup failed: $(cat "$work/adbk.json")"
    echo "$(cat "$work/time") $(stat -c %s "$1")" >>"$work/$2"
    /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["writes_frozen_seconds"])' \
        "$work/adbk.json" >>"$work/$2.frozen"
}
run_samba_tool() {
    rm -rf "$1" && mkdir -p "$1"
    rc=0
    timeout -s KILL 120 /usr/bin/time -f '%e %M' -o "$work/time" samba-tool domain backup offline \
        -s "$conf" --targetdir "$1" >"$work/samba-tool.log" 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then
        echo "$(cat "$work/time") $(stat -c %s "$1"/samba-backup-*.tar.bz2)" >>"$work/$2"
        return
    fi
    # A failed run's log is kept beside the JSON report for reading later.
    cp "$work/samba-tool.log" "$(dirname "$json")/samba-tool-$2-$(cat "$work/$2" 2>/dev/null | wc -l).log"
    if [ "$rc" = 137 ]; then
        echo "hung" >>"$work/$2"
        say "   samba-tool did not finish within 120 s (killed): $(tail -n 1 "$work/samba-tool.log")"
    else
        echo "failed" >>"$work/$2"
        say "   samba-tool failed (exit $rc): $(grep -v '^ \|^Traceback' "$work/samba-tool.log" | tail -n 2 | tr '\n' ' ')"
    fi
    # What a stopped samba-tool leaves in the DC's folders: its copies of the
    # TDBs and LMDBs, which make its next run fail ("File exists").
    find "$dc" \( -name '*.bak-offline' -o -name '*.copy.mdb' \) -delete
}

# Copies a samba-tool stopped in an earlier run of this benchmark left behind.
find "$dc" \( -name '*.bak-offline' -o -name '*.copy.mdb' \) -delete
say "time and size: $runs runs each, alternating, nothing writing"
wait_for_idle
for i in $(seq "$runs"); do
    run_adbk "$work/a.adbk" quiet.adbk
    run_samba_tool "$work/st" quiet.samba
    say "   run $i: adbk $(tail -n 1 "$work/quiet.adbk" | cut -d' ' -f1) s, samba-tool $(tail -n 1 "$work/quiet.samba" | cut -d' ' -f1) s"
done

# The writer's longest wait for a commit over SECONDS with no backup.
writer_alone() {
    rm -f "$dc/stop-writer"
    sambadc writer "$dc" local "$1" "$work/writer.json" >/dev/null 2>&1
    /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_latency"])' "$work/writer.json"
}
# with_writer CMD...: runs CMD while the writer writes; prints its longest wait.
with_writer() {
    rm -f "$dc/stop-writer" "$work/writer.json"
    sambadc writer "$dc" local 600 "$work/writer.json" >/dev/null 2>&1 &
    writer_pid=$!
    sleep 2
    "$@"
    sleep 1
    : >"$dc/stop-writer"
    wait "$writer_pid" || true
    writer_pid=""
    /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_latency"])' "$work/writer.json"
}
if [ "$freeze_runs" -gt 0 ]; then
    say "freeze: $freeze_runs runs each, alternating, under a writer"
    wait_for_idle
    writer_alone 10 >"$work/writer.alone"
    for i in $(seq "$freeze_runs"); do
        with_writer run_adbk "$work/a.adbk" load.adbk >>"$work/wait.adbk"
        with_writer run_samba_tool "$work/st" load.samba >>"$work/wait.samba"
        say "   run $i: the writer waited at most $(tail -n 1 "$work/wait.adbk") s during adbk, $(tail -n 1 "$work/wait.samba") s during samba-tool"
    done
fi

# ------------------------------------------------------------------ report
mkdir -p "$(dirname "$json")"
/usr/bin/python3 - "$work" "$json" "$check" <<EOF
import json, os, statistics, sys
work, out, check = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
def rows(name):
    p = os.path.join(work, name)
    return [l.split() for l in open(p)] if os.path.exists(p) else []
def col(name, k):
    return [float(r[k]) for r in rows(name) if r[0] not in ("hung", "failed")]
def med(v):
    return statistics.median(v) if v else None
def hung(name, what="hung"):
    return sum(1 for r in rows(name) if r[0] == what)
def nums(name):
    p = os.path.join(work, name)
    return [float(l) for l in open(p)] if os.path.exists(p) else []
r = {
    "users": $users, "backend": "$backend", "runs": $runs, "freeze_runs": $freeze_runs,
    "private_mb": $private_mb, "samba_version": os.popen("samba -V").read().strip(),
    "adbk_seconds": med(col("quiet.adbk", 0)), "samba_tool_seconds": med(col("quiet.samba", 0)),
    "adbk_bytes": med(col("quiet.adbk", 2)), "samba_tool_bytes": med(col("quiet.samba", 2)),
    "adbk_rss_kb": med(col("quiet.adbk", 1)), "samba_tool_rss_kb": med(col("quiet.samba", 1)),
    "adbk_runs_seconds": col("quiet.adbk", 0), "samba_tool_runs_seconds": col("quiet.samba", 0),
    "samba_tool_hung_quiet": hung("quiet.samba"),
    "adbk_frozen_seconds_max": max(nums("quiet.adbk.frozen") + nums("load.adbk.frozen") or [0]),
    "adbk_frozen_seconds_median": med(nums("quiet.adbk.frozen") + nums("load.adbk.frozen")),
    "writer_wait_alone_seconds": med(nums("writer.alone")),
    "writer_wait_adbk_seconds_max": max(nums("wait.adbk") or [0]),
    "writer_wait_samba_tool_seconds_max": max(nums("wait.samba") or [0]),
    "samba_tool_hung_under_writer": hung("load.samba"),
    "samba_tool_failed_quiet": hung("quiet.samba", "failed"),
    "samba_tool_failed_under_writer": hung("load.samba", "failed"),
    "loadavg_end": open("/proc/loadavg").read().split()[:3],
}
r["speed_ratio"] = (r["samba_tool_seconds"] / r["adbk_seconds"]
                    if r["adbk_seconds"] and r["samba_tool_seconds"] else None)
r["size_ratio"] = (r["adbk_bytes"] / r["samba_tool_bytes"]
                   if r["adbk_bytes"] and r["samba_tool_bytes"] else None)
targets = [
    ("adbk at least 10x faster than samba-tool", r["speed_ratio"] is not None and r["speed_ratio"] >= 10,
     "%.1fx" % r["speed_ratio"] if r["speed_ratio"] else "n/a"),
    ("adbk's output no larger than samba-tool's", r["size_ratio"] is not None and r["size_ratio"] <= 1,
     "%.2f of it" % r["size_ratio"] if r["size_ratio"] else "n/a"),
    ("directory writes frozen under 1 s", r["adbk_frozen_seconds_max"] < 1,
     "longest %.3f s (adbk's report)" % r["adbk_frozen_seconds_max"]),
]
r["targets"] = {t: ok for t, ok, _ in targets}
json.dump(r, open(out, "w"), indent=1)
print("DC: %d users, %s backend, private/ %d MB, %s" % (r["users"], r["backend"], r["private_mb"], r["samba_version"]))
print("%-32s %12s %12s" % ("median of %d runs" % r["runs"], "adbk", "samba-tool"))
f = lambda v, fmt: fmt % v if v is not None else "n/a"
print("%-32s %12s %12s" % ("wall time (s)", f(r["adbk_seconds"], "%.2f"), f(r["samba_tool_seconds"], "%.2f")))
print("%-32s %12s %12s" % ("output (MB)", f(r["adbk_bytes"] and r["adbk_bytes"] / 1e6, "%.1f"),
                           f(r["samba_tool_bytes"] and r["samba_tool_bytes"] / 1e6, "%.1f")))
print("%-32s %12s %12s" % ("peak RSS (MB)", f(r["adbk_rss_kb"] and r["adbk_rss_kb"] / 1024, "%.0f"),
                           f(r["samba_tool_rss_kb"] and r["samba_tool_rss_kb"] / 1024, "%.0f")))
if r["freeze_runs"]:
    print("%-32s %12s %12s" % ("writer's longest wait (s)", "%.3f" % r["writer_wait_adbk_seconds_max"],
                               "%.3f" % r["writer_wait_samba_tool_seconds_max"]))
    print("  (with no backup running: %.3f s; under the writer samba-tool hung in %d and failed"
          " in %d of %d runs)" % (r["writer_wait_alone_seconds"] or 0, r["samba_tool_hung_under_writer"],
                                  r["samba_tool_failed_under_writer"], r["freeze_runs"]))
print("adbk held directory commits for %.3f s at most (median %.3f s)"
      % (r["adbk_frozen_seconds_max"], r["adbk_frozen_seconds_median"] or 0))
for t, ok, v in targets:
    print("%-4s %s: %s" % ("PASS" if ok else "FAIL", t, v))
print("JSON: %s" % out)
sys.exit(1 if check and not all(ok for _, ok, _ in targets) else 0)
EOF
