#!/bin/sh
# Makes the fuzz seeds of encrypted (2.0) and signed (1.2) archives in
# tests/fuzz/seeds/, with the fixed test keys of fuzz_common.h (published test
# keys: they protect nothing). Encryption draws a new File_Key and Archive_Id
# each time, so the seeds differ from run to run; the committed ones are
# those the corpus was grown from. A few KiB each: 4 KiB chunks, a folder, a
# file of two chunks, a short one and an empty one.
#
# Usage: tests/fuzz/make-seeds.sh ADBK   (the adbk program, e.g. build/tools/adbk)
set -eu
adbk=${1:?usage: make-seeds.sh ADBK}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/tests/fuzz/seeds
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT

# The keys of fuzz_common.h: FUZZ_AGE_IDENTITY's recipient, another
# recipient (age-keygen's), FUZZ_SIGN_SECRET.
age=age1ug2n73cs727nsyp5ly8uznwm389fl32thp9lknmg7z6n0rqmcqwsqp270l
other=age17yxskush5tqkch24eep4ut7f5djd4frx6y37uagfh4tf038f4p3qr3twwn
awk '/^#define FUZZ_SIGN_SECRET/ { getline; gsub(/[ "]/, ""); print }' \
    "$top/tests/fuzz/fuzz_common.h" > "$w/sign.key"

mkdir -p "$w/t/d" "$out"
i=0
while [ $i -lt 200 ]; do echo "line $i of a text that compresses well"; i=$((i + 1)); done \
    > "$w/t/d/two-chunks.txt"
echo "a short file" > "$w/t/short.txt"
: > "$w/t/empty"
touch -d '2024-01-02 03:04:05 UTC' "$w/t/d/two-chunks.txt" "$w/t/short.txt" "$w/t/empty" \
    "$w/t/d" "$w/t"

cd "$w"
"$adbk" create -q --chunk-size 4K -r "$age" -o "$out/enc.adbk" t
"$adbk" create -q --chunk-size 4K -r "$age" --sign "$w/sign.key" -o "$out/enc-signed.adbk" t
"$adbk" create -q --chunk-size 4K -r "$other" -r "$age" -o "$out/enc-two-recipients.adbk" t
"$adbk" create -q --chunk-size 4K --sign "$w/sign.key" -o "$out/signed.adbk" t
# Damaged ones, for salvage: cut in the middle, and a chunk record's byte
# flipped (its checksum then fails).
size=$(wc -c < "$out/enc.adbk")
head -c $((size / 2)) "$out/enc.adbk" > "$out/enc-cut.adbk"
cp "$out/enc-signed.adbk" "$out/enc-signed-flipped.adbk"
/usr/bin/python3 -c 'import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 3] ^= 0xFF
open(p, "wb").write(b)' "$out/enc-signed-flipped.adbk"
ls -l "$out"
