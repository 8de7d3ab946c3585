#!/bin/sh
# status_cli.sh CASE - `adbk status` on folders of archives of several domain
# controllers: fresh, old (past half the tombstone lifetime), expired,
# damaged (a flipped byte in the seek table, the index or the content),
# foreign files, another domain's archives, encrypted and simulated ones;
# each verdict and exit code (Nagios: 0 OK, 1 WARNING, 2 CRITICAL,
# 3 UNKNOWN), and --json read back with python3's json module. Each t_NAME
# function is one ctest case.
# Environment: ADBK (program), MKARCHIVE (tests/status/mkarchive.c),
# ADBK_TEST_TMP (scratch).
set -eu

. "$(dirname "$0")/../lib.sh"

NOW=1798761600 # 2027-01-01 00:00 UTC: every case judges as at this time
DAY=86400

# A test key (made by age-keygen once, public; tests/unit/test_encrypt.c).
ID=AGE-SECRET-KEY-1D834TVCSWDQWARNCKKVW9EWN659DM4Z9GXDX45Y6J2WXEQFJATXQ5RD36L

# mk FILE DAYS_OLD SERVER DOMAIN [mkarchive options]: an archive of a DC
# whose forest's tombstone lifetime is 60 days, DAYS_OLD days before NOW.
mk() {
    f=$1 days=$2 server=$3 domain=$4
    shift 4
    mkdir -p "$(dirname "$W/$f")"
    "$MKARCHIVE" "$W/$f" $((NOW - days * DAY)) -p source=dsbackup -p "server=$server" \
        -p "domain=$domain" -p tombstone.lifetime.days=60 "$@" || fail "mkarchive $f"
}

# status RC ARGS...: adbk status as at NOW; stdout in $W/out.
status() {
    want=$1
    shift
    expect_rc "$want" "$ADBK" status --now "$NOW" "$@"
}

# Where the seek table of FILE starts (FORMAT.md 4: footer's Number_Of_Frames).
seek_start() {
    /usr/bin/python3 -c 'import os, struct, sys
f = open(sys.argv[1], "rb"); size = os.path.getsize(sys.argv[1])
f.seek(size - 9); n = struct.unpack("<I", f.read(4))[0]
print(size - (8 + 12 * n + 9))' "$1"
}

# The line of $W/out naming domain controller $1 (its header line).
dc_line() { grep -E "^[A-Z]+ +$1( |,|$)" "$W/out" || fail "no line for $1: $(cat "$W/out")"; }

# expect_dc VERDICT DC: the DC's line carries the verdict.
expect_dc() {
    dc_line "$2" | grep -q "^$1 " || fail "$2 is not $1: $(cat "$W/out")"
}

# Subfolders are walked; a file named twice is counted once.
t_fresh_archive_is_ok() {
    mk fleet/older/dc01-old.adbk 10 DC01 corp.example.com
    mk fleet/dc01-new.adbk 2 DC01 corp.example.com
    status 0 "$W/fleet" "$W/fleet/dc01-new.adbk"
    head -1 "$W/out" | grep -q "^OK: 1 domain controller" || fail "$(cat "$W/out")"
    expect_dc OK "DC01 of corp.example.com"
    dc_line "DC01 of corp.example.com" | grep -q ", 2 archives$" || fail "$(cat "$W/out")"
    grep -E "newest .* 2\.0 d +until +2027-02-28 00:00 UTC +checked +.*/dc01-new.adbk$" "$W/out" >/dev/null ||
        fail "the newest archive, its age and its date are not shown: $(cat "$W/out")"
}

# Active Directory's event 2089 rule: past half the tombstone lifetime.
t_archive_older_than_half_the_lifetime_warns() {
    mk dc02.adbk 31 DC02 corp.example.com
    status 1 "$W/dc02.adbk"
    expect_dc WARNING DC02
    grep -q "31.0 days old, more than half the tombstone lifetime (60 days)" "$W/out" ||
        fail "$(cat "$W/out")"
    mk dc02b.adbk 29 DC02 corp.example.com
    status 0 "$W/dc02b.adbk"
}

t_expired_archive_is_critical() {
    mk dc03.adbk 61 DC03 corp.example.com
    mk dc03-older.adbk 90 DC03 corp.example.com
    status 2 "$W/dc03.adbk" "$W/dc03-older.adbk"
    expect_dc CRITICAL DC03
    grep -q "no restorable archive: the newest is older than the tombstone lifetime (60 days) since 2026-12-31" \
        "$W/out" || fail "$(cat "$W/out")"
    grep -q "expired 2026-12-31 00:00 UTC" "$W/out" || fail "$(cat "$W/out")"
    mk dc03c.adbk 59 DC03 corp.example.com
    status 1 "$W/dc03c.adbk" "$W/dc03.adbk"
}

