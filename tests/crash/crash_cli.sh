#!/bin/sh
# crash_cli.sh CASE - crash consistency of `adbk backup` against a small
# simulated DC: SIGKILL at many deterministic points, a full disk (ENOSPC) and
# write errors (EIO) at many points, and a real small filesystem when this
# machine lets us mount one. After every run the output folder must hold
# either nothing at the final name or a complete archive that verifies; the
# DC's logs may be truncated only in the second case; files that were in the
# folder before are unchanged and nothing else appears, except that SIGKILL
# may leave a stale NAME.XXXXXX.partial (no process survives to remove it),
# which the next backup to that name removes (and says so), leaving alone any
# partial a live backup is still writing.
# Faults come from the LD_PRELOAD shim $FAILWRITE (failwrite.c), which counts
# write/fsync/link/rename calls ("events") on the archive's files.
# Environment: ADBK, DCSIM, FAILWRITE (programs), ADBK_TEST_TMP (scratch);
# CRASH_STRIDE (default 3): every how many events a fault is injected, between
# the first and last ten, which are always all tried.
set -eu

. "$(dirname "$0")/../lib.sh"

# A 4 MiB DC with two closed logs, online; an output folder with two files
# that no backup may touch.
setup() {
    "$DCSIM" provision "$W/dc" --size 4M --seed 5 --logs 2 >/dev/null
    "$DCSIM" start "$W/dc" >/dev/null
    mkdir -p "$W/o"
    echo "not an archive" > "$W/o/keep.txt"
    head -c 100000 /dev/urandom > "$W/o/older.adbk"
    snapshot
}

# Records the output folder's other files and their checksums.
snapshot() {
    (cd "$W/o" && ls -A | grep -v '^a\.adbk' | sort | xargs -r sha256sum) > "$W/others"
}

# Runs one backup to $W/o/a.adbk with the shim set by the caller's FAILWRITE_*
# variables; $rc, $W/err receive the outcome.
run_backup() {
    held_logs
    set +e
    env LD_PRELOAD="$FAILWRITE" FAILWRITE_MATCH="/o/a.adbk" "$@" \
        "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --chunk-size 256K -q ${NO_TRUNCATE:-} \
        >"$W/out" 2>"$W/err"
    rc=$?
    set -e
}

# The invariants after one run. $1: "kill" allows a stale partial.
check_after() {
    what=$1
    complete=0
    if [ -e "$W/o/a.adbk" ]; then
        "$ADBK" verify -q "$W/o/a.adbk" >/dev/null 2>&1 ||
            fail "$what: a.adbk exists but does not verify"
        complete=1
    fi
    for f in $(cat "$W/logs.before"); do
        if [ ! -f "$W/dc/$f" ] && [ $complete -eq 0 ]; then
            fail "$what: log $f was truncated without a complete archive"
        fi
    done
    partials=$(cd "$W/o" && ls -A | grep '^a\.adbk\..*\.partial$' || true)
    if [ -n "$partials" ] && [ "$2" != kill ]; then
        fail "$what: left behind $partials"
    fi
    others=$(cd "$W/o" && ls -A | grep -v '^a\.adbk' | sort | xargs -r sha256sum)
    [ "$others" = "$(cat "$W/others")" ] ||
        fail "$what: other files in the folder changed: $others"
    extra=$(cd "$W/o" && ls -A | grep '^a\.adbk' | grep -v '^a\.adbk$' |
            grep -v '^a\.adbk\..*\.partial$' || true)
    [ -z "$extra" ] || fail "$what: unexpected files $extra"
    # Clean up for the next run: a complete archive, stale partials.
    rm -f "$W/o/a.adbk" "$W/o"/a.adbk.*.partial
    grep -q '^online=1$' "$W/dc/dcsim.ini" || "$DCSIM" start "$W/dc" >/dev/null
}

# How many events a whole backup makes (without truncating, so that the DC
# and with it the archive's size stay the same for the runs that follow).
count_events() {
    NO_TRUNCATE=--no-truncate-logs run_backup FAILWRITE_MODE=count FAILWRITE_COUNT_FILE="$W/count"
    [ $rc -eq 0 ] || fail "the backup without faults failed: $(cat "$W/err")"
    check_after "fault-free run" none
    read events bytes < "$W/count"
    [ "$events" -gt 20 ] || fail "only $events events counted: is the shim loaded?"
}

# The points to try: the first and last ten events, every CRASH_STRIDE-th between.
points() {
    stride=${CRASH_STRIDE:-3}
    n=1
    while [ $n -le "$1" ]; do
        echo $n
        if [ $n -lt 10 ] || [ $n -ge $(($1 - 10)) ]; then n=$((n + 1)); else n=$((n + stride)); fi
    done
}

