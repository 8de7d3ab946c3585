#!/bin/sh
# cli_test.sh CASE - the programs as a user runs them, checked against the
# stock zstd, xxhsum and python3's json module where they can say what is
# right independently of adbk. Each t_NAME function is one ctest case.
# Environment: ADBK, ADBK_VERIFY (programs), ADBK_TEST_TMP (scratch).
set -eu

. "$(dirname "$0")/../lib.sh"
py() { /usr/bin/python3 "$@"; }

# A small folder with the shapes that matter: empty file, multi-chunk file,
# nested folder, a non-ASCII name, modes and times.
make_tree() {
    mkdir -p "$1/media/Active Directory" "$1/media/registry" "$1/media/empty dir"
    head -c 300000 /dev/urandom > "$1/media/Active Directory/ntds.dit"
    seq 1 100000 > "$1/media/registry/SYSTEM"
    : > "$1/media/registry/SECURITY"
    printf 'gr\303\274\303\237e\n' > "$1/media/registry/$(printf 'gr\303\274\303\237e.txt')"
    chmod 600 "$1/media/registry/SYSTEM"
    touch -d '2020-02-02 02:02:02' "$1/media/registry/SYSTEM"
}

t_stock_zstd_test_passes() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    zstd -t -q "$W/a.adbk" || fail "zstd -t rejected the archive"
}

t_stock_zstd_decompresses_members_in_archive_order() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    # Archive order is the byte order of names, folder by folder.
    (cd "$W/in/media" && cat "Active Directory/ntds.dit" registry/SECURITY registry/SYSTEM \
        "registry/gr$(printf '\303\274\303\237')e.txt") > "$W/want"
    zstd -dc "$W/a.adbk" > "$W/got"
    cmp "$W/want" "$W/got" || fail "zstd -dc output differs from the files in order"
}

t_stock_zstd_lists_every_frame() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    "$ADBK" list --json "$W/a.adbk" > "$W/list.json"
    # zstd -l counts all frames, then the skippable ones among them: header,
    # 2 per member, index and seek table are skippable; chunks are not.
    want=$(py -c 'import json,sys; m=json.load(open(sys.argv[1]))["members"]
s=2*len(m)+3; print(sum(x["chunks"] for x in m)+s, s)' "$W/list.json")
    zstd -l "$W/a.adbk" > "$W/l" || fail "zstd -l failed"
    got=$(awk 'NR==2 {print $1, $2}' "$W/l")
    [ "$got" = "$want" ] || fail "zstd -l counts '$got', expected '$want'"
}

t_member_hash_equals_xxhsum_of_the_file() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    want=$(xxhsum -H2 "$W/in/media/registry/SYSTEM" | cut -d' ' -f1)
    "$ADBK" list --long "$W/a.adbk" | grep 'media/registry/SYSTEM' > "$W/line"
    grep -q "$want" "$W/line" || fail "list shows $(cat "$W/line"), xxhsum says $want"
}

t_sidecar_is_checked_by_stock_xxhsum() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --xxh128 "$W/in/media"
    mkdir "$W/copy" && cp "$W/a.adbk" "$W/a.adbk.xxh128" "$W/copy/"
    (cd "$W/copy" && xxhsum -c a.adbk.xxh128 >/dev/null) || fail "xxhsum -c rejected a good copy"
    flip "$W/copy/a.adbk" 100
    if (cd "$W/copy" && xxhsum -c a.adbk.xxh128 >/dev/null 2>&1); then
        fail "xxhsum -c accepted a damaged copy"
    fi
}

t_create_to_a_pipe_writes_a_valid_archive() {
    make_tree "$W/in"
    "$ADBK" create -q -o - "$W/in/media" | cat > "$W/piped.adbk"
    expect_rc 0 "$ADBK" verify "$W/piped.adbk"
    zstd -t -q "$W/piped.adbk" || fail "zstd -t rejected the piped archive"
}

t_create_refuses_to_overwrite_without_force() {
    make_tree "$W/in"
    echo precious > "$W/a.adbk"
    expect_rc 2 "$ADBK" create -q -o "$W/a.adbk" "$W/in/media"
    grep -q -- "--force" "$W/err" || fail "the message does not mention --force"
    [ "$(cat "$W/a.adbk")" = precious ] || fail "the existing file was changed"
    expect_rc 0 "$ADBK" create -q -f -o "$W/a.adbk" "$W/in/media"
    expect_rc 0 "$ADBK" verify -q "$W/a.adbk"
}

t_interrupted_create_leaves_no_file() {
    mkdir -p "$W/in/big"
    head -c 64000000 /dev/urandom > "$W/in/big/data"
    for sig in INT TERM; do
        "$ADBK" create -q -19 -T 1 -o "$W/a.adbk" "$W/in/big" 2>"$W/err" &
        pid=$!
        sleep 0.5
        kill -s "$sig" "$pid"
        set +e; wait "$pid"; rc=$?; set -e
        [ "$rc" -eq 2 ] || fail "SIG$sig: exit $rc, expected 2"
        grep -q "no archive was written" "$W/err" || fail "SIG$sig: message: $(cat "$W/err")"
        [ -z "$(ls "$W" | grep 'a\.adbk')" ] || fail "SIG$sig left: $(ls "$W")"
    done
}

