# lib.sh - what the shell test suites share (POSIX sh). A suite sets -eu,
# sources this file from its own folder's parent:
#
#     . "$(dirname "$0")/../lib.sh"
#
# defines its cases as t_NAME functions (each one ctest case, run as
# `sh SCRIPT NAME`) and ends with `run_case PREFIX "$@"`. A case works in $W,
# a scratch folder of its own; fail stops it, skip skips it (exit 77).

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

expect_rc() { # expect_rc WANT CMD... : runs CMD, checks its exit code
    want=$1; shift
    set +e; "$@" >"$W/out" 2>"$W/err"; rc=$?; set -e
    [ "$rc" -eq "$want" ] || { cat "$W/err" >&2; fail "'$*' exited $rc, expected $want"; }
}

# flip FILE OFFSET: inverts every bit of one byte, so the byte always changes.
flip() {
    /usr/bin/python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xFF]))' "$1" "$2"
}

# The closed logs a backup holds (checkpoint generation on) of the DC in
# $W/dc, into $W/logs.before: only truncation may delete those; older ones
# the DC recycles by itself.
held_logs() {
    cp=$(sed -n 's/^checkpoint_gen=//p' "$W/dc/dcsim.ini")
    for f in $(cd "$W/dc" && ls edb?????.log); do
        g=${f#edb}; g=${g%.log}
        [ $((0x$g)) -lt $((cp)) ] || echo "$f"
    done > "$W/logs.before"
    [ -s "$W/logs.before" ] || fail "the DC holds no closed log"
}

# expect_interrupted SIG: sends SIG to the program started in the background
# as $pid (its stderr in $W/err), which must exit 2 saying it was interrupted.
expect_interrupted() {
    kill "-$1" "$pid"
    set +e; wait "$pid"; rc=$?; set -e
    [ $rc -eq 2 ] || fail "exit $rc after SIG$1: $(cat "$W/err")"
    grep -q "interrupted" "$W/err" || fail "no word of the interruption: $(cat "$W/err")"
}

# What a suite must undo before $W goes (a mount, say): it defines its own.
cleanup() { :; }

# run_case PREFIX CASE: runs t_CASE in a new folder $W (PREFIX.CASE.XXXXXX
# under $ADBK_TEST_TMP), removed afterwards, after the suite's cleanup.
run_case() {
    prefix=$1; shift
    case_name=${1:?usage: ${0##*/} CASE}
    W=$(mktemp -d "${ADBK_TEST_TMP:-/tmp}/$prefix.$case_name.XXXXXX")
    trap 'cleanup; rm -rf "$W"' EXIT
    "t_$case_name"
    echo "ok $case_name"
}
