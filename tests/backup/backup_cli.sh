#!/bin/sh
# backup_cli.sh CASE - `adbk backup` as a user runs it, against a small
# simulated DC made with the dcsim program. Each t_NAME function is one case.
# Environment: ADBK, ADBK_VERIFY, DCSIM (programs), ADBK_TEST_TMP (scratch).
set -eu

. "$(dirname "$0")/../lib.sh"

# A 4 MiB DC with two closed logs, online.
make_dc() {
    "$DCSIM" provision "$W/dc" --size 4M --seed 5 --logs 2 >/dev/null
    "$DCSIM" start "$W/dc" >/dev/null
    held_logs
}

# Every log that was there before is still there, and no archive or partial
# file is left in $W/o.
expect_untouched() {
    for f in $(cat "$W/logs.before"); do
        [ -f "$W/dc/$f" ] || fail "log $f was truncated after a failed backup"
    done
    [ -z "$(ls -A "$W/o")" ] || fail "left behind: $(ls -A "$W/o")"
    grep -q '^backup_pid=0$' "$W/dc/dcsim.ini" ||
        fail "the backup context was not ended: $(cat "$W/dc/dcsim.ini")"
}

t_backup_then_verify_and_list() {
    make_dc; mkdir "$W/o"
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --chunk-size 256K --xxh128
    grep -q "logs 0x" "$W/err" || fail "the summary names no log range"
    grep -q "truncated on the server" "$W/err" || fail "the summary does not say logs were truncated"
    expect_rc 0 "$ADBK_VERIFY" "$W/o/a.adbk"
    zstd -t -q "$W/o/a.adbk" || fail "zstd -t rejected the archive"
    (cd "$W/o" && xxhsum -c a.adbk.xxh128 >/dev/null) || fail "xxhsum -c rejected the archive"
    expect_rc 0 "$ADBK" list "$W/o/a.adbk"
    for w in "source *dcsim" "SIMULATED" "server *DC01" "database/ntds.dit" "expiry-token" "logs/edb"; do
        grep -q "$w" "$W/out" || fail "list shows no '$w'"
    done
    "$ADBK" extract -q "$W/o/a.adbk" -C "$W/x" database logs
    "$DCSIM" check "$W/x/database" --log-dir "$W/x/logs" >/dev/null ||
        fail "dcsim check rejects the extracted backup"
}

t_json_summary_is_valid() {
    make_dc; mkdir "$W/o"
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --json --no-truncate-logs
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["server"]=="DC01" and d["files"]==4 and d["logs_truncated"] is False, d
assert d["bytes_in"]>4<<20 and d["bytes_out"]>0 and len(d["xxh128"])==32, d
assert d["log_generation_high"]>=d["log_generation_low"], d' "$W/out" || fail "bad JSON: $(cat "$W/out")"
    for f in $(cat "$W/logs.before"); do
        [ -f "$W/dc/$f" ] || fail "--no-truncate-logs truncated $f"
    done
}

# Issue 16: the summary's "source" names the DC however it was chosen: by
# --dcsim, or by ADBK_DCSIM_DIR alone (it was "" then).
t_json_summary_names_the_source() {
    make_dc; mkdir "$W/o"
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --json --no-truncate-logs
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["source"]==sys.argv[2], d' "$W/out" "$W/dc" || fail "--dcsim: $(cat "$W/out")"
    ADBK_DCSIM_DIR="$W/dc" expect_rc 0 "$ADBK" backup -o "$W/o/b.adbk" --json --no-truncate-logs
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["source"]==sys.argv[2], d' "$W/out" "$W/dc" || fail "ADBK_DCSIM_DIR: $(cat "$W/out")"
}

t_existing_archive_is_not_replaced() {
    make_dc; mkdir "$W/o"
    echo precious > "$W/o/a.adbk"
    expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk"
    grep -q -- "--force" "$W/err" || fail "the refusal does not mention --force"
    [ "$(cat "$W/o/a.adbk")" = precious ] || fail "the existing file was changed"
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --force -q
    expect_rc 0 "$ADBK_VERIFY" "$W/o/a.adbk"
}

