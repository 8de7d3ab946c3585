# samba_lib.sh - what the Samba suites share (sourced after tests/lib.sh).
# Environment: ADBK (program), SAMBADC (tests/samba/sambadc.py), RESTORE_AT.

S() { /usr/bin/python3 "$SAMBADC" "$@"; }

# need_samba: skips when this machine has no Samba AD DC tools.
need_samba() {
    command -v samba-tool >/dev/null 2>&1 || skip "samba-tool is not installed (tools/setup.sh installs it)"
    /usr/bin/python3 -c 'import samba, ldb, tdb' 2>/dev/null || skip "python3-samba is not installed"
}

# make_dc DIR BACKEND [REALM]: a freshly provisioned DC (about 5 s). DIR is
# a link to a folder with a short path: the daemon's Unix sockets live below
# it, and a socket's path holds at most 107 bytes. remove_dcs removes them.
make_dc() {
    need_samba
    real=$(mktemp -d "${TMPDIR:-/tmp}/adbkdc.XXXXXX")
    echo "$real" >> "$W/.dcs"
    ln -s "$real" "$1"
    S provision "$real" "$2" ${3:-} || fail "samba-tool provision failed"
}

# Stops the daemons of the case's DCs and removes their folders.
remove_dcs() {
    [ -f "$W/.dcs" ] || return 0
    while read -r d; do
        S stop "$d" >/dev/null 2>&1 || true
        rm -rf "$d"
    done < "$W/.dcs"
}
cleanup() { remove_dcs; }

# new_dc_folder: a path for a DC restored into a new folder (not made),
# removed by remove_dcs with the partial folder a restore builds beside it.
new_dc_folder() {
    new=$(mktemp -d "${TMPDIR:-/tmp}/adbkdc.XXXXXX")
    rmdir "$new"
    printf '%s\n%s\n' "$new" "$new.adbk-partial" >> "$W/.dcs"
    echo "$new"
}

# sysvol_state DC OUT: owners, modes, extended attributes and ACLs of sysvol.
sysvol_state() {
    (cd "$1/state" && find sysvol -printf '%p %U:%G %m %y\n' | sort &&
        getfattr -R -d -m - -P sysvol 2>/dev/null &&
        getfacl -R -P sysvol 2>/dev/null) > "$2"
}

# expect_dbcheck DC: samba-tool dbcheck --cross-ncs finds no error.
expect_dbcheck() {
    samba-tool dbcheck --cross-ncs -s "$1/etc/smb.conf" > "$W/dbcheck" 2>&1 ||
        fail "dbcheck failed: $(tail -n 20 "$W/dbcheck")"
    grep -q "(0 errors)" "$W/dbcheck" || fail "dbcheck: $(tail -n 5 "$W/dbcheck")"
}

# wipe DC: what a lost DC loses (its databases and sysvol), smb.conf kept.
wipe() { rm -rf "$1/private" "$1/state"; }

# backup_json DC OUT.adbk [ARGS...]: a backup whose JSON summary lands in OUT.json.
backup_json() {
    dc=$1 out=$2; shift 2
    "$ADBK" backup --samba-conf "$dc/etc/smb.conf" -o "$out" --json -q "$@" > "$out.json" ||
        fail "backup of $dc failed: $(cat "$out.json")"
}

# json FILE KEY: one value of a flat JSON object.
json() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