t_verify_exit_codes_and_damage_report() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    expect_rc 0 "$ADBK_VERIFY" "$W/a.adbk"
    grep -q "OK" "$W/out" || fail "no OK line"
    # Damage the middle of ntds.dit's second chunk: found, named, exit 1.
    off=$("$ADBK" list --json "$W/a.adbk" | py -c 'import json,sys
m=[x for x in json.load(sys.stdin)["members"] if x["name"].endswith("ntds.dit")][0]
print(m["offset"] + m["stored"] // 2)')
    cp "$W/a.adbk" "$W/bad.adbk"
    flip "$W/bad.adbk" "$off"
    expect_rc 1 "$ADBK_VERIFY" "$W/bad.adbk"
    grep -q 'ntds.dit' "$W/err" || fail "the report does not name the member: $(cat "$W/err")"
    grep -q 'chunk' "$W/err" || fail "the report does not name the chunk"
    expect_rc 1 "$ADBK" verify "$W/bad.adbk"
    expect_rc 2 "$ADBK_VERIFY" "$W/missing.adbk"
    expect_rc 2 "$ADBK_VERIFY" --no-such-option "$W/a.adbk"
    head -c 1000 /dev/urandom > "$W/noise"
    expect_rc 1 "$ADBK_VERIFY" "$W/noise"
    grep -q "not an adbk archive" "$W/err" || fail "noise: $(cat "$W/err")"
}

# verify --quick: every stored byte against its writer's checksums, nothing
# decompressed. Stock zstd -t, which decompresses, says what is damaged: the
# quick check must find a flipped chunk byte as zstd -t does, and passes the
# hostile chunk whose stored bytes all match their checksums but whose content
# does not (zstd -t finds that one: it checks the content) - the line between
# the two checks that FORMAT.md 8 draws.
t_quick_check_reads_stored_bytes_and_says_so() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    expect_rc 0 "$ADBK_VERIFY" --quick "$W/a.adbk"
    grep -q 'OK (quick check, nothing decompressed)' "$W/out" || fail "quick: $(cat "$W/out")"
    expect_rc 0 "$ADBK" verify --quick --json "$W/a.adbk"
    py -c 'import json,sys; r=json.load(open(sys.argv[1]))
assert r["intact"] is True and r["quick"] is True and r["content_bytes"] == 0, r
assert r["archive_bytes"] == int(sys.argv[2]), r' "$W/out" "$(stat -c %s "$W/a.adbk")"
    expect_rc 0 "$ADBK" verify --json "$W/a.adbk"
    py -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["quick"] is False and r["content_bytes"] > 0, r' "$W/out"
    off=$("$ADBK" list --json "$W/a.adbk" | py -c 'import json,sys
m=[x for x in json.load(sys.stdin)["members"] if x["name"].endswith("ntds.dit")][0]
print(m["offset"] + m["stored"] // 2)')
    cp "$W/a.adbk" "$W/bad.adbk"
    flip "$W/bad.adbk" "$off"
    ! zstd -t -q "$W/bad.adbk" 2>/dev/null || fail "zstd -t passed the damaged copy"
    expect_rc 1 "$ADBK_VERIFY" --quick "$W/bad.adbk"
    grep -q 'DAMAGED.*ntds.dit.*chunk' "$W/err" || fail "quick, damaged: $(cat "$W/err")"
    hostile="$(dirname "$0")/../fixtures/hostile/chunk-other-content.adbk"
    ! zstd -t -q "$hostile" 2>/dev/null || fail "zstd -t passed chunk-other-content"
    expect_rc 1 "$ADBK_VERIFY" "$hostile"
    expect_rc 0 "$ADBK_VERIFY" --quick "$hostile"
    expect_rc 2 sh -c 'cat "$1" | "$2" --quick -' sh "$W/a.adbk" "$ADBK_VERIFY"
    grep -q -- '--quick needs a file' "$W/err" || fail "quick from a pipe: $(cat "$W/err")"
}

# verify - : the archive through a pipe, read once (rclone cat remote:a.adbk | adbk-verify -).
piped() { # piped FILE CMD...: CMD with FILE through a pipe on its standard input
    f=$1; shift
    expect_rc "$WANT" sh -c 'f=$1; shift; cat "$f" | "$@"' sh "$f" "$@"
}

t_verify_reads_an_archive_from_a_pipe() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    expect_rc 0 "$ADBK_VERIFY" "$W/a.adbk"
    members=$(sed -n 's/.*OK: \([0-9]*\) members.*/\1/p' "$W/out")
    WANT=0 piped "$W/a.adbk" "$ADBK_VERIFY" -
    got=$(sed -n 's/.*OK: \([0-9]*\) members.*/\1/p' "$W/out")
    [ -n "$members" ] && [ "$got" = "$members" ] || fail "piped: '$(cat "$W/out")', file: $members members"
    WANT=0 piped "$W/a.adbk" "$ADBK" verify -
    WANT=0 piped "$W/a.adbk" "$ADBK_VERIFY" -T 1 --json -
    py -c 'import json,sys; r=json.load(open(sys.argv[1]))
assert r["intact"] is True and r["damage"] == [] and r["members"] == int(sys.argv[2]), r' \
        "$W/out" "$members"
    # The seek table's own frame header, which the stream meets last.
    frames=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["frames"])' "$W/out")
    cp "$W/a.adbk" "$W/bad.adbk"
    flip "$W/bad.adbk" $(($(wc -c < "$W/a.adbk") - 17 - 12 * frames))
    WANT=1 piped "$W/bad.adbk" "$ADBK_VERIFY" -
    grep -q "seek table" "$W/err" || fail "damaged seek table: $(cat "$W/err")"
    # A damaged byte in ntds.dit's second chunk: named with its chunk and offset.
    off=$("$ADBK" list --json "$W/a.adbk" | py -c 'import json,sys
m=[x for x in json.load(sys.stdin)["members"] if x["name"].endswith("ntds.dit")][0]
print(m["offset"] + m["stored"] // 2)')
    cp "$W/a.adbk" "$W/bad.adbk"
    flip "$W/bad.adbk" "$off"
    WANT=1 piped "$W/bad.adbk" "$ADBK_VERIFY" -
    grep -q 'ntds.dit" chunk [0-9]* (bytes ' "$W/err" || fail "not named: $(cat "$W/err")"
    grep -q "DAMAGED at byte " "$W/err" || fail "no offset: $(cat "$W/err")"
    WANT=1 piped "$W/bad.adbk" "$ADBK_VERIFY" --json -
    py -c 'import json,sys; r=json.load(open(sys.argv[1]))
assert r["intact"] is False and r["damage"][0]["member"].endswith("ntds.dit"), r' "$W/out"
    # Cut short, anywhere: exit 1, "truncated".
    for n in 100 $((off)) 200; do
        head -c -"$n" "$W/a.adbk" > "$W/cut.adbk"
        WANT=1 piped "$W/cut.adbk" "$ADBK_VERIFY" -
        grep -q "truncated" "$W/err" || fail "cut by $n: $(cat "$W/err")"
    done
    : > "$W/empty"
    WANT=1 piped "$W/empty" "$ADBK_VERIFY" -
    grep -q "not an adbk archive" "$W/err" || fail "empty: $(cat "$W/err")"
}

t_verify_reads_an_encrypted_and_signed_archive_from_a_pipe() {
    keys=$(cd "$(dirname "$0")/../../format/vectors/keys" && pwd)
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/e.adbk" --chunk-size 64K -R "$keys/age-recipient.txt" \
        --sign "$keys/sign.key" "$W/in/media"
    "$ADBK" keygen -o "$W/other.key" > "$W/other.pub"
    signer=$(grep -v '^#' "$keys/sign.pub")
    expect_rc 0 "$ADBK_VERIFY" "$W/e.adbk"
    members=$(sed -n 's/.*OK without a key: \([0-9]*\) members.*/\1/p' "$W/out")
    # Without the key: the clear parts; with it, everything; the signature either way.
    WANT=0 piped "$W/e.adbk" "$ADBK_VERIFY" --trust "$signer" -
    grep -q "OK without a key: $members members.*signed by a trusted key" "$W/out" ||
        fail "keyless: $(cat "$W/out")"
    WANT=0 piped "$W/e.adbk" "$ADBK_VERIFY" -i "$keys/age-identity.txt" -
    grep -q "OK: $members members" "$W/out" || fail "with the key: $(cat "$W/out")"
    WANT=1 piped "$W/e.adbk" "$ADBK_VERIFY" --trust "$(cat "$W/other.pub")" -
    grep -qi "sign" "$W/err" || fail "another signer: $(cat "$W/err")"
    WANT=0 piped "$W/e.adbk" "$ADBK_VERIFY" --json -
    py -c 'import json,sys; r=json.load(open(sys.argv[1]))
assert r["intact"] is True and r["locked"] is True and r["members"] == int(sys.argv[2]), r' \
        "$W/out" "$members"
    off=$("$ADBK" list --json -i "$keys/age-identity.txt" "$W/e.adbk" | py -c 'import json,sys
m=[x for x in json.load(sys.stdin)["members"] if x["name"].endswith("ntds.dit")][0]
print(m["offset"] + m["stored"] // 2)')
    cp "$W/e.adbk" "$W/bad.adbk"
    flip "$W/bad.adbk" "$off"
    WANT=1 piped "$W/bad.adbk" "$ADBK_VERIFY" -
    grep -q 'chunk [0-9]* (bytes ' "$W/err" || fail "keyless, damaged: $(cat "$W/err")"
    WANT=1 piped "$W/bad.adbk" "$ADBK_VERIFY" -i "$keys/age-identity.txt" -
    grep -q 'ntds.dit" chunk [0-9]* (bytes ' "$W/err" || fail "with the key, damaged: $(cat "$W/err")"
}

t_verify_and_list_json_are_valid() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" "$W/in/media"
    "$ADBK_VERIFY" --json "$W/a.adbk" | py -c 'import json,sys
r=json.load(sys.stdin); assert r["intact"] is True and r["damage"] == [], r'
    "$ADBK_VERIFY" list --json "$W/a.adbk" | py -c 'import json,sys
r=json.load(sys.stdin); names=[m["name"] for m in r["members"]]
assert "media/registry/gr\u00fc\u00dfe.txt" in names, names
s=[m for m in r["members"] if m["name"]=="media/registry/SYSTEM"][0]
assert s["mode"]=="0600" and s["kind"]=="file", s'
    head -c -1 "$W/a.adbk" > "$W/cut.adbk"
    set +e; "$ADBK_VERIFY" --json "$W/cut.adbk" > "$W/cut.json"; rc=$?; set -e
    [ "$rc" -eq 1 ] || fail "cut archive: exit $rc"
    py -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["intact"] is False' "$W/cut.json"
}

t_extract_round_trip_keeps_content_modes_and_times() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    expect_rc 0 "$ADBK" extract -q "$W/a.adbk" -C "$W/x"
    diff -r "$W/in/media" "$W/x/media" || fail "extracted tree differs"
    [ "$(stat -c '%a %Y' "$W/x/media/registry/SYSTEM")" = \
      "$(stat -c '%a %Y' "$W/in/media/registry/SYSTEM")" ] || fail "mode or time not restored"
    [ -d "$W/x/media/empty dir" ] || fail "empty folder not restored"
}

t_extract_refuses_existing_files_without_force() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" "$W/in/media"
    mkdir -p "$W/x/media/registry"
    echo mine > "$W/x/media/registry/SYSTEM"
    expect_rc 1 "$ADBK" extract -q "$W/a.adbk" -C "$W/x"
    [ "$(cat "$W/x/media/registry/SYSTEM")" = mine ] || fail "existing file overwritten"
    expect_rc 0 "$ADBK" extract -q -f "$W/a.adbk" -C "$W/x"
    cmp "$W/in/media/registry/SYSTEM" "$W/x/media/registry/SYSTEM" || fail "--force did not replace"
}

t_extract_never_follows_a_symlink_out_of_the_target() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" "$W/in/media"
    mkdir -p "$W/x" "$W/outside"
    ln -s "$W/outside" "$W/x/media"
    expect_rc 1 "$ADBK" extract -q "$W/a.adbk" -C "$W/x"
    [ -z "$(ls -A "$W/outside")" ] || fail "wrote through the symlink: $(ls -R "$W/outside")"
}

