#!/bin/sh
# salvage_cli.sh CASE - `adbk salvage` as a user runs it: damaged and cut
# archives are repaired, the repaired archive passes `adbk verify` and stock
# `zstd -t`, and what it holds is compared byte for byte with the originals.
# Each t_NAME function is one case.
# Environment: ADBK (the program), ADBK_TEST_TMP (scratch).
set -eu

. "$(dirname "$0")/../lib.sh"

salvage() { "$ADBK" salvage "$@"; }

# Runs salvage with $1 as the expected exit code.
expect_salvage() { want=$1; shift; expect_rc "$want" salvage "$@"; }

# Source files: a database of 9.5 chunks of 4 KiB, a log of exactly 3 chunks,
# a small file; packed with 4 KiB chunks.
make_archive() {
    mkdir -p "$W/src/db" "$W/src/logs"
    head -c 38912 /dev/urandom > "$W/src/db/ntds.dit"
    head -c 12288 /dev/urandom > "$W/src/logs/edb00001.log"
    echo "hello" > "$W/src/notes.txt"
    "$ADBK" create -q --chunk-size 4K -o "$W/a.adbk" "$W/src"
}

# The repaired archive verifies, zstd accepts it, and it extracts.
check_repaired() {
    "$ADBK" verify -q "$W/r.adbk" || fail "the repaired archive does not verify"
    zstd -t -q "$W/r.adbk" || fail "zstd -t rejects the repaired archive"
    rm -rf "$W/x"; mkdir "$W/x"
    "$ADBK" extract -q "$W/r.adbk" -C "$W/x" || fail "the repaired archive does not extract"
}

# A piece file holds exactly bytes FIRST..LAST of the original.
check_piece() { # check_piece ORIGINAL PIECE FIRST LAST
    n=$(($4 - $3 + 1))
    tail -c +$(($3 + 1)) "$1" | head -c $n > "$W/slice"
    cmp -s "$W/slice" "$2" || fail "$2 is not bytes $3..$4 of $1"
}

t_intact_archive_exits_0() {
    make_archive
    expect_salvage 0 "$W/a.adbk" -o "$W/r.adbk"
    check_repaired
    for f in db/ntds.dit logs/edb00001.log notes.txt; do
        cmp -s "$W/src/$f" "$W/x/src/$f" || fail "src/$f differs after salvage"
    done
}

t_cut_archive_keeps_the_intact_chunks() {
    make_archive
    # Cut in the middle of the database's 6th chunk frame (of 10).
    size=$(wc -c < "$W/a.adbk")
    head -c 25000 "$W/a.adbk" > "$W/cut.adbk"
    expect_rc_verify=0
    "$ADBK" verify -q "$W/cut.adbk" >/dev/null 2>&1 || expect_rc_verify=1
    [ $expect_rc_verify -eq 1 ] || fail "verify accepted a cut archive"
    expect_salvage 1 "$W/cut.adbk" -o "$W/r.adbk" --json
    check_repaired
    /usr/bin/python3 - "$W/out" > "$W/pieces" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and not d["index_ok"] and not d["seek_table_ok"], d
m = [x for x in d["members"] if x["name"] == "src/db/ntds.dit"][0]
assert not m["complete"] and m["output_name"] is None, m
assert m["lost"] == [{"offset": m["recovered_bytes"], "length": None}], m
assert m["recovered_bytes"] % 4096 == 0 and m["recovered_bytes"] > 0, m
for p in m["recovered"]:
    print(p["output_name"], p["offset"], p["offset"] + p["length"] - 1)
assert not [x for x in d["members"] if x["name"] == "src/notes.txt"], "notes.txt was after the cut"
EOF
    [ -s "$W/pieces" ] || fail "no piece reported"
    while read -r name first last; do
        check_piece "$W/src/db/ntds.dit" "$W/x/$name" "$first" "$last"
    done < "$W/pieces"
    [ ! -e "$W/x/src/db/ntds.dit" ] || fail "the cut database was restored under its own name"
    [ "$size" -gt 25000 ] || fail "the archive is too small for this test"
}

