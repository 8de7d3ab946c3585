#!/bin/bash
# Checks adbk against the independent spec reader (spec_reader.py, written from
# format/FORMAT.md alone). Usage: run_spec_tests.sh ADBK_BINARY [CASE]
# A case is one archive: NAME for each t_NAME function below (archives adbk
# makes, and damaged copies of one), or vector.NAME for format/vectors/NAME.adbk.
# ctest runs each case on its own (tests.cmake); without CASE, all run in turn.
# Prints "N passed, M failed" last; exits 1 if anything failed, 2 on usage errors.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ ! -x "$1" ]; then
    echo "usage: $0 ADBK_BINARY [CASE]" >&2
    exit 2
fi
ADBK=$(realpath "$1")
CASE=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
SELF="$HERE/$(basename "$0")"
VECTORS=$(realpath "$HERE/../../format/vectors")
PY=/usr/bin/python3           # Debian's interpreter, with python3-zstandard, python3-xxhash, python3-nacl
READER="$HERE/spec_reader.py"

if ! $PY -c 'import zstandard, xxhash, nacl.bindings' 2>/dev/null; then
    echo "$PY lacks zstandard/xxhash/nacl: apt-get install -y python3-zstandard python3-xxhash python3-nacl" >&2
    exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/adbk-spec.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; }
# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() { local what=$1; shift; if "$@" >"$WORK/last.out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/      /' "$WORK/last.out" | head -20; fi; }
# check_fails DESCRIPTION COMMAND...: passes when the command exits non-zero (but not by a crash).
# Its output stays in refusal.out, which `check WHAT says TEXT` reads.
check_fails() {
    local what=$1; shift
    "$@" >"$WORK/last.out" 2>&1
    local rc=$?
    cp "$WORK/last.out" "$WORK/refusal.out"   # for says, which a later check reads
    if [ $rc -ne 0 ] && ! grep -q '^Traceback' "$WORK/last.out"; then pass "$what (exit $rc)"
    else fail "$what (exit $rc)"; sed 's/^/      /' "$WORK/last.out" | head -20; fi
}
says() { grep -q -- "$1" "$WORK/refusal.out"; }   # the last refusal's output holds TEXT
reader() { $PY "$READER" "$@"; }
reader10() { $PY "$READER" --format 1.0 "$@"; }   # a strict 1.0 reader (FORMAT.md §3)

# --- Inputs -----------------------------------------------------------------------------
make_inputs() {
    mkdir -p in/tree/a/b/c in/tree/empty-dir "in/tree/with space"
    : >in/tree/empty1
    : >in/tree/a/b/c/empty2
    : >"in/tree/with space/empty3"
    head -c 4096 /dev/urandom >in/exact-4096.bin
    head -c 4095 /dev/urandom >in/exact-4095.bin
    head -c 4097 /dev/urandom >in/exact-4097.bin
    head -c $((4 * 1024 * 1024 - 1)) /dev/urandom >in/four-mib-minus-1.bin
    head -c $((4 * 1024 * 1024)) /dev/urandom >in/four-mib.bin
    head -c $((4 * 1024 * 1024 + 1)) /dev/urandom >in/four-mib-plus-1.bin
    head -c 300000 /dev/urandom >in/tree/a/random.bin
    for i in $(seq 1 20000); do echo "line $i: the quick brown fox jumps over the lazy dog"; done >in/tree/a/b/text.txt
    printf 'Grüße aus Köln — 日本語のファイル\n' >"in/tree/données-é-日本.txt"
    printf 'x' >in/one-byte
}

# --- Checks on one archive made by adbk -------------------------------------------------
# agree WHAT ADBK_LINES SPEC_LINES: two listings are the same line for line;
# else the first difference is shown.
agree() {
    $PY - "$@" <<'EOF'
import sys
theirs = open(sys.argv[2], encoding="utf-8").read().splitlines()
ours = open(sys.argv[3], encoding="utf-8").read().splitlines()
if theirs != ours:
    for a, b in zip(theirs + [""] * len(ours), ours + [""] * len(theirs)):
        if a != b:
            print(f"adbk:        {a!r}\nspec reader: {b!r}")
            break
    sys.exit(1)
print(f"{len(ours)} {sys.argv[1]} agree")
EOF
}

# Key options (--identity FILE, --trust KEY) that compare_list, compare_extras and
# compare_info give both readers; adbk and the spec reader take the same ones.
KEYOPTS=()

# adbk_lines FORM ARCHIVE: adbk list --json as the spec reader lists it: FORM
# "list" gives KIND SIZE XXH128 NAME, "long" NAME OWNER XATTRS (list --long's
# last three fields). A member of a locked encrypted archive (FORMAT.md 13.1)
# has no kind or hash: "encrypted SIZE - #N".
adbk_lines() {
    "$ADBK" list --json "${KEYOPTS[@]}" "$2" >"$WORK/adbk.json" || return 1
    $PY - "$1" "$WORK/adbk.json" <<'EOF'
import json, sys
for m in json.load(open(sys.argv[2], encoding="utf-8"))["members"]:
    if sys.argv[1] == "list":
        if "kind" not in m:
            print(f"encrypted\t{m['size']}\t-\t{m['name']}")
            continue
        print(f"{m['kind']}\t{m['size']}\t{m['xxh128']}\t{m['name']}")
        continue
    owner = f"{m['uid']}:{m['gid']}:{m['user']}:{m['group']}" if "uid" in m else "-"
    attrs = ";".join(f"{a['name']}={a['base64']}" for a in m["xattrs"]) if "xattrs" in m else "-"
    print(f"{m['name']}\t{owner}\t{attrs}")
EOF
}