t_extract_selects_by_name_and_kind_and_to_stdout() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" "$W/in/media"
    expect_rc 0 "$ADBK" extract -q "$W/a.adbk" -C "$W/x" media/registry
    [ -f "$W/x/media/registry/SYSTEM" ] || fail "named folder not extracted"
    [ ! -e "$W/x/media/Active Directory" ] || fail "unnamed member extracted"
    "$ADBK" extract "$W/a.adbk" -O media/registry/SYSTEM > "$W/sys"
    cmp "$W/sys" "$W/in/media/registry/SYSTEM" || fail "--to-stdout content differs"
    expect_rc 2 "$ADBK" extract -q "$W/a.adbk" -C "$W/y" no/such/member
    expect_rc 0 "$ADBK" extract -q "$W/a.adbk" -C "$W/z" --kind directory
    [ -d "$W/z/media/empty dir" ] && [ ! -e "$W/z/media/registry/SYSTEM" ] || fail "--kind"
}

# Issue 12: a folder member has no content, but a byte flipped in its member
# record, its member-end record or their seek-table entries is damage extract
# must report (naming the folder, exit 1) as verify does, while it still
# extracts the intact members.
t_extract_reports_damaged_folder_members() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" --chunk-size 64K "$W/in/media"
    "$ADBK" list --json "$W/a.adbk" > "$W/list.json"
    # Byte offsets: in the member record (its name), in the member-end record,
    # and in the seek-table entries (size, checksum) of both records.
    py -c 'import json,struct,sys
r=json.load(open(sys.argv[1])); a=open(sys.argv[2],"rb").read()
frames=struct.unpack("<I",a[-9:-5])[0]; table=len(a)-(17+12*frames)+8
frame=1
for m in r["members"]:
    if m["name"]=="media/empty dir":
        end=m["offset"]+m["stored"]-40
        print(m["offset"]+50, end+20, table+12*frame, table+12*frame+8, table+12*(frame+1)+9)
    frame+=m["chunks"]+2' "$W/list.json" "$W/a.adbk" > "$W/offsets"
    [ -s "$W/offsets" ] || fail "no folder member in the archive"
    for off in $(cat "$W/offsets"); do
        cp "$W/a.adbk" "$W/bad.adbk"
        flip "$W/bad.adbk" "$off"
        expect_rc 1 "$ADBK" verify "$W/bad.adbk"
        rm -rf "$W/x"
        expect_rc 1 "$ADBK" extract -q "$W/bad.adbk" -C "$W/x"
        grep -q 'empty dir' "$W/err" || fail "byte $off: the folder is not named: $(cat "$W/err")"
        grep -q '1 failed' "$W/err" || fail "byte $off: not one failure: $(cat "$W/err")"
        cmp "$W/in/media/registry/SYSTEM" "$W/x/media/registry/SYSTEM" ||
            fail "byte $off: an intact member was not extracted"
    done
}

