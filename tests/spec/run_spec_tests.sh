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
PY=/usr/bin/python3           # Debian's interpreter, with python3-zstandard and python3-xxhash
READER="$HERE/spec_reader.py"

if ! $PY -c 'import zstandard, xxhash' 2>/dev/null; then
    echo "$PY lacks zstandard/xxhash: apt-get install -y python3-zstandard python3-xxhash" >&2
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
check_fails() {
    local what=$1; shift
    "$@" >"$WORK/last.out" 2>&1
    local rc=$?
    if [ $rc -ne 0 ] && ! grep -q '^Traceback' "$WORK/last.out"; then pass "$what (exit $rc)"
    else fail "$what (exit $rc)"; sed 's/^/      /' "$WORK/last.out" | head -20; fi
}
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

# adbk_lines FORM ARCHIVE: adbk list --json as the spec reader lists it: FORM
# "list" gives KIND SIZE XXH128 NAME, "long" NAME OWNER XATTRS (list --long's
# last three fields).
adbk_lines() {
    "$ADBK" list --json "$2" >"$WORK/adbk.json" || return 1
    $PY - "$1" "$WORK/adbk.json" <<'EOF'
import json, sys
for m in json.load(open(sys.argv[2], encoding="utf-8"))["members"]:
    if sys.argv[1] == "list":
        print(f"{m['kind']}\t{m['size']}\t{m['xxh128']}\t{m['name']}")
        continue
    owner = f"{m['uid']}:{m['gid']}:{m['user']}:{m['group']}" if "uid" in m else "-"
    attrs = ";".join(f"{a['name']}={a['base64']}" for a in m["xattrs"]) if "xattrs" in m else "-"
    print(f"{m['name']}\t{owner}\t{attrs}")
EOF
}

compare_list() {   # compare_list ARCHIVE [READER]: spec reader's list vs adbk list --json
    ${2:-reader} list "$1" >"$WORK/spec.list" || return 1
    adbk_lines list "$1" >"$WORK/adbk.list" || return 1
    agree members "$WORK/adbk.list" "$WORK/spec.list"
}

compare_extras() {   # owners and attributes (1.1): spec list --long vs adbk list --json
    reader list --long "$1" | cut -f4- >"$WORK/spec.long" || return 1
    adbk_lines long "$1" >"$WORK/adbk.long" || return 1
    agree "members' owners and attributes" "$WORK/adbk.long" "$WORK/spec.long"
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

# --- Golden vectors (format/vectors) ------------------------------------------------------
vector_test() {   # vector_test NAME: format/vectors/NAME.adbk
    local v="$VECTORS/$1.adbk" expected=""
    if [ ! -f "$v" ]; then
        fail "vector $1: no $v"
        return
    fi
    for e in "${v%.adbk}.json" "${v%.adbk}.expected.json" "$v.json" "$(dirname "$v")/expected.json"; do
        [ -f "$e" ] && { expected=$e; break; }
    done
    if [ -n "$expected" ] && $PY -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("intact", True) is False else 1)' "$expected" 2>/dev/null; then
        check_fails "vector $(basename "$v"): spec reader verify rejects it" reader verify "$v"
        return
    fi
    check "vector $(basename "$v"): spec reader verify" reader verify "$v"
    check "vector $(basename "$v"): adbk verify" "$ADBK" verify -q "$v"
    check "vector $(basename "$v"): spec list matches adbk list --json" compare_list "$v"
    check "vector $(basename "$v"): owners and attributes match adbk list --json" compare_extras "$v"
    # A 1.0 reader reads every 1.x archive: it ignores the fields it does not know.
    check "vector $(basename "$v"): strict 1.0 spec reader verify" \
        bash -c "out=\$($PY '$READER' --format 1.0 verify '$v') && [ \"\$out\" = OK ]"
    check "vector $(basename "$v"): strict 1.0 spec list matches adbk list --json" compare_list "$v" reader10
    check "vector $(basename "$v"): strict 1.0 spec cat equals 1.1 cat, every member" cat_all_agree "$v"
    if [ -n "$expected" ]; then
        check "vector $(basename "$v"): list matches $(basename "$expected")" $PY - "$READER" "$v" "$expected" <<'EOF'
import json, subprocess, sys
exp = json.load(open(sys.argv[3], encoding="utf-8"))
members = exp.get("members", exp if isinstance(exp, list) else [])
want = [f"{m['kind']}\t{m['size']}\t{m['xxh128']}\t{m['name']}" for m in members]
got = subprocess.run([sys.executable, sys.argv[1], "list", sys.argv[2]], capture_output=True,
                     text=True, check=True).stdout.splitlines()
sys.exit(0 if want == got else 1)
EOF
    fi
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
