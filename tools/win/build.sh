#!/bin/sh
# build.sh - cross-builds adbk for 64-bit Windows on Debian, from Debian
# packages and Debian source packages only.
#
#   tools/win/build.sh [--no-install] [BUILD_DIR]     (default: build-win)
#
# 1. Installs what is missing with apt-get: mingw-w64 (the cross compiler),
#    wine64 (to run the results), dpkg-dev (for apt-get source), autoconf,
#    automake and libtool (libsodium's Debian source has no configure). When no
#    deb-src line exists for the archive the machine already uses, it adds
#    one (same URIs and suites, Types: deb-src) so that apt-get source works.
# 2. Fetches the Debian source packages of libzstd, xxhash and libsodium with
#    `apt-get source PACKAGE=VERSION`, trying the versions `apt-cache showsrc`
#    lists newest first (the index can list a security update whose source
#    the mirror does not serve), says which one it took, and builds their
#    static libraries for Windows into BUILD_DIR/deps (headers, lib/*.a,
#    lib/pkgconfig/*.pc). Nothing else is downloaded; no binary comes from
#    anywhere but Debian.
# 3. Configures this CMake project with cmake/mingw-w64-x86_64.cmake and
#    builds adbk.exe, adbk-verify.exe and the simulated DC as ntdsbcli.dll.
# Safe to run again: finished steps are skipped (delete BUILD_DIR to redo).
# Heavy steps run under `nice -n 19`.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
install=1
if [ "${1:-}" = "--no-install" ]; then install=0; shift; fi
bdir=${1:-$top/build-win}
mkdir -p "$bdir"
bdir=$(cd "$bdir" && pwd)
deps=$bdir/deps
src=$bdir/src
triple=x86_64-w64-mingw32
jobs=$(nproc 2>/dev/null || echo 2)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# ---- 1. packages -----------------------------------------------------------
need="mingw-w64 wine64 wine dpkg-dev cmake pkg-config make autoconf automake libtool"
if [ $install = 1 ]; then
  missing=""
  for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing="$missing $p"
  done
  # A deb-src entry mirroring the deb entries in use (deb822 or one-line form).
  if ! grep -rqs '^[[:space:]]*\(deb-src\|Types:.*deb-src\)' /etc/apt/sources.list \
        /etc/apt/sources.list.d/; then
    tmp=$(mktemp)
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && sed -n 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/; p' "$f" >>"$tmp" &&
        echo >>"$tmp"
    done
    if [ -f /etc/apt/sources.list ]; then
      grep '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list |
        sed 's/^\([[:space:]]*\)deb[[:space:]]/\1deb-src /' >"$tmp.list" || true
      [ -s "$tmp.list" ] && $SUDO cp "$tmp.list" /etc/apt/sources.list.d/adbk-deb-src.list
      rm -f "$tmp.list"
    fi
    if grep -q 'deb-src' "$tmp"; then
      $SUDO cp "$tmp" /etc/apt/sources.list.d/adbk-deb-src.sources
    fi
    rm -f "$tmp"
    missing="$missing update-only"
  fi
  if [ -n "$missing" ]; then
    pkgs=$(echo "$missing" | sed 's/update-only//')
    case $missing in *update-only*)
      echo "win/build: added a deb-src entry to the apt sources" \
           "(/etc/apt/sources.list.d/adbk-deb-src.*) for apt-get source" >&2 ;;
    esac
    [ -n "$(echo $pkgs)" ] && echo "win/build: installing$pkgs" >&2
    $SUDO apt-get update -qq
    [ -n "$(echo $pkgs)" ] &&
      DEBIAN_FRONTEND=noninteractive $SUDO nice -n 19 apt-get install -y -qq \
        --no-install-recommends $pkgs >/dev/null
  fi
fi
cc=$(command -v $triple-gcc-posix || command -v $triple-gcc) ||
  { echo "win/build: no $triple-gcc (install mingw-w64)" >&2; exit 2; }