# no_raw_control FILE WHAT: FILE holds no control byte but line ends.
no_raw_control() {
    py -c 'import sys
d=open(sys.argv[1],"rb").read()
bad=sorted(set(b for b in d if (b<0x20 and b!=0x0A) or b==0x7F))
# C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F), which some terminals obey
bad+=["C2 %02X" % d[i+1] for i in range(len(d)-1) if d[i]==0xC2 and 0x80<=d[i+1]<=0x9F]
sys.exit("%s: raw control bytes %s in %r" % (sys.argv[2], bad, d) if bad else 0)' "$1" "$2" ||
        fail "$2 reached the terminal raw"
}

# Issue 12: every string from an archive (property keys and values) or a file
# system (file names in create's warnings) is escaped before it is printed.
t_control_bytes_in_keys_and_file_names_are_escaped() {
    hostile=$(dirname "$0")/../fixtures/hostile
    expect_rc 0 "$ADBK" list "$hostile/property-control.adbk"
    no_raw_control "$W/out" "list"
    grep -qF 'evil\x1B]0;owned\x07\x0Akey' "$W/out" || fail "key not shown escaped: $(cat "$W/out")"
    grep -qF 'v\x1B[2J\x07\x0Avalue' "$W/out" || fail "value not shown escaped"
    mkdir -p "$W/in/d"
    echo ok > "$W/in/d/ok.txt"
    echo bad > "$W/in/d/$(printf 'a\033]0;x\007\nb')"
    expect_rc 1 "$ADBK" create -o "$W/a.adbk" "$W/in/d"
    no_raw_control "$W/err" "create's warning"
    grep -F 'skipped' "$W/err" | grep -qF 'a\x1B]0;x\x07\x0Ab' ||
        fail "the skipped name is not shown escaped: $(cat "$W/err")"
    expect_rc 0 "$ADBK" verify "$hostile/property-control.adbk"
    no_raw_control "$W/out" "verify"
    # A C1 control (U+009B, CSI) and a byte that is not UTF-8 are shown as
    # \xHH; JSON gives the stray byte as the text \xFF, not as U+00FF.
    expect_rc 0 "$ADBK" list "$hostile/name-c1-control.adbk"
    no_raw_control "$W/out" "list of a C1 name"
    grep -qF 'a\xC2\x9B[2Jb.txt' "$W/out" || fail "C1 not shown escaped: $(cat "$W/out")"
    expect_rc 0 "$ADBK" list "$hostile/name-invalid-utf8.adbk"
    grep -qF 'bad\xFFname' "$W/out" || fail "0xFF not shown escaped: $(cat "$W/out")"
    expect_rc 0 "$ADBK" list --json "$hostile/name-invalid-utf8.adbk"
    py -c 'import json,sys; d=json.load(open(sys.argv[1]))
names=[m["name"] for m in d["members"]]
assert "bad\\xFFname" in names and "bad\u00ffname" not in names, names' "$W/out" ||
        fail "JSON shows the stray byte as a character: $(cat "$W/out")"
}

# Issue 12: a 4,095-byte name, the longest FORMAT.md allows, is extracted
# (its full path is longer than PATH_MAX); a name with a component no file
# system can hold is refused (exit 1) before anything is created.
t_extract_handles_the_longest_names() {
    hostile=$(dirname "$0")/../fixtures/hostile
    expect_rc 0 "$ADBK" extract -q "$hostile/name-longest.adbk" -C "$W/x"
    py -c 'import os,sys
name="/".join(["%02d" % i + "n" * 253 for i in range(16)])
fd=os.open(sys.argv[1], os.O_RDONLY)
for c in name.split("/")[:-1]:
    fd=os.open(c, os.O_RDONLY, dir_fd=fd)
with os.fdopen(os.open(name.split("/")[-1], os.O_RDONLY, dir_fd=fd), "rb") as f:
    want=("content of %r\n" % name).encode() * 3
    assert f.read() == want, "content differs"' "$W/x" || fail "the longest name was not extracted"
    expect_rc 1 "$ADBK" extract -q "$hostile/name-long-component.adbk" -C "$W/y"
    grep -q "component of 276 bytes" "$W/err" || fail "message: $(cat "$W/err")"
    [ -z "$(ls -A "$W/y")" ] || fail "a refused name left: $(ls -A "$W/y")"
}

# owners_and_attributes DIR: for each file and folder below DIR, in name
# order, its owner, mode, extended attributes (getfattr, hex) and ACLs
# (getfacl), as the stock tools show them.
owners_and_attributes() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r f; do
        stat -c '%n %u:%g %a' "$f"
        getfattr -h -d -m - -e hex "$f" 2>/dev/null | grep -v '^#' || true
        getfacl -p -n "$f" 2>/dev/null | grep -v '^#' || true
    done)
}

# A sysvol-like folder with NT-ACL-like and binary attributes, POSIX ACLs
# (setfacl) and owners (chown) in $W/in/sysvol; skips when the file system
# takes no user attributes.
make_attributed_tree() {
    mkdir -p "$W/in/sysvol/Policies/{31B2F340}" "$W/in/sysvol/scripts"
    printf '[General]\r\nVersion=3\r\n' > "$W/in/sysvol/Policies/{31B2F340}/GPT.INI"
    head -c 100000 /dev/urandom > "$W/in/sysvol/Policies/{31B2F340}/Registry.pol"
    printf '@echo off\r\n' > "$W/in/sysvol/scripts/logon.cmd"
    setfattr -n user.binary -v 0x0001ff0000 "$W/in/sysvol/Policies/{31B2F340}/GPT.INI" \
        2>/dev/null || skip "setfattr cannot set user attributes on $W (no user xattrs?)"
    # NT-ACL-like: version 4, then a self-relative security descriptor.
    setfattr -n security.NTACL -v 0x0400040000000200010001000480140000002400000000000000 \
        "$W/in/sysvol/Policies" || fail "cannot set security.NTACL (not root?)"
    setfattr -n security.NTACL -v 0x04000400000002000100010004801400000024000000 \
        "$W/in/sysvol/Policies/{31B2F340}/GPT.INI"
    setfattr -n user.empty "$W/in/sysvol/scripts/logon.cmd"
    setfacl -m u:1234:rwx,g:4321:r-x "$W/in/sysvol/Policies/{31B2F340}/GPT.INI"
    setfacl -d -m u:1234:rwx,g:4321:r-x "$W/in/sysvol/Policies"
    setfacl -m u:1234:r-x "$W/in/sysvol/Policies"
    chown 1234:4321 "$W/in/sysvol/scripts/logon.cmd" "$W/in/sysvol/Policies/{31B2F340}"
    chown 3000000:3000001 "$W/in/sysvol/Policies/{31B2F340}/Registry.pol"
}

