#!/bin/sh
# packages.sh [OUT [TREE_BUILD]] - the Debian packages, as a user gets them
# (issue 16; a step of tools/run-tests.sh; apt-get runs through sudo when
# not root, as in tools/setup.sh):
#   1. builds adbk, libadbk-format1 and libadbk-format-dev with
#      `dpkg-buildpackage -us -uc -b` from a copy of this tree in OUT
#      (default build-packages/; dpkg-buildpackage writes the packages beside
#      the tree it builds, and debhelper writes into debian/), and runs
#      lintian on them: an error fails the step, warnings are shown;
#   2. installs them with apt-get, and runs the installed programs on the
#      golden archives (format/vectors/*.adbk) and on fresh archives: a
#      folder packed, listed, verified and extracted, plain and then
#      encrypted and signed; and, when TREE_BUILD (default build/) holds the
#      simulator, a backup and a restore of a simulated DC (the installed adbk
#      opens the simulator itself when named; only the dcsim program that
#      provisions and checks it comes from the tree, since the packages do not
#      install a test double);
#   3. builds tests/external/list_verify.c, copied outside the tree, with
#      nothing but `pkg-config --cflags --libs adbk-format` against the
#      installed -dev package, and again with CMake's find_package; both
#      list and verify every golden archive;
#   4. removes the packages it installed (ADBK_KEEP_PACKAGES=1 keeps them).
# Takes about a minute and a half on two cores, most of it the package build
# (about 60 s) and lintian (15 s); each part prints its time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-$top/build-packages}" && cd "${1:-$top/build-packages}" && pwd)
tree_build=${2:-$top/build}
jobs=$(nproc 2>/dev/null || echo 2)
packages="adbk libadbk-format1 libadbk-format-dev"

