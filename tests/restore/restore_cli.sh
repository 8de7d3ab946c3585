#!/bin/sh
# restore_cli.sh CASE - `adbk restore` as an administrator runs it, against a
# small simulated DC made with the dcsim program. Each t_NAME function is one
# case. Cases that need a filesystem of their own (full, read-only) mount a
# small tmpfs and are skipped (exit 77) where mounting is not allowed.
# Environment: ADBK, ADBK_VERIFY, DCSIM (programs), ADBK_TEST_TMP (scratch).
set -eu

. "$(dirname "$0")/../lib.sh"

# A DC in $1 (4 MiB database, two closed logs), backed up into $W/a.adbk,
# then stopped as for Directory Services Restore Mode.
backed_up_dc() {
    "$DCSIM" provision "$1" --size 4M --seed 5 --logs 2 >/dev/null
    "$DCSIM" start "$1" >/dev/null
    "$ADBK" backup --dcsim "$1" -o "$W/a.adbk" -q --no-truncate-logs
    "$DCSIM" stop "$1" >/dev/null
}

# Content hashes of the DC's files (not the lock) into $W/state.$2.
snapshot() {
    (cd "$1" && for f in $(ls | grep -v '^dcsim.lock$'); do
        [ -f "$f" ] && echo "$f $(xxhsum -H2 "$f" | cut -d' ' -f1)"
    done) > "$W/state.$2"
}

# After a refused or failed restore: the same files, no staged file, no
# registered restore.
expect_untouched() {
    snapshot "$1" after
    cmp -s "$W/state.before" "$W/state.after" ||
        { diff "$W/state.before" "$W/state.after" >&2; fail "the DC's files changed"; }
    ! ls -A "$1" | grep -q partial || fail "staged files left: $(ls -A "$1" | grep partial)"
    grep -q '^restore_state=none$' "$1/dcsim.ini" || fail "restore state: $(grep restore_state "$1/dcsim.ini")"
}

# Mounts a tmpfs of $2 at $1, or skips the case.
small_fs() {
    mkdir -p "$1"
    mount -t tmpfs -o "size=$2" adbk-test "$1" 2>/dev/null || skip "cannot mount a tmpfs here"
    MOUNTED=$1
}