compare_list() {   # compare_list ARCHIVE [READER]: spec reader's list vs adbk list --json
    ${2:-reader} list "${KEYOPTS[@]}" "$1" >"$WORK/spec.list" || return 1
    adbk_lines list "$1" >"$WORK/adbk.list" || return 1
    agree members "$WORK/adbk.list" "$WORK/spec.list"
}

compare_extras() {   # owners and attributes (1.1): spec list --long vs adbk list --json
    reader list --long "${KEYOPTS[@]}" "$1" | cut -f4- >"$WORK/spec.long" || return 1
    adbk_lines long "$1" >"$WORK/adbk.long" || return 1
    agree "members' owners and attributes" "$WORK/adbk.long" "$WORK/spec.long"
}

# compare_info ARCHIVE: the archive's own facts, spec reader's info against adbk
# list --json: version, id, time, tool, encryption (locked or not, recipients,
# Not_After), signature (signer, good or failing, trusted) and properties.
compare_info() {
    reader info "${KEYOPTS[@]}" "$1" >"$WORK/spec.info.raw" || return 1
    sed 's/^signature FAILS:.*/signature FAILS/' "$WORK/spec.info.raw" >"$WORK/spec.info"
    "$ADBK" list --json "${KEYOPTS[@]}" "$1" >"$WORK/adbk.json" || return 1
    $PY - "$WORK/adbk.json" >"$WORK/adbk.info" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
yes = lambda v: "yes" if v else "no"
print(f"format {a['format']}\nid {a['id']}\ncreated {a['created']}\nchunk_size {a['chunk_size']}")
print(f"tool {a['tool']}\nencrypted {yes(a['encrypted'])}")
if a["encrypted"]:
    print(f"locked {yes(a['locked'])}\nrecipients {a['recipients']}\nnot_after {a['not_after']}")
print(f"signed {yes(a['signed'])}")
if a["signed"]:
    print(f"signer {a['signer']}\nsignature {'good' if a['signature_ok'] else 'FAILS'}")
    print(f"trusted {yes(a['trusted'])}")
print(f"members {len(a['members'])}")
for k, v in a["properties"].items():
    print(f"property {k}={v}")
EOF
    agree "facts of the archive" "$WORK/adbk.info" "$WORK/spec.info"
}

cat_all_agree() {   # every member's content: the strict 1.0 reader's equals the 1.1 reader's
    reader list "$1" | while IFS=$'\t' read -r _kind _size _hash name; do
        cmp <(reader cat "$1" "$name") <(reader10 cat "$1" "$name") || exit 1
    done
}

zstd_dc_matches() {   # the spec's claim: zstd -dc prints all contents in archive order
    command -v zstd >/dev/null || { echo "no zstd program"; return 0; }
    zstd -q -t "$1" || return 1
    reader list "$1" | while IFS=$'\t' read -r kind size _hash name; do
        if [ "$size" -gt 0 ]; then reader cat "$1" "$name" || exit 1; fi
    done >"$WORK/concat" || return 1
    zstd -q -dc "$1" | cmp - "$WORK/concat"
}

test_archive() {   # test_archive LABEL ARCHIVE
    local label=$1 arc=$2
    check "$label: spec reader verify says OK" bash -c "out=\$($PY '$READER' verify '$arc') && [ \"\$out\" = OK ]"
    check "$label: adbk verify says OK" "$ADBK" verify -q "$arc"
    check "$label: spec list matches adbk list --json" compare_list "$arc"
    rm -rf "$WORK/x-$label"
    check "$label: spec extract succeeds" reader extract "$arc" "$WORK/x-$label"
    check "$label: extracted tree equals the input" diff -r in "$WORK/x-$label/in"
    check "$label: cat of exact-4096.bin" bash -c "$PY '$READER' cat '$arc' in/exact-4096.bin | cmp - in/exact-4096.bin"
    check "$label: cat of four-mib-plus-1.bin" bash -c "$PY '$READER' cat '$arc' in/four-mib-plus-1.bin | cmp - in/four-mib-plus-1.bin"
    check "$label: cat of a non-ASCII name" bash -c "$PY '$READER' cat '$arc' 'in/tree/données-é-日本.txt' | cmp - 'in/tree/données-é-日本.txt'"
    check "$label: cat of an empty file is empty" bash -c "[ -z \"\$($PY '$READER' cat '$arc' in/tree/empty1)\" ]"
    check_fails "$label: cat of a missing name fails" reader cat "$arc" in/no-such-member
    check "$label: zstd -t and zstd -dc agree with the members" zstd_dc_matches "$arc"
}