t_pipe_does_not_truncate_unless_asked() {
    make_dc; mkdir "$W/o"
    "$ADBK" backup --dcsim "$W/dc" -o - -q > "$W/p.adbk"
    expect_rc 0 "$ADBK_VERIFY" "$W/p.adbk"
    for f in $(cat "$W/logs.before"); do
        [ -f "$W/dc/$f" ] || fail "a backup to a pipe truncated $f"
    done
    "$ADBK" backup --dcsim "$W/dc" -o - -q --truncate-logs > "$W/p2.adbk"
    gone=0
    for f in $(cat "$W/logs.before"); do [ -f "$W/dc/$f" ] || gone=1; done
    [ $gone -eq 1 ] || fail "--truncate-logs to a pipe truncated nothing"
}

t_privilege_denied_is_explained() {
    make_dc; mkdir "$W/o"
    DCSIM_PRIVILEGE=deny expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk"
    grep -q "CAP_DAC_READ_SEARCH" "$W/err" || fail "no privilege named: $(cat "$W/err")"
    grep -q "setcap cap_dac_read_search+p" "$W/err" || fail "no how-to-grant: $(cat "$W/err")"
    expect_untouched
}

t_missing_capability_is_explained() {
    command -v capsh >/dev/null || { echo "capsh not installed: skipped"; return 0; }
    [ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; return 0; }
    make_dc; mkdir "$W/o"
    set +e
    capsh --drop=cap_dac_read_search -- -c "'$ADBK' backup --dcsim '$W/dc' -o '$W/o/a.adbk'" \
        >"$W/out" 2>"$W/err"
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "exit $rc without CAP_DAC_READ_SEARCH: $(cat "$W/err")"
    grep -q "setcap cap_dac_read_search+p" "$W/err" || fail "no how-to-grant: $(cat "$W/err")"
    expect_untouched
}

# --user: the server's calls run as that account (DsSetAuthIdentity); the
# simulated DC accepts its administrator (provision's default password) and
# refuses anyone else, and the password never comes from the command line.
t_user_identity() {
    make_dc; mkdir "$W/o"
    ADBK_PASSWORD=dcsim expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" -q \
        --user 'corp.example.com\Administrator' --no-truncate-logs
    rm -f "$W/o/a.adbk"
    ADBK_PASSWORD=wrong expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" -q \
        --user Administrator@corp.example.com
    grep -q "logon failure for Administrator" "$W/err" || fail "unclear: $(cat "$W/err")"
    expect_untouched
    # No password in the environment and no terminal to ask on.
    set +e
    env -u ADBK_PASSWORD setsid -w "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" \
        --user 'CORP\Administrator' </dev/null >"$W/out" 2>"$W/err"
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "exit $rc without a password: $(cat "$W/err")"
    grep -q "ADBK_PASSWORD" "$W/err" || fail "does not say how to give the password: $(cat "$W/err")"
    expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --user '\'
    grep -q "names no user" "$W/err" || fail "a bad --user is not explained: $(cat "$W/err")"
    expect_untouched
}

# Issue 16: a refused --user gets advice about that account, not about this
# machine's backup privilege (the server judges the account given).
t_refused_user_is_not_told_about_capabilities() {
    make_dc; mkdir "$W/o"
    ADBK_PASSWORD=wrong expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" -q \
        --user 'CORP\Administrator'
    grep -q "logon failure" "$W/err" || fail "unclear: $(cat "$W/err")"
    grep -q "check the account given with --user and its password" "$W/err" ||
        fail "no advice about the account: $(cat "$W/err")"
    ! grep -q "CAP_DAC_READ_SEARCH\|setcap" "$W/err" ||
        fail "advice about the capability: $(cat "$W/err")"
    expect_untouched
}

