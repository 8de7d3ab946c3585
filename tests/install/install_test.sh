#!/bin/sh
# What `cmake --install` and the Debian packages put in place (issue 16):
# the man pages render without a warning and name every option each
# command's --help shows, the bash completion offers every command and
# option, the shared library exports exactly the functions adbk_format.h
# marks ADBK_API, and a program outside the tree builds against an
# installed copy with pkg-config alone, or with CMake's find_package.
# Environment (tests.cmake): ADBK, ADBK_VERIFY, ADBK_MAN_DIR (empty when
# scdoc was not found), ADBK_FORMAT_SO, ADBK_BUILD_DIR, ADBK_SOURCE_DIR,
# ADBK_SANITIZED (non-empty in sanitizer and fuzzing builds).
set -eu
. "$(dirname "$0")/../lib.sh"
completion="$ADBK_SOURCE_DIR/tools/completion/adbk.bash"
header="$ADBK_SOURCE_DIR/format/include/adbk_format.h"

# The commands `adbk --help` lists, one a line.
commands() {
    "$ADBK" --help | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }'
}

# The options a --help text (on stdin) shows, one a line: every --long
# option anywhere in it, and the short ones it lists ("  -o, --output").
help_options() {
    tee "$W/help" | grep -oE -- '--[a-z0-9][a-z0-9-]*' || true
    sed -n 's/^ *\(-[A-Za-z0-9]\),.*/\1/p' "$W/help"
}

# accepts PROGRAM COMMAND OPTION: whether the command takes the option
# (--help may also name an option of another command, "--sign ... (--trust)").
# The option is given an argument and followed by --help, so that nothing
# runs: a command parses its options before it does anything.
accepts() {
    ! "$1" "$2" "$3" x --help </dev/null 2>&1 >/dev/null |
        grep -qE 'unknown option|unrecognized option|invalid option'
}

# The options of OPTIONS_FILE that PROGRAM COMMAND takes.
accepted() {
    for o in $(sort -u "$3"); do
        if accepts "$1" "$2" "$o"; then echo "$o"; fi
    done
}

# A man page as a reader sees it, in plain text, each paragraph on one line
# (so that no option is broken at one of its hyphens).
man_text() {
    LC_ALL=C.UTF-8 MANWIDTH=1000 man -P cat -l "$ADBK_MAN_DIR/$1" 2>/dev/null
}

# The subsection TITLE (`## TITLE` in the scdoc source) of a rendered page
# (stdin): its heading is indented by 3 columns, its text by more.
subsection() {
    awk -v t="   $1" '$0 == t { on = 1; next } on && /^ ? ? ?[^ ]/ { on = 0 } on'
}

# check_named OPTIONS_FILE TEXT_FILE WHAT: every option is in the text.
check_named() {
    [ -s "$2" ] || fail "$3: no such text in the man page"
    missing=""
    for o in $(sort -u "$1"); do
        grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$2" || missing="$missing $o"
    done
    [ -z "$missing" ] || fail "$3 does not name:$missing"
}

need_man() {
    [ -n "${ADBK_MAN_DIR:-}" ] || skip "scdoc was not found: no man pages were built"
    command -v man >/dev/null || skip "man (man-db) is not installed"
}

t_man_pages_render_without_warnings() {
    need_man
    for page in adbk.1 adbk-verify.1 adbk.5; do
        [ -s "$ADBK_MAN_DIR/$page" ] || fail "$page was not built"
        LC_ALL=C.UTF-8 MANWIDTH=80 man -P cat --warnings -l "$ADBK_MAN_DIR/$page" \
            >"$W/out" 2>"$W/err" || fail "man -l $page failed: $(cat "$W/err")"
        [ ! -s "$W/err" ] || fail "man -l $page warns: $(cat "$W/err")"
        grep -q "^NAME" "$W/out" || fail "$page renders without a NAME section"
        groff -man -ww -z -Tutf8 "$ADBK_MAN_DIR/$page" 2>"$W/err" ||
            fail "groff $page failed: $(cat "$W/err")"
        [ ! -s "$W/err" ] || fail "groff -ww $page warns: $(cat "$W/err")"
    done
}

t_man_page_adbk_names_every_option() {
    need_man
    man_text adbk.1 >"$W/page"
    "$ADBK" --help | help_options >"$W/opts"
    check_named "$W/opts" "$W/page" "adbk(1)"
    n=0
    for c in $(commands); do
        "$ADBK" "$c" --help | help_options >"$W/opts"
        subsection "adbk $c" <"$W/page" >"$W/section"
        check_named "$W/opts" "$W/section" "adbk(1), section 'adbk $c',"
        n=$((n + 1))
    done
    [ "$n" -ge 8 ] || fail "adbk --help lists $n commands, expected at least 8"
}