# --- Damage ---------------------------------------------------------------------------
# locate ARCHIVE WHAT: prints a file offset to damage, found from the seek table (§4).
locate() {
    $PY - "$1" "$2" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
frames = struct.unpack_from("<I", data, len(data) - 9)[0]
start = len(data) - (17 + 12 * frames)
entries = [struct.unpack_from("<III", data, start + 8 + 12 * k) for k in range(frames)]
offsets, at = [], 0
for c, _, _ in entries:
    offsets.append(at)
    at += c
chunks = [k for k, (c, d, _) in enumerate(entries) if d > 0]
what = sys.argv[2]
if what == "chunk":           # middle of the largest chunk frame
    k = max(chunks, key=lambda k: entries[k][0])
    print(offsets[k] + entries[k][0] // 2)
elif what == "first-chunk-header":   # the Frame_Header_Descriptor of the first chunk
    print(offsets[chunks[0]] + 4)
elif what == "member-record":  # a body byte of the member record before the first chunk
    print(offsets[chunks[0] - 1] + 14)
elif what == "member-end":    # the Size field of a member-end record
    print(offsets[chunks[0] + 1] + 12 + 9)
elif what == "header":        # Created in the header record
    print(12 + 24)
elif what == "index":         # the middle of the index record
    print(offsets[-1] + entries[-1][0] // 2)
elif what == "seek-checksum":  # Checksum of a chunk's seek-table entry
    print(start + 8 + 12 * chunks[0] + 8)
elif what == "seek-size":     # Compressed_Size of a chunk's seek-table entry
    print(start + 8 + 12 * chunks[-1])
elif what == "seek-count":    # Number_Of_Frames
    print(len(data) - 9)
EOF
}

flip_byte() {   # flip_byte FILE OFFSET
    $PY -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x5A]))' "$1" "$2"
}

# The archive the damage cases start from: inputs packed with 4 KiB chunks,
# made once per run.
archive_4k() {
    [ -f a.adbk ] || check "adbk create --chunk-size 4K" "$ADBK" create -q -o a.adbk --chunk-size 4K in
}

damage() {   # damage WHAT: one byte of a.adbk flipped (see locate), rejected by both
    local what=$1 off
    archive_4k
    cp a.adbk "$WORK/bad.adbk"
    off=$(locate a.adbk "$what")
    flip_byte "$WORK/bad.adbk" "$off"
    check_fails "damage $what (byte $off): spec reader verify" reader verify "$WORK/bad.adbk"
    check_fails "damage $what (byte $off): adbk verify" "$ADBK" verify -q "$WORK/bad.adbk"
}

unit_tests() {   # names (§6) checked by the reader itself
    $PY - "$HERE" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
from spec_reader import name_problem, display_name
bad = [b"", b"/abs", b"a//b", b"a/", b"./a", b"a/../b", b"..", b"a\\b", b"c:x",
       b"a\x00b", b"a\nb", b"a\x7fb", b"\xff\xfe", b"x" * 4096]
good = [b"a", b"a/b/c", "données/日本".encode(), b"...", b"a b", b"x" * 4095]
errors = [n for n in bad if name_problem(n) is None] + [n for n in good if name_problem(n)]
assert display_name(b"a\nb\\\xff") == "a\\x0ab\\x5c\\xff", display_name(b"a\nb\\\xff")
if errors:
    print("misjudged names:", errors)
    sys.exit(1)
EOF
}

crypto_unit_tests() {   # Bech32, HKDF and X25519 of the reader, against their published vectors
    $PY - "$HERE" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
from spec_reader import bech32_decode, hkdf_sha256, parse_key_text, x25519_base, bech32_encode
# BIP 173, "Test vectors": valid Bech32 strings, and invalid ones (the 90-character
# limit aside, which age's keys do not have).
valid = ["A12UEL5L", "a12uel5l",
         "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
         "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
         "11" + "q" * 82 + "c8247j",
         "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl"]
invalid = ["\x201nwldj5", "\x7f1axkwrx", "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v",
           "li1dgmt3", "de1lg7wt\xff", "A1G7SGD8", "10a06t8", "1qzzfhee"]
for s in valid:
    try:
        bech32_decode(s)
    except ValueError as e:
        sys.exit(f"valid Bech32 {s!r} refused: {e}")
for s in invalid:
    try:
        bech32_decode(s)
        sys.exit(f"invalid Bech32 {s!r} accepted")
    except ValueError:
        pass
# age v1, "The X25519 recipient type": the example identity and its recipient.
secret = parse_key_text("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
                        "age-secret-key-", "identity")
assert bech32_encode("age", x25519_base(secret)) == \
    "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
# RFC 5869, A.1.
okm = hkdf_sha256(bytes([0x0b] * 22), bytes(range(13)), bytes(range(0xf0, 0xfa)), 42)
assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                     "34007208d5b887185865"), okm.hex()
EOF
}

