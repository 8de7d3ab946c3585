#!/bin/sh
# samba_cli.sh CASE - adbk backup and restore of a real Samba AD DC, made by
# samba-tool in each case (its daemon is not started here: samba_live.sh
# does that). Each t_NAME function is one ctest case.
set -eu
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/samba_lib.sh"

# Backup, wipe, restore, then Samba's own checks: dbcheck, every user found,
# sysvol's owners, modes, extended attributes and ACLs as they were, and
# samba-tool's sysvol ACL check.
backup_restore() {
    make_dc "$W/dc" "$1"
    S populate "$W/dc" 200
    S users "$W/dc" > "$W/users.before"
    sysvol_state "$W/dc" "$W/sysvol.before"
    backup_json "$W/dc" "$W/a.adbk"
    [ "$(json "$W/a.adbk.json" databases)" -ge 7 ] || fail "too few databases: $(cat "$W/a.adbk.json")"
    "$ADBK" verify -q "$W/a.adbk" || fail "the archive does not verify"
    "$ADBK" list "$W/a.adbk" > "$W/list"
    for k in "source    samba" "samba.backend $1" "server    DC1" "domain    samdom.example.com"; do
        grep -q "$k" "$W/list" || fail "the listing lacks '$k'"
    done
    wipe "$W/dc"
    expect_rc 0 "$ADBK" restore --samba-conf "$W/dc/etc/smb.conf" "$W/a.adbk"
    expect_dbcheck "$W/dc"
    S users "$W/dc" > "$W/users.after"
    cmp -s "$W/users.before" "$W/users.after" || fail "users differ after the restore"
    [ "$(wc -l < "$W/users.after")" -ge 200 ] || fail "the users are missing"
    sysvol_state "$W/dc" "$W/sysvol.after"
    diff "$W/sysvol.before" "$W/sysvol.after" > "$W/sysvol.diff" ||
        fail "sysvol differs after the restore: $(head -n 20 "$W/sysvol.diff")"
    samba-tool ntacl sysvolcheck -s "$W/dc/etc/smb.conf" > "$W/sysvolcheck" 2>&1 ||
        fail "sysvolcheck: $(tail -n 5 "$W/sysvolcheck")"
}

t_backup_restore_tdb() { backup_restore tdb; }
t_backup_restore_mdb() { backup_restore mdb; }

# Another process holds metadata.tdb's lock past the timeout: a clear error
# naming the file, and nothing written.
t_lock_held_times_out() {
    make_dc "$W/dc" tdb
    S hold-lock "$W/dc/private/sam.ldb.d/metadata.tdb" 20 > "$W/holder" &
    holder=$!
    for _ in $(seq 100); do grep -q locked "$W/holder" 2>/dev/null && break; sleep 0.1; done
    grep -q locked "$W/holder" || fail "the lock holder did not start"
    expect_rc 2 "$ADBK" backup --samba-conf "$W/dc/etc/smb.conf" -o "$W/a.adbk" --lock-timeout 1
    kill "$holder"; wait "$holder" 2>/dev/null || true
    grep -q "metadata.tdb" "$W/err" || fail "the lock is not named: $(cat "$W/err")"
    grep -q "1.0 s" "$W/err" || fail "the timeout is not said: $(cat "$W/err")"
    [ -z "$(ls "$W" | grep adbk)" ] || fail "something was written: $(ls "$W")"
}

# The archive of one domain onto a DC of another: refused, nothing changed.
t_other_domain_is_refused() {
    make_dc "$W/dc" tdb
    make_dc "$W/other" tdb OTHER.EXAMPLE.COM
    backup_json "$W/dc" "$W/a.adbk"
    sha256sum "$W/other/private/sam.ldb" > "$W/sum"
    expect_rc 2 "$ADBK" restore --samba-conf "$W/other/etc/smb.conf" "$W/a.adbk"
    grep -q "samdom.example.com" "$W/err" && grep -q "other.example.com" "$W/err" ||
        fail "the refusal does not name both domains: $(cat "$W/err")"
    sha256sum -c --quiet "$W/sum" || fail "the other DC's sam.ldb changed"
}

