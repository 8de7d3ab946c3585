#!/usr/bin/env bash
# bench-crypto.sh - the benchmark of issue 15: what encryption and signing
# cost, against the same work in plain, on the same simulated DC, in the same
# run, alternating (hyperfine).
#
# usage: tools/bench-crypto.sh [--gib G] [--runs N] [--workdir DIR] [--json FILE]
#                              [--wait-idle S] [--check]
#
#   1. backup   'adbk backup --dcsim DC' plain, against the same with
#               '--recipient age1... --sign KEY' (encrypted to an age key made by
#               age-keygen, signed with a key of 'adbk keygen'); target: within 5 %.
#   2. verify   'adbk-verify' of the plain archive, against the encrypted one
#               without a key (every stored byte against its checksum) and with
#               the key and --trust (every chunk decrypted and checked).
#   3. memory   peak RSS (GNU time) of each of those; target: unchanged (within 5 %).
# Medians of N runs (default 5) after a warmup; the simulated DC has a G GiB
# database (default 2), provisioned once in the work folder. Results as a table
# and JSON (default build-bench/bench-crypto.json). Run it with nothing else on
# the machine: before each phase it waits up to --wait-idle seconds (default 60)
# for the CPUs to be idle.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tools/bench-lib.sh"

gib=2 runs=5 workdir="" json="" wait_idle=60 check=0
while [ $# -gt 0 ]; do
    case $1 in
    --gib) num "$1" "${2:-}"; gib=$2; shift 2 ;;
    --runs) num "$1" "${2:-}"; runs=$2; shift 2 ;;
    --workdir) [ -n "${2:-}" ] || die "--workdir wants a folder"; workdir=$2; shift 2 ;;
    --json) [ -n "${2:-}" ] || die "--json wants a file"; json=$2; shift 2 ;;
    --wait-idle) num "$1" "${2:-}"; wait_idle=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[ -n "$json" ] || json="$root/build-bench/bench-crypto.json"
case $json in /*) ;; *) json="$PWD/$json" ;; esac

sh "$root/tools/setup.sh" --bench
bdir="$root/build-bench"
cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DADBK_TESTS=OFF >/dev/null
cmake --build "$bdir" -j"$(nproc)" --target adbk adbk-verify dcsim >/dev/null
adbk="$bdir/tools/adbk" verify="$bdir/tools/adbk-verify" dcsim="$bdir/dcsim/dcsim"

if [ -n "$workdir" ]; then
    mkdir -p "$workdir"
    work=$(cd "$workdir" && pwd)
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/adbk-bench-crypto.XXXXXX")
fi
trap '[ -n "$workdir" ] || rm -rf "$work"' EXIT
dc="$work/dc"
if [ ! -f "$dc/dcsim.ini" ]; then
    say "provisioning a simulated DC of $gib GiB in $dc"
    "$dcsim" provision "$dc" --size "${gib}G" --seed 1 >/dev/null
fi
"$dcsim" start "$dc" >/dev/null 2>&1 || true
age-keygen -o "$work/age.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$work/age.key")
rm -f "$work/sign.key"
signer=$("$adbk" keygen -o "$work/sign.key")
P="$work/plain.adbk" E="$work/enc.adbk"
plain="'$adbk' backup --dcsim '$dc' -o '$P' -f -q --no-truncate-logs"
enc="'$adbk' backup --dcsim '$dc' -o '$E' -f -q --no-truncate-logs -r $recipient --sign '$work/sign.key'"
hf() { hyperfine --style basic --warmup 1 --runs "$runs" "$@" >&2; }

say "1/3 backup: plain against encrypted and signed, $runs runs each"
wait_for_idle
hf --export-json "$work/backup.json" -n plain "$plain" -n encrypted "$enc"
say "2/3 verify: plain, encrypted without a key, encrypted with the key and --trust"
wait_for_idle
hf --export-json "$work/verify.json" -n plain "'$verify' -q '$P'" \
    -n "encrypted, no key" "'$verify' -q '$E'" \
    -n "encrypted, key" "'$verify' -q -i '$work/age.key' --trust $signer '$E'"
say "3/3 memory"
rss() { /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1; cat "$work/rss"; }
{
    echo "backup_plain $(rss sh -c "$plain")"
    echo "backup_encrypted $(rss sh -c "$enc")"
    echo "verify_plain $(rss "$verify" -q "$P")"
    echo "verify_locked $(rss "$verify" -q "$E")"
    echo "verify_keyed $(rss "$verify" -q -i "$work/age.key" --trust "$signer" "$E")"
} > "$work/rss.txt"

mkdir -p "$(dirname "$json")"
/usr/bin/python3 - "$work" "$json" "$check" "$P" "$E" <<'EOF'
import json, os, sys
work, out, check, P, E = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], sys.argv[5]
def med(name):
    return {r["command"]: r["median"] for r in json.load(open(os.path.join(work, name)))["results"]}
b, v = med("backup.json"), med("verify.json")
rss = dict(l.split() for l in open(os.path.join(work, "rss.txt")))
rss = {k: int(x) for k, x in rss.items()}
res = {"backup_s": b, "verify_s": v, "rss_kb": rss,
       "plain_bytes": os.path.getsize(P), "encrypted_bytes": os.path.getsize(E),
       "loadavg_end": open("/proc/loadavg").read().split()[:3]}
targets = [
    ("encrypted+signed backup within 5 % of plain", b["encrypted"] / b["plain"] <= 1.05,
     "%.3f x" % (b["encrypted"] / b["plain"])),
    ("keyless verify of the encrypted archive vs plain verify", True,
     "%.3f x" % (v["encrypted, no key"] / v["plain"])),
    ("keyed verify (with --trust) vs plain verify", True,
     "%.3f x" % (v["encrypted, key"] / v["plain"])),
    ("peak memory of the encrypted backup within 5 %", rss["backup_encrypted"] <= 1.05 * rss["backup_plain"],
     "%d vs %d KiB" % (rss["backup_encrypted"], rss["backup_plain"])),
    ("peak memory of keyed verify within 5 %", rss["verify_keyed"] <= 1.05 * rss["verify_plain"],
     "%d vs %d KiB" % (rss["verify_keyed"], rss["verify_plain"])),
]
res["targets"] = {t: ok for t, ok, _ in targets}
json.dump(res, open(out, "w"), indent=1)
for k, x in b.items():
    print("backup  %-20s %8.3f s" % (k, x))
for k, x in v.items():
    print("verify  %-20s %8.3f s" % (k, x))
for k, x in rss.items():
    print("rss     %-20s %8d KiB" % (k, x))
print("archive plain %d bytes, encrypted %d bytes" % (res["plain_bytes"], res["encrypted_bytes"]))
for t, ok, val in targets:
    print("%-4s %s: %s" % ("PASS" if ok else "FAIL", t, val))
print("JSON: %s" % out)
sys.exit(1 if check and not all(ok for _, ok, _ in targets) else 0)
EOF