# The seek table is read whole without --verify: a changed frame size in it
# is found by the default, cheap check, and the archive is not restorable.
t_damaged_seek_table_is_critical_without_verify() {
    mk dc04.adbk 1 DC04 corp.example.com
    flip "$W/dc04.adbk" $(($(seek_start "$W/dc04.adbk") + 8 + 12 * 2))
    status 2 "$W/dc04.adbk"
    expect_dc CRITICAL DC04
    grep -q "DAMAGED .*dc04.adbk" "$W/out" || fail "$(cat "$W/out")"
    grep -q "seek table's entry of frame 2" "$W/out" || fail "$(cat "$W/out")"
}

# A flipped byte in the content is beyond the tail: only --verify reads it.
t_flipped_content_byte_is_found_only_with_verify() {
    mk dc05.adbk 1 DC05 corp.example.com
    flip "$W/dc05.adbk" $(($(stat -c %s "$W/dc05.adbk") / 2))
    status 0 "$W/dc05.adbk"
    grep -q " checked " "$W/out" || fail "not said to be checked only: $(cat "$W/out")"
    status 2 --verify "$W/dc05.adbk"
    expect_dc CRITICAL DC05
    grep -q "DAMAGED" "$W/out" || fail "$(cat "$W/out")"
    mk dc05b.adbk 1 DC05b corp.example.com
    status 0 --verify "$W/dc05b.adbk"
    grep -q " verified " "$W/out" || fail "not said to be verified: $(cat "$W/out")"
}

# --verify reads newest first and stops at the first intact archive; a
# damaged newest one, with an older one restorable, is a warning.
t_damaged_newest_with_an_older_restorable_warns() {
    mk dc06/new.adbk 1 DC06 corp.example.com
    mk dc06/mid.adbk 3 DC06 corp.example.com
    mk dc06/old.adbk 5 DC06 corp.example.com
    flip "$W/dc06/new.adbk" $(($(stat -c %s "$W/dc06/new.adbk") / 2))
    status 1 --verify "$W/dc06"
    expect_dc WARNING DC06
    grep -q "a newer archive than it is damaged" "$W/out" || fail "$(cat "$W/out")"
    grep -E "restorable .* verified +.*/mid.adbk$" "$W/out" >/dev/null || fail "$(cat "$W/out")"
    ! grep -q "old.adbk" "$W/out" || fail "an older archive than the verified one was shown"
    status 1 --verify --json "$W/dc06"
    /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
states = {a["path"].rsplit("/", 1)[1]: a["state"] for a in r["domain_controllers"][0]["archives"]}
assert states == {"new.adbk": "damaged", "mid.adbk": "verified", "old.adbk": "checked"}, states' \
        "$W/out" || fail "verify did not stop at the first intact archive: $(cat "$W/out")"
}

# Files that are no archive of any DC are reported one by one (WARNING);
# the DCs are judged all the same.
t_foreign_and_unopenable_files_are_reported_per_file() {
    mk fleet/dc01.adbk 1 DC01 corp.example.com
    echo "not an archive" > "$W/fleet/notes.adbk"
    echo "ignored: not named *.adbk" > "$W/fleet/README"
    mk fleet/broken.adbk 1 DC09 corp.example.com
    flip "$W/fleet/broken.adbk" $(($(seek_start "$W/fleet/broken.adbk") - 20))
    status 1 "$W/fleet"
    expect_dc OK DC01
    grep -q "^WARNING   not an archive: .*notes.adbk" "$W/out" || fail "$(cat "$W/out")"
    grep -q "^WARNING   damaged: .*broken.adbk" "$W/out" || fail "$(cat "$W/out")"
    ! grep -q "README" "$W/out" || fail "a file not named .adbk was read"
    ! grep -q "DC09" "$W/out" || fail "an archive whose index is damaged was tied to a DC"
}

# The same server name in another domain is another DC; case does not count.
t_other_domain_is_another_dc() {
    mk a.adbk 1 DC01 corp.example.com
    mk b.adbk 2 dc01 CORP.example.com
    mk c.adbk 70 DC01 other.example.org
    status 2 "$W"
    expect_dc OK "DC01 of corp.example.com"
    dc_line "DC01 of corp.example.com" | grep -q "2 archives" || fail "case split a DC: $(cat "$W/out")"
    expect_dc CRITICAL "DC01 of other.example.org"
}