# --- Keys, encryption (FORMAT.md 13) and signatures (12) ---------------------------------
# Three age identities (id1.txt .. id3.txt) and one that no archive is for (id4.txt):
# age-keygen makes the first two when it is installed, the spec reader's Bech32 and
# X25519 the others, so that adbk reads both. A signing key (sign.key, public $SIGN_PUB)
# and another one no archive is signed with ($OTHER_PUB).
make_keys() {
    [ -f sign.key ] && return
    for i in 1 2 3 4; do
        if [ "$i" -le 2 ] && command -v age-keygen >/dev/null; then
            age-keygen -o "id$i.txt" 2>/dev/null
        else
            $PY - "$HERE" >"id$i.txt" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
from spec_reader import bech32_encode, x25519_base
secret = os.urandom(32)
print(f"# public key: {bech32_encode('age', x25519_base(secret))}")
print(bech32_encode("age-secret-key-", secret).upper())
EOF
        fi
    done
    "$ADBK" keygen -o other.key >/dev/null && "$ADBK" keygen -o sign.key >/dev/null
}
public_of() { sed -n 's/^# public key: //p' "$1"; }   # the public key a key file's comment names
keys() { make_keys; SIGN_PUB=$(public_of sign.key); OTHER_PUB=$(public_of other.key); }

# The archives: inputs packed with 4 KiB chunks, encrypted to one recipient (e1),
# to three (e3), signed (s), and both (es).
keyed_archive() {   # keyed_archive NAME CREATE-OPTIONS...
    local name=$1; shift
    keys
    [ -f "$name.adbk" ] || check "adbk create $*" "$ADBK" create -q -o "$name.adbk" --chunk-size 4K "$@" in
}
archive_e1() { keys; keyed_archive e1 -r "$(public_of id1.txt)"; }
archive_e3() { keys; keyed_archive e3 -r "$(public_of id1.txt)" -r "$(public_of id2.txt)" -r "$(public_of id3.txt)"; }
archive_s() { keyed_archive s --sign sign.key; }
archive_es() { keys; keyed_archive es -r "$(public_of id1.txt)" --sign sign.key; }

# locked_checks LABEL ARCHIVE: an encrypted archive read without a key (13.7).
locked_checks() {
    local label=$1 arc=$2
    KEYOPTS=()
    check "$label, no key: spec reader verify says OK" bash -c "out=\$($PY '$READER' verify '$arc') && [ \"\$out\" = OK ]"
    check "$label, no key: adbk verify" env -u ADBK_IDENTITY "$ADBK" verify -q "$arc"
    check "$label, no key: spec list matches adbk list --json (what is in clear)" compare_list "$arc"
    check "$label, no key: spec info matches adbk list --json" compare_info "$arc"
    check_fails "$label, no key: spec extract refuses" reader extract "$arc" "$WORK/x-$label-locked"
    check "$label, no key: spec extract says KEY" says '\[KEY\]'
    check_fails "$label, no key: adbk extract refuses" env -u ADBK_IDENTITY "$ADBK" extract -q "$arc" -C "$WORK/x-$label-locked2"
    check_fails "$label, a key that is no recipient's: spec list refuses" reader list --identity id4.txt "$arc"
    check "$label, a key that is no recipient's: spec says KEY" says '\[KEY\]'
    check_fails "$label, a key that is no recipient's: adbk list refuses" "$ADBK" list --identity id4.txt "$arc"
}

# keyed_checks LABEL ARCHIVE KEYOPTIONS...: read with those keys, every member equals
# its input (spec extract and adbk extract), and the listings agree.
keyed_checks() {
    local label=$1 arc=$2; shift 2
    KEYOPTS=("$@")
    check "$label: spec reader verify says OK" bash -c "out=\$($PY '$READER' verify $* '$arc') && [ \"\$out\" = OK ]"
    check "$label: adbk verify" "$ADBK" verify -q "$@" "$arc"
    check "$label: spec list matches adbk list --json" compare_list "$arc"
    check "$label: spec info matches adbk list --json" compare_info "$arc"
    rm -rf "$WORK/x-$label" "$WORK/y-$label"
    check "$label: spec extract succeeds" reader extract "$@" "$arc" "$WORK/x-$label"
    check "$label: spec's extracted tree equals the input" diff -r in "$WORK/x-$label/in"
    check "$label: adbk extract succeeds" "$ADBK" extract -q "$@" "$arc" -C "$WORK/y-$label"
    check "$label: adbk's extracted tree equals the input" diff -r in "$WORK/y-$label/in"
    check "$label: spec cat of four-mib-plus-1.bin" bash -c "$PY '$READER' cat $* '$arc' in/four-mib-plus-1.bin | cmp - in/four-mib-plus-1.bin"
    KEYOPTS=()
}

# signer_checks LABEL ARCHIVE [KEYOPTIONS...]: a signed archive against --trust.
signer_checks() {
    local label=$1 arc=$2; shift 2
    check "$label, trusting its signer: spec reader verify" bash -c "out=\$($PY '$READER' verify $* --trust '$SIGN_PUB' '$arc') && [ \"\$out\" = OK ]"
    check "$label, trusting its signer: adbk verify" "$ADBK" verify -q "$@" --trust "$SIGN_PUB" "$arc"
    KEYOPTS=("$@" --trust "$SIGN_PUB")
    check "$label, trusting its signer: spec info matches adbk list --json" compare_info "$arc"
    KEYOPTS=()
    check_fails "$label, trusting another key: spec list refuses" reader list "$@" --trust "$OTHER_PUB" "$arc"
    check "$label, trusting another key: spec says SIGNATURE" says '\[SIGNATURE\]'
    check_fails "$label, trusting another key: adbk list refuses" "$ADBK" list "$@" --trust "$OTHER_PUB" "$arc"
    check_fails "$label, trusting another key: spec verify fails" reader verify "$@" --trust "$OTHER_PUB" "$arc"
    check_fails "$label, trusting another key: adbk verify fails" "$ADBK" verify -q "$@" --trust "$OTHER_PUB" "$arc"
}

