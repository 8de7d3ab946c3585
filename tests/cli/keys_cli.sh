#!/bin/sh
# keys_cli.sh CASE - encryption and signatures as a user meets them: keys
# made by age's own age-keygen and by `adbk keygen`, archives encrypted to
# them and signed, read with and without the keys, and refused when they are
# not what --trust asks for. Each t_NAME function is one ctest case.
# Environment: ADBK, ADBK_VERIFY (programs), ADBK_TEST_TMP (scratch).
set -eu

. "$(dirname "$0")/../lib.sh"

need_age() { command -v age-keygen >/dev/null 2>&1 || skip "age-keygen is not installed (tools/setup.sh installs age)"; }

# age_key NAME: $W/NAME.key (an identity file) and $W/NAME.pub (its recipient).
age_key() {
    age-keygen -o "$W/$1.key" 2>/dev/null
    sed -n 's/^# public key: //p' "$W/$1.key" > "$W/$1.pub"
    grep -q '^age1' "$W/$1.pub" || fail "age-keygen gave no public key"
}

# A folder of files worth hiding: names and contents.
make_tree() {
    mkdir -p "$W/in/secret-folder"
    head -c 200000 /dev/urandom > "$W/in/secret-folder/ntds.dit"
    seq 1 50000 | sed 's/^/password-hash-/' > "$W/in/secret-folder/hashes.txt"
}

t_keygen_writes_a_private_key_file_and_prints_the_public_key() {
    expect_rc 0 "$ADBK" keygen -o "$W/s.key"
    grep -q '^adbk-sign1' "$W/out" || fail "no public key printed: $(cat "$W/out")"
    [ "$(stat -c %a "$W/s.key")" = 600 ] || fail "the secret key file is $(stat -c %a "$W/s.key")"
    grep -q '^ADBK-SIGN-SECRET-KEY-1' "$W/s.key" || fail "no secret key in the file"
    grep -q "^# public key: $(cat "$W/out")" "$W/s.key" || fail "the file does not name its public key"
    ! grep -q 'ADBK-SIGN-SECRET' "$W/out" || fail "the secret key went to standard output"
    expect_rc 2 "$ADBK" keygen -o "$W/s.key"
    grep -q "use -f" "$W/err" || fail "an existing key file is replaced: $(cat "$W/err")"
}

# Encrypted to an age key: listed and verified with no key (names and
# contents hidden), extracted only with it, from a file, a descriptor or the
# environment.
t_encrypted_archive_is_read_only_with_the_key() {
    need_age
    age_key a
    make_tree
    "$ADBK" create -q -o "$W/e.adbk" -r "$(cat "$W/a.pub")" "$W/in/secret-folder"
    ! grep -q "secret-folder\|password-hash" "$W/e.adbk" || fail "a name or content is in the clear"
    expect_rc 0 "$ADBK" list "$W/e.adbk"
    grep -q "encrypted to 1 recipient; locked" "$W/out" || fail "$(cat "$W/out")"
    ! grep -q "ntds.dit" "$W/out" || fail "a name shows without the key"
    expect_rc 0 "$ADBK" verify "$W/e.adbk"
    grep -q "OK without a key" "$W/out" || fail "$(cat "$W/out")"
    expect_rc 0 "$ADBK_VERIFY" verify "$W/e.adbk"
    expect_rc 2 "$ADBK" extract "$W/e.adbk" -C "$W/x"
    grep -q "needs a recipient's secret key" "$W/err" || fail "$(cat "$W/err")"
    expect_rc 0 "$ADBK" extract -q -i "$W/a.key" "$W/e.adbk" -C "$W/x1"
    diff -r "$W/in/secret-folder" "$W/x1/secret-folder" || fail "extracted with the key file: differs"
    expect_rc 0 "$ADBK" extract -q --identity-fd 3 "$W/e.adbk" -C "$W/x2" 3< "$W/a.key"
    diff -r "$W/in/secret-folder" "$W/x2/secret-folder" || fail "extracted with --identity-fd: differs"
    ADBK_IDENTITY=$(grep AGE-SECRET "$W/a.key") expect_rc 0 "$ADBK" extract -q "$W/e.adbk" -C "$W/x3"
    diff -r "$W/in/secret-folder" "$W/x3/secret-folder" || fail "extracted with ADBK_IDENTITY: differs"
    expect_rc 0 "$ADBK" list -i "$W/a.key" --json "$W/e.adbk"
    /usr/bin/python3 - "$W/out" <<'PY' || fail "list --json with the key: $(cat "$W/out")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["encrypted"] and not j["locked"] and j["format"] == "2.0", j
assert [m["name"] for m in j["members"]] == ["secret-folder", "secret-folder/hashes.txt", "secret-folder/ntds.dit"], j["members"]
PY
}