t_offline_dc_is_an_error() {
    "$DCSIM" provision "$W/dc" --size 4M --seed 5 --logs 2 >/dev/null
    held_logs
    mkdir "$W/o"
    expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk"
    grep -q "not running" "$W/err" || fail "unclear: $(cat "$W/err")"
    expect_untouched
}

t_faults_leave_nothing() {
    make_dc; mkdir "$W/o"
    for f in fail_read=2 offline_after=1048576 bad_page=50; do
        DCSIM_FAULTS=$f expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" -q
        grep -q "DC01" "$W/err" || fail "$f: the error names no server: $(cat "$W/err")"
        expect_untouched
        "$DCSIM" start "$W/dc" >/dev/null # offline_after took it down
    done
    gen=$(sed -n 's/^checkpoint_gen=//p' "$W/dc/dcsim.ini")
    DCSIM_FAULTS=missing_log=$gen expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" -q
    grep -q "not be restorable" "$W/err" || fail "missing_log: unclear: $(cat "$W/err")"
    [ -z "$(ls -A "$W/o")" ] || fail "missing_log: left behind: $(ls -A "$W/o")"
}

# SIGINT or SIGTERM mid-backup: exit 2, no archive, no partial, logs intact,
# the backup context ended.
interrupt_with() {
    make_dc; mkdir "$W/o"
    DCSIM_FAULTS=slow_read_ms=100 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" \
        --chunk-size 64K >"$W/out" 2>"$W/err" &
    pid=$!
    i=0
    while [ -z "$(ls -A "$W/o")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    sleep 0.3
    expect_interrupted "$1"
    expect_untouched
}
t_sigint_leaves_nothing() { interrupt_with INT; }
t_sigterm_leaves_nothing() { interrupt_with TERM; }

# Issue 11: the simulator only when asked for. With nothing chosen (no
# --server, no --dcsim, no ADBK_DCSIM_DIR) backup stops, says what it can back
# up and how to choose it, and writes nothing: no archive, no DC made in HOME.
t_no_source_is_refused_and_nothing_written() {
    make_dc; mkdir "$W/o" "$W/home"
    expect_rc 2 env -u ADBK_DCSIM_DIR HOME="$W/home" XDG_CACHE_HOME= "$ADBK" backup -o "$W/o/a.adbk"
    for w in "no domain controller chosen" "--dcsim DIR" "ADBK_DCSIM_DIR"; do
        grep -q -- "$w" "$W/err" || fail "the refusal lacks '$w': $(cat "$W/err")"
    done
    [ -z "$(ls -A "$W/home")" ] || fail "something was made in HOME: $(ls -AR "$W/home")"
    # A simulated DC's folder given as a server is not taken for one either.
    expect_rc 2 env -u ADBK_DCSIM_DIR HOME="$W/home" "$ADBK" backup -o "$W/o/a.adbk" --server "$W/dc"
    grep -q -- "--dcsim $W/dc" "$W/err" || fail "does not say how to choose it: $(cat "$W/err")"
    expect_rc 2 env -u ADBK_DCSIM_DIR HOME="$W/home" "$ADBK" backup -o "$W/o/a.adbk" --server DC01
    grep -q "DC01" "$W/err" || fail "the server is not named: $(cat "$W/err")"
    expect_untouched
}

# The archive of a simulated DC says so: the property, list, verify (both
# programs), the backup summary, and every JSON report; an archive of files
# does not.
t_simulated_archive_is_labelled() {
    make_dc; mkdir "$W/o"
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --no-truncate-logs
    grep -q "SIMULATED" "$W/err" || fail "the backup summary hides the simulator: $(cat "$W/err")"
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/b.adbk" --no-truncate-logs --json
    json_has() { /usr/bin/python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); assert d["simulated"] is (sys.argv[2]=="1"), d' "$1" "$2" ||
        fail "$3: $(cat "$1")"; }
    json_has "$W/out" 1 "backup --json"
    expect_rc 0 "$ADBK" list --json "$W/o/a.adbk"
    json_has "$W/out" 1 "list --json"
    /usr/bin/python3 -c 'import json,sys
assert json.load(open(sys.argv[1]))["properties"]["source"]=="dcsim"' "$W/out" ||
        fail "the source property is not dcsim"
    for p in "$ADBK" "$ADBK_VERIFY"; do
        expect_rc 0 "$p" list "$W/o/a.adbk"
        head -n 1 "$W/out" | grep -q "^SIMULATED" || fail "$p list: not on the first line"
        expect_rc 0 "$p" verify "$W/o/a.adbk"
        grep -q "SIMULATED" "$W/err" || fail "$p verify hides the simulator"
        expect_rc 0 "$p" verify --json "$W/o/a.adbk"
        json_has "$W/out" 1 "$p verify --json"
    done
    # The same words are absent from an archive that is not of the simulator.
    printf 'x' > "$W/f"
    expect_rc 0 "$ADBK" create -o "$W/o/f.adbk" "$W/f"
    expect_rc 0 "$ADBK" list "$W/o/f.adbk"
    ! grep -q "SIMULATED" "$W/out" || fail "an archive of files says SIMULATED"
    expect_rc 0 "$ADBK" verify --json "$W/o/f.adbk"
    json_has "$W/out" 0 "verify --json of files"
}