# tamper ARCHIVE OUT WHAT: a copy of ARCHIVE changed on purpose, the frames found
# through the spec reader's own parsers, and record checksums made right again
# where said, so that what is caught is the lie, not the checksum:
#   sealed-chunk   a byte of the first chunk record's ciphertext (checksum made right)
#   swap-chunks    two full chunk records of one member swapped, their clear
#                  Chunk_Index with them (checksums made right)
#   header-tool    a byte of the header's Tool (checksum made right)
#   span-digest    a byte of the last clear entry's Span_Digest (checksum made right)
#   signature      a byte of the Signature (checksum made right)
#   cut            the file cut in the middle
tamper() {
    $PY - "$HERE" "$@" <<'EOF'
import struct, sys
sys.path.insert(0, sys.argv[1])
import xxhash
import spec_reader as sr
src_path, out_path, what = sys.argv[2:5]
data = bytearray(open(src_path, "rb").read())
f = open(src_path, "rb")
arc = sr.open_from_tail(sr.Source(f), identities=[])
entries = sr.read_seek_entries(arc.src, arc.seek, 0, arc.seek.frame_count)
offsets, at = [], 0
for s in entries:
    offsets.append(at)
    at += s.compressed_size

def fix(offset):   # makes the Record_Checksum of the record at offset right again
    payload = struct.unpack_from("<I", data, offset + 4)[0]
    covered = bytes(data[offset + 8:offset + payload])
    struct.pack_into("<Q", data, offset + payload, xxhash.xxh3_64_intdigest(covered))

chunks = [k for k, o in enumerate(offsets) if data[o + 8:o + 12] == b"ACHK"]
index_at = offsets[-1]
if what == "sealed-chunk":
    o = offsets[chunks[0]]
    data[o + 12 + 16 + 5] ^= 0x01
    fix(o)
elif what == "swap-chunks":
    sizes = {}
    for k in chunks:
        sizes.setdefault((entries[k].compressed_size, bytes(data[offsets[k] + 12:offsets[k] + 20])), []).append(k)
    a, b = next(v for v in sizes.values() if len(v) >= 2)[:2]
    oa, ob, n = offsets[a], offsets[b], entries[a].compressed_size
    fa, fb = bytes(data[oa:oa + n]), bytes(data[ob:ob + n])
    data[oa:oa + n], data[ob:ob + n] = fb, fa
    # The clear fields stay as they were: each place keeps its own Chunk_Index.
    ia, ib = struct.unpack_from("<Q", fa, 20)[0], struct.unpack_from("<Q", fb, 20)[0]
    struct.pack_into("<Q", data, oa + 20, ia)
    struct.pack_into("<Q", data, ob + 20, ib)
    fix(oa)
    fix(ob)
elif what == "header-tool":
    payload = struct.unpack_from("<I", data, 4)[0]
    data[payload - 1] ^= 0x01       # the Tool's last byte, just before the checksum
    fix(0)
elif what == "span-digest":
    e = arc.index.entries[-1]
    size = struct.unpack_from("<I", data, e.offset_in_file)[0]
    data[e.offset_in_file + size - 1] ^= 0x01
    fix(index_at)
elif what == "signature":
    payload = struct.unpack_from("<I", data, index_at + 4)[0]
    data[index_at + payload - 10] ^= 0x01
    fix(index_at)
elif what == "cut":
    del data[len(data) // 2:]
open(out_path, "wb").write(data)
EOF
}

# tampered WHAT ARCHIVE-FUNCTION ARCHIVE: both readers reject the tampered copy,
# with and without the key; with it, the spec reader says why (REASON, e.g. AUTH) when
# one is given.
tampered() {
    local what=$1 make=$2 arc=$3 reason=${4:-}
    "$make"
    tamper "$arc" "$WORK/bad.adbk" "$what" || { fail "tamper $what"; return; }
    check_fails "$what: spec reader verify without a key" reader verify "$WORK/bad.adbk"
    check_fails "$what: adbk verify without a key" env -u ADBK_IDENTITY "$ADBK" verify -q "$WORK/bad.adbk"
    check_fails "$what: spec reader verify with the key" reader verify --identity id1.txt "$WORK/bad.adbk"
    if [ -n "$reason" ]; then
        check "$what: the spec reader says $reason" says "\\[$reason\\]"
    fi
    check_fails "$what: adbk verify with the key" "$ADBK" verify -q --identity id1.txt "$WORK/bad.adbk"
    check_fails "$what: spec reader extract with the key" reader extract --identity id1.txt --trust "$SIGN_PUB" "$WORK/bad.adbk" "$WORK/x-bad-$what"
    check_fails "$what: adbk extract with the key" "$ADBK" extract -q --identity id1.txt --trust "$SIGN_PUB" "$WORK/bad.adbk" -C "$WORK/y-bad-$what"
}

# The signed and encrypted hostile fixtures (tests/fixtures/hostile, made by an
# independent writer): the spec reader's verify, with the keys of expected.tsv,
# agrees with adbk's expected status: OK where adbk's verify is OK, refused where
# not, and for KEY, AUTH and SIGNATURE saying so.
hostile_agree() {
    $PY - "$READER" "$HERE/../fixtures/hostile" <<'EOF'
import subprocess, sys
reader, folder = sys.argv[1:3]
lines = open(f"{folder}/expected.tsv", encoding="utf-8").read().splitlines()[1:]
bad = 0
for line in lines:
    f = line.split("\t")
    name, verify, identity, trust = f[0], f[3], f[7], f[8]
    if not name.startswith(("enc-", "sig-")):
        continue
    opts = (["--identity", f"{folder}/{identity}"] if identity != "-" else []) + \
           (["--trust", f"{folder}/{trust}"] if trust != "-" else [])
    r = subprocess.run([sys.executable, reader, "verify", *opts, f"{folder}/{name}.adbk"],
                       capture_output=True, text=True)
    out = r.stdout + r.stderr
    ok = (r.returncode == 0) == (verify == "OK") and "Traceback" not in out
    if ok and verify in ("KEY", "AUTH", "SIGNATURE"):
        ok = f"[{verify}]" in out
    print(f"{'ok  ' if ok else 'FAIL'} {name}: adbk verify {verify}, spec reader exit "
          f"{r.returncode}: {out.strip().splitlines()[0] if out.strip() else ''}")
    bad += not ok
sys.exit(1 if bad else 0)
EOF
}

# --- Golden vectors (format/vectors) ------------------------------------------------------
# vector_keys NAME: the reader's key options of format/vectors/NAME.keys (--identity
# and --trust lines; their paths are relative to format/vectors), one a line.
vector_keys() {
    local keys="$VECTORS/$1.keys" opt arg
    [ -f "$keys" ] || return 0
    while read -r opt arg; do
        case $opt in --identity|--trust) printf '%s\n%s\n' "$opt" "$VECTORS/$arg" ;; esac
    done <"$keys"
}