t_owner_and_xattrs_round_trip_through_create_and_extract() {
    make_attributed_tree
    "$ADBK" create -q --owner --xattrs --chunk-size 64K -o "$W/a.adbk" "$W/in/sysvol"
    expect_rc 0 "$ADBK" verify "$W/a.adbk"
    mkdir "$W/x"
    expect_rc 0 "$ADBK" extract -q --owner --xattrs "$W/a.adbk" -C "$W/x"
    owners_and_attributes "$W/in/sysvol" > "$W/want"
    owners_and_attributes "$W/x/sysvol" > "$W/got"
    grep -q 'security.NTACL=0x0400' "$W/want" || fail "the tree has no NT ACL: $(cat "$W/want")"
    grep -q 'user:1234:rwx' "$W/want" || fail "the tree has no ACL: $(cat "$W/want")"
    diff "$W/want" "$W/got" > "$W/diff" || fail "owners or attributes differ after extract: $(cat "$W/diff")"
    cmp "$W/in/sysvol/Policies/{31B2F340}/Registry.pol" "$W/x/sysvol/Policies/{31B2F340}/Registry.pol"
}

t_extract_applies_owner_and_xattrs_only_when_asked() {
    make_attributed_tree
    "$ADBK" create -q --owner --xattrs -o "$W/a.adbk" "$W/in/sysvol"
    mkdir "$W/plain" "$W/owner"
    expect_rc 0 "$ADBK" extract -q "$W/a.adbk" -C "$W/plain"
    [ "$(stat -c %u:%g "$W/plain/sysvol/scripts/logon.cmd")" = "$(id -u):$(id -g)" ] ||
        fail "extract without --owner changed the owner"
    if getfattr -h -d -m - "$W/plain/sysvol/Policies/{31B2F340}/GPT.INI" 2>/dev/null |
        grep -q 'user.binary'; then fail "extract without --xattrs set attributes"; fi
    expect_rc 0 "$ADBK" extract -q --owner "$W/a.adbk" -C "$W/owner"
    [ "$(stat -c %u:%g "$W/owner/sysvol/scripts/logon.cmd")" = 1234:4321 ] ||
        fail "extract --owner did not set the owner"
    if getfattr -h -d -m - "$W/owner/sysvol/Policies/{31B2F340}/GPT.INI" 2>/dev/null |
        grep -q 'user.binary'; then fail "extract --owner alone set attributes"; fi
    # Without --owner/--xattrs at create, nothing is stored.
    "$ADBK" create -q -o "$W/b.adbk" "$W/in/sysvol"
    "$ADBK" list --json "$W/b.adbk" > "$W/b.json"
    py -c 'import json,sys
m=json.load(open(sys.argv[1]))["members"]
assert not any("uid" in x or "xattrs" in x for x in m), m' "$W/b.json" ||
        fail "create stored owners or attributes unasked"
}

t_extract_names_an_attribute_the_file_system_refuses() {
    hostile=$(dirname "$0")/../fixtures/hostile
    mkdir "$W/x"
    expect_rc 2 "$ADBK" extract -q --xattrs "$hostile/xattr-unknown-namespace.adbk" -C "$W/x"
    grep -q 'bogus.adbk-test' "$W/err" || fail "the attribute is not named: $(cat "$W/err")"
    grep -q 'a.txt' "$W/err" || fail "the member is not named: $(cat "$W/err")"
    [ ! -e "$W/x/a.txt" ] || fail "the refused member was extracted anyway"
    [ -f "$W/x/first.txt" ] || fail "the other member was not extracted"
    expect_rc 0 "$ADBK" extract -q "$hostile/xattr-unknown-namespace.adbk" -C "$W/y"
}

t_list_shows_owners_and_attributes() {
    v=$(dirname "$0")/../../format/vectors
    expect_rc 0 "$ADBK" list --long "$v/v1.1-xattrs.adbk"
    grep -q 'owner 3000000:3000001 (CORP\\Administrator:CORP\\Domain Admins)' "$W/out" ||
        fail "list --long shows no owner: $(cat "$W/out")"
    grep -q 'xattr 172 bytes  security.NTACL' "$W/out" || fail "list --long shows no NT ACL"
    grep -q 'xattr 11 bytes  user.binary' "$W/out" || fail "list --long shows no binary attribute"
    expect_rc 0 "$ADBK" list --json "$v/v1.1-xattrs.adbk"
    py -c 'import base64,json,sys
m={x["name"]: x for x in json.load(open(sys.argv[1]))["members"]}
f=m["sysvol/corp.example.com/Policies/GPT.INI"]
assert (f["uid"], f["gid"], f["user"]) == (3000000, 3000001, "CORP\\Administrator"), f
a={x["name"]: base64.b64decode(x["base64"]) for x in f["xattrs"]}
assert a["security.NTACL"] == open(sys.argv[2] + "/ntacl", "rb").read()
assert a["user.binary"] == open(sys.argv[2] + "/binary-nul", "rb").read() and b"\0" in a["user.binary"]
assert m["sysvol/scripts/empty-list.txt"]["xattrs"] == []
assert "xattrs" not in m["sysvol/plain.txt"] and "uid" not in m["sysvol/plain.txt"]' \
        "$W/out" "$v/v1.1-xattrs/xattr" || fail "list --json holds other owners or attributes"
}

t_usage_errors_exit_2_and_help_exits_0() {
    expect_rc 2 "$ADBK"
    expect_rc 2 "$ADBK" frobnicate
    expect_rc 2 "$ADBK" create "$W"
    grep -q -- "-o" "$W/err" || fail "create without -o does not say what is missing"
    expect_rc 2 "$ADBK" create -o "$W/a.adbk" -25 "$W"
    for c in create list verify extract; do
        expect_rc 0 "$ADBK" "$c" --help
        grep -q "usage: adbk $c" "$W/out" || fail "$c --help has no usage line"
    done
    expect_rc 0 "$ADBK_VERIFY" --help
}