t_man_page_adbk_verify_names_every_option() {
    need_man
    man_text adbk-verify.1 >"$W/page"
    "$ADBK_VERIFY" --help | help_options >"$W/opts"
    check_named "$W/opts" "$W/page" "adbk-verify(1)"
    for c in verify list; do
        "$ADBK_VERIFY" "$c" --help | help_options >"$W/opts"
        subsection "adbk-verify $c" <"$W/page" >"$W/section"
        check_named "$W/opts" "$W/section" "adbk-verify(1), section 'adbk-verify $c',"
    done
}

# complete WORD...: what the completion offers for the last word.
complete() {
    bash -c '. "$1"; shift; f=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
             "$f"; printf "%s\n" "${COMPREPLY[@]}"' sh "$completion" "$@"
}

t_completion_offers_every_command_and_option() {
    command -v bash >/dev/null || skip "no bash"
    complete _adbk adbk "" >"$W/offered"
    commands >"$W/want"
    check_named "$W/want" "$W/offered" "the completion of 'adbk '"
    for c in $(commands); do
        "$ADBK" "$c" --help | help_options >"$W/opts"
        accepted "$ADBK" "$c" "$W/opts" >"$W/taken"
        complete _adbk adbk "$c" - >"$W/offered"
        check_named "$W/taken" "$W/offered" "the completion of 'adbk $c -'"
        for o in $(cat "$W/offered"); do
            accepts "$ADBK" "$c" "$o" || fail "the completion offers 'adbk $c $o', which it refuses"
        done
    done
    for c in verify list; do
        "$ADBK_VERIFY" "$c" --help | help_options >"$W/opts"
        accepted "$ADBK_VERIFY" "$c" "$W/opts" >"$W/taken"
        complete _adbk_verify adbk-verify "$c" - >"$W/offered"
        check_named "$W/taken" "$W/offered" "the completion of 'adbk-verify $c -'"
        for o in $(cat "$W/offered"); do
            accepts "$ADBK_VERIFY" "$c" "$o" ||
                fail "the completion offers 'adbk-verify $c $o', which it refuses"
        done
    done
    complete _adbk_verify adbk-verify "" >"$W/offered"
    grep -qx list "$W/offered" || fail "the completion of 'adbk-verify ' does not offer list"
}

# The functions adbk_format.h declares (each after a line "ADBK_API").
api_functions() {
    awk 'prev == "ADBK_API" { print } { prev = $0 }' "$header" |
        grep -oE 'adbk_[a-z0-9_]+\(' | tr -d '(' | sort -u
}

t_shared_library_exports_exactly_the_api() {
    [ -z "${ADBK_SANITIZED:-}" ] || skip "a sanitizer build exports the sanitizers' symbols too"
    api_functions >"$W/api"
    # Every function declaration of the header carries the macro.
    decls=$(grep -cE '^(const |void |adbk_status |size_t |long |unsigned |int )[^;(]*\badbk_[a-z0-9_]+\(' \
            "$header")
    [ "$decls" -eq "$(wc -l <"$W/api")" ] ||
        fail "adbk_format.h declares $decls functions, $(wc -l <"$W/api") of them ADBK_API"
    nm -D --defined-only "$ADBK_FORMAT_SO" | awk 'NF == 3 { print $3 }' | sort -u >"$W/exported"
    [ -s "$W/exported" ] || fail "nm found no exported symbol in $ADBK_FORMAT_SO"
    comm -23 "$W/api" "$W/exported" >"$W/hidden"
    comm -13 "$W/api" "$W/exported" >"$W/extra"
    [ ! -s "$W/hidden" ] || fail "public functions the library does not export: $(cat "$W/hidden")"
    [ ! -s "$W/extra" ] || fail "symbols exported beyond adbk_format.h: $(cat "$W/extra")"
    soname=$(objdump -p "$ADBK_FORMAT_SO" | awk '$1 == "SONAME" { print $2 }')
    [ "$soname" = libadbk-format.so.1 ] || fail "SONAME is '$soname', expected libadbk-format.so.1"
    # The Debian symbols file names the same functions (a new one missing
    # there is a lintian error when the packages are built).
    sed -n 's/^ \(adbk_[a-z0-9_]*\)@Base .*/\1/p' "$ADBK_SOURCE_DIR/debian/libadbk-format1.symbols" |
        sort -u >"$W/symbols"
    comm -3 "$W/api" "$W/symbols" >"$W/symdiff"
    [ ! -s "$W/symdiff" ] ||
        fail "debian/libadbk-format1.symbols differs from the API (left: API only, right: file only): $(cat "$W/symdiff")"
}