# Without tombstoneLifetime in the directory the lifetime is 60 days.
t_absent_tombstone_lifetime_is_60_days() {
    make_dc "$W/dc" tdb
    S set-tombstone "$W/dc" none
    backup_json "$W/dc" "$W/a.adbk"
    "$ADBK" list "$W/a.adbk" > "$W/list"
    grep -q "tombstone.lifetime.days 60" "$W/list" || fail "$(grep tombstone "$W/list")"
    grep -q "tombstone.lifetime.source default" "$W/list" || fail "$(grep tombstone "$W/list")"
    S set-tombstone "$W/dc" 90
    backup_json "$W/dc" "$W/b.adbk"
    "$ADBK" list "$W/b.adbk" | grep -q "tombstone.lifetime.days 90" || fail "not the directory's 90"
}

# Older than the tombstone lifetime (the directory's 30 days): refused, and
# restored with the override; dated ahead of the clock: refused too.
t_expired_backup_is_refused_unless_allowed() {
    make_dc "$W/dc" tdb
    S set-tombstone "$W/dc" 30
    backup_json "$W/dc" "$W/a.adbk"
    sha256sum "$W/dc/private/sam.ldb" > "$W/sum"
    expect_rc 1 "$RESTORE_AT" "$W/a.adbk" "$W/dc/etc/smb.conf" 31
    grep -q "ADBK_E_EXPIRED.*30 days" "$W/out" || fail "$(cat "$W/out")"
    expect_rc 1 "$RESTORE_AT" "$W/a.adbk" "$W/dc/etc/smb.conf" -30
    grep -q "ahead of this machine's clock" "$W/out" || fail "$(cat "$W/out")"
    sha256sum -c --quiet "$W/sum" || fail "a refused restore changed sam.ldb"
    expect_rc 0 "$RESTORE_AT" "$W/a.adbk" "$W/dc/etc/smb.conf" 29
    expect_rc 0 "$RESTORE_AT" "$W/a.adbk" "$W/dc/etc/smb.conf" 31 allow
    expect_dbcheck "$W/dc"
}

# A bound on the freeze that the copy cannot keep: the backup stops and
# releases the locks, keeps nothing, and the DC takes writes again.
t_max_freeze_bounds_how_long_writes_wait() {
    make_dc "$W/dc" tdb
    S populate "$W/dc" 300
    expect_rc 2 "$ADBK" backup --samba-conf "$W/dc/etc/smb.conf" -o "$W/a.adbk" --max-freeze 0.001
    grep -q -- "--max-freeze" "$W/err" || fail "$(cat "$W/err")"
    [ -z "$(ls "$W" | grep adbk)" ] || fail "something was kept: $(ls "$W")"
    timeout 20 /usr/bin/python3 "$SAMBADC" populate "$W/dc" 1 ||
        fail "the DC takes no write after the stopped backup"
    backup_json "$W/dc" "$W/a.adbk" --max-freeze 30
}

# A machine whose smb.conf is no AD DC's: refused, saying what the file says.
t_not_a_dc_is_refused() {
    need_samba
    mkdir -p "$W/etc"
    printf '[global]\n\tserver role = standalone server\n\tworkgroup = X\n' > "$W/etc/smb.conf"
    expect_rc 2 "$ADBK" backup --samba-conf "$W/etc/smb.conf" -o "$W/a.adbk"
    grep -q "standalone server" "$W/err" || fail "$(cat "$W/err")"
    grep -q "not a Samba Active Directory domain controller" "$W/err" || fail "$(cat "$W/err")"
    [ ! -e "$W/a.adbk" ] || fail "an archive was written"
}

run_case samba "$@"