# Issue 16: an unknown option, or one without its argument, names the
# program and the command and points to the command's help, in one line of
# its own (getopt's own message is not printed too).
t_unknown_option_names_the_command_and_its_help() {
    for c in create list verify extract salvage status keygen backup restore; do
        want=2; [ "$c" = status ] && want=3
        expect_rc "$want" "$ADBK" "$c" --bogus "$W/x"
        [ "$(cat "$W/err")" = "adbk $c: unknown option '--bogus' (try 'adbk $c --help')" ] ||
            fail "$c --bogus: $(cat "$W/err")"
    done
    expect_rc 2 "$ADBK" create -q -o
    [ "$(cat "$W/err")" = "adbk create: option '-o' needs an argument (try 'adbk create --help')" ] ||
        fail "create -o: $(cat "$W/err")"
    expect_rc 2 "$ADBK" backup --user
    grep -qx "adbk backup: option '--user' needs an argument (try 'adbk backup --help')" "$W/err" ||
        fail "backup --user: $(cat "$W/err")"
    expect_rc 2 "$ADBK" list --json=yes "$W/x"
    grep -qx "adbk list: option '--json' takes no argument (try 'adbk list --help')" "$W/err" ||
        fail "list --json=yes: $(cat "$W/err")"
    expect_rc 3 "$ADBK" status --ver "$W"
    grep -q "adbk status: option '--ver' is ambiguous: --verbose, --verify, --verify-all" "$W/err" ||
        fail "status --ver: $(cat "$W/err")"
    expect_rc 2 "$ADBK" extract -z "$W/x"
    grep -qx "adbk extract: unknown option '-z' (try 'adbk extract --help')" "$W/err" ||
        fail "extract -z: $(cat "$W/err")"
    expect_rc 2 "$ADBK_VERIFY" --bogus "$W/x"
    grep -qx "adbk-verify: unknown option '--bogus' (try 'adbk-verify --help')" "$W/err" ||
        fail "adbk-verify --bogus: $(cat "$W/err")"
    for c in verify list; do
        expect_rc 2 "$ADBK_VERIFY" "$c" --bogus "$W/x"
        grep -qx "adbk-verify $c: unknown option '--bogus' (try 'adbk-verify $c --help')" "$W/err" ||
            fail "adbk-verify $c --bogus: $(cat "$W/err")"
    done
}

# Issue 16: -o naming a folder, or a file in a folder that does not exist, is
# refused before any work, with the folder named, by every command that
# writes an archive; nothing is written and (backup) the DC is not asked.
t_output_folder_is_refused_before_any_work() {
    make_tree "$W/in"
    mkdir "$W/o"
    "$ADBK" create -q -o "$W/a.adbk" "$W/in/media"
    for f in "" -f; do
        expect_rc 2 "$ADBK" create -q $f -o "$W/o" "$W/in/media"
        grep -q "cannot write $W/o: it is a folder" "$W/err" || fail "create $f: $(cat "$W/err")"
        expect_rc 2 "$ADBK" salvage -q $f -o "$W/o" "$W/a.adbk"
        grep -q "cannot write $W/o: it is a folder" "$W/err" || fail "salvage $f: $(cat "$W/err")"
    done
    expect_rc 2 "$ADBK" create -q -o "$W/no/where/x.adbk" "$W/in/media"
    grep -q "cannot write $W/no/where/x.adbk: the folder $W/no/where does not exist" "$W/err" ||
        fail "create, missing folder: $(cat "$W/err")"
    expect_rc 2 "$ADBK" salvage -q -o "$W/no/x.adbk" "$W/a.adbk"
    grep -q "the folder $W/no does not exist" "$W/err" || fail "salvage: $(cat "$W/err")"
    [ -z "$(ls -A "$W/o")" ] && [ ! -e "$W/no" ] || fail "something was written: $(ls -AR "$W")"
    # backup: refused before the simulated DC is opened (it is not even
    # running, which would otherwise be the error) or any log is touched.
    "$DCSIM" provision "$W/dc" --size 1M --seed 5 --logs 2 >/dev/null
    ls -A "$W/dc" > "$W/dc.before"
    cp "$W/dc/dcsim.ini" "$W/ini.before"
    for f in "" --force; do
        expect_rc 2 "$ADBK" backup --dcsim "$W/dc" $f -o "$W/o"
        grep -q "cannot write $W/o: it is a folder" "$W/err" || fail "backup $f: $(cat "$W/err")"
    done
    expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/no/where/x.adbk"
    grep -q "the folder $W/no/where does not exist" "$W/err" || fail "backup: $(cat "$W/err")"
    ! grep -q "not running" "$W/err" || fail "the DC was asked first: $(cat "$W/err")"
    ls -A "$W/dc" | cmp -s - "$W/dc.before" || fail "the DC folder changed"
    cmp -s "$W/dc/dcsim.ini" "$W/ini.before" || fail "the DC's state changed"
    [ -z "$(ls -A "$W/o")" ] && [ ! -e "$W/no" ] || fail "something was written: $(ls -AR "$W/o")"
    expect_rc 2 "$ADBK" extract -q "$W/a.adbk" -C "$W/no/where"
    grep -q "the folder $W/no does not exist" "$W/err" || fail "extract -C: $(cat "$W/err")"
}

# Issue 16: with --json every command says on standard output why it failed,
# as one object of the same shape (archive, ok, status, message); extract
# --json gives a summary object.
t_json_failures_are_one_object_on_stdout() {
    make_tree "$W/in"
    "$ADBK" create -q -o "$W/a.adbk" "$W/in/media"
    head -c 1000 /dev/urandom > "$W/noise"
    mkdir "$W/o"
    # json_fails RC STATUS CMD...: CMD exits RC printing the failure object
    # (STATUS * for any).
    json_fails() {
        want=$1 status=$2; shift 2
        expect_rc "$want" "$@"
        py -c 'import json,sys
d=json.load(open(sys.argv[1]))
assert d["ok"] is False and d["message"], d
assert d["status"] == sys.argv[2] or (sys.argv[2] == "*" and d["status"]), d
assert "archive" in d, d' "$W/out" "$status" || fail "$*: stdout: $(cat "$W/out")"
    }
    for c in list verify extract restore; do
        json_fails 1 "not an adbk archive" "$ADBK" "$c" --json "$W/noise"
        grep -q '"archive":"'"$W/noise"'"' "$W/out" || fail "$c names no archive: $(cat "$W/out")"
    done
    json_fails 1 "not an adbk archive" "$ADBK_VERIFY" --json "$W/noise"
    json_fails 1 "not an adbk archive" "$ADBK_VERIFY" list --json "$W/noise"
    json_fails 2 error "$ADBK" list --json "$W/a.adbk" "$W/a.adbk"
    json_fails 2 "invalid argument" "$ADBK" create --json -o "$W/o" "$W/in/media"
    json_fails 2 "invalid argument" "$ADBK" backup --json --dcsim "$W/dc" -o "$W/o"
    json_fails 2 "*" "$ADBK" salvage --json "$W/noise" -o "$W/o/r.adbk"
    json_fails 3 error "$ADBK" status --json --tombstone-days 0 "$W/a.adbk"
    json_fails 2 error "$ADBK" extract --json -O "$W/a.adbk"
    expect_rc 2 "$ADBK" extract --json "$W/a.adbk" -C "$W/in/media/registry/SYSTEM/x"
    py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] is False, d' "$W/out" ||
        fail "extract into a file: $(cat "$W/out")"
    # extract's summary
    expect_rc 0 "$ADBK" extract --json "$W/a.adbk" -C "$W/x"
    py -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d["ok"] is True and d["members"]==8 and d["bytes"]>300000 and d["target"]==sys.argv[2], d' \
        "$W/out" "$W/x" || fail "extract --json: $(cat "$W/out")"
    # a failure writes nothing more to standard output than the object
    expect_rc 1 "$ADBK" list --json "$W/noise"
    [ "$(wc -l < "$W/out")" -eq 1 ] || fail "more than one line: $(cat "$W/out")"
}