# Without a key, encrypted archives hide their DC: one group, judged by the
# date kept in clear; with --identity they join their DCs.
t_encrypted_archives_are_one_group_without_a_key() {
    printf '%s\n' "$ID" > "$W/id.key"
    mk enc/dc07.adbk 40 DC07 corp.example.com -k "$W/id.key"
    mk enc/dc08.adbk 1 DC08 corp.example.com -k "$W/id.key" -p tombstone.lifetime.days=90
    mk enc/dc01.adbk 1 DC01 corp.example.com
    status 0 "$W/enc"
    expect_dc OK "encrypted archives"
    dc_line "encrypted archives" | grep -q "2 archives" || fail "$(cat "$W/out")"
    grep -E "newest .* until +2027-03-31 00:00 UTC .*/enc/dc08.adbk$" "$W/out" >/dev/null ||
        fail "no date from the clear Not_After: $(cat "$W/out")"
    status 1 --identity "$W/id.key" "$W/enc"
    expect_dc WARNING "DC07 of corp.example.com"
    expect_dc OK "DC08 of corp.example.com"
    ! grep -q "encrypted archives" "$W/out" || fail "$(cat "$W/out")"
}

t_simulated_dc_is_marked() {
    "$MKARCHIVE" "$W/sim.adbk" $((NOW - DAY)) -p source=dcsim -p server=SIM01 -p domain=sim.test \
        -p tombstone.lifetime.days=60
    status 0 "$W/sim.adbk"
    dc_line "SIM01 of sim.test" | grep -q "(SIMULATED)" || fail "$(cat "$W/out")"
    grep -q "^SIMULATED: a backup of adbk's simulated domain controller" "$W/out" || fail "$(cat "$W/out")"
    status 0 --json "$W/sim.adbk"
    /usr/bin/python3 -c 'import json, sys
assert json.load(open(sys.argv[1]))["domain_controllers"][0]["simulated"] is True' "$W/out" ||
        fail "$(cat "$W/out")"
}

# No tombstone lifetime recorded: 60 days assumed, or --tombstone-days.
t_lifetime_assumed_when_not_recorded() {
    "$MKARCHIVE" "$W/x.adbk" $((NOW - 40 * DAY)) -p server=DC10 -p domain=corp.example.com
    status 1 "$W/x.adbk"
    grep -q "(60 days, assumed)" "$W/out" || fail "$(cat "$W/out")"
    status 0 --tombstone-days 180 "$W/x.adbk"
}

# A backup dated ahead of the clock cannot be restored (restore refuses it).
t_archive_dated_ahead_is_not_restorable() {
    mk dc11.adbk -5 DC11 corp.example.com
    status 2 "$W/dc11.adbk"
    grep -q "1 dated ahead of this clock" "$W/out" || fail "$(cat "$W/out")"
}

# With --trust, an archive its signer does not sign cannot be restored.
t_untrusted_archive_is_not_restorable() {
    "$ADBK" keygen -o "$W/s.key" > "$W/s.pub"
    mk dc12.adbk 1 DC12 corp.example.com
    status 0 "$W/dc12.adbk"
    status 2 --trust "$(cat "$W/s.pub")" "$W/dc12.adbk"
    grep -q "UNTRUSTED" "$W/out" || fail "$(cat "$W/out")"
}

# --expect: a DC that should have archives and has none is critical.
t_expected_dc_without_archives_is_critical() {
    mk dc01.adbk 1 DC01 corp.example.com
    status 0 --expect dc01 "$W/dc01.adbk"
    status 2 --expect DC01 --expect DC13 "$W/dc01.adbk"
    expect_dc CRITICAL DC13
    grep -q "no archive of this domain controller was found" "$W/out" || fail "$(cat "$W/out")"
}

# Nothing to judge, a path that is not there, a bad option: UNKNOWN.
t_nothing_found_is_unknown() {
    mkdir "$W/empty"
    status 3 "$W/empty"
    grep -q "^UNKNOWN: no archive found" "$W/out" || fail "$(cat "$W/out")"
    grep -q "no .adbk file in this folder" "$W/out" || fail "$(cat "$W/out")"
    status 3 "$W/missing"
    grep -q "^UNKNOWN .*missing: No such file" "$W/out" || fail "$(cat "$W/out")"
    status 3
    status 3 --no-such-option "$W"
    status 3 --now yesterday "$W"
    mk dc01.adbk 1 DC01 corp.example.com
    status 3 "$W/dc01.adbk" "$W/missing"
    expect_dc OK DC01
}

