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

# The export is a backup file Samba's own tool restores, with the DC gone:
# a new DC under a new name in a new folder, every user there, dbcheck
# clean and sysvol's ACLs in place. No work folder is left beside it.
export_restores_with_samba_tool() {
    make_dc "$W/dc" "$1"
    S populate "$W/dc" 100
    S users "$W/dc" | grep -v '\$$' > "$W/users.before"
    backup_json "$W/dc" "$W/a.adbk"
    remove_dcs; rm -f "$W/.dcs" "$W/dc"
    expect_rc 0 "$EXPORT" "$W/a.adbk" -o "$W/dc.tar.bz2" --json
    [ "$(json "$W/out" server)" = DC1 ] || fail "the summary: $(cat "$W/out")"
    [ -z "$(ls -A "$W" | grep '^\.adbk-samba-export')" ] || fail "a work folder is left: $(ls -A "$W")"
    tar tjf "$W/dc.tar.bz2" > "$W/names"
    for n in sysvol.tar.gz backup.txt private/sam.ldb private/encrypted_secrets.key etc/smb.conf; do
        grep -qx "$n" "$W/names" || fail "the export lacks $n"
    done
    ! grep -q '^state/sysvol\|ldb-lock$' "$W/names" || fail "sysvol or a lock file went in raw"
    new=$(new_dc_folder)
    samba-tool domain backup restore --backup-file "$W/dc.tar.bz2" --targetdir "$new" \
        --newservername DC2 > "$W/restore.log" 2>&1 ||
        fail "samba-tool refused the export: $(tail -n 20 "$W/restore.log")"
    expect_dbcheck "$new"
    S users "$new" | grep -v '\$$' > "$W/users.after"
    cmp -s "$W/users.before" "$W/users.after" || fail "users differ after samba-tool's restore"
    [ "$(wc -l < "$W/users.after")" -ge 100 ] || fail "the users are missing"
    samba-tool ntacl sysvolcheck -s "$new/etc/smb.conf" > "$W/sysvolcheck" 2>&1 ||
        fail "sysvolcheck: $(tail -n 5 "$W/sysvolcheck")"
}

t_export_restores_with_samba_tool_tdb() { export_restores_with_samba_tool tdb; }
t_export_restores_with_samba_tool_mdb() { export_restores_with_samba_tool mdb; }

# What the export refuses: an archive of no Samba DC, an output that exists,
# a name that says no compression. A killed export leaves no output, and
# the next run removes its work folder; the adbk it ran dies with it.
t_export_refusals_and_a_killed_run() {
    need_samba
    mkdir "$W/t" && echo data > "$W/t/f"
    "$ADBK" create -q -o "$W/files.adbk" "$W/t" || fail "create failed"
    expect_rc 2 "$EXPORT" "$W/files.adbk" -o "$W/x.tar.bz2"
    grep -q "not an archive of a Samba DC" "$W/err" || fail "$(cat "$W/err")"
    make_dc "$W/dc" tdb
    backup_json "$W/dc" "$W/a.adbk"
    expect_rc 2 "$EXPORT" "$W/a.adbk" -o "$W/x.zip"
    grep -q "x.zip: the name must end in" "$W/err" || fail "$(cat "$W/err")"
    : > "$W/x.tar"
    expect_rc 2 "$EXPORT" "$W/a.adbk" -o "$W/x.tar"
    grep -q "x.tar exists" "$W/err" || fail "$(cat "$W/err")"
    [ ! -s "$W/x.tar" ] || fail "the existing file changed"
    rm "$W/x.tar"
    # An adbk that is slow to extract, so the kill lands while it runs.
    printf '#!/bin/sh\ncase "$1" in extract) sleep 10;; esac\nexec "%s" "$@"\n' "$ADBK" > "$W/slow-adbk"
    chmod +x "$W/slow-adbk"
    "$EXPORT" "$W/a.adbk" -o "$W/x.tar" -q --adbk "$W/slow-adbk" & pid=$!
    for _ in $(seq 400); do pgrep -f "$W/\.adbk-samba-export" > /dev/null && break; sleep 0.01; done
    pgrep -af "$W/\.adbk-samba-export" > "$W/child" || fail "the export ran no adbk extract"
    ls -A "$W" | grep -q '^\.adbk-samba-export' || fail "no work folder appeared"
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    for _ in $(seq 40); do pgrep -f "$W/\.adbk-samba-export" > /dev/null || break; sleep 0.05; done
    ! pgrep -af "$W/\.adbk-samba-export" || fail "the killed export's adbk writes on"
    [ ! -e "$W/x.tar" ] || fail "a killed export left its output"
    expect_rc 0 "$EXPORT" "$W/a.adbk" -o "$W/x.tar" -q
    [ -z "$(ls -A "$W" | grep '^\.adbk-samba-export')" ] || fail "the killed run's work folder stayed"
    tar tf "$W/x.tar" | grep -qx private/sam.ldb || fail "the export after the kill is not whole"
}

# Into a new folder, with the DC gone: the same DC there, its smb.conf
# naming the new folders and no old one, every user, dbcheck clean, sysvol
# equal. A folder that is not empty is refused; the partial folder of a
# killed restore is removed by the next one.
t_restore_into_a_new_folder() {
    make_dc "$W/dc" mdb
    S populate "$W/dc" 100
    S users "$W/dc" > "$W/users.before"
    sysvol_state "$W/dc" "$W/sysvol.before"
    backup_json "$W/dc" "$W/a.adbk"
    old=$(readlink "$W/dc")
    remove_dcs; rm -f "$W/.dcs" "$W/dc"
    new=$(new_dc_folder)
    mkdir "$new" && : > "$new/x"
    expect_rc 2 "$ADBK" restore --samba-target "$new" "$W/a.adbk"
    grep -q "is not empty" "$W/err" || fail "$(cat "$W/err")"
    rm "$new/x"
    mkdir "$new.adbk-partial" && echo junk > "$new.adbk-partial/junk"
    expect_rc 0 "$ADBK" restore --samba-target "$new" "$W/a.adbk" --json
    grep -q "left by a restore into" "$W/err" || fail "the killed restore's folder: $(cat "$W/err")"
    [ ! -e "$new.adbk-partial" ] || fail "the partial folder stayed"
    [ "$(json "$W/out" samba_conf)" = "$new/etc/smb.conf" ] || fail "$(cat "$W/out")"
    testparm -s "$new/etc/smb.conf" > "$W/testparm" 2>/dev/null || true
    for k in "private dir = $new/private" "state directory = $new/state" "path = $new/state/sysvol"; do
        grep -q "$k" "$W/testparm" || fail "smb.conf lacks '$k': $(cat "$W/testparm")"
    done
    ! grep -q "$old" "$new/etc/smb.conf" || fail "smb.conf still names $old"
    expect_dbcheck "$new"
    S users "$new" > "$W/users.after"
    cmp -s "$W/users.before" "$W/users.after" || fail "users differ after the restore"
    sysvol_state "$new" "$W/sysvol.after"
    diff "$W/sysvol.before" "$W/sysvol.after" > "$W/sysvol.diff" ||
        fail "sysvol differs after the restore: $(head -n 20 "$W/sysvol.diff")"
    samba-tool ntacl sysvolcheck -s "$new/etc/smb.conf" > "$W/sysvolcheck" 2>&1 ||
        fail "sysvolcheck: $(tail -n 5 "$W/sysvolcheck")"
}

run_case samba "$@"