# extracted_matches DIR NAME: every member of NAME.manifest extracted into DIR holds
# the bytes of its content file in format/vectors/NAME/ (an empty file when it has
# none); folders are folders.
extracted_matches() {
    $PY - "$1" "$VECTORS" "$2" <<'EOF'
import os, sys
out, vectors, name = sys.argv[1:4]
lines = open(os.path.join(vectors, name + ".manifest"), encoding="utf-8").read().splitlines()[1:]
for line in lines:
    f = line.split("\t")
    kind, member, content = f[0], f[4], f[6]
    path = os.path.join(out, member)
    if kind == "directory":
        if not os.path.isdir(path):
            sys.exit(f"{member}: not extracted as a folder")
        continue
    want = b"" if content == "-" else open(os.path.join(vectors, name, content), "rb").read()
    if open(path, "rb").read() != want:
        sys.exit(f"{member}: extracted bytes differ from {name}/{content}")
print(f"{len(lines)} members equal their content files")
EOF
}

expected_list() {   # expected_list NAME: the spec reader's list equals NAME.expected's first 4 columns
    local v=$1; shift
    reader list "$@" "$VECTORS/$v.adbk" >"$WORK/spec.list" || return 1
    cut -f1-4 "$VECTORS/$v.expected" >"$WORK/expected.list"
    agree "members (against $v.expected)" "$WORK/expected.list" "$WORK/spec.list"
}