t_damaged_chunk_is_reported_and_never_filled() {
    make_archive
    cp "$W/a.adbk" "$W/d.adbk"
    # Invert one byte in the middle of the file: inside a database chunk.
    off=$(( $(wc -c < "$W/a.adbk") / 3 ))
    flip "$W/d.adbk" "$off"
    expect_salvage 1 "$W/d.adbk" -o "$W/r.adbk"
    grep -q "INCOMPLETE" "$W/err" || fail "no incomplete member reported: $(cat "$W/err")"
    grep -q "LOST bytes [0-9]*\.\.[0-9]* (4096 bytes)" "$W/err" ||
        fail "the lost chunk's range is not reported: $(cat "$W/err")"
    check_repaired
    [ ! -e "$W/x/src/db/ntds.dit" ] || fail "a damaged member kept its own name"
    found=0
    for p in "$W"/x/lost+found/src/db/ntds.dit.bytes-*; do
        r=${p##*.bytes-}
        check_piece "$W/src/db/ntds.dit" "$p" "${r%-*}" "${r#*-}"
        found=$((found + 1))
    done
    [ $found -ge 1 ] || fail "no piece of the database recovered"
    cmp -s "$W/src/notes.txt" "$W/x/src/notes.txt" || fail "an intact member was not kept whole"
}

# An archive salvage wrote is intact as an archive, but not all of the
# backup: verify and list say so, in text and JSON.
t_verify_and_list_say_a_salvaged_archive_is_incomplete() {
    make_archive
    cp "$W/a.adbk" "$W/d.adbk"
    flip "$W/d.adbk" $(( $(wc -c < "$W/a.adbk") / 3 ))
    expect_salvage 1 "$W/d.adbk" -o "$W/r.adbk"
    expect_rc 0 "$ADBK" verify "$W/r.adbk"
    grep -q "OK: .*salvaged from a damaged archive: INCOMPLETE: 1 of [0-9]* members damaged" "$W/out" ||
        fail "verify: $(cat "$W/out")"
    expect_rc 0 "$ADBK" list "$W/r.adbk"
    grep -q "^note .*salvaged from a damaged archive: INCOMPLETE" "$W/out" ||
        fail "list: $(cat "$W/out")"
    for cmd in verify list; do
        "$ADBK" $cmd --json "$W/r.adbk" | /usr/bin/python3 -c 'import json,sys
s=json.load(sys.stdin)["salvaged"]
assert s["complete"] is False and s["result"].startswith("incomplete: 1 of "), s' ||
            fail "$cmd --json does not say incomplete"
    done
    # Salvage of an intact archive: complete, and said so too.
    expect_salvage 0 "$W/a.adbk" -o "$W/c.adbk"
    expect_rc 0 "$ADBK" verify "$W/c.adbk"
    grep -q "salvaged from a damaged archive: complete" "$W/out" || fail "complete: $(cat "$W/out")"
    "$ADBK" verify --json "$W/a.adbk" | /usr/bin/python3 -c 'import json,sys
assert json.load(sys.stdin)["salvaged"] is None' || fail "an archive never salvaged is said salvaged"
}

# extract --salvage: a cut archive extracts what is intact in one step: the
# members before the cut whole, the cut database's chunks as pieces in
# lost+found/, the loss reported, exit 1; no temporary archive is left.
t_extract_salvage_of_a_cut_archive() {
    make_archive
    head -c 25000 "$W/a.adbk" > "$W/cut.adbk"
    mkdir "$W/x" "$W/tmp"
    set +e
    TMPDIR="$W/tmp" "$ADBK" extract --salvage -q "$W/cut.adbk" -C "$W/x" >"$W/out" 2>"$W/err"
    rc=$?
    set -e
    [ $rc -eq 1 ] || { cat "$W/err" >&2; fail "extract --salvage exited $rc, expected 1"; }
    grep -q "ntds.dit" "$W/err" || fail "the loss is not reported: $(cat "$W/err")"
    [ ! -e "$W/x/src/db/ntds.dit" ] || fail "the cut database was extracted under its own name"
    n=0
    for piece in "$W/x/lost+found/src/db"/ntds.dit.bytes-*; do
        [ -f "$piece" ] || fail "no piece of the database in lost+found"
        range=${piece##*.bytes-}
        check_piece "$W/src/db/ntds.dit" "$piece" "${range%-*}" "${range#*-}"
        n=$((n + 1))
    done
    [ $n -ge 1 ] || fail "no piece of the database in lost+found"
    [ -z "$(ls -A "$W/tmp")" ] || fail "the temporary archive was left: $(ls -A "$W/tmp")"
}

# Issue 16: the summary points to lost+found/ only when something was put
# there: a damaged member of one chunk leaves nothing to keep.
t_lost_found_is_named_only_when_used() {
    mkdir "$W/src"
    head -c 3000 /dev/urandom > "$W/src/one"
    "$ADBK" create -q -o "$W/a.adbk" "$W/src"
    off=$("$ADBK" list --json "$W/a.adbk" | /usr/bin/python3 -c 'import json,sys
m=[x for x in json.load(sys.stdin)["members"] if x["name"]=="src/one"][0]
print(m["offset"] + m["stored"] // 2)')
    cp "$W/a.adbk" "$W/d.adbk"
    flip "$W/d.adbk" "$off"
    expect_salvage 1 "$W/d.adbk" -o "$W/r.adbk"
    grep -q "INCOMPLETE" "$W/err" || fail "no incomplete member reported: $(cat "$W/err")"
    grep -q "$W/r.adbk: written" "$W/err" || fail "no summary: $(cat "$W/err")"
    ! grep -q "lost+found" "$W/err" || fail "lost+found named, but empty: $(cat "$W/err")"
    # With a piece kept, it is named.
    rm -rf "$W/src" "$W/a.adbk"
    make_archive
    off=$(( $(wc -c < "$W/a.adbk") / 3 ))
    cp "$W/a.adbk" "$W/d2.adbk"
    flip "$W/d2.adbk" "$off"
    expect_salvage 1 "$W/d2.adbk" -o "$W/r2.adbk"
    grep -q "intact ranges are under lost+found/" "$W/err" || fail "lost+found not named: $(cat "$W/err")"
}

t_usage_errors() {
    make_archive
    expect_salvage 2 "$W/a.adbk"
    grep -q -- "-o" "$W/err" || fail "salvage without -o does not say what is missing"
    echo precious > "$W/r.adbk"
    expect_salvage 2 "$W/a.adbk" -o "$W/r.adbk"
    [ "$(cat "$W/r.adbk")" = precious ] || fail "an existing file was replaced"
    expect_salvage 0 "$W/a.adbk" -n
    head -c 5000 /dev/urandom > "$W/junk"
    expect_salvage 2 "$W/junk" -o "$W/j.adbk"
    [ ! -e "$W/j.adbk" ] || fail "salvage of a non-archive wrote something"
    expect_salvage 0 --help
    grep -q "lost+found/NAME.bytes-FIRST-LAST" "$W/out" || fail "--help does not explain naming"
}

# Issue 12: a folder member with content (a hostile fixture) is reported and
# its bytes kept under lost+found/; the files around it are recovered, exit 1.
t_folder_with_content_keeps_the_rest() {
    fx="$(dirname "$0")/../fixtures/hostile/salvage-folder-with-content.adbk"
    expect_salvage 1 "$fx" -o "$W/r.adbk"
    grep -q '"d": INCOMPLETE (it is a directory and has content' "$W/err" \
        || { cat "$W/err" >&2; fail "the folder with content is not reported"; }
    check_repaired
    [ "$(cat "$W/x/a.txt")" = "first file" ] || fail "a.txt not recovered"
    [ "$(cat "$W/x/z.txt")" = "last file" ] || fail "z.txt not recovered"
    [ "$(cat "$W/x/lost+found/d.bytes-0-9")" = "0123456789" ] || fail "d's bytes not kept"
}

# Encrypted archives (FORMAT.md 13.7): a key pair age-keygen made (the one
# of tests/unit/test_crypto.c), and another secret key.
AGE_SECRET=AGE-SECRET-KEY-186T9CLA08V08F6UEUDGYX95A25RKZMA6KLE9D75JHQTGGMVNXJEQTDWDDP
AGE_PUBLIC=age1ug2n73cs727nsyp5ly8uznwm389fl32thp9lknmg7z6n0rqmcqwsqp270l
OTHER_SECRET=AGE-SECRET-KEY-17XHQ73Q94P0ZTAEWC9Z9LQG0Q60RQHDRDMMSYDDRQD3S9WNZYYLS99LR08

# make_archive's sources, packed encrypted to AGE_PUBLIC into $W/e.adbk;
# the secret key in $W/id.txt, the other one in $W/other.txt.
make_encrypted_archive() {
    make_archive
    echo "$AGE_SECRET" > "$W/id.txt"
    echo "$OTHER_SECRET" > "$W/other.txt"
    "$ADBK" create -q --chunk-size 4K -r "$AGE_PUBLIC" -o "$W/e.adbk" "$W/src"
}

# The repaired archive is encrypted (format 2.0), verifies and extracts with
# the same key, and is locked without it.
check_repaired_encrypted() {
    "$ADBK" verify -q -i "$W/id.txt" "$W/r.adbk" || fail "the repaired archive does not verify"
    "$ADBK" list -i "$W/id.txt" "$W/r.adbk" > "$W/list" || fail "the repaired archive does not list"
    grep -q '^format    2\.0' "$W/list" || fail "the repaired archive is not format 2.0: $(cat "$W/list")"
    "$ADBK" list "$W/r.adbk" > "$W/locked" 2>&1 || true
    grep -q 'locked' "$W/locked" || fail "the repaired archive lists without a key: $(cat "$W/locked")"
    rm -rf "$W/x"; mkdir "$W/x"
    "$ADBK" extract -q -i "$W/id.txt" "$W/r.adbk" -C "$W/x" ||
        fail "the repaired archive does not extract"
}

# Pieces of the database under lost+found/ hold exactly its bytes; at least one.
check_db_pieces() {
    n=0
    for p in "$W"/x/lost+found/src/db/ntds.dit.bytes-*; do
        [ -f "$p" ] || break
        r=${p##*.bytes-}
        check_piece "$W/src/db/ntds.dit" "$p" "${r%-*}" "${r#*-}"
        n=$((n + 1))
    done
    [ $n -ge 1 ] || fail "no piece of the database recovered"
    [ ! -e "$W/x/src/db/ntds.dit" ] || fail "a damaged member kept its own name"
}

t_encrypted_damaged_chunk_is_reported_and_kept_encrypted() {
    make_encrypted_archive
    cp "$W/e.adbk" "$W/d.adbk"
    off=$(( $(wc -c < "$W/e.adbk") / 3 ))
    flip "$W/d.adbk" "$off"
    expect_salvage 1 "$W/d.adbk" -i "$W/id.txt" -o "$W/r.adbk"
    grep -q "LOST bytes [0-9]*\.\.[0-9]* (4096 bytes)" "$W/err" ||
        fail "the lost chunk's range is not reported: $(cat "$W/err")"
    grep -q "written, encrypted to the same recipients" "$W/err" ||
        fail "no word of the encryption: $(cat "$W/err")"
    check_repaired_encrypted
    check_db_pieces
    for f in logs/edb00001.log notes.txt; do
        cmp -s "$W/src/$f" "$W/x/src/$f" || fail "src/$f was not kept whole"
    done
}

t_encrypted_cut_archive_keeps_the_intact_chunks() {
    make_encrypted_archive
    head -c 25000 "$W/e.adbk" > "$W/cut.adbk"
    expect_salvage 1 "$W/cut.adbk" -i "$W/id.txt" -o "$W/r.adbk" --json
    /usr/bin/python3 - "$W/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["encrypted"] and d["header_ok"] and not d["index_ok"], d
m = [x for x in d["members"] if x["name"] == "src/db/ntds.dit"][0]
assert not m["complete"] and m["lost"] == [{"offset": m["recovered_bytes"], "length": None}], m
assert m["recovered_bytes"] > 0 and m["recovered_bytes"] % 4096 == 0, m
PY
    check_repaired_encrypted
    check_db_pieces
}

t_encrypted_without_the_key_is_refused() {
    make_encrypted_archive
    expect_salvage 2 "$W/e.adbk" -o "$W/r.adbk"
    grep -q "encrypted.*none was given" "$W/err" || fail "no word of the missing key: $(cat "$W/err")"
    [ ! -e "$W/r.adbk" ] || fail "something was written without a key"
    expect_salvage 2 "$W/e.adbk" -n
    expect_salvage 2 "$W/e.adbk" -i "$W/other.txt" -o "$W/r.adbk"
    grep -q "none of the 1 key given opens it" "$W/err" ||
        fail "no word of the wrong key: $(cat "$W/err")"
    [ ! -e "$W/r.adbk" ] || fail "something was written with the wrong key"
    # The key from the environment, as every reading command takes it.
    ADBK_IDENTITY=$AGE_SECRET expect_salvage 0 "$W/e.adbk" -o "$W/r.adbk"
    check_repaired_encrypted
}

# --sign: the repaired archive is signed by the salvager's key (the
# original's signature cannot survive a repair) and verifies trusting it.
t_encrypted_salvage_signs_with_its_own_key() {
    make_encrypted_archive
    "$ADBK" keygen -o "$W/sign.key" > "$W/sign.pub"
    cp "$W/e.adbk" "$W/d.adbk"
    flip "$W/d.adbk" $(( $(wc -c < "$W/e.adbk") / 3 ))
    expect_salvage 1 "$W/d.adbk" -i "$W/id.txt" --sign "$W/sign.key" -o "$W/r.adbk"
    "$ADBK" verify -q -i "$W/id.txt" --trust "$(cat "$W/sign.pub")" "$W/r.adbk" ||
        fail "the repaired archive does not verify trusting the salvager's key"
    check_repaired_encrypted
}

# extract --salvage -i: an encrypted damaged archive extracts what is
# intact in one step, the loss reported, exit 1, no temporary archive left.
t_extract_salvage_of_an_encrypted_archive() {
    make_encrypted_archive
    cp "$W/e.adbk" "$W/d.adbk"
    flip "$W/d.adbk" $(( $(wc -c < "$W/e.adbk") / 3 ))
    mkdir "$W/x" "$W/tmp"
    set +e
    TMPDIR="$W/tmp" "$ADBK" extract --salvage -q -i "$W/id.txt" "$W/d.adbk" -C "$W/x" \
        >"$W/out" 2>"$W/err"
    rc=$?
    set -e
    [ $rc -eq 1 ] || { cat "$W/err" >&2; fail "extract --salvage exited $rc, expected 1"; }
    grep -q "ntds.dit" "$W/err" || fail "the loss is not reported: $(cat "$W/err")"
    check_db_pieces
    cmp -s "$W/src/notes.txt" "$W/x/src/notes.txt" || fail "notes.txt was not extracted"
    [ -z "$(ls -A "$W/tmp")" ] || fail "the temporary archive was left: $(ls -A "$W/tmp")"
    # Without the key, nothing.
    rm -rf "$W/x"; mkdir "$W/x"
    set +e
    TMPDIR="$W/tmp" "$ADBK" extract --salvage -q "$W/d.adbk" -C "$W/x" >"$W/out" 2>"$W/err"
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "extract --salvage without a key exited $rc, expected 2"
    [ -z "$(ls -A "$W/x")" ] || fail "extract --salvage without a key extracted something"
}

# A signed plain archive salvages like any other; the repaired one is unsigned.
t_signed_archive_is_salvaged_unsigned() {
    make_archive
    "$ADBK" keygen -o "$W/sign.key" > "$W/sign.pub"
    "$ADBK" create -q --chunk-size 4K --sign "$W/sign.key" -o "$W/s.adbk" "$W/src"
    flip "$W/s.adbk" $(( $(wc -c < "$W/s.adbk") / 3 ))
    expect_salvage 1 "$W/s.adbk" -o "$W/r.adbk" --json
    /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["header_ok"] and d["index_ok"] and d["seek_table_ok"] and not d["encrypted"], d
assert d["complete"] == d["members_found"] - 1 and d["bytes_lost"] == 4096, d' "$W/out" ||
        fail "the signed archive's header, index or seek table was not used: $(cat "$W/out")"
    check_repaired
    "$ADBK" list "$W/r.adbk" > "$W/list"
    if grep -q '^signed' "$W/list"; then fail "the repaired archive claims a signature"; fi
    check_db_pieces
}

run_case salvage "$@"
