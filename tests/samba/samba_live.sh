#!/bin/sh
# samba_live.sh CASE - adbk against a running Samba AD DC: its daemon
# started on the loopback address (one case at a time), written to while
# adbk backs it up. Each t_NAME function is one ctest case.
set -eu
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/samba_lib.sh"

# Whatever a case leaves running: the writer (told, then killed) and the daemon.
cleanup() {
    if [ -d "$W/dc" ]; then touch "$W/dc/stop-writer"; fi
    if [ -n "${writer:-}" ]; then kill "$writer" 2>/dev/null || true; fi
    remove_dcs
}

# start_dc: starts the daemon and sets MODE to ldap (writes through it), or,
# where the daemon cannot start, says why and sets MODE to local (writes by
# in-process ldb, under the same locks).
start_dc() {
    if S start "$W/dc" 2>/dev/null; then
        MODE=ldap
    else
        echo "NOTE: the samba daemon does not start here (see $W/dc/log.samba); the writer uses in-process ldb transactions instead of LDAP" >&2
        MODE=local
    fi
}

# Twenty backups while a writer adds pairs of objects that span two
# partitions, each pair in one transaction: every backup holds each pair
# whole or not at all; the writer sees no error and never waits much longer
# than the longest freeze adbk reported; the last backup restores to a DC
# that dbcheck finds clean and that starts.
consistency() {
    make_dc "$W/dc" "$1"
    start_dc
    S writer "$W/dc" "$MODE" 900 "$W/writer.json" &
    writer=$!
    sleep 2
    max_freeze=0
    for i in $(seq 1 20); do
        backup_json "$W/dc" "$W/a.adbk" -f
        f=$(json "$W/a.adbk.json" writes_frozen_seconds)
        max_freeze=$(/usr/bin/python3 -c "print(max($max_freeze, $f))")
        rm -rf "$W/x"
        "$ADBK" extract -q "$W/a.adbk" -C "$W/x" private
        S pairs "$W/x/private" "$1" > "$W/pairs" || fail "backup $i holds half pairs: $(cat "$W/pairs")"
    done
    touch "$W/dc/stop-writer"
    wait "$writer"
    echo "pairs in the last backup: $(cat "$W/pairs"); longest freeze $max_freeze s; writer: $(cat "$W/writer.json")"
    [ "$(json "$W/writer.json" error_count)" -eq 0 ] || fail "the writer saw errors: $(cat "$W/writer.json")"
    /usr/bin/python3 -c "import sys; sys.exit(0 if $(json "$W/pairs" users) > 0 else 1)" ||
        fail "no pair was written during the backups"
    # The margin is what one write takes when nothing holds it (well under
    # 0.1 s here), with room for a busy machine.
    /usr/bin/python3 -c "import sys; sys.exit(0 if $(json "$W/writer.json" max_latency) <= $max_freeze + 0.5 else 1)" ||
        fail "a write waited $(json "$W/writer.json" max_latency) s, the longest freeze was $max_freeze s"
    S stop "$W/dc"
    wipe "$W/dc"
    expect_rc 0 "$ADBK" restore --samba-conf "$W/dc/etc/smb.conf" "$W/a.adbk"
    expect_dbcheck "$W/dc"
    S pairs "$W/dc/private" "$1" > "$W/pairs.restored" || fail "half pairs after the restore"
    if [ "$MODE" = ldap ]; then
        S start "$W/dc" 2>/dev/null || fail "the restored DC does not start"
    fi
}

t_consistency_under_load_tdb() { consistency tdb; }
t_consistency_under_load_mdb() { consistency mdb; }

# Backups killed with SIGKILL at random moments while the writer runs: no
# lock is left held (the next backup takes every lock within 2 s), writes go
# on, and the next backup removes what the killed ones left.
t_kill9_leaves_no_lock_and_writes_resume() {
    make_dc "$W/dc" mdb
    start_dc
    S writer "$W/dc" "$MODE" 900 "$W/writer.json" &
    writer=$!
    sleep 2
    for i in $(seq 1 10); do
        "$ADBK" backup --samba-conf "$W/dc/etc/smb.conf" -o "$W/k.adbk" -f -q &
        pid=$!
        sleep "$(awk -v s="$i" 'BEGIN { srand(s); printf "%.3f", rand() * 0.6 }')"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    expect_rc 0 "$ADBK" backup --samba-conf "$W/dc/etc/smb.conf" -o "$W/k.adbk" -f --lock-timeout 2
    [ -z "$(ls "$W" | grep partial)" ] || fail "leftovers of killed backups: $(ls "$W")"
    touch "$W/dc/stop-writer"
    wait "$writer"
    echo "writer: $(cat "$W/writer.json")"
    [ "$(json "$W/writer.json" error_count)" -eq 0 ] || fail "the writer saw errors"
    /usr/bin/python3 -c "import sys; sys.exit(0 if $(json "$W/writer.json" max_latency) < 5 else 1)" ||
        fail "a write waited $(json "$W/writer.json" max_latency) s"
    "$ADBK" verify -q "$W/k.adbk" || fail "the last backup does not verify"
}

# A restore onto a DC whose daemon runs is refused, and changes nothing.
t_restore_is_refused_while_the_dc_runs() {
    make_dc "$W/dc" tdb
    S start "$W/dc" 2>/dev/null || skip "the samba daemon does not start here (see $W/dc/log.samba)"
    backup_json "$W/dc" "$W/a.adbk"
    sha256sum "$W/dc/private/secrets.ldb" > "$W/sum"
    expect_rc 2 "$ADBK" restore --samba-conf "$W/dc/etc/smb.conf" "$W/a.adbk"
    grep -q "is running" "$W/err" || fail "$(cat "$W/err")"
    sha256sum -c --quiet "$W/sum" || fail "the running DC's files changed"
}

# A DC restored into a new folder starts from there, with the original gone.
t_dc_restored_into_a_new_folder_starts() {
    make_dc "$W/dc" tdb
    S start "$W/dc" 2>/dev/null || skip "the samba daemon does not start here (see $W/dc/log.samba)"
    backup_json "$W/dc" "$W/a.adbk"
    remove_dcs; rm -f "$W/.dcs" "$W/dc"
    new=$(new_dc_folder)
    expect_rc 0 "$ADBK" restore --samba-target "$new" "$W/a.adbk"
    S start "$new" 2>/dev/null || fail "the moved DC does not start: $(tail -n 20 "$new"/log.* 2>/dev/null)"
}

run_case samba_live "$@"