vector_test() {   # vector_test NAME: format/vectors/NAME.adbk, read with the keys of NAME.keys
    local name=$1 v="$VECTORS/$1.adbk" label="vector $1"
    if [ ! -f "$v" ]; then
        fail "vector $1: no $v"
        return
    fi
    local keyopts=() encrypted=0 signed=0
    mapfile -t keyopts < <(vector_keys "$name")
    [ "$($PY -c 'import sys; d = open(sys.argv[1], "rb").read(20); print(d[12] | d[13] << 8)' "$v")" = 2 ] && encrypted=1
    case " ${keyopts[*]} " in *" --trust "*) signed=1 ;; esac
    KEYOPTS=("${keyopts[@]}")
    check "$label: spec reader verify" bash -c "out=\$($PY '$READER' verify ${keyopts[*]} '$v') && [ \"\$out\" = OK ]"
    check "$label: adbk verify" "$ADBK" verify -q "${keyopts[@]}" "$v"
    check "$label: spec list matches adbk list --json" compare_list "$v"
    check "$label: spec list matches $name.expected" expected_list "$name" "${keyopts[@]}"
    check "$label: owners and attributes match adbk list --json" compare_extras "$v"
    check "$label: spec info matches adbk list --json" compare_info "$v"
    rm -rf "$WORK/xv-$name" "$WORK/yv-$name"
    check "$label: spec extract" reader extract "${keyopts[@]}" "$v" "$WORK/xv-$name"
    check "$label: spec extracts the content files" extracted_matches "$WORK/xv-$name" "$name"
    check "$label: adbk extract" "$ADBK" extract -q "${keyopts[@]}" "$v" -C "$WORK/yv-$name"
    check "$label: adbk extracts the content files" extracted_matches "$WORK/yv-$name" "$name"
    KEYOPTS=()
    if [ "$signed" = 1 ]; then
        local idopts=() i
        for ((i = 0; i < ${#keyopts[@]}; i += 2)); do
            [ "${keyopts[i]}" = --identity ] && idopts+=(--identity "${keyopts[i + 1]}")
        done
        "$ADBK" keygen -o "$WORK/other.key" >/dev/null
        check_fails "$label: spec list trusting another signer refuses" \
            reader list "${idopts[@]}" --trust "$(public_of "$WORK/other.key")" "$v"
        check "$label: spec says SIGNATURE" says '\[SIGNATURE\]'
        check_fails "$label: adbk list trusting another signer refuses" \
            "$ADBK" list "${idopts[@]}" --trust "$(public_of "$WORK/other.key")" "$v"
    fi
    if [ "$encrypted" = 1 ]; then
        # Without a key: the clear parts (FORMAT.md 13.7); a 1.x reader refuses 2.0.
        check "$label, no key: spec reader verify" bash -c "out=\$($PY '$READER' verify '$v') && [ \"\$out\" = OK ]"
        check "$label, no key: adbk verify" env -u ADBK_IDENTITY "$ADBK" verify -q "$v"
        check "$label, no key: spec list matches adbk list --json" compare_list "$v"
        check "$label, no key: spec info matches adbk list --json" compare_info "$v"
        check_fails "$label: strict 1.0 spec reader refuses 2.0" reader10 list "$v"
        check "$label: it says the format is newer" says 'newer than this reader'
        return
    fi
    # A 1.0 reader reads every 1.x archive: it ignores the fields it does not know.
    check "$label: strict 1.0 spec reader verify" \
        bash -c "out=\$($PY '$READER' --format 1.0 verify '$v') && [ \"\$out\" = OK ]"
    check "$label: strict 1.0 spec list matches adbk list --json" compare_list "$v" reader10
    check "$label: strict 1.0 spec cat equals 1.2 cat, every member" cat_all_agree "$v"
}

# --- Cases: one archive each ---------------------------------------------------------------
t_reader() {   # the reader itself: names, usage, a file that is no archive
    check "reader judges names as §6 says" unit_tests
    check "usage error exits 2" bash -c "$PY '$READER' frobnicate x; [ \$? -eq 2 ]"
    check_fails "a non-archive is refused" reader list in/exact-4096.bin
}
t_adbk_chunk_4k() { archive_4k; test_archive chunk4k a.adbk; }
t_adbk_default() {
    check "adbk create with defaults" "$ADBK" create -q -o b.adbk in
    test_archive default b.adbk
}
t_adbk_empty_folder() {
    check "adbk create of a single empty folder" "$ADBK" create -q -o c.adbk in/tree/empty-dir
    check "single empty folder: spec reader verify" reader verify c.adbk
    check "single empty folder: list matches" compare_list c.adbk
}
t_adbk_owner_xattrs() {   # adbk create --owner --xattrs of a folder with attributes and ACLs
    mkdir -p ox/sub && printf 'acl\n' >ox/a.txt && printf 'x' >ox/sub/b.bin
    if ! setfattr -n user.adbk -v 0x00ff00 ox/a.txt 2>/dev/null; then
        echo "skip  adbk_owner_xattrs: setfattr cannot set user attributes here"
        return
    fi
    setfacl -m u:1234:rwx ox/a.txt 2>/dev/null || true
    setfacl -d -m g:4321:rx ox/sub 2>/dev/null || true
    chown 1234:4321 ox/sub/b.bin 2>/dev/null || true
    check "adbk create --owner --xattrs" "$ADBK" create -q --owner --xattrs -o ox.adbk ox
    check "owner and attributes: spec reader verify" reader verify ox.adbk
    check "owner and attributes: strict 1.0 spec reader verify" reader10 verify ox.adbk
    check "owner and attributes: spec list matches adbk list --json" compare_list ox.adbk
    check "owner and attributes: spec list --long matches adbk list --json" compare_extras ox.adbk
    check "owner and attributes: the spec reader lists the user attribute" \
        bash -c "$PY '$READER' list --long ox.adbk | grep -q 'user.adbk=AP8A'"
}
t_damage_chunk() { damage chunk; }
t_damage_first_chunk_header() { damage first-chunk-header; }
t_damage_member_record() { damage member-record; }
t_damage_member_end() { damage member-end; }
t_damage_header() { damage header; }
t_damage_index() { damage index; }
t_damage_seek_checksum() { damage seek-checksum; }
t_damage_seek_size() { damage seek-size; }
t_damage_seek_count() { damage seek-count; }
t_truncated_by_1_byte() {
    archive_4k
    head -c $(($(stat -c %s a.adbk) - 1)) a.adbk >"$WORK/bad.adbk"
    check_fails "truncated by 1 byte: spec reader verify" reader verify "$WORK/bad.adbk"
    check_fails "truncated by 1 byte: adbk verify" "$ADBK" verify -q "$WORK/bad.adbk"
    check_fails "truncated by 1 byte: spec reader list" reader list "$WORK/bad.adbk"
}
t_one_byte_appended() {
    archive_4k
    { cat a.adbk; printf '\0'; } >"$WORK/bad.adbk"
    check_fails "one byte appended: spec reader verify" reader verify "$WORK/bad.adbk"
    check_fails "one byte appended: adbk verify" "$ADBK" verify -q "$WORK/bad.adbk"
}
# Damage inside one member: cat of another member still works, cat of it fails.
t_damaged_chunk_spares_the_other_members() {
    archive_4k
    cp a.adbk "$WORK/bad.adbk"
    flip_byte "$WORK/bad.adbk" "$(locate a.adbk chunk)"
    reader list a.adbk | while IFS=$'\t' read -r kind size _hash name; do
        [ "$kind" = file ] || continue
        if reader cat "$WORK/bad.adbk" "$name" >/dev/null 2>&1; then echo "$name"; fi
    done >"$WORK/intact-members"
    check "damaged chunk: cat still reads the other members" \
        test "$(wc -l <"$WORK/intact-members")" -eq "$(($(reader list a.adbk | grep -c '^file')-1))"
}

t_encrypted_one_recipient() {   # 13: adbk create -r, read with and without the key
    archive_e1
    locked_checks e1 e1.adbk
    keyed_checks "encrypted to one" e1.adbk --identity id1.txt
}
t_encrypted_three_recipients() {   # each of three recipients opens it
    archive_e3
    locked_checks e3 e3.adbk
    for i in 1 2 3; do keyed_checks "encrypted to three, key $i" e3.adbk --identity "id$i.txt"; done
    check "encrypted to three: spec info says 3 recipients" bash -c "$PY '$READER' info e3.adbk | grep -qx 'recipients 3'"
}
t_signed() {   # 12: adbk create --sign; a 1.0 reader reads it and ignores the signature
    archive_s
    test_archive signed s.adbk
    signer_checks signed s.adbk
    check "signed: strict 1.0 spec reader verify" bash -c "out=\$($PY '$READER' --format 1.0 verify s.adbk) && [ \"\$out\" = OK ]"
    check "signed: strict 1.0 spec list matches adbk list --json" compare_list s.adbk reader10
    check "signed: spec info names the signer adbk keygen printed" bash -c "$PY '$READER' info s.adbk | grep -qx 'signer $SIGN_PUB'"
}
t_encrypted_signed() {   # both: locked, keyed, trusted
    archive_es
    locked_checks es es.adbk
    keyed_checks "encrypted and signed" es.adbk --identity id1.txt
    signer_checks "encrypted and signed, no key" es.adbk
    signer_checks "encrypted and signed, keyed" es.adbk --identity id1.txt
}
t_crypto_primitives() { check "Bech32, HKDF and X25519 against their published vectors" crypto_unit_tests; }
t_tamper_sealed_chunk() { tampered sealed-chunk archive_es es.adbk AUTH; }
t_tamper_swapped_chunks() { tampered swap-chunks archive_es es.adbk AUTH; }
t_tamper_header_tool() {
    tampered header-tool archive_es es.adbk AUTH
    check_fails "header-tool: spec list with the key refuses" reader list --identity id1.txt "$WORK/bad.adbk"
    check "header-tool: spec says AUTH at open" says '\[AUTH\]'
    check_fails "header-tool: adbk list with the key refuses" "$ADBK" list --identity id1.txt "$WORK/bad.adbk"
    check_fails "header-tool: spec list trusting the signer refuses" reader list --trust "$SIGN_PUB" "$WORK/bad.adbk"
    check "header-tool: spec says SIGNATURE" says '\[SIGNATURE\]'
    check_fails "header-tool: adbk list trusting the signer refuses" "$ADBK" list --trust "$SIGN_PUB" "$WORK/bad.adbk"
}
t_tamper_span_digest() { tampered span-digest archive_es es.adbk SIGNATURE; }
t_tamper_signature() {
    tampered signature archive_es es.adbk SIGNATURE
    check_fails "signature: spec list trusting the signer refuses" reader list --trust "$SIGN_PUB" "$WORK/bad.adbk"
    check_fails "signature: adbk list trusting the signer refuses" "$ADBK" list --trust "$SIGN_PUB" "$WORK/bad.adbk"
}
t_tamper_cut() { tampered cut archive_es es.adbk; }
t_hostile_signed_encrypted() {
    check "hostile signed and encrypted fixtures: spec reader verify agrees with adbk's" hostile_agree
}

# --- Run ------------------------------------------------------------------------------------
case "$CASE" in
"")
    make_inputs
    for c in $(sed -n 's/^t_\([a-z0-9_]*\)().*/\1/p' "$SELF"); do "t_$c"; done
    shopt -s nullglob
    vectors=("$VECTORS"/*.adbk)
    [ ${#vectors[@]} -gt 0 ] || echo "skip  no golden vectors in $VECTORS"
    for v in "${vectors[@]}"; do vector_test "$(basename "$v" .adbk)"; done
    ;;
vector.*)
    vector_test "${CASE#vector.}"
    ;;
*)
    if [ "$(type -t "t_$CASE")" != function ]; then
        echo "no case $CASE in $0" >&2
        exit 2
    fi
    make_inputs
    "t_$CASE"
    ;;
esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