# Issue 16: every program says its version with --version and -V, and
# 'PROGRAM help COMMAND' is 'PROGRAM COMMAND --help'.
t_version_and_help_command() {
    for p in "$ADBK" "$ADBK_VERIFY" "$DCSIM"; do
        for o in --version -V; do
            expect_rc 0 "$p" "$o"
            grep -qE "^${p##*/} [0-9]+\.[0-9]+\.[0-9]+ \(" "$W/out" ||
                fail "'${p##*/} $o' printed: $(cat "$W/out" "$W/err")"
            [ ! -s "$W/err" ] || fail "'${p##*/} $o' wrote to stderr: $(cat "$W/err")"
        done
    done
    for c in backup restore create list verify extract salvage status keygen; do
        expect_rc 0 "$ADBK" help "$c"
        mv "$W/out" "$W/help.out"
        expect_rc 0 "$ADBK" "$c" --help
        cmp -s "$W/out" "$W/help.out" || fail "'adbk help $c' differs from 'adbk $c --help'"
    done
    for c in verify list; do
        expect_rc 0 "$ADBK_VERIFY" help "$c"
        mv "$W/out" "$W/help.out"
        expect_rc 0 "$ADBK_VERIFY" "$c" --help
        cmp -s "$W/out" "$W/help.out" ||
            fail "'adbk-verify help $c' differs from 'adbk-verify $c --help'"
    done
    expect_rc 0 "$ADBK" help
    grep -q "^usage: adbk COMMAND" "$W/out" || fail "'adbk help' is not the usage"
    expect_rc 2 "$ADBK" help nosuch
    [ "$(cat "$W/err")" = "adbk: error: unknown command 'nosuch' (try 'adbk --help')" ] ||
        fail "adbk help nosuch: $(cat "$W/err")"
    [ ! -s "$W/out" ] || fail "adbk help nosuch wrote to stdout"
    expect_rc 2 "$ADBK" help create list
    grep -q "help takes one command" "$W/err" || fail "adbk help create list: $(cat "$W/err")"
    expect_rc 2 "$ADBK_VERIFY" help nosuch
    grep -q "unknown command 'nosuch'" "$W/err" || fail "adbk-verify help nosuch: $(cat "$W/err")"
    # dcsim: each command's own help is its synopsis and what it does.
    for how in "provision --help" "help provision" "provision -h"; do
        # shellcheck disable=SC2086
        expect_rc 0 "$DCSIM" $how
        head -n 1 "$W/out" | grep -q "^usage: dcsim provision DIR --size SIZE" ||
            fail "dcsim $how: $(head -n 1 "$W/out")"
        ! grep -q "^  start DIR" "$W/out" || fail "dcsim $how describes other commands too"
    done
    expect_rc 0 "$DCSIM" help
    for c in provision start stop churn roll check info; do
        grep -q "^  $c DIR" "$W/out" || fail "dcsim help does not describe $c"
    done
    expect_rc 2 "$DCSIM" help nosuch
    [ "$(cat "$W/err")" = "dcsim: unknown command 'nosuch' (try 'dcsim --help')" ] ||
        fail "dcsim help nosuch: $(cat "$W/err")"
    expect_rc 2 "$DCSIM" provision "$W/dc" --size 1M --bogus
    [ "$(cat "$W/err")" = "dcsim provision: unknown option '--bogus' (try 'dcsim provision --help')" ] ||
        fail "dcsim provision --bogus: $(cat "$W/err")"
    expect_rc 2 "$DCSIM" provision "$W/dc" --size
    grep -q "option '--size' needs an argument" "$W/err" || fail "dcsim --size: $(cat "$W/err")"
}

# Issue 16: a wrong ADBK_DCSIM_DIR is one message naming the variable, the
# folder and the cause, once.
t_wrong_dcsim_dir_is_said_once() {
    make_tree "$W/t"
    "$ADBK" create -q -o "$W/r.adbk" "$W/t"
    for c in "backup -o $W/a.adbk" "restore $W/r.adbk"; do
        # shellcheck disable=SC2086
        ADBK_DCSIM_DIR="$W/nowhere" expect_rc 2 "$ADBK" $c
        [ "$(cat "$W/err")" = "adbk: error: ADBK_DCSIM_DIR=$W/nowhere: $W/nowhere/dcsim.ini: cannot open (No such file or directory); not a DC folder made by \`dcsim provision\`?" ] ||
            fail "adbk ${c%% *}: $(cat "$W/err")"
    done
    [ ! -e "$W/a.adbk" ] || fail "backup wrote an archive"
}

# Issue 16: the simulator's messages say what happened, without the internal
# rule numbers of its specification ("(R18)").
t_dc_messages_carry_no_rule_numbers() {
    "$DCSIM" provision "$W/dc" --size 4M --seed 5 --logs 2 >/dev/null
    "$DCSIM" start "$W/dc" >/dev/null
    DCSIM_FAULTS=offline_after=1048576 expect_rc 2 "$ADBK" backup --dcsim "$W/dc" -o "$W/a.adbk" -q
    grep -q "went offline during the backup; no archive was written" "$W/err" ||
        fail "unclear: $(cat "$W/err")"
    ! grep -qE "\(R[0-9]+\)" "$W/err" || fail "a rule number: $(cat "$W/err")"
}

# Issue 16: a log generation reads the same in every text output, in hex as
# in the log's name (edb0002A.log is 0x2A): backup's summary, list, and the
# names of the logs the archive holds.
t_log_generations_read_alike_in_backup_and_list() {
    "$DCSIM" provision "$W/dc" --size 4M --seed 5 --logs 3 --first-gen 40 >/dev/null
    "$DCSIM" start "$W/dc" >/dev/null
    expect_rc 0 "$ADBK" backup --dcsim "$W/dc" -o "$W/a.adbk"
    "$DCSIM" stop "$W/dc" >/dev/null
    range=$(sed -n 's/.*: logs \(0x[0-9A-F]*\.\.0x[0-9A-F]*\) (.*/\1/p' "$W/err")
    [ -n "$range" ] || fail "backup names no log range: $(cat "$W/err")"
    expect_rc 0 "$ADBK" list "$W/a.adbk"
    lo=$(sed -n 's/^log\.generation\.low *//p' "$W/out")
    hi=$(sed -n 's/^log\.generation\.high *//p' "$W/out")
    [ "$lo..$hi" = "$range" ] || fail "backup says logs $range, list says $lo..$hi"
    first=$(grep -o 'logs/edb[0-9A-F]*\.log' "$W/out" | head -n 1)
    [ "$first" = "logs/edb$(printf %05X $((lo))).log" ] ||
        fail "the first log is $first, the low generation $lo"
    [ "$lo" = 0x2A ] || fail "log.generation.low is $lo, expected 0x2A (checkpoint of --first-gen 40)"
}