t_kill9_at_many_points() {
    setup
    count_events
    tried=0 complete=0
    for n in $(points "$events"); do
        for after in "" 1; do
            # "after" kills just after the event: e.g. after the rename.
            if [ -n "$after" ]; then
                run_backup FAILWRITE_MODE=kill FAILWRITE_AT=$n FAILWRITE_AFTER=1
            else
                run_backup FAILWRITE_MODE=kill FAILWRITE_AT=$n
            fi
            if [ $rc -ne 137 ] && [ $rc -ne 0 ]; then
                fail "kill at event $n${after:+ (after)}: exit $rc: $(cat "$W/err")"
            fi
            [ -e "$W/o/a.adbk" ] && complete=$((complete + 1))
            check_after "kill at event $n${after:+ (after)}" kill
            tried=$((tried + 1))
        done
    done
    # Past the last event the backup completes: the final name is taken only
    # by the last event (the link), so killing after it leaves a whole archive.
    [ $complete -ge 1 ] || fail "no kill point left a complete archive"
    echo "kill -9 at $tried points of $events events; $complete left a complete archive"
}

# Issue 12: what a killed backup left is removed by the next backup to the
# same name, which says so; a partial another live backup holds (its lock
# held here by flock(1) in a process of its own), a symlink and a name of another shape stay.
t_next_backup_removes_what_a_killed_one_left() {
    setup
    count_events
    run_backup FAILWRITE_MODE=kill FAILWRITE_AT=$((events / 2))
    [ $rc -eq 137 ] || fail "the kill did not happen: exit $rc: $(cat "$W/err")"
    dead=$(cd "$W/o" && ls -A | grep '^a\.adbk\.......\.partial$') ||
        fail "the killed backup left no partial to remove: $(ls -A "$W/o")"
    # The holder is one process (exec), so killing it drops the lock.
    sh -c 'exec 9>"$1"; flock 9; : > "$1.locked"; exec sleep 60' sh "$W/o/a.adbk.LIVE01.partial" \
        >/dev/null 2>&1 &
    holder=$!
    i=0
    while [ ! -e "$W/o/a.adbk.LIVE01.partial.locked" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
    rm -f "$W/o/a.adbk.LIVE01.partial.locked"
    ln -s keep.txt "$W/o/a.adbk.SYMLNK.partial"
    echo other > "$W/o/a.adbk.old.partial"
    set +e
    "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --chunk-size 256K >"$W/out" 2>"$W/err"
    rc=$?
    set -e
    [ $rc -eq 0 ] || fail "the backup after the kill failed: exit $rc: $(cat "$W/err")"
    grep -q "note: removed .*/o/$dead ([0-9]* bytes), left by an earlier run" "$W/err" ||
        fail "no note of the removal of $dead: $(cat "$W/err")"
    [ ! -e "$W/o/$dead" ] || fail "$dead was not removed"
    [ -e "$W/o/a.adbk.LIVE01.partial" ] || fail "a live backup's partial was removed"
    [ -L "$W/o/a.adbk.SYMLNK.partial" ] || fail "a symlink was removed"
    [ -f "$W/o/a.adbk.old.partial" ] || fail "a file of another name was removed"
    grep -q "note:.*\(LIVE01\|SYMLNK\|old\)" "$W/err" && fail "a note names a file kept: $(cat "$W/err")"
    "$ADBK" verify -q "$W/o/a.adbk" || fail "the new archive does not verify"
    # Once its writer is gone, the next run removes that one too.
    kill $holder; wait $holder 2>/dev/null || true
    "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" --chunk-size 256K --force \
        --no-truncate-logs >"$W/out" 2>"$W/err" || fail "the third backup failed: $(cat "$W/err")"
    grep -q "note: removed .*a.adbk.LIVE01.partial" "$W/err" || fail "no note: $(cat "$W/err")"
    [ ! -e "$W/o/a.adbk.LIVE01.partial" ] || fail "the dead writer's partial is still there"
    # -q says nothing of it but still removes.
    run_backup FAILWRITE_MODE=kill FAILWRITE_AT=$((events / 2))
    rm -f "$W/o/a.adbk"
    "$ADBK" backup --dcsim "$W/dc" -o "$W/o/a.adbk" -q --no-truncate-logs >"$W/out" 2>"$W/err" ||
        fail "the quiet backup failed: $(cat "$W/err")"
    [ ! -s "$W/err" ] || fail "-q printed: $(cat "$W/err")"
    [ -z "$(cd "$W/o" && ls -A | grep '^a\.adbk\.......\.partial$' | grep -v SYMLNK)" ] ||
        fail "left: $(ls -A "$W/o")"
}

# Fault injection that must end in a clean failure: exit 2, a message naming
# the archive and the cause, nothing left, logs untouched.
expect_clean_failure() {
    what=$1 cause=$2
    [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2: $(cat "$W/err")"
    grep -q "a\.adbk" "$W/err" || fail "$what: the message names no file: $(cat "$W/err")"
    grep -q "$cause" "$W/err" || fail "$what: the message does not say '$cause': $(cat "$W/err")"
    [ ! -e "$W/o/a.adbk" ] || fail "$what: an archive was left at the final name"
    for f in $(cat "$W/logs.before"); do
        [ -f "$W/dc/$f" ] || fail "$what: log $f was truncated after a failed backup"
    done
    grep -q '^backup_pid=0$' "$W/dc/dcsim.ini" || fail "$what: the backup context was not ended"
    check_after "$what" none
}

faults_at_many_points() {
    mode=$1 cause=$2
    setup
    # The first backup of a fresh DC rolls more log data than later ones:
    # count on the second, whose size the following runs keep (within 1%).
    count_events
    count_events
    tried=0
    for n in $(points "$events"); do
        run_backup FAILWRITE_MODE=$mode FAILWRITE_AT=$n
        expect_clean_failure "$mode at event $n" "$cause"
        tried=$((tried + 1))
    done
    # The disk fills after N bytes: the write that crosses N is cut short.
    for k in 0 1 7 50 200 333 500 777 900; do
        limit=$((bytes * k / 1000))
        run_backup FAILWRITE_MODE=$mode FAILWRITE_BYTES=$limit
        expect_clean_failure "$mode after $limit bytes" "$cause"
        tried=$((tried + 1))
    done
    echo "$mode at $tried points ($events events, $bytes bytes per backup)"
}

t_enospc_at_many_points() { faults_at_many_points enospc "No space left on device"; }
t_eio_at_many_points() { faults_at_many_points eio "Input/output error"; }

# A real filesystem that fills: a small tmpfs, when mounting is allowed.
t_enospc_on_a_small_filesystem() {
    mnt="$W/mnt"
    mkdir "$mnt"
    if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=4m tmpfs "$mnt" 2>/dev/null; then
        echo "cannot mount a tmpfs here (not root, or a container): skipped; the shim cases cover ENOSPC"
        return 0
    fi
    trap 'umount "$mnt" 2>/dev/null || true; rm -rf "$W"' EXIT
    setup
    count_events
    for free in 16 256 600 1000; do
        umount "$mnt"
        mount -t tmpfs -o size=$(( (bytes / 1024) + 200 ))k tmpfs "$mnt"
        mkdir "$mnt/o"
        echo "not an archive" > "$mnt/o/keep.txt"
        # Fill the disk until only about $free KiB are left.
        avail=$(df -k "$mnt" | awk 'NR==2 {print $4}')
        [ "$avail" -gt "$free" ] && head -c $(( (avail - free) * 1024 )) /dev/zero > "$mnt/o/filler" 2>/dev/null || true
        sum=$(cd "$mnt/o" && sha256sum keep.txt filler)
        held_logs
        set +e
        "$ADBK" backup --dcsim "$W/dc" -o "$mnt/o/a.adbk" --chunk-size 256K -q >"$W/out" 2>"$W/err"
        rc=$?
        set -e
        [ $rc -eq 2 ] || fail "$free KiB free: exit $rc: $(cat "$W/err")"
        grep -q "No space left on device" "$W/err" || fail "$free KiB free: unclear: $(cat "$W/err")"
        grep -q "a\.adbk" "$W/err" || fail "$free KiB free: no file named: $(cat "$W/err")"
        [ -z "$(cd "$mnt/o" && ls -A | grep -v '^keep.txt$' | grep -v '^filler$')" ] ||
            fail "$free KiB free: left behind: $(ls -A "$mnt/o")"
        [ "$(cd "$mnt/o" && sha256sum keep.txt filler)" = "$sum" ] || fail "$free KiB free: other files changed"
        for f in $(cat "$W/logs.before"); do
            [ -f "$W/dc/$f" ] || fail "$free KiB free: log $f was truncated"
        done
    done
    # With room, the same backup succeeds.
    rm -f "$mnt/o/filler"
    "$ADBK" backup --dcsim "$W/dc" -o "$mnt/o/a.adbk" --chunk-size 256K -q ||
        fail "the backup fails on a filesystem with room"
    "$ADBK" verify -q "$mnt/o/a.adbk" || fail "the archive on tmpfs does not verify"
    umount "$mnt"
    echo "ENOSPC on a real tmpfs at 4 fill levels"
}

run_case crash "$@"