# ---- 2. zstd, xxHash and libsodium from Debian source packages -------------
mkdir -p "$src" "$deps/lib/pkgconfig" "$deps/include"
# versions PACKAGE: the source versions apt-cache showsrc lists, newest first.
versions() {
  vs=$(apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version:[[:space:]]*//p' | sort -u)
  sorted=""
  for v in $vs; do # insertion sort by Debian's version order
    out="" placed=0
    for w in $sorted; do
      if [ $placed = 0 ] && dpkg --compare-versions "$v" gt "$w"; then out="$out $v"; placed=1; fi
      out="$out $w"
    done
    [ $placed = 0 ] && out="$out $v"
    sorted=$out
  done
  echo $sorted
}
# fetch PACKAGE -> prints the unpacked folder. The index may list a version
# whose source the mirror does not serve (a security update's, say), so each
# listed version is tried, newest first, until one downloads.
fetch() {
  d=$(ls -d "$src/$1"-*/ 2>/dev/null | head -n 1)
  if [ -n "$d" ]; then echo "${d%/}"; return 0; fi
  vs=$(versions "$1")
  if [ -z "$vs" ]; then
    echo "win/build: apt-cache showsrc lists no source package $1 (is there a deb-src entry?" \
         "run apt-get update)" >&2
    exit 2
  fi
  newest=${vs%% *} tried=""
  for v in $vs; do
    tmpd=$(mktemp -d "$src/.fetch.XXXXXX")
    if (cd "$tmpd" && apt-get source -qq "$1=$v" >"$tmpd.log" 2>&1); then
      d=$(ls -d "$tmpd/$1"-*/ | head -n 1)
      mv "$d" "$src/" && rm -rf "$tmpd" "$tmpd.log"
      if [ "$v" = "$newest" ]; then
        echo "win/build: source $1 $v (the newest listed)" >&2
      else
        echo "win/build: source $1 $v, not the newest listed ($newest, which could not" \
             "be fetched)" >&2
      fi
      d=$(ls -d "$src/$1"-*/ | head -n 1)
      echo "${d%/}"
      return 0
    fi
    echo "win/build: cannot fetch source $1=$v: $(grep -E '^(E|Err):' "$tmpd.log" |
         head -n 2 | tr '\n' ' ')" >&2
    rm -rf "$tmpd" "$tmpd.log"
    tried="$tried $v"
  done
  echo "win/build: no source version of $1 could be fetched; tried:$tried" >&2
  exit 2
}
if [ ! -f "$deps/lib/libzstd.a" ]; then
  z=$(fetch libzstd) || exit 2
  echo "win/build: building zstd from $(basename "$z") for Windows" >&2
  nice -n 19 make -s -C "$z/lib" -j "$jobs" CC="$cc" AR=$triple-ar WINDRES=$triple-windres \
    TARGET_SYSTEM=Windows_NT ZSTD_LEGACY_SUPPORT=0 libzstd.a >"$bdir/deps-zstd.log" 2>&1 ||
    { tail -n 30 "$bdir/deps-zstd.log" >&2; exit 2; }
  cp "$z/lib/libzstd.a" "$deps/lib/"
  cp "$z/lib/zstd.h" "$z/lib/zstd_errors.h" "$z/lib/zdict.h" "$deps/include/"
  ver=$(sed -n 's/^#define ZSTD_VERSION_\(MAJOR\|MINOR\|RELEASE\)[[:space:]]*\([0-9]*\).*/\2/p' \
        "$z/lib/zstd.h" | paste -sd. -)
  cat >"$deps/lib/pkgconfig/libzstd.pc" <<PC
prefix=$deps
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: zstd
Description: fast lossless compression algorithm library (Debian source, built for Windows)
Version: $ver
Libs: -L\${libdir} -lzstd
Cflags: -I\${includedir}
PC
fi
if [ ! -f "$deps/lib/libxxhash.a" ]; then
  x=$(fetch xxhash) || exit 2
  echo "win/build: building xxHash from $(basename "$x") for Windows" >&2
  # xxhash.c is the whole library (xxhash.h holds the implementation).
  nice -n 19 "$cc" -O2 -c "$x/xxhash.c" -o "$bdir/xxhash.o"
  $triple-ar rcs "$deps/lib/libxxhash.a" "$bdir/xxhash.o"
  rm -f "$bdir/xxhash.o"
  cp "$x/xxhash.h" "$deps/include/"
  ver=$(sed -n 's/^#define XXH_VERSION_\(MAJOR\|MINOR\|RELEASE\)[[:space:]]*\([0-9]*\).*/\2/p' \
        "$x/xxhash.h" | paste -sd. -)
  cat >"$deps/lib/pkgconfig/libxxhash.pc" <<PC
prefix=$deps
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: libxxhash
Description: extremely fast hash algorithm (Debian source, built for Windows)
Version: $ver
Libs: -L\${libdir} -lxxhash
Cflags: -I\${includedir}
PC
fi

if [ ! -f "$deps/lib/libsodium.a" ]; then
  s=$(fetch libsodium) || exit 2
  echo "win/build: building libsodium from $(basename "$s") for Windows" >&2
  # Debian's source is upstream's git tree (no configure): regenerate it as
  # Debian's own build does (dh --with autoreconf). Not autogen.sh, which
  # would download config.guess and config.sub. Static only, into deps; the
  # library alone (src/), not its tests. Windows builds get no -fstack-protector
  # (configure.ac leaves it out on mingw) and no PIE. make -C src/libsodium
  # install puts the headers and libsodium.a into deps.
  ( cd "$s" && nice -n 19 autoreconf -fi &&
    nice -n 19 ./configure --host=$triple --prefix="$deps" --disable-shared --enable-static \
      --disable-dependency-tracking CC="$cc" &&
    nice -n 19 make -C src/libsodium -j "$jobs" install ) >"$bdir/deps-sodium.log" 2>&1 ||
    { tail -n 30 "$bdir/deps-sodium.log" >&2; exit 2; }
  # Our .pc, as for the others, with SODIUM_STATIC: what sodium/export.h
  # expects of a program linking the static library (with MSVC it would
  # otherwise declare every function __declspec(dllimport)).
  ver=$(sed -n 's/^Version:[[:space:]]*//p' "$s/libsodium.pc")
  cat >"$deps/lib/pkgconfig/libsodium.pc" <<PC
prefix=$deps
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: libsodium
Description: modern and easy-to-use crypto library (Debian source, built for Windows)
Version: $ver
Libs: -L\${libdir} -lsodium
Cflags: -I\${includedir} -DSODIUM_STATIC
PC
fi

# ---- 3. adbk ----------------------------------------------------------------
nice -n 19 cmake -S "$top" -B "$bdir/adbk" \
  -DCMAKE_TOOLCHAIN_FILE="$top/cmake/mingw-w64-x86_64.cmake" -DADBK_WIN_DEPS="$deps" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADBK_TESTS=OFF >/dev/null
nice -n 19 cmake --build "$bdir/adbk" -j "$jobs"
ls -l "$bdir"/adbk/tools/*.exe "$bdir"/adbk/dcsim/win/*.dll 2>/dev/null || true