# Two recipients, from a recipients file: either key opens it, a third does not.
t_each_recipient_opens_it_and_no_other_key() {
    need_age
    age_key a; age_key b; age_key c
    make_tree
    { echo "# the backup team"; cat "$W/a.pub"; echo; cat "$W/b.pub"; } > "$W/recipients"
    "$ADBK" create -q -o "$W/e.adbk" -R "$W/recipients" "$W/in"
    for k in a b; do
        expect_rc 0 "$ADBK" verify -q -i "$W/$k.key" "$W/e.adbk"
    done
    expect_rc 2 "$ADBK" verify -i "$W/c.key" "$W/e.adbk"
    grep -q "encrypted to 2 recipients, and none of the 1 key given opens it" "$W/err" ||
        fail "$(cat "$W/err")"
    ! grep -q "AGE-SECRET" "$W/err" || fail "a secret key is in a message"
}

# Signed: --trust accepts the signer's key and refuses another's, an unsigned
# archive, and a damaged signature, with exit 1 and the reason.
t_trust_accepts_the_signer_only() {
    "$ADBK" keygen -o "$W/s.key" > "$W/s.pub"
    "$ADBK" keygen -o "$W/o.key" > "$W/o.pub"
    make_tree
    "$ADBK" create -q -o "$W/s.adbk" --sign "$W/s.key" "$W/in"
    "$ADBK" create -q -o "$W/u.adbk" "$W/in"
    expect_rc 0 "$ADBK_VERIFY" verify --trust "$(cat "$W/s.pub")" "$W/s.adbk"
    grep -q "signed by a trusted key" "$W/out" || fail "$(cat "$W/out")"
    cp "$W/s.pub" "$W/trusted.pub"
    expect_rc 0 "$ADBK" verify -q --trust "$W/trusted.pub" "$W/s.adbk"
    expect_rc 2 "$ADBK" verify --trust "$W/s.key" "$W/s.adbk"
    grep -q "a secret key where a public key belongs" "$W/err" || fail "$(cat "$W/err")"
    expect_rc 1 "$ADBK_VERIFY" verify --trust "$(cat "$W/o.pub")" "$W/s.adbk"
    grep -q "which is not a trusted key" "$W/err" || fail "$(cat "$W/err")"
    expect_rc 1 "$ADBK" extract --trust "$(cat "$W/s.pub")" "$W/u.adbk" -C "$W/x"
    grep -q "is not signed" "$W/err" || fail "$(cat "$W/err")"
    [ ! -e "$W/x" ] || [ -z "$(ls -A "$W/x")" ] || fail "something was extracted from an unsigned archive"
    expect_rc 0 "$ADBK" list --json "$W/s.adbk"
    grep -q "\"signer\":\"$(cat "$W/s.pub")\"" "$W/out" || fail "the listing does not name the signer"
    expect_rc 2 "$ADBK" extract --salvage --trust "$(cat "$W/s.pub")" "$W/s.adbk" -C "$W/y"
    grep -q "carries no signature" "$W/err" || fail "$(cat "$W/err")"
}

# Stock zstd sees only skippable frames in an encrypted archive: it passes
# and prints nothing (FORMAT.md 13.1).
t_stock_zstd_sees_nothing_of_an_encrypted_archive() {
    need_age
    age_key a
    make_tree
    "$ADBK" create -q -o "$W/e.adbk" -r "$(cat "$W/a.pub")" "$W/in"
    zstd -t -q "$W/e.adbk" || fail "zstd -t rejected the encrypted archive"
    [ "$(zstd -dc "$W/e.adbk" | wc -c)" -eq 0 ] || fail "zstd -dc printed content"
}

# A key given where another kind belongs is refused, naming what it is.
t_wrong_kind_of_key_is_refused() {
    need_age
    age_key a
    expect_rc 2 "$ADBK" create -o "$W/e.adbk" -r "$(grep AGE-SECRET "$W/a.key")" "$W/a.key"
    grep -q "recipient" "$W/err" || fail "$(cat "$W/err")"
    ! grep -q "AGE-SECRET" "$W/err" || fail "the secret key is repeated in the message"
    [ ! -e "$W/e.adbk" ] || fail "an archive was written"
    expect_rc 2 "$ADBK" list -i "$W/a.pub" "$W/a.key"
    grep -q "a.pub" "$W/err" || fail "the key file is not named: $(cat "$W/err")"
}

run_case keys "$@"