# Installs the build into $W/root (DESTDIR, the build's own prefix).
stage() {
    DESTDIR="$W/root" cmake --install "$ADBK_BUILD_DIR" >"$W/install.log" 2>&1 ||
        fail "cmake --install failed: $(cat "$W/install.log")"
    pc=$(find "$W/root" -name adbk-format.pc)
    [ -n "$pc" ] || fail "no adbk-format.pc installed"
    libdir=$(dirname "$(dirname "$pc")")
    cp -r "$ADBK_SOURCE_DIR/tests/external" "$W/external"
    vector="$ADBK_SOURCE_DIR/format/vectors/v1-basic.adbk"
}

t_install_puts_everything_in_place() {
    stage
    prefix=$(dirname "$(dirname "$(find "$W/root" -path '*/bin/adbk')")")
    for f in bin/adbk bin/adbk-verify include/adbk_format.h share/doc/adbk/FORMAT.md \
             share/bash-completion/completions/adbk share/bash-completion/completions/adbk-verify; do
        [ -e "$prefix/$f" ] || fail "not installed: $f"
    done
    if [ -n "${ADBK_MAN_DIR:-}" ]; then
        for f in man1/adbk.1 man1/adbk-verify.1 man5/adbk.5; do
            [ -s "$prefix/share/man/$f" ] || fail "not installed: share/man/$f"
        done
    fi
    [ ! -e "$prefix/bin/dcsim" ] || fail "the simulator (a test double) was installed"
    [ -L "$libdir/libadbk-format.so" ] || fail "no libadbk-format.so link"
    [ -e "$libdir/libadbk-format.so.1" ] || fail "no libadbk-format.so.1"
    [ -e "$libdir/cmake/adbk-format/adbk-format-config.cmake" ] || fail "no CMake package"
    ! find "$W/root" -name '*.a' | grep -q . || fail "a static library was installed"
}

t_external_program_builds_with_pkg_config_alone() {
    [ -z "${ADBK_SANITIZED:-}" ] || skip "a sanitizer build's library needs its runtime loaded first"
    stage
    # The staged tree stands for /: pkg-config puts the root before every path.
    PKG_CONFIG_SYSROOT_DIR="$W/root" PKG_CONFIG_LIBDIR="$(dirname "$pc")" \
        make -s -C "$W/external" >"$W/build.log" 2>&1 || fail "make failed: $(cat "$W/build.log")"
    objdump -p "$W/external/list_verify" | grep -q 'NEEDED *libadbk-format\.so\.1' ||
        fail "list_verify is not linked to libadbk-format.so.1"
    LD_LIBRARY_PATH="$libdir" "$W/external/list_verify" "$vector" >"$W/out" 2>&1 ||
        fail "list_verify $vector: $(cat "$W/out")"
    grep -q "intact" "$W/out" || fail "list_verify did not verify: $(cat "$W/out")"
    # A damaged copy is found damaged.
    cp "$vector" "$W/bad.adbk"
    flip "$W/bad.adbk" 200
    set +e; LD_LIBRARY_PATH="$libdir" "$W/external/list_verify" "$W/bad.adbk" >"$W/out" 2>&1
    rc=$?; set -e
    [ "$rc" -ne 0 ] || fail "list_verify passed a damaged archive: $(cat "$W/out")"
}

t_external_program_builds_with_cmake_find_package() {
    [ -z "${ADBK_SANITIZED:-}" ] || skip "a sanitizer build's library needs its runtime loaded first"
    stage
    cmake -S "$W/external" -B "$W/external-build" -DCMAKE_PREFIX_PATH="$W/root" \
        -DCMAKE_FIND_ROOT_PATH="$W/root" >"$W/build.log" 2>&1 &&
        cmake --build "$W/external-build" >>"$W/build.log" 2>&1 ||
        fail "the CMake build failed: $(cat "$W/build.log")"
    LD_LIBRARY_PATH="$libdir" "$W/external-build/list_verify" "$vector" >"$W/out" 2>&1 ||
        fail "list_verify (CMake) $vector: $(cat "$W/out")"
}

run_case install "$@"