t_backup_wipe_restore_start() {
    backed_up_dc "$W/dc"
    rm -f "$W/dc/ntds.dit" "$W/dc"/edb*.log
    expect_rc 0 "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc" --json
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["registered"] and d["completed"] and d["files"]==3, d
assert d["log_generation_high"]>=d["log_generation_low"] and d["tombstone_lifetime_days"]==180, d' \
        "$W/out" || fail "bad JSON: $(cat "$W/out")"
    # Byte for byte: the restored files against the members, extracted.
    "$ADBK" extract -q "$W/a.adbk" -C "$W/x"
    cmp "$W/dc/ntds.dit" "$W/x/database/ntds.dit" || fail "the database differs"
    for f in "$W/x/logs"/*; do
        cmp "$f" "$W/dc/$(basename "$f")" || fail "log $(basename "$f") differs"
    done
    grep -q '^restore_state=complete$' "$W/dc/dcsim.ini" || fail "not registered as complete"
    "$DCSIM" start "$W/dc" >/dev/null || fail "the restored DC does not start (recovery)"
    "$DCSIM" check "$W/dc" >/dev/null || fail "dcsim check rejects the restored DC"
}

t_online_dc_is_refused() {
    backed_up_dc "$W/dc"
    "$DCSIM" start "$W/dc" >/dev/null
    snapshot "$W/dc" before
    expect_rc 2 "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc"
    grep -q "running" "$W/err" || fail "unclear: $(cat "$W/err")"
    grep -q "dcsim stop" "$W/err" || fail "does not say how to stop it: $(cat "$W/err")"
    snapshot "$W/dc" after
    cmp -s "$W/state.before" "$W/state.after" || fail "the DC's files changed"
}

t_expired_token_is_refused_by_the_server() {
    backed_up_dc "$W/dc"
    snapshot "$W/dc" before
    DCSIM_NOW=$(( $(date +%s) + 200 * 86400 )) \
        expect_rc 2 "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc"
    grep -q "hrContentsExpired" "$W/err" || fail "no server code: $(cat "$W/err")"
    grep -q "200 days old" "$W/err" || fail "the age is not given: $(cat "$W/err")"
    grep -q "180 days" "$W/err" || fail "the limit is not given: $(cat "$W/err")"
    expect_untouched "$W/dc"
}

t_damaged_archive_is_refused_before_registration() {
    backed_up_dc "$W/dc"
    size=$(stat -c %s "$W/a.adbk")
    # Invert one byte in the middle of the archive (inside the database).
    flip "$W/a.adbk" $((size / 3))
    snapshot "$W/dc" before
    expect_rc 1 "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc"
    grep -q "database/ntds.dit" "$W/err" || fail "the member is not named: $(cat "$W/err")"
    grep -q "bytes [0-9]*\.\.[0-9]*" "$W/err" || fail "no byte range: $(cat "$W/err")"
    grep -q "before registration" "$W/err" || fail "unclear: $(cat "$W/err")"
    expect_untouched "$W/dc"
}

t_disk_full_registers_nothing() {
    small_fs "$W/fs" 16m
    backed_up_dc "$W/fs/dc"
    snapshot "$W/fs/dc" before
    expect_rc 2 "$ADBK" restore "$W/a.adbk" --dcsim "$W/fs/dc"
    grep -q "No space left" "$W/err" || fail "no cause given: $(cat "$W/err")"
    grep -q "$W/fs/dc/" "$W/err" || fail "no file named: $(cat "$W/err")"
    grep -q "nothing was registered" "$W/err" || fail "unclear: $(cat "$W/err")"
    expect_untouched "$W/fs/dc"
}

t_read_only_target_registers_nothing() {
    small_fs "$W/fs" 64m
    backed_up_dc "$W/fs/dc"
    snapshot "$W/fs/dc" before
    mount -o remount,ro "$W/fs" || skip "cannot remount read-only here"
    expect_rc 2 "$ADBK" restore "$W/a.adbk" --dcsim "$W/fs/dc"
    grep -q "Read-only file system" "$W/err" || fail "no cause given: $(cat "$W/err")"
    grep -q "cannot write in $W/fs/dc" "$W/err" || fail "no folder named: $(cat "$W/err")"
    mount -o remount,rw "$W/fs"
    expect_untouched "$W/fs/dc"
}

# SIGINT or SIGTERM while files are staged: exit 2, nothing registered or left.
# A restore of a 192 MiB DC started in the background ($pid), once it has
# begun staging files.
restore_while_staging() {
    "$DCSIM" provision "$W/dc" --size 192M --seed 5 --logs 2 >/dev/null
    "$DCSIM" start "$W/dc" >/dev/null
    "$ADBK" backup --dcsim "$W/dc" -o "$W/a.adbk" -q --no-truncate-logs --chunk-size 64K
    "$DCSIM" stop "$W/dc" >/dev/null
    snapshot "$W/dc" before
    "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc" -T 1 >"$W/out" 2>"$W/err" &
    pid=$!
    i=0
    while ! ls -A "$W/dc" | grep -q partial && [ $i -lt 400 ]; do sleep 0.01; i=$((i + 1)); done
}

interrupt_with() {
    restore_while_staging
    expect_interrupted "$1"
    expect_untouched "$W/dc"
}
t_sigint_registers_nothing() { interrupt_with INT; }
t_sigterm_registers_nothing() { interrupt_with TERM; }

# Issue 12: a restore killed with SIGKILL while staging leaves its staged
# file (nothing can remove it) but registers nothing; the next restore
# removes it, says so, and completes.
t_restore_after_kill9_removes_the_staged_file() {
    restore_while_staging
    kill -KILL $pid
    set +e; wait $pid; rc=$?; set -e
    [ $rc -eq 137 ] || fail "exit $rc after SIGKILL: $(cat "$W/err")"
    staged=$(ls -A "$W/dc" | grep '^\.adbk-restore-.*\.partial$') ||
        fail "the killed restore left no staged file (killed too late?): $(ls -A "$W/dc")"
    grep -q '^restore_state=none$' "$W/dc/dcsim.ini" || fail "a killed restore registered"
    expect_rc 0 "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc"
    for f in $staged; do
        grep -q "note: removed $W/dc/$f ([0-9]* bytes), left by an earlier run" "$W/err" ||
            fail "no note of $f: $(cat "$W/err")"
    done
    ! ls -A "$W/dc" | grep -q partial || fail "staged files left: $(ls -A "$W/dc" | grep partial)"
    "$ADBK" extract -q "$W/a.adbk" -C "$W/x" database
    cmp "$W/dc/ntds.dit" "$W/x/database/ntds.dit" || fail "the database differs"
}

# Issue 11: an archive restores only onto the DC it is of. DC02's archive
# onto DC09 (another server and domain), and onto a DC01 of another domain,
# is refused with both named and nothing changed; --allow-other-dc restores
# it, with a warning (exit 1), and the DC starts.
t_other_dcs_archive_is_refused_unless_allowed() {
    "$DCSIM" provision "$W/dc02" --size 4M --seed 5 --logs 2 --server DC02 \
        --domain lab.example.org >/dev/null
    "$DCSIM" start "$W/dc02" >/dev/null
    "$ADBK" backup --dcsim "$W/dc02" -o "$W/a.adbk" -q --no-truncate-logs
    for other in "DC09 other.test DC09.other.test" "DC02 other.test DC02.other.test"; do
        set -- $other
        rm -rf "$W/dc"
        "$DCSIM" provision "$W/dc" --size 4M --seed 6 --server "$1" --domain "$2" >/dev/null
        snapshot "$W/dc" before
        expect_rc 2 "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc"
        for w in "DC02.lab.example.org" "$3" "--allow-other-dc" "nothing was changed"; do
            grep -q -- "$w" "$W/err" || fail "the refusal lacks '$w': $(cat "$W/err")"
        done
        expect_untouched "$W/dc"
    done
    expect_rc 1 "$ADBK" restore "$W/a.adbk" --dcsim "$W/dc" --allow-other-dc --json
    grep -q "warning:.*DC02.lab.example.org" "$W/err" || fail "no warning: $(cat "$W/err")"
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["completed"] and d["archive_server"]=="DC02" and d["server"]=="DC02", d
assert d["archive_domain"]=="lab.example.org" and d["domain"]=="other.test", d
assert d["simulated"] is True, d' "$W/out" || fail "bad JSON: $(cat "$W/out")"
    "$DCSIM" start "$W/dc" >/dev/null || fail "the restored DC does not start"
}

# No target named: refused before anything is read from the server.
t_no_target_is_refused() {
    backed_up_dc "$W/dc"
    snapshot "$W/dc" before
    expect_rc 2 env -u ADBK_DCSIM_DIR "$ADBK" restore "$W/a.adbk"
    for w in "no domain controller chosen" "--dcsim DIR"; do
        grep -q -- "$w" "$W/err" || fail "the refusal lacks '$w': $(cat "$W/err")"
    done
    expect_untouched "$W/dc"
}

t_usage_errors_and_help() {
    expect_rc 2 "$ADBK" restore
    grep -q "needs an archive" "$W/err" || fail "restore without an archive is not explained"
    expect_rc 2 "$ADBK" restore a.adbk b.adbk
    expect_rc 2 "$ADBK" restore "$W/none.adbk" --dcsim "$W"
    grep -q "none.adbk" "$W/err" || fail "a missing archive is not named"
    expect_rc 0 "$ADBK" restore --help
    for w in "usage: adbk restore" "--allow-expired" "--allow-other-dc" "--dcsim" "registers" "CAP_DAC_OVERRIDE"; do
        grep -q -- "$w" "$W/out" || fail "restore --help lacks '$w'"
    done
}

MOUNTED=
cleanup() { [ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null || true; }
run_case restore "$@"