t_usage_errors() {
    expect_rc 2 "$ADBK" backup
    grep -q -- "-o" "$W/err" || fail "backup without -o does not say what is missing"
    expect_rc 2 "$ADBK" backup -o "$W/a.adbk" --truncate-logs --no-truncate-logs
    expect_rc 2 "$ADBK" backup -o "$W/a.adbk" -25
    expect_rc 2 "$ADBK" backup -o "$W/a.adbk" --dcsim "$W/nowhere/dc"
    grep -q "dcsim.ini" "$W/err" || fail "a wrong folder is not explained: $(cat "$W/err")"
    expect_rc 0 "$ADBK" backup --help
    grep -q "usage: adbk backup" "$W/out" || fail "backup --help has no usage line"
}

t_list_and_extract_say_why_the_database_is_larger_than_on_the_dc() {
    make_dc; mkdir "$W/o"
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" -q
    dit=$(stat -c %s "$W/dc/ntds.dit")
    expect_rc 0 "$ADBK" list "$W/o/a.adbk"
    size=$(awk '$1 == "database" { print $2 }' "$W/out")
    [ "$size" -gt "$dit" ] || fail "the stream ($size) is not larger than ntds.dit ($dit)"
    grep -q "^note: database/ntds.dit ($size bytes) is the server's backup stream of the database, longer than ntds.dit on the DC by the pages of restore information" \
        "$W/out" || fail "list: $(cat "$W/out")"
    expect_rc 0 "$ADBK" list --json "$W/o/a.adbk"
    /usr/bin/python3 -c 'import json,sys
for m in json.load(open(sys.argv[1]))["members"]:
    assert ("note" in m) == (m["kind"] == "database"), m
    assert "note" not in m or "restore information" in m["note"], m' "$W/out" ||
        fail "list --json: $(cat "$W/out")"
    expect_rc 0 "$ADBK" extract "$W/o/a.adbk" -C "$W/x"
    [ "$(grep -c "note: database/ntds.dit ($size bytes) is the server's backup stream" "$W/err")" -eq 1 ] ||
        fail "extract: $(cat "$W/err")"
    expect_rc 0 "$ADBK" extract -q "$W/o/a.adbk" -C "$W/y" logs
    [ ! -s "$W/err" ] || fail "extract of logs, -q: $(cat "$W/err")"
    # Files packed with create have no such note, whatever their names.
    mkdir -p "$W/in/database" && cp "$W/dc/ntds.dit" "$W/in/database/"
    expect_rc 0 "$ADBK" create -q -o "$W/f.adbk" "$W/in/database"
    expect_rc 0 "$ADBK" list "$W/f.adbk"
    ! grep -q "note" "$W/out" || fail "list of files: $(cat "$W/out")"
}

run_case backup "$@"