# The real clock, when --now is not given: an archive made now is fresh.
t_clock_is_now_by_default() {
    echo data > "$W/f"
    "$ADBK" create -q -o "$W/now.adbk" "$W/f"
    expect_rc 0 "$ADBK" status "$W/now.adbk"
    grep -q "^OK  *(no server recorded), 1 archive" "$W/out" || fail "$(cat "$W/out")"
}

# The whole fleet in one folder, as a monitoring system reads it: --json.
t_mixed_fleet_json() {
    printf '%s\n' "$ID" > "$W/id.key"
    mk fleet/dc01.adbk 1 DC01 corp.example.com
    mk fleet/dc02.adbk 40 DC02 corp.example.com
    mk fleet/dc03.adbk 75 DC03 corp.example.com
    mk fleet/dc04.adbk 1 DC04 corp.example.com
    flip "$W/fleet/dc04.adbk" $(($(seek_start "$W/fleet/dc04.adbk") + 8 + 12 * 3))
    mk fleet/dc05.adbk 1 DC05 other.example.org
    mk fleet/enc.adbk 2 DC06 corp.example.com -k "$W/id.key" -p tombstone.lifetime.days=120
    echo "a text file that someone named as if it were an archive" > "$W/fleet/foreign.adbk"
    status 2 --json "$W/fleet"
    /usr/bin/python3 - "$W/out" <<'EOF' || fail "$(cat "$W/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "CRITICAL" and r["exit"] == 2 and r["now"] == 1798761600, r
dcs = {(d["server"], d["domain"], d["sealed"]): d for d in r["domain_controllers"]}
want = {("DC01", "corp.example.com", False): "OK",
        ("DC02", "corp.example.com", False): "WARNING",
        ("DC03", "corp.example.com", False): "CRITICAL",
        ("DC04", "corp.example.com", False): "CRITICAL",
        ("DC05", "other.example.org", False): "OK",
        (None, None, True): "OK"}
assert {k: d["verdict"] for k, d in dcs.items()} == want, {k: d["verdict"] for k, d in dcs.items()}
assert [d["verdict"] for d in r["domain_controllers"]][:2] == ["CRITICAL", "CRITICAL"], "worst first"
dc02 = dcs[("DC02", "corp.example.com", False)]
assert abs(dc02["newest"]["age_days"] - 40) < 1e-6 and dc02["restorable"]["path"].endswith("dc02.adbk")
assert dc02["newest"]["not_after_utc"] == "2027-01-21T00:00:00Z", dc02["newest"]
dc03 = dcs[("DC03", "corp.example.com", False)]
assert dc03["restorable"] is None and dc03["newest"]["expired"] is True
assert dcs[("DC04", "corp.example.com", False)]["newest"]["state"] == "damaged"
enc = dcs[(None, None, True)]["newest"]
assert enc["encrypted"] is True and enc["not_after"] == 1798761600 + 118 * 86400, enc
assert enc["tombstone_lifetime_days"] == 120 and enc["tombstone_lifetime_assumed"] is False, enc
files = r["files"]
assert len(files) == 1 and files[0]["path"].endswith("foreign.adbk"), files
assert files[0]["verdict"] == "WARNING" and files[0]["problem"] == "not an archive", files
assert r["archives"] == 6, r["archives"]
EOF
    status 2 -q "$W/fleet"
    [ "$(wc -l < "$W/out")" -eq 1 ] || fail "--quiet printed more than the summary: $(cat "$W/out")"
    grep -q "^CRITICAL: 6 domain controllers: 2 critical, 1 warning, 3 ok; 1 file or folder not usable$" \
        "$W/out" || fail "$(cat "$W/out")"
}

t_help_teaches_and_adbk_help_lists_status() {
    expect_rc 0 "$ADBK" --help
    grep -q "^  status PATH" "$W/out" || fail "adbk --help does not list status"
    expect_rc 0 "$ADBK" status --help
    for word in "half the tombstone" "event 2089" "--verify" "--json" "--now" "Nagios" \
        "--identity" "SIMULATED"; do
        grep -q -- "$word" "$W/out" || fail "status --help does not mention $word"
    done
}

run_case status "$@"
