#!/bin/sh
# crypto_cli.sh CASE - our X25519 stanza and key parsing (format/lib/crypto.c,
# keys.c) against the real age and age-keygen: age opens what we wrap, we
# open what age wraps, and we read the key files age-keygen writes. Each
# t_NAME function is one ctest case; without age installed each is skipped.
# Environment: AGE_INTEROP (tests/crypto/age_interop.c), ADBK_TEST_TMP.
set -eu

. "$(dirname "$0")/../lib.sh"

need_age() {
    command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 ||
        skip "age is not installed (Debian package age: tools/setup.sh installs it)"
}

# Inputs of the sizes where STREAM's chunking has edges: empty, one byte,
# exactly one 64 KiB chunk, and several chunks with a short last one.
make_inputs() {
    : > "$W/in.0"
    printf x > "$W/in.1"
    head -c 65536 /dev/urandom > "$W/in.65536"
    head -c 200000 /dev/urandom > "$W/in.200000"
}

t_age_decrypts_what_we_wrap() {
    need_age
    age-keygen -o "$W/key.txt" 2>/dev/null
    recipient=$(age-keygen -y "$W/key.txt")
    make_inputs
    for size in 0 1 65536 200000; do
        "$AGE_INTEROP" encrypt "$recipient" "$W/in.$size" "$W/out.$size.age" ||
            fail "age_interop encrypt failed ($size bytes)"
        # To stdout: age -o creates no file for an empty plaintext.
        age -d -i "$W/key.txt" "$W/out.$size.age" >"$W/got.$size" 2>"$W/err" ||
            fail "age -d refused our file of $size bytes: $(cat "$W/err")"
        cmp -s "$W/in.$size" "$W/got.$size" || fail "age -d gave other bytes ($size bytes)"
    done
}

t_we_decrypt_what_age_wraps() {
    need_age
    age-keygen -o "$W/key.txt" 2>/dev/null
    recipient=$(age-keygen -y "$W/key.txt")
    make_inputs
    for size in 0 1 65536 200000; do
        age -r "$recipient" -o "$W/out.$size.age" "$W/in.$size"
        "$AGE_INTEROP" decrypt "$W/key.txt" "$W/out.$size.age" "$W/got.$size" ||
            fail "age_interop could not open age's file of $size bytes"
        cmp -s "$W/in.$size" "$W/got.$size" || fail "decrypted other bytes ($size bytes)"
    done
}

# A file age wrapped for two recipients opens with either key file, and a
# file for neither opens with none.
t_we_unwrap_only_our_stanza() {
    need_age
    age-keygen -o "$W/a.txt" 2>/dev/null
    age-keygen -o "$W/b.txt" 2>/dev/null
    age-keygen -o "$W/c.txt" 2>/dev/null
    make_inputs
    age -r "$(age-keygen -y "$W/a.txt")" -r "$(age-keygen -y "$W/b.txt")" \
        -o "$W/ab.age" "$W/in.200000"
    for k in a b; do
        "$AGE_INTEROP" decrypt "$W/$k.txt" "$W/ab.age" "$W/got.$k" ||
            fail "key $k could not open a file wrapped for it"
        cmp -s "$W/in.200000" "$W/got.$k" || fail "key $k decrypted other bytes"
    done
    expect_rc 1 "$AGE_INTEROP" decrypt "$W/c.txt" "$W/ab.age" "$W/got.c"
    grep -q "opens with" "$W/err" || fail "no word of the unopened stanza: $(cat "$W/err")"
}

# age -d refuses our file for a key it was not wrapped for: the stanza is
# bound to its recipient.
t_age_refuses_our_file_for_another_key() {
    need_age
    age-keygen -o "$W/a.txt" 2>/dev/null
    age-keygen -o "$W/b.txt" 2>/dev/null
    make_inputs
    "$AGE_INTEROP" encrypt "$(age-keygen -y "$W/a.txt")" "$W/in.1" "$W/a.age"
    if age -d -i "$W/b.txt" -o "$W/got" "$W/a.age" 2>/dev/null; then
        fail "age opened a file wrapped for another key"
    fi
}

# age-keygen's file ("# created:" and "# public key:" comments, then the
# secret key) parses as identities, and its recipient is the one age-keygen
# wrote in the comment and prints with -y.
t_age_keygen_file_gives_its_public_key() {
    need_age
    for i in 1 2 3; do
        age-keygen -o "$W/key$i.txt" 2>/dev/null
        grep -q '^# created: ' "$W/key$i.txt" || fail "age-keygen wrote no '# created:' line"
        want=$(sed -n 's/^# public key: //p' "$W/key$i.txt")
        [ -n "$want" ] || fail "age-keygen wrote no '# public key:' line"
        got=$("$AGE_INTEROP" recipient-of "$W/key$i.txt") || fail "the key file did not parse"
        [ "$got" = "$want" ] || fail "recipient $got, age-keygen says $want"
        [ "$got" = "$(age-keygen -y "$W/key$i.txt")" ] || fail "age-keygen -y disagrees"
    done
}

run_case crypto_cli "$@"