# Issue 16: in every command's --help the options' descriptions start in one
# column, the same for every command, and no line is wider than 80 columns.
t_help_options_line_up() {
    for c in backup restore create list verify extract salvage status keygen; do
        "$ADBK" "$c" --help >"$W/help.adbk-$c"
    done
    for c in verify list; do
        "$ADBK_VERIFY" "$c" --help >"$W/help.adbk-verify-$c"
    done
    # Each help: its problems on stdout, the column of its descriptions last.
    for f in "$W"/help.*; do
        awk -v f="${f##*/help.}" '
            length($0) > 80 { print f ": wider than 80 columns: " $0 }
            /^  -/ {
                rest = substr($0, 3); gap = index(rest, "  ")
                if (gap == 0) next # a long option: its description on the next line
                col = gap; while (substr(rest, col, 1) == " ") col++
                col += 2
                if (want == "") want = col
                if (col != want) print f ": column " col ", not " want ": " $0
            }
            END { print "column " want }' "$f"
    done >"$W/report"
    ! grep -v "^column " "$W/report" || fail "misaligned help"
    [ "$(sort -u "$W/report" | wc -l)" -eq 1 ] ||
        fail "the commands' descriptions start in columns $(sort -u "$W/report" | tr '\n' ' ')"
}

# deep_tree DIR: DIR/tl2 and 40 nested folders of 120-byte names below it,
# each holding a file f; made a folder at a time from the one above's
# descriptor, as no full path of the deepest ones fits PATH_MAX (and the
# shell's cd composes one).
deep_tree() {
    py -c 'import os,sys
os.makedirs(sys.argv[1] + "/tl2")
fd = os.open(sys.argv[1] + "/tl2", os.O_RDONLY)
for i in range(1, 42):
    with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
        f.write("content of level %d\n" % (i - 1))
    if i == 41:
        break
    name = "T%02d" % i + "n" * 117
    os.mkdir(name, dir_fd=fd)
    fd = os.open(name, os.O_RDONLY, dir_fd=fd)' "$1"
}

# deep_listing DIR: level, hash of f and the other names each folder of a
# tree deep_tree made holds, walked a folder at a time.
deep_listing() {
    py -c 'import hashlib,os,sys
fd, level = os.open(sys.argv[1] + "/tl2", os.O_RDONLY), 0
while True:
    names = sorted(os.listdir(fd))
    with open(os.open("f", os.O_RDONLY, dir_fd=fd), "rb") as f:
        print(level, hashlib.sha256(f.read()).hexdigest(), " ".join(n[:3] for n in names))
    sub = [n for n in names if n != "f"]
    if not sub:
        break
    fd, level = os.open(sub[0], os.O_RDONLY, dir_fd=fd), level + 1' "$1"
}

t_create_skips_what_no_archive_name_holds_and_extracts_the_rest() {
    deep_tree "$W/in"
    # Names longer than 4,095 bytes (FORMAT.md 6): level 34 and below are
    # skipped with one warning naming the folder shortly, and the cause.
    (cd "$W/in" && expect_rc 1 "$ADBK" create -o "$W/a.adbk" tl2)
    [ "$(grep -c 'warning: skipped' "$W/err")" -eq 1 ] || fail "warnings: $(cat "$W/err")"
    grep -q 'skipped tl2/T01n*\.\.\./T34n* (and anything in it): member name .* is 4117 bytes long (at most 4095)' \
        "$W/err" || fail "warning: $(cat "$W/err")"
    [ "$(wc -c < "$W/err")" -lt 600 ] || fail "the warning is not shortened: $(cat "$W/err")"
    expect_rc 0 "$ADBK" verify "$W/a.adbk"
    mkdir "$W/x"
    expect_rc 0 "$ADBK" extract -q "$W/a.adbk" -C "$W/x"
    deep_listing "$W/in" > "$W/all"
    head -34 "$W/all" | sed '$s/ T34 f$/ f/' > "$W/want"
    deep_listing "$W/x" > "$W/got"
    diff "$W/want" "$W/got" || fail "the extracted tree differs"
    # Below a long path, names fit but paths do not: skipped, saying so.
    deep=$(py -c 'print("/".join([__import__("sys").argv[1]] + ["T%02d" % i + "n" * 117 for i in range(1, 20)]))' "$W/in/tl2")
    expect_rc 1 "$ADBK" create -o "$W/b.adbk" "$deep"
    grep -q "skipped /.*\.\.\./T[0-9]*n* (and anything in it): its path is [0-9]* bytes long, more than this system opens (4096)" \
        "$W/err" || fail "path warning: $(cat "$W/err")"
    expect_rc 0 "$ADBK" verify "$W/b.adbk"
}

t_verify_reports_a_damaged_member_end_record_once() {
    mkdir -p "$W/in/d"
    echo hello > "$W/in/d/a"
    "$ADBK" create -q -o "$W/a.adbk" "$W/in/d"
    # The first member-end record (FORMAT.md 3.4) is folder d's: damage its
    # Content_Hash.
    off=$(py -c 'import sys; print(open(sys.argv[1], "rb").read().find(b"AEND") + 30)' "$W/a.adbk")
    start=$(py -c 'import sys; print(open(sys.argv[1], "rb").read().find(b"AEND") - 8)' "$W/a.adbk")
    flip "$W/a.adbk" "$off"
    for v in "$ADBK verify" "$ADBK_VERIFY"; do
        expect_rc 1 $v "$W/a.adbk"
        cat "$W/out" "$W/err" | grep DAMAGED | grep -v 'damaged place' > "$W/found" || true
        [ "$(wc -l < "$W/found")" -eq 1 ] || fail "$v: not one report: $(cat "$W/out" "$W/err")"
        grep -q "^$W/a.adbk: DAMAGED at byte $start: member \"d\": member-end record at byte $start fails its checksum" \
            "$W/found" || fail "$v: $(cat "$W/found")"
        [ "$(grep -o 'a\.adbk' "$W/found" | wc -l)" -eq 1 ] || fail "$v names the archive twice: $(cat "$W/found")"
        ! grep -q 'frame header' "$W/found" || fail "$v: $(cat "$W/found")"
    done
}

run_case cli "$@"