fail() { echo "packages: FAIL: $*" >&2; exit 1; }
say() { echo "packages: $*" >&2; }
t0=$(date +%s)
since() { echo "$(($(date +%s) - $1)) s"; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
for tool in dpkg-buildpackage lintian apt-get pkg-config make cmake; do
    command -v "$tool" >/dev/null || fail "$tool is missing (tools/setup.sh installs it)"
done

# --------------------------------------------------------------- 1. build
rm -rf "$out/src" "$out/work"
mkdir -p "$out/src/adbk" "$out/work"
src="$out/src/adbk"
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
    # What git tracks or would track (new files too), as it is on disk.
    (cd "$top" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$src"
else
    tar -C "$top" --exclude='./build*' --exclude=./out --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
[ -f "$src/debian/control" ] || fail "the copy of the tree in $src has no debian/control"
t=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs" dpkg-buildpackage -us -uc -b) \
    >"$out/build.log" 2>&1 || { tail -40 "$out/build.log" >&2; fail "dpkg-buildpackage failed ($out/build.log)"; }
say "dpkg-buildpackage -us -uc -b: $(since "$t")"
for p in $packages; do
    ls "$out/src/${p}_"*.deb >/dev/null 2>&1 || fail "no package $p was built"
done
# -dbgsym packages are built too; only the three are installed.
debs=$(for p in $packages; do ls "$out/src/${p}_"*.deb; done)

t=$(date +%s)
changes=$(ls "$out/src/"adbk_*.changes)
set +e
lintian --fail-on error --info "$changes" >"$out/lintian.log" 2>&1
rc=$?
set -e
cat "$out/lintian.log" >&2
[ "$rc" -eq 0 ] || fail "lintian reports errors (above)"
say "lintian: no error ($(grep -c '^W:' "$out/lintian.log" || true) warnings; $(since "$t"))"

# ------------------------------------------------------------- 2. install
installed_before=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" &&
        installed_before="$installed_before $p"
done
remove() {
    if [ "${ADBK_KEEP_PACKAGES:-0}" = 1 ]; then return; fi
    mine=""
    for p in $packages; do
        case " $installed_before " in *" $p "*) ;; *) mine="$mine $p" ;; esac
    done
    [ -z "$mine" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -qq \
        -o DPkg::Lock::Timeout=600 $mine >/dev/null 2>&1 || true
    rm -rf "$ext"
}
ext=""
trap remove EXIT
t=$(date +%s)
# Another session's apt-get may hold dpkg's lock: wait for it.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 $debs >"$out/install.log" 2>&1 ||
    { cat "$out/install.log" >&2; fail "apt-get install of the packages failed"; }
say "apt-get install: $(since "$t")"

t=$(date +%s)
w="$out/work"
[ "$(command -v adbk)" = /usr/bin/adbk ] || fail "adbk is not /usr/bin/adbk"
[ "$(command -v adbk-verify)" = /usr/bin/adbk-verify ] || fail "adbk-verify is not /usr/bin/adbk-verify"
! dpkg -L adbk | grep -q 'bin/dcsim' || fail "the package installs the simulator"
/usr/bin/adbk --help | grep -q '/usr/share/doc/adbk/FORMAT.md' || fail "adbk --help does not name FORMAT.md"
[ -s /usr/share/doc/adbk/FORMAT.md ] || fail "no /usr/share/doc/adbk/FORMAT.md"
for page in "1 adbk" "1 adbk-verify" "5 adbk"; do
    # shellcheck disable=SC2086 # two words: section and name
    man -w $page >/dev/null 2>&1 || fail "man $page: not installed"
    LC_ALL=C.UTF-8 MANWIDTH=80 man -P cat --warnings $page >/dev/null 2>"$w/err" ||
        fail "man $page: $(cat "$w/err")"
    [ ! -s "$w/err" ] || fail "man $page warns: $(cat "$w/err")"
done
bash -c '. /usr/share/bash-completion/completions/adbk-verify && complete -p adbk adbk-verify' \
    >/dev/null || fail "the bash completion does not load"

n=0
for v in "$top"/format/vectors/*.adbk; do
    /usr/bin/adbk-verify verify --quiet "$v" || fail "adbk-verify $v"
    /usr/bin/adbk-verify list "$v" >/dev/null || fail "adbk-verify list $v"
    /usr/bin/adbk verify --quiet "$v" || fail "adbk verify $v"
    n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no golden archive in format/vectors"
say "the installed programs verify $n golden archives"

# A fresh archive of a folder: create, list, verify, extract, compare.
mkdir -p "$w/data/sub"
head -c 3000000 /dev/urandom >"$w/data/random.bin"
seq 1 200000 >"$w/data/sub/numbers.txt"
: >"$w/data/sub/empty"
/usr/bin/adbk create -q -o "$w/fresh.adbk" --xxh128 "$w/data"
/usr/bin/adbk list "$w/fresh.adbk" | grep -q 'numbers.txt' || fail "adbk list: no numbers.txt"
/usr/bin/adbk-verify --quiet "$w/fresh.adbk" || fail "adbk-verify of a fresh archive"
! command -v xxhsum >/dev/null || (cd "$w" && xxhsum -c --quiet fresh.adbk.xxh128) ||
    fail "xxhsum -c fresh.adbk.xxh128"
/usr/bin/adbk extract -q "$w/fresh.adbk" -C "$w/x"
diff -r "$w/data" "$w/x/data" || fail "the extracted folder differs"

# Encrypted to an age key and signed: verified by the signer's key without the
# secret one, extracted with it.
if command -v age-keygen >/dev/null; then
    age-keygen -o "$w/age.key" 2>/dev/null
    recipient=$(sed -n 's/^# public key: //p' "$w/age.key")
    signer=$(/usr/bin/adbk keygen -o "$w/sign.key")
    /usr/bin/adbk create -q -o "$w/sealed.adbk" -r "$recipient" --sign "$w/sign.key" "$w/data"
    /usr/bin/adbk-verify verify --quiet --trust "$signer" "$w/sealed.adbk" ||
        fail "adbk-verify --trust of a sealed archive"
    /usr/bin/adbk extract -q -i "$w/age.key" --trust "$signer" "$w/sealed.adbk" -C "$w/y"
    diff -r "$w/data" "$w/y/data" || fail "the extracted sealed folder differs"
    say "encrypted and signed: created, verified without the key, extracted with it"
else
    say "no age-keygen: the encrypted archive is left out"
fi

# A backup and a restore of a simulated DC, by the installed adbk.
dcsim="$tree_build/dcsim/dcsim"
if [ -x "$dcsim" ]; then
    "$dcsim" provision "$w/dc" --size 4M --seed 5 --logs 2 >/dev/null
    "$dcsim" start "$w/dc" >/dev/null
    /usr/bin/adbk backup --dcsim "$w/dc" -o "$w/dc.adbk" -q
    /usr/bin/adbk-verify --quiet "$w/dc.adbk" || fail "adbk-verify of a fresh backup"
    /usr/bin/adbk list "$w/dc.adbk" | grep -q 'SIMULATED' || fail "the backup's listing is not marked simulated"
    "$dcsim" stop "$w/dc" >/dev/null
    rm -f "$w/dc/ntds.dit" "$w/dc"/edb*.log
    /usr/bin/adbk restore -q "$w/dc.adbk" --dcsim "$w/dc" || fail "adbk restore of the backup"
    "$dcsim" start "$w/dc" >/dev/null || fail "the restored DC does not start"
    "$dcsim" check "$w/dc" >/dev/null || fail "dcsim check rejects the restored DC"
    "$dcsim" stop "$w/dc" >/dev/null
    say "a simulated DC backed up, verified and restored by the installed adbk"
else
    say "no $dcsim (build the tree first): the backup of a simulated DC is left out"
fi
say "the installed programs: $(since "$t")"

# ------------------------------------------- 3. a program outside the tree
t=$(date +%s)
ext=$(mktemp -d "${TMPDIR:-/tmp}/adbk-external.XXXXXX")
cp "$top"/tests/external/list_verify.c "$top"/tests/external/Makefile \
   "$top"/tests/external/CMakeLists.txt "$ext"/
say "pkg-config --cflags --libs adbk-format: $(pkg-config --cflags --libs adbk-format)"
make -s -C "$ext" >"$w/make.log" 2>&1 || { cat "$w/make.log" >&2; fail "make of list_verify failed"; }
ldd "$ext/list_verify" | grep -qE "libadbk-format.so.1 => (/usr)?/lib/" ||
    fail "list_verify does not load the installed libadbk-format.so.1: $(ldd "$ext/list_verify")"
cmake -S "$ext" -B "$ext/cmake-build" >"$w/cmake.log" 2>&1 && cmake --build "$ext/cmake-build" \
    >>"$w/cmake.log" 2>&1 || { cat "$w/cmake.log" >&2; fail "the CMake build of list_verify failed"; }
for v in "$top"/format/vectors/*.adbk "$w/fresh.adbk"; do
    "$ext/list_verify" "$v" >"$w/out" 2>&1 || fail "list_verify $v: $(cat "$w/out")"
    grep -q intact "$w/out" || fail "list_verify $v: $(cat "$w/out")"
    "$ext/cmake-build/list_verify" "$v" >/dev/null 2>&1 || fail "list_verify (CMake) $v"
done
say "list_verify, built from pkg-config and from find_package: $(since "$t")"
say "all passed in $(since "$t0")"
